// Segment's tracking-plan JSON, both forms, read into rules; a file that is not a plan is a clear
// config_error naming it.
#include "plan/plan_file.h"

#include <seglog/config.h>

#include <doctest/doctest.h>

#include "temp_files.h"

#include <string>

namespace {

using nlohmann::json;
using seglog::detail::plan::load_plan_file;
using seglog::detail::plan::parse_plan;
using seglog::detail::plan::rule_kind;

std::string error_of(const std::string &text) {
    seglog_test::temp_dir dir("seglog-plan");
    try {
        load_plan_file(dir.write("plan.json", text));
    } catch (const seglog::config_error &e) {
        std::string what = e.what();
        auto at = what.find(dir.path);
        return at == std::string::npos ? what : what.replace(at, dir.path.size(), "DIR");
    }
    return "(loaded)";
}

} // namespace

TEST_CASE("the Config API form: events by name and version, identify, group and global") {
    auto plan = parse_plan(json::parse(R"({"rules": {"events": [
        {"name": "Order Completed", "description": "d1", "version": 1, "rules": {"type": "object"}},
        {"name": "Order Completed", "version": 2, "rules": {"required": ["properties"]}}],
        "identify": {"type": "object"}, "group_traits": {}, "global": {}}})"));
    REQUIRE(plan.rules.size() == 5);
    REQUIRE(plan.track_rule("Order Completed") != nullptr);
    CHECK(plan.track_rule("Order Completed")->version == 2);
    CHECK(plan.track_rule("order completed") == nullptr);
    CHECK(plan.first(rule_kind::identify)->schema == json{{"type", "object"}});
    CHECK(plan.first(rule_kind::group) != nullptr);
    CHECK(plan.first(rule_kind::global) != nullptr);
}

TEST_CASE("the Public API form, wrapped in data.trackingPlan") {
    auto plan = parse_plan(json::parse(R"({"data": {"trackingPlan": {"rules": [
        {"type": "TRACK", "key": "Signup", "version": 3, "jsonSchema": {"type": "object"}},
        {"type": "IDENTIFY", "jsonSchema": null}, {"type": "COMMON", "jsonSchema": true}]}}})"));
    REQUIRE(plan.rules.size() == 3);
    CHECK(plan.track_rule("Signup")->version == 3);
    CHECK(plan.first(rule_kind::identify)->schema == json::object());
    CHECK(plan.first(rule_kind::global)->schema == true);
}

TEST_CASE("a file that is not a plan fails with the file and what is wrong") {
    CHECK(
        error_of("{\"rules\": ") ==
        "tracking plan DIR/plan.json: is not valid JSON: parse error at line 1, column 11: syntax error while parsing value - unexpected end of "
        "input; expected '[', '{', or a literal");
    CHECK(error_of("{}").find("tracking plan DIR/plan.json: has no \"rules\"") == 0);
    CHECK(error_of(R"({"rules": [{"type": "TRACK"}]})") ==
          "tracking plan DIR/plan.json: rules[0] is a TRACK rule without a \"key\" (the event name)");
    CHECK(error_of(R"({"rules": [{"type": "ALIAS", "key": "x"}]})").find("is not TRACK, IDENTIFY") !=
          std::string::npos);
    CHECK(error_of(R"({"rules": {"events": [{"name": "A", "rules": 5}]}})") ==
          "tracking plan DIR/plan.json: rules.events[0].rules is not a JSON Schema (an object or a boolean)");
    CHECK_THROWS_WITH_AS(load_plan_file("/nonexistent/plan.json"),
                         "tracking plan /nonexistent/plan.json: cannot be read", seglog::config_error);
}
