// The loopback collector: what a Segment endpoint records and answers, served by cpp-httplib's
// Server through its public API.
//
// httplib hands a handler the request, not the connection it came on, and the faults need the
// connection. The collector finds it with httplib's public API and POSIX calls:
// - which connection: httplib gives each accepted connection to the server's task queue
//   (new_task_queue) as one task that serves all of its requests on one pool thread. The
//   collector's queue numbers connections as their tasks start and publishes the current one
//   in a thread_local that the handler reads.
// - its socket, to reset it or to notice that the client hung up during a delay: the
//   descriptor whose local port is the collector's and whose peer is the request's, looked up
//   in /proc/self/fd once per connection.
// - stop(): httplib's stop() closes the listener and waits for the connections; the collector
//   first shuts down every socket connected to its port, so idle keep-alive connections and
//   scripted delays end at once instead of at their timeouts.
//
// Bodies: Debian's httplib is built with zlib and gunzips a `Content-Encoding: gzip` body before
// any handler runs, so a request records the decoded body and its size on the wire (the
// Content-Length), and refusing gzip is an answer the handler gives.

#include "collector.h"

#include <httplib.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_set>

namespace seglog::loopback {

namespace {

constexpr std::size_t max_batch_bytes = 500 * 1024; // Segment's limits
constexpr std::size_t max_event_bytes = 32 * 1024;
constexpr std::size_t max_batch_events = 2500;
constexpr std::size_t max_body_bytes = 64u * 1024 * 1024; // larger: httplib answers 413

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
// `largest` is the byte size of the biggest one.
struct batch_scanner {
    const char *const begin;
    const char *const end;
    std::vector<std::string> &ids;
    std::size_t &events;
    std::size_t &largest;
    std::string stack{};     // '{' and '['
    std::string_view key1{}; // the latest key of the top-level object
    bool in_batch = false;   // inside the top-level "batch" array
    const char *element_start = begin;

    const char *skip_ws(const char *p) const {
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
        return p;
    }
    // p at an opening quote: the closing one (a quote after an even run of backslashes), or end.
    const char *string_end(const char *p) const {
        for (const char *q = p + 1;;) {
            q = static_cast<const char *>(std::memchr(q, '"', static_cast<std::size_t>(end - q)));
            if (!q) return end;
            std::size_t backslashes = 0;
            for (const char *r = q - 1; r > p && *r == '\\'; --r) ++backslashes;
            if (backslashes % 2 == 0) return q;
            ++q;
        }
    }
    // p at a messageId's value: takes it when it is a string; returns where scanning goes on,
    // or null for a string that does not end or does not decode.
    const char *take_id(const char *p) {
        if (p == end || *p != '"') return p;
        const char *vclose = string_end(p);
        if (vclose == end) return nullptr;
        const std::string_view v(p + 1, static_cast<std::size_t>(vclose - p - 1));
        if (v.find('\\') == std::string_view::npos) {
            ids.emplace_back(v);
        } else { // escapes: nlohmann decodes them, and says when they are invalid
            const auto id = nlohmann::json::parse(std::string_view(p, static_cast<std::size_t>(vclose - p + 1)),
                                                  nullptr, false);
            if (!id.is_string()) return nullptr;
            ids.push_back(id.get<std::string>());
        }
        return vclose + 1;
    }
    // p at a quote: skips the string, and when it is a key, notes the top-level one and takes
    // the messageId of a batch element. Returns where scanning goes on, or null (malformed).
    const char *skip_string(const char *p) {
        const char *close = string_end(p);
        if (close == end) return nullptr;
        const std::string_view text(p + 1, static_cast<std::size_t>(close - p - 1));
        p = skip_ws(close + 1);
        if (p == end || *p != ':') return p; // a value, not a key
        if (stack.size() == 1) key1 = text;
        if (stack.size() == 3 && in_batch && text == "messageId") return take_id(skip_ws(p + 1));
        return p;
    }
    // An opening or closing bracket at p: the nesting, the batch's extent, its elements' sizes.
    bool bracket(const char *p) {
        const char c = *p;
        if (c == '{' || c == '[') {
            if (c == '[' && stack.size() == 1 && key1 == "batch") in_batch = true;
            if (c == '{' && stack.size() == 2 && in_batch) {
                element_start = p;
                ++events;
            }
            stack.push_back(c);
            return stack.size() <= 512;
        }
        if (stack.empty() || stack.back() != (c == '}' ? '{' : '[')) return false;
        stack.pop_back();
        if (c == '}' && stack.size() == 2 && in_batch)
            largest = std::max(largest, static_cast<std::size_t>(p + 1 - element_start));
        if (c == ']' && stack.size() == 1) in_batch = false;
        return true;
    }
};

// false: not a well-nested batch body.
bool scan_batch_ids(std::string_view b, std::vector<std::string> &ids, std::size_t &events, std::size_t &largest) {
    batch_scanner s{b.data(), b.data() + b.size(), ids, events, largest};
    for (const char *p = s.begin; p < s.end;) {
        const char c = *p;
        if (c == '"') {
            p = s.skip_string(p);
            if (!p) return false;
            continue;
        }
        if ((c == '{' || c == '[' || c == '}' || c == ']') && !s.bracket(p)) return false;
        ++p;
    }
    return s.stack.empty();
}

// --- the connection's socket ---

int port_of(const sockaddr_storage &ss) {
    if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in &>(ss).sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6 &>(ss).sin6_port);
    return -1;
}

std::string ip_of(const sockaddr_storage &ss) {
    char ip[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET)
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in &>(ss).sin_addr, ip, sizeof ip);
    else if (ss.ss_family == AF_INET6)
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6 &>(ss).sin6_addr, ip, sizeof ip);
    return ip;
}

