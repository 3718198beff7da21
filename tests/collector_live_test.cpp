// The collector's live page, server side (collector/live_page.h): the event stream, the bound on
// kept events, the counters, and a browser that stops reading. The page itself runs in Chromium
// in tests/ui/.
#include "collector.h"
#include "live_page.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

using seglog::loopback::collector;
using seglog::loopback::collector_options;
using seglog::loopback::live_feed;
using seglog::loopback::live_options;
using seglog::loopback::reply;

namespace {

constexpr auto patience = std::chrono::milliseconds(10000); // a deadline, never a measurement

nlohmann::json event(const std::string &id, const std::string &padding = "") {
    return {{"type", "track"},
            {"event", "Order Completed"},
            {"userId", "u-42"},
            {"messageId", id},
            {"properties", {{"padding", padding}}}};
}

std::string batch_of(std::initializer_list<const char *> ids) {
    std::vector<nlohmann::json> events;
    for (auto id : ids) events.push_back(event(id));
    return nlohmann::json{{"batch", events}, {"sentAt", "2026-01-01T00:00:00.000Z"}}.dump();
}

// A collector serving the live page; the feed is declared first: the collector's routes use it.
struct live_collector {
    live_feed feed;
    collector c;
    explicit live_collector(live_options o = {}) : feed(std::move(o)), c(options()) {
        c.on_request([this](const seglog::loopback::request &r) { feed.take(r); });
    }
    ~live_collector() { feed.close(); }
    collector_options options() {
        collector_options opt;
        opt.routes = [this](httplib::Server &s) { feed.add_routes(s); };
        return opt;
    }
    httplib::Result post(const std::string &body) {
        httplib::Client cli(c.url());
        return cli.Post("/v1/batch", body, "application/json");
    }
};

// GET /events on a thread of its own, the text kept as it arrives.
struct stream_reader {
    std::mutex mutex;
    std::condition_variable cv;
    std::string text;
    bool ended = false;
    std::atomic<bool> leaving{false}; // the next data (at the latest a keep-alive) ends the read
    std::thread thread;

    explicit stream_reader(const std::string &url) {
        thread = std::thread([this, url] {
            httplib::Client cli(url);
            cli.set_read_timeout(30, 0);
            cli.Get("/events", [this](const char *data, std::size_t n) {
                std::lock_guard<std::mutex> lk(mutex);
                text.append(data, n);
                cv.notify_all();
                return !leaving;
            });
            std::lock_guard<std::mutex> lk(mutex);
            ended = true;
            cv.notify_all();
        });
    }
    ~stream_reader() {
        leaving = true;
        if (thread.joinable()) thread.join();
    }
    // The data of the n-th (1-based) message named `name`, once it has arrived; null at the deadline.
    nlohmann::json message(const std::string &name, int n = 1) {
        std::unique_lock<std::mutex> lk(mutex);
        nlohmann::json found;
        cv.wait_for(lk, patience, [&] {
            int seen = 0;
            const std::string head = "event: " + name + "\ndata: ";
            for (std::size_t at = text.find(head); at != std::string::npos; at = text.find(head, at + 1)) {
                const auto end = text.find("\n\n", at);
                if (end == std::string::npos) return false;
                if (++seen == n) {
                    found = nlohmann::json::parse(text.substr(at + head.size(), end - at - head.size()));
                    return true;
                }
            }
            return ended;
        });
        return found;
    }
    bool wait_ended() {
        std::unique_lock<std::mutex> lk(mutex);
        return cv.wait_for(lk, patience, [&] { return ended; });
    }
};

std::vector<std::string> ids_of(const nlohmann::json &entries) {
    std::vector<std::string> ids;
    for (const auto &e : entries) ids.push_back(e.at("event").at("messageId").get<std::string>());
    return ids;
}

} // namespace

TEST_CASE("the live page's stream: a snapshot first, then each request's events as they arrive") {
    live_collector lc;
    REQUIRE(lc.post(batch_of({"a1"}))->status == 200);

    stream_reader reader(lc.c.url());
    const auto snapshot = reader.message("snapshot");
    REQUIRE(snapshot.is_object());
    CHECK(ids_of(snapshot.at("entries")) == std::vector<std::string>{"a1"});
    CHECK(snapshot.at("max") == 1000);
    CHECK(snapshot.at("validating") == false);

    REQUIRE(lc.post(batch_of({"b1", "b2"}))->status == 200);
    const auto update = reader.message("update");
    REQUIRE(update.is_object());
    CHECK(ids_of(update.at("entries")) == std::vector<std::string>{"b1", "b2"});
    CHECK(update.at("entries").at(0).at("status") == 200);
    CHECK(update.at("entries").at(0).at("seq") == 2);
    CHECK(update.at("entries").at(0).at("path") == "/v1/batch");
    CHECK(update.at("counters").at("requests") == 2);
    CHECK(update.at("counters").at("events") == 3);

    // The page's own requests are not collector traffic.
    httplib::Client cli(lc.c.url());
    auto page = cli.Get("/");
    REQUIRE(page);
    CHECK(page->status == 200);
    CHECK(page->get_header_value("Content-Type") == "text/html; charset=utf-8");
    CHECK(page->body.find("<script src=\"/live.js\"></script>") != std::string::npos);
    CHECK(page->get_header_value("Content-Security-Policy").find("script-src 'self'") != std::string::npos);
    CHECK(lc.c.request_count() == 2);

    lc.feed.close(); // ends the stream: a stopping collector does not wait on open pages
    CHECK(reader.wait_ended());
}

