// Wrong shapes of properties fail to compile with seglog's own message rather than a list of
// overloads. Each file of tests/compile_fail/ says on its first line which message it must
// produce (`// expect: ...`) and is compiled with the command the build uses for
// tests/headers/track_without_json.cpp (read from compile_commands.json), -fsyntax-only;
// shapes_ok.cpp (the same shapes written right) and converted_ok.cpp (conversions through
// nlohmann::json) must compile with it.
#include <doctest/doctest.h>

#include "compile_check.h"

#include <string>

namespace {

using seglog_test::compile;
using seglog_test::expected_message;
using seglog_test::result;

void check_fails_with_its_message(const std::string &name) {
    const std::string source = SEGLOG_COMPILE_FAIL_DIR "/" + name;
    const std::string expected = expected_message(source);
    const result r = compile(source);
    INFO(name << ":\n" << r.output);
    CHECK(r.status != 0);
    CHECK(r.output.find(expected) != std::string::npos);
    CHECK(r.output.find("error:") != std::string::npos);
}

} // namespace

TEST_SUITE("properties: wrong shapes fail to compile, with seglog's message") {

TEST_CASE("the right shapes compile with the same command") {
    for (const char *name : {"shapes_ok.cpp", "converted_ok.cpp"}) {
        const result r = compile(std::string(SEGLOG_COMPILE_FAIL_DIR "/") + name);
        INFO(name << ":\n" << r.output);
        CHECK(r.status == 0);
    }
}

TEST_CASE("an array where properties are expected") { check_fails_with_its_message("array_at_top.cpp"); }
TEST_CASE("a property without the braces around the list") { check_fails_with_its_message("missing_outer_braces.cpp"); }
TEST_CASE("a key that is not a string") { check_fails_with_its_message("key_not_string.cpp"); }
TEST_CASE("a member with a third item") { check_fails_with_its_message("three_items.cpp"); }
TEST_CASE("an enum as a value") { check_fails_with_its_message("enum_value.cpp"); }
TEST_CASE("a struct inside nested braces of the context") {
    check_fails_with_its_message("struct_in_nested_value.cpp");
}
TEST_CASE("a struct without to_json, nlohmann/json.hpp included") {
    check_fails_with_its_message("struct_without_to_json.cpp");
}
TEST_CASE("a container without nlohmann/json.hpp") { check_fails_with_its_message("container_without_json_hpp.cpp"); }

} // TEST_SUITE
