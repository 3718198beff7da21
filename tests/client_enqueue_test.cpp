// What seglog::client accepts: the per-event byte limit, and records given to enqueue() (the
// record bridge's path) with a usable messageId or refused with why.

#include "pipeline.h"

#include <doctest/doctest.h>

#include <seglog/seglog.h>

#include <string>
#include <utility>
#include <vector>

using seglog::loopback::collector;
using seglog::loopback::reply;
using json = nlohmann::json;
using namespace std::chrono_literals;
using namespace seglog_test;

// ---------------------------------------------------------------------------------------------
// The per-event limit
// ---------------------------------------------------------------------------------------------

TEST_CASE("an event over 32 KB is refused, counted, reported, and never sent") {
    pipeline p(segment_config);
    seglog::client &cl = p.start();

    // Through a call: serialised, measured, refused.
    const std::string big(40 * 1024, 'x');
    CHECK_FALSE(cl.track(seglog::user("u-big"), "Too Big", {{"blob", big}}));

    // Through enqueue (what the record bridge uses): the messageId is in the report.
    const std::string big_record = make_record(1, std::string(33 * 1024, 'y'));
    REQUIRE(big_record.size() > 32 * 1024);
    CHECK_FALSE(cl.enqueue(big_record));

    // Exactly at the limit is fine.
    std::string at_limit = make_record(2, std::string(32 * 1024 - 400, 'z'));
    const std::size_t grow = 32 * 1024 - at_limit.size();
    at_limit = make_record(2, std::string(32 * 1024 - 400 + grow, 'z'));
    REQUIRE(at_limit.size() == 32 * 1024);
    CHECK(cl.enqueue(at_limit));
    CHECK(cl.track(seglog::user("u-small"), "Small Enough"));

    REQUIRE(cl.flush(k_bound).complete);

    auto too_large = p.l.errors_with(seglog::reason::event_too_large);
    REQUIRE(too_large.size() == 2);
    CHECK(too_large[0].message.find("32768") != std::string::npos);
    CHECK(too_large[1].message_ids == std::vector<std::string>{id_of(big_record)});

    auto s = cl.stats();
    CHECK(s.dropped == 2);
    CHECK(s.by_reason[static_cast<int>(seglog::reason::event_too_large)] == 2);
    CHECK(s.accepted == 2);
    CHECK(s.delivered == 2);

    CHECK(p.col.unique_count() == 2);
    CHECK(p.col.accepted(id_of(at_limit)));
    CHECK_FALSE(p.col.accepted(id_of(big_record)));
    for (const auto &r : p.col.requests()) {
        CHECK(r.body.find("Too Big") == std::string::npos);
        CHECK(r.body.find(std::string(1024, 'y')) == std::string::npos);
    }
}

TEST_CASE("record_message_id: the id when the record starts with it, plain; nothing otherwise") {
    using seglog::detail::record_message_id;
    const std::string uuid = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d";
    CHECK(record_message_id(R"({"messageId":")" + uuid + R"(","type":"track"})") == uuid);
    CHECK(record_message_id(R"({"messageId":"m-1","type":"track"})") == "m-1");
    // A short id, with a quote where a 36-character id would end: still "m-1".
    std::string tricky = R"({"messageId":"m-1","e":")";
    tricky += std::string(50 - tricky.size(), 'x') + "\"}";
    REQUIRE(tricky[50] == '"');
    CHECK(record_message_id(tricky) == "m-1");
    CHECK(record_message_id(R"({"messageId":"a\"b","type":"track"})").empty());              // escaped
    CHECK(record_message_id(R"({"type":"track","messageId":"m-1"})").empty());               // not first
    CHECK(record_message_id(R"({"messageId":")" + std::string(101, 'a') + R"("})").empty()); // too long
    CHECK(record_message_id(R"({"messageId":"")").empty());
    CHECK(record_message_id("").empty());
}

TEST_CASE("enqueue: a record whose messageId is not its first member keeps its id everywhere") {
    pipeline p(segment_config);
    seglog::client &cl = p.start();

    // Written by hand, keys in another order than the serialiser's.
    const std::string record = R"({"type":"track","event":"Hand Written","userId":"u-hand",)"
                               R"("properties":{"n":1},"timestamp":"2026-01-02T03:04:05.678Z",)"
                               R"("messageId":"hand-written-1"})";
    REQUIRE(cl.enqueue(record));
    REQUIRE(cl.flush(k_bound).complete);

    CHECK(p.l.delivered_ids() == std::vector<std::string>{"hand-written-1"});
    CHECK(p.col.accepted_ids() == std::vector<std::string>{"hand-written-1"});
    const auto events = p.col.accepted_events();
    REQUIRE(events.size() == 1);
    CHECK(events[0] == json::parse(record)); // the same members and values on the wire
    CHECK(cl.stats().delivered == 1);

    // Returned by close(): the caller gets the id back in the error too.
    p.col.stop();
    REQUIRE(cl.enqueue(R"({"event":"Late","type":"track","userId":"u-hand","messageId":"hand-written-2"})"));
    const auto left = cl.close(500ms);
    REQUIRE(left.size() == 1);
    CHECK(json::parse(left[0]) ==
          json::parse(R"({"event":"Late","type":"track","userId":"u-hand","messageId":"hand-written-2"})"));
    const auto returned = p.l.errors_with(seglog::reason::undelivered_at_close);
    REQUIRE(returned.size() == 1);
    CHECK(returned[0].message_ids == std::vector<std::string>{"hand-written-2"});
}

TEST_CASE("enqueue: a record without a usable messageId is refused, counted and reported with why") {
    pipeline p(segment_config);
    seglog::client &cl = p.start();

    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"type":"track","event":"No Id","userId":"u-1"})", "no \"messageId\" string"},
        {R"({"type":"track","messageId":42,"userId":"u-1"})", "no \"messageId\" string"},
        {R"({"type":"track","messageId":"","userId":"u-1"})", "\"messageId\" is empty"},
        {R"({"type":"track","userId":"u-1","messageId":")" + std::string(101, 'a') + R"("})", "over 100 bytes"},
        {R"({"messageId":")" + std::string(101, 'a') + R"(","type":"track"})", "over 100 bytes"},
        {R"({"messageId":"a\"b","type":"track"})", "JSON escapes"},
        {R"(["messageId","m-1"])", "not a JSON object"},
        {R"({"type":"track","messageId":"m-1",)", "not valid JSON"},
        {"{\"type\":\"track\",\"messageId\":\"m-1\",\"event\":\"\xff\"}", "not valid UTF-8"},
        {std::string(100, '[') + std::string(100, ']'), "nests deeper than 64 levels"},
    };
    for (const auto &[record, why] : cases) {
        CAPTURE(record);
        CHECK_FALSE(cl.enqueue(record));
        const auto refused = p.l.errors_with(seglog::reason::invalid_record);
        REQUIRE_FALSE(refused.empty());
        CHECK(refused.back().message.find(why) != std::string::npos);
        CHECK(refused.back().message_ids.empty()); // no bytes of the record taken for an id
    }
    REQUIRE(cl.flush(k_bound).complete);
    const auto s = cl.stats();
    CHECK(s.dropped == cases.size());
    CHECK(s.by_reason[static_cast<int>(seglog::reason::invalid_record)] == cases.size());
    CHECK(s.accepted == 0);
    CHECK(p.col.request_count() == 0);
    CHECK(std::string(seglog::to_string(seglog::reason::invalid_record)) == "invalid_record");
}
