// The routes of the health-service example. Each handler reads its JSON body, answers, and
// tracks what happened through a typed function generated from examples/plans/health.json
// (health_events.h, made at build time by `seglog plan generate`), inside a
// seglog::scoped_context that puts the request's id in the event's context.
//
// Log lines name ids and outcomes only: health data (symptoms, ages, scores) goes into events,
// where the configuration redacts it or keeps it to covered destinations, never into logs.
#include "api.h"

#include "health_events.h"

#include <seglog/scoped_context.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

namespace health {
namespace {

namespace ev = health::events;
using json = nlohmann::json;

// A request the service refuses, with the reason the client is told (400).
struct bad_request : std::runtime_error {
    using std::runtime_error::runtime_error;
};

const json *member(const json &body, const char *name) {
    const auto it = body.find(name);
    return it == body.end() || it->is_null() ? nullptr : &*it;
}

std::string required_string(const json &body, const char *name) {
    const json *v = member(body, name);
    if (!v) throw bad_request(std::string("\"") + name + "\" is required");
    if (!v->is_string() || v->get_ref<const std::string &>().empty() || v->get_ref<const std::string &>().size() > 100)
        throw bad_request(std::string("\"") + name + "\" must be a string of 1 to 100 characters");
    return v->get<std::string>();
}

std::optional<std::string> optional_string(const json &body, const char *name) {
    const json *v = member(body, name);
    if (!v) return std::nullopt;
    if (!v->is_string()) throw bad_request(std::string("\"") + name + "\" must be a string");
    return v->get<std::string>();
}

std::optional<std::int64_t> optional_integer(const json &body, const char *name) {
    const json *v = member(body, name);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) throw bad_request(std::string("\"") + name + "\" must be an integer");
    return v->get<std::int64_t>();
}

std::optional<bool> optional_boolean(const json &body, const char *name) {
    const json *v = member(body, name);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) throw bad_request(std::string("\"") + name + "\" must be true or false");
    return v->get<bool>();
}

// One of `choices` ({text, value}), named in the error when the text is none of them.
template <typename E>
E required_choice(const json &body, const char *name, const std::vector<std::pair<const char *, E>> &choices) {
    const std::string text = required_string(body, name);
    std::string known;
    for (const auto &[t, value] : choices) {
        if (text == t) return value;
        known += std::string(known.empty() ? "" : ", ") + t;
    }
    throw bad_request(std::string("\"") + name + "\" must be one of " + known);
}

json parse_body(const httplib::Request &req) {
    json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) throw bad_request("the body is not valid JSON");
    if (!body.is_object()) throw bad_request("the body must be a JSON object");
    return body;
}

void reply(httplib::Response &res, int status, const json &body) {
    res.status = status;
    res.set_content(body.dump() + "\n", "application/json");
}

// A caller's X-Request-Id is kept when it is a plain token, so that a request can be followed
// from the caller's logs to the events; anything else is replaced.
bool usable_request_id(const std::string &id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
               c == '.' || c == ':';
    });
}

// The assessment itself: the weights of the factors present, capped at 1.
std::pair<double, ev::risk_assessment_completed_risk_level>
assess(const std::vector<ev::risk_assessment_completed_factors_item> &factors) {
    double score = 0;
    for (const auto &f : factors)
        if (f.present.value_or(true)) score += f.weight;
    score = std::round(std::clamp(score, 0.0, 1.0) * 100) / 100; // two decimals, as a clinician reads it
    const auto level = score < 0.3   ? ev::risk_assessment_completed_risk_level::low
                       : score < 0.7 ? ev::risk_assessment_completed_risk_level::medium
                                     : ev::risk_assessment_completed_risk_level::high;
    return {score, level};
}

const char *level_text(ev::risk_assessment_completed_risk_level level) {
    switch (level) {
    case ev::risk_assessment_completed_risk_level::low: return "low";
    case ev::risk_assessment_completed_risk_level::medium: return "medium";
    case ev::risk_assessment_completed_risk_level::high: return "high";
    }
    return "unknown";
}

} // namespace

api::api(spdlog::logger &logger) : logger_(logger) {
    std::random_device rd;
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "%08x", static_cast<unsigned>(rd()));
    request_id_prefix_ = std::string("req-") + prefix + "-";
}

std::string api::request_id(const std::string &header) {
    if (usable_request_id(header)) return header;
    return request_id_prefix_ + std::to_string(next_request_id_.fetch_add(1));
}

