// A custom destination (config::custom_destination) behind seglog's queue, batching, retry
// policy and accounting: each test forwards through forwarding_destination to the loopback
// collector, so reconcile() checks the same books as for Segment's transport.
#include "destinations.h"
#include "pipeline.h"
#include "temp_files.h"

#include <seglog/attach.h>
#include <seglog/batch_destination.h>
#include <seglog/macros.h>
#include <seglog/sinks/segment_sink.h>
#include <seglog/tracking.h>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <stdexcept>

using namespace seglog_test;
using namespace std::chrono_literals;
using seglog::destination_result;
using seglog::reason;

namespace {

// The pipeline with its client sending to `dest` instead of the collector's URL (no write key).
std::shared_ptr<forwarding_destination> use_destination(pipeline &p, forwarding_destination::hook before = {}) {
    auto dest = std::make_shared<forwarding_destination>(p.col, std::move(before));
    p.cfg.custom_destination = dest;
    p.cfg.destinations.clear(); // the custom destination alone
    p.cfg.write_key.clear();
    p.cfg.host = "https://unused.invalid";
    return dest;
}

std::uint64_t by(const seglog::stats &s, reason r) { return s.by_reason[static_cast<int>(r)]; }

// Every event delivered after `sends` requests, one batch of them delivered.
void check_delivered_after(const seglog::stats &s, std::uint64_t events, std::uint64_t sends) {
    CHECK(s.accepted == events);
    CHECK(s.delivered == events);
    CHECK(s.failed == 0);
    CHECK(s.dropped == 0);
    CHECK(s.pending_bytes == 0);
    CHECK(s.batches_sent == sends);
    CHECK(s.batches_delivered == 1);
    CHECK(s.retried == events * (sends - 1));
}

// An answer given by the hook never reaches the collector: X-Retry-Count there is at least
// the requests it saw before.
constexpr reconcile_options hooked{false, xrc::at_least};

bool reported_with(const ledger &l, reason r, const std::string &text) {
    std::lock_guard<std::mutex> lk(l.m);
    return std::any_of(l.errors.begin(), l.errors.end(), [&](const seglog::error &e) {
        return e.code == r && e.message.find(text) != std::string::npos;
    });
}

} // namespace

TEST_CASE("custom destination: every event reaches it in batches, as records and as the batch body") {
    pipeline p;
    auto dest = use_destination(p);
    p.start();
    p.track_n(120);
    p.flush();
    check_settled_cleanly(p.stats(), 120);
    CHECK(dest->events_seen() == 120);
    for (const auto &c : dest->calls()) {
        CHECK(c.attempt == 0);
        const auto body = nlohmann::json::parse(c.body);
        REQUIRE(body.at("batch").size() == c.events.size());
        for (std::size_t i = 0; i < c.events.size(); ++i) CHECK(nlohmann::json::parse(c.events[i]) == body["batch"][i]);
        CHECK(body.at("sentAt").is_string());
    }
    CHECK(p.col.unique_count() == 120);
    CHECK(p.stats().bytes_sent > 0);
    p.close_within(5s);
    p.reconcile();
}

TEST_CASE("custom destination: retry answers are retried with backoff, then delivered") {
    pipeline p;
    auto dest = use_destination(p);
    p.cfg.flush_at = 10;
    p.col.script({500, 503, 429});
    p.start();
    p.track_n(10);
    p.flush();
    check_delivered_after(p.stats(), 10, 4);
    const auto calls = dest->calls();
    REQUIRE(calls.size() == 4);
    for (int i = 0; i < 4; ++i) {
        CHECK(calls[i].id == calls[0].id);
        CHECK(calls[i].attempt == i);
    }
    // Said once per kind, naming the destination and its reason.
    CHECK(reported_with(p.l, reason::delivery_delayed, "delivery to custom destination \"forwarder\" failed"));
    CHECK(reported_with(p.l, reason::delivery_delayed, "HTTP 500"));
    p.close_within(5s);
    p.reconcile();
}

TEST_CASE("custom destination: a reject fails the batch at once with the destination's reason") {
    pipeline p;
    auto dest = use_destination(p);
    p.cfg.flush_at = 5;
    p.col.set_default(seglog::loopback::reply(422, "schema mismatch"));
    p.start();
    p.track_n(5);
    p.flush();
    const auto s = p.stats();
    CHECK(s.failed == 5);
    CHECK(by(s, reason::rejected) == 5);
    CHECK(s.retried == 0);
    CHECK(dest->calls().size() == 1); // a reject is not retried, nor split
    CHECK(reported_with(p.l, reason::rejected,
                        "from custom destination \"forwarder\": 5 events rejected and dropped; it said: HTTP 422: "
                        "schema mismatch"));
    p.close_within(5s);
    p.reconcile();
}

TEST_CASE("custom destination: retries until max_attempts, then retries_exhausted with the last reason") {
    pipeline p;
    auto dest = use_destination(p);
    p.cfg.flush_at = 4;
    p.cfg.max_attempts = 3;
    p.col.set_default(503);
    p.start();
    p.track_n(8);
    p.flush();
    const auto s = p.stats();
    CHECK(s.failed == 8);
    CHECK(by(s, reason::retries_exhausted) == 8);
    CHECK(dest->calls().size() == 6); // 2 batches x 3 attempts
    CHECK(reported_with(p.l, reason::retries_exhausted, "4 events failed after 3 attempts; last error: HTTP 503"));
    p.close_within(5s);
    p.reconcile();
}

