// seglog::config from a JSON file of profiles: defaults, profiles, comments, every option, the
// exact errors, and examples/seglog.json.

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

// ---------------------------------------------------------------- the JSON file

namespace {
const char *const basic_file = R"({
  "default_environment": "development",
  "defaults": {"flush_at": 100, "gzip": true},
  "profiles": {
    "development": {"destination": "console"},
    "test": {"destination": "off"},
    "production": {"destination": ["segment"], "flush_at": 250, "write_key_env": "PROD_SEGMENT_KEY"}
  }
})";
}

TEST_CASE("from_file: the default environment, defaults under the profile, the chosen profile") {
    temp_dir dir;
    std::string f = dir.write("seglog.json", basic_file);
    config dev = config::from_file(f, "", base_in(dir), reader({}));
    CHECK(dev.environment == "development");
    CHECK(dev.destinations == std::vector<destination>{destination::console()});
    CHECK(dev.flush_at == 100);
    CHECK(dev.gzip);
    CHECK(dev.origin.at("flush_at") == f + ", \"defaults\"");
    CHECK(dev.origin.at("environment") == f + ", \"default_environment\"");

    config test = config::from_file(f, "test", base_in(dir), reader({}));
    CHECK(test.environment == "test");
    CHECK(test.effective_destinations().empty());

    config prod = config::from_file(f, "production", base_in(dir), reader({{"PROD_SEGMENT_KEY", planted_key}}));
    CHECK(prod.flush_at == 250); // the profile beats "defaults"
    CHECK(prod.write_key == planted_key);
    CHECK(prod.write_key_env == "PROD_SEGMENT_KEY");
    CHECK(prod.origin.at("flush_at") == f + ", profile \"production\"");
}

TEST_CASE("from_file: write_key_env first, SEGMENT_WRITE_KEY as the fallback") {
    temp_dir dir;
    std::string f = dir.write("seglog.json", basic_file);
    auto key_with = [&](const env_map &env) {
        return config::from_file(f, "production", base_in(dir), reader(env)).write_key;
    };
    CHECK(key_with({{"PROD_SEGMENT_KEY", "named-variable-key"}, {"SEGMENT_WRITE_KEY", "default-variable-key"}}) ==
          "named-variable-key");
    CHECK(key_with({{"PROD_SEGMENT_KEY", ""}, {"SEGMENT_WRITE_KEY", "default-variable-key"}}) ==
          "default-variable-key");
    CHECK(
        error_of([&] { key_with({}); }) ==
        "seglog config: destination \"segment\" (from " + f +
            ", profile \"production\") needs a write key: set PROD_SEGMENT_KEY (named by write_key_env) or SEGMENT_WRITE_KEY");
}

TEST_CASE("from_file: which profile without a default_environment") {
    temp_dir dir;
    std::string f = dir.write("seglog.json", R"({"profiles": {"a": {"flush_at": 1}, "b": {"flush_at": 2}}})");
    config base = base_in(dir);
    base.environment = "b";
    CHECK(config::from_file(f, "", base, reader({})).flush_at == 2);
    CHECK(config::from_file(f, "a", base, reader({})).flush_at == 1);
    CHECK(error_of([&] { config::from_file(f, "", base_in(dir), reader({})); }) ==
          "seglog config: " + f +
              ": no environment selected: set SEGLOG_ENV (or APP_ENV, ENVIRONMENT) or \"default_environment\" in the "
              "file; profiles: a, b");
}

