#pragma once
// A tracking plan compiled for checking events: every rule's schema compiled once, when the plan
// loads, so a keyword the validator does not support or a $ref that does not resolve is an error
// at startup rather than a silent pass later.
//
// Which rules an event meets (docs/tracking-plan.md):
// - track: the track rule with its exact name (the highest version); none is "unplanned";
// - identify, group: rules.identify, rules.group when the plan has them;
// - page, screen: a rule of that kind with the event's name, else one without a name, if any;
// - every event, alias included: rules.global when the plan has it.

#include "plan/plan_file.h"
#include "plan/schema.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace seglog::detail::plan {

// Why an event failed its plan: unplanned (a track event no rule names), or the failing
// locations (JSON pointers into the event, and keywords) of the rule or rules it met.
struct check_result {
    bool unplanned = false;
    std::vector<violation> violations;
    bool ok() const { return !unplanned && violations.empty(); }
    // "unplanned event" or "/properties/revenue: type; /properties/order_id: required": pointers
    // and keywords only, never a value from the event. At most `limit` locations are listed.
    std::string describe(std::size_t limit = 8) const;
};

class checker {
public:
    // Compiles each rule's schema. Throws seglog::config_error naming the plan, the rule, the
    // JSON pointer in its schema and the keyword.
    explicit checker(const plan_file &plan);
    // load_plan_file() then compile.
    static checker load(const std::string &path);

    const std::string &source() const { return source_; }

    // Checks one event in the Segment Spec's JSON ("type", "event", "properties", "traits"...).
    // Returns true when it meets the plan; otherwise fills `out` when given.
    bool check(const nlohmann::json &event, check_result *out = nullptr) const;

private:
    struct compiled_rule {
        rule_kind kind;
        std::string name;
        int version;
        compiled_schema schema;
    };
    const compiled_rule *find(rule_kind kind, const std::string &name) const;

    std::string source_;
    std::vector<compiled_rule> rules_;
};

} // namespace seglog::detail::plan
