// seglog's promise under injected faults: every event accepted is delivered, or handed back by
// close(), or reported dropped with a reason; memory stays bounded whatever the collector does.
// Every test runs the real client against the loopback collector (tests/support/collector.h)
// and reconciles both sides exactly: the client's counters and callbacks, the collector's
// unique ids and duplicates, and the X-Retry-Count header of every request.
#include <doctest/doctest.h>

#include "collector.h"

#include "retry/retry_policy.h"
#include "event/serialize.h"

#include <seglog/seglog.h>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace st = seglog::loopback;
using seglog::reason;

namespace {

// Upper bound for every wait; reaching it means the test failed, not that it was slow.
constexpr auto k_bound = 30s;
// What close() may overrun its timeout by (sanitizer builds on a busy 2-core machine).
constexpr auto k_close_margin = 2s;
const std::string k_write_key = "fault-test-write-key-0123456789";

seglog::config fault_config(const st::collector &c) {
    seglog::config cfg;
    cfg.host = c.url();
    cfg.write_key = k_write_key;
    cfg.destinations = {seglog::destination::segment()};
    cfg.flush_at = 50;
    cfg.flush_interval = 20ms;
    cfg.max_in_flight = 2;
    cfg.connect_timeout = 1000ms;
    cfg.request_timeout = 5000ms;
    cfg.backoff_base = 10ms;
    cfg.backoff_cap = 200ms;
    cfg.retry_after_default = 200ms; // the semantics are tested, not Segment's 60 s
    cfg.retry_after_cap = 5000ms;
    cfg.max_attempts = 10;
    cfg.max_retry_time = 60s;
    cfg.close_timeout = 5000ms;
    return cfg;
}

// A track record serialised exactly as the client does it, with a body of fixed size (seq is
// zero-padded) so that byte budgets give exact counts.
std::string make_record(int seq, long pid = 0, bool poison = false) {
    char padded[16];
    std::snprintf(padded, sizeof padded, "%06d", seq);
    nlohmann::json props = {{"seq", padded}};
    if (pid) props["pid"] = pid;
    if (poison) props["poison"] = true;
    const seglog::properties p(props);
    const seglog::identity who = seglog::user("u-fault");
    seglog::detail::event_fields f{seglog::event_type::track, &who, "Fault Test", {}, {}, {}, &p, nullptr};
    std::string out;
    auto e = seglog::detail::serialize_event(f, out);
    REQUIRE_FALSE(e.has_value());
    return out;
}

std::string id_of(const std::string &record) { return std::string(seglog::detail::record_message_id(record)); }

int seq_of(const nlohmann::json &event) { return std::stoi(event.at("properties").at("seq").get<std::string>()); }

// The client side of the books: every id accepted, delivered, reported and returned.
struct ledger {
    mutable std::mutex m;
    std::vector<std::string> accepted;
    std::set<std::string> accepted_set;
    std::map<std::string, int> seq;              // id -> seq, for every record pushed
    std::vector<std::string> refused;            // enqueue returned false
    std::multiset<std::string> delivered;
    std::map<reason, std::multiset<std::string>> reported;
    std::vector<seglog::error> errors;
    std::vector<seglog::attempt_info> attempts;
    std::vector<std::string> returned;

