#pragma once
// attach(): one line in an existing logger configuration. The logger's sinks are wrapped in
// a demux_sink (log lines keep flowing to them unchanged) and the event sinks for the
// configured destinations are added behind it. docs/api.md has the whole API in one place.

#include <seglog/client.h>
#include <seglog/config.h>
#include <seglog/export.h>
#include <seglog/sinks/demux_sink.h>

#include <spdlog/logger.h>

#include <memory>

namespace seglog {

// Makes `logger` carry events as well as log lines.
//
// Validates `cfg` (throws config_error), builds the event sinks for its destinations
// (segment -> segment_sink_mt, file -> file_event_sink_mt, console -> readable lines through
// the log sinks), applies cfg.tracking to the tracking switch and logs one startup line
// saying where events go (write key masked). Attaching a logger twice replaces its event
// sinks. Returns the demux, whose event_sinks() give access to e.g. the segment client.
//
// - logger: its current sinks become the demux's log sinks (levels, patterns and flush
//   behaviour unchanged); afterwards the demux is the logger's only sink. A demux already
//   there (a second attach) gives back its log sinks, so they are never wrapped twice.
// - cfg: used as it is (from_env/from_file already read the environment). The demux takes
//   cfg's redaction rules and max_event_bytes; the segment sink builds its own client from it.
// - Throws config_error when cfg does not validate, when a file destination cannot be
//   opened for appending, or when segment is a destination without a write key. Nothing is
//   changed on the logger when it throws.
// - The tracking switch is process-wide: attach() turns it on when cfg.tracking is true and
//   events have somewhere to go (an event sink, the console or echo_events_to_log), and off
//   otherwise, for every logger of the process (tracking.h).
// - Not thread-safe with respect to `logger`: call it while setting the logger up, before
//   other threads log through it (it replaces logger.sinks(), which spdlog does not lock).
// - Lifetime: the logger owns the demux, the demux owns the event sinks, a segment sink owns
//   its client (closed with cfg.close_timeout when the last owner lets go of it).
SEGLOG_API std::shared_ptr<demux_sink_mt> attach(spdlog::logger &logger, const config &cfg = config::from_env());

// The segment client behind an attached demux, or nullptr when segment is not a destination.
// Use it to flush() or close() with a timeout, read stats() or set on_error/on_delivered
// (events refused by the queue, e.g. queue_full, are reported there, not through
// set_error_handler). Shares ownership: the client stays alive while the pointer is held.
SEGLOG_API std::shared_ptr<client> segment_client(const demux_sink_mt &demux);

} // namespace seglog
