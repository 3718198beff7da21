// seglog's promise when the network fails: connections reset mid-request, answers slower than
// request_timeout, the collector down at start or in the middle of a run. Every event accepted
// is delivered, duplicates come only from timed-out requests, and the books reconcile exactly
// (tests/support/pipeline.h).
#include "pipeline.h"

#include <doctest/doctest.h>

#include <seglog/seglog.h>

#include <mutex>

using namespace std::chrono_literals;
using namespace seglog_test;
using seglog::reason;
using seglog::loopback::reply;

// ---------------------------------------------------------------------------------------------
TEST_SUITE("faults") {

TEST_CASE("connection resets mid-request: retried, delivered once") {
    pipeline p;
    p.col.fail_ratio(0.3, reply::reset(), 7);
    p.cfg.flush_at = 20;
    p.cfg.max_attempts = 30;
    p.start();
    p.track_n(500);
    p.flush();
    p.close_within(5s);
    CHECK(p.stats().delivered == 500);
    CHECK(p.col.stats().resets > 0);
    CHECK(p.stats().retried > 0);
    CHECK(p.col.unique_count() == 500);
    p.reconcile({false, xrc::at_most});
}

TEST_CASE("answers slower than request_timeout: duplicates only from the timed-out requests") {
    pipeline p;
    p.col.script({reply::delayed(3000ms), 200, reply::delayed(3000ms)});
    p.cfg.request_timeout = 300ms;
    p.cfg.backoff_base = 200ms; // the collector records a timed-out request before its retry arrives
    p.start();
    p.track_n(200);
    p.flush();
    p.close_within(5s);
    CHECK(p.stats().delivered == 200);
    CHECK(p.col.unique_count() == 200);
    std::size_t timed_out_events = 0;
    for (auto &r : p.col.requests())
        if (r.client_gone) timed_out_events += r.events;
    CHECK(timed_out_events > 0);
    CHECK(p.col.duplicate_count() == timed_out_events); // each resent once, nothing else twice
    std::size_t timeouts = 0;
    {
        std::lock_guard<std::mutex> lk(p.l.m);
        for (auto &a : p.l.attempts) timeouts += a.status == 0;
    }
    CHECK(timeouts == 2);
    p.reconcile({true, xrc::exact});
}

TEST_CASE("server down at start, up later") {
    pipeline p;
    p.col.stop();
    p.cfg.max_attempts = 1000;
    seglog::client &c = p.start();
    p.track_n(150);
    c.flush_async();
    REQUIRE(p.wait_until([&] { return p.l.failed_attempts() >= 3; }));
    CHECK(p.stats().delivered == 0);
    p.col.start();
    p.flush();
    p.close_within(5s);
    CHECK(p.stats().delivered == 150);
    CHECK(p.col.unique_count() == 150);
    p.reconcile({false, xrc::at_least});
}

TEST_CASE("server down in the middle of a run") {
    pipeline p;
    p.cfg.max_attempts = 1000;
    seglog::client &c = p.start();
    p.track_n(100);
    p.flush();
    p.col.stop();
    p.track_n(150, 100);
    c.flush_async();
    REQUIRE(p.wait_until([&] { return p.l.failed_attempts() >= 3; }));
    const auto during = c.flush(200ms); // an outage: flush says how many are pending
    CHECK_FALSE(during.complete);
    CHECK(during.pending == 150);
    p.col.start();
    p.flush();
    p.close_within(5s);
    CHECK(p.stats().delivered == 250);
    CHECK(p.col.unique_count() == 250);
    p.reconcile({false, xrc::at_least});
}

TEST_CASE("outage under a minute-long backoff: a probe finds the collector back, delivery resumes at once") {
    pipeline p;
    p.col.stop();
    p.cfg.max_attempts = 1000;
    p.cfg.max_retry_time = 600s;
    p.cfg.backoff_base = 60s; // without the probe, nothing would go for a minute: past k_bound
    p.cfg.backoff_cap = 60s;
    seglog::client &c = p.start();
    p.track_n(100); // two batches
    c.flush_async();
    REQUIRE(p.wait_until([&] { return p.l.failed_attempts() >= 2; })); // both wait a minute, held
    p.col.start();
    p.flush(); // within k_bound
    const auto s = p.stats();
    CHECK(s.delivered == 100);
    CHECK(s.retried == 100); // each batch sent twice: its own retry, with its own X-Retry-Count
    CHECK(p.l.failed_attempts() == 2);
    std::size_t probes = 0;
    for (const auto &r : p.col.requests())
        if (r.events == 0) {
            ++probes;
            CHECK(r.body.find("\"batch\":[]") != std::string::npos); // no event in a probe
        }
    CHECK(probes >= 1);
    p.close_within(5s);
    p.reconcile({false, xrc::at_least});
}

TEST_CASE("a probe answered while the key is refused: the configuration hold stays, no request every second") {
    pipeline p;
    p.col.stop();
    p.cfg.max_attempts = 1000;
    p.cfg.max_retry_time = 3600s; // past the ten-minute hold: the events wait, close() returns them
    p.cfg.backoff_base = 60s;
    p.cfg.backoff_cap = 60s;
    p.cfg.max_in_flight = 1;
    seglog::client &c = p.start();
    p.track_n(100); // two batches
    c.flush_async();
    REQUIRE(p.wait_until([&] { return p.l.failed_attempts() >= 2; })); // held on a minute's backoff
    p.col.set_default(401);
    p.col.start();
    // A probe finds the collector answering, the batches go and meet the 401: a configuration
    // hold of ten minutes, said once.
    REQUIRE(p.wait_until([&] { return !p.l.errors_with(reason::config_error).empty(); }));
    auto batch_requests = [&] {
        std::size_t n = 0;
        for (const auto &r : p.col.requests()) n += r.events > 0;
        return n;
    };
    const std::size_t sent = batch_requests();
    // Were probes to go on during the hold, the next (a second later) would lift it and the
    // batches would meet the 401 again: three seconds are enough to see it happen.
    CHECK_FALSE(p.col.wait_for([&] { return batch_requests() > sent; }, 3s));
    CHECK(p.l.errors_with(reason::config_error).size() == 1);
    p.close_within(1s);
    CHECK(p.stats().returned == 100);
    p.reconcile({false, xrc::at_least});
}

} // TEST_SUITE("faults")
