#include "event/json_writer.h"

#include "common/inline.h"
#include "common/text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <numeric>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace seglog::detail {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

// Bytes a JSON string can carry verbatim: printable ASCII other than '"' and '\\'.
constexpr struct plain_table {
    bool is[256];
    constexpr plain_table() : is() {
        for (int c = 0x20; c < 0x80; ++c) is[c] = c != '"' && c != '\\';
    }
} plain_bytes;
inline bool plain(unsigned char c) { return plain_bytes.is[c]; }

// Copies the plain bytes at the start of p[0..n) to q, 8 at a time (the tail as an overlapping
// word) while no byte needs escaping, then byte by byte; returns how many were plain.
SEGLOG_INLINE std::size_t copy_plain_prefix(const unsigned char *p, std::size_t n, char *q) {
    std::size_t i = 0;
    if (n >= 8) {
        for (; i + 8 <= n; i += 8) {
            std::uint64_t x;
            std::memcpy(&x, p + i, 8);
            if (json_needs_care(x)) break;
            std::memcpy(q + i, &x, 8);
        }
        if (i < n && i + 8 > n) { // a short tail: the last 8 bytes, overlapping checked ones
            std::uint64_t x;
            std::memcpy(&x, p + n - 8, 8);
            if (!json_needs_care(x)) {
                std::memcpy(q + n - 8, &x, 8);
                i = n;
            }
        }
    } // shorter strings that get here are under 4 bytes or need care: the byte loop below
    for (; i < n && plain(p[i]); ++i) q[i] = static_cast<char>(p[i]);
    return i;
}

// The JSON escape of a byte below 0x20, '"' or '\'.
void append_escape(text_buffer &out, unsigned char c) {
    switch (c) {
    case '"': out.append("\\\""); break;
    case '\\': out.append("\\\\"); break;
    case '\n': out.append("\\n"); break;
    case '\r': out.append("\\r"); break;
    case '\t': out.append("\\t"); break;
    case '\b': out.append("\\b"); break;
    case '\f': out.append("\\f"); break;
    default: // other control characters, NUL included
        out.append("\\u00");
        out.push_back(hex_digits[c >> 4]);
        out.push_back(hex_digits[c & 0xF]);
    }
}

// The rest of a string from its first byte that is not plain: runs of bytes that need nothing
// (valid UTF-8 included) copied whole, escapes between them. False at invalid UTF-8.
bool append_escaped_rest(text_buffer &out, const unsigned char *p, const unsigned char *end) {
    const auto *run = p; // start of the current run of bytes copied verbatim
    auto flush_run = [&](const unsigned char *upto) {
        out.append(reinterpret_cast<const char *>(run), static_cast<std::size_t>(upto - run));
    };
    while (p < end) {
        const unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            ++p;
            continue;
        }
        if (c >= 0x80) {
            const std::size_t len = utf8_sequence_length(p, end);
            if (len == 0) return false;
            p += len;
            continue;
        }
        flush_run(p);
        append_escape(out, c);
        run = ++p;
    }
    flush_run(end);
    return true;
}

} // namespace

bool append_json_string_general(text_buffer &out, std::string_view s) {
    // Scan and copy in one pass while no byte needs escaping; then escape the rest. (Up to 16
    // plain bytes never get here.)
    const std::size_t n = s.size();
    const auto *p = reinterpret_cast<const unsigned char *>(s.data());
    char *q = out.tail(n + 2);
    q[0] = '"';
    const std::size_t i = copy_plain_prefix(p, n, q + 1);
    if (i == n) { // the common case: nothing to escape or check
        q[n + 1] = '"';
        out.commit(n + 2);
        return true;
    }
    out.commit(1 + i); // the quote and the plain prefix are written
    if (!append_escaped_rest(out, p + i, p + n)) return false;
    out.push_back('"');
    return true;
}

bool append_json_string(std::string &out, std::string_view s) {
    text_buffer b;
    const bool ok = append_json_string(b, s);
    out.append(b.view());
    return ok;
}

