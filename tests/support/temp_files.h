#pragma once
// Test helpers for suites that write files: a fresh directory removed with its files at the
// end of the test, and reading a file back line by line.

#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace seglog_test {

struct temp_dir {
    std::string path;
    explicit temp_dir(const std::string &prefix = "seglog-test") {
        std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        // A test may have taken its own permissions away to see a write fail.
        std::filesystem::permissions(path, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir &) = delete;
    temp_dir &operator=(const temp_dir &) = delete;
    std::string file(const std::string &name) const { return path + "/" + name; }
    std::string operator/(const std::string &name) const { return file(name); }
    // Writes `text` to the file `name` in the directory; returns its path.
    std::string write(const std::string &name, const std::string &text) const {
        const std::string p = file(name);
        std::ofstream(p) << text;
        return p;
    }
};

inline std::vector<std::string> read_lines(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
}

} // namespace seglog_test
