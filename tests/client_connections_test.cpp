// The transport seen from seglog::client: gzip bodies, connections reused across batches,
// max_in_flight requests at once and never more.

#include "pipeline.h"

#include <doctest/doctest.h>

#include <seglog/seglog.h>

#include <algorithm>
#include <set>

using seglog::loopback::collector;
using seglog::loopback::reply;
using json = nlohmann::json;
using namespace std::chrono_literals;
using namespace seglog_test;

// ---------------------------------------------------------------------------------------------
// Transport behaviour seen from the client
// ---------------------------------------------------------------------------------------------

TEST_CASE("gzip: Content-Encoding, the same events decoded, fewer bytes on the wire") {
    pipeline p(segment_config);
    p.cfg.gzip = true;
    p.cfg.flush_at = 50;
    seglog::client &cl = p.start();

    for (int i = 0; i < 200; ++i)
        REQUIRE(cl.track(seglog::user("u-gzip"), "Compressible Event",
                         {{"i", i}, {"description", "the same words again and again and again"}}));
    REQUIRE(cl.flush(k_bound).complete);

    auto reqs = p.col.requests();
    REQUIRE(reqs.size() == 4);
    std::size_t raw = 0, plain = 0;
    for (const auto &r : reqs) {
        CHECK(r.header("Content-Encoding") == "gzip");
        CHECK(r.header("Content-Type") == "application/json");
        CHECK(r.status == 200);
        REQUIRE(r.json_valid);
        CHECK(r.wire_bytes < r.body.size()); // compressed on the wire
        raw += r.wire_bytes;
        plain += r.body.size();
    }
    CHECK(p.col.unique_count() == 200);
    std::set<int> numbers;
    for (const auto &e : p.col.accepted_events()) {
        CHECK(e["event"] == "Compressible Event");
        CHECK(e["userId"] == "u-gzip");
        numbers.insert(e["properties"]["i"].get<int>());
    }
    CHECK(numbers.size() == 200);

    auto s = cl.stats();
    check_settled_cleanly(s, 200);
    CHECK(s.bytes_sent == raw);
    CHECK(s.bytes_sent < plain);
    CHECK(s.bytes_sent * 3 < plain); // this data compresses well

    std::size_t attempt_bytes = 0, body_bytes = 0;
    for (const auto &a : p.l.attempts_copy()) attempt_bytes += a.bytes;
    for (const auto &d : p.l.deliveries_copy()) body_bytes += d.body_bytes;
    CHECK(attempt_bytes == raw);
    CHECK(body_bytes == plain);
}

TEST_CASE("many sequential batches reuse their connections") {
    pipeline p(segment_config);
    p.cfg.flush_at = 5;
    seglog::client &cl = p.start();

    for (int b = 0; b < 40; ++b) {
        for (int i = 0; i < 5; ++i) REQUIRE(cl.track(seglog::user("u-reuse"), "Reused", {{"b", b}, {"i", i}}));
        REQUIRE(cl.flush(k_bound).complete);
    }
    CHECK(p.col.request_count() == 40);
    CHECK(p.col.unique_count() == 200);
    CHECK(p.col.connection_count() <= p.cfg.max_in_flight);
    check_settled_cleanly(cl.stats(), 200);
}

TEST_CASE("max_in_flight requests are under way at once, never more") {
    collector c;
    c.set_default(reply::delayed(1000ms));
    auto cfg = segment_config(c);
    cfg.flush_at = 1;
    cfg.max_in_flight = 3;
    seglog::client cl(cfg);

    for (int i = 0; i < 9; ++i) REQUIRE(cl.track(seglog::user("u-par"), "Parallel", {{"i", i}}));
    std::size_t most = 0;
    REQUIRE(c.wait_for(
        [&] {
            most = std::max(most, c.stats().in_flight);
            return c.unique_count() == 9;
        },
        k_bound));
    CHECK(most >= 2);
    CHECK(most <= 3);
    // Three at a time, each answered after the delay: the busiest moment had three.
    CHECK(most == 3);
    REQUIRE(cl.flush(k_bound).complete);
    CHECK(c.duplicate_count() == 0);
    CHECK(c.connection_count() <= 3);
    check_settled_cleanly(cl.stats(), 9);
}

// ---------------------------------------------------------------------------------------------
// flush() and close()
// ---------------------------------------------------------------------------------------------
