#pragma once
// attach(): one line in an existing logger configuration. The logger's sinks are wrapped in
// a demux_sink (log lines keep flowing to them unchanged) and the event sinks for the
// configured destinations are added behind it.

#include <seglog/client.h>
#include <seglog/config.h>
#include <seglog/export.h>
#include <seglog/sinks/demux_sink.h>

#include <spdlog/logger.h>

#include <memory>

namespace seglog {

// Validates `cfg` (throws config_error), builds the event sinks for its destinations
// (segment -> segment_sink_mt, file -> file_event_sink_mt, console -> readable lines through
// the log sinks), applies cfg.tracking to the tracking switch and logs one startup line
// saying where events go (write key masked). Attaching a logger twice replaces its event
// sinks. Returns the demux, whose event_sinks() give access to e.g. the segment client.
SEGLOG_API std::shared_ptr<demux_sink_mt> attach(spdlog::logger &logger, const config &cfg = config::from_env());

// The segment client behind an attached demux, or nullptr when segment is not a destination.
SEGLOG_API std::shared_ptr<client> segment_client(const demux_sink_mt &demux);

} // namespace seglog
