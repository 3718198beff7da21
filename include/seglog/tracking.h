#pragma once
// The tracking switch: independent of log levels, process-wide, thread-safe. When off, a
// SEGLOG_* macro costs one relaxed atomic load and does not evaluate its arguments.

#include <seglog/export.h>

#include <atomic>

namespace seglog {

namespace detail {
SEGLOG_API extern std::atomic<bool> tracking_flag;
} // namespace detail

inline bool tracking_enabled() noexcept { return detail::tracking_flag.load(std::memory_order_relaxed); }

// Turns tracking on or off at runtime. Events already accepted are still delivered.
SEGLOG_API void set_tracking(bool on) noexcept;

} // namespace seglog
