// bench_delivery: N events through SEGLOG_TRACK on a logger attached to a segment destination,
// delivered to the loopback collector. Prints what happened; the figures are whatever they
// are on this machine (the collector runs on the same cores, so the client does not have the
// machine to itself).
//
// The collector runs in a forked child process, so that "peak RSS" is the client's alone
// (the collector keeps every messageId it accepted). By default it finds messageIds with a
// scanner instead of parsing each body into a JSON tree (collector_options::count_ids_only,
// exact for valid JSON); --parse-bodies restores the full parse. --delay-ms N makes it answer
// every request after N ms (a slow link).
//
// That collector is built for tests, not speed: on two cores it takes most of the CPU of a run
// (docs/performance.md). --host URL delivers to a receiver started apart instead, such as
// bench_receiver, which bench/burst.sh starts and measures the ceiling of; its counts are then
// the receiver's to give (bench_receiver: GET /stats), and this program checks only its own books.
//
//   bench_delivery [--events N] [--gzip] [--overflow block|drop_newest] [--flush-at N]
//                  [--max-in-flight N] [--max-batch-bytes N] [--delay-ms N] [--block-timeout-ms N]
//                  [--parse-bodies] [--worker-nice N] [--plan FILE] [--spool DIR] [--host URL]
//
// --plan FILE: the client checks every event against this tracking plan on its worker
// (plan_violations=warn; bench/plans/order.json describes the benchmark's event).
// --spool DIR: every accepted event also goes to a durable spool in DIR (created; it must hold
// nothing from an earlier run, or that is sent too).
#include "collector.h"

#include <seglog/seglog.h>

#include <spdlog/sinks/null_sink.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

struct options {
    std::size_t events = 1000000;
    bool gzip = false;
    seglog::overflow_policy overflow = seglog::overflow_policy::block;
    std::size_t flush_at = 500;
    std::size_t max_in_flight = 4;
    std::size_t max_batch_bytes = 0; // 0: the config's default
    std::size_t delay_ms = 0;
    std::size_t block_timeout_ms = 0; // 0: the config's default
    bool parse_bodies = false;
    int worker_nice = -1; // -1: the config's default
    std::string plan;     // --plan FILE
    std::string spool;    // --spool DIR
    std::string host;     // --host URL: a receiver started apart, instead of the loopback collector
};

[[noreturn]] void usage(const char *why) {
    std::fprintf(
        stderr,
        "bench_delivery: %s\n"
        "usage: bench_delivery [--events N] [--gzip] [--overflow block|drop_newest] "
        "[--flush-at N] [--max-in-flight N] [--max-batch-bytes N] [--delay-ms N] [--block-timeout-ms N] [--parse-bodies] "
        "[--worker-nice N] [--plan FILE] [--spool DIR] [--host URL]\n",
        why);
    std::exit(2);
}

std::size_t number(const char *text) {
    char *end = nullptr;
    const unsigned long long v = std::strtoull(text, &end, 10);
    if (!end || *end || v == 0) usage("expected a positive number");
    return static_cast<std::size_t>(v);
}

int nice_value(const char *text) {
    char *end = nullptr;
    const unsigned long v = std::strtoul(text, &end, 10);
    if (!end || end == text || *end || v > 19) usage("--worker-nice takes 0 to 19");
    return static_cast<int>(v);
}

options parse(int argc, char **argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> const char * {
            if (i + 1 >= argc) usage(("missing value after " + a).c_str());
            return argv[++i];
        };
        if (a == "--events") o.events = number(next());
        else if (a == "--gzip") o.gzip = true;
        else if (a == "--flush-at") o.flush_at = number(next());
        else if (a == "--max-in-flight") o.max_in_flight = number(next());
        else if (a == "--max-batch-bytes") o.max_batch_bytes = number(next());
        else if (a == "--delay-ms") o.delay_ms = number(next());
        else if (a == "--block-timeout-ms") o.block_timeout_ms = number(next());
        else if (a == "--parse-bodies") o.parse_bodies = true;
        else if (a == "--worker-nice") o.worker_nice = nice_value(next());
        else if (a == "--plan") o.plan = next();
        else if (a == "--spool") o.spool = next();
        else if (a == "--host") o.host = next();
        else if (a == "--overflow") {
            const std::string v = next();
            if (v == "block") o.overflow = seglog::overflow_policy::block;
            else if (v == "drop_newest") o.overflow = seglog::overflow_policy::drop_newest;
            else usage("--overflow takes block or drop_newest");
        } else usage(("unknown argument " + a).c_str());
    }
    if (!o.host.empty() && (o.delay_ms || o.parse_bodies))
        usage("--delay-ms and --parse-bodies script the loopback collector, which --host replaces");
    return o;
}

