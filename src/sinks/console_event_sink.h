#pragma once
// The console destination: each event as one readable line on the process's standard output,
// and nowhere else (never into the logger's file or other log sinks).

#include <spdlog/common.h>

#include <memory>

namespace seglog::detail {
namespace plan {
class gate;
} // namespace plan
// An event sink for a demux: event records rendered by render_event_line() and written to
// stdout through spdlog's stdout color sink, whose console lock keeps each line whole among the
// lines of the process's other console sinks. Ordinary log lines are ignored. Thread-safe.
// With `plan`, each event is checked against the tracking plan before it is shown.
spdlog::sink_ptr make_console_event_sink(std::shared_ptr<const plan::gate> plan = nullptr);
} // namespace seglog::detail
