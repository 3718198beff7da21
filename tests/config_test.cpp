// seglog::config: destinations, environment variables, JSON file profiles, precedence,
// validation messages (exact), describe() and the write key never showing up anywhere.

#include <doctest/doctest.h>

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
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

// A distinctive key: its first 28 characters must never appear in any message.
const std::string planted_key = "PLANTEDkey9f2Qx7Lm4Zr8Tn1Vb6WXYZ";
const std::string planted_head = planted_key.substr(0, planted_key.size() - 4);

struct temp_dir {
    std::string path;
    temp_dir() {
        char tmpl[] = "/tmp/seglog-config-test-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(path, ec);
    }
    std::string write(const std::string &name, const std::string &text) const {
        std::string p = path + "/" + name;
        std::ofstream(p) << text;
        return p;
    }
    std::string operator/(const std::string &name) const { return path + "/" + name; }
};

using env_map = std::map<std::string, std::string>;

config::env_reader reader(const env_map &env) {
    return [env](const std::string &name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
}

// The message of the config_error `f` throws, or "(no error)".
std::string error_of(const std::function<void()> &f) {
    try {
        f();
    } catch (const config_error &e) {
        return e.what();
    }
    return "(no error)";
}

// A base that validates anywhere: events to a file in `dir`, not to the current directory.
config base_in(const temp_dir &dir) {
    config c;
    c.default_file = dir / "events.jsonl";
    return c;
}

config from_env(const env_map &env, config base = {}) { return config::from_env(reader(env), std::move(base)); }

std::string env_error(const env_map &env, config base = {}) {
    return error_of([&] { from_env(env, std::move(base)); });
}

std::string validate_error(const config &c) {
    return error_of([&] { c.validate(); });
}

// Sets (or unsets) process environment variables for one test and restores them after.
struct env_guard {
    std::map<std::string, std::optional<std::string>> saved;
    void set(const std::string &name, const std::optional<std::string> &value) {
        if (!saved.count(name)) {
            const char *old = std::getenv(name.c_str());
            saved[name] = old ? std::optional<std::string>(old) : std::nullopt;
        }
        if (value) ::setenv(name.c_str(), value->c_str(), 1);
        else ::unsetenv(name.c_str());
    }
    ~env_guard() {
        for (auto &[name, value] : saved) {
            if (value) ::setenv(name.c_str(), value->c_str(), 1);
            else ::unsetenv(name.c_str());
        }
    }
};

const char *const all_vars[] = {"SEGLOG_CONFIG", "SEGMENT_WRITE_KEY", "SEGMENT_HOST", "SEGLOG_ENV", "APP_ENV",
                                "ENVIRONMENT", "SEGLOG_TRACKING", "SEGLOG_DESTINATION"};

} // namespace

