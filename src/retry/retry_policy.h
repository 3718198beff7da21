#pragma once
// What to do with a batch after an HTTP attempt, the policy Segment's own SDKs follow, so a
// collector sees the same retries from seglog as from them:
// retry 408, 410, 429, 460 and 5xx except 501/505/511, and network failures; split on 400/413
// to isolate a poisoned event; drop other 4xx; exponential backoff with jitter, capped;
// Retry-After honoured (capped) without counting as an attempt.

#include <seglog/config.h>
#include <seglog/error.h>

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
};

struct decision {
    verdict what = verdict::delivered;
    seglog::reason drop_reason = seglog::reason::rejected;
    std::chrono::milliseconds wait{0}; // for rate_limited: Retry-After (or the 429 default), capped
};

// status == 0 means no HTTP answer (refused, reset, timeout, DNS): always retried.
decision classify(int status, std::optional<std::chrono::milliseconds> retry_after, const config &cfg);

// Parses a Retry-After header value: delta-seconds or an HTTP-date (a date in the past is 0).
// nullopt when malformed.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now);

// min((1 + rand[0,1)) * base * 2^n, cap) for the n-th consecutive failure (n from 0).
std::chrono::milliseconds backoff(int n, const config &cfg, std::mt19937_64 &rng);

} // namespace seglog::detail
