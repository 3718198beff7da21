#pragma once
// Shared by the transport suites (tests/transport_*_test.cpp): a real HTTP(S) server on
// 127.0.0.1 (cpp-httplib) that records what it received, a certificate made at test time, and
// helpers that drive the transport until its requests are answered.

#include "bounds.h"

#include <doctest/doctest.h>
#include <httplib.h>
#include <zlib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "transport/http_transport.h"

namespace seglog_test {

using namespace std::chrono_literals;

using seglog::detail::http_request;
using seglog::detail::http_response;
using seglog::detail::http_transport;
using seglog::detail::transport_options;

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

inline transport_options options_for(const std::string &url) {
    transport_options o;
    o.url = url;
    o.write_key = "test-key-123";
    o.user_agent = "seglog/0.1.0-test";
    return o;
}

inline transport_options gzip_options_for(const std::string &url) {
    transport_options o = options_for(url);
    o.gzip = true;
    return o;
}

// Drives the transport until `n` responses arrived (or the bound passed: the caller's checks fail).
inline std::vector<http_response> drive(http_transport &t, std::size_t n) {
    std::vector<http_response> got;
    const auto deadline = std::chrono::steady_clock::now() + k_bound;
    while (got.size() < n && std::chrono::steady_clock::now() < deadline)
        for (auto &r : t.poll(100ms)) got.push_back(std::move(r));
    return got;
}

// Drives the transport until `done()` holds; returns whether it did within the bound.
template <class Pred>
inline bool drive_until(http_transport &t, Pred done, std::vector<http_response> *sink = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + k_bound;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        for (auto &r : t.poll(50ms))
            if (sink) sink->push_back(std::move(r));
    }
    return true;
}

inline http_response send_one(http_transport &t, http_request req) {
    const auto id = req.id;
    t.send(std::move(req));
    auto got = drive(t, 1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].id == id);
    return got[0];
}

// A loopback port with nothing listening: bind to an ephemeral port, then close it.
inline int unused_port() {
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

inline std::string gunzip(const std::string &in) {
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

inline std::string sample_body(std::size_t events) {
    std::string s = R"({"batch":[)";
    for (std::size_t i = 0; i < events; ++i) {
        if (i) s += ',';
        s += R"({"type":"track","event":"Order Completed","userId":"u-)" + std::to_string(i) +
             R"(","properties":{"city":"Zürich","note":"ünïcödé ✓"}})";
    }
    return s + R"(],"sentAt":"2024-01-01T00:00:00.000Z"})";
}

} // namespace seglog_test
