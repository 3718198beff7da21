// The library's plugins (include/seglog/plugins.h) and after plugins: sampling keeps the same
// events in every run, decided by the messageId; name patterns drop by glob; after plugins see
// every accepted event's outcome on the callback thread, an exception there reported.
#include <doctest/doctest.h>

#include "lambda_plugin.h"
#include "pipeline.h"

#include <seglog/plugins.h>
#include <seglog/seglog.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <set>
#include <thread>

using nlohmann::json;
using seglog::reason;
using seglog_test::lambda_plugin;
using seglog_test::pipeline;

namespace {

// A "Page Viewed" track record with this messageId (client::enqueue takes it as it is).
std::string record_with_id(int i) {
    char id[48];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
    return std::string(R"({"messageId":")") + id +
           R"(","type":"track","event":"Page Viewed","userId":"u-1","properties":{}})";
}

// The ids delivered when records_with_id(0..n-1) go through sample_event("Page Viewed", 7).
std::set<std::string> sampled_run(int n) {
    pipeline p(seglog_test::segment_config);
    p.cfg.plugins = {seglog::sample_event("Page Viewed", 7)};
    auto &c = p.start();
    int accepted = 0;
    for (int i = 0; i < n; ++i) accepted += c.enqueue(record_with_id(i));
    p.flush();
    const auto s = c.stats();
    CHECK(s.accepted == static_cast<std::uint64_t>(accepted));
    CHECK(s.dropped + s.accepted == static_cast<std::uint64_t>(n));
    CHECK(s.by_reason[static_cast<int>(reason::plugin_dropped)] == s.dropped);
    CHECK(p.l.errors_with(reason::plugin_dropped).at(0).message ==
          R"x(track "Page Viewed" dropped by plugin "sample_event(Page Viewed, 1 in 7)": sampled out: 1 in 7 kept)x");
    const auto ids = p.col.accepted_ids();
    return {ids.begin(), ids.end()};
}

} // namespace

TEST_CASE("sample_event keeps 1 in N by messageId: the same events in every run") {
    // 138 of these 1000 ids have an FNV-1a hash divisible by 7 (computed apart from seglog).
    const auto first = sampled_run(1000);
    CHECK(first.size() == 138);
    CHECK(first.count("00000000-0000-4000-8000-000000000001"));
    CHECK(first.count("00000000-0000-4000-8000-000000000010"));
    CHECK_FALSE(first.count("00000000-0000-4000-8000-000000000002"));
    CHECK(sampled_run(1000) == first);
    CHECK(seglog::sampling_hash("a") == 12638187200555641996ull);
}

TEST_CASE("sample_event: about 1 in N of random ids kept, other events untouched") {
    pipeline p(seglog_test::segment_config);
    p.cfg.plugins = {seglog::sample_event("Page Viewed", 10)};
    p.cfg.flush_at = 1000;
    auto &c = p.start();
    int kept = 0;
    for (int i = 0; i < 10000; ++i) kept += c.track(seglog::user("u-1"), "Page Viewed", {});
    for (int i = 0; i < 100; ++i) REQUIRE(c.track(seglog::user("u-1"), "Order Completed", {}));
    p.flush();
    // Binomial(10000, 0.1): mean 1000, standard deviation 30; six of them either side.
    CHECK(kept > 820);
    CHECK(kept < 1180);
    const auto s = c.stats();
    CHECK(s.delivered == static_cast<std::uint64_t>(kept) + 100);
    CHECK(s.dropped == static_cast<std::uint64_t>(10000 - kept));
}

TEST_CASE("drop_events_matching drops by glob, at every call kind with a name") {
    pipeline p(seglog_test::segment_config);
    p.cfg.plugins = {seglog::drop_events_matching("Debug *")};
    auto &c = p.start();
    CHECK_FALSE(c.track(seglog::user("u-1"), "Debug cache miss", {}));
    CHECK_FALSE(c.page(seglog::user("u-1"), "Debug panel", {}));
    CHECK(c.track(seglog::user("u-1"), "Debugging", {})); // no space: no match
    CHECK(c.track(seglog::user("u-1"), "debug lowercase", {}));
    CHECK(c.track(seglog::user("u-1"), "Order Completed", {}));
    CHECK(c.identify(seglog::user("u-1"), {}));
    p.flush();
    std::multiset<std::string> names;
    for (const auto &e : p.col.accepted_events()) names.insert(e.value("event", e.value("type", "")));
    CHECK(names == std::multiset<std::string>{"Debugging", "debug lowercase", "Order Completed", "identify"});
    const auto dropped = p.l.errors_with(reason::plugin_dropped);
    REQUIRE(dropped.size() == 2);
    CHECK(dropped[1].message ==
          R"x(page "Debug panel" dropped by plugin "drop_events_matching(Debug *)": name matches "Debug *")x");
    CHECK_THROWS_AS(seglog::drop_events_matching(""), seglog::config_error);
    CHECK_THROWS_AS(seglog::sample_event("X", 0), seglog::config_error);
}

TEST_CASE("after plugins see each event's outcome on the callback thread: delivered, rejected, returned") {
    using namespace std::chrono_literals;
    pipeline p(seglog_test::segment_config);
    struct seen {
        std::string id;
        bool delivered;
        reason code;
        int status;
        std::thread::id thread;
    };
    std::mutex m;
    std::vector<seen> results;
    auto watcher = lambda_plugin::make("watcher");
    watcher->on_after = [&](const seglog::delivery_result &r) {
        std::lock_guard<std::mutex> lk(m);
        results.push_back({std::string(r.message_id), r.delivered, r.code, r.http_status, std::this_thread::get_id()});
    };
    auto thrower = lambda_plugin::make("after-thrower");
    thrower->on_after = [](const seglog::delivery_result &) { throw std::runtime_error("boom"); };
    p.cfg.plugins = {watcher, thrower};
    p.cfg.flush_at = 1;
    auto &c = p.start();
    p.col.script({200, 400, 401});
    REQUIRE(p.push(1));
    p.flush();
    REQUIRE(p.push(2));
    p.flush(); // rejected: settled
    REQUIRE(p.push(3));
    REQUIRE(p.wait_until([&] { return !p.l.errors_with(reason::config_error).empty(); })); // the 401 holds it
    p.close_within(0ms);                                                                   // returned
    std::lock_guard<std::mutex> lk(m);
    REQUIRE(results.size() == 3);
    const std::vector<std::string> ids = p.l.accepted; // in push order
    CHECK(results[0].id == ids[0]);
    CHECK(results[0].delivered);
    CHECK(results[1].id == ids[1]);
    CHECK_FALSE(results[1].delivered);
    CHECK(results[1].code == reason::rejected);
    CHECK(results[1].status == 400);
    CHECK(results[2].id == ids[2]);
    CHECK(results[2].code == reason::undelivered_at_close);
    for (const auto &r : results) CHECK(r.thread != std::this_thread::get_id());
    CHECK(c.stats().plugin_errors == 3);
    CHECK(p.l.errors_with(reason::plugin_error).at(0).message == R"(plugin "after-thrower" threw in after: boom)");
    p.reconcile();
}
