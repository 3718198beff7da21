// Every command of the `seglog` command line: --help describes it (exit 0), an unknown option is
// an error (exit 2, said on stderr with a pointer to --help).
#include <doctest/doctest.h>

#include "tool_run.h"

#include <string>
#include <vector>

using namespace seglog_test;

TEST_SUITE("cli: arguments") {

TEST_CASE("--help of every command and subcommand; unknown options refused") {
    // Each command's name, then arguments it requires (so that the unknown option is the error).
    const std::vector<std::vector<std::string>> commands = {{"collector"},
                                                            {"plan", "check", "--plan", "p.json", "e.jsonl"},
                                                            {"plan", "generate", "--plan", "p.json", "--namespace",
                                                             "app", "--out", "e.h"},
                                                            {"send"},
                                                            {"replay", "e.jsonl"},
                                                            {"doctor"}};
    for (const auto &cmd : commands) {
        std::string name = "seglog";
        for (const auto &w : cmd) {
            if (w[0] == '-' || w.find('.') != std::string::npos) break;
            name += " " + w;
        }
        auto args = cmd;
        args.push_back("--help");
        const tool_result help = run_seglog(args);
        INFO(name << "\n" << help.text());
        CHECK(help.status == 0);
        CHECK(contains(help.out, "Usage: " + name + " [OPTIONS]"));
        CHECK(help.err.empty());

        args.back() = "--no-such-option";
        const tool_result wrong = run_seglog(args);
        INFO(wrong.text());
        CHECK(wrong.status == 2);
        CHECK(contains(wrong.err, name + ": "));
        CHECK(contains(wrong.err, "--no-such-option"));
        CHECK(contains(wrong.err, "Run '" + name + " --help' for the options."));
        CHECK(wrong.out.empty());
    }
}

TEST_CASE("the command list, and an unknown command") {
    const tool_result list = run_seglog({"--help"});
    CHECK(list.status == 0);
    for (const char *name : {"collector", "plan", "send", "replay", "doctor"}) CHECK(contains(list.out, name));
    const tool_result wrong = run_seglog({"frobnicate"});
    CHECK(wrong.status == 2);
    CHECK(contains(wrong.err, "seglog: unknown command 'frobnicate'"));
    const tool_result plan = run_seglog({"plan", "frobnicate"});
    CHECK(plan.status == 2);
    CHECK(contains(plan.err, "seglog plan: unknown subcommand 'frobnicate'"));
}

} // TEST_SUITE
