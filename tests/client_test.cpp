// The delivery client end to end: seglog::client (and the sinks in front of it) against the
// loopback collector, a real HTTP server on 127.0.0.1. Every test waits on a condition
// (client.flush(timeout), collector.wait_for(...)); a timeout here is a failure, never a
// measurement, and nothing sleeps to synchronise.
#include "async_logging.h"
#include "collector.h"

#include <doctest/doctest.h>

#include <seglog/seglog.h>

#include "common/errors.h"
#include "event/serialize.h"

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using seglog::loopback::collector;
using seglog::loopback::collector_options;
using seglog::loopback::reply;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

// A deadline for conditions that should hold quickly; reaching it means the test failed.
constexpr auto patience = std::chrono::milliseconds(30000);

// A key no real account has, distinctive enough to grep for in everything the client says.
const std::string k_write_key = "wk_SECRET_PLANTED_123456";
// base64("wk_SECRET_PLANTED_123456:"), computed once outside the code under test.
const std::string k_authorization = "Basic d2tfU0VDUkVUX1BMQU5URURfMTIzNDU2Og==";

// 2026-01-02T03:04:05.678Z, the shape of `timestamp` and `sentAt`.
bool is_iso8601_ms(const std::string &s) {
    static const std::regex re(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
    return std::regex_match(s, re);
}

bool is_uuid(const std::string &s) {
    static const std::regex re(R"(^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)");
    return std::regex_match(s, re);
}

// Seconds between an ISO-8601 UTC time and now: a wrong clock or time zone shows as hours.
long long seconds_from_now(const std::string &iso) {
    std::tm tm{};
    if (!strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 1LL << 40;
    const auto t = static_cast<long long>(timegm(&tm));
    const auto now = static_cast<long long>(std::time(nullptr));
    return t > now ? t - now : now - t;
}

std::set<std::string> keys_of(const json &o) {
    std::set<std::string> k;
    for (auto it = o.begin(); it != o.end(); ++it) k.insert(it.key());
    return k;
}

// Code points, to show that a limit is about bytes.
std::size_t utf8_chars(const std::string &s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

seglog::config config_for(const collector &c) {
    seglog::config cfg;
    cfg.destinations = {seglog::destination::segment()};
    cfg.write_key = k_write_key;
    cfg.host = c.url();
    cfg.flush_interval = 60s;   // batches leave by count, flush() or close() unless a test says otherwise
    cfg.backoff_base = 20ms;    // retries come quickly (the retry suite covers the policy itself)
    cfg.backoff_cap = 200ms;
    cfg.close_timeout = 10s;
    return cfg;
}

// A record as the record bridge carries it, with a messageId the test knows.
std::string make_record(int n, const std::string &pad = {}, std::size_t max_bytes = 64 * 1024) {
    std::string out;
    const seglog::identity who = seglog::user("u-record");
    auto build = [&](const seglog::properties &props) {
        const seglog::detail::event_fields f{seglog::event_type::track, &who, "Record Event", {}, {}, {}, &props,
                                             nullptr};
        return seglog::detail::serialize_event(f, out, max_bytes);
    };
    auto err = pad.empty() ? build({{"n", n}}) : build({{"n", n}, {"pad", pad}});
    REQUIRE_FALSE(err.has_value());
    return out;
}

std::string id_of(const std::string &record) { return std::string(seglog::detail::record_message_id(record)); }

std::vector<std::string> ids_of(const std::vector<std::string> &records) {
    std::vector<std::string> ids;
    for (const auto &r : records) ids.push_back(id_of(r));
    return ids;
}

// Everything the client's callbacks reported, copied out under a lock.
struct observed {
    mutable std::mutex m;
    std::vector<seglog::error> errors;
    std::vector<seglog::delivery_info> deliveries;
    std::vector<seglog::attempt_info> attempts;

    void watch(seglog::client &cl) {
        cl.on_error([this](const seglog::error &e) {
            std::lock_guard<std::mutex> l(m);
            errors.push_back(e);
        });
        cl.on_delivered([this](const seglog::delivery_info &d) {
            std::lock_guard<std::mutex> l(m);
            deliveries.push_back(d);
        });
        cl.on_attempt([this](const seglog::attempt_info &a) {
            std::lock_guard<std::mutex> l(m);
            attempts.push_back(a);
        });
    }
    std::vector<seglog::error> errors_with(seglog::reason r) const {
        std::lock_guard<std::mutex> l(m);
        std::vector<seglog::error> out;
        for (const auto &e : errors)
            if (e.code == r) out.push_back(e);
        return out;
    }
    std::vector<std::string> delivered_ids() const {
        std::lock_guard<std::mutex> l(m);
        std::vector<std::string> ids;
        for (const auto &d : deliveries) ids.insert(ids.end(), d.message_ids.begin(), d.message_ids.end());
        return ids;
    }
    std::vector<seglog::attempt_info> attempts_copy() const {
        std::lock_guard<std::mutex> l(m);
        return attempts;
    }
    std::vector<seglog::delivery_info> deliveries_copy() const {
        std::lock_guard<std::mutex> l(m);
        return deliveries;
    }
    std::vector<seglog::error> errors_copy() const {
        std::lock_guard<std::mutex> l(m);
        return errors;
    }
};

// Redirects file descriptor 2 to a temporary file for its lifetime; text() reads it back.
class stderr_capture {
public:
    stderr_capture() {
        char tmpl[] = "/tmp/seglog-client-stderr-XXXXXX";
        fd_ = ::mkstemp(tmpl);
        REQUIRE(fd_ >= 0);
        path_ = tmpl;
        std::fflush(stderr);
        saved_ = ::dup(2);
        ::dup2(fd_, 2);
    }
    ~stderr_capture() {
        restore();
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    std::string text() {
        restore();
        return peek();
    }
    // What was written so far, still capturing.
    std::string peek() {
        std::fflush(stderr);
        std::ifstream in(path_);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

private:
    void restore() {
        if (saved_ < 0) return;
        std::fflush(stderr);
        ::dup2(saved_, 2);
        ::close(saved_);
        saved_ = -1;
    }
    int fd_ = -1;
    int saved_ = -1;
    std::string path_;
};

std::size_t total_events(const std::vector<seglog::loopback::request> &reqs) {
    std::size_t n = 0;
    for (const auto &r : reqs) n += r.events;
    return n;
}

// The stats a user checks after a run where everything went well.
void check_settled_cleanly(const seglog::stats &s, std::uint64_t events) {
    CHECK(s.accepted == events);
    CHECK(s.delivered == events);
    CHECK(s.failed == 0);
    CHECK(s.dropped == 0);
    CHECK(s.evicted == 0);
    CHECK(s.returned == 0);
    CHECK(s.queued_events == 0);
    CHECK(s.queued_bytes == 0);
    CHECK(s.pending_bytes == 0);
    CHECK(s.in_flight == 0);
    CHECK(s.batches_delivered == s.batches_sent);
}

} // namespace

// ---------------------------------------------------------------------------------------------
// The wire format
// ---------------------------------------------------------------------------------------------

TEST_CASE("the six calls arrive as one Segment batch: path, headers and every field") {
    collector c;
    auto cfg = config_for(c);
    std::string expected_path = "/v1/batch";
    SUBCASE("default path") {}
    SUBCASE("custom path") {
        cfg.path = "/collect/v2/import";
        expected_path = cfg.path;
    }
    observed seen; // outlives the client, whose destructor may still report
    seglog::client cl(cfg);
    seen.watch(cl);

    CHECK(cl.track(seglog::user("u-1"), "Order Completed", {{"order_id", "o-1"}, {"revenue", 42.5}, {"items", 3}}));
    CHECK(cl.identify(seglog::user("u-2", "a-2"), {{"plan", "pro"}, {"vip", true}}));
    CHECK(cl.page(seglog::anonymous("a-3"), "Home", {{"path", "/"}}));
    CHECK(cl.screen(seglog::user("u-4"), "Settings", {{"tab", "privacy"}}));
    CHECK(cl.group(seglog::user("u-5"), "org-7", {{"name", "Acme"}, {"seats", 12}}));
    CHECK(cl.alias("a-9", "u-42"));

    auto fr = cl.flush(patience);
    REQUIRE(fr.complete);
    CHECK(fr.pending == 0);

    auto reqs = c.requests();
    REQUIRE(reqs.size() == 1);
    const auto &r = reqs[0];
    CHECK(r.method == "POST");
    CHECK(r.path == expected_path);
    CHECK(r.header("Content-Type") == "application/json");
    CHECK(r.header("Authorization") == k_authorization);
    CHECK(r.header("User-Agent") == std::string("seglog/") + seglog::version);
    CHECK_FALSE(r.has_header("X-Retry-Count"));
    CHECK_FALSE(r.has_header("Content-Encoding"));
    CHECK(r.status == 200);
    CHECK(r.wire_bytes == r.body.size());
    CHECK(r.body.find(k_write_key) == std::string::npos);

    REQUIRE(r.json_valid);
    CHECK(keys_of(r.json) == std::set<std::string>{"batch", "sentAt"});
    CHECK(is_iso8601_ms(r.json["sentAt"].get<std::string>()));
    CHECK(seconds_from_now(r.json["sentAt"].get<std::string>()) < 600);
    // The body is the envelope around the records, nothing else: {"batch":[...],"sentAt":"..."}
    CHECK(r.body.rfind("{\"batch\":[", 0) == 0);
    CHECK(r.body.size() > 48);
    const auto &batch = r.json["batch"];
    REQUIRE(batch.size() == 6);

    std::set<std::string> ids;
    for (const auto &e : batch) {
        const auto id = e.at("messageId").get<std::string>();
        CHECK(is_uuid(id));
        ids.insert(id);
        CHECK(is_iso8601_ms(e.at("timestamp").get<std::string>()));
        CHECK(seconds_from_now(e.at("timestamp").get<std::string>()) < 600);
        CHECK(e.at("context").at("library") == json{{"name", "seglog"}, {"version", seglog::version}});
        CHECK(e.at("integrations") == json::object());
    }
    CHECK(ids.size() == 6);

    const std::set<std::string> common{"messageId", "type", "timestamp", "context", "integrations"};
    auto with = [&](std::initializer_list<const char *> more) {
        auto k = common;
        for (auto m : more) k.insert(m);
        return k;
    };

    const auto &track = batch[0];
    CHECK(track["type"] == "track");
    CHECK(keys_of(track) == with({"userId", "event", "properties"}));
    CHECK(track["userId"] == "u-1");
    CHECK(track["event"] == "Order Completed");
    CHECK(track["properties"] == json{{"order_id", "o-1"}, {"revenue", 42.5}, {"items", 3}});

    const auto &identify = batch[1];
    CHECK(identify["type"] == "identify");
    CHECK(keys_of(identify) == with({"userId", "anonymousId", "traits"}));
    CHECK(identify["userId"] == "u-2");
    CHECK(identify["anonymousId"] == "a-2");
    CHECK(identify["traits"] == json{{"plan", "pro"}, {"vip", true}});

    const auto &page = batch[2];
    CHECK(page["type"] == "page");
    CHECK(keys_of(page) == with({"anonymousId", "name", "properties"}));
    CHECK(page["anonymousId"] == "a-3");
    CHECK(page["name"] == "Home");
    CHECK(page["properties"] == json{{"path", "/"}});

    const auto &screen = batch[3];
    CHECK(screen["type"] == "screen");
    CHECK(keys_of(screen) == with({"userId", "name", "properties"}));
    CHECK(screen["userId"] == "u-4");
    CHECK(screen["name"] == "Settings");
    CHECK(screen["properties"] == json{{"tab", "privacy"}});

    const auto &group = batch[4];
    CHECK(group["type"] == "group");
    CHECK(keys_of(group) == with({"userId", "groupId", "traits"}));
    CHECK(group["userId"] == "u-5");
    CHECK(group["groupId"] == "org-7");
    CHECK(group["traits"] == json{{"name", "Acme"}, {"seats", 12}});

    const auto &alias = batch[5];
    CHECK(alias["type"] == "alias");
    CHECK(keys_of(alias) == with({"userId", "previousId"}));
    CHECK(alias["userId"] == "u-42");
    CHECK(alias["previousId"] == "a-9");

    // What on_delivered reports is what went over the wire.
    CHECK(seen.delivered_ids() == r.message_ids);
    auto deliveries = seen.deliveries_copy();
    REQUIRE(deliveries.size() == 1);
    CHECK(deliveries[0].events == 6);
    CHECK(deliveries[0].body_bytes == r.body.size());
    check_settled_cleanly(cl.stats(), 6);
    CHECK(cl.stats().batches_sent == 1);
    CHECK(cl.stats().bytes_sent == r.wire_bytes);
}

// ---------------------------------------------------------------------------------------------
// Batch boundaries
// ---------------------------------------------------------------------------------------------

TEST_CASE("a batch is cut at flush_at events, without flush()") {
    collector c;
    auto cfg = config_for(c);
    cfg.flush_at = 10;
    seglog::client cl(cfg);

    for (int i = 0; i < 95; ++i) REQUIRE(cl.track(seglog::user("u-count"), "Counted", {{"i", i}}));
    // flush_interval is a minute away: the nine full batches can only have left by count.
    REQUIRE(c.wait_for_requests(9, patience));
    REQUIRE(cl.flush(patience).complete);

    auto reqs = c.requests();
    REQUIRE(reqs.size() == 10);
    std::multiset<std::size_t> sizes;
    for (const auto &r : reqs) sizes.insert(r.events);
    CHECK(sizes.count(10) == 9);
    CHECK(sizes.count(5) == 1);
    CHECK(c.unique_count() == 95);
    CHECK(c.duplicate_count() == 0);
    check_settled_cleanly(cl.stats(), 95);
    CHECK(cl.stats().batches_sent == 10);
}

TEST_CASE("max_batch_events bounds a batch; flush_at above it is a configuration error") {
    collector c;
    auto cfg = config_for(c);
    SUBCASE("refused at construction") {
        cfg.max_batch_events = 7;
        cfg.flush_at = 8;
        CHECK_THROWS_AS(seglog::client{cfg}, seglog::config_error);
    }
    SUBCASE("batches never exceed it") {
        cfg.max_batch_events = 7;
        cfg.flush_at = 7;
        seglog::client cl(cfg);
        for (int i = 0; i < 50; ++i) REQUIRE(cl.track(seglog::user("u-max"), "Bounded", {{"i", i}}));
        REQUIRE(cl.flush(patience).complete);
        auto reqs = c.requests();
        REQUIRE(reqs.size() == 8);
        for (const auto &r : reqs) CHECK(r.events <= 7);
        CHECK(total_events(reqs) == 50);
        CHECK(c.unique_count() == 50);
    }
}

TEST_CASE("a batch is cut at max_batch_bytes, counted in UTF-8 bytes, and not earlier than needed") {
    collector c;
    auto cfg = config_for(c);
    cfg.max_batch_bytes = 4096;
    cfg.max_event_bytes = 2048;
    cfg.flush_at = 1000;
    seglog::client cl(cfg);

    // 3 code points, 10 bytes: counting characters would pack about twice as many events.
    std::string text;
    for (int i = 0; i < 60; ++i) text += "\xE6\x9D\xB1\xE4\xBA\xAC\xF0\x9F\x98\x80"; // 東京😀
    constexpr int events = 60;
    for (int i = 0; i < events; ++i) {
        char n[8];
        std::snprintf(n, sizeof n, "%04d", i); // every event the same size
        REQUIRE(cl.track(seglog::user("u-bytes"), "Multibyte", {{"n", n}, {"text", text}}));
    }
    REQUIRE(cl.flush(patience).complete);

    auto reqs = c.requests();
    REQUIRE(reqs.size() > 1);
    CHECK(total_events(reqs) == events);
    CHECK(c.unique_count() == events);

    // Every event serialises to the same number of bytes E, so a body of k events is
    // 48 (envelope) + k*E + (k-1) (commas).
    std::size_t event_bytes = 0;
    for (const auto &r : reqs) {
        CHECK(r.wire_bytes <= cfg.max_batch_bytes);
        CHECK(r.status == 200);
        CHECK(r.body.find("\xE6\x9D\xB1\xE4\xBA\xAC") != std::string::npos); // sent as UTF-8, not \u escapes
        REQUIRE(r.events > 0);
        const std::size_t e = (r.body.size() - 48 - (r.events - 1)) / r.events;
        CHECK((r.body.size() - 48 - (r.events - 1)) % r.events == 0);
        if (event_bytes == 0) event_bytes = e;
        CHECK(e == event_bytes);
    }
    REQUIRE(event_bytes > 0);
    // Bytes, not characters, are what the limit is about.
    CHECK(utf8_chars(reqs[0].body) * 3 / 2 < reqs[0].body.size());

    // Not cut earlier than needed: one more event would not have fitted in any batch but the last.
    std::sort(reqs.begin(), reqs.end(), [](const auto &a, const auto &b) {
        return a.json["batch"][0]["properties"]["n"].template get<std::string>() <
               b.json["batch"][0]["properties"]["n"].template get<std::string>();
    });
    for (std::size_t i = 0; i + 1 < reqs.size(); ++i) {
        CAPTURE(i);
        CHECK(reqs[i].body.size() + 1 + event_bytes > cfg.max_batch_bytes);
    }
}

TEST_CASE("max_batch_bytes holds for a batch of one: an event that cannot fit in any batch is refused") {
    collector c;
    auto cfg = config_for(c);
    cfg.max_batch_bytes = 2048;
    cfg.max_event_bytes = 2048; // allowed by validate(): equal limits
    observed seen; // outlives the client, whose destructor may still report
    seglog::client cl(cfg);
    seen.watch(cl);

    // 2048 - 48 bytes is the largest record a 2048-byte body can carry.
    auto sized = [](int n, std::size_t want) {
        std::string r = make_record(n, std::string(1000, 'p'));
        return make_record(n, std::string(1000 + want - r.size(), 'p'));
    };
    const std::string fits = sized(1, 2048 - 48);
    const std::string too_big = sized(2, 2048 - 47);
    REQUIRE(fits.size() == 2000);
    REQUIRE(too_big.size() == 2001);
    CHECK(cl.enqueue(fits));
    CHECK_FALSE(cl.enqueue(too_big));
    REQUIRE(cl.flush(patience).complete);

    for (const auto &r : c.requests()) CHECK(r.wire_bytes <= cfg.max_batch_bytes);
    CHECK(c.accepted(id_of(fits)));
    CHECK_FALSE(c.accepted(id_of(too_big)));
    auto refused = seen.errors_with(seglog::reason::event_too_large);
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].message_ids == std::vector<std::string>{id_of(too_big)});
    CHECK(cl.stats().by_reason[static_cast<int>(seglog::reason::event_too_large)] == 1);
}

TEST_CASE("a batch below flush_at leaves after flush_interval, without flush()") {
    collector c;
    auto cfg = config_for(c);
    cfg.flush_at = 100;
    cfg.flush_interval = 100ms;
    seglog::client cl(cfg);

    for (int i = 0; i < 3; ++i) REQUIRE(cl.track(seglog::user("u-interval"), "Waited", {{"i", i}}));
    REQUIRE(c.wait_for_unique(3, patience));
    auto reqs = c.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].events == 3);

    // And again after an idle period: the timer is per batch, not a one-off.
    REQUIRE(cl.track(seglog::user("u-interval"), "Waited", {{"i", 3}}));
    REQUIRE(c.wait_for_unique(4, patience));
    CHECK(c.request_count() == 2);
    CHECK(c.wait_for([&] { return cl.stats().delivered == 4; }, patience));
}