namespace {
constexpr struct digit_pairs_table {
    char at[200];
    constexpr digit_pairs_table() : at() {
        for (int i = 0; i < 100; ++i) {
            at[2 * i] = static_cast<char>('0' + i / 10);
            at[2 * i + 1] = static_cast<char>('0' + i % 10);
        }
    }
} digit_pairs;

// Decimal digits of v: log10 from its bit length (1233 / 4096 ~ log10(2)), corrected by one
// comparison.
inline unsigned decimal_length(std::uint64_t v) {
    static constexpr std::uint64_t pow10[] = {1ull,
                                              10ull,
                                              100ull,
                                              1000ull,
                                              10000ull,
                                              100000ull,
                                              1000000ull,
                                              10000000ull,
                                              100000000ull,
                                              1000000000ull,
                                              10000000000ull,
                                              100000000000ull,
                                              1000000000000ull,
                                              10000000000000ull,
                                              100000000000000ull,
                                              1000000000000000ull,
                                              10000000000000000ull,
                                              100000000000000000ull,
                                              1000000000000000000ull,
                                              10000000000000000000ull};
    const unsigned t = static_cast<unsigned>(64 - __builtin_clzll(v | 1)) * 1233 >> 12;
    return t + (v >= pow10[t]) + (v == 0);
}

// Rounds to the nearest integer, ties to even (in the default rounding mode, as nearbyint).
inline std::int64_t round_to_int(double x) {
#if defined(__SSE2__)
    return _mm_cvtsd_si64(_mm_set_sd(x)); // one instruction; llrint is a call into libm
#else
    return std::llrint(x);
#endif
}
} // namespace

// Two digits at a time from the end (the length is known first), as std::to_chars does, but
// with the length found without a loop.
char *put_uint(char *q, std::uint64_t v) {
    char *const end = q + decimal_length(v);
    char *p = end;
    while (v >= 100) {
        p -= 2;
        std::memcpy(p, digit_pairs.at + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) std::memcpy(p - 2, digit_pairs.at + 2 * v, 2);
    else p[-1] = static_cast<char>('0' + v);
    return end;
}

char *put_int(char *q, std::int64_t v) {
    if (v >= 0) return put_uint(q, static_cast<std::uint64_t>(v));
    *q = '-';
    return put_uint(q + 1, 0 - static_cast<std::uint64_t>(v)); // INT64_MIN too
}

char *put_double(char *q, double v) {
    if (!std::isfinite(v)) return nullptr;
    // Fast path for the usual amounts and ratios: at most 3 decimals, 1e-3 <= |v| < 1e5. There
    // the shortest round-trip form is fixed notation N/10^k with the least k for which N/10^k
    // reads back as v, which is what to_chars below would write, at a fraction of its cost.
    // m = round(|v| * 1000) reads back as |v| exactly when some N/10^k with k <= 3 does (two
    // such fractions that round to the same double are equal: they differ by 1e-3 or more,
    // the double's spacing here is under 1e-10), and then N/10^k is m with its trailing zeros
    // dropped.
    const double a = std::fabs(v);
    if (a >= 1e-3 && a < 1e5) {
        const auto m = static_cast<std::uint64_t>(round_to_int(a * 1000));
        if (static_cast<double>(m) / 1000 == a) {
            if (v < 0) *q++ = '-';
            q = put_uint(q, m / 1000);
            const auto frac = static_cast<unsigned>(m % 1000);
            if (frac) { // its decimals without trailing zeros: .5, .25, .125
                const char d[3] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                                   static_cast<char>('0' + frac % 10)};
                const int k = frac % 100 == 0 ? 1 : frac % 10 == 0 ? 2 : 3;
                *q = '.';
                std::memcpy(q + 1, d, 3); // room for all three; the length says how many count
                q += 1 + k;
            }
            return q;
        }
    }
    return std::to_chars(q, q + max_number_chars, v).ptr; // shortest round-trip form
}

void append_int(text_buffer &out, std::int64_t v) {
    char *p = out.tail(max_number_chars);
    out.commit(static_cast<std::size_t>(put_int(p, v) - p));
}

void append_uint(text_buffer &out, std::uint64_t v) {
    char *p = out.tail(max_number_chars);
    out.commit(static_cast<std::size_t>(put_uint(p, v) - p));
}

bool append_double(text_buffer &out, double v) {
    char *p = out.tail(max_number_chars);
    char *end = put_double(p, v);
    if (!end) return false;
    out.commit(static_cast<std::size_t>(end - p));
    return true;
}

bool json_writer::fail(seglog::reason r) {
    failure_.code = r;
    failure_.key.clear();
    failure_.size = 0;
    failure_.limit = limit_;
    return false;
}

