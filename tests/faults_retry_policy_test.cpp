// Segment's retry table as seglog applies it: the verdict for every status and Retry-After,
// and the jittered exponential backoff.
#include <doctest/doctest.h>

#include "retry/retry_policy.h"

#include <seglog/config.h>
#include <seglog/error.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <set>

using namespace std::chrono_literals;
using seglog::reason;

// ---------------------------------------------------------------------------------------------
TEST_SUITE("retry policy") {

TEST_CASE("classify: every listed status") {
    seglog::config cfg;
    cfg.backoff_base = 10ms;
    cfg.retry_after_default = 60s;
    cfg.retry_after_cap = 300s;
    using seglog::detail::classify;
    using seglog::detail::verdict;
    for (int s : {200, 201, 202, 204, 299}) CHECK(classify(s, std::nullopt, cfg).what == verdict::delivered);
    for (int s : {0, 408, 410, 460, 500, 502, 503, 504, 506, 507, 508, 509, 510, 520, 599}) {
        CAPTURE(s);
        CHECK(classify(s, std::nullopt, cfg).what == verdict::retry);
    }
    for (int s : {501, 505, 511}) {
        CAPTURE(s);
        const auto d = classify(s, std::nullopt, cfg);
        CHECK(d.what == verdict::drop);
        CHECK(d.drop_reason == reason::rejected);
    }
    for (int s : {400, 413}) CHECK(classify(s, std::nullopt, cfg).what == verdict::split);
    for (int s : {401, 403}) {
        const auto d = classify(s, std::nullopt, cfg);
        CHECK(d.what == verdict::config_hold);
        CHECK(d.drop_reason == reason::unauthorized);
        CHECK(d.wait == seglog::detail::config_error_pause);
    }
    for (int s : {300, 301, 302, 303, 304, 307, 308}) {
        CAPTURE(s);
        const auto d = classify(s, std::nullopt, cfg);
        CHECK(d.what == verdict::config_hold);
        CHECK(d.drop_reason == reason::config_error);
    }
    const auto tls = classify(0, std::nullopt, cfg, seglog::detail::network_cause::tls_certificate);
    CHECK(tls.what == verdict::config_hold);
    CHECK(tls.drop_reason == reason::config_error);
    for (auto cause : {seglog::detail::network_cause::refused, seglog::detail::network_cause::timeout,
                       seglog::detail::network_cause::name_resolution, seglog::detail::network_cause::tls})
        CHECK(classify(0, std::nullopt, cfg, cause).what == verdict::retry);
    for (int s : {100, 402, 404, 405, 406, 409, 411, 412, 414, 415, 418, 422, 451, 499, 600}) {
        CAPTURE(s);
        const auto d = classify(s, std::nullopt, cfg);
        CHECK(d.what == verdict::drop);
        CHECK(d.drop_reason == reason::rejected);
    }
}

TEST_CASE("classify: 429 and Retry-After") {
    seglog::config cfg;
    cfg.backoff_base = 10ms;
    cfg.retry_after_default = 60s;
    cfg.retry_after_cap = 300s;
    using seglog::detail::classify;
    using seglog::detail::verdict;
    auto d = classify(429, std::nullopt, cfg);
    CHECK(d.what == verdict::rate_limited);
    CHECK(d.wait == 60s); // no header: retry_after_default
    d = classify(429, std::chrono::milliseconds(1000), cfg);
    CHECK(d.what == verdict::rate_limited);
    CHECK(d.wait == 1000ms);
    d = classify(429, std::chrono::milliseconds(3600 * 1000), cfg);
    CHECK(d.wait == 300s); // capped at retry_after_cap
    d = classify(429, std::chrono::milliseconds(0), cfg);
    CHECK(d.wait == 10ms); // "Retry-After: 0" cannot spin: at least backoff_base
    // A retryable status that says when to come back is a rate limit too (not an attempt).
    for (int s : {503, 500, 408, 460}) {
        d = classify(s, std::chrono::milliseconds(2000), cfg);
        CHECK(d.what == verdict::rate_limited);
        CHECK(d.wait == 2000ms);
    }
    // ... but a non-retryable one stays dropped whatever it says.
    CHECK(classify(501, std::chrono::milliseconds(2000), cfg).what == verdict::drop);
    CHECK(classify(404, std::chrono::milliseconds(2000), cfg).what == verdict::drop);
    cfg.retry_after_default = 200ms;
    CHECK(classify(429, std::nullopt, cfg).wait == 200ms);
}

TEST_CASE("backoff: min((1+rand)*base*2^n, cap), seeded") {
    seglog::config cfg;
    cfg.backoff_base = 500ms;
    cfg.backoff_cap = 60s;
    std::mt19937_64 rng(1234), same(1234);
    std::set<long long> distinct;
    for (int n = 0; n < 12; ++n) {
        for (int k = 0; k < 50; ++k) {
            const auto b = seglog::detail::backoff(n, cfg, rng);
            CHECK(b == seglog::detail::backoff(n, cfg, same)); // deterministic for a seed
            const long long lo = std::min<long long>(500LL << n, 60000);
            const long long hi = std::min<long long>(1000LL << n, 60000);
            CAPTURE(n);
            CHECK(b.count() >= lo);
            CHECK(b.count() <= hi);
            if (n == 3) distinct.insert(b.count());
        }
    }
    CHECK(distinct.size() > 10);                           // jittered, not a constant
    CHECK(seglog::detail::backoff(7, cfg, rng) == 60s);    // 500 ms * 128 >= cap
    CHECK(seglog::detail::backoff(1000, cfg, rng) == 60s); // no overflow for large n
    CHECK(seglog::detail::backoff(INT32_MAX, cfg, rng) == 60s);
}

} // TEST_SUITE("retry policy")
