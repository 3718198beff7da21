#include "plan/checker.h"

namespace seglog::detail::plan {

using json = nlohmann::json;

namespace {

std::string rule_label(const plan_file &plan, const rule &r) {
    std::string label = "tracking plan " + plan.source + ": " + to_string(r.kind) + " rule";
    if (!r.name.empty()) label += " \"" + r.name + "\"";
    return label;
}

} // namespace

std::string check_result::describe(std::size_t limit) const {
    if (unplanned) return "unplanned event (no rule in the tracking plan has its name)";
    std::string out;
    for (std::size_t i = 0; i < violations.size() && i < limit; ++i) {
        if (i) out += "; ";
        out += (violations[i].pointer.empty() ? std::string("(the event)") : violations[i].pointer) + ": " +
               violations[i].keyword;
    }
    if (violations.size() > limit) out += "; and " + std::to_string(violations.size() - limit) + " more";
    return out;
}

checker::checker(const plan_file &plan) : source_(plan.source) {
    rules_.reserve(plan.rules.size());
    for (const rule &r : plan.rules)
        rules_.push_back({r.kind, r.name, r.version, compiled_schema(r.schema, rule_label(plan, r))});
}

checker checker::load(const std::string &path) { return checker(load_plan_file(path)); }

const checker::compiled_rule *checker::find(rule_kind kind, const std::string &name) const {
    const compiled_rule *best = nullptr;
    for (const compiled_rule &r : rules_)
        if (r.kind == kind && r.name == name && (!best || r.version > best->version)) best = &r;
    return best;
}

bool checker::check(const json &event, check_result *out) const {
    static const std::string none;
    // References into the event: checking a valid event copies nothing.
    auto text = [&](const char *key) -> const std::string & {
        auto it = event.find(key);
        return it != event.end() && it->is_string() ? it->get_ref<const std::string &>() : none;
    };
    const std::string &type = text("type");
    const compiled_rule *specific = nullptr;
    if (type == "track") {
        specific = find(rule_kind::track, text("event"));
        if (!specific) {
            if (out) out->unplanned = true;
            return false;
        }
    } else if (type == "identify") {
        specific = find(rule_kind::identify, none);
    } else if (type == "group") {
        specific = find(rule_kind::group, none);
    } else if (type == "page" || type == "screen") {
        rule_kind kind = type == "page" ? rule_kind::page : rule_kind::screen;
        specific = find(kind, text("name"));
        if (!specific) specific = find(kind, none);
    }
    std::vector<violation> *sink = out ? &out->violations : nullptr;
    bool ok = true;
    if (specific) ok = specific->schema.validate(event, sink);
    if (!ok && !out) return false;
    if (const compiled_rule *global = find(rule_kind::global, none)) ok = global->schema.validate(event, sink) && ok;
    return ok;
}

} // namespace seglog::detail::plan