TEST_SUITE("config") {

// ---------------------------------------------------------------- destination

TEST_CASE("destination::parse accepts the four forms and to_string gives them back") {
    CHECK(destination::parse("segment") == destination::segment());
    CHECK(destination::parse("console") == destination::console());
    CHECK(destination::parse("off") == destination::off());
    CHECK(destination::parse("file:/var/log/e.jsonl") == destination::file("/var/log/e.jsonl"));
    CHECK(destination::parse("  file: rel/e.jsonl ") == destination::file("rel/e.jsonl"));
    CHECK(destination::parse("file:a,b.jsonl").path == "a,b.jsonl"); // a single destination may hold a comma
    for (std::string text : {"segment", "console", "off", "file:/x/y.jsonl"})
        CHECK(destination::parse(text).to_string() == text);
}

TEST_CASE("destination::parse names the bad value") {
    CHECK(error_of([] { destination::parse("segmnet"); }) ==
          "seglog config: unknown destination \"segmnet\" (expected segment, file:<path>, console or off)");
    CHECK(error_of([] { destination::parse("Segment"); }) ==
          "seglog config: unknown destination \"Segment\" (expected segment, file:<path>, console or off)");
    CHECK(error_of([] { destination::parse(""); }) ==
          "seglog config: unknown destination \"\" (expected segment, file:<path>, console or off)");
    CHECK(error_of([] { destination::parse("file:"); }) ==
          "seglog config: destination \"file:\" needs a path, e.g. \"file:/var/log/seglog-events.jsonl\"");
}

// ---------------------------------------------------------------- effective destinations

TEST_CASE("effective_destinations: default file, off, tracking off") {
    config c;
    c.default_file = "/tmp/d.jsonl";
    CHECK(c.effective_destinations() == std::vector<destination>{destination::file("/tmp/d.jsonl")});
    c.destinations = {destination::segment(), destination::console()};
    CHECK(c.effective_destinations() == c.destinations);
    c.destinations = {destination::off()};
    CHECK(c.effective_destinations().empty());
    c.destinations = {destination::segment()};
    c.tracking = false;
    CHECK(c.effective_destinations().empty());
    c.destinations.clear();
    CHECK(c.effective_destinations().empty());
}

// ---------------------------------------------------------------- mask_secret and describe

TEST_CASE("mask_secret keeps at most the last 4 characters of long secrets") {
    CHECK(seglog::mask_secret("") == "");
    CHECK(seglog::mask_secret("abc") == "****");
    CHECK(seglog::mask_secret("abcdefghijkl") == "****"); // 12: masked whole
    CHECK(seglog::mask_secret("abcdefghijklm") == "****jklm");
    CHECK(seglog::mask_secret(planted_key) == "****WXYZ");
}

TEST_CASE("describe: one line, write key masked") {
    config c;
    c.environment = "production";
    c.write_key = planted_key;
    c.destinations = {destination::segment(), destination::file("/var/log/events.jsonl")};
    CHECK(c.describe() ==
          "seglog: environment=production tracking=on destinations=[segment https://api.segment.io/v1/batch "
          "(write key ****WXYZ, flush_at=500, flush_interval=1000ms, gzip=off), file:/var/log/events.jsonl]");
    CHECK(c.describe().find(planted_head) == std::string::npos);

    c.gzip = true;
    c.flush_at = 20;
    c.flush_interval = 250ms;
    c.host = "https://events.eu1.segmentapis.com";
    c.destinations = {destination::segment()};
    CHECK(c.describe() == "seglog: environment=production tracking=on destinations=[segment "
                          "https://events.eu1.segmentapis.com/v1/batch (write key ****WXYZ, flush_at=20, "
                          "flush_interval=250ms, gzip=on)]");

    c.write_key.clear();
    CHECK(c.describe().find("(write key missing,") != std::string::npos);

    config d;
    CHECK(d.describe() ==
          "seglog: environment=(unset) tracking=on destinations=[file:seglog-events.jsonl (default)]");
    d.environment = "test";
    d.tracking = false;
    CHECK(d.describe() == "seglog: environment=test tracking=off destinations=[]");
    d.tracking = true;
    d.destinations = {destination::off()};
    CHECK(d.describe() == "seglog: environment=test tracking=on destinations=[]");
    d.destinations = {destination::console()};
    CHECK(d.describe() == "seglog: environment=test tracking=on destinations=[console]");
}

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
    config c = from_env({{"SEGLOG_ENV", ""}, {"APP_ENV", "  "}, {"ENVIRONMENT", "prod"},
                         {"SEGMENT_HOST", ""}, {"SEGMENT_WRITE_KEY", " \n"}, {"SEGLOG_DESTINATION", ""},
                         {"SEGLOG_TRACKING", ""}, {"SEGLOG_CONFIG", ""}},
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
    config c = from_env({{"SEGLOG_DESTINATION", "segment, file:" + f + " ,console"}, {"SEGMENT_WRITE_KEY", planted_key}},
                        base_in(dir));
    CHECK(c.destinations == std::vector<destination>{destination::segment(), destination::file(f), destination::console()});
    CHECK(from_env({{"SEGLOG_DESTINATION", "off"}}, base_in(dir)).effective_destinations().empty());
    CHECK(from_env({{"SEGLOG_DESTINATION", "console"}}, base_in(dir)).effective_destinations() ==
          std::vector<destination>{destination::console()});

    CHECK(env_error({{"SEGLOG_DESTINATION", "segment,consol"}}) ==
          "seglog config: SEGLOG_DESTINATION: unknown destination \"consol\" (expected segment, file:<path>, console or off)");
    CHECK(env_error({{"SEGLOG_DESTINATION", "segment,,console"}}) ==
          "seglog config: SEGLOG_DESTINATION: empty destination in list \"segment,,console\"");
    CHECK(env_error({{"SEGLOG_DESTINATION", "console,"}}) ==
          "seglog config: SEGLOG_DESTINATION: empty destination in list \"console,\"");
    CHECK(env_error({{"SEGLOG_DESTINATION", "file:"}}) ==
          "seglog config: SEGLOG_DESTINATION: destination \"file:\" needs a path, e.g. \"file:/var/log/seglog-events.jsonl\"");
    CHECK(env_error({{"SEGLOG_DESTINATION", "off,console"}}) ==
          "seglog config: destination \"off\" (from SEGLOG_DESTINATION) cannot be combined with other destinations");
}

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
    auto key_with = [&](const env_map &env) { return config::from_file(f, "production", base_in(dir), reader(env)).write_key; };
    CHECK(key_with({{"PROD_SEGMENT_KEY", "named-variable-key"}, {"SEGMENT_WRITE_KEY", "default-variable-key"}}) ==
          "named-variable-key");
    CHECK(key_with({{"PROD_SEGMENT_KEY", ""}, {"SEGMENT_WRITE_KEY", "default-variable-key"}}) == "default-variable-key");
    CHECK(error_of([&] { key_with({}); }) ==
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
      "destination": ["segment", "file:)" + dir.path + R"(/a,b.jsonl", "console"],
      "tracking": true, "default_file": ")" + dir.path + R"(/default.jsonl",
      "host": "http://127.0.0.1:8080", "path": "/collect", "write_key_env": "ALL_KEY", "allow_http": false,
      "flush_at": 10, "flush_interval_ms": 20, "max_batch_bytes": 30000, "max_batch_events": 40,
      "max_event_bytes": 5000, "max_queue_events": 60, "max_queue_bytes": 70000, "overflow": "block",
      "block_timeout_ms": 80, "connect_timeout_ms": 90, "request_timeout_ms": 100, "max_in_flight": 2, "worker_nice": 3,
      "gzip": true, "proxy": "http://proxy:3128", "ca_bundle": ")" + ca + R"(", "insecure_skip_verify": true,
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

// ---------------------------------------------------------------- precedence

TEST_CASE("precedence: code < file < environment") {
    temp_dir dir;
    std::string f = dir.write("seglog.json", R"({"profiles": {"production": {
        "destination": "segment", "flush_at": 200, "host": "https://file.example.com", "tracking": false,
        "write_key_env": "PROD_KEY"}}})");
    config base = base_in(dir);
    base.flush_at = 100;          // overridden by the file
    base.max_in_flight = 7;       // only set in code: kept
    base.host = "https://code.example.com";
    base.write_key = "code-key-0000000";

    config c = from_env({{"SEGLOG_CONFIG", f}, {"SEGLOG_ENV", "production"}, {"SEGMENT_HOST", "https://env.example.com"},
                         {"SEGLOG_TRACKING", "on"}, {"PROD_KEY", planted_key}},
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
    CHECK(err(R"({"profile": {}})") ==
          "seglog config: " + f +
              ": unknown top-level key \"profile\" (did you mean \"profiles\"?); known: default_environment, defaults, profiles");
    CHECK(err(R"({"flush_at": 5, "profiles": {}})") ==
          "seglog config: " + f +
              ": unknown top-level key \"flush_at\" (options go inside \"defaults\" or a profile); known: "
              "default_environment, defaults, profiles");
    CHECK(err(R"({"version": 2, "profiles": {}})") ==
          "seglog config: " + f + ": unknown top-level key \"version\"; known: default_environment, defaults, profiles");
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
    std::string h = dir.write("h.json", "{\"profiles\": {\"prod\\u0001\": {}, \"st\x7f\": {}, \"a, b\": {}, \"dev-1.x\": {}}}");
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

    CHECK(err(R"("flush_intervall_ms": 5)") == at + ": unknown key \"flush_intervall_ms\" (did you mean \"flush_interval_ms\"?)");
    CHECK(err(R"("flush_interval": 5)") == at + ": unknown key \"flush_interval\" (did you mean \"flush_interval_ms\"?)");
    CHECK(err(R"("destinations": "segment")") == at + ": unknown key \"destinations\" (did you mean \"destination\"?)");
    CHECK(err(R"("redact": ["traits.email"])") ==
          at + ", key \"redact\"[0]: expected an object with \"path\" and \"action\", got string \"traits.email\"");

    CHECK(err(R"("flush_at": "500")") == at + ", key \"flush_at\": expected an integer, got string \"500\"");
    CHECK(err(R"("flush_at": 1.5)") == at + ", key \"flush_at\": expected an integer, got number 1.5");
    CHECK(err(R"("flush_at": 0)") == at + ", key \"flush_at\": must be at least 1, got 0");
    CHECK(err(R"("max_queue_bytes": -1)") == at + ", key \"max_queue_bytes\": must be at least 1, got -1");
    CHECK(err(R"("flush_interval_ms": -20)") == at + ", key \"flush_interval_ms\": must be at least 1, got -20");
    CHECK(err(R"("close_timeout_ms": -1)") == at + ", key \"close_timeout_ms\": must be at least 0, got -1");
    CHECK(err(R"("max_attempts": 3000000000)") == at + ", key \"max_attempts\": must be at most 2147483647, got 3000000000");
    CHECK(err(R"("gzip": "on")") == at + ", key \"gzip\": expected true or false, got string \"on\"");
    CHECK(err(R"("tracking": 1)") == at + ", key \"tracking\": expected true or false, got number 1");
    CHECK(err(R"("host": null)") == at + ", key \"host\": expected a string, got null");
    CHECK(err(R"("proxy": ["a"])") == at + ", key \"proxy\": expected a string, got array [\"a\"]");
    CHECK(err(R"("overflow": "drop")") ==
          at + ", key \"overflow\": expected \"drop_newest\", \"drop_oldest\" or \"block\", got \"drop\"");
    CHECK(err(R"("overflow": 1)") ==
          at + ", key \"overflow\": expected \"drop_newest\", \"drop_oldest\" or \"block\", got number 1");

    CHECK(err(R"("destination": 3)") == at + ", key \"destination\": expected a string or a list of strings, got number 3");
    CHECK(err(R"("destination": "segment,sgement")") ==
          at + ", key \"destination\": unknown destination \"sgement\" (expected segment, file:<path>, console or off)");
    CHECK(err(R"("destination": ["segment", 4])") == at + ", key \"destination\"[1]: expected a string, got number 4");
    CHECK(err(R"("destination": ["segment", "s3"])") ==
          at + ", key \"destination\"[1]: unknown destination \"s3\" (expected segment, file:<path>, console or off)");
    CHECK(err(R"("destination": [])") ==
          at + ", key \"destination\": expected at least one destination (use \"off\" for none)");
    CHECK(err(R"("destination": " ")") ==
          at + ", key \"destination\": expected at least one destination (use \"off\" for none)");
    CHECK(err(R"("destination": ["off", "console"])") ==
          "seglog config: destination \"off\" (from " + f + ", profile \"prod\") cannot be combined with other destinations");
    CHECK(err(R"("max_queue_bytes": 4611686018427387904)") == "(no error)"); // 2^62 fits a size_t
    CHECK(err(R"("max_batch_bytes": "x)" + std::string(100, 'y') + "\"") ==
          at + ", key \"max_batch_bytes\": expected an integer, got string \"x" + std::string(55, 'y') + "...");
}

