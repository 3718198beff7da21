// `seglog plan <subcommand>`: the tracking plan's commands (docs/tracking-plan.md). `check`
// checks a JSON-lines file of events (the file destination's output) against a plan.
#include "cli.h"
#include "commands.h"

#include "plan/checker.h"

#include <seglog/config.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

namespace seglog::tools {

namespace {

struct plan_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

const plan_command plan_commands[] = {
    {"check", "check a JSON-lines file of events against a tracking plan", plan_check_main},
    {"generate", "write typed C++ functions for the plan's events", plan_generate_main},
};

// A string of the event as one printable line: control characters (a newline in a name) become '?'.
std::string printable(const nlohmann::json &event, const char *key) {
    auto it = event.find(key);
    if (it == event.end() || !it->is_string()) return {};
    std::string text = it->get<std::string>();
    for (char &c : text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return text;
}

std::string event_label(const nlohmann::json &event) {
    std::string type = printable(event, "type");
    if (type.empty()) type = "(no type)";
    for (const char *key : {"event", "name"})
        if (std::string name = printable(event, key); !name.empty()) return type + " \"" + name + "\"";
    return type;
}

// Prints the violations of one line; returns whether it has any.
bool check_line(const detail::plan::checker &plan, const std::string &text, std::size_t number) {
    nlohmann::json event = nlohmann::json::parse(text, nullptr, false);
    if (event.is_discarded() || !event.is_object()) {
        std::printf("line %zu: not a JSON object\n", number);
        return true;
    }
    std::string label = event_label(event);
    if (auto type = event.find("type"); type == event.end() || !type->is_string()) {
        std::printf("line %zu: %s: not a Segment event (\"type\" missing or not a string)\n", number, label.c_str());
        return true;
    }
    detail::plan::check_result result;
    if (plan.check(event, &result)) return false;
    if (result.unplanned) std::printf("line %zu: %s: unplanned event\n", number, label.c_str());
    for (const auto &v : result.violations)
        std::printf("line %zu: %s: %s: %s\n", number, label.c_str(),
                    v.pointer.empty() ? "(the event)" : v.pointer.c_str(), v.keyword.c_str());
    return true;
}

} // namespace

int plan_check_main(int argc, char **argv) {
    CLI::App app("Checks each line of EVENTS.jsonl (one Segment event per line, as the file destination\n"
                 "writes them; '-' reads standard input) against the tracking plan FILE. Prints one line\n"
                 "per violation (line number, event, JSON pointer, keyword; never a value) and a summary.",
                 "seglog plan check");
    app.footer("Exit status: 0 every event meets the plan, 1 some do not (or a line is not a JSON\n"
               "object), 2 a usage error or a plan that cannot be loaded.");
    std::string plan_path, events_path;
    app.add_option("--plan", plan_path, "the tracking plan (docs/tracking-plan.md)")->option_text("FILE")->required();
    app.add_option("events", events_path, "the events, one JSON per line; '-': standard input")
        ->option_text("EVENTS.jsonl")
        ->required();
    if (int status = parse(app, argc, argv); status >= 0) return status;
    try {
        auto plan = detail::plan::checker::load(plan_path);
        std::ifstream file;
        if (events_path != "-") {
            file.open(events_path, std::ios::binary);
            if (!file) {
                std::fprintf(stderr, "seglog plan check: cannot read %s\n", events_path.c_str());
                return 2;
            }
        }
        std::istream &in = events_path == "-" ? std::cin : file;
        std::size_t number = 0, events = 0, failing = 0;
        for (std::string line; std::getline(in, line);) {
            ++number;
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            ++events;
            failing += check_line(plan, line, number) ? 1 : 0;
        }
        std::printf("%zu events checked, %zu violate the plan %s\n", events, failing, plan_path.c_str());
        return failing ? 1 : 0;
    } catch (const seglog::config_error &e) {
        std::fprintf(stderr, "seglog plan check: %s\n", e.what());
        return 2;
    }
}

int plan_main(int argc, char **argv) {
    const char *sub = argc > 1 ? argv[1] : "";
    for (const auto &c : plan_commands)
        if (!std::strcmp(sub, c.name)) return c.run(argc - 1, argv + 1);
    bool help = !std::strcmp(sub, "--help") || !std::strcmp(sub, "-h");
    std::FILE *out = help ? stdout : stderr;
    if (*sub && !help) std::fprintf(stderr, "seglog plan: unknown subcommand '%s'\n\n", sub);
    std::fprintf(out, "usage: seglog plan <subcommand> [options]\n\nsubcommands:\n");
    for (const auto &c : plan_commands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
    return help ? 0 : 2;
}

} // namespace seglog::tools
