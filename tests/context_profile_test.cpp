// A profile's context and integrations (config::context, config::integrations, the file keys
// of the same names) on every event: the macros and client calls, to a file and to the loopback
// collector; the call's own keys win; context.library stays seglog's; bad values are refused.
#include <doctest/doctest.h>

#include "config_checks.h"
#include "two_destinations.h"

#include <seglog/seglog.h>

#include <nlohmann/json.hpp>

using nlohmann::json;
using seglog_test::two_destinations;

namespace {

const char *const app_context = R"({"app":{"name":"shop","version":"1.2.0"},"locale":"en-GB"})";

// The message validate() throws for `cfg`, or "(no error)".
std::string config_error_of(const seglog::config &cfg) {
    return seglog_test::error_of([&] { cfg.validate(); });
}

} // namespace

TEST_CASE("a profile's context and integrations reach every event, in the file and at the collector") {
    two_destinations d;
    d.cfg.context = app_context;
    d.cfg.integrations = R"({"Mixpanel":false})";
    d.attach();
    SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Order Completed", {{"revenue", 42.5}});
    SEGLOG_LOGGER_IDENTIFY(d.logger, seglog::user("u-1"), {{"plan", "pro"}});
    SEGLOG_LOGGER_ALIAS(d.logger, "a-9", "u-1");
    const auto events = d.events();
    REQUIRE(events.size() == 3);
    for (const auto &e : events) {
        CHECK(e.at("context") == json::parse(R"({"app":{"name":"shop","version":"1.2.0"},"locale":"en-GB",
                                                 "library":{"name":"seglog","version":")" SEGLOG_VERSION_STRING
                                             R"("}})"));
        CHECK(e.at("integrations") == json{{"Mixpanel", false}});
    }
}

TEST_CASE("the call's own context and integrations win key by key over the profile's") {
    two_destinations d;
    d.cfg.context = app_context;
    d.cfg.integrations = R"({"Mixpanel":false,"Amplitude":true})";
    d.attach();
    SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Checkout", {},
                        seglog::call_options()
                            .with_context({{"locale", "fr-FR"}, {"ip", "203.0.113.9"}})
                            .with_integrations({{"Mixpanel", true}}));
    const auto events = d.events();
    REQUIRE(events.size() == 1);
    const json &ctx = events[0].at("context");
    CHECK(ctx.at("locale") == "fr-FR");                                   // the call's
    CHECK(ctx.at("ip") == "203.0.113.9");                                 // the call's only
    CHECK(ctx.at("app") == json{{"name", "shop"}, {"version", "1.2.0"}}); // the profile's
    CHECK(ctx.size() == 4);                                               // and library
    CHECK(events[0].at("integrations") == json{{"Mixpanel", true}, {"Amplitude", true}});
}

TEST_CASE("context.library stays seglog's: a call's is left out, a profile's is refused") {
    two_destinations d;
    d.cfg.context = app_context;
    d.attach();
    SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Signed Up", {},
                        seglog::call_options().with_context({{"library", {{"name", "forged"}}}}));
    const auto events = d.events();
    REQUIRE(events.size() == 1);
    CHECK(events[0].at("context").at("library").at("name") == "seglog");

    seglog::config cfg;
    cfg.context = R"({"library":{"name":"mine"}})";
    CHECK(config_error_of(cfg) ==
          "seglog config: context must not set \"library\": context.library is always seglog's");
}

TEST_CASE("client::track and the other client calls get the profile's context and integrations") {
    two_destinations d;
    d.cfg.context = app_context;
    d.cfg.integrations = R"({"Mixpanel":false})";
    d.attach();
    seglog::client &c = d.client();
    CHECK(c.track(seglog::user("u-2"), "Order Completed", {{"revenue", 1}}));
    CHECK(c.page(seglog::user("u-2"), "Home", {}));
    CHECK(c.group(seglog::user("u-2"), "org-7", {{"name", "Acme"}},
                  seglog::call_options().with_integrations(json{{"Mixpanel", true}})));
    const auto events = d.received();
    REQUIRE(events.size() == 3);
    for (const auto &e : events) CHECK(e.at("context").at("app").at("name") == "shop");
    CHECK(events[0].at("integrations") == json{{"Mixpanel", false}});
    CHECK(events[2].at("integrations") == json{{"Mixpanel", true}});
}

TEST_CASE("no profile context: the record is what it was, with an empty integrations object") {
    two_destinations d;
    d.attach();
    SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Plain", {});
    const auto events = d.events();
    REQUIRE(events.size() == 1);
    CHECK(events[0].at("context").size() == 1);
    CHECK(events[0].at("integrations") == json::object());
}

TEST_CASE("a config file's context and integrations merge over its defaults, key by key") {
    seglog_test::temp_dir dir{"seglog-ctx-file"};
    const std::string path = dir.write("seglog.json", R"({
      "defaults": {"context": {"app": {"name": "shop"}, "locale": "en"}, "integrations": {"All": true}},
      "profiles": {"test": {"destination": "off", "context": {"locale": "de"},
                            "integrations": {"Mixpanel": false}}}})");
    const seglog::config cfg = seglog::config::from_file(path, "test");
    CHECK(json::parse(cfg.context) == json::parse(R"({"app":{"name":"shop"},"locale":"de"})"));
    CHECK(json::parse(cfg.integrations) == json::parse(R"({"All":true,"Mixpanel":false})"));
}

TEST_CASE("a context or integrations that is not a JSON object is refused, naming the key") {
    seglog_test::temp_dir dir{"seglog-ctx-file"};
    const std::string path = dir.write("seglog.json",
                                       R"({"profiles": {"test": {"destination": "off", "context": ["app"]}}})");
    CHECK_THROWS_WITH_AS(seglog::config::from_file(path, "test"),
                         doctest::Contains("profile \"test\", key \"context\": expected an object, got array"),
                         seglog::config_error);
    const std::string path2 = dir.write("seglog2.json",
                                        R"({"profiles": {"test": {"destination": "off", "integrations": "all"}}})");
    CHECK_THROWS_WITH_AS(seglog::config::from_file(path2, "test"),
                         doctest::Contains("key \"integrations\": expected an object, got string"),
                         seglog::config_error);

    seglog::config cfg;
    cfg.context = "[1, 2]";
    CHECK(config_error_of(cfg) == "seglog config: context must be a JSON object, got array [1,2]");
    cfg.context = "{\"app\":";
    CHECK(config_error_of(cfg).rfind("seglog config: context is not valid JSON: ", 0) == 0);
    cfg.context.clear();
    cfg.integrations = "true";
    CHECK(config_error_of(cfg) == "seglog config: integrations must be a JSON object, got boolean true");
}
