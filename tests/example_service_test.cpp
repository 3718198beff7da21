// The example service (examples/service/) as it runs: the built binary started as a process of
// its own with the shipped configuration and tracking plan, driven over HTTP, its events
// received by a loopback collector. Each request's events arrive once with its request id, health
// data is masked or kept to covered destinations, log lines reach the console and the rotating
// file, and SIGTERM loses no accepted event (delivered before exit, or kept in the spool and sent
// by the next start).
#include <doctest/doctest.h>

#include "bounds.h"
#include "child_process.h"
#include "collector.h"
#include "config.h"
#include "temp_files.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

using namespace seglog_test;
using json = nlohmann::json;

namespace {

// Segment's answer to where an event with health data may go: the file's phi integrations.
const json k_covered = {{"All", false}, {"Amazon S3", true}};

// The service with the shipped configuration and plan, in `dir` (its working directory, log
// file and output), listening on a free port.
struct service {
    child_process proc;
    int port = 0;

    service(const temp_dir &dir, const std::string &environment, const env_vars &env,
            const std::string &name = "service")
        : proc(SEGLOG_SERVICE,
               {"--config", SEGLOG_SERVICE_CONFIG, "--plan", SEGLOG_HEALTH_PLAN, "--env", environment, "--port", "0",
                "--log-file", dir / "health-service.log"},
               env, dir.path, name) {
        const std::string marker = "listening on http://127.0.0.1:";
        REQUIRE_MESSAGE(proc.wait_for_out([&](const std::string &o) { return contains(o, marker); }, k_bound),
                        proc.text());
        const std::string out = proc.out();
        port = std::stoi(out.substr(out.find(marker) + marker.size()));
    }

    // POST `path` with `body` and the request id `id`; the status, and the answer's body.
    std::pair<int, json> post(const std::string &path, const json &body, const std::string &id) const {
        httplib::Client http("127.0.0.1", port);
        http.set_read_timeout(30, 0);
        const auto res = http.Post(path.c_str(), {{"X-Request-Id", id}}, body.dump(), "application/json");
        REQUIRE_MESSAGE(res, "no answer to POST " << path);
        CHECK(res->get_header_value("X-Request-Id") == id);
        return {res->status, json::parse(res->body, nullptr, false)};
    }

    // SIGTERM; its exit status once it has ended.
    int stop() {
        proc.signal(SIGTERM);
        const auto status = proc.wait(k_bound);
        REQUIRE_MESSAGE(status.has_value(), "still running 30 s after SIGTERM\n" << proc.text());
        // UBSan reports without changing the exit status (ASan's and LSan's do change it).
        CHECK_MESSAGE(!contains(proc.err(), "runtime error:"), proc.err());
        return *status;
    }
};

// What one request must produce at the collector: one event of this type (and name) about
// this user, carrying context.request_id.
struct expected {
    std::string request_id, type, event, user_id;
};

// A sign-up, a care request and its risk assessment for the user `u-<prefix>-<i>`, each
// request answered with success; the events they must produce.
std::vector<expected> drive(const service &s, const std::string &prefix, int rounds) {
    std::vector<expected> out;
    for (int i = 1; i <= rounds; ++i) {
        const std::string user = "u-" + prefix + "-" + std::to_string(i);
        const std::string n = prefix + "-" + std::to_string(i);
        auto [signup, a] = s.post("/v1/signup",
                                  {{"user_id", user},
                                   {"role", "patient"},
                                   {"email", user + "@example.org"},
                                   {"birth_year", 1980 + i},
                                   {"consented_to_research", true}},
                                  "signup-" + n);
        CHECK(signup == 201);
        out.push_back({"signup-" + n, "identify", "", user});
        auto [care, b] = s.post("/v1/care-requests",
                                {{"user_id", user},
                                 {"urgency", "urgent"},
                                 {"channel", "mobile-app"},
                                 {"symptoms", "chest pain since this morning"},
                                 {"patient_age", 40 + i},
                                 {"postcode_prefix", "SW1"},
                                 {"insured", true}},
                                "care-" + n);
        REQUIRE(care == 201);
        const std::string care_id = b["care_request_id"].get<std::string>();
        out.push_back({"care-" + n, "track", "Care Request Submitted", user});
        auto [risk,
              c] = s.post("/v1/care-requests/" + care_id + "/risk-assessment",
                          {{"factors", {{{"code", "bp"}, {"weight", 0.5}}, {{"code", "smoker"}, {"weight", 0.3}}}}},
                          "risk-" + n);
        CHECK(risk == 200);
        CHECK(c["risk_level"] == "high");
        out.push_back({"risk-" + n, "track", "Risk Assessment Completed", user});
    }
    return out;
}

// The accepted events, by their context.request_id.
std::map<std::string, std::vector<json>> by_request(const std::vector<json> &events) {
    std::map<std::string, std::vector<json>> out;
    for (const auto &e : events) out[e["context"].value("request_id", std::string("(none)"))].push_back(e);
    return out;
}

// Each expected event arrived exactly once, with its type, name, user and request id, and
// nothing else did.
void check_once(const seglog::loopback::collector &c, const std::vector<expected> &want) {
    CHECK(c.duplicate_count() == 0);
    const auto events = c.accepted_events();
    CHECK(events.size() == want.size());
    auto got = by_request(events);
    for (const auto &w : want) {
        INFO("request " << w.request_id);
        const auto &list = got[w.request_id];
        REQUIRE(list.size() == 1);
        const json &e = list[0];
        CHECK(e["type"] == w.type);
        if (!w.event.empty()) CHECK(e["event"] == w.event);
        CHECK(e["userId"] == w.user_id);
        CHECK(e["context"]["app"]["name"] == "health-service");
    }
}

env_vars production(const seglog::loopback::collector &c, const temp_dir &dir) {
    return {{"SEGMENT_WRITE_KEY", k_write_key}, {"SEGMENT_HOST", c.url()}, {"SEGLOG_SPOOL_DIR", dir / "spool"}};
}

} // namespace

