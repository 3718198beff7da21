#pragma once
// Redirects file descriptor 2 to a temporary file for its lifetime; text() reads it back.

#include <doctest/doctest.h>

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace seglog_test {

class stderr_capture {
public:
    stderr_capture() {
        char tmpl[] = "/tmp/seglog-test-stderr-XXXXXX";
        fd_ = ::mkstemp(tmpl);
        REQUIRE(fd_ >= 0);
        path_ = tmpl;
        std::fflush(stderr);
        saved_ = ::dup(2);
        ::dup2(fd_, 2);
    }
    ~stderr_capture() {
        restore();
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    stderr_capture(const stderr_capture &) = delete;
    stderr_capture &operator=(const stderr_capture &) = delete;

    // Everything written, capture ended.
    std::string text() {
        restore();
        return peek();
    }
    // What was written so far, still capturing.
    std::string peek() {
        std::fflush(stderr);
        std::ifstream in(path_);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

private:
    void restore() {
        if (saved_ < 0) return;
        std::fflush(stderr);
        ::dup2(saved_, 2);
        ::close(saved_);
        saved_ = -1;
    }
    int fd_ = -1;
    int saved_ = -1;
    std::string path_;
};

} // namespace seglog_test