TEST_CASE("a batch is dated from its first event, not from when the worker saw it") {
    // Producers do not wake the worker for a batch that is not full (a syscall on the caller's
    // path); the worker, asleep for at most flush_interval, dates the batch from the event's
    // arrival. An event that arrives while the worker sleeps still leaves flush_interval after
    // it, not up to twice that.
    collector c;
    auto cfg = config_for(c);
    cfg.flush_at = 100;
    cfg.flush_interval = 1s;
    seglog::client cl(cfg);
    // flush() delivers a first event; the worker then goes back to sleep for flush_interval,
    // and the next event arrives at the start of that sleep.
    REQUIRE(cl.track(seglog::user("u-dated"), "Before"));
    REQUIRE(cl.flush(patience).complete);
    const auto pushed = std::chrono::steady_clock::now();
    REQUIRE(cl.track(seglog::user("u-dated"), "Dated"));
    REQUIRE(c.wait_for_unique(2, patience));
    const auto waited = std::chrono::steady_clock::now() - pushed;
    CHECK(waited >= cfg.flush_interval - 50ms);
    // Dated from when the worker saw it (its wake-up, a flush_interval later), it would leave
    // about two flush_intervals after the push.
    CHECK(waited < cfg.flush_interval + 500ms);
}

struct thread_info {
    std::string name;
    int nice = 0;
};

