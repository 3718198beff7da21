// What seglog::client reports: on_delivered, on_attempt and on_error with ids and statuses,
// the default handler's rate limit, a handler that calls back in, the write key kept out of
// every message, and stats() agreeing with the collector.

#include "pipeline.h"

#include <doctest/doctest.h>

#include <seglog/seglog.h>

#include "stderr_capture.h"

#include "common/errors.h"

#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using seglog::loopback::collector;
using seglog::loopback::reply;
using json = nlohmann::json;
using namespace std::chrono_literals;
using namespace seglog_test;

TEST_CASE("a handler whose own call is refused on the same thread: refused as reentrant_call, not reported to it") {
    // Refusals reuse one error object per thread. Callbacks should not call back into the
    // client; one that does is refused before anything could overwrite the error it is reading.
    collector c;
    seglog::client cl(segment_config(c));
    REQUIRE(cl.close(k_bound).empty());
    const std::string outer = make_record(1), inner = make_record(2);
    std::vector<std::pair<std::string, std::vector<std::string>>> seen; // message, ids as read after the inner call
    cl.on_error([&](const seglog::error &e) {
        if (e.message_ids == std::vector<std::string>{id_of(outer)}) CHECK_FALSE(cl.enqueue(inner));
        seen.emplace_back(e.message, e.message_ids);
    });
    CHECK_FALSE(cl.enqueue(outer));
    REQUIRE(seen.size() == 1); // the inner call never reached on_error
    CHECK(seen[0].second == std::vector<std::string>{id_of(outer)});
    CHECK(seen[0].first.rfind("event not accepted: the client is closed. ", 0) == 0);
    CHECK(seen[0].first.find("call seglog::shutdown()") != std::string::npos);
    CHECK(cl.stats().by_reason[static_cast<int>(seglog::reason::closed)] == 1);
    CHECK(cl.stats().by_reason[static_cast<int>(seglog::reason::reentrant_call)] == 1);
    CHECK(cl.stats().dropped == 2);
}

TEST_CASE("the default handler: a flood of refusals prints at most one line a second and counts the rest") {
    collector c;
    seglog::client cl(segment_config(c)); // no on_error: the default handler
    REQUIRE(cl.close(k_bound).empty());
    const std::string record = make_record(3);
    seglog::detail::reset_default_error_handler(); // the limit is process-wide: start afresh
    const std::regex line(
        R"(\[seglog\] error \(closed\): event not accepted: the client is closed\. An event logged before close\(\) )"
        R"(but still in an spdlog::async_logger's queue is lost this way: call seglog::shutdown\(\) \(or )"
        R"(spdlog::shutdown\(\) before close\(\)\)(?: \((\d+) more closed errors in the last second\))?\n)");
    // Events each line stands for: itself and those it says were suppressed before it.
    auto lines_and_events = [&](const std::string &text) {
        std::size_t lines = 0, events = 0, matched = 0;
        for (std::sregex_iterator m(text.begin(), text.end(), line), end; m != end; ++m) {
            ++lines;
            events += 1 + ((*m)[1].matched ? std::stoul((*m)[1].str()) : 0);
            matched += static_cast<std::size_t>(m->length());
        }
        CHECK(matched == text.size()); // nothing else was printed
        return std::make_pair(lines, events);
    };

    constexpr int flood = 2000; // from two threads at once
    std::string flood_text;
    {
        stderr_capture err;
        std::vector<std::thread> ts;
        for (int t = 0; t < 2; ++t)
            ts.emplace_back([&] {
                for (int i = 0; i < flood / 2; ++i) CHECK_FALSE(cl.enqueue(record));
            });
        for (auto &t : ts) t.join();
        flood_text = err.text();
    }
    const auto [flood_lines, flood_events] = lines_and_events(flood_text);
    CHECK(flood_lines == 1); // the first refusal; the flood takes well under a second
    CHECK(flood_events == 1);

    // The suppressed ones are told with the next line, which may come once a second has passed
    // since the last: refuse one more event every 20 ms until it does (bounded).
    stderr_capture err;
    int polls = 0;
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    std::string poll_text;
    while (poll_text.empty() && std::chrono::steady_clock::now() < deadline) {
        CHECK_FALSE(cl.enqueue(record));
        ++polls;
        poll_text = err.peek();
        if (poll_text.empty()) std::this_thread::sleep_for(20ms);
    }
    poll_text = err.text();
    const auto [poll_lines, poll_events] = lines_and_events(poll_text);
    REQUIRE(poll_lines == 1);
    // Every refusal is the printed line or in its count: the rest of the flood and the polls.
    CHECK(poll_events == static_cast<std::size_t>(flood - 1 + polls));
    CHECK(cl.stats().by_reason[static_cast<int>(seglog::reason::closed)] == static_cast<std::uint64_t>(flood + polls));
    // The limit is reached again: the next error only counts.
    {
        stderr_capture after;
        CHECK_FALSE(cl.enqueue(record));
        CHECK(after.text().empty());
    }
}