TEST_CASE("custom destination: max_retry_time bounds the retries too") {
    pipeline p;
    use_destination(p, [](const seglog::destination_batch &) {
        return std::optional<destination_result>(destination_result::retry("busy", 300ms));
    });
    p.cfg.flush_at = 1;
    p.cfg.max_retry_time = 200ms; // the first wait the destination asks for is already past it
    p.start();
    p.track_n(1);
    p.flush();
    CHECK(by(p.stats(), reason::retries_exhausted) == 1);
    CHECK(reported_with(p.l, reason::retries_exhausted, "last error: busy"));
    p.close_within(5s);
    p.reconcile(hooked);
}

TEST_CASE("custom destination: a retry with a delay waits at least that long before the next attempt") {
    pipeline p;
    bool asked = false; // the destination thread alone touches it
    auto dest = use_destination(p, [&](const seglog::destination_batch &) -> std::optional<destination_result> {
        if (std::exchange(asked, true)) return std::nullopt;
        return destination_result::retry("come back later", 400ms);
    });
    p.cfg.flush_at = 3;
    p.start();
    p.track_n(3);
    p.flush();
    check_delivered_after(p.stats(), 3, 2);
    const auto calls = dest->calls();
    REQUIRE(calls.size() == 2);
    CHECK(calls[1].at - calls[0].at >= 400ms);
    CHECK(reported_with(p.l, reason::delivery_delayed, "come back later"));
    p.close_within(5s);
    p.reconcile(hooked);
}

TEST_CASE("custom destination: an exception from send() is a retry, and the service goes on") {
    pipeline p;
    int thrown = 0; // the destination thread alone touches it
    auto dest = use_destination(p, [&](const seglog::destination_batch &) -> std::optional<destination_result> {
        if (thrown < 2) {
            ++thrown;
            if (thrown == 1) throw std::runtime_error("boom");
            throw 42; // not a std::exception
        }
        return std::nullopt;
    });
    p.cfg.flush_at = 7;
    p.start();
    p.track_n(7);
    p.flush();
    check_delivered_after(p.stats(), 7, 3);
    CHECK(dest->calls().size() == 3);
    CHECK(reported_with(p.l, reason::delivery_delayed, "send() threw: boom"));
    p.close_within(5s);
    p.reconcile(hooked);
}

TEST_CASE("custom destination: one that hangs stalls neither the callers nor close()") {
    pipeline p;
    auto stuck = std::make_shared<gate>();
    auto dest = use_destination(p, [stuck](const seglog::destination_batch &) -> std::optional<destination_result> {
        stuck->wait();
        return destination_result::delivered(); // too late: close() returned these events
    });
    p.cfg.flush_at = 10;
    p.cfg.max_in_flight = 1;
    p.start();
    p.track_n(10);
    REQUIRE(stuck->wait_for_waiter());
    // The worker keeps batching and the callers keep being accepted while send() hangs.
    p.track_n(50, 10);
    CHECK_FALSE(p.client().flush(50ms).complete);
    CHECK(p.stats().accepted == 60);
    const auto started = std::chrono::steady_clock::now();
    p.close_within(200ms);
    CHECK(std::chrono::steady_clock::now() - started < 200ms + k_close_margin);
    const auto s = p.stats();
    CHECK(s.returned == 60);
    CHECK(s.delivered == 0);
    stuck->open(); // the abandoned call ends on its own thread; its answer is dropped
    p.reconcile(hooked);
}

TEST_CASE("attach(): the macros' events go to the custom destination, alone when no destination is set") {
    seglog::loopback::collector col;
    auto dest = std::make_shared<forwarding_destination>(col);
    temp_dir dir("seglog-custom-dest");
    seglog::config cfg;
    cfg.custom_destination = dest;
    cfg.default_file = dir.file("default.jsonl");
    cfg.flush_interval = 60s;
    CHECK(cfg.effective_destinations().empty());
    CHECK(cfg.describe().find("destinations=[custom \"forwarder\"]") != std::string::npos);
    auto logger = std::make_shared<spdlog::logger>("custom-dest", std::make_shared<spdlog::sinks::null_sink_mt>());
    auto demux = seglog::attach(*logger, cfg);
    REQUIRE(demux->event_sinks().size() == 1);
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u-1"), "Order Completed", {{"revenue", 42.5}});
    auto c = seglog::segment_client(*demux);
    REQUIRE(c);
    REQUIRE(c->flush(k_bound).complete);
    REQUIRE(col.unique_count() == 1);
    const auto ev = col.accepted_events().at(0);
    CHECK(ev.at("event") == "Order Completed");
    CHECK(ev.at("properties").at("revenue") == 42.5);
    CHECK(::access(cfg.default_file.c_str(), F_OK) != 0); // no default file beside it
    c->close(k_bound);
}

TEST_CASE("attach(): beside segment, each gets its own client; tracking off turns it off") {
    seglog::loopback::collector segment_col, custom_col;
    auto dest = std::make_shared<forwarding_destination>(custom_col);
    seglog::config cfg = segment_config(segment_col);
    cfg.custom_destination = dest;
    auto logger = std::make_shared<spdlog::logger>("custom-beside", std::make_shared<spdlog::sinks::null_sink_mt>());
    auto demux = seglog::attach(*logger, cfg);
    REQUIRE(demux->event_sinks().size() == 2);
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u-2"), "Signup", {});
    for (const auto &s : demux->event_sinks()) {
        auto seg = std::dynamic_pointer_cast<seglog::segment_sink_mt>(s);
        REQUIRE(seg);
        REQUIRE(seg->client().flush(k_bound).complete);
    }
    CHECK(segment_col.unique_count() == 1);
    CHECK(custom_col.unique_count() == 1);
    CHECK(segment_col.accepted_ids() == custom_col.accepted_ids());
    CHECK(dest->events_seen() == 1);

    cfg.tracking = false;
    auto off = seglog::attach(*logger, cfg);
    CHECK(off->event_sinks().empty());
    seglog::set_tracking(true);
}
