#include "http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace seglog::loopback::detail {

namespace {

constexpr std::size_t max_head_bytes = 64 * 1024; // request line and headers

bool iequals(const std::string &a, const std::string &b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

std::string lower(std::string s) {
    for (auto &c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trimmed(const std::string &s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

int poll_one(int fd, short events, int timeout_ms) {
    pollfd p{fd, events, 0};
    int r;
    do { r = ::poll(&p, 1, timeout_ms); } while (r < 0 && errno == EINTR);
    return r;
}

int millis(std::chrono::milliseconds d) { return static_cast<int>(std::min<long long>(d.count(), 1 << 30)); }

std::string endpoint_of(const sockaddr_storage &ss) {
    char ip[INET6_ADDRSTRLEN] = {};
    int port = 0;
    if (ss.ss_family == AF_INET) {
        const auto &a = reinterpret_cast<const sockaddr_in &>(ss);
        inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
        port = ntohs(a.sin_port);
    } else if (ss.ss_family == AF_INET6) {
        const auto &a = reinterpret_cast<const sockaddr_in6 &>(ss);
        inet_ntop(AF_INET6, &a.sin6_addr, ip, sizeof ip);
        port = ntohs(a.sin6_port);
    }
    return std::string(ip) + ":" + std::to_string(port);
}

const char *reason_phrase(int status) {
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

bool send_all(int fd, const std::string &data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

// Reads from a connection into `buffered`, which keeps what was read past one request.
class reader {
public:
    reader(int fd, std::string &buffered, std::chrono::milliseconds timeout)
        : fd_(fd), buf_(buffered), timeout_ms_(millis(timeout)) {}

    // More bytes appended to the buffer; false on timeout, hang-up or error.
    bool fill() {
        if (poll_one(fd_, POLLIN, timeout_ms_) <= 0) return false;
        char chunk[16384];
        ssize_t n;
        do { n = ::recv(fd_, chunk, sizeof chunk, 0); } while (n < 0 && errno == EINTR);
        if (n <= 0) return false;
        buf_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }
    // The next line (without CRLF), reading as needed; false past `limit` bytes or on failure.
    bool line(std::string &out, std::size_t limit) {
        std::size_t eol;
        while ((eol = buf_.find("\r\n")) == std::string::npos) {
            if (buf_.size() > limit || !fill()) return false;
        }
        out = buf_.substr(0, eol);
        buf_.erase(0, eol + 2);
        return true;
    }
    // Exactly n bytes appended to `out`.
    bool take(std::size_t n, std::string &out) {
        while (buf_.size() < n)
            if (!fill()) return false;
        out.append(buf_, 0, n);
        buf_.erase(0, n);
        return true;
    }

private:
    int fd_;
    std::string &buf_;
    int timeout_ms_;
};

bool read_chunked(reader &in, std::string &body, std::size_t max_bytes, bool &too_large) {
    for (;;) {
        std::string size_line;
        if (!in.line(size_line, 1024)) return false;
        std::size_t size = 0;
        std::size_t i = 0;
        for (; i < size_line.size() && std::isxdigit(static_cast<unsigned char>(size_line[i])); ++i) {
            if (size > (max_bytes >> 4)) {
                too_large = true;
                return false;
            }
            const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(size_line[i])));
            size = size * 16 + static_cast<std::size_t>(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        if (i == 0) return false; // no size: not chunked encoding
        if (size == 0) break;
        if (body.size() + size > max_bytes) {
            too_large = true;
            return false;
        }
        std::string crlf;
        if (!in.take(size, body) || !in.take(2, crlf) || crlf != "\r\n") return false;
    }
    for (std::string trailer;;) { // trailers, up to the empty line
        if (!in.line(trailer, max_head_bytes)) return false;
        if (trailer.empty()) return true;
    }
}

std::string response_head(int status, const header_list &headers, std::size_t body_bytes, bool has_body,
                          bool keep_alive) {
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
    for (const auto &[name, value] : headers) head += name + ": " + value + "\r\n";
    if (has_body) head += "Content-Length: " + std::to_string(body_bytes) + "\r\n";
    head += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    return head;
}

} // namespace

std::string http_request::header(const std::string &name) const {
    for (const auto &[k, v] : headers)
        if (iequals(k, name)) return v;
    return {};
}

connection::waited connection::wait(std::chrono::milliseconds d) const {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + d;
    for (;;) {
        if (stopping_) return waited::stopped;
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
        if (left.count() <= 0) return waited::elapsed;
        // POLLRDHUP: the client's FIN; POLLHUP: our own shutdown() from stop().
        pollfd p{fd_, POLLRDHUP, 0};
        const int r = ::poll(&p, 1, millis(left));
        if (r < 0 && errno != EINTR) return waited::client_gone;
        if (r > 0) return stopping_ ? waited::stopped : waited::client_gone;
    }
}

bool connection::client_gone() const {
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

http_server::http_server(server_options options, handler on_request, opener on_open)
    : options_(std::move(options)), on_request_(std::move(on_request)), on_open_(std::move(on_open)) {}

http_server::~http_server() { stop(); }

void http_server::start() {
    if (running_) return;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo *found = nullptr;
    const std::string where = options_.host + ":" + std::to_string(options_.port);
    if (::getaddrinfo(options_.host.c_str(), std::to_string(options_.port).c_str(), &hints, &found) != 0 || !found)
        throw std::runtime_error("collector: cannot resolve " + options_.host);
    int fd = -1;
    for (addrinfo *a = found; a && fd < 0; a = a->ai_next) {
        fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        // Only SO_REUSEADDR: rebinding over TIME_WAIT after stop() works, while a second
        // listener on the port is refused (no SO_REUSEPORT).
        int yes = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
            ::close(fd);
            fd = -1;
        }
    }
    ::freeaddrinfo(found);
    if (fd < 0) throw std::runtime_error("collector: cannot bind " + where);
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&bound), &len);
    options_.port = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6 &>(bound).sin6_port)
                                                : ntohs(reinterpret_cast<sockaddr_in &>(bound).sin_port);
    listen_fd_ = fd;
    stopping_ = false;
    // The socket is listening: connections queue in the backlog until accept runs.
    for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.threads); ++i)
        workers_.emplace_back([this] { worker_loop(); });
    acceptor_ = std::thread([this] { accept_loop(); });
    running_ = true;
}

void http_server::stop() {
    if (!running_) return;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
        for (int fd : open_) ::shutdown(fd, SHUT_RDWR); // wakes idle and waiting connections
    }
    queued_.notify_all();
    ::shutdown(listen_fd_, SHUT_RDWR); // ends accept()
    acceptor_.join();
    for (auto &w : workers_) w.join();
    workers_.clear();
    ::close(listen_fd_);
    listen_fd_ = -1;
    for (int fd : waiting_) ::close(fd); // accepted, never served
    waiting_.clear();
    running_ = false;
}