TEST_CASE("every option can be set from a profile") {
    temp_dir dir;
    std::string ca = dir.write("ca.pem", "not really a certificate");
    std::string f = dir.write("seglog.json", R"({"profiles": {"all": {
      "destination": ["segment", "file:)" + dir.path +
                                                 R"(/a,b.jsonl", "console"],
      "tracking": true, "default_file": ")" + dir.path +
                                                 R"(/default.jsonl",
      "host": "http://127.0.0.1:8080", "path": "/collect", "write_key_env": "ALL_KEY", "allow_http": false,
      "flush_at": 10, "flush_interval_ms": 20, "max_batch_bytes": 30000, "max_batch_events": 40,
      "max_event_bytes": 5000, "max_queue_events": 60, "max_queue_bytes": 70000, "overflow": "block",
      "block_timeout_ms": 80, "connect_timeout_ms": 90, "request_timeout_ms": 100, "max_in_flight": 2, "worker_nice": 3,
      "gzip": true, "proxy": "http://proxy:3128", "ca_bundle": ")" +
                                                 ca + R"(", "insecure_skip_verify": true,
      "max_attempts": 3, "max_retry_time_ms": 110, "backoff_base_ms": 12, "backoff_cap_ms": 130,
      "retry_after_cap_ms": 140, "retry_after_default_ms": 150, "close_timeout_ms": 0, "echo_events_to_log": true
    }}})");
    config c = config::from_file(f, "all", {}, reader({{"ALL_KEY", planted_key}}));
    CHECK(c.destinations == std::vector<destination>{destination::segment(), destination::file(dir / "a,b.jsonl"),
                                                     destination::console()});
    CHECK(c.tracking);
    CHECK(c.default_file == dir / "default.jsonl");
    CHECK(c.host == "http://127.0.0.1:8080");
    CHECK(c.path == "/collect");
    CHECK(c.write_key == planted_key);
    CHECK(c.flush_at == 10);
    CHECK(c.flush_interval == 20ms);
    CHECK(c.max_batch_bytes == 30000);
    CHECK(c.max_batch_events == 40);
    CHECK(c.max_event_bytes == 5000);
    CHECK(c.max_queue_events == 60);
    CHECK(c.max_queue_bytes == 70000);
    CHECK(c.overflow == seglog::overflow_policy::block);
    CHECK(c.block_timeout == 80ms);
    CHECK(c.connect_timeout == 90ms);
    CHECK(c.request_timeout == 100ms);
    CHECK(c.max_in_flight == 2);
    CHECK(c.worker_nice == 3);
    CHECK(c.gzip);
    CHECK(c.proxy == "http://proxy:3128");
    CHECK(c.ca_bundle == ca);
    CHECK(c.insecure_skip_verify);
    CHECK(c.max_attempts == 3);
    CHECK(c.max_retry_time == 110ms);
    CHECK(c.backoff_base == 12ms);
    CHECK(c.backoff_cap == 130ms);
    CHECK(c.retry_after_cap == 140ms);
    CHECK(c.retry_after_default == 150ms);
    CHECK(c.close_timeout == 0ms);
    CHECK(c.echo_events_to_log);

    std::string g = dir.write("other.json", R"({"profiles": {"p": {"overflow": "drop_oldest", "tracking": false}}})");
    config o = config::from_file(g, "p", base_in(dir), reader({}));
    CHECK(o.overflow == seglog::overflow_policy::drop_oldest);
    CHECK_FALSE(o.tracking);
}

TEST_CASE("the file accepts // and /* */ comments") {
    temp_dir dir;
    std::string f = dir.write("seglog.json", "// seglog\n{\"profiles\": {/* one */ \"p\": {\"flush_at\": 7}}}\n");
    CHECK(config::from_file(f, "p", base_in(dir), reader({})).flush_at == 7);
}

// ---------------------------------------------------------------- file errors

TEST_CASE("file errors: missing, unreadable, malformed") {
    temp_dir dir;
    std::string missing = dir / "nope.json";
    CHECK(error_of([&] { config::from_file(missing, "", {}, reader({})); }) ==
          "seglog config: cannot read config file \"" + missing + "\": No such file or directory");
    CHECK(env_error({{"SEGLOG_CONFIG", missing}}) ==
          "seglog config: cannot read config file \"" + missing + "\" (from SEGLOG_CONFIG): No such file or directory");
    CHECK(error_of([&] { config::from_file(dir.path, "", {}, reader({})); }) ==
          "seglog config: cannot read config file \"" + dir.path + "\": Is a directory");

    std::string bad = dir.write("bad.json", "{\n  \"profiles\": {\n    \"dev\": {\"flush_at\": 5,}\n  }\n}\n");
    CHECK(error_of([&] { config::from_file(bad, "", {}, reader({})); }) ==
          "seglog config: " + bad +
              ": invalid JSON: line 3, column 27: syntax error while parsing object key - unexpected '}'; "
              "expected string literal");
    std::string empty = dir.write("empty.json", "");
    CHECK(error_of([&] { config::from_file(empty, "", {}, reader({})); }) ==
          "seglog config: " + empty +
              ": invalid JSON: line 1, column 1: syntax error while parsing value - unexpected end of input; expected "
              "'[', '{', or a literal");
    std::string arr = dir.write("arr.json", "[1, 2]");
    CHECK(error_of([&] { config::from_file(arr, "", {}, reader({})); }) ==
          "seglog config: " + arr + ": expected a JSON object at the top level, got array [1,2]");
}

