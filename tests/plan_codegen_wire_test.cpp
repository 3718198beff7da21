// The functions `seglog plan generate` writes for examples/plans/health.json (generated at build
// time into health_events.h): each one called through an attached logger puts exactly the
// plan's properties (or traits) on the wire of a loopback collector and in a file destination,
// and a refused call is reported as the macros report it.
#include <doctest/doctest.h>

#include "health_events.h"

#include "bounds.h"
#include "collecting_sink.h"
#include "collector.h"
#include "config.h"
#include "temp_files.h"

#include <seglog/attach.h>
#include <seglog/error.h>
#include <seglog/tracking.h>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <vector>

namespace {

namespace ev = health::events;
using nlohmann::json;

struct tracking_restorer {
    ~tracking_restorer() { seglog::set_tracking(true); }
};

// One call to each generated function, with and without options.
void call_each(spdlog::logger &l) {
    const auto who = seglog::user("u-7");
    ev::care_request_submitted(
        l, who, "cr-1", ev::care_request_submitted_urgency::urgent, ev::care_request_submitted_channel::mobile_app,
        ev::care_request_submitted_options().with_patient_age(42).with_symptoms("cough").with_patient(
            ev::care_request_submitted_patient("SW1").with_conditions({"asthma", "copd"}).with_insured(true)));
    ev::care_request_submitted(l, who, "cr-2", ev::care_request_submitted_urgency::routine,
                               ev::care_request_submitted_channel::web);
    ev::risk_assessment_completed(
        l, who, "cr-1", ev::risk_assessment_completed_risk_level::high, 0.75, "m-3",
        ev::risk_assessment_completed_options()
            .with_factors({{"bmi", 0.5}, ev::risk_assessment_completed_factors_item("age", 2).with_present(false)})
            .with_duration_ms(120)
            .with_reviewed_by_clinician(true));
    ev::appointment_booked(l, who, "ap-1", "cr-1", ev::appointment_booked_visit_type::in_person, "2026-12-04T10:00:00Z",
                           ev::appointment_booked_options()
                               .with_clinic(ev::appointment_booked_clinic("cl-9").with_region("north"))
                               .with_duration_minutes(30)
                               .with_interpreter_needed(false)
                               .with_price(49.5)
                               .with_specialty("cardiology"));
    ev::appointment_cancelled(
        l, who, "ap-1", ev::appointment_cancelled_cancelled_by::patient,
        ev::appointment_cancelled_options().with_reason("better").with_hours_before_start(26.5).with_rebooked(true));
    ev::identify(l, who, ev::identify_role::patient,
                 ev::identify_options()
                     .with_birth_year(1980)
                     .with_email("p@example.org")
                     .with_consented_to_research(false)
                     .with_organisation_id("org-1"));
    ev::group(l, who, "org-1", "St Mary", ev::group_kind::hospital,
              ev::group_options().with_beds(400).with_accredited(true));
}

struct expected_event {
    const char *type;
    const char *name;    // track: "event"; group: "groupId"; identify: none
    const char *members; // properties (track) or traits, exactly
};

const std::vector<expected_event> expected = {
    {"track", "Care Request Submitted",
     R"({"channel":"mobile-app","patient":{"conditions":["asthma","copd"],"insured":true,"postcode_prefix":"SW1"},)"
     R"("patient_age":42,"request_id":"cr-1","symptoms":"cough","urgency":"urgent"})"},
    {"track", "Care Request Submitted", R"({"channel":"web","request_id":"cr-2","urgency":"routine"})"},
    {"track", "Risk Assessment Completed",
     R"({"duration_ms":120,"factors":[{"code":"bmi","weight":0.5},{"code":"age","present":false,"weight":2}],)"
     R"("model_version":"m-3","request_id":"cr-1","reviewed_by_clinician":true,"risk_level":"high","risk_score":0.75})"},
    {"track", "Appointment Booked",
     R"({"appointment_id":"ap-1","clinic":{"clinic_id":"cl-9","region":"north"},"duration_minutes":30,)"
     R"("interpreter_needed":false,"price":49.5,"request_id":"cr-1","specialty":"cardiology",)"
     R"("starts_at":"2026-12-04T10:00:00Z","visit_type":"in-person"})"},
    {"track", "Appointment Cancelled",
     R"({"appointment_id":"ap-1","cancelled_by":"patient","hours_before_start":26.5,"reason":"better","rebooked":true})"},
    {"identify", nullptr,
     R"({"birth_year":1980,"consented_to_research":false,"email":"p@example.org","organisation_id":"org-1","role":"patient"})"},
    {"group", "org-1", R"({"accredited":true,"beds":400,"kind":"hospital","name":"St Mary"})"},
};

// The events, in the order call_each() made them, each as the plan says.
void check_events(const std::vector<json> &events) {
    REQUIRE(events.size() == expected.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        const json &e = events[i];
        const expected_event &x = expected[i];
        INFO("event " << i << ": " << e.dump());
        CHECK(e.at("type") == x.type);
        CHECK(e.at("userId") == "u-7");
        const std::string type = x.type;
        if (type == "track") CHECK(e.at("event") == x.name);
        if (type == "group") CHECK(e.at("groupId") == x.name);
        // Exactly, as text: member names, nesting and values, numbers as seglog writes them.
        CHECK(e.at(type == "track" ? "properties" : "traits").dump() == json::parse(x.members).dump());
    }
}

std::shared_ptr<spdlog::logger> attached_logger(const seglog::config &cfg,
                                                std::shared_ptr<seglog::demux_sink_mt> *demux = nullptr) {
    auto logger = std::make_shared<spdlog::logger>("plan_codegen");
    auto d = seglog::attach(*logger, cfg);
    if (demux) *demux = d;
    return logger;
}

} // namespace