// Name and nice value of every thread of this process, from /proc/self/task/<tid>/stat.
std::map<long, thread_info> threads_now() {
    std::map<long, thread_info> out;
    for (const auto &entry : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream in(entry.path() / "stat");
        std::string line;
        if (!std::getline(in, line)) continue; // the thread ended meanwhile
        const auto open = line.find('('), close = line.rfind(')'); // the name may hold anything
        if (open == std::string::npos || close == std::string::npos) continue;
        thread_info t;
        t.name = line.substr(open + 1, close - open - 1);
        std::istringstream fields(line.substr(close + 2));
        std::string f;
        for (int i = 3; i <= 19 && fields >> f; ++i)
            if (i == 19) t.nice = std::stoi(f);
        out[std::stol(entry.path().filename().string())] = t;
    }
    return out;
}

TEST_CASE("the worker thread, named seglog-worker, runs worker_nice below the caller; 0 leaves it alone") {
    collector c;
    const int base = ::getpriority(PRIO_PROCESS, 0);
    for (int worker_nice : {7, 0}) {
        CAPTURE(worker_nice);
        const auto before = threads_now();
        auto cfg = config_for(c);
        cfg.worker_nice = worker_nice;
        seglog::client cl(cfg);
        REQUIRE(cl.track(seglog::user("u-nice"), "Niced"));
        REQUIRE(cl.flush(patience).complete); // the worker has run
        int workers = 0;
        for (const auto &[tid, t] : threads_now()) {
            auto it = before.find(tid);
            if (it != before.end()) {
                CHECK(t.nice == it->second.nice); // no thread of the caller's changed
            } else if (t.name == "seglog-worker") {
                ++workers;
                CHECK(t.nice == std::min(19, base + worker_nice));
            }
        }
        CHECK(workers == 1);
    }
}

