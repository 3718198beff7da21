#pragma once
// Development rendering of an event record (the console destination, echo_events).

#include <spdlog/details/log_msg.h>

#include <string>
#include <string_view>

namespace seglog::detail {
// One readable line for an event record; never the write key (records do not carry it).
std::string render_event_line(std::string_view record);
// The source location of the readable line for an event record: the macro's call site that the
// record carries (record.h), or none for an event logged without a macro.
spdlog::source_loc event_line_source(const spdlog::details::log_msg &record) noexcept;
} // namespace seglog::detail
