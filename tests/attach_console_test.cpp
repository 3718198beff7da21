// The console destination writes events to stdout and nowhere else; the startup line and the
// readable event lines carry a real source location under a "%s:%#" pattern.
#include <doctest/doctest.h>

#include "config.h"
#include "stderr_capture.h"
#include "temp_files.h"

#include <seglog/attach.h>
#include <seglog/config.h>
#include <seglog/macros.h>
#include <seglog/tracking.h>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace seglog_test;

namespace {

// attach() applies cfg.tracking to the process-wide switch; every test leaves it on.
struct tracking_restorer {
    ~tracking_restorer() { seglog::set_tracking(true); }
};

seglog::config console_config() {
    seglog::config cfg;
    cfg.environment = "dev";
    cfg.destinations = {seglog::destination::console()};
    return cfg;
}

bool contains(const std::string &text, const std::string &part) { return text.find(part) != std::string::npos; }

} // namespace

TEST_SUITE("attach: console") {

TEST_CASE("the console destination writes events to stdout only, never into the log sinks (a file)") {
    tracking_restorer restore;
    temp_dir dir("seglog-console");
    const std::string log_path = dir / "service.log";
    auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(log_path);
    auto logger = std::make_shared<spdlog::logger>("console-dest", file);
    auto demux = seglog::attach(*logger, console_config());
    CHECK_FALSE(demux->echo_events());
    std::string out;
    {
        stdout_capture capture;
        SEGLOG_LOGGER_TRACK(logger, seglog::user("u-1"), "Clicked", {{"button", "buy"}});
        SEGLOG_LOGGER_IDENTIFY(logger, seglog::user("u-1"), {{"plan", "pro"}});
        logger->info("a line");
        logger->flush();
        out = capture.text();
    }
    const auto lines = read_lines(log_path);
    REQUIRE(lines.size() == 2); // the startup line and "a line"
    for (const auto &l : lines) CHECK_MESSAGE(!contains(l, "event "), "an event in the log file: " << l);
    CHECK(contains(lines[1], "a line"));
    CHECK(contains(out, "event track \"Clicked\" userId=u-1 properties={\"button\":\"buy\"} messageId="));
    CHECK(contains(out, "event identify userId=u-1 traits={\"plan\":\"pro\"} messageId="));
    CHECK_FALSE(contains(out, "a line"));
}

TEST_CASE("echo_events_to_log still renders events among the log lines, at the macro's call site") {
    tracking_restorer restore;
    std::ostringstream text;
    auto lines = std::make_shared<spdlog::sinks::ostream_sink_mt>(text);
    lines->set_pattern("[%s:%#] %v");
    auto logger = std::make_shared<spdlog::logger>("echo", lines);
    auto cfg = console_config();
    cfg.destinations = {seglog::destination::off()};
    cfg.echo_events_to_log = true;
    seglog::attach(*logger, cfg);
    text.str("");
    const int line = __LINE__ + 1;
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u-1"), "Clicked");
    CHECK(text.str().rfind("[attach_console_test.cpp:" + std::to_string(line) + "] event track \"Clicked\"", 0) == 0);
}

TEST_CASE("the startup line has a source location under a %s:%# pattern, not [:]") {
    tracking_restorer restore;
    temp_dir dir("seglog-console");
    std::ostringstream text;
    auto lines = std::make_shared<spdlog::sinks::ostream_sink_mt>(text);
    lines->set_pattern("[%s:%#] %v");
    auto logger = std::make_shared<spdlog::logger>("startup", lines);
    const auto cfg = file_config(dir / "events.jsonl");
    seglog::attach(*logger, cfg);
    CHECK(text.str().rfind("[attach.cpp:", 0) == 0);
    CHECK(contains(text.str(), "] " + cfg.describe()));
}

} // TEST_SUITE
