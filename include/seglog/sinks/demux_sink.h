#pragma once
// demux_sink: one spdlog sink in front of two groups. Event records go to the event sinks;
// every other record goes to the log sinks exactly as if they were attached to the logger
// directly (each keeps its own level, pattern and flush behaviour).
//
// The member functions are compiled into libseglog for demux_sink_mt and demux_sink_st (as
// spdlog's compiled library does for its sinks), so this header stays light.

#include <seglog/export.h>
#include <seglog/record.h>
#include <seglog/redaction.h>

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/sink.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace seglog {

template <typename Mutex>
class SEGLOG_API demux_sink final : public spdlog::sinks::sink, public detail::event_router {
public:
    // echo_events: also render each event as one readable info line to the log sinks.
    // redaction: the rules applied to events logged through this sink's logger, before any
    // event sink sees them (redactor::from_config(cfg); attach() passes cfg's).
    // max_event_bytes: the largest event the macros write for this sink's logger
    // (cfg.max_event_bytes; attach() passes it); a larger one is refused as event_too_large.
    demux_sink(std::vector<spdlog::sink_ptr> log_sinks, std::vector<spdlog::sink_ptr> event_sinks,
               bool echo_events = false, std::shared_ptr<const redactor> redaction = nullptr,
               std::size_t max_event_bytes = default_max_event_bytes);

    // The sink lists are fixed at construction, so routing takes no lock of its own: each
    // child sink serialises itself (an _mt sink locks, an _st one does not).
    void log(const spdlog::details::log_msg &msg) override;
    void flush() override;
    // Patterns and formatters are for log lines: event records are written as JSON.
    void set_pattern(const std::string &pattern) override;
    void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

    const std::vector<spdlog::sink_ptr> &log_sinks() const noexcept { return log_sinks_; }
    const std::vector<spdlog::sink_ptr> &event_sinks() const noexcept { return event_sinks_; }
    bool echo_events() const noexcept { return echo_; }

private:
    void route_lines(const spdlog::details::log_msg &msg);
    void route_event(const spdlog::details::log_msg &msg);
    void echo(const spdlog::details::log_msg &msg);

    Mutex mutex_;
    const std::vector<spdlog::sink_ptr> log_sinks_;
    const std::vector<spdlog::sink_ptr> event_sinks_;
    const bool echo_;
    spdlog::sinks::sink *const only_log_sink_; // log_sinks_[0] when it is the only one
};

using demux_sink_mt = demux_sink<std::mutex>;
using demux_sink_st = demux_sink<spdlog::details::null_mutex>;

extern template class demux_sink<std::mutex>;
extern template class demux_sink<spdlog::details::null_mutex>;

} // namespace seglog