long peak_rss_kib() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss; // KiB on Linux
}

// The collector in a child process, driven over two pipes: the child writes its port, waits
// for one byte, writes its stats and exits. Forked before any thread exists.
class remote_collector {
public:
    explicit remote_collector(const options &opt) {
        int up[2], down[2];
        if (::pipe(up) != 0 || ::pipe(down) != 0) std::exit(3);
        pid_ = ::fork();
        if (pid_ < 0) std::exit(3);
        if (pid_ == 0) {
            ::close(up[0]);
            ::close(down[1]);
            seglog::loopback::collector_options co;
            co.keep_requests = false;
            co.record_bodies = false;
            co.count_ids_only = !opt.parse_bodies;
            co.threads = std::max<std::size_t>(8, opt.max_in_flight + 2);
            seglog::loopback::collector c(co);
            if (opt.delay_ms) c.set_default(seglog::loopback::reply::delayed(std::chrono::milliseconds(opt.delay_ms)));
            const int port = c.port();
            write_all(up[1], &port, sizeof port);
            char cmd;
            if (::read(down[0], &cmd, 1) != 1) ::_exit(1);
            const auto st = c.stats();
            write_all(up[1], &st, sizeof st);
            ::_exit(0); // no destructors: the parent has what it needs
        }
        ::close(up[1]);
        ::close(down[0]);
        from_child_ = up[0];
        to_child_ = down[1];
        int port = 0;
        if (!read_all(from_child_, &port, sizeof port)) std::exit(3);
        url_ = "http://127.0.0.1:" + std::to_string(port);
    }
    const std::string &url() const { return url_; }
    seglog::loopback::collector_stats stats() {
        seglog::loopback::collector_stats st;
        const char cmd = 's';
        if (::write(to_child_, &cmd, 1) != 1 || !read_all(from_child_, &st, sizeof st)) std::exit(3);
        ::waitpid(pid_, nullptr, 0);
        return st;
    }

private:
    static void write_all(int fd, const void *p, std::size_t n) {
        const char *c = static_cast<const char *>(p);
        while (n) {
            const ssize_t w = ::write(fd, c, n);
            if (w <= 0) ::_exit(1);
            c += w;
            n -= static_cast<std::size_t>(w);
        }
    }
    static bool read_all(int fd, void *p, std::size_t n) {
        char *c = static_cast<char *>(p);
        while (n) {
            const ssize_t r = ::read(fd, c, n);
            if (r <= 0) return false;
            c += r;
            n -= static_cast<std::size_t>(r);
        }
        return true;
    }
    pid_t pid_ = -1;
    int from_child_ = -1, to_child_ = -1;
    std::string url_;
};

} // namespace

