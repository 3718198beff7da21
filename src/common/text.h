#pragma once
// Text helpers every stage may use: the one UTF-8 check, the one trim, and the one escaper
// that puts caller data (keys, paths, configuration values, a parser's excerpt) into a
// message without breaking it: one line, valid UTF-8, whatever the bytes.

#include <cstddef>
#include <string>
#include <string_view>

namespace seglog::detail {

// Length of the UTF-8 sequence starting at p (whose lead byte is >= 0x80), or 0 when the
// sequence is invalid (overlong, surrogate, beyond U+10FFFF, truncated).
inline std::size_t utf8_sequence_length(const unsigned char *p, const unsigned char *end) noexcept {
    const unsigned char c = p[0];
    auto cont = [&](std::size_t i) { return p + i < end && (p[i] & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        if (c == 0xE0 && p[1] < 0xA0) return 0; // overlong
        if (c == 0xED && p[1] > 0x9F) return 0; // UTF-16 surrogates
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        if (c == 0xF0 && p[1] < 0x90) return 0; // overlong
        if (c == 0xF4 && p[1] > 0x8F) return 0; // > U+10FFFF
        return 4;
    }
    return 0;
}

bool is_utf8(std::string_view s) noexcept;

// `s` without leading and trailing whitespace (space, \t, \r, \n, \f, \v).
std::string_view trim(std::string_view s) noexcept;

// Appends `s` for a message: control characters and DEL as \xNN (a newline must not forge a
// log line), bytes >= 0x80 as they are when `s` is valid UTF-8 and as \xNN otherwise. With
// `quote`, '"' and '\' are backslash-escaped too, for a value shown between quotes.
void append_escaped(std::string &out, std::string_view s, bool quote = false);
// "s", escaped as above with quote.
std::string quote(std::string_view s);

} // namespace seglog::detail
