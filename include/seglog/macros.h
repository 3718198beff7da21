#pragma once
// SEGLOG_TRACK and friends: like SPDLOG_* but for events. The default-logger forms use
// spdlog's default logger; SEGLOG_LOGGER_* take a logger first (raw pointer, reference or
// shared_ptr). Properties in braces may contain commas: the macros are variadic in them.
//
//   SEGLOG_TRACK(seglog::user("u-42"), "Order Completed", {{"order_id", "o-1"}, {"revenue", 42.5}});
//
// With tracking off (seglog::set_tracking(false)) a call costs one flag check and its
// arguments are not evaluated. Compile with SEGLOG_ACTIVE=0 to remove the calls entirely.

#include <seglog/record.h>
#include <seglog/tracking.h>

#include <spdlog/spdlog.h>

#ifndef SEGLOG_ACTIVE
#define SEGLOG_ACTIVE 1
#endif

#if SEGLOG_ACTIVE
#define SEGLOG_DETAIL_CALL(fn, logger, ...)                                                        \
    do {                                                                                           \
        if (::seglog::tracking_enabled())                                                         \
            ::seglog::fn(::seglog::detail::as_logger(logger), __VA_ARGS__);                        \
    } while (0)
#else
#define SEGLOG_DETAIL_CALL(fn, logger, ...) (void)0
#endif

// who, event, [properties], [call_options]
#define SEGLOG_LOGGER_TRACK(logger, ...) SEGLOG_DETAIL_CALL(log_track, logger, __VA_ARGS__)
// who, [traits], [call_options]
#define SEGLOG_LOGGER_IDENTIFY(logger, ...) SEGLOG_DETAIL_CALL(log_identify, logger, __VA_ARGS__)
// who, name, [properties], [call_options]
#define SEGLOG_LOGGER_PAGE(logger, ...) SEGLOG_DETAIL_CALL(log_page, logger, __VA_ARGS__)
#define SEGLOG_LOGGER_SCREEN(logger, ...) SEGLOG_DETAIL_CALL(log_screen, logger, __VA_ARGS__)
// who, group_id, [traits], [call_options]
#define SEGLOG_LOGGER_GROUP(logger, ...) SEGLOG_DETAIL_CALL(log_group, logger, __VA_ARGS__)
// previous_id, user_id, [call_options]
#define SEGLOG_LOGGER_ALIAS(logger, ...) SEGLOG_DETAIL_CALL(log_alias, logger, __VA_ARGS__)

#define SEGLOG_TRACK(...) SEGLOG_LOGGER_TRACK(::spdlog::default_logger_raw(), __VA_ARGS__)
#define SEGLOG_IDENTIFY(...) SEGLOG_LOGGER_IDENTIFY(::spdlog::default_logger_raw(), __VA_ARGS__)
#define SEGLOG_PAGE(...) SEGLOG_LOGGER_PAGE(::spdlog::default_logger_raw(), __VA_ARGS__)
#define SEGLOG_SCREEN(...) SEGLOG_LOGGER_SCREEN(::spdlog::default_logger_raw(), __VA_ARGS__)
#define SEGLOG_GROUP(...) SEGLOG_LOGGER_GROUP(::spdlog::default_logger_raw(), __VA_ARGS__)
#define SEGLOG_ALIAS(...) SEGLOG_LOGGER_ALIAS(::spdlog::default_logger_raw(), __VA_ARGS__)
