// The wire format: seglog::client's six calls as one Segment batch against the loopback
// collector, a real HTTP server on 127.0.0.1: path, headers, envelope and every field.

#include "pipeline.h"

#include <doctest/doctest.h>

#include <seglog/seglog.h>

#include <ctime>
#include <regex>
#include <set>
#include <string>

using seglog::loopback::collector;
using seglog::loopback::reply;
using json = nlohmann::json;
using namespace std::chrono_literals;
using namespace seglog_test;

namespace {

// 2026-01-02T03:04:05.678Z, the shape of `timestamp` and `sentAt`.
bool is_iso8601_ms(const std::string &s) {
    static const std::regex re(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
    return std::regex_match(s, re);
}

bool is_uuid(const std::string &s) {
    static const std::regex re(R"(^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)");
    return std::regex_match(s, re);
}

// Seconds between an ISO-8601 UTC time and now: a wrong clock or time zone shows as hours.
long long seconds_from_now(const std::string &iso) {
    std::tm tm{};
    if (!strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 1LL << 40;
    const auto t = static_cast<long long>(timegm(&tm));
    const auto now = static_cast<long long>(std::time(nullptr));
    return t > now ? t - now : now - t;
}

std::set<std::string> keys_of(const json &o) {
    std::set<std::string> k;
    for (auto it = o.begin(); it != o.end(); ++it) k.insert(it.key());
    return k;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// The wire format
// ---------------------------------------------------------------------------------------------

TEST_CASE("the six calls arrive as one Segment batch: path, headers and every field") {
    pipeline p(segment_config);
    std::string expected_path = "/v1/batch";
    SUBCASE("default path") {}
    SUBCASE("custom path") {
        p.cfg.path = "/collect/v2/import";
        expected_path = p.cfg.path;
    }
    seglog::client &cl = p.start();

    CHECK(cl.track(seglog::user("u-1"), "Order Completed", {{"order_id", "o-1"}, {"revenue", 42.5}, {"items", 3}}));
    CHECK(cl.identify(seglog::user("u-2", "a-2"), {{"plan", "pro"}, {"vip", true}}));
    CHECK(cl.page(seglog::anonymous("a-3"), "Home", {{"path", "/"}}));
    CHECK(cl.screen(seglog::user("u-4"), "Settings", {{"tab", "privacy"}}));
    CHECK(cl.group(seglog::user("u-5"), "org-7", {{"name", "Acme"}, {"seats", 12}}));
    CHECK(cl.alias("a-9", "u-42"));

    auto fr = cl.flush(k_bound);
    REQUIRE(fr.complete);
    CHECK(fr.pending == 0);

    auto reqs = p.col.requests();
    REQUIRE(reqs.size() == 1);
    const auto &r = reqs[0];
    CHECK(r.method == "POST");
    CHECK(r.path == expected_path);
    CHECK(r.header("Content-Type") == "application/json");
    CHECK(r.header("Authorization") == k_authorization);
    CHECK(r.header("User-Agent") == std::string("seglog/") + seglog::version);
    CHECK_FALSE(r.has_header("X-Retry-Count"));
    CHECK_FALSE(r.has_header("Content-Encoding"));
    CHECK(r.status == 200);
    CHECK(r.wire_bytes == r.body.size());
    CHECK(r.body.find(k_write_key) == std::string::npos);

    REQUIRE(r.json_valid);
    CHECK(keys_of(r.json) == std::set<std::string>{"batch", "sentAt"});
    CHECK(is_iso8601_ms(r.json["sentAt"].get<std::string>()));
    CHECK(seconds_from_now(r.json["sentAt"].get<std::string>()) < 600);
    // The body is the envelope around the records, nothing else: {"batch":[...],"sentAt":"..."}
    CHECK(r.body.rfind("{\"batch\":[", 0) == 0);
    CHECK(r.body.size() > 48);
    const auto &batch = r.json["batch"];
    REQUIRE(batch.size() == 6);

    std::set<std::string> ids;
    for (const auto &e : batch) {
        const auto id = e.at("messageId").get<std::string>();
        CHECK(is_uuid(id));
        ids.insert(id);
        CHECK(is_iso8601_ms(e.at("timestamp").get<std::string>()));
        CHECK(seconds_from_now(e.at("timestamp").get<std::string>()) < 600);
        CHECK(e.at("context").at("library") == json{{"name", "seglog"}, {"version", seglog::version}});
        CHECK(e.at("integrations") == json::object());
    }
    CHECK(ids.size() == 6);

    const std::set<std::string> common{"messageId", "type", "timestamp", "context", "integrations"};
    auto with = [&](std::initializer_list<const char *> more) {
        auto k = common;
        for (auto m : more) k.insert(m);
        return k;
    };

    const auto &track = batch[0];
    CHECK(track["type"] == "track");
    CHECK(keys_of(track) == with({"userId", "event", "properties"}));
    CHECK(track["userId"] == "u-1");
    CHECK(track["event"] == "Order Completed");
    CHECK(track["properties"] == json{{"order_id", "o-1"}, {"revenue", 42.5}, {"items", 3}});

    const auto &identify = batch[1];
    CHECK(identify["type"] == "identify");
    CHECK(keys_of(identify) == with({"userId", "anonymousId", "traits"}));
    CHECK(identify["userId"] == "u-2");
    CHECK(identify["anonymousId"] == "a-2");
    CHECK(identify["traits"] == json{{"plan", "pro"}, {"vip", true}});

    const auto &page = batch[2];
    CHECK(page["type"] == "page");
    CHECK(keys_of(page) == with({"anonymousId", "name", "properties"}));
    CHECK(page["anonymousId"] == "a-3");
    CHECK(page["name"] == "Home");
    CHECK(page["properties"] == json{{"path", "/"}});

    const auto &screen = batch[3];
    CHECK(screen["type"] == "screen");
    CHECK(keys_of(screen) == with({"userId", "name", "properties"}));
    CHECK(screen["userId"] == "u-4");
    CHECK(screen["name"] == "Settings");
    CHECK(screen["properties"] == json{{"tab", "privacy"}});

    const auto &group = batch[4];
    CHECK(group["type"] == "group");
    CHECK(keys_of(group) == with({"userId", "groupId", "traits"}));
    CHECK(group["userId"] == "u-5");
    CHECK(group["groupId"] == "org-7");
    CHECK(group["traits"] == json{{"name", "Acme"}, {"seats", 12}});

    const auto &alias = batch[5];
    CHECK(alias["type"] == "alias");
    CHECK(keys_of(alias) == with({"userId", "previousId"}));
    CHECK(alias["userId"] == "u-42");
    CHECK(alias["previousId"] == "a-9");

    // What on_delivered reports is what went over the wire.
    CHECK(p.l.delivered_ids() == r.message_ids);
    auto deliveries = p.l.deliveries_copy();
    REQUIRE(deliveries.size() == 1);
    CHECK(deliveries[0].events == 6);
    CHECK(deliveries[0].body_bytes == r.body.size());
    check_settled_cleanly(cl.stats(), 6);
    CHECK(cl.stats().batches_sent == 1);
    CHECK(cl.stats().bytes_sent == r.wire_bytes);
}
