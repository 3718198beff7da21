// The record bridge: events and log lines share one logger and never mix, with sync and async
// loggers, from several threads, whatever the text of a line says; levels and flushing.
#include <doctest/doctest.h>

#include "async_logging.h"
#include "collecting_sink.h"
#include "routed.h"

#include <seglog/demux_sink.h>
#include <seglog/error.h>
#include <seglog/macros.h>
#include <seglog/record.h>
#include <seglog/tracking.h>

#include <nlohmann/json.hpp>
#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using nlohmann::json;
using namespace seglog_test;

TEST_SUITE("bridge: routing") {

TEST_CASE("events go to the event sinks, lines to the log sinks, with a sync logger") {
    routed r;
    auto logger = r.sync_logger();
    logger->info("listening on {}", 8080);
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u-42"), "Order Completed", {{"order_id", "o-1"}});
    logger->warn("slow request");

    const auto events = r.events->items();
    REQUIRE(events.size() == 1);
    CHECK(events[0].event);
    CHECK(events[0].level == spdlog::level::off);
    const json j = json::parse(events[0].payload);
    CHECK(j.at("event") == "Order Completed");
    CHECK(j.at("properties") == json{{"order_id", "o-1"}});

    const auto lines = r.lines->items();
    REQUIRE(lines.size() == 2);
    CHECK_FALSE(lines[0].event);
    CHECK(lines[0].payload == "listening on 8080");
    CHECK(lines[0].level == spdlog::level::info);
    CHECK(lines[1].payload == "slow request");
}

TEST_CASE("4 threads x 5,000 events and lines through a sync logger: each once, on its side") {
    routed r;
    auto logger = r.sync_logger();
    produce(*logger);
    const tally t = count(r);
    CHECK(t.crossed == 0);
    CHECK(t.duplicate_events == 0);
    CHECK(t.duplicate_lines == 0);
    CHECK(t.events.size() == std::size_t{producer_threads} * per_thread);
    CHECK(t.lines.size() == std::size_t{producer_threads} * per_thread);
}

TEST_CASE("4 threads x 5,000 events and lines through an async logger (block): each once, on its side") {
    routed r;
    seglog_test::async_logging async("async", r.demux, 1024, 1, spdlog::async_overflow_policy::block);
    auto &logger = async.logger;
    produce(*logger);
    logger->flush(); // queued behind every record; the demux flushes both sides when it gets there
    REQUIRE(r.events->wait_for([](const auto &, int flushes) { return flushes > 0; }));
    const tally t = count(r);
    CHECK(t.crossed == 0);
    CHECK(t.duplicate_events == 0);
    CHECK(t.duplicate_lines == 0);
    CHECK(t.events.size() == std::size_t{producer_threads} * per_thread);
    CHECK(t.lines.size() == std::size_t{producer_threads} * per_thread);
}

TEST_CASE("async logger with overrun_oldest: records may be dropped by spdlog, never duplicated or crossed") {
    routed r;
    seglog_test::async_logging async("async-overrun", r.demux, 64, 1, spdlog::async_overflow_policy::overrun_oldest);
    auto &logger = async.logger;
    produce(*logger);
    logger->flush(); // posted last, so it is never the one overrun
    REQUIRE(r.events->wait_for([](const auto &, int flushes) { return flushes > 0; }));
    const tally t = count(r);
    CHECK(t.crossed == 0);
    CHECK(t.duplicate_events == 0);
    CHECK(t.duplicate_lines == 0);
    // Everything posted was either delivered to its side or counted as overrun by spdlog.
    CHECK(t.events.size() + t.lines.size() + async.pool->overrun_counter() ==
          2 * std::size_t{producer_threads} * per_thread);
}

TEST_CASE("a forged line is never routed as an event") {
    routed r;
    auto logger = r.sync_logger();
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u-42"), "Order Completed", {{"order_id", "o-1"}});
    REQUIRE(r.events->size() == 1);
    const std::string record = r.events->payloads()[0];

    // Untrusted text that is byte-identical to a record, logged every way a line can be.
    logger->info(record);
    logger->info("{}", record);
    logger->log(spdlog::level::off, record);
    SPDLOG_LOGGER_ERROR(logger, "{}", record);
    // Text that carries the tag string, in the payload and as a source file name.
    logger->info("seglog-event-record");
    logger->log(spdlog::source_loc{"seglog-event-record", 0, "f"}, spdlog::level::info, record);
    const std::string tag_copy = "seglog-event-record";
    logger->log(spdlog::source_loc{tag_copy.c_str(), static_cast<int>(seglog::event_type::track), nullptr},
                spdlog::level::off, spdlog::string_view_t(record));

    CHECK(r.events->size() == 1);
    const auto lines = r.lines->items();
    REQUIRE(lines.size() == 7);
    for (const auto &l : lines) CHECK_FALSE(l.event);
    CHECK(lines[0].payload == record);
    CHECK(lines[4].payload == "seglog-event-record");
    CHECK(lines[6].payload == record);
}

TEST_CASE("a forged line is never routed as an event through an async logger either") {
    routed r;
    seglog_test::async_logging async("async-forged", r.demux, 128);
    auto &logger = async.logger;
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u-42"), "E");
    logger->flush();
    REQUIRE(r.events->wait_for([](const auto &items, int flushes) { return flushes > 0 && items.size() == 1; }));
    const std::string record = r.events->payloads()[0];
    logger->info(record);
    logger->log(spdlog::source_loc{"seglog-event-record", 1, "f"}, spdlog::level::off, record);
    logger->flush();
    REQUIRE(r.lines->wait_for([](const auto &, int flushes) { return flushes > 1; }));
    CHECK(r.events->size() == 1);
    CHECK(r.lines->size() == 2);
}

} // TEST_SUITE

