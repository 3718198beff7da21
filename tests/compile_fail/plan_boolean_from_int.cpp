// expect: seglog::typed::boolean
// A boolean property takes bool only, not a number C++ would convert.
#include "health_events.h"

namespace ev = health::events;

void calls(spdlog::logger &l, const seglog::identity &who) {
    ev::appointment_cancelled(l, who, "ap-1", ev::appointment_cancelled_cancelled_by::clinic,
                              ev::appointment_cancelled_options().with_rebooked(1));
}