TEST_CASE("file errors: the write key never belongs in the file, and is never repeated") {
    temp_dir dir;
    std::string f = dir.write("k.json", R"({"profiles": {"prod": {"write_key": ")" + planted_key + R"("}}})");
    std::string msg = error_of([&] { config::from_file(f, "prod", base_in(dir), reader({})); });
    CHECK(msg == "seglog config: " + f +
                     ", profile \"prod\", key \"write_key\": a config file must not hold the write key; put the key in "
                     "an environment variable and name that variable with \"write_key_env\" (default SEGMENT_WRITE_KEY)");
    CHECK(msg.find(planted_head) == std::string::npos);

    std::string top = dir.write("top.json", R"({"write_key": ")" + planted_key + R"(", "profiles": {"prod": {}}})");
    CHECK(error_of([&] { config::from_file(top, "prod", base_in(dir), reader({})); }) ==
          "seglog config: " + top +
              ", key \"write_key\": a config file must not hold the write key; put the key in an environment variable "
              "and name that variable with \"write_key_env\" (default SEGMENT_WRITE_KEY)");

    // the key pasted where the variable's name should be: refused without repeating it
    std::string pasted = dir.write("pasted.json", R"({"profiles": {"prod": {"write_key_env": ")" + planted_key + R"("}}})");
    msg = error_of([&] { config::from_file(pasted, "prod", base_in(dir), reader({})); });
    CHECK(msg == "seglog config: " + pasted +
                     ", profile \"prod\", key \"write_key_env\": expected the name of an environment variable (A-Z, 0-9, "
                     "_) such as \"SEGMENT_WRITE_KEY\"; the value is not shown in case it is the key itself");
    CHECK(msg.find(planted_head) == std::string::npos);
}

