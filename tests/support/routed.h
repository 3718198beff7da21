#pragma once
// Shared by the bridge suites (tests/bridge_*_test.cpp): a demux sink whose two sides keep what
// they receive, and producers that write events and look-alike lines from several threads.

#include "collecting_sink.h"

#include <seglog/demux_sink.h>
#include <seglog/error.h>
#include <seglog/macros.h>
#include <seglog/record.h>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace seglog_test {

using nlohmann::json;

struct routed {
    std::shared_ptr<collecting_sink> lines = std::make_shared<collecting_sink>();
    std::shared_ptr<collecting_sink> events = std::make_shared<collecting_sink>();
    std::shared_ptr<seglog::demux_sink_mt> demux;

    explicit routed(bool echo = false)
        : demux(std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{lines},
                                                        std::vector<spdlog::sink_ptr>{events}, echo)) {}
    std::shared_ptr<spdlog::logger> sync_logger(const std::string &name = "bridge") const {
        return std::make_shared<spdlog::logger>(name, demux);
    }
};

inline std::uint64_t not_attached_count() {
    return seglog::call_site_stats().by_reason[static_cast<int>(seglog::reason::not_attached)];
}

// 4 threads, each logging `per_thread` events and as many lines, interleaved.
inline constexpr int producer_threads = 4;
inline constexpr int per_thread = 5000;

inline void produce(spdlog::logger &logger) {
    std::vector<std::thread> pool;
    for (int t = 0; t < producer_threads; ++t) {
        pool.emplace_back([&logger, t] {
            const auto who = seglog::user("u-" + std::to_string(t));
            for (int i = 0; i < per_thread; ++i) {
                SEGLOG_LOGGER_TRACK(logger, who, "Tick", {{"t", t}, {"i", i}});
                logger.info("line {} {}", t, i);
            }
        });
    }
    for (auto &th : pool) th.join();
}

struct tally {
    std::set<std::pair<int, int>> events, lines;
    int duplicate_events = 0, duplicate_lines = 0, crossed = 0;
};

inline tally count(const routed &r) {
    tally out;
    for (const auto &e : r.events->items()) {
        if (!e.event) {
            ++out.crossed;
            continue;
        }
        const json j = json::parse(e.payload);
        const auto key = std::make_pair(j.at("properties").at("t").get<int>(), j.at("properties").at("i").get<int>());
        if (!out.events.insert(key).second) ++out.duplicate_events;
    }
    for (const auto &l : r.lines->items()) {
        int t = -1, i = -1;
        if (l.event || std::sscanf(l.payload.c_str(), "line %d %d", &t, &i) != 2) {
            ++out.crossed;
            continue;
        }
        if (!out.lines.insert({t, i}).second) ++out.duplicate_lines;
    }
    return out;
}

} // namespace seglog_test
