#pragma once
// The tracking switch: independent of log levels, process-wide, thread-safe. When off, a
// SEGLOG_* macro costs one relaxed atomic load and does not evaluate its arguments.

#include <seglog/export.h>

#include <atomic>

namespace seglog {

// Internal: the switch itself, read inline by the macros; use the two functions below.
namespace detail {
SEGLOG_API extern std::atomic<bool> tracking_flag;
} // namespace detail

// Whether the SEGLOG_* macros log events now. On at startup; attach() sets it from its config.
// Log levels do not affect it. seglog::client's calls do not look at it.
inline bool tracking_enabled() noexcept { return detail::tracking_flag.load(std::memory_order_relaxed); }

// Turns tracking on or off at runtime. Events already accepted are still delivered.
// Process-wide, for every logger; thread-safe. A later attach() sets it again from its config.
SEGLOG_API void set_tracking(bool on) noexcept;

} // namespace seglog
