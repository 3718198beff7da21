#pragma once
// The collector's live page (`seglog collector --ui`): the events arriving, newest first, in a
// browser, like Segment's Source Debugger but on the developer's machine.
//
//   seglog::loopback::live_feed feed({/*max_events*/ 1000});
//   seglog::loopback::collector_options opt;
//   opt.routes = [&feed](httplib::Server &s) { feed.add_routes(s); };  // GET /, /events, ...
//   seglog::loopback::collector c(opt);
//   c.on_request([&feed](const seglog::loopback::request &r) { feed.take(r); });
//   ...
//   feed.close();  // ends the open streams, so that c's stop() does not wait on them
//
// Routes: GET / (the page, everything inline: no network beyond the collector), GET /events
// (server-sent events: a "snapshot" message with what is kept, then one "update" per request),
// GET /events.json (the snapshot as one JSON document).
//
// Memory: the last `max_events` events are kept (older ones dropped and counted), and each
// stream has a bounded buffer of messages not yet written; a client that falls behind by more
// is disconnected (its EventSource reconnects and starts from a new snapshot), so a slow
// browser never holds a request thread up. Each open stream occupies one of the collector's
// connection threads, so at most `max_clients` are served at once; more get 503.
//
// The feed must outlive the collector whose routes call it (declare it first).

#include "collector.h"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace seglog::loopback {

struct live_options {
    std::size_t max_events = 1000;              // kept on the server and shown on the page
    std::size_t client_buffer_bytes = 4u << 20; // per stream, not yet written; beyond it the
                                                // client is dropped
    std::size_t max_clients = 4;                // open streams at once
    // Checks an event against a tracking plan: {"valid": bool, "errors": "..."}. Unset: no badge.
    // Called on the collector's request threads, concurrently.
    std::function<nlohmann::json(const nlohmann::json &event)> validate;
    std::string plan; // the plan's name or file, shown on the page
};

struct live_counters {
    std::uint64_t requests = 0;        // recorded by the collector (any answer)
    std::uint64_t events = 0;          // events in them
    std::uint64_t duplicates = 0;      // messageIds accepted again (2xx), as the collector counts them
    std::uint64_t failures = 0;        // answers the collector was told to fail (--status,
                                       // --fail-ratio): non-2xx or reset, protocol errors aside
    std::uint64_t dropped = 0;         // events no longer kept (beyond max_events)
    std::uint64_t kept = 0;            // events kept now
    std::uint64_t clients_dropped = 0; // streams closed because their buffer was full
};

class live_feed {
public:
    explicit live_feed(live_options options = {});
    ~live_feed(); // close()
    live_feed(const live_feed &) = delete;
    live_feed &operator=(const live_feed &) = delete;

    // GET /, /events, /events.json on `server` (collector_options::routes).
    void add_routes(httplib::Server &server);
    // One recorded request (collector::on_request): its events are kept and sent to the streams.
    void take(const request &r);
    // Ends every stream now and refuses new ones.
    void close();

    live_counters counters() const;
    nlohmann::json snapshot() const;   // what /events.json answers
    std::string snapshot_text() const; // the same, as sent
    std::size_t clients() const;       // open streams

    struct stream; // one connected browser

private:
    std::string snapshot_locked() const;
    nlohmann::json counters_json_locked() const;
    void publish_locked(const std::string &message);

    live_options opt_;
    mutable std::mutex mutex_;
    std::condition_variable cv_; // a stream has something to write, or closing
    bool closed_ = false;
    std::uint64_t next_seq_ = 0;
    std::deque<std::string> kept_; // each entry's JSON text, oldest first
    live_counters counts_;
    std::vector<std::shared_ptr<stream>> streams_;
};

// The page served at GET /, its script and its style sheet (live_page_assets.cpp).
extern const char *const live_page_html;
extern const char *const live_page_js;
extern const char *const live_page_css;

} // namespace seglog::loopback
