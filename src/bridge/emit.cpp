// The functions behind the SEGLOG_* macros: run on the caller's thread, so they serialise
// into a per-thread buffer (no allocation once it has grown) and hand spdlog a view of it.
#include <seglog/demux_sink.h>
#include <seglog/record.h>

#include "event/serialize.h"

#include <atomic>

namespace seglog {

namespace detail {

const char event_record_tag[] = "seglog-event-record";

namespace {

std::atomic<std::uint64_t> router_generation{1};

// Whether `logger` has a demux sink, cached per thread until a new demux is created.
// Logging an event to a logger without one would print its JSON among the log lines.
bool has_router(spdlog::logger &logger) {
    thread_local const spdlog::logger *cached_logger = nullptr;
    thread_local std::uint64_t cached_generation = 0;
    thread_local bool cached_result = false;
    const std::uint64_t gen = router_generation.load(std::memory_order_acquire);
    if (cached_logger == &logger && cached_generation == gen) return cached_result;
    bool found = false;
    for (const auto &s : logger.sinks())
        if (dynamic_cast<const event_router *>(s.get())) found = true;
    cached_logger = &logger;
    cached_generation = gen;
    cached_result = found;
    return found;
}

void emit(spdlog::logger &logger, const event_fields &f) {
    if (!has_router(logger)) {
        report_call_site_error({reason::not_attached,
                                std::string(to_string(f.type)) + " not logged: logger '" + logger.name() +
                                    "' has no seglog demux sink (call seglog::attach)",
                                to_string(f.type), {}, {}, 0});
        return;
    }
    thread_local std::string buffer;
    if (auto err = serialize_event(f, buffer)) {
        report_call_site_error(std::move(*err));
        return;
    }
    logger.log(spdlog::source_loc{event_record_tag, static_cast<int>(f.type), nullptr}, spdlog::level::off,
               spdlog::string_view_t(buffer.data(), buffer.size()));
}

} // namespace

void note_router_created() noexcept { router_generation.fetch_add(1, std::memory_order_acq_rel); }

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
