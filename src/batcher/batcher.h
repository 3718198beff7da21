#pragma once
// The batcher: the worker thread, the only one that touches the network. It drains the queue
// into batches, sends them through the transport, applies the retry policy's verdict to each
// answer and settles every batch with the accounting. No lock is held while a request is
// under way; the caller only ever meets the queue's short lock.
//
// The worker's own state (batches, pauses, the transport) is touched by the worker thread
// alone. What other threads may do is the public part below: note an accepted record, ask
// for a flush, wait for progress, stop.

#include <seglog/config.h>

#include "accounting/accounting.h"
#include "batcher/batch.h"
#include "batcher/notifier.h"
#include "plan/gate.h"
#include "queue/record_queue.h"
#include "retry/delivery_notices.h"
#include "transport/http_transport.h"
#include "transport/transport.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace seglog::detail {

class batcher {
public:
    // `cfg`, `queue` and `acc` must outlive the batcher (the client owns all four).
    batcher(const config &cfg, record_queue &queue, accounting &acc);
    batcher(const batcher &) = delete;
    batcher &operator=(const batcher &) = delete;

    // Starts the worker thread with a new transport (at construction, and in a forked child).
    void start();

    // On the caller's thread, after the queue accepted a record. The first record after a
    // drain only notes the time: the worker, which never sleeps longer than flush_interval,
    // dates the batch from it and still sends it flush_interval after this event, so the
    // caller pays no wake-up (a syscall, and contention at the start of every burst). A full
    // batch does wake a sleeping worker: it would otherwise wait for flush_interval while a
    // batch could go. seq_cst pairs with the worker's sleeping store and re-check.
    void on_accepted(const record_queue::push_result &r) noexcept {
        if (r.first_after_drain)
            first_arrival_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                                 std::memory_order_relaxed);
        const bool batch_full = r.queued_events == flush_at_ ||
                                (r.queued_bytes_before < max_batch_bytes_ && r.queued_bytes >= max_batch_bytes_);
        if (batch_full && sleeping_.load(std::memory_order_seq_cst)) state_->transport->wakeup();
    }

    // Asks the worker to send the batch it is filling now; returns at once.
    void request_flush() noexcept;
    // Waits until every record with a sequence number up to `seq` is settled, or `timeout`.
    bool wait_settled(std::uint64_t seq, std::chrono::milliseconds timeout);
    // Stops the worker: every pending batch gets one more attempt, until `deadline`. Returns
    // the JSON of the events it still held then, in acceptance order (their budget released).
    std::vector<std::string> stop(std::chrono::steady_clock::time_point deadline);
    // After stop() and the queue's close(): every waiter of wait_settled() returns true.
    void release_waiters();
    // The delivery callbacks (notifier.h): `fn` runs on the notify thread, after those posted
    // before it; false when skipped at the bound.
    bool notify(std::function<void()> fn) { return notifier_.post(std::move(fn)); }
    // Waits until the callbacks posted so far have run, or `deadline` (flush()).
    bool wait_callbacks(std::chrono::steady_clock::time_point deadline) { return notifier_.wait_done(deadline); }
    // After stop(): runs the callbacks still waiting until `deadline`, skips the rest (close()).
    void stop_callbacks(std::chrono::steady_clock::time_point deadline) { notifier_.stop(deadline); }
    std::uint64_t callbacks_skipped() const { return notifier_.skipped(); }
    // After stop(): the events it left in the spool instead of returning them.
    std::size_t left_in_spool() const { return left_in_spool_; }

    // After fork() in the child: no worker thread exists here. Forgets it and its state (the
    // transport's connections are the parent's) without touching them; start() begins anew.
    void reset_after_fork();

