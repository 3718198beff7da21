#pragma once
// Shared by the collector suites (collector_*_test.cpp): events and batches to post, gzip, an
// httplib client for a collector, and a raw exchange on a socket for requests httplib will not send.
#include "collector.h"

#include <doctest/doctest.h>
#include <httplib.h>
#include <zlib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <thread>

namespace seglog_test {

using seglog::loopback::collector;
using seglog::loopback::collector_options;
using seglog::loopback::reply;
using namespace std::chrono_literals;

inline constexpr auto patience = std::chrono::milliseconds(10000); // a deadline, never a measurement

inline nlohmann::json event(const std::string &id, nlohmann::json props = nlohmann::json::object()) {
    return {{"type", "track"},
            {"event", "Order Completed"},
            {"userId", "u-42"},
            {"messageId", id},
            {"properties", std::move(props)}};
}

inline std::string batch(const std::vector<nlohmann::json> &events) {
    return nlohmann::json{{"batch", events}, {"sentAt", "2026-01-01T00:00:00.000Z"}}.dump();
}

inline std::string batch_of(std::initializer_list<const char *> ids) {
    std::vector<nlohmann::json> events;
    for (auto id : ids) events.push_back(event(id));
    return batch(events);
}

inline std::string gzip(const std::string &in) {
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef *>(&out[0]);
    zs.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

// httplib's client writes headers and body separately: TCP_NODELAY spares it Nagle's wait.
inline httplib::Client client_of(const collector &c) {
    httplib::Client cli(c.url());
    cli.set_tcp_nodelay(true);
    return cli;
}

inline httplib::Result post(httplib::Client &cli, const std::string &body, httplib::Headers headers = {}) {
    return cli.Post("/v1/batch", headers, body, "application/json");
}

inline httplib::Result post(const collector &c, const std::string &body, httplib::Headers headers = {}) {
    auto cli = client_of(c);
    return post(cli, body, std::move(headers));
}

// Whether `answer` holds a whole final response: its head and as many body bytes as its
// Content-Length says (after any 100 Continue).
inline bool complete(const std::string &answer) {
    std::size_t start = 0;
    while (answer.compare(start, 13, "HTTP/1.1 100 ") == 0) {
        const auto end = answer.find("\r\n\r\n", start);
        if (end == std::string::npos) return false;
        start = end + 4;
    }
    const auto head_end = answer.find("\r\n\r\n", start);
    if (head_end == std::string::npos) return false;
    const auto length = answer.find("Content-Length: ", start);
    if (length == std::string::npos || length > head_end) return true;
    return answer.size() - (head_end + 4) >= std::stoul(answer.substr(length + 16));
}

// Sends `text` on a new connection to the collector and returns what it answers: everything
// until it closes the connection, or its first whole response if it keeps it open.
inline std::string raw_exchange(const collector &c, const std::string &text) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(c.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0);
    const timeval deadline{10, 0}; // a deadline, never a measurement
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
    REQUIRE(::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size()));
    std::string answer;
    char buf[4096];
    for (ssize_t n; !complete(answer) && (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
        answer.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return answer;
}

} // namespace seglog_test
