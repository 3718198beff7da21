// Caller's cost of one SEGLOG_TRACK with five properties of mixed types (--properties nested:
// nested braces, an object and an array of objects; nested-json: the same with its nested
// values built as nlohmann::json in each call), measured
// burst-and-pause: a burst of calls is timed together, then the producer pauses so the worker
// drains, many times over (--timing call times every call on its own instead). The figure is what a request handler
// pays, not queue saturation. Variants: 1 or 2 producer threads, sync or async logger, collector up or down, and
// tracking switched off; and, for scale, a plain spdlog line timed the same way.
//
// The median cost of an empty steady_clock bracket (printed as "timer") is subtracted from
// every timed interval.
//
// --paired (1 thread, sync logger, collector up): every other burst is the plain spdlog line
// instead, so both are timed over the same minutes of the machine; their ratio holds while a
// shared machine's speed moves (docs/performance.md).
//
//   bench_call_latency [--bursts 20000] [--burst 32] [--pause-us 200] [--timing burst|call]
//                      [--worker-nice N] [--off-calls 100000000] [--properties flat|nested|nested-json]
//                      [--only up|down|2t|2t-down|async|async-down|spdlog|off|paired] [--spool DIR]
//                      [--scope] [--plan FILE] [--plugin]
//                      [--threads N]
//
// --threads N: only N producer threads, sync logger, collector up, and each thread's own
// percentiles beside the whole (bench/burst.sh's thread scaling: 1, 2, 4, 8).
//
// --scope: each producer thread opens one seglog::scoped_context of two members first, so every
// event also merges them (the figure beside the default run is the cost of a scope).
// --plan FILE: the client checks every event against this tracking plan (plan_violations=warn;
// bench/plans/order.json describes the benchmark's event).
// --plugin: the config has one before plugin, sample_event("Order Completed", 1), which keeps
// every event: the cost of the plugin path itself (parse, run, re-serialise).
#include "bench_util.h"
#include "collector.h"

#include <seglog/plugins.h>
#include <seglog/seglog.h>

#include <nlohmann/json.hpp>
#include <spdlog/async.h>
#include <spdlog/sinks/null_sink.h>

#include <atomic>
#include <thread>

using namespace seglog;
using clk = std::chrono::steady_clock;

