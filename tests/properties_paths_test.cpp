// Nested braces and repeated keys on every path an event takes: the SEGLOG_* macros to a file
// destination, seglog::client to the loopback collector (the bytes of the request body), and
// redaction rules, which see the members the writer writes (a repeated key's first).
#include "collector.h"
#include "properties_test.h"
#include "temp_files.h"

#include <seglog/seglog.h>

#include <spdlog/logger.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

using seglog_test::json;
using seglog_test::ojson;
using namespace std::chrono_literals;

namespace {

const std::string k_hash_key = "test-hmac-secret-0123456789";

// The nested properties, traits, context and integrations every path below sends, and what
// nlohmann::ordered_json makes of the same braces (the duplicates left out the same way).
#define SHOP_PROPERTIES                                                                                                \
    {                                                                                                                  \
        {"order_id", "o-1"}, {"shipping", {{"method", "express"}, {"cost", 4.5}, {"method", "slow"}}},                 \
            {"products", {{{"sku", "a"}, {"qty", 1}}, {{"sku", "b"}, {"qty", 2}, {"tags", {"gift", "fragile"}}}}},     \
            {"order_id", "o-2"}, {                                                                                     \
            "empty", {}                                                                                                \
        }                                                                                                              \
    }
#define SHOP_TRAITS                                                                                                    \
    {                                                                                                                  \
        {"plan", "pro"}, {"address", {{"city", "Berlin"}, {"geo", {52.5, 13.25}}}}, { "plan", "free" }                 \
    }
#define SHOP_CONTEXT                                                                                                   \
    {                                                                                                                  \
        {"ip", "203.0.113.9"}, {"app", {{"name", "shop"}, {"build", 12}}}, { "library", "x" }                          \
    }
#define SHOP_INTEGRATIONS                                                                                              \
    {                                                                                                                  \
        {"All", false}, {                                                                                              \
            "Amplitude", {                                                                                             \
                { "session_id", 7 }                                                                                    \
            }                                                                                                          \
        }                                                                                                              \
    }

std::string expected_tail(const char *section, const ojson &props, bool with_options) {
    const std::string opts = with_options ? ",\"context\":" + seglog_test::context_text(ojson(SHOP_CONTEXT)) +
                                                ",\"integrations\":" + ojson(SHOP_INTEGRATIONS).dump() + "}"
                                          : seglog_test::default_tail();
    return std::string("\"") + section + "\":" + props.dump() + opts;
}

} // namespace