TEST_CASE("only the last max_events are kept; the dropped ones are counted") {
    live_options o;
    o.max_events = 3;
    live_collector lc(o);
    REQUIRE(lc.post(batch_of({"e1", "e2"}))->status == 200);
    REQUIRE(lc.post(batch_of({"e3", "e4", "e5"}))->status == 200);

    const auto snapshot = lc.feed.snapshot();
    CHECK(ids_of(snapshot.at("entries")) == std::vector<std::string>{"e3", "e4", "e5"});
    const auto counters = lc.feed.counters();
    CHECK(counters.events == 5);
    CHECK(counters.kept == 3);
    CHECK(counters.dropped == 2);

    httplib::Client cli(lc.c.url());
    auto json = cli.Get("/events.json");
    REQUIRE(json);
    CHECK(nlohmann::json::parse(json->body) == snapshot);

    // One request larger than the bound sends only its newest to the page.
    stream_reader reader(lc.c.url());
    REQUIRE(reader.message("snapshot").is_object());
    REQUIRE(lc.post(batch_of({"f1", "f2", "f3", "f4"}))->status == 200);
    const auto update = reader.message("update");
    REQUIRE(update.is_object());
    CHECK(ids_of(update.at("entries")) == std::vector<std::string>{"f2", "f3", "f4"});
    CHECK(update.at("counters").at("dropped") == 6);
    lc.feed.close();
}

TEST_CASE("failures count the answers the collector was told to fail, not protocol errors") {
    live_collector lc;
    lc.c.script({503, reply::reset()});
    CHECK(lc.post(batch_of({"x1"}))->status == 503);
    CHECK_FALSE(static_cast<bool>(lc.post(batch_of({"x2"})))); // reset: no answer
    CHECK(lc.post("{not json")->status == 400);
    REQUIRE(lc.post(batch_of({"x1"}))->status == 200);
    REQUIRE(lc.post(batch_of({"x1"}))->status == 200); // accepted again: a duplicate

    const auto counters = lc.feed.counters();
    CHECK(counters.requests == 5);
    CHECK(counters.failures == 2);
    CHECK(counters.duplicates == 1);
    const auto entries = lc.feed.snapshot().at("entries");
    REQUIRE(entries.size() == 4); // the invalid body has no event to show
    CHECK(entries.at(0).at("status") == 503);
    CHECK(entries.at(1).at("status") == 0); // reset
}

TEST_CASE("a plan check gives each event its badge") {
    live_options o;
    o.plan = "plan.json";
    o.validate = [](const nlohmann::json &e) {
        const bool ok = e.value("messageId", "") != "bad";
        return nlohmann::json{{"valid", ok}, {"errors", ok ? "" : "/properties/x: required"}};
    };
    live_collector lc(o);
    REQUIRE(lc.post(batch_of({"good", "bad"}))->status == 200);
    const auto snapshot = lc.feed.snapshot();
    CHECK(snapshot.at("validating") == true);
    CHECK(snapshot.at("plan") == "plan.json");
    CHECK(snapshot.at("entries").at(0).at("check") == nlohmann::json{{"valid", true}, {"errors", ""}});
    CHECK(snapshot.at("entries").at(1).at("check") ==
          nlohmann::json{{"valid", false}, {"errors", "/properties/x: required"}});
}

TEST_CASE("a page that stops reading is dropped; requests never wait on it") {
    live_options o;
    o.client_buffer_bytes = 64 * 1024;
    live_collector lc(o);

    // A client that asks for the stream and never reads it, with a small receive window.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    const int small = 4096;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(lc.c.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0);
    const std::string get = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    REQUIRE(::send(fd, get.data(), get.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(get.size()));
    REQUIRE(lc.c.wait_for([&] { return lc.feed.clients() == 1; }, patience));

    // Events of 30 KB until the stream's buffer overflows: the socket's buffers fill first.
    const std::string padding(30 * 1024, 'p');
    int posted = 0;
    for (; posted < 2000 && lc.feed.counters().clients_dropped == 0; ++posted) {
        const auto body = nlohmann::json{{"batch", {event("big-" + std::to_string(posted), padding)}}}.dump();
        auto r = lc.post(body);
        REQUIRE(r);
        REQUIRE(r->status == 200);
    }
    CHECK(lc.feed.counters().clients_dropped == 1);
    MESSAGE("the stream was dropped after " << posted << " requests of 30 KB");
    // Its connection thread lets go of it (at the latest at the server's write timeout).
    CHECK(lc.c.wait_for([&] { return lc.feed.clients() == 0; }, patience));
    ::close(fd);

    // A page that reads is served as before, from a new snapshot.
    stream_reader reader(lc.c.url());
    const auto snapshot = reader.message("snapshot");
    REQUIRE(snapshot.is_object());
    CHECK(snapshot.at("counters").at("events") == posted);
    lc.feed.close();
}

TEST_CASE("at most max_clients streams at once; more get 503") {
    live_options o;
    o.max_clients = 1;
    live_collector lc(o);
    stream_reader first(lc.c.url());
    REQUIRE(first.message("snapshot").is_object());
    httplib::Client cli(lc.c.url());
    auto second = cli.Get("/events");
    REQUIRE(second);
    CHECK(second->status == 503);
    CHECK(second->body == "too many live pages open\n");
    lc.feed.close();
}
