// The libcurl transport against a real HTTP server (cpp-httplib) on 127.0.0.1.
#include <doctest/doctest.h>
#include <httplib.h>
#include <zlib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "retry/retry_policy.h"
#include "transport/http_transport.h"

using namespace std::chrono_literals;
using seglog::detail::http_request;
using seglog::detail::http_response;
using seglog::detail::http_transport;
using seglog::detail::transport_options;

namespace {

// Upper bound for every wait in this file; reaching it means the test failed, not that it was slow.
constexpr auto k_bound = 30s;

struct received_request {
    std::string path;
    std::string body;
    httplib::Headers headers;
    int remote_port = 0;

    std::string header(const std::string &name) const {
        auto it = headers.find(name); // httplib::Headers compares names case-insensitively
        return it == headers.end() ? std::string() : it->second;
    }
    bool has(const std::string &name) const { return headers.count(name) > 0; }
};

// A self-signed certificate for IP 127.0.0.1 (valid 2000-2199, so no clock trouble), written
// to a temporary directory for httplib::SSLServer and CURLOPT_CAINFO.
class tls_files {
public:
    tls_files() {
        char tmpl[] = "/tmp/seglog-transport-tls-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        dir_ = tmpl;
        cert = dir_ + "/cert.pem";
        key = dir_ + "/key.pem";
        std::ofstream(cert) << R"(-----BEGIN CERTIFICATE-----
MIIBgjCCASigAwIBAgIBATAKBggqhkjOPQQDAjAWMRQwEgYDVQQDDAtzZWdsb2ct
dGVzdDAgFw0wMDAxMDEwMDAwMDBaGA8yMTk5MTIzMTIzNTk1OVowFjEUMBIGA1UE
AwwLc2VnbG9nLXRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARhG28DEdNx
c18wnC0EWkHnLPYfGooo/sFOrqEzFYkYADL32zKVc0KU6xoI473o29ZxUHJyQ1nC
9cahGNRYkP11o2UwYzAPBgNVHRMBAf8EBTADAQH/MA8GA1UdEQQIMAaHBH8AAAEw
CwYDVR0PBAQDAgKEMBMGA1UdJQQMMAoGCCsGAQUFBwMBMB0GA1UdDgQWBBRNQiBB
CZ33rGlOROjlWNIekqYujTAKBggqhkjOPQQDAgNIADBFAiEAkEmV1xqYONf3LYyn
el3Mm6bq84I0Yl7KGjAevT1pZRoCIFNEdrPvKv8R+imOUop71g5D+JyxIkpUYduS
UI0vafyV
-----END CERTIFICATE-----
)";
        std::ofstream(key) << R"(-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIDGO+xgcYv8OiolaqQ+Zgangahowg6fZ+4Sof//M74p1oAoGCCqGSM49
AwEHoUQDQgAEYRtvAxHTcXNfMJwtBFpB5yz2HxqKKP7BTq6hMxWJGAAy99sylXNC
lOsaCOO96NvWcVByckNZwvXGoRjUWJD9dQ==
-----END EC PRIVATE KEY-----
)";
    }
    ~tls_files() {
        std::remove(cert.c_str());
        std::remove(key.c_str());
        ::rmdir(dir_.c_str());
    }
    std::string cert, key;

private:
    std::string dir_;
};

// A collector on 127.0.0.1 (HTTPS with `tls`). Every POST is recorded as it arrives; with the gate closed,
// handlers then wait inside the server until open_gate().
class test_server {
public:
    using handler = std::function<void(const httplib::Request &, httplib::Response &)>;

    explicit test_server(handler h = {}, bool gated = false, const tls_files *tls = nullptr)
        : handler_(std::move(h)), scheme_(tls ? "https" : "http"), gate_open_(!gated) {
        if (tls) svr_ = std::make_unique<httplib::SSLServer>(tls->cert.c_str(), tls->key.c_str());
        else svr_ = std::make_unique<httplib::Server>();
        REQUIRE(svr_->is_valid());
        httplib::Server &svr = *svr_;
        svr.set_keep_alive_max_count(1000); // the default (5) would close connections under test
        svr.Post(".*", [this](const httplib::Request &req, httplib::Response &res) { on_post(req, res); });
        port_ = svr.bind_to_any_port("127.0.0.1");
        REQUIRE(port_ > 0);
        thread_ = std::thread([this] { svr_->listen_after_bind(); });
        // The socket already accepts connections (bound and listening); wait for the accept
        // loop only because stop() is a no-op before it runs.
        while (!svr.is_running()) std::this_thread::yield();
    }

