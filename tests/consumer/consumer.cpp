// A service that consumes seglog as a Meson subproject: one log line, one event to a local
// file, then checks the file holds exactly that event (exit 1 with the reason otherwise).
#include <seglog/seglog.h>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <string>

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
    SEGLOG_TRACK(seglog::user("u-1"), "Subproject Built", {{"spdlog", SPDLOG_VER_MAJOR * 10000 + SPDLOG_VER_MINOR * 100 + SPDLOG_VER_PATCH}});
    logger->flush();

    std::ifstream in(path);
    std::string line, last;
    int lines = 0;
    while (std::getline(in, line)) {
        ++lines;
        last = line;
    }
    const auto event = nlohmann::json::parse(last, nullptr, false);
    if (lines != 1 || event.is_discarded() || event.value("type", "") != "track" ||
        event.value("event", "") != "Subproject Built" || event.value("userId", "") != "u-1") {
        std::fprintf(stderr, "consumer: expected one track event in %s, got %d line(s): %s\n",
                     path.c_str(), lines, last.c_str());
        return 1;
    }
    std::printf("consumer: seglog %s, spdlog %d.%d.%d, fmt %d, event written to %s\n",
                SEGLOG_VERSION_STRING, SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH,
                FMT_VERSION, path.c_str());
    return 0;
}
