// Caller's cost of one SEGLOG_TRACK with five properties of mixed types, measured
// burst-and-pause: each call of a burst is timed on its own, then the producer pauses so the
// worker drains, many times over. The figure is what a request handler pays, not queue
// saturation. Variants: 1 or 2 producer threads, sync or async logger, collector up or down,
// and tracking switched off; and, for scale, a plain spdlog line timed the same way.
//
// Each call is bracketed by two steady_clock reads; the median cost of an empty bracket
// (printed as "timer") is subtracted from every sample.
//
//   bench_call_latency [--bursts 20000] [--burst 32] [--pause-us 200] [--off-calls 100000000]
//                      [--only up|down|2t|2t-down|async|async-down|spdlog|off]
#include "bench_util.h"
#include "collector.h"

#include <seglog/seglog.h>

#include <spdlog/async.h>
#include <spdlog/sinks/null_sink.h>

#include <atomic>
#include <thread>

using namespace seglog;
using clk = std::chrono::steady_clock;

namespace {

struct options {
    int bursts;
    int burst;
    std::chrono::microseconds pause;
    int warmup_bursts = 200; // first-use growth of per-thread buffers, connection set-up
};

double timer_ns = 0; // median cost of an empty now()..now() bracket

double measure_timer() {
    std::vector<double> v;
    v.reserve(100000);
    for (int i = 0; i < 100000; ++i) {
        const auto t0 = clk::now();
        const auto t1 = clk::now();
        v.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
    }
    return bench::summarize(v).p50;
}

// One producer: returns the cost (ns) of each call, timer overhead subtracted.
std::vector<double> produce(spdlog::logger &logger, const options &o) {
    std::vector<double> per_call;
    per_call.reserve(static_cast<std::size_t>(o.bursts) * static_cast<std::size_t>(o.burst));
    const auto who = user("u-42");
    long n = 0;
    for (int b = -o.warmup_bursts; b < o.bursts; ++b) {
        for (int i = 0; i < o.burst; ++i) {
            ++n;
            const auto t0 = clk::now();
            SEGLOG_LOGGER_TRACK(&logger, who, "Order Completed",
                                {{"order_id", "o-12345"}, {"revenue", 42.5}, {"items", n}, {"gift", false},
                                 {"currency", "EUR"}});
            const auto t1 = clk::now();
            if (b >= 0)
                per_call.push_back(
                    std::max(0.0, std::chrono::duration<double, std::nano>(t1 - t0).count() - timer_ns));
        }
        std::this_thread::sleep_for(o.pause);
    }
    return per_call;
}

void run(const char *label, bool async, int threads, bool collector_up, const options &o) {
    testing::collector_options co;
    co.keep_requests = false;
    co.record_bodies = false;
    co.count_ids_only = true; // the collector shares the 2 cores: keep it cheap
    testing::collector col(co);
    config cfg;
    cfg.write_key = "bench-key-000000000000";
    cfg.host = col.url();
    cfg.destinations = {destination::segment()};
    cfg.max_attempts = 1000;
    cfg.backoff_base = std::chrono::milliseconds(50); // collector down: keep retrying at a steady pace
    cfg.backoff_cap = std::chrono::milliseconds(200);
    if (!collector_up) col.stop();

    std::shared_ptr<spdlog::logger> logger;
    auto sink = std::make_shared<spdlog::sinks::null_sink_mt>();
    if (async) {
        spdlog::init_thread_pool(65536, 1);
        logger = std::make_shared<spdlog::async_logger>("bench", sink, spdlog::thread_pool(),
                                                        spdlog::async_overflow_policy::block);
    } else {
        logger = std::make_shared<spdlog::logger>("bench", sink);
    }
    logger->set_level(spdlog::level::off); // startup line not measured; events ignore levels
    auto demux = attach(*logger, cfg);
    segment_client(*demux)->on_error([](const error &) {}); // drops are counted in stats; not printed

    std::vector<std::vector<double>> results(static_cast<std::size_t>(threads));
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) ts.emplace_back([&, t] { results[static_cast<std::size_t>(t)] = produce(*logger, o); });
    for (auto &t : ts) t.join();
    std::vector<double> all;
    for (auto &r : results) all.insert(all.end(), r.begin(), r.end());
    const auto p = bench::summarize(all);
    auto client = segment_client(*demux);
    // An async logger's queue may still hold records: shutting its pool down drains it.
    if (async) spdlog::shutdown();
    if (collector_up) client->flush(std::chrono::seconds(30));
    const auto st = client->stats();
    std::printf("%-46s p50 %6.0f ns  p99 %6.0f ns  p99.9 %6.0f ns  max %8.0f ns  (%zu calls; accepted %llu, "
                "delivered %llu, dropped %llu)\n",
                label, p.p50, p.p99, p.p999, p.max, all.size(), static_cast<unsigned long long>(st.accepted),
                static_cast<unsigned long long>(st.delivered), static_cast<unsigned long long>(st.dropped));
    std::fflush(stdout);
    client->close(std::chrono::milliseconds(collector_up ? 5000 : 10));
    logger.reset();
}

