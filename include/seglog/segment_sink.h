#pragma once
// segment_sink: hands event records to a seglog::client, which batches and delivers them.
// log() only enqueues (the client's queue is bounded and never waits on the network);
// ordinary log lines are ignored.

#include <seglog/client.h>
#include <seglog/record.h>

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/sink.h>

#include <memory>
#include <mutex>

namespace seglog {

template <typename Mutex>
class segment_sink final : public spdlog::sinks::sink, public detail::record_target {
public:
    explicit segment_sink(const seglog::config &cfg) : client_(std::make_shared<seglog::client>(cfg)) {}
    explicit segment_sink(std::shared_ptr<seglog::client> c) : client_(std::move(c)) {}

    // The client serialises its own queue, so no sink-level lock is taken here.
    void log(const spdlog::details::log_msg &msg) override {
        if (is_event_record(msg)) take_record(event_json(msg));
    }
    // A record straight from the macros (see detail::record_target).
    void take_record(std::string_view record) override { client_->enqueue(record); }
    // Asks the worker to send what it holds now and returns: a logger's flush_on() must never
    // make the caller wait on the network. Use client().flush(timeout) to wait for delivery.
    void flush() override { client_->flush_async(); }
    void set_pattern(const std::string &) override {}
    void set_formatter(std::unique_ptr<spdlog::formatter>) override {}

    seglog::client &client() noexcept { return *client_; }
    const std::shared_ptr<seglog::client> &client_ptr() const noexcept { return client_; }

private:
    std::shared_ptr<seglog::client> client_;
};

using segment_sink_mt = segment_sink<std::mutex>;
using segment_sink_st = segment_sink<spdlog::details::null_mutex>;

} // namespace seglog
