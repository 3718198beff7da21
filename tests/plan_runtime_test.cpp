// The tracking plan at run time (config::tracking_plan, plan_violations): what reaches the
// collector and the file, what is reported and counted, for each mode; the variables and file
// keys; the plan's health-data marks.
#include "support/collecting_sink.h"
#include "support/config_checks.h"
#include "support/pipeline.h"
#include "support/two_destinations.h"

#include <seglog/macros.h>
#include <seglog/sinks/file_event_sink.h>

#include <algorithm>

namespace {

using namespace seglog_test;
using seglog::reason;

// One track rule (order_id required, revenue a number), identify needs an email trait, and
// every event's context.tenant must be a string.
const char *const shop_plan = R"({"rules": {
  "events": [{"name": "Order Completed", "version": 1, "rules": {"type": "object", "properties": {
    "properties": {"type": "object", "required": ["order_id"],
                   "properties": {"order_id": {"type": "string"}, "revenue": {"type": "number"}}}}}}],
  "identify": {"type": "object", "properties": {"traits": {"type": "object", "required": ["email"]}}},
  "global": {"type": "object", "properties": {"context": {"type": "object",
    "properties": {"tenant": {"type": "string"}}}}}}})";

// Health data marked in the plan: properties.diagnosis.
const char *const care_plan = R"({"rules": {"events": [{"name": "Visit Booked", "rules": {"type": "object",
  "properties": {"properties": {"type": "object", "properties": {
    "diagnosis": {"type": "string", "x-phi": true}, "clinic": {"type": "string"}}}}}}]}})";

// A value that must never appear in a report.
const std::string k_value = "VALUE-NEVER-REPORTED";

// The loopback pipeline with a plan file; three events: one that meets the plan, one that fails
// its rule (revenue a string, order_id missing), one no rule names.
struct planned : pipeline {
    temp_dir dir{"seglog-plan"};

    explicit planned(seglog::plan_mode mode, const char *plan = shop_plan) : pipeline(segment_config) {
        cfg.tracking_plan = dir.write("plan.json", plan);
        cfg.plan_violations = mode;
    }
    void track_three() {
        seglog::client &c = client();
        REQUIRE(c.track(seglog::user("u-1"), "Order Completed", {{"order_id", "o-1"}, {"revenue", 42.5}}));
        REQUIRE(c.track(seglog::user("u-1"), "Order Completed", {{"revenue", k_value}}));
        REQUIRE(c.track(seglog::user("u-1"), "Order Compelted", {{"order_id", "o-2"}}));
    }
    // "<event> <order_id>" of each event the collector took, in order.
    std::vector<std::string> at_collector() {
        std::vector<std::string> out;
        for (const auto &e : col.accepted_events())
            out.push_back(e.value("event", e.value("type", "")) + " " +
                          e.value("properties", nlohmann::json::object()).value("order_id", "-"));
        return out;
    }
    // The errors reported, after flush().
    std::vector<seglog::error> reports(reason code) const {
        std::lock_guard<std::mutex> lk(l.m);
        std::vector<seglog::error> out;
        for (const auto &e : l.errors)
            if (e.code == code) out.push_back(e);
        return out;
    }
    // Every event accepted ended delivered or failed, each id once.
    void check_books() {
        const auto s = stats();
        CHECK(s.accepted == s.delivered + s.failed);
        std::lock_guard<std::mutex> lk(l.m);
        std::set<std::string> ids(l.delivered.begin(), l.delivered.end());
        for (const auto &e : l.errors)
            if (s.by_reason[static_cast<int>(e.code)] > 0) ids.insert(e.message_ids.begin(), e.message_ids.end());
        CHECK(ids.size() == s.accepted);
    }
};

int by(const seglog::stats &s, reason r) { return static_cast<int>(s.by_reason[static_cast<int>(r)]); }

} // namespace

TEST_CASE("plan_violations=drop: only events that meet the plan are sent; the others fail, reported by pointer") {
    planned p(seglog::plan_mode::drop);
    p.start();
    p.track_three();
    p.flush();
    CHECK(p.at_collector() == std::vector<std::string>{"Order Completed o-1"});
    const auto s = p.stats();
    CHECK(s.delivered == 1);
    CHECK(s.failed == 2);
    CHECK(by(s, reason::plan_violation) == 1);
    CHECK(by(s, reason::unplanned_event) == 1);
    CHECK(s.plan_violations == 1);
    CHECK(s.unplanned_events == 1);

    const auto bad = p.reports(reason::plan_violation);
    REQUIRE(bad.size() == 1);
    CHECK(bad[0].event_type == "track");
    CHECK(bad[0].event_name == "Order Completed");
    CHECK(bad[0].message_ids.size() == 1);
    INFO(bad[0].message);
    CHECK(bad[0].message.find("/properties/revenue: type") != std::string::npos);
    CHECK(bad[0].message.find("/properties/order_id: required") != std::string::npos);
    CHECK(bad[0].message.find("not sent (plan_violations=drop)") != std::string::npos);
    CHECK(bad[0].message.find(k_value) == std::string::npos);
    const auto unplanned = p.reports(reason::unplanned_event);
    REQUIRE(unplanned.size() == 1);
    CHECK(unplanned[0].message.find("track \"Order Compelted\" is not in the tracking plan") != std::string::npos);
    p.check_books();
}

