#pragma once
// A custom destination: where a client sends its batches instead of Segment's HTTP API, with
// the same queue, batching, retry policy (max_attempts, max_retry_time, backoff) and accounting
// (docs/extending.md). Set it in config::custom_destination.
//
// send() runs on a thread of its own ("seglog-dest", one per client), never on the worker or a
// caller: a slow destination holds only its own batches (up to max_in_flight of them wait for
// it, the queue keeps accepting within its bounds) and an exception it throws is a retry.
// Calls are made one at a time, in the order the batches were sent.

#include <seglog/export.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seglog {

// One attempt at delivering one batch. The views stay valid until send() returns.
struct destination_batch {
    std::uint64_t id = 0;                 // the batch's id, the same on each of its attempts
    int attempt = 0;                      // 0 for the first attempt, n for the n-th retry
    std::string_view body;                // {"batch":[...],"sentAt":"..."}, as Segment's API gets it
    std::vector<std::string_view> events; // each event's JSON, in the order of body's batch array
};

// A destination's answer for one batch.
struct destination_result {
    enum class outcome {
        delivered, // settled as delivered (on_delivered, stats().delivered)
        retry,     // an attempt that failed: retried after `delay` (0: the backoff), within
                   // max_attempts and max_retry_time, then failed as retries_exhausted
        reject,    // failed for good as `rejected`, `why` in the on_error message
    };
    outcome what = outcome::delivered;
    std::string why;                    // retry and reject: said in on_error messages
    std::chrono::milliseconds delay{0}; // retry: at least this before the next attempt (capped at retry_after_cap)

    static destination_result delivered() { return {}; }
    static destination_result retry(std::string why, std::chrono::milliseconds delay = {}) {
        return {outcome::retry, std::move(why), delay};
    }
    static destination_result reject(std::string why) { return {outcome::reject, std::move(why), {}}; }
};

// Implement send() (and name(), for messages) and hand a shared_ptr to config::custom_destination.
class SEGLOG_API batch_destination {
public:
    virtual ~batch_destination();
    // Delivers one batch; called on the destination thread only. An exception counts as
    // outcome::retry, its what() the reason.
    virtual destination_result send(const destination_batch &batch) = 0;
    // How messages name it: "delivery to <name> failed: ...". Called once, at the client's start.
    virtual std::string name() const { return "custom destination"; }
};

} // namespace seglog
