// fuzz_http_response: what the transport makes of a collector's answer.
//
// Input: a status code, the retry settings and a clock reading (from the first bytes), then
// the raw response header block, fed line by line to the transport's header callback logic
// (seglog::detail::on_header_line), the Retry-After it keeps parsed by parse_retry_after and
// the outcome classified by the retry policy. Invariants (docs/hardening.md):
//   - on_header_line keeps a Retry-After only from a "Retry-After:" line after the last
//     status line, trimmed of whitespace;
//   - parse_retry_after: delta-seconds read exactly (saturating at 10^9 s), never negative,
//     nothing for a value without a digit-only form or a letter, the same answer for the
//     same text;
//   - classify: the verdict table of docs/configuration.md (2xx delivered, 429 and retryable
//     statuses with Retry-After rate_limited, other retryable statuses retry, 400/413 split,
//     401/403 unauthorized, other statuses dropped), the wait of rate_limited within
//     [min(backoff_base, retry_after_cap), retry_after_cap], never negative;
//   - backoff within [0, backoff_cap] for any attempt number.

#include "retry/retry_policy.h"
#include "transport/http_transport.h"

#include "fuzz_common.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <random>
#include <string>
#include <string_view>

namespace {

using namespace std::chrono;
using seglog_fuzz::show;
constexpr const char *target = "fuzz_http_response";
#define CHECK(cond, detail) FUZZ_CHECK(target, cond, detail)

bool starts_with_ci(std::string_view s, std::string_view p) {
    if (s.size() < p.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i) {
        char a = s[i], b = p[i];
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
        if (a != b) return false;
    }
    return true;
}

// The whitespace seglog trims (common/text.h), written out again as the oracle.
bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

void check_retry_after(std::string_view value, system_clock::time_point now) {
    const auto r = seglog::detail::parse_retry_after(value, now);
    const auto again = seglog::detail::parse_retry_after(value, now);
    CHECK(r == again, show(value));
    std::string_view t = value;
    while (!t.empty() && blank(t.front())) t.remove_prefix(1);
    while (!t.empty() && blank(t.back())) t.remove_suffix(1);
    bool digits = !t.empty(), letter = false;
    for (char c : t) {
        digits = digits && c >= '0' && c <= '9';
        letter = letter || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }
    if (digits) {
        // delta-seconds: exact, saturating at 10^9 s
        std::int64_t s = 0;
        for (char c : t) {
            s = s * 10 + (c - '0');
            if (s >= 1'000'000'000) {
                s = 1'000'000'000;
                break;
            }
        }
        CHECK(r && r->count() == s * 1000, show(value) + " -> " + (r ? std::to_string(r->count()) : "none"));
    } else if (!letter) {
        CHECK(!r, show(value) + " -> " + std::to_string(r->count()));
    }
    if (r)
        CHECK(r->count() >= 0 && r->count() <= 1'000'000'000'000LL, show(value) + " -> " + std::to_string(r->count()));
}

void check_classify(int status, std::optional<milliseconds> ra, const seglog::config &cfg) {
    using seglog::detail::verdict;
    const auto d = seglog::detail::classify(status, ra, cfg);
    const std::string what = "status " + std::to_string(status) + " retry_after " +
                             (ra ? std::to_string(ra->count()) : "none") + " -> verdict " +
                             std::to_string(static_cast<int>(d.what)) + " wait " + std::to_string(d.wait.count());
    const bool retryable = status == 0 || status == 408 || status == 410 || status == 460 ||
                           (status >= 500 && status < 600 && status != 501 && status != 505 && status != 511);
    verdict expected;
    const bool config_problem = status == 401 || status == 403 || (status >= 300 && status < 400);
    if (status >= 200 && status < 300) expected = verdict::delivered;
    else if (config_problem) expected = verdict::config_hold;
    else if (status == 429 || (retryable && ra)) expected = verdict::rate_limited;
    else if (retryable) expected = verdict::retry;
    else if (status == 400 || status == 413) expected = verdict::split;
    else expected = verdict::drop;
    CHECK(d.what == expected, what);
    if (d.what == verdict::drop) CHECK(d.drop_reason == seglog::reason::rejected, what);
    if (d.what == verdict::config_hold) {
        CHECK(d.drop_reason ==
                  (status == 401 || status == 403 ? seglog::reason::unauthorized : seglog::reason::config_error),
              what);
        CHECK(d.wait == seglog::detail::config_error_pause, what);
    }
    if (d.what == verdict::rate_limited) {
        CHECK(d.wait <= cfg.retry_after_cap && d.wait >= std::min(cfg.backoff_base, cfg.retry_after_cap), what);
        if (!ra && status == 429)
            CHECK(d.wait == std::clamp(cfg.retry_after_default, std::min(cfg.backoff_base, cfg.retry_after_cap),
                                       cfg.retry_after_cap),
                  what);
    } else if (d.what != verdict::config_hold) {
        CHECK(d.wait.count() == 0, what);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    FuzzedDataProvider fdp(data, size);
    // Settings within what config::validate() accepts.
    seglog::config cfg;
    if (fdp.ConsumeBool()) {
        cfg.backoff_base = milliseconds(fdp.ConsumeIntegralInRange<std::int64_t>(1, 100'000'000));
        cfg.backoff_cap = milliseconds(
            fdp.ConsumeIntegralInRange<std::int64_t>(cfg.backoff_base.count(), 1'000'000'000));
        cfg.retry_after_cap = milliseconds(fdp.ConsumeIntegralInRange<std::int64_t>(1, 1'000'000'000));
        cfg.retry_after_default = milliseconds(fdp.ConsumeIntegralInRange<std::int64_t>(1, 1'000'000'000));
    }
    const int status = fdp.ConsumeBool() ? fdp.ConsumeIntegralInRange<int>(0, 999) : fdp.ConsumeIntegral<int>();
    // system_clock's range (nanoseconds since 1970, about +-292 years)
    const auto now = fdp.ConsumeBool()
                         ? system_clock::now()
                         : system_clock::time_point(system_clock::duration(fdp.ConsumeIntegral<std::int64_t>()));
    const std::string block = fdp.ConsumeRemainingBytesAsString();

    // The header block, one line at a time, as libcurl calls the header callback.
    std::optional<std::string> kept;
    std::optional<std::string> expected;
    std::string_view rest = block;
    while (!rest.empty()) {
        const auto nl = rest.find('\n');
        const std::string_view line = nl == std::string_view::npos ? rest : rest.substr(0, nl + 1);
        rest.remove_prefix(line.size());
        seglog::detail::on_header_line(line, kept);
        if (starts_with_ci(line, "HTTP/")) {
            expected.reset();
        } else if (starts_with_ci(line, "retry-after:")) {
            std::string_view v = line.substr(12);
            while (!v.empty() && blank(v.front())) v.remove_prefix(1);
            while (!v.empty() && blank(v.back())) v.remove_suffix(1);
            expected = std::string(v);
        }
        CHECK(kept == expected, show(line) + " kept " + (kept ? show(*kept) : "none"));
        check_retry_after(line, now); // any text at all as a header value
    }

    std::optional<milliseconds> ra;
    if (kept) {
        CHECK(kept->empty() || (!blank(kept->front()) && !blank(kept->back())), show(*kept));
        check_retry_after(*kept, now);
        ra = seglog::detail::parse_retry_after(*kept, now);
    }
    check_classify(status, ra, cfg);
    check_classify(status, std::nullopt, cfg);

    std::mt19937_64 rng(size);
    const int n = fdp.remaining_bytes() ? 0 : static_cast<int>(size % 100);
    const auto b = seglog::detail::backoff(n, cfg, rng);
    CHECK(b.count() >= 0 && b <= cfg.backoff_cap, std::to_string(n) + " -> " + std::to_string(b.count()));
    return 0;
}
