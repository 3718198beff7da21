// The functions behind the SEGLOG_* macros: run on the caller's thread, so they serialise
// into a per-thread buffer (no allocation once it has grown) and hand spdlog a view of it.
#include <seglog/record.h>

#include "bridge/routers.h"
#include "bridge/spdlog_seam.h"
#include "common/errors.h"
#include "event/enrichment.h"
#include "event/serialize.h"

#include <atomic>
#include <mutex>
#include <new>
#include <typeinfo>

namespace seglog {

namespace detail {

const char event_record_tag[] = "seglog-event-record";

namespace {

// The registered router types (routers.h), published by the count: an entry is written
// before the count that makes it visible.
struct router_type {
    const std::type_info *type;
    router_cast cast;
};
constexpr std::size_t max_router_types = 8;
router_type router_types[max_router_types];
std::atomic<std::size_t> router_type_count{0};
std::mutex router_types_mutex;

// Whether `logger`'s sinks are demux sinks. Logging an event to a logger without one, or with
// a plain sink beside it, would print its JSON among the log lines. Checked on every call, not
// cached: a cache keyed by the logger's address goes stale when a logger's sinks are replaced
// or when a new logger is built where a routed one used to be (same stack slot or reused heap
// block), and then the event leaks into the new logger's log sinks. The scan looks at every
// sink, and a logger set up by attach() has exactly one.
const event_router *as_router(const spdlog::sinks::sink *s) {
    if (!s) return nullptr;
    const std::type_info &t = typeid(*s);
    const std::size_t n = router_type_count.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < n; ++i)
        if (*router_types[i].type == t) return router_types[i].cast(*s);
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

// The sink a plain spdlog::logger's event goes to directly, or nullptr. Only a logger of exactly
// spdlog::logger's type: an async_logger queues the record for its thread, and a class derived
// from spdlog::logger may do more in sink_it_.
record_target *direct_target(const spdlog::logger &logger, const event_router &router) {
    if (logger.sinks().size() != 1 || typeid(logger) != typeid(spdlog::logger)) return nullptr;
    return router.direct_target();
}

// Hands the record to the direct target, a failure reported as spdlog's sink_it_ reports one
// (the record's source_loc is the event tag and, as its line, the macro's call site).
void hand_over(spdlog::logger &logger, record_target &target, std::string_view record, int line) {
    try {
        target.take_record(record);
    } catch (const std::exception &ex) {
        spdlog_seam::report_error(logger, fmt::format("{} [{}({})]", ex.what(), event_record_tag, line));
    } catch (...) {
        spdlog_seam::report_error(logger, "Rethrowing unknown exception in logger");
        throw;
    }
}

// Why `logger` cannot carry an event: the text after "<type> not logged: ".
std::string why_not_attached(const spdlog::logger &logger, bool beside) {
    if (&logger == &missing_logger())
        return "no logger (a null logger was given, or spdlog's default logger is gone after spdlog::shutdown() "
               "or spdlog::drop_all(): set one with spdlog::set_default_logger)";
    return "logger '" + logger.name() +
           (beside ? "' has a sink beside its seglog demux sink, which would print the event as a log "
                     "line (add log sinks before seglog::attach, or give them to the demux_sink)"
                   : "' has no seglog demux sink (call seglog::attach)");
}

// The call site the macro marked for this thread's next event (mark_call_site).
struct call_site {
    const char *file = nullptr;
    int line = 0;
};
thread_local call_site marked_site;

call_site take_call_site() noexcept {
    const call_site site = marked_site;
    marked_site = {};
    return site;
}

void emit(spdlog::logger &logger, event_fields f) {
    const call_site site = take_call_site();
    if (in_callback()) return report_reentrant_call(reentrant_call_error(to_string(f.type)));
    bool beside = false;
    const event_router *router = find_router(logger, beside);
    if (!router) {
        report_call_site_error({reason::not_attached,
                                std::string(to_string(f.type)) + " not logged: " + why_not_attached(logger, beside),
                                to_string(f.type),
                                {},
                                {},
                                0});
        return;
    }
    thread_local text_buffer buffer;
    // One clock read for the event's timestamp and the record's time.
    f.called_at = std::chrono::system_clock::now();
    // The logger's rules, limit and profile enrichment come with its router: no global to read,
    // and two loggers attached with different profiles keep their own. A null redactor (and
    // enrichment) is the plain path.
    const enrichment *profile = router->profile_enrichment();
    if (auto err = serialize_event(f, buffer, router->max_event_bytes(), router->redaction(), profile)) {
        report_call_site_error(*err);
        return;
    }
    std::string_view record = buffer.view();
    // The plugins run here, before the demux hands the record to any event sink, so every
    // destination (segment, file, console) gets the same event.
    if (profile && profile->plugins && profile->plugins->at_call()) {
        thread_local std::string changed;
        if (auto err = profile->plugins->run_at_call(record, changed, router->max_event_bytes(),
                                                     [](const error &notice) { report_call_site_error(notice); })) {
            report_call_site_error(*err);
            return;
        }
        record = changed;
    }
    // The usual set-up (one demux whose only event sink takes records) skips spdlog's record
    // path: docs/performance.md has what that saves.
    if (record_target *direct = direct_target(logger, *router)) return hand_over(logger, *direct, record, site.line);
    // Not through logger.log(): with enable_backtrace() on, log() also copies every record into
    // the backtrace ring, and dump_backtrace() would then route each event to the event sinks a
    // second time. (No level check is skipped: level::off passes every logger and sink level,
    // and never triggers flush_on.)
    const spdlog::details::log_msg msg(f.called_at, spdlog::source_loc{event_record_tag, site.line, site.file},
                                       logger.name(), spdlog::level::off,
                                       spdlog::string_view_t(record.data(), record.size()));
    spdlog_seam::sink_record(logger, msg);
}

} // namespace

void mark_call_site(const char *file, int line) noexcept { marked_site = {file, line}; }

spdlog::logger &missing_logger() noexcept {
    // Never destroyed (built in static storage, no destructor runs): a macro may run during
    // static destruction, after a local static object is gone. Building it allocates only the
    // name, once; failing that ends the process, as any allocation failure in a noexcept path.
    alignas(spdlog::logger) static unsigned char storage[sizeof(spdlog::logger)];
    static spdlog::logger *const none = ::new (static_cast<void *>(storage)) spdlog::logger("(no logger)");
    return *none;
}

void register_router_type(const std::type_info &type, router_cast cast) noexcept {
    std::lock_guard<std::mutex> lock(router_types_mutex);
    const std::size_t n = router_type_count.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < n; ++i)
        if (*router_types[i].type == type) return;
    if (n == max_router_types) return;
    router_types[n] = {&type, cast};
    router_type_count.store(n + 1, std::memory_order_release);
}

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
