// file_event_sink: JSON lines, exactly the records, durable on flush, errors reported.
#include <doctest/doctest.h>

#include "collecting_sink.h"

#include <seglog/config.h>
#include <seglog/demux_sink.h>
#include <seglog/error.h>
#include <seglog/file_event_sink.h>
#include <seglog/macros.h>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "temp_files.h"

using nlohmann::json;

namespace {

using seglog_test::read_lines;

struct temp_dir : seglog_test::temp_dir {
    temp_dir() : seglog_test::temp_dir("seglog-file-sink") {}
};

std::string read_all(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::uint64_t io_errors() { return seglog::call_site_stats().by_reason[static_cast<int>(seglog::reason::io_error)]; }

} // namespace

TEST_SUITE("file_event_sink") {

TEST_CASE("writes one line per event, exactly the record, and ignores ordinary lines") {
    temp_dir dir;
    const std::string path = dir.file("events.jsonl");
    auto file = std::make_shared<seglog::file_event_sink_mt>(path);
    CHECK(file->path() == path);
    auto collected = std::make_shared<seglog_test::collecting_sink>();
    auto lines = std::make_shared<seglog_test::collecting_sink>();
    auto logger = std::make_shared<spdlog::logger>(
        "file", std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{lines},
                                                        std::vector<spdlog::sink_ptr>{file, collected}));
    const auto who = seglog::user("u-42");
    SEGLOG_LOGGER_TRACK(logger, who, "Order Completed", {{"note", "line\nbreak \"quoted\" caf\xC3\xA9"}});
    logger->info("an ordinary line");
    SEGLOG_LOGGER_IDENTIFY(logger, who, {{"plan", "pro"}});
    SEGLOG_LOGGER_ALIAS(logger, "a-9", "u-42");
    logger->flush();

    const auto records = collected->payloads();
    REQUIRE(records.size() == 3);
    const auto written = read_lines(path);
    CHECK(written == records);
    CHECK(read_all(path) == records[0] + "\n" + records[1] + "\n" + records[2] + "\n");
    CHECK(json::parse(written[0]).at("properties").at("note") == "line\nbreak \"quoted\" caf\xC3\xA9");

    // Put straight on a logger, it still takes only event records.
    auto direct = std::make_shared<spdlog::logger>("direct", file);
    direct->info("not an event");
    direct->log(spdlog::level::off, records[0]); // a forged record
    direct->flush();
    CHECK(read_lines(path).size() == 3);
}

TEST_CASE("as a demux's only event sink it takes records directly: the same lines") {
    temp_dir dir;
    const std::string path = dir.file("direct.jsonl");
    auto file = std::make_shared<seglog::file_event_sink_mt>(path);
    auto demux = std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{},
                                                         std::vector<spdlog::sink_ptr>{file});
    CHECK(demux->direct_target() == file.get());
    spdlog::logger logger("direct-file", demux);
    const auto who = seglog::user("u-7");
    SEGLOG_LOGGER_TRACK(logger, who, "Signed Up", {{"note", "a \"quoted\" line\nbreak"}});
    SEGLOG_LOGGER_IDENTIFY(logger, who, {{"plan", "pro"}});
    logger.flush();

    const auto written = read_lines(path);
    REQUIRE(written.size() == 2);
    CHECK(read_all(path) == written[0] + "\n" + written[1] + "\n");
    const json track = json::parse(written[0]);
    CHECK(track.at("type") == "track");
    CHECK(track.at("event") == "Signed Up");
    CHECK(track.at("userId") == "u-7");
    CHECK(track.at("properties") == json{{"note", "a \"quoted\" line\nbreak"}});
    CHECK(json::parse(written[1]).at("traits") == json{{"plan", "pro"}});
}

TEST_CASE("flush() makes the records readable by another reader while the sink stays open") {
    temp_dir dir;
    const std::string path = dir.file("events.jsonl");
    auto file = std::make_shared<seglog::file_event_sink_mt>(path);
    auto logger = std::make_shared<spdlog::logger>(
        "file",
        std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{}, std::vector<spdlog::sink_ptr>{file}));
    for (int i = 0; i < 10; ++i) SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "E", {{"i", i}});
    logger->flush();
    auto lines = read_lines(path);
    REQUIRE(lines.size() == 10);
    for (int i = 0; i < 10; ++i) CHECK(json::parse(lines[static_cast<std::size_t>(i)]).at("properties").at("i") == i);

    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "E", {{"i", 10}});
    logger->flush();
    CHECK(read_lines(path).size() == 11);
}

TEST_CASE("an existing file is appended to, not truncated") {
    temp_dir dir;
    const std::string path = dir.file("events.jsonl");
    {
        std::ofstream out(path);
        out << "{\"earlier\":true}\n";
    }
    {
        auto file = std::make_shared<seglog::file_event_sink_mt>(path);
        auto logger = std::make_shared<spdlog::logger>(
            "file", std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{},
                                                            std::vector<spdlog::sink_ptr>{file}));
        SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "E");
    } // the destructor flushes
    const auto lines = read_lines(path);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "{\"earlier\":true}");
    CHECK(json::parse(lines[1]).at("event") == "E");
}

TEST_CASE("a path in a missing directory throws config_error with the exact message") {
    temp_dir dir;
    const std::string path = dir.file("missing/events.jsonl");
    try {
        seglog::file_event_sink_mt sink(path);
        FAIL("no exception");
    } catch (const seglog::config_error &e) {
        CHECK(std::string(e.what()) ==
              "seglog: cannot open event file '" + path + "' for appending: No such file or directory");
    }
    CHECK_THROWS_AS(seglog::file_event_sink_st(dir.path), seglog::config_error); // a directory
}

TEST_CASE("write errors are reported as io_error through the error handler, with the event's id, and counted") {
    struct stat st {};
    if (::stat("/dev/full", &st) != 0) {
        MESSAGE("no /dev/full on this system");
        return;
    }
    seglog_test::error_capture capture; // outlives the sink, whose destructor syncs again
    const auto before = io_errors();
    {
        auto file = std::make_shared<seglog::file_event_sink_mt>("/dev/full");
        auto logger = std::make_shared<spdlog::logger>(
            "full", std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{},
                                                            std::vector<spdlog::sink_ptr>{file}));
        // Small or large, each event fails in its own write, at once, with its own report.
        SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Small");
        SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Large", {{"pad", std::string(20000, 'x')}});
        const auto errors = capture.errors();
        REQUIRE(errors.size() == 2);
        for (const auto &e : errors) {
            CHECK(e.code == seglog::reason::io_error);
            CHECK(e.message == "cannot write to event file '/dev/full': No space left on device (event not written)");
            REQUIRE(e.message_ids.size() == 1);
            CHECK(e.message_ids[0].size() == 36);
        }
        CHECK(errors[0].message_ids != errors[1].message_ids);
        logger->flush();
    }
    const auto errors = capture.errors();
    CHECK(io_errors() - before == errors.size());
    for (const auto &e : errors) CHECK(e.code == seglog::reason::io_error);
}

} // TEST_SUITE