// Calls fn(fd, peer) for each open descriptor of this process that is a connected socket on
// local port `port`: the connections accepted by the listener there (which has no peer itself).
// Each is checked just before fn runs, so a descriptor closed and reused by then is skipped.
template <class Fn>
void for_each_connection(int port, const Fn &fn) {
    DIR *dir = ::opendir("/proc/self/fd");
    if (!dir) return;
    const int own = ::dirfd(dir);
    while (const dirent *entry = ::readdir(dir)) {
        char *end = nullptr;
        const long n = std::strtol(entry->d_name, &end, 10);
        if (end == entry->d_name || *end != '\0' || n == own) continue;
        const int fd = static_cast<int>(n);
        sockaddr_storage local{}, peer{};
        socklen_t local_len = sizeof local, peer_len = sizeof peer;
        if (::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &local_len) != 0 || port_of(local) != port)
            continue;
        if (::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &peer_len) != 0) continue;
        fn(fd, peer);
    }
    ::closedir(dir);
}

// One accepted TCP connection, as the pool thread serving it sees it.
struct connection {
    std::uint64_t id = 0; // 1, 2, ...; 0: accepted as the collector stopped, closed unserved
    int fd = -1;          // its socket, found at its first request
};
thread_local connection *serving = nullptr;

// The socket of the connection `req` came on (-1 if none is found: no /proc).
int socket_of(connection &conn, int port, const httplib::Request &req) {
    if (conn.fd < 0)
        for_each_connection(port, [&](int fd, const sockaddr_storage &peer) {
            if (port_of(peer) == req.remote_port && ip_of(peer) == req.remote_addr) conn.fd = fd;
        });
    return conn.fd;
}

enum class waited { elapsed, client_gone, stopped };

// A scripted delay. It ends early when the client hangs up (it timed out: nobody is left to
// answer, and tests need not sit out long delays) or when stop() shuts the socket down.
waited wait_on(int fd, std::chrono::milliseconds d, const std::atomic<bool> &stopping) {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + d;
    for (;;) {
        if (stopping) return waited::stopped;
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
        if (left.count() <= 0) return waited::elapsed;
        // POLLRDHUP: the client's FIN; POLLHUP: stop()'s shutdown().
        pollfd p{fd, POLLRDHUP, 0};
        const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1 << 30)));
        if (r < 0 && errno != EINTR) return waited::client_gone;
        if (r > 0) return stopping ? waited::stopped : waited::client_gone;
    }
}

