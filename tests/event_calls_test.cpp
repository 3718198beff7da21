// The event layer, the calls: what each Segment Spec call serialises to (fields, context,
// integrations), through seglog::detail::serialize_event and through the macros.
#include <doctest/doctest.h>

#include "event_checks.h"

#include "common/timestamp.h"
#include "event/json_writer.h"
#include "event/message_id.h"
#include "event/serialize.h"

#include <seglog/demux_sink.h>
#include <seglog/error.h>
#include <seglog/event.h>
#include <seglog/macros.h>
#include <seglog/version.h>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

using namespace seglog_test;

TEST_SUITE("event: the six calls") {

TEST_CASE("track serialises every field") {
    const auto who = seglog::user("u-42");
    const auto before = clock_type::now();
    auto o = track(who, "Order Completed", {{"order_id", "o-1"}, {"revenue", 42.5}});
    const auto after = clock_type::now();
    REQUIRE_FALSE(o.err);
    json j = check_common(o.record, "track", before, after);
    CHECK(j == json{{"type", "track"},
                    {"userId", "u-42"},
                    {"event", "Order Completed"},
                    {"properties", {{"order_id", "o-1"}, {"revenue", 42.5}}},
                    {"context", {{"library", {{"name", "seglog"}, {"version", "0.1.0"}}}}},
                    {"integrations", json::object()}});
}

TEST_CASE("track with an anonymousId only, and with both ids") {
    const auto anon = seglog::anonymous("a-9");
    auto o = track(anon, "Signup Started");
    REQUIRE_FALSE(o.err);
    json j = json::parse(o.record);
    CHECK(j.at("anonymousId") == "a-9");
    CHECK_FALSE(j.contains("userId"));
    CHECK(j.at("properties") == json::object());

    const auto both = seglog::user("u-1", "a-1");
    o = track(both, "Signed In");
    REQUIRE_FALSE(o.err);
    j = json::parse(o.record);
    CHECK(j.at("userId") == "u-1");
    CHECK(j.at("anonymousId") == "a-1");
    const auto chained = seglog::user("u-2").with_anonymous_id("a-2");
    o = track(chained, "Signed In");
    REQUIRE_FALSE(o.err);
    j = json::parse(o.record);
    CHECK(j.at("userId") == "u-2");
    CHECK(j.at("anonymousId") == "a-2");
}

TEST_CASE("identify serialises traits") {
    const auto who = seglog::user("u-42");
    const auto before = clock_type::now();
    auto o = call(event_type::identify, who, {}, {{"plan", "pro"}, {"seats", 5}});
    const auto after = clock_type::now();
    REQUIRE_FALSE(o.err);
    json j = check_common(o.record, "identify", before, after);
    CHECK(j == json{{"type", "identify"},
                    {"userId", "u-42"},
                    {"traits", {{"plan", "pro"}, {"seats", 5}}},
                    {"context", {{"library", {{"name", "seglog"}, {"version", "0.1.0"}}}}},
                    {"integrations", json::object()}});
}

TEST_CASE("page and screen serialise name and properties; name is optional") {
    const auto who = seglog::anonymous("a-1");
    const seglog::call_options opts;
    for (auto type : {event_type::page, event_type::screen}) {
        CAPTURE(seglog::to_string(type));
        const auto before = clock_type::now();
        auto o = call(type, who, "Home", {{"path", "/"}});
        const auto after = clock_type::now();
        REQUIRE_FALSE(o.err);
        json j = check_common(o.record, seglog::to_string(type), before, after);
        CHECK(j == json{{"type", seglog::to_string(type)},
                        {"anonymousId", "a-1"},
                        {"name", "Home"},
                        {"properties", {{"path", "/"}}},
                        {"context", {{"library", {{"name", "seglog"}, {"version", "0.1.0"}}}}},
                        {"integrations", json::object()}});

        o = serialize({type, &who, {}, {}, {}, {}, nullptr, &opts});
        REQUIRE_FALSE(o.err);
        j = json::parse(o.record);
        CHECK_FALSE(j.contains("name"));
        CHECK(j.at("properties") == json::object());
    }
}

TEST_CASE("group serialises groupId and traits") {
    const auto who = seglog::user("u-42");
    const auto before = clock_type::now();
    auto o = call(event_type::group, who, "org-7", {{"name", "Acme"}});
    const auto after = clock_type::now();
    REQUIRE_FALSE(o.err);
    json j = check_common(o.record, "group", before, after);
    CHECK(j == json{{"type", "group"},
                    {"userId", "u-42"},
                    {"groupId", "org-7"},
                    {"traits", {{"name", "Acme"}}},
                    {"context", {{"library", {{"name", "seglog"}, {"version", "0.1.0"}}}}},
                    {"integrations", json::object()}});
}

TEST_CASE("alias serialises userId and previousId") {
    const auto before = clock_type::now();
    auto o = serialize({event_type::alias, nullptr, {}, {}, "a-9", "u-42", nullptr, nullptr});
    const auto after = clock_type::now();
    REQUIRE_FALSE(o.err);
    json j = check_common(o.record, "alias", before, after);
    CHECK(j == json{{"type", "alias"},
                    {"userId", "u-42"},
                    {"previousId", "a-9"},
                    {"context", {{"library", {{"name", "seglog"}, {"version", "0.1.0"}}}}},
                    {"integrations", json::object()}});
}

} // TEST_SUITE

