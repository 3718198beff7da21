#pragma once
// What every `seglog` command shares on top of CLI11: one way to parse, to answer --help and to
// report a usage error, so that each command behaves the same (docs/tools.md, "Exit status").
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

namespace seglog::tools {

// Parses argv (argv[0] is the command's name) into the options bound on `app`. Returns -1 when
// the command goes on, else its exit status: 0 after --help (printed on stdout), 2 after a usage
// error (an unknown option, a missing or malformed value), said on stderr in one line with a
// pointer to --help.
// `app` is named as the user types the command ("seglog collector"); `-h,--help` is CLI11's.
inline int parse(CLI::App &app, int argc, char **argv) {
    app.get_formatter()->column_width(24);
    try {
        app.parse(argc, argv);
        return -1;
    } catch (const CLI::CallForHelp &) {
        std::fputs(app.help().c_str(), stdout);
        return 0;
    } catch (const CLI::ParseError &e) {
        std::fprintf(stderr, "%s: %s\nRun '%s --help' for the options.\n", app.get_name().c_str(), e.what(),
                     app.get_name().c_str());
        return 2;
    }
}

} // namespace seglog::tools