// Whether the client has closed its side (it gave up waiting for the answer).
bool hung_up(int fd) {
    char c;
    const ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// Closes the connection with a TCP RST and no answer. SO_LINGER {1, 0} makes the socket's last
// close send RST. dup3() puts an unconnected socket on the descriptor, which closes the
// connection's socket at once while the number stays taken (nothing else can be given it
// before httplib closes it); httplib's answer then fails to write on the stand-in, and httplib
// closes that.
void reset_connection(int fd) {
    const linger abortive{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
    const int stand_in = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool replaced = stand_in >= 0 && ::dup3(stand_in, fd, O_CLOEXEC) >= 0;
    if (stand_in >= 0) ::close(stand_in);
    // Out of descriptors: no answer can be written after shutdown(), and httplib's close()
    // sends the RST.
    if (!replaced) ::shutdown(fd, SHUT_RDWR);
}

// --- the request ---

// The body's size on the wire: its Content-Length. A chunked body has none; its de-chunked size
// is the answer when it was not compressed, and unknown (0) when httplib decoded it.
std::size_t wire_bytes_of(const httplib::Request &req) {
    const std::string length = req.get_header_value("Content-Length");
    if (!length.empty())
        return length.size() <= 18 && length.find_first_not_of("0123456789") == std::string::npos
                   ? static_cast<std::size_t>(std::stoull(length))
                   : 0;
    const std::string encoding = req.get_header_value("Content-Encoding");
    return encoding.empty() || lower_trimmed(encoding) == "identity" ? req.body.size() : 0;
}

// What the collector records of a request before looking at its body.
request record_of(const httplib::Request &req, const connection *conn) {
    request rec;
    rec.method = req.method;
    rec.path = req.path;
    for (const auto &[k, v] : req.headers) {
        // httplib adds these pseudo-headers; they were not sent
        if (k == "REMOTE_ADDR" || k == "REMOTE_PORT" || k == "LOCAL_ADDR" || k == "LOCAL_PORT") continue;
        rec.headers.emplace(k, v);
    }
    rec.connection = conn ? conn->id : 0;
    rec.remote = req.remote_addr + ":" + std::to_string(req.remote_port);
    rec.wire_bytes = wire_bytes_of(req);
    return rec;
}

std::string base64(const std::string &in) {
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                           static_cast<unsigned char>(in[i + 2]);
        for (int shift : {18, 12, 6, 0}) out += digits[(v >> shift) & 63];
    }
    if (i < in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += digits[(v >> 18) & 63];
        out += digits[(v >> 12) & 63];
        out += i + 1 < in.size() ? digits[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

reply refusal(int status, const char *why) {
    return reply(status, nlohmann::json{{"success", false}, {"error", why}}.dump());
}

// What a request's body holds: its events (when parsed), their messageIds, and what the
// Segment limits look at.
struct parsed_body {
    std::vector<const nlohmann::json *> events;                      // into request::json
    std::vector<std::pair<std::string, const nlohmann::json *>> ids; // event null: count_ids_only
    std::size_t events_seen = 0;
    std::size_t largest_event = 0; // count_ids_only
    const char *invalid = nullptr; // why it was refused
    int status = 0;
};

// The Content-Encoding. httplib has decoded "gzip" (and "deflate" and "br", which Segment does
// not take); anything but gzip and identity is refused, and gzip when the options say so.
void check_encoding(const collector_options &opt, const std::string &encoding, parsed_body &out) {
    if (encoding.empty() || lower_trimmed(encoding) == "identity") return;
    if (encoding != "gzip") {
        out.invalid = "unsupported Content-Encoding";
        out.status = 415;
    } else if (!opt.accept_gzip) {
        out.invalid = "gzip not accepted by this collector";
        out.status = 415;
    }
}

// Finds the events and their messageIds: by the scanner (count_ids_only) or a full parse.
void find_events(const collector_options &opt, request &rec, parsed_body &out) {
    if (out.invalid || rec.body.empty()) return;
    if (opt.count_ids_only) {
        std::vector<std::string> found;
        if (!scan_batch_ids(rec.body, found, out.events_seen, out.largest_event)) {
            out.invalid = "invalid JSON";
            out.status = 400;
        }
        for (auto &id : found) out.ids.emplace_back(std::move(id), nullptr);
        return;
    }
    rec.json = nlohmann::json::parse(rec.body, nullptr, false);
    rec.json_valid = !rec.json.is_discarded();
    if (!rec.json_valid) {
        rec.json = nullptr;
        out.invalid = "invalid JSON";
        out.status = 400;
    } else if (rec.json.is_object()) {
        auto batch = rec.json.find("batch");
        if (batch != rec.json.end() && batch->is_array()) {
            for (auto &e : *batch) out.events.push_back(&e);
        } else if (rec.json.contains("messageId") || rec.json.contains("type")) {
            out.events.push_back(&rec.json); // a single-event call (/v1/track, ...)
        }
    }
    for (auto *e : out.events) {
        if (!e->is_object()) continue;
        auto id = e->find("messageId");
        if (id != e->end() && id->is_string()) out.ids.emplace_back(id->get<std::string>(), e);
    }
    out.events_seen = out.events.size();
}

// Segment's limits: 400 over 500 KB per batch, 2500 events per batch, 32 KB per event.
void check_limits(const collector_options &opt, const request &rec, parsed_body &out) {
    if (out.invalid) return;
    if (opt.max_body_bytes && rec.wire_bytes > opt.max_body_bytes) {
        out.invalid = "body too large";
        out.status = 413;
        return;
    }
    if (!opt.segment_limits) return;
    auto refuse = [&](const char *why) {
        out.invalid = why;
        out.status = 400;
    };
    if (rec.body.size() > max_batch_bytes) return refuse("batch too large");
    if (rec.events > max_batch_events) return refuse("too many events in batch");
    if (opt.count_ids_only) {
        if (out.largest_event > max_event_bytes) refuse("event too large");
        return;
    }
    if (rec.body.size() <= max_event_bytes) return; // no event can be over the limit
    for (auto *e : out.events)
        if (e->dump().size() > max_event_bytes) return refuse("event too large");
}

} // namespace

bool ci_less::operator()(const std::string &a, const std::string &b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](unsigned char x, unsigned char y) {
        return std::tolower(x) < std::tolower(y);
    });
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
    std::mutex lifecycle_mutex; // serialises start/stop
    std::unique_ptr<httplib::Server> srv;
    std::thread thread; // httplib's accept loop; it joins the connections' pool
    std::atomic<bool> thread_done{false};
    std::atomic<bool> stopping{false};
    std::atomic<bool> up{false};

    // faults and records
    mutable std::mutex mutex;
    std::uint64_t next_connection = 0; // ids go on across restarts
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

    void serve_connection(const std::function<void()> &serve);
    void shut_down_connections() const {
        for_each_connection(port, [](int fd, const sockaddr_storage &) { ::shutdown(fd, SHUT_RDWR); });
    }
    reply choose(const std::vector<const nlohmann::json *> &events);
    void handle(const httplib::Request &req, httplib::Response &res);
    httplib::Server::HandlerResponse refused(const httplib::Request &req, httplib::Response &res);
    void record(request rec, const std::vector<std::pair<std::string, const nlohmann::json *>> &ids, bool reset);
    void start();
    void stop();
};

namespace {

// The server's task queue: httplib's thread pool, with each task (one accepted connection)
// numbered and published to the handler as it starts.
class connection_queue final : public httplib::TaskQueue {
public:
    connection_queue(collector::impl &owner, std::size_t threads) : owner_(owner), pool_(threads) {}
    void enqueue(std::function<void()> serve) override {
        pool_.enqueue([this, serve = std::move(serve)] { owner_.serve_connection(serve); });
    }
    void shutdown() override { pool_.shutdown(); }

private:
    collector::impl &owner_;
    httplib::ThreadPool pool_;
};

} // namespace

void collector::impl::serve_connection(const std::function<void()> &serve) {
    connection conn;
    {
        std::lock_guard<std::mutex> lk(mutex);
        if (!stopping) {
            conn.id = ++next_connection;
            ++st.connections;
        }
    }
    if (conn.id == 0) shut_down_connections(); // accepted as the collector stopped
    serving = &conn;
    serve(); // httplib: every request of the connection, then close
    serving = nullptr;
}

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
    if (ratio > 0 && std::uniform_real_distribution<double>(0.0, 1.0)(rng) < ratio) return failure;
    return default_reply;
}

