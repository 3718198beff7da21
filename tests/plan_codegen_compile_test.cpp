// The header generated from examples/plans/health.json at build time compiles cleanly at
// -Wall -Wextra -Wpedantic -Werror with GCC and Clang, and the plan's mistakes do not compile:
// a wrong type, a missing required property, a string for an enum, an int for a bool, a double
// for an integer, a nested object without its required member. The tests/compile_fail/plan_*.cpp
// files say on their first line what the compiler must say (`// expect: ...`); they are
// compiled with the build's command for tests/headers/track_without_json.cpp (compile_check.h).
#include <doctest/doctest.h>

#include "compile_check.h"

#include <cstdlib>
#include <string>
#include <vector>

namespace {

using seglog_test::compile;
using seglog_test::result;

const std::string generated_dir = "-I" SEGLOG_GENERATED_DIR;

bool have(const char *compiler) {
    return std::system(("command -v " + std::string(compiler) + " >/dev/null 2>&1").c_str()) == 0;
}

void check_fails_with_its_message(const std::string &name) {
    const std::string source = SEGLOG_COMPILE_FAIL_DIR "/" + name;
    const std::string expected = seglog_test::expected_message(source);
    const result r = compile(source, {generated_dir});
    INFO(name << ":\n" << r.output);
    CHECK(r.status != 0);
    CHECK(r.output.find(expected) != std::string::npos);
    CHECK(r.output.find("error:") != std::string::npos);
}

} // namespace

TEST_SUITE("plan_codegen: the generated header compiles, the plan's mistakes do not") {

TEST_CASE("right calls compile at -Werror with the build's compiler, GCC and Clang, tracking on or off") {
    const std::string ok = SEGLOG_COMPILE_FAIL_DIR "/plan_ok.cpp";
    // The build's compiler (which built this test), and the other of GCC and Clang when installed.
#if defined(__clang__)
    const char *other = "g++";
#else
    const char *other = "clang++";
#endif
    std::vector<std::string> compilers = {""};
    if (have(other)) compilers.push_back(other);
    for (const auto &compiler : compilers)
        for (const char *active : {"-DSEGLOG_ACTIVE=1", "-DSEGLOG_ACTIVE=0"}) {
            const result r = compile(ok, {generated_dir, "-Wall", "-Wextra", "-Wpedantic", "-Werror", active},
                                     compiler);
            INFO((compiler.empty() ? "the build's compiler" : compiler) << " " << active << ":\n" << r.output);
            CHECK(r.status == 0);
        }
}

TEST_CASE("a wrong type") { check_fails_with_its_message("plan_wrong_type.cpp"); }
TEST_CASE("a missing required property") { check_fails_with_its_message("plan_missing_required.cpp"); }
TEST_CASE("a string for a string enum") { check_fails_with_its_message("plan_enum_as_string.cpp"); }
TEST_CASE("an int for a boolean") { check_fails_with_its_message("plan_boolean_from_int.cpp"); }
TEST_CASE("a double for an integer") { check_fails_with_its_message("plan_integer_from_double.cpp"); }
TEST_CASE("a nested object without its required member") {
    check_fails_with_its_message("plan_nested_missing_required.cpp");
}

} // TEST_SUITE