bool json_writer::fail_size(std::size_t string_size) {
    fail(seglog::reason::event_too_large);
    failure_.size = string_size;
    return false;
}

bool json_writer::members_ok(std::size_t n) {
    if (n <= max_object_keys) return true;
    fail(seglog::reason::too_many_keys);
    failure_.size = max_object_keys;
    return false;
}

namespace {
// A key as it may appear in a message: short and valid UTF-8 (prepend escapes control
// characters), else a placeholder.
std::string printable_key(std::string_view k) {
    std::string probe;
    if (k.size() > 64 || !append_json_string(probe, k)) return "<key>";
    return std::string(k);
}
} // namespace

bool json_writer::prepend(std::string_view segment) {
    // Keys are caller data and the path ends up in a log line (a newline would forge one).
    std::string k;
    append_escaped(k, segment);
    if (!failure_.key.empty()) k.append(".").append(failure_.key);
    failure_.key = std::move(k);
    return false;
}

bool json_writer::key_refused(std::string_view k) {
    if (!within_limit()) return prepend(printable_key(k));
    if (keys_ >= max_total_keys) {
        ++keys_;
        fail(seglog::reason::too_many_keys);
        failure_.size = max_total_keys;
        return prepend(printable_key(k));
    }
    fail_size(k.size()); // the key alone is over the limit
    failure_.key = "<key>";
    return false;
}

bool json_writer::key_invalid() {
    fail(seglog::reason::invalid_utf8);
    failure_.key = "<invalid key>"; // never copy the invalid bytes into a message
    return false;
}

bool is_json_pair(const value &e) noexcept {
    if (e.type() == value::kind::list) // a list of two whose first is a json string
        return e.as_list()[0].type() == value::kind::json && e.as_list()[0].as_json().is_string();
    const auto &j = e.as_json();
    return j.is_array() && j.size() == 2 && j[0].is_string();
}

pair_view json_pair_of(const value &e) noexcept {
    if (e.type() == value::kind::list) return {e.as_list()[0].as_json().get_ref<const std::string &>(), e.as_list()[1]};
    const auto &j = e.as_json();
    return {j[0].get_ref<const std::string &>(), value(j[1])};
}

void repeated_keys::mark(std::size_t i) {
    ++count_;
    if (i < 64) {
        low_ |= std::uint64_t{1} << i;
    } else {
        high_[i - 64] = true;
    }
}

void repeated_keys::mark_sorted(const std::vector<std::string_view> &keys) {
    // Indices ordered by key, and by position among equal keys: the first of each run of equal
    // keys is the one written.
    std::vector<std::uint32_t> order(keys.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return keys[a] < keys[b]; });
    if (keys.size() > 64) high_.assign(keys.size() - 64, false);
    for (std::size_t i = 1; i < order.size(); ++i)
        if (keys[order[i]] == keys[order[i - 1]]) mark(order[i]);
}

bool json_writer::write(const value &v, int depth) {
    switch (v.type()) {
    case value::kind::null: out_.append("null"); return true;
    case value::kind::boolean: out_.append(v.as_bool() ? "true" : "false"); return true;
    case value::kind::integer: append_int(out_, v.as_int()); return true;
    case value::kind::unsigned_integer: append_uint(out_, v.as_uint()); return true;
    case value::kind::floating: return append_double(out_, v.as_double()) || fail(seglog::reason::non_finite_number);
    case value::kind::string: return string(v.as_string());
    case value::kind::json: return write(v.as_json(), depth);
    case value::kind::list: return write_list(v.as_list(), depth);
    }
    return true;
}

bool json_writer::write(const nlohmann::json &j, int depth) {
    using t = nlohmann::json::value_t;
    switch (j.type()) {
    case t::null:
    case t::discarded: out_.append("null"); return true;
    case t::boolean: out_.append(j.get<bool>() ? "true" : "false"); return true;
    case t::number_integer: append_int(out_, j.get<std::int64_t>()); return true;
    case t::number_unsigned: append_uint(out_, j.get<std::uint64_t>()); return true;
    case t::number_float: return append_double(out_, j.get<double>()) || fail(seglog::reason::non_finite_number);
    case t::string: return string(j.get_ref<const std::string &>());
    case t::binary: return fail(seglog::reason::not_an_object); // JSON cannot carry bytes
    case t::array: {
        if (depth >= max_json_depth) return fail(seglog::reason::too_deep);
        out_.push_back('[');
        std::size_t i = 0;
        for (const auto &e : j) {
            if (!within_limit()) return prepend(std::to_string(i));
            if (i) out_.push_back(',');
            if (!write(e, depth + 1)) return prepend(std::to_string(i));
            ++i;
        }
        out_.push_back(']');
        return true;
    }
    case t::object:
        if (depth >= max_json_depth) return fail(seglog::reason::too_deep);
        out_.push_back('{');
        if (!write_members(j, false, {}, depth)) return false;
        out_.push_back('}');
        return true;
    }
    return true;
}