    void watch(seglog::client &c) {
        c.on_delivered([this](const seglog::delivery_info &d) {
            std::lock_guard<std::mutex> lk(m);
            CHECK(d.events == d.message_ids.size());
            delivered.insert(d.message_ids.begin(), d.message_ids.end());
        });
        c.on_error([this](const seglog::error &e) {
            std::lock_guard<std::mutex> lk(m);
            reported[e.code].insert(e.message_ids.begin(), e.message_ids.end());
            errors.push_back(e);
        });
        c.on_attempt([this](const seglog::attempt_info &a) {
            std::lock_guard<std::mutex> lk(m);
            attempts.push_back(a);
        });
    }
    bool push(seglog::client &c, int s, long pid = 0, bool poison = false) {
        const std::string rec = make_record(s, pid, poison);
        const std::string id = id_of(rec);
        {
            std::lock_guard<std::mutex> lk(m);
            seq[id] = s;
        }
        const bool ok = c.enqueue(rec);
        std::lock_guard<std::mutex> lk(m);
        if (ok) {
            accepted.push_back(id);
            accepted_set.insert(id);
        } else {
            refused.push_back(id);
        }
        return ok;
    }
    void close(seglog::client &c, std::chrono::milliseconds timeout) {
        auto out = c.close(timeout);
        std::lock_guard<std::mutex> lk(m);
        for (auto &r : out) returned.push_back(id_of(r));
    }
    std::size_t attempt_count() const {
        std::lock_guard<std::mutex> lk(m);
        return attempts.size();
    }
    std::size_t failed_attempts() const {
        std::lock_guard<std::mutex> lk(m);
        return std::count_if(attempts.begin(), attempts.end(),
                             [](const auto &a) { return a.status < 200 || a.status >= 300; });
    }
    std::set<int> seqs(const std::vector<std::string> &ids) const {
        std::lock_guard<std::mutex> lk(m);
        std::set<int> out;
        for (auto &id : ids) out.insert(seq.at(id));
        return out;
    }
    std::set<int> seqs(const std::multiset<std::string> &ids) const {
        return seqs(std::vector<std::string>(ids.begin(), ids.end()));
    }
};

// How the collector's record of X-Retry-Count relates to the client's attempts.
enum class xrc { exact, at_least, at_most };

struct reconcile_options {
    bool timeouts = false;  // requests may time out: the server may hold ids the client does not count delivered
    // exact: the collector saw every attempt once. at_least: some attempts never reached it (it
    // was down). at_most: it saw some twice: libcurl resends a request by itself, with the same
    // headers, when a reused keep-alive connection dies before any answer (the reset fault).
    xrc retry_count = xrc::exact;
};

// The exact books, after close(): accepted == delivered + failed + evicted + returned; the ids
// delivered, reported and returned are disjoint and together the ids accepted; the collector
// holds what was delivered and nothing that was not accepted; duplicates only from timed-out
// requests; X-Retry-Count on every request equal to the sends of its batch before it.
void reconcile(seglog::client &c, const ledger &l, const st::collector &col, reconcile_options o = {}) {
    REQUIRE(c.closed());
    const auto s = c.stats();
    std::lock_guard<std::mutex> lk(l.m);
    INFO("accepted=" << s.accepted << " delivered=" << s.delivered << " failed=" << s.failed
                     << " evicted=" << s.evicted << " returned=" << s.returned << " dropped=" << s.dropped);
    CHECK(s.accepted == s.delivered + s.failed + s.evicted + s.returned);
    CHECK(s.accepted == l.accepted.size());
    CHECK(s.dropped == l.refused.size());
    CHECK(s.pending_bytes == 0);
    CHECK(s.queued_events == 0);
    CHECK(s.in_flight == 0);

    // Delivered: each id once.
    const std::set<std::string> delivered(l.delivered.begin(), l.delivered.end());
    CHECK(delivered.size() == l.delivered.size());
    CHECK(delivered.size() == s.delivered);

    auto ids_of = [&](reason r) {
        auto it = l.reported.find(r);
        return it == l.reported.end() ? std::multiset<std::string>{} : it->second;
    };
    std::multiset<std::string> failed;
    for (reason r : {reason::rejected, reason::unauthorized, reason::retries_exhausted}) {
        auto ids = ids_of(r);
        failed.insert(ids.begin(), ids.end());
        CHECK(s.by_reason[static_cast<int>(r)] == ids.size());
    }
    CHECK(failed.size() == s.failed);

    // queue_full covers both refusals (never accepted) and evictions (accepted, drop_oldest).
    std::multiset<std::string> evicted;
    const auto full = ids_of(reason::queue_full);
    for (auto &id : full)
        if (l.accepted_set.count(id)) evicted.insert(id);
    CHECK(evicted.size() == s.evicted);
    CHECK(s.by_reason[static_cast<int>(reason::queue_full)] == full.size());

    const std::multiset<std::string> returned(l.returned.begin(), l.returned.end());
    CHECK(returned.size() == s.returned);
    CHECK(ids_of(reason::undelivered_at_close) == returned);

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
        case xrc::exact: CHECK_MESSAGE(value == before, "X-Retry-Count '" << h << "' after " << before << " requests"); break;
        case xrc::at_least: CHECK(value >= before); break;
        case xrc::at_most: CHECK(value <= before); break;
        }
        for (auto &id : r.message_ids) ++sends[id];
    }
    // The client's view of the same: X-Retry-Count of each attempt is its batch's earlier sends.
    for (auto &a : l.attempts) CHECK(a.retry_count >= 0);
}

bool wait_until(st::collector &col, const std::function<bool()> &cond) { return col.wait_for(cond, k_bound); }

#if defined(__SANITIZE_THREAD__)
constexpr bool k_tsan = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool k_tsan = true;
#else
constexpr bool k_tsan = false;
#endif
#else
constexpr bool k_tsan = false;
#endif

// ThreadSanitizer does not support a child that starts threads after a multi-threaded fork:
// it kills it (die_after_fork), or with die_after_fork=0 aborts on "dup thread with used id"
// when the new thread gets the id of a parent thread it still has on its books.
bool child_may_start_threads() { return !k_tsan; }

// True once every other thread of this process has been asleep ('S' in /proc) in two scans in a
// row. GCC 12's ASan allocator is not fork-safe: a thread inside malloc at the fork (the
// collector's threads finishing a response, the worker finishing a turn) leaves a lock held
// forever in the child. Waiting for them to sleep closes that window; glibc's malloc needs none.
bool other_threads_asleep(std::chrono::milliseconds patience) {
    const std::string self = std::to_string(static_cast<long>(::gettid()));
    auto all_asleep = [&] {
        for (const auto &task : std::filesystem::directory_iterator("/proc/self/task")) {
            if (task.path().filename() == self) continue;
            std::ifstream stat(task.path() / "stat");
            std::string line;
            std::getline(stat, line);
            const auto close = line.rfind(')'); // the name may contain spaces and parentheses
            if (close == std::string::npos || close + 2 >= line.size()) continue; // the thread ended
            if (line[close + 2] != 'S') return false;
        }
        return true;
    };
    const auto deadline = std::chrono::steady_clock::now() + patience;
    int in_a_row = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        in_a_row = all_asleep() ? in_a_row + 1 : 0;
        if (in_a_row == 2) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1)); // polling a condition, not timing
    }
    return false;
}

