#include "client/record_queue.h"

#include <new>

namespace seglog::detail {

record_queue::push_result record_queue::push(std::string_view record) {
    push_result r;
    const std::size_t bytes = record.size();
    std::string copy(record); // allocate outside the lock
    std::unique_lock<std::mutex> lock(mutex_);
    if (!fits(bytes)) {
        switch (limits_.overflow) {
        case overflow_policy::drop_newest: r.result = outcome::full; return r;
        case overflow_policy::drop_oldest:
            // Only records not yet in a batch can be pushed out; the rest are on the wire.
            while (!fits(bytes) && !queue_.empty()) {
                auto &old = queue_.front();
                queued_bytes_ -= old.json.size();
                pending_bytes_ -= old.json.size();
                --pending_events_;
                r.evicted.push_back(std::move(old));
                queue_.pop_front();
            }
            if (!fits(bytes)) {
                r.result = outcome::full;
                return r;
            }
            break;
        case overflow_policy::block: {
            ++blocked_;
            const bool ok = space_.wait_for(lock, limits_.block_timeout, [&] { return fits(bytes); });
            --blocked_;
            if (!ok) {
                r.result = outcome::full;
                return r;
            }
            break;
        }
        }
    }
    r.wake_worker = queue_.empty();
    queue_.push_back({std::move(copy), next_seq_++});
    queued_bytes_ += bytes;
    pending_bytes_ += bytes;
    ++pending_events_;
    return r;
}

std::size_t record_queue::drain(std::vector<queued_record> &out) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t n = queue_.size();
    for (auto &q : queue_) out.push_back(std::move(q));
    queue_.clear();
    queued_bytes_ = 0;
    return n;
}

std::vector<queued_record> record_queue::take_all() {
    std::vector<queued_record> out;
    drain(out);
    return out;
}

void record_queue::release(std::size_t events, std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_events_ -= events;
    pending_bytes_ -= bytes;
    if (blocked_) space_.notify_all();
}

std::size_t record_queue::queued_events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
}
std::size_t record_queue::queued_bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queued_bytes_;
}
std::size_t record_queue::pending_events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return pending_events_;
}
std::size_t record_queue::pending_bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return pending_bytes_;
}
std::uint64_t record_queue::last_seq() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return next_seq_ - 1;
}
std::uint64_t record_queue::oldest_seq() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.empty() ? next_seq_ : queue_.front().seq;
}
bool record_queue::empty() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.empty();
}

void record_queue::reset_after_fork() {
    new (&mutex_) std::mutex();
    new (&space_) std::condition_variable();
    blocked_ = 0;
    queue_.clear();
    queued_bytes_ = pending_bytes_ = pending_events_ = 0;
}

} // namespace seglog::detail
