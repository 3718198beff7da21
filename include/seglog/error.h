#pragma once
// Every event seglog does not deliver has a reason, a counter and a callback.
//
// Two places report them: a seglog::client reports its own events (refused by its calls or
// its queue, failed in delivery, returned by close) to its on_error and counts them in its
// stats(); what is refused at a SEGLOG_* call site before any client sees it (validation,
// not_attached) and a file destination's io_error go to the process-wide handler below and
// are counted by call_site_stats().

#include <seglog/export.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace seglog {

// Why an event was not delivered. to_string() gives each one's stable name.
enum class reason : std::uint8_t {
    // rejected at the call, before anything is queued
    missing_identity,    // neither userId nor anonymousId
    missing_event,       // track without event name
    missing_group_id,    // group without groupId
    missing_previous_id, // alias without previousId
    not_an_object,       // properties, traits, context or integrations not a JSON object
    non_finite_number,   // NaN or +/-Infinity anywhere in the payload
    invalid_utf8,        // a string (key or value) that is not valid UTF-8
    too_deep,            // nested arrays/objects deeper than 32 levels
    too_many_keys,       // an object with over 1000 keys, or over 2000 keys in the whole event
    event_too_large,     // serialised event over max_event_bytes (32 KB by default), or too
                         // large for a batch of one (max_batch_bytes with its envelope)
    not_attached,        // the logger has no seglog demux sink, or a sink beside it: the event
                         // would have leaked into log lines
    // refused by the pipeline
    queue_full, // the bounded queue (events or bytes) overflowed: a new event refused,
                // an old one evicted (drop_oldest) or a block_timeout run out
    closed,     // the client was already closed
    // failed in delivery
    rejected,             // the collector refused it for good: a 400/413 for this event alone,
                          // another 4xx, or 501/505/511 (the error says why: the event's type
                          // and name, and the collector's answer); or a custom destination's
                          // reject (its reason in the message)
    unauthorized,         // 401/403: the write key is wrong or lacks permission; said at once as
                          // a config_error, the events wait ten minutes and fail with this
                          // reason when that is past max_retry_time
    retries_exhausted,    // retryable failures until the attempt or time budget ran out
    undelivered_at_close, // still pending when close() ran out of time (returned by close)
    io_error,             // a local destination (file) could not be written, flushed or synced
    config_error,         // the configuration is wrong. A bad config throws seglog::config_error
                          // at startup; delivery reports the problems only an answer shows (the
                          // write key refused, an untrusted TLS certificate, a 301/302 naming
                          // the collector's new location): said at once, with no message_ids,
                          // delivery pausing ten minutes; events still failing after that are
                          // given up on with this reason (unauthorized for 401/403)
    invalid_record,       // client::enqueue was given a record that is not a JSON object with a
                          // plain messageId string of at most 100 bytes
    delivery_delayed,     // a notice, not a loss: a delivery attempt failed and will be retried,
                          // or the client changed how it sends (gzip off, smaller batches). Said
                          // once per cause (connection refused, name resolution, timeout, an
                          // HTTP status) until a delivery succeeds; no message_ids, never counted
    reentrant_call,       // tracked (a macro or a client call) from inside a seglog callback:
                          // on_error, on_delivered, on_attempt or the set_error_handler handler
    spool_error,          // a notice, not a loss: the durable spool could not take events (a
                          // segment could not be created or extended: disk full, directory
                          // removed or read-only) and they go on in memory only, counted in
                          // stats().spool_unspooled; or recovery skipped corrupt records,
                          // counted in stats().spool_corrupt. Never counted in by_reason
    plugin_dropped,       // a before plugin (config::plugins) dropped the event at the call; the
                          // message names the plugin and its reason (include/seglog/plugin.h)
    plugin_error,         // a notice, not a loss: a plugin threw (the message names it); the
                          // event went on as it was before that plugin's call. Counted in
                          // stats().plugin_errors, never in a client's by_reason
    // the tracking plan (config::tracking_plan; docs/tracking-plan.md)
    plan_violation,  // the event fails its rule's schema (the message lists each failing JSON
                     // pointer and keyword, never a value): with plan_violations=drop it is not
                     // sent (failed, or refused by a file or console destination); with warn it
                     // is sent and this is a notice, not counted in by_reason
    unplanned_event, // no rule of the plan has the track event's name; drop and warn as above
};
// The number of reasons: the size of the by_reason arrays, indexed by static_cast<int>(reason).
inline constexpr int reason_count = static_cast<int>(reason::unplanned_event) + 1;

// Stable snake_case name of a reason, as used in stats() and messages.
// The enumerator's own name ("queue_full"); "unknown" for a value outside the enumeration.
SEGLOG_API const char *to_string(reason r) noexcept;

// What went wrong, without property values and without the write key.
// One error may cover several events (a batch, the events close() returned): message_ids
// lists them, and each is counted once.
struct error {
    seglog::reason code;                  // why
    std::string message;                  // one readable sentence, naming keys, never values
    std::string event_type;               // "track", "identify", ... when known
    std::string event_name;               // track event / page or screen name, when known
    std::vector<std::string> message_ids; // the events affected, when they had ids
    int http_status = 0;                  // for delivery errors; 0 otherwise
};

// The error passed is valid only during the call (refusals reuse one per thread): copy what you keep.
// A handler may run on several threads at once and must be thread-safe; an exception it
// throws is caught and ignored.
using error_handler = std::function<void(const error &)>;

// Process-wide handler for errors raised at the call site (validation, not_attached).
// The default writes one line per error to stderr, at most one per second for each reason
// (the first of each reason always), with a count of those suppressed. Pass an empty function to restore the default.
// Also receives io_error from file_event_sink. It runs on the thread that made the call (or,
// for io_error, the thread writing the file). Thread-safe: the handler may be replaced while
// other threads log. A seglog::client's errors go to its own on_error instead.
SEGLOG_API void set_error_handler(error_handler handler);

// Counters of call-site rejections, by reason (index with static_cast<int>(reason)).
// Counts what set_error_handler's handler is given, since the process started.
struct call_site_counters {
    std::uint64_t rejected_total = 0;           // every reason together
    std::uint64_t by_reason[reason_count] = {}; // the same, by reason
};
// A copy of the process-wide counters; thread-safe, lock-free.
SEGLOG_API call_site_counters call_site_stats() noexcept;

namespace detail {
// Internal: counts `e` in call_site_stats() and hands it to the process-wide handler.
void report_call_site_error(const error &e) noexcept;
} // namespace detail

} // namespace seglog
