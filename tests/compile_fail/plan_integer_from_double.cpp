// expect: seglog::typed::integer
// An integer property does not take a double (its fraction would be lost).
#include "health_events.h"

namespace ev = health::events;

void calls(spdlog::logger &l, const seglog::identity &who) {
    ev::appointment_booked(l, who, "a", "r", ev::appointment_booked_visit_type::video, "t",
                           ev::appointment_booked_options().with_duration_minutes(2.5));
}