TEST_CASE("plan_violations=warn (the default): every event is sent, the violations reported and counted apart") {
    planned p(seglog::config{}.plan_violations);
    p.start();
    p.track_three();
    p.flush();
    CHECK(p.at_collector() ==
          std::vector<std::string>{"Order Completed o-1", "Order Completed -", "Order Compelted o-2"});
    const auto s = p.stats();
    CHECK(s.delivered == 3);
    CHECK(s.failed == 0);
    CHECK(by(s, reason::plan_violation) == 0); // a notice, not a loss
    CHECK(s.plan_violations == 1);
    CHECK(s.unplanned_events == 1);
    const auto bad = p.reports(reason::plan_violation);
    REQUIRE(bad.size() == 1);
    CHECK(bad[0].message.find("; sent (plan_violations=warn)") != std::string::npos);
    CHECK(p.reports(reason::unplanned_event).size() == 1);
    p.check_books();
}

TEST_CASE("plan_violations=allow: nothing is checked") {
    planned p(seglog::plan_mode::allow);
    p.start();
    p.track_three();
    p.flush();
    CHECK(p.at_collector().size() == 3);
    const auto s = p.stats();
    CHECK(s.plan_violations == 0);
    CHECK(s.unplanned_events == 0);
    CHECK(p.reports(reason::plan_violation).empty());
    CHECK(p.reports(reason::unplanned_event).empty());
}

TEST_CASE("identify meets rules.identify, every event rules.global") {
    planned p(seglog::plan_mode::drop);
    seglog::client &c = p.start();
    REQUIRE(c.identify(seglog::user("u-1"), {{"name", "Ada"}}));
    REQUIRE(c.identify(seglog::user("u-2"), {{"email", "a@example.com"}},
                       seglog::call_options().with_context({{"tenant", "acme"}})));
    REQUIRE(c.alias("a-1", "u-3", seglog::call_options().with_context({{"tenant", 7}})));
    p.flush();
    const auto sent = p.col.accepted_events();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0]["userId"] == "u-2");
    const auto bad = p.reports(reason::plan_violation);
    REQUIRE(bad.size() == 2);
    INFO(bad[0].message);
    CHECK(bad[0].event_type == "identify");
    CHECK(bad[0].message.find("/traits/email: required") != std::string::npos);
    CHECK(bad[1].event_type == "alias");
    CHECK(bad[1].message.find("/context/tenant: type") != std::string::npos);
    CHECK(p.stats().plan_violations == 2);
    p.check_books();
}

TEST_CASE("through the macros: the segment and file destinations both apply the plan, in each mode") {
    struct mode_case {
        seglog::plan_mode mode;
        std::size_t sent, reports;
    };
    for (const mode_case m : {mode_case{seglog::plan_mode::drop, 1, 2}, mode_case{seglog::plan_mode::warn, 3, 2},
                              mode_case{seglog::plan_mode::allow, 3, 0}}) {
        CAPTURE(static_cast<int>(m.mode));
        two_destinations d;
        temp_dir dir{"seglog-plan"};
        d.cfg.tracking_plan = dir.write("plan.json", shop_plan);
        d.cfg.plan_violations = m.mode;
        error_capture call_site; // the file destination reports to the process-wide handler
        d.attach();
        SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Order Completed", {{"order_id", "o-1"}});
        SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Order Completed", {{"order_id", 5}});
        SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Refund Issued", {{"order_id", "o-1"}});
        const auto events = d.events(); // the same events in the file and at the collector
        REQUIRE(events.size() == m.sent);
        CHECK(events[0]["properties"]["order_id"] == "o-1");
        const auto s = d.client().stats();
        CHECK(s.plan_violations == (m.reports ? 1 : 0));
        CHECK(s.unplanned_events == (m.reports ? 1 : 0));
        CHECK(s.failed == 3 - m.sent);
        const auto errors = call_site.errors();
        REQUIRE(errors.size() == m.reports);
        if (!m.reports) continue;
        CHECK(errors[0].code == reason::plan_violation);
        CHECK(errors[0].message.find("/properties/order_id: type") != std::string::npos);
        CHECK(errors[1].code == reason::unplanned_event);
        CHECK(errors[1].event_name == "Refund Issued");
    }
}

