// The I/O behind file_event_sink, kept out of the header so its errors are reported one way.
#include <seglog/error.h>
#include <seglog/file_event_sink.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace seglog::detail {

namespace {
// Every failed write is counted and reported; the default handler rate-limits what it prints.
void report_io(const std::string &path, const char *what, int err) {
    report_call_site_error({reason::io_error,
                            std::string("cannot ") + what + " event file '" + path + "': " + std::strerror(err),
                            {}, {}, {}, 0});
}
} // namespace

std::FILE *open_event_file(const std::string &path) {
    std::FILE *f = std::fopen(path.c_str(), "ae");
    if (!f) {
        throw config_error("seglog: cannot open event file '" + path + "' for appending: " + std::strerror(errno));
    }
    return f;
}

void write_event_line(std::FILE *f, const std::string &path, std::string_view record) {
    if (std::fwrite(record.data(), 1, record.size(), f) != record.size() || std::fputc('\n', f) == EOF) {
        report_io(path, "write to", errno);
        std::clearerr(f);
    }
}

void sync_event_file(std::FILE *f, const std::string &path) {
    if (std::fflush(f) != 0) {
        report_io(path, "flush", errno);
        std::clearerr(f);
        return;
    }
    if (::fsync(::fileno(f)) != 0 && errno != EINVAL) report_io(path, "sync", errno);
}

} // namespace seglog::detail
