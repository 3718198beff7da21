#pragma once
// seglog: logging and Segment event tracking through one spdlog logger.
// The umbrella header: the whole public API (docs/api.md is its reference). Like every seglog
// header it includes <nlohmann/json_fwd.hpp> only; include <nlohmann/json.hpp> where you
// build or pass a nlohmann::json.

#include <seglog/attach.h>
#include <seglog/batch_destination.h>
#include <seglog/client.h>
#include <seglog/config.h>
#include <seglog/error.h>
#include <seglog/event.h>
#include <seglog/macros.h>
#include <seglog/record.h>
#include <seglog/redaction.h>
#include <seglog/scoped_context.h>
#include <seglog/sinks/demux_sink.h>
#include <seglog/sinks/file_event_sink.h>
#include <seglog/sinks/segment_sink.h>
#include <seglog/stats.h>
#include <seglog/tracking.h>
#include <seglog/typed.h>
#include <seglog/version.h>
