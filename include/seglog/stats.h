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

// A snapshot of a client's counters since it was constructed (a forked child starts at zero).
// Every event accepted is counted once in delivered, failed, evicted or returned when it is
// settled; every event refused once in dropped. by_reason counts the same events by reason.
struct stats {
    std::uint64_t accepted = 0;  // entered the queue
    std::uint64_t delivered = 0; // acknowledged by a 2xx
    std::uint64_t failed = 0;    // given up on in delivery (rejected, unauthorized, retries_exhausted,
                                 // config_error)
    std::uint64_t dropped = 0;   // never accepted (validation, invalid_record, queue_full, closed)
    std::uint64_t evicted = 0;   // accepted, then pushed out of a full queue (drop_oldest)
    std::uint64_t returned = 0;  // handed back by close()
    // failed + dropped + evicted + returned, by reason. For the events accepted:
    // accepted == delivered + failed + evicted + returned + (still pending).
    std::uint64_t by_reason[reason_count] = {};
    std::uint64_t retried = 0;           // events re-sent after a failed attempt
    std::uint64_t batches_sent = 0;      // requests started, retries included
    std::uint64_t batches_delivered = 0; // requests answered 2xx
    std::uint64_t queued_events = 0;     // waiting in the queue now
    std::uint64_t queued_bytes = 0;      // their bytes of JSON
    std::uint64_t pending_bytes = 0;     // accepted and not settled: what the max_queue_bytes bound covers
    std::uint64_t in_flight = 0;         // taken from the queue, not settled: the batch being filled,
                                         // requests under way, batches waiting to retry
    std::uint64_t bytes_sent = 0;        // request bodies on the wire (after gzip)
    // Callback calls skipped: more than 1024 were waiting for a slow on_delivered, on_attempt or
    // on_error, or close() reached its deadline with some still waiting (docs/delivery.md).
    std::uint64_t callbacks_skipped = 0;
    // The durable spool (config::spool_dir; all zero without one, docs/spool.md).
    std::uint64_t spool_events = 0;    // records in the spool now, not settled
    std::uint64_t spool_bytes = 0;     // bytes of the spool's segment files now
    std::uint64_t spool_recovered = 0; // events recovered from the spool at start (counted in accepted)
    std::uint64_t spool_trimmed = 0;   // segments whose records were all settled: removed or reused
    std::uint64_t spool_corrupt = 0;   // records skipped at recovery: checksum, length or commit word wrong
    std::uint64_t spool_unspooled = 0; // events accepted in memory only: the spool could not take them
    std::uint64_t spool_left = 0;      // events close() left in the spool for the next start
                                       // (instead of returning them)
    // Events serialised by this client's calls, and by the macros of loggers attach() wired to
    // it, that carried a phi path and were sent with config::phi_integrations.
    std::uint64_t phi_routed = 0;
    // Exceptions thrown by config::plugins (reason::plugin_error), in this client's calls, the
    // macros of loggers attach() wired to it, and its after plugins. The events dropped by a
    // before plugin are in dropped and by_reason[plugin_dropped] (client calls; the macros'
    // drops are in call_site_stats(), like their other refusals).
    std::uint64_t plugin_errors = 0;
    // The tracking plan (config::tracking_plan): events found failing their rule's schema, and
    // track events no rule names, whether sent (warn) or not (drop: also counted in failed).
    std::uint64_t plan_violations = 0;
    std::uint64_t unplanned_events = 0;
};

// What client::on_delivered receives: one batch answered 2xx.
struct delivery_info {
    std::size_t events = 0;               // events in the batch
    std::size_t body_bytes = 0;           // uncompressed
    std::vector<std::string> message_ids; // of every event delivered
};

// What client::on_attempt receives: one HTTP request and its outcome, success or not.
struct attempt_info {
    int status = 0;                        // HTTP status; 0 when no answer (network failure)
    std::string network_error;             // libcurl's description when status == 0
    std::chrono::microseconds duration{0}; // from the start of the request to its answer or failure
    std::size_t bytes = 0;                 // bytes on the wire
    std::size_t events = 0;                // events in the request
    int retry_count = 0;                   // value of X-Retry-Count (0 on the first attempt)
};

} // namespace seglog