    ~test_server() {
        open_gate();
        svr_->stop();
        thread_.join();
    }

    int port() const { return port_; }
    std::string base() const { return scheme_ + "://127.0.0.1:" + std::to_string(port_); }
    std::string url() const { return base() + "/v1/batch"; }

    std::vector<received_request> requests() {
        std::lock_guard<std::mutex> lock(mu_);
        return requests_;
    }
    int inside() {
        std::lock_guard<std::mutex> lock(mu_);
        return inside_;
    }
    int max_inside() {
        std::lock_guard<std::mutex> lock(mu_);
        return max_inside_;
    }
    void open_gate() {
        {
            std::lock_guard<std::mutex> lock(mu_);
            gate_open_ = true;
        }
        cv_.notify_all();
    }

private:
    void on_post(const httplib::Request &req, httplib::Response &res) {
        {
            std::unique_lock<std::mutex> lock(mu_);
            requests_.push_back({req.path, req.body, req.headers, req.remote_port});
            ++inside_;
            max_inside_ = std::max(max_inside_, inside_);
            cv_.wait_for(lock, k_bound, [this] { return gate_open_; });
        }
        if (handler_) handler_(req, res);
        else res.set_content("{}", "application/json");
        std::lock_guard<std::mutex> lock(mu_);
        --inside_;
    }

    std::unique_ptr<httplib::Server> svr_;
    handler handler_;
    std::string scheme_;
    std::thread thread_;
    int port_ = 0;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<received_request> requests_;
    int inside_ = 0;
    int max_inside_ = 0;
    bool gate_open_;
};

transport_options options_for(const std::string &url) {
    transport_options o;
    o.url = url;
    o.write_key = "test-key-123";
    o.user_agent = "seglog/0.1.0-test";
    return o;
}

// Drives the transport until `n` responses arrived (or the bound passed: the caller's checks fail).
std::vector<http_response> drive(http_transport &t, std::size_t n) {
    std::vector<http_response> got;
    const auto deadline = std::chrono::steady_clock::now() + k_bound;
    while (got.size() < n && std::chrono::steady_clock::now() < deadline)
        for (auto &r : t.poll(100ms)) got.push_back(std::move(r));
    return got;
}

// Drives the transport until `done()` holds; returns whether it did within the bound.
template <class Pred>
bool drive_until(http_transport &t, Pred done, std::vector<http_response> *sink = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + k_bound;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        for (auto &r : t.poll(50ms))
            if (sink) sink->push_back(std::move(r));
    }
    return true;
}

http_response send_one(http_transport &t, http_request req) {
    const auto id = req.id;
    t.send(std::move(req));
    auto got = drive(t, 1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].id == id);
    return got[0];
}

// A loopback port with nothing listening: bind to an ephemeral port, then close it.
int unused_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) == 0);
    ::close(fd);
    return ntohs(addr.sin_port);
}

std::string gunzip(const std::string &in) {
    z_stream zs{};
    REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK); // gzip wrapper only
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    std::string out;
    char buf[16384];
    int rc = Z_OK;
    while (rc == Z_OK) {
        zs.next_out = reinterpret_cast<Bytef *>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        out.append(buf, sizeof buf - zs.avail_out);
    }
    inflateEnd(&zs);
    CHECK(rc == Z_STREAM_END);
    return out;
}

std::string sample_body(std::size_t events) {
    std::string s = R"({"batch":[)";
    for (std::size_t i = 0; i < events; ++i) {
        if (i) s += ',';
        s += R"({"type":"track","event":"Order Completed","userId":"u-)" + std::to_string(i) +
             R"(","properties":{"city":"Zürich","note":"ünïcödé ✓"}})";
    }
    return s + R"(],"sentAt":"2024-01-01T00:00:00.000Z"})";
}

} // namespace

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
                 {"ünï", "Basic w7xuw686"},                       // UTF-8 bytes as they are
                 {"", "Basic Og=="}};                             // base64(":")
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
    auto opts = options_for(server.url());
    opts.gzip = true;
    http_transport t(opts);
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
    REQUIRE(drive_until(t, [&] { return server.inside() == 3; }, &got));
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

    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now) == 120000ms); // IMF-fixdate
    CHECK(parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", now) == 60000ms); // RFC 850
    CHECK(parse_retry_after("Wed Oct 21 07:28:10 2015", now) == 10000ms);          // asctime
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now) == 0ms); // past: no wait

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
