// seglog::attach(): one extra line in an existing logger configuration. The logger's sinks keep
// their behaviour, events go to the configured destination, a startup line says where.
#include <doctest/doctest.h>

#include "collecting_sink.h"

#include <seglog/attach.h>
#include <seglog/config.h>
#include <seglog/demux_sink.h>
#include <seglog/macros.h>
#include <seglog/tracking.h>

#include <nlohmann/json.hpp>
#include <spdlog/cfg/env.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "config.h"
#include "temp_files.h"

using nlohmann::json;

namespace {

using seglog_test::read_lines;

struct temp_dir : seglog_test::temp_dir {
    temp_dir() : seglog_test::temp_dir("seglog-attach") {}
};

using seglog_test::file_config;

// attach() applies cfg.tracking to the process-wide switch; every test leaves it on.
struct tracking_restorer {
    ~tracking_restorer() { seglog::set_tracking(true); }
};

} // namespace

TEST_SUITE("attach") {

TEST_CASE("existing sinks keep their levels and patterns, events go to the file, the startup line is logged") {
    tracking_restorer restore;
    temp_dir dir;
    const std::string path = dir.file("events.jsonl");
    std::ostringstream console_out, errors_out;
    auto console = std::make_shared<spdlog::sinks::ostream_sink_mt>(console_out);
    console->set_pattern("C|%l|%v");
    auto errors_only = std::make_shared<spdlog::sinks::ostream_sink_mt>(errors_out);
    errors_only->set_level(spdlog::level::err);
    errors_only->set_pattern("E|%v");
    auto logger = std::make_shared<spdlog::logger>("api", spdlog::sinks_init_list{console, errors_only});

    const auto cfg = file_config(path);
    auto demux = seglog::attach(*logger, cfg);
    REQUIRE(demux);
    REQUIRE(logger->sinks().size() == 1);
    CHECK(logger->sinks()[0] == demux);
    CHECK(demux->log_sinks() == std::vector<spdlog::sink_ptr>{console, errors_only});
    REQUIRE(demux->event_sinks().size() == 1);
    CHECK(seglog::segment_client(*demux) == nullptr);
    CHECK(seglog::tracking_enabled());
    CHECK(console_out.str() == "C|info|" + cfg.describe() + "\n");
    CHECK(cfg.describe().find(path) != std::string::npos);
    CHECK(errors_out.str().empty());
    console_out.str("");

    logger->info("listening on {}", 8080);
    logger->error("disk almost full");
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u-42"), "Order Completed", {{"order_id", "o-1"}});
    logger->flush();
    CHECK(console_out.str() == "C|info|listening on 8080\nC|error|disk almost full\n");
    CHECK(errors_out.str() == "E|disk almost full\n");
    const auto lines = read_lines(path);
    REQUIRE(lines.size() == 1);
    const json j = json::parse(lines[0]);
    CHECK(j.at("event") == "Order Completed");
    CHECK(j.at("userId") == "u-42");

    // set_pattern on the logger still reaches the log sinks.
    logger->set_pattern("P|%v");
    logger->warn("patterned");
    CHECK(console_out.str().find("P|patterned\n") != std::string::npos);
}

TEST_CASE("attaching twice does not double-wrap and replaces the event side") {
    tracking_restorer restore;
    temp_dir dir;
    auto lines = std::make_shared<seglog_test::collecting_sink>();
    auto logger = std::make_shared<spdlog::logger>("twice", lines);
    auto first = seglog::attach(*logger, file_config(dir.file("first.jsonl")));
    auto second = seglog::attach(*logger, file_config(dir.file("second.jsonl")));
    REQUIRE(logger->sinks().size() == 1);
    CHECK(logger->sinks()[0] == second);
    CHECK(second->log_sinks() == std::vector<spdlog::sink_ptr>{lines});

    logger->info("one line");
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Once");
    logger->flush();
    const auto payloads = lines->payloads();
    REQUIRE(payloads.size() == 3); // two startup lines, one line
    CHECK(payloads[2] == "one line");
    first.reset();
    CHECK(read_lines(dir.file("first.jsonl")).empty());
    const auto events = read_lines(dir.file("second.jsonl"));
    REQUIRE(events.size() == 1);
    CHECK(json::parse(events[0]).at("event") == "Once");
}

TEST_CASE("works on a registry logger, and with spdlog::cfg::load_env_levels()") {
    tracking_restorer restore;
    temp_dir dir;
    const std::string path = dir.file("events.jsonl");
    auto lines = std::make_shared<seglog_test::collecting_sink>();
    spdlog::register_logger(std::make_shared<spdlog::logger>("registry-attach", lines));
    auto logger = spdlog::get("registry-attach");
    REQUIRE(logger);
    seglog::attach(*logger, file_config(path));

    ::setenv("SPDLOG_LEVEL", "registry-attach=err", 1);
    spdlog::cfg::load_env_levels();
    ::unsetenv("SPDLOG_LEVEL");
    CHECK(spdlog::get("registry-attach")->level() == spdlog::level::err);

    logger->info("filtered by the level from the environment");
    logger->error("kept");
    SEGLOG_LOGGER_TRACK(spdlog::get("registry-attach"), seglog::user("u"), "Through the registry");
    logger->flush();
    auto payloads = lines->payloads();
    REQUIRE(payloads.size() == 2); // the startup line, then "kept"
    CHECK(payloads[0].rfind("seglog: ", 0) == 0);
    CHECK(payloads[1] == "kept");
    const auto events = read_lines(path);
    REQUIRE(events.size() == 1);
    CHECK(json::parse(events[0]).at("event") == "Through the registry");
    spdlog::drop("registry-attach");
}

TEST_CASE("a configuration that cannot work throws config_error and leaves the logger as it was") {
    tracking_restorer restore;
    temp_dir dir;
    auto lines = std::make_shared<seglog_test::collecting_sink>();
    auto logger = std::make_shared<spdlog::logger>("bad-config", lines);
    CHECK_THROWS_AS(seglog::attach(*logger, file_config(dir.file("missing/events.jsonl"))), seglog::config_error);
    REQUIRE(logger->sinks().size() == 1);
    CHECK(logger->sinks()[0] == lines);
    CHECK(lines->size() == 0);
}

TEST_CASE("an attached logger refuses an event over the configured max_event_bytes, not only over 32 KB") {
    tracking_restorer restore;
    temp_dir dir;
    const std::string path = dir.file("events.jsonl");
    auto logger = std::make_shared<spdlog::logger>("small-events", std::make_shared<seglog_test::collecting_sink>());
    auto cfg = file_config(path);
    cfg.max_event_bytes = 1000;
    seglog::attach(*logger, cfg);

    const auto before = seglog::call_site_stats().by_reason[static_cast<int>(seglog::reason::event_too_large)];
    seglog_test::error_capture errors;
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Too Big", {{"blob", std::string(2000, 'x')}});
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Small", {{"blob", std::string(500, 'x')}});
    logger->flush();

    const auto lines = read_lines(path);
    REQUIRE(lines.size() == 1);
    CHECK(json::parse(lines[0]).at("event") == "Small");
    const auto seen = errors.errors();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].code == seglog::reason::event_too_large);
    CHECK(seen[0].event_name == "Too Big");
    CHECK(seen[0].message.find("1000-byte limit") != std::string::npos);
    CHECK(seglog::call_site_stats().by_reason[static_cast<int>(seglog::reason::event_too_large)] == before + 1);
}

TEST_CASE("tracking off in the configuration: no event goes out, lines still flow") {
    tracking_restorer restore;
    temp_dir dir;
    const std::string path = dir.file("events.jsonl");
    auto lines = std::make_shared<seglog_test::collecting_sink>();
    auto logger = std::make_shared<spdlog::logger>("tracking-off", lines);
    auto cfg = file_config(path);
    cfg.tracking = false;
    seglog::attach(*logger, cfg);
    CHECK_FALSE(seglog::tracking_enabled());
    int evaluated = 0;
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "E", {{"n", ++evaluated}});
    logger->info("a line");
    logger->flush();
    CHECK(evaluated == 0);
    CHECK(read_lines(path).empty());
    CHECK(lines->payloads().back() == "a line");
}

} // TEST_SUITE