// ---------------------------------------------------------------- validate

TEST_CASE("validate: the defaults (with a writable default file) are valid") {
    temp_dir dir;
    CHECK(validate_error(base_in(dir)) == "(no error)");
}

TEST_CASE("validate: zero and negative sizes and durations") {
    temp_dir dir;
    auto err = [&](const std::function<void(config &)> &set) {
        config c = base_in(dir);
        set(c);
        return validate_error(c);
    };
    CHECK(err([](config &c) { c.flush_at = 0; }) == "seglog config: flush_at must be at least 1, got 0");
    CHECK(err([](config &c) { c.max_batch_bytes = 0; }) == "seglog config: max_batch_bytes must be at least 1, got 0");
    CHECK(err([](config &c) { c.max_batch_events = 0; }) == "seglog config: max_batch_events must be at least 1, got 0");
    CHECK(err([](config &c) { c.max_event_bytes = 0; }) == "seglog config: max_event_bytes must be at least 1, got 0");
    CHECK(err([](config &c) { c.max_queue_events = 0; }) == "seglog config: max_queue_events must be at least 1, got 0");
    CHECK(err([](config &c) { c.max_queue_bytes = 0; }) == "seglog config: max_queue_bytes must be at least 1, got 0");
    CHECK(err([](config &c) { c.max_in_flight = 0; }) == "seglog config: max_in_flight must be at least 1, got 0");
    CHECK(err([](config &c) { c.worker_nice = -1; }) == "seglog config: worker_nice must be at least 0, got -1");
    CHECK(err([](config &c) { c.worker_nice = 20; }) == "seglog config: worker_nice must be at most 19, got 20");
    CHECK(err([](config &c) { c.max_attempts = -2; }) == "seglog config: max_attempts must be at least 1, got -2");
    CHECK(err([](config &c) { c.flush_interval = 0ms; }) == "seglog config: flush_interval_ms must be at least 1, got 0");
    CHECK(err([](config &c) { c.request_timeout = -5ms; }) == "seglog config: request_timeout_ms must be at least 1, got -5");
    CHECK(err([](config &c) { c.connect_timeout = 0ms; }) == "seglog config: connect_timeout_ms must be at least 1, got 0");
    CHECK(err([](config &c) { c.block_timeout = 0ms; }) == "seglog config: block_timeout_ms must be at least 1, got 0");
    CHECK(err([](config &c) { c.max_retry_time = 0ms; }) == "seglog config: max_retry_time_ms must be at least 1, got 0");
    CHECK(err([](config &c) { c.retry_after_cap = 0ms; }) == "seglog config: retry_after_cap_ms must be at least 1, got 0");
    CHECK(err([](config &c) { c.retry_after_default = 0ms; }) == "seglog config: retry_after_default_ms must be at least 1, got 0");
    CHECK(err([](config &c) { c.close_timeout = -1ms; }) == "seglog config: close_timeout_ms must be at least 0, got -1");
    CHECK(err([](config &c) { c.close_timeout = 0ms; }) == "(no error)");
}

