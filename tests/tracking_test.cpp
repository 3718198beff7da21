// The runtime tracking switch: thread-safe, and it never loses an event that passed it.
#include "collecting_sink.h"

#include <seglog/seglog.h>

#include <doctest/doctest.h>

#include <spdlog/logger.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

std::size_t count_events(const std::vector<seglog_test::received> &items) {
    std::size_t n = 0;
    for (const auto &r : items) n += r.event ? 1 : 0;
    return n;
}

} // namespace

TEST_CASE("set_tracking toggled while 4 threads track: every event that passed the switch arrives") {
    auto events = std::make_shared<seglog_test::collecting_sink>();
    auto demux = std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{},
                                                         std::vector<spdlog::sink_ptr>{events});
    auto logger = std::make_shared<spdlog::logger>("tracking-switch", demux);

    // Off: nothing is logged and the properties are not evaluated.
    seglog::set_tracking(false);
    std::atomic<long> evaluated{0};
    auto bump = [&] { return evaluated.fetch_add(1) + 1; };
    for (int i = 0; i < 1000; ++i) SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Off", {{"n", bump()}});
    CHECK(evaluated.load() == 0);
    CHECK(count_events(events->items()) == 0);

    // Toggled concurrently: a call's properties are evaluated only when it passed the switch,
    // so the number of events received must equal the number of evaluations, exactly.
    // Producers run until the toggler is done; the toggler waits in each "on" window until
    // some call got through, so on and off windows both overlap real traffic.
    std::atomic<bool> stop{false};
    std::atomic<int> started{0};
    seglog::set_tracking(false);
    std::vector<std::thread> producers;
    for (int t = 0; t < 4; ++t) {
        producers.emplace_back([&] {
            started.fetch_add(1);
            while (!stop.load()) SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Toggled", {{"n", bump()}});
        });
    }
    std::thread toggler([&] {
        while (started.load() < 4) std::this_thread::yield();
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        for (int i = 0; i < 200 && std::chrono::steady_clock::now() < deadline; ++i) {
            const long seen = evaluated.load();
            seglog::set_tracking(true);
            while (evaluated.load() == seen && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
            seglog::set_tracking(false);
            std::this_thread::yield();
        }
        stop = true;
    });
    toggler.join();
    for (auto &p : producers) p.join();
    seglog::set_tracking(true);

    CHECK(evaluated.load() > 0);
    CHECK(count_events(events->items()) == static_cast<std::size_t>(evaluated.load()));

    // Back on: everything arrives again.
    const long before = evaluated.load();
    for (int i = 0; i < 100; ++i) SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "On", {{"n", bump()}});
    CHECK(evaluated.load() == before + 100);
    CHECK(count_events(events->items()) == static_cast<std::size_t>(before + 100));
}