namespace {
// A scalar or short plain string written at q (room: max_number_chars); nullptr for what needs
// the general way (nested JSON, longer or escaped strings, NaN and infinities).
inline char *put_scalar(char *q, const value &v) {
    switch (v.type()) {
    case value::kind::null: return put_literal(q, "null");
    case value::kind::boolean: return v.as_bool() ? put_literal(q, "true") : put_literal(q, "false");
    case value::kind::integer: return put_int(q, v.as_int());
    case value::kind::unsigned_integer: return put_uint(q, v.as_uint());
    case value::kind::floating: return put_double(q, v.as_double());
    case value::kind::string: return put_short_plain(q, v.as_string().data(), v.as_string().size());
    case value::kind::json:
    case value::kind::list: return nullptr;
    }
    return nullptr;
}
constexpr std::size_t short_key = 16; // the longest key put_short_plain takes
} // namespace

bool json_writer::write_members(const properties &p, bool leading_comma, std::string_view skip_key) {
    if (p.is_json()) {
        const auto &j = p.json();
        if (j.is_null()) return true; // a default-constructed json means "no properties"
        if (!j.is_object()) return fail(seglog::reason::not_an_object);
        return write_members(j, leading_comma, skip_key);
    }
    return write_members(p.list().begin(), p.list().end(), leading_comma, skip_key);
}

bool json_writer::write_members(const property *it, const property *end, bool leading_comma,
                                std::string_view skip_key) {
    // The usual list, short (well under max_object_keys) and with nothing to skip, is written in
    // one pass that leaves out a repeated key as it meets it; any other is sorted out first.
    if (skip_key.empty() && static_cast<std::size_t>(end - it) <= repeated_keys::pairwise_max)
        return write_run<true>(it, end, leading_comma, 1);
    return write_members_sorted(it, end, leading_comma, skip_key, 1);
}

// A braced list at `depth`: the same bytes, limits and failing paths as the nlohmann::json
// the same braces build (keys in the order written, a repeated key's first value).
bool json_writer::write_list(value_list l, int depth) {
    if (depth >= max_json_depth) return fail(seglog::reason::too_deep);
    if (!is_object_list(l)) return write_array(l, depth);
    out_.push_back('{');
    if (!(l.size() <= repeated_keys::pairwise_max ? write_run<true>(l.begin(), l.end(), false, depth + 1)
                                                  : write_members_sorted(l.begin(), l.end(), false, {}, depth + 1)))
        return false;
    out_.push_back('}');
    return true;
}

bool json_writer::write_array(value_list l, int depth) {
    // Scalars and short plain strings straight into reserved room, anything else the general way.
    const bool short_ok = limit_ >= short_key;
    out_.push_back('[');
    for (std::size_t i = 0; i < l.size(); ++i) {
        if (!within_limit()) return prepend(std::to_string(i));
        char *const q = out_.tail(1 + max_number_chars);
        *q = ',';
        char *const s = q + (i != 0);
        if (char *e = short_ok ? put_scalar(s, l[i]) : nullptr) {
            out_.commit(static_cast<std::size_t>(e - q));
            continue;
        }
        out_.commit(static_cast<std::size_t>(s - q));
        if (!write(l[i], depth + 1)) return prepend(std::to_string(i));
    }
    out_.push_back(']');
    return true;
}

namespace {
// Whether the key of *m is the key of a member in [first, m).
template <typename Member>
bool repeats_earlier(const Member *first, const Member *m) noexcept {
    const std::string_view k = key_of(*m);
    for (; first != m; ++first)
        if (key_of(*first) == k) return true;
    return false;
}
} // namespace

