// The spool's segments: the worker makes each shard's next segment ready before the shard
// needs it (a settled one cleared and reused, or a new one), so the caller's copy never opens a
// file or faults a page in; a segment made ready is removed at close, and one left by a killed
// process holds nothing the next start reports.

#include <doctest/doctest.h>

#include "sanitizers.h"
#include "spool_files.h"

#include "spool/spool.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

using namespace seglog_test;
using seglog::detail::spool;
using seglog::detail::spool_recovery_report;
using seglog::detail::spool_ref;

namespace {

ino_t inode_of(const std::string &path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_ino;
}

const std::string payload(400, 'x'); // an event's size: about 150 of them fill a first segment

spool::options one_shard(const std::string &dir) {
    spool::options o;
    o.dir = dir;
    o.max_bytes = std::size_t{1} << 30; // 4 MiB segments, the most there are
    o.shards = 1;
    return o;
}

// Appends until the shard's segment (the file `segment`) is half written, the point where it
// asks for the next one.
void fill_half(spool &sp, std::vector<spool_ref> &refs, const std::string &segment) {
    const auto size = std::filesystem::file_size(segment);
    while (spool_records(segment).size() * (24 + payload.size()) <= size / 2) {
        refs.emplace_back();
        REQUIRE(sp.append(0, payload, refs.back()) == spool::append_result::ok);
    }
}

} // namespace

