// close() under faults: within its timeout whatever the collector does, everything undelivered
// handed back; after spdlog::shutdown(); and clients destroyed at process exit.
#include "pipeline.h"

#include <doctest/doctest.h>

#include <seglog/seglog.h>

#include <spdlog/async.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>

using namespace std::chrono_literals;
using namespace seglog_test;
using seglog::reason;
using seglog::loopback::reply;

namespace {

// --- static destruction: run in a fresh process (the test execs itself with this variable)
// so that spdlog's registry is older than anything seglog creates, as in a real service
// whose logging is set up before its analytics.
const int static_destruction_child = [] {
    const char *url = std::getenv("SEGLOG_FAULTS_STATIC_CHILD");
    if (!url) return 0;
    auto logger = std::make_shared<spdlog::logger>("static-child", std::make_shared<spdlog::sinks::null_sink_mt>());
    spdlog::register_logger(logger); // spdlog's registry exists before seglog's statics
    seglog::config cfg = segment_config(url);
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
TEST_SUITE("close") {

TEST_CASE("close with the API down: returns within its timeout, with everything; twice") {
    pipeline p;
    p.col.stop();
    p.cfg.max_attempts = 1000;
    seglog::client &c = p.start();
    p.track_n(300);
    const auto t0 = std::chrono::steady_clock::now();
    p.close_within(500ms);
    CHECK(std::chrono::steady_clock::now() - t0 < 500ms + k_close_margin);
    CHECK(p.l.returned.size() == 300);
    CHECK(p.l.seqs(p.l.returned).size() == 300);
    const auto before = p.stats();
    CHECK(c.close(1s).empty()); // twice: nothing more
    CHECK_FALSE(p.push(300));   // closed: refused and counted
    CHECK(p.stats().by_reason[static_cast<int>(reason::closed)] == 1);
    CHECK(p.stats().returned == before.returned);
    p.reconcile({false, xrc::at_least});
}

TEST_CASE("close cuts backoff short: one more attempt each, then everything left comes back") {
    pipeline p;
    p.col.set_default(503);
    p.cfg.max_attempts = 1000;
    p.cfg.max_in_flight = 1;
    p.cfg.backoff_base = 2000ms; // backoffs far longer than the close timeout
    p.cfg.backoff_cap = 4000ms;
    seglog::client &c = p.start();
    p.track_n(100);
    c.flush_async();
    REQUIRE(p.wait_until([&] { return p.l.failed_attempts() >= 2; })); // held for 2-4 s now
    p.col.set_default(200); // the API is back, but the client is in a long backoff
    const auto t0 = std::chrono::steady_clock::now();
    p.close_within(1500ms);
    CHECK(std::chrono::steady_clock::now() - t0 < 1500ms + k_close_margin);
    CHECK(p.l.returned.empty());
    CHECK(p.stats().delivered == 100);
    p.reconcile();
}

TEST_CASE("close with requests hanging: in-flight requests aborted and returned") {
    pipeline p;
    p.col.set_default(reply::delayed(20000ms));
    p.cfg.request_timeout = 30000ms;
    seglog::client &c = p.start();
    p.track_n(100);
    c.flush_async();
    REQUIRE(p.wait_until([&] { return p.col.stats().in_flight >= 1; }));
    const auto t0 = std::chrono::steady_clock::now();
    p.close_within(300ms);
    CHECK(std::chrono::steady_clock::now() - t0 < 300ms + k_close_margin);
    CHECK(p.l.returned.size() == 100);
    // The collector notices the hang-up; what it took then is in requests the client gave up on.
    REQUIRE(p.wait_until([&] { return p.col.stats().in_flight == 0; }));
    p.reconcile({true, xrc::exact});
}

TEST_CASE("close after spdlog::shutdown(), and a client owned only by spdlog") {
    pipeline p;
    p.cfg.flush_at = 500;
    p.cfg.flush_interval = 60s; // nothing leaves before shutdown/close

    SUBCASE("client still held: close() after shutdown delivers and returns nothing") {
        auto logger = std::make_shared<spdlog::logger>("faults-shutdown-held",
                                                       std::make_shared<spdlog::sinks::null_sink_mt>());
        spdlog::register_logger(logger);
        auto client = seglog::segment_client(*seglog::attach(*logger, p.cfg));
        REQUIRE(client);
        for (int i = 0; i < 20; ++i) SEGLOG_LOGGER_TRACK(logger, seglog::user("u-1"), "Shutdown Held", {{"seq", i}});
        logger.reset();
        spdlog::shutdown();
        CHECK(client->close(5s).empty());
        CHECK(client->close(5s).empty());
        CHECK(p.col.unique_count() == 20);
        const auto s = client->stats();
        CHECK(s.accepted == 20);
        CHECK(s.delivered == 20);
    }
    SUBCASE("client owned by the sink only: spdlog::shutdown() closes it") {
        auto logger = std::make_shared<spdlog::logger>("faults-shutdown-owned",
                                                       std::make_shared<spdlog::sinks::null_sink_mt>());
        spdlog::register_logger(logger);
        seglog::attach(*logger, p.cfg);
        for (int i = 0; i < 20; ++i) SEGLOG_LOGGER_TRACK(logger, seglog::user("u-1"), "Shutdown Owned", {{"seq", i}});
        logger.reset();
        spdlog::shutdown(); // destroys the sink, the client closes with close_timeout
        CHECK(p.col.unique_count() == 20);
        CHECK(p.col.duplicate_count() == 0);
    }
}

namespace {

// A log sink whose first line blocks spdlog's pool thread until the test opens it: the event
// records logged after it wait in the async queue.
class gate_sink : public spdlog::sinks::base_sink<std::mutex> {
public:
    void open() {
        std::lock_guard<std::mutex> lock(gate_mutex_);
        open_ = true;
        cv_.notify_all();
    }

protected:
    void sink_it_(const spdlog::details::log_msg &) override {
        std::unique_lock<std::mutex> lock(gate_mutex_);
        cv_.wait_for(lock, k_bound, [&] { return open_; });
    }
    void flush_() override {}

private:
    std::mutex gate_mutex_;
    std::condition_variable cv_;
    bool open_ = false;
};

} // namespace

TEST_CASE("async_logger: seglog::shutdown() delivers what waits in spdlog's queue; the wrong order says so") {
    pipeline p;
    p.cfg.flush_at = 500;
    p.cfg.flush_interval = 60s;
    spdlog::init_thread_pool(4096, 1);
    auto gate = std::make_shared<gate_sink>();
    auto logger = std::make_shared<spdlog::async_logger>("faults-async-shutdown", gate, spdlog::thread_pool(),
                                                         spdlog::async_overflow_policy::block);
    spdlog::register_logger(logger);
    auto client = seglog::segment_client(*seglog::attach(*logger, p.cfg));
    REQUIRE(client);
    std::mutex m;
    std::vector<std::string> closed_messages;
    client->on_error([&](const seglog::error &e) {
        std::lock_guard<std::mutex> lock(m);
        if (e.code == reason::closed) closed_messages.push_back(e.message);
    });
    logger->info("the pool thread stops here until the gate opens");
    for (int i = 0; i < 2000; ++i) SEGLOG_LOGGER_TRACK(logger, seglog::user("u-1"), "Queued", {{"seq", i}});
    logger.reset();

    SUBCASE("seglog::shutdown(): every event delivered") {
        gate->open();
        CHECK(seglog::shutdown(5s).empty());
        CHECK(client->closed());
        CHECK(p.col.unique_count() == 2000);
        CHECK(client->stats().delivered == 2000);
        CHECK(client->stats().dropped == 0);
    }
    SUBCASE("close() before spdlog::shutdown(): each event refused as closed, naming seglog::shutdown()") {
        CHECK(client->close(1s).empty());
        gate->open();
        spdlog::shutdown();
        const auto s = client->stats();
        CHECK(s.dropped == 2000);
        CHECK(s.by_reason[static_cast<int>(reason::closed)] == 2000);
        std::lock_guard<std::mutex> lock(m);
        REQUIRE(closed_messages.size() == 2000);
        CHECK(closed_messages.front().find("seglog::shutdown()") != std::string::npos);
    }
}

TEST_CASE("static destruction order: clients destroyed at exit deliver what they hold") {
    seglog::loopback::collector col;
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
