#pragma once
// demux_sink: one spdlog sink in front of two groups. Event records go to the event sinks;
// every other record goes to the log sinks exactly as if they were attached to the logger
// directly (each keeps its own level, pattern and flush behaviour).

#include <seglog/record.h>
#include <seglog/redaction.h>

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/sink.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace seglog {

namespace detail {
// Marks sinks that route event records, so a logger can be checked for one.
class event_router {
public:
    virtual ~event_router() = default;
    // The rules the macros apply to events logged through this router (nullptr: none). Held
    // by the sink, so it lives as long as the logger can log through it.
    const redactor *redaction() const noexcept { return redaction_.get(); }

protected:
    std::shared_ptr<const redactor> redaction_;
};
// One readable line for an event record (development rendering); no write key, ever.
std::string render_event_line(std::string_view record);
} // namespace detail

template <typename Mutex>
class demux_sink final : public spdlog::sinks::sink, public detail::event_router {
public:
    // echo_events: also render each event as one readable info line to the log sinks.
    // redaction: the rules applied to events logged through this sink's logger, before any
    // event sink sees them (redactor::from_config(cfg); attach() passes cfg's).
    demux_sink(std::vector<spdlog::sink_ptr> log_sinks, std::vector<spdlog::sink_ptr> event_sinks,
               bool echo_events = false, std::shared_ptr<const redactor> redaction = nullptr)
        : log_sinks_(std::move(log_sinks)), event_sinks_(std::move(event_sinks)), echo_(echo_events) {
        redaction_ = std::move(redaction);
    }

    // The sink lists are fixed at construction, so routing takes no lock of its own: each
    // child sink serialises itself (an _mt sink locks, an _st one does not).
    void log(const spdlog::details::log_msg &msg) override {
        if (is_event_record(msg)) {
            for (auto &s : event_sinks_) s->log(msg);
            if (echo_) echo(msg);
            return;
        }
        for (auto &s : log_sinks_)
            if (s->should_log(msg.level)) s->log(msg);
    }

    void flush() override {
        for (auto &s : log_sinks_) s->flush();
        for (auto &s : event_sinks_) s->flush();
    }

    // Patterns and formatters are for log lines: event records are written as JSON.
    void set_pattern(const std::string &pattern) override {
        std::lock_guard<Mutex> lock(mutex_);
        for (auto &s : log_sinks_) s->set_pattern(pattern);
    }
    void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
        std::lock_guard<Mutex> lock(mutex_);
        for (auto &s : log_sinks_) s->set_formatter(formatter->clone());
    }

    const std::vector<spdlog::sink_ptr> &log_sinks() const noexcept { return log_sinks_; }
    const std::vector<spdlog::sink_ptr> &event_sinks() const noexcept { return event_sinks_; }
    bool echo_events() const noexcept { return echo_; }

private:
    void echo(const spdlog::details::log_msg &msg) {
        const std::string line = detail::render_event_line(event_json(msg));
        spdlog::details::log_msg copy(msg.time, spdlog::source_loc{}, msg.logger_name,
                                      spdlog::level::info, line);
        copy.thread_id = msg.thread_id;
        for (auto &s : log_sinks_)
            if (s->should_log(copy.level)) s->log(copy);
    }

    Mutex mutex_;
    const std::vector<spdlog::sink_ptr> log_sinks_;
    const std::vector<spdlog::sink_ptr> event_sinks_;
    const bool echo_;
};

using demux_sink_mt = demux_sink<std::mutex>;
using demux_sink_st = demux_sink<spdlog::details::null_mutex>;

} // namespace seglog
