// The libcurl transport when things go wrong or end: refused connections, timeouts, URLs that
// are not http(s), a proxy, TLS verification, wakeup(), abort_all(), teardown with requests under
// way, and fork().
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

TEST_CASE("a refused connection gives status 0 and a network error without the key") {
    const int port = unused_port();
    auto opts = options_for("http://127.0.0.1:" + std::to_string(port) + "/v1/batch");
    http_transport t(opts);
    auto r = send_one(t, {9, "{}", 0});
    CHECK(r.status == 0);
    CHECK_FALSE(r.timed_out);
    CHECK_FALSE(r.network_error.empty());
    CHECK(r.network_error.find(opts.write_key) == std::string::npos);
    CHECK(r.body.empty());
    CHECK(t.connections_opened() == 0);

    SUBCASE("the key is scrubbed even if an error message happened to contain it") {
        opts.write_key = "127.0.0.1"; // libcurl's message names the host it failed to reach
        http_transport t2(opts);
        auto r2 = send_one(t2, {10, "{}", 0});
        CHECK(r2.status == 0);
        CHECK_FALSE(r2.network_error.empty());
        CHECK(r2.network_error.find("127.0.0.1") == std::string::npos);
    }
}

TEST_CASE("a server slower than request_timeout gives timed_out") {
    test_server server({}, /*gated=*/true); // never answers until the test ends
    auto opts = options_for(server.url());
    opts.request_timeout = 300ms;
    http_transport t(opts);
    auto r = send_one(t, {11, "{}", 0});
    CHECK(r.status == 0);
    CHECK(r.timed_out);
    CHECK_FALSE(r.network_error.empty());
    CHECK(server.requests().size() == 1); // it did reach the server: a retry may duplicate
}

TEST_CASE("only http and https URLs are fetched") {
    for (const std::string url : {"file:///etc/hostname", "ftp://127.0.0.1:1/", "gopher://127.0.0.1:1/"}) {
        CAPTURE(url);
        http_transport t(options_for(url));
        auto r = send_one(t, {1, "{}", 0});
        CHECK(r.status == 0);
        CHECK_FALSE(r.network_error.empty());
    }
}

TEST_CASE("an explicit proxy receives the request for the origin") {
    test_server proxy; // a plain HTTP proxy sees "POST http://host/path" and answers itself
    auto opts = options_for("http://seglog-test.invalid/v1/batch");
    opts.proxy = proxy.base();
    http_transport t(opts);
    auto r = send_one(t, {1, R"({"batch":[]})", 0});
    CHECK(r.status == 200);
    auto reqs = proxy.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].header("Host") == "seglog-test.invalid");
    CHECK(reqs[0].path.find("seglog-test.invalid/v1/batch") != std::string::npos);
    CHECK(reqs[0].header("Authorization") == "Basic dGVzdC1rZXktMTIzOg==");
    CHECK(reqs[0].body == R"({"batch":[]})");
}

TEST_CASE("TLS: the server is verified unless verification is explicitly skipped") {
    tls_files tls;
    test_server server({}, false, &tls);
    auto opts = options_for(server.url());
    REQUIRE(opts.url.rfind("https://127.0.0.1:", 0) == 0);

    SUBCASE("a self-signed certificate is refused by default") {
        http_transport t(opts);
        auto r = send_one(t, {1, "{}", 0});
        CHECK(r.status == 0);
        CHECK_FALSE(r.timed_out);
        CHECK(r.network_error.find("certificate") != std::string::npos);
        CHECK(server.requests().empty());
    }
    SUBCASE("ca_bundle makes it trusted") {
        opts.ca_bundle = tls.cert;
        http_transport t(opts);
        auto r = send_one(t, {2, R"({"batch":[1]})", 0});
        CHECK(r.status == 200);
        REQUIRE(server.requests().size() == 1);
        CHECK(server.requests()[0].body == R"({"batch":[1]})");
        CHECK(server.requests()[0].header("Authorization") == "Basic dGVzdC1rZXktMTIzOg==");
    }
    SUBCASE("a trusted certificate for another host name is refused") {
        opts.ca_bundle = tls.cert; // valid for IP 127.0.0.1 only
        opts.url = "https://localhost:" + std::to_string(server.port()) + "/v1/batch";
        http_transport t(opts);
        auto r = send_one(t, {3, "{}", 0});
        CHECK(r.status == 0);
        CHECK(r.network_error.find("certificate") != std::string::npos); // name mismatch
        CHECK(server.requests().empty());
    }
    SUBCASE("insecure_skip_verify accepts it") {
        opts.insecure_skip_verify = true;
        http_transport t(opts);
        CHECK(send_one(t, {4, "{}", 0}).status == 200);
    }
}

