#pragma once
// The one place seglog relies on spdlog beyond its public API. spdlog::logger has no public
// way to:
//   - hand a record to its sinks as its own log() does, minus the backtrace ring (with
//     enable_backtrace() on, log() copies every record there, and dump_backtrace() would send
//     each event to the event sinks a second time), and through an async_logger's queue when
//     the logger is one. That is logger::sink_it_, a protected virtual.
//   - reach the error handler set by set_error_handler() (it has no getter): logger::
//     err_handler_, protected. Used to report a failure of a sink the bridge called itself
//     in the words spdlog's own sink_it_ uses.
// Both are named here through a derived class; nothing else in seglog touches spdlog's
// protected or private members.
//
// Verified against spdlog 1.10.0 (Debian 12) and 1.15.x (Debian 13). tests/spdlog_seam_test.cpp
// fails if a newer spdlog changes what seglog relies on:
//   - sink_it_ of a logger passes the record to each sink whose level lets it through, and
//     sink_it_ of an async_logger queues it for the thread pool's thread;
//   - sink_it_ leaves the backtrace ring alone;
//   - a record at level::off passes loggers and sinks set to off and never triggers flush_on;
//   - err_handler_ reaches the handler set by set_error_handler.

#include <spdlog/details/log_msg.h>
#include <spdlog/logger.h>

#include <string>

namespace seglog::detail::spdlog_seam {

struct logger_access : spdlog::logger {
    using spdlog::logger::err_handler_;
    using spdlog::logger::sink_it_;
};

// What logger.log() does with a record once it has passed the logger's level, without the
// backtrace ring. Virtual: an async_logger queues the record.
inline void sink_record(spdlog::logger &logger, const spdlog::details::log_msg &msg) {
    (logger.*&logger_access::sink_it_)(msg);
}

// The logger's error handler: the one set by set_error_handler, else spdlog's default.
inline void report_error(spdlog::logger &logger, const std::string &text) {
    (logger.*&logger_access::err_handler_)(text);
}

} // namespace seglog::detail::spdlog_seam
