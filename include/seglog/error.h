#pragma once
// Every event seglog does not deliver has a reason, a counter and a callback.

#include <seglog/export.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace seglog {

enum class reason : std::uint8_t {
    // rejected at the call, before anything is queued
    missing_identity,     // neither userId nor anonymousId
    missing_event,        // track without event name
    missing_group_id,     // group without groupId
    missing_previous_id,  // alias without previousId
    not_an_object,        // properties, traits, context or integrations not a JSON object
    non_finite_number,    // NaN or +/-Infinity anywhere in the payload
    invalid_utf8,         // a string (key or value) that is not valid UTF-8
    too_deep,             // nested arrays/objects deeper than 32 levels
    too_many_keys,        // an object with over 1000 keys, or over 2000 keys in the whole event
    event_too_large,      // serialised event over the 32 KB limit
    not_attached,         // the logger has no seglog demux sink, or a sink beside it: the event
                          // would have leaked into log lines
    // refused by the pipeline
    queue_full,           // the bounded queue (events or bytes) overflowed
    closed,               // the client was already closed
    // failed in delivery
    rejected,             // the collector answered a non-retryable 4xx for this event
    unauthorized,         // 401/403: the write key is wrong or lacks permission
    retries_exhausted,    // retryable failures until the attempt or time budget ran out
    undelivered_at_close, // still pending when close() ran out of time (returned by close)
    io_error,             // a local destination (file) could not be written
    config_error,         // the configuration is wrong
    invalid_record,       // client::enqueue was given a record that is not a JSON object with a
                          // plain messageId string of at most 100 bytes
};
inline constexpr int reason_count = static_cast<int>(reason::invalid_record) + 1;

// Stable snake_case name of a reason, as used in stats() and messages.
SEGLOG_API const char *to_string(reason r) noexcept;

// What went wrong, without property values and without the write key.
struct error {
    seglog::reason code;
    std::string message;                  // one readable sentence
    std::string event_type;               // "track", "identify", ... when known
    std::string event_name;               // track event / page or screen name, when known
    std::vector<std::string> message_ids; // the events affected, when they had ids
    int http_status = 0;                  // for delivery errors
};

// The error passed is valid only during the call (refusals reuse one per thread): copy what you keep.
using error_handler = std::function<void(const error &)>;

// Process-wide handler for errors raised at the call site (validation, not_attached).
// The default writes one line per error to stderr, at most one per second with a count of
// those suppressed. Pass an empty function to restore the default.
SEGLOG_API void set_error_handler(error_handler handler);

// Counters of call-site rejections, by reason (index with static_cast<int>(reason)).
struct call_site_counters {
    std::uint64_t rejected_total = 0;
    std::uint64_t by_reason[reason_count] = {};
};
SEGLOG_API call_site_counters call_site_stats() noexcept;

namespace detail {
void report_call_site_error(const error &e) noexcept;
} // namespace detail

} // namespace seglog
