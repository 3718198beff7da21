#include "common/timestamp.h"

#include <cstring>
#include <ctime>

namespace seglog::detail {

char *put_iso8601(char *p, std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto ms_total = duration_cast<milliseconds>(t.time_since_epoch()).count();
    auto secs = ms_total / 1000;
    auto ms = ms_total % 1000;
    if (ms < 0) { // before 1970: floor, not truncate
        ms += 1000;
        --secs;
    }
    // -1 is a real second (1969-12-31T23:59:59), so "nothing cached yet" needs its own flag.
    thread_local bool cache_valid = false;
    thread_local long long cached_secs = 0;
    thread_local char cached[21]; // "YYYY-MM-DDTHH:MM:SS."
    if (!cache_valid || secs != cached_secs) {
        const std::time_t tt = static_cast<std::time_t>(secs);
        std::tm tm{};
        gmtime_r(&tt, &tm);
        std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S.", &tm);
        cached_secs = secs;
        cache_valid = true;
    }
    std::memcpy(p, cached, 20);
    p[20] = static_cast<char>('0' + ms / 100);
    p[21] = static_cast<char>('0' + ms / 10 % 10);
    p[22] = static_cast<char>('0' + ms % 10);
    p[23] = 'Z';
    return p + iso8601_chars;
}

void append_iso8601(text_buffer &out, std::chrono::system_clock::time_point t) {
    char *q = out.tail(iso8601_chars);
    out.commit(static_cast<std::size_t>(put_iso8601(q, t) - q));
}

std::string iso8601(std::chrono::system_clock::time_point t) {
    text_buffer b;
    append_iso8601(b, t);
    return std::string(b.view());
}

} // namespace seglog::detail
