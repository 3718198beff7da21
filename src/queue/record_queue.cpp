#include "queue/record_queue.h"

#include "common/inline.h"
#include "common/prefetch.h"

#include <algorithm>
#include <new>

namespace seglog::detail {

namespace {

bool by_seq(const queued_record &a, const queued_record &b) { return a.seq < b.seq; }

// Appends `run` (in seq order) to `out`, whose tail from `first` is in seq order too.
void merge_into(std::vector<queued_record> &out, std::size_t first, std::size_t mid) {
    if (first == mid || mid == out.size()) return;
    if (out[mid - 1].seq < out[mid].seq) return; // already in order: one producer, the usual case
    std::inplace_merge(out.begin() + static_cast<std::ptrdiff_t>(first), out.begin() + static_cast<std::ptrdiff_t>(mid),
                       out.end(), by_seq);
}

} // namespace

// The next push on this shard copies into the spare buffer on top and the records slot after
// the last: both were last touched by the worker (batching, recycle(), drain()), so their cache
// lines sit in the worker's core. Asking for them now, for writing (owned, not just shared: a
// store to a shared line still waits for the other core), moves them here while the caller goes
// on with its work, instead of the next push waiting for them (docs/performance.md has what
// that earns the call). Compiled into push(): a separate function of prefetches alone
// has no effect the optimiser sees, so once it can see its body (hidden visibility) it would
// drop the call.
SEGLOG_INLINE void record_queue::prefetch_next(const shard &s) {
    if (!s.spare.empty()) {
        const text_buffer &next = s.spare.back();
        const std::size_t n = std::min(next.capacity(), max_prefetch_bytes);
        for (std::size_t at = 0; at < n; at += 64) prefetch_for_write(next.data() + at);
    }
    if (s.records.size() < s.records.capacity()) prefetch_for_write(s.records.data() + s.records.size());
}

std::size_t record_queue::my_shard() {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t index = next.fetch_add(1, std::memory_order_relaxed) % shard_count;
    return index;
}

bool record_queue::reserve(std::size_t bytes) {
    std::size_t e = pending_events_.load();
    do {
        if (e + 1 > limits_.max_events) return false;
    } while (!pending_events_.compare_exchange_weak(e, e + 1));
    std::size_t b = pending_bytes_.load();
    do {
        if (b + bytes > limits_.max_bytes) {
            pending_events_.fetch_sub(1); // a waiter this briefly turned away is woken by the next release
            return false;
        }
    } while (!pending_bytes_.compare_exchange_weak(b, b + bytes));
    return true;
}

void record_queue::unreserve(std::size_t bytes) {
    pending_events_.fetch_sub(1);
    pending_bytes_.fetch_sub(bytes);
    notify_space();
}

void record_queue::notify_space() {
    if (blocked_.load() == 0) return;
    std::lock_guard<std::mutex> lock(space_mutex_);
    space_.notify_all();
}

// The oldest record eviction may take: the head of a shard or of a parked batch, whichever has
// the lowest seq. Records on the wire (in a request, or in a batch the worker holds
// unparked) are out of reach.
queued_record *record_queue::oldest_evictable(std::size_t &shard_index, bool &parked) {
    queued_record *oldest = nullptr;
    for (std::size_t i = 0; i < shard_count; ++i) {
        shard &s = shards_[i];
        if (s.head < s.records.size() && (!oldest || s.records[s.head].seq < oldest->seq)) {
            oldest = &s.records[s.head];
            shard_index = i;
            parked = false;
        }
    }
    for (std::size_t i = 0; i < parked_.size(); ++i) {
        parked_batch &p = parked_[i];
        if (p.head < p.records.size() && (!oldest || p.records[p.head].seq < oldest->seq)) {
            oldest = &p.records[p.head];
            shard_index = i;
            parked = true;
        }
    }
    return oldest;
}

// Pushes out the oldest records (queued or parked) until `bytes` more would fit; returns how
// many went. evict_mutex_ is held.
std::size_t record_queue::evict_oldest(std::size_t bytes, push_result &r) {
    std::vector<queued_record> &evicted = r.evicted;
    std::unique_lock<std::mutex> locks[shard_count];
    for (std::size_t i = 0; i < shard_count; ++i) locks[i] = std::unique_lock<std::mutex>(shards_[i].mutex);
    std::size_t n = 0;
    auto fits = [&] {
        return pending_events_.load() + 1 <= limits_.max_events && pending_bytes_.load() + bytes <= limits_.max_bytes;
    };
    while (!fits()) {
        std::size_t index = 0;
        bool parked = false;
        if (!oldest_evictable(index, parked)) break;
        std::size_t size = 0;
        if (parked) {
            parked_batch &p = parked_[index];
            size = p.records[p.head].json.size();
            evicted.push_back(std::move(p.records[p.head++]));
            ++r.evicted_parked;
        } else {
            shard &s = shards_[index];
            size = s.records[s.head].json.size();
            evicted.push_back(std::move(s.records[s.head++]));
            s.bytes -= size;
            queued_events_.fetch_sub(1);
            queued_bytes_.fetch_sub(size);
            drop_taken(s);
        }
        pending_events_.fetch_sub(1);
        pending_bytes_.fetch_sub(size);
        ++n;
    }
    return n;
}

void record_queue::park(std::uint64_t id, std::vector<queued_record> records) {
    std::lock_guard<std::mutex> lock(evict_mutex_);
    parked_.push_back({id, std::move(records), 0});
}

std::vector<queued_record> record_queue::unpark(std::uint64_t id) {
    std::lock_guard<std::mutex> lock(evict_mutex_);
    for (auto it = parked_.begin(); it != parked_.end(); ++it) {
        if (it->id != id) continue;
        std::vector<queued_record> left;
        left.reserve(it->records.size() - it->head);
        for (std::size_t j = it->head; j < it->records.size(); ++j) left.push_back(std::move(it->records[j]));
        parked_.erase(it);
        return left;
    }
    return {};
}

// A full queue, as the overflow policy says: refuse the record, push the oldest out, or wait for
// room until block_timeout. True when budget for `bytes` was taken; else r.result says why not.
bool record_queue::make_room(std::size_t bytes, push_result &r) {
    switch (limits_.overflow) {
    case overflow_policy::drop_newest: r.result = outcome::full; return false;
    case overflow_policy::drop_oldest: {
        std::lock_guard<std::mutex> lock(evict_mutex_);
        while (!reserve(bytes)) {
            if (evict_oldest(bytes, r) == 0) {
                r.result = outcome::full;
                return false;
            }
        }
        return true;
    }
    case overflow_policy::block: {
        std::unique_lock<std::mutex> lock(space_mutex_);
        blocked_.fetch_add(1);
        const auto deadline = std::chrono::steady_clock::now() + limits_.block_timeout;
        bool ok = false;
        while (!closed_.load() && !(ok = reserve(bytes))) {
            if (space_.wait_until(lock, deadline) == std::cv_status::timeout) {
                ok = !closed_.load() && reserve(bytes);
                break;
            }
        }
        blocked_.fetch_sub(1);
        if (!ok) r.result = closed_.load() ? outcome::closed : outcome::full;
        return ok;
    }
    }
    return true;
}

// A copy of `record` in a buffer of the shard's spares (refilled from the pool when none is
// left), or in a new one allocated with the shard's lock let go meanwhile.
SEGLOG_INLINE text_buffer record_queue::copy_record(shard &s, std::unique_lock<std::mutex> &lock,
                                                    std::string_view record) {
    const std::size_t bytes = record.size();
    text_buffer buffer;
    if (s.spare.empty()) { // lock order: shard, then pool
        std::lock_guard<std::mutex> pool_lock(pool_mutex_);
        const std::size_t n = std::min(refill, pool_.size());
        for (std::size_t i = 0; i < n; ++i) {
            s.spare.push_back(std::move(pool_.back()));
            pool_.pop_back();
        }
    }
    if (!s.spare.empty() && s.spare.back().capacity() >= bytes) {
        buffer = std::move(s.spare.back()); // a recycled buffer: the copy below allocates nothing
        s.spare.pop_back();
        buffer.assign(record);
    } else {
        lock.unlock();
        buffer.reserve_exact((bytes + 47) & ~std::size_t{15}); // allocate outside the lock, with room
        buffer.assign(record);                                 // for a slightly bigger record later
        lock.lock();
    }
    return buffer;
}

record_queue::push_result record_queue::push(std::string_view record) {
    push_result r;
    const std::size_t bytes = record.size();
    if (closed_.load()) {
        r.result = outcome::closed;
        return r;
    }
    if (!reserve(bytes) && !make_room(bytes, r)) return r;

    const std::size_t index = my_shard();
    shard &s = shards_[index];
    std::unique_lock<std::mutex> lock(s.mutex);
    text_buffer buffer = copy_record(s, lock, record);
    if (closed_.load()) {
        lock.unlock();
        unreserve(bytes);
        r.result = outcome::closed;
        return r;
    }
    spool_ref spooled;
    if (spool_) {
        const spool::append_result a = spool_->append(index, record, spooled);
        if (a == spool::append_result::full) {
            s.spare.push_back(std::move(buffer));
            lock.unlock();
            unreserve(bytes);
            r.result = outcome::full;
            r.spool_full = true;
            return r;
        }
        r.spool_failed = a == spool::append_result::failed || a == spool::append_result::failed_again;
        r.spool_failed_anew = a == spool::append_result::failed;
    }
    const std::uint64_t seq = next_seq_.fetch_add(1);
    s.records.push_back({std::move(buffer), seq, std::move(spooled)});
    prefetch_next(s);
    s.bytes += bytes;
    r.queued_events = queued_events_.fetch_add(1) + 1;
    r.queued_bytes_before = queued_bytes_.fetch_add(bytes);
    r.queued_bytes = r.queued_bytes_before + bytes;
    r.first_after_drain = r.queued_events == 1;
    return r;
}

record_queue::push_result record_queue::push_recovered(std::string_view record, spool_ref ref) {
    push_result r;
    pending_events_.fetch_add(1);
    pending_bytes_.fetch_add(record.size());
    shard &s = shards_[my_shard()];
    std::unique_lock<std::mutex> lock(s.mutex);
    text_buffer buffer = copy_record(s, lock, record);
    const std::uint64_t seq = next_seq_.fetch_add(1);
    s.records.push_back({std::move(buffer), seq, std::move(ref)});
    s.bytes += record.size();
    r.queued_events = queued_events_.fetch_add(1) + 1;
    r.queued_bytes_before = queued_bytes_.fetch_add(record.size());
    r.queued_bytes = r.queued_bytes_before + record.size();
    r.first_after_drain = r.queued_events == 1;
    return r;
}

void record_queue::settle_spooled(std::vector<queued_record> &settled) noexcept {
    if (!spool_) return;
    for (auto &r : settled) spool_->settle(r.spooled);
}

// Records before `head` were taken (drained or evicted) while the shard never emptied: a worker
// that takes part of the queue at a time, drop_oldest evicting while the collector is down.
// Their slots go once they are as many as the records still queued, so the vector stays within
// about twice what the shard holds instead of growing with every record pushed since it last
// emptied; each record still queued moves at most once per record taken before it.
void record_queue::drop_taken(shard &s) {
    if (s.head == s.records.size()) {
        s.records.clear();
        s.head = 0;
    } else if (s.head >= min_taken_to_drop && s.head >= s.records.size() - s.head) {
        s.records.erase(s.records.begin(), s.records.begin() + static_cast<std::ptrdiff_t>(s.head));
        s.head = 0;
    }
}

// The oldest `max_events` (the worker takes part of the queue: its batches have room for no
// more, as when a burst outruns it). Sequence numbers are given one by one to accepted records
// and each shard is in seq order, so the queued records whose seq is below oldest + max_events
// are at most max_events and older than every other: each shard gives its own under its own
// lock, as drain() does, and they are merged here. Never all shards locked at once, so a
// worker preempted while it takes them holds up one producer at most. Bounded by the seq the
// next push will take, read first: a record below it is in its shard by the time that shard's
// lock is free, so none older than one taken can arrive later.
std::size_t record_queue::drain_oldest(std::vector<queued_record> &out, std::size_t max_events) {
    const std::uint64_t next = next_seq_.load();
    const std::uint64_t oldest = std::min(next, oldest_seq());
    const std::uint64_t bound = oldest + std::min<std::uint64_t>(max_events, next - oldest);
    const std::size_t first = out.size();
    out.reserve(first + static_cast<std::size_t>(bound - oldest)); // no allocation under a lock
    for (auto &s : shards_) {
        const std::size_t mid = out.size();
        std::size_t bytes = 0;
        {
            std::lock_guard<std::mutex> lock(s.mutex);
            for (; s.head < s.records.size() && s.records[s.head].seq < bound; ++s.head) {
                bytes += s.records[s.head].json.size();
                out.push_back(std::move(s.records[s.head]));
            }
            s.bytes -= bytes;
            drop_taken(s);
        }
        queued_events_.fetch_sub(out.size() - mid);
        queued_bytes_.fetch_sub(bytes);
        merge_into(out, first, mid);
    }
    return out.size() - first;
}

std::size_t record_queue::drain(std::vector<queued_record> &out, std::size_t max_events) {
    if (max_events == 0) return 0;
    if (max_events < queued_events_.load()) return drain_oldest(out, max_events);
    const std::size_t first = out.size();
    for (std::size_t i = 0; i < shard_count; ++i) {
        shard &s = shards_[i];
        std::vector<queued_record> &mine = drained_[i];
        mine.clear(); // keeps its capacity, which the shard gets back on the swap
        std::size_t head = 0, bytes = 0;
        {
            std::lock_guard<std::mutex> lock(s.mutex);
            if (s.head == s.records.size()) continue;
            mine.swap(s.records);
            head = s.head;
            bytes = s.bytes;
            s.head = 0;
            s.bytes = 0;
        }
        queued_events_.fetch_sub(mine.size() - head);
        queued_bytes_.fetch_sub(bytes);
        const std::size_t mid = out.size();
        for (std::size_t j = head; j < mine.size(); ++j) out.push_back(std::move(mine[j]));
        merge_into(out, first, mid);
    }
    return out.size() - first;
}

std::vector<queued_record> record_queue::take_all() {
    std::vector<queued_record> out;
    drain(out);
    return out;
}

std::vector<queued_record> record_queue::close() {
    closed_.store(true);
    {
        std::lock_guard<std::mutex> lock(space_mutex_);
        space_.notify_all();
    }
    std::vector<queued_record> out;
    for (auto &s : shards_) {
        std::lock_guard<std::mutex> lock(s.mutex);
        const std::size_t mid = out.size();
        for (std::size_t j = s.head; j < s.records.size(); ++j) {
            pending_bytes_.fetch_sub(s.records[j].json.size());
            pending_events_.fetch_sub(1);
            out.push_back(std::move(s.records[j]));
        }
        queued_events_.fetch_sub(s.records.size() - s.head);
        queued_bytes_.fetch_sub(s.bytes);
        s.records.clear();
        s.head = 0;
        s.bytes = 0;
        merge_into(out, 0, mid);
    }
    return out;
}

void record_queue::release(std::size_t events, std::size_t bytes) {
    pending_events_.fetch_sub(events);
    pending_bytes_.fetch_sub(bytes);
    notify_space();
}

void record_queue::recycle(std::vector<queued_record> &settled) {
    settle_spooled(settled);
    std::lock_guard<std::mutex> lock(pool_mutex_);
    for (auto &r : settled) {
        if (pool_.size() >= max_pooled) break;
        if (r.json.capacity() > max_spare_capacity) continue;
        r.json.clear();
        pool_.push_back(std::move(r.json));
    }
}

std::size_t record_queue::queued_events() const { return queued_events_.load(); }
std::size_t record_queue::queued_bytes() const { return queued_bytes_.load(); }
std::size_t record_queue::pending_events() const { return pending_events_.load(); }
std::size_t record_queue::pending_bytes() const { return pending_bytes_.load(); }
std::uint64_t record_queue::last_seq() const { return next_seq_.load() - 1; }

std::uint64_t record_queue::oldest_seq() const {
    // Read before looking at the shards: a record whose seq is below this one is in a shard
    // by the time its shard's lock is free (seq and push happen under the same lock).
    std::uint64_t oldest = next_seq_.load();
    for (auto &s : shards_) {
        std::lock_guard<std::mutex> lock(s.mutex);
        if (s.head < s.records.size()) oldest = std::min(oldest, s.records[s.head].seq);
    }
    return oldest;
}

bool record_queue::empty() const { return queued_events_.load() == 0; }

void record_queue::reset_after_fork() {
    // Not clear(): a parent thread may have been half-way through changing them. Their memory
    // is the parent's copy-on-write pages, left untouched.
    for (auto &s : shards_) {
        new (&s.mutex) std::mutex();
        new (&s.records) std::vector<queued_record>();
        new (&s.spare) std::vector<text_buffer>();
        s.head = 0;
        s.bytes = 0;
    }
    for (auto &d : drained_) new (&d) std::vector<queued_record>();
    new (&space_mutex_) std::mutex();
    new (&space_) std::condition_variable();
    new (&evict_mutex_) std::mutex();
    new (&parked_) std::vector<parked_batch>();
    new (&pool_mutex_) std::mutex();
    new (&pool_) std::vector<text_buffer>();
    spool_ = nullptr; // the parent's: the child runs without one
    blocked_.store(0);
    queued_events_.store(0);
    queued_bytes_.store(0);
    pending_events_.store(0);
    pending_bytes_.store(0);
}

} // namespace seglog::detail
