// The caller-facing side of the client: validate, serialise, enqueue, and the waits of
// flush() and close(). Nothing here touches the network.
#include "client/client_impl.h"

#include "common/errors.h"

#include <seglog/version.h>

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace seglog {

namespace {

detail::transport_options transport_options_from(const seglog::config &c) {
    detail::transport_options t;
    t.url = c.host + c.path;
    t.write_key = c.write_key;
    t.user_agent = std::string("seglog/") + SEGLOG_VERSION_STRING;
    t.connect_timeout = c.connect_timeout;
    t.request_timeout = c.request_timeout;
    t.max_in_flight = c.max_in_flight;
    t.gzip = c.gzip;
    t.proxy = c.proxy;
    t.ca_bundle = c.ca_bundle;
    t.insecure_skip_verify = c.insecure_skip_verify;
    return t;
}

seglog::config checked(seglog::config c) {
    c.validate();
    if (c.write_key.empty()) throw config_error("seglog: the segment client needs a write key (SEGMENT_WRITE_KEY)");
    return c;
}

// Runs `fn` with this thread's scratch error, whose strings keep their capacity: while the
// queue is full (collector down) every refused call reaches the handler without allocating.
// A handler that causes another refusal on this thread gets a fresh error for that one.
template <typename Fn>
void with_scratch_error(Fn &&fn) {
    thread_local error scratch{reason::queue_full, {}, {}, {}, {}, 0};
    thread_local bool busy = false;
    if (busy) {
        error fresh{reason::queue_full, {}, {}, {}, {}, 0};
        fn(fresh);
        return;
    }
    busy = true;
    struct release {
        ~release() { busy = false; }
    } guard;
    fn(scratch);
}

} // namespace

client::impl::impl(seglog::config c)
    : cfg(checked(std::move(c))),
      redaction(redactor::from_config(cfg)),
      transport_opts(transport_options_from(cfg)),
      queue({cfg.max_queue_events, cfg.max_queue_bytes, cfg.overflow, cfg.block_timeout}),
      queue_full_message("event not accepted: the queue is full (" + std::to_string(cfg.max_queue_events) +
                         " events / " + std::to_string(cfg.max_queue_bytes) + " bytes)") {
    detail::register_client(this);
    start_worker();
}

client::impl::~impl() { detail::unregister_client(this); }

void client::impl::start_worker() {
    state = std::make_unique<worker_state>();
    state->transport = std::make_unique<detail::http_transport>(transport_opts);
    worker = std::thread([this] {
        ::pthread_setname_np(::pthread_self(), "seglog-worker"); // as `top -H` and gdb show it
        lower_priority();
        run();
    });
}

void client::impl::lower_priority() const {
    // nice is per thread on Linux. Raising it needs no privilege; if a sandbox refuses, the
    // worker runs at the caller's priority, which costs only the callers' tail latency.
    if (cfg.worker_nice <= 0) return;
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    errno = 0;
    const int now = ::getpriority(PRIO_PROCESS, tid);
    if (errno != 0) return;
    (void)::setpriority(PRIO_PROCESS, tid, std::min(19, now + cfg.worker_nice));
}

void client::impl::report(const error &e) {
    std::shared_ptr<const error_handler> h;
    {
        std::lock_guard<std::mutex> lock(callback_mutex);
        h = on_error;
    }
    try {
        if (h) (*h)(e);
        else detail::default_error_handler(e);
    } catch (...) {
        // A throwing callback must not take the worker (or the caller) down.
    }
}

void client::impl::reject(const error &e, bool accepted_before) {
    const auto n = std::max<std::size_t>(1, e.message_ids.size());
    (accepted_before ? evicted : dropped).fetch_add(n, std::memory_order_relaxed);
    by_reason[static_cast<int>(e.code)].fetch_add(n, std::memory_order_relaxed);
    report(e);
}

bool client::impl::submit(const detail::event_fields &f) {
    thread_local detail::text_buffer buffer;
    if (auto e = detail::serialize_event(f, buffer, cfg.max_event_bytes, redaction.get())) {
        reject(*e, false);
        return false;
    }
    return enqueue(buffer.view());
}

bool client::impl::enqueue(std::string_view record) {
    if (needs_restart.load(std::memory_order_relaxed)) restart_if_forked();
    const std::string_view id = detail::record_message_id(record);
    auto refuse = [&](reason why, std::string_view message) {
        with_scratch_error([&](error &e) {
            e.code = why;
            e.message.assign(message.data(), message.size());
            e.event_type.clear();
            e.event_name.clear();
            e.message_ids.resize(1);
            e.message_ids[0].assign(id.data(), id.size());
            e.http_status = 0;
            reject(e, false);
        });
        return false;
    };
    if (closed.load(std::memory_order_acquire)) return refuse(reason::closed, "event not accepted: the client is closed");
    if (record.size() > cfg.max_event_bytes) {
        return refuse(reason::event_too_large, "event not accepted: " + std::to_string(record.size()) +
                                                   " bytes, over the " + std::to_string(cfg.max_event_bytes) +
                                                   "-byte limit per event");
    }
    // A batch of one must still fit max_batch_bytes with its envelope (the two limits may be
    // configured equal): such an event could never be sent within the limit.
    if (record.size() + detail::batch_envelope_bytes > cfg.max_batch_bytes) {
        return refuse(reason::event_too_large,
                      "event not accepted: " + std::to_string(record.size()) + " bytes, too large for a " +
                          std::to_string(cfg.max_batch_bytes) + "-byte batch (max_batch_bytes) with its " +
                          std::to_string(detail::batch_envelope_bytes) + "-byte envelope");
    }
    auto r = queue.push(record);
    if (!r.evicted.empty()) {
        error e{reason::queue_full, "queue full (drop_oldest): " + std::to_string(r.evicted.size()) +
                                        " oldest queued events dropped", {}, {}, {}, 0};
        for (const auto &q : r.evicted) e.message_ids.emplace_back(detail::record_message_id(q.json.view()));
        reject(e, true);
    }
    if (r.result == detail::record_queue::outcome::closed)
        return refuse(reason::closed, "event not accepted: the client is closed");
    if (r.result == detail::record_queue::outcome::full) {
        return refuse(reason::queue_full, queue_full_message);
    }
    // The first record after a drain only notes the time: the worker, which never sleeps longer
    // than flush_interval, dates the batch from it and still sends it flush_interval after this
    // event. Waking the worker here cost the caller a syscall and contention at the start of
    // every burst (p99 ~18 us -> see docs/performance.md). A full batch does wake a sleeping
    // worker: it would otherwise wait for flush_interval while a batch could go. seq_cst pairs
    // with the worker's sleeping store and re-check.
    if (r.first_after_drain)
        first_arrival.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    const bool batch_full = r.queued_events == cfg.flush_at ||
                            (r.queued_bytes_before < cfg.max_batch_bytes && r.queued_bytes >= cfg.max_batch_bytes);
    if (batch_full && sleeping.load(std::memory_order_seq_cst)) state->transport->wakeup();
    return true;
}

flush_result client::impl::flush(std::chrono::milliseconds timeout) {
    if (needs_restart.load(std::memory_order_relaxed)) restart_if_forked();
    const std::uint64_t target = queue.last_seq();
    if (!closed.load() && worker.joinable()) {
        flush_requested.store(true, std::memory_order_seq_cst);
        state->transport->wakeup();
    }
    std::unique_lock<std::mutex> lock(progress_mutex);
    const bool done = progress_cv.wait_for(lock, timeout, [&] { return low_water.load() > target; });
    return {done, queue.pending_events()};
}

std::vector<std::string> client::impl::close(std::chrono::milliseconds timeout) {
    if (closed.exchange(true)) return {};
    close_deadline = std::chrono::steady_clock::now() + timeout;
    stop_requested.store(true, std::memory_order_seq_cst);
    if (worker.joinable()) {
        state->transport->wakeup();
        worker.join();
    }
    std::vector<std::string> out = std::move(returned_at_close);
    // Events accepted while the worker was finishing (a producer past the closed check when
    // close() began) are handed back too; from here on the queue refuses everything.
    for (auto &r : queue.close()) out.push_back(std::string(r.json.view()));
    if (!out.empty()) {
        returned.fetch_add(out.size());
        by_reason[static_cast<int>(reason::undelivered_at_close)].fetch_add(out.size());
        error e{reason::undelivered_at_close,
                std::to_string(out.size()) + " events not delivered before close() timed out; returned to the caller",
                {}, {}, {}, 0};
        for (const auto &r : out) e.message_ids.emplace_back(detail::record_message_id(r));
        report(e);
    }
    std::lock_guard<std::mutex> lock(progress_mutex);
    low_water.store(UINT64_MAX);
    progress_cv.notify_all();
    return out;
}

seglog::stats client::impl::snapshot() const {
    seglog::stats s;
    s.accepted = queue.last_seq() - accepted_base;
    s.delivered = delivered.load();
    s.failed = failed.load();
    s.dropped = dropped.load();
    s.evicted = evicted.load();
    s.returned = returned.load();
    for (int i = 0; i < reason_count; ++i) s.by_reason[i] = by_reason[i].load();
    s.retried = retried.load();
    s.batches_sent = batches_sent.load();
    s.batches_delivered = batches_delivered.load();
    s.queued_events = queue.queued_events();
    s.queued_bytes = queue.queued_bytes();
    s.pending_bytes = queue.pending_bytes();
    s.in_flight = in_batches_events.load();
    s.bytes_sent = bytes_sent.load();
    return s;
}

// --- public API

client::client(seglog::config cfg) : impl_(std::make_shared<impl>(std::move(cfg))) {}

client::~client() {
    if (impl_ && !impl_->closed.load()) impl_->close(impl_->cfg.close_timeout);
}

// event_fields: type, who, name, group_id, previous_id, alias_user_id, props, opts
bool client::track(const identity &who, std::string_view event, const properties &props, const call_options &opts) {
    return impl_->submit({event_type::track, &who, event, {}, {}, {}, &props, &opts});
}
bool client::identify(const identity &who, const properties &traits, const call_options &opts) {
    return impl_->submit({event_type::identify, &who, {}, {}, {}, {}, &traits, &opts});
}
bool client::page(const identity &who, std::string_view name, const properties &props, const call_options &opts) {
    return impl_->submit({event_type::page, &who, name, {}, {}, {}, &props, &opts});
}
bool client::screen(const identity &who, std::string_view name, const properties &props, const call_options &opts) {
    return impl_->submit({event_type::screen, &who, name, {}, {}, {}, &props, &opts});
}
bool client::group(const identity &who, std::string_view group_id, const properties &traits,
                   const call_options &opts) {
    return impl_->submit({event_type::group, &who, {}, group_id, {}, {}, &traits, &opts});
}
bool client::alias(std::string_view previous_id, std::string_view user_id, const call_options &opts) {
    return impl_->submit({event_type::alias, nullptr, {}, {}, previous_id, user_id, nullptr, &opts});
}

bool client::enqueue(std::string_view record) { return impl_->enqueue(record); }
flush_result client::flush(std::chrono::milliseconds timeout) { return impl_->flush(timeout); }
void client::flush_async() noexcept {
    impl_->flush_requested.store(true, std::memory_order_seq_cst);
    if (!impl_->closed.load() && impl_->state) impl_->state->transport->wakeup();
}
std::vector<std::string> client::close(std::chrono::milliseconds timeout) { return impl_->close(timeout); }
bool client::closed() const noexcept { return impl_->closed.load(); }
seglog::stats client::stats() const { return impl_->snapshot(); }
const seglog::config &client::config() const noexcept { return impl_->cfg; }
const seglog::redactor *client::redaction() const noexcept { return impl_->redaction.get(); }

void client::on_delivered(std::function<void(const delivery_info &)> fn) {
    std::lock_guard<std::mutex> lock(impl_->callback_mutex);
    impl_->on_delivered = fn ? std::make_shared<const std::function<void(const delivery_info &)>>(std::move(fn)) : nullptr;
}
void client::on_error(error_handler fn) {
    std::lock_guard<std::mutex> lock(impl_->callback_mutex);
    impl_->on_error = fn ? std::make_shared<const error_handler>(std::move(fn)) : nullptr;
}
void client::on_attempt(std::function<void(const attempt_info &)> fn) {
    std::lock_guard<std::mutex> lock(impl_->callback_mutex);
    impl_->on_attempt = fn ? std::make_shared<const std::function<void(const attempt_info &)>>(std::move(fn)) : nullptr;
}

} // namespace seglog
