#pragma once
// Compiling a source file with the build's own command, from a test: the command the build uses
// for tests/headers/track_without_json.cpp (read from compile_commands.json), -fsyntax-only, plus
// any extra arguments. For sources that must fail to compile (with a given message) or must
// compile cleanly. The test executable defines SEGLOG_BUILD_ROOT (the build directory).

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace seglog_test {

// POSIX shell words of a command line as meson writes it (single and double quotes, backslashes).
inline std::vector<std::string> shell_words(const std::string &line) {
    std::vector<std::string> words;
    std::string w;
    bool in_word = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (c == ' ' || c == '\t') {
            if (in_word) words.push_back(w);
            w.clear();
            in_word = false;
            continue;
        }
        in_word = true;
        if (c == '\'') {
            for (++i; i < line.size() && line[i] != '\''; ++i) w += line[i];
        } else if (c == '"') {
            for (++i; i < line.size() && line[i] != '"'; ++i) {
                if (line[i] == '\\' && i + 1 < line.size()) ++i;
                w += line[i];
            }
        } else if (c == '\\' && i + 1 < line.size()) {
            w += line[++i];
        } else {
            w += c;
        }
    }
    if (in_word) words.push_back(w);
    return words;
}

inline std::string quoted(const std::string &s) {
    std::string q = "'";
    for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

struct compile_command {
    std::string directory;
    std::vector<std::string> args; // compiler and flags, without source, output or dependency files
};

inline compile_command reference_command() {
    std::ifstream in(SEGLOG_BUILD_ROOT "/compile_commands.json");
    REQUIRE(in);
    const auto db = nlohmann::json::parse(in);
    const std::string reference = "tests/headers/track_without_json.cpp";
    for (const auto &e : db) {
        const std::string file = e.at("file").get<std::string>();
        if (file.size() < reference.size() || file.compare(file.size() - reference.size(), reference.size(), reference))
            continue;
        compile_command c{e.at("directory").get<std::string>(), {}};
        const auto words = shell_words(e.at("command").get<std::string>());
        for (std::size_t i = 0; i < words.size(); ++i) {
            const std::string &w = words[i];
            if (w == "-MQ" || w == "-MF" || w == "-o" || w == "-c") ++i; // and their argument
            else if (w != "-MD" && w.rfind("-fdiagnostics-color", 0) != 0) c.args.push_back(w);
        }
        // A compiler launcher (meson puts ccache first when it finds it) is not the compiler:
        // dropped, so that args[0] is the compiler a test may swap for another.
        if (!c.args.empty()) {
            const std::string &first = c.args.front();
            const std::string name = first.substr(first.find_last_of('/') + 1);
            if (name == "ccache" || name == "sccache") c.args.erase(c.args.begin());
        }
        return c;
    }
    FAIL("no compile command for " << reference << " in " SEGLOG_BUILD_ROOT "/compile_commands.json");
    return {};
}

struct result {
    int status = -1;
    std::string output;
};

// `source` compiled with the reference command and `extra` (e.g. "-I<dir>", "-Werror"); with
// `compiler` instead of the build's when one is given (the flags are GCC's and Clang's alike).
inline result compile(const std::string &source, const std::vector<std::string> &extra = {},
                      const std::string &compiler = "") {
    static const compile_command cmd = reference_command();
    std::string line = "cd " + quoted(cmd.directory) + " &&";
    for (std::size_t i = 0; i < cmd.args.size(); ++i)
        line += " " + quoted(i == 0 && !compiler.empty() ? compiler : cmd.args[i]);
    for (const auto &a : extra) line += " " + quoted(a);
    line += " -fsyntax-only " + quoted(source) + " 2>&1";
    result r;
    FILE *p = ::popen(line.c_str(), "r");
    REQUIRE(p);
    std::array<char, 4096> buf{};
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) r.output.append(buf.data(), n);
    const int status = ::pclose(p);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

inline std::string expected_message(const std::string &source) {
    std::ifstream in(source);
    std::string first;
    std::getline(in, first);
    const std::string tag = "// expect: ";
    REQUIRE_MESSAGE(first.rfind(tag, 0) == 0, source << " does not start with " << tag);
    return first.substr(tag.size());
}

} // namespace seglog_test
