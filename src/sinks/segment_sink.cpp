#include <seglog/sinks/segment_sink.h>

#include "client/client_impl.h"

namespace seglog {

segment_sink::segment_sink(const seglog::config &cfg) : client_(std::make_shared<seglog::client>(cfg)) {}
segment_sink::segment_sink(std::shared_ptr<seglog::client> c) : client_(std::move(c)) {}

// The client serialises its own queue, so no sink-level lock is taken here.
void segment_sink::log(const spdlog::details::log_msg &msg) {
    if (is_event_record(msg)) take_record(event_json(msg));
}

// Records reach this sink only from the macros (take_record, or log() with the record mark),
// which serialised them: the client need not check their layout.
void segment_sink::take_record(std::string_view record) { client_->impl_->enqueue_serialised(record); }

void segment_sink::flush() { client_->flush_async(); }

void segment_sink::set_pattern(const std::string &) {}
void segment_sink::set_formatter(std::unique_ptr<spdlog::formatter>) {}

} // namespace seglog
