#pragma once
#include <seglog/error.h>

#include <cstdint>
#include <string_view>

namespace seglog::detail {

// Why a request got no HTTP answer. The transport tells it from libcurl's code; the retry
// policy treats an untrusted certificate as a configuration error, not a network blip, and
// the delivery notices name the cause.
enum class network_cause : std::uint8_t {
    none,            // an HTTP answer came
    refused,         // nothing listens there (or a firewall refused)
    name_resolution, // the host name did not resolve
    tls_certificate, // the collector's certificate is not trusted (self-signed, wrong CA, name)
    tls,             // the TLS handshake failed otherwise
    timeout,         // connect_timeout or request_timeout ran out
    other,           // reset, closed, proxy, ...
    destination,     // a custom destination asked for a retry (or threw)
};
// "connection refused", "name resolution failed", ...
const char *describe(network_cause c) noexcept;

// The default error handler: one line on stderr per error, at most one line a second for each
// reason (the first of a reason always prints), with the count of that reason's errors
// suppressed meanwhile. Never prints property values or secrets (errors
// carry neither).
void default_error_handler(const error &e);
// Forgets the once-a-second limits (the next error prints, with no count before it). For tests,
// which share one process and so one limit.
void reset_default_error_handler() noexcept;

// Whether this thread is running a callback seglog called (on_error, on_delivered, on_attempt,
// the handler of set_error_handler). A tracking call made there is refused as reentrant_call:
// an on_error that tracks an event which is refused again would recurse without end, and one
// on the worker thread that waits for room in a full queue would wait for itself.
bool in_callback() noexcept;
// Marks this thread as running a callback while it lives (scopes nest).
class callback_scope {
public:
    callback_scope() noexcept;
    ~callback_scope();
    callback_scope(const callback_scope &) = delete;
    callback_scope &operator=(const callback_scope &) = delete;

private:
    bool outer_;
};
// The error for a tracking call refused as reentrant_call (`event_type` empty when unknown).
error reentrant_call_error(std::string_view event_type);
// Counts `e` (a reentrant_call at a macro) in call_site_stats() and prints it with the default
// handler: never the user's handler, which is the callback this thread is already in.
void report_reentrant_call(const error &e) noexcept;
} // namespace seglog::detail
