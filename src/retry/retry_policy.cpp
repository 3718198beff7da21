#include "retry/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace seglog::detail {

decision classify(int status, std::optional<std::chrono::milliseconds> retry_after, const config &cfg,
                  network_cause cause) {
    // A server that says when to come back is believed, within the cap; a wait of less than
    // backoff_base (e.g. "Retry-After: 0") is raised to it, so that it cannot spin the worker.
    auto capped = [&](std::chrono::milliseconds w) {
        return std::max(std::min(w, cfg.retry_after_cap), std::min(cfg.backoff_base, cfg.retry_after_cap));
    };
    if (status >= 200 && status < 300) return {verdict::delivered, {}, {}};
    if (status == 0 && cause == network_cause::tls_certificate)
        return {verdict::config_hold, seglog::reason::config_error, config_error_pause};
    if (status == 401 || status == 403) return {verdict::config_hold, seglog::reason::unauthorized, config_error_pause};
    if (status >= 300 && status < 400) return {verdict::config_hold, seglog::reason::config_error, config_error_pause};
    if (status == 429) return {verdict::rate_limited, {}, capped(retry_after ? *retry_after : cfg.retry_after_default)};
    if (status == 0 || status == 408 || status == 410 || status == 460 ||
        (status >= 500 && status < 600 && status != 501 && status != 505 && status != 511)) {
        // With Retry-After (a 503 saying when to come back) the server is rate limiting: the
        // pipeline pauses as asked and the attempt is not counted. Without it: backoff.
        if (retry_after) return {verdict::rate_limited, {}, capped(*retry_after)};
        return {verdict::retry, {}, std::chrono::milliseconds{0}};
    }
    if (status == 400 || status == 413) return {verdict::split, seglog::reason::rejected, {}};
    return {verdict::drop, seglog::reason::rejected, {}};
}

std::chrono::milliseconds backoff(int n, const config &cfg, std::mt19937_64 &rng) {
    std::uniform_real_distribution<double> jitter(0.0, 1.0);
    const double base = static_cast<double>(cfg.backoff_base.count());
    const double exp = std::ldexp(1.0, std::min(n, 30)); // 2^n without overflow
    const double ms = (1.0 + jitter(rng)) * base * exp;
    return std::chrono::milliseconds(
        static_cast<long long>(std::min(ms, static_cast<double>(cfg.backoff_cap.count()))));
}

} // namespace seglog::detail
