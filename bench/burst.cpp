// A cold burst: a fresh process creates a client (attach() on a logger, as a service would),
// tracks --events events of five properties (SEGLOG_LOGGER_TRACK, the same call as
// bench_call_latency) from --threads producer threads, and closes it. bench/burst.sh runs it
// beside @segment/analytics-node against the same receiver (bench/receiver.cpp).
//
//   bench_burst --host URL [--events 100000] [--threads 1] [--per-call] [--spool DIR]
//               [--worker-nice N] [--overflow drop_newest|block]
//
// Figures: the whole run from before attach() to the end of close() (events/s, what burst.sh
// compares, and the CPU time all of the process's threads took), the calls alone (the mean call
// cost over the cold burst: the producers' loop time / calls, their CPU time and the page faults
// they took), peak RSS (getrusage), and the client's own books. --per-call times every call on
// its own (two clock reads each, median timer cost subtracted) and prints each thread's p50 and
// p99.9; without it the loop is timed as a whole and the calls carry no timer. The last line,
// "result ...", is what burst.sh reads.
#include "bench_util.h"

#include <seglog/seglog.h>

#include <spdlog/sinks/null_sink.h>

#include <sys/resource.h>
#include <time.h>

#include <atomic>
#include <thread>

using namespace seglog;
using clk = std::chrono::steady_clock;

namespace {

double thread_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// The page faults the calling thread has taken so far (minor and major): exact, unlike the
// tick-sampled split of its CPU time between user and kernel.
long thread_page_faults() {
    rusage u{};
    getrusage(RUSAGE_THREAD, &u);
    return u.ru_minflt + u.ru_majflt;
}

struct producer_result {
    double loop_ns = 0;         // the thread's whole loop
    double cpu_ns = 0;          // the CPU time the thread's loop took: what other processes do not change
    long faults = 0;            // the page faults the thread's loop took
    std::vector<float> call_ns; // --per-call: one sample per call, timer subtracted
};

} // namespace

