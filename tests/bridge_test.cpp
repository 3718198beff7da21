// The record bridge and the demux sink: events and log lines share one logger and never mix,
// with sync and async loggers, from several threads, whatever the text of a line says.
#include <doctest/doctest.h>

#include "async_logging.h"
#include "collecting_sink.h"

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
using seglog_test::collecting_sink;

namespace {

struct routed {
    std::shared_ptr<collecting_sink> lines = std::make_shared<collecting_sink>();
    std::shared_ptr<collecting_sink> events = std::make_shared<collecting_sink>();
    std::shared_ptr<seglog::demux_sink_mt> demux;

    explicit routed(bool echo = false)
        : demux(std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{lines},
                                                        std::vector<spdlog::sink_ptr>{events}, echo)) {}
    std::shared_ptr<spdlog::logger> sync_logger(const std::string &name = "bridge") const {
        return std::make_shared<spdlog::logger>(name, demux);
    }
};

std::uint64_t not_attached_count() {
    return seglog::call_site_stats().by_reason[static_cast<int>(seglog::reason::not_attached)];
}

// 4 threads, each logging `per_thread` events and as many lines, interleaved.
constexpr int producer_threads = 4;
constexpr int per_thread = 5000;

void produce(spdlog::logger &logger) {
    std::vector<std::thread> pool;
    for (int t = 0; t < producer_threads; ++t) {
        pool.emplace_back([&logger, t] {
            const auto who = seglog::user("u-" + std::to_string(t));
            for (int i = 0; i < per_thread; ++i) {
                SEGLOG_LOGGER_TRACK(logger, who, "Tick", {{"t", t}, {"i", i}});
                logger.info("line {} {}", t, i);
            }
        });
    }
    for (auto &th : pool) th.join();
}

struct tally {
    std::set<std::pair<int, int>> events, lines;
    int duplicate_events = 0, duplicate_lines = 0, crossed = 0;
};

tally count(const routed &r) {
    tally out;
    for (const auto &e : r.events->items()) {
        if (!e.event) {
            ++out.crossed;
            continue;
        }
        const json j = json::parse(e.payload);
        const auto key = std::make_pair(j.at("properties").at("t").get<int>(), j.at("properties").at("i").get<int>());
        if (!out.events.insert(key).second) ++out.duplicate_events;
    }
    for (const auto &l : r.lines->items()) {
        int t = -1, i = -1;
        if (l.event || std::sscanf(l.payload.c_str(), "line %d %d", &t, &i) != 2) {
            ++out.crossed;
            continue;
        }
        if (!out.lines.insert({t, i}).second) ++out.duplicate_lines;
    }
    return out;
}

} // namespace

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

TEST_SUITE("bridge: demux sink") {

TEST_CASE("a logger without a demux: the event is reported as not_attached and nothing is written") {
    auto plain = std::make_shared<collecting_sink>();
    auto logger = std::make_shared<spdlog::logger>("plain", plain);
    seglog_test::error_capture capture;
    const auto before = not_attached_count();
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "E", {{"secret", "value"}});
    SEGLOG_LOGGER_ALIAS(logger, "a", "u");
    CHECK(plain->size() == 0);
    CHECK(not_attached_count() - before == 2);
    const auto errors = capture.errors();
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].code == seglog::reason::not_attached);
    CHECK(errors[0].message == "track not logged: logger 'plain' has no seglog demux sink (call seglog::attach)");
    CHECK(errors[0].event_type == "track");
    CHECK(errors[1].message == "alias not logged: logger 'plain' has no seglog demux sink (call seglog::attach)");
}

