#pragma once
// file_event_sink: one event per line, the exact JSON that would be sent to Segment
// (JSON lines). Ordinary log lines are ignored. flush() makes the file durable (fsync).

#include <seglog/config.h>
#include <seglog/record.h>

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

#include <cstdio>
#include <mutex>
#include <string>

namespace seglog {

namespace detail {
// Opens `path` for appending; throws config_error naming the path and the system's reason.
std::FILE *open_event_file(const std::string &path);
// Writes record + '\n'; reports an io_error when the write fails.
void write_event_line(std::FILE *f, const std::string &path, std::string_view record);
// fflush + fsync; reports an io_error on failure.
void sync_event_file(std::FILE *f, const std::string &path);
} // namespace detail

template <typename Mutex>
class file_event_sink final : public spdlog::sinks::base_sink<Mutex>, public detail::record_target {
public:
    explicit file_event_sink(std::string path) : path_(std::move(path)), file_(detail::open_event_file(path_)) {}
    ~file_event_sink() override {
        if (file_) {
            detail::sync_event_file(file_, path_);
            std::fclose(file_);
        }
    }
    file_event_sink(const file_event_sink &) = delete;
    file_event_sink &operator=(const file_event_sink &) = delete;

    const std::string &path() const noexcept { return path_; }

    // A record straight from the macros (see detail::record_target), under the sink's lock.
    void take_record(std::string_view record) override {
        std::lock_guard<Mutex> lock(this->mutex_);
        detail::write_event_line(file_, path_, record);
    }

protected:
    void sink_it_(const spdlog::details::log_msg &msg) override {
        if (is_event_record(msg)) detail::write_event_line(file_, path_, event_json(msg));
    }
    void flush_() override { detail::sync_event_file(file_, path_); }
    // Records are written as JSON, never through a pattern.
    void set_pattern_(const std::string &) override {}
    void set_formatter_(std::unique_ptr<spdlog::formatter>) override {}

private:
    std::string path_;
    std::FILE *file_;
};

using file_event_sink_mt = file_event_sink<std::mutex>;
using file_event_sink_st = file_event_sink<spdlog::details::null_mutex>;

} // namespace seglog
