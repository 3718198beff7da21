// file_event_sink under a full disk, a partial write and logrotate: every event is written whole
// or reported as io_error with its messageId; no torn or merged line; a moved, deleted or
// truncated file is noticed.
#include <doctest/doctest.h>

#include "collecting_sink.h"
#include "temp_files.h"

#include <seglog/demux_sink.h>
#include <seglog/error.h>
#include <seglog/file_event_sink.h>
#include <seglog/macros.h>

#include "sinks/file_io.h"

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

using nlohmann::json;
using seglog_test::read_lines;

namespace {

struct temp_dir : seglog_test::temp_dir {
    temp_dir() : seglog_test::temp_dir("seglog-file-faults") {}
};

// A logger whose only event sink is `file`.
std::shared_ptr<spdlog::logger> logger_for(const std::shared_ptr<seglog::file_event_sink_mt> &file) {
    return std::make_shared<spdlog::logger>(
        "file-faults",
        std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{}, std::vector<spdlog::sink_ptr>{file}));
}

void track(spdlog::logger &logger, int i, std::size_t pad = 100) {
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Tick", {{"i", i}, {"pad", std::string(pad, 'x')}});
}

// The messageIds of a file's lines; every line must be one whole event.
std::vector<std::string> ids_in(const std::string &path) {
    std::vector<std::string> ids;
    for (const auto &line : read_lines(path)) {
        const auto j = json::parse(line, nullptr, false);
        REQUIRE_MESSAGE(j.is_object(), "a torn or merged line: " << line.substr(0, 120));
        ids.push_back(j.at("messageId").get<std::string>());
    }
    return ids;
}

// The messageIds io_error reports named, one per report.
std::vector<std::string> reported_ids(const seglog_test::error_capture &capture) {
    std::vector<std::string> ids;
    for (const auto &e : capture.errors()) {
        CHECK(e.code == seglog::reason::io_error);
        REQUIRE(e.message_ids.size() == 1);
        ids.push_back(e.message_ids[0]);
    }
    return ids;
}

// Makes the `nth` write (counting from 1) stop half-way, and the write after it fail with
// ENOSPC, as a disk that fills up during a write does; every other write is the real one.
struct partial_write {
    static inline int calls = 0;
    static inline int nth = 0;
    static ssize_t write(int fd, const void *data, std::size_t size) {
        ++calls;
        if (calls == nth && size > 1) return ::write(fd, data, size / 2);
        if (calls == nth + 1) {
            errno = ENOSPC;
            return -1;
        }
        return ::write(fd, data, size);
    }
    explicit partial_write(int n) {
        calls = 0;
        nth = n;
        seglog::detail::file_sink_write = &partial_write::write;
    }
    ~partial_write() { seglog::detail::file_sink_write = ::write; }
};

} // namespace

TEST_SUITE("file_event_sink: failures and rotation") {

TEST_CASE("a write that stops part-way is cut back and reported with the event's id; the next line is whole") {
    temp_dir dir;
    const std::string path = dir / "events.jsonl";
    seglog_test::error_capture capture;
    {
        auto file = std::make_shared<seglog::file_event_sink_mt>(path);
        auto logger = logger_for(file);
        partial_write inject(3); // the third event's write
        for (int i = 0; i < 5; ++i) track(*logger, i);
    }
    const auto written = ids_in(path);
    const auto reported = reported_ids(capture);
    CHECK(written.size() == 4);
    REQUIRE(reported.size() == 1);
    CHECK(std::set<std::string>(written.begin(), written.end()).count(reported[0]) == 0);
    CHECK(capture.errors()[0].message.find("No space left on device (event not written)") != std::string::npos);
}

TEST_CASE("a full disk (a 64 KB tmpfs): every event is a whole line or reported with its id") {
    if (::geteuid() != 0) {
        MESSAGE("skipped: mounting a tmpfs needs root (the partial-write case covers the logic)");
        return;
    }
    temp_dir dir;
    if (::mount("tmpfs", dir.path.c_str(), "tmpfs", 0, "size=64k") != 0) {
        MESSAGE("skipped: cannot mount a tmpfs here: " << std::strerror(errno));
        return;
    }
    struct unmount_at_end {
        const std::string &at;
        ~unmount_at_end() { ::umount(at.c_str()); }
    } unmount{dir.path};
    const std::string path = dir / "events.jsonl";
    constexpr int events = 2000;
    std::vector<std::string> written, reported;
    {
        seglog_test::error_capture capture;
        {
            auto file = std::make_shared<seglog::file_event_sink_mt>(path);
            auto logger = logger_for(file);
            for (int i = 0; i < events; ++i) track(*logger, i, 100 + i % 97);
        }
        written = ids_in(path);
        reported = reported_ids(capture);
    }
    INFO("written " << written.size() << ", reported " << reported.size());
    CHECK(written.size() > 100);
    CHECK(written.size() + reported.size() == events);
    std::set<std::string> all(written.begin(), written.end());
    all.insert(reported.begin(), reported.end());
    CHECK(all.size() == events);
}

TEST_CASE("logrotate's create: a moved or deleted file is noticed and path opened again") {
    temp_dir dir;
    const std::string path = dir / "events.jsonl";
    seglog_test::error_capture capture;
    auto file = std::make_shared<seglog::file_event_sink_mt>(path);
    auto logger = logger_for(file);
    for (int i = 0; i < 3; ++i) track(*logger, i);
    std::filesystem::rename(path, path + ".1");
    for (int i = 3; i < 5; ++i) track(*logger, i);
    CHECK(ids_in(path + ".1").size() == 3);
    CHECK(ids_in(path).size() == 2);
    std::filesystem::remove(path);
    track(*logger, 5);
    CHECK(ids_in(path).size() == 1);
    // The explicit form, for a SIGHUP handler: the next event opens path again.
    std::filesystem::rename(path, path + ".2");
    file->reopen();
    track(*logger, 6);
    CHECK(ids_in(path).size() == 1);
    CHECK(ids_in(path + ".2").size() == 1);
    CHECK(capture.errors().empty());
}

TEST_CASE("logrotate's copytruncate: writing goes on at the start of the emptied file") {
    temp_dir dir;
    const std::string path = dir / "events.jsonl";
    seglog_test::error_capture capture;
    auto file = std::make_shared<seglog::file_event_sink_mt>(path);
    auto logger = logger_for(file);
    for (int i = 0; i < 3; ++i) track(*logger, i);
    std::filesystem::copy_file(path, path + ".1");
    std::filesystem::resize_file(path, 0);
    for (int i = 3; i < 5; ++i) track(*logger, i);
    CHECK(ids_in(path + ".1").size() == 3);
    CHECK(ids_in(path).size() == 2);
    CHECK(std::filesystem::file_size(path) == read_lines(path)[0].size() + read_lines(path)[1].size() + 2);
    CHECK(capture.errors().empty());
}

} // TEST_SUITE
