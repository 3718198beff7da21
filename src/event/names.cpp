// Stable names of enums, as they appear on the wire, in stats() and in messages.
#include <seglog/error.h>
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

const char *to_string(reason r) noexcept {
    switch (r) {
    case reason::missing_identity: return "missing_identity";
    case reason::missing_event: return "missing_event";
    case reason::missing_group_id: return "missing_group_id";
    case reason::missing_previous_id: return "missing_previous_id";
    case reason::not_an_object: return "not_an_object";
    case reason::non_finite_number: return "non_finite_number";
    case reason::invalid_utf8: return "invalid_utf8";
    case reason::too_deep: return "too_deep";
    case reason::too_many_keys: return "too_many_keys";
    case reason::event_too_large: return "event_too_large";
    case reason::not_attached: return "not_attached";
    case reason::queue_full: return "queue_full";
    case reason::closed: return "closed";
    case reason::rejected: return "rejected";
    case reason::unauthorized: return "unauthorized";
    case reason::retries_exhausted: return "retries_exhausted";
    case reason::undelivered_at_close: return "undelivered_at_close";
    case reason::io_error: return "io_error";
    case reason::config_error: return "config_error";
    }
    return "unknown";
}

} // namespace seglog
