#pragma once
// What a client reports about delivery: the counters of client::stats() and what the
// on_delivered and on_attempt callbacks receive.

#include <seglog/error.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
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

} // namespace seglog
