// `seglog collector`: the loopback collector (collector/) as a command. Prints one
// line per request and a summary on SIGINT/SIGTERM.
#include "cli.h"
#include "collector.h"
#include "commands.h"
#include "live_page.h"
#include "plan/checker.h"

#include <seglog/config.h>

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>

namespace seglog::tools {

namespace {

std::string now_text() {
    using namespace std::chrono;
    auto now = system_clock::now();
    std::time_t t = system_clock::to_time_t(now);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03d", buf, static_cast<int>(ms));
    return out;
}

struct command_options {
    loopback::collector_options opt;
    double fail_ratio = 0;
    int status = 0; // 0: not given
    std::uint32_t seed = 42;
    std::string retry_after, out_path;
    double delay_ms = 0;
    bool quiet = false;
    bool ui = false;
    std::size_t ui_max = 1000;
    std::string plan_path;
};

// The command line into `o`: -1 to go on, else the exit status (0 for --help, 2 for a mistake).
int parse_args(int argc, char **argv, command_options &o) {
    CLI::App app("Listens for Segment HTTP Tracking API calls (POST /v1/batch, ...) and prints one line\n"
                 "per request; prints a summary on Ctrl-C (SIGINT) or SIGTERM.",
                 "seglog collector");
    bool no_limits = false;
    app.add_option("--port", o.opt.port, "port to listen on (default 0: any free port, printed at start)")
        ->option_text("N")
        ->check(CLI::Range(0, 65535));
    app.add_option("--host", o.opt.host, "address to bind (default 127.0.0.1)")->option_text("ADDR");
    app.add_option("--status", o.status,
                   "status of failed answers (default 500); without --fail-ratio, every request is answered S")
        ->option_text("S")
        ->check(CLI::Range(100, 599));
    app.add_option("--fail-ratio", o.fail_ratio, "answer a fraction R (0..1) of requests with --status")
        ->option_text("R")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--seed", o.seed, "seed of the --fail-ratio draws (default 42)")->option_text("N");
    app.add_option("--retry-after", o.retry_after, "add 'Retry-After: V' to failed answers")->option_text("V");
    app.add_option("--delay-ms", o.delay_ms, "wait D ms before every answer")
        ->option_text("D")
        ->check(CLI::NonNegativeNumber);
    app.add_flag("--gzip-ok", o.opt.accept_gzip,
                 "accept Content-Encoding: gzip (default: refuse with 415, as some Segment-compatible "
                 "collectors do)");
    app.add_flag("--no-limits", no_limits,
                 "do not enforce Segment's limits (500 KB/batch, 32 KB/event, 2500 events/batch; over them "
                 "the answer is 400)");
    app.add_option("--out", o.out_path, "append every accepted event (2xx) to FILE, one JSON per line")
        ->option_text("FILE");
    app.add_flag("--quiet", o.quiet, "no per-request lines, only the summary");
    app.add_option("--write-key", o.opt.write_key,
                   "answer 401 to requests that do not carry this write key (default: any key is accepted)")
        ->option_text("K");
    app.add_flag("--ui", o.ui, "serve a live page of the events at / (open the printed address)");
    app.add_option("--ui-max", o.ui_max, "events the live page keeps, older ones dropped (default 1000)")
        ->option_text("N")
        ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
    app.add_option("--plan", o.plan_path, "with --ui: check each event against this tracking plan")
        ->option_text("FILE");
    if (int status = parse(app, argc, argv); status >= 0) return status;
    if (no_limits) o.opt.segment_limits = false;
    if (!o.plan_path.empty() && !o.ui) {
        std::fprintf(stderr, "seglog collector: --plan needs --ui\n");
        return 2;
    }
    return -1;
}

// The live page's options: --ui-max, and the --plan check of each event.
loopback::live_options live_options_of(const command_options &o,
                                       const std::shared_ptr<const detail::plan::checker> &plan) {
    loopback::live_options live;
    live.max_events = o.ui_max;
    if (!plan) return live;
    live.plan = o.plan_path;
    live.validate = [plan](const nlohmann::json &event) {
        auto type = event.is_object() ? event.find("type") : event.end();
        if (!event.is_object() || type == event.end() || !type->is_string())
            return nlohmann::json{{"valid", false}, {"errors", "not a Segment event (\"type\" missing)"}};
        detail::plan::check_result result;
        const bool valid = plan->check(event, &result);
        return nlohmann::json{{"valid", valid}, {"errors", valid ? "" : result.describe()}};
    };
    return live;
}

// What the collector answers: --status to a --fail-ratio share of requests (or to all of them
// without one), each answer after --delay-ms.
void script_answers(loopback::collector &c, const command_options &o) {
    const auto delay = std::chrono::milliseconds(static_cast<long long>(o.delay_ms));
    loopback::reply failure(o.status ? o.status : 500);
    failure.retry_after = o.retry_after;
    failure.delay = delay;
    if (o.fail_ratio > 0) {
        c.fail_ratio(o.fail_ratio, failure, static_cast<std::uint32_t>(o.seed));
        c.set_default(loopback::reply::delayed(delay));
    } else {
        c.set_default(o.status ? failure : loopback::reply::delayed(delay));
    }
}

// The per-request side of the command: counts by answer, the --out file and the printed lines.
// Server threads answer concurrently, so each request is taken under one lock.
struct request_log {
    std::ofstream &out;
    bool quiet;
    std::mutex mutex{};
    std::size_t ok = 0, client_errors = 0, server_errors = 0, resets = 0;

