// The guard of src/bridge/spdlog_seam.h, the one file that uses spdlog beyond its public API.
// Each case is something seglog relies on; one fails when a newer spdlog changes it, and the
// seam (not the rest of seglog) is what must then be adapted.
#include <doctest/doctest.h>

#include "async_logging.h"
#include "bridge/spdlog_seam.h"

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

// Keeps each record's payload and the thread that delivered it; counts flushes.
class recording_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    struct item {
        std::string payload;
        std::thread::id thread;
    };
    std::vector<item> items() {
        std::lock_guard<std::mutex> lock(mutex_);
        return items_;
    }
    int flushes() {
        std::lock_guard<std::mutex> lock(mutex_);
        return flushes_;
    }
    bool wait_for_items(std::size_t n) {
        std::unique_lock<std::mutex> lock(this->mutex_);
        return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return items_.size() >= n; });
    }

protected:
    void sink_it_(const spdlog::details::log_msg &msg) override {
        items_.push_back({std::string(msg.payload.data(), msg.payload.size()), std::this_thread::get_id()});
        cv_.notify_all();
    }
    void flush_() override { ++flushes_; }

private:
    std::condition_variable_any cv_;
    std::vector<item> items_;
    int flushes_ = 0;
};

spdlog::details::log_msg record(const char *logger_name, spdlog::level::level_enum level, const char *text) {
    return spdlog::details::log_msg(spdlog::source_loc{}, logger_name, level, text);
}

} // namespace

using seglog::detail::spdlog_seam::report_error;
using seglog::detail::spdlog_seam::sink_record;

TEST_CASE("sink_it_: each sink whose level lets the record through; level::off passes off, never flushes") {
    auto quiet = std::make_shared<recording_sink>();
    auto warn_only = std::make_shared<recording_sink>();
    quiet->set_level(spdlog::level::off);
    warn_only->set_level(spdlog::level::warn);
    spdlog::logger logger("seam", {quiet, warn_only});
    logger.set_level(spdlog::level::off);
    logger.flush_on(spdlog::level::trace); // every level would flush, except off

    sink_record(logger, record("seam", spdlog::level::off, "the event"));
    CHECK(quiet->flushes() == 0);
    CHECK(warn_only->flushes() == 0);
    sink_record(logger, record("seam", spdlog::level::info, "a line below warn"));

    const auto q = quiet->items();
    REQUIRE(q.size() == 1);
    CHECK(q[0].payload == "the event");
    const auto w = warn_only->items();
    REQUIRE(w.size() == 1);
    CHECK(w[0].payload == "the event");
    CHECK(quiet->flushes() == 1); // flush_on still works for the levels it names
}

TEST_CASE("sink_it_ of an async_logger queues the record for the thread pool's thread") {
    auto sink = std::make_shared<recording_sink>();
    seglog_test::async_logging async("seam-async", sink, 16);

    sink_record(*async.logger, record("seam-async", spdlog::level::off, "queued"));
    REQUIRE(sink->wait_for_items(1));
    const auto items = sink->items();
    CHECK(items[0].payload == "queued");
    const bool on_pool_thread = items[0].thread != std::this_thread::get_id();
    CHECK(on_pool_thread);
}

TEST_CASE("sink_it_ leaves the backtrace ring alone") {
    auto sink = std::make_shared<recording_sink>();
    spdlog::logger logger("seam-backtrace", sink);
    logger.enable_backtrace(8);
    sink_record(logger, record("seam-backtrace", spdlog::level::off, "the event"));
    logger.info("a line");   // log() writes it and keeps a copy in the ring
    logger.dump_backtrace(); // the ring, between two banner lines
    std::vector<std::string> payloads;
    for (const auto &i : sink->items()) payloads.push_back(i.payload);
    REQUIRE(payloads.size() == 5);
    CHECK(payloads[0] == "the event");
    CHECK(payloads[1] == "a line");
    CHECK(payloads[2].find("Backtrace Start") != std::string::npos);
    CHECK(payloads[3] == "a line");
    CHECK(payloads[4].find("Backtrace End") != std::string::npos);
}

TEST_CASE("err_handler_ reaches the handler set by set_error_handler") {
    spdlog::logger logger("seam-errors");
    std::vector<std::string> seen;
    logger.set_error_handler([&](const std::string &text) { seen.push_back(text); });
    report_error(logger, "a sink failed [seglog-event-record(0)]");
    CHECK(seen == std::vector<std::string>{"a sink failed [seglog-event-record(0)]"});
}