// --- static destruction: run in a fresh process (the test execs itself with this variable)
// so that spdlog's registry is older than anything seglog creates, as in a real service
// whose logging is set up before its analytics.
const int static_destruction_child = [] {
    const char *url = std::getenv("SEGLOG_FAULTS_STATIC_CHILD");
    if (!url) return 0;
    auto logger = std::make_shared<spdlog::logger>("static-child", std::make_shared<spdlog::sinks::null_sink_mt>());
    spdlog::register_logger(logger); // spdlog's registry exists before seglog's statics
    seglog::config cfg;
    cfg.host = url;
    cfg.write_key = k_write_key;
    cfg.destinations = {seglog::destination::segment()};
    cfg.flush_at = 500;
    cfg.flush_interval = 60s; // nothing goes out before the destructors run
    cfg.close_timeout = 5000ms;
    seglog::attach(*logger, cfg);
    for (int i = 0; i < 30; ++i) SEGLOG_LOGGER_TRACK(logger, seglog::user("u-static"), "Static Exit", {{"seq", i}});
    static seglog::client direct(cfg); // a function-local static, destroyed at exit too
    for (int i = 0; i < 20; ++i) direct.track(seglog::user("u-static"), "Static Direct", {{"seq", i}});
    logger.reset();
    std::exit(0); // static destructors: the client above, then spdlog's registry -> sink -> client
}();

} // namespace

// ---------------------------------------------------------------------------------------------
TEST_SUITE("retry policy") {

TEST_CASE("classify: every listed status") {
    seglog::config cfg;
    cfg.backoff_base = 10ms;
    cfg.retry_after_default = 60s;
    cfg.retry_after_cap = 300s;
    using seglog::detail::classify;
    using seglog::detail::verdict;
    for (int s : {200, 201, 202, 204, 299}) CHECK(classify(s, std::nullopt, cfg).what == verdict::delivered);
    for (int s : {0, 408, 410, 460, 500, 502, 503, 504, 506, 507, 508, 509, 510, 520, 599}) {
        CAPTURE(s);
        CHECK(classify(s, std::nullopt, cfg).what == verdict::retry);
    }
    for (int s : {501, 505, 511}) {
        CAPTURE(s);
        const auto d = classify(s, std::nullopt, cfg);
        CHECK(d.what == verdict::drop);
        CHECK(d.drop_reason == reason::rejected);
    }
    for (int s : {400, 413}) CHECK(classify(s, std::nullopt, cfg).what == verdict::split);
    for (int s : {401, 403}) {
        const auto d = classify(s, std::nullopt, cfg);
        CHECK(d.what == verdict::drop);
        CHECK(d.drop_reason == reason::unauthorized);
    }
    for (int s : {100, 301, 302, 304, 402, 404, 405, 406, 409, 411, 412, 414, 415, 418, 422, 451, 499, 600}) {
        CAPTURE(s);
        const auto d = classify(s, std::nullopt, cfg);
        CHECK(d.what == verdict::drop);
        CHECK(d.drop_reason == reason::rejected);
    }
}

TEST_CASE("classify: 429 and Retry-After") {
    seglog::config cfg;
    cfg.backoff_base = 10ms;
    cfg.retry_after_default = 60s;
    cfg.retry_after_cap = 300s;
    using seglog::detail::classify;
    using seglog::detail::verdict;
    auto d = classify(429, std::nullopt, cfg);
    CHECK(d.what == verdict::rate_limited);
    CHECK(d.wait == 60s); // no header: retry_after_default
    d = classify(429, std::chrono::milliseconds(1000), cfg);
    CHECK(d.what == verdict::rate_limited);
    CHECK(d.wait == 1000ms);
    d = classify(429, std::chrono::milliseconds(3600 * 1000), cfg);
    CHECK(d.wait == 300s); // capped at retry_after_cap
    d = classify(429, std::chrono::milliseconds(0), cfg);
    CHECK(d.wait == 10ms); // "Retry-After: 0" cannot spin: at least backoff_base
    // A retryable status that says when to come back is a rate limit too (not an attempt).
    for (int s : {503, 500, 408, 460}) {
        d = classify(s, std::chrono::milliseconds(2000), cfg);
        CHECK(d.what == verdict::rate_limited);
        CHECK(d.wait == 2000ms);
    }
    // ... but a non-retryable one stays dropped whatever it says.
    CHECK(classify(501, std::chrono::milliseconds(2000), cfg).what == verdict::drop);
    CHECK(classify(404, std::chrono::milliseconds(2000), cfg).what == verdict::drop);
    cfg.retry_after_default = 200ms;
    CHECK(classify(429, std::nullopt, cfg).wait == 200ms);
}

TEST_CASE("backoff: min((1+rand)*base*2^n, cap), seeded") {
    seglog::config cfg;
    cfg.backoff_base = 500ms;
    cfg.backoff_cap = 60s;
    std::mt19937_64 rng(1234), same(1234);
    std::set<long long> distinct;
    for (int n = 0; n < 12; ++n) {
        for (int k = 0; k < 50; ++k) {
            const auto b = seglog::detail::backoff(n, cfg, rng);
            CHECK(b == seglog::detail::backoff(n, cfg, same)); // deterministic for a seed
            const long long lo = std::min<long long>(500LL << n, 60000);
            const long long hi = std::min<long long>(1000LL << n, 60000);
            CAPTURE(n);
            CHECK(b.count() >= lo);
            CHECK(b.count() <= hi);
            if (n == 3) distinct.insert(b.count());
        }
    }
    CHECK(distinct.size() > 10); // jittered, not a constant
    CHECK(seglog::detail::backoff(7, cfg, rng) == 60s);        // 500 ms * 128 >= cap
    CHECK(seglog::detail::backoff(1000, cfg, rng) == 60s);     // no overflow for large n
    CHECK(seglog::detail::backoff(INT32_MAX, cfg, rng) == 60s);
}

} // TEST_SUITE("retry policy")

