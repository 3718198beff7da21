// The loopback collector: cpp-httplib's Server with our own connection loop.
//
// Why we override Server::process_and_close_socket (as httplib's own SSLServer does) instead
// of using the stock one: it gives us the socket of each connection, which the stock Server
// never exposes. With it we count connections exactly, reset one on purpose (SO_LINGER{1,0}
// then close -> RST, no response bytes), and close idle keep-alive connections at stop()
// instead of waiting for their keep-alive timeout. The requests themselves are still parsed
// and answered by httplib (the protected process_request).
//
// Why the Content-Encoding header is moved aside before routing: Debian's libcpp-httplib is
// built with zlib and would gunzip bodies itself, losing the bytes on the wire that tests
// want to see (and the chance to refuse gzip). We gunzip with zlib ourselves.

#include "collector.h"

#include <httplib.h>
#include <zlib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_set>

namespace seglog::testing {

namespace {

constexpr std::size_t max_batch_bytes = 500 * 1024;  // Segment's limits
constexpr std::size_t max_event_bytes = 32 * 1024;
constexpr std::size_t max_batch_events = 2500;

std::string lower_trimmed(std::string s) {
    auto not_space = [](unsigned char c) { return !std::isspace(c); };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
    s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
    for (auto &c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// count_ids_only: the messageIds of a {"batch":[{...},...]} body without a JSON tree. Walks the
// bytes once, skipping strings (escapes included) and tracking nesting, so a "messageId" inside
// a string or a nested object is never taken. `events` counts the batch's object elements and
// `largest` is the byte size of the biggest one. false: not a well-nested batch body.
bool scan_batch_ids(std::string_view b, std::vector<std::string> &ids, std::size_t &events,
                    std::size_t &largest) {
    const char *const begin = b.data();
    const char *const end = begin + b.size();
    std::string stack;  // '{' and '['
    std::string_view key1;  // the latest key of the top-level object
    bool in_batch = false;  // inside the top-level "batch" array
    const char *element_start = begin;
    auto skip_ws = [&](const char *p) {
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
        return p;
    };
    // p at an opening quote: the closing one (a quote after an even run of backslashes), or end.
    auto string_end = [&](const char *p) {
        for (const char *q = p + 1;;) {
            q = static_cast<const char *>(std::memchr(q, '"', static_cast<std::size_t>(end - q)));
            if (!q) return end;
            std::size_t backslashes = 0;
            for (const char *r = q - 1; r > p && *r == '\\'; --r) ++backslashes;
            if (backslashes % 2 == 0) return q;
            ++q;
        }
    };
    for (const char *p = begin; p < end;) {
        const char c = *p;
        if (c == '"') {
            const char *close = string_end(p);
            if (close == end) return false;
            const std::string_view text(p + 1, static_cast<std::size_t>(close - p - 1));
            p = skip_ws(close + 1);
            if (p == end || *p != ':') continue;  // a value, not a key
            if (stack.size() == 1) key1 = text;
            if (stack.size() == 3 && in_batch && text == "messageId") {
                p = skip_ws(p + 1);
                if (p < end && *p == '"') {
                    const char *vclose = string_end(p);
                    if (vclose == end) return false;
                    const std::string_view v(p + 1, static_cast<std::size_t>(vclose - p - 1));
                    if (v.find('\\') == std::string_view::npos) ids.emplace_back(v);
                    else
                        ids.push_back(nlohmann::json::parse(std::string_view(p, static_cast<std::size_t>(vclose - p + 1)))
                                          .get<std::string>());
                    p = vclose + 1;
                }
            }
            continue;
        }
        if (c == '{' || c == '[') {
            if (c == '[' && stack.size() == 1 && key1 == "batch") in_batch = true;
            if (c == '{' && stack.size() == 2 && in_batch) {
                element_start = p;
                ++events;
            }
            stack.push_back(c);
            if (stack.size() > 512) return false;
        } else if (c == '}' || c == ']') {
            if (stack.empty() || stack.back() != (c == '}' ? '{' : '[')) return false;
            stack.pop_back();
            if (c == '}' && stack.size() == 2 && in_batch)
                largest = std::max(largest, static_cast<std::size_t>(p + 1 - element_start));
            if (c == ']' && stack.size() == 1) in_batch = false;
        }
        ++p;
    }
    return stack.empty();
}

// gzip (RFC 1952), several members allowed as gzip(1) does.
bool gunzip(const std::string &in, std::string &out) {
    out.clear();
    if (in.empty()) return false;
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return false;
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    char buf[16384];
    int rc = Z_OK;
    for (;;) {
        zs.next_out = reinterpret_cast<Bytef *>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        out.append(buf, sizeof buf - zs.avail_out);
        if (rc == Z_STREAM_END) {
            if (zs.avail_in == 0) break;
            if (inflateReset(&zs) != Z_OK) break;  // next member
            continue;
        }
        if (rc != Z_OK) break;  // Z_BUF_ERROR here means a truncated stream
    }
    inflateEnd(&zs);
    return rc == Z_STREAM_END;
}

std::string endpoint_of(const sockaddr_storage &ss, int &port) {
    char ip[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET) {
        auto &a = reinterpret_cast<const sockaddr_in &>(ss);
        inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
        port = ntohs(a.sin_port);
    } else if (ss.ss_family == AF_INET6) {
        auto &a = reinterpret_cast<const sockaddr_in6 &>(ss);
        inet_ntop(AF_INET6, &a.sin6_addr, ip, sizeof ip);
        port = ntohs(a.sin6_port);
    }
    return ip;
}

int poll_one(int fd, short events, int timeout_ms) {
    pollfd p{fd, events, 0};
    int r;
    do { r = ::poll(&p, 1, timeout_ms); } while (r < 0 && errno == EINTR);
    return r;
}

int to_ms(time_t sec, time_t usec) { return static_cast<int>(sec * 1000 + usec / 1000); }

// State of one TCP connection, reachable from the handler through a thread_local: httplib
// runs all requests of a connection on the thread that called process_and_close_socket.
struct connection_state {
    int fd = -1;
    std::uint64_t id = 0;
    bool reset = false;            // the handler chose to reset: write nothing, RST on close
    std::string content_encoding;  // moved out of the headers before httplib reads the body
};
thread_local connection_state *current_connection = nullptr;

// httplib's SocketStream is not in the public header, so a small buffered equivalent.
// (httplib reads the request line one byte at a time, hence the buffer.)
class socket_stream final : public httplib::Stream {
public:
    socket_stream(connection_state &conn, int read_ms, int write_ms)
        : conn_(conn), read_ms_(read_ms), write_ms_(write_ms) {}

    bool has_buffered() const { return pos_ < len_; }

    bool is_readable() const override {
        return has_buffered() || poll_one(conn_.fd, POLLIN, read_ms_) > 0;
    }
    bool is_writable() const override {
        return !conn_.reset && poll_one(conn_.fd, POLLOUT, write_ms_) > 0;
    }
    ssize_t read(char *ptr, size_t size) override {
        if (!has_buffered()) {
            if (!is_readable()) return -1;
            char *dst = size >= sizeof buf_ ? ptr : buf_;  // big reads bypass the buffer
            ssize_t n;
            do { n = ::recv(conn_.fd, dst, dst == ptr ? size : sizeof buf_, 0); }
            while (n < 0 && errno == EINTR);
            if (n <= 0 || dst == ptr) return n;
            pos_ = 0;
            len_ = static_cast<size_t>(n);
        }
        size_t k = std::min(size, len_ - pos_);
        std::memcpy(ptr, buf_ + pos_, k);
        pos_ += k;
        return static_cast<ssize_t>(k);
    }
    ssize_t write(const char *ptr, size_t size) override {
        if (!is_writable()) return -1;  // also how a reset suppresses the response
        ssize_t n;
        do { n = ::send(conn_.fd, ptr, size, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
        return n;
    }
    void get_remote_ip_and_port(std::string &ip, int &port) const override {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        if (::getpeername(conn_.fd, reinterpret_cast<sockaddr *>(&ss), &len) == 0)
            ip = endpoint_of(ss, port);
    }
    void get_local_ip_and_port(std::string &ip, int &port) const override {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        if (::getsockname(conn_.fd, reinterpret_cast<sockaddr *>(&ss), &len) == 0)
            ip = endpoint_of(ss, port);
    }
    socket_t socket() const override { return conn_.fd; }

private:
    connection_state &conn_;
    int read_ms_, write_ms_;
    char buf_[4096];
    size_t pos_ = 0, len_ = 0;
};

class server;

}  // namespace

bool ci_less::operator()(const std::string &a, const std::string &b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
        [](unsigned char x, unsigned char y) { return std::tolower(x) < std::tolower(y); });
}

std::string request::header(const std::string &name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
}
bool request::has_header(const std::string &name) const { return headers.count(name) > 0; }

struct collector::impl {
    explicit impl(collector_options o) : opt(std::move(o)), port(opt.port) {}

    collector_options opt;
    int port;

    // lifecycle
    std::mutex lifecycle_mutex;  // serialises start/stop
    std::unique_ptr<server> srv;
    std::thread thread;
    std::atomic<bool> thread_done{false};
    std::atomic<bool> stopping{false};
    std::atomic<bool> up{false};

    // open connections, so stop() can shut them down (which also ends scripted delays)
    std::mutex conn_mutex;
    std::set<int> open_fds;
    std::uint64_t next_connection = 0;

    // faults and records
    mutable std::mutex mutex;
    std::deque<reply> script;
    reply default_reply;
    double ratio = 0;
    reply failure{500};
    std::mt19937 rng{42};
    std::vector<std::pair<std::function<bool(const nlohmann::json &)>, reply>> poisons;
    std::vector<request> records;
    std::unordered_set<std::string> accepted_set;
    std::vector<std::string> accepted_order;
    std::vector<nlohmann::json> accepted_events;
    collector_stats st;
    std::function<void(const request &)> observer;

    // wake-ups for wait_for
    std::mutex notify_mutex;
    std::condition_variable notify_cv;
    std::uint64_t generation = 0;

    void signal() {
        {
            std::lock_guard<std::mutex> lk(notify_mutex);
            ++generation;
        }
        notify_cv.notify_all();
    }

    std::uint64_t open_connection(int fd) {
        std::lock_guard<std::mutex> lk(conn_mutex);
        if (stopping) return 0;
        open_fds.insert(fd);
        {
            std::lock_guard<std::mutex> lk2(mutex);
            ++st.connections;
        }
        return ++next_connection;
    }
    void close_connection(int fd) {
        // Removed under the lock before close(): stop() never shuts down a reused fd number.
        std::lock_guard<std::mutex> lk(conn_mutex);
        open_fds.erase(fd);
    }

    enum class waited { elapsed, client_gone, stopped };
    // A scripted delay. It ends early when the client hangs up (it timed out: nobody is
    // left to answer, and tests need not sit out long delays) or when stop() shuts the
    // socket down.
    waited delay(int fd, std::chrono::milliseconds d) {
        using clock = std::chrono::steady_clock;
        const auto deadline = clock::now() + d;
        for (;;) {
            if (stopping) return waited::stopped;
            auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
            if (left.count() <= 0) return waited::elapsed;
            // POLLRDHUP: the peer's FIN; POLLHUP: our own shutdown() from stop().
            pollfd p{fd, POLLRDHUP, 0};
            int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1 << 30)));
            if (r < 0 && errno != EINTR) return waited::client_gone;
            if (r > 0) return stopping ? waited::stopped : waited::client_gone;
        }
    }

