#pragma once
#include <seglog/error.h>

#include <cstdint>

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
} // namespace seglog::detail