void api::install(httplib::Server &server) {
    // Every route through one wrapper: the request id, the scoped context, errors as 400, and
    // one log line per request.
    using handler = std::function<void(const httplib::Request &, const json &, httplib::Response &)>;
    auto route = [this](handler fn) {
        return [this, fn = std::move(fn)](const httplib::Request &req, httplib::Response &res) {
            const std::string id = request_id(req.get_header_value("X-Request-Id"));
            res.set_header("X-Request-Id", id);
            {
                // Every event tracked on this thread until the scope ends carries
                // context.request_id: the request's events can be found by it in Segment.
                seglog::scoped_context scope({{"request_id", res.get_header_value("X-Request-Id")}});
                try {
                    fn(req, parse_body(req), res);
                } catch (const bad_request &e) {
                    reply(res, 400, {{"error", e.what()}, {"request_id", res.get_header_value("X-Request-Id")}});
                }
            }
            logger_.info("{} {} {} request_id={}", req.method, req.path, res.status, id);
        };
    };

    server.Get("/health",
               [](const httplib::Request &, httplib::Response &res) { res.set_content("ok\n", "text/plain"); });

    // Sign up: who the user is, as an identify (the plan's identify rule). email and
    // birth_year are health data in the plan (x-phi).
    server.Post("/v1/signup", route([this](const httplib::Request &, const json &body, httplib::Response &res) {
                    const std::string user_id = required_string(body, "user_id");
                    const auto role = required_choice<ev::identify_role>(body, "role",
                                                                         {{"patient", ev::identify_role::patient},
                                                                          {"clinician", ev::identify_role::clinician},
                                                                          {"administrator",
                                                                           ev::identify_role::administrator}});
                    ev::identify_options traits;
                    if (auto v = optional_string(body, "email")) traits.with_email(*v);
                    if (auto v = optional_integer(body, "birth_year")) traits.with_birth_year(*v);
                    if (auto v = optional_string(body, "organisation_id")) traits.with_organisation_id(*v);
                    if (auto v = optional_boolean(body, "consented_to_research")) traits.with_consented_to_research(*v);

                    ev::identify(logger_, seglog::user(user_id), role, traits);
                    reply(res, 201, {{"user_id", user_id}});
                }));

    // A care request: stored, then tracked as "Care Request Submitted".
    server.Post("/v1/care-requests", route([this](const httplib::Request &, const json &body, httplib::Response &res) {
                    const std::string user_id = required_string(body, "user_id");
                    const auto urgency = required_choice<ev::care_request_submitted_urgency>(
                        body, "urgency",
                        {{"routine", ev::care_request_submitted_urgency::routine},
                         {"urgent", ev::care_request_submitted_urgency::urgent},
                         {"emergency", ev::care_request_submitted_urgency::emergency}});
                    const auto channel = required_choice<ev::care_request_submitted_channel>(
                        body, "channel",
                        {{"web", ev::care_request_submitted_channel::web},
                         {"mobile-app", ev::care_request_submitted_channel::mobile_app},
                         {"phone", ev::care_request_submitted_channel::phone}});
                    ev::care_request_submitted_options options;
                    if (auto v = optional_string(body, "symptoms")) options.with_symptoms(*v);
                    if (auto v = optional_integer(body, "patient_age")) options.with_patient_age(*v);
                    if (auto v = optional_boolean(body, "is_new_patient")) options.with_is_new_patient(*v);
                    if (auto v = optional_string(body, "postcode_prefix")) {
                        ev::care_request_submitted_patient patient(*v);
                        if (auto insured = optional_boolean(body, "insured")) patient.with_insured(*insured);
                        options.with_patient(patient);
                    }

                    std::string care_request_id;
                    {
                        std::lock_guard<std::mutex> lock(mutex_);
                        care_request_id = "cr-" + std::to_string(next_care_request_++);
                        care_requests_[care_request_id] = care_request{user_id};
                    }
                    ev::care_request_submitted(logger_, seglog::user(user_id), care_request_id, urgency, channel,
                                               options);
                    reply(res, 201, {{"care_request_id", care_request_id}});
                }));

    // A risk assessment of a care request: the factors given are weighed, the outcome answered
    // and tracked as "Risk Assessment Completed".
    server.Post(
        R"(/v1/care-requests/([A-Za-z0-9-]+)/risk-assessment)",
        route([this](const httplib::Request &req, const json &body, httplib::Response &res) {
            const auto started = std::chrono::steady_clock::now();
            const std::string care_request_id = req.matches[1];
            std::string user_id;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                const auto it = care_requests_.find(care_request_id);
                if (it != care_requests_.end()) user_id = it->second.user_id;
            }
            if (user_id.empty()) {
                reply(res, 404,
                      {{"error", "no care request " + care_request_id},
                       {"request_id", res.get_header_value("X-Request-Id")}});
                return;
            }
            std::vector<ev::risk_assessment_completed_factors_item> factors;
            const json *list = member(body, "factors");
            if (!list || !list->is_array() || list->empty()) throw bad_request("\"factors\" must be a non-empty array");
            for (const json &f : *list) {
                if (!f.is_object()) throw bad_request("each factor must be an object");
                const json *weight = member(f, "weight");
                if (!weight || !weight->is_number())
                    throw bad_request("each factor needs a \"code\" and a numeric \"weight\"");
                ev::risk_assessment_completed_factors_item item(required_string(f, "code"), weight->get<double>());
                if (auto present = optional_boolean(f, "present")) item.with_present(*present);
                factors.push_back(std::move(item));
            }
            ev::risk_assessment_completed_options options;
            options.with_factors(factors);
            if (auto v = optional_boolean(body, "reviewed_by_clinician")) options.with_reviewed_by_clinician(*v);

            const auto [score, level] = assess(factors);
            options.with_duration_ms(
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                    .count());
            ev::risk_assessment_completed(logger_, seglog::user(user_id), care_request_id, level, score, "weights-1",
                                          options);
            reply(res, 200,
                  {{"care_request_id", care_request_id}, {"risk_score", score}, {"risk_level", level_text(level)}});
        }));
}

} // namespace health