private:
    using clock = std::chrono::steady_clock;
    // Touched only by the worker thread.
    struct worker_state {
        std::unique_ptr<batch_transport> transport; // http_transport, or custom_transport
        batch current;
        std::deque<batch> ready; // sealed, waiting for a request slot or backoff
        std::map<std::uint64_t, batch> in_flight;
        // drop_oldest while held: batches whose records wait in the queue's parked lane (within
        // eviction's reach); here only their identity and retry history, and their oldest seq.
        struct parked_batch {
            batch meta;
            std::uint64_t min_seq = UINT64_MAX;
        };
        std::deque<parked_batch> parked;
        clock::time_point paused_until{};       // no request starts before this
        clock::time_point rate_limited_until{}; // the part of the pause the server asked for
        clock::time_point config_hold_until{};  // the part a configuration error put on: close() keeps it
        std::size_t max_batch_bytes = 0;        // cfg's, or lower once a 413 showed the collector's limit
        delivery_notices notices;
        int consecutive_failures = 0;
        std::uint64_t next_batch_id = 1;
        std::mt19937_64 rng{std::random_device{}()};
        bool close_started = false;
        bool flushing = false; // until the queue has been drained since the last flush request
        // Recovery from an outage: while batches wait on backoff, a request with an empty batch
        // every probe_interval asks whether the collector answers again.
        clock::time_point next_probe{};
        bool probe_in_flight = false;
        clock::time_point next_sync{}; // spool_sync interval: when the spool is synced next
        // Until the worker has caught up with the first events (at most first_burst_limit after
        // it took the first), it keeps the callers' priority; then worker_nice applies.
        bool first_burst = true;
        clock::time_point first_taken{};
    };
    static constexpr std::chrono::seconds first_burst_limit{1};

    void run();
    void lower_priority() const; // cfg.worker_nice, on the worker thread
    void end_first_burst(worker_state &w, clock::time_point now, bool took);
    void fill_batches(worker_state &w, std::vector<queued_record> &incoming, clock::time_point now, bool flush_now,
                      bool stopping);
    // The tracking plan's check: false when the event is not to be sent (plan_violations=drop),
    // and then settled as failed here.
    bool admit(queued_record &r);
    bool finished(worker_state &w, clock::time_point now);
    std::chrono::milliseconds sleep_time(const worker_state &w, clock::time_point now, bool hold_queue,
                                         bool stopping) const;
    void seal_current(worker_state &w, clock::time_point now);
    void park_or_resume(worker_state &w, bool held);
    bool probe_due(const worker_state &w, clock::time_point now, bool stopping) const;
    void send_probe(worker_state &w, clock::time_point now);
    void handle_probe(worker_state &w, const http_response &r, clock::time_point now);
    std::size_t drain_room(const worker_state &w) const;
    void send_due(worker_state &w, clock::time_point now);
    // The spool's sync policy: before a batch's first attempt (batch), or every interval.
    void sync_spool(worker_state &w, clock::time_point now);
    void handle(worker_state &w, http_response &r, clock::time_point now);
    // What to say about a failed attempt (and a refused gzip) before its verdict is applied.
    void notice(worker_state &w, const http_response &r, const batch &b, const decision &d);
    void hold_for_config(worker_state &w, batch &b, const http_response &r, const decision &d, clock::time_point now);
    void learn_body_limit(worker_state &w, const batch &b);
    // Splits `b` until it fits the learned body limit; the rest goes to the front of ready.
    void fit_body_limit(worker_state &w, batch &b);
    void settle_delivered(batch &b);
    void settle_failed(batch &b, reason why, int status, const std::string &detail);
    void publish_progress(worker_state &w);
    std::vector<std::string> take_everything(worker_state &w);

    const config &cfg_;
    record_queue &queue_;
    accounting &acc_;
    const std::size_t flush_at_, max_batch_bytes_; // read on the caller's thread by on_accepted()
    // Events the worker takes out of the queue at most (current, ready and in-flight batches
    // together): enough to keep max_in_flight requests going and as many batches ready behind
    // them, and no more, so that the rest stays where drop_oldest can evict it.
    const std::size_t max_outside_events_;
    // A backoff or an outage hold may last up to backoff_cap (a minute); the collector may be
    // back long before. A probe costs one empty request a second while batches wait.
    static constexpr std::chrono::milliseconds probe_interval{1000};
    static constexpr std::uint64_t probe_id = UINT64_MAX; // never a batch's id
    const transport_options transport_opts_;
    // Where batches go, as messages name it: the URL, or `custom destination "<name>"`.
    const std::string endpoint_;
    // Checked on the worker, so that a call pays nothing for the plan (docs/tracking-plan.md);
    // nullptr without a plan or with plan_violations=allow.
    const std::shared_ptr<const plan::gate> gate_;
    std::unique_ptr<worker_state> state_;
    notifier notifier_;
    std::thread worker_;

    std::atomic<bool> sleeping_{false};
    // steady_clock time of the first record pushed after the worker drained the queue: the
    // worker dates a new batch from it, so the producer need not wake the worker to start the
    // flush_interval clock.
    std::atomic<clock::rep> first_arrival_{0};
    std::atomic<bool> flush_requested_{false};
    std::atomic<bool> stop_requested_{false};
    clock::time_point close_deadline_{};
    std::vector<std::string> returned_at_close_;
    std::size_t left_in_spool_ = 0;

    // Progress, for flush(): every record with seq < low_water_ is settled.
    std::mutex progress_mutex_;
    std::condition_variable progress_cv_;
    std::atomic<std::uint64_t> low_water_{1};
};

} // namespace seglog::detail
