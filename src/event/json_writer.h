#pragma once
// A JSON writer that appends to a text_buffer and validates as it goes: strings must be valid
// UTF-8 (control characters and NUL are escaped), numbers must be finite. Used on the
// caller's hot path, so it allocates nothing beyond the output buffer's growth.

#include <seglog/error.h>
#include <seglog/event.h>

#include "event/text_buffer.h"

#include <cstdint>
#include <cstddef>
#include <string>
#include <string_view>

namespace seglog::detail {

// Appends `s` as a quoted JSON string. Returns false (leaving `out` partly written) when `s`
// is not valid UTF-8.
bool append_json_string(text_buffer &out, std::string_view s);
// The same into a std::string, off the hot path (messages, checks of caller data).
bool append_json_string(std::string &out, std::string_view s);
void append_int(text_buffer &out, std::int64_t v);
void append_uint(text_buffer &out, std::uint64_t v);
// Returns false for NaN and infinities, which JSON cannot carry.
bool append_double(text_buffer &out, double v);

// Limits on nested data from a nlohmann::json value (an attacker-sized tree must not exhaust
// the stack or the memory of the service).
inline constexpr int max_json_depth = 32;
// Keys per object and in the whole event (properties/traits and context): bounds the work an
// event costs and the columns it creates downstream.
inline constexpr std::size_t max_object_keys = 1000;
inline constexpr std::size_t max_total_keys = 2000;

// Outcome of writing a value: the reason it failed and the key it failed at.
struct write_failure {
    seglog::reason code;
    std::string key; // dotted path of the offending key, e.g. "properties.items.2"; no values
    std::size_t size = 0;  // event_too_large: the string's length (0: the event as a whole);
                           // too_many_keys: the limit passed (max_object_keys or max_total_keys)
    std::size_t limit = 0; // event_too_large: the writer's byte limit
};

class json_writer {
public:
    // `max_bytes`: the event limit. A string longer than it is refused before it is copied, and
    // writing stops at the first key or element once the output has passed it.
    explicit json_writer(text_buffer &out, std::size_t max_bytes = SIZE_MAX) : out_(out), limit_(max_bytes) {}
    // Each returns false after recording the failure (see failure()); the failing key's path
    // is built on the way out, one segment per level, so success costs nothing.
    bool write(const value &v);
    bool write(const nlohmann::json &j, int depth = 0);
    // Writes the members of an object (without braces), comma-separated, starting with a comma
    // when `leading_comma`. `skip_key` omits one member (used to keep context.library ours).
    bool write_members(const properties &p, bool leading_comma = false);
    bool write_members(const nlohmann::json &obj, bool leading_comma, std::string_view skip_key = {},
                       int depth = 0);
    bool key(std::string_view k);

    const write_failure &failure() const { return failure_; }
    // False (recording event_too_large) once the output has passed the byte limit.
    bool within_limit() { return out_.size() <= limit_ || fail_size(0); }
    // False (recording too_many_keys) for an object with more than max_object_keys members.
    bool members_ok(std::size_t n);
    // Prefixes the failing key's path with `segment` (e.g. "properties").
    bool prepend(std::string_view segment);

private:
    bool fail(seglog::reason r);
    bool string(std::string_view s);
    bool fail_size(std::size_t string_size);
    text_buffer &out_;
    std::size_t limit_;
    std::size_t keys_ = 0;
    write_failure failure_{seglog::reason::invalid_utf8, {}};
};

} // namespace seglog::detail
