#pragma once
// A Segment-compatible HTTP collector on loopback: the library behind `seglog collector`, the
// integration tests, the fault run and the benchmarks. A real HTTP server on its own threads
// (cpp-httplib's Server): it records what arrives, counts unique/duplicate messageIds, and
// answers what it was scripted to (statuses, Retry-After, delays, connection resets, random
// failures, poison).
//
//   seglog::loopback::collector c;                // listening on 127.0.0.1:<free port>
//   cfg.host = c.url();
//   c.script({500, seglog::loopback::reply::reset(), 200});
//   REQUIRE(c.wait_for_unique(10, std::chrono::seconds(10)));
//   CHECK(c.duplicate_count() == 0);

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace httplib {
class Server;
}

namespace seglog::loopback {

// One answer. Implicit from a status code so that `script({500, 429, 200})` reads plainly.
struct reply {
    int status = 200;
    std::string body = "{}";
    std::string retry_after; // Retry-After header value; empty: no header
    std::string location;    // Location header value (for a 3xx); empty: no header
    // Wait this long before answering (or resetting). The wait ends early if the client
    // hangs up (its timeout fired): the request is then recorded with client_gone, and a
    // 2xx still counts as accepted, as Segment would have processed it.
    std::chrono::milliseconds delay{0};
    bool reset_connection = false; // close with a TCP RST instead of answering

    reply() = default;
    reply(int status_code, std::string body_text = "{}") // NOLINT: implicit on purpose
        : status(status_code), body(std::move(body_text)) {}

    static reply retry_later(int status, std::string retry_after_value) {
        reply r(status);
        r.retry_after = std::move(retry_after_value);
        return r;
    }
    static reply redirect(int status, std::string to) {
        reply r(status);
        r.location = std::move(to);
        return r;
    }
    static reply delayed(std::chrono::milliseconds d, int status = 200) {
        reply r(status);
        r.delay = d;
        return r;
    }
    // The request is read in full, then the connection is closed with SO_LINGER{1,0}:
    // the client sees ECONNRESET and no response at all.
    static reply reset(std::chrono::milliseconds d = std::chrono::milliseconds(0)) {
        reply r(0);
        r.delay = d;
        r.reset_connection = true;
        return r;
    }
};

struct ci_less {
    bool operator()(const std::string &a, const std::string &b) const;
};
using header_map = std::multimap<std::string, std::string, ci_less>;

// One request as the collector saw it, recorded once its fate is decided (after any delay).
struct request {
    std::string method;
    std::string path;
    header_map headers;         // as sent, case-insensitive keys
    std::string body;           // decoded: gunzipped when Content-Encoding: gzip (empty when
                                // its encoding was refused with 415)
    std::size_t wire_bytes = 0; // the body's size on the wire, compressed or not: its
                                // Content-Length. A chunked body: its size when not
                                // compressed, 0 (unknown) when it was
    bool json_valid = false;
    nlohmann::json json;                  // parsed body when json_valid
    std::vector<std::string> message_ids; // of the events in "batch" (or of a single event)
    std::size_t events = 0;               // events in the body, with or without messageId
    std::size_t duplicates = 0;           // of its messageIds, already accepted before (2xx only)
    int status = 0;                       // what was answered; 0 when the connection was reset
    bool reset = false;                   // answered with a connection reset
    bool client_gone = false;             // the client had hung up before the answer (it timed out)
    bool protocol_error = false;          // answered by the collector's own checks (invalid JSON,
                                          // encoding, size limits), not by what it was scripted to
    std::uint64_t connection = 0;         // id of the TCP connection it came on (1, 2, ...)
    std::string remote;                   // "ip:port" of the client