namespace {

enum class property_set { flat, nested, nested_json };

struct options {
    int bursts;
    int burst;
    std::chrono::microseconds pause;
    bool each_call = false;  // --timing call
    int worker_nice = -1;    // --worker-nice N; -1: the config's default
    int warmup_bursts = 200; // first-use growth of per-thread buffers, connection set-up
    property_set props = property_set::flat;
    std::string spool_dir{}; // --spool DIR: each run's client keeps a durable spool under DIR
    bool scope = false;      // --scope: each producer thread tracks inside a scoped_context of two members
    std::string plan{};      // --plan FILE: a tracking plan every event is checked against
    bool per_thread = false; // --threads N: print each thread's percentiles too
    bool plugin = false;     // --plugin: one before plugin (sample_event keeping every event) in the config
};

double timer_ns = 0; // median cost of an empty now()..now() bracket

// Runs `call` in bursts with a pause after each, and returns the cost (ns) per call, timer
// overhead subtracted. --timing burst (default): each burst is timed as a whole and counts
// as one sample of (burst time / burst size), the per-call cost a request handler pays.
// --timing call: every call is timed on its own, one sample each, which shows the slowest
// single calls (the first after a pause, one that wakes the worker) but adds two clock reads
// to every call. With `alt_out`, odd bursts run `alt` instead and their samples go there.
template <typename Call, typename Alt>
std::vector<double> timed(const options &o, Call &&call, Alt &&alt, std::vector<double> *alt_out) {
    std::vector<double> out;
    out.reserve(static_cast<std::size_t>(o.bursts) * static_cast<std::size_t>(o.each_call ? o.burst : 1));
    long n = 0;
    auto one_burst = [&](auto &&f, std::vector<double> &into, bool keep) {
        if (o.each_call) {
            for (int i = 0; i < o.burst; ++i) {
                const auto t0 = clk::now();
                f(++n);
                const auto t1 = clk::now();
                if (keep)
                    into.push_back(std::max(0.0, std::chrono::duration<double, std::nano>(t1 - t0).count() - timer_ns));
            }
        } else {
            const auto t0 = clk::now();
            for (int i = 0; i < o.burst; ++i) f(++n);
            const auto t1 = clk::now();
            if (keep)
                into.push_back(std::max(0.0, std::chrono::duration<double, std::nano>(t1 - t0).count() - timer_ns) /
                               o.burst);
        }
    };
    for (int b = -o.warmup_bursts; b < o.bursts; ++b) {
        if (alt_out && (b & 1)) one_burst(alt, *alt_out, b >= 0);
        else one_burst(call, out, b >= 0);
        std::this_thread::sleep_for(o.pause);
    }
    return out;
}
template <typename Call>
std::vector<double> timed(const options &o, Call &&call) {
    return timed(
        o, call, [](long) {}, nullptr);
}

// The plain spdlog line the reference and --paired time: the same five values, formatted.
void reference_line(spdlog::logger &logger, long n) {
    SPDLOG_LOGGER_INFO(&logger, "order_id={} revenue={} items={} gift={} currency={}", "o-12345", 42.5, n, false,
                       "EUR");
}

// One producer of SEGLOG_TRACK calls; with `paired`, every other burst is the reference line on
// `paired`'s logger, timed into `paired_out`. The properties: five of mixed types; or Segment's
// Order Completed shape, a shipping object and two products nested in braces (ten values), or
// the same with its nested values spelled nlohmann::json, which builds a tree in every call.
std::vector<double> produce(spdlog::logger &logger, const options &o, spdlog::logger *paired = nullptr,
                            std::vector<double> *paired_out = nullptr) {
    const auto who = user("u-42");
    auto reference = [&](long n) { reference_line(*paired, n); };
    std::vector<double> *const alt_out = paired ? paired_out : nullptr;
    switch (o.props) {
    case property_set::flat: break;
    case property_set::nested:
        return timed(
            o,
            [&](long n) {
                SEGLOG_LOGGER_TRACK(&logger, who, "Order Completed",
                                    {{"order_id", "o-12345"},
                                     {"revenue", 42.5},
                                     {"currency", "EUR"},
                                     {"shipping", {{"method", "express"}, {"cost", 4.5}}},
                                     {"products", {{{"sku", "a-1"}, {"qty", n}}, {{"sku", "b-2"}, {"qty", 1}}}}});
            },
            reference, alt_out);
    case property_set::nested_json:
        return timed(
            o,
            [&](long n) {
                SEGLOG_LOGGER_TRACK(&logger, who, "Order Completed",
                                    {{"order_id", "o-12345"},
                                     {"revenue", 42.5},
                                     {"currency", "EUR"},
                                     {"shipping", nlohmann::json{{"method", "express"}, {"cost", 4.5}}},
                                     {"products", nlohmann::json::array(
                                                      {{{"sku", "a-1"}, {"qty", n}}, {{"sku", "b-2"}, {"qty", 1}}})}});
            },
            reference, alt_out);
    }
    return timed(
        o,
        [&](long n) {
            SEGLOG_LOGGER_TRACK(
                &logger, who, "Order Completed",
                {{"order_id", "o-12345"}, {"revenue", 42.5}, {"items", n}, {"gift", false}, {"currency", "EUR"}});
        },
        reference, alt_out);
}

const char *unit(const options &o) { return o.each_call ? "calls" : "bursts"; }

void run(const char *label, bool async, int threads, bool collector_up, const options &o, bool paired = false) {
    loopback::collector_options co;
    co.keep_requests = false;
    co.record_bodies = false;
    co.count_ids_only = true; // the collector shares the 2 cores: keep it cheap
    // Nor does it keep every messageId: that set grows for the whole run under the lock all of
    // its connections take, which makes the collector, not the calls, the limit with many
    // producer threads. The client's own counters say what was delivered.
    co.keep_ids = false;
    loopback::collector col(co);
    config cfg;
    cfg.write_key = "bench-key-000000000000";
    cfg.host = col.url();
    cfg.destinations = {destination::segment()};
    cfg.max_attempts = 1000;
    cfg.backoff_base = std::chrono::milliseconds(50); // collector down: keep retrying at a steady pace
    cfg.backoff_cap = std::chrono::milliseconds(200);
    if (o.worker_nice >= 0) cfg.worker_nice = o.worker_nice;
    // Keeps every event (1 in 1) but still parses and re-serialises each: the cost of any plugin.
    if (o.plugin) cfg.plugins = {sample_event("Order Completed", 1)};
    static int runs = 0;
    if (!o.spool_dir.empty()) cfg.spool_dir = o.spool_dir + "/run-" + std::to_string(++runs); // one owner each
    cfg.tracking_plan = o.plan;
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
    std::vector<double> reference; // --paired: the spdlog line's bursts
    spdlog::logger ref_logger("ref", std::make_shared<spdlog::sinks::null_sink_mt>());
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
        ts.emplace_back([&, t] {
            std::unique_ptr<scoped_context> scope;
            if (o.scope)
                scope = std::make_unique<scoped_context>(properties{{"request_id", "r-8f14e45f"}, {"tenant", "acme"}});
            results[static_cast<std::size_t>(t)] = produce(*logger, o, paired ? &ref_logger : nullptr,
                                                           paired ? &reference : nullptr);
        });
    for (auto &t : ts) t.join();
    std::vector<double> all;
    for (auto &r : results) all.insert(all.end(), r.begin(), r.end());
    std::vector<bench::percentiles> each;
    if (o.per_thread)
        for (auto &r : results) each.push_back(bench::summarize(r));
    const auto p = bench::summarize(all);
    auto client = segment_client(*demux);
    // An async logger's queue may still hold records: shutting its pool down drains it.
    if (async) spdlog::shutdown();
    if (collector_up) client->flush(std::chrono::seconds(30));
    const auto st = client->stats();
    std::printf("%-46s p50 %6.0f ns  p99 %6.0f ns  p99.9 %6.0f ns  max %8.0f ns  (%zu %s; accepted %llu, "
                "delivered %llu, dropped %llu)\n",
                label, p.p50, p.p99, p.p999, p.max, all.size(), unit(o), static_cast<unsigned long long>(st.accepted),
                static_cast<unsigned long long>(st.delivered), static_cast<unsigned long long>(st.dropped));
    for (std::size_t t = 0; t < each.size(); ++t)
        std::printf("  thread %-38zu p50 %6.0f ns  p99 %6.0f ns  p99.9 %6.0f ns  max %8.0f ns\n", t, each[t].p50,
                    each[t].p99, each[t].p999, each[t].max);
    if (paired) {
        const auto r = bench::summarize(reference);
        std::printf("%-46s p50 %6.0f ns  p99 %6.0f ns  p99.9 %6.0f ns  max %8.0f ns  (%zu %s)\n",
                    "  the bursts between: spdlog info line", r.p50, r.p99, r.p999, r.max, reference.size(), unit(o));
        std::printf("  SEGLOG_TRACK / spdlog line, p50: %.2f\n", p.p50 / r.p50);
    }
    std::fflush(stdout);
    client->close(std::chrono::milliseconds(collector_up ? 5000 : 10));
    logger.reset();
}

// Reference: an ordinary spdlog line with the same five values, formatted by the logger and
// written to a null sink, timed the same way. What the machine charges any call after a pause
// (cold caches, an idle vCPU waking up) shows here too.
void spdlog_reference(const options &o) {
    spdlog::logger logger("ref", std::make_shared<spdlog::sinks::null_sink_mt>());
    auto samples = timed(o, [&](long n) { reference_line(logger, n); });
    const auto p = bench::summarize(samples);
    std::printf("%-46s p50 %6.0f ns  p99 %6.0f ns  p99.9 %6.0f ns  max %8.0f ns  (%zu %s)\n",
                "reference: spdlog info line, null sink", p.p50, p.p99, p.p999, p.max, samples.size(), unit(o));
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
    std::printf("%-44s %.2f ns per call (%ld calls, property expressions evaluated: %ld)\n", "tracking switched off",
                ns, calls, evaluated);
    set_tracking(true);
}

} // namespace

