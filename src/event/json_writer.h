#pragma once
// A JSON writer that appends to a text_buffer and validates as it goes: strings must be valid
// UTF-8 (control characters and NUL are escaped), numbers must be finite. Used on the
// caller's hot path, so it allocates nothing beyond the output buffer's growth.

#include <seglog/error.h>
#include <seglog/event.h>

#include "common/text_buffer.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
#if defined(__SSE2__)
// SSE2 is part of x86-64: one byte compare per kind covers both words at once, where the scalar
// test works word by word; keys and short values are checked on every event.
inline int json_care_mask(__m128i x) {
    const __m128i low_or_high = _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)); // signed: >= 0x80 is negative
    const __m128i quote = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
    const __m128i backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
    return _mm_movemask_epi8(_mm_or_si128(low_or_high, _mm_or_si128(quote, backslash)));
}
inline bool plain_words(std::uint64_t lo, std::uint64_t hi) {
    return json_care_mask(_mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo))) == 0;
}
inline bool plain_words(std::uint32_t lo, std::uint32_t hi) {
    const auto x = static_cast<long long>(lo | (std::uint64_t{hi} << 32));
    return (json_care_mask(_mm_cvtsi64_si128(x)) & 0xFF) == 0; // the upper 8 bytes are zeros
}
#else
inline bool plain_words(std::uint64_t lo, std::uint64_t hi) { return !json_needs_care(lo) && !json_needs_care(hi); }
inline bool plain_words(std::uint32_t lo, std::uint32_t hi) { return !json_needs_care(lo | (std::uint64_t{hi} << 32)); }
#endif

// Checks n bytes (sizeof(Word) to 2 * sizeof(Word)) as their first and last word, overlapping,
// and copies them to `to` when none needs care.
template <typename Word>
inline bool copy_plain_words(char *to, const char *p, std::size_t n) {
    Word lo, hi;
    std::memcpy(&lo, p, sizeof(Word));
    std::memcpy(&hi, p + n - sizeof(Word), sizeof(Word));
    if (!plain_words(lo, hi)) return false;
    std::memcpy(to, &lo, sizeof(Word));
    std::memcpy(to + n - sizeof(Word), &hi, sizeof(Word));
    return true;
}

// Writes `"s"` at q for a string of 0 to 16 bytes that need no escaping, checked and copied as
// two overlapping words (three bytes under 4), and returns the end; nullptr when some byte needs
// care or s is longer (what was written is then garbage). q must have room for n + 2 bytes.
inline char *put_short_plain(char *q, const char *p, std::size_t n) {
    if (n >= 8) {
        if (n > 16 || !copy_plain_words<std::uint64_t>(q + 1, p, n)) return nullptr;
    } else if (n >= 4) {
        if (!copy_plain_words<std::uint32_t>(q + 1, p, n)) return nullptr;
    } else if (n > 0) { // first, middle and last byte cover 1 to 3; 'a' pads the word
        const auto a = static_cast<unsigned char>(p[0]), b = static_cast<unsigned char>(p[n / 2]),
                   c = static_cast<unsigned char>(p[n - 1]);
        if (!plain_words(static_cast<std::uint32_t>(a | (b << 8) | (c << 16) | 0x61000000u), 0x61616161u))
            return nullptr;
        q[1] = static_cast<char>(a);
        q[1 + n / 2] = static_cast<char>(b);
        q[n] = static_cast<char>(c);
    }
    q[0] = '"';
    q[n + 1] = '"';
    return q + n + 2;
}

// Writes a literal's characters (not its terminating NUL) at q; returns the end.
template <std::size_t N>
inline char *put_literal(char *q, const char (&literal)[N]) {
    std::memcpy(q, literal, N - 1);
    return q + N - 1;
}

// Appends `s` as a quoted JSON string. Returns false (leaving `out` partly written) when `s`
// is not valid UTF-8. Keys and most values are short plain ASCII: up to 16 such bytes are
// checked and copied here with no call; the rest goes the general way.
inline bool append_json_string(text_buffer &out, std::string_view s) {
    if (s.size() <= 16) {
        char *q = out.tail(18);
        if (char *end = put_short_plain(q, s.data(), s.size())) {
            out.commit(static_cast<std::size_t>(end - q));
            return true;
        }
    }
    return append_json_string_general(out, s);
}
// The same into a std::string, off the hot path (messages, checks of caller data).
bool append_json_string(std::string &out, std::string_view s);
// Numbers written at q, which must have room for max_number_chars; each returns the end.
inline constexpr std::size_t max_number_chars = 32;
char *put_int(char *q, std::int64_t v);
char *put_uint(char *q, std::uint64_t v);
// nullptr for NaN and infinities, which JSON cannot carry.
char *put_double(char *q, double v);
void append_int(text_buffer &out, std::int64_t v);
void append_uint(text_buffer &out, std::uint64_t v);
// Returns false for NaN and infinities.
bool append_double(text_buffer &out, double v);

// Braced lists (seglog::value::kind::list), read by nlohmann::json's rule for braces: an object
// when every element is a pair (a list of two whose first is a string, or a nlohmann::json
// array of two whose first is a string), an array otherwise; an empty list is an object.
struct pair_view {
    std::string_view key;
    value val;
};
// The nlohmann::json side of the two below (a json string as a key, a json array as a pair).
bool is_json_pair(const value &element) noexcept;
pair_view json_pair_of(const value &element) noexcept;