// ---------------------------------------------------------------------------------------------
// The per-event limit
// ---------------------------------------------------------------------------------------------

TEST_CASE("an event over 32 KB is refused, counted, reported, and never sent") {
    collector c;
    auto cfg = config_for(c);
    observed seen; // outlives the client, whose destructor may still report
    seglog::client cl(cfg);
    seen.watch(cl);

    // Through a call: serialised, measured, refused.
    const std::string big(40 * 1024, 'x');
    CHECK_FALSE(cl.track(seglog::user("u-big"), "Too Big", {{"blob", big}}));

    // Through enqueue (what the record bridge uses): the messageId is in the report.
    const std::string big_record = make_record(1, std::string(33 * 1024, 'y'));
    REQUIRE(big_record.size() > 32 * 1024);
    CHECK_FALSE(cl.enqueue(big_record));

    // Exactly at the limit is fine.
    std::string at_limit = make_record(2, std::string(32 * 1024 - 400, 'z'));
    const std::size_t grow = 32 * 1024 - at_limit.size();
    at_limit = make_record(2, std::string(32 * 1024 - 400 + grow, 'z'));
    REQUIRE(at_limit.size() == 32 * 1024);
    CHECK(cl.enqueue(at_limit));
    CHECK(cl.track(seglog::user("u-small"), "Small Enough"));

    REQUIRE(cl.flush(patience).complete);

    auto too_large = seen.errors_with(seglog::reason::event_too_large);
    REQUIRE(too_large.size() == 2);
    CHECK(too_large[0].message.find("32768") != std::string::npos);
    CHECK(too_large[1].message_ids == std::vector<std::string>{id_of(big_record)});

    auto s = cl.stats();
    CHECK(s.dropped == 2);
    CHECK(s.by_reason[static_cast<int>(seglog::reason::event_too_large)] == 2);
    CHECK(s.accepted == 2);
    CHECK(s.delivered == 2);

    CHECK(c.unique_count() == 2);
    CHECK(c.accepted(id_of(at_limit)));
    CHECK_FALSE(c.accepted(id_of(big_record)));
    for (const auto &r : c.requests()) {
        CHECK(r.body.find("Too Big") == std::string::npos);
        CHECK(r.body.find(std::string(1024, 'y')) == std::string::npos);
    }
}

TEST_CASE("record_message_id: the id when the record starts with it, plain; nothing otherwise") {
    using seglog::detail::record_message_id;
    const std::string uuid = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d";
    CHECK(record_message_id(R"({"messageId":")" + uuid + R"(","type":"track"})") == uuid);
    CHECK(record_message_id(R"({"messageId":"m-1","type":"track"})") == "m-1");
    // A short id, with a quote where a 36-character id would end: still "m-1".
    std::string tricky = R"({"messageId":"m-1","e":")";
    tricky += std::string(50 - tricky.size(), 'x') + "\"}";
    REQUIRE(tricky[50] == '"');
    CHECK(record_message_id(tricky) == "m-1");
    CHECK(record_message_id(R"({"messageId":"a\"b","type":"track"})").empty());             // escaped
    CHECK(record_message_id(R"({"type":"track","messageId":"m-1"})").empty());               // not first
    CHECK(record_message_id(R"({"messageId":")" + std::string(101, 'a') + R"("})").empty()); // too long
    CHECK(record_message_id(R"({"messageId":"")").empty());
    CHECK(record_message_id("").empty());
}

TEST_CASE("enqueue: a record whose messageId is not its first member keeps its id everywhere") {
    collector c;
    auto cfg = config_for(c);
    observed seen; // outlives the client, whose destructor may still report
    seglog::client cl(cfg);
    seen.watch(cl);

    // Written by hand, keys in another order than the serialiser's.
    const std::string record = R"({"type":"track","event":"Hand Written","userId":"u-hand",)"
                               R"("properties":{"n":1},"timestamp":"2026-01-02T03:04:05.678Z",)"
                               R"("messageId":"hand-written-1"})";
    REQUIRE(cl.enqueue(record));
    REQUIRE(cl.flush(patience).complete);

    CHECK(seen.delivered_ids() == std::vector<std::string>{"hand-written-1"});
    CHECK(c.accepted_ids() == std::vector<std::string>{"hand-written-1"});
    const auto events = c.accepted_events();
    REQUIRE(events.size() == 1);
    CHECK(events[0] == json::parse(record)); // the same members and values on the wire
    CHECK(cl.stats().delivered == 1);

    // Returned by close(): the caller gets the id back in the error too.
    c.stop();
    REQUIRE(cl.enqueue(R"({"event":"Late","type":"track","userId":"u-hand","messageId":"hand-written-2"})"));
    const auto left = cl.close(500ms);
    REQUIRE(left.size() == 1);
    CHECK(json::parse(left[0]) ==
          json::parse(R"({"event":"Late","type":"track","userId":"u-hand","messageId":"hand-written-2"})"));
    const auto returned = seen.errors_with(seglog::reason::undelivered_at_close);
    REQUIRE(returned.size() == 1);
    CHECK(returned[0].message_ids == std::vector<std::string>{"hand-written-2"});
}

TEST_CASE("enqueue: a record without a usable messageId is refused, counted and reported with why") {
    collector c;
    auto cfg = config_for(c);
    observed seen; // outlives the client, whose destructor may still report
    seglog::client cl(cfg);
    seen.watch(cl);

    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"type":"track","event":"No Id","userId":"u-1"})", "no \"messageId\" string"},
        {R"({"type":"track","messageId":42,"userId":"u-1"})", "no \"messageId\" string"},
        {R"({"type":"track","messageId":"","userId":"u-1"})", "\"messageId\" is empty"},
        {R"({"type":"track","userId":"u-1","messageId":")" + std::string(101, 'a') + R"("})", "over 100 bytes"},
        {R"({"messageId":")" + std::string(101, 'a') + R"(","type":"track"})", "over 100 bytes"},
        {R"({"messageId":"a\"b","type":"track"})", "JSON escapes"},
        {R"(["messageId","m-1"])", "not a JSON object"},
        {R"({"type":"track","messageId":"m-1",)", "not valid JSON"},
        {"{\"type\":\"track\",\"messageId\":\"m-1\",\"event\":\"\xff\"}", "not valid UTF-8"},
        {std::string(100, '[') + std::string(100, ']'), "nests deeper than 64 levels"},
    };
    for (const auto &[record, why] : cases) {
        CAPTURE(record);
        CHECK_FALSE(cl.enqueue(record));
        const auto refused = seen.errors_with(seglog::reason::invalid_record);
        REQUIRE_FALSE(refused.empty());
        CHECK(refused.back().message.find(why) != std::string::npos);
        CHECK(refused.back().message_ids.empty()); // no bytes of the record taken for an id
    }
    REQUIRE(cl.flush(patience).complete);
    const auto s = cl.stats();
    CHECK(s.dropped == cases.size());
    CHECK(s.by_reason[static_cast<int>(seglog::reason::invalid_record)] == cases.size());
    CHECK(s.accepted == 0);
    CHECK(c.request_count() == 0);
    CHECK(std::string(seglog::to_string(seglog::reason::invalid_record)) == "invalid_record");
}

