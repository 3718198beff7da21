#pragma once
// file_event_sink: one event per line, the exact JSON that would be sent to Segment
// (JSON lines). Ordinary log lines are ignored. flush() makes the file durable (fsync).
//
// The member functions are compiled into libseglog for file_event_sink_mt and
// file_event_sink_st (as spdlog's compiled library does for its sinks).

#include <seglog/export.h>
#include <seglog/record.h>

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace seglog {

// An event sink (give it to a demux_sink, or let attach() make one for a file: destination).
// A write that fails is not thrown: it is reported as reason::io_error to the handler of
// set_error_handler and counted in call_site_stats(), and the sink goes on with the next
// event. file_event_sink_mt may be used from several threads (each write under its lock);
// _st from one thread. Writes are buffered: flush() (or the destructor) makes them durable.
template <typename Mutex>
class SEGLOG_API file_event_sink final : public spdlog::sinks::base_sink<Mutex>, public detail::record_target {
public:
    // Opens `path` for appending; throws config_error naming the path and the system's reason.
    // The file is created if missing (its directory is not); the sink owns it until destroyed.
    explicit file_event_sink(std::string path);
    ~file_event_sink() override; // flushes and syncs
    file_event_sink(const file_event_sink &) = delete;
    file_event_sink &operator=(const file_event_sink &) = delete;

    // The path given at construction.
    const std::string &path() const noexcept { return path_; }

    // A record straight from the macros (see detail::record_target), under the sink's lock.
    // A failed write is reported as io_error through seglog::set_error_handler.
    void take_record(std::string_view record) override;

protected:
    // base_sink's hooks, under its lock: an event record is written as one line, anything else
    // ignored; flush_ is fflush + fsync.
    void sink_it_(const spdlog::details::log_msg &msg) override;
    void flush_() override;
    // Records are written as JSON, never through a pattern.
    void set_pattern_(const std::string &pattern) override;
    void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override;

private:
    std::string path_;
    std::FILE *file_;
};

// The two instantiations compiled into libseglog, named as spdlog names its sinks.
using file_event_sink_mt = file_event_sink<std::mutex>;
using file_event_sink_st = file_event_sink<spdlog::details::null_mutex>;

// Compiled once, in libseglog: code that includes this header instantiates nothing.
extern template class file_event_sink<std::mutex>;
extern template class file_event_sink<spdlog::details::null_mutex>;

} // namespace seglog
