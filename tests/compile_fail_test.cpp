// Wrong shapes of properties fail to compile with seglog's own message rather than a list of
// overloads. Each file of tests/compile_fail/ says on its first line which message it must
// produce (`// expect: ...`) and is compiled with the command the build uses for
// tests/headers/track_without_json.cpp (read from compile_commands.json), -fsyntax-only;
// shapes_ok.cpp (the same shapes written right) and converted_ok.cpp (conversions through
// nlohmann::json) must compile with it.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

// POSIX shell words of a command line as meson writes it (single and double quotes, backslashes).
std::vector<std::string> shell_words(const std::string &line) {
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

std::string quoted(const std::string &s) {
    std::string q = "'";
    for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

struct compile_command {
    std::string directory;
    std::vector<std::string> args; // compiler and flags, without source, output or dependency files
};

compile_command reference_command() {
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
        return c;
    }
    FAIL("no compile command for " << reference << " in " SEGLOG_BUILD_ROOT "/compile_commands.json");
    return {};
}

struct result {
    int status = -1;
    std::string output;
};

result compile(const std::string &source) {
    static const compile_command cmd = reference_command();
    std::string line = "cd " + quoted(cmd.directory) + " &&";
    for (const auto &a : cmd.args) line += " " + quoted(a);
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

std::string expected_message(const std::string &source) {
    std::ifstream in(source);
    std::string first;
    std::getline(in, first);
    const std::string tag = "// expect: ";
    REQUIRE_MESSAGE(first.rfind(tag, 0) == 0, source << " does not start with " << tag);
    return first.substr(tag.size());
}

void check_fails_with_its_message(const std::string &name) {
    const std::string source = SEGLOG_COMPILE_FAIL_DIR "/" + name;
    const std::string expected = expected_message(source);
    const result r = compile(source);
    INFO(name << ":\n" << r.output);
    CHECK(r.status != 0);
    CHECK(r.output.find(expected) != std::string::npos);
    CHECK(r.output.find("error:") != std::string::npos);
}

} // namespace

TEST_SUITE("properties: wrong shapes fail to compile, with seglog's message") {

TEST_CASE("the right shapes compile with the same command") {
    for (const char *name : {"shapes_ok.cpp", "converted_ok.cpp"}) {
        const result r = compile(std::string(SEGLOG_COMPILE_FAIL_DIR "/") + name);
        INFO(name << ":\n" << r.output);
        CHECK(r.status == 0);
    }
}

TEST_CASE("an array where properties are expected") { check_fails_with_its_message("array_at_top.cpp"); }
TEST_CASE("a property without the braces around the list") { check_fails_with_its_message("missing_outer_braces.cpp"); }
TEST_CASE("a key that is not a string") { check_fails_with_its_message("key_not_string.cpp"); }
TEST_CASE("a member with a third item") { check_fails_with_its_message("three_items.cpp"); }
TEST_CASE("an enum as a value") { check_fails_with_its_message("enum_value.cpp"); }
TEST_CASE("a struct inside nested braces of the context") {
    check_fails_with_its_message("struct_in_nested_value.cpp");
}
TEST_CASE("a struct without to_json, nlohmann/json.hpp included") {
    check_fails_with_its_message("struct_without_to_json.cpp");
}
TEST_CASE("a container without nlohmann/json.hpp") { check_fails_with_its_message("container_without_json_hpp.cpp"); }

} // TEST_SUITE