// Reference: an ordinary spdlog line with the same five values, formatted by the logger and
// written to a null sink, timed the same way. What the machine charges any call after a pause
// (cold caches, an idle vCPU waking up) shows here too.
void spdlog_reference(const options &o) {
    auto logger = std::make_shared<spdlog::logger>("ref", std::make_shared<spdlog::sinks::null_sink_mt>());
    std::vector<double> per_call;
    per_call.reserve(static_cast<std::size_t>(o.bursts) * static_cast<std::size_t>(o.burst));
    long n = 0;
    for (int b = -o.warmup_bursts; b < o.bursts; ++b) {
        for (int i = 0; i < o.burst; ++i) {
            ++n;
            const auto t0 = clk::now();
            SPDLOG_LOGGER_INFO(logger, "order_id={} revenue={} items={} gift={} currency={}", "o-12345", 42.5, n,
                               false, "EUR");
            const auto t1 = clk::now();
            if (b >= 0)
                per_call.push_back(std::max(0.0, std::chrono::duration<double, std::nano>(t1 - t0).count() - timer_ns));
        }
        std::this_thread::sleep_for(o.pause);
    }
    const auto p = bench::summarize(per_call);
    std::printf("%-46s p50 %6.0f ns  p99 %6.0f ns  p99.9 %6.0f ns  max %8.0f ns  (%zu calls)\n",
                "reference: spdlog info line, null sink", p.p50, p.p99, p.p999, p.max, per_call.size());
    std::fflush(stdout);
}

void switched_off(long calls) {
    auto logger = std::make_shared<spdlog::logger>("off", std::make_shared<spdlog::sinks::null_sink_mt>());
    config cfg;
    cfg.destinations = {destination::off()};
    logger->set_level(spdlog::level::off);
    attach(*logger, cfg);
    set_tracking(false);
    long evaluated = 0;
    const auto who = user("u-42");
    const auto t0 = clk::now();
    for (long i = 0; i < calls; ++i) {
        SEGLOG_LOGGER_TRACK(logger, who, "Order Completed", {{"n", ++evaluated}});
        std::atomic_signal_fence(std::memory_order_seq_cst); // keep the loop from being folded
    }
    const double ns = std::chrono::duration<double, std::nano>(clk::now() - t0).count() / static_cast<double>(calls);
    std::printf("%-44s %.2f ns per call (%ld calls, property expressions evaluated: %ld)\n", "tracking switched off", ns,
                calls, evaluated);
    set_tracking(true);
}

} // namespace

int main(int argc, char **argv) {
    options o{std::stoi(bench::arg(argc, argv, "--bursts", "20000")), std::stoi(bench::arg(argc, argv, "--burst", "32")),
              std::chrono::microseconds(std::stoi(bench::arg(argc, argv, "--pause-us", "200")))};
    const std::string only = bench::arg(argc, argv, "--only", "");
    auto want = [&](const char *name) { return only.empty() || only == name; };
    seglog::set_error_handler([](const error &) {}); // counted in stats; not printed mid-run
    timer_ns = measure_timer();
    std::printf("SEGLOG_TRACK, 5 properties (2 strings, double, integer, bool), %d bursts of %d calls, %lld us "
                "pause; each call timed, timer %.1f ns subtracted\n",
                o.bursts, o.burst, static_cast<long long>(o.pause.count()), timer_ns);
    if (want("up")) run("1 thread, sync logger, collector up", false, 1, true, o);
    if (want("down")) run("1 thread, sync logger, collector down", false, 1, false, o);
    if (want("2t")) run("2 threads, sync logger, collector up", false, 2, true, o);
    if (want("2t-down")) run("2 threads, sync logger, collector down", false, 2, false, o);
    if (want("async")) run("1 thread, async logger (block), collector up", true, 1, true, o);
    if (want("async")) run("2 threads, async logger (block), collector up", true, 2, true, o);
    if (want("async-down")) run("1 thread, async logger (block), collector down", true, 1, false, o);
    if (want("spdlog")) spdlog_reference(o);
    if (want("off")) switched_off(std::stol(bench::arg(argc, argv, "--off-calls", "100000000")));
    std::printf("peak RSS %ld KiB\n", bench::peak_rss_kib());
}
