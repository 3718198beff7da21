// seglog::config from environment variables, and the precedence of code, file and environment.

#include <doctest/doctest.h>

#include "config_checks.h"

#include <seglog/config.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <pwd.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using seglog::config;
using seglog::config_error;
using seglog::destination;
using seglog_test::temp_dir;
using namespace seglog_test;
using namespace std::chrono_literals;

namespace fs = std::filesystem;

TEST_SUITE("config") {

// ---------------------------------------------------------------- environment variables

TEST_CASE("from_env with no variables keeps the code's values") {
    temp_dir dir;
    config base = base_in(dir);
    base.flush_at = 42;
    config c = from_env({}, base);
    CHECK(c.environment == "");
    CHECK(c.tracking);
    CHECK(c.write_key == "");
    CHECK(c.host == "https://api.segment.io");
    CHECK(c.flush_at == 42);
    CHECK(c.effective_destinations() == std::vector<destination>{destination::file(dir / "events.jsonl")});
}

TEST_CASE("from_env reads each variable") {
    temp_dir dir;
    config c = from_env({{"SEGMENT_WRITE_KEY", planted_key},
                         {"SEGMENT_HOST", "https://events.eu1.segmentapis.com"},
                         {"SEGLOG_ENV", "staging"},
                         {"SEGLOG_DESTINATION", "segment"},
                         {"SEGLOG_TRACKING", "on"}},
                        base_in(dir));
    CHECK(c.write_key == planted_key);
    CHECK(c.host == "https://events.eu1.segmentapis.com");
    CHECK(c.environment == "staging");
    CHECK(c.destinations == std::vector<destination>{destination::segment()});
    CHECK(c.tracking);
    CHECK(c.origin.at("host") == "SEGMENT_HOST");
    CHECK(c.origin.at("environment") == "SEGLOG_ENV");
}

TEST_CASE("environment name: SEGLOG_ENV, then APP_ENV, then ENVIRONMENT") {
    temp_dir dir;
    CHECK(from_env({{"SEGLOG_ENV", "a"}, {"APP_ENV", "b"}, {"ENVIRONMENT", "c"}}, base_in(dir)).environment == "a");
    CHECK(from_env({{"APP_ENV", "b"}, {"ENVIRONMENT", "c"}}, base_in(dir)).environment == "b");
    CHECK(from_env({{"ENVIRONMENT", "c"}}, base_in(dir)).environment == "c");
    config base = base_in(dir);
    base.environment = "from-code";
    CHECK(from_env({}, base).environment == "from-code");
    CHECK(from_env({{"ENVIRONMENT", "c"}}, base).environment == "c");
}

TEST_CASE("an empty or blank variable counts as unset; values are trimmed") {
    temp_dir dir;
    config base = base_in(dir);
    base.host = "https://collector.example.com";
    base.write_key = "from-code-key-123";
    config c = from_env({{"SEGLOG_ENV", ""},
                         {"APP_ENV", "  "},
                         {"ENVIRONMENT", "prod"},
                         {"SEGMENT_HOST", ""},
                         {"SEGMENT_WRITE_KEY", " \n"},
                         {"SEGLOG_DESTINATION", ""},
                         {"SEGLOG_TRACKING", ""},
                         {"SEGLOG_CONFIG", ""}},
                        base);
    CHECK(c.environment == "prod");
    CHECK(c.host == "https://collector.example.com");
    CHECK(c.write_key == "from-code-key-123");
    CHECK(c.destinations.empty());
    CHECK(c.tracking);

    // a key read from a secret file often ends with a newline
    config d = from_env({{"SEGMENT_WRITE_KEY", planted_key + "\n"}}, base_in(dir));
    CHECK(d.write_key == planted_key);
}

TEST_CASE("SEGLOG_TRACKING accepts on/off, true/false, 1/0 in any case") {
    temp_dir dir;
    for (std::string v : {"on", "ON", "true", "True", "1"})
        CHECK(from_env({{"SEGLOG_TRACKING", v}}, base_in(dir)).tracking);
    for (std::string v : {"off", "Off", "false", "FALSE", "0"})
        CHECK_FALSE(from_env({{"SEGLOG_TRACKING", v}}, base_in(dir)).tracking);
    CHECK(env_error({{"SEGLOG_TRACKING", "maybe"}}) ==
          "seglog config: SEGLOG_TRACKING: expected on or off (also true/false, 1/0), got \"maybe\"");
    CHECK(env_error({{"SEGLOG_TRACKING", "yes"}}) ==
          "seglog config: SEGLOG_TRACKING: expected on or off (also true/false, 1/0), got \"yes\"");
}

TEST_CASE("SEGLOG_TRACKING=off overrides everything, even a destination that could not work") {
    temp_dir dir;
    // segment with no write key would be refused; with tracking off nothing goes out
    config c = from_env({{"SEGLOG_DESTINATION", "segment"}, {"SEGLOG_TRACKING", "off"}}, base_in(dir));
    CHECK_FALSE(c.tracking);
    CHECK(c.effective_destinations().empty());
    config base = base_in(dir);
    base.tracking = false;
    CHECK(from_env({{"SEGLOG_TRACKING", "on"}}, base).tracking);
}

TEST_CASE("SEGLOG_DESTINATION: one, a list, errors") {
    temp_dir dir;
    std::string f = dir / "copy.jsonl";
    config c = from_env({{"SEGLOG_DESTINATION", "segment, file:" + f + " ,console"},
                         {"SEGMENT_WRITE_KEY", planted_key}},
                        base_in(dir));
    CHECK(c.destinations ==
          std::vector<destination>{destination::segment(), destination::file(f), destination::console()});
    CHECK(from_env({{"SEGLOG_DESTINATION", "off"}}, base_in(dir)).effective_destinations().empty());
    CHECK(from_env({{"SEGLOG_DESTINATION", "console"}}, base_in(dir)).effective_destinations() ==
          std::vector<destination>{destination::console()});

    CHECK(
        env_error({{"SEGLOG_DESTINATION", "segment,consol"}}) ==
        "seglog config: SEGLOG_DESTINATION: unknown destination \"consol\" (expected segment, file:<path>, console or off)");
    CHECK(env_error({{"SEGLOG_DESTINATION", "segment,,console"}}) ==
          "seglog config: SEGLOG_DESTINATION: empty destination in list \"segment,,console\"");
    CHECK(env_error({{"SEGLOG_DESTINATION", "console,"}}) ==
          "seglog config: SEGLOG_DESTINATION: empty destination in list \"console,\"");
    CHECK(
        env_error({{"SEGLOG_DESTINATION", "file:"}}) ==
        "seglog config: SEGLOG_DESTINATION: destination \"file:\" needs a path, e.g. \"file:/var/log/seglog-events.jsonl\"");
    CHECK(env_error({{"SEGLOG_DESTINATION", "off,console"}}) ==
          "seglog config: destination \"off\" (from SEGLOG_DESTINATION) cannot be combined with other destinations");
}

// ---------------------------------------------------------------- precedence

TEST_CASE("precedence: code < file < environment") {
    temp_dir dir;
    std::string f = dir.write("seglog.json", R"({"profiles": {"production": {
        "destination": "segment", "flush_at": 200, "host": "https://file.example.com", "tracking": false,
        "write_key_env": "PROD_KEY"}}})");
    config base = base_in(dir);
    base.flush_at = 100;    // overridden by the file
    base.max_in_flight = 7; // only set in code: kept
    base.host = "https://code.example.com";
    base.write_key = "code-key-0000000";

    config c = from_env({{"SEGLOG_CONFIG", f},
                         {"SEGLOG_ENV", "production"},
                         {"SEGMENT_HOST", "https://env.example.com"},
                         {"SEGLOG_TRACKING", "on"},
                         {"PROD_KEY", planted_key}},
                        base);
    CHECK(c.environment == "production");
    CHECK(c.max_in_flight == 7);
    CHECK(c.flush_at == 200);
    CHECK(c.host == "https://env.example.com");
    CHECK(c.tracking); // the file said false, the environment said on
    CHECK(c.write_key == planted_key);
    CHECK(c.destinations == std::vector<destination>{destination::segment()});
    CHECK(c.origin.at("host") == "SEGMENT_HOST");
    CHECK(c.origin.at("flush_at") == f + ", profile \"production\"");
    CHECK(c.origin.count("max_in_flight") == 0);

    // the environment's destination beats the file's
    config d = from_env({{"SEGLOG_CONFIG", f}, {"SEGLOG_ENV", "production"}, {"SEGLOG_DESTINATION", "console"}}, base);
    CHECK(d.destinations == std::vector<destination>{destination::console()});
    CHECK_FALSE(d.tracking); // and the file's tracking=false stands without SEGLOG_TRACKING

    // the code's key stands when no variable gives one
    config e = from_env({{"SEGLOG_CONFIG", f}, {"SEGLOG_ENV", "production"}, {"SEGLOG_TRACKING", "on"}}, base);
    CHECK(e.write_key == "code-key-0000000");
}

