#pragma once
// How the macros find a logger's router cheaply. A sink type that routes events (demux_sink)
// registers its dynamic type here once; the bridge then recognises a sink of that type by a
// type comparison and converts it with the registered function. Other sinks are asked by
// dynamic_cast, a walk of the class hierarchy that every call would otherwise pay. The bridge so
// needs to know no sink type: the sinks depend on it, not the other way round.

#include <seglog/record.h>

#include <spdlog/sinks/sink.h>

#include <typeinfo>

namespace seglog::detail {

using router_cast = const event_router *(*)(const spdlog::sinks::sink &) noexcept;

// Idempotent and thread-safe; a type registered later than the first few is still found, by
// dynamic_cast.
void register_router_type(const std::type_info &type, router_cast cast) noexcept;

} // namespace seglog::detail
