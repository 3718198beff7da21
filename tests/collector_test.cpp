// The loopback collector itself, driven by a plain HTTP client (httplib::Client).
#include "collector_requests.h"

using namespace seglog_test;

TEST_CASE("records method, path, headers, body, JSON and messageIds") {
    collector c;
    CHECK(c.url() == "http://127.0.0.1:" + std::to_string(c.port()));
    const std::string sent = batch_of({"m-1", "m-2", "m-3"});
    auto res = post(c, sent, {{"Authorization", "Basic d2s6"}, {"X-Retry-Count", "0"}});
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "{}");

    auto reqs = c.requests();
    REQUIRE(reqs.size() == 1);
    const auto &r = reqs[0];
    CHECK(r.method == "POST");
    CHECK(r.path == "/v1/batch");
    CHECK(r.header("authorization") == "Basic d2s6"); // case-insensitive
    CHECK(r.header("CONTENT-TYPE") == "application/json");
    CHECK(r.has_header("x-retry-count"));
    CHECK_FALSE(r.has_header("REMOTE_ADDR")); // httplib's pseudo-headers are not recorded
    CHECK(r.body == sent);
    CHECK(r.wire_bytes == sent.size());
    REQUIRE(r.json_valid);
    CHECK(r.json["batch"].size() == 3);
    CHECK(r.message_ids == std::vector<std::string>{"m-1", "m-2", "m-3"});
    CHECK(r.events == 3);
    CHECK(r.status == 200);
    CHECK_FALSE(r.reset);

    auto s = c.stats();
    CHECK(s.requests == 1);
    CHECK(s.events == 3);
    CHECK(s.unique == 3);
    CHECK(s.duplicates == 0);
    CHECK(s.connections == 1);
    CHECK(s.bytes == sent.size());
    CHECK(c.accepted("m-2"));
    CHECK(c.accepted_ids() == std::vector<std::string>{"m-1", "m-2", "m-3"});
    REQUIRE(c.accepted_events().size() == 3);
    CHECK(c.accepted_events()[0]["userId"] == "u-42");
}

TEST_CASE("gzip bodies are recorded decoded, with their size on the wire") {
    const std::string plain = batch_of({"g-1", "g-2"});
    const std::string packed = gzip(plain);

    SUBCASE("accepted by default") {
        collector c;
        auto res = post(c, packed, {{"Content-Encoding", "gzip"}});
        REQUIRE(res);
        CHECK(res->status == 200);
        auto r = c.requests().at(0);
        CHECK(r.header("content-encoding") == "gzip");
        REQUIRE(packed.size() != plain.size());
        CHECK(r.wire_bytes == packed.size());
        CHECK(r.body == plain);
        CHECK(r.json_valid);
        CHECK(c.unique_count() == 2);
        CHECK(c.stats().bytes == packed.size());
    }
    SUBCASE("refused when the collector does not accept gzip") {
        collector_options o;
        o.accept_gzip = false;
        collector c(o);
        c.script({200});
        auto res = post(c, packed, {{"Content-Encoding", "gzip"}});
        REQUIRE(res);
        CHECK(res->status == 415);
        CHECK(res->body == R"({"error":"gzip not accepted by this collector","success":false})");
        CHECK(c.unique_count() == 0);
        CHECK(c.script_left() == 1); // protocol answers do not consume the script
        const auto r = c.requests().at(0);
        CHECK(r.status == 415);
        CHECK(r.wire_bytes == packed.size());
        CHECK(c.stats().bytes == packed.size());
    }
    SUBCASE("other encodings are refused") {
        collector c;
        for (const char *encoding : {"x-gzip", "deflate", "GZIP", "compress"}) {
            CAPTURE(encoding);
            auto res = post(c, packed, {{"Content-Encoding", encoding}});
            REQUIRE(res);
            CHECK(res->status == 415);
            CHECK(res->body == R"({"error":"unsupported Content-Encoding","success":false})");
        }
        CHECK(c.request_count() == 4);
        CHECK(c.unique_count() == 0);
    }
    SUBCASE("a corrupt gzip body is a 400, recorded") {
        collector c;
        c.script({200});
        // Cut short: what inflates is not JSON. Not gzip at all: httplib refuses it itself.
        for (const std::string &bad : {packed.substr(0, packed.size() / 2), std::string("not gzip at all")}) {
            CAPTURE(bad.size());
            auto res = post(c, bad, {{"Content-Encoding", "gzip"}});
            REQUIRE(res);
            CHECK(res->status == 400);
            CHECK(nlohmann::json::parse(res->body)["success"] == false);
        }
        const auto reqs = c.requests();
        REQUIRE(reqs.size() == 2);
        for (const auto &r : reqs) {
            CHECK(r.status == 400);
            CHECK_FALSE(r.json_valid);
            CHECK(r.events == 0);
            CHECK(r.header("Content-Encoding") == "gzip");
        }
        CHECK(reqs[1].wire_bytes == std::string("not gzip at all").size());
        CHECK(c.event_count() == 0);
        CHECK(c.script_left() == 1);
    }
}