TEST_CASE("precedence of the environment name: variable > file default > code") {
    temp_dir dir;
    std::string f = dir.write("seglog.json", R"({"default_environment": "b",
        "profiles": {"a": {"flush_at": 1}, "b": {"flush_at": 2}, "c": {"flush_at": 3}}})");
    config base = base_in(dir);
    base.environment = "c";
    CHECK(from_env({{"SEGLOG_CONFIG", f}}, base).flush_at == 2);
    CHECK(from_env({{"SEGLOG_CONFIG", f}}, base).environment == "b");
    CHECK(from_env({{"SEGLOG_CONFIG", f}, {"APP_ENV", "a"}}, base).flush_at == 1);
    CHECK(from_env({{"SEGLOG_CONFIG", f}, {"APP_ENV", "a"}}, base).environment == "a");
}

TEST_CASE("from_env() reads the process environment") {
    temp_dir dir;
    env_guard env;
    for (const char *v : all_vars) env.set(v, std::nullopt);
    std::string f = dir.write("seglog.json", R"({"profiles": {"staging": {"destination": ["segment", "file:)" +
                                                 dir.path + R"(/copy.jsonl"], "flush_at": 50}}})");
    env.set("SEGLOG_CONFIG", f);
    env.set("APP_ENV", "staging");
    env.set("SEGMENT_WRITE_KEY", planted_key);
    config c = config::from_env();
    CHECK(c.environment == "staging");
    CHECK(c.flush_at == 50);
    CHECK(c.write_key == planted_key);
    CHECK(c.effective_destinations() ==
          std::vector<destination>{destination::segment(), destination::file(dir / "copy.jsonl")});

    env.set("SEGLOG_TRACKING", "sometimes");
    CHECK(error_of([] { config::from_env(); }) ==
          "seglog config: SEGLOG_TRACKING: expected on or off (also true/false, 1/0), got \"sometimes\"");
}

} // TEST_SUITE