void collector::impl::handle(const httplib::Request &req, httplib::Response &res) {
    request rec = record_of(req, serving);
    // Protocol errors are answered as Segment would, without consuming the script.
    parsed_body body;
    check_encoding(opt, req.get_header_value("Content-Encoding"), body);
    if (!body.invalid) rec.body = req.body;
    find_events(opt, rec, body);
    rec.events = body.events_seen;
    for (auto &p : body.ids) rec.message_ids.push_back(p.first);
    check_limits(opt, rec, body);
    rec.protocol_error = body.invalid != nullptr;

    {
        std::lock_guard<std::mutex> lk(mutex);
        ++st.in_flight;
    }
    const bool key_refused = !opt.write_key.empty() &&
                             req.get_header_value("Authorization") != "Basic " + base64(opt.write_key + ":");
    reply answer = key_refused    ? refusal(401, "invalid write key")
                   : body.invalid ? refusal(body.status, body.invalid)
                                  : choose(body.events);
    const int fd = serving ? socket_of(*serving, port, req) : -1;
    // Stopping, stop() may have shut the connection down before its socket was looked up (a
    // shut-down socket has no peer to match): that is not the collector's own failure.
    if (fd < 0 && (answer.reset_connection || answer.delay.count() > 0) && !stopping)
        answer = refusal(500, "the collector cannot find the connection's socket in /proc/self/fd");
    bool reset = answer.reset_connection;
    if (answer.delay.count() > 0 && fd >= 0) {
        switch (wait_on(fd, answer.delay, stopping)) {
        case waited::stopped: reset = true; break; // the collector went down meanwhile
        case waited::client_gone: rec.client_gone = true; break;
        case waited::elapsed: break;
        }
    }
    // A request answered while the collector stops (its connection accepted meanwhile, shut
    // down before its socket was found, or during its delay) is reset: its answer cannot reach
    // the client, which will send it again, so it must not count as accepted.
    if (stopping) reset = true;
    if (!reset && !rec.client_gone && fd >= 0) rec.client_gone = hung_up(fd);
    rec.reset = reset;
    rec.status = reset ? 0 : answer.status;
    // Always a Content-Type: refused() tells the handler's answers from httplib's by it.
    res.status = reset ? 500 : answer.status;
    res.set_content(reset ? std::string() : answer.body, "application/json");
    if (!reset && !answer.retry_after.empty()) res.set_header("Retry-After", answer.retry_after);
    if (!reset && !answer.location.empty()) res.set_header("Location", answer.location);
    record(std::move(rec), body.ids, reset);
    if (reset && fd >= 0) reset_connection(fd); // after recording: a client that sees the reset finds it
}

