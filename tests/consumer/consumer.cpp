// A service that uses seglog the way another project would: as a Meson subproject
// (meson.build), through CMake's find_package (CMakeLists.txt) or through pkg-config
// (scripts/test-install.sh). One log line, one event to a local file, then checks the file
// holds exactly that event (exit 1 with the reason otherwise).
#include <seglog/seglog.h>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <string>

// The whole event, field by field: only messageId and timestamp vary from run to run.
static bool is_expected(nlohmann::json event, int spdlog_version) {
    if (!event.is_object() || !event["messageId"].is_string() || event["messageId"].get<std::string>().size() != 36 ||
        !event["timestamp"].is_string()) {
        return false;
    }
    event.erase("messageId");
    event.erase("timestamp");
    const auto expected = nlohmann::json{
        {"type", "track"},
        {"userId", "u-1"},
        {"event", "Consumer Built"},
        {"properties", {{"spdlog", spdlog_version}}},
        {"context", {{"library", {{"name", "seglog"}, {"version", SEGLOG_VERSION_STRING}}}}},
        {"integrations", nlohmann::json::object()},
    };
    return event == expected;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: consumer EVENTS_FILE\n");
        return 2;
    }
    const std::string path = argv[1];
    std::remove(path.c_str());

    seglog::config cfg;
    cfg.destinations = {seglog::destination::file(path)};
    auto logger = spdlog::null_logger_mt("consumer");
    seglog::attach(*logger, cfg);
    spdlog::set_default_logger(logger);

    SPDLOG_INFO("not an event");
    const int spdlog_version = SPDLOG_VER_MAJOR * 10000 + SPDLOG_VER_MINOR * 100 + SPDLOG_VER_PATCH;
    SEGLOG_TRACK(seglog::user("u-1"), "Consumer Built", {{"spdlog", spdlog_version}});
    logger->flush();

    std::ifstream in(path);
    std::string line, last;
    int lines = 0;
    while (std::getline(in, line)) {
        ++lines;
        last = line;
    }
    if (lines != 1 || !is_expected(nlohmann::json::parse(last, nullptr, false), spdlog_version)) {
        std::fprintf(stderr, "consumer: expected one track event in %s, got %d line(s): %s\n", path.c_str(), lines,
                     last.c_str());
        return 1;
    }
    std::printf("consumer: seglog %s, spdlog %d.%d.%d, fmt %d, event written to %s\n", SEGLOG_VERSION_STRING,
                SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH, FMT_VERSION, path.c_str());
    return 0;
}