    void take(const loopback::request &r) {
        std::lock_guard<std::mutex> lk(mutex);
        const bool accepted = !r.reset && r.status >= 200 && r.status < 300;
        if (r.reset) ++resets;
        else if (accepted) ++ok;
        else if (r.status >= 500) ++server_errors;
        else ++client_errors;
        if (accepted && out.is_open() && r.json_valid) write_events(r);
        if (!quiet) print(r);
    }
    // Each event of an accepted request, one JSON per line.
    void write_events(const loopback::request &r) {
        auto batch = r.json.find("batch");
        if (batch != r.json.end() && batch->is_array()) {
            for (auto &e : *batch) out << e.dump() << '\n';
        } else if (r.events == 1) { // a single-event call (/v1/track, ...)
            out << r.json.dump() << '\n';
        }
        out.flush();
    }
    static void print(const loopback::request &r) {
        std::string answer = r.reset ? "reset" : std::to_string(r.status);
        std::string size = std::to_string(r.wire_bytes) + " bytes";
        const std::string encoding = r.header("Content-Encoding");
        if (!encoding.empty())
            size += " " + encoding + (r.body.empty() ? "" : " (" + std::to_string(r.body.size()) + " decoded)");
        std::string dups = r.duplicates ? " duplicates=" + std::to_string(r.duplicates) : "";
        std::printf("%s %s %s %s events=%zu%s %s%s\n", now_text().c_str(), r.method.c_str(), r.path.c_str(),
                    answer.c_str(), r.events, dups.c_str(), size.c_str(), r.client_gone ? " (client gone)" : "");
        std::fflush(stdout);
    }
};

} // namespace

int collector_main(int argc, char **argv) {
    command_options o;
    o.opt.accept_gzip = false;
    o.opt.record_bodies = false;
    o.opt.keep_requests = false; // a long run must not grow with every request
    o.opt.threads = 16;
    if (int status = parse_args(argc, argv, o); status >= 0) return status;

    std::shared_ptr<const detail::plan::checker> plan;
    if (!o.plan_path.empty()) {
        try {
            plan = std::make_shared<const detail::plan::checker>(detail::plan::checker::load(o.plan_path));
        } catch (const seglog::config_error &e) {
            std::fprintf(stderr, "seglog collector: %s\n", e.what());
            return 2;
        }
    }
    // Declared before the collector, whose routes call it.
    std::unique_ptr<loopback::live_feed> feed;
    if (o.ui) {
        feed = std::make_unique<loopback::live_feed>(live_options_of(o, plan));
        o.opt.routes = [&feed](httplib::Server &s) { feed->add_routes(s); };
    }

    std::ofstream out;
    if (!o.out_path.empty()) {
        out.open(o.out_path, std::ios::app);
        if (!out) {
            std::fprintf(stderr, "seglog collector: cannot open %s\n", o.out_path.c_str());
            return 1;
        }
    }

    // Block the signals before any thread starts, so that every server thread inherits the
    // mask and sigwait() below is the only place they are delivered.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

    std::unique_ptr<loopback::collector> c;
    try {
        c = std::make_unique<loopback::collector>(o.opt);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "seglog collector: %s\n", e.what());
        return 1;
    }
    script_answers(*c, o);
    request_log log{out, o.quiet};
    c->on_request([&log, &feed](const loopback::request &r) {
        log.take(r);
        if (feed) feed->take(r);
    });

    std::printf("seglog collector listening on %s (POST %s/v1/batch); Ctrl-C for a summary\n", c->url().c_str(),
                c->url().c_str());
    if (feed) std::printf("live page: %s/\n", c->url().c_str());
    std::fflush(stdout);

    int sig = 0;
    sigwait(&sigs, &sig);
    if (feed) feed->close(); // the open pages' streams end, so stop() need not wait on them
    c->stop();

    auto s = c->stats();
    c.reset(); // stopped: no more callbacks into the locals above
    std::printf("\nsummary: requests=%zu (2xx=%zu 4xx=%zu 5xx=%zu reset=%zu) events=%zu "
                "unique=%zu duplicates=%zu connections=%zu bytes=%llu\n",
                s.requests, log.ok, log.client_errors, log.server_errors, log.resets, s.events, s.unique, s.duplicates,
                s.connections, static_cast<unsigned long long>(s.bytes));
    std::fflush(stdout);
    return 0;
}

} // namespace seglog::tools
