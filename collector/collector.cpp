// The loopback collector: what a Segment endpoint records and answers, on the small HTTP
// server of http_server.h (which owns each connection's socket: resets, connection ids,
// delays that end when the client hangs up, bodies exactly as sent).
//
// Bodies are gunzipped here with zlib, so that the bytes on the wire stay recorded as they
// came and gzip can be refused as some Segment-compatible collectors do.

#include "collector.h"

#include "http_server.h"

#include <zlib.h>

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

namespace seglog::loopback {

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
    std::unique_ptr<detail::http_server> srv;
    std::atomic<bool> up{false};
    std::uint64_t next_connection = 0;  // ids go on across restarts

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

    std::uint64_t open_connection() {
        std::lock_guard<std::mutex> lk(mutex);
        ++st.connections;
        return ++next_connection;
    }

    reply choose(const std::vector<const nlohmann::json *> &events);
    detail::http_answer handle(const detail::http_request &req, const detail::connection &conn);
    void record(request rec, const std::vector<std::pair<std::string, const nlohmann::json *>> &ids, bool reset);
    void start();
    void stop();
};

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

namespace {

// What a request's body holds: its events (when parsed), their messageIds, and what the
// Segment limits look at.
struct parsed_body {
    std::vector<const nlohmann::json *> events;                          // into request::json
    std::vector<std::pair<std::string, const nlohmann::json *>> ids;     // event null: count_ids_only
    std::size_t events_seen = 0;
    std::size_t largest_event = 0;                                       // count_ids_only
    const char *invalid = nullptr;                                       // why it was refused
    int status = 0;
};

// Decodes the body as its Content-Encoding says; a refusal sets `out.invalid`.
void decode_body(const collector_options &opt, const std::string &encoding, request &rec, parsed_body &out) {
    const std::string enc = lower_trimmed(encoding);
    if (enc.empty() || enc == "identity") {
        rec.body = rec.raw_body;
    } else if (enc == "gzip" || enc == "x-gzip") {
        if (!opt.accept_gzip) out = {{}, {}, 0, 0, "gzip not accepted by this collector", 415};
        else if (!gunzip(rec.raw_body, rec.body)) out = {{}, {}, 0, 0, "invalid gzip body", 400};
    } else {
        out = {{}, {}, 0, 0, "unsupported Content-Encoding", 415};
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
    if (out.invalid || !opt.segment_limits) return;
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

detail::http_answer collector::impl::handle(const detail::http_request &req, const detail::connection &conn) {
    request rec;
    rec.method = req.method;
    rec.path = req.path;
    for (const auto &[k, v] : req.headers) rec.headers.emplace(k, v);
    rec.connection = conn.id();
    rec.remote = req.remote;
    rec.raw_body = req.body;

    // Protocol errors are answered as Segment would, without consuming the script.
    parsed_body body;
    decode_body(opt, req.header("Content-Encoding"), rec, body);
    find_events(opt, rec, body);
    rec.events = body.events_seen;
    for (auto &p : body.ids) rec.message_ids.push_back(p.first);
    check_limits(opt, rec, body);

    {
        std::lock_guard<std::mutex> lk(mutex);
        ++st.in_flight;
    }
    const reply answer = body.invalid ? reply(body.status, nlohmann::json{{"success", false}, {"error", body.invalid}}.dump())
                                      : choose(body.events);
    bool reset = answer.reset_connection;
    if (answer.delay.count() > 0) {
        switch (conn.wait(answer.delay)) {
        case detail::connection::waited::stopped: reset = true; break; // the server went down meanwhile
        case detail::connection::waited::client_gone: rec.client_gone = true; break;
        case detail::connection::waited::elapsed: break;
        }
    }
    detail::http_answer out;
    if (reset) {
        rec.reset = true;
        rec.status = 0;
        out.reset = true;
    } else {
        rec.status = answer.status;
        out.status = answer.status;
        out.body = answer.body;
        out.headers.emplace_back("Content-Type", "application/json");
        if (!answer.retry_after.empty()) out.headers.emplace_back("Retry-After", answer.retry_after);
        if (!rec.client_gone) rec.client_gone = conn.client_gone();
    }
    record(std::move(rec), body.ids, reset);
    return out;
}

// Counts the request, its accepted and duplicate ids, keeps it (as the options say) and tells
// the observer and the waiters.
void collector::impl::record(request rec, const std::vector<std::pair<std::string, const nlohmann::json *>> &ids,
                             bool reset) {
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
            request kept = obs ? rec : std::move(rec); // rec stays whole for the observer
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
    detail::server_options o;
    o.host = opt.host;
    o.port = port;
    o.threads = opt.threads;
    o.keep_alive = opt.keep_alive;
    auto s = std::make_unique<detail::http_server>(
        o, [this](const detail::http_request &req, const detail::connection &conn) { return handle(req, conn); },
        [this] { return open_connection(); });
    s->start(); // throws when the address cannot be bound
    port = s->port();
    srv = std::move(s);
    up = true;
}

void collector::impl::stop() {
    {
        std::lock_guard<std::mutex> lk(lifecycle_mutex);
        if (srv) {
            up = false;
            srv->stop(); // joins every connection's thread
            srv.reset();
        }
    }
    signal(); // unlocked: a waiter's cond() may call running()
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

}  // namespace seglog::loopback
