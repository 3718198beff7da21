// Where seglog::client cuts batches: flush_at, max_batch_events, max_batch_bytes (in UTF-8
// bytes), flush_interval dated from the first event; and the worker thread's name, nice value
// and scheduling policy.
// Every test waits on a condition; a timeout is a failure, never a measurement.

#include "pipeline.h"

#include <doctest/doctest.h>

#include <seglog/seglog.h>

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>

using seglog::loopback::collector;
using seglog::loopback::reply;
using json = nlohmann::json;
using namespace std::chrono_literals;
using namespace seglog_test;

namespace {

// Code points, to show that a limit is about bytes.
std::size_t utf8_chars(const std::string &s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

struct thread_info {
    std::string name;
    int nice = 0;
    int policy = -1; // SCHED_OTHER, SCHED_BATCH, ...
};

// Name, nice value and scheduling policy of every thread of this process, from
// /proc/self/task/<tid>/stat (fields 19 and 41).
std::map<long, thread_info> threads_now() {
    std::map<long, thread_info> out;
    for (const auto &entry : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream in(entry.path() / "stat");
        std::string line;
        if (!std::getline(in, line)) continue;                     // the thread ended meanwhile
        const auto open = line.find('('), close = line.rfind(')'); // the name may hold anything
        if (open == std::string::npos || close == std::string::npos) continue;
        thread_info t;
        t.name = line.substr(open + 1, close - open - 1);
        std::istringstream fields(line.substr(close + 2));
        std::string f;
        for (int i = 3; i <= 41 && fields >> f; ++i) {
            if (i == 19) t.nice = std::stoi(f);
            if (i == 41) t.policy = std::stoi(f);
        }
        out[std::stol(entry.path().filename().string())] = t;
    }
    return out;
}

// The client's worker thread, the one thread not there before it started (no name while it has
// not named itself yet); the callers' threads must keep their nice value and policy.
thread_info worker_now(const std::map<long, thread_info> &before) {
    thread_info worker;
    int workers = 0;
    for (const auto &[tid, t] : threads_now()) {
        auto it = before.find(tid);
        if (it != before.end()) {
            CHECK(t.nice == it->second.nice); // no thread of the caller's changed
            CHECK(t.policy == it->second.policy);
        } else if (t.name == "seglog-worker") {
            ++workers;
            worker = t;
        }
    }
    CHECK(workers <= 1);
    return worker;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Batch boundaries
// ---------------------------------------------------------------------------------------------

TEST_CASE("a batch is cut at flush_at events, without flush()") {
    pipeline p(segment_config);
    p.cfg.flush_at = 10;
    seglog::client &cl = p.start();

    for (int i = 0; i < 95; ++i) REQUIRE(cl.track(seglog::user("u-count"), "Counted", {{"i", i}}));
    // flush_interval is a minute away: the nine full batches can only have left by count.
    REQUIRE(p.col.wait_for_requests(9, k_bound));
    REQUIRE(cl.flush(k_bound).complete);

    auto reqs = p.col.requests();
    REQUIRE(reqs.size() == 10);
    std::multiset<std::size_t> sizes;
    for (const auto &r : reqs) sizes.insert(r.events);
    CHECK(sizes.count(10) == 9);
    CHECK(sizes.count(5) == 1);
    CHECK(p.col.unique_count() == 95);
    CHECK(p.col.duplicate_count() == 0);
    check_settled_cleanly(cl.stats(), 95);
    CHECK(cl.stats().batches_sent == 10);
}

TEST_CASE("a batch built in a larger earlier batch's buffer carries its own events and nothing after them") {
    pipeline p(segment_config);
    p.cfg.flush_at = 100;
    seglog::client &cl = p.start();
    const std::string pad(2000, 'x');

    for (int i = 0; i < 20; ++i) REQUIRE(cl.track(seglog::user("u-big"), "Big", {{"pad", pad}, {"i", i}}));
    REQUIRE(cl.flush(k_bound).complete);
    REQUIRE(cl.track(seglog::user("u-small"), "Small", {{"i", 1}}));
    REQUIRE(cl.flush(k_bound).complete);

    auto reqs = p.col.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].events == 20);
    const auto &second = reqs[1];
    REQUIRE(second.json_valid); // bytes of the first body left after the second would break it
    CHECK(second.events == 1);
    CHECK(second.wire_bytes == second.body.size());
    CHECK(second.body.find("xxx") == std::string::npos);
    CHECK(second.json["batch"][0]["event"] == "Small");
    check_settled_cleanly(cl.stats(), 21);
}

TEST_CASE("max_batch_events bounds a batch; flush_at above it is a configuration error") {
    collector c;
    auto cfg = segment_config(c);
    SUBCASE("refused at construction") {
        cfg.max_batch_events = 7;
        cfg.flush_at = 8;
        CHECK_THROWS_AS(seglog::client{cfg}, seglog::config_error);
    }
    SUBCASE("batches never exceed it") {
        cfg.max_batch_events = 7;
        cfg.flush_at = 7;
        seglog::client cl(cfg);
        for (int i = 0; i < 50; ++i) REQUIRE(cl.track(seglog::user("u-max"), "Bounded", {{"i", i}}));
        REQUIRE(cl.flush(k_bound).complete);
        auto reqs = c.requests();
        REQUIRE(reqs.size() == 8);
        for (const auto &r : reqs) CHECK(r.events <= 7);
        CHECK(total_events(reqs) == 50);
        CHECK(c.unique_count() == 50);
    }
}

TEST_CASE("a batch is cut at max_batch_bytes, counted in UTF-8 bytes, and not earlier than needed") {
    pipeline p(segment_config);
    p.cfg.max_batch_bytes = 4096;
    p.cfg.max_event_bytes = 2048;
    p.cfg.flush_at = 1000;
    seglog::client &cl = p.start();

    // 3 code points, 10 bytes: counting characters would pack about twice as many events.
    std::string text;
    for (int i = 0; i < 60; ++i) text += "\xE6\x9D\xB1\xE4\xBA\xAC\xF0\x9F\x98\x80"; // 東京😀
    constexpr int events = 60;
    for (int i = 0; i < events; ++i) {
        char n[8];
        std::snprintf(n, sizeof n, "%04d", i); // every event the same size
        REQUIRE(cl.track(seglog::user("u-bytes"), "Multibyte", {{"n", n}, {"text", text}}));
    }
    REQUIRE(cl.flush(k_bound).complete);

    auto reqs = p.col.requests();
    REQUIRE(reqs.size() > 1);
    CHECK(total_events(reqs) == events);
    CHECK(p.col.unique_count() == events);

    // Every event serialises to the same number of bytes E, so a body of k events is
    // 48 (envelope) + k*E + (k-1) (commas).
    std::size_t event_bytes = 0;
    for (const auto &r : reqs) {
        CHECK(r.wire_bytes <= p.cfg.max_batch_bytes);
        CHECK(r.status == 200);
        CHECK(r.body.find("\xE6\x9D\xB1\xE4\xBA\xAC") != std::string::npos); // sent as UTF-8, not \u escapes
        REQUIRE(r.events > 0);
        const std::size_t e = (r.body.size() - 48 - (r.events - 1)) / r.events;
        CHECK((r.body.size() - 48 - (r.events - 1)) % r.events == 0);
        if (event_bytes == 0) event_bytes = e;
        CHECK(e == event_bytes);
    }
    REQUIRE(event_bytes > 0);
    // Bytes, not characters, are what the limit is about.
    CHECK(utf8_chars(reqs[0].body) * 3 / 2 < reqs[0].body.size());

    // Not cut earlier than needed: one more event would not have fitted in any batch but the last.
    std::sort(reqs.begin(), reqs.end(), [](const auto &a, const auto &b) {
        return a.json["batch"][0]["properties"]["n"].template get<std::string>() <
               b.json["batch"][0]["properties"]["n"].template get<std::string>();
    });
    for (std::size_t i = 0; i + 1 < reqs.size(); ++i) {
        CAPTURE(i);
        CHECK(reqs[i].body.size() + 1 + event_bytes > p.cfg.max_batch_bytes);
    }
}

TEST_CASE("max_batch_bytes holds for a batch of one: an event that cannot fit in any batch is refused") {
    pipeline p(segment_config);
    p.cfg.max_batch_bytes = 2048;
    p.cfg.max_event_bytes = 2048; // allowed by validate(): equal limits
    seglog::client &cl = p.start();

    // 2048 - 48 bytes is the largest record a 2048-byte body can carry.
    auto sized = [](int n, std::size_t want) {
        std::string r = make_record(n, std::string(1000, 'p'));
        return make_record(n, std::string(1000 + want - r.size(), 'p'));
    };
    const std::string fits = sized(1, 2048 - 48);
    const std::string too_big = sized(2, 2048 - 47);
    REQUIRE(fits.size() == 2000);
    REQUIRE(too_big.size() == 2001);
    CHECK(cl.enqueue(fits));
    CHECK_FALSE(cl.enqueue(too_big));
    REQUIRE(cl.flush(k_bound).complete);

    for (const auto &r : p.col.requests()) CHECK(r.wire_bytes <= p.cfg.max_batch_bytes);
    CHECK(p.col.accepted(id_of(fits)));
    CHECK_FALSE(p.col.accepted(id_of(too_big)));
    auto refused = p.l.errors_with(seglog::reason::event_too_large);
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].message_ids == std::vector<std::string>{id_of(too_big)});
    CHECK(cl.stats().by_reason[static_cast<int>(seglog::reason::event_too_large)] == 1);
}

