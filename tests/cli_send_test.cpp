// `seglog send` as a user runs it: one event through the configuration in the environment, its
// fields exactly on the wire, the exit status telling delivered from not, with the reason.
#include <doctest/doctest.h>

#include "collector.h"
#include "config.h"
#include "tool_run.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace seglog_test;

namespace {

// The variables a service on this collector would have.
env_vars segment_env(const seglog::loopback::collector &c) {
    return {{"SEGMENT_WRITE_KEY", k_write_key}, {"SEGLOG_DESTINATION", "segment"}, {"SEGMENT_HOST", c.url()}};
}

tool_result send(const seglog::loopback::collector &c, std::vector<std::string> args) {
    args.insert(args.begin(), "send");
    return run_seglog(args, segment_env(c));
}

} // namespace

TEST_SUITE("cli: seglog send") {

TEST_CASE("a track with properties, context and integrations arrives as given, once; exit 0") {
    seglog::loopback::collector c;
    const tool_result r = send(c, {"--user", "u-42", "--event", "Order Completed", "--properties",
                                   R"({"revenue": 42.5, "items": [1, 2]})", "--context", R"({"ip": "203.0.113.9"})",
                                   "--integrations", R"({"Mixpanel": false})"});
    INFO(r.text());
    CHECK(r.status == 0);
    const auto events = c.accepted_events();
    REQUIRE(events.size() == 1);
    const auto &e = events[0];
    CHECK(e["type"] == "track");
    CHECK(e["userId"] == "u-42");
    CHECK_FALSE(e.contains("anonymousId"));
    CHECK(e["event"] == "Order Completed");
    CHECK(e["properties"] == nlohmann::json::parse(R"({"revenue": 42.5, "items": [1, 2]})"));
    CHECK(e["context"]["ip"] == "203.0.113.9");
    CHECK(e["context"]["library"]["name"] == "seglog");
    CHECK(e["integrations"] == nlohmann::json::parse(R"({"Mixpanel": false})"));
    CHECK(r.out == "delivered track to " + c.url() + " (messageId " + e["messageId"].get<std::string>() + ")\n");
    const auto reqs = c.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].header("Authorization") == k_authorization);
}

TEST_CASE("each type with its own fields") {
    seglog::loopback::collector c;
    struct sent {
        std::vector<std::string> args;
        nlohmann::json expected; // members the event must have, as given
    };
    const std::vector<sent> cases = {
        {{"--type", "identify", "--user", "u-1", "--traits", R"({"plan": "pro"})"},
         {{"type", "identify"}, {"userId", "u-1"}, {"traits", {{"plan", "pro"}}}}},
        {{"--type", "page", "--anonymous", "a-9", "--name", "Home", "--properties", R"({"path": "/"})"},
         {{"type", "page"}, {"anonymousId", "a-9"}, {"name", "Home"}, {"properties", {{"path", "/"}}}}},
        {{"--type", "screen", "--user", "u-1", "--name", "Settings"},
         {{"type", "screen"}, {"userId", "u-1"}, {"name", "Settings"}}},
        {{"--type", "group", "--user", "u-1", "--group", "org-7", "--traits", R"({"name": "Acme"})"},
         {{"type", "group"}, {"userId", "u-1"}, {"groupId", "org-7"}, {"traits", {{"name", "Acme"}}}}},
        {{"--type", "alias", "--user", "u-1", "--previous", "a-9"},
         {{"type", "alias"}, {"userId", "u-1"}, {"previousId", "a-9"}}},
    };
    for (const auto &s : cases) {
        const tool_result r = send(c, s.args);
        INFO(s.expected.dump() << "\n" << r.text());
        CHECK(r.status == 0);
        const auto events = c.accepted_events();
        REQUIRE_FALSE(events.empty());
        for (const auto &[key, value] : s.expected.items()) CHECK(events.back()[key] == value);
    }
    CHECK(c.unique_count() == cases.size());
}

TEST_CASE("a refused write key: exit 1 with the collector's answer as the reason") {
    seglog::loopback::collector c;
    c.set_default(401);
    const tool_result r = send(c, {"--user", "u-1", "--event", "Signed Up"});
    INFO(r.text());
    CHECK(r.status == 1);
    CHECK(contains(r.err, "seglog send: not delivered: "));
    CHECK(contains(r.err, "HTTP 401: the write key was refused"));
    CHECK(r.out.empty());
    CHECK_FALSE(contains(r.out + r.err, k_write_key));
}

TEST_CASE("a collector that is down: exit 1 after --timeout, saying why") {
    seglog::loopback::collector c;
    c.stop();
    const tool_result r = send(c, {"--user", "u-1", "--event", "Signed Up", "--timeout", "1"});
    INFO(r.text());
    CHECK(r.status == 1);
    CHECK(contains(r.err, "seglog send: not delivered: delivery_delayed: "));
    CHECK(contains(r.err, "connection refused"));
}

TEST_CASE("bad JSON, missing or misplaced fields: exit 2, the option named, nothing sent") {
    seglog::loopback::collector c;
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--user", "u", "--event", "E", "--properties", "{\"a\":"}, "--properties is not valid JSON"},
        {{"--user", "u", "--event", "E", "--context", "[1]"}, "--context must be a JSON object"},
        {{"--type", "identify", "--user", "u", "--traits", "nope"}, "--traits is not valid JSON"},
        {{"--user", "u"}, "--type track needs --event"},
        {{"--event", "E"}, "--user or --anonymous is required"},
        {{"--type", "group", "--user", "u"}, "--type group needs --group"},
        {{"--type", "alias", "--user", "u"}, "--type alias needs --user and --previous"},
        {{"--type", "identify", "--user", "u", "--event", "E"}, "--event does not apply to --type identify"},
        {{"--type", "visit", "--user", "u"}, "--type: visit not in {track,identify,page,screen,group,alias}"},
        {{"--user", "u", "--event", "E", "--colour", "red"}, "not expected: red --colour"},
    };
    for (const auto &[args, message] : cases) {
        const tool_result r = send(c, args);
        INFO(r.text());
        CHECK(r.status == 2);
        CHECK(contains(r.err, message));
    }
    CHECK(c.request_count() == 0);
}

TEST_CASE("an event the client refuses: exit 2 with the reason") {
    seglog::loopback::collector c;
    const tool_result r = send(c, {"--user", "u", "--event", "E", "--properties",
                                   R"({"a": ")" + std::string(40000, 'x') + "\"}"});
    INFO(r.text());
    CHECK(r.status == 2);
    CHECK(contains(r.err, "seglog send: the event was refused: event_too_large: "));
    CHECK(c.request_count() == 0);
}

TEST_CASE("no write key for a segment destination: exit 2, the configuration error") {
    seglog::loopback::collector c;
    const tool_result r = run_seglog({"send", "--user", "u", "--event", "E"},
                                     {{"SEGLOG_DESTINATION", "segment"}, {"SEGMENT_HOST", c.url()}});
    INFO(r.text());
    CHECK(r.status == 2);
    CHECK(contains(r.err, "seglog send: seglog config: "));
    CHECK(contains(r.err, "write key"));
}

} // TEST_SUITE