// ---------------------------------------------------------------------------------------------
// Transport behaviour seen from the client
// ---------------------------------------------------------------------------------------------

TEST_CASE("gzip: Content-Encoding, the same events decoded, fewer bytes on the wire") {
    collector c;
    auto cfg = config_for(c);
    cfg.gzip = true;
    cfg.flush_at = 50;
    observed seen; // outlives the client, whose destructor may still report
    seglog::client cl(cfg);
    seen.watch(cl);

    for (int i = 0; i < 200; ++i)
        REQUIRE(cl.track(seglog::user("u-gzip"), "Compressible Event",
                         {{"i", i}, {"description", "the same words again and again and again"}}));
    REQUIRE(cl.flush(patience).complete);

    auto reqs = c.requests();
    REQUIRE(reqs.size() == 4);
    std::size_t raw = 0, plain = 0;
    for (const auto &r : reqs) {
        CHECK(r.header("Content-Encoding") == "gzip");
        CHECK(r.header("Content-Type") == "application/json");
        CHECK(r.status == 200);
        REQUIRE(r.json_valid);
        CHECK(r.wire_bytes < r.body.size()); // compressed on the wire
        raw += r.wire_bytes;
        plain += r.body.size();
    }
    CHECK(c.unique_count() == 200);
    std::set<int> numbers;
    for (const auto &e : c.accepted_events()) {
        CHECK(e["event"] == "Compressible Event");
        CHECK(e["userId"] == "u-gzip");
        numbers.insert(e["properties"]["i"].get<int>());
    }
    CHECK(numbers.size() == 200);

    auto s = cl.stats();
    check_settled_cleanly(s, 200);
    CHECK(s.bytes_sent == raw);
    CHECK(s.bytes_sent < plain);
    CHECK(s.bytes_sent * 3 < plain); // this data compresses well

    std::size_t attempt_bytes = 0, body_bytes = 0;
    for (const auto &a : seen.attempts_copy()) attempt_bytes += a.bytes;
    for (const auto &d : seen.deliveries_copy()) body_bytes += d.body_bytes;
    CHECK(attempt_bytes == raw);
    CHECK(body_bytes == plain);
}

TEST_CASE("many sequential batches reuse their connections") {
    collector c;
    auto cfg = config_for(c);
    cfg.flush_at = 5;
    seglog::client cl(cfg);

    for (int b = 0; b < 40; ++b) {
        for (int i = 0; i < 5; ++i) REQUIRE(cl.track(seglog::user("u-reuse"), "Reused", {{"b", b}, {"i", i}}));
        REQUIRE(cl.flush(patience).complete);
    }
    CHECK(c.request_count() == 40);
    CHECK(c.unique_count() == 200);
    CHECK(c.connection_count() <= cfg.max_in_flight);
    check_settled_cleanly(cl.stats(), 200);
}

TEST_CASE("max_in_flight requests are under way at once, never more") {
    collector c;
    c.set_default(reply::delayed(1000ms));
    auto cfg = config_for(c);
    cfg.flush_at = 1;
    cfg.max_in_flight = 3;
    seglog::client cl(cfg);

    for (int i = 0; i < 9; ++i) REQUIRE(cl.track(seglog::user("u-par"), "Parallel", {{"i", i}}));
    std::size_t most = 0;
    REQUIRE(c.wait_for(
        [&] {
            most = std::max(most, c.stats().in_flight);
            return c.unique_count() == 9;
        },
        patience));
    CHECK(most >= 2);
    CHECK(most <= 3);
    // Three at a time, each answered after the delay: the busiest moment had three.
    CHECK(most == 3);
    REQUIRE(cl.flush(patience).complete);
    CHECK(c.duplicate_count() == 0);
    CHECK(c.connection_count() <= 3);
    check_settled_cleanly(cl.stats(), 9);
}

// ---------------------------------------------------------------------------------------------
// flush() and close()
// ---------------------------------------------------------------------------------------------

TEST_CASE("flush: complete when delivered; incomplete at its timeout while the collector is down") {
    collector c;
    auto cfg = config_for(c);
    seglog::client cl(cfg);

    for (int i = 0; i < 10; ++i) REQUIRE(cl.track(seglog::user("u-flush"), "Flushed", {{"i", i}}));
    auto done = cl.flush(patience);
    CHECK(done.complete);
    CHECK(static_cast<bool>(done));
    CHECK(done.pending == 0);
    CHECK(c.unique_count() == 10);

    c.stop();
    for (int i = 0; i < 5; ++i) REQUIRE(cl.track(seglog::user("u-flush"), "Stuck", {{"i", i}}));
    auto stuck = cl.flush(300ms);
    CHECK_FALSE(stuck.complete);
    CHECK_FALSE(static_cast<bool>(stuck));
    CHECK(stuck.pending == 5);
    CHECK(cl.stats().delivered == 10);

    // Back up: the same events go out, once.
    c.start();
    CHECK(cl.flush(patience).complete);
    CHECK(c.unique_count() == 15);
    CHECK(c.duplicate_count() == 0);
    CHECK(cl.close(patience).empty());
}

TEST_CASE("close with the collector up delivers everything and returns nothing") {
    collector c;
    auto cfg = config_for(c);
    cfg.flush_at = 20;
    observed seen; // outlives the client, whose destructor may still report
    seglog::client cl(cfg);
    seen.watch(cl);

    std::vector<std::string> records;
    for (int i = 0; i < 50; ++i) records.push_back(make_record(i));
    for (const auto &r : records) REQUIRE(cl.enqueue(r));
    auto left = cl.close(patience);
    CHECK(left.empty());
    CHECK(cl.closed());
    CHECK(c.unique_count() == 50);
    for (const auto &id : ids_of(records)) CHECK(c.accepted(id));
    auto s = cl.stats();
    check_settled_cleanly(s, 50);
    CHECK(seen.errors_copy().empty());
    CHECK(cl.close(patience).empty()); // a second close returns nothing
}

TEST_CASE("close with the collector down or too slow: within the timeout, the exact undelivered JSON") {
    collector c;
    auto cfg = config_for(c);
    cfg.flush_at = 5;
    const auto timeout = 1000ms;

    std::vector<std::string> records;
    for (int i = 0; i < 12; ++i) records.push_back(make_record(i));

    SUBCASE("collector stopped") { c.stop(); }
    SUBCASE("collector answers after the timeout") {
        c.set_default(reply::delayed(60s));
        cfg.request_timeout = 60s;
    }

    observed seen; // outlives the client, whose destructor may still report
    seglog::client cl(cfg);
    seen.watch(cl);
    for (const auto &r : records) REQUIRE(cl.enqueue(r));
    cl.flush_async();

    const auto start = std::chrono::steady_clock::now();
    auto left = cl.close(timeout);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(took < timeout + 2s); // a bound, not a benchmark

    // Exactly the records that went in, byte for byte, in acceptance order.
    CHECK(left == records);
    std::set<std::string> returned_ids;
    for (const auto &text : left) {
        auto j = json::parse(text);
        returned_ids.insert(j.at("messageId").get<std::string>());
        CHECK(j["type"] == "track");
    }
    const auto ids = ids_of(records);
    CHECK(returned_ids == std::set<std::string>(ids.begin(), ids.end()));

    auto s = cl.stats();
    CHECK(s.accepted == 12);
    CHECK(s.returned == 12);
    CHECK(s.delivered == 0);
    CHECK(s.by_reason[static_cast<int>(seglog::reason::undelivered_at_close)] == 12);
    CHECK(s.accepted == s.delivered + s.failed + s.evicted + s.returned);
    CHECK(s.pending_bytes == 0);
    CHECK(s.in_flight == 0);
    auto reported = seen.errors_with(seglog::reason::undelivered_at_close);
    REQUIRE(reported.size() == 1);
    CHECK(reported[0].message_ids == ids);

    CHECK(cl.close(timeout).empty());
}

