#pragma once
// The delivery pipeline, usable without spdlog: validation -> bounded queue -> batcher ->
// transport (libcurl) -> retry policy -> callbacks and counters. One worker thread owns the
// network; the caller never waits on it. docs/delivery.md and docs/guarantees.md describe
// what happens to each event; docs/api.md lists the whole API.

#include <seglog/config.h>
#include <seglog/error.h>
#include <seglog/event.h>
#include <seglog/export.h>
#include <seglog/redaction.h>
#include <seglog/stats.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace seglog {

class segment_sink;
namespace detail {
struct client_access;
} // namespace detail

// What client::flush() reports.
struct flush_result {
    bool complete = false;     // everything accepted before the call was settled
    std::uint64_t pending = 0; // events still queued or in flight at return
    // True when complete: `if (client.flush(2s)) ...`.
    explicit operator bool() const { return complete; }
};

// A Segment client: takes events on any thread and delivers them in batches to
// config().host + config().path with the write key, from one worker thread of its own.
//
// Every member function is thread-safe and may be called from any number of threads at once.
// The calls never throw for a bad event: they return false, count it in stats() and report it
// to on_error. Every event accepted (a call that returned true) ends delivered, failed,
// evicted or returned by close(), each with its counter and callback (docs/guarantees.md).
// Not copyable and not movable; share it through a std::shared_ptr (segment_sink does).
// After fork() the child gets an empty pipeline of its own on first use.
class SEGLOG_API client {
public:
    // Validates `cfg` and starts the worker thread ("seglog-worker"). Throws config_error when
    // cfg does not validate or has no write_key (the message never contains the key).
    explicit client(seglog::config cfg);
    ~client(); // close(config.close_timeout) unless already closed
    client(const client &) = delete;
    client &operator=(const client &) = delete;

    // The Segment Spec calls. Return false when the event was rejected (reported through
    // on_error and counted), true when it was accepted into the queue.
    //
    // Each validates and serialises the event on the calling thread (with the client's
    // redaction rules), then puts the record into the bounded queue; it never waits on the
    // network (only overflow_policy::block waits, at most block_timeout, for room).
    // `props`, `traits` and `opts` are read during the call only (they may be braced lists).
    // The reasons a call returns false with: missing_identity (`who` has neither id; alias:
    // an empty user_id), missing_event (track), missing_group_id (group), missing_previous_id
    // (alias), not_an_object, non_finite_number, invalid_utf8, too_deep, too_many_keys,
    // event_too_large, queue_full, closed.
    //
    // track: `event` is the event name (required). page/screen: `name` may be empty.
    // group: `group_id` is required. alias: links `previous_id` (required) to `user_id`.
    bool track(const identity &who, std::string_view event, const properties &props = {},
               const call_options &opts = {});
    bool identify(const identity &who, const properties &traits = {}, const call_options &opts = {});
    bool page(const identity &who, std::string_view name, const properties &props = {}, const call_options &opts = {});
    bool screen(const identity &who, std::string_view name, const properties &props = {},
                const call_options &opts = {});
    bool group(const identity &who, std::string_view group_id, const properties &traits = {},
               const call_options &opts = {});
    bool alias(std::string_view previous_id, std::string_view user_id, const call_options &opts = {});

    // Enqueue an already-serialised, validated record (what the record bridge carries): one
    // event's JSON object with a messageId string. A record whose messageId is not its first
    // member is rewritten with it first; one without a usable messageId is refused as
    // reason::invalid_record (docs/delivery.md).
    // The record is copied; its properties are neither validated nor redacted again. Other
    // refusals: event_too_large (over max_event_bytes, or too large for a batch of one),
    // queue_full, closed. Returns true when the record was accepted.
    bool enqueue(std::string_view record);