    std::string header(const std::string &name) const; // "" when absent
    bool has_header(const std::string &name) const;
};

struct collector_options {
    std::string host = "127.0.0.1";
    int port = 0;                       // 0: any free port
    bool accept_gzip = true;            // false: 415 to Content-Encoding: gzip, like some proxies
    bool segment_limits = true;         // 400 over 500 KB/batch, 32 KB/event, 2500 events/batch
    std::size_t max_body_bytes = 0;     // > 0: 413 to a body larger on the wire, like a stricter
                                        // receiver (Segment's mock one takes 100 KB)
    bool record_bodies = true;          // false: requests() without bodies (benchmarks)
    bool keep_requests = true;          // false: requests() stays empty; counters, accepted ids
                                        // and on_request() still work (long CLI runs)
    bool count_ids_only = false;        // benchmarks: no JSON tree is built. The messageIds of a
                                        // {"batch":[...]} body are found by a scanner that tracks
                                        // strings and nesting (exact for valid JSON: only keys of
                                        // the batch's elements count); no poison rules, no
                                        // request.json, invalid JSON is not always detected
    bool keep_ids = true;               // false: the accepted messageIds are not kept, so
                                        // unique, duplicates, accepted() and accepted_ids()
                                        // stay empty (wait_for_unique() never holds); requests,
                                        // events and bytes are still counted. For a benchmark's
                                        // receiver that must not be the limit: the set of every
                                        // id grows for the whole run, under the lock each
                                        // request's recording takes
    std::size_t threads = 8;            // one per open connection; more connections wait
    std::chrono::seconds keep_alive{5}; // idle connections are closed after this
    // Extra routes (the live page, collector/live_page.h), registered on the server before the
    // collector's own catch-all handlers, so they answer first; their requests are not recorded.
    // Called at each start().
    std::function<void(httplib::Server &)> routes;

    // Non-empty: a request whose Authorization is not Basic base64(write_key + ":") gets 401,
    // whatever its body, as Segment answers a wrong key (and `seglog doctor` expects).
    std::string write_key;
};

struct collector_stats {
    std::size_t requests = 0;    // answered or reset
    std::size_t in_flight = 0;   // received, not yet answered (in a scripted delay)
    std::size_t connections = 0; // TCP connections accepted
    std::size_t events = 0;      // events received, whatever the answer
    std::size_t unique = 0;      // distinct messageIds in 2xx-answered requests
    std::size_t duplicates = 0;  // messageIds seen again in a 2xx-answered request
    std::size_t resets = 0;      // connections reset on purpose
    std::uint64_t bytes = 0;     // request body bytes on the wire (request::wire_bytes)
};

class collector {
public:
    explicit collector(collector_options options = {}); // starts listening
    ~collector();                                       // stops
    collector(const collector &) = delete;
    collector &operator=(const collector &) = delete;

    int port() const;
    std::string url() const; // "http://127.0.0.1:PORT", no trailing slash

    // Down/up. stop() closes the listener and every open connection (a request in a
    // scripted delay is reset); start() listens again on the same port (SO_REUSEADDR).
    void stop();
    void start();
    bool running() const;

    // --- what to answer; precedence: poison, then script, then fail_ratio, then default ---
    void script(std::vector<reply> replies); // appended; one consumed per request
    std::size_t script_left() const;
    void set_default(reply r); // when nothing else applies; 200 "{}" at first
    // A fraction `ratio` of requests gets `failure`, drawn from a generator seeded with `seed`.
    void fail_ratio(double ratio, reply failure = 500, std::uint32_t seed = 42);
    // Any request whose batch holds an event matching `pred` gets `r` (400: Segment's answer
    // to a bad batch), so a test can poison one event and watch the client isolate it.
    void poison_if(std::function<bool(const nlohmann::json &event)> pred, reply r = 400);
    void poison_property(const std::string &name, reply r = 400); // properties.<name> exists
    void clear_faults();                                          // script, ratio, poison, default -> 200 "{}"

    // --- what arrived (thread-safe copies) ---
    std::vector<request> requests() const; // see record_bodies, keep_requests
    collector_stats stats() const;
    std::size_t request_count() const;
    std::size_t connection_count() const;
    std::size_t unique_count() const;
    std::size_t duplicate_count() const;
    std::size_t event_count() const;
    bool accepted(const std::string &message_id) const;
    std::vector<std::string> accepted_ids() const;       // in order of first acceptance
    std::vector<nlohmann::json> accepted_events() const; // first of each id; record_bodies
    void clear_records();                                // forget requests and counters, not faults

    // Called on a server thread after each request is recorded (the CLI prints from it).
    void on_request(std::function<void(const request &)> fn);

    // Waits until cond() is true. Re-evaluated on every recorded request, and every 20 ms
    // for conditions on state outside the collector (e.g. a client's counters, which change
    // after our answer reaches it). cond() may call the collector's accessors.
    bool wait_for(const std::function<bool()> &cond, std::chrono::milliseconds timeout);
    bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout);
    bool wait_for_unique(std::size_t n, std::chrono::milliseconds timeout);

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

} // namespace seglog::loopback