TEST_SUITE("spool") {

TEST_CASE("the worker makes the next segment ready; the shard switches into it without opening one") {
    temp_dir dir;
    const std::string d = dir / "spool";
    spool_recovery_report rep;
    spool sp(one_shard(d), rep);
    std::vector<spool_ref> refs(1);
    REQUIRE(sp.append(0, payload, refs.back()) == spool::append_result::ok);
    REQUIRE(spool_segments(d).size() == 1);
    const std::string first = spool_segments(d)[0];
    CHECK(std::filesystem::file_size(first) == 64 * 1024); // the caller's own: small
    fill_half(sp, refs, first);

    sp.prepare_segments(); // what the worker does on each turn
    auto segs = spool_segments(d);
    REQUIRE(segs.size() == 2);
    const std::string ready = segs[1];
    CHECK(std::filesystem::file_size(ready) == sp.segment_bytes());
    CHECK(spool_records(ready).empty());
    sp.prepare_segments(); // one ready segment per shard, not one per turn
    CHECK(spool_segments(d).size() == 2);

    // Past the end of the first segment: the records go into the one made ready.
    const std::size_t first_holds = (64 * 1024 - 16) / (24 + payload.size()); // 8-byte aligned already
    for (int i = 0; i < 200; ++i) {
        refs.emplace_back();
        REQUIRE(sp.append(0, payload, refs.back()) == spool::append_result::ok);
    }
    segs = spool_segments(d);
    CHECK(segs.size() == 2);
    CHECK(spool_records(first).size() == first_holds);
    CHECK(spool_records(ready).size() == refs.size() - first_holds);
    CHECK(sp.events() == refs.size());

    // Settling every record of the sealed first segment removes it; close() removes the one
    // written now, all its records settled.
    for (auto &r : refs) sp.settle(r);
    CHECK(spool_segments(d) == std::vector<std::string>{ready});
    sp.close();
    CHECK(spool_segments(d).empty());
}

TEST_CASE("without a ready segment the shard opens its own, full size after the first") {
    temp_dir dir;
    const std::string d = dir / "spool";
    spool_recovery_report rep;
    spool sp(one_shard(d), rep);
    std::vector<spool_ref> refs;
    for (int i = 0; i < 200; ++i) { // past the first segment, the worker never asked
        refs.emplace_back();
        REQUIRE(sp.append(0, payload, refs.back()) == spool::append_result::ok);
    }
    const auto segs = spool_segments(d);
    REQUIRE(segs.size() == 2);
    CHECK(std::filesystem::file_size(segs[0]) == 64 * 1024);
    CHECK(std::filesystem::file_size(segs[1]) == sp.segment_bytes());
    for (auto &r : refs) sp.settle(r);
    sp.close();
    CHECK(spool_segments(d).empty());
}

// The child is killed (_exit, no destructor) with a segment made ready and not yet written.
TEST_CASE("a ready segment a killed process left is trimmed at the next start, nothing reported" *
          doctest::skip(k_tsan)) {
    temp_dir dir;
    const std::string d = dir / "spool";
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        spool_recovery_report rep;
        spool sp(one_shard(d), rep);
        std::vector<spool_ref> refs(1);
        bool ok = sp.append(0, payload, refs.back()) == spool::append_result::ok;
        if (ok) fill_half(sp, refs, spool_segments(d)[0]);
        sp.prepare_segments();
        ok = ok && spool_segments(d).size() == 2;
        ::_exit(ok ? static_cast<int>(refs.size()) : 255);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    const int appended = WEXITSTATUS(status);
    REQUIRE(appended != 255);
    REQUIRE(spool_segments(d).size() == 2);

    spool_recovery_report rep;
    spool sp(one_shard(d), rep);
    CHECK(rep.records.size() == static_cast<std::size_t>(appended));
    CHECK(rep.corrupt == 0);
    CHECK(rep.torn == 0);
    CHECK(sp.trimmed() == 1); // the ready segment, empty: kept for reuse
    for (auto &r : rep.records) sp.settle(r.ref);
    CHECK(spool_segments(d).size() == 1); // the recovered one, settled, removed
    sp.close();
    CHECK(spool_segments(d).empty());
}

TEST_CASE("a segment whose records are all settled is cleared and reused as the next one, renamed") {
    temp_dir dir;
    const std::string d = dir / "spool";
    spool::options o = one_shard(d);
    o.max_bytes = std::size_t{1} << 20; // 64 KiB segments, the first one's size: it can be reused
    spool_recovery_report rep;
    spool sp(o, rep);
    REQUIRE(sp.segment_bytes() == 64 * 1024);
    std::vector<spool_ref> first(1);
    REQUIRE(sp.append(0, payload, first.back()) == spool::append_result::ok);
    const std::string first_path = spool_segments(d)[0];
    const ino_t first_inode = inode_of(first_path);
    fill_half(sp, first, first_path);
    sp.prepare_segments(); // a new segment: no spare yet
    std::vector<spool_ref> second;
    while (spool_segments(d).size() == 2 && spool_records(spool_segments(d)[1]).empty()) {
        second.emplace_back();
        REQUIRE(sp.append(0, payload, second.back()) == spool::append_result::ok);
    }
    REQUIRE(second.size() > 0);
    // Every record of the first segment settled (the loop above wrote its last ones): it
    // retires, its file kept as a spare.
    const auto *first_segment = first[0].segment;
    for (auto &r : second)
        if (r.segment == first_segment) first.push_back(std::move(r));
    for (auto &r : first) sp.settle(r);
    CHECK(sp.trimmed() == 1);
    REQUIRE(spool_segments(d).size() == 2);
    fill_half(sp, second, spool_segments(d)[1]);
    sp.prepare_segments(); // reuses it
    const auto segs = spool_segments(d);
    REQUIRE(segs.size() == 2);
    CHECK(segs[1] > segs[0]); // the next number
    CHECK(inode_of(segs[1]) == first_inode);
    CHECK_FALSE(std::filesystem::exists(first_path));
    CHECK(spool_records(segs[1]).empty()); // cleared: none of the old records is read again
    for (auto &r : second) sp.settle(r);
    sp.close();
    CHECK(spool_segments(d).empty());
}

TEST_CASE("a settled segment is removed, not kept for reuse, while the spool is more than half full") {
    temp_dir dir;
    const std::string d = dir / "spool";
    spool::options o = one_shard(d);
    o.max_bytes = std::size_t{1} << 20; // 64 KiB segments: 16 of them fill it
    spool_recovery_report rep;
    spool sp(o, rep);
    REQUIRE(sp.segment_bytes() == 64 * 1024);
    std::vector<spool_ref> refs;
    while (spool_segments(d).size() < 10) { // 640 KiB of files: more than half of the bound
        refs.emplace_back();
        REQUIRE(sp.append(0, payload, refs.back()) == spool::append_result::ok);
    }
    const std::string first_path = spool_segments(d)[0];
    const auto *first_segment = refs[0].segment;
    for (auto &r : refs)
        if (r.segment == first_segment) sp.settle(r);
    CHECK(sp.trimmed() == 1);
    CHECK_FALSE(std::filesystem::exists(first_path)); // removed at once: its room goes back to the bound
    CHECK(spool_segments(d).size() == 9);

    // So the next segment made ready is a new file.
    fill_half(sp, refs, spool_segments(d).back());
    sp.prepare_segments();
    const auto segs = spool_segments(d);
    REQUIRE(segs.size() == 10);
    CHECK(spool_records(segs.back()).empty());
    CHECK(sp.trimmed() == 1);
    for (auto &r : refs) sp.settle(r);
    sp.close();
    CHECK(spool_segments(d).empty());
}

} // TEST_SUITE
