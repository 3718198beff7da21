#pragma once
// The delivery pipeline, usable without spdlog: validation -> bounded queue -> batcher ->
// transport (libcurl) -> retry policy -> callbacks and counters. One worker thread owns the
// network; the caller never waits on it.

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

struct flush_result {
    bool complete = false;            // everything accepted before the call was settled
    std::uint64_t pending = 0;        // events still queued or in flight at return
    explicit operator bool() const { return complete; }
};

class SEGLOG_API client {
public:
    explicit client(seglog::config cfg);
    ~client(); // close(config.close_timeout) unless already closed
    client(const client &) = delete;
    client &operator=(const client &) = delete;

    // The Segment Spec calls. Return false when the event was rejected (reported through
    // on_error and counted), true when it was accepted into the queue.
    bool track(const identity &who, std::string_view event, const properties &props = {},
               const call_options &opts = {});
    bool identify(const identity &who, const properties &traits = {}, const call_options &opts = {});
    bool page(const identity &who, std::string_view name, const properties &props = {},
              const call_options &opts = {});
    bool screen(const identity &who, std::string_view name, const properties &props = {},
                const call_options &opts = {});
    bool group(const identity &who, std::string_view group_id, const properties &traits = {},
               const call_options &opts = {});
    bool alias(std::string_view previous_id, std::string_view user_id, const call_options &opts = {});

    // Enqueue an already-serialised, validated record (what the record bridge carries): one
    // event's JSON object with a messageId string. A record whose messageId is not its first
    // member is rewritten with it first; one without a usable messageId is refused as
    // reason::invalid_record (docs/delivery.md).
    bool enqueue(std::string_view record);

    // Sends everything accepted so far and waits until it is settled or `timeout` passes.
    flush_result flush(std::chrono::milliseconds timeout);
    // Asks the worker to send the batch it is filling now, without waiting.
    void flush_async() noexcept;
    // Flushes, stops the worker and returns the JSON of every event not delivered.
    // A second call returns an empty vector.
    std::vector<std::string> close(std::chrono::milliseconds timeout);
    bool closed() const noexcept;

    seglog::stats stats() const;
    const seglog::config &config() const noexcept;
    // The rules track & co. apply (from config().redact/allow), nullptr when there are none.
    const seglog::redactor *redaction() const noexcept;

    // Callbacks run on the worker thread (on_error also on the caller's thread for call-site
    // rejections). Set them before the first event; they must not call back into the client.
    void on_delivered(std::function<void(const delivery_info &)> fn);
    void on_error(error_handler fn);
    void on_attempt(std::function<void(const attempt_info &)> fn);

    struct impl;

private:
    friend class segment_sink; // hands over records seglog serialised: no layout check needed
    std::shared_ptr<impl> impl_;
};

} // namespace seglog