    reply choose(const std::vector<const nlohmann::json *> &events);
    void handle(const httplib::Request &req, httplib::Response &res);
    void start();
    void stop();
    void stop_locked();
};

namespace {

class server final : public httplib::Server {
public:
    explicit server(collector::impl &owner) : owner_(owner) {}

private:
    bool process_and_close_socket(socket_t sock) override {
        connection_state conn;
        conn.fd = sock;
        // httplib writes status line, headers and body separately: without TCP_NODELAY,
        // Nagle against the client's delayed ACK costs ~40 ms per keep-alive request.
        int yes = 1;
        ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
        conn.id = owner_.open_connection(sock);
        if (conn.id != 0) {
            current_connection = &conn;
            socket_stream strm(conn, to_ms(read_timeout_sec_, read_timeout_usec_),
                               to_ms(write_timeout_sec_, write_timeout_usec_));
            const int idle_ms = static_cast<int>(owner_.opt.keep_alive.count() * 1000);
            auto setup = [&conn](httplib::Request &req) {
                conn.content_encoding = req.get_header_value("Content-Encoding");
                req.headers.erase("Content-Encoding");  // we decode; httplib must not
            };
            while (!owner_.stopping) {
                // Idle wait for the next request; stop() shuts the socket down to end it.
                if (!strm.has_buffered() && poll_one(sock, POLLIN, idle_ms) <= 0) break;
                if (owner_.stopping) break;
                bool closed = false;
                conn.content_encoding.clear();
                if (!process_request(strm, false, closed, setup) || closed || conn.reset) break;
            }
            current_connection = nullptr;
            owner_.close_connection(sock);
        }
        if (conn.reset) {
            linger l{1, 0};  // close() now sends RST instead of FIN
            ::setsockopt(sock, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        } else {
            ::shutdown(sock, SHUT_RDWR);
        }
        ::close(sock);
        return true;
    }

    collector::impl &owner_;
};

}  // namespace

reply collector::impl::choose(const std::vector<const nlohmann::json *> &events) {
    decltype(poisons) poison_copy;
    {
        std::lock_guard<std::mutex> lk(mutex);
        poison_copy = poisons;
    }
    // Predicates run unlocked: they are test code and may be slow or call accessors.
    for (auto &[pred, r] : poison_copy)
        for (auto *e : events)
            if (pred(*e)) return r;
    std::lock_guard<std::mutex> lk(mutex);
    if (!script.empty()) {
        reply r = std::move(script.front());
        script.pop_front();
        return r;
    }
    if (ratio > 0 && std::uniform_real_distribution<double>(0.0, 1.0)(rng) < ratio)
        return failure;
    return default_reply;
}

void collector::impl::handle(const httplib::Request &req, httplib::Response &res) {
    connection_state *conn = current_connection;
    request rec;
    rec.method = req.method;
    rec.path = req.path;
    for (auto &[k, v] : req.headers) {
        // httplib adds these pseudo-headers; they were not sent
        if (k == "REMOTE_ADDR" || k == "REMOTE_PORT" || k == "LOCAL_ADDR" || k == "LOCAL_PORT")
            continue;
        rec.headers.emplace(k, v);
    }
    const std::string encoding = conn ? conn->content_encoding : std::string();
    if (!encoding.empty()) rec.headers.emplace("Content-Encoding", encoding);
    rec.connection = conn ? conn->id : 0;
    rec.remote = req.remote_addr + ":" + std::to_string(req.remote_port);
    rec.raw_body = req.body;

    // Protocol errors are answered as Segment would, without consuming the script.
    bool protocol_error = false;
    reply answer;
    auto refuse = [&](int status, const char *why) {
        protocol_error = true;
        answer = reply(status, nlohmann::json{{"success", false}, {"error", why}}.dump());
    };

    const std::string enc = lower_trimmed(encoding);
    if (enc.empty() || enc == "identity") {
        rec.body = req.body;
    } else if (enc == "gzip" || enc == "x-gzip") {
        if (!opt.accept_gzip)
            refuse(415, "gzip not accepted by this collector");
        else if (!gunzip(req.body, rec.body))
            refuse(400, "invalid gzip body");
    } else {
        refuse(415, "unsupported Content-Encoding");
    }

    std::vector<const nlohmann::json *> events;
    std::vector<std::pair<std::string, const nlohmann::json *>> ids;
    std::size_t scanned_events = 0, largest_event = 0;
    if (opt.count_ids_only) {
        std::vector<std::string> found;
        if (!protocol_error && !rec.body.empty() &&
            !scan_batch_ids(rec.body, found, scanned_events, largest_event))
            refuse(400, "invalid JSON");
        for (auto &id : found) ids.emplace_back(std::move(id), nullptr);
    } else if (!protocol_error && !rec.body.empty()) {
        rec.json = nlohmann::json::parse(rec.body, nullptr, false);
        rec.json_valid = !rec.json.is_discarded();
        if (!rec.json_valid) {
            rec.json = nullptr;
            refuse(400, "invalid JSON");
        } else if (rec.json.is_object()) {
            auto batch = rec.json.find("batch");
            if (batch != rec.json.end() && batch->is_array()) {
                for (auto &e : *batch) events.push_back(&e);
            } else if (rec.json.contains("messageId") || rec.json.contains("type")) {
                events.push_back(&rec.json);  // a single-event call (/v1/track, ...)
            }
        }
    }
    for (auto *e : events) {
        if (!e->is_object()) continue;
        auto id = e->find("messageId");
        if (id != e->end() && id->is_string()) ids.emplace_back(id->get<std::string>(), e);
    }
    rec.events = opt.count_ids_only ? scanned_events : events.size();
    for (auto &p : ids) rec.message_ids.push_back(p.first);

    if (!protocol_error && opt.segment_limits) {
        if (rec.body.size() > max_batch_bytes) refuse(400, "batch too large");
        else if (rec.events > max_batch_events) refuse(400, "too many events in batch");
        else if (opt.count_ids_only) {
            if (largest_event > max_event_bytes) refuse(400, "event too large");
        } else if (rec.body.size() > max_event_bytes)  // else no event can be over the limit
            for (auto *e : events)
                if (e->dump().size() > max_event_bytes) {
                    refuse(400, "event too large");
                    break;
                }
    }

    {
        std::lock_guard<std::mutex> lk(mutex);
        ++st.in_flight;
    }
    if (!protocol_error) answer = choose(events);
    bool reset = answer.reset_connection;
    if (answer.delay.count() > 0 && conn) {
        switch (delay(conn->fd, answer.delay)) {
        case waited::stopped: reset = true; break;  // the server went down meanwhile
        case waited::client_gone: rec.client_gone = true; break;
        case waited::elapsed: break;
        }
    }

    if (reset) {
        if (conn) conn->reset = true;
        rec.reset = true;
        rec.status = 0;
        res.status = 500;  // never written: the stream refuses to write after a reset
    } else {
        rec.status = answer.status;
        res.status = answer.status;
        res.set_content(answer.body, "application/json");
        if (!answer.retry_after.empty()) res.set_header("Retry-After", answer.retry_after);
        if (conn && !rec.client_gone) {
            char c;
            ssize_t n = ::recv(conn->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
            rec.client_gone = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
        }
    }

    std::function<void(const request &)> obs;
    {
        std::lock_guard<std::mutex> lk(mutex);
        --st.in_flight;
        ++st.requests;
        st.events += rec.events;
        st.bytes += rec.raw_body.size();
        if (reset) ++st.resets;
        if (!reset && rec.status >= 200 && rec.status < 300) {
            for (auto &[id, e] : ids) {
                if (accepted_set.insert(id).second) {
                    accepted_order.push_back(id);
                    if (opt.record_bodies && e) accepted_events.push_back(*e);
                } else {
                    ++st.duplicates;
                    ++rec.duplicates;
                }
            }
        }
        st.unique = accepted_set.size();
        obs = observer;
        if (opt.keep_requests) {
            request kept = obs ? rec : std::move(rec);  // rec stays whole for the observer
            if (!opt.record_bodies) {
                kept.raw_body.clear();
                kept.body.clear();
                kept.json = nullptr;
            }
            records.push_back(std::move(kept));
        }
    }
    signal();
    if (obs) obs(rec);
}

void collector::impl::start() {
    std::lock_guard<std::mutex> lk(lifecycle_mutex);
    if (srv) return;
    stopping = false;
    auto s = std::make_unique<server>(*this);
    // Only SO_REUSEADDR: rebinding over TIME_WAIT after stop() works, while a second
    // listener on the port is refused (httplib's default SO_REUSEPORT would allow one).
    s->set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    const std::size_t n = std::max<std::size_t>(1, opt.threads);
    s->new_task_queue = [n] { return new httplib::ThreadPool(n); };
    auto h = [this](const httplib::Request &req, httplib::Response &res) { handle(req, res); };
    s->Post(".*", h).Put(".*", h).Patch(".*", h).Delete(".*", h).Get(".*", h);

    if (port == 0) {
        port = s->bind_to_any_port(opt.host);
        if (port <= 0) {
            port = 0;
            throw std::runtime_error("collector: cannot bind " + opt.host);
        }
    } else if (!s->bind_to_port(opt.host, port)) {
        throw std::runtime_error("collector: cannot bind " + opt.host + ":" +
                                 std::to_string(port));
    }
    // The socket is listening now: connections queue in the backlog until accept runs.
    thread_done = false;
    server *raw = s.get();
    thread = std::thread([this, raw] {
        raw->listen_after_bind();
        thread_done = true;
    });
    // Server::stop() is a no-op until the accept loop has started, so wait for it (a few
    // microseconds) to make an immediate stop() reliable.
    while (!raw->is_running() && !thread_done) std::this_thread::yield();
    srv = std::move(s);
    up = true;
}

void collector::impl::stop() {
    {
        std::lock_guard<std::mutex> lk(lifecycle_mutex);
        stop_locked();
    }
    signal();  // unlocked: a waiter's cond() may call running()
}

void collector::impl::stop_locked() {
    if (!srv) return;
    up = false;
    {
        std::lock_guard<std::mutex> lk2(conn_mutex);
        stopping = true;
        for (int fd : open_fds) ::shutdown(fd, SHUT_RDWR);  // wakes idle and delayed connections
    }
    srv->stop();
    if (thread.joinable()) thread.join();  // joins the pool, hence every connection
    srv.reset();
}

collector::collector(collector_options options) : impl_(std::make_unique<impl>(std::move(options))) {
    impl_->start();
}
collector::~collector() { impl_->stop(); }

int collector::port() const { return impl_->port; }
std::string collector::url() const {
    const std::string &h = impl_->opt.host;
    std::string host = h.find(':') != std::string::npos ? "[" + h + "]" : h;
    if (host == "0.0.0.0") host = "127.0.0.1";
    return "http://" + host + ":" + std::to_string(impl_->port);
}
void collector::stop() { impl_->stop(); }
void collector::start() { impl_->start(); }
bool collector::running() const { return impl_->up; }

void collector::script(std::vector<reply> replies) {
    std::lock_guard<std::mutex> lk(impl_->mutex);
    for (auto &r : replies) impl_->script.push_back(std::move(r));
}
std::size_t collector::script_left() const {
    std::lock_guard<std::mutex> lk(impl_->mutex);
    return impl_->script.size();
}
void collector::set_default(reply r) {
    std::lock_guard<std::mutex> lk(impl_->mutex);
    impl_->default_reply = std::move(r);
}
void collector::fail_ratio(double ratio, reply failure, std::uint32_t seed) {
    std::lock_guard<std::mutex> lk(impl_->mutex);
    impl_->ratio = ratio;
    impl_->failure = std::move(failure);
    impl_->rng.seed(seed);
}
void collector::poison_if(std::function<bool(const nlohmann::json &)> pred, reply r) {
    std::lock_guard<std::mutex> lk(impl_->mutex);
    impl_->poisons.emplace_back(std::move(pred), std::move(r));
}
void collector::poison_property(const std::string &name, reply r) {
    poison_if(
        [name](const nlohmann::json &e) {
            if (!e.is_object()) return false;
            auto p = e.find("properties");
            return p != e.end() && p->is_object() && p->contains(name);
        },
        std::move(r));
}
void collector::clear_faults() {
    std::lock_guard<std::mutex> lk(impl_->mutex);
    impl_->script.clear();
    impl_->default_reply = reply();
    impl_->ratio = 0;
    impl_->poisons.clear();
}

std::vector<request> collector::requests() const {
    std::lock_guard<std::mutex> lk(impl_->mutex);
    return impl_->records;
}
collector_stats collector::stats() const {
    std::lock_guard<std::mutex> lk(impl_->mutex);
    return impl_->st;
}
std::size_t collector::request_count() const { return stats().requests; }
std::size_t collector::connection_count() const { return stats().connections; }
std::size_t collector::unique_count() const { return stats().unique; }
std::size_t collector::duplicate_count() const { return stats().duplicates; }
std::size_t collector::event_count() const { return stats().events; }
bool collector::accepted(const std::string &message_id) const {
    std::lock_guard<std::mutex> lk(impl_->mutex);
    return impl_->accepted_set.count(message_id) > 0;
}
std::vector<std::string> collector::accepted_ids() const {
    std::lock_guard<std::mutex> lk(impl_->mutex);
    return impl_->accepted_order;
}
std::vector<nlohmann::json> collector::accepted_events() const {
    std::lock_guard<std::mutex> lk(impl_->mutex);
    return impl_->accepted_events;
}
void collector::clear_records() {
    std::lock_guard<std::mutex> lk(impl_->mutex);
    impl_->records.clear();
    impl_->accepted_set.clear();
    impl_->accepted_order.clear();
    impl_->accepted_events.clear();
    const std::size_t in_flight = impl_->st.in_flight;
    impl_->st = collector_stats();
    impl_->st.in_flight = in_flight;
}
void collector::on_request(std::function<void(const request &)> fn) {
    std::lock_guard<std::mutex> lk(impl_->mutex);
    impl_->observer = std::move(fn);
}

bool collector::wait_for(const std::function<bool()> &cond, std::chrono::milliseconds timeout) {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + timeout;
    constexpr auto recheck = std::chrono::milliseconds(20);
    // cond() runs under notify_mutex, which the server takes only after releasing its data
    // lock: cond may call our accessors, and no wake-up is lost between check and wait.
    std::unique_lock<std::mutex> lk(impl_->notify_mutex);
    for (;;) {
        if (cond()) return true;
        const auto now = clock::now();
        if (now >= deadline) return false;
        const auto gen = impl_->generation;
        impl_->notify_cv.wait_until(lk, std::min(deadline, now + recheck),
                                    [&] { return impl_->generation != gen; });
    }
}
bool collector::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) {
    return wait_for([&] { return request_count() >= n; }, timeout);
}
bool collector::wait_for_unique(std::size_t n, std::chrono::milliseconds timeout) {
    return wait_for([&] { return unique_count() >= n; }, timeout);
}

}  // namespace seglog::testing
