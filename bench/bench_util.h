#pragma once
// Small helpers shared by the benchmarks: percentiles, peak RSS, argument parsing.

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace seglog::bench {

struct percentiles {
    double p50, p99, p999, max;
};

// Sorts `v` in place.
inline percentiles summarize(std::vector<double> &v) {
    std::sort(v.begin(), v.end());
    auto at = [&](double q) {
        return v.empty() ? 0.0 : v[std::min(v.size() - 1, static_cast<std::size_t>(q * v.size()))];
    };
    return {at(0.50), at(0.99), at(0.999), v.empty() ? 0.0 : v.back()};
}

inline long peak_rss_kib() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

// The CPU time (user and system) every thread of this process has taken so far.
inline double process_cpu_ns() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto ns = [](const timeval &t) {
        return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_usec) * 1e3;
    };
    return ns(ru.ru_utime) + ns(ru.ru_stime);
}

// --name value or --name=value; `fallback` when absent.
inline std::string arg(int argc, char **argv, const char *name, const char *fallback) {
    const std::size_t n = std::strlen(name);
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], name, n) != 0) continue;
        if (argv[i][n] == '=') return argv[i] + n + 1;
        if (argv[i][n] == '\0' && i + 1 < argc) return argv[i + 1];
    }
    return fallback;
}
inline bool flag(int argc, char **argv, const char *name) {
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return true;
    return false;
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The median cost of an empty steady_clock::now()..now() bracket, in ns: what a timed interval
// subtracts so that it counts the work alone.
inline double timer_median_ns() {
    std::vector<double> v;
    v.reserve(100000);
    for (int i = 0; i < 100000; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        const auto t1 = std::chrono::steady_clock::now();
        v.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
    }
    return summarize(v).p50;
}

} // namespace seglog::bench