// ---------------------------------------------------------------------------------------------
// Callbacks and the write key
// ---------------------------------------------------------------------------------------------

TEST_CASE("callbacks: on_delivered, on_attempt with retry counts, on_error with ids and status") {
    pipeline p(segment_config);
    seglog::client &cl = p.start();

    SUBCASE("a first attempt that succeeds") {
        std::vector<std::string> records{make_record(1), make_record(2), make_record(3)};
        for (const auto &r : records) REQUIRE(cl.enqueue(r));
        REQUIRE(cl.flush(k_bound).complete);
        auto reqs = p.col.requests();
        REQUIRE(reqs.size() == 1);
        auto attempts = p.l.attempts_copy();
        REQUIRE(attempts.size() == 1);
        CHECK(attempts[0].status == 200);
        CHECK(attempts[0].retry_count == 0);
        CHECK(attempts[0].events == 3);
        CHECK(attempts[0].bytes == reqs[0].wire_bytes);
        CHECK(attempts[0].network_error.empty());
        auto deliveries = p.l.deliveries_copy();
        REQUIRE(deliveries.size() == 1);
        CHECK(deliveries[0].events == 3);
        CHECK(deliveries[0].message_ids == ids_of(records));
        CHECK(p.l.errors_copy().empty());
    }
    SUBCASE("a retried attempt carries X-Retry-Count and is reported with it") {
        p.col.script({503, 200});
        std::vector<std::string> records{make_record(1), make_record(2)};
        for (const auto &r : records) REQUIRE(cl.enqueue(r));
        REQUIRE(cl.flush(k_bound).complete);
        auto reqs = p.col.requests();
        REQUIRE(reqs.size() == 2);
        CHECK_FALSE(reqs[0].has_header("X-Retry-Count"));
        CHECK(reqs[1].header("X-Retry-Count") == "1");
        CHECK(reqs[0].message_ids == reqs[1].message_ids);
        auto attempts = p.l.attempts_copy();
        REQUIRE(attempts.size() == 2);
        CHECK(attempts[0].status == 503);
        CHECK(attempts[0].retry_count == 0);
        CHECK(attempts[1].status == 200);
        CHECK(attempts[1].retry_count == 1);
        CHECK(p.l.delivered_ids() == ids_of(records));
        auto s = cl.stats();
        CHECK(s.delivered == 2);
        CHECK(s.retried == 2);
        CHECK(s.batches_sent == 2);
        CHECK(s.batches_delivered == 1);
    }
    SUBCASE("a rejected event: on_error with its messageId and the HTTP status") {
        p.col.script({400});
        const std::string record = make_record(9);
        REQUIRE(cl.enqueue(record));
        REQUIRE(cl.flush(k_bound).complete);
        auto rejected = p.l.errors_with(seglog::reason::rejected);
        REQUIRE(rejected.size() == 1);
        CHECK(rejected[0].http_status == 400);
        CHECK(rejected[0].message_ids == std::vector<std::string>{id_of(record)});
        auto s = cl.stats();
        CHECK(s.failed == 1);
        CHECK(s.by_reason[static_cast<int>(seglog::reason::rejected)] == 1);
        CHECK(s.accepted == s.delivered + s.failed);
    }
    SUBCASE("a refused write key: a configuration error, the event handed back at close") {
        p.col.script({401});
        const std::string record = make_record(10);
        REQUIRE(cl.enqueue(record));
        CHECK_FALSE(cl.flush(0ms).complete); // sent now; held by the 401, not settled
        REQUIRE(p.wait_until([&] { return !p.l.errors_with(seglog::reason::config_error).empty(); }));
        auto refused = p.l.errors_with(seglog::reason::config_error);
        REQUIRE(refused.size() == 1);
        CHECK(refused[0].http_status == 401);
        CHECK(refused[0].message_ids.empty()); // a notice: the event is still held
        CHECK(cl.close(0ms) == std::vector<std::string>{record});
        CHECK(cl.stats().by_reason[static_cast<int>(seglog::reason::undelivered_at_close)] == 1);
    }
}