TEST_SUITE("example_service") {

TEST_CASE("production: each request's events arrive once with its request id; health data masked or kept to "
          "covered destinations; log lines on the console and in the rotating file") {
    seglog::loopback::collector c;
    temp_dir dir("seglog-service");
    service s(dir, "production", production(c, dir));
    const auto want = drive(s, "p", 3);

    // Refused requests: an answer that says why, and no event.
    auto [bad_enum, e1] = s.post("/v1/care-requests", {{"user_id", "u-x"}, {"urgency", "soon"}, {"channel", "web"}},
                                 "bad-urgency");
    CHECK(bad_enum == 400);
    CHECK(e1["error"] == "\"urgency\" must be one of routine, urgent, emergency");
    auto [bad_age,
          e2] = s.post("/v1/care-requests",
                       {{"user_id", "u-x"}, {"urgency", "routine"}, {"channel", "web"}, {"patient_age", "old"}},
                       "bad-age");
    CHECK(bad_age == 400);
    CHECK(e2["error"] == "\"patient_age\" must be an integer");
    auto [unknown, e3] = s.post("/v1/care-requests/cr-999/risk-assessment",
                                {{"factors", {{{"code", "bp"}, {"weight", 0.5}}}}}, "bad-id");
    CHECK(unknown == 404);
    CHECK(e3 == json{{"error", "no care request cr-999"}, {"request_id", "bad-id"}});

    REQUIRE_MESSAGE(c.wait_for_unique(want.size(), k_bound), s.proc.text());
    check_once(c, want);
    for (const auto &r : c.requests()) CHECK(r.header("Authorization") == k_authorization);

    auto got = by_request(c.accepted_events());
    // Sign-up: the email is dropped, the birth year (health data in the plan) is kept, so the
    // identify goes to the covered destinations only.
    const json &identify = got["signup-p-1"][0];
    CHECK(identify["traits"] == json{{"role", "patient"}, {"birth_year", 1981}, {"consented_to_research", true}});
    CHECK(identify["integrations"] == k_covered);
    // Care request: the symptoms are masked, the age and the patient kept to covered destinations.
    const json &care = got["care-p-1"][0];
    CHECK(care["properties"] == json{{"request_id", "cr-1"},
                                     {"urgency", "urgent"},
                                     {"channel", "mobile-app"},
                                     {"symptoms", "[redacted]"},
                                     {"patient_age", 41},
                                     {"patient", {{"postcode_prefix", "SW1"}, {"insured", true}}}});
    CHECK(care["integrations"] == k_covered);
    const json &risk = got["risk-p-1"][0];
    CHECK(risk["properties"]["request_id"] == "cr-1");
    CHECK(risk["properties"]["risk_level"] == "high");
    CHECK(risk["properties"]["risk_score"] == doctest::Approx(0.8));
    CHECK(risk["properties"]["model_version"] == "weights-1");
    CHECK(risk["integrations"] == k_covered);
    // The text the patient typed is nowhere on the wire.
    for (const auto &r : c.requests()) CHECK_FALSE(contains(r.body, "chest pain"));

    CHECK(s.stop() == 0);
    // One line per request, with its status and request id, on the console and in the file;
    // no health data in either.
    const std::string log = file_text(dir / "health-service.log");
    const std::string console = s.proc.out();
    for (const auto &text : {log, console}) {
        CHECK(contains(text, "POST /v1/signup 201 request_id=signup-p-1"));
        CHECK(contains(text, "POST /v1/care-requests 201 request_id=care-p-2"));
        CHECK(contains(text, "POST /v1/care-requests/cr-3/risk-assessment 200 request_id=risk-p-3"));
        CHECK(contains(text, "POST /v1/care-requests 400 request_id=bad-urgency"));
        CHECK(contains(text, "POST /v1/care-requests/cr-999/risk-assessment 404 request_id=bad-id"));
        CHECK(contains(text, "Terminated received"));
        CHECK_FALSE(contains(text, "chest pain"));
        CHECK_FALSE(contains(text, "@example.org"));
    }
    CHECK(contains(console, "health-service: events: delivered 9, failed 0"));
    CHECK(contains(console, "health-service: stopped"));
}

TEST_CASE("SIGTERM while a batch is in flight: the service waits for its answer and exits with every event "
          "delivered") {
    seglog::loopback::collector c;
    c.set_default(seglog::loopback::reply::delayed(std::chrono::milliseconds(1500)));
    temp_dir dir("seglog-service");
    service s(dir, "production", production(c, dir));
    const auto want = drive(s, "f", 2);
    REQUIRE(c.wait_for([&] { return c.stats().in_flight > 0; }, k_bound));

    CHECK(s.stop() == 0);
    INFO(s.proc.text());
    check_once(c, want); // no wait: they arrived before the service ended
    CHECK(contains(s.proc.out(), "health-service: events: delivered 6, failed 0"));
    CHECK_FALSE(contains(s.proc.out(), "left in the spool"));
}

TEST_CASE("SIGTERM with the collector down: accepted events stay in the spool and the next start delivers them, "
          "once") {
    seglog::loopback::collector c;
    temp_dir dir("seglog-service");
    std::vector<expected> want;
    {
        service s(dir, "production", production(c, dir), "first");
        c.stop();
        want = drive(s, "d", 2);
        CHECK(s.stop() == 0);
        INFO(s.proc.text());
        CHECK(contains(s.proc.out(), "health-service: 6 events left in the spool " + (dir / "spool")));
        CHECK_FALSE(contains(s.proc.out(), "not delivered"));
    }
    CHECK(c.request_count() == 0);

    c.start();
    service again(dir, "production", production(c, dir), "second");
    CHECK_MESSAGE(c.wait_for_unique(want.size(), k_bound), again.proc.text());
    CHECK(again.stop() == 0);
    check_once(c, want);
}

TEST_CASE("development: events in the local file and on the console; test: none anywhere") {
    seglog::loopback::collector c; // where events would go if a profile sent them
    const env_vars env = {{"SEGMENT_WRITE_KEY", k_write_key}, {"SEGMENT_HOST", c.url()}};
    {
        temp_dir dir("seglog-service");
        service s(dir, "development", env);
        auto [status,
              body] = s.post("/v1/care-requests",
                             {{"user_id", "u-7"}, {"urgency", "routine"}, {"channel", "web"}, {"symptoms", "a cough"}},
                             "dev-1");
        CHECK(status == 201);
        CHECK(s.stop() == 0);
        INFO(s.proc.text());
        const auto lines = read_lines(dir / "health-events.jsonl");
        REQUIRE(lines.size() == 1);
        const json e = json::parse(lines[0]);
        CHECK(e["event"] == "Care Request Submitted");
        CHECK(e["context"]["request_id"] == "dev-1");
        CHECK(e["properties"]["symptoms"] == "[redacted]");
        CHECK(contains(s.proc.out(), "event track \"Care Request Submitted\" userId=u-7"));
        // Events are never log lines: the rotating file has the request's line only.
        const std::string log = file_text(dir / "health-service.log");
        CHECK(contains(log, "POST /v1/care-requests 201 request_id=dev-1"));
        CHECK_FALSE(contains(log, "Care Request Submitted"));
    }
    {
        temp_dir dir("seglog-service");
        service s(dir, "test", env);
        auto [status, body] = s.post("/v1/care-requests",
                                     {{"user_id", "u-7"}, {"urgency", "routine"}, {"channel", "web"}}, "test-1");
        CHECK(status == 201);
        CHECK(s.stop() == 0);
        INFO(s.proc.text());
        CHECK(contains(s.proc.out(), "destinations=[]"));
        CHECK_FALSE(std::filesystem::exists(dir / "health-events.jsonl"));
    }
    CHECK(c.request_count() == 0);
}

TEST_CASE("a configuration that cannot work, or no tracking plan, stops the service at startup with the reason") {
    temp_dir dir("seglog-service");
    const tool_result r = run_tool(SEGLOG_SERVICE, {"--config", SEGLOG_SERVICE_CONFIG, "--env", "staging", "--port",
                                                    "0", "--log-file", dir / "health-service.log"});
    INFO(r.text());
    CHECK(r.status == 2);
    CHECK(contains(r.err, "health-service: seglog config:"));
    CHECK(contains(r.err, "staging"));

    // Without the plan, nothing would say which properties are health data.
    const tool_result no_plan = run_tool(SEGLOG_SERVICE, {"--config", SEGLOG_SERVICE_CONFIG, "--env", "development",
                                                          "--port", "0", "--log-file", dir / "health-service.log"});
    INFO(no_plan.text());
    CHECK(no_plan.status == 2);
    CHECK(contains(no_plan.err, "health-service: no tracking plan (--plan or SEGLOG_TRACKING_PLAN)"));
}

} // TEST_SUITE