TEST_CASE("not_attached is decided per logger as it is now, not as a logger at that address once was") {
    seglog_test::error_capture capture;
    routed r;
    auto plain = std::make_shared<collecting_sink>();
    const void *addresses[2] = {};
    for (int round = 0; round < 2; ++round) {
        // The same stack slot each round: first a routed logger, then a plain one.
        spdlog::logger logger("slot", round == 0 ? spdlog::sink_ptr(r.demux) : spdlog::sink_ptr(plain));
        addresses[round] = &logger;
        SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "E");
    }
    CAPTURE(addresses[0] == addresses[1]);
    CHECK(r.events->size() == 1);
    CHECK(plain->size() == 0);
    CHECK(capture.errors().size() == 1);

    // A logger whose demux is replaced by a plain sink.
    auto logger = r.sync_logger("replaced");
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "E");
    logger->sinks().assign(1, plain);
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "E");
    CHECK(r.events->size() == 2);
    CHECK(plain->size() == 0);
    REQUIRE(capture.errors().size() == 2);
    CHECK(capture.errors()[1].code == seglog::reason::not_attached);
}

TEST_CASE("a sink added beside the demux: the event is refused as not_attached, not printed as a log line") {
    // The usual way to get there: a sink pushed onto logger->sinks() after attach().
    seglog_test::error_capture capture;
    routed r;
    auto logger = r.sync_logger("beside");
    auto extra = std::make_shared<collecting_sink>();
    logger->sinks().push_back(extra);
    const auto before = not_attached_count();
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Diagnosis Recorded", {{"condition", "asthma"}});
    logger->info("an ordinary line");
    CHECK(r.events->size() == 0);
    REQUIRE(extra->size() == 1); // the log line only
    CHECK_FALSE(extra->items()[0].event);
    CHECK(extra->payloads()[0] == "an ordinary line");
    CHECK(not_attached_count() - before == 1);
    const auto errors = capture.errors();
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].code == seglog::reason::not_attached);
    CHECK(errors[0].message ==
          "track not logged: logger 'beside' has a sink beside its seglog demux sink, which would print the event as "
          "a log line (add log sinks before seglog::attach, or give them to the demux_sink)");

    // Without the sink beside it, the demux routes events again.
    logger->sinks().pop_back();
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Diagnosis Recorded", {{"condition", "asthma"}});
    CHECK(r.events->size() == 1);
}

TEST_CASE("each log sink keeps its own level and pattern; set_pattern leaves event sinks alone") {
    std::ostringstream warn_out, all_out, event_out;
    auto warn_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(warn_out);
    warn_sink->set_level(spdlog::level::warn);
    warn_sink->set_pattern("W|%l|%v");
    auto all_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(all_out);
    all_sink->set_pattern("A|%n|%v");
    auto event_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(event_out);
    event_sink->set_pattern("%v");
    auto demux = std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{warn_sink, all_sink},
                                                         std::vector<spdlog::sink_ptr>{event_sink});
    auto logger = std::make_shared<spdlog::logger>("svc", demux);

    logger->info("one");
    logger->warn("two");
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "E1");
    CHECK(warn_out.str() == "W|warning|two\n");
    CHECK(all_out.str() == "A|svc|one\nA|svc|two\n");

    logger->set_pattern("X|%v");
    logger->error("three");
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "E2");
    CHECK(warn_out.str() == "W|warning|two\nX|three\n");
    CHECK(all_out.str() == "A|svc|one\nA|svc|two\nX|three\n");

    // The event sink got exactly the two records, as raw JSON lines.
    std::istringstream in(event_out.str());
    std::string line;
    std::vector<std::string> names;
    while (std::getline(in, line)) {
        CHECK(line.rfind("{\"messageId\":\"", 0) == 0);
        names.push_back(json::parse(line).at("event").get<std::string>());
    }
    CHECK(names == std::vector<std::string>{"E1", "E2"});
    CHECK(demux->log_sinks().size() == 2);
    CHECK(demux->event_sinks().size() == 1);
    CHECK_FALSE(demux->echo_events());
}

