// Before and enrichment plugins (config::plugins) at the call: a change reaches the wire exactly,
// a drop is counted and reported and never sent, an exception is reported and the event goes on,
// the macros of an attached logger run the same chain before every destination, and a slow
// plugin holds up its caller only.
#include <doctest/doctest.h>

#include "lambda_plugin.h"
#include "pipeline.h"
#include "two_destinations.h"

#include <seglog/plugin.h>
#include <seglog/plugins.h>
#include <seglog/seglog.h>

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

using nlohmann::json;
using seglog::reason;
using seglog_test::lambda_plugin;
using seglog_test::pipeline;
using seglog_test::two_destinations;

namespace {

std::uint64_t by(const seglog::stats &s, reason r) { return s.by_reason[static_cast<int>(r)]; }

// The one request body's text the collector received.
std::string only_body(pipeline &p) {
    REQUIRE(p.col.wait_for_requests(1, seglog_test::k_bound));
    const auto reqs = p.col.requests();
    REQUIRE(reqs.size() == 1);
    return reqs[0].body;
}

} // namespace

TEST_CASE("a before plugin's change is on the wire exactly, the rest of the event untouched") {
    pipeline p(seglog_test::segment_config);
    auto plug = lambda_plugin::make("currency");
    plug->on_before = [](seglog::event_view &e) {
        if (e.name() == "Order Completed") e.properties()["currency"] = "EUR";
        return seglog::plugin_result::keep();
    };
    p.cfg.plugins = {plug};
    auto &c = p.start();
    REQUIRE(c.track(seglog::user("u-1"), "Order Completed", {{"revenue", 42.5}}));
    REQUIRE(c.identify(seglog::user("u-1"), {{"plan", "pro"}}));
    p.flush();
    const std::string body = only_body(p);
    const json batch = json::parse(body).at("batch");
    REQUIRE(batch.size() == 2);
    CHECK(body.find(R"("properties":{"revenue":42.5,"currency":"EUR"})") != std::string::npos);
    CHECK(batch[0].at("event") == "Order Completed");
    CHECK(batch[0].at("userId") == "u-1");
    CHECK(body.rfind(R"({"batch":[{"messageId":")", 0) == 0); // the messageId still first
    // The identify passed through the plugin, which read nothing of it: no member added.
    CHECK(batch[1].at("traits") == json{{"plan", "pro"}});
    CHECK_FALSE(batch[1].contains("properties"));
    seglog_test::check_settled_cleanly(c.stats(), 2);
}

TEST_CASE("a before plugin's drop: the call returns false, counted, reported with the plugin's name, never sent") {
    pipeline p(seglog_test::segment_config);
    auto plug = lambda_plugin::make("no-tests");
    plug->on_before = [](seglog::event_view &e) {
        if (e.properties().value("test", false)) return seglog::plugin_result::dropped("a test order");
        return seglog::plugin_result::keep();
    };
    p.cfg.plugins = {plug};
    auto &c = p.start();
    CHECK_FALSE(c.track(seglog::user("u-1"), "Order Completed", {{"test", true}}));
    CHECK(c.track(seglog::user("u-1"), "Order Completed", {{"test", false}}));
    p.flush();
    const auto s = c.stats();
    CHECK(s.accepted == 1);
    CHECK(s.delivered == 1);
    CHECK(s.dropped == 1);
    CHECK(by(s, reason::plugin_dropped) == 1);
    const auto dropped = p.l.errors_with(reason::plugin_dropped);
    REQUIRE(dropped.size() == 1);
    CHECK(dropped[0].message == R"(track "Order Completed" dropped by plugin "no-tests": a test order)");
    CHECK(dropped[0].event_type == "track");
    CHECK(dropped[0].event_name == "Order Completed");
    REQUIRE(dropped[0].message_ids.size() == 1);
    const auto delivered = p.col.accepted_events();
    REQUIRE(delivered.size() == 1);
    CHECK(delivered[0].at("properties") == json{{"test", false}});
    CHECK(delivered[0].at("messageId") != dropped[0].message_ids[0]);
    CHECK(c.summary().find("plugin_dropped 1") != std::string::npos);
}

TEST_CASE("a plugin that throws: reported as plugin_error, the event delivered as before that plugin") {
    pipeline p(seglog_test::segment_config);
    auto first = lambda_plugin::make("adds-a");
    first->on_before = [](seglog::event_view &e) {
        e.properties()["a"] = 1;
        return seglog::plugin_result::keep();
    };
    auto thrower = lambda_plugin::make("broken");
    thrower->on_before = [](seglog::event_view &e) -> seglog::plugin_result {
        e.properties()["half"] = "done";
        throw std::runtime_error("lookup failed");
    };
    thrower->on_enrich = [](seglog::event_view &e) {
        e.context()["half"] = true;
        throw 42; // not a std::exception
    };
    auto last = lambda_plugin::make("adds-b");
    last->on_enrich = [](seglog::event_view &e) { e.properties()["b"] = 2; };
    p.cfg.plugins = {first, thrower, last};
    auto &c = p.start();
    REQUIRE(c.track(seglog::user("u-1"), "Signed Up", {}));
    p.flush();
    const auto events = p.col.accepted_events();
    REQUIRE(events.size() == 1);
    CHECK(events[0].at("properties") == json{{"a", 1}, {"b", 2}});
    CHECK_FALSE(events[0].at("context").contains("half"));
    const auto s = c.stats();
    CHECK(s.plugin_errors == 2);
    CHECK(s.dropped == 0);
    CHECK(by(s, reason::plugin_error) == 0); // a notice, not a loss
    const auto errors = p.l.errors_with(reason::plugin_error);
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].message ==
          R"(plugin "broken" threw in before: lookup failed; the event goes on without its change)");
    CHECK(errors[1].message == R"(plugin "broken" threw in enrichment: an exception not derived from std::exception; )"
                               "the event goes on without its change");
    CHECK(errors[0].event_name == "Signed Up");
    seglog_test::check_settled_cleanly(s, 1);
}