TEST_CASE("validate: Segment's limits and options that must agree") {
    temp_dir dir;
    auto err = [&](const std::function<void(config &)> &set) {
        config c = base_in(dir);
        set(c);
        return validate_error(c);
    };
    CHECK(err([](config &c) { c.max_batch_events = 2501; }) ==
          "seglog config: max_batch_events must be at most 2500 (Segment's limit per batch), got 2501");
    CHECK(err([](config &c) { c.max_batch_bytes = 512001; }) ==
          "seglog config: max_batch_bytes must be at most 512000 (500 KB, Segment's limit per batch), got 512001");
    CHECK(err([](config &c) { c.max_batch_bytes = 512000; }) == "(no error)");
    CHECK(err([](config &c) { c.max_event_bytes = 40000; }) ==
          "seglog config: max_event_bytes must be at most 32768 (32 KB, Segment's limit per event), got 40000");
    CHECK(err([](config &c) { c.max_batch_events = 100; c.flush_at = 101; }) ==
          "seglog config: flush_at (101) must not exceed max_batch_events (100)");
    CHECK(err([](config &c) { c.max_batch_events = 100; c.flush_at = 100; }) == "(no error)");
    CHECK(err([](config &c) { c.max_batch_bytes = 10000; }) ==
          "seglog config: max_event_bytes (32768) must not exceed max_batch_bytes (10000)");
    CHECK(err([](config &c) { c.max_queue_bytes = 1000; }) ==
          "seglog config: max_queue_bytes (1000) must be at least max_event_bytes (32768)");
    CHECK(err([](config &c) { c.backoff_base = 70s; }) ==
          "seglog config: backoff_base_ms (70000) must not exceed backoff_cap_ms (60000)");

    // a limit broken in the file names the file and profile
    std::string f = dir.write("l.json", R"({"profiles": {"p": {"max_batch_bytes": 600000}}})");
    CHECK(error_of([&] { config::from_file(f, "p", base_in(dir), reader({})); }) ==
          "seglog config: max_batch_bytes (from " + f +
              ", profile \"p\") must be at most 512000 (500 KB, Segment's limit per batch), got 600000");
}

