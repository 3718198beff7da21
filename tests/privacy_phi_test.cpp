// Health data kept to covered destinations: an event that carries a key at one of the profile's
// phi paths is sent with exactly phi_integrations (replacing the call's and the profile's),
// to a file and to the loopback collector; events without one are untouched; counted in
// stats().phi_routed; paths from code, from a config file, and bad values refused.
#include <doctest/doctest.h>

#include "two_destinations.h"

#include <seglog/seglog.h>

#include <nlohmann/json.hpp>

using nlohmann::json;
using seglog_test::two_destinations;

namespace {

const char *const covered = R"({"All":false,"Amazon S3":true})";

void configure_phi(seglog::config &cfg) {
    cfg.integrations = R"({"Mixpanel":true})";
    cfg.phi_paths = {"properties.diagnosis", "traits.**.dob", "properties.items.code"};
    cfg.phi_integrations = covered;
}

const json &event_named(const std::vector<json> &events, const std::string &name) {
    for (const auto &e : events)
        if (e.value("event", "") == name) return e;
    FAIL("no event " << name);
    static const json none;
    return none;
}

} // namespace

TEST_CASE("an event with a phi path gets exactly phi_integrations; one without keeps its integrations") {
    two_destinations d;
    configure_phi(d.cfg);
    d.attach();
    // call_options borrows its braces: built in each call, as the API asks
    SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Visit Booked", {{"diagnosis", "J45"}},
                        seglog::call_options().with_integrations({{"Amplitude", true}}));
    SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Page Viewed", {{"diag", "no"}},
                        seglog::call_options().with_integrations({{"Amplitude", true}}));
    const auto events = d.events();
    REQUIRE(events.size() == 2);
    CHECK(event_named(events, "Visit Booked").at("integrations") == json::parse(covered));
    CHECK(event_named(events, "Visit Booked").at("properties").at("diagnosis") == "J45");
    CHECK(event_named(events, "Page Viewed").at("integrations") == json{{"Amplitude", true}, {"Mixpanel", true}});
    CHECK(d.client().stats().phi_routed == 1);
}

TEST_CASE("phi paths match at any depth with **, through arrays, in traits and in a nlohmann::json") {
    two_destinations d;
    configure_phi(d.cfg);
    d.attach();
    const auto who = seglog::user("u-1");
    SEGLOG_LOGGER_IDENTIFY(d.logger, who, {{"patient", {{"profile", {{"dob", "1990-01-01"}}}}}});
    SEGLOG_LOGGER_TRACK(d.logger, who, "Order Completed",
                        {{"items", {{{"sku", "a"}}, {{"sku", "b"}, {"code", "Z1"}}}}});
    const json props = {{"items", json::array({{{"sku", "c"}}})}};
    SEGLOG_LOGGER_TRACK(d.logger, who, "No Code", props);
    SEGLOG_LOGGER_TRACK(d.logger, who, "Trait Name", {{"dob", "not traits"}}); // properties.dob: no rule
    const auto events = d.events();
    REQUIRE(events.size() == 4);
    for (const auto &e : events) {
        const bool routed = e.at("type") == "identify" || e.value("event", "") == "Order Completed";
        INFO(e.dump());
        CHECK((e.at("integrations") == json::parse(covered)) == routed);
    }
    CHECK(d.client().stats().phi_routed == 2);
}

TEST_CASE("client calls follow the phi rule and are counted") {
    two_destinations d;
    configure_phi(d.cfg);
    d.attach();
    CHECK(d.client().track(seglog::user("u-2"), "Visit Booked", {{"diagnosis", "J45"}}));
    CHECK(d.client().track(seglog::user("u-2"), "Visit Cancelled", {}));
    const auto events = d.received();
    REQUIRE(events.size() == 2);
    CHECK(events[0].at("integrations") == json::parse(covered));
    CHECK(events[1].at("integrations") == json{{"Mixpanel", true}});
    CHECK(d.client().stats().phi_routed == 1);
}

TEST_CASE("a phi path in context (the call's or a scope's) routes the event too") {
    two_destinations d;
    configure_phi(d.cfg);
    d.cfg.phi_paths.push_back("context.clinic");
    d.attach();
    {
        seglog::scoped_context scope({{"clinic", "north"}});
        SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "In Clinic", {});
    }
    SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Outside", {});
    const auto events = d.events();
    CHECK(event_named(events, "In Clinic").at("integrations") == json::parse(covered));
    CHECK(event_named(events, "Outside").at("integrations") == json{{"Mixpanel", true}});
}

TEST_CASE("a phi value that a redaction rule drops still routes the event (judged before redaction)") {
    two_destinations d;
    configure_phi(d.cfg);
    d.cfg.redact = {seglog::redact_rule::drop("properties.diagnosis")};
    d.attach();
    SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Visit Booked", {{"diagnosis", "J45"}});
    const auto events = d.events();
    REQUIRE(events.size() == 1);
    CHECK_FALSE(events[0].at("properties").contains("diagnosis"));
    CHECK(events[0].at("integrations") == json::parse(covered));
}

TEST_CASE("phi from a config file: paths add up over defaults, integrations are replaced") {
    seglog_test::temp_dir dir{"seglog-phi-file"};
    const std::string path = dir.write("seglog.json", R"({
      "defaults": {"phi": {"paths": ["properties.diagnosis"], "integrations": {"All": false}}},
      "profiles": {"test": {"destination": "off",
                            "phi": {"paths": ["traits.**.dob"], "integrations": {"All": false, "Amazon S3": true}}}}})");
    const seglog::config cfg = seglog::config::from_file(path, "test");
    CHECK(cfg.phi_paths == std::vector<std::string>{"properties.diagnosis", "traits.**.dob"});
    CHECK(json::parse(cfg.phi_integrations) == json::parse(covered));
}

TEST_CASE("bad phi settings are refused with the key named") {
    seglog_test::temp_dir dir{"seglog-phi-file"};
    auto load = [&](const std::string &profile) {
        const std::string path = dir.write("seglog.json", R"({"profiles": {"test": )" + profile + "}}");
        return seglog::config::from_file(path, "test");
    };
    CHECK_THROWS_WITH_AS(load(R"({"phi": {"paths": ["diagnosis"], "integrations": {}}})"),
                         doctest::Contains("key \"phi\", \"paths\"[0]: malformed path \"diagnosis\""),
                         seglog::config_error);
    CHECK_THROWS_WITH_AS(load(R"({"phi": {"paths": "properties.a"}})"),
                         doctest::Contains("key \"phi\", \"paths\": expected a list of key paths"),
                         seglog::config_error);
    CHECK_THROWS_WITH_AS(load(R"({"phi": {"routes": {}}})"),
                         doctest::Contains("key \"phi\": unknown key \"routes\" (known: paths, integrations)"),
                         seglog::config_error);
    CHECK_THROWS_WITH_AS(load(R"({"destination": "off", "phi": {"paths": ["properties.a"]}})"),
                         doctest::Contains("phi paths (from "), seglog::config_error);

    seglog::config cfg;
    cfg.phi_paths = {"properties.diagnosis"};
    CHECK_THROWS_WITH_AS(cfg.validate(), doctest::Contains("phi paths need phi integrations"), seglog::config_error);
    cfg.phi_integrations = "[]";
    CHECK_THROWS_WITH_AS(cfg.validate(), "seglog config: phi integrations must be a JSON object, got array []",
                         seglog::config_error);
}
