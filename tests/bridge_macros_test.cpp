// The macros: braces, json objects and call_options through any kind of logger reference, the
// default logger, single statements, and tracking switched off.
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
    if (flag) SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Then");
    else SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Else");
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
