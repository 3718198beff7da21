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
    // The sink that takes this router's events straight from the macros, or nullptr: set when
    // the only event sink is a record_target and nothing is echoed, so it is all routing does.
    record_target *direct_target() const noexcept { return direct_; }

protected:
    std::shared_ptr<const redactor> redaction_;
    record_target *direct_ = nullptr; // owned through the router's event sinks
};
// One readable line for an event record (development rendering); no write key, ever.
std::string render_event_line(std::string_view record);

// What sink::should_log(level) answers, read inline: should_log is compiled into libspdlog, and
// a call through its PLT for every line and every sink was a third of what the demux cost a
// line. The level is sink's protected member, named here through a derived class.
struct sink_level_access : spdlog::sinks::sink {
    static const spdlog::level_t &of(const spdlog::sinks::sink &s) noexcept { return s.*(&sink_level_access::level_); }
};
inline bool sink_accepts(const spdlog::sinks::sink &s, spdlog::level::level_enum level) noexcept {
    return level >= sink_level_access::of(s).load(std::memory_order_relaxed);
}
} // namespace detail

template <typename Mutex>
class demux_sink final : public spdlog::sinks::sink, public detail::event_router {
public:
    // echo_events: also render each event as one readable info line to the log sinks.
    // redaction: the rules applied to events logged through this sink's logger, before any
    // event sink sees them (redactor::from_config(cfg); attach() passes cfg's).
    demux_sink(std::vector<spdlog::sink_ptr> log_sinks, std::vector<spdlog::sink_ptr> event_sinks,
               bool echo_events = false, std::shared_ptr<const redactor> redaction = nullptr)
        : log_sinks_(std::move(log_sinks)), event_sinks_(std::move(event_sinks)), echo_(echo_events),
          only_log_sink_(log_sinks_.size() == 1 ? log_sinks_.front().get() : nullptr) {
        redaction_ = std::move(redaction);
        if (event_sinks_.size() == 1 && !echo_) direct_ = dynamic_cast<detail::record_target *>(event_sinks_[0].get());
    }

    // The sink lists are fixed at construction, so routing takes no lock of its own: each
    // child sink serialises itself (an _mt sink locks, an _st one does not). Every ordinary
    // line passes here, so this part stays small: events and echo go out of line.
    void log(const spdlog::details::log_msg &msg) override {
        if (is_event_record(msg)) return route_event(msg);
        if (only_log_sink_) { // the usual set-up: one log sink, reached by a tail call
            if (detail::sink_accepts(*only_log_sink_, msg.level)) only_log_sink_->log(msg);
            return;
        }
        route_lines(msg);
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
#if defined(__GNUC__)
    __attribute__((noinline))
#endif
    void route_lines(const spdlog::details::log_msg &msg) {
        for (auto &s : log_sinks_)
            if (detail::sink_accepts(*s, msg.level)) s->log(msg);
    }
#if defined(__GNUC__)
    __attribute__((noinline))
#endif
    void route_event(const spdlog::details::log_msg &msg) {
        for (auto &s : event_sinks_) s->log(msg);
        if (echo_) echo(msg);
    }

    void echo(const spdlog::details::log_msg &msg) {
        const std::string line = detail::render_event_line(event_json(msg));
        spdlog::details::log_msg copy(msg.time, spdlog::source_loc{}, msg.logger_name,
                                      spdlog::level::info, line);
        copy.thread_id = msg.thread_id;
        route_lines(copy);
    }

    Mutex mutex_;
    const std::vector<spdlog::sink_ptr> log_sinks_;
    const std::vector<spdlog::sink_ptr> event_sinks_;
    const bool echo_;
    spdlog::sinks::sink *const only_log_sink_; // log_sinks_[0] when it is the only one
};

using demux_sink_mt = demux_sink<std::mutex>;
using demux_sink_st = demux_sink<spdlog::details::null_mutex>;

} // namespace seglog
