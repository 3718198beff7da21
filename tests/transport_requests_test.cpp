// The libcurl transport against a real HTTP server (cpp-httplib) on 127.0.0.1: what a request
// carries (headers, the Authorization header, gzip), kept-alive connections, max_in_flight,
// statuses and Retry-After.
#include "transport_checks.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "retry/retry_policy.h"
#include "transport/http_transport.h"

using namespace std::chrono_literals;
using namespace seglog_test;

TEST_SUITE("transport") {

TEST_CASE("POST carries the exact headers and the body intact") {
    test_server server;
    http_transport t(options_for(server.url()));
    const std::string body = sample_body(2000); // ~200 KB: large enough that curl would use Expect

    auto first = send_one(t, {1, body, 0});
    CHECK(first.status == 200);
    CHECK(first.network_error.empty());
    CHECK_FALSE(first.timed_out);
    CHECK(first.body == "{}");
    CHECK(first.bytes_sent == body.size());
    CHECK(first.duration.count() > 0);

    auto retry = send_one(t, {2, R"({"batch":[]})", 3});
    CHECK(retry.status == 200);

    auto reqs = server.requests();
    REQUIRE(reqs.size() == 2);
    const auto &a = reqs[0];
    CHECK(a.path == "/v1/batch");
    CHECK(a.body == body);
    CHECK(a.header("Authorization") == "Basic dGVzdC1rZXktMTIzOg=="); // base64("test-key-123:")
    CHECK(a.header("Content-Type") == "application/json");
    CHECK(a.header("User-Agent") == "seglog/0.1.0-test");
    CHECK_FALSE(a.has("Expect"));
    CHECK_FALSE(a.has("Content-Encoding"));
    CHECK_FALSE(a.has("X-Retry-Count"));

    const auto &b = reqs[1];
    CHECK(b.body == R"({"batch":[]})");
    CHECK(b.header("X-Retry-Count") == "3");
    CHECK(b.header("Authorization") == "Basic dGVzdC1rZXktMTIzOg==");
}

TEST_CASE("the Authorization header encodes any key, and a key cannot inject headers") {
    test_server server;
    struct {
        std::string key, expected;
    } cases[] = {{"k\r\nX-Evil: 1", "Basic aw0KWC1FdmlsOiAxOg=="}, // base64("k\r\nX-Evil: 1:")
                 {"ünï", "Basic w7xuw686"},                        // UTF-8 bytes as they are
                 {"", "Basic Og=="}};                              // base64(":")
    std::uint64_t id = 0;
    for (const auto &c : cases) {
        CAPTURE(c.key);
        auto opts = options_for(server.url());
        opts.write_key = c.key;
        http_transport t(opts);
        CHECK(send_one(t, {++id, "{}", 0}).status == 200);
        auto reqs = server.requests();
        REQUIRE(reqs.size() == id);
        CHECK(reqs.back().header("Authorization") == c.expected);
        CHECK_FALSE(reqs.back().has("X-Evil"));
    }
}

TEST_CASE("gzip: the server inflates exactly the body that was sent") {
    test_server server;
    http_transport t(gzip_options_for(server.url()));
    const std::string body = sample_body(500);

    auto r = send_one(t, {7, body, 0});
    CHECK(r.status == 200);
    // What went on the wire is the compressed form, and it is smaller.
    CHECK(r.bytes_sent == seglog::detail::gzip_compress(body).size());
    CHECK(r.bytes_sent < body.size());

    auto reqs = server.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].header("Content-Encoding") == "gzip");
    CHECK(reqs[0].header("Content-Type") == "application/json");
    // cpp-httplib (built with zlib) inflates Content-Encoding: gzip request bodies itself.
    CHECK(reqs[0].body == body);
}

TEST_CASE("a finished request's body buffer is kept, one at a time, for the next body") {
    test_server server;
    http_transport t(options_for(server.url()));
    CHECK(t.spare_body().capacity() < 1000); // nothing finished yet: no buffer to give

    const std::string big = sample_body(1000), small = sample_body(10);
    REQUIRE(send_one(t, {1, big, 0}).status == 200);
    std::string spare = t.spare_body();
    CHECK(spare.empty());
    CHECK(spare.capacity() >= big.size());
    CHECK(t.spare_body().capacity() < 1000); // given once

    // The buffer carries the next body; the larger of two finished ones is the one kept.
    spare.assign(small);
    REQUIRE(send_one(t, {2, std::move(spare), 0}).status == 200);
    REQUIRE(send_one(t, {3, sample_body(5), 0}).status == 200);
    CHECK(t.spare_body().capacity() >= big.size());
    auto reqs = server.requests();
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[1].body == small);
}

TEST_CASE("with gzip, the plain body's buffer is kept once compressed bodies are known to be taken") {
    test_server server;
    http_transport t(gzip_options_for(server.url()));
    const std::string body = sample_body(1000);

    // The first compressed body could be refused (then its plain form is sent): its plain body
    // stays with the request until the answer, and comes back with it.
    REQUIRE(send_one(t, {1, body, 0}).status == 200);
    CHECK(t.spare_body().capacity() >= body.size());
    // Compression known to be taken: the plain body is done with as soon as it is compressed.
    t.send({2, body, 0});
    CHECK(t.spare_body().capacity() >= body.size());
    REQUIRE(drive(t, 1).size() == 1);
    auto reqs = server.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[1].body == body);
}