TEST_CASE("wakeup() from another thread ends a long poll") {
    http_transport t(options_for("http://127.0.0.1:1/v1/batch"));
    std::promise<std::chrono::steady_clock::duration> returned;
    auto fut = returned.get_future();
    std::thread worker([&] {
        const auto start = std::chrono::steady_clock::now();
        auto r = t.poll(30s);
        CHECK(r.empty());
        returned.set_value(std::chrono::steady_clock::now() - start);
    });
    t.wakeup(); // before or during the poll: either way the poll must not sleep 30 s
    const bool done = fut.wait_for(k_bound) == std::future_status::ready;
    CHECK(done);
    worker.join();
    if (done) CHECK(fut.get() < 30s);
}

TEST_CASE("abort_all cancels running and waiting requests; the transport stays usable") {
    test_server server({}, /*gated=*/true);
    auto opts = options_for(server.url());
    opts.max_in_flight = 1;
    http_transport t(opts);
    t.send({1, "{}", 0});
    t.send({2, "{}", 0}); // waits for the slot
    REQUIRE(drive_until(t, [&] { return server.inside() == 1; }));

    auto ids = t.abort_all();
    std::sort(ids.begin(), ids.end());
    CHECK(ids == std::vector<std::uint64_t>{1, 2});
    CHECK(t.in_flight() == 0);
    CHECK(t.can_send());
    CHECK(t.poll(0ms).empty()); // aborted requests never report

    server.open_gate();
    auto r = send_one(t, {3, "{}", 0});
    CHECK(r.status == 200);
    CHECK(server.requests().size() == 2); // request 2 never left
}

TEST_CASE("transports can be created and destroyed repeatedly, with requests still under way") {
    test_server server({}, /*gated=*/true);
    for (int i = 0; i < 3; ++i) {
        http_transport t(options_for(server.url()));
        t.send({1, "{}", 0});
        REQUIRE(drive_until(t, [&] { return server.inside() == i + 1; }));
    } // destroyed mid-request
    server.open_gate();
    http_transport t(options_for(server.url()));
    CHECK(send_one(t, {2, "{}", 0}).status == 200);
}

TEST_CASE("after fork() the child works with a new transport and leaves the parent's alone") {
    test_server server;
    http_transport parent(options_for(server.url()));
    REQUIRE(send_one(parent, {1, "{}", 0}).status == 200); // a kept-alive connection now exists

    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // The child must not destroy (or use) the inherited transport: its connections are
        // the parent's sockets. It builds its own; _exit skips every destructor.
        int ok = 0;
        {
            http_transport child(options_for(server.url()));
            child.send({2, "{}", 0});
            auto got = drive(child, 1);
            ok = got.size() == 1 && got[0].status == 200 && child.connections_opened() == 1;
        }
        ::_exit(ok ? 0 : 1);
    }
    int status = -1;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);

    // The parent's connection was not disturbed by the child.
    CHECK(send_one(parent, {3, "{}", 0}).status == 200);
    CHECK(parent.connections_opened() == 1);
    CHECK(server.requests().size() == 3);
}

} // TEST_SUITE
