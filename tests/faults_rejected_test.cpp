// seglog's promise when the collector refuses a batch (400 with a poisoned event, 401, 403,
// 404, 501): split, dropped with the right reason or held as a configuration error, never
// retried, never the write key in a message; the books reconcile exactly (tests/support/pipeline.h).
#include "pipeline.h"

#include <doctest/doctest.h>

#include <seglog/seglog.h>

#include <set>
#include <string>

using namespace std::chrono_literals;
using namespace seglog_test;
using seglog::reason;
using seglog::loopback::reply;

// ---------------------------------------------------------------------------------------------
TEST_SUITE("faults") {

TEST_CASE("400 for a batch with one poisoned event: split until it is alone") {
    pipeline p;
    p.col.poison_property("poison");
    p.start();
    std::string poisoned;
    for (int i = 0; i < 120; ++i) REQUIRE(p.push(i, 0, i == 37));
    p.flush();
    p.close_within(5s);
    const auto s = p.stats();
    CHECK(s.delivered == 119);
    CHECK(s.failed == 1);
    CHECK(s.by_reason[static_cast<int>(reason::rejected)] == 1);
    CHECK(p.l.seqs(p.l.reported[reason::rejected]) == std::set<int>{37});
    for (auto &e : p.l.errors)
        if (e.code == reason::rejected) {
            CHECK(e.http_status == 400);
            CHECK(e.message_ids.size() == 1);
        }
    // log2(50) halvings at most, each 400 on the half holding the poison.
    std::size_t rejections = 0;
    for (auto &r : p.col.requests()) rejections += r.status == 400;
    CHECK(rejections <= 7);
    CHECK(p.col.unique_count() == 119);
    p.reconcile();
}

TEST_CASE("401 and 403: never retried, never the key; the events wait and close() hands them back") {
    for (int status : {401, 403}) {
        CAPTURE(status);
        pipeline p;
        p.col.set_default(status);
        p.start();
        p.track_n(100);
        REQUIRE(p.wait_until([&] { return !p.l.errors_with(reason::config_error).empty(); }));
        p.close_within(1s);
        const auto s = p.stats();
        CHECK(s.failed == 0);
        CHECK(s.returned == 100);
        CHECK(s.retried == 0);
        CHECK(s.batches_sent == p.col.request_count());
        for (auto &r : p.col.requests()) CHECK_FALSE(r.has_header("X-Retry-Count"));
        for (auto &e : p.l.errors) {
            CHECK(e.message.find(k_write_key) == std::string::npos);
            CHECK(e.message.find(k_write_key.substr(0, 12)) == std::string::npos);
        }
        const auto said = p.l.errors_with(reason::config_error);
        REQUIRE(said.size() == 1); // once, naming the problem
        CHECK(said[0].http_status == status);
        CHECK(said[0].message.find("write key") != std::string::npos);
        p.reconcile();
    }
}

TEST_CASE("non-retryable answers: 404 and 501 dropped as rejected, never retried") {
    for (int status : {404, 501}) {
        CAPTURE(status);
        pipeline p;
        p.col.set_default(status);
        p.start();
        p.track_n(80);
        p.flush();
        p.close_within(1s);
        const auto s = p.stats();
        const reason why = reason::rejected;
        CHECK(s.failed == 80);
        CHECK(s.by_reason[static_cast<int>(why)] == 80);
        CHECK(s.retried == 0);
        CHECK(s.batches_sent == p.col.request_count());
        for (auto &r : p.col.requests()) CHECK_FALSE(r.has_header("X-Retry-Count"));
        p.reconcile();
    }
}

} // TEST_SUITE("faults")