TEST_CASE("a batch below flush_at leaves after flush_interval, without flush()") {
    pipeline p(segment_config);
    p.cfg.flush_at = 100;
    p.cfg.flush_interval = 100ms;
    seglog::client &cl = p.start();

    for (int i = 0; i < 3; ++i) REQUIRE(cl.track(seglog::user("u-interval"), "Waited", {{"i", i}}));
    REQUIRE(p.col.wait_for_unique(3, k_bound));
    auto reqs = p.col.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].events == 3);

    // And again after an idle period: the timer is per batch, not a one-off.
    REQUIRE(cl.track(seglog::user("u-interval"), "Waited", {{"i", 3}}));
    REQUIRE(p.col.wait_for_unique(4, k_bound));
    CHECK(p.col.request_count() == 2);
    CHECK(p.col.wait_for([&] { return cl.stats().delivered == 4; }, k_bound));
}

TEST_CASE("a batch is dated from its first event, not from when the worker saw it") {
    // Producers do not wake the worker for a batch that is not full (a syscall on the caller's
    // path); the worker, asleep for at most flush_interval, dates the batch from the event's
    // arrival. An event that arrives while the worker sleeps still leaves flush_interval after
    // it, not up to twice that.
    pipeline p(segment_config);
    p.cfg.flush_at = 100;
    p.cfg.flush_interval = 1s;
    seglog::client &cl = p.start();
    // flush() delivers a first event; the worker then goes back to sleep for flush_interval,
    // and the next event arrives at the start of that sleep.
    REQUIRE(cl.track(seglog::user("u-dated"), "Before"));
    REQUIRE(cl.flush(k_bound).complete);
    const auto pushed = std::chrono::steady_clock::now();
    REQUIRE(cl.track(seglog::user("u-dated"), "Dated"));
    REQUIRE(p.col.wait_for_unique(2, k_bound));
    const auto waited = std::chrono::steady_clock::now() - pushed;
    CHECK(waited >= p.cfg.flush_interval - 50ms);
    // Dated from when the worker saw it (its wake-up, a flush_interval later), it would leave
    // about two flush_intervals after the push.
    CHECK(waited < p.cfg.flush_interval + 500ms);
}

