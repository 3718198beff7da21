#pragma once
// The bounded hand-off between callers and the worker. The budget (events and bytes) covers
// every event from acceptance until it is settled (delivered, failed or returned), not just
// the ones still in the queue: memory stays bounded while the collector is down, whatever
// the arrival rate.

#include <seglog/config.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace seglog::detail {

struct queued_record {
    std::string json;
    std::uint64_t seq = 0; // acceptance order, for flush()
};

class record_queue {
public:
    struct limits {
        std::size_t max_events;
        std::size_t max_bytes;
        overflow_policy overflow;
        std::chrono::milliseconds block_timeout;
    };
    enum class outcome { accepted, full };
    struct push_result {
        outcome result = outcome::accepted;
        bool wake_worker = false;           // first record after the worker drained the queue
        std::vector<queued_record> evicted; // drop_oldest: accepted records pushed out
    };

    explicit record_queue(limits l) : limits_(l) {}

    push_result push(std::string_view record);
    // Moves every queued record to `out`; returns how many.
    std::size_t drain(std::vector<queued_record> &out);
    // Takes everything still queued (close, fork).
    std::vector<queued_record> take_all();
    // Frees budget of settled records and lets blocked producers in.
    void release(std::size_t events, std::size_t bytes);

    std::size_t queued_events() const;
    std::size_t queued_bytes() const;
    std::size_t pending_events() const;  // queued + in batches
    std::size_t pending_bytes() const;
    std::uint64_t last_seq() const;      // seq of the most recently accepted record
    std::uint64_t oldest_seq() const;    // seq of the oldest queued record, or the next seq when empty
    bool empty() const;

    // After fork() in the child: forget everything (it belongs to the parent) and start afresh
    // with a new mutex (the parent's may have been held by a thread that does not exist here).
    void reset_after_fork();

private:
    bool fits(std::size_t bytes) const {
        return pending_events_ + 1 <= limits_.max_events && pending_bytes_ + bytes <= limits_.max_bytes;
    }

    limits limits_;
    mutable std::mutex mutex_;
    std::condition_variable space_;
    std::size_t blocked_ = 0;
    std::deque<queued_record> queue_;
    std::size_t queued_bytes_ = 0;
    std::size_t pending_events_ = 0;
    std::size_t pending_bytes_ = 0;
    std::uint64_t next_seq_ = 1;
};

} // namespace seglog::detail