TEST_CASE("echo mode renders one readable info line per event to the log sinks") {
    routed r(true);
    auto logger = r.sync_logger();
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u-42"), "Order Completed", {{"order_id", "o-1"}, {"revenue", 42.5}});
    SEGLOG_LOGGER_GROUP(logger, seglog::anonymous("a-1"), "org-7", {{"name", "Acme"}});
    const auto events = r.events->payloads();
    REQUIRE(events.size() == 2);
    const std::string id0 = json::parse(events[0]).at("messageId").get<std::string>();
    const auto lines = r.lines->items();
    REQUIRE(lines.size() == 2);
    CHECK_FALSE(lines[0].event);
    CHECK(lines[0].level == spdlog::level::info);
    CHECK(lines[0].payload == "event track \"Order Completed\" userId=u-42 properties={\"order_id\":\"o-1\",\"revenue\":42.5} "
                              "messageId=" + id0);
    CHECK(lines[1].payload == "event group groupId=org-7 anonymousId=a-1 traits={\"name\":\"Acme\"} messageId=" +
                                  json::parse(events[1]).at("messageId").get<std::string>());

    // A log sink above info does not get the echo.
    r.lines->set_level(spdlog::level::warn);
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u-42"), "Quiet");
    CHECK(r.events->size() == 3);
    CHECK(r.lines->size() == 2);
}

} // TEST_SUITE

namespace {

// An event sink that can take records directly (as segment_sink does) and tells which way each
// came; with `fail` set, both ways throw it.
class taking_sink final : public spdlog::sinks::sink, public seglog::detail::record_target {
public:
    std::function<void()> fail;
    std::vector<std::string> via_log, via_take;

    void log(const spdlog::details::log_msg &msg) override {
        if (fail) fail();
        via_log.emplace_back(seglog::event_json(msg));
    }
    void take_record(std::string_view record) override {
        if (fail) fail();
        via_take.emplace_back(record);
    }
    void flush() override {}
    void set_pattern(const std::string &) override {}
    void set_formatter(std::unique_ptr<spdlog::formatter>) override {}
};

std::string event_of(const std::string &record) { return json::parse(record).at("event").get<std::string>(); }

} // namespace

TEST_SUITE("bridge: direct hand-off") {

TEST_CASE("a demux's only event sink that takes records gets each event directly, the record log() would get") {
    auto lines = std::make_shared<collecting_sink>();
    auto taker = std::make_shared<taking_sink>();
    auto demux = std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{lines},
                                                         std::vector<spdlog::sink_ptr>{taker});
    CHECK(demux->direct_target() == taker.get());
    spdlog::logger logger("direct", demux);
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u-1"), "Direct", {{"n", 1}});
    logger.info("a line");
    REQUIRE(taker->via_take.size() == 1);
    CHECK(taker->via_log.empty());
    const json j = json::parse(taker->via_take[0]);
    CHECK(j.at("event") == "Direct");
    CHECK(j.at("userId") == "u-1");
    CHECK(j.at("properties") == json{{"n", 1}});
    CHECK(lines->payloads() == std::vector<std::string>{"a line"});
}

TEST_CASE("echo, a second event sink, a second demux or an async logger: records go through log() as before") {
    auto who = seglog::user("u-2");
    SUBCASE("echo: the readable line still reaches the log sinks") {
        auto lines = std::make_shared<collecting_sink>();
        auto taker = std::make_shared<taking_sink>();
        auto demux = std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{lines},
                                                             std::vector<spdlog::sink_ptr>{taker}, true);
        CHECK(demux->direct_target() == nullptr);
        spdlog::logger logger("echo", demux);
        SEGLOG_LOGGER_TRACK(logger, who, "Echoed");
        CHECK(taker->via_take.empty());
        REQUIRE(taker->via_log.size() == 1);
        CHECK(event_of(taker->via_log[0]) == "Echoed");
        CHECK(lines->size() == 1);
    }
    SUBCASE("two event sinks: both get the same record") {
        auto taker = std::make_shared<taking_sink>();
        auto events = std::make_shared<collecting_sink>();
        auto demux = std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{},
                                                             std::vector<spdlog::sink_ptr>{taker, events});
        CHECK(demux->direct_target() == nullptr);
        spdlog::logger logger("two", demux);
        SEGLOG_LOGGER_TRACK(logger, who, "Twice");
        CHECK(taker->via_take.empty());
        REQUIRE(taker->via_log.size() == 1);
        CHECK(events->payloads() == taker->via_log);
    }
    SUBCASE("two demux sinks on one logger: each routes the event") {
        auto taker1 = std::make_shared<taking_sink>();
        auto taker2 = std::make_shared<taking_sink>();
        auto d1 = std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{},
                                                          std::vector<spdlog::sink_ptr>{taker1});
        auto d2 = std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{},
                                                          std::vector<spdlog::sink_ptr>{taker2});
        spdlog::logger logger("pair", {d1, d2});
        SEGLOG_LOGGER_TRACK(logger, who, "Both");
        REQUIRE(taker1->via_log.size() == 1);
        REQUIRE(taker2->via_log.size() == 1);
        CHECK(taker1->via_take.empty());
        CHECK(taker2->via_take.empty());
        CHECK(taker1->via_log == taker2->via_log);
    }
    SUBCASE("an async logger queues the record, then the sink's log() gets it") {
        auto taker = std::make_shared<taking_sink>();
        auto demux = std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{},
                                                             std::vector<spdlog::sink_ptr>{taker});
        {
            seglog_test::async_logging async("async-direct", demux, 128);
            SEGLOG_LOGGER_TRACK(async.logger, who, "Queued");
            async.drain(); // the pool's thread handles what is queued, then is joined
        }
        CHECK(taker->via_take.empty());
        REQUIRE(taker->via_log.size() == 1);
        CHECK(event_of(taker->via_log[0]) == "Queued");
    }
}

