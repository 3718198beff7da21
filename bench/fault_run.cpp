// The fault run: seglog's delivery promise under a matrix of injected faults, against the
// loopback collector (collector/collector.h). Each fault runs in its own forked process
// (so that peak RSS is that fault's alone): a producer tracks N events as fast as it can, then
// flush() and close(); the row says what the collector received (unique ids, duplicates) and
// what the client reports (delivered, dropped by reason, returned by close), and checks the
// books: accepted == delivered + failed + evicted + returned.
//
//   bench_fault_run [--events N] [--fault NAME]... [--list]
//
// Figures, not assertions: the exit status is non-zero only when the books do not balance or
// an event vanished (neither at the collector nor reported nor returned).
#include "collector.h"

#include <seglog/client.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace st = seglog::loopback;

namespace {

struct fault {
    std::string name;
    std::string what;
    std::size_t events_factor = 1;               // x --events
    std::function<void(st::collector &)> before; // set the faults up
    std::function<void(seglog::config &)> tune;  // client options for this fault
    std::function<void(st::collector &)> during; // runs beside the producer (down/up)
};

std::vector<fault> matrix() {
    std::vector<fault> m;
    m.push_back({"baseline", "no fault", 1, [](st::collector &) {}, nullptr, nullptr});
    m.push_back({"http500_30pct", "30% of requests answered 500", 1,
                 [](st::collector &c) { c.fail_ratio(0.30, 500, 42); }, nullptr, nullptr});
    m.push_back({"http500_30pct_3att", "30% 500, max_attempts=3", 1,
                 [](st::collector &c) { c.fail_ratio(0.30, 500, 42); },
                 [](seglog::config &cfg) { cfg.max_attempts = 3; }, nullptr});
    m.push_back({"429_retry_after", "10% of requests 429 Retry-After: 1", 1,
                 [](st::collector &c) { c.fail_ratio(0.10, st::reply::retry_later(429, "1"), 42); }, nullptr, nullptr});
    m.push_back({"resets", "20% of requests reset (RST after the body)", 1,
                 [](st::collector &c) { c.fail_ratio(0.20, st::reply::reset(), 42); }, nullptr, nullptr});
    m.push_back({"slow_timeouts", "10% answered after 3 s, request_timeout 1 s", 1,
                 [](st::collector &c) { c.fail_ratio(0.10, st::reply::delayed(3000ms), 42); },
                 [](seglog::config &cfg) { cfg.request_timeout = 1000ms; }, nullptr});
    m.push_back({"down_then_up", "collector down for the first 3 s", 1, [](st::collector &c) { c.stop(); }, nullptr,
                 [](st::collector &c) {
                     std::this_thread::sleep_for(3s); // the fault itself, not a synchronisation
                     c.start();
                 }});
    m.push_back({"poisoned", "1 event in 1000 poisoned (400 for its batch)", 1,
                 [](st::collector &c) { c.poison_property("poison"); }, nullptr, nullptr});
    m.push_back({"unauthorized", "every request answered 401", 1, [](st::collector &c) { c.set_default(401); }, nullptr,
                 nullptr});
    m.push_back({"burst_5x", "5x the events at once, no fault", 5, [](st::collector &) {}, nullptr, nullptr});
    return m;
}

long peak_rss_kb() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

// One fault, in the current (forked) process. Prints its row; returns the exit status.
int run_one(const fault &f, std::size_t events) {
    st::collector_options co;
    co.record_bodies = false;
    co.keep_requests = false; // counters and accepted ids only: the collector's RSS stays small
    st::collector col(co);
    f.before(col);

    seglog::config cfg;
    cfg.host = col.url();
    cfg.write_key = "fault-run-key";
    cfg.destinations = {seglog::destination::segment()};
    cfg.flush_at = 100; // batches of 100, as in the analytics-node comparison
    if (f.tune) f.tune(cfg);

    std::mutex m;
    std::set<std::string> reported; // ids reported failed/evicted/returned
    std::size_t timed_out = 0;
    seglog::client c(cfg);
    c.on_error([&](const seglog::error &e) {
        std::lock_guard<std::mutex> lk(m);
        reported.insert(e.message_ids.begin(), e.message_ids.end());
    });
    c.on_attempt([&](const seglog::attempt_info &a) {
        if (a.status == 0 && a.network_error.find("imed out") != std::string::npos) {
            std::lock_guard<std::mutex> lk(m);
            timed_out += a.events;
        }
    });

    const auto t0 = std::chrono::steady_clock::now();
    std::thread side;
    if (f.during) side = std::thread([&] { f.during(col); });
    const std::size_t poison_every = f.name == "poisoned" ? 1000 : 0;
    for (std::size_t i = 0; i < events; ++i) {
        if (poison_every && i % poison_every == 500)
            c.track(seglog::user("u-" + std::to_string(i % 97)), "Fault Run", {{"seq", i}, {"poison", true}});
        else c.track(seglog::user("u-" + std::to_string(i % 97)), "Fault Run", {{"seq", i}, {"plan", "pro"}});
    }
    const auto produced = std::chrono::steady_clock::now();
    // A refused write key is a configuration error: nothing is sent for ten minutes and the events
    // wait for close() to hand them back, so flush() has nothing to wait for there.
    const auto flush_bound = f.name == "unauthorized" ? std::chrono::milliseconds(2s) : std::chrono::minutes(10);
    const auto fl = c.flush(flush_bound);
    const auto flushed = std::chrono::steady_clock::now();
    auto returned = c.close(5s);
    const auto t1 = std::chrono::steady_clock::now();
    if (side.joinable()) side.join();

    const auto s = c.stats();
    const auto cs = col.stats();
    const bool books = s.accepted == s.delivered + s.failed + s.evicted + s.returned;
    // Every accepted event is at the collector, or reported with its id (failed, evicted,
    // returned): count the ones that are neither.
    std::size_t vanished = 0;
    {
        std::lock_guard<std::mutex> lk(m);
        const std::size_t accounted = cs.unique + reported.size();
        vanished = s.accepted > accounted ? s.accepted - accounted : 0;
    }
    std::string reasons;
    for (int r = 0; r < seglog::reason_count; ++r)
        if (s.by_reason[r] && r != static_cast<int>(seglog::reason::undelivered_at_close)) {
            if (!reasons.empty()) reasons += ",";
            reasons += std::string(seglog::to_string(static_cast<seglog::reason>(r))) + "=" +
                       std::to_string(s.by_reason[r]);
        }
    if (reasons.empty()) reasons = "-";
    const double wall = std::chrono::duration<double>(t1 - t0).count();
    const double to_flush = std::chrono::duration<double>(flushed - t0).count();
    (void)produced;
    std::printf("%-19s %7llu %9zu %5zu %-30s %5llu %7llu %6.1f %8.0f %5s %6.1fs\n", f.name.c_str(),
                static_cast<unsigned long long>(s.accepted), cs.unique, cs.duplicates, reasons.c_str(),
                static_cast<unsigned long long>(s.returned), static_cast<unsigned long long>(s.retried),
                peak_rss_kb() / 1024.0, to_flush > 0 ? s.delivered / to_flush : 0.0,
                books && vanished == 0 ? "ok" : "FAIL", wall);
    if (cs.duplicates)
        std::printf("%-19s   duplicates %zu; events in requests that timed out: %zu\n", "", cs.duplicates, timed_out);
    if (!fl.complete)
        std::printf("%-19s   flush incomplete: %llu pending\n", "", static_cast<unsigned long long>(fl.pending));
    std::fflush(stdout);
    (void)returned;
    return books && vanished == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
    std::size_t events = 20000;
    std::set<std::string> only;
    const auto all = matrix();
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--events") && i + 1 < argc) events = std::strtoull(argv[++i], nullptr, 10);
        else if (!std::strcmp(argv[i], "--fault") && i + 1 < argc) only.insert(argv[++i]);
        else if (!std::strcmp(argv[i], "--list")) {
            for (auto &f : all) std::printf("%-19s %s\n", f.name.c_str(), f.what.c_str());
            return 0;
        } else {
            std::fprintf(stderr, "usage: %s [--events N] [--fault NAME]... [--list]\n", argv[0]);
            return 2;
        }
    }
    std::printf("seglog fault run: %zu events per fault (x5 for burst_5x), batches of 100, other options at "
                "their defaults unless noted\n",
                events);
    std::printf("%-19s %7s %9s %5s %-30s %5s %7s %6s %8s %5s %7s\n", "fault", "sent", "delivered", "dups",
                "dropped (by reason)", "retnd", "retried", "rss_MB", "ev/s", "books", "wall");
    std::fflush(stdout);
    int status = 0;
    for (auto &f : all) {
        if (!only.empty() && !only.count(f.name)) continue;
        // One process per fault: its peak RSS is its own, and no state leaks between faults.
        const pid_t pid = fork();
        if (pid < 0) return 3;
        if (pid == 0) _exit(run_one(f, events * f.events_factor));
        int st = 0;
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            std::printf("%-19s   FAILED (status %d)\n", f.name.c_str(), st);
            status = 1;
        }
    }
    return status;
}