TEST_CASE("validate: malformed host and path") {
    temp_dir dir;
    auto host_err = [&](const std::string &host) {
        config c = base_in(dir);
        c.host = host;
        return validate_error(c);
    };
    CHECK(host_err("api.segment.io") == "seglog config: host \"api.segment.io\" must start with http:// or https://");
    CHECK(host_err("ftp://api.segment.io") == "seglog config: host \"ftp://api.segment.io\" must start with http:// or https://");
    CHECK(host_err("") == "seglog config: host \"\" must start with http:// or https://");
    CHECK(host_err("https://") == "seglog config: host \"https://\" has no host name");
    CHECK(host_err("https://:443") == "seglog config: host \"https://:443\" has no host name");
    CHECK(host_err("https://api.segment.io/v1") ==
          "seglog config: host \"https://api.segment.io/v1\" must not contain a path, query or fragment; set the path "
          "separately (path, default \"/v1/batch\")");
    CHECK(host_err("https://api.segment.io/") ==
          "seglog config: host \"https://api.segment.io/\" must not contain a path, query or fragment; set the path "
          "separately (path, default \"/v1/batch\")");
    CHECK(host_err("https://api.segment.io?x=1") ==
          "seglog config: host \"https://api.segment.io?x=1\" must not contain a path, query or fragment; set the path "
          "separately (path, default \"/v1/batch\")");
    CHECK(host_err("https://user:hunter2@api.segment.io") ==
          "seglog config: host must not contain credentials (user:password@); the value is not shown");
    CHECK(host_err("https://api.segment.io:99999") == "seglog config: host \"https://api.segment.io:99999\" has an invalid port");
    CHECK(host_err("https://api.segment.io:") == "seglog config: host \"https://api.segment.io:\" has an invalid port");
    CHECK(host_err("https://api.segment.io:8o") == "seglog config: host \"https://api.segment.io:8o\" has an invalid port");
    CHECK(host_err("https://api segment.io") == "seglog config: host \"https://api segment.io\" has an invalid host name");
    CHECK(host_err("https://[::1") == "seglog config: host \"https://[::1\" has an invalid host name");
    CHECK(host_err("https://api.segment.io\n") == "seglog config: host \"https://api.segment.io\\x0a\" has an invalid host name");
    for (std::string ok : {"https://api.segment.io", "HTTPS://API.Segment.io", "https://events.eu1.segmentapis.com:443",
                           "https://[2001:db8::1]:8443", "http://localhost:8080", "http://127.0.0.1", "http://[::1]:9"})
        CHECK_MESSAGE(host_err(ok) == "(no error)", ok);

    CHECK(env_error({{"SEGMENT_HOST", "api.eu1.segmentapis.com"}}) ==
          "seglog config: host \"api.eu1.segmentapis.com\" (from SEGMENT_HOST) must start with http:// or https://");

    config c = base_in(dir);
    c.path = "v1/batch";
    CHECK(validate_error(c) == "seglog config: path \"v1/batch\" must start with \"/\"");
    c.path = "";
    CHECK(validate_error(c) == "seglog config: path \"\" must start with \"/\"");
}

