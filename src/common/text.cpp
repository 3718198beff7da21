#include "common/text.h"

namespace seglog::detail {

bool is_utf8(std::string_view s) noexcept {
    const auto *p = reinterpret_cast<const unsigned char *>(s.data());
    const auto *end = p + s.size();
    while (p < end) {
        if (*p < 0x80) {
            ++p;
            continue;
        }
        const std::size_t n = utf8_sequence_length(p, end);
        if (n == 0) return false;
        p += n;
    }
    return true;
}

std::string_view trim(std::string_view s) noexcept {
    constexpr std::string_view ws = " \t\r\n\f\v";
    const auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

void append_escaped(std::string &out, std::string_view s, bool quote) {
    static constexpr char hex[] = "0123456789abcdef";
    const bool utf8 = is_utf8(s);
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (quote && (c == '"' || c == '\\')) {
            out.push_back('\\');
            out.push_back(ch);
        } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) {
            out.append("\\x");
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xF]);
        } else {
            out.push_back(ch);
        }
    }
}

std::string quote(std::string_view s) {
    std::string out = "\"";
    append_escaped(out, s, true);
    out.push_back('"');
    return out;
}

} // namespace seglog::detail
