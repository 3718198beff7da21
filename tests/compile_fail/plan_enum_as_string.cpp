// expect: appointment_cancelled_cancelled_by
// A string enum takes its generated enum class: a string, even a valid one, does not compile.
#include "health_events.h"

namespace ev = health::events;

void calls(spdlog::logger &l, const seglog::identity &who) { ev::appointment_cancelled(l, who, "ap-1", "clinic"); }