// httplib's error handler. httplib answers some requests itself, before any handler: a body it
// cannot read (corrupt gzip, broken chunked framing, a bad Content-Length) with 400, one over the
// size limit with 413. Those are recorded too, unless not even the request line could be read
// (no method, path or peer to record).
httplib::Server::HandlerResponse collector::impl::refused(const httplib::Request &req, httplib::Response &res) {
    if (res.has_header("Content-Type") || req.remote_port < 0) return httplib::Server::HandlerResponse::Unhandled;
    const char *why = res.status == 400   ? "unreadable request body"
                      : res.status == 413 ? "body too large"
                                          : "refused by the HTTP server";
    res.set_content(nlohmann::json{{"success", false}, {"error", why}}.dump(), "application/json");
    request rec = record_of(req, serving);
    rec.status = res.status;
    rec.protocol_error = true;
    const int fd = serving ? socket_of(*serving, port, req) : -1;
    rec.client_gone = fd >= 0 && hung_up(fd);
    {
        std::lock_guard<std::mutex> lk(mutex);
        ++st.in_flight; // record() counts it out
    }
    record(std::move(rec), {}, false);
    return httplib::Server::HandlerResponse::Unhandled;
}

// Counts the request, its accepted and duplicate ids, keeps it (as the options say) and tells
// the observer and the waiters.
void collector::impl::record(request rec, const std::vector<std::pair<std::string, const nlohmann::json *>> &ids,
                             bool reset) {
    std::function<void(const request &)> obs;
    std::optional<request> seen; // whole, for the observer, which runs outside the lock
    {
        std::lock_guard<std::mutex> lk(mutex);
        --st.in_flight;
        ++st.requests;
        st.events += rec.events;
        st.bytes += rec.wire_bytes;
        if (reset) ++st.resets;
        if (opt.keep_ids && !reset && rec.status >= 200 && rec.status < 300) {
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
            if (obs) seen = rec;
            if (!opt.record_bodies) {
                rec.body.clear();
                rec.json = nullptr;
            }
            records.push_back(std::move(rec));
        } else if (obs) {
            seen = std::move(rec);
        }
    }
    signal();
    if (seen) obs(*seen);
}