TEST_SUITE("properties: every path") {

TEST_CASE("SEGLOG_* macros to a file destination: the bytes nlohmann::ordered_json writes") {
    seglog_test::temp_dir dir("seglog-properties");
    const std::string path = dir.file("events.jsonl");
    seglog::config cfg;
    cfg.destinations = {seglog::destination::file(path)};
    auto logger = std::make_shared<spdlog::logger>("props", spdlog::sinks_init_list{});
    seglog::attach(*logger, cfg);
    const auto who = seglog::user("u-42");

    SEGLOG_LOGGER_TRACK(logger, who, "Order Completed", SHOP_PROPERTIES);
    SEGLOG_LOGGER_TRACK(logger, who, "Order Completed", SHOP_PROPERTIES,
                        seglog::call_options().with_context(SHOP_CONTEXT).with_integrations(SHOP_INTEGRATIONS));
    SEGLOG_LOGGER_IDENTIFY(logger, who, SHOP_TRAITS);
    SEGLOG_LOGGER_GROUP(logger, who, "org-7", SHOP_TRAITS, seglog::call_options().with_context(SHOP_CONTEXT));
    SEGLOG_LOGGER_PAGE(logger, who, "Home", SHOP_PROPERTIES, seglog::call_options().with_integrations({}));
    SEGLOG_LOGGER_SCREEN(logger, who, "Cart", {{"items", {{{"sku", "a"}}, {{"sku", "b"}}}}});
    SEGLOG_LOGGER_ALIAS(logger, "a-9", "u-42",
                        seglog::call_options().with_context(SHOP_CONTEXT).with_integrations(SHOP_INTEGRATIONS));
    logger->flush();

    const auto lines = seglog_test::read_lines(path);
    REQUIRE(lines.size() == 7);
    const ojson props(SHOP_PROPERTIES), traits(SHOP_TRAITS);
    CHECK(seglog_test::ends_with(lines[0], expected_tail("properties", props, false)));
    CHECK(seglog_test::ends_with(lines[1], expected_tail("properties", props, true)));
    CHECK(seglog_test::ends_with(lines[2], expected_tail("traits", traits, false)));
    const std::string group_context = ",\"context\":" + seglog_test::context_text(ojson(SHOP_CONTEXT)) + ",";
    CHECK(lines[3].find("\"traits\":" + traits.dump() + group_context) != std::string::npos);
    CHECK(seglog_test::ends_with(lines[4], expected_tail("properties", props, false)));
    CHECK(seglog_test::ends_with(lines[5], "\"properties\":{\"items\":[{\"sku\":\"a\"},{\"sku\":\"b\"}]}" +
                                               seglog_test::default_tail()));
    CHECK(seglog_test::ends_with(lines[6], ",\"context\":" + seglog_test::context_text(ojson(SHOP_CONTEXT)) +
                                               ",\"integrations\":" + ojson(SHOP_INTEGRATIONS).dump() + "}"));
    CHECK(json::parse(lines[0]).at("properties") == json(SHOP_PROPERTIES));
    CHECK(json::parse(lines[2]).at("traits") == json(SHOP_TRAITS));
}

TEST_CASE("seglog::client to the loopback collector: the same bytes in the request body") {
    seglog::loopback::collector col;
    seglog::config cfg;
    cfg.destinations = {seglog::destination::segment()};
    cfg.write_key = "wk_properties_test_0001";
    cfg.host = col.url();
    cfg.flush_interval = 60s; // one batch, sent by flush()
    seglog::client client(cfg);
    const auto who = seglog::user("u-42");

    CHECK(client.track(who, "Order Completed", SHOP_PROPERTIES));
    CHECK(client.track(who, "Order Completed", SHOP_PROPERTIES,
                       seglog::call_options().with_context(SHOP_CONTEXT).with_integrations(SHOP_INTEGRATIONS)));
    CHECK(client.identify(who, SHOP_TRAITS));
    CHECK(client.group(who, "org-7", SHOP_TRAITS));
    CHECK(client.page(who, "Home", SHOP_PROPERTIES));
    CHECK(client.screen(who, "Cart", SHOP_PROPERTIES));
    CHECK(client.alias("a-9", "u-42", seglog::call_options().with_integrations(SHOP_INTEGRATIONS)));
    REQUIRE(client.flush(30s).complete);

    const auto requests = col.requests();
    REQUIRE(requests.size() == 1);
    const std::string &body = requests[0].body;
    REQUIRE(requests[0].json_valid);
    const auto &batch = requests[0].json.at("batch");
    REQUIRE(batch.size() == 7);
    const ojson props(SHOP_PROPERTIES), traits(SHOP_TRAITS);
    // Each record ends with its properties or traits and options: find each in the body, in order.
    const std::vector<std::string> tails = {
        expected_tail("properties", props, false),
        expected_tail("properties", props, true),
        expected_tail("traits", traits, false),
        expected_tail("traits", traits, false),
        expected_tail("properties", props, false),
        expected_tail("properties", props, false),
        ",\"context\":{" + seglog_test::library_member() + "},\"integrations\":" + ojson(SHOP_INTEGRATIONS).dump() +
            "}",
    };
    std::size_t at = 0;
    for (const auto &tail : tails) {
        const auto found = body.find(tail, at);
        CHECK_MESSAGE(found != std::string::npos, tail);
        if (found != std::string::npos) at = found + tail.size();
    }
    CHECK(batch[0].at("properties") == json(SHOP_PROPERTIES));
    CHECK(batch[2].at("traits") == json(SHOP_TRAITS));
    CHECK(client.stats().delivered == 7);
}

TEST_CASE("redaction walks nested braces and sees each repeated key once, as nlohmann::json holds it") {
    const seglog::redactor r({seglog::redact_rule::hash("properties.user.ssn"),
                              seglog::redact_rule::mask("properties.items.card"),
                              seglog::redact_rule::drop("properties.email"), seglog::redact_rule::drop("context.ip"),
                              seglog::redact_rule::hash("traits.**.phone")},
                             {}, k_hash_key);
#define REDACTED_PROPERTIES                                                                                            \
    {                                                                                                                  \
        {"email", "ann@example.com"}, {"user", {{"ssn", "123-45-6789"}, {"name", "Ann"}, {"ssn", "999-99-9999"}}},     \
            {"items",                                                                                                  \
             {{{"sku", "a"}, {"card", "4111"}}, {{"card", "5500"}, {"card", "0000"}}, "loose", {{{"card", "1"}}}}},    \
            {"email", "second@example.com"}, {                                                                         \
            "total", 42.5                                                                                              \
        }                                                                                                              \
    }
    const auto s = seglog_test::serialise(seglog::event_type::track, REDACTED_PROPERTIES,
                                          seglog::call_options().with_context(
                                              {{"ip", "198.51.100.1"}, {"device", {{"ip", "kept"}}}}),
                                          &r);
    REQUIRE_FALSE(s.err);
    CHECK(s.parsed().at("properties") == r.apply("properties", json(REDACTED_PROPERTIES)));
    CHECK(s.record.find("\"properties\":{\"user\":{\"ssn\":\"" + r.hash("123-45-6789") +
                        "\",\"name\":\"Ann\"},\"items\":[{\"sku\":\"a\",\"card\":\"[redacted]\"},"
                        "{\"card\":\"[redacted]\"},\"loose\",[{\"card\":\"[redacted]\"}]],\"total\":42.5},"
                        "\"context\":{\"device\":{\"ip\":\"kept\"}," +
                        seglog_test::library_member() + "}") != std::string::npos);
    for (const char *gone :
         {"ann@example.com", "second@example.com", "999-99-9999", "4111", "5500", "0000", "198.51.100.1"})
        CHECK_MESSAGE(s.record.find(gone) == std::string::npos, gone);

    // Traits through a ** rule, a hashed object in braces hashed as its JSON text.
    const auto t = seglog_test::serialise(seglog::event_type::identify,
                                          {{"contact", {{"phone", "+1 555"}, {"phone", "+1 666"}}},
                                           {"other", {{"deep", {{"phone", {{"a", 1}, {"a", 2}}}}}}}},
                                          {}, &r);
    REQUIRE_FALSE(t.err);
    CHECK(t.parsed().at("traits") ==
          json{{"contact", {{"phone", r.hash("+1 555")}}}, {"other", {{"deep", {{"phone", r.hash("{\"a\":1}")}}}}}});

    // An allow-list over nested braces keeps only the named paths.
    const seglog::redactor allow({}, {"properties.products.sku", "properties.order_id"});
    const auto a = seglog_test::serialise(seglog::event_type::track, SHOP_PROPERTIES, {}, &allow);
    REQUIRE_FALSE(a.err);
    CHECK(seglog_test::ends_with(a.record, "\"properties\":{\"order_id\":\"o-1\",\"products\":[{\"sku\":\"a\"},"
                                           "{\"sku\":\"b\"}]}" +
                                               seglog_test::default_tail()));
    CHECK(a.parsed().at("properties") == allow.apply("properties", json(SHOP_PROPERTIES)));

    // Limits still hold on the redacted path.
    const auto bad = seglog_test::serialise(seglog::event_type::track, {{"user", {{"ssn", "x"}, {"v", {"\xFF"}}}}}, {},
                                            &r);
    REQUIRE(bad.err);
    CHECK(bad.err->message == "track event rejected: properties.user.v.0 is not valid UTF-8");
}

} // TEST_SUITE
