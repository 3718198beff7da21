// `seglog replay FILE.jsonl|SPOOL_DIR`: resends what was not delivered, keeping messageIds (Segment
// deduplicates on them), through the configuration in force. A JSON-lines file (the file
// destination's output) is read line by line into client::enqueue; a spool directory is opened
// as a client's spool, whose recovery re-queues every record not yet settled.
#include "cli.h"
#include "commands.h"
#include "delivery.h"
#include "settings.h"

#include <seglog/client.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace seglog::tools {

namespace {

struct replay_counts {
    std::uint64_t lines = 0, bad_lines = 0;
};

// Each line of `path` into the client; a line that is not an event is said with its number on
// stderr and counted, and the rest go on.
bool enqueue_file(const std::string &path, seglog::client &c, delivery_watch &watch, replay_counts &n) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::uint64_t number = 0;
    for (std::string line; std::getline(in, line);) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        ++n.lines;
        std::string why;
        const auto event = nlohmann::json::parse(line, nullptr, false);
        if (event.is_discarded() || !event.is_object()) why = "not a JSON object";
        else if (!event.contains("messageId") || !event["messageId"].is_string())
            why = "no messageId string (not an event seglog wrote)";
        else if (!c.enqueue(line)) why = watch.take_refusal();
        if (why.empty()) continue;
        ++n.bad_lines;
        std::fprintf(stderr, "seglog replay: %s:%llu: %s\n", path.c_str(), static_cast<unsigned long long>(number),
                     why.c_str());
    }
    return true;
}

} // namespace

int replay_main(int argc, char **argv) {
    CLI::App app("Resends events that were not delivered, keeping their messageIds, through the\n"
                 "configuration in force (as seglog::config::from_env() reads it): a JSON-lines file\n"
                 "(what the file destination writes) or a spool directory (config spool_dir).",
                 "seglog replay");
    app.footer("Exit status: 0 every event delivered; 1 some were not (failed, bad lines, left in the\n"
               "spool); 2 wrong arguments or configuration.");
    settings_options settings;
    settings.add_to(app);
    std::string path;
    double timeout_s = 30;
    app.add_option("path", path, "a JSON-lines file of events, or a spool directory")
        ->option_text("FILE.jsonl|SPOOL_DIR")
        ->required();
    app.add_option("--timeout", timeout_s, "seconds to wait for delivery (default 30)")
        ->option_text("S")
        ->check(CLI::PositiveNumber);
    if (int status = parse(app, argc, argv); status >= 0) return status;

    std::error_code ec;
    const bool spool = std::filesystem::is_directory(path, ec);
    if (!spool && !std::filesystem::is_regular_file(path, ec)) {
        std::fprintf(stderr, "seglog replay: %s: no such file or directory\n", path.c_str());
        return 2;
    }

    std::unique_ptr<seglog::client> client;
    try {
        seglog::config cfg = settings.load();
        // Replay owns the spool it reads, and no other: a file's events must not end in the spool
        // of the service whose configuration this is.
        cfg.spool_dir = spool ? path : std::string();
        // A file larger than the queue waits for room instead of losing lines.
        cfg.overflow = overflow_policy::block;
        cfg.block_timeout = std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000));
        client = std::make_unique<seglog::client>(cfg);
    } catch (const seglog::config_error &e) {
        std::fprintf(stderr, "seglog replay: %s\n", e.what());
        return 2;
    }
    delivery_watch watch(*client);
    replay_counts n;
    if (!spool && !enqueue_file(path, *client, watch, n)) {
        std::fprintf(stderr, "seglog replay: cannot read %s\n", path.c_str());
        return 2;
    }
    watch.wait(std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000)));
    client->close(std::chrono::milliseconds(500));
    const seglog::stats s = client->stats();

    std::printf("replayed %s %s\n", spool ? "spool" : "file", path.c_str());
    if (spool) std::printf("recovered: %llu\n", static_cast<unsigned long long>(s.spool_recovered));
    else std::printf("lines: %llu\n", static_cast<unsigned long long>(n.lines));
    std::printf("sent: %llu\n", static_cast<unsigned long long>(s.delivered));
    std::printf("failed: %llu\n", static_cast<unsigned long long>(s.failed));
    print_failures(s, watch);
    const std::uint64_t undelivered = s.returned + s.spool_left;
    if (undelivered)
        std::printf("not delivered: %llu (%s)\n", static_cast<unsigned long long>(undelivered),
                    watch.last_problem().empty() ? "no answer before the timeout" : watch.last_problem().c_str());
    if (!spool) std::printf("bad lines: %llu\n", static_cast<unsigned long long>(n.bad_lines));
    else if (s.spool_corrupt)
        std::printf("corrupt records skipped: %llu\n", static_cast<unsigned long long>(s.spool_corrupt));
    std::printf("left in spool: %llu\n", static_cast<unsigned long long>(s.spool_left));
    const bool all = s.failed == 0 && undelivered == 0 && n.bad_lines == 0 && s.spool_corrupt == 0 &&
                     s.delivered == s.accepted;
    return all ? 0 : 1;
}

} // namespace seglog::tools
