// file_event_sink, compiled once for file_event_sink_mt and file_event_sink_st; its I/O is
// here too, so that every failure is reported one way.
// spdlog's null_mutex carries no visibility of its own: declared under the library's hidden
// default, it would make the _st instantiations below hidden too, and unusable by users.
#pragma GCC visibility push(default)
#include <spdlog/details/null_mutex.h>
#pragma GCC visibility pop

#include <seglog/config.h>
#include <seglog/error.h>
#include <seglog/sinks/file_event_sink.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace seglog {

namespace {

// Every failed write is counted and reported; the default handler rate-limits what it prints.
void report_io(const std::string &path, const char *what, int err) {
    detail::report_call_site_error({reason::io_error,
                                    std::string("cannot ") + what + " event file '" + path + "': " + std::strerror(err),
                                    {},
                                    {},
                                    {},
                                    0});
}

std::FILE *open_event_file(const std::string &path) {
    std::FILE *f = std::fopen(path.c_str(), "ae");
    if (!f) {
        throw config_error("seglog: cannot open event file '" + path + "' for appending: " + std::strerror(errno));
    }
    return f;
}

// record + '\n'; an io_error is reported when the write fails.
void write_event_line(std::FILE *f, const std::string &path, std::string_view record) {
    if (std::fwrite(record.data(), 1, record.size(), f) != record.size() || std::fputc('\n', f) == EOF) {
        report_io(path, "write to", errno);
        std::clearerr(f);
    }
}

// fflush + fsync; an io_error is reported on failure.
void sync_event_file(std::FILE *f, const std::string &path) {
    if (std::fflush(f) != 0) {
        report_io(path, "flush", errno);
        std::clearerr(f);
        return;
    }
    if (::fsync(::fileno(f)) != 0 && errno != EINVAL) report_io(path, "sync", errno);
}

} // namespace

template <typename Mutex>
file_event_sink<Mutex>::file_event_sink(std::string path) : path_(std::move(path)), file_(open_event_file(path_)) {}

template <typename Mutex>
file_event_sink<Mutex>::~file_event_sink() {
    if (file_) {
        sync_event_file(file_, path_);
        std::fclose(file_);
    }
}

template <typename Mutex>
void file_event_sink<Mutex>::take_record(std::string_view record) {
    std::lock_guard<Mutex> lock(this->mutex_);
    write_event_line(file_, path_, record);
}

template <typename Mutex>
void file_event_sink<Mutex>::sink_it_(const spdlog::details::log_msg &msg) {
    if (is_event_record(msg)) write_event_line(file_, path_, event_json(msg));
}

template <typename Mutex>
void file_event_sink<Mutex>::flush_() {
    sync_event_file(file_, path_);
}

template <typename Mutex>
void file_event_sink<Mutex>::set_pattern_(const std::string &) {}

template <typename Mutex>
void file_event_sink<Mutex>::set_formatter_(std::unique_ptr<spdlog::formatter>) {}

template class file_event_sink<std::mutex>;
template class file_event_sink<spdlog::details::null_mutex>;

} // namespace seglog
