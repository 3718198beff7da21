#pragma once
// segment_sink: hands event records to a seglog::client, which batches and delivers them.
// log() only enqueues (the client's queue is bounded and never waits on the network);
// ordinary log lines are ignored.
//
// One class serves as segment_sink_mt and segment_sink_st: the sink holds nothing but the
// client, which is thread-safe on its own (its queue is sharded, each shard with its own
// short lock), so a sink-level mutex would only serialise callers for no gain. The two
// aliases stay for symmetry with spdlog's sinks and the other seglog sinks.

#include <seglog/client.h>
#include <seglog/export.h>
#include <seglog/record.h>

#include <spdlog/sinks/sink.h>

#include <memory>
#include <string>
#include <string_view>

namespace seglog {

// An event sink (give it to a demux_sink, or let attach() make one for the segment
// destination). A record the client refuses (queue_full, closed, event_too_large) is reported
// to the client's on_error and counted in its stats(), not thrown. The sink shares ownership
// of its client: the client is closed (close_timeout) when its last owner lets go.
class SEGLOG_API segment_sink final : public spdlog::sinks::sink, public detail::record_target {
public:
    // A client of its own, built from `cfg` (throws config_error, e.g. without a write key).
    explicit segment_sink(const seglog::config &cfg);
    // A client shared with other sinks or with direct calls.
    // `c` must not be null.
    explicit segment_sink(std::shared_ptr<seglog::client> c);

    // Enqueues an event record on the client; ignores every other line. Never waits on the
    // network (only overflow_policy::block waits, at most block_timeout).
    void log(const spdlog::details::log_msg &msg) override;
    // A record straight from the macros (see detail::record_target).
    void take_record(std::string_view record) override;
    // Asks the worker to send what it holds now and returns: a logger's flush_on() must never
    // make the caller wait on the network. Use client().flush(timeout) to wait for delivery.
    void flush() override;
    // Do nothing: records are sent as JSON, never through a pattern.
    void set_pattern(const std::string &pattern) override;
    void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

    // The client, to flush, close, read stats() or set callbacks.
    seglog::client &client() noexcept { return *client_; }
    const std::shared_ptr<seglog::client> &client_ptr() const noexcept { return client_; }

private:
    std::shared_ptr<seglog::client> client_;
};

// The same class: see above.
using segment_sink_mt = segment_sink;
using segment_sink_st = segment_sink;

} // namespace seglog
