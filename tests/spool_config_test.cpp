// The spool's options: spool_dir (SEGLOG_SPOOL_DIR), spool_max_bytes and spool_sync, from code,
// the environment and a file; their bounds; the startup line.

#include <doctest/doctest.h>

#include "config_checks.h"

#include <seglog/config.h>

#include <string>

using seglog::config;
using seglog::spool_sync_policy;
using namespace seglog_test;
using namespace std::chrono_literals;

TEST_SUITE("spool") {

TEST_CASE("no spool unless one is configured") {
    temp_dir dir;
    config c = from_env({}, base_in(dir));
    CHECK(c.spool_dir.empty());
    CHECK(c.spool_max_bytes == 1024ull * 1024 * 1024);
    CHECK(c.spool_sync == spool_sync_policy{});
    CHECK(c.describe().find("spool") == std::string::npos);
}

TEST_CASE("SEGLOG_SPOOL_DIR sets spool_dir and the startup line names it") {
    temp_dir dir;
    config c = from_env({{"SEGLOG_SPOOL_DIR", " " + dir.path + "/spool "}}, base_in(dir));
    CHECK(c.spool_dir == dir.path + "/spool");
    CHECK(c.origin.at("spool_dir") == "SEGLOG_SPOOL_DIR");
    CHECK(c.describe().find(" spool=" + dir.path + "/spool (max 1073741824 bytes, sync none)") != std::string::npos);
}

TEST_CASE("spool_sync parses none, batch and an interval in milliseconds") {
    CHECK(spool_sync_policy::parse("none").type == spool_sync_policy::kind::none);
    CHECK(spool_sync_policy::parse("batch").type == spool_sync_policy::kind::batch);
    const spool_sync_policy p = spool_sync_policy::parse(" 250 ");
    CHECK(p.type == spool_sync_policy::kind::interval);
    CHECK(p.every == 250ms);
    CHECK(p.to_string() == "250");
    CHECK(spool_sync_policy::parse(p.to_string()) == p);
    CHECK(error_of([] { spool_sync_policy::parse("always"); }) ==
          "seglog config: spool_sync: expected \"none\", \"batch\" or an interval of 1 to 31536000000 ms, got "
          "\"always\"");
    CHECK(error_of([] { spool_sync_policy::parse("0"); }).find("got \"0\"") != std::string::npos);
    CHECK(error_of([] { spool_sync_policy::parse("-5"); }).find("got \"-5\"") != std::string::npos);
}

TEST_CASE("the file keys spool_dir, spool_max_bytes and spool_sync") {
    temp_dir dir;
    const std::string path = dir.write("seglog.json", R"({"profiles": {"prod": {"spool_dir": "/var/spool/seglog",
            "spool_max_bytes": 4194304, "spool_sync": 100}}})");
    config c = config::from_file(path, "prod", base_in(dir));
    CHECK(c.spool_dir == "/var/spool/seglog");
    CHECK(c.spool_max_bytes == 4194304);
    CHECK(c.spool_sync.type == spool_sync_policy::kind::interval);
    CHECK(c.spool_sync.every == 100ms);
    CHECK(c.describe().find(" spool=/var/spool/seglog (max 4194304 bytes, sync 100 ms)") != std::string::npos);

    const std::string batch = dir.write("b.json", R"({"profiles": {"p": {"spool_sync": "batch"}}})");
    CHECK(config::from_file(batch, "p", base_in(dir)).spool_sync.type == spool_sync_policy::kind::batch);
    const std::string bad = dir.write("bad.json", R"({"profiles": {"p": {"spool_sync": "sometimes"}}})");
    CHECK(error_of([&] { config::from_file(bad, "p", base_in(dir)); }) ==
          "seglog config: " + bad +
              ", profile \"p\", key \"spool_sync\": spool_sync: expected \"none\", \"batch\" or an interval of 1 to "
              "31536000000 ms, got \"sometimes\"");
    const std::string small = dir.write("s.json", R"({"profiles": {"p": {"spool_max_bytes": 1000}}})");
    CHECK(error_of([&] { config::from_file(small, "p", base_in(dir)); }).find("spool_max_bytes") != std::string::npos);
}

TEST_CASE("validate() checks the spool's bounds set in code") {
    temp_dir dir;
    config c = base_in(dir);
    c.spool_max_bytes = 4096;
    CHECK(validate_error(c) == "seglog config: spool_max_bytes must be at least 1048576, got 4096");
    c = base_in(dir);
    c.spool_sync = {spool_sync_policy::kind::interval, 0ms};
    CHECK(validate_error(c) == "seglog config: spool_sync interval must be 1 to 31536000000 ms, got 0");
    c = base_in(dir);
    c.spool_dir = "  ";
    CHECK(validate_error(c) == "seglog config: spool_dir must not be blank");
}

} // TEST_SUITE