TEST_CASE("file errors: the top level") {
    temp_dir dir;
    auto err = [&](const std::string &text) {
        std::string f = dir.write("t.json", text);
        return error_of([&] { config::from_file(f, "p", base_in(dir), reader({})); });
    };
    std::string f = dir / "t.json";
    CHECK(
        err(R"({"profile": {}})") ==
        "seglog config: " + f +
            ": unknown top-level key \"profile\" (did you mean \"profiles\"?); known: default_environment, defaults, profiles");
    CHECK(err(R"({"flush_at": 5, "profiles": {}})") ==
          "seglog config: " + f +
              ": unknown top-level key \"flush_at\" (options go inside \"defaults\" or a profile); known: "
              "default_environment, defaults, profiles");
    CHECK(err(R"({"version": 2, "profiles": {}})") ==
          "seglog config: " + f +
              ": unknown top-level key \"version\"; known: default_environment, defaults, profiles");
    CHECK(err(R"({"default_environment": "p"})") == "seglog config: " + f + ": no \"profiles\" object");
    CHECK(err(R"({"profiles": ["p"]})") ==
          "seglog config: " + f + ", key \"profiles\": expected an object, got array [\"p\"]");
    CHECK(err(R"({"profiles": {"p": "segment"}})") ==
          "seglog config: " + f + ", profile \"p\": expected an object, got string \"segment\"");
    CHECK(err(R"({"defaults": 3, "profiles": {"p": {}}})") ==
          "seglog config: " + f + ", \"defaults\": expected an object, got number 3");
    // Control characters in a quoted value are escaped, DEL (0x7f) included.
    CHECK(err("{\"profiles\": {\"p\": \"a\x7f\\u0007b\"}}") ==
          "seglog config: " + f + ", profile \"p\": expected an object, got string \"a\\u007f\\u0007b\"");
    std::string g = dir.write("g.json", R"({"default_environment": 1, "profiles": {"p": {}}})");
    CHECK(error_of([&] { config::from_file(g, "", base_in(dir), reader({})); }) ==
          "seglog config: " + g + ", key \"default_environment\": expected a string, got number 1");
}

TEST_CASE("file errors: unknown environment lists the profiles and says where the name came from") {
    temp_dir dir;
    std::string f = dir.write("seglog.json", basic_file);
    CHECK(error_of([&] { config::from_file(f, "qa", base_in(dir), reader({})); }) ==
          "seglog config: " + f + ": no profile for environment \"qa\"; profiles: development, production, test");
    CHECK(env_error({{"SEGLOG_CONFIG", f}, {"SEGLOG_ENV", "prod"}}) ==
          "seglog config: " + f +
              ": no profile for environment \"prod\" (from SEGLOG_ENV); profiles: development, production, test");
    CHECK(env_error({{"SEGLOG_CONFIG", f}, {"ENVIRONMENT", "qa"}}) ==
          "seglog config: " + f +
              ": no profile for environment \"qa\" (from ENVIRONMENT); profiles: development, production, test");
    std::string g = dir.write("g.json", R"({"default_environment": "dev", "profiles": {"development": {}}})");
    CHECK(error_of([&] { config::from_file(g, "", base_in(dir), reader({})); }) ==
          "seglog config: " + g + ": no profile for environment \"dev\" (from " + g +
              ", \"default_environment\"); profiles: development");
    // A name that is not plain is quoted, its control characters escaped.
    std::string h = dir.write("h.json",
                              "{\"profiles\": {\"prod\\u0001\": {}, \"st\x7f\": {}, \"a, b\": {}, \"dev-1.x\": {}}}");
    CHECK(error_of([&] { config::from_file(h, "qa", base_in(dir), reader({})); }) ==
          "seglog config: " + h +
              ": no profile for environment \"qa\"; profiles: \"a, b\", dev-1.x, \"prod\\x01\", \"st\\x7f\"");
}

