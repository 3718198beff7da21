// The demux sink: not_attached decided per logger, each log sink's own level and pattern, echo
// mode, and the direct hand-off of records to a sink that takes them.
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
    CHECK(lines[0].payload ==
          "event track \"Order Completed\" userId=u-42 properties={\"order_id\":\"o-1\",\"revenue\":42.5} "
          "messageId=" +
              id0);
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

        const int line = __LINE__ + 1;
        SEGLOG_LOGGER_TRACK(logger, seglog::user("u-3"), "Lost");
        SEGLOG_LOGGER_IDENTIFY(logger, seglog::user("u-3"));
        // The record's source is the event tag, its line the macro's.
        const auto at = [](int l) { return "sink failed [seglog-event-record(" + std::to_string(l) + ")]"; };
        CHECK(reported == std::vector<std::string>{at(line), at(line + 1)});

        // Anything else is reported and rethrown, as spdlog does.
        taker->fail = [] { throw 42; };
        CHECK_THROWS_AS(SEGLOG_LOGGER_TRACK(logger, seglog::user("u-3"), "Thrown"), int);
        REQUIRE(reported.size() == 3);
        CHECK(reported[2] == "Rethrowing unknown exception in logger");
    }
}

} // TEST_SUITE
