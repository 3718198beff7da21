#pragma once
#include <seglog/error.h>

#include <string_view>

namespace seglog::detail {
// The default error handler: one line on stderr per error, at most one line a second, with
// the count of errors suppressed meanwhile. Never prints property values or secrets (errors
// carry neither).
void default_error_handler(const error &e);
// Forgets the once-a-second limit (the next error prints, with no count before it). For tests,
// which share one process and so one limit.
void reset_default_error_handler() noexcept;

// Whether this thread is running a callback seglog called (on_error, on_delivered, on_attempt,
// the handler of set_error_handler). A tracking call made there is refused as reentrant_call:
// an on_error that tracks an event which is refused again would recurse without end, and one
// on the worker thread that waits for room in a full queue would wait for itself.
bool in_callback() noexcept;
// Marks this thread as running a callback while it lives (scopes nest).
class callback_scope {
public:
    callback_scope() noexcept;
    ~callback_scope();
    callback_scope(const callback_scope &) = delete;
    callback_scope &operator=(const callback_scope &) = delete;

private:
    bool outer_;
};
// The error for a tracking call refused as reentrant_call (`event_type` empty when unknown).
error reentrant_call_error(std::string_view event_type);
// Counts `e` (a reentrant_call at a macro) in call_site_stats() and prints it with the default
// handler: never the user's handler, which is the callback this thread is already in.
void report_reentrant_call(const error &e) noexcept;
} // namespace seglog::detail
