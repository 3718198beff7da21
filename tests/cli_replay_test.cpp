// `seglog replay` as a user runs it: a JSON-lines file or a spool directory resent through the
// configuration in the environment, each event with its own messageId, bad lines reported with
// their number and counted, and an exit status of 0 only when everything was delivered.
#include <doctest/doctest.h>

#include "collector.h"
#include "config.h"
#include "spool_files.h"
#include "tool_run.h"

#include <set>
#include <string>
#include <vector>

using namespace seglog_test;
using namespace std::chrono_literals;

namespace {

env_vars segment_env(const seglog::loopback::collector &c) {
    return {{"SEGMENT_WRITE_KEY", k_write_key}, {"SEGLOG_DESTINATION", "segment"}, {"SEGMENT_HOST", c.url()}};
}

// An event as the file destination writes it.
std::string event_line(const std::string &id) {
    return R"({"messageId":")" + id + R"(","type":"track","event":"Order Completed","userId":"u-1",)" +
           R"("properties":{"n":1},"timestamp":"2026-01-02T03:04:05.678Z"})";
}

std::set<std::string> as_set(const std::vector<std::string> &v) { return {v.begin(), v.end()}; }

} // namespace

TEST_SUITE("cli: seglog replay") {

TEST_CASE("a JSON-lines file: every event arrives with its own messageId; exit 0") {
    temp_dir dir("seglog-cli-replay");
    const std::string file = dir.write("events.jsonl", event_line("m-1") + "\n" + event_line("m-2") + "\n\n" +
                                                           event_line("m-3") + "\n");
    seglog::loopback::collector c;
    const tool_result r = run_seglog({"replay", file}, segment_env(c));
    INFO(r.text());
    CHECK(r.status == 0);
    CHECK(c.accepted_ids() == std::vector<std::string>{"m-1", "m-2", "m-3"});
    CHECK(c.duplicate_count() == 0);
    CHECK(c.accepted_events()[1] == nlohmann::json::parse(event_line("m-2")));
    CHECK(r.out == "replayed file " + file + "\nlines: 3\nsent: 3\nfailed: 0\nbad lines: 0\nleft in spool: 0\n");
}

TEST_CASE("bad lines are reported by number and counted, the others still sent; exit 1") {
    temp_dir dir("seglog-cli-replay");
    const std::string file = dir.write("events.jsonl", event_line("m-1") + "\nnot json\n" +
                                                           R"({"type":"track","event":"E","userId":"u"})" + "\n" +
                                                           event_line("m-4") + "\n");
    seglog::loopback::collector c;
    const tool_result r = run_seglog({"replay", file}, segment_env(c));
    INFO(r.text());
    CHECK(r.status == 1);
    CHECK(as_set(c.accepted_ids()) == std::set<std::string>{"m-1", "m-4"});
    CHECK(contains(r.err, "seglog replay: " + file + ":2: not a JSON object\n"));
    CHECK(contains(r.err, "seglog replay: " + file + ":3: no messageId string"));
    CHECK(contains(r.out, "lines: 4\nsent: 2\nfailed: 0\nbad lines: 2\n"));
}

TEST_CASE("a collector that refuses the events: exit 1 with the counts and the reason") {
    temp_dir dir("seglog-cli-replay");
    const std::string file = dir.write("events.jsonl", event_line("m-1") + "\n" + event_line("m-2") + "\n");
    SUBCASE("400: failed for good") {
        seglog::loopback::collector c;
        c.set_default(400);
        const tool_result r = run_seglog({"replay", file}, segment_env(c));
        INFO(r.text());
        CHECK(r.status == 1);
        CHECK(contains(r.out, "sent: 0\nfailed: 2\n  rejected 2: "));
    }
    SUBCASE("401: the key refused, both events not delivered") {
        seglog::loopback::collector c;
        c.set_default(401);
        const tool_result r = run_seglog({"replay", file}, segment_env(c));
        INFO(r.text());
        CHECK(r.status == 1);
        CHECK(contains(r.out, "sent: 0\nfailed: 0\nnot delivered: 2 (config_error: "));
        CHECK(contains(r.out, "HTTP 401: the write key was refused"));
        CHECK_FALSE(contains(r.out + r.err, k_write_key));
    }
    SUBCASE("500 until the timeout") {
        seglog::loopback::collector c;
        c.set_default(500);
        const tool_result r = run_seglog({"replay", "--timeout", "1", file}, segment_env(c));
        INFO(r.text());
        CHECK(r.status == 1);
        CHECK(contains(r.out, "sent: 0\n"));
        CHECK(contains(r.out, "not delivered: 2 (delivery_delayed: "));
        CHECK(contains(r.out, "HTTP 500"));
    }
}

TEST_CASE("a spool left by a client whose collector was down: recovered and delivered with its messageIds") {
    temp_dir dir("seglog-cli-replay");
    const std::string spool = dir / "spool";
    pipeline p;
    p.col.stop();
    p.cfg.spool_dir = spool;
    p.start();
    p.track_n(20);
    p.close_within(0ms);
    REQUIRE(p.stats().spool_left == 20);
    p.col.start();

    const tool_result r = run_seglog({"replay", spool}, segment_env(p.col));
    INFO(r.text());
    CHECK(r.status == 0);
    CHECK(as_set(p.col.accepted_ids()) == as_set(p.l.accepted));
    CHECK(p.col.unique_count() == 20);
    CHECK(p.col.duplicate_count() == 0);
    CHECK(r.out == "replayed spool " + spool + "\nrecovered: 20\nsent: 20\nfailed: 0\nleft in spool: 0\n");
    CHECK(spool_segments(spool).empty()); // all settled: trimmed

    SUBCASE("and to a collector that is down, the events stay in the spool: exit 1") {
        pipeline q;
        q.col.stop();
        q.cfg.spool_dir = spool;
        q.start();
        q.track_n(3);
        q.close_within(0ms);
        const tool_result down = run_seglog({"replay", "--timeout", "1", spool}, segment_env(q.col));
        INFO(down.text());
        CHECK(down.status == 1);
        CHECK(contains(down.out, "recovered: 3\nsent: 0\nfailed: 0\nnot delivered: 3 ("));
        CHECK(contains(down.out, "left in spool: 3\n"));
    }
}

TEST_CASE("a path that is neither a file nor a directory, no path, an unknown option: exit 2") {
    seglog::loopback::collector c;
    for (const auto &args : std::vector<std::vector<std::string>>{{"replay", "/nonexistent/events.jsonl"},
                                                                  {"replay"},
                                                                  {"replay", "--speed", "2", "x"}}) {
        const tool_result r = run_seglog(args, segment_env(c));
        INFO(r.text());
        CHECK(r.status == 2);
        CHECK(contains(r.err, "seglog replay: "));
    }
    CHECK(c.request_count() == 0);
}

} // TEST_SUITE
