#include "event/foreign_record.h"

#include "common/record_layout.h"

#include <nlohmann/json.hpp>

namespace seglog::detail {

namespace {

// Nesting deeper than the serialiser ever writes (32 levels under a section) is refused before
// parsing: the tree is written out again by recursion.
constexpr int max_record_depth = 64;

bool too_deep(std::string_view text) {
    int depth = 0;
    bool in_string = false, escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_record_depth) return true;
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return false;
}

} // namespace

std::string relayout_record(std::string_view record, std::string &out) {
    if (too_deep(record)) return "the record nests deeper than " + std::to_string(max_record_depth) + " levels";
    // ordered_json keeps the members in the order they came in.
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(record.begin(), record.end(), nullptr, false);
    if (j.is_discarded()) return "the record is not valid JSON (or not valid UTF-8)";
    if (!j.is_object()) return "the record is not a JSON object";
    const auto id = j.find("messageId");
    if (id == j.end() || !id->is_string()) return "the record has no \"messageId\" string";
    // The parser has checked every string's UTF-8: dump() cannot throw here.
    const std::string id_json = id->dump();
    j.erase(id);
    const std::string rest = j.dump();
    const std::size_t id_bytes = id_json.size() - 2;
    if (id_bytes == 0) return "the record's \"messageId\" is empty";
    if (id_bytes > max_message_id_bytes)
        return "the record's \"messageId\" is over " + std::to_string(max_message_id_bytes) + " bytes";
    if (id_json.find('\\') != std::string::npos)
        return "the record's \"messageId\" holds a character JSON escapes (a quote, a backslash or a control "
               "character)";
    out.assign("{\"messageId\":").append(id_json);
    if (rest.size() > 2) out.append(",").append(rest, 1, rest.size() - 1);
    else out.push_back('}');
    return {};
}

} // namespace seglog::detail
