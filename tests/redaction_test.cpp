// Redaction: each rule kind on nested data (arrays included), wildcards, the allow-list, the
// HMAC behind hash rules (RFC 4231 vectors), the config keys and their errors, and that the
// rules are applied once, before every destination: the record, the event file, the console
// rendering and the bytes the loopback collector received.
#include <doctest/doctest.h>

#include "collecting_sink.h"
#include "collector.h"

#include "event/serialize.h"

#include <seglog/seglog.h>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using nlohmann::json;
using seglog::redact_rule;
using seglog::redactor;
using namespace std::chrono_literals;

namespace {

const std::string k_hash_key = "test-hmac-secret-0123456789";

std::string temp_path(const std::string &name) { return std::string(SEGLOG_TEST_BUILD_DIR) + "/redaction-" + name; }

std::string write_file(const std::string &name, const std::string &text) {
    const std::string p = temp_path(name);
    std::ofstream(p, std::ios::trunc) << text;
    return p;
}

std::string read_all(const std::string &path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

seglog::config::env_reader env(std::map<std::string, std::string> vars) {
    return [vars](const std::string &name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

std::string config_error_of(const std::function<void()> &fn) {
    try {
        fn();
    } catch (const seglog::config_error &e) {
        return e.what();
    }
    return "(no error)";
}

struct serialized {
    std::string record;
    std::optional<seglog::error> err;
    json j() const { return json::parse(record); }
};

serialized track(const redactor *r, const seglog::properties &p, const seglog::call_options &opts = {}) {
    static const seglog::identity who = seglog::user("u-1");
    serialized s;
    const seglog::detail::event_fields f{seglog::event_type::track, &who, "E", {}, {}, {}, &p, &opts};
    s.err = seglog::detail::serialize_event(f, s.record, 32 * 1024, r);
    return s;
}

serialized identify(const redactor *r, const seglog::properties &traits) {
    static const seglog::identity who = seglog::user("u-1");
    serialized s;
    const seglog::detail::event_fields f{seglog::event_type::identify, &who, {}, {}, {}, {}, &traits, nullptr};
    s.err = seglog::detail::serialize_event(f, s.record, 32 * 1024, r);
    return s;
}

// The text between "<key>": and the matching close brace: the section as written, key order included.
std::string section_text(const std::string &record, const std::string &key) {
    const std::string open = "\"" + key + "\":{";
    auto at = record.find(open);
    REQUIRE(at != std::string::npos);
    at += open.size() - 1;
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = at; i < record.size(); ++i) {
        const char c = record[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return record.substr(at, i - at + 1);
        }
    }
    FAIL("unterminated section");
    return {};
}

} // namespace

TEST_SUITE("redaction") {

TEST_CASE("hash rules are HMAC-SHA256 in lower-case hex (RFC 4231 test cases 1 and 2)") {
    const redactor r1({redact_rule::hash("properties.x")}, {}, std::string(20, '\x0b'));
    CHECK(r1.hash("Hi There") == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    const redactor r2({redact_rule::hash("properties.x")}, {}, "Jefe");
    CHECK(r2.hash("what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

    // What a hash rule writes is that digest, so a value can be joined on without being read.
    const json in = {{"x", "Hi There"}};
    CHECK(r1.apply("properties", in) ==
          json{{"x", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"}});
}

TEST_CASE("drop, mask and hash on nested data, arrays included") {
    const redactor r({redact_rule::drop("properties.email"), redact_rule::mask("properties.phone"),
                      redact_rule::hash("properties.user.ssn"), redact_rule::mask("properties.items.card", "****"),
                      redact_rule::hash("properties.age"), redact_rule::hash("properties.address"),
                      redact_rule::hash("properties.empty")},
                     {}, k_hash_key);
    const json in = {
        {"email", "ann@example.com"},
        {"phone", "+1 555 0100"},
        {"user", {{"ssn", "123-45-6789"}, {"name", "Ann"}}},
        {"items",
         json::array(
             {{{"sku", "s-1"}, {"card", "4111"}}, {{"sku", "s-2"}}, "loose", json::array({{{"card", "5500"}}})})},
        {"age", 42},
        {"address", {{"street", "1 Main St"}}},
        {"total", 42.5},
        {"empty", ""},
    };
    const json expected = {
        {"phone", "[redacted]"},
        {"user", {{"ssn", r.hash("123-45-6789")}, {"name", "Ann"}}},
        {"items",
         json::array(
             {{{"sku", "s-1"}, {"card", "****"}}, {{"sku", "s-2"}}, "loose", json::array({{{"card", "****"}}})})},
        {"age", r.hash("42")},                             // non-strings: the HMAC of their JSON text
        {"address", r.hash("{\"street\":\"1 Main St\"}")}, // a whole object, hashed as one value
        {"total", 42.5},
        {"empty", r.hash("")}, // a string's bytes, without quotes: here none
    };
    CHECK(r.apply("properties", in) == expected);
    // cross-checked with `printf '%s' VALUE | openssl dgst -sha256 -hmac test-hmac-secret-0123456789`
    CHECK(r.hash("") == "64cfea95f4de0904d2e5d005a74d44e25e3f7959cfc366f7c14ce635f2259353");
    CHECK(r.hash("123-45-6789") == "dcb043f817c4f3909d2a0a5b42a7f591ced5df52fe621f45018ddcc376a0c74a");
    // Rules name their section: the same keys in traits or context are left alone.
    CHECK(r.apply("traits", in) == in);
    CHECK(r.apply("context", in) == in);
}

TEST_CASE("wildcards: * is one key, ** any number of keys (none included), a leading one any section") {
    const json in = {
        {"secret", 1},
        {"a", {{"secret", 2}, {"b", {{"secret", 3}}}}},
        {"list", json::array({{{"secret", 4}}, {{"c", {{"secret", 5}}}}})},
        {"keep", "k"},
    };
    SUBCASE("properties.*.secret") {
        const redactor r({redact_rule::drop("properties.*.secret")});
        CHECK(r.apply("properties", in) == json{{"secret", 1},
                                                {"a", {{"b", {{"secret", 3}}}}},
                                                {"list", json::array({json::object(), {{"c", {{"secret", 5}}}}})},
                                                {"keep", "k"}});
    }
    SUBCASE("properties.**.secret") {
        const redactor r({redact_rule::drop("properties.**.secret")});
        CHECK(r.apply("properties", in) == json{{"a", {{"b", json::object()}}},
                                                {"list", json::array({json::object(), {{"c", json::object()}}})},
                                                {"keep", "k"}});
    }
    SUBCASE("properties.a.*: every member of a") {
        const redactor r({redact_rule::mask("properties.a.*")});
        CHECK(r.apply("properties", in)["a"] == json{{"secret", "[redacted]"}, {"b", "[redacted]"}});
    }
    SUBCASE("**.token and *.email reach every section") {
        const redactor r({redact_rule::drop("**.token"), redact_rule::mask("*.email")});
        const json section = {{"email", "e"}, {"x", {{"token", "t"}, {"email", "deeper"}}}};
        const json expected = {{"email", "[redacted]"}, {"x", {{"email", "deeper"}}}};
        CHECK(r.apply("properties", section) == expected);
        CHECK(r.apply("traits", section) == expected);
        CHECK(r.apply("context", section) == expected);
    }
    SUBCASE("properties.**: everything in the section") {
        const redactor r({redact_rule::mask("properties.**")});
        CHECK(r.apply("properties", in) ==
              json{{"secret", "[redacted]"}, {"a", "[redacted]"}, {"list", "[redacted]"}, {"keep", "[redacted]"}});
    }
}

TEST_CASE("when several rules reach one value, drop beats mask beats hash") {
    const redactor r({redact_rule::hash("properties.*"), redact_rule::mask("properties.m"),
                      redact_rule::drop("properties.**.d"), redact_rule::hash("properties.d")},
                     {}, k_hash_key);
    CHECK(r.apply("properties", {{"h", "v"}, {"m", "v"}, {"d", "v"}}) == json{{"h", r.hash("v")}, {"m", "[redacted]"}});
}

TEST_CASE("allow-list: only the named paths of properties and traits pass; rules still apply to them") {
    const redactor r({redact_rule::hash("properties.order_id")},
                     {"properties.order_id", "properties.address.city", "properties.items.sku", "traits.plan",
                      "properties.meta"},
                     k_hash_key);
    const json in = {
        {"order_id", "o-1"},
        {"email", "ann@example.com"},
        {"address", {{"city", "Paris"}, {"street", "1 rue de la Paix"}}},
        {"items", json::array({{{"sku", "s-1"}, {"price", 3}}, {{"price", 4}}, "loose"})},
        {"tags", json::array({"a", "b"})},
        {"profile", {{"ssn", "123"}}},
        {"meta", {{"any", {{"thing", 1}}}}}, // named whole: everything below passes
    };
    CHECK(r.apply("properties", in) == json{{"order_id", r.hash("o-1")},
                                            {"address", {{"city", "Paris"}}},
                                            {"items", json::array({{{"sku", "s-1"}}, json::object()})},
                                            {"meta", {{"any", {{"thing", 1}}}}}});
    CHECK(r.apply("traits", {{"plan", "pro"}, {"email", "e"}}) == json{{"plan", "pro"}});
    // context is governed by rules only
    CHECK(r.apply("context", {{"ip", "198.51.100.1"}}) == json{{"ip", "198.51.100.1"}});
}

TEST_CASE("malformed paths are refused with the reason") {
    CHECK(seglog::check_redact_path("properties.email") == "");
    CHECK(seglog::check_redact_path("traits.**.ssn") == "");
    CHECK(seglog::check_redact_path("") == "malformed path \"\": it is empty");
    CHECK(seglog::check_redact_path("properties..email") ==
          "malformed path \"properties..email\": it has an empty key (two dots in a row, or a dot at either end)");
    CHECK(seglog::check_redact_path("properties.email.") ==
          "malformed path \"properties.email.\": it has an empty key (two dots in a row, or a dot at either end)");
    CHECK(
        seglog::check_redact_path("props.email") ==
        "malformed path \"props.email\": it must start with properties, traits or context (or * or ** for any of them)");
    CHECK(seglog::check_redact_path("properties.em*il") ==
          "malformed path \"properties.em*il\": \"em*il\" mixes a wildcard with other characters; * stands for one "
          "whole key, ** for any number of keys");
    CHECK(seglog::check_redact_path("traits") ==
          "malformed path \"traits\": it names a whole section; name keys inside it, such as \"traits.email\", or "
          "\"traits.*\" for all of them");
    CHECK(
        seglog::check_allow_path("context.ip") ==
        "malformed path \"context.ip\": the allow-list covers properties and traits; use a redact rule for context keys");

    CHECK(config_error_of([] { redactor r({redact_rule::drop("properties..x")}); }) ==
          "seglog config: redact rule \"properties..x\": malformed path \"properties..x\": it has an empty key (two "
          "dots in a row, or a dot at either end)");
    CHECK(config_error_of([] { redactor r({redact_rule::hash("properties.x")}); }) ==
          "seglog config: redact rule \"properties.x\" hashes values but no hash key is set (SEGLOG_HASH_KEY)");
}

TEST_CASE("serialisation applies the rules: braced lists keep their order, traits and context too") {
    const redactor r({redact_rule::drop("properties.email"), redact_rule::mask("properties.phone"),
                      redact_rule::hash("traits.**.ssn"), redact_rule::drop("context.ip")},
                     {}, k_hash_key);
    const json nested = {{"ssn", "123-45-6789"}, {"k", 1}};
    auto t = track(&r, {{"b", 1}, {"email", "ann@example.com"}, {"phone", "+1 555"}, {"a", nested}},
                   seglog::call_options{}.with_context(json{{"ip", "198.51.100.1"}, {"locale", "fr"}}));
    REQUIRE_FALSE(t.err);
    CHECK(section_text(t.record, "properties") ==
          "{\"b\":1,\"phone\":\"[redacted]\",\"a\":{\"k\":1,\"ssn\":\"123-45-6789\"}}");
    CHECK(section_text(t.record, "context") ==
          "{\"locale\":\"fr\",\"library\":{\"name\":\"seglog\",\"version\":\"" SEGLOG_VERSION_STRING "\"}}");
    CHECK(t.record.find("ann@example.com") == std::string::npos);
    CHECK(t.record.find("198.51.100.1") == std::string::npos);

    auto i = identify(&r, {{"profile", nested}, {"ssn", "987"}});
    REQUIRE_FALSE(i.err);
    CHECK(i.j()["traits"] == json{{"profile", {{"k", 1}, {"ssn", r.hash("123-45-6789")}}}, {"ssn", r.hash("987")}});

    // No rule for the section: the record is what it would be without a redactor.
    auto plain = track(&r, {{"b", 1}, {"a", 2}});
    REQUIRE_FALSE(plain.err);
    CHECK(section_text(plain.record, "properties") == "{\"b\":1,\"a\":2}");
}

TEST_CASE("a redacted event is still validated, and errors name keys, never values") {
    const redactor r({redact_rule::drop("properties.gone")}, {}, k_hash_key);
    // a dropped value is not looked at
    CHECK_FALSE(track(&r, {{"gone", "\xFF"}, {"ok", 1}}).err);
    auto bad = track(&r, {{"gone", "x"}, {"nested", json{{"v", "\xFF"}}}});
    REQUIRE(bad.err);
    CHECK(bad.err->code == seglog::reason::invalid_utf8);
    CHECK(bad.err->message == "track event rejected: properties.nested.v is not valid UTF-8");

    json deep = json::array();
    for (int i = 0; i < 40; ++i) deep = json::array({deep});
    const redactor walk({redact_rule::drop("properties.**.never")});
    auto too_deep = track(&walk, {{"deep", deep}});
    REQUIRE(too_deep.err);
    CHECK(too_deep.err->code == seglog::reason::too_deep);

    auto nan = track(&walk, {{"n", json{{"x", std::nan("")}}}});
    REQUIRE(nan.err);
    CHECK(nan.err->message == "track event rejected: properties.n.x is NaN or infinite, which JSON cannot carry");
}

TEST_CASE("counters: per redactor and for the process, counted once per accepted event") {
    const redactor r({redact_rule::drop("properties.d"), redact_rule::mask("properties.m"),
                      redact_rule::hash("properties.h")},
                     {"properties.d", "properties.m", "properties.h", "properties.ok"}, k_hash_key);
    const auto before = seglog::redaction_stats();
    REQUIRE_FALSE(track(&r, {{"d", 1}, {"m", 2}, {"h", 3}, {"ok", 4}, {"other", 5}, {"other2", 6}}).err);
    REQUIRE_FALSE(track(&r, {{"ok", 4}}).err);                // nothing redacted: not an event with redactions
    REQUIRE(track(&r, {{"d", 1}, {"ok", std::nan("")}}).err); // rejected: not counted
    const auto c = r.counters();
    CHECK(c.dropped == 1);
    CHECK(c.masked == 1);
    CHECK(c.hashed == 1);
    CHECK(c.not_allowed == 2);
    CHECK(c.events == 1);
    const auto after = seglog::redaction_stats();
    CHECK(after.dropped - before.dropped == 1);
    CHECK(after.not_allowed - before.not_allowed == 2);
    CHECK(after.events - before.events == 1);
}

TEST_CASE("config file: redact, allow and hash_key_env, with the secret from the environment") {
    const std::string events = temp_path("cfg-events.jsonl");
    const std::string file = write_file("cfg.json", R"({
      "defaults": {"redact": [{"path": "properties.email", "action": "drop"}]},
      "profiles": {
        "production": {
          "destination": "file:)" + events + R"(",
          "redact": [{"path": "traits.**.ssn", "action": "hash"},
                     {"path": "properties.phone", "action": "mask", "replacement": "***"}],
          "allow": ["properties.order_id", "properties.phone", "traits.*"],
          "hash_key_env": "PII_HMAC_KEY"
        }
      }
    })");
    const auto cfg = seglog::config::from_file(file, "production", {}, env({{"PII_HMAC_KEY", k_hash_key}}));
    // defaults and profile add up
    CHECK(cfg.redact == std::vector<redact_rule>{redact_rule::drop("properties.email"),
                                                 redact_rule::hash("traits.**.ssn"),
                                                 redact_rule::mask("properties.phone", "***")});
    CHECK(cfg.allow == std::vector<std::string>{"properties.order_id", "properties.phone", "traits.*"});
    CHECK(cfg.hash_key_env == "PII_HMAC_KEY");
    CHECK(cfg.hash_key == k_hash_key);
    CHECK(cfg.origin.at("hash_key") == "PII_HMAC_KEY");
    // The startup line shows the rules, never the secret.
    const std::string line = cfg.describe();
    CHECK(line == "seglog: environment=production tracking=on destinations=[file:" + events +
                      "] redact=[properties.email:drop, traits.**.ssn:hash, properties.phone:mask] "
                      "allow=[properties.order_id, properties.phone, traits.*]");

    // SEGLOG_HASH_KEY is the fallback, and from_env reads it too.
    const auto fallback = seglog::config::from_file(file, "production", {}, env({{"SEGLOG_HASH_KEY", k_hash_key}}));
    CHECK(fallback.origin.at("hash_key") == "SEGLOG_HASH_KEY");
    const auto via_env = seglog::config::from_env(
        env({{"SEGLOG_CONFIG", file}, {"SEGLOG_ENV", "production"}, {"PII_HMAC_KEY", k_hash_key}}), {});
    CHECK(via_env.hash_key == k_hash_key);
    CHECK(via_env.redact.size() == 3);
}

TEST_CASE("config file: exact errors for an unknown action, a malformed path, a hash without secret") {
    const std::string events = temp_path("err-events.jsonl");
    auto load = [&](const std::string &profile_body, std::map<std::string, std::string> vars = {}) {
        const std::string file = write_file("err.json", R"({"profiles": {"p": {"destination": "file:)" + events +
                                                            "\", " + profile_body + "}}}");
        return config_error_of([&] { seglog::config::from_file(file, "p", {}, env(vars)); });
    };
    const std::string at = "seglog config: " + temp_path("err.json") + ", profile \"p\", key ";

    CHECK(load(R"("redact": [{"path": "properties.email", "action": "encrypt"}])") ==
          at + "\"redact\"[0]: unknown action \"encrypt\" (expected drop, mask or hash)");
    CHECK(
        load(
            R"("redact": [{"path": "properties.a", "action": "drop"}, {"path": "properties..email", "action": "drop"}])") ==
        at + "\"redact\"[1]: malformed path \"properties..email\": it has an empty key (two dots in a row, or a dot "
             "at either end)");
    CHECK(load(R"("redact": [{"path": "traits.**.ssn", "action": "hash"}])") ==
          "seglog config: redact rule \"traits.**.ssn\" (from " + temp_path("err.json") +
              ", profile \"p\") hashes values but no secret is set: set SEGLOG_HASH_KEY");
    CHECK(
        load(R"("redact": [{"path": "traits.**.ssn", "action": "hash"}], "hash_key_env": "PII_KEY")") ==
        "seglog config: redact rule \"traits.**.ssn\" (from " + temp_path("err.json") +
            ", profile \"p\") hashes values but no secret is set: set PII_KEY (named by hash_key_env) or SEGLOG_HASH_KEY");
    CHECK(
        load(R"("redact": [{"path": "traits.ssn", "action": "hash"}])", {{"SEGLOG_HASH_KEY", "short-key"}}) ==
        "seglog config: the hash secret (from SEGLOG_HASH_KEY) must be at least 16 bytes, got 9; the value is not shown");
    CHECK(load(R"("redact": {"path": "properties.email"})") ==
          at + "\"redact\": expected a list of rules such as [{\"path\": \"properties.email\", \"action\": \"drop\"}], "
               "got object {\"path\":\"properties.email\"}");
    CHECK(load(R"("redact": [{"path": "properties.email"}])") ==
          at + "\"redact\"[0]: missing \"action\" (drop, mask or hash)");
    CHECK(load(R"("redact": [{"pth": "properties.email", "action": "drop"}])") ==
          at + "\"redact\"[0]: unknown key \"pth\" in a rule (known: path, action, replacement)");
    CHECK(load(R"("redact": [{"path": "properties.email", "action": "drop", "replacement": "x"}])") ==
          at + "\"redact\"[0]: \"replacement\" is only for a mask rule");
    CHECK(load(R"("allow": [])") ==
          at + "\"allow\": expected at least one path (an empty allow-list would not restrict anything; to drop "
               "every property use a redact rule on \"properties.*\")");
    CHECK(load(R"("allow": ["context.ip"])") ==
          at + "\"allow\"[0]: malformed path \"context.ip\": the allow-list covers properties and traits; use a "
               "redact rule for context keys");
    CHECK(load(R"("hash_key_env": "my-secret-value")") ==
          at + "\"hash_key_env\": expected the name of an environment variable (A-Z, 0-9, _) such as "
               "\"SEGLOG_HASH_KEY\"; the value is not shown in case it is the secret itself");
    CHECK(load(R"("hash_key": "0123456789abcdef0123")") ==
          at + "\"hash_key\": a config file must not hold the hash secret; put it in an environment variable and "
               "name that variable with \"hash_key_env\" (default SEGLOG_HASH_KEY)");
    CHECK(load(R"("redactt": [])") == "seglog config: " + temp_path("err.json") +
                                          ", profile \"p\": unknown key \"redactt\" (did you mean \"redact\"?)");

    // With no destination in force nothing leaves, so no secret is needed.
    const std::string off = write_file("off.json", R"({"profiles": {"test": {"destination": "off",
        "redact": [{"path": "traits.ssn", "action": "hash"}]}}})");
    CHECK_NOTHROW(seglog::config::from_file(off, "test", {}, env({})));
}

TEST_CASE("validate() checks rules set in code") {
    seglog::config cfg;
    cfg.destinations = {seglog::destination::off()};
    cfg.redact = {redact_rule::drop("properties.a.")};
    CHECK(config_error_of([&] { cfg.validate(); }) ==
          "seglog config: redact rule \"properties.a.\": malformed path \"properties.a.\": it has an empty key (two "
          "dots in a row, or a dot at either end)");
    cfg.redact = {redact_rule::mask("properties.a", "\xFF")};
    CHECK(config_error_of([&] { cfg.validate(); }) ==
          "seglog config: redact rule \"properties.a\": the mask replacement is not valid UTF-8");
    cfg.redact = {};
    cfg.allow = {"traits"};
    CHECK(config_error_of([&] { cfg.validate(); }) ==
          "seglog config: allow: malformed path \"traits\": it names a whole section; name keys inside it, such as "
          "\"traits.email\", or \"traits.*\" for all of them");
}

TEST_CASE("applied once, before every destination: event file, console line, bytes on the wire") {
    seglog::loopback::collector c;
    const std::string events = temp_path("all-destinations.jsonl");
    std::remove(events.c_str());

    seglog::config cfg;
    cfg.destinations = {seglog::destination::segment(), seglog::destination::file(events)};
    cfg.echo_events_to_log = true; // the console rendering among the log lines (console itself is stdout)
    cfg.write_key = "wk-redaction-test";
    cfg.host = c.url();
    cfg.flush_interval = 60s;
    cfg.redact = {redact_rule::drop("properties.email"), redact_rule::mask("properties.phone"),
                  redact_rule::hash("traits.ssn")};
    cfg.hash_key = k_hash_key;

    auto lines = std::make_shared<seglog_test::collecting_sink>();
    spdlog::logger logger("redaction", lines);
    auto demux = seglog::attach(logger, cfg);
    REQUIRE(demux->redaction() != nullptr);
    const auto who = seglog::user("u-7");
    SEGLOG_LOGGER_TRACK(logger, who, "Signed Up",
                        {{"plan", "pro"}, {"email", "ann@example.com"}, {"phone", "+1 555 0100"}});
    SEGLOG_LOGGER_IDENTIFY(logger, who, {{"ssn", "123-45-6789"}, {"plan", "pro"}});

    auto client = seglog::segment_client(*demux);
    REQUIRE(client);
    REQUIRE(client->flush(10s));
    logger.flush();

    const json props = {{"plan", "pro"}, {"phone", "[redacted]"}};
    const json traits = {{"ssn", demux->redaction()->hash("123-45-6789")}, {"plan", "pro"}};

    // the event file: one line per event, each redacted
    std::vector<json> file_events;
    std::istringstream in(read_all(events));
    for (std::string line; std::getline(in, line);) file_events.push_back(json::parse(line));
    REQUIRE(file_events.size() == 2);
    CHECK(file_events[0]["properties"] == props);
    CHECK(file_events[1]["traits"] == traits);

    // the bytes on the wire
    const auto reqs = c.requests();
    REQUIRE(reqs.size() == 1);
    const json batch = reqs[0].json.at("batch");
    REQUIRE(batch.size() == 2);
    CHECK(batch[0]["properties"] == props);
    CHECK(batch[1]["traits"] == traits);

    // the console rendering, among the log lines
    std::vector<std::string> console;
    for (const auto &item : lines->items())
        if (item.payload.rfind("event ", 0) == 0) console.push_back(item.payload);
    REQUIRE(console.size() == 2);
    CHECK(console[0] == "event track \"Signed Up\" userId=u-7 properties={\"phone\":\"[redacted]\",\"plan\":\"pro\"} "
                        "messageId=" +
                            file_events[0]["messageId"].get<std::string>());

    for (const std::string secret : {"ann@example.com", "+1 555 0100", "123-45-6789"}) {
        CAPTURE(secret);
        CHECK(read_all(events).find(secret) == std::string::npos);
        CHECK(reqs[0].body.find(secret) == std::string::npos);
        for (const auto &item : lines->items()) CHECK(item.payload.find(secret) == std::string::npos);
    }
    const auto counted = demux->redaction()->counters();
    CHECK(counted.dropped == 1);
    CHECK(counted.masked == 1);
    CHECK(counted.hashed == 1);
    CHECK(counted.events == 2);
}

TEST_CASE("client::track applies the client's own rules") {
    seglog::loopback::collector c;
    seglog::config cfg;
    cfg.destinations = {seglog::destination::segment()};
    cfg.write_key = "wk-redaction-test";
    cfg.host = c.url();
    cfg.flush_interval = 60s;
    cfg.allow = {"properties.order_id"};
    seglog::client cl(cfg);
    REQUIRE(cl.track(seglog::user("u"), "Order Completed", {{"order_id", "o-1"}, {"email", "ann@example.com"}}));
    REQUIRE(cl.flush(10s));
    REQUIRE(c.requests().size() == 1);
    CHECK(c.requests()[0].json["batch"][0]["properties"] == json{{"order_id", "o-1"}});
    CHECK(cl.redaction() != nullptr);
    CHECK(cl.redaction()->counters().not_allowed == 1);
}

} // TEST_SUITE
