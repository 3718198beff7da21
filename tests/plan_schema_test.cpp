// The validator and the compiled plan: failures reported as JSON pointers and keywords (never a
// value), and schemas the validator cannot honour refused when the plan loads.
#include "plan/checker.h"
#include "plan/schema.h"

#include <seglog/config.h>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using nlohmann::json;
using seglog::detail::plan::check_result;
using seglog::detail::plan::checker;
using seglog::detail::plan::compiled_schema;
using seglog::detail::plan::parse_plan;
using seglog::detail::plan::violation;

std::vector<violation> failures(const json &schema, const json &value) {
    std::vector<violation> out;
    compiled_schema(schema, "test").validate(value, &out);
    return out;
}

std::string load_error(const json &plan) {
    try {
        checker c(parse_plan(plan, "plan.json"));
    } catch (const seglog::config_error &e) {
        return e.what();
    }
    return "(loaded)";
}

json order_plan() {
    return json::parse(R"({"rules": {
      "events": [{"name": "Order Completed", "rules": {"type": "object", "properties": {"properties": {
        "type": "object", "required": ["order_id", "revenue"], "additionalProperties": false,
        "properties": {"order_id": {"type": "string", "pattern": "^o-[0-9]+$"},
                       "revenue": {"type": "number", "minimum": 0},
                       "diagnosis": {"type": "string", "enum": ["flu", "cold"]}}}}}}],
      "identify": {"properties": {"traits": {"required": ["plan"]}}},
      "group": {"properties": {"traits": {"properties": {"seats": {"type": "integer"}}}}},
      "global": {"properties": {"context": {"properties": {"app": {"type": "object"}}}}}}})");
}

} // namespace

TEST_CASE("each failing location is a JSON pointer into the value with the keyword that failed") {
    json schema = json::parse(R"({"type": "object", "required": ["a", "b/c"],
        "properties": {"list": {"items": {"type": "integer"}}, "n": {"maximum": 3}}})");
    auto found = failures(schema, json::parse(R"({"a": 1, "list": [1, "x", 2.5], "n": 4})"));
    CHECK(found ==
          std::vector<violation>{{"/b~1c", "required"}, {"/list/1", "type"}, {"/list/2", "type"}, {"/n", "maximum"}});
    CHECK(failures(schema, json::parse(R"({"a": 1, "b/c": 2})")).empty());
    CHECK(failures(json::parse(R"({"type": "string"})"), 5) == std::vector<violation>{{"", "type"}});
}

TEST_CASE("anyOf, oneOf and not fail as one location; allOf reports its branches' locations") {
    json any = json::parse(R"({"properties": {"x": {"anyOf": [{"type": "string"}, {"minimum": 10}]}}})");
    CHECK(failures(any, json::parse(R"({"x": 3})")) == std::vector<violation>{{"/x", "anyOf"}});
    json one = json::parse(R"({"oneOf": [{"type": "integer"}, {"minimum": 2}]})");
    CHECK(failures(one, 3) == std::vector<violation>{{"", "oneOf"}});
    CHECK(failures(json::parse(R"({"not": {"type": "null"}})"), nullptr) == std::vector<violation>{{"", "not"}});
    json all = json::parse(R"({"allOf": [{"required": ["a"]}, {"properties": {"b": {"const": 1}}}]})");
    CHECK(failures(all, json::parse(R"({"b": 2})")) == std::vector<violation>{{"/a", "required"}, {"/b", "const"}});
}

TEST_CASE("a report names pointers and keywords, never a value of the event") {
    checker plan(parse_plan(order_plan(), "plan.json"));
    json event = {{"type", "track"},
                  {"event", "Order Completed"},
                  {"properties", {{"order_id", "PATIENT-SECRET"}, {"diagnosis", "HIV-SECRET"}, {"ssn", "123-SECRET"}}}};
    check_result result;
    CHECK_FALSE(plan.check(event, &result));
    std::string text = result.describe();
    CHECK(text == "/properties/revenue: required; /properties/diagnosis: enum; /properties/order_id: pattern; "
                  "/properties/ssn: additionalProperties");
    CHECK(text.find("SECRET") == std::string::npos);
}

TEST_CASE("events meet their track rule by exact name, identify and group rules, and the global rule") {
    checker plan(parse_plan(order_plan(), "plan.json"));
    json good = {{"type", "track"},
                 {"event", "Order Completed"},
                 {"properties", {{"order_id", "o-1"}, {"revenue", 4.5}}}};
    CHECK(plan.check(good));
    check_result unplanned;
    CHECK_FALSE(
        plan.check({{"type", "track"}, {"event", "order completed"}, {"properties", json::object()}}, &unplanned));
    CHECK(unplanned.unplanned);
    check_result identify;
    CHECK_FALSE(plan.check({{"type", "identify"}, {"traits", {{"name", "x"}}}}, &identify));
    CHECK(identify.describe() == "/traits/plan: required");
    CHECK(plan.check({{"type", "identify"}, {"traits", {{"plan", "pro"}}}}));
    check_result group;
    CHECK_FALSE(plan.check({{"type", "group"}, {"traits", {{"seats", 2.5}}}}, &group));
    CHECK(group.describe() == "/traits/seats: type");
    check_result global;
    good["context"] = {{"app", "not an object"}};
    CHECK_FALSE(plan.check(good, &global));
    CHECK(global.describe() == "/context/app: type");
    CHECK(plan.check({{"type", "page"}, {"name", "Home"}}));     // no page rule: nothing to meet
    CHECK(plan.check({{"type", "alias"}, {"previousId", "a"}})); // global only
}

