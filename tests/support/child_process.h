#pragma once
// A program of the build run as a process of its own, as a user runs a service: its arguments,
// an environment reduced to PATH, the sanitizers' options and the variables given, a working
// directory, and its stdout and stderr in files that the test reads while it runs. Signalled and
// waited for with a bound; killed at the end of the test if still running.

#include "temp_files.h"
#include "tool_run.h"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace seglog_test {

class child_process {
public:
    // Starts `program args...` in `dir` (which also receives its stdout and stderr as
    // `<name>.out` and `<name>.err`).
    child_process(const std::string &program, const std::vector<std::string> &args, const env_vars &env,
                  const std::string &dir, const std::string &name = "child")
        : out_path_(dir + "/" + name + ".out"), err_path_(dir + "/" + name + ".err") {
        // Everything exec needs is built before fork(): the child of a threaded process may only
        // make async-signal-safe calls.
        std::vector<std::string> argv_s{program};
        argv_s.insert(argv_s.end(), args.begin(), args.end());
        std::vector<std::string> env_s{"PATH=/usr/bin:/bin"};
        for (const char *pass : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS", "MSAN_OPTIONS"})
            if (const char *v = std::getenv(pass)) env_s.push_back(std::string(pass) + "=" + v);
        for (const auto &[k, v] : env) env_s.push_back(k + "=" + v);
        std::vector<char *> argv, envp;
        for (auto &s : argv_s) argv.push_back(s.data());
        argv.push_back(nullptr);
        for (auto &s : env_s) envp.push_back(s.data());
        envp.push_back(nullptr);
        const int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        const int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        REQUIRE(out >= 0);
        REQUIRE(err >= 0);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            if (::chdir(dir.c_str()) != 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(126);
            const int null = ::open("/dev/null", O_RDONLY);
            if (null >= 0) ::dup2(null, 0);
            ::execve(argv[0], argv.data(), envp.data());
            ::_exit(127);
        }
        ::close(out);
        ::close(err);
    }
    ~child_process() {
        if (running()) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    child_process(const child_process &) = delete;
    child_process &operator=(const child_process &) = delete;

    pid_t pid() const { return pid_; }
    std::string out() const { return file_text(out_path_); }
    std::string err() const { return file_text(err_path_); }
    // Both streams and the exit status, for INFO().
    std::string text() const {
        return "exit " + (status_ ? std::to_string(*status_) : std::string("(running)")) + "\nstdout:\n" + out() +
               "stderr:\n" + err();
    }

    void signal(int sig) const { ::kill(pid_, sig); }

    // Waits until `cond(stdout)` holds, or the process has ended, or `timeout`: whether it held.
    bool wait_for_out(const std::function<bool(const std::string &)> &cond, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (cond(out())) return true;
            if (!running() || std::chrono::steady_clock::now() > deadline) return cond(out());
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }

    // The exit status once the process has ended within `timeout` (-1: killed by a signal);
    // nothing if it still runs.
    std::optional<int> wait(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (running()) {
            if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return status_;
    }

private:
    pid_t pid_ = -1;
    std::string out_path_, err_path_;
    std::optional<int> status_; // once reaped

    bool running() {
        if (status_) return false;
        int status = 0;
        const pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == 0) return true;
        status_ = r == pid_ && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return false;
    }
};

} // namespace seglog_test