TEST_CASE("after close: calls are refused, counted and reported; nothing crashes") {
    collector c;
    auto cfg = config_for(c);
    observed seen; // outlives the client, whose destructor may still report
    seglog::client cl(cfg);
    seen.watch(cl);
    REQUIRE(cl.track(seglog::user("u-closed"), "Before"));
    REQUIRE(cl.close(patience).empty());

    const std::string late = make_record(7);
    CHECK_FALSE(cl.track(seglog::user("u-closed"), "After"));
    CHECK_FALSE(cl.identify(seglog::user("u-closed")));
    CHECK_FALSE(cl.enqueue(late));
    cl.flush_async();
    auto fr = cl.flush(1s);
    CHECK(fr.pending == 0);
    CHECK(cl.close(1s).empty());

    auto s = cl.stats();
    CHECK(s.accepted == 1);
    CHECK(s.delivered == 1);
    CHECK(s.dropped == 3);
    CHECK(s.by_reason[static_cast<int>(seglog::reason::closed)] == 3);
    auto closed = seen.errors_with(seglog::reason::closed);
    REQUIRE(closed.size() == 3);
    CHECK(closed[2].message_ids == std::vector<std::string>{id_of(late)});
    CHECK(c.unique_count() == 1);
}

TEST_CASE("a handler whose own call is refused on the same thread: each error names its own event") {
    // Refusals reuse one error object per thread. Callbacks should not call back into the
    // client, but one that does must not overwrite the error it is still reading.
    collector c;
    seglog::client cl(config_for(c));
    REQUIRE(cl.close(patience).empty());
    const std::string outer = make_record(1), inner = make_record(2);
    std::vector<std::pair<std::string, std::vector<std::string>>> seen; // message, ids as read after the inner call
    cl.on_error([&](const seglog::error &e) {
        if (e.message_ids == std::vector<std::string>{id_of(outer)}) CHECK_FALSE(cl.enqueue(inner));
        seen.emplace_back(e.message, e.message_ids);
    });
    CHECK_FALSE(cl.enqueue(outer));
    REQUIRE(seen.size() == 2); // the inner error first: it was reported from inside the outer one
    CHECK(seen[0].second == std::vector<std::string>{id_of(inner)});
    CHECK(seen[1].second == std::vector<std::string>{id_of(outer)});
    CHECK(seen[1].first == "event not accepted: the client is closed");
    CHECK(cl.stats().by_reason[static_cast<int>(seglog::reason::closed)] == 2);
}

TEST_CASE("the default handler: a flood of refusals prints at most one line a second and counts the rest") {
    collector c;
    seglog::client cl(config_for(c)); // no on_error: the default handler
    REQUIRE(cl.close(patience).empty());
    const std::string record = make_record(3);
    seglog::detail::reset_default_error_handler(); // the limit is process-wide: start afresh
    const std::regex line(R"(\[seglog\] error \(closed\): event not accepted: the client is closed(?: \((\d+) more errors in the last second\))?\n)");
    // Events each line stands for: itself and those it says were suppressed before it.
    auto lines_and_events = [&](const std::string &text) {
        std::size_t lines = 0, events = 0, matched = 0;
        for (std::sregex_iterator m(text.begin(), text.end(), line), end; m != end; ++m) {
            ++lines;
            events += 1 + ((*m)[1].matched ? std::stoul((*m)[1].str()) : 0);
            matched += static_cast<std::size_t>(m->length());
        }
        CHECK(matched == text.size()); // nothing else was printed
        return std::make_pair(lines, events);
    };

    constexpr int flood = 2000; // from two threads at once
    std::string flood_text;
    {
        stderr_capture err;
        std::vector<std::thread> ts;
        for (int t = 0; t < 2; ++t)
            ts.emplace_back([&] {
                for (int i = 0; i < flood / 2; ++i) CHECK_FALSE(cl.enqueue(record));
            });
        for (auto &t : ts) t.join();
        flood_text = err.text();
    }
    const auto [flood_lines, flood_events] = lines_and_events(flood_text);
    CHECK(flood_lines == 1); // the first refusal; the flood takes well under a second
    CHECK(flood_events == 1);

    // The suppressed ones are told with the next line, which may come once a second has passed
    // since the last: refuse one more event every 20 ms until it does (bounded).
    stderr_capture err;
    int polls = 0;
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    std::string poll_text;
    while (poll_text.empty() && std::chrono::steady_clock::now() < deadline) {
        CHECK_FALSE(cl.enqueue(record));
        ++polls;
        poll_text = err.peek();
        if (poll_text.empty()) std::this_thread::sleep_for(20ms);
    }
    poll_text = err.text();
    const auto [poll_lines, poll_events] = lines_and_events(poll_text);
    REQUIRE(poll_lines == 1);
    // Every refusal is the printed line or in its count: the rest of the flood and the polls.
    CHECK(poll_events == static_cast<std::size_t>(flood - 1 + polls));
    CHECK(cl.stats().by_reason[static_cast<int>(seglog::reason::closed)] == static_cast<std::uint64_t>(flood + polls));
    // The limit is reached again: the next error only counts.
    {
        stderr_capture after;
        CHECK_FALSE(cl.enqueue(record));
        CHECK(after.text().empty());
    }
}

TEST_CASE("the destructor closes with close_timeout") {
    collector c;
    auto cfg = config_for(c);
    observed seen;
    std::vector<std::string> records;
    for (int i = 0; i < 30; ++i) records.push_back(make_record(i));

    SUBCASE("collector up: everything is delivered before the destructor returns") {
        {
            seglog::client cl(cfg);
            for (const auto &r : records) REQUIRE(cl.enqueue(r));
        }
        CHECK(c.unique_count() == 30);
    }
    SUBCASE("collector down: the destructor returns after close_timeout and reports what it drops") {
        c.stop();
        cfg.close_timeout = 500ms;
        const auto start = std::chrono::steady_clock::now();
        {
            seglog::client cl(cfg);
            seen.watch(cl);
            for (const auto &r : records) REQUIRE(cl.enqueue(r));
        }
        CHECK(std::chrono::steady_clock::now() - start < cfg.close_timeout + 2s);
        auto reported = seen.errors_with(seglog::reason::undelivered_at_close);
        REQUIRE(reported.size() == 1);
        CHECK(reported[0].message_ids == ids_of(records));
    }
}