TEST_CASE("a file destination with warn writes the event and reports it") {
    temp_dir dir{"seglog-plan"};
    seglog::config cfg;
    cfg.tracking_plan = dir.write("plan.json", shop_plan);
    seglog::file_event_sink_mt sink(dir / "events.jsonl", cfg);
    error_capture call_site;
    const std::string record =
        R"({"messageId":"m-1","type":"track","event":"Order Completed","userId":"u","properties":{}})";
    sink.take_record(record);
    CHECK(read_lines(dir / "events.jsonl") == std::vector<std::string>{record});
    REQUIRE(call_site.errors().size() == 1);
    CHECK(call_site.errors()[0].code == reason::plan_violation);
    CHECK(call_site.errors()[0].message_ids == std::vector<std::string>{"m-1"});
}

TEST_CASE("configuration: variables, file keys, the startup line and clear errors") {
    temp_dir dir{"seglog-plan"};
    const std::string plan = dir.write("plan.json", shop_plan);
    config c = from_env({{"SEGLOG_TRACKING_PLAN", plan}, {"SEGLOG_PLAN_VIOLATIONS", "Drop"}}, base_in(dir));
    CHECK(c.tracking_plan == plan);
    CHECK(c.plan_violations == seglog::plan_mode::drop);
    CHECK(c.describe().find(" tracking_plan=" + plan + " (drop)") != std::string::npos);

    const std::string file = dir.write("seglog.json",
                                       R"({"profiles": {"ci": {"tracking_plan": ")" + plan +
                                           R"(", "plan_violations": "drop"}, "prod": {"tracking_plan": ")" + plan +
                                           R"("}}})");
    config base = base_in(dir);
    CHECK(config::from_file(file, "ci", base).plan_violations == seglog::plan_mode::drop);
    CHECK(config::from_file(file, "prod", base).plan_violations == seglog::plan_mode::warn);

    CHECK(env_error({{"SEGLOG_PLAN_VIOLATIONS", "strict"}}, base_in(dir)) ==
          "seglog config: SEGLOG_PLAN_VIOLATIONS: expected \"allow\", \"warn\" or \"drop\", got \"strict\"");
    const std::string missing = env_error({{"SEGLOG_TRACKING_PLAN", dir / "nope.json"}}, base_in(dir));
    CHECK(missing.find(dir / "nope.json") != std::string::npos);
    CHECK(missing.find("(from SEGLOG_TRACKING_PLAN)") != std::string::npos);
    const std::string unsupported = dir.write(
        "bad.json", R"({"rules": {"events": [{"name": "E", "rules": {"properties": {"properties": {"format": "email",
                    "propertyNames": {"maxLength": 3}}}}}]}})");
    const std::string why = env_error({{"SEGLOG_TRACKING_PLAN", unsupported}}, base_in(dir));
    INFO(why);
    CHECK(why.find("unsupported keyword \"propertyNames\"") != std::string::npos);
    CHECK(error_of([&] {
              config::from_file(dir.write("bad-mode.json", R"({"profiles": {"p": {"plan_violations": 1}}})"), "p",
                                base_in(dir));
          }).find("plan_violations\": expected \"allow\", \"warn\" or \"drop\", got number 1") != std::string::npos);
}

TEST_CASE("health data marked in the plan (x-phi) is routed like the profile's phi paths") {
    temp_dir dir{"seglog-plan"};
    config base = base_in(dir);
    base.tracking_plan = dir.write("care.json", care_plan);
    CHECK(validate_error(base).find("marks health data (\"x-phi\": true) at properties.diagnosis") !=
          std::string::npos);

    two_destinations d;
    d.cfg.tracking_plan = base.tracking_plan;
    d.cfg.phi_integrations = R"({"All": false, "Amazon S3": true})";
    d.attach();
    SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Visit Booked", {{"clinic", "north"}, {"diagnosis", "x"}});
    SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Visit Booked", {{"clinic", "north"}});
    const auto events = d.events();
    REQUIRE(events.size() == 2);
    CHECK(events[0]["integrations"] == nlohmann::json::parse(R"({"All": false, "Amazon S3": true})"));
    CHECK(events[1]["integrations"] == nlohmann::json::object());
    CHECK(d.client().stats().phi_routed == 1);
}
