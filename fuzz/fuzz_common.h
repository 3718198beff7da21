#pragma once
// Helpers shared by the fuzz targets: invariant checks that abort (so libFuzzer records the
// input) and an independent UTF-8 validator to check the library's own against.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace seglog_fuzz {

[[noreturn]] inline void violated(const char *target, const char *what, const std::string &detail) {
    std::fprintf(stderr, "%s: invariant violated: %s\n  %s\n", target, what, detail.c_str());
    std::fflush(stderr);
    std::abort();
}

// Reference UTF-8 check, written from RFC 3629 independently of src/event/json_writer.cpp:
// decodes each code point and rejects overlong forms, surrogates and values past U+10FFFF.
inline bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else return false;
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        static constexpr std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

inline bool has_control_char(std::string_view s) {
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) return true;
    }
    return false;
}

// Printable rendering of arbitrary bytes for a violation report.
inline std::string show(std::string_view s, std::size_t max = 200) {
    std::string out;
    for (char ch : s.substr(0, max)) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7F && c != '\\') {
            out += ch;
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    if (s.size() > max) out += "...";
    return out;
}

} // namespace seglog_fuzz

#define FUZZ_CHECK(target, cond, detail)                                                                               \
    do {                                                                                                               \
        if (!(cond)) ::seglog_fuzz::violated(target, #cond, (detail));                                                 \
    } while (0)
