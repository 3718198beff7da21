#pragma once
// A tracking plan as Segment writes it, read into one list of rules whatever the form:
//
// - the Config API's and Typewriter's: {"rules": {"events": [{"name", "description", "version",
//   "rules": <JSON Schema over the whole event>}], "identify": <schema>, "group": <schema>,
//   "global": <schema>}} ("identify_traits" and "group_traits" are read as identify and group);
// - the Public API's: {"rules": [{"type": "TRACK"|"IDENTIFY"|"GROUP"|"PAGE"|"SCREEN"|"COMMON",
//   "key", "version", "jsonSchema"}]}, also wrapped in {"data": {...}} or {"trackingPlan": {...}}.
//
// Each rule's schema covers the whole event (its "properties" holds "properties", "traits",
// "context"): the stages that check events and generate code read it from there.
// Loading checks the shape only; which JSON Schema keywords are supported is the validator's
// business.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace seglog::detail::plan {

// What a rule applies to: a named track event, every identify, every group, page or screen
// (named or not), or every event (global / COMMON).
enum class rule_kind { track, identify, group, page, screen, global };

struct rule {
    rule_kind kind = rule_kind::track;
    std::string name;        // the event name for track (page and screen: the name, or "")
    std::string description; // "" when the plan has none
    int version = 1;
    nlohmann::json schema; // a JSON Schema (draft-07) over the whole event; {} accepts anything
};

struct plan_file {
    std::string source; // the file's path, or "<memory>", for messages
    std::vector<rule> rules;

    // The rule for a track event of this name (exact match; the highest version when several),
    // or nullptr.
    const rule *track_rule(const std::string &event) const;
    // The one rule of a kind (identify, group, global), or nullptr.
    const rule *first(rule_kind kind) const;
};

// "TRACK", "identify"... as a rule_kind name: "track", "identify", "group", "page", "screen",
// "global".
const char *to_string(rule_kind kind);

// Reads and parses a plan file. Throws seglog::config_error naming the file and what is wrong:
// unreadable, not JSON (with nlohmann's line and column), neither form, a rule without a name
// or with a schema that is not an object, an unknown rule type.
plan_file load_plan_file(const std::string &path);
// The same for a plan already parsed; `source` names it in messages.
plan_file parse_plan(const nlohmann::json &doc, const std::string &source = "<memory>");

} // namespace seglog::detail::plan
