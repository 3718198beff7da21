// The caller-facing side of the client: validate, serialise, enqueue, and the waits of
// flush() and close(). Nothing here touches the network.
#include "client/client_impl.h"

#include "event/foreign_record.h"

#include <algorithm>
#include <initializer_list>

namespace seglog {

namespace {

seglog::config checked(seglog::config c) {
    c.validate();
    if (c.write_key.empty() && !c.custom_destination)
        throw config_error("seglog: the segment client needs a write key (SEGMENT_WRITE_KEY)");
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

// Most events that arrive after close() were waiting in an spdlog::async_logger's queue when
// the client closed: the message names the call that shuts down in the right order.
constexpr std::string_view closed_message =
    "event not accepted: the client is closed. An event logged before close() but still in an "
    "spdlog::async_logger's queue is lost this way: call seglog::shutdown() (or spdlog::shutdown() "
    "before close())";

} // namespace

client::impl::impl(seglog::config c)
    : cfg(checked(std::move(c))), redaction(redactor::from_config(cfg)),
      enrichment(detail::enrichment::from_config(cfg)),
      queue({cfg.max_queue_events, cfg.max_queue_bytes, cfg.overflow, cfg.block_timeout}),
      batcher(cfg, queue, accounting),
      queue_full_message("event not accepted: the queue is full (" + std::to_string(cfg.max_queue_events) +
                         " events / " + std::to_string(cfg.max_queue_bytes) + " bytes)") {
    if (enrichment && enrichment->plugins) {
        if (enrichment->plugins->at_call()) call_plugins = enrichment->plugins.get();
        if (!enrichment->plugins->after.empty()) accounting.set_after_plugins(enrichment->plugins);
    }
    if (!cfg.spool_dir.empty()) open_spool();
    detail::register_client(this);
    batcher.start();
}

// Takes the spool and queues what it holds unsettled, oldest first, before any new event.
void client::impl::open_spool() {
    detail::spool_recovery_report found;
    spool = std::make_unique<detail::spool>(detail::spool::options{cfg.spool_dir, cfg.spool_max_bytes,
                                                                   detail::record_queue::shard_count},
                                            found);
    queue.attach_spool(spool.get());
    for (auto &r : found.records) batcher.on_accepted(queue.push_recovered(r.json, std::move(r.ref)));
    spool_recovered = found.records.size();
    spool_corrupt = found.corrupt;
    // To the process-wide handler: on_error cannot be set before the constructor returns.
    if (found.corrupt) {
        detail::report_call_site_error({reason::spool_error,
                                        "spool " + cfg.spool_dir + ": " + std::to_string(found.corrupt) +
                                            " corrupt records skipped at recovery (first: " + found.corrupt_detail +
                                            ")",
                                        {},
                                        {},
                                        {},
                                        0});
    }
}

// Nothing is appended or settled after close(): the spool's segments with nothing unsettled
// are removed and its lock given up, so another client may take it over.
void client::impl::close_spool() {
    if (spool) spool->close();
}

// The spool could not take an event (accepted in memory only): counted, and said when a new
// segment was tried (not for each event while the disk stays full).
void client::impl::spool_trouble(const detail::record_queue::push_result &r) {
    spool_unspooled.fetch_add(1, std::memory_order_relaxed);
    if (!r.spool_failed_anew) return;
    accounting.report({reason::spool_error,
                       "spool " + cfg.spool_dir + ": " + spool->last_error() +
                           "; events go on in memory only (not durable) until a segment can be made",
                       {},
                       {},
                       {},
                       0});
}

client::impl::~impl() { detail::unregister_client(this); }

bool client::impl::submit(const detail::event_fields &f) {
    if (detail::in_callback()) {
        accounting.refuse_reentrant(to_string(f.type));
        return false;
    }
    thread_local detail::text_buffer buffer;
    if (auto e = detail::serialize_event(f, buffer, cfg.max_event_bytes, redaction.get(), enrichment.get())) {
        accounting.reject(*e, false);
        return false;
    }
    return enqueue_called(buffer.view());
}

bool client::impl::enqueue_called(std::string_view record) {
    if (!call_plugins) return enqueue_serialised(record);
    thread_local std::string changed;
    if (auto e = call_plugins->run_at_call(record, changed, cfg.max_event_bytes,
                                           [this](const error &notice) { accounting.report(notice); })) {
        accounting.reject(*e, false);
        return false;
    }
    return enqueue_serialised(changed);
}

bool client::impl::enqueue(std::string_view record) {
    if (detail::in_callback()) {
        accounting.refuse_reentrant({});
        return false;
    }
    if (detail::record_message_id(record).empty()) return enqueue_foreign(record);
    return enqueue_called(record);
}

bool client::impl::enqueue_serialised(std::string_view record) {
    if (needs_restart.load(std::memory_order_relaxed)) restart_if_forked();
    auto refuse = [&](reason why, std::string_view message) {
        const std::string_view id = detail::record_message_id(record);
        with_scratch_error([&](error &e) {
            e.code = why;
            e.message.assign(message.data(), message.size());
            e.event_type.clear();
            e.event_name.clear();
            e.message_ids.resize(1);
            e.message_ids[0].assign(id.data(), id.size());
            e.http_status = 0;
            accounting.reject(e, false);
        });
        return false;
    };
    if (closed.load(std::memory_order_acquire)) return refuse(reason::closed, closed_message);
    if (record.size() > cfg.max_event_bytes) {
        return refuse(reason::event_too_large, "event not accepted: " + std::to_string(record.size()) +
                                                   " bytes, over the " + std::to_string(cfg.max_event_bytes) +
                                                   "-byte limit per event");
    }
    // A batch of one must still fit max_batch_bytes with its envelope (the two limits may be
    // configured equal): such an event could never be sent within the limit.
    if (record.size() + detail::batch_envelope_bytes > cfg.max_batch_bytes) {
        return refuse(reason::event_too_large, "event not accepted: " + std::to_string(record.size()) +
                                                   " bytes, too large for a " + std::to_string(cfg.max_batch_bytes) +
                                                   "-byte batch (max_batch_bytes) with its " +
                                                   std::to_string(detail::batch_envelope_bytes) + "-byte envelope");
    }
    auto r = queue.push(record);
    if (!r.evicted.empty()) {
        error e{reason::queue_full,
                "queue full (drop_oldest): " + std::to_string(r.evicted.size()) + " oldest queued events dropped",
                {},
                {},
                {},
                0};
        for (const auto &q : r.evicted) e.message_ids.emplace_back(detail::record_message_id(q.json.view()));
        queue.settle_spooled(r.evicted);
        accounting.unbatched(r.evicted_parked); // out of a batch the worker held
        accounting.reject(e, true);
        if (accounting.has_after_plugins()) batcher.notify([this, e] { accounting.after_plugins(e); });
    }
    if (r.result == detail::record_queue::outcome::closed) return refuse(reason::closed, closed_message);
    if (r.result == detail::record_queue::outcome::full) {
        if (r.spool_full)
            return refuse(reason::queue_full, "event not accepted: the spool is full (" +
                                                  std::to_string(cfg.spool_max_bytes) + " bytes, spool_max_bytes)");
        return refuse(reason::queue_full, queue_full_message);
    }
    if (r.spool_failed) spool_trouble(r);
    batcher.on_accepted(r);
    return true;
}

// A record not in the layout seglog's serialiser writes (common/record_layout.h): taken in that
// layout, or refused. Never on the macros' path, whose records are all in it.
bool client::impl::enqueue_foreign(std::string_view record) {
    std::string why;
    if (record.size() > cfg.max_event_bytes) {
        why = std::to_string(record.size()) + " bytes, over the " + std::to_string(cfg.max_event_bytes) +
              "-byte limit per event";
        accounting.reject({reason::event_too_large, "event not accepted: " + why, {}, {}, {}, 0}, false);
        return false;
    }
    std::string relaid;
    why = detail::relayout_record(record, relaid);
    if (!why.empty()) {
        accounting.reject({reason::invalid_record,
                           "event not accepted: " + why + " (client::enqueue takes one serialised Segment event)",
                           {},
                           {},
                           {},
                           0},
                          false);
        return false;
    }
    return enqueue_called(relaid);
}

flush_result client::impl::flush(std::chrono::milliseconds timeout) {
    if (needs_restart.load(std::memory_order_relaxed)) restart_if_forked();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const std::uint64_t target = queue.last_seq();
    if (!closed.load()) batcher.request_flush();
    const bool done = batcher.wait_settled(target, timeout);
    // The callbacks of what settled have run when flush() returns (a slow one: until the timeout).
    if (done) batcher.wait_callbacks(deadline);
    return {done, queue.pending_events()};
}

std::vector<std::string> client::impl::close(std::chrono::milliseconds timeout) {
    if (closed.exchange(true)) return {};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<std::string> out = batcher.stop(deadline);
    // Events accepted while the worker was finishing (a producer past the closed check when
    // close() began) are handed back too; from here on the queue refuses everything.
    std::size_t left = batcher.left_in_spool();
    for (auto &r : queue.close()) {
        if (r.spooled) ++left; // stays in the spool for the next start
        else out.push_back(std::string(r.json.view()));
        r.json = detail::text_buffer{};
    }
    if (left) {
        spool_left.store(left);
        batcher.notify([this, left] {
            accounting.report({reason::undelivered_at_close,
                               std::to_string(left) +
                                   " events still pending when close() ended are left in the spool " + cfg.spool_dir +
                                   " (not returned): the next client on it sends them",
                               {},
                               {},
                               {},
                               0});
        });
    }
    if (!out.empty()) {
        error e{reason::undelivered_at_close,
                std::to_string(out.size()) +
                    " events still pending when close() ended (not delivered within its timeout); returned to "
                    "the caller",
                {},
                {},
                {},
                0};
        for (const auto &r : out) e.message_ids.emplace_back(detail::record_message_id(r));
        accounting.count_returned(out.size());
        batcher.notify([this, e = std::move(e)] { accounting.report_settled(e); });
    }
    // The callbacks still waiting run until the deadline, or a moment past it so that a close(0)
    // still reports what it returns; a slow one is left running on its own thread.
    batcher.stop_callbacks(std::max(deadline, std::chrono::steady_clock::now() + close_callback_grace));
    batcher.release_waiters();
    close_spool();
    return out;
}

seglog::stats client::impl::snapshot() const {
    seglog::stats s;
    accounting.fill(s);
    s.callbacks_skipped = batcher.callbacks_skipped();
    s.accepted = queue.last_seq() - accepted_base;
    s.queued_events = queue.queued_events();
    s.queued_bytes = queue.queued_bytes();
    s.pending_bytes = queue.pending_bytes();
    if (spool) {
        s.spool_events = spool->events();
        s.spool_bytes = spool->file_bytes();
        s.spool_trimmed = spool->trimmed();
    }
    s.spool_recovered = spool_recovered;
    s.spool_corrupt = spool_corrupt;
    s.spool_unspooled = spool_unspooled.load(std::memory_order_relaxed);
    s.spool_left = spool_left.load();
    if (enrichment) s.phi_routed = enrichment->phi_routed.load(std::memory_order_relaxed) - phi_routed_base;
    if (enrichment && enrichment->plugins)
        s.plugin_errors = enrichment->plugins->errors.load(std::memory_order_relaxed) - plugin_errors_base;
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
bool client::group(const identity &who, std::string_view group_id, const properties &traits, const call_options &opts) {
    return impl_->submit({event_type::group, &who, {}, group_id, {}, {}, &traits, &opts});
}
bool client::alias(std::string_view previous_id, std::string_view user_id, const call_options &opts) {
    return impl_->submit({event_type::alias, nullptr, {}, {}, previous_id, user_id, nullptr, &opts});
}

bool client::enqueue(std::string_view record) { return impl_->enqueue(record); }
flush_result client::flush(std::chrono::milliseconds timeout) { return impl_->flush(timeout); }
void client::flush_async() noexcept {
    if (!impl_->closed.load()) impl_->batcher.request_flush();
}
std::vector<std::string> client::close(std::chrono::milliseconds timeout) { return impl_->close(timeout); }
bool client::closed() const noexcept { return impl_->closed.load(); }

std::string client::summary() const {
    const seglog::stats s = stats();
    auto count = [&](const char *label, std::uint64_t n, std::initializer_list<reason> reasons) {
        std::string part = std::string(label) + " " + std::to_string(n);
        std::string detail;
        for (reason r : reasons) {
            const std::uint64_t k = s.by_reason[static_cast<int>(r)];
            if (k) detail += (detail.empty() ? "" : ", ") + std::string(to_string(r)) + " " + std::to_string(k);
        }
        return detail.empty() ? part : part + " (" + detail + ")";
    };
    std::string refused_reasons;
    std::uint64_t refused = s.dropped;
    std::string line = "delivered " + std::to_string(s.delivered) + ", " +
                       count("failed", s.failed, {reason::rejected, reason::unauthorized, reason::retries_exhausted}) +
                       ", evicted " + std::to_string(s.evicted) + ", returned " + std::to_string(s.returned) + ", ";
    // Refusals: every reason but those of delivery and close; queue_full counts evictions too.
    for (int i = 0; i < reason_count; ++i) {
        const auto r = static_cast<reason>(i);
        if (r == reason::rejected || r == reason::unauthorized || r == reason::retries_exhausted ||
            r == reason::undelivered_at_close)
            continue;
        std::uint64_t k = s.by_reason[i];
        if (r == reason::queue_full) k -= std::min(k, s.evicted);
        if (k)
            refused_reasons += (refused_reasons.empty() ? "" : ", ") + std::string(to_string(r)) + " " +
                               std::to_string(k);
    }
    line += "refused " + std::to_string(refused);
    if (!refused_reasons.empty()) line += " (" + refused_reasons + ")";
    const std::uint64_t settled = s.delivered + s.failed + s.evicted + s.returned + s.spool_left;
    if (s.spool_left) line += ", left in the spool " + std::to_string(s.spool_left);
    line += ", pending " + std::to_string(s.accepted > settled ? s.accepted - settled : 0);
    return line;
}
seglog::stats client::stats() const { return impl_->snapshot(); }
const seglog::config &client::config() const noexcept { return impl_->cfg; }
const seglog::redactor *client::redaction() const noexcept { return impl_->redaction.get(); }

void client::on_delivered(std::function<void(const delivery_info &)> fn) {
    impl_->accounting.on_delivered(std::move(fn));
}
void client::on_error(error_handler fn) { impl_->accounting.on_error(std::move(fn)); }
void client::on_attempt(std::function<void(const attempt_info &)> fn) { impl_->accounting.on_attempt(std::move(fn)); }

} // namespace seglog
