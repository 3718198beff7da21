// `seglog plan generate` as a user runs it: a plan it cannot read or cannot express in C++ is a
// clear error naming the file and the place, with its exit status and no header written;
// names that collide or are not C++ identifiers are mangled the documented way.
#include <doctest/doctest.h>

#include "compile_check.h"
#include "temp_files.h"
#include "tool_run.h"

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using run_result = seglog_test::tool_result;
using seglog_test::file_text;

run_result run_tool(const std::vector<std::string> &args) { return seglog_test::run_seglog(args); }

struct generation {
    seglog_test::temp_dir dir{"seglog-plan-generate"};
    std::string header() const { return dir.file("events.h"); }

    // Generates from a plan of this text.
    run_result generate(const std::string &plan_text, const std::string &ns = "app") {
        std::ofstream(dir.file("plan.json")) << plan_text;
        return run_tool({"plan", "generate", "--plan", dir.file("plan.json"), "--namespace", ns, "--out", header()});
    }
    bool header_written() const { return std::ifstream(header()).good(); }
};

// A Config API plan with one track event whose properties schema is `properties`.
std::string plan_with(const std::string &properties, const std::string &extra = "") {
    return R"({"rules": {"events": [{"name": "Order Completed", "rules": {"type": "object", "properties": )"
           R"({"properties": )" +
           properties + "}" + extra + "}}]}}";
}

void check_refused(const std::string &plan_text, const std::string &what) {
    generation g;
    const run_result r = g.generate(plan_text);
    INFO("stderr: " << r.err);
    CHECK(r.status == 1);
    CHECK(r.err.find("seglog plan generate: tracking plan ") != std::string::npos);
    CHECK(r.err.find(what) != std::string::npos);
    CHECK_FALSE(g.header_written());
}

} // namespace

