// The loopback collector's scripted answers: statuses, Retry-After, delays, resets, a seeded
// failure ratio, poisoned events, and stopping it mid-answer.
#include "collector_requests.h"

using namespace seglog_test;

TEST_CASE("scripted statuses, Retry-After and the default answer") {
    collector c;
    c.script({500, reply::retry_later(429, "3"), reply(200, R"({"success":true})")});
    CHECK(c.script_left() == 3);
    auto cli = client_of(c);

    auto r1 = post(cli, batch_of({"s-1"}));
    REQUIRE(r1);
    CHECK(r1->status == 500);
    CHECK_FALSE(r1->has_header("Retry-After"));

    auto r2 = post(cli, batch_of({"s-1"}));
    REQUIRE(r2);
    CHECK(r2->status == 429);
    CHECK(r2->get_header_value("Retry-After") == "3");

    auto r3 = post(cli, batch_of({"s-1"}));
    REQUIRE(r3);
    CHECK(r3->status == 200);
    CHECK(r3->body == R"({"success":true})");
    CHECK(c.script_left() == 0);

    c.set_default(503);
    auto r4 = post(cli, batch_of({"s-2"}));
    REQUIRE(r4);
    CHECK(r4->status == 503);

    // Only the 2xx answer counts as accepted; failed attempts are not duplicates.
    CHECK(c.unique_count() == 1);
    CHECK(c.duplicate_count() == 0);
    CHECK(c.event_count() == 4);
    auto reqs = c.requests();
    REQUIRE(reqs.size() == 4);
    CHECK(reqs[0].status == 500);
    CHECK(reqs[1].status == 429);
    CHECK(reqs[2].status == 200);
    CHECK(reqs[3].status == 503);

    c.clear_faults();
    auto r5 = post(cli, batch_of({"s-2"}));
    REQUIRE(r5);
    CHECK(r5->status == 200);
}

TEST_CASE("a delay longer than the client's timeout: the client gives up, the batch lands") {
    collector c;
    c.script({reply::delayed(5s)}); // ends early: the collector notices the hang-up
    auto cli = client_of(c);
    cli.set_read_timeout(0, 100 * 1000); // 100 ms, far below the scripted delay

    auto res = post(cli, batch_of({"d-1", "d-2"}));
    CHECK_FALSE(res);
    CHECK(res.error() == httplib::Error::Read);

    REQUIRE(c.wait_for_requests(1, patience));
    auto r = c.requests().at(0);
    CHECK(r.status == 200);
    CHECK(r.client_gone);
    CHECK(c.unique_count() == 2); // as at Segment: processed although nobody heard the answer

    // The client's retry is what creates duplicates.
    auto again = post(cli, batch_of({"d-1", "d-2"}));
    REQUIRE(again);
    CHECK(again->status == 200);
    CHECK(c.unique_count() == 2);
    CHECK(c.duplicate_count() == 2);
}

TEST_CASE("reset: the connection is closed without an answer") {
    collector c;
    c.script({reply::reset()});
    auto cli = client_of(c);
    cli.set_keep_alive(true);

    auto res = post(cli, batch_of({"r-1"}));
    CHECK_FALSE(res);
    CHECK(res.error() == httplib::Error::Read);

    auto r = c.requests().at(0); // recorded before the socket is closed
    CHECK(r.reset);
    CHECK(r.status == 0);
    CHECK(r.message_ids == std::vector<std::string>{"r-1"});
    CHECK_FALSE(c.accepted("r-1"));
    CHECK(c.stats().resets == 1);

    auto retry = post(cli, batch_of({"r-1"})); // a fresh connection works
    REQUIRE(retry);
    CHECK(retry->status == 200);
    CHECK(c.accepted("r-1"));
    CHECK(c.connection_count() == 2);
}

TEST_CASE("fail_ratio answers a seeded, reproducible fraction") {
    collector c;
    c.fail_ratio(0.3, 503, 7);
    auto cli = client_of(c);
    cli.set_keep_alive(true);
    std::vector<int> got;
    for (int i = 0; i < 60; ++i) {
        auto res = post(cli, batch_of({"f"}));
        REQUIRE(res);
        got.push_back(res->status);
    }
    // The same draws, replayed: the collector uses mt19937 + uniform_real_distribution.
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<int> expected;
    for (int i = 0; i < 60; ++i) expected.push_back(u(rng) < 0.3 ? 503 : 200);
    CHECK(got == expected);
    auto failures = std::count(got.begin(), got.end(), 503);
    CHECK(failures > 0);
    CHECK(failures < 60);
}

TEST_CASE("poison: any batch holding the marked event gets 400") {
    collector c;
    c.poison_property("poison");
    c.script({200, 200}); // poison wins over the script, and does not consume it

    auto bad = post(c, batch({event("p-1"), event("p-2", {{"poison", true}}), event("p-3")}));
    REQUIRE(bad);
    CHECK(bad->status == 400);
    CHECK(c.script_left() == 2);

    auto good = post(c, batch({event("p-1"), event("p-3")}));
    REQUIRE(good);
    CHECK(good->status == 200);
    auto alone = post(c, batch({event("p-2", {{"poison", true}})}));
    REQUIRE(alone);
    CHECK(alone->status == 400);
    CHECK(c.accepted_ids() == std::vector<std::string>{"p-1", "p-3"});

    c.poison_if([](const nlohmann::json &e) { return e.value("userId", "") == "u-0"; }, 422);
    auto other = batch({{{"type", "identify"}, {"userId", "u-0"}, {"messageId", "p-4"}}});
    auto res = post(c, other);
    REQUIRE(res);
    CHECK(res->status == 422);
}

TEST_CASE("stop() then start() on the same port") {
    collector c;
    const int port = c.port();
    auto idle = client_of(c); // an idle keep-alive connection must not hold stop() up
    idle.set_keep_alive(true);
    REQUIRE(post(idle, batch_of({"u-1"})));

    c.stop();
    CHECK_FALSE(c.running());
    auto down = post(c, batch_of({"u-2"}));
    CHECK_FALSE(down);
    CHECK(down.error() == httplib::Error::Connection);

    c.start();
    CHECK(c.running());
    CHECK(c.port() == port);
    auto up = post(c, batch_of({"u-2"}));
    REQUIRE(up);
    CHECK(up->status == 200);
    CHECK(c.unique_count() == 2); // records survive a restart

    c.stop();
    c.stop(); // idempotent
}

TEST_CASE("stop() during a scripted delay resets that request") {
    collector c;
    c.script({reply::delayed(60s)});
    std::thread client([&] {
        auto res = post(c, batch_of({"x-1"}));
        CHECK_FALSE(res);
    });
    REQUIRE(c.wait_for([&] { return c.stats().in_flight == 1; }, patience));
    c.stop(); // must not wait out the minute
    client.join();
    auto r = c.requests().at(0);
    INFO("status " << r.status << ", client_gone " << r.client_gone);
    CHECK(r.reset);
    CHECK_FALSE(c.accepted("x-1"));
}
