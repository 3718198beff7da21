// destination::parse / to_string and the comma-separated list form used by
// SEGLOG_DESTINATION and the file's "destination" key.

#include "config_detail.h"

namespace seglog {

namespace detail::cfg {

std::string parse_destination(const std::string &raw, destination &out) {
    const std::string text(trim(raw));
    if (text == "segment") {
        out = destination::segment();
    } else if (text == "console") {
        out = destination::console();
    } else if (text == "off") {
        out = destination::off();
    } else if (text.rfind("file:", 0) == 0) {
        std::string p(trim(std::string_view(text).substr(5)));
        if (p.empty())
            return "destination " + quote(text) + " needs a path, e.g. \"file:/var/log/seglog-events.jsonl\"";
        out = destination::file(p);
    } else {
        return "unknown destination " + quote(text) + " (expected segment, file:<path>, console or off)";
    }
    return {};
}

std::vector<destination> parse_destination_list(const std::string &text, const std::string &where) {
    std::vector<destination> list;
    std::size_t start = 0;
    while (true) {
        std::size_t comma = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (trim(item).empty()) fail(where + ": empty destination in list " + quote(text));
        destination d;
        std::string why = parse_destination(item, d);
        if (!why.empty()) fail(where + ": " + why);
        list.push_back(std::move(d));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return list;
}

} // namespace detail::cfg

destination destination::parse(const std::string &text) {
    destination d;
    std::string why = detail::cfg::parse_destination(text, d);
    if (!why.empty()) detail::cfg::fail(why);
    return d;
}

std::string destination::to_string() const {
    switch (type) {
    case kind::segment: return "segment";
    case kind::file: return "file:" + path;
    case kind::console: return "console";
    case kind::off: return "off";
    }
    return "?";
}

} // namespace seglog

namespace seglog {

spool_sync_policy spool_sync_policy::parse(const std::string &text) {
    const std::string t(detail::trim(text));
    if (t == "none") return {kind::none, std::chrono::milliseconds(0)};
    if (t == "batch") return {kind::batch, std::chrono::milliseconds(0)};
    long long ms = 0;
    bool digits = !t.empty() && t.size() <= 12;
    for (char ch : t) {
        if (ch < '0' || ch > '9') digits = false;
        else ms = ms * 10 + (ch - '0');
    }
    if (!digits || ms < 1 || ms > detail::cfg::max_duration_ms)
        detail::cfg::fail("spool_sync: expected \"none\", \"batch\" or an interval of 1 to " +
                          std::to_string(detail::cfg::max_duration_ms) + " ms, got " + detail::quote(t));
    return {kind::interval, std::chrono::milliseconds(ms)};
}

std::string spool_sync_policy::to_string() const {
    switch (type) {
    case kind::none: return "none";
    case kind::batch: return "batch";
    case kind::interval: return std::to_string(every.count());
    }
    return "none";
}

} // namespace seglog
