// The worker: the only thread that touches the network. It drains the queue into batches,
// sends them through the transport, and applies the retry policy to each answer. No lock is
// held while a request is under way; the caller only ever meets the queue's short lock.
#include "client/client_impl.h"
#include "retry/retry_policy.h"

#include <algorithm>

namespace seglog {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

std::string last_problem(const detail::http_response &r) {
    if (r.status) return "last answer HTTP " + std::to_string(r.status);
    return "last error: " + (r.network_error.empty() ? std::string("no answer") : r.network_error);
}

} // namespace

void client::impl::seal_current(worker_state &w, clock::time_point now) {
    if (w.current.records.empty()) return;
    w.current.id = w.next_batch_id++;
    w.current.not_before = now;
    w.ready.push_back(std::move(w.current));
    w.current = detail::batch{};
}

void client::impl::send_due(worker_state &w, clock::time_point now) {
    if (now < w.paused_until) return;
    for (auto it = w.ready.begin(); it != w.ready.end() && w.transport->can_send();) {
        if (it->not_before > now) {
            ++it;
            continue;
        }
        detail::batch b = std::move(*it);
        it = w.ready.erase(it);
        if (b.sends == 0) b.first_attempt = now;
        else retried.fetch_add(b.records.size(), std::memory_order_relaxed);
        detail::http_request req{b.id, detail::batch_body(b, std::chrono::system_clock::now()), b.sends};
        ++b.sends;
        batches_sent.fetch_add(1, std::memory_order_relaxed);
        w.transport->send(std::move(req));
        w.in_flight.emplace(b.id, std::move(b));
    }
}

void client::impl::settle_delivered(detail::batch &b) {
    const std::size_t n = b.records.size();
    delivered.fetch_add(n, std::memory_order_relaxed);
    batches_delivered.fetch_add(1, std::memory_order_relaxed);
    in_batches_events.fetch_sub(n, std::memory_order_relaxed);
    queue.release(n, b.record_bytes);
    std::shared_ptr<const std::function<void(const delivery_info &)>> cb;
    {
        std::lock_guard<std::mutex> lock(callback_mutex);
        cb = on_delivered;
    }
    if (cb) {
        try {
            (*cb)({n, b.body_bytes(), b.message_ids()});
        } catch (...) {
        }
    }
    queue.recycle(b.records); // their buffers carry the next events
}

void client::impl::settle_failed(detail::batch &b, reason why, int status, const std::string &detail) {
    const std::size_t n = b.records.size();
    failed.fetch_add(n, std::memory_order_relaxed);
    by_reason[static_cast<int>(why)].fetch_add(n, std::memory_order_relaxed);
    in_batches_events.fetch_sub(n, std::memory_order_relaxed);
    queue.release(n, b.record_bytes);
    std::string message;
    switch (why) {
    case reason::unauthorized:
        message = "HTTP " + std::to_string(status) + " from " + cfg.host + cfg.path +
                  ": the write key was refused (check SEGMENT_WRITE_KEY and the source's settings); " +
                  std::to_string(n) + " events dropped";
        break;
    case reason::rejected:
        message = "HTTP " + std::to_string(status) + " from " + cfg.host + cfg.path + ": " + std::to_string(n) +
                  (n == 1 ? " event" : " events") + " rejected and dropped";
        break;
    default:
        message = std::to_string(n) + " events failed after " + std::to_string(b.sends) + " attempts; " + detail;
    }
    report({why, std::move(message), {}, {}, b.message_ids(), status});
    queue.recycle(b.records);
}