TEST_CASE("file errors: keys and types, naming file, profile, key and value") {
    temp_dir dir;
    std::string f = dir / "p.json";
    auto err = [&](const std::string &profile_body) {
        dir.write("p.json", R"({"profiles": {"prod": {)" + profile_body + "}}}");
        return error_of([&] { config::from_file(f, "prod", base_in(dir), reader({})); });
    };
    const std::string at = "seglog config: " + f + ", profile \"prod\"";

    CHECK(err(R"("flush_intervall_ms": 5)") ==
          at + ": unknown key \"flush_intervall_ms\" (did you mean \"flush_interval_ms\"?)");
    CHECK(err(R"("flush_interval": 5)") ==
          at + ": unknown key \"flush_interval\" (did you mean \"flush_interval_ms\"?)");
    CHECK(err(R"("destinations": "segment")") == at + ": unknown key \"destinations\" (did you mean \"destination\"?)");
    CHECK(err(R"("redact": ["traits.email"])") ==
          at + ", key \"redact\"[0]: expected an object with \"path\" and \"action\", got string \"traits.email\"");

    CHECK(err(R"("flush_at": "500")") == at + ", key \"flush_at\": expected an integer, got string \"500\"");
    CHECK(err(R"("flush_at": 1.5)") == at + ", key \"flush_at\": expected an integer, got number 1.5");
    CHECK(err(R"("flush_at": 0)") == at + ", key \"flush_at\": must be at least 1, got 0");
    CHECK(err(R"("max_queue_bytes": -1)") == at + ", key \"max_queue_bytes\": must be at least 1, got -1");
    CHECK(err(R"("flush_interval_ms": -20)") == at + ", key \"flush_interval_ms\": must be at least 1, got -20");
    CHECK(err(R"("close_timeout_ms": -1)") == at + ", key \"close_timeout_ms\": must be at least 0, got -1");
    CHECK(err(R"("max_attempts": 3000000000)") ==
          at + ", key \"max_attempts\": must be at most 2147483647, got 3000000000");
    CHECK(err(R"("gzip": "on")") == at + ", key \"gzip\": expected true or false, got string \"on\"");
    CHECK(err(R"("tracking": 1)") == at + ", key \"tracking\": expected true or false, got number 1");
    CHECK(err(R"("host": null)") == at + ", key \"host\": expected a string, got null");
    CHECK(err(R"("proxy": ["a"])") == at + ", key \"proxy\": expected a string, got array [\"a\"]");
    CHECK(err(R"("overflow": "drop")") ==
          at + ", key \"overflow\": expected \"drop_newest\", \"drop_oldest\" or \"block\", got \"drop\"");
    CHECK(err(R"("overflow": 1)") ==
          at + ", key \"overflow\": expected \"drop_newest\", \"drop_oldest\" or \"block\", got number 1");

    CHECK(err(R"("destination": 3)") ==
          at + ", key \"destination\": expected a string or a list of strings, got number 3");
    CHECK(err(R"("destination": "segment,sgement")") ==
          at +
              ", key \"destination\": unknown destination \"sgement\" (expected segment, file:<path>, console or off)");
    CHECK(err(R"("destination": ["segment", 4])") == at + ", key \"destination\"[1]: expected a string, got number 4");
    CHECK(err(R"("destination": ["segment", "s3"])") ==
          at + ", key \"destination\"[1]: unknown destination \"s3\" (expected segment, file:<path>, console or off)");
    CHECK(err(R"("destination": [])") ==
          at + ", key \"destination\": expected at least one destination (use \"off\" for none)");
    CHECK(err(R"("destination": " ")") ==
          at + ", key \"destination\": expected at least one destination (use \"off\" for none)");
    CHECK(err(R"("destination": ["off", "console"])") ==
          "seglog config: destination \"off\" (from " + f +
              ", profile \"prod\") cannot be combined with other destinations");
    CHECK(err(R"("max_queue_bytes": 4611686018427387904)") == "(no error)"); // 2^62 fits a size_t
    CHECK(err(R"("max_batch_bytes": "x)" + std::string(100, 'y') + "\"") ==
          at + ", key \"max_batch_bytes\": expected an integer, got string \"x" + std::string(55, 'y') + "...");
}