    // Sends everything accepted so far and waits until it is settled or `timeout` passes.
    // Settled: delivered, or failed for good. The result says whether all of it was, and how
    // many events were still pending at return; those stay queued and go out later. Returns at
    // once after close().
    flush_result flush(std::chrono::milliseconds timeout);
    // Asks the worker to send the batch it is filling now, without waiting (what a logger's
    // flush() does through segment_sink). Does nothing after close().
    void flush_async() noexcept;
    // Flushes, stops the worker and returns the JSON of every event still pending: accepted,
    // not yet delivered and not yet given up on. It does NOT contain the events that failed
    // before or during close() (rejected, unauthorized, retries_exhausted: reported to
    // on_error and counted in stats().failed), nor those evicted (drop_oldest) or refused at
    // the call: an empty vector means nothing is left to hand back, not that everything was
    // delivered. summary() says what became of every event. A second call returns an empty
    // vector.
    // Waits at most `timeout` (plus the time to tear down): each pending batch gets one more
    // attempt now; requests still under way at the deadline are abandoned and their events
    // returned too. The events returned are in acceptance order, byte for byte as accepted,
    // counted as returned and reported once to on_error as undelivered_at_close. From the
    // start of close() every call is refused as closed.
    std::vector<std::string> close(std::chrono::milliseconds timeout);
    // One line with what became of the events so far, every outcome counted, the reasons of
    // those not delivered by name: "delivered 5, failed 2 (unauthorized 2), evicted 0,
    // returned 0, refused 1 (missing_event 1), pending 0". For a shutdown message.
    std::string summary() const;
    // True once close() has been called (by the caller or the destructor).
    bool closed() const noexcept;

    // A copy of the counters (stats.h). Each counter is read atomically, but not all at the
    // same instant: the identities of stats.h hold exactly once the client is idle (after a
    // complete flush(), or after close()).
    seglog::stats stats() const;
    // The configuration in use, as validated; lives as long as the client.
    const seglog::config &config() const noexcept;
    // The rules track & co. apply (from config().redact/allow), nullptr when there are none.
    // Owned by the client.
    const seglog::redactor *redaction() const noexcept;

    // Callbacks run on the client's callback thread ("seglog-notify"), never on the worker: a
    // slow or blocking one holds up neither delivery nor close(). At most 1024 calls wait for
    // it; later ones are skipped and counted in stats().callbacks_skipped, and close() lets the
    // waiting ones run until its deadline (at least 100 ms after the worker stopped), then
    // skips the rest; one still running finishes on its thread after close() returned.
    // on_error also runs on the caller's thread for call-site rejections. Set them before the
    // first event; they must not call back into the client: an event tracked inside one (a client
    // call or a macro, on that thread) is refused as reason::reentrant_call, counted in dropped
    // and printed by the default handler.
    // Each call replaces the previous callback; an empty function removes it. An exception a
    // callback throws is caught and ignored. Without on_error, the client's errors are
    // written to stderr by the default handler (at most one line a second per reason): a client does not
    // use the handler given to set_error_handler.
    // on_delivered: once per batch answered 2xx, with its size and messageIds.
    void on_delivered(std::function<void(const delivery_info &)> fn);
    // on_error: every event not delivered (refused, evicted, failed, returned by close).
    void on_error(error_handler fn);
    // on_attempt: once per HTTP request, successful or not, with its status and duration.
    void on_attempt(std::function<void(const attempt_info &)> fn);

    // Internal: the implementation, defined in the library (not part of the API).
    struct impl;

private:
    friend class segment_sink;           // hands over records seglog serialised: no layout check needed
    friend struct detail::client_access; // attach() shares the client's profile enrichment
    std::shared_ptr<impl> impl_;
};

// Shuts logging and delivery down in the order that loses nothing, for the end of main() or the
// thread that handles SIGTERM (not inside a signal handler): first spdlog::shutdown(), which
// lets spdlog's thread pool handle every record still queued by an spdlog::async_logger (each
// event reaches its sink; a client owned only by its sinks closes as they go, with
// close_timeout), then close() on every client still open, all within `timeout` in total.
// Returns the JSON of the events those close() calls handed back (see client::close). Closing a
// client before spdlog::shutdown() instead refuses the events still in spdlog's queue, each
// reported as `closed` with a message that names this call.
SEGLOG_API std::vector<std::string> shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(5));

} // namespace seglog
