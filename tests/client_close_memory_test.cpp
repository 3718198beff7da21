// The client's heap, measured with a counting operator new (this file replaces the global one
// for the client suite; it only counts): close() hands back the events it could not deliver
// without holding the pending budget twice (each record is freed as its JSON is copied out);
// and a queue that never empties (drop_oldest while the collector is down, a worker that takes
// part of the queue at a time) stays within its budget however many events pass through it.
// The replacements below pair malloc with free on purpose: GCC, seeing them inlined into
// new/delete expressions, would take that for a mismatch.
// Under a sanitizer the allocator is the sanitizer's: memory it allocated before main (or in
// its runtime) would reach this file's delete, and the counts would be its, not the program's.
// There the replacement is left out and the case says it is skipped.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SEGLOG_TEST_COUNTS_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SEGLOG_TEST_COUNTS_ALLOCATIONS 0
#endif
#endif
#ifndef SEGLOG_TEST_COUNTS_ALLOCATIONS
#define SEGLOG_TEST_COUNTS_ALLOCATIONS 1
#endif

#include "pipeline.h"

#include <doctest/doctest.h>

#include <seglog/batch_destination.h>
#include <seglog/seglog.h>

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>

namespace {

std::atomic<long long> live_bytes{0};
std::atomic<long long> peak_bytes{0};

#if SEGLOG_TEST_COUNTS_ALLOCATIONS
void note_allocated(void *p) {
    const long long now = live_bytes.fetch_add(static_cast<long long>(::malloc_usable_size(p))) +
                          static_cast<long long>(::malloc_usable_size(p));
    long long peak = peak_bytes.load();
    while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {}
}
#endif

} // namespace

#if SEGLOG_TEST_COUNTS_ALLOCATIONS
void *operator new(std::size_t n) {
    void *p = std::malloc(n ? n : 1);
    if (!p) throw std::bad_alloc();
    note_allocated(p);
    return p;
}
void operator delete(void *p) noexcept {
    if (!p) return;
    live_bytes.fetch_sub(static_cast<long long>(::malloc_usable_size(p)));
    std::free(p);
}
void operator delete(void *p, std::size_t) noexcept { operator delete(p); }
#endif

using namespace std::chrono_literals;
using namespace seglog_test;

namespace {

// False, and said, under a sanitizer: the allocator is the sanitizer's, nothing is counted.
bool allocations_counted() {
    if (!SEGLOG_TEST_COUNTS_ALLOCATIONS)
        MESSAGE("skipped under a sanitizer: it replaces the allocator this case counts with");
    return SEGLOG_TEST_COUNTS_ALLOCATIONS != 0;
}

} // namespace

TEST_CASE("close() with the collector down: the events come back without a second copy of the budget") {
    if (!allocations_counted()) return;
    pipeline p;
    p.col.stop();
    p.cfg.max_attempts = 1000;
    seglog::client &c = p.start();
    const std::string pad(2000, 'x');
    for (int i = 0; i < 1000; ++i) REQUIRE(c.track(seglog::user("u-" + std::to_string(i)), "Big", {{"pad", pad}}));
    const long long pending = static_cast<long long>(c.stats().pending_bytes);
    REQUIRE(pending > 2000 * 1000);

    const long long before = live_bytes.load();
    peak_bytes.store(before);
    std::vector<std::string> back = c.close(0ms);
    const long long growth = peak_bytes.load() - before;
    REQUIRE(back.size() == 1000);
    INFO("pending bytes " << pending << ", heap growth during close() " << growth);
    // The returned strings replace the records one by one: what close() adds at its peak is the
    // vector, the ids it reports and one record, far from the pending bytes a second time.
    CHECK(growth < pending / 2);
}

namespace {

// Heap growth (peak over the start) while `n` more events are tracked.
long long growth_while_tracking(seglog::client &c, int from, int n) {
    const long long start = live_bytes.load();
    peak_bytes.store(start);
    int refused = 0;
    for (int i = from; i < from + n; ++i)
        if (!c.track(seglog::user("u-" + std::to_string(i)), "Queued", {{"n", i}})) ++refused;
    CHECK(refused == 0);
    return peak_bytes.load() - start;
}

} // namespace

TEST_CASE("drop_oldest with the collector down: the heap does not grow with the events evicted") {
    if (!allocations_counted()) return;
    pipeline p;
    p.col.stop();
    p.cfg.max_attempts = 1000;
    p.cfg.overflow = seglog::overflow_policy::drop_oldest;
    p.cfg.max_queue_events = 1000;
    seglog::client c(p.cfg); // no ledger: its books would grow with the events
    c.on_error([](const seglog::error &) {});
    growth_while_tracking(c, 0, 20000); // the queue full, buffers pooled, batches held
    const long long growth = growth_while_tracking(c, 20000, 200000);
    INFO("heap growth over 200,000 more events, each evicting one: " << growth << " bytes");
    CHECK(c.stats().evicted >= 200000);
    CHECK(growth < (1 << 20));
    c.close(0ms);
}

TEST_CASE("block with a worker taking part of the queue at a time: the heap does not grow with the events") {
    if (!allocations_counted()) return;
    // A destination that takes a millisecond a batch and keeps nothing: the loopback collector
    // would book every messageId on this heap.
    struct slow_destination : seglog::batch_destination {
        seglog::destination_result send(const seglog::destination_batch &) override {
            std::this_thread::sleep_for(1ms);
            return seglog::destination_result::delivered();
        }
        std::string name() const override { return "slow"; }
    };
    pipeline p;
    p.cfg.custom_destination = std::make_shared<slow_destination>();
    p.cfg.overflow = seglog::overflow_policy::block;
    p.cfg.block_timeout = 10s;
    p.cfg.max_queue_events = 2000; // the worker takes at most 2 x (1 + 1) x 100 outside the queue
    p.cfg.flush_at = 100;
    p.cfg.max_in_flight = 1;
    seglog::client c(p.cfg);
    growth_while_tracking(c, 0, 10000);
    const long long growth = growth_while_tracking(c, 10000, 60000);
    INFO("heap growth over 60,000 more events: " << growth << " bytes");
    CHECK(growth < (1 << 20));
    REQUIRE(c.flush(k_bound));
    CHECK(c.stats().delivered == 70000);
}
