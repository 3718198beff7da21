// The generated functions of examples/plans/health.json called right: compiles at -Werror with
// GCC and Clang (plan_codegen_compile_test.cpp), as do the plan_*.cpp files once their one
// wrong call is fixed.
#include "health_events.h"

namespace ev = health::events;

void calls(spdlog::logger &l, const seglog::identity &who) {
    ev::appointment_cancelled(l, who, "ap-1", ev::appointment_cancelled_cancelled_by::clinic);
    ev::appointment_cancelled(l, who, std::string("ap-1"), ev::appointment_cancelled_cancelled_by::clinic,
                              ev::appointment_cancelled_options().with_rebooked(true).with_hours_before_start(3),
                              seglog::call_options().with_context({{"ip", "203.0.113.9"}}));
    ev::risk_assessment_completed(l, who, "cr-1", ev::risk_assessment_completed_risk_level::low, 1, "m",
                                  ev::risk_assessment_completed_options().with_duration_ms(std::size_t{5}));
    ev::appointment_booked(l, who, "a", "r", ev::appointment_booked_visit_type::video, "t",
                           ev::appointment_booked_options().with_clinic({"cl-1"}));
    ev::identify(l, who, ev::identify_role::clinician);
    ev::group(l, who, "org-1", "Acme", ev::group_kind::practice);
}