// ---------------------------------------------------------------------------------------------
TEST_SUITE("faults") {

TEST_CASE("bursts of 500 and 503: everything delivered once, retries counted and numbered") {
    st::collector col;
    col.script({500, 500, 503, 200, 503, 500, 503, 200, 500, 200, 503, 503, 500});
    auto cfg = fault_config(col);
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    for (int i = 0; i < 400; ++i) REQUIRE(l.push(c, i));
    REQUIRE(c.flush(k_bound));
    CHECK(col.script_left() == 0);
    l.close(c, 5s);
    const auto s = c.stats();
    CHECK(s.delivered == 400);
    CHECK(s.failed == 0);
    CHECK(s.retried > 0);
    CHECK(s.batches_sent == col.request_count());
    CHECK(col.unique_count() == 400);
    CHECK(l.failed_attempts() == 10);
    reconcile(c, l, col);
}

TEST_CASE("retryable failures until max_attempts: retries_exhausted, each id reported") {
    st::collector col;
    col.set_default(500);
    auto cfg = fault_config(col);
    cfg.max_attempts = 3;
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    for (int i = 0; i < 120; ++i) REQUIRE(l.push(c, i));
    REQUIRE(c.flush(k_bound));
    l.close(c, 1s);
    const auto s = c.stats();
    CHECK(s.failed == 120);
    CHECK(s.by_reason[static_cast<int>(reason::retries_exhausted)] == 120);
    CHECK(s.delivered == 0);
    std::map<std::string, int> per_batch; // requests per batch (its first id)
    for (auto &r : col.requests()) ++per_batch[r.message_ids.front()];
    for (auto &[id, n] : per_batch) CHECK(n == 3); // three attempts each, no more
    reconcile(c, l, col);
}

TEST_CASE("two failures in a row hold every batch; one does not") {
    st::collector col;
    // The first answer waits so that every batch is sealed before any answer arrives.
    col.script({st::reply::delayed(1000ms, 500), 500});
    auto cfg = fault_config(col);
    cfg.max_in_flight = 1;
    cfg.flush_at = 10;
    cfg.flush_interval = 60s;
    cfg.backoff_base = 300ms; // long enough that the order below never depends on speed
    cfg.backoff_cap = 1000ms;
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    for (int i = 0; i < 40; ++i) REQUIRE(l.push(c, i));
    REQUIRE(wait_until(col, [&] { auto s = c.stats(); return s.queued_events == 0 && s.in_flight == 40; }));
    REQUIRE(col.request_count() == 0); // the first answer is still pending: batches B, C, D are ready
    REQUIRE(c.flush(k_bound));
    l.close(c, 1s);
    const auto reqs = col.requests();
    REQUIRE(reqs.size() >= 6);
    CHECK(reqs[0].status == 500);
    CHECK_FALSE(reqs[0].has_header("X-Retry-Count"));
    // After one failure the next batch goes out at once (its first attempt) ...
    CHECK(reqs[1].status == 500);
    CHECK_FALSE(reqs[1].has_header("X-Retry-Count"));
    CHECK(reqs[1].message_ids.front() != reqs[0].message_ids.front());
    // ... after two, the pipeline holds: the next request is a retry, not batch C.
    CHECK(reqs[2].header("X-Retry-Count") == "1");
    CHECK(c.stats().delivered == 40);
    reconcile(c, l, col);
}

// Batch A's first answer is `limited`, given only once batches B and C are sealed: then the
// order of requests shows whether the whole pipeline paused (A again, then B, C) or not (B first).
void rate_limited_run(st::reply limited) {
    st::collector col;
    limited.delay = 1000ms;
    col.script({limited});
    auto cfg = fault_config(col);
    cfg.max_in_flight = 1;
    cfg.flush_at = 10;
    cfg.flush_interval = 60s;
    cfg.max_attempts = 1; // a counted failure would drop the batch: a rate limit must not count
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    for (int i = 0; i < 30; ++i) REQUIRE(l.push(c, i));
    REQUIRE(wait_until(col, [&] { auto s = c.stats(); return s.queued_events == 0 && s.in_flight == 30; }));
    REQUIRE(col.request_count() == 0); // A's answer is still pending
    REQUIRE(c.flush(k_bound));
    l.close(c, 5s);
    const auto s = c.stats();
    CHECK(s.delivered == 30);
    CHECK(s.failed == 0);
    const auto reqs = col.requests();
    REQUIRE(reqs.size() == 4);
    CHECK(reqs[0].status == limited.status);
    CHECK(reqs[1].message_ids == reqs[0].message_ids); // A again, before anything else
    CHECK(reqs[1].header("X-Retry-Count") == "1");
    CHECK_FALSE(reqs[2].has_header("X-Retry-Count"));
    CHECK_FALSE(reqs[3].has_header("X-Retry-Count"));
    reconcile(c, l, col);
}

TEST_CASE("429 with Retry-After: 1 pauses the whole pipeline and is not an attempt") {
    rate_limited_run(st::reply::retry_later(429, "1"));
}

TEST_CASE("429 without Retry-After waits retry_after_default, pipeline-wide, not an attempt") {
    rate_limited_run(st::reply(429));
}

TEST_CASE("503 with Retry-After is treated as a rate limit") {
    rate_limited_run(st::reply::retry_later(503, "1"));
}

TEST_CASE("rate limited beyond max_retry_time: retries_exhausted") {
    st::collector col;
    col.set_default(st::reply::retry_later(429, "1"));
    auto cfg = fault_config(col);
    cfg.max_retry_time = 100ms;
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    for (int i = 0; i < 60; ++i) REQUIRE(l.push(c, i));
    REQUIRE(c.flush(k_bound));
    l.close(c, 1s);
    CHECK(c.stats().by_reason[static_cast<int>(reason::retries_exhausted)] == 60);
    reconcile(c, l, col);
}

TEST_CASE("connection resets mid-request: retried, delivered once") {
    st::collector col;
    col.fail_ratio(0.3, st::reply::reset(), 7);
    auto cfg = fault_config(col);
    cfg.flush_at = 20;
    cfg.max_attempts = 30;
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    for (int i = 0; i < 500; ++i) REQUIRE(l.push(c, i));
    REQUIRE(c.flush(k_bound));
    l.close(c, 5s);
    CHECK(c.stats().delivered == 500);
    CHECK(col.stats().resets > 0);
    CHECK(c.stats().retried > 0);
    CHECK(col.unique_count() == 500);
    reconcile(c, l, col, {false, xrc::at_most});
}

TEST_CASE("answers slower than request_timeout: duplicates only from the timed-out requests") {
    st::collector col;
    col.script({st::reply::delayed(3000ms), 200, st::reply::delayed(3000ms)});
    auto cfg = fault_config(col);
    cfg.request_timeout = 300ms;
    cfg.backoff_base = 200ms; // the collector records a timed-out request before its retry arrives
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    for (int i = 0; i < 200; ++i) REQUIRE(l.push(c, i));
    REQUIRE(c.flush(k_bound));
    l.close(c, 5s);
    CHECK(c.stats().delivered == 200);
    CHECK(col.unique_count() == 200);
    std::size_t timed_out_events = 0;
    for (auto &r : col.requests())
        if (r.client_gone) timed_out_events += r.events;
    CHECK(timed_out_events > 0);
    CHECK(col.duplicate_count() == timed_out_events); // each resent once, nothing else twice
    std::size_t timeouts = 0;
    {
        std::lock_guard<std::mutex> lk(l.m);
        for (auto &a : l.attempts) timeouts += a.status == 0;
    }
    CHECK(timeouts == 2);
    reconcile(c, l, col, {true, xrc::exact});
}

TEST_CASE("server down at start, up later") {
    st::collector col;
    col.stop();
    auto cfg = fault_config(col);
    cfg.max_attempts = 1000;
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    for (int i = 0; i < 150; ++i) REQUIRE(l.push(c, i));
    c.flush_async();
    REQUIRE(wait_until(col, [&] { return l.failed_attempts() >= 3; }));
    CHECK(c.stats().delivered == 0);
    col.start();
    REQUIRE(c.flush(k_bound));
    l.close(c, 5s);
    CHECK(c.stats().delivered == 150);
    CHECK(col.unique_count() == 150);
    reconcile(c, l, col, {false, xrc::at_least});
}

TEST_CASE("server down in the middle of a run") {
    st::collector col;
    auto cfg = fault_config(col);
    cfg.max_attempts = 1000;
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    for (int i = 0; i < 100; ++i) REQUIRE(l.push(c, i));
    REQUIRE(c.flush(k_bound));
    col.stop();
    for (int i = 100; i < 250; ++i) REQUIRE(l.push(c, i));
    c.flush_async();
    REQUIRE(wait_until(col, [&] { return l.failed_attempts() >= 3; }));
    const auto during = c.flush(200ms); // an outage: flush says how many are pending
    CHECK_FALSE(during.complete);
    CHECK(during.pending == 150);
    col.start();
    REQUIRE(c.flush(k_bound));
    l.close(c, 5s);
    CHECK(c.stats().delivered == 250);
    CHECK(col.unique_count() == 250);
    reconcile(c, l, col, {false, xrc::at_least});
}

TEST_CASE("400 for a batch with one poisoned event: split until it is alone") {
    st::collector col;
    col.poison_property("poison");
    auto cfg = fault_config(col);
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    std::string poisoned;
    for (int i = 0; i < 120; ++i) REQUIRE(l.push(c, i, 0, i == 37));
    REQUIRE(c.flush(k_bound));
    l.close(c, 5s);
    const auto s = c.stats();
    CHECK(s.delivered == 119);
    CHECK(s.failed == 1);
    CHECK(s.by_reason[static_cast<int>(reason::rejected)] == 1);
    CHECK(l.seqs(l.reported[reason::rejected]) == std::set<int>{37});
    for (auto &e : l.errors)
        if (e.code == reason::rejected) {
            CHECK(e.http_status == 400);
            CHECK(e.message_ids.size() == 1);
        }
    // log2(50) halvings at most, each 400 on the half holding the poison.
    std::size_t rejections = 0;
    for (auto &r : col.requests()) rejections += r.status == 400;
    CHECK(rejections <= 7);
    CHECK(col.unique_count() == 119);
    reconcile(c, l, col);
}

TEST_CASE("401: one clear error per batch, never retried, never the key") {
    st::collector col;
    col.set_default(401);
    auto cfg = fault_config(col);
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    for (int i = 0; i < 100; ++i) REQUIRE(l.push(c, i));
    REQUIRE(c.flush(k_bound));
    l.close(c, 1s);
    const auto s = c.stats();
    CHECK(s.failed == 100);
    CHECK(s.by_reason[static_cast<int>(reason::unauthorized)] == 100);
    CHECK(s.retried == 0);
    CHECK(s.batches_sent == col.request_count());
    for (auto &r : col.requests()) CHECK_FALSE(r.has_header("X-Retry-Count"));
    std::size_t unauthorized = 0;
    for (auto &e : l.errors) {
        CHECK(e.message.find(k_write_key) == std::string::npos);
        CHECK(e.message.find(k_write_key.substr(0, 12)) == std::string::npos);
        if (e.code != reason::unauthorized) continue;
        ++unauthorized;
        CHECK(e.http_status == 401);
        CHECK(e.message.find("write key") != std::string::npos);
    }
    CHECK(unauthorized == col.request_count()); // one per batch, each naming the problem
    reconcile(c, l, col);
}

TEST_CASE("non-retryable answers: 404 and 501 dropped as rejected, never retried") {
    for (int status : {404, 501, 403}) {
        CAPTURE(status);
        st::collector col;
        col.set_default(status);
        auto cfg = fault_config(col);
        seglog::client c(cfg);
        ledger l;
        l.watch(c);
        for (int i = 0; i < 80; ++i) REQUIRE(l.push(c, i));
        REQUIRE(c.flush(k_bound));
        l.close(c, 1s);
        const auto s = c.stats();
        const reason why = status == 403 ? reason::unauthorized : reason::rejected;
        CHECK(s.failed == 80);
        CHECK(s.by_reason[static_cast<int>(why)] == 80);
        CHECK(s.retried == 0);
        CHECK(s.batches_sent == col.request_count());
        for (auto &r : col.requests()) CHECK_FALSE(r.has_header("X-Retry-Count"));
        reconcile(c, l, col);
    }
}

} // TEST_SUITE("faults")

