#pragma once
// Test helper for the foundation suites: a sink that keeps what it receives, so tests can
// assert on routing. Thread-safe; wait_for() waits on a condition with a deadline (no sleeps).

#include <seglog/error.h>
#include <seglog/record.h>

#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/sink.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace seglog_test {

struct received {
    bool event = false; // seglog::is_event_record()
    spdlog::level::level_enum level{};
    std::string payload;   // msg.payload, as is
    std::string formatted; // through this sink's formatter, without the newline
};

class collecting_sink final : public spdlog::sinks::sink {
public:
    collecting_sink()
        : formatter_(std::make_unique<spdlog::pattern_formatter>("%v", spdlog::pattern_time_type::local, "")) {}

    void log(const spdlog::details::log_msg &msg) override {
        received r;
        r.event = seglog::is_event_record(msg);
        r.level = msg.level;
        r.payload.assign(msg.payload.data(), msg.payload.size());
        {
            std::lock_guard<std::mutex> lock(mutex_);
            spdlog::memory_buf_t buf;
            formatter_->format(msg, buf);
            r.formatted.assign(buf.data(), buf.size());
            items_.push_back(std::move(r));
        }
        cv_.notify_all();
    }
    void flush() override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            ++flushes_;
        }
        cv_.notify_all();
    }
    void set_pattern(const std::string &pattern) override {
        set_formatter(std::make_unique<spdlog::pattern_formatter>(pattern, spdlog::pattern_time_type::local, ""));
    }
    void set_formatter(std::unique_ptr<spdlog::formatter> f) override {
        std::lock_guard<std::mutex> lock(mutex_);
        formatter_ = std::move(f);
    }

    std::vector<received> items() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return items_;
    }
    std::vector<std::string> payloads() const {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<std::string> out;
        for (const auto &r : items_) out.push_back(r.payload);
        return out;
    }
    std::size_t size() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return items_.size();
    }
    int flushes() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return flushes_;
    }
    // Waits until `pred` holds (checked under the sink's lock) or the deadline passes.
    bool wait_for(const std::function<bool(const std::vector<received> &, int flushes)> &pred,
                  std::chrono::seconds deadline = std::chrono::seconds(60)) const {
        std::unique_lock<std::mutex> lock(mutex_);
        return cv_.wait_for(lock, deadline, [&] { return pred(items_, flushes_); });
    }

private:
    mutable std::mutex mutex_;
    mutable std::condition_variable cv_;
    std::unique_ptr<spdlog::formatter> formatter_;
    std::vector<received> items_;
    int flushes_ = 0;
};

// Collects call-site errors for the duration of a test, then restores the default handler.
class error_capture {
public:
    error_capture() {
        seglog::set_error_handler([this](const seglog::error &e) {
            std::lock_guard<std::mutex> lock(mutex_);
            errors_.push_back(e);
        });
    }
    ~error_capture() { seglog::set_error_handler({}); }
    error_capture(const error_capture &) = delete;
    error_capture &operator=(const error_capture &) = delete;

    std::vector<seglog::error> errors() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return errors_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<seglog::error> errors_;
};

} // namespace seglog_test