TEST_SUITE("plan_codegen: the generated functions on the wire") {

TEST_CASE("each function sends exactly the plan's properties to the collector") {
    tracking_restorer restore;
    seglog::loopback::collector col;
    std::shared_ptr<seglog::demux_sink_mt> demux;
    auto logger = attached_logger(seglog_test::segment_config(col), &demux);
    call_each(*logger);
    auto client = seglog::segment_client(*demux);
    REQUIRE(client);
    REQUIRE(client->flush(seglog_test::k_bound));
    check_events(col.accepted_events());
    CHECK(client->stats().dropped == 0);
}

TEST_CASE("each function writes the same events to a file destination") {
    tracking_restorer restore;
    seglog_test::temp_dir dir("seglog-plan-codegen");
    const std::string path = dir.file("events.jsonl");
    auto logger = attached_logger(seglog_test::file_config(path));
    call_each(*logger);
    logger->flush();
    std::vector<json> events;
    for (const auto &line : seglog_test::read_lines(path)) events.push_back(json::parse(line));
    check_events(events);
}

TEST_CASE("a refused call is reported as the macros report it; tracking off sends nothing") {
    tracking_restorer restore;
    seglog_test::temp_dir dir("seglog-plan-codegen");
    const std::string path = dir.file("events.jsonl");
    auto logger = attached_logger(seglog_test::file_config(path));
    seglog_test::error_capture errors;
    ev::appointment_cancelled(*logger, seglog::identity{}, "ap-1", ev::appointment_cancelled_cancelled_by::clinic);
    ev::group(*logger, seglog::user("u-7"), "", "St Mary", ev::group_kind::clinic);
    seglog::set_tracking(false);
    ev::appointment_cancelled(*logger, seglog::user("u-7"), "ap-2", ev::appointment_cancelled_cancelled_by::clinic);
    logger->flush();
    const auto reported = errors.errors();
    REQUIRE(reported.size() == 2);
    CHECK(reported[0].code == seglog::reason::missing_identity);
    CHECK(reported[0].event_name == "Appointment Cancelled");
    CHECK(reported[1].code == seglog::reason::missing_group_id);
    CHECK(seglog_test::read_lines(path).empty());
}

} // TEST_SUITE