int main(int argc, char **argv) {
    const options opt = parse(argc, argv);

    std::unique_ptr<remote_collector> collector;
    if (opt.host.empty()) collector = std::make_unique<remote_collector>(opt);

    seglog::config cfg;
    cfg.destinations = {seglog::destination::segment()};
    cfg.write_key = "bench-write-key";
    cfg.host = collector ? collector->url() : opt.host;
    cfg.gzip = opt.gzip;
    cfg.overflow = opt.overflow;
    cfg.flush_at = opt.flush_at;
    cfg.max_in_flight = opt.max_in_flight;
    if (opt.max_batch_bytes) cfg.max_batch_bytes = opt.max_batch_bytes;
    if (opt.block_timeout_ms) cfg.block_timeout = std::chrono::milliseconds(opt.block_timeout_ms);
    if (opt.worker_nice >= 0) cfg.worker_nice = opt.worker_nice;
    cfg.tracking_plan = opt.plan;
    cfg.spool_dir = opt.spool;

    auto logger = std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
    auto demux = seglog::attach(*logger, cfg);
    auto client = seglog::segment_client(*demux);
    if (!client) {
        std::fprintf(stderr, "bench_delivery: no segment client behind the demux\n");
        return 1;
    }
    std::atomic<std::uint64_t> error_reports{0};
    client->on_error([&](const seglog::error &) { ++error_reports; }); // worker or caller thread; a count only
    spdlog::set_default_logger(logger);

    std::vector<seglog::identity> users;
    for (int u = 0; u < 1000; ++u) users.push_back(seglog::user("user-" + std::to_string(u)));

    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    for (std::size_t i = 0; i < opt.events; ++i) {
        SEGLOG_TRACK(
            users[i % users.size()], "Order Completed",
            {{"order_id", static_cast<std::uint64_t>(i)}, {"revenue", 42.5}, {"currency", "EUR"}, {"plan", "pro"}});
    }
    const auto t_calls = clock::now();
    const auto fr = client->flush(std::chrono::minutes(10));
    const auto t1 = clock::now();

    const auto s = client->stats();
    const seglog::loopback::collector_stats cs = collector ? collector->stats() : seglog::loopback::collector_stats{};
    const double call_s = std::chrono::duration<double>(t_calls - t0).count();
    const double total_s = std::chrono::duration<double>(t1 - t0).count();
    const auto full = s.by_reason[static_cast<int>(seglog::reason::queue_full)];

    // The collector's own settings mean nothing with --host, which replaces it.
    const std::string delivered_to = !opt.host.empty()
                                         ? "receiver " + opt.host
                                         : "collector delay=" + std::to_string(opt.delay_ms) + " ms, collector " +
                                               (opt.parse_bodies ? "parses bodies" : "counts ids only");
    std::printf("bench_delivery: %zu events, overflow=%s, gzip=%s, flush_at=%zu, max_in_flight=%zu, "
                "max_batch_bytes=%zu, block_timeout=%lld ms, worker_nice=%d, %s\n",
                opt.events, opt.overflow == seglog::overflow_policy::block ? "block" : "drop_newest",
                opt.gzip ? "on" : "off", cfg.flush_at, cfg.max_in_flight, cfg.max_batch_bytes,
                static_cast<long long>(cfg.block_timeout.count()), cfg.worker_nice, delivered_to.c_str());
    std::printf("  calls:            %.3f s (%.0f calls/s on the calling thread)\n", call_s, opt.events / call_s);
    std::printf("  delivered:        %llu events in %.3f s, first call to flush complete%s\n",
                static_cast<unsigned long long>(s.delivered), total_s, fr.complete ? "" : " (flush INCOMPLETE)");
    std::printf("  throughput:       %.0f events/s delivered\n", s.delivered / total_s);
    std::printf("  accepted:         %llu\n", static_cast<unsigned long long>(s.accepted));
    std::printf("  dropped:          %llu (queue_full %llu), failed %llu, error reports %llu\n",
                static_cast<unsigned long long>(s.dropped), static_cast<unsigned long long>(full),
                static_cast<unsigned long long>(s.failed), static_cast<unsigned long long>(error_reports.load()));
    if (collector)
        std::printf("  collector:        %zu unique, %zu duplicates, %zu requests, %zu connections\n", cs.unique,
                    cs.duplicates, cs.requests, cs.connections);
    if (!opt.spool.empty())
        std::printf("  spool:            %s: %llu recovered at start, %llu segments trimmed, %llu unspooled\n",
                    opt.spool.c_str(), static_cast<unsigned long long>(s.spool_recovered),
                    static_cast<unsigned long long>(s.spool_trimmed),
                    static_cast<unsigned long long>(s.spool_unspooled));
    if (!opt.plan.empty())
        std::printf("  tracking plan:    %s: %llu violations, %llu unplanned\n", opt.plan.c_str(),
                    static_cast<unsigned long long>(s.plan_violations),
                    static_cast<unsigned long long>(s.unplanned_events));
    std::printf("  batches:          %llu sent, %llu delivered, %llu events retried\n",
                static_cast<unsigned long long>(s.batches_sent), static_cast<unsigned long long>(s.batches_delivered),
                static_cast<unsigned long long>(s.retried));
    std::printf("  bytes on wire:    %llu (%.1f bytes/event%s)\n", static_cast<unsigned long long>(s.bytes_sent),
                s.delivered ? static_cast<double>(s.bytes_sent) / s.delivered : 0.0, opt.gzip ? ", gzip" : "");
    std::printf("  peak RSS:         %.1f MiB (client process%s)\n", peak_rss_kib() / 1024.0,
                collector ? "; the collector runs in a child" : "");

    const auto left = client->close(std::chrono::seconds(10));
    if (!left.empty()) std::printf("  returned by close: %zu\n", left.size());
    const bool books = fr.complete && s.accepted == s.delivered;
    const bool ok = collector ? books && cs.duplicates == 0 && cs.unique == s.delivered : books;
    return ok ? 0 : 1;
}
