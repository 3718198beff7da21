// health-service: the HTTP API of a health-services companion app (sign up, care requests, risk
// assessments), logging and tracking through one spdlog logger with seglog. README.md walks
// through one request, line by line.
//
//   health_service --config examples/service/seglog.json --plan examples/plans/health.json
//                  --env development --port 8080
//
// The wiring, in order: the configuration (a file with one profile per environment), an
// spdlog::async_logger with a console sink and a rotating file sink, seglog::attach() on it,
// the HTTP server, and on SIGTERM or SIGINT a shutdown that loses nothing accepted.
#include "api.h"

#include <seglog/seglog.h>

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <spdlog/async.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

namespace {

struct options {
    std::string host = "127.0.0.1";
    int port = 8080;
    std::string config_file; // empty: SEGLOG_CONFIG
    std::string environment; // empty: SEGLOG_ENV, APP_ENV, ENVIRONMENT, the file's default
    std::string plan_file;   // empty: SEGLOG_TRACKING_PLAN, the file's tracking_plan
    std::string log_file = "health-service.log";
    std::size_t log_max_bytes = 10 * 1024 * 1024;
    std::size_t log_files = 3;
    std::string undelivered_file = "undelivered-events.jsonl";
};

// seglog reads its configuration from the environment (SEGLOG_CONFIG, SEGLOG_ENV, SEGMENT_HOST,
// SEGMENT_WRITE_KEY, SEGLOG_SPOOL_DIR...); the command line's --config, --env and --plan stand
// in for three of those variables, so both ways of running the service read the same file.
seglog::config read_config(const options &o) {
    const auto read_env = [&o](const std::string &name) -> std::optional<std::string> {
        if (name == "SEGLOG_CONFIG" && !o.config_file.empty()) return o.config_file;
        if (name == "SEGLOG_ENV" && !o.environment.empty()) return o.environment;
        if (name == "SEGLOG_TRACKING_PLAN" && !o.plan_file.empty()) return o.plan_file;
        const char *v = std::getenv(name.c_str());
        if (!v) return std::nullopt;
        return std::string(v);
    };
    return seglog::config::from_env(read_env, seglog::config{});
}

// The events close() handed back (only those the spool could not keep, or all of them without
// a spool), as JSON lines that `seglog replay FILE` sends later with their messageIds.
void keep_undelivered(const std::vector<std::string> &events, const std::string &path) {
    if (events.empty()) return;
    std::ofstream out(path, std::ios::app);
    for (const auto &e : events) out << e << '\n';
    out.flush();
    if (out)
        std::printf("health-service: %zu events not delivered, appended to %s (send them with `seglog replay %s`)\n",
                    events.size(), path.c_str(), path.c_str());
    else
        std::fprintf(stderr, "health-service: %zu events not delivered and %s cannot be written\n", events.size(),
                     path.c_str());
}

} // namespace

