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

#include "common/record_layout.h"
#include "plan/gate.h"
#include "sinks/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace seglog {

namespace detail {
file_write_fn file_sink_write = ::write;
} // namespace detail

namespace {

// Every failure is counted and reported; the default handler rate-limits what it prints.
// `record`: the event that was not written (its messageId is reported), or empty for a sync.
void report_io(const std::string &path, const std::string &what, int err, std::string_view record) {
    error e{reason::io_error, "cannot " + what + " event file '" + path + "': " + std::strerror(err), {}, {}, {}, 0};
    if (!record.empty()) {
        e.message += " (event not written)";
        const std::string_view id = detail::record_message_id(record);
        if (!id.empty()) e.message_ids.emplace_back(id);
    }
    detail::report_call_site_error(e);
}

// Writes all of `data`, retrying short writes and EINTR. Returns the bytes written; `err` is
// set when that is less than data.size().
std::size_t write_all(int fd, std::string_view data, int &err) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = detail::file_sink_write(fd, data.data() + done, data.size() - done);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            err = n < 0 ? errno : ENOSPC; // write(2) returning 0 for a regular file: no room
            break;
        }
    }
    return done;
}

} // namespace

template <typename Mutex>
file_event_sink<Mutex>::file_event_sink(std::string path) : path_(std::move(path)) {
    int err = 0;
    if (!open_now(err))
        throw config_error("seglog: cannot open event file '" + path_ + "' for appending: " + std::strerror(err));
}

template <typename Mutex>
file_event_sink<Mutex>::file_event_sink(std::string path, const config &cfg) : file_event_sink(std::move(path)) {
    plan_ = detail::plan::gate::from_config(cfg);
}

template <typename Mutex>
file_event_sink<Mutex>::~file_event_sink() {
    if (fd_ < 0) return;
    if (::fsync(fd_) != 0 && errno != EINVAL) report_io(path_, "sync", errno, {});
    ::close(fd_);
}

// Opens path_ for appending (creating it), closing the file open before; false with `err`.
template <typename Mutex>
bool file_event_sink<Mutex>::open_now(int &err) {
    const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) {
        err = errno;
        if (fd >= 0) ::close(fd);
        return false;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    dev_ = st.st_dev;
    ino_ = st.st_ino;
    end_ = st.st_size;
    fresh_line_ = false;
    return true;
}

// Whether path_ still names the file open (not moved away or deleted); `size` is its size.
template <typename Mutex>
bool file_event_sink<Mutex>::still_ours(long long &size) const {
    struct stat st {};
    if (fd_ < 0 || ::stat(path_.c_str(), &st) != 0) return false;
    size = st.st_size;
    return static_cast<unsigned long long>(st.st_dev) == dev_ && static_cast<unsigned long long>(st.st_ino) == ino_;
}

// Takes the `written` bytes of a line that stopped part-way off the end of the file; when that
// fails, the next line starts with a newline so that the torn one stays alone.
template <typename Mutex>
void file_event_sink<Mutex>::cut_back(std::size_t written) {
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && st.st_size >= static_cast<off_t>(written) &&
        ::ftruncate(fd_, st.st_size - static_cast<off_t>(written)) == 0) {
        end_ = st.st_size - static_cast<off_t>(written);
        return;
    }
    fresh_line_ = true;
}

template <typename Mutex>
void file_event_sink<Mutex>::write_line(std::string_view record) {
    if (plan_ && !detail::plan::admit_locally(*plan_, record)) return;
    long long size = 0;
    if (reopen_requested_.exchange(false, std::memory_order_relaxed) || !still_ours(size)) {
        int err = 0;
        if (!open_now(err)) return report_io(path_, "reopen", err, record);
    } else if (size < end_) {
        // Truncated in place (copytruncate): appending goes on at the new end, on a new line.
        end_ = size;
        fresh_line_ = false;
    }
    line_.clear();
    if (fresh_line_) line_ += '\n';
    line_.append(record.data(), record.size());
    line_ += '\n';
    int err = 0;
    const std::size_t written = write_all(fd_, line_, err);
    if (written == line_.size()) {
        end_ += static_cast<long long>(written);
        fresh_line_ = false;
        return;
    }
    if (written > 0) cut_back(written);
    report_io(path_, "write to", err, record);
}

template <typename Mutex>
void file_event_sink<Mutex>::take_record(std::string_view record) {
    std::lock_guard<Mutex> lock(this->mutex_);
    write_line(record);
}

template <typename Mutex>
void file_event_sink<Mutex>::sink_it_(const spdlog::details::log_msg &msg) {
    if (is_event_record(msg)) write_line(event_json(msg));
}

template <typename Mutex>
void file_event_sink<Mutex>::flush_() {
    if (fd_ >= 0 && ::fsync(fd_) != 0 && errno != EINVAL) report_io(path_, "sync", errno, {});
}

template <typename Mutex>
void file_event_sink<Mutex>::set_pattern_(const std::string &) {}

template <typename Mutex>
void file_event_sink<Mutex>::set_formatter_(std::unique_ptr<spdlog::formatter>) {}

template class file_event_sink<std::mutex>;
template class file_event_sink<spdlog::details::null_mutex>;

} // namespace seglog
