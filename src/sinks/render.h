#pragma once
// Development rendering of an event record (the console destination, echo_events).

#include <string>
#include <string_view>

namespace seglog::detail {
// One readable line for an event record; never the write key (records do not carry it).
std::string render_event_line(std::string_view record);
} // namespace seglog::detail