TEST_CASE("the write key appears in no callback, stat, description, message or stderr line") {
    collector c;
    std::string everything; // all text the client produced
    {
        stderr_capture err;
        auto cfg = segment_config(c);
        cfg.max_attempts = 2;
        everything += cfg.describe() + "\n";

        ledger seen;
        seglog::client cl(cfg);
        seen.watch(cl);
        everything += cl.config().describe() + "\n";

        // delivered, rejected (400), too large, a network failure, the key refused (401), closed
        REQUIRE(cl.track(seglog::user("u-key"), "Fine"));
        REQUIRE(cl.flush(k_bound).complete);
        c.script({400});
        REQUIRE(cl.track(seglog::user("u-key"), "Rejected"));
        REQUIRE(cl.flush(k_bound).complete);
        CHECK_FALSE(cl.track(seglog::user("u-key"), "Huge", {{"blob", std::string(40000, 'h')}}));
        c.stop();
        REQUIRE(cl.track(seglog::user("u-key"), "Unreachable"));
        REQUIRE(cl.flush(k_bound).complete); // two attempts, both refused, then given up
        c.start();
        c.script({401});
        REQUIRE(cl.track(seglog::user("u-key"), "Unauthorized"));
        CHECK_FALSE(cl.flush(0ms).complete); // sent now; held by the 401, not settled
        REQUIRE(c.wait_for([&] { return !seen.errors_with(seglog::reason::config_error).empty(); }, k_bound));
        REQUIRE(cl.track(seglog::user("u-key"), "Returned"));
        CHECK(cl.close(0ms).size() == 2); // held by the 401, or no time to wait: handed back

        CHECK_FALSE(cl.track(seglog::user("u-key"), "Closed"));

        // A second client without callbacks: its errors go to the default handler (stderr),
        // which has printed nothing in the last second.
        seglog::detail::reset_default_error_handler();
        {
            seglog::client quiet(cfg);
            REQUIRE(quiet.track(seglog::user("u-key"), "Unreachable Too"));
            CHECK(quiet.close(0ms).size() == 1);
        }

        auto s = cl.stats();
        CHECK(s.by_reason[static_cast<int>(seglog::reason::rejected)] == 1);
        CHECK(seen.errors_with(seglog::reason::config_error).size() == 1);
        CHECK(seen.errors_with(seglog::reason::delivery_delayed).size() == 1);
        CHECK(s.by_reason[static_cast<int>(seglog::reason::event_too_large)] == 1);
        CHECK(s.by_reason[static_cast<int>(seglog::reason::retries_exhausted)] == 1);
        CHECK(s.by_reason[static_cast<int>(seglog::reason::undelivered_at_close)] == 2);
        CHECK(s.by_reason[static_cast<int>(seglog::reason::closed)] == 1);
        for (int i = 0; i < seglog::reason_count; ++i)
            everything += std::string(seglog::to_string(static_cast<seglog::reason>(i))) + "=" +
                          std::to_string(s.by_reason[i]) + "\n";

        auto errors = seen.errors_copy();
        CHECK(errors.size() >= 6);
        for (const auto &e : errors) {
            everything += e.message + "|" + e.event_type + "|" + e.event_name + "|";
            for (const auto &id : e.message_ids) everything += id + ",";
            everything += "\n";
        }
        bool saw_network_error = false;
        for (const auto &a : seen.attempts_copy()) {
            everything += a.network_error + "\n";
            saw_network_error = saw_network_error || (a.status == 0 && !a.network_error.empty());
        }
        CHECK(saw_network_error);
        for (const auto &d : seen.deliveries_copy())
            for (const auto &id : d.message_ids) everything += id + "\n";

        const std::string stderr_text = err.text();
        CHECK(stderr_text.find("undelivered") != std::string::npos); // the default handler spoke
        everything += stderr_text;
    }
    CHECK(everything.size() > 500);
    CHECK(everything.find(k_write_key) == std::string::npos);
    CHECK(everything.find("SECRET_PLANTED") == std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// stats()
// ---------------------------------------------------------------------------------------------

TEST_CASE("stats: counters agree with the collector at the end of a clean run") {
    pipeline p(segment_config);
    p.cfg.flush_at = 50;
    seglog::client &cl = p.start();

    auto before = cl.stats();
    CHECK(before.accepted == 0);
    CHECK(before.batches_sent == 0);

    for (int i = 0; i < 300; ++i) REQUIRE(cl.track(seglog::user("u-stats"), "Counted", {{"i", i}}));
    REQUIRE(cl.flush(k_bound).complete);

    auto s = cl.stats();
    check_settled_cleanly(s, 300);
    CHECK(s.batches_sent == 6);
    CHECK(s.batches_delivered == 6);
    CHECK(s.retried == 0);
    CHECK(s.bytes_sent == p.col.stats().bytes);
    CHECK(p.col.stats().requests == 6);
    CHECK(p.col.unique_count() == 300);
    for (int i = 0; i < seglog::reason_count; ++i) CHECK(s.by_reason[i] == 0);
}
