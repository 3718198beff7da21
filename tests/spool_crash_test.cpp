// The spool's promise: every event whose call returned true survives the death of the process
// at any instant. A producer (tests/spool_producer.cpp, a process of its own) is SIGKILLed at
// random instants: mid-burst, after its last call returned, and while it recovers what the
// previous one left; the next one starts on the same spool. At the end every event a producer
// reported accepted has reached the collector.

#include <doctest/doctest.h>

#include "spool_files.h"

#include <seglog/client.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace seglog_test;
using namespace std::chrono_literals;

namespace {

const std::string producer = std::string(SEGLOG_TEST_BUILD_DIR) + "/spool_producer";

struct child {
    pid_t pid = -1;
    int out = -1;    // its stdout
    std::string buf; // what was read of a line not ended yet
};

child spawn(const std::string &dir, const std::string &url, int first, int count) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    const std::string a = std::to_string(first), n = std::to_string(count);
    const char *argv[] = {producer.c_str(), dir.c_str(), url.c_str(), a.c_str(), n.c_str(), nullptr};
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) { // only async-signal-safe calls until exec: the parent has threads
        ::dup2(fds[1], 1);
        ::execv(argv[0], const_cast<char *const *>(argv));
        ::_exit(127);
    }
    ::close(fds[1]);
    return {pid, fds[0], {}};
}

// Reads one complete line (false at end of file). A line cut by the kill is not one.
bool next_line(child &c, std::string &line) {
    for (;;) {
        const auto nl = c.buf.find('\n');
        if (nl != std::string::npos) {
            line = c.buf.substr(0, nl);
            c.buf.erase(0, nl + 1);
            return true;
        }
        char chunk[4096];
        const ssize_t got = ::read(c.out, chunk, sizeof chunk);
        if (got <= 0) return false;
        c.buf.append(chunk, static_cast<std::size_t>(got));
    }
}

// Kills the child and books every id it reported accepted, including those still in the pipe.
void kill_and_collect(child &c, std::set<std::string> &accepted) {
    ::kill(c.pid, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(c.pid, &status, 0) == c.pid);
    CHECK_MESSAGE((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL), "producer ended by itself: " << status);
    std::string line;
    while (next_line(c, line))
        if (line != "started" && line != "done") accepted.insert(line);
    ::close(c.out);
}

} // namespace

TEST_SUITE("spool") {

TEST_CASE("SIGKILL at random instants loses no accepted event: mid-burst, after the last call, during recovery") {
    const unsigned seed = 20261204;
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    temp_dir dir;
    const std::string spool = dir / "spool";
    seglog::loopback::collector col;
    col.fail_ratio(0.3, 500, seed); // retries keep events in the spool longer
    std::set<std::string> accepted;
    constexpr int rounds = 24, per_round = 400;
    for (int round = 0; round < rounds; ++round) {
        const int mode = round % 3;
        child c = spawn(spool, col.url(), round * per_round, per_round);
        std::string line;
        if (mode == 0) { // mid-burst: after a random number of accepted events
            const int k = std::uniform_int_distribution<int>(0, per_round)(rng);
            for (int seen = 0; seen < k && next_line(c, line) && line != "done";)
                if (line != "started") {
                    accepted.insert(line);
                    ++seen;
                }
        } else if (mode == 1) { // after the last call returned
            while (next_line(c, line) && line != "done")
                if (line != "started") accepted.insert(line);
        } else { // during recovery of what the earlier producers left, or just after
            std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 20000)(rng)));
        }
        kill_and_collect(c, accepted);
    }
    REQUIRE(accepted.size() > static_cast<std::size_t>(rounds) * per_round / 3);

    // A last client on the same spool, against a healthy collector, sends what is left.
    col.clear_faults();
    seglog::config cfg = segment_config(col);
    cfg.spool_dir = spool;
    cfg.spool_max_bytes = 8 << 20;
    seglog::client last(cfg);
    auto missing = [&] {
        std::size_t n = 0;
        for (const auto &id : accepted) n += !col.accepted(id);
        return n;
    };
    last.flush(k_bound);
    CHECK(col.wait_for([&] { return missing() == 0; }, k_bound));
    CHECK(missing() == 0);
    last.close(k_bound);
    CHECK(last.stats().spool_events == 0);
    CHECK(spool_segments(spool).empty());
}

} // TEST_SUITE
