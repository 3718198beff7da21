// The live page's server side: the kept events, the counters, and the server-sent event streams.
//
// A request thread (take) never waits on a browser: it appends each stream's message to that
// stream's buffer under the feed's lock and wakes the streams. Each stream is written by the
// connection thread httplib gives it (a chunked content provider that waits on the feed's
// condition variable); a stream whose buffer is over its bound is marked dropped and its
// connection closed by that thread.

#include "live_page.h"

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <utility>

namespace seglog::loopback {

namespace {

constexpr auto wake_interval = std::chrono::milliseconds(200); // how soon a stream sees close()
constexpr auto keep_alive_interval = std::chrono::seconds(5);  // a comment line: finds gone clients

std::string utc_now() {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const std::time_t t = system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    char out[40];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
    return out;
}

// Event data is user data: invalid UTF-8 cannot come from nlohmann's parser, but a dump never
// throws here.
std::string dump(const nlohmann::json &j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

// The events of a request body as the collector parsed it: the batch's elements, or the body
// itself for a single-event call (/v1/track, ...).
std::vector<const nlohmann::json *> events_of(const request &r) {
    std::vector<const nlohmann::json *> out;
    if (!r.json_valid || !r.json.is_object()) return out;
    auto batch = r.json.find("batch");
    if (batch != r.json.end() && batch->is_array()) {
        for (const auto &e : *batch) out.push_back(&e);
    } else if (r.events == 1) {
        out.push_back(&r.json);
    }
    return out;
}

void security_headers(httplib::Response &res) {
    // Everything comes from the collector; no inline script or style can run, so event data
    // that reached the DOM as markup by mistake could still not execute.
    res.set_header("Content-Security-Policy",
                   "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Cache-Control", "no-store");
}

} // namespace

struct live_feed::stream {
    std::deque<std::string> pending;
    std::size_t bytes = 0;
    bool dropped = false;
    std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
};

live_feed::live_feed(live_options options) : opt_(std::move(options)) {
    if (opt_.max_events == 0) opt_.max_events = 1;
}

live_feed::~live_feed() { close(); }

void live_feed::close() {
    {
        std::lock_guard<std::mutex> lk(mutex_);
        closed_ = true;
    }
    cv_.notify_all();
}

void live_feed::take(const request &r) {
    // Built, checked and serialised before taking the lock: a plan check can take a while. An
    // entry is kept as its JSON text, a fraction of the memory of a JSON tree.
    std::vector<std::string> entries;
    const std::string received = utc_now();
    for (const nlohmann::json *e : events_of(r)) {
        nlohmann::json entry{{"received", received}, {"status", r.reset ? 0 : r.status}, {"path", r.path}};
        if (opt_.validate) entry["check"] = opt_.validate(*e);
        entry["event"] = *e;
        entries.push_back(dump(entry));
    }
    std::lock_guard<std::mutex> lk(mutex_);
    ++counts_.requests;
    counts_.events += r.events;
    counts_.duplicates += r.duplicates;
    const bool failed = r.reset || r.status < 200 || r.status >= 300;
    if (failed && !r.protocol_error) ++counts_.failures;
    for (auto &e : entries) {
        e = "{\"seq\":" + std::to_string(++next_seq_) + "," + e.substr(1); // "{...}": never empty
        kept_.push_back(e);
    }
    while (kept_.size() > opt_.max_events) {
        kept_.pop_front();
        ++counts_.dropped;
    }
    counts_.kept = kept_.size();
    // Only what the page keeps is sent: a batch larger than max_events sends its newest.
    const std::size_t skip = entries.size() > opt_.max_events ? entries.size() - opt_.max_events : 0;
    std::string update = "event: update\ndata: {\"entries\":[";
    for (std::size_t i = skip; i < entries.size(); ++i) {
        if (i > skip) update += ',';
        update += entries[i];
    }
    update += "],\"counters\":" + dump(counters_json_locked()) + "}\n\n";
    publish_locked(update);
}

void live_feed::publish_locked(const std::string &message) {
    for (auto &s : streams_) {
        if (s->dropped) continue;
        // A message larger than the bound still goes to a client that has caught up.
        if (s->bytes > 0 && s->bytes + message.size() > opt_.client_buffer_bytes) {
            s->dropped = true; // its thread closes the connection; the browser reconnects
            s->pending.clear();
            ++counts_.clients_dropped;
            continue;
        }
        s->pending.push_back(message);
        s->bytes += message.size();
    }
    cv_.notify_all();
}

nlohmann::json live_feed::counters_json_locked() const {
    return {{"requests", counts_.requests}, {"events", counts_.events},   {"duplicates", counts_.duplicates},
            {"failures", counts_.failures}, {"dropped", counts_.dropped}, {"kept", counts_.kept}};
}

std::string live_feed::snapshot_locked() const {
    std::string out = "{\"max\":" + std::to_string(opt_.max_events) + ",\"plan\":" + dump(opt_.plan) +
                      ",\"validating\":" + (opt_.validate ? "true" : "false") + ",\"entries\":[";
    bool first = true;
    for (const auto &e : kept_) {
        if (!first) out += ',';
        first = false;
        out += e;
    }
    return out + "],\"counters\":" + dump(counters_json_locked()) + "}";
}

live_counters live_feed::counters() const {
    std::lock_guard<std::mutex> lk(mutex_);
    return counts_;
}

nlohmann::json live_feed::snapshot() const { return nlohmann::json::parse(snapshot_text()); }

std::string live_feed::snapshot_text() const {
    std::lock_guard<std::mutex> lk(mutex_);
    return snapshot_locked();
}

std::size_t live_feed::clients() const {
    std::lock_guard<std::mutex> lk(mutex_);
    return streams_.size();
}

void live_feed::add_routes(httplib::Server &server) {
    auto asset = [](const char *body, const char *type) {
        return [body, type](const httplib::Request &, httplib::Response &res) {
            security_headers(res);
            res.set_content(body, type);
        };
    };
    server.Get("/", asset(live_page_html, "text/html; charset=utf-8"));
    server.Get("/live.js", asset(live_page_js, "text/javascript; charset=utf-8"));
    server.Get("/live.css", asset(live_page_css, "text/css; charset=utf-8"));
    // Browsers ask for it by themselves: answered here, so it is not counted as collector traffic.
    server.Get("/favicon.ico", [](const httplib::Request &, httplib::Response &res) { res.status = 204; });
    server.Get("/events.json", [this](const httplib::Request &, httplib::Response &res) {
        security_headers(res);
        res.set_content(snapshot_text(), "application/json");
    });
    server.Get("/events", [this](const httplib::Request &, httplib::Response &res) {
        security_headers(res);
        auto s = std::make_shared<stream>();
        {
            std::lock_guard<std::mutex> lk(mutex_);
            if (closed_ || streams_.size() >= opt_.max_clients) {
                res.status = 503;
                res.set_content(closed_ ? "the collector is stopping\n" : "too many live pages open\n",
                                "text/plain; charset=utf-8");
                return;
            }
            // The snapshot is taken with the stream registered under one lock: no update is
            // missed or sent twice. It is not counted against the buffer's bound.
            s->pending.push_back("retry: 1000\nevent: snapshot\ndata: " + snapshot_locked() + "\n\n");
            streams_.push_back(s);
        }
        res.set_chunked_content_provider(
            "text/event-stream",
            [this, s](std::size_t, httplib::DataSink &sink) {
                std::deque<std::string> out;
                {
                    std::unique_lock<std::mutex> lk(mutex_);
                    // Returning without writing lets httplib check whether the server is stopping.
                    cv_.wait_for(lk, wake_interval, [&] { return closed_ || s->dropped || !s->pending.empty(); });
                    if (closed_ || s->dropped) return false;
                    out.swap(s->pending);
                    s->bytes = 0;
                }
                const auto now = std::chrono::steady_clock::now();
                if (out.empty()) {
                    if (now - s->last_write < keep_alive_interval) return true;
                    out.emplace_back(":\n\n");
                }
                for (const auto &m : out)
                    if (!sink.write(m.data(), m.size())) return false;
                s->last_write = now;
                return true;
            },
            [this, s](bool) {
                std::lock_guard<std::mutex> lk(mutex_);
                for (auto it = streams_.begin(); it != streams_.end(); ++it)
                    if (*it == s) {
                        streams_.erase(it);
                        break;
                    }
            });
    });
}

} // namespace seglog::loopback