TEST_SUITE("plan_codegen: seglog plan generate") {

TEST_CASE("a plan that does not load: exit 1, the file and the cause, no header") {
    check_refused(R"({"rules": {"events": [)", "is not valid JSON");
    check_refused(R"({"something": "else"})", "plan.json");
}

TEST_CASE("shapes that have no C++ type: exit 1, the event, the JSON pointer and the reason") {
    check_refused(
        plan_with(R"({"properties": {"n": {"enum": [1, 2]}}})"),
        "event \"Order Completed\" at /properties/properties/properties/n/enum: an enum of non-string values");
    check_refused(plan_with(R"({"properties": {"t": {"type": "array", "items": [{"type": "string"}]}}})"),
                  "/properties/properties/properties/t/items: tuple items");
    check_refused(plan_with(R"({"properties": {"s": {"type": "strng"}}})"), "unknown type \"strng\"");
    check_refused(plan_with(R"({"properties": {"s": {"$ref": "#/definitions/missing"}}})"),
                  "$ref \"#/definitions/missing\" does not resolve");
    check_refused(plan_with(R"({"properties": {"s": {"$ref": "https://example.com/s.json"}}})"),
                  "is not local to the rule");
    check_refused(
        plan_with(
            R"({"properties": {"node": {"$ref": "#/definitions/node"}}})",
            R"(, "definitions": {"node": {"type": "object", "properties": {"next": {"$ref": "#/definitions/node"}}}})"),
        "refers to itself");
    check_refused(plan_with(R"({"type": "array"})"), "the properties must be an object schema");
    check_refused(plan_with(R"({"properties": {"a": {"type": "string"}}, "required": "a"})"),
                  "\"required\" must be an array of strings");
}

TEST_CASE("wrong arguments: exit 2; an output that cannot be written: exit 3") {
    generation g;
    std::ofstream(g.dir.file("plan.json")) << plan_with(R"({"properties": {}})");
    CHECK(run_tool({"plan", "generate", "--namespace", "app", "--out", g.header()}).status == 2);
    const run_result bad_ns = run_tool(
        {"plan", "generate", "--plan", g.dir.file("plan.json"), "--namespace", "my-app", "--out", g.header()});
    CHECK(bad_ns.status == 2);
    CHECK(bad_ns.err.find("--namespace 'my-app' is not a C++ namespace") != std::string::npos);
    CHECK(run_tool({"plan", "generate", "--plan", g.dir.file("plan.json"), "--namespace", "app", "--out",
                    g.dir.file("missing/events.h")})
              .status == 3);
    CHECK(run_tool({"plan", "generate", "--help"}).status == 0);
}

TEST_CASE("the Public API form gives the same functions; an event without properties takes none") {
    generation g;
    const run_result r = g.generate(R"({"data": {"trackingPlan": {"rules": [
        {"type": "TRACK", "key": "Order Completed", "version": 1, "jsonSchema": {"properties": {"properties": {
            "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}}},
        {"type": "TRACK", "key": "App Opened", "version": 1, "jsonSchema": {}},
        {"type": "IDENTIFY", "version": 1, "jsonSchema": {"properties": {"traits": {"properties": {
            "plan": {"type": "string"}}}}}},
        {"type": "PAGE", "key": "Home", "version": 1, "jsonSchema": {}}]}}})",
                                    "shop::events");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const std::string header = file_text(g.header());
    for (const char *decl :
         {"namespace shop::events {",
          "inline void order_completed(::spdlog::logger &seglog_logger, const ::seglog::identity &seglog_who, "
          "::std::string_view order_id, const ::seglog::call_options &seglog_call = {}) {",
          "inline void app_opened(::spdlog::logger &seglog_logger, const ::seglog::identity &seglog_who, const "
          "::seglog::call_options &seglog_call = {}) {",
          "inline void identify(::spdlog::logger &seglog_logger, const ::seglog::identity &seglog_who, const "
          "identify_options &seglog_options = {}, const ::seglog::call_options &seglog_call = {}) {",
          "// Not generated: a page rule (\"Home\"): no function (checked at run time)."})
        CHECK_MESSAGE(header.find(decl) != std::string::npos, decl << "\n" << header);
}

TEST_CASE("colliding and non-identifier names are mangled deterministically, and the header compiles") {
    generation g;
    const std::string plan = R"({"rules": {"events": [
        {"name": "Order Completed", "rules": {"properties": {"properties": {"properties": {
            "class": {"type": "string"}, "Order ID": {"type": "string"}, "order_id": {"type": "integer"},
            "3D view": {"type": "boolean"}, "kind": {"enum": ["new", "delete", "New", ""]}},
            "required": ["class", "Order ID", "order_id", "3D view", "kind"]}}}},
        {"name": "order completed", "rules": {}},
        {"name": "Order Completed Kind", "rules": {}},
        {"name": "to json", "rules": {}},
        {"name": "orderCompleted", "rules": {}}]}})";
    REQUIRE(g.generate(plan).status == 0);
    const std::string first = file_text(g.header());
    for (const char *decl :
         {"inline void order_completed(", "inline void order_completed_2(", "inline void order_completed_kind(",
          "inline void to_json_2(", "inline void order_completed_3(", "enum class order_completed_kind_2 {",
          "::std::string_view class_, ::std::string_view order_id, ::seglog::typed::integer order_id_2, "
          "::seglog::typed::boolean n_3d_view, order_completed_kind_2 kind,",
          "    new_, // \"new\"", "    delete_, // \"delete\"", "    new_2, // \"New\"", "    unnamed, // \"\""})
        CHECK_MESSAGE(first.find(decl) != std::string::npos, decl << "\n" << first);
    REQUIRE(g.generate(plan).status == 0);
    CHECK(file_text(g.header()) == first);

    std::ofstream(g.dir.file("use.cpp")) << "#include \"events.h\"\n"
                                            "void use(spdlog::logger &l) {\n"
                                            "    app::order_completed(l, seglog::user(\"u\"), \"c\", \"o\", 7, true,\n"
                                            "                         app::order_completed_kind_2::new_2);\n"
                                            "}\n";
    const auto r = seglog_test::compile(g.dir.file("use.cpp"), {"-I" + g.dir.path, "-Werror"});
    INFO(r.output);
    CHECK(r.status == 0);
}

} // TEST_SUITE
