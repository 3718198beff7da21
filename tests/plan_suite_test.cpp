// The official JSON Schema test suite (Debian's json-schema-test-suite), draft-07, for every
// keyword file the validator supports. Every case passes except those listed below with their
// reason; a listed case that starts passing fails too, so the list stays exact.
#include "plan/schema.h"

#include <seglog/config.h>

#include <doctest/doctest.h>

#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
using seglog::detail::plan::compiled_schema;

#ifndef SEGLOG_SCHEMA_SUITE_DIR
#define SEGLOG_SCHEMA_SUITE_DIR "/usr/share/json-schema-test-suite/tests/draft7"
#endif

const char *const supported_files[] = {
    "additionalItems",
    "additionalProperties",
    "allOf",
    "anyOf",
    "boolean_schema",
    "const",
    "default",
    "definitions",
    "enum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "items",
    "maxItems",
    "maxLength",
    "maxProperties",
    "maximum",
    "minItems",
    "minLength",
    "minProperties",
    "minimum",
    "multipleOf",
    "not",
    "oneOf",
    "pattern",
    "patternProperties",
    "properties",
    "ref",
    "required",
    "type",
    "uniqueItems",
};

struct exception_case {
    const char *file;
    const char *group; // the test group's description
    const char *test;  // the case's description; "*" when the whole group's schema is refused
    const char *reason;
};

// The cases the validator does not pass, on purpose.
const std::vector<exception_case> exceptions = {
#include "plan_suite_exceptions.inc"
};

json read_json(const std::string &path) {
    std::ifstream in(path);
    REQUIRE_MESSAGE(in.good(), path << " is missing: install json-schema-test-suite (scripts/install-deps.sh)");
    return json::parse(in);
}

std::string key_of(const std::string &file, const std::string &group, const std::string &test) {
    return file + " / " + group + " / " + test;
}

} // namespace

TEST_CASE("the draft-07 cases of every supported keyword pass, but for the listed exceptions") {
    std::set<std::string> expected;
    for (const exception_case &e : exceptions) expected.insert(key_of(e.file, e.group, e.test));
    std::set<std::string> seen;
    int passed = 0;
    for (const char *file : supported_files) {
        json groups = read_json(std::string(SEGLOG_SCHEMA_SUITE_DIR) + "/" + file + ".json");
        for (const json &group : groups) {
            const std::string group_name = group["description"].get<std::string>();
            std::unique_ptr<compiled_schema> schema;
            try {
                schema = std::make_unique<compiled_schema>(group["schema"], "suite");
            } catch (const seglog::config_error &e) {
                const std::string key = key_of(file, group_name, "*");
                seen.insert(key);
                CHECK_MESSAGE(expected.count(key), "schema refused: " << key << ": " << std::string(e.what()));
                continue;
            }
            for (const json &test : group["tests"]) {
                const std::string key = key_of(file, group_name, test["description"].get<std::string>());
                bool valid = schema->validate(test["data"]);
                std::vector<seglog::detail::plan::violation> found;
                bool valid_collecting = schema->validate(test["data"], &found);
                CHECK_MESSAGE(valid == valid_collecting, "collecting changes the verdict: " << key);
                CHECK_MESSAGE(valid == found.empty(), "a failure without a location: " << key);
                if (valid == test["valid"].get<bool>()) {
                    ++passed;
                    CHECK_MESSAGE(!expected.count(key), "listed as an exception but passes: " << key);
                    continue;
                }
                seen.insert(key);
                CHECK_MESSAGE(expected.count(key), "fails: " << key << " (expected valid=" << test["valid"] << ")");
            }
        }
    }
    for (const std::string &key : expected) CHECK_MESSAGE(seen.count(key), "stale exception: " << key);
    MESSAGE(passed << " cases passed, " << seen.size() << " listed exceptions");
    CHECK(passed > 300);
}
