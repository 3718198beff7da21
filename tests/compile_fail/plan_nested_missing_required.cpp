// expect: appointment_booked_clinic
// A nested object's required member ("clinic_id") is its constructor's parameter.
#include "health_events.h"

namespace ev = health::events;

void calls(spdlog::logger &l, const seglog::identity &who) {
    ev::appointment_booked(l, who, "a", "r", ev::appointment_booked_visit_type::video, "t",
                           ev::appointment_booked_options().with_clinic(ev::appointment_booked_clinic()));
}
