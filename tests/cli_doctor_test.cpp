// `seglog doctor` as a user runs it: the settings in force with their origin, the write key
// masked and never printed, and one FAIL line per check that does not pass.
#include <doctest/doctest.h>

#include "collector.h"
#include "config.h"
#include "spool_files.h"
#include "tool_run.h"

#include <seglog/client.h>

#include <unistd.h>

#include <string>

using namespace seglog_test;

namespace {

env_vars segment_env(const seglog::loopback::collector &c) {
    return {{"SEGMENT_WRITE_KEY", k_write_key}, {"SEGLOG_DESTINATION", "segment"}, {"SEGMENT_HOST", c.url()}};
}

} // namespace

TEST_SUITE("cli: seglog doctor") {

TEST_CASE("a good configuration: every check ok, exit 0, the key masked, no event created") {
    seglog::loopback::collector c;
    const tool_result r = run_seglog({"doctor"}, segment_env(c));
    INFO(r.text());
    CHECK(r.status == 0);
    CHECK_FALSE(contains(r.out + r.err, k_write_key));
    CHECK_FALSE(contains(r.out + r.err, "SECRET"));
    CHECK(contains(r.out, "write_key       ****3456"));
    CHECK(contains(r.out, "from SEGMENT_WRITE_KEY"));
    CHECK(contains(r.out, "host            " + c.url()));
    CHECK(contains(r.out, "ok    collector " + c.url() + "/v1/batch reachable (answered 200)\n"));
    CHECK(contains(r.out, "ok    write key ****3456 accepted (200 to an empty batch)\n"));
    CHECK_FALSE(contains(r.out, "FAIL"));
    // One request, an empty batch with the key: nothing for the collector to keep.
    const auto reqs = c.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].header("Authorization") == k_authorization);
    CHECK(reqs[0].json["batch"] == nlohmann::json::array());
    CHECK(c.event_count() == 0);
}

TEST_CASE("where each setting came from: code default, config file profile, environment, option") {
    temp_dir dir("seglog-cli-doctor");
    seglog::loopback::collector c;
    const std::string file = dir.write("seglog.json", R"({"profiles": {"staging": {"destination": "segment",
        "flush_at": 20, "spool_dir": ")" + dir.file("spool") +
                                                          R"("}}})");
    const tool_result r = run_seglog({"doctor", "--env", "staging", "--host", c.url()},
                                     {{"SEGMENT_WRITE_KEY", k_write_key}, {"SEGLOG_CONFIG", file}});
    INFO(r.text());
    CHECK(r.status == 0);
    CHECK(contains(r.out, "environment     staging"));
    CHECK(contains(r.out, "from --env\n"));
    CHECK(contains(r.out, "from --host\n"));
    CHECK(contains(r.out, "flush_at        20 "));
    CHECK(contains(r.out, "path            /v1/batch"));
    CHECK(contains(r.out, "ok    spool " + dir.file("spool") + " does not exist yet; it can be created\n"));
    CHECK_FALSE(contains(r.out + r.err, k_write_key));
}

TEST_CASE("an unreachable collector: exit 1, a FAIL line with the reason") {
    seglog::loopback::collector c;
    c.stop();
    const tool_result r = run_seglog({"doctor"}, segment_env(c));
    INFO(r.text());
    CHECK(r.status == 1);
    CHECK(contains(r.out, "FAIL  collector " + c.url() + "/v1/batch: unreachable: "));
    CHECK(contains(r.out, "Couldn't connect to server"));
}

TEST_CASE("a collector that checks the key: the right one accepted, another refused with 401") {
    seglog::loopback::collector_options o;
    o.write_key = k_write_key;
    seglog::loopback::collector c(o);
    const tool_result good = run_seglog({"doctor"}, segment_env(c));
    INFO(good.text());
    CHECK(good.status == 0);
    CHECK(contains(good.out, "ok    write key ****3456 accepted (200 to an empty batch)\n"));

    env_vars env = segment_env(c);
    env[0].second = "wk_some_other_key_9876";
    const tool_result r = run_seglog({"doctor"}, env);
    INFO(r.text());
    CHECK(r.status == 1);
    CHECK(contains(r.out, "ok    collector " + c.url() + "/v1/batch reachable (answered 401)\n"));
    CHECK(contains(r.out, "FAIL  write key ****9876: refused by the collector (401)\n"));
    CHECK_FALSE(contains(r.out + r.err, "wk_some_other_key_9876"));
    CHECK(c.event_count() == 0);
}

TEST_CASE("a file destination that cannot be written: exit 1 with the reason") {
    temp_dir dir("seglog-cli-doctor");
    const std::string not_a_dir = dir.write("plain", "x");
    const tool_result r = run_seglog({"doctor"}, {{"SEGLOG_DESTINATION", "file:" + not_a_dir + "/events.jsonl"}});
    INFO(r.text());
    CHECK(r.status == 1);
    CHECK(contains(r.out, "FAIL  configuration: seglog config: destination \"file:" + not_a_dir + "/events.jsonl\""));
}

TEST_CASE("a spool another process holds: exit 1 naming its pid; a writable file passes") {
    temp_dir dir("seglog-cli-doctor");
    seglog::loopback::collector c;
    seglog::config cfg = segment_config(c);
    cfg.spool_dir = dir / "spool";
    seglog::client holder(cfg);
    const tool_result r = run_seglog({"doctor"}, {{"SEGLOG_SPOOL_DIR", cfg.spool_dir},
                                                  {"SEGLOG_DESTINATION", "file:" + dir.file("e.jsonl")}});
    INFO(r.text());
    CHECK(r.status == 1);
    CHECK(contains(r.out, "ok    file " + dir.file("e.jsonl") + " writable\n"));
    CHECK(contains(r.out, "FAIL  spool " + cfg.spool_dir + ": in use by pid " + std::to_string(::getpid()) + "\n"));
}

} // TEST_SUITE
