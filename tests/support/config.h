#pragma once
// The one way the suites make a seglog::config: a destination first (the loopback collector,
// a file), then, for the fault suites, the fault timings on top. A test changes what it is
// about on the result, in plain sight (`cfg.flush_at = 10;`).

#include "collector.h"

#include <seglog/config.h>

#include <chrono>
#include <string>

namespace seglog_test {

// A key no real account has, distinctive enough to grep for in everything the client says.
inline const std::string k_write_key = "wk_SECRET_PLANTED_123456";
// base64("wk_SECRET_PLANTED_123456:"), computed once outside the code under test.
inline const std::string k_authorization = "Basic d2tfU0VDUkVUX1BMQU5URURfMTIzNDU2Og==";

// Segment at `url`: batches leave by count, flush() or close() (flush_interval is a minute),
// and retries come quickly (the retry suite covers the policy itself).
inline seglog::config segment_config(const std::string &url) {
    using namespace std::chrono_literals;
    seglog::config cfg;
    cfg.destinations = {seglog::destination::segment()};
    cfg.write_key = k_write_key;
    cfg.host = url;
    cfg.flush_interval = 60s;
    cfg.backoff_base = 20ms;
    cfg.backoff_cap = 200ms;
    cfg.close_timeout = 10s;
    return cfg;
}

inline seglog::config segment_config(const seglog::loopback::collector &c) { return segment_config(c.url()); }

// segment_config() with the timings of the fault suites: small batches that leave at once,
// two requests at a time, short backoffs, Retry-After defaults of a fraction of a second (the
// semantics are tested, not Segment's 60 s), ten attempts.
inline seglog::config fault_config(const seglog::loopback::collector &c) {
    using namespace std::chrono_literals;
    seglog::config cfg = segment_config(c);
    cfg.flush_at = 50;
    cfg.flush_interval = 20ms;
    cfg.max_in_flight = 2;
    cfg.connect_timeout = 1000ms;
    cfg.request_timeout = 5000ms;
    cfg.backoff_base = 10ms;
    cfg.backoff_cap = 200ms;
    cfg.retry_after_default = 200ms;
    cfg.retry_after_cap = 5000ms;
    cfg.max_attempts = 10;
    cfg.max_retry_time = 60s;
    cfg.close_timeout = 5000ms;
    return cfg;
}

// Events to the file at `path` only, in the environment "test".
inline seglog::config file_config(const std::string &path) {
    seglog::config cfg;
    cfg.environment = "test";
    cfg.destinations = {seglog::destination::file(path)};
    return cfg;
}

} // namespace seglog_test