TEST_CASE("gzip_compress round-trips through zlib") {
    for (const std::string &in : {std::string(), std::string("x"), sample_body(100), std::string(1 << 20, 'a')}) {
        const auto z = seglog::detail::gzip_compress(in);
        REQUIRE(z.size() >= 18);
        CHECK(static_cast<unsigned char>(z[0]) == 0x1f); // gzip magic
        CHECK(static_cast<unsigned char>(z[1]) == 0x8b);
        CHECK(gunzip(z) == in);
    }
    std::string noise(100000, '\0');
    std::uint32_t x = 12345;
    for (auto &c : noise) c = static_cast<char>((x = x * 1103515245u + 12345u) >> 24);
    CHECK(gunzip(seglog::detail::gzip_compress(noise)) == noise);
}

TEST_CASE("sequential requests reuse one kept-alive connection") {
    test_server server;
    http_transport t(options_for(server.url()));
    for (std::uint64_t i = 1; i <= 5; ++i) CHECK(send_one(t, {i, "{}", 0}).status == 200);

    CHECK(t.connections_opened() == 1);
    std::set<int> ports;
    for (const auto &r : server.requests()) ports.insert(r.remote_port);
    CHECK(server.requests().size() == 5);
    CHECK(ports.size() == 1);
}

TEST_CASE("at most max_in_flight requests run at once; the rest wait their turn") {
    test_server server({}, /*gated=*/true);
    auto opts = options_for(server.url());
    opts.max_in_flight = 3;
    http_transport t(opts);

    CHECK(t.can_send());
    for (std::uint64_t i = 1; i <= 5; ++i) t.send({i, "{}", 0});
    CHECK(t.in_flight() == 5);
    CHECK_FALSE(t.can_send());

    // All three slots are inside the server at the same time (handlers hold them there).
    std::vector<http_response> got;
    REQUIRE(drive_until(
        t, [&] { return server.inside() == 3; }, &got));
    CHECK(got.empty());
    server.open_gate();

    for (auto &r : drive(t, 5 - got.size())) got.push_back(std::move(r));
    REQUIRE(got.size() == 5);
    std::set<std::uint64_t> ids;
    for (const auto &r : got) {
        CHECK(r.status == 200);
        ids.insert(r.id);
    }
    CHECK(ids == std::set<std::uint64_t>{1, 2, 3, 4, 5});
    CHECK(server.max_inside() == 3);
    CHECK(t.in_flight() == 0);
    CHECK(t.can_send());
}

TEST_CASE("status, Retry-After (any case) and a truncated response body are reported") {
    test_server server([](const httplib::Request &req, httplib::Response &res) {
        if (req.path == "/429") {
            res.status = 429;
            res.set_header("retry-AFTER", "7");
            res.set_content("slow down", "text/plain");
        } else if (req.path == "/503") {
            res.status = 503;
        } else {
            res.status = 400;
            res.set_content(std::string(10000, 'e'), "text/plain");
        }
    });
    auto opts = options_for(server.base() + "/429");
    http_transport t429(opts);
    auto r = send_one(t429, {1, "{}", 0});
    CHECK(r.status == 429);
    REQUIRE(r.retry_after.has_value());
    CHECK(*r.retry_after == "7");
    CHECK(r.body == "slow down");
    CHECK(r.network_error.empty());

    opts.url = server.base() + "/503";
    http_transport t503(opts);
    r = send_one(t503, {2, "{}", 0});
    CHECK(r.status == 503);
    CHECK_FALSE(r.retry_after.has_value());

    opts.url = server.base() + "/400";
    http_transport t400(opts);
    r = send_one(t400, {3, "{}", 0});
    CHECK(r.status == 400);
    CHECK(r.body == std::string(4096, 'e'));
}

TEST_CASE("parse_retry_after: delta-seconds, HTTP-date, and what is rejected") {
    using seglog::detail::parse_retry_after;
    // Wed, 21 Oct 2015 07:28:00 GMT
    const auto now = std::chrono::system_clock::from_time_t(1445412480);

    CHECK(parse_retry_after("0", now) == 0ms);
    CHECK(parse_retry_after("120", now) == 120000ms);
    CHECK(parse_retry_after("  30 \r\n", now) == 30000ms);

    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now) == 120000ms);    // IMF-fixdate
    CHECK(parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", now) == 60000ms); // RFC 850
    CHECK(parse_retry_after("Wed Oct 21 07:28:10 2015", now) == 10000ms);          // asctime
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now) == 0ms);         // past: no wait

    for (const char *bad : {"", "   ", "soon", "-1", "-30", "+5", "1.5", "12abc", "5 s", "0x10"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_retry_after(bad, now).has_value());
    }

    // Huge values saturate instead of overflowing; the retry policy caps them further.
    const auto huge = parse_retry_after("99999999999999999999999999999", now);
    REQUIRE(huge.has_value());
    CHECK(*huge >= std::chrono::milliseconds(std::chrono::hours(24 * 365)));
    CHECK(huge == parse_retry_after("1000000000", now));
    const auto far_date = parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now);
    REQUIRE(far_date.has_value());
    CHECK(*far_date == *huge);
}

} // TEST_SUITE
