#pragma once
// libcurl transport driven by the client's single worker thread: requests run concurrently
// on one curl multi handle (up to max_in_flight), connections are kept alive and reused, and
// poll() is the worker's only place to sleep, so wakeup() from any thread interrupts it.
//
// Two answers are handled here, below the retry policy: a 307/308 is followed with the same
// POST (at most max_redirects hops, never from https to http), and a collector that refuses
// gzip (400/415 to a compressed body before any compressed body was accepted) gets the same
// request uncompressed; when that one is not refused, gzip is off for the session and the
// response says so (gzip_refused).

#include "transport/transport.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seglog::detail {

struct transport_options {
    std::string url;        // host + path, e.g. https://api.segment.io/v1/batch
    std::string write_key;  // sent as Basic base64(write_key + ":"), never logged
    std::string user_agent; // seglog/<version>
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds request_timeout{10000};
    std::size_t max_in_flight = 4;
    bool gzip = false;                 // Content-Encoding: gzip
    std::string proxy;                 // empty: libcurl's usual *_proxy environment variables
    std::string ca_bundle;             // empty: system store
    bool insecure_skip_verify = false; // caller guarantees this is only set for loopback
};

inline constexpr int max_redirects = 5;

class http_transport final : public batch_transport {
public:
    explicit http_transport(transport_options opts);
    ~http_transport() override;
    http_transport(const http_transport &) = delete;
    http_transport &operator=(const http_transport &) = delete;

    bool can_send() const override; // fewer than max_in_flight requests under way
    std::size_t in_flight() const override;
    void send(http_request req) override; // starts a request; never blocks on the network
    // Drives transfers, sleeping at most `timeout` for socket activity or wakeup().
    // Returns the requests that finished.
    std::vector<http_response> poll(std::chrono::milliseconds timeout) override;
    void wakeup() override; // thread-safe
    // Cancels every request under way; returns their ids (their outcome is unknown).
    std::vector<std::uint64_t> abort_all() override;
    std::string spare_body() override;
    // Connections opened so far (for tests of keep-alive and for stats).
    std::uint64_t connections_opened() const;
    // Whether requests are compressed now (config gzip, until the collector refused it).
    bool gzip() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// One header line as libcurl's header callback receives it (CRLF included): a status line
// forgets the Retry-After seen so far (only the final response's headers count), a
// Retry-After line sets its raw, trimmed value. Pure, so that fuzz/ can drive it.
void on_header_line(std::string_view line, std::optional<std::string> &retry_after);
// gzip-compresses `in` (zlib, gzip wrapper).
std::string gzip_compress(std::string_view in);

} // namespace seglog::detail
