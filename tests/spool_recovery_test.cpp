// Recovery at start: what a client left in the spool is sent by the next one on the same
// directory, with its messageIds; a torn tail is cut, a corrupt record skipped and reported;
// settled records and emptied segments are trimmed; one owner at a time.

#include <doctest/doctest.h>

#include "config_checks.h"
#include "spool_files.h"

#include <seglog/client.h>
#include <seglog/error.h>

#include <unistd.h>

#include <mutex>
#include <set>
#include <string>
#include <vector>

using namespace seglog_test;
using namespace std::chrono_literals;
using seglog::reason;

namespace {

// Tracks n events while the collector is down and closes at once: all are left in the spool.
std::vector<std::string> leave_in_spool(const std::string &dir, int n) {
    pipeline p;
    p.col.stop();
    p.cfg.spool_dir = dir;
    p.start();
    p.track_n(n);
    p.close_within(0ms);
    const auto s = p.stats();
    CHECK(s.spool_left == static_cast<std::uint64_t>(n));
    CHECK(s.returned == 0);
    CHECK(p.l.returned.empty());
    CHECK(s.spool_events == static_cast<std::uint64_t>(n));
    return p.l.accepted;
}

// The process-wide handler: what a client reports before on_error can be set (recovery).
struct captured_errors {
    std::mutex m;
    std::vector<seglog::error> errors;
    captured_errors() {
        seglog::set_error_handler([this](const seglog::error &e) {
            std::lock_guard<std::mutex> lk(m);
            errors.push_back(e);
        });
    }
    ~captured_errors() { seglog::set_error_handler({}); }
    std::vector<seglog::error> of(reason r) {
        std::lock_guard<std::mutex> lk(m);
        std::vector<seglog::error> out;
        for (auto &e : errors)
            if (e.code == r) out.push_back(e);
        return out;
    }
};

} // namespace

TEST_SUITE("spool") {

TEST_CASE("close() leaves undelivered events in the spool; the next client sends them, ids kept, oldest first") {
    temp_dir dir;
    const std::string spool = dir / "spool";
    const std::vector<std::string> ids = leave_in_spool(spool, 30);
    REQUIRE(spool_segments(spool).size() == 1);

    pipeline p;
    p.cfg.spool_dir = spool;
    p.start();
    CHECK(p.stats().spool_recovered == 30);
    CHECK(p.stats().accepted == 30);
    p.flush();
    CHECK(p.col.accepted_ids() == ids); // in acceptance order
    CHECK(p.stats().spool_events == 0);
    p.track_n(5, 100);
    p.flush();
    p.close_within(5s);
    const auto s = p.stats();
    CHECK(s.delivered == 35);
    CHECK(s.spool_left == 0);
    CHECK(spool_segments(spool).empty()); // everything settled: nothing left behind
}

TEST_CASE("a torn record (no commit word) is cut, not reported") {
    temp_dir dir;
    const std::string spool = dir / "spool";
    const std::vector<std::string> ids = leave_in_spool(spool, 10);
    const auto seg = spool_segments(spool).at(0);
    const auto recs = spool_records(seg);
    REQUIRE(recs.size() == 10);
    poke(seg, recs.back().offset, std::string(4, '\0')); // the kill came before the commit word

    captured_errors errors;
    pipeline p;
    p.cfg.spool_dir = spool;
    p.start();
    CHECK(p.stats().spool_recovered == 9);
    CHECK(p.stats().spool_corrupt == 0);
    p.flush();
    CHECK(p.col.accepted_ids() == std::vector<std::string>(ids.begin(), ids.end() - 1));
    CHECK(errors.of(reason::spool_error).empty());
    p.close_within(5s);
}

TEST_CASE("a corrupt record is skipped, counted and reported once with the count; the rest is sent") {
    temp_dir dir;
    const std::string spool = dir / "spool";
    std::vector<std::string> ids = leave_in_spool(spool, 10);
    const auto seg = spool_segments(spool).at(0);
    const auto recs = spool_records(seg);
    REQUIRE(recs.size() == 10);
    poke(seg, recs[3].offset + 24 + 20, "XXXX"); // inside the payload: the checksum no longer matches

    captured_errors errors;
    pipeline p;
    p.cfg.spool_dir = spool;
    p.start();
    CHECK(p.stats().spool_recovered == 9);
    CHECK(p.stats().spool_corrupt == 1);
    p.flush();
    ids.erase(ids.begin() + 3);
    CHECK(p.col.accepted_ids() == ids);
    const auto reported = errors.of(reason::spool_error);
    REQUIRE(reported.size() == 1);
    CHECK(reported[0].message == "spool " + spool + ": 1 corrupt records skipped at recovery (first: " + seg +
                                     " at byte " + std::to_string(recs[3].offset) + ": checksum mismatch)");
    CHECK(reported[0].message_ids.empty());
    p.close_within(5s);
    CHECK(spool_segments(spool).empty()); // the corrupt record is not kept for ever
}

TEST_CASE("settled records are marked in place and a segment whose records are all settled is removed") {
    temp_dir dir;
    const std::string spool = dir / "spool";
    pipeline p;
    p.cfg.spool_dir = spool;
    p.cfg.spool_max_bytes = 1 << 20; // 64 KiB segments: a few hundred events each
    p.start();
    p.track_n(600);
    p.flush();
    const auto s = p.stats();
    CHECK(s.delivered == 600);
    CHECK(s.spool_events == 0);
    CHECK(s.spool_trimmed >= 1);
    // Only the segments the shards still append to are left, their records all settled.
    for (const auto &seg : spool_segments(spool))
        for (const auto &r : spool_records(seg)) CHECK(r.settled == 0x444c5453);
    p.close_within(5s);
    CHECK(spool_segments(spool).empty());
}

TEST_CASE("one owner: a second client on the same spool is refused with the holder's pid") {
    temp_dir dir;
    const std::string spool = dir / "spool";
    pipeline p;
    p.cfg.spool_dir = spool;
    p.start();
    seglog::config second = p.cfg;
    CHECK(error_of([&] { seglog::client c(second); }) ==
          "seglog config: spool " + spool + " is in use by pid " + std::to_string(::getpid()));
    p.close_within(5s);
    seglog::client after(second); // the lock went with the first client
    CHECK_FALSE(after.closed());
}

} // TEST_SUITE
