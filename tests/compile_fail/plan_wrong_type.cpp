// expect: conversion from
// A number where the plan says the property is a string.
#include "health_events.h"

namespace ev = health::events;

void calls(spdlog::logger &l, const seglog::identity &who) {
    ev::appointment_cancelled(l, who, 42, ev::appointment_cancelled_cancelled_by::clinic);
}
