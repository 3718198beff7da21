// Tracking from inside a seglog callback (on_error, on_delivered, on_attempt, the handler of
// set_error_handler), through client calls or the macros, is refused as reentrant_call: counted,
// never handed to the callback again, never recursing.
#include <doctest/doctest.h>

#include "collecting_sink.h"
#include "pipeline.h"
#include "routed.h"

#include <seglog/client.h>
#include <seglog/error.h>
#include <seglog/macros.h>

#include <atomic>
#include <vector>

using namespace seglog_test;

namespace {

constexpr int k_reentrant = static_cast<int>(seglog::reason::reentrant_call);

std::uint64_t call_site_reentrant() { return seglog::call_site_stats().by_reason[k_reentrant]; }

} // namespace

TEST_SUITE("client: re-entrant callbacks") {

TEST_CASE("an on_error that tracks a refused event: the inner call is refused as reentrant_call, once") {
    pipeline p(segment_config);
    seglog::client &c = p.start();
    std::atomic<int> calls{0};
    std::vector<bool> inner;
    c.on_error([&](const seglog::error &e) {
        ++calls;
        CHECK(e.code == seglog::reason::missing_event);
        inner.push_back(c.track(seglog::user("u"), ""));   // refused again: would recurse
        inner.push_back(c.track(seglog::user("u"), "Ok")); // valid, still refused
        inner.push_back(c.enqueue(fault_record(1)));
    });
    CHECK_FALSE(c.track(seglog::user("u"), ""));
    CHECK(calls == 1);
    CHECK(inner == std::vector<bool>{false, false, false});
    const auto s = c.stats();
    CHECK(s.accepted == 0);
    CHECK(s.dropped == 4);
    CHECK(s.by_reason[static_cast<int>(seglog::reason::missing_event)] == 1);
    CHECK(s.by_reason[k_reentrant] == 3);
    CHECK(std::string(seglog::to_string(seglog::reason::reentrant_call)) == "reentrant_call");
}

TEST_CASE("on_delivered and on_attempt that track on the worker thread are refused, delivery goes on") {
    pipeline p(segment_config);
    p.cfg.flush_at = 10;
    seglog::client &c = p.start();
    std::atomic<int> accepted_inside{0}, refused_inside{0};
    auto track_inside = [&] { (c.track(seglog::user("u"), "Inside") ? accepted_inside : refused_inside)++; };
    c.on_delivered([&](const seglog::delivery_info &) { track_inside(); });
    c.on_attempt([&](const seglog::attempt_info &) { track_inside(); });
    for (int i = 0; i < 30; ++i) REQUIRE(c.track(seglog::user("u"), "Outside", {{"i", i}}));
    REQUIRE(c.flush(k_bound));
    p.close_within(k_bound); // the worker has finished every callback
    const auto s = c.stats();
    CHECK(s.batches_sent >= 3);
    CHECK(accepted_inside == 0);
    CHECK(refused_inside == 2 * s.batches_sent); // one on_attempt and one on_delivered per batch
    CHECK(s.accepted == 30);
    CHECK(s.delivered == 30);
    CHECK(s.dropped == 2 * s.batches_sent);
    CHECK(s.by_reason[k_reentrant] == 2 * s.batches_sent);
    CHECK(p.col.accepted_ids().size() == 30);
}

TEST_CASE("a set_error_handler handler that tracks through the macros: refused, counted, no recursion") {
    routed r;
    auto logger = r.sync_logger("reentrant");
    std::atomic<int> handled{0};
    const auto before = call_site_reentrant();
    seglog::set_error_handler([&](const seglog::error &e) {
        ++handled;
        CHECK(e.code == seglog::reason::missing_event);
        SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "");   // refused again: would recurse
        SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Ok"); // valid, still refused
    });
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "");
    seglog::set_error_handler({});
    CHECK(handled == 1);
    CHECK(call_site_reentrant() == before + 2);
    CHECK(r.events->size() == 0);
    // Outside a callback the same logger tracks as before.
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "After");
    CHECK(r.events->size() == 1);
}

TEST_CASE("a client's on_error that tracks through a macro is refused as reentrant_call") {
    pipeline p(segment_config);
    seglog::client &c = p.start();
    routed r;
    auto logger = r.sync_logger("reentrant-client");
    const auto before = call_site_reentrant();
    c.on_error([&](const seglog::error &) { SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Error Seen"); });
    CHECK_FALSE(c.track(seglog::user("u"), ""));
    CHECK(call_site_reentrant() == before + 1);
    CHECK(r.events->size() == 0);
}

} // TEST_SUITE
