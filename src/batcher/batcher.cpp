#include "batcher/batcher.h"

#include "retry/retry_policy.h"
#include "transport/custom_transport.h"

#include <seglog/version.h>

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <new>

namespace seglog::detail {

using std::chrono::milliseconds;

namespace {

transport_options transport_options_from(const config &c) {
    transport_options t;
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

std::string last_problem(const http_response &r) {
    if (r.status) return "last answer HTTP " + std::to_string(r.status);
    return "last error: " + (r.network_error.empty() ? std::string("no answer") : r.network_error);
}

// A custom destination's answer, taken as is: its retry is an attempt like a network failure
// (backoff, or the wait it asked for within retry_after_cap), its reject fails the batch.
decision decide(destination_answer a, milliseconds delay, const config &cfg) {
    switch (a) {
    case destination_answer::retry: return {verdict::retry, {}, std::min(delay, cfg.retry_after_cap)};
    case destination_answer::reject: return {verdict::drop, reason::rejected, {}};
    default: return {verdict::delivered, {}, {}};
    }
}

} // namespace

batcher::batcher(const config &cfg, record_queue &queue, accounting &acc)
    : cfg_(cfg), queue_(queue), acc_(acc), flush_at_(cfg.flush_at), max_batch_bytes_(cfg.max_batch_bytes),
      max_outside_events_(2 * (cfg.max_in_flight + 1) *
                          std::max<std::size_t>(1, std::min(cfg.flush_at, cfg.max_batch_events))),
      transport_opts_(transport_options_from(cfg)),
      endpoint_(cfg.custom_destination ? destination_label(*cfg.custom_destination) : transport_opts_.url),
      gate_(plan::gate::from_config(cfg)) {}

void batcher::start() {
    notifier_.start();
    state_ = std::make_unique<worker_state>();
    if (cfg_.custom_destination)
        state_->transport = std::make_unique<custom_transport>(cfg_.custom_destination, cfg_.max_in_flight);
    else state_->transport = std::make_unique<http_transport>(transport_opts_);
    state_->notices = delivery_notices(endpoint_);
    state_->max_batch_bytes = cfg_.max_batch_bytes;
    worker_ = std::thread([this] {
        ::pthread_setname_np(::pthread_self(), "seglog-worker"); // as `top -H` and gdb show it
        run();
    });
}

void batcher::lower_priority() const {
    // nice is per thread on Linux. Raising it needs no privilege; if a sandbox refuses, the
    // worker runs at the caller's priority, which costs only the callers' tail latency.
    if (cfg_.worker_nice <= 0) return;
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    errno = 0;
    const int now = ::getpriority(PRIO_PROCESS, tid);
    if (errno != 0) return;
    (void)::setpriority(PRIO_PROCESS, tid, std::min(19, now + cfg_.worker_nice));
    // A lower nice value shrinks the worker's share of a busy CPU but does not stop it preempting
    // a caller when it wakes up; SCHED_BATCH does, and keeps that share (SCHED_IDLE would starve
    // it on a saturated machine). Only from SCHED_OTHER: an inherited real-time or idle policy
    // is the service's choice. Refused (it needs no privilege), the nice value alone applies.
#ifdef SCHED_BATCH
    if (::sched_getscheduler(0) == SCHED_OTHER) { // 0: this thread, on Linux
        sched_param param{};
        (void)::sched_setscheduler(0, SCHED_BATCH, &param);
    }
#endif
}

// A fresh client's first burst finds no buffer to recycle: a worker that falls behind leaves
// the queue to grow into memory the callers fault in page by page. At the callers' priority
// until it has caught up with that burst (nothing left in the queue, every batch it sealed
// sent), the worker recycles buffers from the first batches; it lowers itself then (raising it
// again would need a privilege), or a second after it took the first event at most, so that a
// service busy from its start still gets the worker_nice it asked for. A worker at the callers'
// priority costs their tail latency, hence no longer than that.
void batcher::end_first_burst(worker_state &w, clock::time_point now, bool took) {
    if (!w.first_burst) return;
    if (took && w.first_taken == clock::time_point{}) w.first_taken = now;
    if (w.first_taken == clock::time_point{}) return;
    const bool caught_up = queue_.empty() && w.ready.empty();
    if (!caught_up && now - w.first_taken < first_burst_limit) return;
    w.first_burst = false;
    lower_priority();
}

void batcher::request_flush() noexcept {
    flush_requested_.store(true, std::memory_order_seq_cst);
    if (state_) state_->transport->wakeup();
}

bool batcher::wait_settled(std::uint64_t seq, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(progress_mutex_);
    return progress_cv_.wait_for(lock, timeout, [&] { return low_water_.load() > seq; });
}

std::vector<std::string> batcher::stop(clock::time_point deadline) {
    close_deadline_ = deadline;
    stop_requested_.store(true, std::memory_order_seq_cst);
    if (worker_.joinable()) {
        state_->transport->wakeup();
        worker_.join();
    }
    return std::move(returned_at_close_);
}

void batcher::release_waiters() {
    std::lock_guard<std::mutex> lock(progress_mutex_);
    low_water_.store(UINT64_MAX);
    progress_cv_.notify_all();
}

void batcher::reset_after_fork() {
    // The worker thread does not exist here: forget its handle without joining, and leak the
    // state it may have been mutating (freeing it could crash on a half-done update, and the
    // transport's connections are the parent's).
    new (&worker_) std::thread();
    (void)state_.release();
    notifier_.reset_after_fork();
    new (&progress_mutex_) std::mutex();
    new (&progress_cv_) std::condition_variable();
    sleeping_.store(false);
    flush_requested_.store(false);
    low_water_.store(queue_.oldest_seq());
}

void batcher::seal_current(worker_state &w, clock::time_point now) {
    if (w.current.records.empty()) return;
    w.current.id = w.next_batch_id++;
    w.current.not_before = now;
    w.ready.push_back(std::move(w.current));
    w.current = batch{};
}

// drop_oldest: while held, the batches waiting for the hold to end go to the queue's parked lane,
// where eviction reaches them (oldest first), so that a long outage keeps the newest events;
// when the hold ends (or close() begins) what eviction left of them comes back.
void batcher::park_or_resume(worker_state &w, bool held) {
    if (cfg_.overflow != overflow_policy::drop_oldest) return;
    if (held) {
        for (auto &b : w.ready) {
            worker_state::parked_batch p{batch{}, b.min_seq()};
            queue_.park(b.id, std::move(b.records));
            b.records.clear();
            b.record_bytes = 0;
            p.meta = std::move(b);
            w.parked.push_back(std::move(p));
        }
        w.ready.clear();
        return;
    }
    for (auto &p : w.parked) {
        std::vector<queued_record> left = queue_.unpark(p.meta.id); // the rest was evicted
        if (left.empty()) continue;
        batch b = std::move(p.meta);
        b.lowest_seq = UINT64_MAX;
        for (auto &r : left) b.add(std::move(r));
        w.ready.push_back(std::move(b));
    }
    w.parked.clear();
}

std::size_t batcher::drain_room(const worker_state &w) const {
    std::size_t outside = w.current.records.size();
    for (const auto &b : w.ready) outside += b.records.size();
    for (const auto &[id, b] : w.in_flight) outside += b.records.size();
    return outside < max_outside_events_ ? max_outside_events_ - outside : 0;
}

void batcher::send_due(worker_state &w, clock::time_point now) {
    if (now < w.paused_until) return;
    for (auto it = w.ready.begin(); it != w.ready.end() && w.transport->can_send();) {
        if (it->not_before > now) {
            ++it;
            continue;
        }
        batch b = std::move(*it);
        w.ready.erase(it);
        fit_body_limit(w, b);
        it = w.ready.begin(); // the rest of a split went to the front
        if (b.sends == 0) b.first_attempt = now;
        acc_.sending(b.records.size(), b.sends != 0);
        http_request req{b.id, batch_body(b, std::chrono::system_clock::now(), w.transport->spare_body()), b.sends, {}};
        if (w.transport->wants_record_sizes())
            for (const auto &r : b.records) req.record_sizes.push_back(r.json.size());
        ++b.sends;
        w.transport->send(std::move(req));
        w.in_flight.emplace(b.id, std::move(b));
    }
}

void batcher::sync_spool(worker_state &w, clock::time_point now) {
    spool *sp = queue_.attached_spool();
    if (!sp) return;
    switch (cfg_.spool_sync.type) {
    case spool_sync_policy::kind::none: return;
    case spool_sync_policy::kind::batch:
        if (std::any_of(w.ready.begin(), w.ready.end(), [&](const batch &b) { return b.sends == 0; })) sp->sync();
        return;
    case spool_sync_policy::kind::interval:
        if (now < w.next_sync) return;
        if (sp->events() > 0) sp->sync();
        w.next_sync = now + cfg_.spool_sync.every;
        return;
    }
}

// Due when every batch left waits on a backoff (a failure streak, nothing under way, no rate
// limit the server asked for) and probe_interval has passed since the last request failed. Not
// during a configuration hold: an answer to the probe would lift it, and the batches would meet
// the same refusal every second instead of waiting for the configuration to change.
bool batcher::probe_due(const worker_state &w, clock::time_point now, bool stopping) const {
    return !stopping && w.transport->takes_probes() && w.consecutive_failures > 0 && !w.probe_in_flight &&
           w.in_flight.empty() && now >= w.rate_limited_until && now >= w.config_hold_until && now >= w.next_probe &&
           (!w.ready.empty() || !w.parked.empty());
}

void batcher::send_probe(worker_state &w, clock::time_point now) {
    if (!w.transport->can_send()) return;
    batch empty;
    w.transport->send({probe_id, batch_body(empty, std::chrono::system_clock::now()), 0, {}});
    w.probe_in_flight = true;
    w.next_probe = now + probe_interval;
}

// Any answer but one to retry means the collector is back: the waits are cut short and every
// batch goes now, each keeping its attempts and X-Retry-Count (the retry policy is per batch;
// only the waiting between its attempts is shortened).
void batcher::handle_probe(worker_state &w, const http_response &r, clock::time_point now) {
    w.probe_in_flight = false;
    w.next_probe = now + probe_interval;
    const verdict v = classify(r.status, std::nullopt, cfg_).what;
    if (r.status == 0 || v == verdict::retry || v == verdict::rate_limited) return;
    w.consecutive_failures = 0;
    w.paused_until = std::min(w.paused_until, w.rate_limited_until);
    for (auto &b : w.ready) b.not_before = std::min(b.not_before, now);
    for (auto &p : w.parked) p.meta.not_before = std::min(p.meta.not_before, now);
}

void batcher::settle_delivered(batch &b) {
    const std::size_t n = b.records.size();
    acc_.delivered(n);
    queue_.release(n, b.record_bytes);
    if (acc_.wants_delivered())
        notify([this, info = delivery_info{n, b.body_bytes(), b.message_ids()}] {
            acc_.notify_delivered([&] { return info; });
        });
    queue_.recycle(b.records); // their buffers carry the next events
}

void batcher::settle_failed(batch &b, reason why, int status, const std::string &detail) {
    const std::size_t n = b.records.size();
    acc_.failed(n, why);
    queue_.release(n, b.record_bytes);
    std::string message, type, name;
    switch (why) {
    case reason::unauthorized:
        message = "HTTP " + std::to_string(status) + " from " + endpoint_ +
                  ": the write key was refused (check SEGMENT_WRITE_KEY and the source's settings); " +
                  std::to_string(n) + " events dropped";
        break;
    case reason::rejected:
        if (cfg_.custom_destination)
            message = "from " + endpoint_ + ": " + std::to_string(n) +
                      " events rejected and dropped; it said: " + answer_excerpt(detail);
        // One event alone: the collector's answer is about it, so the error says which it was.
        else if (n == 1)
            message = "from " + endpoint_ + ": " +
                      delivery_notices::rejected_detail(b.records[0].json.view(), status, detail, type, name) +
                      "; dropped";
        else
            message = "HTTP " + std::to_string(status) + " from " + endpoint_ + ": " + std::to_string(n) +
                      " events rejected and dropped" +
                      (detail.empty() ? "" : "; the collector said: " + answer_excerpt(detail));
        break;
    default: message = std::to_string(n) + " events failed after " + std::to_string(b.sends) + " attempts; " + detail;
    }
    notify([this, e = error{why, std::move(message), std::move(type), std::move(name), b.message_ids(), status}] {
        acc_.report_settled(e);
    });
    queue_.recycle(b.records);
}

void batcher::handle(worker_state &w, http_response &r, clock::time_point now) {
    if (r.id == probe_id) return handle_probe(w, r, now);
    auto it = w.in_flight.find(r.id);
    if (it == w.in_flight.end()) return;
    batch b = std::move(it->second);
    w.in_flight.erase(it);
    const attempt_info attempt{r.status, r.network_error, r.duration, r.bytes_sent, b.records.size(), b.sends - 1};

    const std::optional<milliseconds> retry_after = r.retry_after ? parse_retry_after(*r.retry_after,
                                                                                      std::chrono::system_clock::now())
                                                                  : std::nullopt;
    const decision d = r.answer == destination_answer::none ? classify(r.status, retry_after, cfg_, r.cause)
                                                            : decide(r.answer, r.answer_delay, cfg_);
    notice(w, r, b, d);
    auto out_of_time = [&](milliseconds delay) { return now + delay - b.first_attempt > cfg_.max_retry_time; };
    switch (d.what) {
    case verdict::delivered:
        w.consecutive_failures = 0;
        w.config_hold_until = {};
        w.notices.on_delivered();
        // The API answers again: lift a hold put on for an outage (not one the server asked for).
        w.paused_until = std::min(w.paused_until, w.rate_limited_until);
        settle_delivered(b);
        break;
    case verdict::rate_limited:
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
    case verdict::retry: {
        ++b.attempts;
        ++w.consecutive_failures;
        w.next_probe = now + probe_interval;
        const milliseconds delay = d.wait.count() > 0 ? d.wait : backoff(b.attempts - 1, cfg_, w.rng);
        if (b.attempts >= cfg_.max_attempts || out_of_time(delay)) {
            settle_failed(b, reason::retries_exhausted, r.status, last_problem(r));
            break;
        }
        b.not_before = now + delay;
        // Two failures in a row look like an outage: hold every batch, not just this one,
        // instead of sending each queued batch into the same wall. Not during close(), which
        // gives every pending batch one more attempt.
        if (w.consecutive_failures >= 2 && !w.close_started) w.paused_until = std::max(w.paused_until, b.not_before);
        w.ready.push_front(std::move(b));
        break;
    }
    case verdict::config_hold: hold_for_config(w, b, r, d, now); break;
    case verdict::split:
        if (r.status == 413) learn_body_limit(w, b);
        if (b.records.size() > 1) {
            // Halve until the poisoned events are alone; the rest is delivered.
            batch other = b.split_off(w.next_batch_id++);
            b.not_before = other.not_before = now;
            w.ready.push_front(std::move(other));
            w.ready.push_front(std::move(b));
        } else {
            settle_failed(b, reason::rejected, r.status, r.body);
        }
        break;
    case verdict::drop: settle_failed(b, d.drop_reason, r.status, r.body); break;
    }
    // A hold starts now, not at the next turn: on_attempt then sees the batches within
    // drop_oldest's reach already.
    if (!w.close_started && now < w.paused_until) park_or_resume(w, true);
    acc_.count_attempt(attempt);
    notify([this, attempt] { acc_.notify_attempt(attempt); });
}

void batcher::notice(worker_state &w, const http_response &r, const batch &b, const decision &d) {
    if (r.gzip_refused)
        if (auto e = w.notices.gzip_refused(r.gzip_refused)) notify([this, e = *e] { acc_.report(e); });
    if (d.what == verdict::delivered) return;
    const attempt_facts f{r.status,           r.cause,          r.network_error, r.location,
                          r.redirect_refused, b.records.size(), b.attempts + 1};
    if (auto e = w.notices.on_failure(f, d, cfg_)) notify([this, e = *e] { acc_.report(e); });
}

// What retrying cannot fix: nothing is sent until the pause is over (not an attempt), and the
// batch waits with the rest. A batch that meets it again after the pause, past
// max_retry_time, is given up on.
void batcher::hold_for_config(worker_state &w, batch &b, const http_response &r, const decision &d,
                              clock::time_point now) {
    if (b.sends > 1 && now + d.wait - b.first_attempt > cfg_.max_retry_time) {
        settle_failed(b, d.drop_reason, r.status, last_problem(r));
        return;
    }
    w.config_hold_until = std::max(w.config_hold_until, now + d.wait);
    w.paused_until = std::max(w.paused_until, w.config_hold_until);
    b.not_before = w.config_hold_until;
    w.ready.push_front(std::move(b));
}

// A 413 for a batch of more than one event: the collector's limit is under its size. Halves
// fit what is now known; learning it for the session keeps every later batch from meeting the
// same refusal and being split again.
void batcher::learn_body_limit(worker_state &w, const batch &b) {
    const std::size_t refused = b.body_bytes();
    if (b.records.size() < 2 || refused / 2 >= w.max_batch_bytes) return;
    w.max_batch_bytes = std::max<std::size_t>(refused / 2, batch_envelope_bytes + 1);
    if (auto e = w.notices.body_limit(refused, w.max_batch_bytes)) notify([this, e = *e] { acc_.report(e); });
}

void batcher::fit_body_limit(worker_state &w, batch &b) {
    while (b.records.size() > 1 && b.body_bytes() > w.max_batch_bytes) {
        batch rest = b.split_off(w.next_batch_id++);
        rest.not_before = b.not_before;
        w.ready.push_front(std::move(rest));
    }
}

void batcher::publish_progress(worker_state &w) {
    std::uint64_t lw = queue_.oldest_seq();
    if (!w.current.records.empty()) lw = std::min(lw, w.current.min_seq());
    for (const auto &b : w.ready) lw = std::min(lw, b.min_seq());
    for (const auto &[id, b] : w.in_flight) lw = std::min(lw, b.min_seq());
    for (const auto &p : w.parked) lw = std::min(lw, p.min_seq);
    if (lw != low_water_.load(std::memory_order_relaxed)) {
        std::lock_guard<std::mutex> lock(progress_mutex_);
        low_water_.store(lw);
        progress_cv_.notify_all();
    }
}

std::vector<std::string> batcher::take_everything(worker_state &w) {
    w.transport->abort_all(); // their outcome is unknown: returned, so nothing is lost silently
    std::vector<queued_record> all;
    auto take = [&](batch &b) {
        for (auto &r : b.records) all.push_back(std::move(r));
        b.records.clear();
    };
    for (auto &[id, b] : w.in_flight) take(b);
    for (auto &b : w.ready) take(b);
    take(w.current);
    w.in_flight.clear();
    w.ready.clear();
    auto queued = queue_.take_all();
    for (auto &r : queued) all.push_back(std::move(r));
    std::sort(all.begin(), all.end(), [](const auto &a, const auto &b) { return a.seq < b.seq; });
    std::size_t bytes = 0;
    std::vector<std::string> out;
    out.reserve(all.size());
    for (auto &r : all) {
        bytes += r.json.size();
        // A record in the spool stays there, unsettled: the next start sends it.
        if (r.spooled) ++left_in_spool_;
        else out.push_back(std::string(r.json.view()));
        r.json = text_buffer{}; // freed as it is copied: close() never holds the budget twice
    }
    acc_.unbatched_all();
    queue_.release(all.size(), bytes);
    return out;
}

// Moves what the queue holds into batches: the current batch is sealed when the next record
// would pass flush_at, max_batch_events or max_batch_bytes, and when it is due (full, flushed,
// closing, or flush_interval after its first record arrived).
void batcher::fill_batches(worker_state &w, std::vector<queued_record> &incoming, clock::time_point now, bool flush_now,
                           bool stopping) {
    // A batch is dated from its first event's arrival, not from when the worker saw it. The
    // note may be stale (from an earlier drain): then the batch goes early, never late.
    // No note yet (0): the worker took the client's first record before its caller stored one;
    // dating the batch from the clock's epoch would seal it at once.
    const clock::rep noted = first_arrival_.load(std::memory_order_relaxed);
    const clock::time_point arrived = noted ? std::min(now, clock::time_point(clock::duration(noted))) : now;
    for (auto &r : incoming) {
        if (gate_ && !admit(r)) continue;
        const std::size_t n = w.current.records.size();
        if (n && (n >= cfg_.flush_at || n >= cfg_.max_batch_events ||
                  w.current.body_bytes_with(r.json.size()) > w.max_batch_bytes))
            seal_current(w, now);
        if (w.current.records.empty()) w.current.opened = arrived;
        acc_.batched(1);
        w.current.add(std::move(r));
    }
    const std::size_t n = w.current.records.size();
    if (n && (n >= cfg_.flush_at || flush_now || stopping || now - w.current.opened >= cfg_.flush_interval))
        seal_current(w, now);
}

bool batcher::admit(queued_record &r) {
    error report{};
    bool keep = true;
    if (gate_->check(r.json.view(), report, keep)) return true;
    acc_.off_plan(report.code);
    if (!keep) {
        acc_.batched(1);
        acc_.failed(1, report.code);
        queue_.release(1, r.json.size());
        std::vector<queued_record> settled;
        settled.push_back(std::move(r));
        queue_.recycle(settled);
    }
    // A dropped event is settled here: its after plugins learn it failed. A kept one is reported only.
    notify([this, keep, e = std::move(report)] { keep ? acc_.report(e) : acc_.report_settled(e); });
    return keep;
}

// While stopping: true when the worker is done, either with nothing left or because the
// deadline came (what it still holds is then kept for stop() to return).
bool batcher::finished(worker_state &w, clock::time_point now) {
    if (w.ready.empty() && w.in_flight.empty() && w.current.records.empty() && queue_.empty()) return true;
    // Done trying when the deadline has come, or when nothing is under way and every batch
    // left would wait past it (backoff, Retry-After): no point sleeping until then.
    const bool nothing_before_deadline = w.in_flight.empty() && w.current.records.empty() && queue_.empty() &&
                                         std::all_of(w.ready.begin(), w.ready.end(), [&](const batch &b) {
                                             return std::max(b.not_before, w.paused_until) >= close_deadline_;
                                         });
    if (now >= close_deadline_ || nothing_before_deadline) {
        returned_at_close_ = take_everything(w);
        return true;
    }
    return false;
}

// How long the worker may sleep: until the next thing to do. Producers and flush()/close()
// wake it earlier.
milliseconds batcher::sleep_time(const worker_state &w, clock::time_point now, bool hold_queue, bool stopping) const {
    clock::time_point wake = now + cfg_.flush_interval;
    if (!w.current.records.empty()) wake = std::min(wake, w.current.opened + cfg_.flush_interval);
    if (w.transport->can_send())
        for (const auto &b : w.ready) wake = std::min(wake, std::max(b.not_before, w.paused_until));
    if (hold_queue) wake = std::min(wake, w.paused_until);
    if (w.consecutive_failures > 0 && !w.probe_in_flight && w.transport->takes_probes() &&
        (!w.ready.empty() || !w.parked.empty()))
        wake = std::min(wake, std::max(w.next_probe, w.rate_limited_until));
    if (stopping) wake = std::min(wake, close_deadline_);
    if (w.first_burst && w.first_taken != clock::time_point{}) wake = std::min(wake, w.first_taken + first_burst_limit);
    if (cfg_.spool_sync.type == spool_sync_policy::kind::interval && queue_.attached_spool())
        wake = std::min(wake, std::max(w.next_sync, now));
    return wake > now ? std::chrono::ceil<milliseconds>(wake - now) : milliseconds{0};
}

void batcher::run() {
    worker_state &w = *state_;
    std::vector<queued_record> incoming;
    for (;;) {
        const bool flush_now = flush_requested_.exchange(false);
        const bool stopping = stop_requested_.load();
        incoming.clear();
        clock::time_point now = clock::now();
        // While the pipeline is held (an outage or a rate limit), new events stay in the queue:
        // nothing is batched against a wall, and drop_oldest can still push the oldest out.
        // Otherwise the worker takes only what its batches have room for, except when closing.
        const bool hold_queue = !stopping && now < w.paused_until;
        park_or_resume(w, hold_queue);
        if (!hold_queue) queue_.drain(incoming, stopping ? SIZE_MAX : drain_room(w));
        const bool took = !incoming.empty();
        // A flush covers what the queue held when it was asked, which may take several drains.
        if (flush_now) w.flushing = true;
        fill_batches(w, incoming, now, w.flushing, stopping);
        if (w.flushing && !hold_queue && queue_.empty()) w.flushing = false;

        if (stopping && !w.close_started) {
            // close() cuts waits short: every pending batch gets one more attempt now, but for a
            // configuration error, which another attempt would only meet again.
            w.close_started = true;
            w.paused_until = w.config_hold_until;
            for (auto &b : w.ready) b.not_before = std::max(now, w.config_hold_until);
        }
        sync_spool(w, now);
        if (spool *sp = queue_.attached_spool()) sp->prepare_segments();
        send_due(w, now);
        if (probe_due(w, now, stopping)) send_probe(w, now);
        publish_progress(w);
        if (stopping && finished(w, now)) break;

        milliseconds timeout = sleep_time(w, now, hold_queue, stopping);
        sleeping_.store(true, std::memory_order_seq_cst);
        // Checked after announcing the sleep: a producer that pushed before it saw no sleeper.
        if ((!hold_queue && !queue_.empty() && (stopping || drain_room(w) > 0)) || flush_requested_.load() ||
            stop_requested_.load() != stopping)
            timeout = milliseconds{0};
        auto responses = w.transport->poll(timeout);
        sleeping_.store(false, std::memory_order_seq_cst);
        now = clock::now();
        for (auto &r : responses) handle(w, r, now);
        end_first_burst(w, now, took);
    }
    publish_progress(w);
}

} // namespace seglog::detail