// ---------------------------------------------------------------------------------------------
TEST_SUITE("bounded memory") {

TEST_CASE("server down, 20x the capacity pushed: the byte budget holds, every refusal counted") {
    st::collector col;
    col.stop();
    auto cfg = fault_config(col);
    cfg.max_attempts = 1000;
    cfg.max_event_bytes = 1024;
    const std::size_t rec = make_record(0).size();
    REQUIRE(make_record(999999).size() == rec);
    const std::size_t capacity = 40;
    cfg.max_queue_bytes = capacity * rec + rec / 2;
    cfg.max_queue_events = 100000;
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    std::uint64_t peak = 0;
    for (std::size_t i = 0; i < 20 * capacity; ++i) {
        l.push(c, static_cast<int>(i));
        const auto s = c.stats();
        peak = std::max(peak, s.pending_bytes);
        REQUIRE(s.pending_bytes <= cfg.max_queue_bytes);
    }
    const auto s = c.stats();
    CHECK(peak == capacity * rec);
    CHECK(s.accepted == capacity);
    CHECK(s.dropped == 19 * capacity);
    CHECK(s.by_reason[static_cast<int>(reason::queue_full)] == 19 * capacity);
    CHECK(l.reported[reason::queue_full].size() == 19 * capacity);
    CHECK(l.seqs(l.accepted) == [&] { std::set<int> f; for (int i = 0; i < int(capacity); ++i) f.insert(i); return f; }());
    l.close(c, 300ms);
    CHECK(l.returned.size() == capacity);
    reconcile(c, l, col, {false, xrc::at_least});
}

TEST_CASE("server down: the event budget holds (drop_newest)") {
    st::collector col;
    col.stop();
    auto cfg = fault_config(col);
    cfg.max_attempts = 1000;
    cfg.max_queue_events = 30;
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    for (int i = 0; i < 600; ++i) {
        l.push(c, i);
        REQUIRE(c.stats().queued_events + c.stats().in_flight <= 30);
    }
    CHECK(c.stats().accepted == 30);
    CHECK(c.stats().by_reason[static_cast<int>(reason::queue_full)] == 570);
    l.close(c, 300ms);
    CHECK(l.returned.size() == 30);
    reconcile(c, l, col, {false, xrc::at_least});
}

TEST_CASE("drop_oldest: while the pipeline is held, the oldest queued events make room") {
    st::collector col;
    col.set_default(st::reply::retry_later(429, "5"));
    auto cfg = fault_config(col);
    cfg.overflow = seglog::overflow_policy::drop_oldest;
    cfg.max_queue_events = 100;
    cfg.flush_at = 10;
    cfg.max_in_flight = 1;
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    for (int i = 0; i < 10; ++i) REQUIRE(l.push(c, i));
    c.flush_async();
    REQUIRE(wait_until(col, [&] { return l.attempt_count() >= 1; })); // 429: paused for 5 s
    for (int i = 10; i < 300; ++i) {
        REQUIRE(l.push(c, i)); // drop_oldest accepts the newest
        REQUIRE(c.stats().queued_events + c.stats().in_flight <= 100);
    }
    const auto s = c.stats();
    CHECK(s.accepted == 300);
    CHECK(s.evicted == 200);
    CHECK(s.dropped == 0);
    std::set<int> evicted, kept;
    for (int i = 10; i < 210; ++i) evicted.insert(i);
    for (int i = 0; i < 10; ++i) kept.insert(i);
    for (int i = 210; i < 300; ++i) kept.insert(i);
    CHECK(l.seqs(l.reported[reason::queue_full]) == evicted);
    l.close(c, 500ms); // one more attempt each: 429 again, so everything comes back
    CHECK(l.seqs(l.returned) == kept);
    reconcile(c, l, col);
}

TEST_CASE("block: times out when nothing frees, unblocks when space frees") {
    st::collector col;
    col.stop();
    auto cfg = fault_config(col);
    cfg.max_attempts = 1000;
    cfg.max_queue_events = 20;
    cfg.overflow = seglog::overflow_policy::block;

    SUBCASE("block_timeout expires: queue_full") {
        cfg.block_timeout = 100ms;
        seglog::client c(cfg);
        ledger l;
        l.watch(c);
        for (int i = 0; i < 20; ++i) REQUIRE(l.push(c, i));
        CHECK_FALSE(l.push(c, 20));
        CHECK(c.stats().by_reason[static_cast<int>(reason::queue_full)] == 1);
        l.close(c, 300ms);
        CHECK(l.returned.size() == 20);
        reconcile(c, l, col, {false, xrc::at_least});
    }
    SUBCASE("space frees: the blocked producer gets in") {
        cfg.block_timeout = 20s;
        seglog::client c(cfg);
        ledger l;
        l.watch(c);
        for (int i = 0; i < 20; ++i) REQUIRE(l.push(c, i));
        std::atomic<int> result{-1};
        std::thread producer([&] { result = l.push(c, 20) ? 1 : 0; });
        // Still blocked: nothing can settle while the collector is down.
        CHECK_FALSE(col.wait_for([&] { return result.load() != -1; }, 300ms));
        col.start();
        REQUIRE(wait_until(col, [&] { return result.load() != -1; }));
        producer.join();
        CHECK(result.load() == 1);
        REQUIRE(c.flush(k_bound));
        l.close(c, 5s);
        CHECK(c.stats().delivered == 21);
        reconcile(c, l, col, {false, xrc::at_least});
    }
}

} // TEST_SUITE("bounded memory")

