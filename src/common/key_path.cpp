#include "common/key_path.h"

#include "common/text.h"

#include <seglog/redaction.h>

namespace seglog {

namespace {

constexpr std::size_t max_path_keys = 64;

bool is_section(const std::string &s) { return s == "properties" || s == "traits" || s == "context"; }

} // namespace

namespace detail {

std::string parse_path(const std::string &path, std::vector<path_segment> &out) {
    out.clear();
    if (path.empty()) return "it is empty";
    std::size_t start = 0;
    for (;;) {
        const std::size_t dot = path.find('.', start);
        const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (key.empty()) return "it has an empty key (two dots in a row, or a dot at either end)";
        path_segment seg;
        if (key == "*") seg.type = path_segment::kind::one;
        else if (key == "**") seg.type = path_segment::kind::any;
        else if (key.find('*') != std::string::npos)
            return quote(key) + " mixes a wildcard with other characters; * stands for one whole key, ** for "
                                "any number of keys";
        else seg.key = key;
        out.push_back(std::move(seg));
        if (out.size() > max_path_keys) return "it has more than " + std::to_string(max_path_keys) + " keys";
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    if (out[0].type == path_segment::kind::key && !is_section(out[0].key))
        return "it must start with properties, traits or context (or * or ** for any of them)";
    if (out.size() == 1) {
        const std::string sec = out[0].type == path_segment::kind::key ? out[0].key : "properties";
        return "it names a whole section; name keys inside it, such as \"" + sec + ".email\", or \"" + sec +
               ".*\" for all of them";
    }
    return {};
}

} // namespace detail

std::string check_redact_path(const std::string &path) {
    std::vector<detail::path_segment> segs;
    const std::string why = detail::parse_path(path, segs);
    return why.empty() ? why : "malformed path " + detail::quote(path) + ": " + why;
}

std::string check_allow_path(const std::string &path) {
    std::vector<detail::path_segment> segs;
    std::string why = detail::parse_path(path, segs);
    if (why.empty() && segs[0].type == detail::path_segment::kind::key && segs[0].key == "context")
        why = "the allow-list covers properties and traits; use a redact rule for context keys";
    return why.empty() ? why : "malformed path " + detail::quote(path) + ": " + why;
}

} // namespace seglog