TEST_CASE("validate: http:// only to loopback unless allow_http; insecure_skip_verify only to loopback") {
    temp_dir dir;
    auto err = [&](const std::string &host, bool allow_http, bool insecure) {
        config c = base_in(dir);
        c.host = host;
        c.allow_http = allow_http;
        c.insecure_skip_verify = insecure;
        return validate_error(c);
    };
    CHECK(err("http://collector.internal", false, false) ==
          "seglog config: host \"http://collector.internal\" uses http:// with a host that is not loopback; use "
          "https:// or set allow_http");
    CHECK(err("http://127.0.0.1.evil.example", false, false) ==
          "seglog config: host \"http://127.0.0.1.evil.example\" uses http:// with a host that is not loopback; use "
          "https:// or set allow_http");
    CHECK(err("http://128.0.0.1", false, false) ==
          "seglog config: host \"http://128.0.0.1\" uses http:// with a host that is not loopback; use https:// or "
          "set allow_http");
    CHECK(err("http://[::2]", false, false) ==
          "seglog config: host \"http://[::2]\" uses http:// with a host that is not loopback; use https:// or set "
          "allow_http");
    CHECK(err("http://collector.internal", true, false) == "(no error)");
    for (std::string h : {"http://127.0.0.1:9000", "http://127.255.3.4", "http://LOCALHOST", "http://[::1]"})
        CHECK_MESSAGE(err(h, false, true) == "(no error)", h);

    CHECK(err("https://api.segment.io", false, true) ==
          "seglog config: insecure_skip_verify is only allowed with a loopback host (127.0.0.0/8, localhost, [::1]), "
          "not \"https://api.segment.io\"");
    CHECK(err("http://collector.internal", true, true) ==
          "seglog config: insecure_skip_verify is only allowed with a loopback host (127.0.0.0/8, localhost, [::1]), "
          "not \"http://collector.internal\"");

    std::string f = dir.write("i.json", R"({"profiles": {"p": {"insecure_skip_verify": true}}})");
    CHECK(env_error({{"SEGLOG_CONFIG", f}, {"SEGLOG_ENV", "p"}, {"SEGMENT_HOST", "https://eu.example.com"}},
                    base_in(dir)) ==
          "seglog config: insecure_skip_verify (from " + f +
              ", profile \"p\") is only allowed with a loopback host (127.0.0.0/8, localhost, [::1]), not "
              "\"https://eu.example.com\" (from SEGMENT_HOST)");
}

TEST_CASE("validate: segment needs a write key, only when it is in force") {
    temp_dir dir;
    config c = base_in(dir);
    c.destinations = {destination::segment()};
    CHECK(validate_error(c) == "seglog config: destination \"segment\" needs a write key: set SEGMENT_WRITE_KEY");
    CHECK(env_error({{"SEGLOG_DESTINATION", "segment,console"}}, base_in(dir)) ==
          "seglog config: destination \"segment\" (from SEGLOG_DESTINATION) needs a write key: set SEGMENT_WRITE_KEY");
    c.tracking = false;
    CHECK(validate_error(c) == "(no error)");
    c.tracking = true;
    c.write_key = planted_key;
    CHECK(validate_error(c) == "(no error)");

    c.ca_bundle = dir / "missing-ca.pem";
    CHECK(validate_error(c) == "seglog config: ca_bundle \"" + dir / "missing-ca.pem" +
                                   "\" cannot be read (No such file or directory)");
    c.destinations = {destination::console()}; // the CA bundle only matters for segment
    CHECK(validate_error(c) == "(no error)");
}

TEST_CASE("validate: a file destination must be writable; the message says why") {
    temp_dir dir;
    auto err = [&](const std::string &path) {
        config c;
        c.destinations = {destination::file(path)};
        return validate_error(c);
    };
    CHECK(err(dir / "events.jsonl") == "(no error)");
    CHECK(err(dir / "no/such/dir/events.jsonl") ==
          "seglog config: destination \"file:" + dir / "no/such/dir/events.jsonl" + "\": directory \"" +
              dir / "no/such/dir" + "\" does not exist");
    CHECK(err(dir.path) == "seglog config: destination \"file:" + dir.path + "\": \"" + dir.path + "\" is a directory");
    std::string plain = dir.write("plain.txt", "x");
    CHECK(err(plain + "/events.jsonl") == "seglog config: destination \"file:" + plain + "/events.jsonl\": \"" + plain +
                                              "\" is not a directory");

    config c;
    c.destinations = {destination::file("")}; // built in code, bypassing parse
    CHECK(validate_error(c) == "seglog config: destination \"file:\" needs a path");

    config d;
    d.default_file = dir / "missing/e.jsonl";
    CHECK(validate_error(d) == "seglog config: destination \"file:" + dir / "missing/e.jsonl" +
                                   "\" (default_file): directory \"" + dir / "missing" + "\" does not exist");
    d.default_file = "";
    CHECK(validate_error(d) == "seglog config: default_file must not be empty");

    CHECK(env_error({{"SEGLOG_DESTINATION", "file:" + dir / "x/e.jsonl"}}) ==
          "seglog config: destination \"file:" + dir / "x/e.jsonl" + "\" (from SEGLOG_DESTINATION): directory \"" +
              dir / "x" + "\" does not exist");
}

