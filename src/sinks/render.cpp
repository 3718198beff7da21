// Development rendering of an event record as one readable line.
#include "sinks/render.h"

#include <nlohmann/json.hpp>

namespace seglog::detail {

std::string render_event_line(std::string_view record) {
    const auto j = nlohmann::json::parse(record.begin(), record.end(), nullptr, false);
    if (!j.is_object()) return "event (unreadable record)";
    auto str = [&](const char *key) { return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : ""; };
    std::string line = "event " + str("type");
    const std::string type = str("type");
    if (type == "track") line += " \"" + str("event") + "\"";
    else if ((type == "page" || type == "screen") && j.contains("name")) line += " \"" + str("name") + "\"";
    else if (type == "group") line += " groupId=" + str("groupId");
    else if (type == "alias") line += " previousId=" + str("previousId");
    if (j.contains("userId")) line += " userId=" + str("userId");
    if (j.contains("anonymousId")) line += " anonymousId=" + str("anonymousId");
    for (const char *body : {"properties", "traits"})
        if (j.contains(body)) line += std::string(" ") + body + "=" + j[body].dump();
    line += " messageId=" + str("messageId");
    return line;
}

spdlog::source_loc event_line_source(const spdlog::details::log_msg &record) noexcept {
    if (!record.source.funcname || record.source.line <= 0) return {};
    return {record.source.funcname, record.source.line, nullptr};
}

} // namespace seglog::detail