int main(int argc, char **argv) {
    const std::string host = bench::arg(argc, argv, "--host", "");
    if (host.empty()) {
        std::fprintf(stderr, "bench_burst: --host URL (the receiver, e.g. http://127.0.0.1:8080) is required\n");
        return 2;
    }
    const long events = std::stol(bench::arg(argc, argv, "--events", "100000"));
    const int threads = std::stoi(bench::arg(argc, argv, "--threads", "1"));
    const bool per_call = bench::flag(argc, argv, "--per-call");
    const std::string spool = bench::arg(argc, argv, "--spool", "");
    const int worker_nice = std::stoi(bench::arg(argc, argv, "--worker-nice", "-1"));
    const std::string overflow = bench::arg(argc, argv, "--overflow", "");
    if (events <= 0 || threads <= 0) {
        std::fprintf(stderr, "bench_burst: --events and --threads take positive numbers\n");
        return 2;
    }
    const double timer_ns = per_call ? bench::timer_median_ns() : 0.0;

    config cfg;
    cfg.write_key = "bench-key-000000000000";
    cfg.host = host;
    cfg.destinations = {destination::segment()};
    if (!spool.empty()) cfg.spool_dir = spool;
    if (worker_nice >= 0) cfg.worker_nice = worker_nice;
    if (overflow == "block") {
        cfg.overflow = overflow_policy::block;
        cfg.block_timeout = std::chrono::seconds(60);
    } else if (!overflow.empty() && overflow != "drop_newest") {
        std::fprintf(stderr, "bench_burst: --overflow takes drop_newest or block\n");
        return 2;
    }
    set_error_handler([](const error &) {}); // refusals are counted in stats and printed below

    auto logger = std::make_shared<spdlog::logger>("burst", std::make_shared<spdlog::sinks::null_sink_mt>());
    logger->set_level(spdlog::level::off); // events ignore levels; the startup line is not the bench

    const auto t0 = clk::now();
    const double process_cpu0 = bench::process_cpu_ns();
    auto demux = attach(*logger, cfg);
    auto client = segment_client(*demux);
    client->on_error([](const error &) {});

    std::vector<producer_result> results(static_cast<std::size_t>(threads));
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
        ts.emplace_back([&, t] {
            const long first = events * t / threads, last = events * (t + 1) / threads;
            auto &r = results[static_cast<std::size_t>(t)];
            if (per_call) r.call_ns.reserve(static_cast<std::size_t>(last - first));
            const auto who = user("u-42");
            ready.fetch_add(1);
            while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
            const auto l0 = clk::now();
            const double cpu0 = thread_cpu_ns();
            const long faults0 = thread_page_faults();
            for (long n = first; n < last; ++n) {
                const auto c0 = per_call ? clk::now() : clk::time_point{};
                SEGLOG_LOGGER_TRACK(
                    logger, who, "Order Completed",
                    {{"order_id", "o-12345"}, {"revenue", 42.5}, {"items", n}, {"gift", false}, {"currency", "EUR"}});
                if (per_call)
                    r.call_ns.push_back(static_cast<float>(
                        std::max(0.0, std::chrono::duration<double, std::nano>(clk::now() - c0).count() - timer_ns)));
            }
            r.faults = thread_page_faults() - faults0;
            r.cpu_ns = thread_cpu_ns() - cpu0;
            r.loop_ns = std::chrono::duration<double, std::nano>(clk::now() - l0).count();
        });
    while (ready.load() < threads) std::this_thread::yield();
    const auto c0 = clk::now();
    go.store(true, std::memory_order_release);
    for (auto &t : ts) t.join();
    const auto c1 = clk::now();
    const auto undelivered = client->close(std::chrono::seconds(120));
    const auto t1 = clk::now();
    const double process_cpu_ns = bench::process_cpu_ns() - process_cpu0;
    const auto st = client->stats();

    const double total_s = std::chrono::duration<double>(t1 - t0).count();
    const double calls_s = std::chrono::duration<double>(c1 - c0).count();
    double loop_ns = 0, cpu_ns = 0;
    long faults = 0;
    for (auto &r : results) {
        loop_ns += r.loop_ns;
        cpu_ns += r.cpu_ns;
        faults += r.faults;
    }
    const double mean_call_ns = loop_ns / static_cast<double>(events); // each thread's loop over its own calls
    const double mean_cpu_ns = cpu_ns / static_cast<double>(events);
    const double event_cpu_ns = process_cpu_ns / static_cast<double>(events);
    const long rss = bench::peak_rss_kib();

    std::printf("bench_burst: %ld events, 5 properties, %d producer thread%s, %s, spool %s, worker_nice %d\n", events,
                threads, threads == 1 ? "" : "s", per_call ? "each call timed" : "loop timed as a whole",
                spool.empty() ? "off" : spool.c_str(), worker_nice >= 0 ? worker_nice : config{}.worker_nice);
    std::printf("  created, tracked, closed:  %.3f s  (%.0f events/s)\n", total_s,
                static_cast<double>(events) / total_s);
    std::printf("  calls:                     %.3f s  (%.0f calls/s aggregate), mean call cost %.0f ns%s\n", calls_s,
                static_cast<double>(events) / calls_s, mean_call_ns, per_call ? " (with the timer's clock reads)" : "");
    std::printf("  CPU time of the calls:     %.0f ns per call (the producers' own CPU time: time other processes\n"
                "                             took from them is not in it)\n",
                mean_cpu_ns);
    std::printf("  CPU time of the process:   %.0f ns per event, created to closed: the calls' %.0f and %.0f in the\n"
                "                             client's other threads (batching, sending, attach() and close())\n",
                event_cpu_ns, mean_cpu_ns, event_cpu_ns - mean_cpu_ns);
    std::printf("  page faults in the calls:  %ld (%.1f per 1,000 calls: each the first write of a fresh page;\n"
                "                             bench_page_touch gives this machine's price of one)\n",
                faults, 1000.0 * static_cast<double>(faults) / static_cast<double>(events));
    double worst_p999 = 0;
    if (per_call)
        for (int t = 0; t < threads; ++t) {
            auto &v = results[static_cast<std::size_t>(t)].call_ns;
            std::vector<double> d(v.begin(), v.end());
            const auto p = bench::summarize(d);
            worst_p999 = std::max(worst_p999, p.p999);
            std::printf("  thread %d:                  p50 %6.0f ns  p99 %6.0f ns  p99.9 %7.0f ns  max %9.0f ns  (%zu "
                        "calls)\n",
                        t, p.p50, p.p99, p.p999, p.max, d.size());
        }
    std::printf("  client:                    accepted %llu, delivered %llu, dropped %llu, failed %llu, returned %llu, "
                "spool_left %llu (close handed back %zu)\n",
                static_cast<unsigned long long>(st.accepted), static_cast<unsigned long long>(st.delivered),
                static_cast<unsigned long long>(st.dropped), static_cast<unsigned long long>(st.failed),
                static_cast<unsigned long long>(st.returned), static_cast<unsigned long long>(st.spool_left),
                undelivered.size());
    std::printf("  peak RSS:                  %.1f MiB\n", static_cast<double>(rss) / 1024.0);
    std::printf("result events_per_s=%.0f calls_per_s=%.0f mean_call_ns=%.1f cpu_call_ns=%.1f call_faults=%ld "
                "cpu_event_ns=%.1f rss_kib=%ld delivered=%llu dropped=%llu",
                static_cast<double>(events) / total_s, static_cast<double>(events) / calls_s, mean_call_ns, mean_cpu_ns,
                faults, event_cpu_ns, rss, static_cast<unsigned long long>(st.delivered),
                static_cast<unsigned long long>(st.dropped));
    if (per_call) std::printf(" worst_p999_ns=%.0f", worst_p999);
    std::printf("\n");
    return st.delivered == static_cast<unsigned long long>(events) ? 0 : 1;
}
