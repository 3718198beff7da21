#pragma once
// The delivery pipeline, usable without spdlog: validation -> bounded queue -> batcher ->
// transport (libcurl) -> retry policy -> callbacks and counters. One worker thread owns the
// network; the caller never waits on it.

#include <seglog/config.h>
#include <seglog/error.h>
#include <seglog/event.h>
#include <seglog/export.h>
#include <seglog/redaction.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace seglog {

struct stats {
    std::uint64_t accepted = 0;       // entered the queue
    std::uint64_t delivered = 0;      // acknowledged by a 2xx
    std::uint64_t failed = 0;         // given up on in delivery (rejected, unauthorized, retries_exhausted)
    std::uint64_t dropped = 0;        // never accepted (validation, queue_full, closed)
    std::uint64_t evicted = 0;        // accepted, then pushed out of a full queue (drop_oldest)
    std::uint64_t returned = 0;       // handed back by close()
    // failed + dropped + evicted + returned, by reason. For the events accepted:
    // accepted == delivered + failed + evicted + returned + (still pending).
    std::uint64_t by_reason[reason_count] = {};
    std::uint64_t retried = 0;        // events re-sent after a failed attempt
    std::uint64_t batches_sent = 0;   // requests started, retries included
    std::uint64_t batches_delivered = 0;
    std::uint64_t queued_events = 0;  // waiting in the queue now
    std::uint64_t queued_bytes = 0;
    std::uint64_t pending_bytes = 0;  // accepted and not settled: what the max_queue_bytes bound covers
    std::uint64_t in_flight = 0;      // taken from the queue, not settled: the batch being filled,
                                      // requests under way, batches waiting to retry
    std::uint64_t bytes_sent = 0;     // request bodies on the wire (after gzip)
};

struct delivery_info {
    std::size_t events = 0;
    std::size_t body_bytes = 0;       // uncompressed
    std::vector<std::string> message_ids;
};

struct attempt_info {
    int status = 0;                   // HTTP status; 0 when no answer (network failure)
    std::string network_error;        // libcurl's description when status == 0
    std::chrono::microseconds duration{0};
    std::size_t bytes = 0;            // bytes on the wire
    std::size_t events = 0;
    int retry_count = 0;              // value of X-Retry-Count (0 on the first attempt)
};

struct flush_result {
    bool complete = false;            // everything accepted before the call was settled
    std::uint64_t pending = 0;        // events still queued or in flight at return
    explicit operator bool() const { return complete; }
};

class SEGLOG_API client {
public:
    explicit client(seglog::config cfg);
    ~client(); // close(config.close_timeout) unless already closed
    client(const client &) = delete;
    client &operator=(const client &) = delete;

    // The Segment Spec calls. Return false when the event was rejected (reported through
    // on_error and counted), true when it was accepted into the queue.
    bool track(const identity &who, std::string_view event, const properties &props = {},
               const call_options &opts = {});
    bool identify(const identity &who, const properties &traits = {}, const call_options &opts = {});
    bool page(const identity &who, std::string_view name, const properties &props = {},
              const call_options &opts = {});
    bool screen(const identity &who, std::string_view name, const properties &props = {},
                const call_options &opts = {});
    bool group(const identity &who, std::string_view group_id, const properties &traits = {},
               const call_options &opts = {});
    bool alias(std::string_view previous_id, std::string_view user_id, const call_options &opts = {});

    // Enqueue an already-serialised, validated record (what the record bridge carries): one
    // event's JSON object with a messageId string. A record whose messageId is not its first
    // member is rewritten with it first; one without a usable messageId is refused as
    // reason::invalid_record (docs/delivery.md).
    bool enqueue(std::string_view record);

    // Sends everything accepted so far and waits until it is settled or `timeout` passes.
    flush_result flush(std::chrono::milliseconds timeout);
    // Asks the worker to send the batch it is filling now, without waiting.
    void flush_async() noexcept;
    // Flushes, stops the worker and returns the JSON of every event not delivered.
    // A second call returns an empty vector.
    std::vector<std::string> close(std::chrono::milliseconds timeout);
    bool closed() const noexcept;

    seglog::stats stats() const;
    const seglog::config &config() const noexcept;
    // The rules track & co. apply (from config().redact/allow), nullptr when there are none.
    const seglog::redactor *redaction() const noexcept;

    // Callbacks run on the worker thread (on_error also on the caller's thread for call-site
    // rejections). Set them before the first event; they must not call back into the client.
    void on_delivered(std::function<void(const delivery_info &)> fn);
    void on_error(error_handler fn);
    void on_attempt(std::function<void(const attempt_info &)> fn);

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace seglog
