// Stable names of event types, as they appear on the wire and in messages.
#include <seglog/event.h>

namespace seglog {

const char *to_string(event_type t) noexcept {
    switch (t) {
    case event_type::track: return "track";
    case event_type::identify: return "identify";
    case event_type::page: return "page";
    case event_type::screen: return "screen";
    case event_type::group: return "group";
    case event_type::alias: return "alias";
    }
    return "unknown";
}

} // namespace seglog