TEST_CASE("invalid JSON and oversized batches get Segment's 400, not a scripted answer") {
    collector c;
    c.script({503});
    auto res = post(c, "{\"batch\": [");
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(c.script_left() == 1);

    std::string big(501 * 1024, 'x');
    res = post(c, batch({event("big-1", {{"blob", big}})}));
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK_FALSE(c.accepted("big-1"));
    CHECK(c.event_count() == 1); // received, not accepted

    res = post(c, batch({event("ok-1"), event("big-2", {{"blob", std::string(33 * 1024, 'y')}})}));
    REQUIRE(res);
    CHECK(res->status == 400); // one event over 32 KB
    CHECK(c.unique_count() == 0);
    CHECK(c.script_left() == 1);
}

TEST_CASE("with write_key, a request without that key gets 401 and nothing is accepted") {
    collector_options o;
    o.write_key = "wk_collector_key_1234";
    collector c(o);
    // base64("wk_collector_key_1234:") and of "wk_other:", computed outside the code under test.
    const httplib::Headers good{{"Authorization", "Basic d2tfY29sbGVjdG9yX2tleV8xMjM0Og=="}};
    const httplib::Headers bad{{"Authorization", "Basic d2tfb3RoZXI6"}};
    auto res = post(c, batch_of({"k-1"}), bad);
    REQUIRE(res);
    CHECK(res->status == 401);
    res = post(c, batch_of({"k-2"}));
    REQUIRE(res);
    CHECK(res->status == 401);
    CHECK(c.unique_count() == 0);
    res = post(c, batch_of({"k-3"}), good);
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(c.accepted_ids() == std::vector<std::string>{"k-3"});
    res = post(c, R"({"batch":[]})", good); // the empty batch `seglog doctor` sends: no event
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(c.event_count() == 3); // received, whatever the answer; the empty batch adds none
}

TEST_CASE("a single-event call is counted as one event") {
    collector c;
    auto cli = client_of(c);
    auto res = cli.Post("/v1/track", event("t-1").dump(), "application/json");
    REQUIRE(res);
    CHECK(res->status == 200);
    auto r = c.requests().at(0);
    CHECK(r.path == "/v1/track");
    CHECK(r.events == 1);
    CHECK(c.accepted("t-1"));
}