// SCHED_BATCH: a worker that wakes up must not preempt a caller (docs/performance.md, "The
// worker's priority"); a lower nice value alone does not stop that.
TEST_CASE("the worker, named seglog-worker, keeps the caller's priority until it has caught up with its first "
          "events, then runs worker_nice below, under SCHED_BATCH; 0 leaves it alone") {
    collector c;
    const int base = ::getpriority(PRIO_PROCESS, 0);
    const int base_policy = ::sched_getscheduler(0);
    if (base_policy != SCHED_OTHER) { // chrt(1) and the like: the worker inherits the policy
        MESSAGE("skipped: the test runs under scheduling policy " << base_policy << ", not SCHED_OTHER");
        return;
    }
    for (int worker_nice : {7, 0}) {
        CAPTURE(worker_nice);
        const auto before = threads_now();
        auto cfg = segment_config(c);
        cfg.worker_nice = worker_nice;
        seglog::client cl(cfg);
        REQUIRE(c.wait_for([&] { return !worker_now(before).name.empty(); }, k_bound));
        const thread_info started = worker_now(before);
        CHECK(started.nice == base); // no event yet
        CHECK(started.policy == base_policy);
        REQUIRE(cl.track(seglog::user("u-nice"), "Niced"));
        REQUIRE(cl.flush(k_bound).complete);
        const int lowered = std::min(19, base + worker_nice);
        const int policy = worker_nice > 0 ? SCHED_BATCH : base_policy;
        CHECK(c.wait_for(
            [&] {
                const thread_info w = worker_now(before);
                return w.nice == lowered && w.policy == policy;
            },
            k_bound));
        const thread_info after = worker_now(before);
        CHECK(after.nice == lowered);
        CHECK(after.policy == policy);
    }
}