void client::impl::handle(worker_state &w, detail::http_response &r, clock::time_point now) {
    auto it = w.in_flight.find(r.id);
    if (it == w.in_flight.end()) return;
    detail::batch b = std::move(it->second);
    w.in_flight.erase(it);
    bytes_sent.fetch_add(r.bytes_sent, std::memory_order_relaxed);

    std::shared_ptr<const std::function<void(const attempt_info &)>> cb;
    {
        std::lock_guard<std::mutex> lock(callback_mutex);
        cb = on_attempt;
    }
    if (cb) {
        try {
            (*cb)({r.status, r.network_error, r.duration, r.bytes_sent, b.records.size(), b.sends - 1});
        } catch (...) {
        }
    }

    const detail::decision d = detail::classify(r.status, r.retry_after, cfg);
    auto out_of_time = [&](milliseconds delay) { return now + delay - b.first_attempt > cfg.max_retry_time; };
    switch (d.what) {
    case detail::verdict::delivered:
        w.consecutive_failures = 0;
        // The API answers again: lift a hold put on for an outage (not one the server asked for).
        w.paused_until = std::min(w.paused_until, w.rate_limited_until);
        settle_delivered(b);
        break;
    case detail::verdict::rate_limited:
        // Not an attempt: the whole pipeline pauses for as long as the server asked.
        if (out_of_time(d.wait)) {
            settle_failed(b, reason::retries_exhausted, r.status, "rate limited beyond max_retry_time");
            break;
        }
        w.paused_until = std::max(w.paused_until, now + d.wait);
        w.rate_limited_until = std::max(w.rate_limited_until, now + d.wait);
        b.not_before = now + d.wait;
        w.ready.push_front(std::move(b));
        break;
    case detail::verdict::retry: {
        ++b.attempts;
        ++w.consecutive_failures;
        const milliseconds delay = d.wait.count() > 0 ? d.wait : detail::backoff(b.attempts - 1, cfg, w.rng);
        if (b.attempts >= cfg.max_attempts || out_of_time(delay)) {
            settle_failed(b, reason::retries_exhausted, r.status, last_problem(r));
            break;
        }
        b.not_before = now + delay;
        // Two failures in a row look like an outage: hold every batch, not just this one,
        // instead of sending each queued batch into the same wall. Not during close(), which
        // gives every pending batch one more attempt.
        if (w.consecutive_failures >= 2 && !w.close_started)
            w.paused_until = std::max(w.paused_until, b.not_before);
        w.ready.push_front(std::move(b));
        break;
    }
    case detail::verdict::split:
        if (b.records.size() > 1) {
            // Halve until the poisoned events are alone; the rest is delivered.
            detail::batch other = b.split_off(w.next_batch_id++);
            b.not_before = other.not_before = now;
            w.ready.push_front(std::move(other));
            w.ready.push_front(std::move(b));
        } else {
            settle_failed(b, reason::rejected, r.status, {});
        }
        break;
    case detail::verdict::drop: settle_failed(b, d.drop_reason, r.status, {}); break;
    }
}

void client::impl::publish_progress(worker_state &w) {
    std::uint64_t lw = queue.oldest_seq();
    if (!w.current.records.empty()) lw = std::min(lw, w.current.min_seq());
    for (const auto &b : w.ready) lw = std::min(lw, b.min_seq());
    for (const auto &[id, b] : w.in_flight) lw = std::min(lw, b.min_seq());
    if (lw != low_water.load(std::memory_order_relaxed)) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        low_water.store(lw);
        progress_cv.notify_all();
    }
}

std::vector<std::string> client::impl::take_everything(worker_state &w) {
    w.transport->abort_all(); // their outcome is unknown: returned, so nothing is lost silently
    std::vector<detail::queued_record> all;
    auto take = [&](detail::batch &b) {
        for (auto &r : b.records) all.push_back(std::move(r));
        b.records.clear();
    };
    for (auto &[id, b] : w.in_flight) take(b);
    for (auto &b : w.ready) take(b);
    take(w.current);
    w.in_flight.clear();
    w.ready.clear();
    auto queued = queue.take_all();
    for (auto &r : queued) all.push_back(std::move(r));
    std::sort(all.begin(), all.end(), [](const auto &a, const auto &b) { return a.seq < b.seq; });
    std::size_t bytes = 0;
    std::vector<std::string> out;
    out.reserve(all.size());
    for (auto &r : all) {
        bytes += r.json.size();
        out.push_back(std::string(r.json.view()));
    }
    in_batches_events.store(0);
    queue.release(out.size(), bytes);
    return out;
}

