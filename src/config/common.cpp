// Small helpers shared by the config files: error construction, quoting, typo suggestions.

#include "config_detail.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace seglog::detail::cfg {

void fail(const std::string &message) { throw config_error(error_prefix + message); }

std::string lower(std::string s) {
    for (auto &ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

std::string from(const config &c, const std::string &key) {
    auto it = c.origin.find(key);
    return it == c.origin.end() ? std::string() : " (from " + it->second + ")";
}

namespace {
std::size_t edit_distance(const std::string &a, const std::string &b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0u : 1u)});
            diag = up;
        }
    }
    return row[b.size()];
}
} // namespace

std::string closest(const std::string &word, const std::vector<std::string> &candidates) {
    std::string best;
    std::size_t best_d = std::string::npos;
    const std::string w = lower(word);
    for (const auto &c : candidates) {
        std::size_t d = edit_distance(w, c);
        // a missing "_ms" suffix is the most common slip: treat it as a typo too
        if (c.size() > 3 && c.compare(c.size() - 3, 3, "_ms") == 0 && edit_distance(w, c.substr(0, c.size() - 3)) <= 1)
            d = std::min<std::size_t>(d, 1);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    // at most a third of the word wrong (and at least 1 edit allowed), else no suggestion
    std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
    return best_d <= limit ? best : std::string();
}

config::env_reader process_env_reader() {
    return [](const std::string &name) -> std::optional<std::string> {
        const char *v = std::getenv(name.c_str());
        if (!v) return std::nullopt;
        return std::string(v);
    };
}

std::string show(const nlohmann::json &v) {
    if (v.is_null()) return "null";
    const std::string dumped = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    // dump() escapes the C0 controls but leaves DEL raw: escape it too, for terminals and logs.
    std::string text;
    for (char ch : dumped) {
        if (ch == '\x7f') text += "\\u007f";
        else text += ch;
    }
    if (text.size() > 60) {
        std::size_t cut = 57; // not inside a UTF-8 sequence: the message must stay valid UTF-8
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
        text.resize(cut);
        text += "...";
    }
    return std::string(v.type_name()) + " " + text;
}

} // namespace seglog::detail::cfg