TEST_CASE("validate: a directory or file the process cannot write") {
    temp_dir dir;
    std::string ro = dir / "ro";
    REQUIRE(::mkdir(ro.c_str(), 0555) == 0);
    std::string ro_file = dir.write("ro-file.jsonl", "");
    REQUIRE(::chmod(ro_file.c_str(), 0444) == 0);
    auto check = [&]() -> std::string {
        std::string out;
        for (const std::string &p : {ro + "/events.jsonl", ro_file}) {
            config c;
            c.destinations = {destination::file(p)};
            out += validate_error(c) + "\n";
        }
        return out;
    };
    const std::string expected =
        "seglog config: destination \"file:" + ro + "/events.jsonl\": directory \"" + ro + "\" is not writable\n" +
        "seglog config: destination \"file:" + ro_file + "\": the file is not writable (Permission denied)\n";

    if (::geteuid() != 0) {
        CHECK(check() == expected);
        return;
    }
    // root may write anywhere: check as an unprivileged user in a child process
    struct passwd *nobody = ::getpwnam("nobody");
    REQUIRE(nobody != nullptr);
    REQUIRE(::chmod(dir.path.c_str(), 0755) == 0);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        if (::setgid(nobody->pw_gid) != 0 || ::setuid(nobody->pw_uid) != 0) ::_exit(2);
        std::string out = check();
        ssize_t w = ::write(fds[1], out.data(), out.size());
        ::_exit(w == static_cast<ssize_t>(out.size()) ? 0 : 3);
    }
    ::close(fds[1]);
    std::string got;
    char buf[512];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(got == expected);
}

// ---------------------------------------------------------------- the write key stays secret

TEST_CASE("the write key appears in no error message and not in describe()") {
    temp_dir dir;
    std::string f = dir.write("seglog.json", R"({"profiles": {"p": {"destination": "segment"}}})");
    const env_map key = {{"SEGMENT_WRITE_KEY", planted_key}};
    auto with_key = [&](env_map extra) {
        extra.insert(key.begin(), key.end());
        return env_error(extra, base_in(dir));
    };
    std::vector<std::string> messages = {
        with_key({{"SEGLOG_TRACKING", "maybe"}}),
        with_key({{"SEGLOG_DESTINATION", "segment,bogus"}}),
        with_key({{"SEGLOG_DESTINATION", "segment,off"}}),
        with_key({{"SEGMENT_HOST", "http://remote.example.com"}}),
        with_key({{"SEGMENT_HOST", "https://x:" + planted_key + "@api.segment.io"}}),
        with_key({{"SEGLOG_CONFIG", dir / "missing.json"}}),
        with_key({{"SEGLOG_CONFIG", f}, {"SEGLOG_ENV", "nope"}}),
        with_key({{"SEGLOG_DESTINATION", "segment,file:" + dir / "no/dir/e.jsonl"}}),
    };
    config c = base_in(dir);
    c.write_key = planted_key;
    c.destinations = {destination::segment()};
    c.flush_at = 0;
    messages.push_back(validate_error(c));
    c.flush_at = 1;
    c.insecure_skip_verify = true;
    messages.push_back(validate_error(c));
    for (const auto &m : messages) {
        CHECK_MESSAGE(m.rfind("seglog config: ", 0) == 0, m); // each one did fail
        CHECK_MESSAGE(m.find(planted_head) == std::string::npos, m);
    }

    config ok = from_env({{"SEGLOG_CONFIG", f}, {"SEGLOG_ENV", "p"}, {"SEGMENT_WRITE_KEY", planted_key}}, base_in(dir));
    CHECK(ok.write_key == planted_key);
    CHECK(ok.describe().find(planted_head) == std::string::npos);
    CHECK(ok.describe().find("****WXYZ") != std::string::npos);
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
