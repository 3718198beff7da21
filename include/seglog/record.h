#pragma once
// The record bridge: how an event crosses spdlog. The SEGLOG_* macros serialise the event on
// the caller's thread and log it with source_loc::filename set to the address of a private
// tag. No text can forge a pointer, and spdlog::async_logger copies source_loc as it is, so
// the demux sink recognises event records whatever the payload says and wherever it runs.
// Event records are logged at level::off, which every logger and sink level lets through
// (tracking has its own switch) and which never triggers a logger's flush_on.
//
// A custom event sink (a spdlog sink given to demux_sink as an event sink) reads records with
// is_event_record() and event_json(); the macros' functions are below.

#include <seglog/event.h>
#include <seglog/export.h>

#include <spdlog/details/log_msg.h>
#include <spdlog/logger.h>

#include <cstddef>
#include <memory>
#include <string_view>

namespace seglog {

class redactor;

// Segment's limit on one event, in bytes of its JSON: the default of config::max_event_bytes.
inline constexpr std::size_t default_max_event_bytes = 32 * 1024;

// Internal: the record mark and the interfaces the library's sinks implement. Not part of the
// API; exported only because the inline code of this header and of the sinks refers to them.
namespace detail {
struct enrichment;

// The private tag whose address marks an event record.
SEGLOG_API extern const char event_record_tag[];

// An event sink that can take a record without a log_msg around it (segment_sink and
// file_event_sink can). When such a sink is a demux sink's only event sink (and events are
// not echoed), the macros hand each record of a plain spdlog::logger straight to it: the
// same record the sink's log() would get, without spdlog's record path
// (docs/performance.md has what that saves).
class SEGLOG_API record_target {
public:
    // Takes one serialised, redacted event record (the JSON only, valid during the call).
    virtual void take_record(std::string_view record) = 0;

protected:
    ~record_target() = default;
};

// What the macros need from the sink that routes a logger's events (demux_sink is one): the
// redaction rules and the size limit they apply, and the event sink they may hand records to
// directly. A logger whose sinks are not all routers gets its events refused as not_attached.
class SEGLOG_API event_router {
public:
    virtual ~event_router() = default;
    // The rules the macros apply to events logged through this router (nullptr: none). Held
    // by the sink, so it lives as long as the logger can log through it.
    const redactor *redaction() const noexcept { return redaction_.get(); }
    // The largest event, in bytes of its JSON, that the macros write for this router.
    std::size_t max_event_bytes() const noexcept { return max_event_bytes_; }
    // The sink that takes this router's events straight from the macros, or nullptr: set when
    // the only event sink is a record_target and nothing is echoed, so it is all routing does.
    record_target *direct_target() const noexcept { return direct_; }
    // The profile's context and integrations and the health-data rule (config::context,
    // integrations, phi_paths) the macros apply; nullptr: none. attach() sets it before the
    // router carries any event.
    const enrichment *profile_enrichment() const noexcept { return enrichment_.get(); }
    void set_profile_enrichment(std::shared_ptr<const enrichment> e) noexcept { enrichment_ = std::move(e); }

protected:
    std::shared_ptr<const redactor> redaction_;
    std::size_t max_event_bytes_ = default_max_event_bytes;
    record_target *direct_ = nullptr; // owned through the router's event sinks
    std::shared_ptr<const enrichment> enrichment_;
};

// The SEGLOG_* macros mark their call site (__FILE__, __LINE__) just before their log_* call,
// which takes it into the event record's source_loc: the console destination and
// echo_events_to_log show it as the readable line's location, under any pattern (%s:%#).
SEGLOG_API void mark_call_site(const char *file, int line) noexcept;
// The logger that stands in for a missing one: a null pointer given to a SEGLOG_LOGGER_*
// macro, or spdlog's default logger after spdlog::shutdown() or spdlog::drop_all(). It has no
// sinks, so an event logged through it is refused as not_attached instead of crashing.
SEGLOG_API spdlog::logger &missing_logger() noexcept;
// The logger argument of the SEGLOG_LOGGER_* macros, as a reference.
inline spdlog::logger &as_logger(spdlog::logger *l) noexcept { return l ? *l : missing_logger(); }
inline spdlog::logger &as_logger(spdlog::logger &l) noexcept { return l; }
template <typename L>
inline spdlog::logger &as_logger(const std::shared_ptr<L> &l) noexcept {
    return l ? *l : missing_logger();
}
} // namespace detail

// An event record's source_loc: filename is the tag's address; line and funcname are the
// macro's call site (its line, and its __FILE__), or 0 and nullptr for a log_* call made without
// a macro.
// True for a record written by seglog's event calls, false for every ordinary log line.
// Whatever the line's text says: the mark is an address no text can forge. Thread-safe.
inline bool is_event_record(const spdlog::details::log_msg &msg) noexcept {
    return msg.source.filename == detail::event_record_tag;
}
// The event's Segment Spec JSON, as it will be sent.
// One JSON object with "messageId" first, already redacted. Only for an event record
// (is_event_record(msg)); a view valid as long as `msg`.
inline std::string_view event_json(const spdlog::details::log_msg &msg) noexcept {
    return {msg.payload.data(), msg.payload.size()};
}

// The functions behind the macros: validate, serialise and log one event through `logger`.
// A rejected event is reported through seglog::set_error_handler and counted; nothing throws.
// The logger's sinks must be seglog demux sinks (see attach()); otherwise the event is reported
// as not_attached instead of being written to its log sinks.
//
// Each runs on the calling thread: the identity and required ids are checked, the event is
// serialised with the rules and the size limit of the logger's demux (redactor, max_event_bytes)
// and handed to the logger, whose sinks take it on this thread (or on spdlog's thread pool for
// an async_logger). Refusal reasons: missing_identity, missing_event, missing_group_id,
// missing_previous_id, not_an_object, non_finite_number, invalid_utf8, too_deep,
// too_many_keys, event_too_large, not_attached (also for detail::missing_logger(), which the
// macros pass when their logger is null or spdlog's default logger is gone), reentrant_call
// (called inside a seglog callback). The tracking switch is not checked here (the macros
// check it). Thread-safe as the logger is. The arguments are read during the call only.
// What an event sink then does with the record (queue_full of the segment client, io_error of
// a file) is reported by that sink.
SEGLOG_API void log_track(spdlog::logger &logger, const identity &who, std::string_view event,
                          const properties &props = {}, const call_options &opts = {});
SEGLOG_API void log_identify(spdlog::logger &logger, const identity &who, const properties &traits = {},
                             const call_options &opts = {});
SEGLOG_API void log_page(spdlog::logger &logger, const identity &who, std::string_view name,
                         const properties &props = {}, const call_options &opts = {});
SEGLOG_API void log_screen(spdlog::logger &logger, const identity &who, std::string_view name,
                           const properties &props = {}, const call_options &opts = {});
SEGLOG_API void log_group(spdlog::logger &logger, const identity &who, std::string_view group_id,
                          const properties &traits = {}, const call_options &opts = {});
SEGLOG_API void log_alias(spdlog::logger &logger, std::string_view previous_id, std::string_view user_id,
                          const call_options &opts = {});

} // namespace seglog
