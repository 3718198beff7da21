#pragma once
// What became of every event: the counters behind client::stats() and the callbacks
// (on_delivered, on_attempt, on_error). The client counts what it refuses here; the batcher
// settles each batch here, delivered or failed. Counters are relaxed atomics that stats()
// reads one by one; callbacks are copied under a lock and run without it, on the thread
// that settles (the worker, or the caller for a refusal).

#include "common/errors.h"
#include "plugins/plugin_chain.h"

#include <seglog/error.h>
#include <seglog/stats.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>

namespace seglog::detail {

class accounting {
public:
    using delivered_callback = std::function<void(const delivery_info &)>;
    using attempt_callback = std::function<void(const attempt_info &)>;

    // --- refused by the client (the caller's thread)
    // Counts `e` (one event per message id, at least one) as dropped, or as evicted when the
    // events had been accepted before, and reports it.
    void reject(const error &e, bool accepted_before);
    // Hands `e` to on_error, or to the process's default handler when none is set. A throwing
    // callback is ignored: it must not take the worker (or the caller) down.
    void report(const error &e);
    // A tracking call made inside one of this thread's callbacks (common/errors.h): counted as
    // dropped for reentrant_call and printed by the default handler, never given to on_error,
    // the callback the thread is already in.
    void refuse_reentrant(std::string_view event_type);

    // --- the batcher's side (the worker thread)
    // n events taken from the queue into a batch: stats().in_flight until they are settled.
    void batched(std::size_t n) noexcept { in_batches_.fetch_add(n, std::memory_order_relaxed); }
    // A request starts for a batch of n events; `resend` when it is a retry.
    void sending(std::size_t n, bool resend) noexcept {
        if (resend) retried_.fetch_add(n, std::memory_order_relaxed);
        batches_sent_.fetch_add(1, std::memory_order_relaxed);
    }
    // An attempt ended (answered or not): bytes on the wire, then on_attempt. The batcher does
    // the two apart: counts at once, and runs the callback on its notify thread.
    void attempted(const attempt_info &a) {
        count_attempt(a);
        notify_attempt(a);
    }
    void count_attempt(const attempt_info &a) noexcept { bytes_sent_.fetch_add(a.bytes, std::memory_order_relaxed); }
    void notify_attempt(const attempt_info &a);
    bool wants_delivered() const { return after_ || callback(on_delivered_) != nullptr; }
    // A batch of n events was acknowledged; notify_delivered() runs on_delivered afterwards.
    void delivered(std::size_t n) noexcept {
        delivered_.fetch_add(n, std::memory_order_relaxed);
        batches_delivered_.fetch_add(1, std::memory_order_relaxed);
        in_batches_.fetch_sub(n, std::memory_order_relaxed);
    }
    // on_delivered with what `info()` builds (the ids are only gathered when a callback is set).
    template <typename Info>
    void notify_delivered(Info &&info) {
        const auto cb = callback(on_delivered_);
        if (!cb && !after_) return;
        const delivery_info &i = info();
        if (cb) {
            try {
                const callback_scope marked;
                (*cb)(i);
            } catch (...) {}
        }
        if (after_) {
            delivery_result r;
            r.delivered = true;
            after_->run_after(i.message_ids, r, [this](const error &n) { report(n); });
        }
    }
    // `e` (events accepted, now failed, evicted or returned) to on_error, then to the after
    // plugins, one call per message id. On the callback thread.
    void report_settled(const error &e) {
        report(e);
        after_plugins(e);
    }
    // Only the after plugins' part of report_settled (evictions are reported on the caller's
    // thread, their after plugins run on the callback thread).
    void after_plugins(const error &e);
    bool has_after_plugins() const noexcept { return after_ != nullptr; }
    // The client's after plugins (nullptr: none); set before the worker starts.
    void set_after_plugins(std::shared_ptr<const plugin_chain> chain) noexcept { after_ = std::move(chain); }
    // A batch of n events given up on for `why` (reported apart, with its message).
    void failed(std::size_t n, reason why) noexcept {
        failed_.fetch_add(n, std::memory_order_relaxed);
        by_reason_[static_cast<int>(why)].fetch_add(n, std::memory_order_relaxed);
        in_batches_.fetch_sub(n, std::memory_order_relaxed);
    }
    // An event the tracking plan does not allow (plan_violation or unplanned_event), sent or not.
    void off_plan(reason why) noexcept {
        (why == reason::unplanned_event ? unplanned_ : plan_violations_).fetch_add(1, std::memory_order_relaxed);
    }
    // n events evicted from a batch held by the worker (drop_oldest), counted apart as evicted.
    void unbatched(std::size_t n) noexcept { in_batches_.fetch_sub(n, std::memory_order_relaxed); }
    // Every batch taken back from the worker at close (their events are returned).
    void unbatched_all() noexcept { in_batches_.store(0); }

    // --- close()
    // `e.message_ids.size()` events handed back to the caller, counted and reported.
    void returned(const error &e) {
        count_returned(e.message_ids.size());
        report(e);
    }
    void count_returned(std::size_t n) noexcept;

    // Everything stats() shows but the queue's own figures (accepted, queued_*, pending_bytes).
    void fill(seglog::stats &s) const;

    void on_delivered(delivered_callback fn);
    void on_error(error_handler fn);
    void on_attempt(attempt_callback fn);

    // After fork() in the child: counts start from zero, with a new lock (the parent's may have
    // been held by a thread that does not exist here). Callbacks are kept.
    void reset_after_fork();

private:
    template <typename T>
    std::shared_ptr<const T> callback(const std::shared_ptr<const T> &slot) const {
        std::lock_guard<std::mutex> lock(callback_mutex_);
        return slot;
    }

    std::atomic<std::uint64_t> delivered_{0}, failed_{0}, dropped_{0}, returned_{0}, evicted_{0};
    std::atomic<std::uint64_t> by_reason_[reason_count] = {};
    std::atomic<std::uint64_t> retried_{0}, batches_sent_{0}, batches_delivered_{0}, bytes_sent_{0};
    std::atomic<std::size_t> in_batches_{0};
    std::atomic<std::uint64_t> plan_violations_{0}, unplanned_{0};

    std::shared_ptr<const plugin_chain> after_; // only when it has after plugins

    mutable std::mutex callback_mutex_;
    std::shared_ptr<const delivered_callback> on_delivered_;
    std::shared_ptr<const error_handler> on_error_;
    std::shared_ptr<const attempt_callback> on_attempt_;
};

} // namespace seglog::detail
