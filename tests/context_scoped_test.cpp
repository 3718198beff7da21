// seglog::scoped_context: members merged into the context of every event tracked on the thread
// while the scope lives, to a file and to the loopback collector: one thread and not another,
// nested scopes, the order call > innermost scope > outer scope > profile, an async logger, the
// client calls, redaction of scope members, and members that cannot be written.
#include <doctest/doctest.h>

#include "async_logging.h"
#include "collecting_sink.h"
#include "two_destinations.h"

#include <seglog/seglog.h>

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

using nlohmann::json;
using seglog_test::two_destinations;

namespace {

const json &context_of(const std::vector<json> &events, const std::string &name) {
    for (const auto &e : events)
        if (e.value("event", "") == name) return e.at("context");
    FAIL("no event " << name);
    static const json none;
    return none;
}

} // namespace

TEST_CASE("a scope's members reach the events of its thread and not those of another thread") {
    two_destinations d;
    d.attach();
    std::mutex m;
    std::condition_variable cv;
    bool scope_open = false, other_done = false;
    std::thread other([&] {
        std::unique_lock<std::mutex> lock(m);
        cv.wait(lock, [&] { return scope_open; });
        SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-2"), "Other Thread", {});
        other_done = true;
        cv.notify_all();
    });
    {
        seglog::scoped_context scope({{"request_id", "r-1"}, {"tenant", "acme"}});
        SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "In Scope", {});
        std::unique_lock<std::mutex> lock(m);
        scope_open = true;
        cv.notify_all();
        cv.wait(lock, [&] { return other_done; }); // the other thread tracks while the scope is open
    }
    other.join();
    SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "After Scope", {});
    const auto events = d.events();
    REQUIRE(events.size() == 3);
    const json &in = context_of(events, "In Scope");
    CHECK(in.at("request_id") == "r-1");
    CHECK(in.at("tenant") == "acme");
    CHECK(in.at("library").at("name") == "seglog");
    CHECK(context_of(events, "Other Thread").size() == 1); // library only
    CHECK(context_of(events, "After Scope").size() == 1);
}

TEST_CASE("nested scopes stack, the inner key wins, and closing one restores the outer") {
    two_destinations d;
    d.attach();
    const auto who = seglog::user("u-1");
    {
        seglog::scoped_context outer({{"request_id", "r-1"}, {"tenant", "acme"}});
        {
            seglog::scoped_context inner({{"tenant", "globex"}, {"step", "pay"}});
            SEGLOG_LOGGER_TRACK(d.logger, who, "Inner", {});
        }
        SEGLOG_LOGGER_TRACK(d.logger, who, "Outer", {});
    }
    const auto events = d.events();
    CHECK(
        context_of(events, "Inner") ==
        json::parse(
            R"({"request_id":"r-1","tenant":"globex","step":"pay","library":{"name":"seglog","version":")" SEGLOG_VERSION_STRING
            R"("}})"));
    const json &outer = context_of(events, "Outer");
    CHECK(outer.at("tenant") == "acme");
    CHECK_FALSE(outer.contains("step"));
}

TEST_CASE("the order of context: the call, then the innermost scope, then outer scopes, then the profile") {
    two_destinations d;
    d.cfg.context = R"({"tenant":"profile","app":"shop","region":"eu"})";
    d.attach();
    {
        seglog::scoped_context outer({{"tenant", "outer"}, {"region", "us"}, {"request_id", "outer"}});
        seglog::scoped_context inner({{"tenant", "inner"}});
        SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Ordered", {},
                            seglog::call_options().with_context({{"request_id", "call"}}));
    }
    const auto events = d.events();
    const json &ctx = context_of(events, "Ordered");
    CHECK(ctx.at("request_id") == "call");
    CHECK(ctx.at("tenant") == "inner");
    CHECK(ctx.at("region") == "us");
    CHECK(ctx.at("app") == "shop");
    CHECK(ctx.size() == 5);
}

TEST_CASE("through an async logger: the scope is merged at the call, not on spdlog's thread") {
    // Declared first, so the fixture's copy of the logger goes before the pool (async_logging.h).
    seglog_test::async_logging async("async-enrich", std::make_shared<spdlog::sinks::null_sink_mt>());
    two_destinations d;
    d.attach(async.logger);
    {
        seglog::scoped_context scope({{"request_id", "r-async"}});
        SEGLOG_LOGGER_TRACK(async.logger, seglog::user("u-1"), "Async", {});
    } // closed before spdlog's thread may have handled the record
    async.drain();
    const auto events = d.events();
    REQUIRE(events.size() == 1);
    CHECK(events[0].at("context").at("request_id") == "r-async");
}

TEST_CASE("client calls on the thread get the scope's members too") {
    two_destinations d;
    d.attach();
    {
        seglog::scoped_context scope({{"request_id", "r-7"}});
        CHECK(d.client().identify(seglog::user("u-7"), {{"plan", "pro"}}));
    }
    CHECK(d.client().track(seglog::user("u-7"), "Later", {}));
    const auto events = d.received();
    REQUIRE(events.size() == 2);
    CHECK(events[0].at("context").at("request_id") == "r-7");
    CHECK_FALSE(events[1].at("context").contains("request_id"));
}

TEST_CASE("redaction rules reach the scope's and the profile's members as they reach the call's") {
    two_destinations d;
    d.cfg.context = R"({"ip":"198.51.100.1","app":"shop"})";
    d.cfg.redact = {seglog::redact_rule::drop("context.ip"), seglog::redact_rule::mask("context.email")};
    d.attach();
    {
        seglog::scoped_context scope({{"email", "a@example.com"}, {"ip", "203.0.113.9"}, {"request_id", "r-1"}});
        SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Redacted", {});
    }
    const auto events = d.events();
    const json &ctx = context_of(events, "Redacted");
    CHECK_FALSE(ctx.contains("ip"));
    CHECK(ctx.at("email") == "[redacted]");
    CHECK(ctx.at("request_id") == "r-1");
    CHECK(ctx.at("app") == "shop");
}

TEST_CASE("a scope whose members cannot be written is reported and adds nothing; events still go out") {
    seglog_test::error_capture errors;
    two_destinations d;
    d.attach();
    {
        seglog::scoped_context bad({{"request_id", "r-1"}, {"name", std::string("\xff\xfe")}});
        SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Still Sent", {});
    }
    const auto reported = errors.errors();
    REQUIRE(reported.size() == 1);
    CHECK(reported[0].code == seglog::reason::invalid_utf8);
    CHECK(reported[0].message == "scoped_context adds nothing: context.name is not valid UTF-8");
    const auto events = d.events();
    REQUIRE(events.size() == 1);
    CHECK(events[0].at("context").size() == 1);
}

TEST_CASE("a scope closed before one opened after it leaves the later one in force") {
    two_destinations d;
    d.attach();
    auto first = std::make_unique<seglog::scoped_context>(seglog::properties{{"a", 1}});
    {
        seglog::scoped_context second({{"b", 2}});
        first.reset(); // out of order
        SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Second Only", {});
    }
    SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "None", {});
    const auto events = d.events();
    const json &second_only = context_of(events, "Second Only");
    CHECK(second_only.at("b") == 2);
    CHECK_FALSE(second_only.contains("a"));
    CHECK(context_of(events, "None").size() == 1);
}
