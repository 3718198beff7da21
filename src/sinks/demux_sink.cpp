// demux_sink's routing, compiled once for demux_sink_mt and demux_sink_st.
// spdlog's null_mutex carries no visibility of its own: declared under the library's hidden
// default, it would make the _st instantiations below hidden too, and unusable by users.
#pragma GCC visibility push(default)
#include <spdlog/details/null_mutex.h>
#pragma GCC visibility pop

#include <seglog/sinks/demux_sink.h>

#include "bridge/routers.h"
#include "sinks/render.h"

#include <typeinfo>

namespace seglog {

template <typename Mutex>
demux_sink<Mutex>::demux_sink(std::vector<spdlog::sink_ptr> log_sinks, std::vector<spdlog::sink_ptr> event_sinks,
                              bool echo_events, std::shared_ptr<const redactor> redaction, std::size_t max_event_bytes)
    : log_sinks_(std::move(log_sinks)), event_sinks_(std::move(event_sinks)), echo_(echo_events),
      only_log_sink_(log_sinks_.size() == 1 ? log_sinks_.front().get() : nullptr) {
    redaction_ = std::move(redaction);
    max_event_bytes_ = max_event_bytes;
    if (event_sinks_.size() == 1 && !echo_) direct_ = dynamic_cast<detail::record_target *>(event_sinks_[0].get());
    // Once per type: the macros then know a demux by its type, without a dynamic_cast.
    static const bool registered = [] {
        detail::register_router_type(typeid(demux_sink), [](const spdlog::sinks::sink &s) noexcept {
            return static_cast<const detail::event_router *>(&static_cast<const demux_sink &>(s));
        });
        return true;
    }();
    (void)registered;
}

// Every ordinary line passes here, so this part stays small: events and echo go out of line.
template <typename Mutex>
void demux_sink<Mutex>::log(const spdlog::details::log_msg &msg) {
    if (is_event_record(msg)) return route_event(msg);
    if (only_log_sink_) { // the usual set-up: one log sink, reached by a tail call
        if (only_log_sink_->should_log(msg.level)) only_log_sink_->log(msg);
        return;
    }
    route_lines(msg);
}

template <typename Mutex>
void demux_sink<Mutex>::flush() {
    for (auto &s : log_sinks_) s->flush();
    for (auto &s : event_sinks_) s->flush();
}

template <typename Mutex>
void demux_sink<Mutex>::set_pattern(const std::string &pattern) {
    std::lock_guard<Mutex> lock(mutex_);
    for (auto &s : log_sinks_) s->set_pattern(pattern);
}

template <typename Mutex>
void demux_sink<Mutex>::set_formatter(std::unique_ptr<spdlog::formatter> formatter) {
    std::lock_guard<Mutex> lock(mutex_);
    for (auto &s : log_sinks_) s->set_formatter(formatter->clone());
}

template <typename Mutex>
#if defined(__GNUC__)
__attribute__((noinline))
#endif
void demux_sink<Mutex>::route_lines(const spdlog::details::log_msg &msg) {
    for (auto &s : log_sinks_)
        if (s->should_log(msg.level)) s->log(msg);
}

template <typename Mutex>
#if defined(__GNUC__)
__attribute__((noinline))
#endif
void demux_sink<Mutex>::route_event(const spdlog::details::log_msg &msg) {
    for (auto &s : event_sinks_) s->log(msg);
    if (echo_) echo(msg);
}

template <typename Mutex>
void demux_sink<Mutex>::echo(const spdlog::details::log_msg &msg) {
    const std::string line = detail::render_event_line(event_json(msg));
    spdlog::details::log_msg copy(msg.time, detail::event_line_source(msg), msg.logger_name, spdlog::level::info, line);
    copy.thread_id = msg.thread_id;
    route_lines(copy);
}

template class demux_sink<std::mutex>;
template class demux_sink<spdlog::details::null_mutex>;

} // namespace seglog
