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

// A logger whose sinks are demux sinks can carry events (attach() sets one up; this is the
// same by hand). demux_sink_mt may be logged to from several threads at once when its child
// sinks are thread-safe (_mt) themselves; demux_sink_st is for a single thread. Mutex only
// guards set_pattern/set_formatter: routing takes no lock (see log()).
// Thread-safe as its child sinks are; it owns them (shared with whoever else holds them).
template <typename Mutex>
class SEGLOG_API demux_sink final : public spdlog::sinks::sink, public detail::event_router {
public:
    // log_sinks: where ordinary log lines go, each through its own level (none may be null).
    // event_sinks: where event records go (none may be null): segment_sink, file_event_sink
    // or a sink of your own that reads records with is_event_record()/event_json().
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
    // An event record goes to every event sink (whatever their level), a log line to every
    // log sink whose level lets it through. When this demux's only event sink takes records
    // directly (segment_sink, file_event_sink) and nothing is echoed, the macros hand a plain
    // spdlog::logger's records to it without passing here.
    void log(const spdlog::details::log_msg &msg) override;
    // Flushes every log sink, then every event sink (segment_sink: without waiting).
    void flush() override;
    // Patterns and formatters are for log lines: event records are written as JSON.
    // Each log sink gets the pattern (or a clone of the formatter); event sinks are left alone.
    void set_pattern(const std::string &pattern) override;
    void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

    // The sinks and the echo flag given at construction (fixed for the demux's lifetime).
    // segment_client(demux) finds the segment client among event_sinks().
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

// The two instantiations compiled into libseglog, named as spdlog names its sinks.
using demux_sink_mt = demux_sink<std::mutex>;
using demux_sink_st = demux_sink<spdlog::details::null_mutex>;

// Compiled once, in libseglog: code that includes this header instantiates nothing.
extern template class demux_sink<std::mutex>;
extern template class demux_sink<spdlog::details::null_mutex>;

} // namespace seglog
