// Every macro form without a logger: a null pointer, a null shared_ptr, and the default-logger
// forms after spdlog::drop_all() and spdlog::shutdown() (which leave no default logger). Each
// event is refused as not_attached, named by its type; nothing crashes.
#include <doctest/doctest.h>

#include "collecting_sink.h"
#include "routed.h"

#include <seglog/error.h>
#include <seglog/macros.h>

#include <spdlog/spdlog.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace seglog_test;

namespace {

// The six default-logger forms, one event each.
void track_through_default_logger() {
    const auto who = seglog::user("u-1");
    SEGLOG_TRACK(who, "Order Completed", {{"revenue", 1}});
    SEGLOG_IDENTIFY(who, {{"plan", "pro"}});
    SEGLOG_PAGE(who, "Home");
    SEGLOG_SCREEN(who, "Settings", {});
    SEGLOG_GROUP(who, "org-7");
    SEGLOG_ALIAS("a-9", "u-1");
}

// The types of the not_attached errors captured, in order; checks each names the missing logger.
std::vector<std::string> refused_types(const error_capture &errors) {
    std::vector<std::string> types;
    for (const auto &e : errors.errors()) {
        CHECK(e.code == seglog::reason::not_attached);
        CHECK(e.message.find("no logger") != std::string::npos);
        types.push_back(e.event_type);
    }
    return types;
}

const std::vector<std::string> six_types{"track", "identify", "page", "screen", "group", "alias"};

// Runs `gone` (which removes the default logger), then every default-logger macro; restores the
// default logger afterwards.
void check_default_logger_gone(const std::function<void()> &gone) {
    routed r;
    auto previous = spdlog::default_logger();
    spdlog::set_default_logger(r.sync_logger("default-then-gone"));
    gone();
    REQUIRE(spdlog::default_logger_raw() == nullptr);
    const auto before = not_attached_count();
    {
        error_capture errors;
        track_through_default_logger();
        CHECK(refused_types(errors) == six_types);
    }
    CHECK(not_attached_count() == before + 6);
    CHECK(r.events->size() == 0);
    spdlog::set_default_logger(previous);
}

} // namespace

TEST_SUITE("bridge: no logger") {

TEST_CASE("after spdlog::drop_all() the default-logger macros refuse with not_attached") {
    check_default_logger_gone([] { spdlog::drop_all(); });
}

TEST_CASE("after spdlog::shutdown() the default-logger macros refuse with not_attached") {
    check_default_logger_gone([] { spdlog::shutdown(); });
}

TEST_CASE("a null logger pointer or shared_ptr is refused with not_attached") {
    spdlog::logger *raw = nullptr;
    std::shared_ptr<spdlog::logger> shared;
    const auto who = seglog::user("u-1");
    error_capture errors;
    SEGLOG_LOGGER_TRACK(raw, who, "E");
    SEGLOG_LOGGER_IDENTIFY(shared, who);
    SEGLOG_LOGGER_PAGE(raw, who, "Home");
    SEGLOG_LOGGER_SCREEN(shared, who, "S");
    SEGLOG_LOGGER_GROUP(raw, who, "g");
    SEGLOG_LOGGER_ALIAS(shared, "a", "u");
    CHECK(refused_types(errors) == six_types);
}

} // TEST_SUITE