// ---------------------------------------------------------------------------------------------
TEST_SUITE("close") {

TEST_CASE("close with the API down: returns within its timeout, with everything; twice") {
    st::collector col;
    col.stop();
    auto cfg = fault_config(col);
    cfg.max_attempts = 1000;
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    for (int i = 0; i < 300; ++i) REQUIRE(l.push(c, i));
    const auto t0 = std::chrono::steady_clock::now();
    l.close(c, 500ms);
    CHECK(std::chrono::steady_clock::now() - t0 < 500ms + k_close_margin);
    CHECK(l.returned.size() == 300);
    CHECK(l.seqs(l.returned).size() == 300);
    const auto before = c.stats();
    CHECK(c.close(1s).empty()); // twice: nothing more
    CHECK_FALSE(l.push(c, 300)); // closed: refused and counted
    CHECK(c.stats().by_reason[static_cast<int>(reason::closed)] == 1);
    CHECK(c.stats().returned == before.returned);
    reconcile(c, l, col, {false, xrc::at_least});
}

TEST_CASE("close cuts backoff short: one more attempt each, then everything left comes back") {
    st::collector col;
    col.set_default(503);
    auto cfg = fault_config(col);
    cfg.max_attempts = 1000;
    cfg.max_in_flight = 1;
    cfg.backoff_base = 2000ms; // backoffs far longer than the close timeout
    cfg.backoff_cap = 4000ms;
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    for (int i = 0; i < 100; ++i) REQUIRE(l.push(c, i));
    c.flush_async();
    REQUIRE(wait_until(col, [&] { return l.failed_attempts() >= 2; })); // held for 2-4 s now
    col.set_default(200); // the API is back, but the client is in a long backoff
    const auto t0 = std::chrono::steady_clock::now();
    l.close(c, 1500ms);
    CHECK(std::chrono::steady_clock::now() - t0 < 1500ms + k_close_margin);
    CHECK(l.returned.empty());
    CHECK(c.stats().delivered == 100);
    reconcile(c, l, col);
}

TEST_CASE("close with requests hanging: in-flight requests aborted and returned") {
    st::collector col;
    col.set_default(st::reply::delayed(20000ms));
    auto cfg = fault_config(col);
    cfg.request_timeout = 30000ms;
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    for (int i = 0; i < 100; ++i) REQUIRE(l.push(c, i));
    c.flush_async();
    REQUIRE(wait_until(col, [&] { return col.stats().in_flight >= 1; }));
    const auto t0 = std::chrono::steady_clock::now();
    l.close(c, 300ms);
    CHECK(std::chrono::steady_clock::now() - t0 < 300ms + k_close_margin);
    CHECK(l.returned.size() == 100);
    // The collector notices the hang-up; what it took then is in requests the client gave up on.
    REQUIRE(wait_until(col, [&] { return col.stats().in_flight == 0; }));
    reconcile(c, l, col, {true, xrc::exact});
}

TEST_CASE("close after spdlog::shutdown(), and a client owned only by spdlog") {
    st::collector col;
    auto cfg = fault_config(col);
    cfg.flush_at = 500;
    cfg.flush_interval = 60s; // nothing leaves before shutdown/close

    SUBCASE("client still held: close() after shutdown delivers and returns nothing") {
        auto logger = std::make_shared<spdlog::logger>("faults-shutdown-held",
                                                       std::make_shared<spdlog::sinks::null_sink_mt>());
        spdlog::register_logger(logger);
        auto client = seglog::segment_client(*seglog::attach(*logger, cfg));
        REQUIRE(client);
        for (int i = 0; i < 20; ++i) SEGLOG_LOGGER_TRACK(logger, seglog::user("u-1"), "Shutdown Held", {{"seq", i}});
        logger.reset();
        spdlog::shutdown();
        CHECK(client->close(5s).empty());
        CHECK(client->close(5s).empty());
        CHECK(col.unique_count() == 20);
        const auto s = client->stats();
        CHECK(s.accepted == 20);
        CHECK(s.delivered == 20);
    }
    SUBCASE("client owned by the sink only: spdlog::shutdown() closes it") {
        auto logger = std::make_shared<spdlog::logger>("faults-shutdown-owned",
                                                       std::make_shared<spdlog::sinks::null_sink_mt>());
        spdlog::register_logger(logger);
        seglog::attach(*logger, cfg);
        for (int i = 0; i < 20; ++i) SEGLOG_LOGGER_TRACK(logger, seglog::user("u-1"), "Shutdown Owned", {{"seq", i}});
        logger.reset();
        spdlog::shutdown(); // destroys the sink, the client closes with close_timeout
        CHECK(col.unique_count() == 20);
        CHECK(col.duplicate_count() == 0);
    }
}

TEST_CASE("static destruction order: clients destroyed at exit deliver what they hold") {
    st::collector col;
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::setenv("SEGLOG_FAULTS_STATIC_CHILD", col.url().c_str(), 1);
        ::execl("/proc/self/exe", "/proc/self/exe", static_cast<char *>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(col.unique_count() == 50);
    CHECK(col.duplicate_count() == 0);
}

} // TEST_SUITE("close")

// ---------------------------------------------------------------------------------------------
TEST_SUITE("fork") {

TEST_CASE("fork: the child gets a pipeline of its own; the parent's queue stays the parent's") {
    if (!child_may_start_threads()) {
        MESSAGE("skipped under ThreadSanitizer: it cannot follow threads started after fork()");
        return;
    }
    st::collector col;
    auto cfg = fault_config(col);
    cfg.flush_at = 500;
    cfg.flush_interval = 60s; // the parent's events stay pending across the fork
    seglog::client c(cfg);
    const long parent = static_cast<long>(::getpid());
    // The worker's first turns done before the fork, so that it is asleep (flush_interval away)
    // when other_threads_asleep() looks. One event delivered, then forgotten by the collector.
    REQUIRE(c.enqueue(make_record(999, parent)));
    REQUIRE(c.flush(k_bound));
    col.clear_records();
    ledger l;
    l.watch(c);
    for (int i = 0; i < 40; ++i) REQUIRE(l.push(c, i, parent));
    // Pending in the parent at the fork: in its queue (the worker is not woken for a batch that
    // is not full).
    REQUIRE(c.stats().delivered == 1);
    REQUIRE(other_threads_asleep(k_bound));

    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // No doctest here: the exit status carries the child's verdict, one bit per check.
        int code = 0;
        const long me = static_cast<long>(::getpid());
        if (c.stats().accepted != 0) code |= 1; // nothing of the parent's is counted here
        for (int i = 0; i < 25; ++i)
            if (!c.enqueue(make_record(1000 + i, me))) code |= 2;
        if (!c.flush(std::chrono::milliseconds(20000))) code |= 4;
        const auto s = c.stats();
        if (s.accepted != 25 || s.delivered != 25 || s.failed != 0) code |= 8;
        if (!c.close(std::chrono::milliseconds(5000)).empty()) code |= 16;
        ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);

    // The child's events arrived, once, and nothing of the parent's came with them.
    CHECK(col.unique_count() == 25);
    for (auto &e : col.accepted_events()) CHECK(e.at("properties").at("pid").get<long>() == static_cast<long>(child));

    // The parent carries on: its events go out now, once, from its own connections.
    REQUIRE(c.flush(k_bound));
    l.close(c, 5s);
    CHECK(c.stats().delivered == 41); // with the one before the fork
    CHECK(col.unique_count() == 65);
    CHECK(col.duplicate_count() == 0);
    std::set<std::uint64_t> child_conns, parent_conns;
    for (auto &r : col.requests()) {
        REQUIRE(r.json_valid);
        for (auto &e : r.json.at("batch")) {
            const long pid = e.at("properties").at("pid").get<long>();
            (pid == parent ? parent_conns : child_conns).insert(r.connection);
            CHECK((pid == parent || pid == static_cast<long>(child)));
        }
    }
    for (auto conn : child_conns) CHECK(parent_conns.count(conn) == 0);
    std::set<int> parent_seqs;
    for (auto &e : col.accepted_events())
        if (e.at("properties").at("pid").get<long>() == parent) parent_seqs.insert(seq_of(e));
    CHECK(parent_seqs.size() == 40);
}

TEST_CASE("fork: a child that never tracks anything starts no thread and closes cleanly") {
    st::collector col;
    auto cfg = fault_config(col);
    seglog::client c(cfg);
    ledger l;
    l.watch(c);
    for (int i = 0; i < 30; ++i) REQUIRE(l.push(c, i));
    REQUIRE(other_threads_asleep(k_bound));
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int code = 0;
        if (!c.close(std::chrono::milliseconds(1000)).empty()) code |= 1;
        if (c.stats().accepted != 0) code |= 2;
        ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    REQUIRE(c.flush(k_bound));
    l.close(c, 5s);
    CHECK(col.unique_count() == 30);
    reconcile(c, l, col);
}

} // TEST_SUITE("fork")
