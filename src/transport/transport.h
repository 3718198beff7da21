#pragma once
// What the batcher needs from a transport: start requests without blocking, say which ended.
// http_transport (libcurl, Segment's HTTP API) is one; custom_transport (a user's
// seglog::batch_destination, on a thread of its own) is the other.

#include "common/errors.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace seglog::detail {

// A custom destination's answer, carried in http_response::answer; none for an HTTP answer.
enum class destination_answer : std::uint8_t { none, delivered, retry, reject };

struct http_request {
    std::uint64_t id = 0; // chosen by the caller, echoed in the response
    std::string body;     // uncompressed JSON
    int retry_count = 0;  // > 0 adds X-Retry-Count
    // Each record's bytes, in body's order: filled only for a transport that wants_record_sizes()
    // (a custom destination, which hands each event apart), so the HTTP path builds nothing more.
    std::vector<std::size_t> record_sizes{}; // {}: an aggregate initialiser may leave it out
};

struct http_response {
    std::uint64_t id = 0;
    int status = 0;                            // 0: no HTTP answer (see network_error)
    std::string network_error;                 // libcurl's text for the failure, without secrets
    network_cause cause = network_cause::none; // what network_error is about
    bool timed_out = false;                    // the request timeout fired (the server may have it)
    std::string location;                      // a 3xx's target (absolute), when not followed
    std::string redirect_refused;              // why a 307/308 was not followed ("" otherwise)
    int gzip_refused = 0;                      // 400/415: the status a compressed body got before this
                                               // uncompressed resend was not refused; gzip is now off
    std::optional<std::string> retry_after;    // the final response's Retry-After, trimmed (retry/ parses it)
    std::chrono::microseconds duration{0};
    std::size_t bytes_sent = 0; // body bytes on the wire (after gzip), every hop and resend together
    std::string body;           // response body, truncated to 4 KiB
    // A custom destination's own verdict (no HTTP status to classify): the batcher applies it
    // as is; `body` then holds its reason, and a retry's `network_error` too.
    destination_answer answer = destination_answer::none;
    std::chrono::milliseconds answer_delay{0}; // a retry's wait (0: the backoff)
};

class batch_transport {
public:
    virtual ~batch_transport() = default;
    virtual bool can_send() const = 0; // fewer than max_in_flight requests under way
    virtual std::size_t in_flight() const = 0;
    virtual void send(http_request req) = 0; // starts a request; never blocks on delivery
    // Waits at most `timeout` for a request to finish or wakeup(); returns those that finished.
    virtual std::vector<http_response> poll(std::chrono::milliseconds timeout) = 0;
    virtual void wakeup() = 0; // thread-safe
    // Gives up on every request under way; returns their ids (their outcome is unknown).
    virtual std::vector<std::uint64_t> abort_all() = 0;
    // An empty string whose capacity a finished request's body left, for the next body (none: {}).
    virtual std::string spare_body() { return {}; }
    // Whether send() wants http_request::record_sizes.
    virtual bool wants_record_sizes() const { return false; }
    // Whether an empty batch may be sent to ask if the receiver is back (the outage probe):
    // Segment's API takes one; a user's destination is never sent an empty batch.
    virtual bool takes_probes() const { return true; }
};

} // namespace seglog::detail
