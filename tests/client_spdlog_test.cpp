// seglog::client behind spdlog: segment_sink_mt behind demux_sink_mt with sync and async loggers
// from several threads (each event once, look-alike lines stay lines), and attach().

#include "pipeline.h"

#include <doctest/doctest.h>

#include <seglog/seglog.h>

#include "async_logging.h"

#include <spdlog/async.h>
#include <spdlog/sinks/ostream_sink.h>

#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using seglog::loopback::collector;
using seglog::loopback::reply;
using json = nlohmann::json;
using namespace std::chrono_literals;
using namespace seglog_test;

// ---------------------------------------------------------------------------------------------
// Through spdlog
// ---------------------------------------------------------------------------------------------

namespace {

// Several threads write events and look-alike log lines through one logger.
void write_from_threads(spdlog::logger &logger, int threads, int per_thread) {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&logger, t, per_thread] {
            for (int i = 0; i < per_thread; ++i) {
                SEGLOG_LOGGER_TRACK(logger, seglog::user("u-" + std::to_string(t)), "Thread Event",
                                    {{"t", t}, {"i", i}});
                // A log line that looks like an event record must stay a log line.
                logger.info("{{\"messageId\":\"forged-{}-{}\",\"type\":\"track\",\"event\":\"Forged\"}}", t, i);
            }
        });
    }
    for (auto &th : pool) th.join();
}

void check_each_event_once(const collector &c, int threads, int per_thread) {
    const std::size_t n = static_cast<std::size_t>(threads * per_thread);
    CHECK(c.unique_count() == n);
    CHECK(c.duplicate_count() == 0);
    CHECK(c.event_count() == n);
    std::set<std::pair<int, int>> seen;
    for (const auto &e : c.accepted_events()) {
        CHECK(e["event"] == "Thread Event");
        seen.emplace(e["properties"]["t"].get<int>(), e["properties"]["i"].get<int>());
    }
    CHECK(seen.size() == n);
    for (const auto &r : c.requests()) CHECK(r.body.find("forged-") == std::string::npos);
}

std::size_t count_lines(const std::string &s, const std::string &needle) {
    std::size_t n = 0;
    for (auto p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
    return n;
}

} // namespace

TEST_CASE("segment_sink_mt behind demux_sink_mt, sync logger, several threads: each event once") {
    seglog::set_tracking(true);
    collector c;
    auto cfg = segment_config(c);
    cfg.flush_at = 100;
    std::ostringstream lines;
    auto log_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(lines);
    auto segment = std::make_shared<seglog::segment_sink_mt>(cfg);
    auto demux = std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{log_sink},
                                                         std::vector<spdlog::sink_ptr>{segment});
    spdlog::logger logger("sync-demux", demux);

    constexpr int threads = 4, per_thread = 500;
    write_from_threads(logger, threads, per_thread);
    logger.flush(); // asks the worker to send; does not wait
    REQUIRE(segment->client().flush(k_bound).complete);

    check_each_event_once(c, threads, per_thread);
    check_settled_cleanly(segment->client().stats(), threads * per_thread);
    const std::string text = lines.str();
    CHECK(count_lines(text, "forged-") == threads * per_thread);
    CHECK(text.find("Thread Event") == std::string::npos);
}

TEST_CASE("segment_sink_mt behind demux_sink_mt, spdlog::async_logger, several threads: each event once") {
    seglog::set_tracking(true);
    collector c;
    auto cfg = segment_config(c);
    cfg.flush_at = 100;
    cfg.flush_interval = 200ms;
    std::ostringstream lines;
    auto log_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(lines);
    auto segment = std::make_shared<seglog::segment_sink_mt>(cfg);
    auto demux = std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{log_sink},
                                                         std::vector<spdlog::sink_ptr>{segment});
    constexpr int threads = 4, per_thread = 500;
    {
        seglog_test::async_logging async("async-demux", demux, 1024, 2, spdlog::async_overflow_policy::block);
        write_from_threads(*async.logger, threads, per_thread);
        // The pool hands records over on its own threads: wait until all events arrived.
        REQUIRE(c.wait_for_unique(threads * per_thread, k_bound));
    } // the pool drains the remaining log lines and is joined
    REQUIRE(segment->client().flush(k_bound).complete);

    check_each_event_once(c, threads, per_thread);
    check_settled_cleanly(segment->client().stats(), threads * per_thread);
    const std::string text = lines.str();
    CHECK(count_lines(text, "forged-") == threads * per_thread);
    CHECK(text.find("Thread Event") == std::string::npos);
}

TEST_CASE("attach(logger, cfg) with destinations = {segment}: events delivered, log lines stay") {
    seglog::set_tracking(true);
    collector c;
    auto cfg = segment_config(c);
    std::ostringstream lines;
    auto log_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(lines);
    auto logger = std::make_shared<spdlog::logger>("attached", log_sink);

    auto demux = seglog::attach(*logger, cfg);
    REQUIRE(demux);
    auto cl = seglog::segment_client(*demux);
    REQUIRE(cl);
    CHECK(cl->config().host == c.url());

    logger->set_level(spdlog::level::err); // tracking is not governed by log verbosity
    for (int i = 0; i < 20; ++i) SEGLOG_LOGGER_TRACK(logger, seglog::user("u-attach"), "Attached Event", {{"i", i}});
    SEGLOG_LOGGER_IDENTIFY(logger, seglog::user("u-attach"), {{"plan", "pro"}});
    logger->error("a plain error line");
    logger->info("an info line below the level");

    REQUIRE(cl->flush(k_bound).complete);
    CHECK(c.unique_count() == 21);
    CHECK(c.duplicate_count() == 0);
    check_settled_cleanly(cl->stats(), 21);
    const std::string text = lines.str();
    CHECK(text.find("a plain error line") != std::string::npos);
    CHECK(text.find("an info line below the level") == std::string::npos);
    CHECK(text.find("Attached Event") == std::string::npos);
    CHECK(text.find(k_write_key) == std::string::npos); // the startup line masks it
    for (const auto &r : c.requests()) CHECK(r.body.find("plain error line") == std::string::npos);
}
