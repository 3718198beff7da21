#pragma once
// A JSON writer that appends to a text_buffer and validates as it goes: strings must be valid
// UTF-8 (control characters and NUL are escaped), numbers must be finite. Used on the
// caller's hot path, so it allocates nothing beyond the output buffer's growth.

#include <seglog/error.h>
#include <seglog/event.h>

#include "event/text_buffer.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace seglog::detail {

// Whether any of the 8 bytes in `x` is >= 0x80, < 0x20, '"' or '\\' (exact as "any"; a byte
// loop finds which).
inline bool json_needs_care(std::uint64_t x) {
    constexpr std::uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    // A byte's high bit ends up set when it is >= 0x80 (x), < 0x20 (x - 0x20), '"' or '\\' (its
    // xor with that byte is 0, and 0 - 1 sets it). A borrow between bytes starts only at a byte
    // that is itself flagged, so the answer "any" is exact.
    return ((x | (x - ones * 0x20) | ((x ^ (ones * '"')) - ones) | ((x ^ (ones * '\\')) - ones)) & high) != 0;
}

// The general case of append_json_string below: any length, escapes, UTF-8 validation.
bool append_json_string_general(text_buffer &out, std::string_view s);

// Whether the two words of a short string (overlapping when it is shorter than both) are plain.
inline bool plain_words(std::uint64_t lo, std::uint64_t hi) { return !json_needs_care(lo) && !json_needs_care(hi); }
inline bool plain_words(std::uint32_t lo, std::uint32_t hi) { return !json_needs_care(lo | (std::uint64_t{hi} << 32)); }

// `"s"` for a string of sizeof(Word) to 2 * sizeof(Word) bytes that need no escaping, checked and
// copied as its first and last word; false (nothing written) when some byte needs care.
template <typename Word>
inline bool append_plain_words(text_buffer &out, const char *p, std::size_t n) {
    Word lo, hi;
    std::memcpy(&lo, p, sizeof(Word));
    std::memcpy(&hi, p + n - sizeof(Word), sizeof(Word));
    if (!plain_words(lo, hi)) return false;
    char *q = out.tail(n + 2);
    q[0] = '"';
    std::memcpy(q + 1, &lo, sizeof(Word));
    std::memcpy(q + 1 + n - sizeof(Word), &hi, sizeof(Word));
    q[n + 1] = '"';
    out.commit(n + 2);
    return true;
}

// Appends `s` as a quoted JSON string. Returns false (leaving `out` partly written) when `s`
// is not valid UTF-8. Keys and most values are short plain ASCII: 4 to 16 such bytes are
// checked and copied here as two overlapping words, with no call; the rest goes the general way.
inline bool append_json_string(text_buffer &out, std::string_view s) {
    const std::size_t n = s.size();
    if (n >= 8 && n <= 16 && append_plain_words<std::uint64_t>(out, s.data(), n)) return true;
    if (n >= 4 && n < 8 && append_plain_words<std::uint32_t>(out, s.data(), n)) return true;
    return append_json_string_general(out, s);
}
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
    bool key(std::string_view k) {
        // Limits first: a failure here names the key where writing stopped (parents prepend theirs).
        if (out_.size() > limit_ || keys_ >= max_total_keys || k.size() > limit_) return key_refused(k);
        ++keys_;
        if (!append_json_string(out_, k)) return key_invalid();
        out_.push_back(':');
        return true;
    }

    const write_failure &failure() const { return failure_; }
    // False (recording event_too_large) once the output has passed the byte limit.
    bool within_limit() { return out_.size() <= limit_ || fail_size(0); }
    // False (recording too_many_keys) for an object with more than max_object_keys members.
    bool members_ok(std::size_t n);
    // Prefixes the failing key's path with `segment` (e.g. "properties").
    bool prepend(std::string_view segment);

private:
    bool fail(seglog::reason r);
    bool string(std::string_view s) {
        if (s.size() > limit_) return fail_size(s.size()); // never copy a string that cannot fit
        return append_json_string(out_, s) || fail(seglog::reason::invalid_utf8);
    }
    bool key_refused(std::string_view k); // over a limit: records which
    bool key_invalid();                   // not UTF-8
    bool fail_size(std::size_t string_size);
    text_buffer &out_;
    std::size_t limit_;
    std::size_t keys_ = 0;
    write_failure failure_{seglog::reason::invalid_utf8, {}};
};

} // namespace seglog::detail