inline bool is_pair(const value &e) noexcept {
    if (e.type() != value::kind::list) return e.type() == value::kind::json && is_json_pair(e);
    const value_list l = e.as_list();
    return l.size() == 2 && (l[0].type() == value::kind::string || is_json_pair(e));
}
inline bool is_object_list(value_list l) noexcept {
    for (const value &e : l)
        if (!is_pair(e)) return false;
    return true;
}
// The key and the value of a pair (an element of an object list).
inline pair_view pair_of(const value &e) noexcept {
    if (e.type() == value::kind::list && e.as_list()[0].type() == value::kind::string)
        return {e.as_list()[0].as_string(), e.as_list()[1]};
    return json_pair_of(e);
}
// The members of an object, whether a braced list of properties or a nested braced list.
inline std::string_view key_of(const property &m) noexcept { return m.key; }
inline std::string_view key_of(const value &pair) noexcept { return pair_of(pair).key; }
inline const value &value_of(const property &m) noexcept { return m.value; }
inline value value_of(const value &pair) noexcept { return pair_of(pair).val; }

// A hash of a key, from the words put_short_plain reads (inlined together, they are loaded
// once): equal keys, equal hashes, so only keys whose hashes match need comparing in full.
inline std::uint64_t key_hash(std::string_view k) noexcept {
    const std::size_t n = k.size();
    const char *p = k.data();
    std::uint64_t x = n;
    if (n >= 8) {
        std::uint64_t lo, hi;
        std::memcpy(&lo, p, 8);
        std::memcpy(&hi, p + n - 8, 8);
        x ^= lo + hi * 0x9E3779B97F4A7C15ull;
    } else if (n >= 4) {
        std::uint32_t lo, hi;
        std::memcpy(&lo, p, 4);
        std::memcpy(&hi, p + n - 4, 4);
        x ^= lo | std::uint64_t{hi} << 32;
    } else if (n > 0) {
        const auto byte = [p](std::size_t i) { return std::uint64_t{static_cast<unsigned char>(p[i])}; };
        x ^= byte(0) << 8 | byte(n / 2) << 16 | byte(n - 1) << 24;
    }
    return x * 0xD6E8FEB86659FD93ull;
}

// Which members of an object repeat the key of an earlier one: they are left out, so the
// first one written wins, as in nlohmann::json (whose braces keep the first of a repeated
// key). Lists of up to 16 members are compared pairwise (by hash, then in full when the
// hashes match), with no allocation; longer ones are sorted.
class repeated_keys {
public:
    static constexpr std::size_t pairwise_max = 16;
    // key_at(i): the key of member i, for i < n.
    template <typename KeyAt>
    repeated_keys(std::size_t n, KeyAt &&key_at) {
        if (n < 2) return;
        if (n > pairwise_max) {
            std::vector<std::string_view> keys(n);
            for (std::size_t i = 0; i < n; ++i) keys[i] = key_at(i);
            mark_sorted(keys);
            return;
        }
        std::uint64_t f[pairwise_max];
        for (std::size_t i = 0; i < n; ++i) {
            f[i] = key_hash(key_at(i));
            for (std::size_t j = 0; j < i; ++j) {
                if (f[j] == f[i] && key_at(j) == key_at(i)) {
                    mark(i);
                    break;
                }
            }
        }
    }
    std::size_t count() const noexcept { return count_; }
    bool operator[](std::size_t i) const noexcept {
        return count_ != 0 && (i < 64 ? (low_ >> i & 1) != 0 : high_[i - 64]);
    }

private:
    void mark_sorted(const std::vector<std::string_view> &keys);
    void mark(std::size_t i);
    std::uint64_t low_ = 0;  // members 0-63
    std::vector<bool> high_; // members from 64 on, for long lists
    std::size_t count_ = 0;
};

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
    std::string key;       // dotted path of the offending key, e.g. "properties.items.2"; no values
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
    // `depth`: the nesting level of the value itself (a property's value is at 1).
    bool write(const value &v, int depth = 1);
    bool write(const nlohmann::json &j, int depth = 0);
    // Writes the members of an object (without braces), comma-separated, starting with a comma
    // when `leading_comma`. `skip_key` omits one member (used to keep context.library ours).
    bool write_members(const properties &p, bool leading_comma = false, std::string_view skip_key = {});
    // A braced list's range; members whose key repeats an earlier one's are left out.
    bool write_members(const property *it, const property *end, bool leading_comma, std::string_view skip_key = {});
    bool write_members(const nlohmann::json &obj, bool leading_comma, std::string_view skip_key = {}, int depth = 0);
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
    bool write_list(value_list l, int depth);
    bool write_array(value_list l, int depth);
    template <bool CheckRepeats, typename Member>
    bool write_run(const Member *it, const Member *end, bool comma, int depth);
    template <typename Member>
    bool write_members_sorted(const Member *it, const Member *end, bool comma, std::string_view skip_key, int depth);
    template <typename Member>
    bool write_member(const Member &m, bool comma, int depth);
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
