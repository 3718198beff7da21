#include "retry/retry_policy.h"

#include "common/text.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdint>

namespace seglog::detail {

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now) {
    using std::chrono::milliseconds;
    // Saturate instead of overflowing; the retry policy applies its own (much lower) cap.
    constexpr std::int64_t max_seconds = 1'000'000'000;

    value = trim(value);
    if (value.empty()) return std::nullopt;

    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        std::int64_t seconds = 0;
        for (char c : value) {
            seconds = seconds * 10 + (c - '0');
            if (seconds >= max_seconds) return milliseconds(max_seconds * 1000);
        }
        return milliseconds(seconds * 1000);
    }

    // HTTP-date: every form contains a letter (day or month name); this keeps libcurl's
    // lenient date parser from reading "-1" or "1.5" as a date.
    if (std::none_of(value.begin(), value.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }))
        return std::nullopt;
    // curl_getdate knows the three HTTP-date forms (IMF-fixdate, RFC 850, asctime).
    const std::string text(value);
    const time_t when = curl_getdate(text.c_str(), nullptr);
    if (when == -1) return std::nullopt;
    // Work in seconds first: system_clock counts nanoseconds and overflows in the year 2262.
    const auto now_ms = std::chrono::duration_cast<milliseconds>(now.time_since_epoch());
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now_ms).count();
    if (static_cast<std::int64_t>(when) - now_s >= max_seconds) return milliseconds(max_seconds * 1000);
    const auto delay = milliseconds(static_cast<std::int64_t>(when) * 1000) - now_ms;
    if (delay <= milliseconds(0)) return milliseconds(0); // a date in the past: retry now
    return delay;
}

} // namespace seglog::detail