TEST_CASE("a sink's exception reaches the logger's error handler in spdlog's words, on either path") {
    for (const bool direct : {true, false}) { // one event sink (direct), or two (through log())
        CAPTURE(direct);
        auto taker = std::make_shared<taking_sink>();
        taker->fail = [] { throw std::runtime_error("sink failed"); };
        const auto event_sinks = direct ? std::vector<spdlog::sink_ptr>{taker}
                                        : std::vector<spdlog::sink_ptr>{taker, std::make_shared<collecting_sink>()};
        auto demux = std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{}, event_sinks);
        CHECK((demux->direct_target() != nullptr) == direct);
        spdlog::logger logger("failing", demux);
        std::vector<std::string> reported;
        logger.set_error_handler([&](const std::string &m) { reported.push_back(m); });

        SEGLOG_LOGGER_TRACK(logger, seglog::user("u-3"), "Lost");
        SEGLOG_LOGGER_IDENTIFY(logger, seglog::user("u-3"));
        // The record's source is the event tag, its line the event type (track 0, identify 1).
        CHECK(reported == std::vector<std::string>{"sink failed [seglog-event-record(0)]",
                                                   "sink failed [seglog-event-record(1)]"});

        // Anything else is reported and rethrown, as spdlog does.
        taker->fail = [] { throw 42; };
        CHECK_THROWS_AS(SEGLOG_LOGGER_TRACK(logger, seglog::user("u-3"), "Thrown"), int);
        REQUIRE(reported.size() == 3);
        CHECK(reported[2] == "Rethrowing unknown exception in logger");
    }
}

} // TEST_SUITE

