// Disk trouble under the spool: a segment that cannot be extended (disk full) or created (the
// directory removed under the process). The events go on in memory and are delivered, counted
// in spool_unspooled; the trouble is said as spool_error; nothing crashes.

#include <doctest/doctest.h>

#include "spool_files.h"

#include "spool/spool.h"

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

using namespace seglog_test;
using namespace std::chrono_literals;
using seglog::reason;

namespace {

int disk_full(int, off_t) { return ENOSPC; }

// The seam back to the real call, whatever the test's outcome.
struct full_disk {
    full_disk() { seglog::detail::spool_extend = disk_full; }
    ~full_disk() { seglog::detail::spool_extend = saved; }
    seglog::detail::spool_extend_fn saved = seglog::detail::spool_extend;
};

std::vector<seglog::error> errors_of(const ledger &l, reason r) {
    std::lock_guard<std::mutex> lk(l.m);
    std::vector<seglog::error> out;
    for (const auto &e : l.errors)
        if (e.code == r) out.push_back(e);
    return out;
}

} // namespace

TEST_SUITE("spool") {

TEST_CASE("disk full: the events are delivered from memory, counted and the trouble said as spool_error") {
    temp_dir dir;
    const std::string spool = dir / "spool";
    full_disk full;
    pipeline p;
    p.cfg.spool_dir = spool;
    p.start();
    p.track_n(20);
    p.flush();
    const auto errors = errors_of(p.l, reason::spool_error);
    REQUIRE(errors.size() >= 1); // once per segment tried, at most once a second
    CHECK(errors[0].message == "spool " + spool + ": cannot extend spool segment " + spool +
                                   "/seg-0000000000000001.log (65536 bytes): No space left on device; events go "
                                   "on in memory only (not durable) until a segment can be made");
    CHECK(errors[0].message_ids.empty());
    p.close_within(5s);
    const auto s = p.stats();
    CHECK(s.delivered == 20);
    CHECK(s.spool_unspooled == 20);
    CHECK(s.spool_events == 0);
    CHECK(s.by_reason[static_cast<int>(reason::spool_error)] == 0); // a notice, not a loss
    CHECK(spool_segments(spool).empty());                           // the failed segment was not left
    p.reconcile();
}

TEST_CASE("the spool directory removed under the process: delivery goes on from memory") {
    temp_dir dir;
    const std::string spool = dir / "spool";
    pipeline p;
    p.cfg.spool_dir = spool;
    p.cfg.spool_max_bytes = 1 << 20; // 64 KiB segments: the next one is needed soon
    p.start();
    p.track_n(1);
    // The worker may be making the next segment ready meanwhile: as with `rm -rf` by hand, the
    // removal is tried again until the directory is gone.
    std::error_code ec;
    for (int attempt = 0; attempt < 100 && std::filesystem::exists(spool); ++attempt)
        std::filesystem::remove_all(spool, ec);
    REQUIRE_FALSE(std::filesystem::exists(spool));
    p.track_n(600, 1);
    p.flush();
    const auto errors = errors_of(p.l, reason::spool_error);
    REQUIRE(errors.size() >= 1);
    // The segment's number depends on whether the worker, making the next segment ready, tried
    // one first.
    const std::string &m = errors[0].message;
    const std::string head = "spool " + spool + ": cannot create spool segment " + spool + "/seg-";
    const std::string tail = ".log: No such file or directory; events go on in memory only (not durable) until a "
                             "segment can be made";
    CHECK(m.rfind(head, 0) == 0);
    REQUIRE(m.size() == head.size() + 16 + tail.size());
    CHECK(m.compare(m.size() - tail.size(), tail.size(), tail) == 0);
    const auto s = p.stats();
    CHECK(s.spool_unspooled > 0);
    CHECK(s.spool_unspooled < 601);
    p.close_within(5s);
    CHECK(p.stats().delivered == 601);
    p.reconcile();
}

TEST_CASE("a full spool refuses the event as queue_full, naming the spool") {
    temp_dir dir;
    const std::string spool = dir / "spool";
    pipeline p;
    p.col.stop(); // nothing settles: the spool fills up
    p.cfg.spool_dir = spool;
    p.cfg.spool_max_bytes = 1 << 20;
    p.cfg.max_attempts = 1000; // however slow the filling, no batch gives up meanwhile
    p.start();
    int accepted = 0;
    while (p.push(accepted)) ++accepted;
    CHECK(accepted > 1000); // 16 segments of 64 KiB
    const auto s = p.stats();
    CHECK(s.dropped == 1);
    CHECK(s.spool_bytes <= (1u << 20));
    const auto refused = errors_of(p.l, reason::queue_full);
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].message == "event not accepted: the spool is full (1048576 bytes, spool_max_bytes)");
    p.close_within(0ms);
    CHECK(p.stats().spool_left == static_cast<std::uint64_t>(accepted));
}

} // TEST_SUITE