TEST_CASE("close while producers are still calling: every accepted event is delivered or returned") {
    collector c;
    auto cfg = config_for(c);
    cfg.flush_at = 50;
    observed seen;
    auto cl = std::make_shared<seglog::client>(cfg);
    seen.watch(*cl);

    std::atomic<bool> go{false};
    std::atomic<std::uint64_t> accepted_calls{0};
    std::vector<std::thread> producers;
    for (int t = 0; t < 3; ++t) {
        producers.emplace_back([&, t] {
            while (!go.load()) std::this_thread::yield();
            for (int i = 0; i < 200000 && !cl->closed(); ++i)
                if (cl->track(seglog::user("u-race"), "Racing", {{"t", t}, {"i", i}})) ++accepted_calls;
        });
    }
    go = true;
    REQUIRE(c.wait_for_unique(200, patience)); // producers are well under way
    auto left = cl->close(patience);
    for (auto &p : producers) p.join();

    auto s = cl->stats();
    CHECK(s.accepted == accepted_calls.load());
    CHECK(s.accepted == s.delivered + s.failed + s.evicted + s.returned);
    CHECK(s.returned == left.size());
    CHECK(s.pending_bytes == 0);
    CHECK(s.queued_events == 0);
    CHECK(c.unique_count() + left.size() == s.accepted);
    CHECK(c.duplicate_count() == 0);
}

// ---------------------------------------------------------------------------------------------
// Callbacks and the write key
// ---------------------------------------------------------------------------------------------

TEST_CASE("callbacks: on_delivered, on_attempt with retry counts, on_error with ids and status") {
    collector c;
    auto cfg = config_for(c);
    observed seen; // outlives the client, whose destructor may still report
    seglog::client cl(cfg);
    seen.watch(cl);

    SUBCASE("a first attempt that succeeds") {
        std::vector<std::string> records{make_record(1), make_record(2), make_record(3)};
        for (const auto &r : records) REQUIRE(cl.enqueue(r));
        REQUIRE(cl.flush(patience).complete);
        auto reqs = c.requests();
        REQUIRE(reqs.size() == 1);
        auto attempts = seen.attempts_copy();
        REQUIRE(attempts.size() == 1);
        CHECK(attempts[0].status == 200);
        CHECK(attempts[0].retry_count == 0);
        CHECK(attempts[0].events == 3);
        CHECK(attempts[0].bytes == reqs[0].wire_bytes);
        CHECK(attempts[0].network_error.empty());
        auto deliveries = seen.deliveries_copy();
        REQUIRE(deliveries.size() == 1);
        CHECK(deliveries[0].events == 3);
        CHECK(deliveries[0].message_ids == ids_of(records));
        CHECK(seen.errors_copy().empty());
    }
    SUBCASE("a retried attempt carries X-Retry-Count and is reported with it") {
        c.script({503, 200});
        std::vector<std::string> records{make_record(1), make_record(2)};
        for (const auto &r : records) REQUIRE(cl.enqueue(r));
        REQUIRE(cl.flush(patience).complete);
        auto reqs = c.requests();
        REQUIRE(reqs.size() == 2);
        CHECK_FALSE(reqs[0].has_header("X-Retry-Count"));
        CHECK(reqs[1].header("X-Retry-Count") == "1");
        CHECK(reqs[0].message_ids == reqs[1].message_ids);
        auto attempts = seen.attempts_copy();
        REQUIRE(attempts.size() == 2);
        CHECK(attempts[0].status == 503);
        CHECK(attempts[0].retry_count == 0);
        CHECK(attempts[1].status == 200);
        CHECK(attempts[1].retry_count == 1);
        CHECK(seen.delivered_ids() == ids_of(records));
        auto s = cl.stats();
        CHECK(s.delivered == 2);
        CHECK(s.retried == 2);
        CHECK(s.batches_sent == 2);
        CHECK(s.batches_delivered == 1);
    }
    SUBCASE("a rejected event: on_error with its messageId and the HTTP status") {
        c.script({400});
        const std::string record = make_record(9);
        REQUIRE(cl.enqueue(record));
        REQUIRE(cl.flush(patience).complete);
        auto rejected = seen.errors_with(seglog::reason::rejected);
        REQUIRE(rejected.size() == 1);
        CHECK(rejected[0].http_status == 400);
        CHECK(rejected[0].message_ids == std::vector<std::string>{id_of(record)});
        auto s = cl.stats();
        CHECK(s.failed == 1);
        CHECK(s.by_reason[static_cast<int>(seglog::reason::rejected)] == 1);
        CHECK(s.accepted == s.delivered + s.failed);
    }
    SUBCASE("a refused write key: unauthorized") {
        c.script({401});
        const std::string record = make_record(10);
        REQUIRE(cl.enqueue(record));
        REQUIRE(cl.flush(patience).complete);
        auto refused = seen.errors_with(seglog::reason::unauthorized);
        REQUIRE(refused.size() == 1);
        CHECK(refused[0].http_status == 401);
        CHECK(refused[0].message_ids == std::vector<std::string>{id_of(record)});
        CHECK(cl.stats().by_reason[static_cast<int>(seglog::reason::unauthorized)] == 1);
    }
}

TEST_CASE("the write key appears in no callback, stat, description, message or stderr line") {
    collector c;
    std::string everything; // all text the client produced
    {
        stderr_capture err;
        auto cfg = config_for(c);
        cfg.max_attempts = 2;
        everything += cfg.describe() + "\n";

        observed seen;
        seglog::client cl(cfg);
        seen.watch(cl);
        everything += cl.config().describe() + "\n";

        // delivered, rejected (400), unauthorized (401), a network failure, too large, closed
        REQUIRE(cl.track(seglog::user("u-key"), "Fine"));
        REQUIRE(cl.flush(patience).complete);
        c.script({400});
        REQUIRE(cl.track(seglog::user("u-key"), "Rejected"));
        REQUIRE(cl.flush(patience).complete);
        c.script({401});
        REQUIRE(cl.track(seglog::user("u-key"), "Unauthorized"));
        REQUIRE(cl.flush(patience).complete);
        CHECK_FALSE(cl.track(seglog::user("u-key"), "Huge", {{"blob", std::string(40000, 'h')}}));
        c.stop();
        REQUIRE(cl.track(seglog::user("u-key"), "Unreachable"));
        REQUIRE(cl.flush(patience).complete); // two attempts, both refused, then given up
        REQUIRE(cl.track(seglog::user("u-key"), "Returned"));
        CHECK(cl.close(0ms).size() == 1); // no time to wait: handed back

        CHECK_FALSE(cl.track(seglog::user("u-key"), "Closed"));

        // A second client without callbacks: its errors go to the default handler (stderr),
        // which has printed nothing in the last second.
        seglog::detail::reset_default_error_handler();
        {
            seglog::client quiet(cfg);
            REQUIRE(quiet.track(seglog::user("u-key"), "Unreachable Too"));
            CHECK(quiet.close(0ms).size() == 1);
        }

        auto s = cl.stats();
        CHECK(s.by_reason[static_cast<int>(seglog::reason::rejected)] == 1);
        CHECK(s.by_reason[static_cast<int>(seglog::reason::unauthorized)] == 1);
        CHECK(s.by_reason[static_cast<int>(seglog::reason::event_too_large)] == 1);
        CHECK(s.by_reason[static_cast<int>(seglog::reason::retries_exhausted)] == 1);
        CHECK(s.by_reason[static_cast<int>(seglog::reason::undelivered_at_close)] == 1);
        CHECK(s.by_reason[static_cast<int>(seglog::reason::closed)] == 1);
        for (int i = 0; i < seglog::reason_count; ++i)
            everything += std::string(seglog::to_string(static_cast<seglog::reason>(i))) + "=" +
                          std::to_string(s.by_reason[i]) + "\n";

        auto errors = seen.errors_copy();
        CHECK(errors.size() >= 6);
        for (const auto &e : errors) {
            everything += e.message + "|" + e.event_type + "|" + e.event_name + "|";
            for (const auto &id : e.message_ids) everything += id + ",";
            everything += "\n";
        }
        bool saw_network_error = false;
        for (const auto &a : seen.attempts_copy()) {
            everything += a.network_error + "\n";
            saw_network_error = saw_network_error || (a.status == 0 && !a.network_error.empty());
        }
        CHECK(saw_network_error);
        for (const auto &d : seen.deliveries_copy())
            for (const auto &id : d.message_ids) everything += id + "\n";

        const std::string stderr_text = err.text();
        CHECK(stderr_text.find("undelivered") != std::string::npos); // the default handler spoke
        everything += stderr_text;
    }
    CHECK(everything.size() > 500);
    CHECK(everything.find(k_write_key) == std::string::npos);
    CHECK(everything.find("SECRET_PLANTED") == std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Through spdlog
// ---------------------------------------------------------------------------------------------

namespace {

// Several threads write events and look-alike log lines through one logger.
void write_from_threads(spdlog::logger &logger, int threads, int per_thread) {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&logger, t, per_thread] {
            for (int i = 0; i < per_thread; ++i) {
                SEGLOG_LOGGER_TRACK(logger, seglog::user("u-" + std::to_string(t)), "Thread Event",
                                    {{"t", t}, {"i", i}});
                // A log line that looks like an event record must stay a log line.
                logger.info("{{\"messageId\":\"forged-{}-{}\",\"type\":\"track\",\"event\":\"Forged\"}}", t, i);
            }
        });
    }
    for (auto &th : pool) th.join();
}

