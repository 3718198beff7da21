#include "plan/plan_file.h"

#include <seglog/config.h>

#include <fstream>
#include <sstream>

namespace seglog::detail::plan {

using json = nlohmann::json;

namespace {

[[noreturn]] void fail(const std::string &source, const std::string &what) {
    throw config_error("tracking plan " + source + ": " + what);
}

json schema_of(const json &value, const std::string &source, const std::string &where) {
    if (value.is_null()) return json::object();
    if (!value.is_object() && !value.is_boolean())
        fail(source, where + " is not a JSON Schema (an object or a boolean)");
    return value;
}

int version_of(const json &r) {
    auto v = r.find("version");
    return v != r.end() && v->is_number_integer() ? v->get<int>() : 1;
}

std::string text_of(const json &r, const char *key) {
    auto v = r.find(key);
    return v != r.end() && v->is_string() ? v->get<std::string>() : std::string();
}

// {"events": [...], "identify": {...}, "group": {...}, "global": {...}}
void read_config_api_form(const json &rules, const std::string &source, plan_file &out) {
    if (auto events = rules.find("events"); events != rules.end()) {
        if (!events->is_array()) fail(source, "rules.events is not an array");
        for (std::size_t i = 0; i < events->size(); ++i) {
            const json &e = (*events)[i];
            std::string where = "rules.events[" + std::to_string(i) + "]";
            if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || e["name"].get<std::string>().empty())
                fail(source, where + " has no \"name\"");
            out.rules.push_back({rule_kind::track, e["name"].get<std::string>(), text_of(e, "description"),
                                 version_of(e), schema_of(e.value("rules", json()), source, where + ".rules")});
        }
    }
    const std::pair<const char *, rule_kind> single[] = {{"identify", rule_kind::identify},
                                                         {"identify_traits", rule_kind::identify},
                                                         {"group", rule_kind::group},
                                                         {"group_traits", rule_kind::group},
                                                         {"global", rule_kind::global}};
    for (const auto &[key, kind] : single)
        if (auto r = rules.find(key); r != rules.end() && !r->is_null())
            out.rules.push_back({kind, {}, {}, 1, schema_of(*r, source, std::string("rules.") + key)});
}

rule_kind kind_of(const std::string &type, const std::string &source, const std::string &where) {
    static const std::pair<const char *, rule_kind> kinds[] = {
        {"TRACK", rule_kind::track}, {"IDENTIFY", rule_kind::identify}, {"GROUP", rule_kind::group},
        {"PAGE", rule_kind::page},   {"SCREEN", rule_kind::screen},     {"COMMON", rule_kind::global}};
    for (const auto &[name, kind] : kinds)
        if (type == name) return kind;
    fail(source, where + ".type \"" + type + "\" is not TRACK, IDENTIFY, GROUP, PAGE, SCREEN or COMMON");
}

// [{"type": "TRACK", "key": "Order Completed", "version": 1, "jsonSchema": {...}}, ...]
void read_public_api_form(const json &rules, const std::string &source, plan_file &out) {
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const json &r = rules[i];
        std::string where = "rules[" + std::to_string(i) + "]";
        if (!r.is_object() || !r.contains("type") || !r["type"].is_string()) fail(source, where + " has no \"type\"");
        rule_kind kind = kind_of(r["type"].get<std::string>(), source, where);
        std::string name = text_of(r, "key");
        if (kind == rule_kind::track && name.empty())
            fail(source, where + " is a TRACK rule without a \"key\" (the event name)");
        out.rules.push_back({kind, name, text_of(r, "description"), version_of(r),
                             schema_of(r.value("jsonSchema", json()), source, where + ".jsonSchema")});
    }
}

} // namespace

const char *to_string(rule_kind kind) {
    switch (kind) {
    case rule_kind::track: return "track";
    case rule_kind::identify: return "identify";
    case rule_kind::group: return "group";
    case rule_kind::page: return "page";
    case rule_kind::screen: return "screen";
    case rule_kind::global: return "global";
    }
    return "?";
}

const rule *plan_file::track_rule(const std::string &event) const {
    const rule *best = nullptr;
    for (const rule &r : rules)
        if (r.kind == rule_kind::track && r.name == event && (!best || r.version > best->version)) best = &r;
    return best;
}

const rule *plan_file::first(rule_kind kind) const {
    for (const rule &r : rules)
        if (r.kind == kind) return &r;
    return nullptr;
}

plan_file parse_plan(const json &doc, const std::string &source) {
    const json *root = &doc;
    for (const char *wrapper : {"data", "trackingPlan", "tracking_plan"})
        if (root->is_object() && root->contains(wrapper) && (*root)[wrapper].is_object()) root = &(*root)[wrapper];
    if (!root->is_object() || !root->contains("rules"))
        fail(source, "has no \"rules\" (expected Segment's tracking plan JSON: {\"rules\": {\"events\": [...]}} "
                     "or {\"rules\": [{\"type\": \"TRACK\", ...}]})");
    plan_file out;
    out.source = source;
    const json &rules = (*root)["rules"];
    if (rules.is_object()) read_config_api_form(rules, source, out);
    else if (rules.is_array()) read_public_api_form(rules, source, out);
    else fail(source, "\"rules\" is neither an object nor an array");
    return out;
}

plan_file load_plan_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path, "cannot be read");
    std::stringstream text;
    text << in.rdbuf();
    json doc;
    try {
        doc = json::parse(text.str());
    } catch (const json::parse_error &e) {
        std::string what = e.what();
        auto at = what.find("] ");
        fail(path, "is not valid JSON: " + (at == std::string::npos ? what : what.substr(at + 2)));
    }
    return parse_plan(doc, path);
}

} // namespace seglog::detail::plan
