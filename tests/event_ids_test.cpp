// The event layer, messageIds and timestamps: UUID v4 ids unique across threads and fork(), the
// call's time to the millisecond, and call_options' timestamp.
#include <doctest/doctest.h>

#include "event_checks.h"

#include "common/timestamp.h"
#include "event/json_writer.h"
#include "event/message_id.h"
#include "event/serialize.h"

#include <seglog/demux_sink.h>
#include <seglog/error.h>
#include <seglog/event.h>
#include <seglog/macros.h>
#include <seglog/version.h>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

using namespace seglog_test;

TEST_SUITE("event: messageId and timestamp") {

TEST_CASE("messageId is a UUID v4 at bytes [14,50), unique across 100k ids from 4 threads") {
    constexpr int threads = 4, per_thread = 25000;
    std::vector<std::vector<std::string>> ids(threads);
    std::vector<int> bad_records(threads, 0);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            const auto who = seglog::user("u");
            std::string record;
            ids[t].reserve(per_thread);
            for (int i = 0; i < per_thread; ++i) {
                if (seglog::detail::serialize_event({event_type::track, &who, "E", {}, {}, {}, nullptr, nullptr},
                                                    record)) {
                    ++bad_records[t];
                    continue;
                }
                ids[t].emplace_back(seglog::detail::record_message_id(record));
            }
        });
    }
    for (auto &th : pool) th.join();
    std::unordered_set<std::string> all;
    std::size_t malformed = 0;
    std::set<char> seen[36]; // the digits each position took
    for (int t = 0; t < threads; ++t) {
        CHECK(bad_records[t] == 0);
        for (auto &id : ids[t]) {
            if (!is_uuid_v4(id)) ++malformed;
            for (std::size_t i = 0; i < id.size() && i < 36; ++i) seen[i].insert(id[i]);
            all.insert(std::move(id));
        }
    }
    CHECK(malformed == 0);
    CHECK(all.size() == std::size_t{threads} * per_thread);
    // Every random position takes all 16 digits (a wrong nibble-to-digit mapping would miss some);
    // the version is always 4 and the variant one of 8, 9, a, b.
    for (std::size_t i = 0; i < 36; ++i) {
        CAPTURE(i);
        if (i == 8 || i == 13 || i == 18 || i == 23) CHECK(seen[i] == std::set<char>{'-'});
        else if (i == 14) CHECK(seen[i] == std::set<char>{'4'});
        else if (i == 19) CHECK(seen[i] == std::set<char>{'8', '9', 'a', 'b'});
        else CHECK(seen[i].size() == 16);
    }
}

TEST_CASE("a forked child does not repeat its parent's messageIds") {
    seglog::detail::text_buffer first;
    seglog::detail::append_message_id(first); // seeds this thread's generator
    const std::string parent_first(first.view());
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        seglog::detail::text_buffer id;
        seglog::detail::append_message_id(id);
        const auto n = ::write(fds[1], id.data(), id.size());
        ::_exit(n == static_cast<ssize_t>(id.size()) ? 0 : 1);
    }
    ::close(fds[1]);
    seglog::detail::text_buffer next;
    seglog::detail::append_message_id(next);
    const std::string parent_next(next.view());
    char buf[64];
    std::string child;
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) child.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    REQUIRE(child.size() == 36);
    CHECK(is_uuid_v4(child));
    CHECK(child != parent_next);
    CHECK(child != parent_first);
}

TEST_CASE("timestamp is the time of the call, as YYYY-MM-DDTHH:MM:SS.mmmZ") {
    const auto who = seglog::user("u");
    for (int i = 0; i < 50; ++i) {
        const auto before = clock_type::now();
        auto o = track(who, "E");
        const auto after = clock_type::now();
        REQUIRE_FALSE(o.err);
        const std::string ts = json::parse(o.record).at("timestamp");
        CHECK(is_iso8601_ms(ts));
        CHECK(ts >= ms_floor_iso(before));
        CHECK(ts <= ms_floor_iso(after));
    }
}

TEST_CASE("call_options timestamp is used exactly, truncated to milliseconds") {
    using namespace std::chrono;
    const auto who = seglog::user("u");
    const clock_type::time_point t = clock_type::time_point(seconds(1709211909)) + milliseconds(7) + microseconds(999);
    auto opts = seglog::call_options{}.with_timestamp(t);
    auto o = track(who, "E", {}, opts);
    REQUIRE_FALSE(o.err);
    CHECK(json::parse(o.record).at("timestamp") == "2024-02-29T13:05:09.007Z");

    opts.with_timestamp(clock_type::time_point{});
    o = track(who, "E", {}, opts);
    REQUIRE_FALSE(o.err);
    CHECK(json::parse(o.record).at("timestamp") == "1970-01-01T00:00:00.000Z");

    // Two calls in the same second with different milliseconds (the date part is cached).
    opts.with_timestamp(clock_type::time_point(seconds(1709211909)) + milliseconds(999));
    o = track(who, "E", {}, opts);
    CHECK(json::parse(o.record).at("timestamp") == "2024-02-29T13:05:09.999Z");
    opts.with_timestamp(clock_type::time_point(seconds(1709211910)));
    o = track(who, "E", {}, opts);
    CHECK(json::parse(o.record).at("timestamp") == "2024-02-29T13:05:10.000Z");
}

TEST_CASE("timestamps before 1970 are floored, also as the first timestamp of a thread") {
    using namespace std::chrono;
    std::string first, second;
    std::thread([&] {
        first = seglog::detail::iso8601(clock_type::time_point(-milliseconds(1)));
        second = seglog::detail::iso8601(clock_type::time_point(-milliseconds(1500)));
    }).join();
    CHECK(first == "1969-12-31T23:59:59.999Z");
    CHECK(second == "1969-12-31T23:59:58.500Z");
}

} // TEST_SUITE
