// Error reporting every stage shares: the names of reasons, the process-wide error handler and
// its once-a-second limit per reason, and the call-site counters.
#include "common/errors.h"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>

namespace seglog {

namespace {

std::atomic<std::uint64_t> rejected_total{0};
std::atomic<std::uint64_t> rejected_by_reason[reason_count];

std::mutex handler_mutex;
std::shared_ptr<const error_handler> user_handler; // null: default handler

// The default handler's once-a-second limit, one per reason: a flood of one kind (a
// deliberate missing_event, a full queue) must not hide the first error of another (the 401
// that follows it).
std::atomic<std::int64_t> next_print[reason_count] = {}; // CLOCK_MONOTONIC_COARSE, ns
std::atomic<std::uint64_t> suppressed[reason_count] = {};

} // namespace

namespace detail {

void default_error_handler(const error &e) {
    // Lock-free: during a flood of refusals (queue full, collector down) every caller passes
    // here, and all but one a second of each reason only count. The coarse clock is a memory
    // read, its few milliseconds of resolution are plenty for a once-a-second limit.
    const int k = static_cast<int>(e.code);
    if (k < 0 || k >= reason_count) return;
    // A plugin's drop is the service's own decision (sampling drops most events on purpose):
    // counted and given to a handler that is set, never printed.
    if (e.code == reason::plugin_dropped) return;
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    const std::int64_t now = std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
    std::int64_t due = next_print[k].load(std::memory_order_relaxed);
    if (now < due || !next_print[k].compare_exchange_strong(due, now + 1000000000, std::memory_order_relaxed)) {
        suppressed[k].fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (const auto n = suppressed[k].exchange(0, std::memory_order_relaxed)) {
        std::fprintf(stderr, "[seglog] error (%s): %s (%llu more %s errors in the last second)\n", to_string(e.code),
                     e.message.c_str(), static_cast<unsigned long long>(n), to_string(e.code));
    } else {
        std::fprintf(stderr, "[seglog] error (%s): %s\n", to_string(e.code), e.message.c_str());
    }
}

const char *describe(network_cause c) noexcept {
    switch (c) {
    case network_cause::none: return "an HTTP answer";
    case network_cause::refused: return "connection refused";
    case network_cause::name_resolution: return "name resolution failed";
    case network_cause::tls_certificate: return "the collector's TLS certificate is not trusted";
    case network_cause::tls: return "TLS handshake failed";
    case network_cause::timeout: return "timed out";
    case network_cause::other: return "network error";
    case network_cause::destination: return "the destination asked for a retry";
    }
    return "network error";
}

void reset_default_error_handler() noexcept {
    for (int k = 0; k < reason_count; ++k) {
        next_print[k].store(0, std::memory_order_relaxed);
        suppressed[k].store(0, std::memory_order_relaxed);
    }
}

namespace {
thread_local bool running_callback = false;
} // namespace

bool in_callback() noexcept { return running_callback; }

callback_scope::callback_scope() noexcept : outer_(running_callback) { running_callback = true; }
callback_scope::~callback_scope() { running_callback = outer_; }

error reentrant_call_error(std::string_view event_type) {
    return {reason::reentrant_call,
            std::string(event_type.empty() ? "event" : event_type) +
                " not accepted: tracked from inside a seglog callback (on_error, on_delivered, on_attempt or the "
                "handler of set_error_handler), where tracking could call the callback again without end",
            std::string(event_type),
            {},
            {},
            0};
}

void report_reentrant_call(const error &e) noexcept {
    rejected_total.fetch_add(1, std::memory_order_relaxed);
    rejected_by_reason[static_cast<int>(e.code)].fetch_add(1, std::memory_order_relaxed);
    try {
        default_error_handler(e);
    } catch (...) {}
}

void report_call_site_error(const error &e) noexcept {
    rejected_total.fetch_add(1, std::memory_order_relaxed);
    rejected_by_reason[static_cast<int>(e.code)].fetch_add(1, std::memory_order_relaxed);
    std::shared_ptr<const error_handler> h;
    {
        std::lock_guard<std::mutex> lock(handler_mutex);
        h = user_handler;
    }
    try {
        const callback_scope marked;
        if (h) (*h)(e);
        else default_error_handler(e);
    } catch (...) {
        // A throwing handler must not turn a rejected event into a crash at the call site.
    }
}

} // namespace detail

// Stable snake_case names, as they appear in stats() and in messages.
const char *to_string(reason r) noexcept {
    switch (r) {
    case reason::missing_identity: return "missing_identity";
    case reason::missing_event: return "missing_event";
    case reason::missing_group_id: return "missing_group_id";
    case reason::missing_previous_id: return "missing_previous_id";
    case reason::not_an_object: return "not_an_object";
    case reason::non_finite_number: return "non_finite_number";
    case reason::invalid_utf8: return "invalid_utf8";
    case reason::too_deep: return "too_deep";
    case reason::too_many_keys: return "too_many_keys";
    case reason::event_too_large: return "event_too_large";
    case reason::not_attached: return "not_attached";
    case reason::queue_full: return "queue_full";
    case reason::closed: return "closed";
    case reason::rejected: return "rejected";
    case reason::unauthorized: return "unauthorized";
    case reason::retries_exhausted: return "retries_exhausted";
    case reason::undelivered_at_close: return "undelivered_at_close";
    case reason::io_error: return "io_error";
    case reason::config_error: return "config_error";
    case reason::invalid_record: return "invalid_record";
    case reason::delivery_delayed: return "delivery_delayed";
    case reason::reentrant_call: return "reentrant_call";
    case reason::spool_error: return "spool_error";
    case reason::plugin_dropped: return "plugin_dropped";
    case reason::plugin_error: return "plugin_error";
    case reason::plan_violation: return "plan_violation";
    case reason::unplanned_event: return "unplanned_event";
    }
    return "unknown";
}

void set_error_handler(error_handler handler) {
    std::lock_guard<std::mutex> lock(handler_mutex);
    user_handler = handler ? std::make_shared<const error_handler>(std::move(handler)) : nullptr;
}

call_site_counters call_site_stats() noexcept {
    call_site_counters c;
    c.rejected_total = rejected_total.load(std::memory_order_relaxed);
    for (int i = 0; i < reason_count; ++i) c.by_reason[i] = rejected_by_reason[i].load(std::memory_order_relaxed);
    return c;
}

} // namespace seglog