TEST_CASE("a plan using a keyword the validator does not support fails to load, naming rule, pointer and keyword") {
    json plan = order_plan();
    plan["rules"]["events"][0]["rules"]["properties"]["properties"]["properties"]["order_id"]["minContains"] = 1;
    CHECK(load_error(plan) == "tracking plan plan.json: track rule \"Order Completed\": schema at "
                              "\"/properties/properties/properties/order_id\": unsupported keyword \"minContains\" "
                              "(docs/tracking-plan.md lists the supported ones)");
    json annotated = order_plan();
    annotated["rules"]["events"][0]["rules"]["x-pii"] = true;
    annotated["rules"]["events"][0]["rules"]["format"] = "date-time";
    annotated["rules"]["events"][0]["rules"]["$comment"] = "annotations are accepted";
    CHECK(load_error(annotated) == "(loaded)");
}

TEST_CASE("an unresolvable $ref, a malformed keyword or a bad pattern fails to load") {
    json plan = order_plan();
    json &schema = plan["rules"]["events"][0]["rules"];
    schema["properties"]["context"] = {{"$ref", "#/definitions/missing"}};
    CHECK(load_error(plan) == "tracking plan plan.json: track rule \"Order Completed\": schema at \"\": "
                              "\"$ref\": \"#/definitions/missing\" does not resolve to a schema in the plan");
    schema["properties"]["context"] = {{"$ref", "https://example.com/schema.json"}};
    CHECK(load_error(plan).find("only references within the plan") != std::string::npos);
    schema["properties"]["context"] = {{"minLength", -1}};
    CHECK(load_error(plan).find("\"/properties/context/minLength\": \"minLength\" must be a non-negative integer") !=
          std::string::npos);
    schema["properties"]["context"] = {{"pattern", "(unclosed"}};
    CHECK(load_error(plan).find("\"pattern\" is not a regular expression") != std::string::npos);
    schema["properties"]["context"] = {{"type", "text"}};
    CHECK(load_error(plan).find("\"type\" must name") != std::string::npos);
}

TEST_CASE("definitions and local $ref, recursion included, are compiled once and followed") {
    json schema = json::parse(R"({"definitions": {"node": {"type": "object",
        "properties": {"next": {"$ref": "#/definitions/node"}, "v": {"type": "integer"}}}},
        "$ref": "#/definitions/node"})");
    CHECK(failures(schema, json::parse(R"({"v": 1, "next": {"v": 2, "next": {"v": "x"}}})")) ==
          std::vector<violation>{{"/next/next/v", "type"}});
}

TEST_CASE("bounds written as floats, huge ones included, are read as counts") {
    CHECK(failures(json::parse(R"({"maxLength": 2.0})"), "abc") == std::vector<violation>{{"", "maxLength"}});
    CHECK(failures(json::parse(R"({"maxLength": 1e300, "minItems": 1e300})"), "abc").empty());
    CHECK(failures(json::parse(R"({"minItems": 1e300})"), json::array()) == std::vector<violation>{{"", "minItems"}});
    CHECK(failures(json::parse(R"({"maxLength": 2})"), "\xc3\xa9\xc3\xa9").empty()); // two code points
}

TEST_CASE("a $ref loop that never descends into the value is refused; a deep value fails at a bounded depth") {
    for (const char *schema :
         {R"({"$ref": "#"})", R"({"allOf": [{"$ref": "#"}]})",
          R"({"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"not": {"$ref": "#/definitions/a"}}},
                                   "properties": {"x": {"$ref": "#/definitions/a"}}})"}) {
        CAPTURE(schema);
        CHECK_THROWS_WITH_AS(compiled_schema(json::parse(schema), "test"),
                             "test: schema at \"\": \"$ref\" loops back to itself without descending into the value",
                             seglog::config_error);
    }
    compiled_schema nested(json::parse(R"({"items": {"$ref": "#"}})"), "test");
    json deep = json::array();
    for (int i = 0; i < 100000; ++i) deep = json::array({std::move(deep)});
    CHECK_FALSE(nested.validate(deep));
    std::vector<violation> found;
    CHECK_FALSE(nested.validate(deep, &found));
    REQUIRE(found.size() == 1);
    CHECK(found[0].keyword == "depth");
    CHECK(found[0].pointer.size() == 129 * 2);
}