TEST_CASE("duplicates are messageIds accepted more than once") {
    collector c;
    auto cli = client_of(c);
    REQUIRE(post(cli, batch_of({"a", "b"})));
    REQUIRE(post(cli, batch_of({"b", "c"})));
    REQUIRE(post(cli, batch_of({"a", "b", "c"})));
    CHECK(c.unique_count() == 3);
    CHECK(c.duplicate_count() == 4);
    CHECK(c.event_count() == 7);
    auto reqs = c.requests();
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[0].duplicates == 0);
    CHECK(reqs[1].duplicates == 1);
    CHECK(reqs[2].duplicates == 3);
    CHECK(c.accepted_ids() == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("connections are counted, keep-alive reuses one") {
    collector c;
    {
        auto cli = client_of(c);
        cli.set_keep_alive(true);
        for (int i = 0; i < 3; ++i) REQUIRE(post(cli, batch_of({"k"})));
    }
    CHECK(c.connection_count() == 1);
    for (int i = 0; i < 2; ++i) REQUIRE(post(c, batch_of({"k"}))); // a client each
    CHECK(c.connection_count() == 3);
    std::set<std::uint64_t> ids;
    for (auto &r : c.requests()) ids.insert(r.connection);
    CHECK(ids.size() == 3);
}

TEST_CASE("wait_for: true when the condition holds, false at the deadline") {
    collector c;
    CHECK_FALSE(c.wait_for_unique(1, 50ms));
    std::thread client([&] {
        for (int i = 0; i < 5; ++i) post(c, batch_of({std::to_string(i).c_str()}));
    });
    CHECK(c.wait_for_unique(5, patience));
    client.join();
    std::atomic<bool> outside{false};
    std::thread flip([&] { outside = true; });
    CHECK(c.wait_for([&] { return outside.load(); }, patience)); // state outside the collector
    flip.join();
}

TEST_CASE("concurrent clients are all recorded") {
    collector c;
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t)
        clients.emplace_back([&c, t] {
            auto cli = client_of(c);
            cli.set_keep_alive(true);
            for (int i = 0; i < 25; ++i) {
                std::string id = std::to_string(t) + "-" + std::to_string(i);
                auto res = post(cli, batch({event(id), event("shared")}));
                CHECK(res);
            }
        });
    for (auto &t : clients) t.join();
    CHECK(c.request_count() == 100);
    CHECK(c.unique_count() == 101);
    CHECK(c.duplicate_count() == 99);
    CHECK(c.connection_count() == 4);
}

TEST_CASE("record_bodies=false keeps counters and ids, drops bodies; observer sees all") {
    collector_options o;
    o.record_bodies = false;
    collector c(o);
    std::atomic<std::size_t> seen_bytes{0};
    c.on_request([&](const seglog::loopback::request &r) { seen_bytes += r.body.size(); });
    const std::string body = batch_of({"n-1"});
    REQUIRE(post(c, body));
    auto r = c.requests().at(0);
    CHECK(r.body.empty());
    CHECK(r.message_ids == std::vector<std::string>{"n-1"});
    CHECK(c.accepted("n-1"));
    CHECK(seen_bytes == body.size());
}

TEST_CASE("keep_requests=false keeps no request; the observer still sees each one whole") {
    collector_options o;
    o.keep_requests = false;
    collector c(o);
    std::mutex m;
    std::vector<seglog::loopback::request> seen;
    c.on_request([&](const seglog::loopback::request &r) {
        std::lock_guard<std::mutex> lk(m);
        seen.push_back(r);
    });
    const std::string body = batch_of({"q-1", "q-2"});
    REQUIRE(post(c, body));
    CHECK(c.requests().empty());
    CHECK(c.request_count() == 1);
    CHECK(c.accepted("q-2"));
    std::lock_guard<std::mutex> lk(m);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].body == body);
    CHECK(seen[0].message_ids == std::vector<std::string>{"q-1", "q-2"});
    CHECK(seen[0].status == 200);
}

TEST_CASE("keep_ids=false counts requests, events and bytes, and keeps no messageId") {
    collector_options o;
    o.keep_ids = false;
    o.count_ids_only = true;
    collector c(o);
    const std::string body = batch_of({"k-1", "k-2"});
    REQUIRE(post(c, body));
    REQUIRE(post(c, body)); // the same ids again: no duplicate is counted either
    auto s = c.stats();
    CHECK(s.requests == 2);
    CHECK(s.events == 4);
    CHECK(s.bytes == 2 * body.size());
    CHECK(s.unique == 0);
    CHECK(s.duplicates == 0);
    CHECK_FALSE(c.accepted("k-1"));
    CHECK(c.accepted_ids().empty());
    CHECK(c.requests().at(1).message_ids == std::vector<std::string>{"k-1", "k-2"}); // the request's own
}

