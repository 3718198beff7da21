#pragma once
// Redirects a standard file descriptor (2: stderr_capture, 1: stdout_capture) to a temporary
// file for its lifetime; text() reads it back.

#include <doctest/doctest.h>

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace seglog_test {

class fd_capture {
public:
    // fd: 1 or 2; `stream` is its stdio stream, flushed around the redirection.
    fd_capture(int fd, std::FILE *stream) : target_(fd), stream_(stream) {
        char tmpl[] = "/tmp/seglog-test-capture-XXXXXX";
        fd_ = ::mkstemp(tmpl);
        REQUIRE(fd_ >= 0);
        path_ = tmpl;
        std::fflush(stream_);
        saved_ = ::dup(target_);
        ::dup2(fd_, target_);
    }
    ~fd_capture() {
        restore();
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    fd_capture(const fd_capture &) = delete;
    fd_capture &operator=(const fd_capture &) = delete;

    // Everything written, capture ended.
    std::string text() {
        restore();
        return peek();
    }
    // What was written so far, still capturing.
    std::string peek() {
        std::fflush(stream_);
        std::ifstream in(path_);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

private:
    void restore() {
        if (saved_ < 0) return;
        std::fflush(stream_);
        ::dup2(saved_, target_);
        ::close(saved_);
        saved_ = -1;
    }
    int target_;
    std::FILE *stream_;
    int fd_ = -1;
    int saved_ = -1;
    std::string path_;
};

struct stderr_capture : fd_capture {
    stderr_capture() : fd_capture(2, stderr) {}
};
struct stdout_capture : fd_capture {
    stdout_capture() : fd_capture(1, stdout) {}
};

} // namespace seglog_test