void collector::impl::start() {
    std::lock_guard<std::mutex> lk(lifecycle_mutex);
    if (srv) return;
    stopping = false;
    auto s = std::make_unique<httplib::Server>();
    // Only SO_REUSEADDR: rebinding over TIME_WAIT after stop() works, while a second listener
    // on the port is refused (httplib's default SO_REUSEPORT would allow one).
    s->set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    // httplib writes the status line and headers, then the body: without TCP_NODELAY (which
    // accepted sockets inherit from the listener), Nagle against the client's delayed ACK
    // would hold every keep-alive answer back.
    s->set_tcp_nodelay(true);
    s->set_keep_alive_timeout(static_cast<time_t>(opt.keep_alive.count()));
    s->set_keep_alive_max_count(std::numeric_limits<int>::max()); // a client keeps its connection
    s->set_payload_max_length(max_body_bytes);
    const std::size_t threads = std::max<std::size_t>(1, opt.threads);
    s->new_task_queue = [this, threads] { return new connection_queue(*this, threads); };
    if (opt.routes) opt.routes(*s);
    auto h = [this](const httplib::Request &req, httplib::Response &res) { handle(req, res); };
    s->Post(".*", h).Put(".*", h).Patch(".*", h).Delete(".*", h).Get(".*", h).Options(".*", h);
    s->set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request &req, httplib::Response &res) { return refused(req, res); }));

    if (port == 0) {
        port = s->bind_to_any_port(opt.host);
        if (port <= 0) {
            port = 0;
            throw std::runtime_error("collector: cannot bind " + opt.host);
        }
    } else if (!s->bind_to_port(opt.host, port)) {
        throw std::runtime_error("collector: cannot bind " + opt.host + ":" + std::to_string(port));
    }
    // The socket is listening now: connections queue in the backlog until accept runs.
    thread_done = false;
    httplib::Server *raw = s.get();
    thread = std::thread([this, raw] {
        raw->listen_after_bind();
        thread_done = true;
    });
    // Server::stop() does nothing until the accept loop has started: wait for it, so that an
    // immediate stop() works.
    while (!raw->is_running() && !thread_done) std::this_thread::yield();
    srv = std::move(s);
    up = true;
}

void collector::impl::stop() {
    {
        std::lock_guard<std::mutex> lk(lifecycle_mutex);
        if (srv) {
            up = false;
            stopping = true;                      // a connection accepted from now on is closed unserved
            shut_down_connections();              // idle keep-alive connections, requests in a delay
            srv->stop();                          // closes the listener
            if (thread.joinable()) thread.join(); // httplib joins its pool: every connection
            srv.reset();
        }
    }
    signal(); // unlocked: a waiter's cond() may call running()
}

collector::collector(collector_options options) : impl_(std::make_unique<impl>(std::move(options))) { impl_->start(); }
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
        impl_->notify_cv.wait_until(lk, std::min(deadline, now + recheck), [&] { return impl_->generation != gen; });
    }
}
bool collector::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) {
    return wait_for([&] { return request_count() >= n; }, timeout);
}
bool collector::wait_for_unique(std::size_t n, std::chrono::milliseconds timeout) {
    return wait_for([&] { return unique_count() >= n; }, timeout);
}

} // namespace seglog::loopback
