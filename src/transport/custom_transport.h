#pragma once
// The transport behind config::custom_destination: each request is a call to the user's
// batch_destination::send() on a thread of its own ("seglog-dest"), so that the worker never
// runs user code: a slow destination holds only the batches handed to it (at most
// max_in_flight), and a throwing one answers a retry. Calls are made one at a time, in order.
//
// The thread and what it touches live in a shared state: at destruction a call still under way
// (close() gave up on it) finishes on its own, detached, and its answer is dropped.

#include "transport/transport.h"

#include <seglog/batch_destination.h>

#include <memory>

namespace seglog::detail {

class custom_transport final : public batch_transport {
public:
    custom_transport(std::shared_ptr<batch_destination> dest, std::size_t max_in_flight);
    ~custom_transport() override;
    custom_transport(const custom_transport &) = delete;
    custom_transport &operator=(const custom_transport &) = delete;

    bool can_send() const override;
    std::size_t in_flight() const override;
    void send(http_request req) override;
    std::vector<http_response> poll(std::chrono::milliseconds timeout) override;
    void wakeup() override;
    std::vector<std::uint64_t> abort_all() override;
    bool wants_record_sizes() const override { return true; }
    bool takes_probes() const override { return false; }

    struct shared;

private:
    std::shared_ptr<shared> s_;
    std::size_t max_in_flight_;
};

// How messages name a destination: `custom destination "<name()>"`, whatever name() does.
std::string destination_label(const batch_destination &d);

} // namespace seglog::detail
