// expect: too few arguments
// "cancelled_by" is required by the plan: leaving it out does not compile.
#include "health_events.h"

namespace ev = health::events;

void calls(spdlog::logger &l, const seglog::identity &who) { ev::appointment_cancelled(l, who, "ap-1"); }
