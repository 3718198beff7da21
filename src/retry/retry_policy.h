#pragma once
// What to do with a batch after an HTTP attempt, the policy Segment's own SDKs follow, so a
// collector sees the same retries from seglog as from them:
// retry 408, 410, 429, 460 and 5xx except 501/505/511, and network failures; split on 400/413
// to isolate a poisoned event; drop other 4xx; exponential backoff with jitter, capped;
// Retry-After honoured (capped) without counting as an attempt. What retrying cannot fix is a
// configuration error (the write key refused, an untrusted certificate, a 3xx the transport
// did not follow): said at once, and nothing is sent for config_error_pause.

#include <seglog/config.h>
#include <seglog/error.h>

#include "common/errors.h"

#include <chrono>
#include <optional>
#include <random>
#include <string_view>

namespace seglog::detail {

enum class verdict {
    delivered,
    retry,        // counts as an attempt, backoff
    rate_limited, // 429, or a retryable status with Retry-After: pause the whole pipeline
                  // for `wait`; not an attempt
    split,        // 400/413: halve the batch (drop the event when it is alone)
    drop,         // non-retryable; reason below
    config_hold,  // 401/403, an untrusted certificate, a 3xx: the whole pipeline pauses for
                  // `wait` (not an attempt); `drop_reason` when the batch is given up on
};

// How long a configuration error pauses delivery: long enough not to hammer a collector that
// refuses the key, short enough that a key fixed on the collector's side gets through.
inline constexpr std::chrono::milliseconds config_error_pause{std::chrono::minutes(10)};

struct decision {
    verdict what = verdict::delivered;
    seglog::reason drop_reason = seglog::reason::rejected;
    std::chrono::milliseconds wait{0}; // for rate_limited: Retry-After (or the 429 default), capped
};

// status == 0 means no HTTP answer (refused, reset, timeout, DNS): retried, but for an
// untrusted TLS certificate (`cause`), which is a configuration error.
decision classify(int status, std::optional<std::chrono::milliseconds> retry_after, const config &cfg,
                  network_cause cause = network_cause::none);

// Parses a Retry-After header value: delta-seconds or an HTTP-date (a date in the past is 0).
// nullopt when malformed.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now);

// min((1 + rand[0,1)) * base * 2^n, cap) for the n-th consecutive failure (n from 0).
std::chrono::milliseconds backoff(int n, const config &cfg, std::mt19937_64 &rng);

} // namespace seglog::detail