TEST_SUITE("bridge: macros") {

TEST_CASE("macros take braces, a json object and call_options, through any kind of logger reference") {
    routed r;
    auto logger = r.sync_logger();
    spdlog::logger *raw = logger.get();
    spdlog::logger &ref = *logger;
    const auto who = seglog::user("u-42");
    const json props = {{"plan", "pro"}, {"seats", 3}};
    const json ctx = {{"ip", "192.0.2.1"}};
    const json integrations = {{"All", false}};

    SEGLOG_LOGGER_TRACK(logger, who, "Braces", {{"order_id", "o-1"}, {"revenue", 42.5}, {"paid", true}});
    SEGLOG_LOGGER_TRACK(raw, who, "Json", props);
    SEGLOG_LOGGER_TRACK(ref, who, "Options", {{"a", 1}},
                        seglog::call_options{}.with_context(ctx).with_integrations(integrations));
    SEGLOG_LOGGER_TRACK(logger, who, "Bare");
    SEGLOG_LOGGER_IDENTIFY(raw, who, props);
    SEGLOG_LOGGER_PAGE(ref, who, "Home", {{"path", "/"}});
    SEGLOG_LOGGER_SCREEN(logger, who, "Settings");
    SEGLOG_LOGGER_GROUP(logger, who, "org-7", {{"name", "Acme"}}, seglog::call_options{}.with_context(ctx));
    SEGLOG_LOGGER_ALIAS(logger, "a-9", "u-42", seglog::call_options{}.with_integrations(integrations));

    const auto events = r.events->payloads();
    REQUIRE(events.size() == 9);
    std::vector<json> j;
    for (const auto &e : events) j.push_back(json::parse(e));
    CHECK(j[0].at("properties") == json{{"order_id", "o-1"}, {"revenue", 42.5}, {"paid", true}});
    CHECK(j[1].at("properties") == props);
    CHECK(j[2].at("context").at("ip") == "192.0.2.1");
    CHECK(j[2].at("integrations") == integrations);
    CHECK(j[3].at("properties") == json::object());
    CHECK(j[4].at("traits") == props);
    CHECK(j[5].at("name") == "Home");
    CHECK(j[6].at("name") == "Settings");
    CHECK(j[7].at("groupId") == "org-7");
    CHECK(j[7].at("context").at("ip") == "192.0.2.1");
    CHECK(j[8].at("integrations") == integrations);

    // An async logger through its shared_ptr type.
    seglog_test::async_logging async("async-macros", r.demux, 64);
    std::shared_ptr<spdlog::async_logger> &async_ptr = async.logger;
    SEGLOG_LOGGER_TRACK(async_ptr, who, "Async");
    async_ptr->flush();
    REQUIRE(r.events->wait_for([](const auto &items, int flushes) { return flushes > 0 && items.size() == 10; }));
}

TEST_CASE("the default-logger macros use spdlog's default logger") {
    routed r;
    auto previous = spdlog::default_logger();
    spdlog::set_default_logger(r.sync_logger("default-for-test"));
    const auto who = seglog::user("u-42");
    SEGLOG_TRACK(who, "Order Completed", {{"revenue", 42.5}});
    SEGLOG_IDENTIFY(who, {{"plan", "pro"}});
    SEGLOG_PAGE(who, "Home", {{"path", "/"}});
    SEGLOG_SCREEN(who, "Settings", {});
    SEGLOG_GROUP(who, "org-7", {{"name", "Acme"}});
    SEGLOG_ALIAS("a-9", "u-42");
    SPDLOG_INFO("a line through the default logger");
    spdlog::set_default_logger(previous);

    std::vector<std::string> types;
    for (const auto &e : r.events->payloads()) types.push_back(json::parse(e).at("type").get<std::string>());
    CHECK(types == std::vector<std::string>{"track", "identify", "page", "screen", "group", "alias"});
    CHECK(r.lines->payloads() == std::vector<std::string>{"a line through the default logger"});
}

TEST_CASE("macros work as single statements in if/else") {
    routed r;
    auto logger = r.sync_logger();
    bool flag = false;
    if (flag)
        SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Then");
    else
        SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Else");
    REQUIRE(r.events->size() == 1);
    CHECK(json::parse(r.events->payloads()[0]).at("event") == "Else");
}

TEST_CASE("tracking switched off: arguments are not evaluated and nothing is logged") {
    routed r;
    auto logger = r.sync_logger();
    int evaluated = 0;
    auto counted = [&evaluated](int v) {
        ++evaluated;
        return v;
    };
    auto who = [&evaluated] {
        ++evaluated;
        return seglog::user("u");
    };
    seglog::set_tracking(false);
    CHECK_FALSE(seglog::tracking_enabled());
    SEGLOG_LOGGER_TRACK(logger, who(), "E", {{"a", counted(1)}, {"b", counted(2)}});
    SEGLOG_LOGGER_IDENTIFY(logger, who(), {{"a", counted(1)}});
    SEGLOG_LOGGER_ALIAS(logger, "a", std::to_string(counted(3)));
    logger->info("lines are not affected");
    seglog::set_tracking(true);
    CHECK(evaluated == 0);
    CHECK(r.events->size() == 0);
    CHECK(r.lines->size() == 1);

    SEGLOG_LOGGER_TRACK(logger, who(), "E", {{"a", counted(1)}, {"b", counted(2)}});
    CHECK(evaluated == 3);
    CHECK(r.events->size() == 1);
}

} // TEST_SUITE