// Members (properties, or the pairs of a nested braced list) whose values are at `depth`,
// leaving out members named `skip_key` and every repeated key.
template <typename Member>
bool json_writer::write_members_sorted(const Member *it, const Member *end, bool comma, std::string_view skip_key,
                                       int depth) {
    const auto n = static_cast<std::size_t>(end - it);
    const repeated_keys repeated(n, [it](std::size_t i) { return key_of(it[i]); });
    if (!members_ok(n - repeated.count())) return false;
    if (repeated.count() == 0 && skip_key.empty()) return write_run<false>(it, end, comma, depth);
    for (std::size_t i = 0; it != end; ++it, ++i) { // each member the checked way
        if (repeated[i] || (!skip_key.empty() && key_of(*it) == skip_key)) continue;
        if (!write_member(*it, comma, depth)) return false;
        comma = true;
    }
    return true;
}

// Members (properties, or the pairs of a nested braced list) whose values are at `depth`.
// CheckRepeats: each member whose key an earlier member has is left out, found by a 64-bit set
// of key hashes (a hit is checked in full); otherwise the keys are known to be distinct.
template <bool CheckRepeats, typename Member>
bool json_writer::write_run(const Member *it, const Member *end, bool leading_comma, int depth) {
    // The usual members (a short plain key, a scalar or short plain value) are written here,
    // up to `run` at a time through one cursor into room reserved for them all, with the limits
    // checked once for the run and no calls into the general writers: this loop is most of the
    // caller's serialising work. Anything else takes the checked way, key() and write(), which
    // record the failure; both ways write the same bytes. limit_ >= short_key: the key and a
    // short string are within it, as key() and string() check.
    constexpr std::size_t run = 16, member_room = 1 + (short_key + 2) + 1 + max_number_chars;
    const bool short_ok = limit_ >= short_key;
    const Member *const first = it;
    std::uint64_t seen = 0;
    auto repeated = [&](const Member &m) {
        if constexpr (!CheckRepeats) return false;
        const std::uint64_t bit = std::uint64_t{1} << (key_hash(key_of(m)) >> 58);
        if ((seen & bit) != 0 && repeats_earlier(first, &m)) return true;
        seen |= bit;
        return false;
    };
    bool comma = leading_comma;
    while (it != end) {
        const std::size_t n = std::min<std::size_t>(run, static_cast<std::size_t>(end - it));
        if (short_ok && out_.size() + n * member_room <= limit_ && keys_ + n <= max_total_keys) {
            char *const start = out_.tail(n * member_room);
            char *q = start;
            const Member *const stop = it + n;
            for (; it != stop; ++it) {
                const std::string_view k = key_of(*it);
                if (k.size() > short_key) break;
                if (repeated(*it)) continue;
                *q = ',';
                char *s = put_short_plain(q + comma, k.data(), k.size());
                if (!s) break;
                ++keys_;
                comma = true;
                *s++ = ':';
                decltype(auto) v = value_of(*it); // a property's own value, or a pair's
                if (char *e = put_scalar(s, v)) {
                    q = e;
                    continue;
                }
                out_.commit(static_cast<std::size_t>(s - start)); // the key is written: the value the
                if (!write(v, depth)) return prepend(k);          // general way, then a new run
                q = nullptr;
                ++it;
                break;
            }
            if (q) out_.commit(static_cast<std::size_t>(q - start));
            if (!q || it == stop) continue;
        }
        // A member the run could not take (met here a second time when its key needed escaping).
        if (!repeated(*it)) {
            if (!write_member(*it, comma, depth)) return false;
            comma = true;
        }
        ++it;
    }
    return true;
}

// The checked way for one member.
template <typename Member>
bool json_writer::write_member(const Member &m, bool comma, int depth) {
    if (comma) out_.push_back(',');
    const std::string_view k = key_of(m);
    if (!key(k)) return false;
    return write(value_of(m), depth) || prepend(k);
}

bool json_writer::write_members(const nlohmann::json &obj, bool leading_comma, std::string_view skip_key, int depth) {
    if (!members_ok(obj.size())) return false;
    bool comma = leading_comma;
    for (const auto &[k, v] : obj.items()) {
        if (!skip_key.empty() && k == skip_key) continue;
        if (comma) out_.push_back(',');
        comma = true;
        if (!key(k)) return false;
        if (!write(v, depth + 1)) return prepend(k);
    }
    return true;
}

} // namespace seglog::detail