TEST_SUITE("event: context and integrations") {

TEST_CASE("caller context is merged and context.library stays seglog's") {
    const auto who = seglog::user("u");
    const json ctx = {{"ip", "203.0.113.9"},
                      {"library", {{"name", "evil"}, {"version", "9"}}},
                      {"app", {{"name", "shop"}, {"build", 12}}}};
    auto o = track(who, "E", {}, seglog::call_options{}.with_context(ctx));
    REQUIRE_FALSE(o.err);
    CHECK(o.record.find(",\"context\":{\"app\":{\"build\":12,\"name\":\"shop\"},\"ip\":\"203.0.113.9\","
                        "\"library\":{\"name\":\"seglog\",\"version\":\"0.1.0\"}},") != std::string::npos);
    json j = json::parse(o.record);
    CHECK(j.at("context") == json{{"ip", "203.0.113.9"},
                                  {"app", {{"name", "shop"}, {"build", 12}}},
                                  {"library", {{"name", "seglog"}, {"version", "0.1.0"}}}});

    for (const json &c : {json::object(), json{{"library", "x"}}, json()}) {
        CAPTURE(c.dump());
        o = track(who, "E", {}, seglog::call_options{}.with_context(c));
        REQUIRE_FALSE(o.err);
        CHECK(json::parse(o.record).at("context") == json{{"library", {{"name", "seglog"}, {"version", "0.1.0"}}}});
    }
}

TEST_CASE("integrations default to {} and take the given object as is") {
    const auto who = seglog::user("u");
    auto o = track(who, "E");
    REQUIRE_FALSE(o.err);
    CHECK(o.record.find(",\"integrations\":{}}") == o.record.size() - 19);

    const json integrations = {{"All", false}, {"Mixpanel", true}, {"Amplitude", {{"session_id", 7}}}};
    o = track(who, "E", {}, seglog::call_options{}.with_integrations(integrations));
    REQUIRE_FALSE(o.err);
    CHECK(json::parse(o.record).at("integrations") == integrations);
}

} // TEST_SUITE

TEST_SUITE("event: through the macros") {

TEST_CASE("each macro writes the record serialize_event would") {
    demux_logger d;
    const auto who = seglog::user("u-42");
    const json ctx = {{"ip", "198.51.100.1"}};
    const auto t = clock_type::time_point(std::chrono::seconds(1709211909));
    SEGLOG_LOGGER_TRACK(d.logger, who, "Order Completed", {{"order_id", "o-1"}, {"revenue", 42.5}},
                        seglog::call_options{}.with_context(ctx).with_timestamp(t));
    SEGLOG_LOGGER_IDENTIFY(d.logger, who, {{"plan", "pro"}});
    SEGLOG_LOGGER_PAGE(d.logger, who, "Home", {{"path", "/"}});
    SEGLOG_LOGGER_SCREEN(d.logger, who, "Settings", {});
    SEGLOG_LOGGER_GROUP(d.logger, who, "org-7", {{"name", "Acme"}});
    SEGLOG_LOGGER_ALIAS(d.logger, "a-9", "u-42");
    const auto events = d.events->items();
    REQUIRE(events.size() == 6);
    for (const auto &e : events) {
        CHECK(e.event);
        CHECK(e.level == spdlog::level::off);
    }
    json j = json::parse(events[0].payload);
    CHECK(j.at("type") == "track");
    CHECK(j.at("event") == "Order Completed");
    CHECK(j.at("properties") == json{{"order_id", "o-1"}, {"revenue", 42.5}});
    CHECK(j.at("timestamp") == "2024-02-29T13:05:09.000Z");
    CHECK(j.at("context").at("ip") == "198.51.100.1");
    CHECK(json::parse(events[1].payload).at("traits") == json{{"plan", "pro"}});
    CHECK(json::parse(events[2].payload).at("name") == "Home");
    j = json::parse(events[3].payload);
    CHECK(j.at("type") == "screen");
    CHECK(j.at("properties") == json::object());
    CHECK(json::parse(events[4].payload).at("groupId") == "org-7");
    j = json::parse(events[5].payload);
    CHECK(j.at("previousId") == "a-9");
    CHECK(j.at("userId") == "u-42");
    CHECK(d.lines->size() == 0);
}

} // TEST_SUITE
