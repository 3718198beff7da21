// The functions behind the SEGLOG_* macros: run on the caller's thread, so they serialise
// into a per-thread buffer (no allocation once it has grown) and hand spdlog a view of it.
#include <seglog/demux_sink.h>
#include <seglog/record.h>

#include "event/serialize.h"

#include <typeinfo>


namespace seglog {

namespace detail {

const char event_record_tag[] = "seglog-event-record";

namespace {

// Whether `logger`'s sinks are demux sinks. Logging an event to a logger without one, or with
// a plain sink beside it, would print its JSON among the log lines. Checked on every call, not
// cached: a cache keyed by the logger's address goes stale when a logger's sinks are replaced
// or when a new logger is built where a routed one used to be (same stack slot or reused heap
// block), and then the event leaks into the new logger's log sinks. The scan looks at every
// sink, and a logger set up by attach() has exactly one.
//
// The demux types are final, so comparing the dynamic type answers for them at the cost of a
// vtable load; dynamic_cast (hundreds of instructions on every call) is left for other sinks.
const event_router *as_router(const spdlog::sinks::sink *s) {
    if (!s) return nullptr;
    const std::type_info &t = typeid(*s);
    if (t == typeid(demux_sink_mt)) return static_cast<const demux_sink_mt *>(s);
    if (t == typeid(demux_sink_st)) return static_cast<const demux_sink_st *>(s);
    return dynamic_cast<const event_router *>(s);
}
// The logger's router, when every one of its sinks is a router. A sink beside the demux (added
// to logger.sinks() after attach(), say) would get the event's JSON as if it were a log line:
// then `beside` is set and no router is returned.
const event_router *find_router(spdlog::logger &logger, bool &beside) {
    const event_router *router = nullptr;
    bool others = false;
    for (const auto &s : logger.sinks()) {
        if (auto *r = as_router(s.get())) {
            if (!router) router = r;
        } else {
            others = true;
        }
    }
    beside = router && others;
    return others ? nullptr : router;
}

// Names spdlog::logger's protected sink_it_ and err_handler_ (the pointers to member are to the
// base's functions).
struct record_sink_access : spdlog::logger {
    using spdlog::logger::err_handler_;
    using spdlog::logger::sink_it_;
};

// Runs one sink's part of a record as spdlog::logger::sink_it_ does: an exception goes to the
// logger's error handler in spdlog's words (the record's source_loc is the event tag and, as
// its line, the event type).
template <typename Deliver>
void guarded(spdlog::logger &logger, int line, Deliver &&deliver) {
    try {
        deliver();
    } catch (const std::exception &ex) {
        (logger.*&record_sink_access::err_handler_)(fmt::format("{} [{}({})]", ex.what(), event_record_tag, line));
    } catch (...) {
        (logger.*&record_sink_access::err_handler_)("Rethrowing unknown exception in logger");
        throw;
    }
}

void emit(spdlog::logger &logger, event_fields f) {
    bool beside = false;
    const event_router *router = find_router(logger, beside);
    if (!router) {
        report_call_site_error(
            {reason::not_attached,
             std::string(to_string(f.type)) + " not logged: logger '" + logger.name() +
                 (beside ? "' has a sink beside its seglog demux sink, which would print the event as a log "
                           "line (add log sinks before seglog::attach, or give them to the demux_sink)"
                         : "' has no seglog demux sink (call seglog::attach)"),
             to_string(f.type), {}, {}, 0});
        return;
    }
    thread_local text_buffer buffer;
    // One clock read for the event's timestamp and the record's time.
    f.called_at = std::chrono::system_clock::now();
    // The logger's rules come with its router: no global to read, and two loggers attached with
    // different profiles keep their own. A null pointer is the plain, unchanged path.
    if (auto err = serialize_event(f, buffer, 32 * 1024, router->redaction())) {
        report_call_site_error(*err);
        return;
    }
    // Not through logger.log(): with enable_backtrace() on, log() also copies every record into
    // the backtrace ring, and dump_backtrace() would then route each event to the event sinks a
    // second time. (No level check is skipped: level::off passes every logger and sink level,
    // and never triggers flush_on.)
    const int line = static_cast<int>(f.type);
    const std::string_view record = buffer.view();
    auto as_msg = [&] {
        return spdlog::details::log_msg(f.called_at, spdlog::source_loc{event_record_tag, line, nullptr},
                                        logger.name(), spdlog::level::off,
                                        spdlog::string_view_t(record.data(), record.size()));
    };
    if (typeid(logger) != typeid(spdlog::logger)) { // an async_logger queues it; a derived one may do more
        (logger.*&record_sink_access::sink_it_)(as_msg());
        return;
    }
    // A plain logger's sink_it_, in line: each sink's log(), or for the usual set-up (one demux
    // whose only event sink takes records directly) the record handed straight to that sink.
    // Skipping spdlog's record path saves ~10-30 ns a call (docs/performance.md).
    if (record_target *direct = logger.sinks().size() == 1 ? router->direct_target() : nullptr) {
        guarded(logger, line, [&] { direct->take_record(record); });
        return;
    }
    const spdlog::details::log_msg msg = as_msg();
    for (const auto &s : logger.sinks()) guarded(logger, line, [&] { s->log(msg); });
}

} // namespace

} // namespace detail

using detail::emit;

// event_fields: type, who, name, group_id, previous_id, alias_user_id, props, opts
void log_track(spdlog::logger &logger, const identity &who, std::string_view event, const properties &props,
               const call_options &opts) {
    emit(logger, {event_type::track, &who, event, {}, {}, {}, &props, &opts});
}

void log_identify(spdlog::logger &logger, const identity &who, const properties &traits, const call_options &opts) {
    emit(logger, {event_type::identify, &who, {}, {}, {}, {}, &traits, &opts});
}

void log_page(spdlog::logger &logger, const identity &who, std::string_view name, const properties &props,
              const call_options &opts) {
    emit(logger, {event_type::page, &who, name, {}, {}, {}, &props, &opts});
}

void log_screen(spdlog::logger &logger, const identity &who, std::string_view name, const properties &props,
                const call_options &opts) {
    emit(logger, {event_type::screen, &who, name, {}, {}, {}, &props, &opts});
}

void log_group(spdlog::logger &logger, const identity &who, std::string_view group_id, const properties &traits,
               const call_options &opts) {
    emit(logger, {event_type::group, &who, {}, group_id, {}, {}, &traits, &opts});
}

void log_alias(spdlog::logger &logger, std::string_view previous_id, std::string_view user_id,
               const call_options &opts) {
    emit(logger, {event_type::alias, nullptr, {}, {}, previous_id, user_id, nullptr, &opts});
}

} // namespace seglog