TEST_CASE("what a plugin breaks is refused as a call's event would be") {
    pipeline p(seglog_test::segment_config);
    auto plug = lambda_plugin::make("breaker");
    plug->on_enrich = [](seglog::event_view &e) {
        if (e.name() == "No Id") e.set_user_id("");
        if (e.name() == "Big") e.properties()["blob"] = std::string(40000, 'x');
    };
    p.cfg.plugins = {plug};
    auto &c = p.start();
    CHECK_FALSE(c.track(seglog::user("u-1"), "No Id", {}));
    CHECK_FALSE(c.track(seglog::user("u-1"), "Big", {}));
    CHECK(c.track(seglog::user("u-1"), "Fine", {}));
    p.flush();
    const auto s = c.stats();
    CHECK(by(s, reason::missing_identity) == 1);
    CHECK(by(s, reason::event_too_large) == 1);
    CHECK(s.delivered == 1);
    CHECK(p.l.errors_with(reason::missing_identity).at(0).message ==
          "event not accepted after the plugins: neither userId nor anonymousId");
}

TEST_CASE("client::enqueue records go through the plugins too") {
    pipeline p(seglog_test::segment_config);
    auto plug = lambda_plugin::make("mark");
    plug->on_enrich = [](seglog::event_view &e) { e.context()["replayed"] = true; };
    p.cfg.plugins = {plug};
    p.start();
    p.track_n(3);
    p.flush();
    const auto events = p.col.accepted_events();
    REQUIRE(events.size() == 3);
    for (const auto &e : events) CHECK(e.at("context").at("replayed") == true);
    p.close_within(seglog_test::k_bound);
    p.reconcile();
}

TEST_CASE("the macros of an attached logger run the plugins once, before every destination") {
    two_destinations d;
    std::atomic<int> calls{0};
    auto plug = lambda_plugin::make("region");
    plug->on_before = [&](seglog::event_view &e) {
        ++calls;
        if (e.name() == "Debug Ping") return seglog::plugin_result::dropped("noise");
        return seglog::plugin_result::keep();
    };
    plug->on_enrich = [](seglog::event_view &e) { e.context()["region"] = "eu-west-1"; };
    d.cfg.plugins = {plug};
    d.attach();
    std::vector<seglog::error> handled;
    std::mutex m;
    seglog::set_error_handler([&](const seglog::error &e) {
        std::lock_guard<std::mutex> lk(m);
        handled.push_back(e);
    });
    const auto before = seglog::call_site_stats().by_reason[static_cast<int>(reason::plugin_dropped)];
    SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Order Completed", {{"revenue", 1}});
    SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Debug Ping", {});
    const auto events = d.events(); // the file and the collector hold the same events
    seglog::set_error_handler({});
    CHECK(calls == 2);
    REQUIRE(events.size() == 1);
    CHECK(events[0].at("event") == "Order Completed");
    CHECK(events[0].at("context").at("region") == "eu-west-1");
    CHECK(seglog::call_site_stats().by_reason[static_cast<int>(reason::plugin_dropped)] == before + 1);
    REQUIRE(handled.size() == 1);
    CHECK(handled[0].code == reason::plugin_dropped);
    CHECK(handled[0].message == R"x(track "Debug Ping" dropped by plugin "region": noise)x");
}

TEST_CASE("a slow before plugin holds its caller, not the delivery of what is queued") {
    pipeline p(seglog_test::segment_config);
    std::mutex m;
    std::condition_variable cv;
    bool inside = false, release = false;
    auto plug = lambda_plugin::make("slow");
    plug->on_before = [&](seglog::event_view &e) {
        if (e.name() == "Slow") {
            std::unique_lock<std::mutex> lk(m);
            inside = true;
            cv.notify_all();
            cv.wait(lk, [&] { return release; });
        }
        return seglog::plugin_result::keep();
    };
    p.cfg.plugins = {plug};
    auto &c = p.start();
    for (int i = 0; i < 10; ++i) REQUIRE(c.track(seglog::user("u-1"), "Fast", {{"i", i}}));
    std::thread slow([&] { CHECK(c.track(seglog::user("u-1"), "Slow", {})); });
    {
        std::unique_lock<std::mutex> lk(m);
        REQUIRE(cv.wait_for(lk, seglog_test::k_bound, [&] { return inside; }));
    }
    // The caller is held inside the plugin; the ten queued events are delivered meanwhile.
    CHECK(c.flush(seglog_test::k_bound).complete);
    CHECK(c.stats().delivered == 10);
    {
        std::lock_guard<std::mutex> lk(m);
        release = true;
    }
    cv.notify_all();
    slow.join();
    p.flush();
    CHECK(c.stats().delivered == 11);
    p.close_within(seglog_test::k_bound);
}

TEST_CASE("plugins in the config: none may be null; describe() names them") {
    seglog::config cfg;
    cfg.plugins = {seglog::drop_events_matching("Debug *"), nullptr};
    CHECK_THROWS_WITH_AS(cfg.validate(), doctest::Contains("plugins[1] is null"), seglog::config_error);
    cfg.plugins.pop_back();
    CHECK(cfg.describe().find(R"x(plugins=["drop_events_matching(Debug *)"])x") != std::string::npos);
}