void client::impl::run() {
    worker_state &w = *state;
    std::vector<detail::queued_record> incoming;
    for (;;) {
        const bool flush_now = flush_requested.exchange(false);
        const bool stopping = stop_requested.load();
        incoming.clear();
        clock::time_point now = clock::now();
        // While the pipeline is held (an outage or a rate limit), new events stay in the queue:
        // nothing is batched against a wall, and drop_oldest can still push the oldest out.
        const bool hold_queue = !stopping && now < w.paused_until;
        if (!hold_queue) queue.drain(incoming);
        // A batch is dated from its first event's arrival, not from when the worker saw it. The
        // note may be stale (from an earlier drain): then the batch goes early, never late.
        const clock::time_point arrived =
            std::min(now, clock::time_point(clock::duration(first_arrival.load(std::memory_order_relaxed))));

        for (auto &r : incoming) {
            const std::size_t n = w.current.records.size();
            if (n && (n >= cfg.flush_at || n >= cfg.max_batch_events ||
                      w.current.body_bytes_with(r.json.size()) > cfg.max_batch_bytes))
                seal_current(w, now);
            if (w.current.records.empty()) w.current.opened = arrived;
            in_batches_events.fetch_add(1, std::memory_order_relaxed);
            w.current.add(std::move(r));
        }
        const std::size_t n = w.current.records.size();
        if (n && (n >= cfg.flush_at || flush_now || stopping || now - w.current.opened >= cfg.flush_interval))
            seal_current(w, now);

        if (stopping && !w.close_started) {
            // close() cuts waits short: every pending batch gets one more attempt now.
            w.close_started = true;
            w.paused_until = {};
            for (auto &b : w.ready) b.not_before = now;
        }
        send_due(w, now);
        publish_progress(w);

        if (stopping) {
            if (w.ready.empty() && w.in_flight.empty() && w.current.records.empty() && queue.empty()) break;
            // Done trying when the deadline has come, or when nothing is under way and every
            // batch left would wait past it (backoff, Retry-After): no point sleeping until then.
            const bool nothing_before_deadline =
                w.in_flight.empty() && w.current.records.empty() && queue.empty() &&
                std::all_of(w.ready.begin(), w.ready.end(), [&](const detail::batch &b) {
                    return std::max(b.not_before, w.paused_until) >= close_deadline;
                });
            if (now >= close_deadline || nothing_before_deadline) {
                returned_at_close = take_everything(w);
                break;
            }
        }

        // Sleep until the next thing to do; producers and flush()/close() wake us earlier.
        clock::time_point wake = now + cfg.flush_interval;
        if (!w.current.records.empty()) wake = std::min(wake, w.current.opened + cfg.flush_interval);
        if (w.transport->can_send())
            for (const auto &b : w.ready) wake = std::min(wake, std::max(b.not_before, w.paused_until));
        if (hold_queue) wake = std::min(wake, w.paused_until);
        if (stopping) wake = std::min(wake, close_deadline);
        milliseconds timeout{0};
        if (wake > now) timeout = std::chrono::ceil<milliseconds>(wake - now);
        sleeping.store(true, std::memory_order_seq_cst);
        if ((!hold_queue && !queue.empty()) || flush_requested.load() || stop_requested.load() != stopping)
            timeout = milliseconds{0};
        auto responses = w.transport->poll(timeout);
        sleeping.store(false, std::memory_order_seq_cst);
        now = clock::now();
        for (auto &r : responses) handle(w, r, now);
    }
    publish_progress(w);
}

} // namespace seglog
