// SEGLOG_ACTIVE=0 removes the event calls at compile time: arguments are not evaluated and
// nothing reaches the logger, even with tracking on. Its own translation unit, so the rest of
// the bridge suite keeps the active macros.
#define SEGLOG_ACTIVE 0
#include <seglog/macros.h>

#include <doctest/doctest.h>

#include "collecting_sink.h"

#include <seglog/demux_sink.h>

#include <spdlog/logger.h>

#include <memory>
#include <vector>

TEST_CASE("bridge: SEGLOG_ACTIVE=0 compiles the calls away") {
    auto lines = std::make_shared<seglog_test::collecting_sink>();
    auto events = std::make_shared<seglog_test::collecting_sink>();
    auto logger = std::make_shared<spdlog::logger>(
        "inactive", std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{lines},
                                                            std::vector<spdlog::sink_ptr>{events}));
    REQUIRE(seglog::tracking_enabled());
    int evaluated = 0;
    [[maybe_unused]] auto counted = [&evaluated](int v) {
        ++evaluated;
        return v;
    };
    SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "E", {{"a", counted(1)}, {"b", counted(2)}});
    SEGLOG_LOGGER_IDENTIFY(logger, seglog::user("u"), {{"a", counted(1)}});
    SEGLOG_LOGGER_PAGE(logger, seglog::user("u"), "Home", {{"a", counted(1)}});
    SEGLOG_LOGGER_SCREEN(logger, seglog::user("u"), "S", {{"a", counted(1)}});
    SEGLOG_LOGGER_GROUP(logger, seglog::user("u"), "g", {{"a", counted(1)}});
    SEGLOG_LOGGER_ALIAS(logger, "a", std::to_string(counted(1)));
    if (evaluated == 0) SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Then");
    else SEGLOG_LOGGER_TRACK(logger, seglog::user("u"), "Else");
    logger->info("lines still flow");
    CHECK(evaluated == 0);
    CHECK(events->size() == 0);
    CHECK(lines->size() == 1);
}
