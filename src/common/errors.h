#pragma once
#include <seglog/error.h>

namespace seglog::detail {
// The default error handler: one line on stderr per error, at most one line a second, with
// the count of errors suppressed meanwhile. Never prints property values or secrets (errors
// carry neither).
void default_error_handler(const error &e);
// Forgets the once-a-second limit (the next error prints, with no count before it). For tests,
// which share one process and so one limit.
void reset_default_error_handler() noexcept;
} // namespace seglog::detail