void http_server::accept_loop() {
    while (!stopping_) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (stopping_) break;
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE) { // out of descriptors: let connections close
                poll_one(listen_fd_, POLLIN, 10);
                continue;
            }
            break;
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            waiting_.push_back(fd);
        }
        queued_.notify_one();
    }
}

void http_server::worker_loop() {
    for (;;) {
        int fd;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            queued_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
            if (stopping_) return;
            fd = waiting_.front();
            waiting_.pop_front();
        }
        serve(fd);
    }
}

void http_server::serve(int fd) {
    // Status line, headers and body go out in separate writes: without TCP_NODELAY, Nagle
    // against the client's delayed ACK would cost ~40 ms per keep-alive request.
    int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    std::uint64_t id = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!stopping_) id = on_open_();
        if (id) open_.insert(fd);
    }
    bool reset = false;
    if (id) {
        std::string buffered;
        while (!stopping_ && serve_one(fd, id, buffered, reset)) {
        }
        // Removed under the lock before close(): stop() never shuts down a reused fd number.
        std::lock_guard<std::mutex> lock(mutex_);
        open_.erase(fd);
    }
    if (reset) {
        linger l{1, 0}; // close() now sends RST instead of FIN
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    } else {
        ::shutdown(fd, SHUT_RDWR);
    }
    ::close(fd);
}

