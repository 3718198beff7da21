#pragma once
// A custom destination for the tests (seglog::batch_destination): it forwards each batch to the
// loopback collector over its own HTTP client, as a user's destination for an internal HTTP
// endpoint would, and maps the answer: 2xx delivered, 429/5xx or no answer retry, any other
// reject with the status and body. X-Retry-Count carries the attempt, so reconcile() checks the
// books as for Segment's transport. `before` may answer a call first (nothing is forwarded then).

#include "bounds.h"
#include "collector.h"

#include <httplib.h>

#include <seglog/batch_destination.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace seglog_test {

class forwarding_destination : public seglog::batch_destination {
public:
    struct call {
        std::uint64_t id = 0;
        int attempt = 0;
        std::string body;
        std::vector<std::string> events;
        std::chrono::steady_clock::time_point at;
    };
    using hook = std::function<std::optional<seglog::destination_result>(const seglog::destination_batch &)>;

    explicit forwarding_destination(const seglog::loopback::collector &c, hook before = {})
        : cli_(c.url()), before_(std::move(before)) {
        cli_.set_tcp_nodelay(true);
    }

    seglog::destination_result send(const seglog::destination_batch &b) override {
        record(b);
        if (before_)
            if (auto r = before_(b)) return *r;
        httplib::Headers h;
        if (b.attempt > 0) h.emplace("X-Retry-Count", std::to_string(b.attempt));
        auto res = cli_.Post("/v1/batch", h, std::string(b.body), "application/json");
        if (!res) return seglog::destination_result::retry("no answer: " + httplib::to_string(res.error()));
        if (res->status >= 200 && res->status < 300) return seglog::destination_result::delivered();
        if (res->status == 429 || res->status >= 500)
            return seglog::destination_result::retry("HTTP " + std::to_string(res->status));
        return seglog::destination_result::reject("HTTP " + std::to_string(res->status) + ": " + res->body);
    }
    std::string name() const override { return "forwarder"; }

    std::vector<call> calls() const {
        std::lock_guard<std::mutex> lk(m_);
        return calls_;
    }
    std::size_t events_seen() const {
        std::size_t n = 0;
        for (const auto &c : calls()) n += c.events.size();
        return n;
    }

private:
    void record(const seglog::destination_batch &b) {
        call c{b.id, b.attempt, std::string(b.body), {}, std::chrono::steady_clock::now()};
        for (auto e : b.events) c.events.emplace_back(e);
        std::lock_guard<std::mutex> lk(m_);
        calls_.push_back(std::move(c));
    }

    httplib::Client cli_; // used on the destination thread only
    hook before_;
    mutable std::mutex m_;
    std::vector<call> calls_;
};

// A gate a destination's send() waits at until the test opens it: a destination that hangs.
class gate {
public:
    void wait() {
        std::unique_lock<std::mutex> lk(m_);
        ++waiting_;
        cv_.notify_all();
        cv_.wait(lk, [&] { return open_; });
    }
    bool wait_for_waiter() {
        std::unique_lock<std::mutex> lk(m_);
        return cv_.wait_for(lk, k_bound, [&] { return waiting_ > 0; });
    }
    void open() {
        std::lock_guard<std::mutex> lk(m_);
        open_ = true;
        cv_.notify_all();
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    int waiting_ = 0;
    bool open_ = false;
};

} // namespace seglog_test