TEST_CASE("file errors: the write key never belongs in the file, and is never repeated") {
    temp_dir dir;
    std::string f = dir.write("k.json", R"({"profiles": {"prod": {"write_key": ")" + planted_key + R"("}}})");
    std::string msg = error_of([&] { config::from_file(f, "prod", base_in(dir), reader({})); });
    CHECK(msg ==
          "seglog config: " + f +
              ", profile \"prod\", key \"write_key\": a config file must not hold the write key; put the key in "
              "an environment variable and name that variable with \"write_key_env\" (default SEGMENT_WRITE_KEY)");
    CHECK(msg.find(planted_head) == std::string::npos);

    std::string top = dir.write("top.json", R"({"write_key": ")" + planted_key + R"(", "profiles": {"prod": {}}})");
    CHECK(error_of([&] { config::from_file(top, "prod", base_in(dir), reader({})); }) ==
          "seglog config: " + top +
              ", key \"write_key\": a config file must not hold the write key; put the key in an environment variable "
              "and name that variable with \"write_key_env\" (default SEGMENT_WRITE_KEY)");

    // the key pasted where the variable's name should be: refused without repeating it
    std::string pasted = dir.write("pasted.json",
                                   R"({"profiles": {"prod": {"write_key_env": ")" + planted_key + R"("}}})");
    msg = error_of([&] { config::from_file(pasted, "prod", base_in(dir), reader({})); });
    CHECK(msg ==
          "seglog config: " + pasted +
              ", profile \"prod\", key \"write_key_env\": expected the name of an environment variable (A-Z, 0-9, "
              "_) such as \"SEGMENT_WRITE_KEY\"; the value is not shown in case it is the key itself");
    CHECK(msg.find(planted_head) == std::string::npos);
}

// ---------------------------------------------------------------- the example file

TEST_CASE("examples/seglog.json loads for each of its profiles") {
    // __FILE__ is relative to the build root under Meson (the parent of SEGLOG_TEST_BUILD_DIR)
    fs::path here = __FILE__;
#ifdef SEGLOG_TEST_BUILD_DIR
    if (here.is_relative()) here = fs::path(SEGLOG_TEST_BUILD_DIR).parent_path() / here;
#endif
    std::string example =
        fs::absolute(here.parent_path().parent_path() / "examples" / "seglog.json").lexically_normal().string();
    REQUIRE_MESSAGE(fs::exists(example), example);
    temp_dir dir;
    auto load = [&](const std::string &env, env_map vars = {}) {
        vars["SEGLOG_CONFIG"] = example;
        vars["SEGLOG_ENV"] = env;
        return from_env(vars, base_in(dir));
    };

    // development writes a relative path: load it from the temp dir
    std::string old_cwd = fs::current_path().string();
    fs::current_path(dir.path);
    config dev = load("development");
    fs::current_path(old_cwd);
    CHECK(dev.effective_destinations() == std::vector<destination>{destination::file("seglog-events.jsonl")});
    CHECK(dev.echo_events_to_log);

    CHECK(load("test").effective_destinations().empty());

    config prod = load("production", {{"SEGMENT_WRITE_KEY", planted_key}});
    CHECK(prod.effective_destinations() == std::vector<destination>{destination::segment()});
    CHECK(prod.gzip);
    CHECK(error_of([&] { load("production"); }) ==
          "seglog config: destination \"segment\" (from " + example +
              ", profile \"production\") needs a write key: set SEGMENT_WRITE_KEY");

    // staging keeps a copy under /var/log/seglog, which may not exist on this machine
    std::string staging = error_of([&] { load("staging", {{"SEGLOG_STAGING_WRITE_KEY", planted_key}}); });
    if (fs::is_directory("/var/log/seglog")) {
        CHECK(staging == "(no error)");
    } else {
        CHECK(staging == "seglog config: destination \"file:/var/log/seglog/events.jsonl\" (from " + example +
                             ", profile \"staging\"): directory \"/var/log/seglog\" does not exist");
    }
    CHECK(error_of([&] { load("staging"); }) ==
          "seglog config: destination \"segment\" (from " + example +
              ", profile \"staging\") needs a write key: set SEGLOG_STAGING_WRITE_KEY (named by write_key_env) or "
              "SEGMENT_WRITE_KEY");
}

} // TEST_SUITE
