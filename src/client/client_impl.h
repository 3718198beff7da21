#pragma once
// The client's insides, shared by the caller-facing methods (client.cpp), the worker loop
// (worker.cpp) and the fork handling (fork.cpp).

#include <seglog/client.h>

#include "batcher/batch.h"
#include "queue/record_queue.h"
#include "event/serialize.h"
#include "transport/http_transport.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

namespace seglog {

struct client::impl {
    explicit impl(seglog::config c);
    ~impl();

    // --- caller side
    bool submit(const detail::event_fields &f);
    bool enqueue(std::string_view record);
    flush_result flush(std::chrono::milliseconds timeout);
    std::vector<std::string> close(std::chrono::milliseconds timeout);
    void reject(const error &e, bool accepted_before); // count + report an event that will not be sent
    void report(const error &e);
    seglog::stats snapshot() const;

    // --- worker side (worker.cpp); touched only by the worker thread
    struct worker_state {
        std::unique_ptr<detail::http_transport> transport;
        detail::batch current;
        std::deque<detail::batch> ready;               // sealed, waiting for a request slot or backoff
        std::map<std::uint64_t, detail::batch> in_flight;
        std::chrono::steady_clock::time_point paused_until{};       // no request starts before this
        std::chrono::steady_clock::time_point rate_limited_until{}; // the part of the pause the server asked for
        int consecutive_failures = 0;
        std::uint64_t next_batch_id = 1;
        std::mt19937_64 rng{std::random_device{}()};
        bool close_started = false;
    };
    void start_worker();
    void lower_priority() const; // on the worker thread: cfg.worker_nice
    void run();
    void seal_current(worker_state &w, std::chrono::steady_clock::time_point now);
    void send_due(worker_state &w, std::chrono::steady_clock::time_point now);
    void handle(worker_state &w, detail::http_response &r, std::chrono::steady_clock::time_point now);
    void settle_delivered(detail::batch &b);
    void settle_failed(detail::batch &b, reason why, int status, const std::string &detail);
    void publish_progress(worker_state &w);
    std::vector<std::string> take_everything(worker_state &w);

    // --- fork (fork.cpp)
    void reset_after_fork();
    void restart_if_forked();

    seglog::config cfg;
    std::shared_ptr<const redactor> redaction; // applied by submit(); records from enqueue() are already redacted
    detail::transport_options transport_opts;
    detail::record_queue queue;
    // The message of every queue_full drop, built once: a drop happens per call while the
    // collector is down, on the caller's thread.
    const std::string queue_full_message;
    std::unique_ptr<worker_state> state;
    std::thread worker;

    std::atomic<bool> sleeping{false};
    // steady_clock time of the first record pushed after the worker drained the queue: the
    // worker dates a new batch from it, so the producer need not wake the worker to start the
    // flush_interval clock.
    std::atomic<std::chrono::steady_clock::rep> first_arrival{0};
    std::atomic<bool> flush_requested{false};
    std::atomic<bool> stop_requested{false};
    std::atomic<bool> closed{false};
    std::atomic<bool> needs_restart{false};    // set in a forked child
    std::chrono::steady_clock::time_point close_deadline{};
    std::vector<std::string> returned_at_close;

    // progress, for flush(): every record with seq < low_water is settled
    std::mutex progress_mutex;
    std::condition_variable progress_cv;
    std::atomic<std::uint64_t> low_water{1};
    std::atomic<std::size_t> in_batches_events{0};

    // counters
    // accepted is not counted apart: every accepted event takes the queue's next sequence number,
    // so it is queue.last_seq() - accepted_base (one atomic less on the caller's path).
    std::uint64_t accepted_base = 0; // last_seq() when the counts were reset (fork)
    std::atomic<std::uint64_t> delivered{0}, failed{0}, dropped{0}, returned{0}, evicted{0};
    std::atomic<std::uint64_t> by_reason[reason_count] = {};
    std::atomic<std::uint64_t> retried{0}, batches_sent{0}, batches_delivered{0}, bytes_sent{0};

    // callbacks: copied under the mutex, run without it
    mutable std::mutex callback_mutex;
    std::shared_ptr<const std::function<void(const delivery_info &)>> on_delivered;
    std::shared_ptr<const error_handler> on_error;
    std::shared_ptr<const std::function<void(const attempt_info &)>> on_attempt;
};

namespace detail {
void register_client(client::impl *c);
void unregister_client(client::impl *c);
} // namespace detail

} // namespace seglog
