// `seglog <subcommand> [options]`: a small dispatcher. To add a subcommand, declare its
// entry point in commands.h and add a row to `commands` below.
#include "commands.h"

#include <seglog/version.h>

#include <cstdio>
#include <cstring>
#include <iterator>

namespace {

const seglog::tools::command commands[] = {
    {"collector", "run a local Segment-compatible collector (POST /v1/batch)", seglog::tools::collector_main},
    {"plan", "a tracking plan: check events against it, generate typed functions", seglog::tools::plan_main},
    {"send", "send one event through the configuration in force and wait for the answer", seglog::tools::send_main},
    {"replay", "resend a JSON-lines file or a spool directory, keeping messageIds", seglog::tools::replay_main},
    {"doctor", "print the configuration in force and check that it works", seglog::tools::doctor_main},
};

void usage(std::FILE *out) {
    std::fprintf(out, "usage: seglog <command> [options]\n\ncommands:\n");
    for (const auto &c : commands) std::fprintf(out, "  %-12s %s\n", c.name, c.summary);
    std::fprintf(out, "\n'seglog <command> --help' describes a command's options.\n");
}

} // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (!std::strcmp(name, "--help") || !std::strcmp(name, "-h") || !std::strcmp(name, "help")) {
        usage(stdout);
        return 0;
    }
    if (!std::strcmp(name, "--version")) {
        std::printf("seglog %s\n", seglog::version);
        return 0;
    }
    for (const auto &c : commands)
        if (!std::strcmp(name, c.name)) return c.run(argc - 1, argv + 1);
    std::fprintf(stderr, "seglog: unknown command '%s'\n\n", name);
    usage(stderr);
    return 2;
}
