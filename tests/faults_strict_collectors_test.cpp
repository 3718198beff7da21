// seglog's promise with collectors stricter than Segment: one that refuses gzip gets identity
// for the session, one with a smaller body limit gets batches that fit, a 307/308 is followed
// with the same POST and a 301/302 is a configuration error naming the new location; each
// change is said once, and an event rejected on its own says which it was and why.
#include "pipeline.h"

#include <doctest/doctest.h>

#include <seglog/seglog.h>

#include <string>

using namespace std::chrono_literals;
using namespace seglog_test;
using seglog::reason;
using seglog::loopback::reply;

namespace {

bool contains(const std::string &text, const std::string &part) { return text.find(part) != std::string::npos; }

std::size_t wire_bytes(const std::vector<seglog::loopback::request> &reqs, bool accepted_only) {
    std::size_t n = 0;
    for (const auto &r : reqs)
        if (!accepted_only || (r.status >= 200 && r.status < 300)) n += r.wire_bytes;
    return n;
}

} // namespace

// ---------------------------------------------------------------------------------------------
TEST_SUITE("faults") {

TEST_CASE("a rejected event says which it was and what the collector answered") {
    pipeline p;
    std::string answer = "{\"error\":\"bad property\nsecond line\x01\"," + std::string(300, 'x') + "}";
    p.col.poison_property("poison", reply(400, answer));
    p.start();
    for (int i = 0; i < 20; ++i) REQUIRE(p.push(i, 0, i == 7));
    p.flush();
    p.close_within(1s);
    const auto rejected = p.l.errors_with(reason::rejected);
    REQUIRE(rejected.size() == 1);
    const auto &e = rejected[0];
    CHECK(e.event_type == "track");
    CHECK(e.event_name == "Fault Test");
    CHECK(e.http_status == 400);
    REQUIRE(e.message_ids.size() == 1);
    CHECK(contains(e.message, "track \"Fault Test\" (messageId \"" + e.message_ids[0] + "\") rejected with HTTP 400"));
    CHECK(contains(e.message, "the collector said: {\"error\":\"bad property\\x0asecond line\\x01\",xxx"));
    CHECK(contains(e.message, "xxx...; dropped"));
    CHECK(e.message.find('\n') == std::string::npos);
    CHECK(e.message.size() < 400); // the answer cut to about 200 bytes
    p.reconcile();
}

TEST_CASE("a collector that refuses gzip (415): identity for the session, said once, nothing lost") {
    seglog::loopback::collector_options o;
    o.accept_gzip = false;
    pipeline p(o);
    p.cfg.gzip = true;
    p.start();
    p.track_n(200);
    p.flush();
    p.close_within(1s);
    const auto s = p.stats();
    CHECK(s.delivered == 200);
    CHECK(s.failed == 0);
    const auto said = p.l.errors_with(reason::delivery_delayed);
    REQUIRE(said.size() == 1);
    CHECK(contains(said[0].message, "refused a gzip body (HTTP 415) and took it uncompressed: gzip is off"));
    const auto reqs = p.col.requests();
    std::size_t refused = 0;
    for (const auto &r : reqs) refused += r.status == 415;
    CHECK(refused <= 2); // the requests compressed before the first answer, at most max_in_flight
    CHECK(reqs.back().header("Content-Encoding").empty());
    p.reconcile();
}

TEST_CASE("a collector that answers 400 to gzip: the same request plain decides") {
    pipeline p;
    p.cfg.gzip = true;
    p.cfg.max_in_flight = 1;
    p.col.script({400}); // the first compressed body only
    p.start();
    p.track_n(100);
    p.flush();
    p.close_within(1s);
    CHECK(p.stats().delivered == 100);
    REQUIRE(p.l.errors_with(reason::delivery_delayed).size() == 1);
    const auto reqs = p.col.requests();
    REQUIRE(reqs.size() >= 3);
    CHECK(reqs[0].status == 400);
    CHECK(reqs[0].header("Content-Encoding") == "gzip");
    CHECK(reqs[1].message_ids == reqs[0].message_ids); // the same request, plain
    for (std::size_t i = 1; i < reqs.size(); ++i) CHECK(reqs[i].header("Content-Encoding").empty());
    p.reconcile({false, xrc::at_most}); // the plain resend repeats the compressed one's X-Retry-Count
}

TEST_CASE("a poisoned event under gzip still splits: a plain 400 too is about the content") {
    pipeline p;
    p.cfg.gzip = true;
    p.col.poison_property("poison");
    p.start();
    for (int i = 0; i < 40; ++i) REQUIRE(p.push(i, 0, i == 3));
    p.flush();
    p.close_within(1s);
    const auto s = p.stats();
    CHECK(s.delivered == 39);
    CHECK(s.by_reason[static_cast<int>(reason::rejected)] == 1);
    CHECK(p.l.errors_with(reason::delivery_delayed).empty());
    p.reconcile({false, xrc::at_most});
}

TEST_CASE("413 from a collector with a 100 KB limit: learnt once, batches fit, bytes about 1x") {
    seglog::loopback::collector_options o;
    o.max_body_bytes = 100 * 1024;
    pipeline p(o, segment_config);
    p.cfg.flush_at = 2500;
    p.cfg.max_in_flight = 1; // each request in flight when the limit shows is refused once more
    p.start();
    const std::string pad(900, 'p');
    for (int i = 0; i < 3000; ++i) REQUIRE(p.client().enqueue(make_record(i, pad)));
    REQUIRE(p.client().flush(k_bound).complete);
    const auto s = p.stats();
    CHECK(s.delivered == 3000);
    CHECK(s.failed == 0);
    const auto said = p.l.errors_with(reason::delivery_delayed);
    REQUIRE(said.size() == 1);
    CHECK(contains(said[0].message, "as too large (HTTP 413): batches are kept under"));
    const auto reqs = p.col.requests();
    const double ratio = double(wire_bytes(reqs, false)) / double(wire_bytes(reqs, true));
    CAPTURE(ratio);
    CHECK(ratio < 1.5);
    std::size_t refused = 0;
    for (const auto &r : reqs) refused += r.status == 413;
    CHECK(refused <= 3); // 480 KB, 240 KB, 120 KB: then 60 KB batches fit
}

TEST_CASE("307 and 308: followed with the same POST, the key and the body") {
    for (int status : {307, 308}) {
        CAPTURE(status);
        seglog::loopback::collector target;
        pipeline p;
        p.col.set_default(reply::redirect(status, target.url() + "/v1/batch"));
        p.start();
        p.track_n(60);
        REQUIRE(p.client().flush(k_bound).complete);
        CHECK(p.stats().delivered == 60);
        CHECK(target.unique_count() == 60);
        for (const auto &r : target.requests()) {
            CHECK(r.method == "POST");
            CHECK(r.header("Authorization") == k_authorization);
        }
        CHECK(p.l.errors_copy().empty());
        p.close_within(1s);
    }
}

TEST_CASE("redirects in a loop: bounded hops, then a configuration error") {
    pipeline p;
    p.col.set_default(reply::redirect(307, p.col.url() + "/v1/batch"));
    p.cfg.max_in_flight = 1;
    p.start();
    p.track_n(10);
    REQUIRE(p.wait_until([&] { return !p.l.errors_with(reason::config_error).empty(); }));
    p.close_within(1s);
    const auto said = p.l.errors_with(reason::config_error);
    REQUIRE(said.size() == 1);
    CHECK(contains(said[0].message, "HTTP 307, a redirect to " + p.col.url() + "/v1/batch not followed: more than 5"));
    CHECK(p.col.request_count() == 6);
    CHECK(p.stats().returned == 10);
}

TEST_CASE("301 and 302: a configuration error naming the new location, no event rejected") {
    for (int status : {301, 302}) {
        CAPTURE(status);
        pipeline p;
        p.col.set_default(reply::redirect(status, "https://collector.example.net/v1/batch"));
        p.start();
        p.track_n(30);
        REQUIRE(p.wait_until([&] { return !p.l.errors_with(reason::config_error).empty(); }));
        p.close_within(1s);
        const auto said = p.l.errors_with(reason::config_error);
        REQUIRE(said.size() == 1);
        CHECK(said[0].http_status == status);
        CHECK(contains(said[0].message, "HTTP " + std::to_string(status) +
                                            ": the collector moved to https://collector.example.net/v1/batch"));
        const auto s = p.stats();
        CHECK(s.by_reason[static_cast<int>(reason::rejected)] == 0);
        CHECK(s.returned == 30);
        p.reconcile();
    }
}

} // TEST_SUITE("faults")