TEST_CASE("count_ids_only finds the same messageIds as the full parse, and no others") {
    collector_options o;
    o.count_ids_only = true;
    o.record_bodies = false;
    collector c(o);
    // Decoys: a nested "messageId" key, strings that look like keys, escapes and backslashes
    // just before a closing quote, whitespace as another client might send it.
    std::vector<nlohmann::json> events;
    events.push_back(event("id-1", {{"messageId", "not-me"}, {"note", "\"messageId\":\"fake\""}}));
    events.push_back(event("id-2", {{"path", "C:\\dir\\"}, {"list", {1, "two", nlohmann::json::object()}}}));
    events.push_back(event("id-\"3\"", {{"batch", {{"messageId", "deeper"}}}}));
    const std::string compact = batch(events);
    REQUIRE(post(c, compact));
    auto r = c.requests().at(0);
    CHECK(r.message_ids == std::vector<std::string>{"id-1", "id-2", "id-\"3\""});
    CHECK(r.events == 3);
    CHECK(r.status == 200);
    const std::string spaced = nlohmann::json{{"sentAt", "x"}, {"batch", {event("id-4"), event("id-5")}}}.dump(2);
    REQUIRE(post(c, spaced));
    CHECK(c.accepted_ids() == std::vector<std::string>{"id-1", "id-2", "id-\"3\"", "id-4", "id-5"});
    auto bad = post(c, "{\"batch\":[{\"messageId\":\"id-6\"}"); // unbalanced
    REQUIRE(bad);
    CHECK(bad->status == 400);
    CHECK_FALSE(c.accepted("id-6"));
    auto escape = post(c, R"({"batch":[{"messageId":"id-\x7"}]})"); // not a JSON escape
    REQUIRE(escape);
    CHECK(escape->status == 400);
    CHECK(c.requests().back().status == 400);
}

TEST_CASE("a chunked body after Expect: 100-continue is recorded as the bytes it carries") {
    collector c;
    const std::string body = batch_of({"c-1", "c-2"});
    const std::string half = body.substr(0, body.size() / 2), rest = body.substr(body.size() / 2);
    auto hex = [](std::size_t n) {
        char b[32];
        std::snprintf(b, sizeof b, "%zx", n);
        return std::string(b);
    };
    const std::string answer = raw_exchange(
        c, "POST /v1/batch?x=1 HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
           "Expect: 100-continue\r\nConnection: close\r\n\r\n" +
               hex(half.size()) + "\r\n" + half + "\r\n" + hex(rest.size()) + ";ext=1\r\n" + rest + "\r\n0\r\n\r\n");
    CHECK(answer.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(answer.find("Connection: close\r\n") != std::string::npos);
    CHECK(answer.substr(answer.size() - 2) == "{}");
    const auto r = c.requests().at(0);
    CHECK(r.path == "/v1/batch");
    CHECK(r.body == body);
    CHECK(r.wire_bytes == body.size());
    CHECK(r.message_ids == std::vector<std::string>{"c-1", "c-2"});
    CHECK(c.unique_count() == 2);
}

TEST_CASE("a malformed request gets 400; recorded when its request line and headers could be read") {
    collector c;
    // No request line; then a chunked body whose chunk size is not hexadecimal.
    for (const std::string bad :
         {"NONSENSE\r\n\r\n", "POST /v1/batch HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
        CAPTURE(bad);
        CHECK(raw_exchange(c, bad).rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
    }
    CHECK(c.connection_count() == 2);
    const auto reqs = c.requests(); // not the first
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].method == "POST");
    CHECK(reqs[0].path == "/v1/batch");
    CHECK(reqs[0].status == 400);
    CHECK(reqs[0].events == 0);
    CHECK(c.event_count() == 0);
}