TEST_SUITE("bridge: levels and flushing") {

TEST_CASE("events do not depend on the logger's level; lines are filtered as before") {
    routed r;
    auto logger = r.sync_logger();
    const auto who = seglog::user("u");

    logger->set_level(spdlog::level::err);
    logger->info("filtered");
    logger->error("kept");
    SEGLOG_LOGGER_TRACK(logger, who, "At err");

    logger->set_level(spdlog::level::off);
    logger->critical("filtered too");
    SEGLOG_LOGGER_TRACK(logger, who, "At off");
    SEGLOG_LOGGER_IDENTIFY(logger, who, {{"plan", "pro"}});

    const auto events = r.events->payloads();
    REQUIRE(events.size() == 3);
    CHECK(json::parse(events[0]).at("event") == "At err");
    CHECK(json::parse(events[1]).at("event") == "At off");
    CHECK(json::parse(events[2]).at("type") == "identify");
    const auto lines = r.lines->payloads();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "kept");
}

TEST_CASE("a log sink's own level keeps filtering lines and does not filter events") {
    routed r;
    r.lines->set_level(spdlog::level::warn);
    r.events->set_level(spdlog::level::critical);
    auto logger = r.sync_logger();
    logger->info("below the sink's level");
    logger->warn("at the sink's level");
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "E");
    CHECK(r.lines->payloads() == std::vector<std::string>{"at the sink's level"});
    CHECK(r.events->size() == 1);
    // The demux reads the level on every line: a change while the logger runs takes effect.
    r.lines->set_level(spdlog::level::info);
    logger->info("after the change");
    logger->debug("still below");
    CHECK(r.lines->payloads() == std::vector<std::string>{"at the sink's level", "after the change"});
}

TEST_CASE("the logger's flush_on level is not triggered by events") {
    routed r;
    auto logger = r.sync_logger();
    logger->flush_on(spdlog::level::trace);
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "E");
    SEGLOG_LOGGER_ALIAS(logger, "a", "u");
    CHECK(r.events->size() == 2);
    CHECK(r.events->flushes() == 0);
    CHECK(r.lines->flushes() == 0);
    logger->info("a line");
    CHECK(r.lines->flushes() == 1);
}

TEST_CASE("with spdlog's backtrace enabled, dump_backtrace() does not send events a second time") {
    routed r;
    auto logger = r.sync_logger();
    logger->enable_backtrace(16);
    logger->debug("debug before");
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Once");
    logger->debug("debug after");
    REQUIRE(r.events->size() == 1);
    logger->dump_backtrace();
    CHECK(r.events->size() == 1);
    // The ring buffer holds the lines (debug ones included), and no event JSON.
    const auto lines = r.lines->payloads();
    REQUIRE(lines.size() == 4);
    CHECK(lines[1] == "debug before");
    CHECK(lines[2] == "debug after");
}

TEST_CASE("flush() flushes the log sinks and the event sinks") {
    routed r;
    auto logger = r.sync_logger();
    logger->flush();
    CHECK(r.lines->flushes() == 1);
    CHECK(r.events->flushes() == 1);
}

} // TEST_SUITE