void check_each_event_once(const collector &c, int threads, int per_thread) {
    const std::size_t n = static_cast<std::size_t>(threads * per_thread);
    CHECK(c.unique_count() == n);
    CHECK(c.duplicate_count() == 0);
    CHECK(c.event_count() == n);
    std::set<std::pair<int, int>> seen;
    for (const auto &e : c.accepted_events()) {
        CHECK(e["event"] == "Thread Event");
        seen.emplace(e["properties"]["t"].get<int>(), e["properties"]["i"].get<int>());
    }
    CHECK(seen.size() == n);
    for (const auto &r : c.requests()) CHECK(r.body.find("forged-") == std::string::npos);
}

std::size_t count_lines(const std::string &s, const std::string &needle) {
    std::size_t n = 0;
    for (auto p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
    return n;
}

} // namespace

TEST_CASE("segment_sink_mt behind demux_sink_mt, sync logger, several threads: each event once") {
    seglog::set_tracking(true);
    collector c;
    auto cfg = config_for(c);
    cfg.flush_at = 100;
    std::ostringstream lines;
    auto log_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(lines);
    auto segment = std::make_shared<seglog::segment_sink_mt>(cfg);
    auto demux = std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{log_sink},
                                                         std::vector<spdlog::sink_ptr>{segment});
    spdlog::logger logger("sync-demux", demux);

    constexpr int threads = 4, per_thread = 500;
    write_from_threads(logger, threads, per_thread);
    logger.flush(); // asks the worker to send; does not wait
    REQUIRE(segment->client().flush(patience).complete);

    check_each_event_once(c, threads, per_thread);
    check_settled_cleanly(segment->client().stats(), threads * per_thread);
    const std::string text = lines.str();
    CHECK(count_lines(text, "forged-") == threads * per_thread);
    CHECK(text.find("Thread Event") == std::string::npos);
}

TEST_CASE("segment_sink_mt behind demux_sink_mt, spdlog::async_logger, several threads: each event once") {
    seglog::set_tracking(true);
    collector c;
    auto cfg = config_for(c);
    cfg.flush_at = 100;
    cfg.flush_interval = 200ms;
    std::ostringstream lines;
    auto log_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(lines);
    auto segment = std::make_shared<seglog::segment_sink_mt>(cfg);
    auto demux = std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{log_sink},
                                                         std::vector<spdlog::sink_ptr>{segment});
    constexpr int threads = 4, per_thread = 500;
    {
        seglog_test::async_logging async("async-demux", demux, 1024, 2, spdlog::async_overflow_policy::block);
        write_from_threads(*async.logger, threads, per_thread);
        // The pool hands records over on its own threads: wait until all events arrived.
        REQUIRE(c.wait_for_unique(threads * per_thread, patience));
    } // the pool drains the remaining log lines and is joined
    REQUIRE(segment->client().flush(patience).complete);

    check_each_event_once(c, threads, per_thread);
    check_settled_cleanly(segment->client().stats(), threads * per_thread);
    const std::string text = lines.str();
    CHECK(count_lines(text, "forged-") == threads * per_thread);
    CHECK(text.find("Thread Event") == std::string::npos);
}

TEST_CASE("attach(logger, cfg) with destinations = {segment}: events delivered, log lines stay") {
    seglog::set_tracking(true);
    collector c;
    auto cfg = config_for(c);
    std::ostringstream lines;
    auto log_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(lines);
    auto logger = std::make_shared<spdlog::logger>("attached", log_sink);

    auto demux = seglog::attach(*logger, cfg);
    REQUIRE(demux);
    auto cl = seglog::segment_client(*demux);
    REQUIRE(cl);
    CHECK(cl->config().host == c.url());

    logger->set_level(spdlog::level::err); // tracking is not governed by log verbosity
    for (int i = 0; i < 20; ++i)
        SEGLOG_LOGGER_TRACK(logger, seglog::user("u-attach"), "Attached Event", {{"i", i}});
    SEGLOG_LOGGER_IDENTIFY(logger, seglog::user("u-attach"), {{"plan", "pro"}});
    logger->error("a plain error line");
    logger->info("an info line below the level");

    REQUIRE(cl->flush(patience).complete);
    CHECK(c.unique_count() == 21);
    CHECK(c.duplicate_count() == 0);
    check_settled_cleanly(cl->stats(), 21);
    const std::string text = lines.str();
    CHECK(text.find("a plain error line") != std::string::npos);
    CHECK(text.find("an info line below the level") == std::string::npos);
    CHECK(text.find("Attached Event") == std::string::npos);
    CHECK(text.find(k_write_key) == std::string::npos); // the startup line masks it
    for (const auto &r : c.requests()) CHECK(r.body.find("plain error line") == std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// stats()
// ---------------------------------------------------------------------------------------------

TEST_CASE("stats: counters agree with the collector at the end of a clean run") {
    collector c;
    auto cfg = config_for(c);
    cfg.flush_at = 50;
    seglog::client cl(cfg);

    auto before = cl.stats();
    CHECK(before.accepted == 0);
    CHECK(before.batches_sent == 0);

    for (int i = 0; i < 300; ++i) REQUIRE(cl.track(seglog::user("u-stats"), "Counted", {{"i", i}}));
    REQUIRE(cl.flush(patience).complete);

    auto s = cl.stats();
    check_settled_cleanly(s, 300);
    CHECK(s.batches_sent == 6);
    CHECK(s.batches_delivered == 6);
    CHECK(s.retried == 0);
    CHECK(s.bytes_sent == c.stats().bytes);
    CHECK(c.stats().requests == 6);
    CHECK(c.unique_count() == 300);
    for (int i = 0; i < seglog::reason_count; ++i) CHECK(s.by_reason[i] == 0);
}
