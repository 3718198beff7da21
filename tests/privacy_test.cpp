// Privacy and hardening: distinctive secrets planted in one run never show up in any output
// (stderr, log sinks, error handlers, the startup line, the event file, the console line, the
// bytes the collector received); TLS against a real HTTPS server on loopback with a
// certificate made at test time; input limits.
#include <doctest/doctest.h>

#include "bounds.h"
#include "collecting_sink.h"
#include "collector.h"
#include "config.h"
#include "stderr_capture.h"

#include "common/errors.h"
#include "event/json_writer.h"
#include "event/serialize.h"

#include <seglog/seglog.h>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using nlohmann::json;
using seglog::reason;
using seglog::redact_rule;
using namespace std::chrono_literals;
using seglog_test::stderr_capture;

namespace {

std::string temp_path(const std::string &name) { return std::string(SEGLOG_TEST_BUILD_DIR) + "/privacy-" + name; }

std::string read_all(const std::string &path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string base64(const std::string &in) {
    static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        for (int s : {18, 12, 6, 0}) out.push_back(table[(v >> s) & 63]);
    }
    if (i + 1 == in.size()) {
        const unsigned v = static_cast<unsigned char>(in[i]) << 16;
        out += {table[(v >> 18) & 63], table[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
        out += {table[(v >> 18) & 63], table[(v >> 12) & 63], table[(v >> 6) & 63], '='};
    }
    return out;
}

class error_log {
public:
    void add(const seglog::error &e) {
        std::lock_guard<std::mutex> l(m_);
        text_ += e.message + "|" + e.event_type + "|" + e.event_name + "\n";
        ++count_;
    }
    std::string text() const {
        std::lock_guard<std::mutex> l(m_);
        return text_;
    }
    int count() const {
        std::lock_guard<std::mutex> l(m_);
        return count_;
    }

private:
    mutable std::mutex m_;
    std::string text_;
    int count_ = 0;
};

std::string config_error_of(const seglog::config &cfg) {
    try {
        cfg.validate();
    } catch (const seglog::config_error &e) {
        return e.what();
    }
    return "(no error)";
}

// --- a self-signed certificate for 127.0.0.1, made with the OpenSSL API

struct test_certificate {
    EVP_PKEY *key = nullptr;
    X509 *cert = nullptr;
    std::string pem_path;

    test_certificate() {
        key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
        REQUIRE(key);
        cert = X509_new();
        X509_set_version(cert, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
        X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
        X509_set_pubkey(cert, key);
        X509_NAME *name = X509_get_subject_name(cert);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>("127.0.0.1"), -1,
                                   -1, 0);
        X509_set_issuer_name(cert, name);
        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
        for (auto [nid, value] :
             {std::pair{NID_subject_alt_name, "IP:127.0.0.1"}, std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
            X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
            REQUIRE(ext);
            X509_add_ext(cert, ext, -1);
            X509_EXTENSION_free(ext);
        }
        REQUIRE(X509_sign(cert, key, EVP_sha256()) > 0);
        pem_path = temp_path("cert.pem");
        FILE *f = std::fopen(pem_path.c_str(), "w");
        REQUIRE(f);
        PEM_write_X509(f, cert);
        std::fclose(f);
    }
    ~test_certificate() {
        X509_free(cert);
        EVP_PKEY_free(key);
    }
};

// cpp-httplib's SSLServer (Debian's build has CPPHTTPLIB_OPENSSL_SUPPORT) on 127.0.0.1.
class https_collector {
public:
    explicit https_collector(const test_certificate &c) : server_(c.cert, c.key) {
        server_.Post("/v1/batch", [this](const httplib::Request &req, httplib::Response &res) {
            {
                std::lock_guard<std::mutex> l(m_);
                bodies_.push_back(req.body);
            }
            res.set_content("{}", "application/json");
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        REQUIRE(port_ > 0);
        // The socket listens from here on: connections wait in its backlog until accept() runs.
        thread_ = std::thread([this] { server_.listen_after_bind(); });
    }
    ~https_collector() {
        server_.stop();
        thread_.join();
    }
    std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
    std::vector<std::string> bodies() const {
        std::lock_guard<std::mutex> l(m_);
        return bodies_;
    }

private:
    httplib::SSLServer server_;
    int port_ = 0;
    std::thread thread_;
    mutable std::mutex m_;
    std::vector<std::string> bodies_;
};

// segment_config() against the HTTPS server: two attempts, quick backoffs.
seglog::config https_config(const std::string &url) {
    seglog::config cfg = seglog_test::segment_config(url);
    // The connect timeout covers the TLS handshake, which under a sanitizer on a busy machine can
    // take longer than the fixture's second: these cases are about the certificate, not the timeout.
    cfg.connect_timeout = 10s;
    cfg.max_attempts = 2;
    cfg.backoff_base = 10ms;
    cfg.backoff_cap = 20ms;
    return cfg;
}

struct attempts_seen {
    std::mutex m;
    std::condition_variable cv;
    std::vector<seglog::attempt_info> attempts;
    std::vector<seglog::error> errors;
    void watch(seglog::client &cl) {
        cl.on_attempt([this](const seglog::attempt_info &a) {
            std::lock_guard<std::mutex> l(m);
            attempts.push_back(a);
        });
        cl.on_error([this](const seglog::error &e) {
            std::lock_guard<std::mutex> l(m);
            errors.push_back(e);
            cv.notify_all();
        });
    }
    bool wait_for_error() {
        std::unique_lock<std::mutex> l(m);
        return cv.wait_for(l, seglog_test::k_bound, [this] { return !errors.empty(); });
    }
};

} // namespace

TEST_SUITE("privacy") {

TEST_CASE("planted secrets never reach any output of a run") {
    const std::string write_key = "WKplanted7f3a9c1e5b2d8046";
    const std::string hash_key = "HKplanted0d4e8b7a6c5f3921";
    const std::string dropped = "PVdropped-123-45-6789";
    const std::string masked = "PVmasked-4111111111111111";
    const std::string hashed = "PVhashed-ann@example.com";
    const std::string events_path = temp_path("planted-events.jsonl");
    std::remove(events_path.c_str());

    stderr_capture err;
    std::string outputs; // everything a user could read, appended as the run goes
    {
        seglog::loopback::collector c;
        c.poison_property("poison"); // a 400 for any batch holding such an event

        seglog::config cfg;
        cfg.destinations = {seglog::destination::segment(), seglog::destination::file(events_path)};
        cfg.echo_events_to_log = true; // the console rendering among the log lines (console itself is stdout)
        cfg.write_key = write_key;
        cfg.hash_key = hash_key;
        cfg.host = c.url();
        cfg.flush_at = 1; // one event per request, so the poisoned one fails alone
        cfg.max_attempts = 2;
        cfg.backoff_base = 10ms;
        cfg.backoff_cap = 20ms;
        cfg.redact = {redact_rule::drop("properties.ssn"), redact_rule::mask("properties.card"),
                      redact_rule::hash("**.email"), redact_rule::drop("traits.**.ssn")};

        auto lines = std::make_shared<seglog_test::collecting_sink>();
        std::ostringstream formatted;
        auto text_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(formatted);
        spdlog::logger logger("planted", {lines, text_sink});
        auto demux = seglog::attach(logger, cfg); // logs the startup line
        auto client = seglog::segment_client(*demux);
        REQUIRE(client);
        error_log delivery_errors;
        client->on_error([&](const seglog::error &e) { delivery_errors.add(e); });

        const auto who = seglog::user("u-planted");

        // A rejection at the call site with the default handler: one line on stderr (its limit
        // of one line a second is process-wide: reset, so an earlier test's line cannot hide it).
        seglog::detail::reset_default_error_handler();
        SEGLOG_LOGGER_TRACK(logger, who, "Rejected", {{"ssn", dropped}, {"card", masked}, {"bad", "\xFF"}});

        error_log call_site;
        seglog::set_error_handler([&](const seglog::error &e) { call_site.add(e); });
        SEGLOG_LOGGER_TRACK(logger, who, "Rejected", {{"ssn", dropped}, {"n", std::nan("")}, {"email", hashed}});
        SEGLOG_LOGGER_TRACK(logger, who, "Order Completed", {{"ssn", dropped}, {"card", masked}, {"email", hashed}});
        SEGLOG_LOGGER_IDENTIFY(logger, who, json{{"profile", {{"ssn", dropped}}}, {"email", hashed}});
        SEGLOG_LOGGER_TRACK(logger, who, "Poisoned", {{"poison", 1}, {"ssn", dropped}, {"card", masked}});
        spdlog::logger bare("bare", text_sink); // no demux: the event must not reach its sink
        SEGLOG_LOGGER_TRACK(bare, who, "Not Attached", {{"ssn", dropped}});
        // The client's own calls, through its rules.
        client->track(who, "Direct", {{"ssn", dropped}, {"card", masked}, {"email", hashed}});

        REQUIRE(c.wait_for([&] { return client->stats().delivered + client->stats().failed == 4; }, 20s));
        logger.flush();
        CHECK(client->stats().delivered == 3);
        CHECK(client->stats().by_reason[static_cast<int>(reason::rejected)] == 1);
        CHECK(call_site.count() == 2); // the NaN and not_attached
        CHECK(delivery_errors.count() == 1);
        seglog::set_error_handler({});

        // Configuration errors that involve the secrets.
        seglog::config creds = cfg;
        creds.host = "https://" + write_key + "@api.segment.io";
        outputs += config_error_of(creds) + "\n";
        seglog::config short_key = cfg;
        short_key.hash_key = "HKplantedShort";
        outputs += config_error_of(short_key) + "\n";
        CHECK(config_error_of(short_key) ==
              "seglog config: the hash secret must be at least 16 bytes, got 14; the value is not shown");
        outputs += cfg.describe() + "\n";

        const auto undelivered = client->close(5s);
        CHECK(undelivered.empty());

        // Positive controls: the redacted forms are there.
        const std::string file = read_all(events_path);
        CHECK(file.find("\"card\":\"[redacted]\"") != std::string::npos);
        CHECK(file.find(demux->redaction()->hash(hashed)) != std::string::npos);
        bool console_line = false;
        for (const auto &item : lines->items())
            console_line |= item.payload.find("event track \"Order Completed\"") == 0;
        CHECK(console_line);
        CHECK(formatted.str().find("seglog: environment=") != std::string::npos); // the startup line
        CHECK(formatted.str().find("Not Attached") == std::string::npos);

        outputs += file + "\n" + formatted.str() + "\n" + call_site.text() + delivery_errors.text();
        for (const auto &item : lines->items()) outputs += item.payload + "\n" + item.formatted + "\n";
        for (const auto &r : c.requests()) {
            outputs += r.method + " " + r.path + "\n" + r.body + "\n";
            for (const auto &[name, value] : r.headers) {
                // The write key leaves only as the collector's credentials, encoded by libcurl.
                if (name == "Authorization") CHECK(value == "Basic " + base64(write_key + ":"));
                else outputs += name + ": " + value + "\n";
            }
        }
        CHECK(c.requests().size() >= 4);
    }
    const std::string stderr_text = err.text();
    CHECK(stderr_text.find("track event rejected: properties.bad is not valid UTF-8") != std::string::npos);
    outputs += stderr_text;

    for (const std::string &secret : {write_key, hash_key, std::string("HKplantedShort"), dropped, masked, hashed}) {
        CAPTURE(secret);
        CHECK(outputs.find(secret) == std::string::npos);
    }
}

TEST_CASE("TLS: the self-signed server is refused by default, accepted with its ca_bundle or skip-verify on loopback") {
    test_certificate cert;
    https_collector server(cert);
    const auto who = seglog::user("u-tls");

    SUBCASE("default verification refuses it: nothing sent, a certificate error said at once, not retried") {
        seglog::client cl(https_config(server.url()));
        attempts_seen seen;
        seen.watch(cl);
        REQUIRE(cl.track(who, "E"));
        cl.flush_async();
        REQUIRE(seen.wait_for_error());
        const auto left = cl.close(1s);
        CHECK(left.size() == 1); // held, not failed: the configuration must change
        const auto s = cl.stats();
        CHECK(s.delivered == 0);
        CHECK(s.returned == 1);
        std::lock_guard<std::mutex> l(seen.m);
        REQUIRE(seen.attempts.size() == 1);
        CAPTURE(seen.attempts[0].network_error);
        CHECK(seen.attempts[0].status == 0);
        CHECK(seen.attempts[0].network_error.find("certificate") != std::string::npos);
        CHECK(seen.errors[0].code == reason::config_error);
        CHECK(seen.errors[0].message.find("certificate") != std::string::npos);
        CHECK(server.bodies().empty());
    }
    SUBCASE("ca_bundle pointing at the certificate: delivered") {
        auto cfg = https_config(server.url());
        cfg.ca_bundle = cert.pem_path;
        seglog::client cl(cfg);
        REQUIRE(cl.track(who, "E", {{"k", "v"}}));
        REQUIRE(cl.flush(20s));
        CHECK(cl.stats().delivered == 1);
        const auto bodies = server.bodies();
        REQUIRE(bodies.size() == 1);
        CHECK(json::parse(bodies[0])["batch"][0]["properties"] == json{{"k", "v"}});
    }
    SUBCASE("insecure_skip_verify with 127.0.0.1: delivered") {
        auto cfg = https_config(server.url());
        cfg.insecure_skip_verify = true;
        seglog::client cl(cfg);
        REQUIRE(cl.track(who, "E"));
        REQUIRE(cl.flush(20s));
        CHECK(cl.stats().delivered == 1);
        CHECK(server.bodies().size() == 1);
    }
}

TEST_CASE("TLS: skip-verify and plain http are refused at startup for a host that is not loopback") {
    seglog::config cfg;
    cfg.destinations = {seglog::destination::segment()};
    cfg.write_key = "wk";
    cfg.host = "https://collector.example.com";
    cfg.insecure_skip_verify = true;
    CHECK(config_error_of(cfg) ==
          "seglog config: insecure_skip_verify is only allowed with a loopback host (127.0.0.0/8, localhost, [::1]), "
          "not \"https://collector.example.com\"");
    CHECK_THROWS_AS(seglog::client{cfg}, seglog::config_error);
    cfg.insecure_skip_verify = false;
    cfg.host = "http://collector.example.com";
    CHECK(config_error_of(cfg) ==
          "seglog config: host \"http://collector.example.com\" uses http:// with a host that is not loopback; use "
          "https:// or set allow_http");
    cfg.allow_http = true;
    CHECK(config_error_of(cfg) == "(no error)");
    cfg.allow_http = false;
    cfg.host = "http://127.0.0.1:9";
    CHECK(config_error_of(cfg) == "(no error)");
}

} // TEST_SUITE

TEST_SUITE("privacy: input limits") {

namespace {
struct outcome {
    std::string record;
    std::optional<seglog::error> err;
};
outcome track(const seglog::properties &p, std::size_t max = 32 * 1024) {
    static const seglog::identity who = seglog::user("u");
    outcome o;
    const seglog::detail::event_fields f{seglog::event_type::track, &who, "E", {}, {}, {}, &p, nullptr};
    o.err = seglog::detail::serialize_event(f, o.record, max);
    return o;
}
} // namespace

TEST_CASE("a string longer than the event limit is refused before it is copied") {
    const std::string huge(64u * 1024 * 1024, 'x');
    auto o = track({{"ok", 1}, {"blob", huge}});
    REQUIRE(o.err);
    CHECK(o.err->code == reason::event_too_large);
    CHECK(o.err->message ==
          "track event rejected: properties.blob is a 67108864-byte string, over the 32768-byte limit per event");
    CHECK(o.record.capacity() < 64 * 1024); // the writer never copied it

    const json nested = {{"deep", {{"blob", huge}}}};
    o = track({{"n", nested}});
    REQUIRE(o.err);
    CHECK(
        o.err->message ==
        "track event rejected: properties.n.deep.blob is a 67108864-byte string, over the 32768-byte limit per event");
    CHECK(o.record.capacity() < 64 * 1024);
}

TEST_CASE("an event that passes the limit stops being written there") {
    json many = json::object();
    for (int i = 0; i < 900; ++i) many["k" + std::to_string(1000 + i)] = std::string(1000, 'v');
    auto o = track({{"many", many}});
    REQUIRE(o.err);
    CHECK(o.err->code == reason::event_too_large);
    // Each member is 1011 bytes: after 33 of them (k1000..k1032) the record is past 32768 bytes,
    // so writing stops at the 34th key, not the 900th.
    CHECK(o.err->message == "track event rejected: over the 32768-byte limit per event at properties.many.k1033");
    CHECK(o.record.capacity() < 128 * 1024);
}

TEST_CASE("too many keys in one object or in all") {
    json wide = json::object();
    for (int i = 0; i < 1001; ++i) wide["k" + std::to_string(i)] = 0;
    auto o = track({{"wide", wide}}, 32 * 1024);
    REQUIRE(o.err);
    CHECK(o.err->code == reason::too_many_keys);
    CHECK(o.err->message == "track event rejected: properties.wide has more than 1000 keys");
    CHECK(std::string(seglog::to_string(reason::too_many_keys)) == "too_many_keys");

    json top = json::object();
    for (int i = 0; i < 1001; ++i) top["k" + std::to_string(i)] = 0;
    o = track(top);
    REQUIRE(o.err);
    CHECK(o.err->message == "track event rejected: properties has more than 1000 keys");

    // 3 objects of 700 keys (k000..k699): each under 1000, 2103 keys in all. a, its 700, b, its
    // 700 and c make 1403: the 2001st key is c's 598th, k597.
    json a = json::object();
    for (int i = 0; i < 700; ++i) {
        char name[8];
        std::snprintf(name, sizeof name, "k%03d", i);
        a[name] = 0;
    }
    o = track({{"a", a}, {"b", a}, {"c", a}});
    REQUIRE(o.err);
    CHECK(o.err->code == reason::too_many_keys);
    CHECK(o.err->message == "track event rejected: the event has more than 2000 keys in all (at properties.c.k597)");

    json ok = json::object();
    for (int i = 0; i < 1000; ++i) ok["k" + std::to_string(i)] = 0;
    CHECK_FALSE(track({{"ok", ok}}).err);
}

TEST_CASE("invalid UTF-8 is rejected; NUL and control characters are escaped") {
    auto o = track({{"s", "caf\xC3"}});
    REQUIRE(o.err);
    CHECK(o.err->code == reason::invalid_utf8);
    CHECK(o.err->message == "track event rejected: properties.s is not valid UTF-8");

    o = track({{"s", std::string_view("a\0b\x1f\n\x7f", 6)}});
    REQUIRE_FALSE(o.err);
    CHECK(o.record.find("\"properties\":{\"s\":\"a\\u0000b\\u001f\\n\x7f\"}") != std::string::npos);
}

} // TEST_SUITE