int main(int argc, char **argv) {
    options o{std::stoi(bench::arg(argc, argv, "--bursts", "20000")),
              std::stoi(bench::arg(argc, argv, "--burst", "32")),
              std::chrono::microseconds(std::stoi(bench::arg(argc, argv, "--pause-us", "200")))};
    const std::string timing = bench::arg(argc, argv, "--timing", "burst");
    if (timing != "burst" && timing != "call") {
        std::fprintf(stderr, "bench_call_latency: --timing takes burst or call\n");
        return 2;
    }
    o.each_call = timing == "call";
    o.worker_nice = std::stoi(bench::arg(argc, argv, "--worker-nice", "-1"));
    for (int i = 1; i < argc; ++i) o.scope = o.scope || std::string(argv[i]) == "--scope";
    for (int i = 1; i < argc; ++i) o.plugin = o.plugin || std::string(argv[i]) == "--plugin";
    const std::string props = bench::arg(argc, argv, "--properties", "flat");
    if (props == "nested") o.props = property_set::nested;
    else if (props == "nested-json") o.props = property_set::nested_json;
    else if (props != "flat") {
        std::fprintf(stderr, "bench_call_latency: --properties takes flat, nested or nested-json\n");
        return 2;
    }
    o.spool_dir = bench::arg(argc, argv, "--spool", "");
    o.plan = bench::arg(argc, argv, "--plan", "");
    const std::string only = bench::arg(argc, argv, "--only", "");
    auto want = [&](const char *name) { return only.empty() || only == name; };
    seglog::set_error_handler([](const error &) {}); // counted in stats; not printed mid-run
    timer_ns = bench::timer_median_ns();
    std::printf("SEGLOG_TRACK, %s%s, %d bursts of %d calls, %lld us pause; %s, worker_nice %d, timer %.1f ns "
                "subtracted\n",
                o.props == property_set::flat     ? "5 properties (2 strings, double, integer, bool)"
                : o.props == property_set::nested ? "nested properties in braces (3 + an object of 2 + 2 objects of 2)"
                                                  : "nested properties, the nested ones as nlohmann::json",
                o.scope ? ", inside a scoped_context of 2 members" : "", o.bursts, o.burst,
                static_cast<long long>(o.pause.count()),
                o.each_call ? "each call timed on its own (one sample per call)"
                            : "each burst timed as a whole (one sample per burst: burst time / calls)",
                o.worker_nice >= 0 ? o.worker_nice : config{}.worker_nice, timer_ns);
    if (!o.spool_dir.empty()) std::printf("durable spool under %s\n", o.spool_dir.c_str());
    if (!o.plan.empty()) std::printf("tracking plan %s (plan_violations=warn)\n", o.plan.c_str());
    const int threads = std::stoi(bench::arg(argc, argv, "--threads", "0"));
    if (threads > 0) {
        o.per_thread = true;
        const std::string label = std::to_string(threads) + (threads == 1 ? " thread" : " threads") +
                                  ", sync logger, collector up";
        run(label.c_str(), false, threads, true, o);
        std::printf("peak RSS %ld KiB\n", bench::peak_rss_kib());
        return 0;
    }
    if (want("up")) run("1 thread, sync logger, collector up", false, 1, true, o);
    if (want("down")) run("1 thread, sync logger, collector down", false, 1, false, o);
    if (want("2t")) run("2 threads, sync logger, collector up", false, 2, true, o);
    if (want("2t-down")) run("2 threads, sync logger, collector down", false, 2, false, o);
    if (want("async")) run("1 thread, async logger (block), collector up", true, 1, true, o);
    if (want("async")) run("2 threads, async logger (block), collector up", true, 2, true, o);
    if (want("async-down")) run("1 thread, async logger (block), collector down", true, 1, false, o);
    if (want("spdlog")) spdlog_reference(o);
    if (only == "paired") run("1 thread, sync logger, collector up, paired", false, 1, true, o, true);
    if (want("off")) switched_off(std::stol(bench::arg(argc, argv, "--off-calls", "100000000")));
    std::printf("peak RSS %ld KiB\n", bench::peak_rss_kib());
}
