#pragma once
// One fixture for the delivery pipeline under test: the loopback collector, a client configured
// for it, and the ledger that books what the client reported; then reconcile(), the exact books
// after close(). A test reads as what it does:
//
//   pipeline p;                                 // collector up, fault_config()
//                                               // (pipeline p(segment_config): the plain one)
//   p.col.script({500, 503, 200});              // before anything is sent
//   p.cfg.max_attempts = 3;                     // before start()
//   p.start();
//   p.track_n(100);                             // fault_record(0..99), each accepted
//   p.flush();
//   p.close_within(5s);
//   p.reconcile();

#include "bounds.h"
#include "collector.h"
#include "config.h"
#include "ledger.h"
#include "records.h"

#include <doctest/doctest.h>

#include <seglog/client.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace seglog_test {

// How the collector's record of X-Retry-Count relates to the client's attempts.
enum class xrc { exact, at_least, at_most };

struct reconcile_options {
    bool timeouts = false; // requests may time out: the server may hold ids the client does not count delivered
    // exact: the collector saw every attempt once. at_least: some attempts never reached it (it
    // was down). at_most: it saw some twice: libcurl resends a request by itself, with the same
    // headers, when a reused keep-alive connection dies before any answer (the reset fault).
    xrc retry_count = xrc::exact;
};

// The exact books, after close(): accepted == delivered + failed + evicted + returned; the ids
// delivered, reported and returned are disjoint and together the ids accepted; the collector
// holds what was delivered and nothing that was not accepted; duplicates only from timed-out
// requests; X-Retry-Count on every request equal to the sends of its batch before it.
inline void reconcile(seglog::client &c, const ledger &l, const seglog::loopback::collector &col,
                      reconcile_options o = {}) {
    REQUIRE(c.closed());
    const auto s = c.stats();
    std::lock_guard<std::mutex> lk(l.m);
    INFO("accepted=" << s.accepted << " delivered=" << s.delivered << " failed=" << s.failed << " evicted=" << s.evicted
                     << " returned=" << s.returned << " dropped=" << s.dropped);
    CHECK(s.accepted == s.delivered + s.failed + s.evicted + s.returned + s.spool_left);
    CHECK(s.accepted == l.accepted.size());
    CHECK(s.dropped == l.refused.size());
    CHECK(s.pending_bytes == 0);
    CHECK(s.queued_events == 0);
    CHECK(s.in_flight == 0);

    // Delivered: each id once.
    const std::set<std::string> delivered(l.delivered.begin(), l.delivered.end());
    CHECK(delivered.size() == l.delivered.size());
    CHECK(delivered.size() == s.delivered);

    auto ids_of = [&](seglog::reason r) {
        auto it = l.reported.find(r);
        return it == l.reported.end() ? std::multiset<std::string>{} : it->second;
    };
    std::multiset<std::string> failed;
    for (seglog::reason r :
         {seglog::reason::rejected, seglog::reason::unauthorized, seglog::reason::retries_exhausted}) {
        auto ids = ids_of(r);
        failed.insert(ids.begin(), ids.end());
        CHECK(s.by_reason[static_cast<int>(r)] == ids.size());
    }
    // The tracking plan's reasons are notices for the events still sent (plan_violations=warn).
    for (seglog::reason r : {seglog::reason::plan_violation, seglog::reason::unplanned_event}) {
        std::size_t n = 0;
        for (auto &id : ids_of(r))
            if (!std::count(l.delivered.begin(), l.delivered.end(), id)) {
                failed.insert(id);
                ++n;
            }
        CHECK(s.by_reason[static_cast<int>(r)] == n);
    }
    CHECK(failed.size() == s.failed);

    // queue_full covers both refusals (never accepted) and evictions (accepted, drop_oldest).
    std::multiset<std::string> evicted;
    const auto full = ids_of(seglog::reason::queue_full);
    for (auto &id : full)
        if (l.accepted_set.count(id)) evicted.insert(id);
    CHECK(evicted.size() == s.evicted);
    CHECK(s.by_reason[static_cast<int>(seglog::reason::queue_full)] == full.size());

    const std::multiset<std::string> returned(l.returned.begin(), l.returned.end());
    CHECK(returned.size() == s.returned);
    CHECK(ids_of(seglog::reason::undelivered_at_close) == returned);

    // Disjoint, and together exactly the accepted ids.
    std::multiset<std::string> all;
    all.insert(delivered.begin(), delivered.end());
    all.insert(failed.begin(), failed.end());
    all.insert(evicted.begin(), evicted.end());
    all.insert(returned.begin(), returned.end());
    CHECK(std::set<std::string>(all.begin(), all.end()).size() == all.size());
    CHECK(std::set<std::string>(all.begin(), all.end()) == l.accepted_set);

    // The server side.
    const auto reqs = col.requests();
    std::set<std::string> in_timed_out; // ids of 2xx requests whose client had hung up
    for (auto &r : reqs)
        if (r.client_gone && r.status >= 200 && r.status < 300)
            in_timed_out.insert(r.message_ids.begin(), r.message_ids.end());
    const auto server = col.accepted_ids();
    const std::set<std::string> server_set(server.begin(), server.end());
    for (auto &id : delivered) CHECK_MESSAGE(server_set.count(id), "delivered but not at the server: " << id);
    for (auto &id : server_set) {
        CHECK_MESSAGE(l.accepted_set.count(id), "at the server but never accepted: " << id);
        if (!delivered.count(id))
            CHECK_MESSAGE(in_timed_out.count(id), "at the server, not delivered, not from a timed-out request: " << id);
    }
    if (!o.timeouts) {
        CHECK(in_timed_out.empty());
        CHECK(col.duplicate_count() == 0);
        CHECK(server_set == delivered);
    }
    // Duplicates: only ids the server took from a request the client had given up on.
    std::set<std::string> seen;
    for (auto &r : reqs) {
        if (r.reset || r.status < 200 || r.status >= 300) continue;
        for (auto &id : r.message_ids)
            if (!seen.insert(id).second)
                CHECK_MESSAGE(in_timed_out.count(id), "duplicate not caused by a timeout: " << id);
    }

    // X-Retry-Count: absent on a batch's first request, then the number of requests made before.
    std::map<std::string, int> sends;
    for (auto &r : reqs) {
        if (r.message_ids.empty()) continue;
        const int before = sends[r.message_ids.front()];
        const std::string h = r.header("X-Retry-Count");
        const int value = h.empty() ? 0 : std::stoi(h);
        CHECK(h != "0"); // absent on a first attempt, never "0"
        switch (o.retry_count) {
        case xrc::exact:
            CHECK_MESSAGE(value == before, "X-Retry-Count '" << h << "' after " << before << " requests");
            break;
        case xrc::at_least: CHECK(value >= before); break;
        case xrc::at_most: CHECK(value <= before); break;
        }
        for (auto &id : r.message_ids) ++sends[id];
    }
    // The client's view of the same: X-Retry-Count of each attempt is its batch's earlier sends.
    for (auto &a : l.attempts) CHECK(a.retry_count >= 0);
}

