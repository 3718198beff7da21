// The shared library as a user links it: only the public headers, only what libseglog.so
// exports (SEGLOG_API; the library is built with hidden visibility). Every public piece a
// service uses must link and work from outside: both flavours of each sink template, the
// client, attach(), the macros (the tracking switch and the record mark are read inline),
// an exception type caught across the boundary, a dynamic_pointer_cast to a sink type.
// This executable links libseglog.so, never the static library the other suites use.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <seglog/seglog.h>

#include <spdlog/sinks/ostream_sink.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <sstream>
#include <string>
#include <type_traits>

#include "temp_files.h"

using namespace std::chrono_literals;

namespace {

template <typename Demux, typename FileSink, typename OstreamSink>
void route_one_line_and_one_event(const std::string &path) {
    std::ostringstream lines;
    auto log_sink = std::make_shared<OstreamSink>(lines);
    log_sink->set_pattern("%v");
    auto demux = std::make_shared<Demux>(std::vector<spdlog::sink_ptr>{log_sink},
                                         std::vector<spdlog::sink_ptr>{std::make_shared<FileSink>(path)});
    spdlog::logger logger("shared", demux);
    logger.info("a log line");
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u-so"), "Linked", {{"n", 1}});
    logger.flush();

    CHECK(lines.str() == "a log line\n");
    const auto written = seglog_test::read_lines(path);
    REQUIRE(written.size() == 1);
    const auto event = nlohmann::json::parse(written[0]);
    CHECK(event["event"] == "Linked");
    CHECK(event["userId"] == "u-so");
    CHECK(event["properties"] == nlohmann::json{{"n", 1}});
}

} // namespace

TEST_CASE("demux_sink and file_event_sink, _mt and _st, from the shared library") {
    seglog_test::temp_dir dir("seglog-shared");
    route_one_line_and_one_event<seglog::demux_sink_mt, seglog::file_event_sink_mt, spdlog::sinks::ostream_sink_mt>(
        dir.file("mt.jsonl"));
    route_one_line_and_one_event<seglog::demux_sink_st, seglog::file_event_sink_st, spdlog::sinks::ostream_sink_st>(
        dir.file("st.jsonl"));
}

TEST_CASE("attach, the tracking switch, a sink type found by dynamic_pointer_cast, config_error caught") {
    seglog_test::temp_dir dir("seglog-shared");
    seglog::config cfg;
    cfg.destinations = {seglog::destination::file(dir.file("events.jsonl"))};
    auto logger = std::make_shared<spdlog::logger>("attached");
    auto demux = seglog::attach(*logger, cfg);
    REQUIRE(demux->event_sinks().size() == 1);
    CHECK(std::dynamic_pointer_cast<seglog::file_event_sink_mt>(demux->event_sinks()[0]) != nullptr);
    CHECK(seglog::segment_client(*demux) == nullptr);

    CHECK(seglog::tracking_enabled());
    seglog::set_tracking(false); // written by the library, read inline here
    CHECK_FALSE(seglog::tracking_enabled());
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u-so"), "Not Sent");
    seglog::set_tracking(true);
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u-so"), "Sent");
    logger->flush();
    const auto written = seglog_test::read_lines(dir.file("events.jsonl"));
    REQUIRE(written.size() == 1);
    CHECK(nlohmann::json::parse(written[0])["event"] == "Sent");

    cfg.destinations = {seglog::destination::file(dir.file("missing/events.jsonl"))};
    CHECK_THROWS_AS(seglog::attach(*logger, cfg), seglog::config_error);
}

TEST_CASE("client and segment_sink: one class for _mt and _st, events handed back by close()") {
    static_assert(std::is_same_v<seglog::segment_sink_mt, seglog::segment_sink_st>);
    seglog::config cfg;
    cfg.destinations = {seglog::destination::segment()};
    cfg.write_key = "wk_shared_library";
    cfg.host = "http://127.0.0.1:9"; // nothing answers: events stay pending until close()
    auto sink = std::make_shared<seglog::segment_sink_st>(cfg);
    seglog::error seen{};
    sink->client().on_error([&](const seglog::error &e) { seen = e; });
    CHECK(sink->client().track(seglog::user("u-so"), "Direct"));
    const auto left = sink->client().close(0ms);
    REQUIRE(left.size() == 1);
    CHECK(nlohmann::json::parse(left[0])["event"] == "Direct");
    CHECK(seen.code == seglog::reason::undelivered_at_close);
    CHECK(std::string(seglog::to_string(seen.code)) == "undelivered_at_close");
    CHECK(sink->client().stats().returned == 1);
}
