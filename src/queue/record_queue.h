#pragma once
// The bounded hand-off between callers and the worker. The budget (events and bytes) covers
// every event from acceptance until it is settled (delivered, failed or returned), not just
// the ones still in the queue: memory stays bounded while the collector is down, whatever
// the arrival rate.
//
// Producers do not share a lock: each thread pushes into one of `shard_count` shards (its own
// unless there are more threads than shards), each with its own short lock. The budget is a
// pair of atomics reserved before the push. Sequence numbers are taken under the shard lock,
// so each shard is in seq order and the worker merges the shards back into acceptance order.
// Record buffers come back from settled batches (recycle()) and are reused, so a push in the
// steady state copies the record into an existing buffer instead of allocating one.

#include <seglog/config.h>

#include "common/text_buffer.h"
#include "spool/spool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace seglog::detail {

struct queued_record {
    text_buffer json;
    std::uint64_t seq = 0; // acceptance order, for flush()
    spool_ref spooled;     // its copy in the spool, until it is settled (none without a spool)
};

class record_queue {
public:
    struct limits {
        std::size_t max_events;
        std::size_t max_bytes;
        overflow_policy overflow;
        std::chrono::milliseconds block_timeout;
    };
    enum class outcome { accepted, full, closed };
    struct push_result {
        outcome result = outcome::accepted;
        bool first_after_drain = false; // first record since the worker last drained the queue
        std::size_t queued_events = 0;  // queued (not yet drained) after this push
        std::size_t queued_bytes_before = 0, queued_bytes = 0;
        std::vector<queued_record> evicted; // drop_oldest: accepted records pushed out
        std::size_t evicted_parked = 0;     // of those, how many were in a parked batch
        bool spool_full = false;            // outcome::full because the spool is (not the queue)
        bool spool_failed = false;          // accepted, but the spool could not take it (disk trouble)
        bool spool_failed_anew = false;     // ... and it tried a new segment for it (else: too soon)
    };

    explicit record_queue(limits l) : limits_(l) {}

    push_result push(std::string_view record);
    // With a spool, every push copies the record into it too (under the shard's lock). The
    // spool outlives the queue's use of it; set before the first push.
    void attach_spool(spool *s) { spool_ = s; }
    spool *attached_spool() const { return spool_; }
    // A record recovered from the spool at start, already in it: queued without a new copy
    // there, and taken whatever the budget (the spool's bound covers it).
    push_result push_recovered(std::string_view record, spool_ref ref);
    // Marks the spool copies of records that will not be sent again (evicted) as settled.
    void settle_spooled(std::vector<queued_record> &settled) noexcept;
    // Moves the oldest queued records to `out`, at most `max_events` of them, in acceptance
    // order; returns how many. The worker bounds what it takes: what sits in batches is out of
    // drop_oldest's reach, so the rest stays here, where eviction finds it.
    std::size_t drain(std::vector<queued_record> &out, std::size_t max_events = SIZE_MAX);
    // drop_oldest while the worker holds its batches (an outage, a rate limit): the records of
    // batch `id` are parked here, where eviction reaches them like queued ones (oldest first),
    // instead of sitting out of reach until the hold ends. unpark() gives back what is left, in
    // order (possibly nothing); the batch keeps its identity and retry history in the worker.
    void park(std::uint64_t id, std::vector<queued_record> records);
    std::vector<queued_record> unpark(std::uint64_t id);
    // Takes everything still queued (close, fork).
    std::vector<queued_record> take_all();
    // Refuses every later push (outcome::closed), wakes blocked producers and takes what is
    // still queued: after the worker has stopped, nothing can be accepted and then forgotten.
    std::vector<queued_record> close();
    // Frees budget of settled records and lets blocked producers in.
    void release(std::size_t events, std::size_t bytes);
    // Hands the buffers of settled records back for reuse (their budget is released apart);
    // settles their spool copies.
    void recycle(std::vector<queued_record> &settled);

    std::size_t queued_events() const;
    std::size_t queued_bytes() const;
    std::size_t pending_events() const; // queued + in batches
    std::size_t pending_bytes() const;
    std::uint64_t last_seq() const;   // seq of the most recently accepted record
    std::uint64_t oldest_seq() const; // seq of the oldest queued record, or the next seq when empty
    bool empty() const;

    // After fork() in the child: forget everything (it belongs to the parent) and start afresh
    // with new mutexes (the parent's may have been held by a thread that does not exist here).
    void reset_after_fork();

    static constexpr std::size_t shard_count = 8;

private:
    struct alignas(64) shard {
        mutable std::mutex mutex;
        std::vector<queued_record> records; // seq order; those before `head` were pushed out
        std::size_t head = 0;
        std::size_t bytes = 0;          // of the records from head on
        std::vector<text_buffer> spare; // recycled buffers
    };
    static constexpr std::size_t max_spare_capacity = 4096; // bigger buffers are freed
    static constexpr std::size_t max_pooled = 8192;         // buffers kept: the pool stays bounded
    static constexpr std::size_t refill = 64;               // taken from the pool at once
    static constexpr std::size_t max_prefetch_bytes = 512;  // of the next buffer: a usual event
    static constexpr std::size_t min_taken_to_drop = 256;   // drop_taken(): not for a few slots

    bool reserve(std::size_t bytes); // takes budget for one record, or false
    void unreserve(std::size_t bytes);
    std::size_t evict_oldest(std::size_t bytes, push_result &r);
    queued_record *oldest_evictable(std::size_t &shard_index, bool &parked); // all locks held
    std::size_t drain_oldest(std::vector<queued_record> &out, std::size_t max_events);
    bool make_room(std::size_t bytes, push_result &r); // the overflow policy, for a full queue
    text_buffer copy_record(shard &s, std::unique_lock<std::mutex> &lock, std::string_view record);
    void notify_space();
    static void prefetch_next(const shard &s); // shard lock held
    static void drop_taken(shard &s);          // shard lock held
    static std::size_t my_shard();

    limits limits_;
    spool *spool_ = nullptr;
    shard shards_[shard_count];
    std::atomic<std::size_t> pending_events_{0};
    std::atomic<std::size_t> pending_bytes_{0};
    std::atomic<std::size_t> queued_events_{0};
    std::atomic<std::size_t> queued_bytes_{0};
    std::atomic<std::uint64_t> next_seq_{1};
    std::atomic<bool> closed_{false};
    // block policy: producers wait here for budget; release() notifies only when one waits
    std::mutex space_mutex_;
    std::condition_variable space_;
    std::atomic<std::size_t> blocked_{0};
    // recycled buffers: recycle() puts them here, a shard whose spares ran out takes `refill`
    std::mutex pool_mutex_;
    std::vector<text_buffer> pool_;
    // drop_oldest: one evicting producer at a time, all shards locked while it looks
    std::mutex evict_mutex_;
    struct parked_batch {
        std::uint64_t id = 0;
        std::vector<queued_record> records; // seq order; those before `head` were evicted
        std::size_t head = 0;
    };
    std::vector<parked_batch> parked_; // under evict_mutex_
    // drain(): per-shard vectors handed back and forth, so capacity survives (drainer only)
    std::vector<queued_record> drained_[shard_count];
};

} // namespace seglog::detail
