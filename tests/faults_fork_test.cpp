// fork(): the child gets a pipeline of its own and the parent's queue stays the parent's; a
// child that never tracks starts no thread.
#include "pipeline.h"
#include "sanitizers.h"

#include <doctest/doctest.h>

#include <seglog/seglog.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using namespace seglog_test;
using seglog::reason;
using seglog::loopback::reply;

namespace {

// ThreadSanitizer does not support a child that starts threads after a multi-threaded fork:
// it kills it (die_after_fork), or with die_after_fork=0 aborts on "dup thread with used id"
// when the new thread gets the id of a parent thread it still has on its books.
bool child_may_start_threads() { return !k_tsan; }

// True once every other thread of this process has been asleep ('S' in /proc) in two scans in a
// row. GCC 12's ASan allocator is not fork-safe: a thread inside malloc at the fork (the
// collector's threads finishing a response, the worker finishing a turn) leaves a lock held
// forever in the child. Waiting for them to sleep closes that window; glibc's malloc needs none.
bool other_threads_asleep(std::chrono::milliseconds patience) {
    const std::string self = std::to_string(static_cast<long>(::gettid()));
    auto all_asleep = [&] {
        for (const auto &task : std::filesystem::directory_iterator("/proc/self/task")) {
            if (task.path().filename() == self) continue;
            std::ifstream stat(task.path() / "stat");
            std::string line;
            std::getline(stat, line);
            const auto close = line.rfind(')'); // the name may contain spaces and parentheses
            if (close == std::string::npos || close + 2 >= line.size()) continue; // the thread ended
            if (line[close + 2] != 'S') return false;
        }
        return true;
    };
    const auto deadline = std::chrono::steady_clock::now() + patience;
    int in_a_row = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        in_a_row = all_asleep() ? in_a_row + 1 : 0;
        if (in_a_row == 2) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1)); // polling a condition, not timing
    }
    return false;
}

} // namespace

// ---------------------------------------------------------------------------------------------
TEST_SUITE("fork") {

TEST_CASE("fork: the child gets a pipeline of its own; the parent's queue stays the parent's") {
    if (!child_may_start_threads()) {
        MESSAGE("skipped under ThreadSanitizer: it cannot follow threads started after fork()");
        return;
    }
    pipeline p;
    p.cfg.flush_at = 500;
    p.cfg.flush_interval = 60s; // the parent's events stay pending across the fork
    seglog::client &c = p.start();
    const long parent = static_cast<long>(::getpid());
    // The worker's first turns done before the fork, so that it is asleep (flush_interval away)
    // when other_threads_asleep() looks. One event delivered, then forgotten by the collector.
    REQUIRE(c.enqueue(fault_record(999, parent)));
    p.flush();
    p.col.clear_records();
    for (int i = 0; i < 40; ++i) REQUIRE(p.push(i, parent));
    // Pending in the parent at the fork: in its queue (the worker is not woken for a batch that
    // is not full).
    REQUIRE(p.stats().delivered == 1);
    REQUIRE(other_threads_asleep(k_bound));

    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // No doctest here: the exit status carries the child's verdict, one bit per check.
        int code = 0;
        const long me = static_cast<long>(::getpid());
        if (c.stats().accepted != 0) code |= 1; // nothing of the parent's is counted here
        for (int i = 0; i < 25; ++i)
            if (!c.enqueue(fault_record(1000 + i, me))) code |= 2;
        if (!c.flush(std::chrono::milliseconds(20000))) code |= 4;
        const auto s = c.stats();
        if (s.accepted != 25 || s.delivered != 25 || s.failed != 0) code |= 8;
        if (!c.close(std::chrono::milliseconds(5000)).empty()) code |= 16;
        ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);

    // The child's events arrived, once, and nothing of the parent's came with them.
    CHECK(p.col.unique_count() == 25);
    for (auto &e : p.col.accepted_events()) CHECK(e.at("properties").at("pid").get<long>() == static_cast<long>(child));

    // The parent carries on: its events go out now, once, from its own connections.
    p.flush();
    p.close_within(5s);
    CHECK(p.stats().delivered == 41); // with the one before the fork
    CHECK(p.col.unique_count() == 65);
    CHECK(p.col.duplicate_count() == 0);
    std::set<std::uint64_t> child_conns, parent_conns;
    for (auto &r : p.col.requests()) {
        REQUIRE(r.json_valid);
        for (auto &e : r.json.at("batch")) {
            const long pid = e.at("properties").at("pid").get<long>();
            (pid == parent ? parent_conns : child_conns).insert(r.connection);
            CHECK((pid == parent || pid == static_cast<long>(child)));
        }
    }
    for (auto conn : child_conns) CHECK(parent_conns.count(conn) == 0);
    std::set<int> parent_seqs;
    for (auto &e : p.col.accepted_events())
        if (e.at("properties").at("pid").get<long>() == parent) parent_seqs.insert(seq_of(e));
    CHECK(parent_seqs.size() == 40);
}

TEST_CASE("fork: a child that never tracks anything starts no thread and closes cleanly") {
    pipeline p;
    seglog::client &c = p.start();
    p.track_n(30);
    REQUIRE(other_threads_asleep(k_bound));
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int code = 0;
        if (!c.close(std::chrono::milliseconds(1000)).empty()) code |= 1;
        if (p.stats().accepted != 0) code |= 2;
        ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    p.flush();
    p.close_within(5s);
    CHECK(p.col.unique_count() == 30);
    p.reconcile();
}

} // TEST_SUITE("fork")
