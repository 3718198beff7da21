// The event layer, validation: every way an event is rejected before it is queued (identity,
// shapes, NaN, invalid UTF-8, nesting, size), reported once and counted by reason.
#include <doctest/doctest.h>

#include "event_checks.h"

#include "common/timestamp.h"
#include "event/json_writer.h"
#include "event/message_id.h"
#include "event/serialize.h"

#include <seglog/demux_sink.h>
#include <seglog/error.h>
#include <seglog/event.h>
#include <seglog/macros.h>
#include <seglog/version.h>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

using namespace seglog_test;

TEST_SUITE("event: validation") {

struct rejection {
    reason code;
    std::string message;
    std::string event_name;
};

void check_rejected(const outcome &o, const rejection &want, const char *type) {
    REQUIRE(o.err.has_value());
    CHECK(o.err->code == want.code);
    CHECK(o.err->message == want.message);
    CHECK(o.err->event_type == type);
    CHECK(o.err->event_name == want.event_name);
}

TEST_CASE("missing identity, event, groupId, previousId") {
    const seglog::identity nobody;
    check_rejected(serialize({event_type::track, &nobody, "E", {}, {}, {}, nullptr, nullptr}),
                   {reason::missing_identity, "track rejected: neither userId nor anonymousId is set", "E"}, "track");
    check_rejected(serialize({event_type::identify, &nobody, {}, {}, {}, {}, nullptr, nullptr}),
                   {reason::missing_identity, "identify rejected: neither userId nor anonymousId is set", ""},
                   "identify");
    check_rejected(serialize({event_type::page, &nobody, "Home", {}, {}, {}, nullptr, nullptr}),
                   {reason::missing_identity, "page rejected: neither userId nor anonymousId is set", "Home"}, "page");

    const auto who = seglog::user("u");
    check_rejected(track(who, ""), {reason::missing_event, "track rejected: the event name is empty", ""}, "track");
    check_rejected(serialize({event_type::group, &who, {}, "", {}, {}, nullptr, nullptr}),
                   {reason::missing_group_id, "group rejected: groupId is empty", ""}, "group");
    check_rejected(serialize({event_type::alias, nullptr, {}, {}, "", "u-42", nullptr, nullptr}),
                   {reason::missing_previous_id, "alias rejected: previousId is empty", ""}, "alias");
    check_rejected(serialize({event_type::alias, nullptr, {}, {}, "a-9", "", nullptr, nullptr}),
                   {reason::missing_identity, "alias rejected: userId is empty", ""}, "alias");
}

TEST_CASE("properties, traits, context and integrations must be objects") {
    const auto who = seglog::user("u");
    const json arr = json::array({1, 2});
    const json str = "text";
    check_rejected(track(who, "E", arr),
                   {reason::not_an_object, "track event rejected: properties must be a JSON object", "E"}, "track");
    const seglog::properties traits(str);
    check_rejected(serialize({event_type::identify, &who, {}, {}, {}, {}, &traits, nullptr}),
                   {reason::not_an_object, "identify rejected: traits must be a JSON object", ""}, "identify");
    check_rejected(track(who, "E", {}, seglog::call_options{}.with_context(arr)),
                   {reason::not_an_object, "track event rejected: context must be a JSON object", "E"}, "track");
    check_rejected(track(who, "E", {}, seglog::call_options{}.with_integrations(str)),
                   {reason::not_an_object, "track event rejected: integrations must be a JSON object", "E"}, "track");
}

TEST_CASE("NaN and infinities are rejected, at the top level and nested") {
    const auto who = seglog::user("u");
    const double nan = std::nan("");
    const double inf = std::numeric_limits<double>::infinity();
    check_rejected(track(who, "Order Completed", {{"order_id", "secret-order"}, {"revenue", nan}}),
                   {reason::non_finite_number,
                    "track event rejected: properties.revenue is NaN or infinite, which JSON cannot carry",
                    "Order Completed"},
                   "track");
    check_rejected(track(who, "E", {{"x", -inf}}),
                   {reason::non_finite_number,
                    "track event rejected: properties.x is NaN or infinite, which JSON cannot carry", "E"},
                   "track");
    const json cart = {{"items", json::array({{{"price", 1.0}}, {{"price", inf}}})}};
    check_rejected(track(who, "E", {{"cart", cart}}),
                   {reason::non_finite_number,
                    "track event rejected: properties.cart.items.1.price is NaN or infinite, which JSON cannot carry",
                    "E"},
                   "track");
    check_rejected(track(who, "E", cart),
                   {reason::non_finite_number,
                    "track event rejected: properties.items.1.price is NaN or infinite, which JSON cannot carry", "E"},
                   "track");
    const json ctx = {{"device", {{"ratio", nan}}}};
    check_rejected(track(who, "E", {}, seglog::call_options{}.with_context(ctx)),
                   {reason::non_finite_number,
                    "track event rejected: context.device.ratio is NaN or infinite, which JSON cannot carry", "E"},
                   "track");
}

TEST_CASE("invalid UTF-8 is rejected without copying the bytes or any value into the message") {
    const auto who = seglog::user("u");
    const std::vector<std::string> invalid = {
        "\xFF",             // never valid
        "ab\xC0\xAF",       // overlong '/'
        "\xED\xA0\x80",     // UTF-16 surrogate
        "\xE2\x82",         // truncated
        "\xF4\x90\x80\x80", // beyond U+10FFFF
        "\x80",             // lone continuation byte
    };
    auto check_clean = [&](const seglog::error &e, const std::string &bad) {
        CHECK(e.message.find(bad) == std::string::npos);
        CHECK(e.message.find("secret-value") == std::string::npos);
        CHECK(e.event_name.find(bad) == std::string::npos);
        for (unsigned char c : e.message) CHECK(c < 0x80);
    };
    for (const auto &bad : invalid) {
        CAPTURE(json(bad).dump(-1, ' ', true, json::error_handler_t::replace));
        // in a value
        auto o = track(who, "E", {{"ok", "secret-value"}, {"name", bad}});
        check_rejected(o, {reason::invalid_utf8, "track event rejected: properties.name is not valid UTF-8", "E"},
                       "track");
        check_clean(*o.err, bad);
        // in a nested value of a json object
        const json nested = {{"user", {{"bio", bad}, {"nick", "secret-value"}}}};
        o = track(who, "E", nested);
        check_rejected(o, {reason::invalid_utf8, "track event rejected: properties.user.bio is not valid UTF-8", "E"},
                       "track");
        check_clean(*o.err, bad);
        // in a key
        o = track(who, "E", {{"ok", "secret-value"}, {bad, 1}});
        check_rejected(o,
                       {reason::invalid_utf8, "track event rejected: properties.<invalid key> is not valid UTF-8", "E"},
                       "track");
        check_clean(*o.err, bad);
        const json bad_key = {{"outer", {{bad, "secret-value"}}}};
        o = track(who, "E", bad_key);
        check_rejected(o,
                       {reason::invalid_utf8, "track event rejected: properties.outer.<invalid key> is not valid UTF-8",
                        "E"},
                       "track");
        check_clean(*o.err, bad);
        // in the event name: the name is not copied into the error either
        o = track(who, "Order " + bad, {{"ok", "secret-value"}});
        check_rejected(o, {reason::invalid_utf8, "track event rejected: event is not valid UTF-8", ""}, "track");
        check_clean(*o.err, bad);
        // in userId and anonymousId
        const auto bad_user = seglog::user("u-" + bad);
        o = track(bad_user, "E", {{"ok", "secret-value"}});
        check_rejected(o, {reason::invalid_utf8, "track event rejected: userId is not valid UTF-8", "E"}, "track");
        check_clean(*o.err, bad);
        const auto bad_anon = seglog::anonymous(bad);
        o = track(bad_anon, "E");
        check_rejected(o, {reason::invalid_utf8, "track event rejected: anonymousId is not valid UTF-8", "E"}, "track");
        // page name, groupId, alias ids, traits
        o = serialize({event_type::page, &who, bad, {}, {}, {}, nullptr, nullptr});
        check_rejected(o, {reason::invalid_utf8, "page rejected: name is not valid UTF-8", ""}, "page");
        o = serialize({event_type::group, &who, {}, bad, {}, {}, nullptr, nullptr});
        check_rejected(o, {reason::invalid_utf8, "group rejected: groupId is not valid UTF-8", ""}, "group");
        o = serialize({event_type::alias, nullptr, {}, {}, bad, "u", nullptr, nullptr});
        check_rejected(o, {reason::invalid_utf8, "alias rejected: previousId is not valid UTF-8", ""}, "alias");
        o = call(event_type::identify, who, {}, {{"t", bad}});
        check_rejected(o, {reason::invalid_utf8, "identify rejected: traits.t is not valid UTF-8", ""}, "identify");
    }
}

TEST_CASE("nesting deeper than 32 levels is rejected; 32 levels are accepted") {
    const auto who = seglog::user("u");
    // properties is level 1, so 31 nested arrays are 32 levels.
    const json ok = nested_arrays_json(31);
    auto o = track(who, "E", {{"deep", ok}});
    REQUIRE_FALSE(o.err);
    CHECK(json::parse(o.record).at("properties").at("deep") == ok);

    const json too_deep = nested_arrays_json(32);
    std::string path = "properties.deep";
    for (int i = 0; i < 31; ++i) path += ".0";
    check_rejected(track(who, "E", {{"deep", too_deep}}),
                   {reason::too_deep, "track event rejected: " + path + " nests deeper than 32 levels", "E"}, "track");

    // An attacker-sized tree is refused without exhausting the stack.
    // (nlohmann copies recursively, so the tree is built and moved, never copied.)
    json ctx = json::object();
    ctx["deep"] = nested_arrays_json(100000);
    o = track(who, "E", {{"deep", ctx["deep"]}});
    REQUIRE(o.err);
    CHECK(o.err->code == reason::too_deep);
    o = track(who, "E", {}, seglog::call_options{}.with_context(ctx));
    REQUIRE(o.err);
    CHECK(o.err->code == reason::too_deep);
    CHECK(o.err->message.rfind("track event rejected: context.deep.0.0.", 0) == 0);
}

TEST_CASE("an event over 32 KB (in bytes, not characters) is rejected; exactly 32 KB is accepted") {
    const auto who = seglog::user("u");
    auto sized = [&](const std::string &pad) { return track(who, "E", {{"pad", pad}}); };
    const auto base = sized("");
    REQUIRE_FALSE(base.err);
    const std::size_t fixed = base.record.size();
    REQUIRE(fixed < 32768);

    auto o = sized(std::string(32768 - fixed, 'x'));
    REQUIRE_FALSE(o.err);
    CHECK(o.record.size() == 32768);

    o = sized(std::string(32768 - fixed + 1, 'x'));
    check_rejected(o,
                   {reason::event_too_large,
                    "track rejected: 32769 bytes serialised, over the 32768-byte limit per event", "E"},
                   "track");

    // 2-byte characters: under 32768 characters, over 32768 bytes.
    std::string accents;
    for (int i = 0; i < 16384; ++i) accents += "\xC3\xA9";
    o = sized(accents);
    REQUIRE(o.err);
    CHECK(o.err->code == reason::event_too_large);
    CHECK(o.err->message == "track rejected: " + std::to_string(fixed + accents.size()) +
                                " bytes serialised, over the 32768-byte limit per event");

    // The limit is a parameter (config.max_event_bytes).
    o = serialize({event_type::track, &who, "E", {}, {}, {}, nullptr, nullptr}, 100);
    REQUIRE(o.err);
    CHECK(o.err->code == reason::event_too_large);
}

TEST_CASE("through the macros: each rejection is reported once, counted by reason, and nothing is logged") {
    demux_logger d;
    seglog_test::error_capture capture;
    const auto before = seglog::call_site_stats();
    const json arr = json::array();
    const seglog::identity nobody;
    const auto who = seglog::user("u");

    SEGLOG_LOGGER_TRACK(d.logger, nobody, "E");
    SEGLOG_LOGGER_TRACK(d.logger, who, "");
    SEGLOG_LOGGER_GROUP(d.logger, who, "");
    SEGLOG_LOGGER_ALIAS(d.logger, "", "u");
    SEGLOG_LOGGER_IDENTIFY(d.logger, who, arr);
    SEGLOG_LOGGER_TRACK(d.logger, who, "E", {{"x", std::nan("")}});
    SEGLOG_LOGGER_TRACK(d.logger, who, "E", {{"x", "\xFF"}});
    SEGLOG_LOGGER_TRACK(d.logger, who, "E", {{"deep", nested_arrays_json(40)}});
    SEGLOG_LOGGER_TRACK(d.logger, who, "E", {{"pad", std::string(40000, 'x')}});

    const auto after = seglog::call_site_stats();
    CHECK(after.rejected_total - before.rejected_total == 9);
    for (auto r : {reason::missing_identity, reason::missing_event, reason::missing_group_id,
                   reason::missing_previous_id, reason::not_an_object, reason::non_finite_number, reason::invalid_utf8,
                   reason::too_deep, reason::event_too_large}) {
        CAPTURE(seglog::to_string(r));
        CHECK(count_of(after, r) - count_of(before, r) == 1);
    }
    const auto errors = capture.errors();
    REQUIRE(errors.size() == 9);
    CHECK(errors[0].code == reason::missing_identity);
    CHECK(errors[0].message == "track rejected: neither userId nor anonymousId is set");
    CHECK(errors[4].message == "identify rejected: traits must be a JSON object");
    CHECK(errors[6].message == "track event rejected: properties.x is not valid UTF-8");
    CHECK(errors[8].code == reason::event_too_large);
    CHECK(d.events->size() == 0);
    CHECK(d.lines->size() == 0);

    // A valid event after the rejections goes out as usual.
    SEGLOG_LOGGER_TRACK(d.logger, who, "E", {{"ok", 1}});
    REQUIRE(d.events->size() == 1);
    CHECK(json::parse(d.events->payloads()[0]).at("properties") == json{{"ok", 1}});
    CHECK(seglog::call_site_stats().rejected_total == after.rejected_total);
}

TEST_CASE("a throwing error handler does not escape the call site") {
    demux_logger d;
    seglog::set_error_handler([](const seglog::error &) { throw std::runtime_error("handler failed"); });
    SEGLOG_LOGGER_TRACK(d.logger, seglog::identity{}, "E"); // would terminate the test if it threw
    CHECK(d.events->size() == 0);
    seglog::set_error_handler({});
}

} // TEST_SUITE
