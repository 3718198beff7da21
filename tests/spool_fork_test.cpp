// fork(): the child runs without the spool. Its events go through memory only; the parent's
// segment files hold the parent's records alone, and the parent keeps its lock.

#include <doctest/doctest.h>

#include "sanitizers.h"
#include "spool_files.h"

#include <seglog/client.h>

#include <sys/wait.h>
#include <unistd.h>

using namespace seglog_test;
using namespace std::chrono_literals;

TEST_SUITE("spool") {

// ThreadSanitizer does not support a child that starts threads after a multi-threaded fork.
TEST_CASE("a forked child never writes into its parent's spool" * doctest::skip(k_tsan)) {
    temp_dir dir;
    const std::string spool = dir / "spool";
    pipeline p;
    p.cfg.spool_dir = spool;
    p.start();
    p.track_n(5);
    p.flush(); // the worker idle at the fork
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        seglog::client &c = p.client();
        bool ok = true;
        for (int i = 0; i < 5; ++i) ok = c.enqueue(fault_record(100 + i)) && ok;
        const auto s = c.stats();
        ok = ok && c.flush(10s) && s.accepted == 5 && s.spool_events == 0 && s.spool_unspooled == 0;
        ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    std::size_t records = 0;
    for (const auto &seg : spool_segments(spool)) records += spool_records(seg).size();
    CHECK(records == 5);                                                        // the parent's five, settled
    CHECK(p.col.wait_for([&] { return p.col.unique_count() == 10; }, k_bound)); // the child's went from memory
    p.track_n(3, 5);
    p.flush();
    p.close_within(5s);
    CHECK(p.stats().delivered == 8);
    CHECK(spool_segments(spool).empty());
}

} // TEST_SUITE
