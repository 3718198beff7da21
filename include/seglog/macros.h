#pragma once
// SEGLOG_TRACK and friends: like SPDLOG_* but for events. The default-logger forms use
// spdlog's default logger; SEGLOG_LOGGER_* take a logger first (raw pointer, reference or
// shared_ptr). Properties in braces may contain commas: the macros are variadic in them.
//
//   SEGLOG_TRACK(seglog::user("u-42"), "Order Completed", {{"order_id", "o-1"}, {"revenue", 42.5}});
//
// With tracking off (seglog::set_tracking(false)) a call costs one flag check and its
// arguments are not evaluated. Compile with SEGLOG_ACTIVE=0 to remove the calls entirely.
//
// Each macro is a statement (it yields no value): it calls the matching seglog::log_* function
// of record.h, which validates and serialises the event on the calling thread and logs it
// through the logger. Nothing throws: a refused event is counted in call_site_stats() and
// reported to the handler of set_error_handler (error.h) with its reason; the logger must be
// attached (attach.h), or the event is refused as not_attached. The arguments are evaluated
// once, when tracking is on. Thread-safe as the logger is (an _mt logger from any thread).
// docs/api.md lists the reasons of each call; docs/properties.md how braces are read.

#include <seglog/record.h>
#include <seglog/tracking.h>

#include <spdlog/spdlog.h>

// 1 (the default): the macros log events. 0: they expand to nothing that runs, for builds
// that must not track at all. Set it for the whole program (-DSEGLOG_ACTIVE=0).
#ifndef SEGLOG_ACTIVE
#define SEGLOG_ACTIVE 1
#endif

// Internal: the body every macro shares (the tracking check, the call site for the console
// line, then the log_* call).
#if SEGLOG_ACTIVE
#define SEGLOG_DETAIL_CALL(fn, logger, ...)                                                                            \
    do {                                                                                                               \
        if (::seglog::tracking_enabled()) {                                                                            \
            ::seglog::detail::mark_call_site(__FILE__, __LINE__);                                                      \
            ::seglog::fn(::seglog::detail::as_logger(logger), __VA_ARGS__);                                            \
        }                                                                                                              \
    } while (0)
#else
#define SEGLOG_DETAIL_CALL(fn, logger, ...) (void)0
#endif

// The SEGLOG_LOGGER_* forms take the logger first: a spdlog::logger *, a spdlog::logger &
// or a std::shared_ptr to one. A null pointer (or shared_ptr) refuses the event as
// not_attached.

// who, event, [properties], [call_options]
// A track call: `event` (the event name) must not be empty (missing_event).
#define SEGLOG_LOGGER_TRACK(logger, ...) SEGLOG_DETAIL_CALL(log_track, logger, __VA_ARGS__)
// who, [traits], [call_options]
// An identify call: the traits are the user's.
#define SEGLOG_LOGGER_IDENTIFY(logger, ...) SEGLOG_DETAIL_CALL(log_identify, logger, __VA_ARGS__)
// who, name, [properties], [call_options]
// A page (web) or screen (mobile) view; the name may be empty.
#define SEGLOG_LOGGER_PAGE(logger, ...) SEGLOG_DETAIL_CALL(log_page, logger, __VA_ARGS__)
#define SEGLOG_LOGGER_SCREEN(logger, ...) SEGLOG_DETAIL_CALL(log_screen, logger, __VA_ARGS__)
// who, group_id, [traits], [call_options]
// A group call: `group_id` must not be empty (missing_group_id); the traits are the group's.
#define SEGLOG_LOGGER_GROUP(logger, ...) SEGLOG_DETAIL_CALL(log_group, logger, __VA_ARGS__)
// previous_id, user_id, [call_options]
// An alias call: both ids must not be empty (missing_previous_id, missing_identity).
#define SEGLOG_LOGGER_ALIAS(logger, ...) SEGLOG_DETAIL_CALL(log_alias, logger, __VA_ARGS__)

// The same six through spdlog's default logger (spdlog::set_default_logger), with the same
// arguments after it. After spdlog::shutdown() or spdlog::drop_all() there is no default
// logger: the event is refused as not_attached.
#define SEGLOG_TRACK(...) SEGLOG_LOGGER_TRACK(::spdlog::default_logger_raw(), __VA_ARGS__)
#define SEGLOG_IDENTIFY(...) SEGLOG_LOGGER_IDENTIFY(::spdlog::default_logger_raw(), __VA_ARGS__)
#define SEGLOG_PAGE(...) SEGLOG_LOGGER_PAGE(::spdlog::default_logger_raw(), __VA_ARGS__)
#define SEGLOG_SCREEN(...) SEGLOG_LOGGER_SCREEN(::spdlog::default_logger_raw(), __VA_ARGS__)
#define SEGLOG_GROUP(...) SEGLOG_LOGGER_GROUP(::spdlog::default_logger_raw(), __VA_ARGS__)
#define SEGLOG_ALIAS(...) SEGLOG_LOGGER_ALIAS(::spdlog::default_logger_raw(), __VA_ARGS__)