namespace {

// What reading a part of a request came to: read, the connection gone (close, answer
// nothing), or a refusal with its status and reason.
struct outcome {
    int status = 0; // 0: read; -1: gone
    const char *why = nullptr;
};
constexpr outcome read_ok{0, nullptr};
constexpr outcome gone{-1, nullptr};

// The request line and the headers.
outcome read_head(reader &in, http_request &req, bool &http10) {
    std::string line;
    if (!in.line(line, max_head_bytes)) return gone; // the client left (or sent nothing usable)
    const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
    if (sp1 == std::string::npos || sp2 == sp1 || line.compare(sp2 + 1, 7, "HTTP/1.") != 0)
        return {400, "malformed request line"};
    req.method = line.substr(0, sp1);
    const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    req.path = target.substr(0, target.find('?'));
    http10 = line.compare(sp2 + 1, std::string::npos, "HTTP/1.0") == 0;
    for (std::size_t head_bytes = line.size();;) {
        if (!in.line(line, max_head_bytes) || (head_bytes += line.size()) > max_head_bytes)
            return {400, "request headers too large or incomplete"};
        if (line.empty()) return read_ok;
        const auto colon = line.find(':');
        if (colon == std::string::npos || colon == 0) return {400, "malformed header"};
        req.headers.emplace_back(line.substr(0, colon), trimmed(line.substr(colon + 1)));
    }
}

// The body: chunked, or as long as Content-Length says (none: empty).
outcome read_body(reader &in, http_request &req, std::size_t max_bytes) {
    if (lower(req.header("Transfer-Encoding")).find("chunked") != std::string::npos) {
        bool too_large = false;
        if (read_chunked(in, req.body, max_bytes, too_large)) return read_ok;
        return too_large ? outcome{413, "body too large"} : outcome{400, "malformed chunked body"};
    }
    const std::string length = req.header("Content-Length");
    if (length.empty()) return read_ok;
    if (length.find_first_not_of("0123456789") != std::string::npos || length.size() > 18)
        return {400, "malformed Content-Length"};
    const auto n = static_cast<std::size_t>(std::stoull(length));
    if (n > max_bytes) return {413, "body too large"};
    return in.take(n, req.body) ? read_ok : gone;
}

} // namespace

// One request and its answer; false when the connection is to be closed afterwards.
bool http_server::serve_one(int fd, std::uint64_t id, std::string &buffered, bool &reset) {
    // Idle wait for the next request; stop() shuts the socket down to end it.
    if (buffered.empty() && poll_one(fd, POLLIN, millis(options_.keep_alive)) <= 0) return false;
    reader in(fd, buffered, options_.io_timeout);
    http_request req;
    req.connection = id;
    bool http10 = false;
    outcome got = read_head(in, req, http10);
    if (got.status == 0 && lower(req.header("Expect")) == "100-continue" &&
        !send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n"))
        return false;
    if (got.status == 0) got = read_body(in, req, options_.max_body_bytes);
    if (got.status != 0) {
        if (got.status > 0) { // refused: answered, then closed (the rest of the stream is unreadable)
            const std::string body = std::string(R"({"success":false,"error":")") + got.why + "\"}";
            send_all(fd, response_head(got.status, {{"Content-Type", "application/json"}}, body.size(), true, false) +
                             body);
        }
        return false;
    }
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &len) == 0) req.remote = endpoint_of(peer);

    const http_answer answer = on_request_(req, connection(fd, id, stopping_));
    if (answer.reset) {
        reset = true;
        return false;
    }
    const std::string connection_header = lower(req.header("Connection"));
    const bool keep_alive = http10 ? connection_header == "keep-alive" : connection_header != "close";
    // 1xx, 204 and 304 answers have no body, and HEAD is answered without one.
    const bool has_body = !(answer.status < 200 || answer.status == 204 || answer.status == 304);
    std::string out = response_head(answer.status, answer.headers, answer.body.size(), has_body, keep_alive);
    if (has_body && req.method != "HEAD") out += answer.body;
    return send_all(fd, out) && keep_alive;
}

} // namespace seglog::loopback::detail