int main(int argc, char **argv) {
    options o;
    CLI::App app("health-service: a seglog example, an HTTP API of a health-services companion app");
    app.add_option("--host", o.host, "address to listen on (default 127.0.0.1)");
    app.add_option("--port", o.port, "port to listen on (default 8080; 0: any free port, printed at start)")
        ->check(CLI::Range(0, 65535));
    app.add_option("--config", o.config_file, "seglog's configuration file (default: $SEGLOG_CONFIG)");
    app.add_option("--env", o.environment, "the configuration's profile (default: $SEGLOG_ENV, then the file's)");
    app.add_option("--plan", o.plan_file,
                   "the tracking plan events are checked against (default: $SEGLOG_TRACKING_PLAN)");
    app.add_option("--log-file", o.log_file, "the rotating log file (default health-service.log)");
    app.add_option("--log-max-bytes", o.log_max_bytes, "size of a log file before it rotates (default 10 MiB)")
        ->check(CLI::PositiveNumber);
    app.add_option("--log-files", o.log_files, "rotated log files kept (default 3)")->check(CLI::PositiveNumber);
    app.add_option("--undelivered", o.undelivered_file,
                   "where events not delivered at shutdown are appended, when no spool keeps them");
    CLI11_PARSE(app, argc, argv);

    // SIGTERM and SIGINT are taken by a thread of ours with sigwait(), so they are blocked here,
    // before any thread starts (spdlog's, seglog's worker, the server's): every thread inherits
    // the mask and none of them is interrupted. A closed connection is an error, not a signal.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGUSR1); // ours: wakes the waiter when the server ends by itself
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    std::shared_ptr<spdlog::async_logger> logger;
    std::shared_ptr<seglog::demux_sink_mt> demux;
    seglog::config cfg;
    try {
        cfg = read_config(o);
        // The plan's x-phi marks are what say which properties are health data: without it,
        // those events would not be kept to the covered destinations.
        if (cfg.tracking_plan.empty() && !cfg.effective_destinations().empty()) {
            std::fprintf(stderr, "health-service: no tracking plan (--plan or SEGLOG_TRACKING_PLAN): it says which "
                                 "properties are health data, to be kept to covered destinations\n");
            return 2;
        }
        // Log lines: the console and a rotating file, written by spdlog's thread (an
        // async_logger). A full queue blocks the caller rather than dropping: an event record
        // travels in the same queue.
        spdlog::init_thread_pool(8192, 1);
        auto console = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();
        auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(o.log_file, o.log_max_bytes, o.log_files);
        logger = std::make_shared<spdlog::async_logger>("health", spdlog::sinks_init_list{console, file},
                                                        spdlog::thread_pool(), spdlog::async_overflow_policy::block);
        // Each line reaches the file (and a piped console) when spdlog's thread writes it; a busier
        // service would flush on a timer (spdlog::flush_every) instead.
        logger->flush_on(spdlog::level::info);
        spdlog::register_logger(logger);
        // Events: the destinations of the profile in force, behind a demux sink that keeps them out
        // of the console and the file.
        demux = seglog::attach(*logger, cfg);
        spdlog::set_default_logger(logger);
    } catch (const seglog::config_error &e) {
        std::fprintf(stderr, "health-service: %s\n", e.what());
        return 2;
    } catch (const spdlog::spdlog_ex &e) {
        std::fprintf(stderr, "health-service: log file %s: %s\n", o.log_file.c_str(), e.what());
        return 2;
    }

    health::api api(*logger);
    httplib::Server server;
    api.install(server);
    const int port = o.port == 0 ? server.bind_to_any_port(o.host)
                                 : (server.bind_to_port(o.host, o.port) ? o.port : -1);
    if (port < 0) {
        logger->error("cannot listen on {}:{}", o.host, o.port);
        seglog::shutdown(cfg.close_timeout);
        return 1;
    }
    logger->info("health-service listening on http://{}:{} (environment {})", o.host, port,
                 cfg.environment.empty() ? "unnamed" : cfg.environment);

    std::atomic<bool> server_ended{false}, signalled{false};
    std::thread stopper([&] {
        int sig = 0;
        do {
            sigwait(&stop_signals, &sig);
        } while (sig == SIGUSR1 && !server_ended);
        if (sig == SIGUSR1) return;
        signalled = true;
        logger->info("{} received: no new requests, finishing those under way", strsignal(sig));
        // stop() before listen_after_bind() has begun would be lost: wait until the server runs.
        while (!server_ended && !server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        server.stop();
    });
    // Returns once stop() has run and every request under way has had its answer: after this,
    // no handler tracks anything.
    server.listen_after_bind();
    server_ended = true;
    const bool by_signal = signalled;
    if (!by_signal) {
        pthread_kill(stopper.native_handle(), SIGUSR1);
        logger->error("the server stopped by itself");
    }
    stopper.join();

    // Everything accepted is delivered or kept: spdlog's queue is drained into the sinks (events
    // reach seglog's queue), then each client sends what it holds within close_timeout; what is
    // left stays in the spool, or is handed back to be written out.
    const auto client = seglog::segment_client(*demux);
    logger->info("stopped; delivering pending events (up to {} ms)", cfg.close_timeout.count());
    logger.reset();
    demux.reset();
    const std::vector<std::string> returned = seglog::shutdown(cfg.close_timeout);
    if (client) {
        std::printf("health-service: events: %s\n", client->summary().c_str());
        const seglog::stats s = client->stats();
        if (s.spool_left)
            std::printf("health-service: %llu events left in the spool %s: the next start sends them\n",
                        static_cast<unsigned long long>(s.spool_left), cfg.spool_dir.c_str());
    }
    keep_undelivered(returned, o.undelivered_file);
    std::printf("health-service: stopped\n");
    return by_signal ? 0 : 1;
}