// The stats a user checks after a run where everything went well.
inline void check_settled_cleanly(const seglog::stats &s, std::uint64_t events) {
    CHECK(s.accepted == events);
    CHECK(s.delivered == events);
    CHECK(s.failed == 0);
    CHECK(s.dropped == 0);
    CHECK(s.evicted == 0);
    CHECK(s.returned == 0);
    CHECK(s.queued_events == 0);
    CHECK(s.queued_bytes == 0);
    CHECK(s.pending_bytes == 0);
    CHECK(s.in_flight == 0);
    CHECK(s.batches_delivered == s.batches_sent);
}

// Events in these requests, with or without a messageId.
inline std::size_t total_events(const std::vector<seglog::loopback::request> &reqs) {
    std::size_t n = 0;
    for (const auto &r : reqs) n += r.events;
    return n;
}

class pipeline {
public:
    seglog::loopback::collector col;
    seglog::config cfg; // what start() makes the client from
    ledger l;           // declared before the client: it outlives it

    // The client's config starts as make(col): fault_config (the default) or segment_config.
    explicit pipeline(seglog::config (*make)(const seglog::loopback::collector &) = fault_config) : cfg(make(col)) {}
    // A collector with these options (a stricter receiver: no gzip, a smaller body limit).
    explicit pipeline(seglog::loopback::collector_options o,
                      seglog::config (*make)(const seglog::loopback::collector &) = fault_config)
        : col(std::move(o)), cfg(make(col)) {}
    pipeline(const pipeline &) = delete;
    pipeline &operator=(const pipeline &) = delete;

    // Makes the client from `cfg` and lets the ledger watch it.
    seglog::client &start() {
        client_.emplace(cfg);
        l.watch(*client_);
        return *client_;
    }
    seglog::client &client() {
        REQUIRE(client_);
        return *client_;
    }

    // Enqueues fault_record(seq, pid, poison), booked in the ledger; true if accepted.
    bool push(int seq, long pid = 0, bool poison = false) { return l.push(client(), seq, pid, poison); }
    // Pushes fault_record(from) .. fault_record(from + n - 1); each must be accepted.
    void track_n(int n, int from = 0) {
        for (int i = from; i < from + n; ++i) REQUIRE(push(i));
    }
    // flush() delivers everything within k_bound.
    void flush() { REQUIRE(client().flush(k_bound)); }
    void close_within(std::chrono::milliseconds timeout) { l.close(client(), timeout); }
    seglog::stats stats() { return client().stats(); }
    bool wait_until(const std::function<bool()> &cond) { return col.wait_for(cond, k_bound); }
    void reconcile(reconcile_options o = {}) { seglog_test::reconcile(client(), l, col, o); }

private:
    std::optional<seglog::client> client_;
};

} // namespace seglog_test
