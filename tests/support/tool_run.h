#pragma once
// Runs the built `seglog` command line as a user would (tests/cli_*_test.cpp, and the plan
// tool's tests): its arguments, a clean environment with only the variables given, and what it
// wrote on stdout and stderr with its exit status.

#include "temp_files.h"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace seglog_test {

#ifdef SEGLOG_TOOL
inline constexpr const char *k_seglog_tool = SEGLOG_TOOL;
#endif

struct tool_result {
    int status = -1; // exit status; -1 when killed by a signal
    std::string out, err;
    // Both streams, for INFO().
    std::string text() const { return "exit " + std::to_string(status) + "\nstdout:\n" + out + "stderr:\n" + err; }
};

// `s` as one word of a shell command line.
inline std::string shell_word(const std::string &s) {
    std::string q = "'";
    for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

inline std::string file_text(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

using env_vars = std::vector<std::pair<std::string, std::string>>;

// `tool args...` with the environment reduced to PATH and `env`: no SEGLOG_* or SEGMENT_*
// variable of the test's own environment reaches it.
inline tool_result run_tool(const std::string &tool, const std::vector<std::string> &args, const env_vars &env = {}) {
    temp_dir io("seglog-tool-run");
    std::string line = "env -i PATH=/usr/bin:/bin";
    for (const auto &[name, value] : env) line += " " + shell_word(name + "=" + value);
    line += " " + shell_word(tool);
    for (const auto &a : args) line += " " + shell_word(a);
    line += " >" + shell_word(io / "out") + " 2>" + shell_word(io / "err") + " </dev/null";
    tool_result r;
    const int status = std::system(line.c_str());
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = file_text(io / "out");
    r.err = file_text(io / "err");
    return r;
}

#ifdef SEGLOG_TOOL
inline tool_result run_seglog(const std::vector<std::string> &args, const env_vars &env = {}) {
    return run_tool(k_seglog_tool, args, env);
}
#endif

inline bool contains(const std::string &text, const std::string &part) { return text.find(part) != std::string::npos; }

} // namespace seglog_test
