#include "event/timestamp.h"

#include <ctime>

namespace seglog::detail {

void append_iso8601(std::string &out, std::chrono::system_clock::time_point t) {
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
    out.append(cached, 20);
    out.push_back(static_cast<char>('0' + ms / 100));
    out.push_back(static_cast<char>('0' + ms / 10 % 10));
    out.push_back(static_cast<char>('0' + ms % 10));
    out.push_back('Z');
}

std::string iso8601(std::chrono::system_clock::time_point t) {
    std::string s;
    append_iso8601(s, t);
    return s;
}

} // namespace seglog::detail
