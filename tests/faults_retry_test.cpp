// seglog's promise when the collector answers with retryable failures (5xx bursts, max_attempts,
// rate limits with and without Retry-After): every event accepted is delivered once or reported
// with a reason, and the books reconcile exactly (tests/support/pipeline.h).
#include "pipeline.h"

#include <doctest/doctest.h>

#include <seglog/seglog.h>

#include <map>
#include <string>

using namespace std::chrono_literals;
using namespace seglog_test;
using seglog::reason;
using seglog::loopback::reply;

// ---------------------------------------------------------------------------------------------
TEST_SUITE("faults") {

TEST_CASE("bursts of 500 and 503: everything delivered once, retries counted and numbered") {
    pipeline p;
    p.col.script({500, 500, 503, 200, 503, 500, 503, 200, 500, 200, 503, 503, 500});
    p.start();
    p.track_n(400);
    p.flush();
    CHECK(p.col.script_left() == 0);
    p.close_within(5s);
    const auto s = p.stats();
    CHECK(s.delivered == 400);
    CHECK(s.failed == 0);
    CHECK(s.retried > 0);
    CHECK(s.batches_sent == p.col.request_count());
    CHECK(p.col.unique_count() == 400);
    CHECK(p.l.failed_attempts() == 10);
    p.reconcile();
}

TEST_CASE("retryable failures until max_attempts: retries_exhausted, each id reported") {
    pipeline p;
    p.col.set_default(500);
    p.cfg.max_attempts = 3;
    p.start();
    p.track_n(120);
    p.flush();
    p.close_within(1s);
    const auto s = p.stats();
    CHECK(s.failed == 120);
    CHECK(s.by_reason[static_cast<int>(reason::retries_exhausted)] == 120);
    CHECK(s.delivered == 0);
    std::map<std::string, int> per_batch; // requests per batch (its first id)
    for (auto &r : p.col.requests()) ++per_batch[r.message_ids.front()];
    for (auto &[id, n] : per_batch) CHECK(n == 3); // three attempts each, no more
    p.reconcile();
}

TEST_CASE("two failures in a row hold every batch; one does not") {
    pipeline p;
    // The first answer waits so that every batch is sealed before any answer arrives.
    p.col.script({reply::delayed(1000ms, 500), 500});
    p.cfg.max_in_flight = 1;
    p.cfg.flush_at = 10;
    p.cfg.flush_interval = 60s;
    p.cfg.backoff_base = 300ms; // long enough that the order below never depends on speed
    p.cfg.backoff_cap = 1000ms;
    p.start();
    p.track_n(40);
    REQUIRE(p.wait_until([&] {
        auto s = p.stats();
        return s.queued_events == 0 && s.in_flight == 40;
    }));
    REQUIRE(p.col.request_count() == 0); // the first answer is still pending: batches B, C, D are ready
    p.flush();
    p.close_within(1s);
    const auto reqs = p.col.requests();
    REQUIRE(reqs.size() >= 6);
    CHECK(reqs[0].status == 500);
    CHECK_FALSE(reqs[0].has_header("X-Retry-Count"));
    // After one failure the next batch goes out at once (its first attempt) ...
    CHECK(reqs[1].status == 500);
    CHECK_FALSE(reqs[1].has_header("X-Retry-Count"));
    CHECK(reqs[1].message_ids.front() != reqs[0].message_ids.front());
    // ... after two, the pipeline holds: the next request is a retry, not batch C.
    CHECK(reqs[2].header("X-Retry-Count") == "1");
    CHECK(p.stats().delivered == 40);
    p.reconcile();
}

// Batch A's first answer is `limited`, given only once batches B and C are sealed: then the
// order of requests shows whether the whole pipeline paused (A again, then B, C) or not (B first).
void rate_limited_run(reply limited) {
    pipeline p;
    limited.delay = 1000ms;
    p.col.script({limited});
    p.cfg.max_in_flight = 1;
    p.cfg.flush_at = 10;
    p.cfg.flush_interval = 60s;
    p.cfg.max_attempts = 1; // a counted failure would drop the batch: a rate limit must not count
    p.start();
    p.track_n(30);
    REQUIRE(p.wait_until([&] {
        auto s = p.stats();
        return s.queued_events == 0 && s.in_flight == 30;
    }));
    REQUIRE(p.col.request_count() == 0); // A's answer is still pending
    p.flush();
    p.close_within(5s);
    const auto s = p.stats();
    CHECK(s.delivered == 30);
    CHECK(s.failed == 0);
    const auto reqs = p.col.requests();
    REQUIRE(reqs.size() == 4);
    CHECK(reqs[0].status == limited.status);
    CHECK(reqs[1].message_ids == reqs[0].message_ids); // A again, before anything else
    CHECK(reqs[1].header("X-Retry-Count") == "1");
    CHECK_FALSE(reqs[2].has_header("X-Retry-Count"));
    CHECK_FALSE(reqs[3].has_header("X-Retry-Count"));
    p.reconcile();
}

TEST_CASE("429 with Retry-After: 1 pauses the whole pipeline and is not an attempt") {
    rate_limited_run(reply::retry_later(429, "1"));
}

TEST_CASE("429 without Retry-After waits retry_after_default, pipeline-wide, not an attempt") {
    rate_limited_run(reply(429));
}

TEST_CASE("503 with Retry-After is treated as a rate limit") { rate_limited_run(reply::retry_later(503, "1")); }

TEST_CASE("rate limited beyond max_retry_time: retries_exhausted") {
    pipeline p;
    p.col.set_default(reply::retry_later(429, "1"));
    p.cfg.max_retry_time = 100ms;
    p.start();
    p.track_n(60);
    p.flush();
    p.close_within(1s);
    CHECK(p.stats().by_reason[static_cast<int>(reason::retries_exhausted)] == 60);
    p.reconcile();
}

} // TEST_SUITE("faults")
