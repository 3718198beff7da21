// Bounded memory under faults: with the collector down or holding the pipeline, the queue's
// byte and event budgets hold, and every refusal or eviction is counted and reported
// (drop_newest, drop_oldest, block); the books reconcile exactly (tests/support/pipeline.h).
#include "pipeline.h"

#include <doctest/doctest.h>

#include <seglog/seglog.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

using namespace std::chrono_literals;
using namespace seglog_test;
using seglog::reason;
using seglog::loopback::reply;

// ---------------------------------------------------------------------------------------------
TEST_SUITE("bounded memory") {

TEST_CASE("server down, 20x the capacity pushed: the byte budget holds, every refusal counted") {
    pipeline p;
    p.col.stop();
    p.cfg.max_attempts = 1000;
    p.cfg.max_event_bytes = 1024;
    const std::size_t rec = fault_record(0).size();
    REQUIRE(fault_record(999999).size() == rec);
    const std::size_t capacity = 40;
    p.cfg.max_queue_bytes = capacity * rec + rec / 2;
    p.cfg.max_queue_events = 100000;
    p.start();
    std::uint64_t peak = 0;
    for (std::size_t i = 0; i < 20 * capacity; ++i) {
        p.push(static_cast<int>(i));
        const auto s = p.stats();
        peak = std::max(peak, s.pending_bytes);
        REQUIRE(s.pending_bytes <= p.cfg.max_queue_bytes);
    }
    const auto s = p.stats();
    CHECK(peak == capacity * rec);
    CHECK(s.accepted == capacity);
    CHECK(s.dropped == 19 * capacity);
    CHECK(s.by_reason[static_cast<int>(reason::queue_full)] == 19 * capacity);
    CHECK(p.l.reported[reason::queue_full].size() == 19 * capacity);
    CHECK(p.l.seqs(p.l.accepted) == [&] {
        std::set<int> f;
        for (int i = 0; i < int(capacity); ++i) f.insert(i);
        return f;
    }());
    p.close_within(300ms);
    CHECK(p.l.returned.size() == capacity);
    p.reconcile({false, xrc::at_least});
}

TEST_CASE("server down: the event budget holds (drop_newest)") {
    pipeline p;
    p.col.stop();
    p.cfg.max_attempts = 1000;
    p.cfg.max_queue_events = 30;
    p.start();
    for (int i = 0; i < 600; ++i) {
        p.push(i);
        // One snapshot: two would count an event the worker moved between them in both.
        const auto s = p.stats();
        REQUIRE(s.queued_events + s.in_flight <= 30);
    }
    CHECK(p.stats().accepted == 30);
    CHECK(p.stats().by_reason[static_cast<int>(reason::queue_full)] == 570);
    p.close_within(300ms);
    CHECK(p.l.returned.size() == 30);
    p.reconcile({false, xrc::at_least});
}

TEST_CASE("drop_oldest: while the pipeline is held, the oldest queued events make room") {
    pipeline p;
    p.col.set_default(reply::retry_later(429, "5"));
    p.cfg.overflow = seglog::overflow_policy::drop_oldest;
    p.cfg.max_queue_events = 100;
    p.cfg.flush_at = 10;
    p.cfg.max_in_flight = 1;
    seglog::client &c = p.start();
    p.track_n(10);
    c.flush_async();
    REQUIRE(p.wait_until([&] { return p.l.attempt_count() >= 1; })); // 429: paused for 5 s
    for (int i = 10; i < 300; ++i) {
        REQUIRE(p.push(i)); // drop_oldest accepts the newest
        // One snapshot: two would count an event the worker moved between them in both.
        const auto s = p.stats();
        REQUIRE(s.queued_events + s.in_flight <= 100);
    }
    const auto s = p.stats();
    CHECK(s.accepted == 300);
    CHECK(s.evicted == 200);
    CHECK(s.dropped == 0);
    // The held batch is within eviction's reach: the oldest go first, whether batched or not.
    std::set<int> evicted, kept;
    for (int i = 0; i < 200; ++i) evicted.insert(i);
    for (int i = 200; i < 300; ++i) kept.insert(i);
    CHECK(p.l.seqs(p.l.reported[reason::queue_full]) == evicted);
    p.close_within(500ms); // one more attempt each: 429 again, so everything comes back
    CHECK(p.l.seqs(p.l.returned) == kept);
    p.reconcile();
}

TEST_CASE("drop_oldest, collector down, 5x the capacity pushed: the newest are the ones delivered") {
    pipeline p;
    p.col.stop();
    p.cfg.overflow = seglog::overflow_policy::drop_oldest;
    p.cfg.max_queue_events = 200;
    p.cfg.flush_at = 50;
    p.cfg.max_in_flight = 2;
    p.cfg.max_attempts = 1000;
    p.cfg.backoff_base = 2s; // the hold outlasts the pushes below
    p.cfg.backoff_cap = 4s;
    seglog::client &c = p.start();
    p.track_n(100);
    c.flush_async();
    REQUIRE(p.wait_until([&] { return p.l.failed_attempts() >= 2; })); // two failures: every batch held
    for (int i = 100; i < 1100; ++i) {
        REQUIRE(p.push(i));
        REQUIRE(p.stats().pending_bytes > 0);
        REQUIRE(p.stats().queued_events + p.stats().in_flight <= 200);
    }
    std::set<int> evicted, newest;
    for (int i = 0; i < 900; ++i) evicted.insert(i);
    for (int i = 900; i < 1100; ++i) newest.insert(i);
    CHECK(p.stats().evicted == 900);
    CHECK(p.l.seqs(p.l.reported[reason::queue_full]) == evicted);
    p.col.start();
    p.flush();
    CHECK(p.l.seqs(p.l.delivered_ids()) == newest);
    p.close_within(5s);
    p.reconcile({false, xrc::at_least});
}

TEST_CASE("block: times out when nothing frees, unblocks when space frees") {
    pipeline p;
    p.col.stop();
    p.cfg.max_attempts = 1000;
    p.cfg.max_queue_events = 20;
    p.cfg.overflow = seglog::overflow_policy::block;

    SUBCASE("block_timeout expires: queue_full") {
        p.cfg.block_timeout = 100ms;
        p.start();
        p.track_n(20);
        CHECK_FALSE(p.push(20));
        CHECK(p.stats().by_reason[static_cast<int>(reason::queue_full)] == 1);
        p.close_within(300ms);
        CHECK(p.l.returned.size() == 20);
        p.reconcile({false, xrc::at_least});
    }
    SUBCASE("space frees: the blocked producer gets in") {
        p.cfg.block_timeout = 20s;
        p.start();
        p.track_n(20);
        std::atomic<int> result{-1};
        std::thread producer([&] { result = p.push(20) ? 1 : 0; });
        // Still blocked: nothing can settle while the collector is down.
        CHECK_FALSE(p.col.wait_for([&] { return result.load() != -1; }, 300ms));
        p.col.start();
        REQUIRE(p.wait_until([&] { return result.load() != -1; }));
        producer.join();
        CHECK(result.load() == 1);
        p.flush();
        p.close_within(5s);
        CHECK(p.stats().delivered == 21);
        p.reconcile({false, xrc::at_least});
    }
}

} // TEST_SUITE("bounded memory")
