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

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace seglog {

struct config;
namespace detail::plan {
class gate;
} // namespace detail::plan

// An event sink (give it to a demux_sink, or let attach() make one for a file: destination).
//
// Each event is one write(2) of its line (no stdio buffer), so an event is either written whole
// or reported: a write that fails is not thrown but reported as reason::io_error, with the
// event's messageId in error.message_ids, to the handler of set_error_handler and counted in
// call_site_stats(); the sink goes on with the next event. A write that stops part-way (a full
// disk) is cut back off the file; if that fails too, the next event starts on a fresh line, so
// no torn or merged line is left for a reader. The file belongs to this sink: another writer
// appending to it at the same time could be cut back with it.
//
// Rotation: before each write the sink checks that `path` is still the file it has open. When
// the file was moved or deleted (logrotate's `create`), it opens `path` again (creating it);
// when it was truncated in place (`copytruncate`), it goes on at the new end. reopen() asks for
// a new open explicitly, from a SIGHUP handler for instance (docs/configuration.md).
//
// file_event_sink_mt may be used from several threads (each write under its lock); _st from
// one thread. flush() (and the destructor) makes the writes durable (fsync).
template <typename Mutex>
class SEGLOG_API file_event_sink final : public spdlog::sinks::base_sink<Mutex>, public detail::record_target {
public:
    // Opens `path` for appending; throws config_error naming the path and the system's reason.
    // The file is created if missing (its directory is not); the sink owns it until destroyed.
    explicit file_event_sink(std::string path);
    // The same, checking each event against cfg's tracking plan before it is written
    // (config::tracking_plan and plan_violations; docs/tracking-plan.md): a violation is
    // reported as reason::plan_violation or unplanned_event through seglog::set_error_handler,
    // and the event is written (warn) or not (drop). Also throws config_error for a plan that
    // does not load.
    file_event_sink(std::string path, const config &cfg);
    ~file_event_sink() override; // syncs and closes
    file_event_sink(const file_event_sink &) = delete;
    file_event_sink &operator=(const file_event_sink &) = delete;

    // The path given at construction.
    const std::string &path() const noexcept { return path_; }

    // A record straight from the macros (see detail::record_target), under the sink's lock.
    // A failed write is reported as io_error through seglog::set_error_handler.
    void take_record(std::string_view record) override;

    // Makes the next event open `path` again (after logrotate moved the file away, say).
    // Only sets a flag: async-signal-safe, so a SIGHUP handler may call it. Events written
    // before then go to the file open now. A failed open is reported as io_error with the
    // event it could not write, and tried again on the next event.
    void reopen() noexcept { reopen_requested_.store(true, std::memory_order_relaxed); }

protected:
    // base_sink's hooks, under its lock: an event record is written as one line, anything else
    // ignored; flush_ is fsync.
    void sink_it_(const spdlog::details::log_msg &msg) override;
    void flush_() override;
    // Records are written as JSON, never through a pattern.
    void set_pattern_(const std::string &pattern) override;
    void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override;

private:
    void write_line(std::string_view record);
    bool open_now(int &err);
    bool still_ours(long long &size) const;
    void cut_back(std::size_t written);

    std::string path_;
    int fd_ = -1;
    unsigned long long dev_ = 0, ino_ = 0; // the file fd_ has open
    long long end_ = 0;                    // where the file ended after this sink's last write
    bool fresh_line_ = false;              // a torn line could not be cut back: start on a new line
    std::atomic<bool> reopen_requested_{false};
    std::string line_;                               // the line being written, reused
    std::shared_ptr<const detail::plan::gate> plan_; // nullptr: nothing checked
};

// The two instantiations compiled into libseglog, named as spdlog names its sinks.
using file_event_sink_mt = file_event_sink<std::mutex>;
using file_event_sink_st = file_event_sink<spdlog::details::null_mutex>;

// Compiled once, in libseglog: code that includes this header instantiates nothing.
extern template class file_event_sink<std::mutex>;
extern template class file_event_sink<spdlog::details::null_mutex>;

} // namespace seglog
