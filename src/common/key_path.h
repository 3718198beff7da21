#pragma once
// Key paths into an event, as redaction rules and the allow-list name them (and later other
// path lists of a profile): "<section>.<key>.<key>...", where `*` stands for one key and `**`
// for any number of keys (none included). The syntax lives here, once; what a path does is
// up to the stage that uses it. The public checks (check_redact_path, check_allow_path) are
// defined in key_path.cpp.

#include <cstdint>
#include <string>
#include <vector>

namespace seglog::detail {

struct path_segment {
    enum class kind : std::uint8_t { key, one, any } type = kind::key; // key, `*`, `**`
    std::string key;
};

// Splits a path into segments; returns why it is malformed, or "".
std::string parse_path(const std::string &path, std::vector<path_segment> &out);

} // namespace seglog::detail
