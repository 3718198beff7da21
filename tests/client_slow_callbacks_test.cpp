// Callbacks run off the worker: one that blocks stops neither delivery nor close(timeout), and
// what waits for it is bounded (stats().callbacks_skipped).
#include "pipeline.h"

#include <doctest/doctest.h>

#include <seglog/seglog.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

using namespace std::chrono_literals;
using namespace seglog_test;

namespace {

// A callback body that blocks until the test lets it go (or k_bound passes).
struct gate {
    std::mutex m;
    std::condition_variable cv;
    bool open = false;
    std::atomic<int> entered{0};
    std::atomic<int> left{0};

    void block() {
        ++entered;
        std::unique_lock<std::mutex> lock(m);
        cv.wait_for(lock, k_bound, [&] { return open; });
        ++left;
    }
    void release() {
        std::lock_guard<std::mutex> lock(m);
        open = true;
        cv.notify_all();
    }
};

} // namespace

TEST_CASE("a blocking callback stops neither delivery nor close(timeout)") {
    pipeline p;
    seglog::client &c = p.start();
    gate g;
    SUBCASE("on_delivered") {
        c.on_delivered([&](const seglog::delivery_info &) { g.block(); });
    }
    SUBCASE("on_attempt") {
        c.on_attempt([&](const seglog::attempt_info &) { g.block(); });
    }

    p.track_n(500);                               // ten batches
    REQUIRE(p.col.wait_for_unique(500, k_bound)); // all delivered while the first callback blocks
    REQUIRE(p.wait_until([&] { return p.stats().delivered == 500; }));
    REQUIRE(p.wait_until([&] { return g.entered.load() == 1; })); // the first call, still blocked

    const auto back = c.close(200ms);
    CHECK(back.empty());
    CHECK(g.left.load() == 0); // close() returned with the callback still blocked
    const auto s = c.stats();
    check_settled_cleanly(s, 500);
    CHECK(s.callbacks_skipped >= 9); // the other batches' calls, still waiting at the deadline
    g.release();
    REQUIRE(p.wait_until([&] { return g.left.load() == 1; })); // it ends on its own thread
}
