#include "accounting/accounting.h"

#include "common/errors.h"

#include <algorithm>
#include <new>

namespace seglog::detail {

void accounting::report(const error &e) {
    const auto h = callback(on_error_);
    try {
        const callback_scope marked;
        if (h) (*h)(e);
        else default_error_handler(e);
    } catch (...) {
        // A throwing callback must not take the worker (or the caller) down.
    }
}

void accounting::after_plugins(const error &e) {
    if (!after_ || e.message_ids.empty()) return;
    delivery_result r;
    r.delivered = false;
    r.code = e.code;
    r.http_status = e.http_status;
    r.message = e.message;
    r.event_type = e.event_type;
    r.event_name = e.event_name;
    after_->run_after(e.message_ids, r, [this](const error &n) { report(n); });
}

void accounting::reject(const error &e, bool accepted_before) {
    const auto n = std::max<std::size_t>(1, e.message_ids.size());
    (accepted_before ? evicted_ : dropped_).fetch_add(n, std::memory_order_relaxed);
    by_reason_[static_cast<int>(e.code)].fetch_add(n, std::memory_order_relaxed);
    report(e);
}

void accounting::refuse_reentrant(std::string_view event_type) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    by_reason_[static_cast<int>(reason::reentrant_call)].fetch_add(1, std::memory_order_relaxed);
    try {
        default_error_handler(reentrant_call_error(event_type));
    } catch (...) {}
}

void accounting::notify_attempt(const attempt_info &a) {
    const auto cb = callback(on_attempt_);
    if (!cb) return;
    try {
        const callback_scope marked;
        (*cb)(a);
    } catch (...) {}
}

void accounting::count_returned(std::size_t n) noexcept {
    returned_.fetch_add(n);
    by_reason_[static_cast<int>(reason::undelivered_at_close)].fetch_add(n);
}

void accounting::fill(seglog::stats &s) const {
    s.delivered = delivered_.load();
    s.failed = failed_.load();
    s.dropped = dropped_.load();
    s.evicted = evicted_.load();
    s.returned = returned_.load();
    for (int i = 0; i < reason_count; ++i) s.by_reason[i] = by_reason_[i].load();
    s.retried = retried_.load();
    s.batches_sent = batches_sent_.load();
    s.batches_delivered = batches_delivered_.load();
    s.in_flight = in_batches_.load();
    s.bytes_sent = bytes_sent_.load();
    s.plan_violations = plan_violations_.load();
    s.unplanned_events = unplanned_.load();
}

void accounting::on_delivered(delivered_callback fn) {
    std::lock_guard<std::mutex> lock(callback_mutex_);
    on_delivered_ = fn ? std::make_shared<const delivered_callback>(std::move(fn)) : nullptr;
}
void accounting::on_error(error_handler fn) {
    std::lock_guard<std::mutex> lock(callback_mutex_);
    on_error_ = fn ? std::make_shared<const error_handler>(std::move(fn)) : nullptr;
}
void accounting::on_attempt(attempt_callback fn) {
    std::lock_guard<std::mutex> lock(callback_mutex_);
    on_attempt_ = fn ? std::make_shared<const attempt_callback>(std::move(fn)) : nullptr;
}

void accounting::reset_after_fork() {
    new (&callback_mutex_) std::mutex();
    in_batches_.store(0);
    delivered_ = failed_ = dropped_ = returned_ = evicted_ = 0;
    retried_ = batches_sent_ = batches_delivered_ = bytes_sent_ = 0;
    plan_violations_ = unplanned_ = 0;
    for (auto &r : by_reason_) r.store(0);
}

} // namespace seglog::detail