// Only SCHED_OTHER becomes SCHED_BATCH: a worker that inherited another policy from the thread
// that created the client (a real-time one, or SCHED_IDLE, which any thread may take) keeps it.
TEST_CASE("a worker created from a thread under SCHED_IDLE keeps SCHED_IDLE when it lowers itself") {
    collector c;
    const int base = ::getpriority(PRIO_PROCESS, 0);
    const auto before = threads_now();
    std::unique_ptr<seglog::client> cl;
    std::thread creator([&] { // its threads, the worker among them, inherit its policy
        sched_param param{};
        if (::sched_setscheduler(0, SCHED_IDLE, &param) != 0) return;
        auto cfg = segment_config(c);
        cfg.worker_nice = 7;
        cl = std::make_unique<seglog::client>(cfg);
    });
    creator.join();
    if (!cl) {
        MESSAGE("skipped: this thread could not take SCHED_IDLE");
        return;
    }
    REQUIRE(c.wait_for([&] { return worker_now(before).policy == SCHED_IDLE; }, k_bound));
    REQUIRE(cl->track(seglog::user("u-idle"), "Idle"));
    REQUIRE(cl->flush(k_bound).complete);
    CHECK(c.wait_for([&] { return worker_now(before).nice == std::min(19, base + 7); }, k_bound));
    CHECK(worker_now(before).policy == SCHED_IDLE);
}

// Whether the worker catches up for a moment (its first batch sent before the next events
// arrive, which a slow build can make happen) or not, it is lowered while its events wait.
TEST_CASE("a worker whose first events wait behind a held request is lowered all the same, within a second") {
    collector c;
    c.set_default(reply::delayed(30s)); // the first batch is held; the others wait behind it
    const int base = ::getpriority(PRIO_PROCESS, 0);
    const auto before = threads_now();
    auto cfg = segment_config(c);
    cfg.worker_nice = 7;
    cfg.flush_at = 2;
    cfg.max_in_flight = 1;
    seglog::client cl(cfg);
    for (int i = 0; i < 6; ++i) REQUIRE(cl.track(seglog::user("u-nice"), "Behind"));
    REQUIRE(c.wait_for([&] { return c.stats().in_flight == 1; }, k_bound)); // one sent, the rest behind it
    CHECK(c.wait_for([&] { return worker_now(before).nice == std::min(19, base + 7); }, k_bound));
    CHECK(worker_now(before).policy == SCHED_BATCH);
    CHECK(c.stats().in_flight == 1); // still held
    const auto s = cl.stats();
    CHECK(s.delivered == 0);
    CHECK(s.queued_events + s.in_flight == 6); // none delivered, none dropped: the worker is behind
    c.stop();                                  // the held request is reset; close() does not wait 30 s
    cl.close(0ms);
}

// Each producer thread pushes into a queue shard of its own; a worker whose batches have no more
// room takes from the queue only what they have room for, the oldest events across all shards,
// in the order they were accepted.
TEST_CASE("a worker that is behind takes only what its batches have room for, oldest first across threads") {
    pipeline p;
    p.col.set_default(reply::delayed(30s)); // the first batch is held; the others wait behind it
    p.cfg.flush_at = 10;
    p.cfg.flush_interval = 1h; // batches are cut at flush_at only
    p.cfg.max_in_flight = 1;   // outside the queue at most 2 * (1 + 1) * 10 = 40 events
    p.start();
    for (int i = 0; i < 200; ++i) { // each from a new thread: consecutive events in different shards
        bool accepted = false;
        std::thread([&] { accepted = p.push(i); }).join();
        REQUIRE(accepted);
    }
    REQUIRE(p.wait_until([&] { return p.stats().queued_events == 160; }));
    CHECK(p.col.stats().in_flight == 1); // still held: no room has come free
    p.col.set_default(reply());
    p.col.stop(); // the held request is reset; the client sends it again
    p.col.start();
    p.flush(); // the 160 go out as room frees, taken a few batches at a time
    std::size_t delivered = 0;
    for (const auto &r : p.col.requests()) {
        if (r.status != 200) continue;
        const std::vector<int> seqs = p.l.seqs_in_order(r.message_ids);
        INFO("a batch of events " << seqs.front() << ".." << seqs.back());
        CHECK(seqs.size() == 10);
        for (std::size_t k = 1; k < seqs.size(); ++k) CHECK(seqs[k] == seqs[k - 1] + 1);
        delivered += seqs.size();
    }
    CHECK(delivered == 200);
    p.close_within(5s);
    p.reconcile({false, xrc::at_least});
}
