#include "transport/custom_transport.h"

#include "common/text.h"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace seglog {
batch_destination::~batch_destination() = default;
} // namespace seglog

namespace seglog::detail {

struct custom_transport::shared {
    std::shared_ptr<batch_destination> dest;
    std::mutex m;
    std::condition_variable work_cv;   // the destination thread waits here for a request
    std::condition_variable answer_cv; // poll() waits here for an answer or wakeup()
    std::deque<http_request> pending;
    std::vector<http_response> answers;
    std::uint64_t running = 0; // the id of the call under way (0: none)
    bool running_abandoned = false;
    bool woken = false;
    bool stop = false;
    bool busy = false; // a call is under way
};

namespace {

http_response call(batch_destination &dest, const http_request &req) {
    destination_batch b;
    b.id = req.id;
    b.attempt = req.retry_count;
    b.body = req.body;
    b.events.reserve(req.record_sizes.size());
    std::size_t at = 10; // after {"batch":[
    for (std::size_t n : req.record_sizes) {
        b.events.push_back(b.body.substr(at, n));
        at += n + 1; // the comma
    }
    http_response r;
    r.id = req.id;
    const auto start = std::chrono::steady_clock::now();
    auto retry = [&](std::string why) {
        r.answer = destination_answer::retry;
        r.network_error = why;
        r.body = std::move(why);
    };
    try {
        destination_result got = dest.send(b);
        switch (got.what) {
        case destination_result::outcome::delivered:
            r.answer = destination_answer::delivered;
            r.status = 200;
            break;
        case destination_result::outcome::retry:
            retry(got.why.empty() ? std::string("the destination asked for a retry") : std::move(got.why));
            r.answer_delay = std::max(got.delay, std::chrono::milliseconds{0});
            break;
        case destination_result::outcome::reject:
            r.answer = destination_answer::reject;
            r.body = got.why.empty() ? std::string("no reason given") : std::move(got.why);
            break;
        }
    } catch (const std::exception &e) {
        retry(std::string("send() threw: ") + e.what());
    } catch (...) {
        retry("send() threw an exception that is not a std::exception");
    }
    r.cause = r.answer == destination_answer::retry ? network_cause::destination : network_cause::none;
    r.duration = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    r.bytes_sent = req.body.size();
    return r;
}

void serve(const std::shared_ptr<custom_transport::shared> &s) {
    ::pthread_setname_np(::pthread_self(), "seglog-dest");
    std::unique_lock<std::mutex> lock(s->m);
    for (;;) {
        s->work_cv.wait(lock, [&] { return s->stop || !s->pending.empty(); });
        if (s->stop) return;
        http_request req = std::move(s->pending.front());
        s->pending.pop_front();
        s->running = req.id;
        s->running_abandoned = false;
        s->busy = true;
        lock.unlock();
        http_response r = call(*s->dest, req);
        lock.lock();
        s->busy = false;
        if (!s->running_abandoned) s->answers.push_back(std::move(r));
        s->running = 0;
        s->answer_cv.notify_all();
    }
}

} // namespace

custom_transport::custom_transport(std::shared_ptr<batch_destination> dest, std::size_t max_in_flight)
    : s_(std::make_shared<shared>()), max_in_flight_(std::max<std::size_t>(1, max_in_flight)) {
    s_->dest = std::move(dest);
    std::thread([s = s_] { serve(s); }).detach();
}

// The thread owns a share of the state: a call under way finishes after this, its answer
// unread, and the thread ends then (stop is set).
custom_transport::~custom_transport() {
    std::lock_guard<std::mutex> lock(s_->m);
    s_->stop = true;
    s_->pending.clear();
    s_->work_cv.notify_all();
}

bool custom_transport::can_send() const { return in_flight() < max_in_flight_; }

std::size_t custom_transport::in_flight() const {
    std::lock_guard<std::mutex> lock(s_->m);
    return s_->pending.size() + (s_->busy && !s_->running_abandoned ? 1 : 0) + s_->answers.size();
}

void custom_transport::send(http_request req) {
    std::lock_guard<std::mutex> lock(s_->m);
    s_->pending.push_back(std::move(req));
    s_->work_cv.notify_one();
}

std::vector<http_response> custom_transport::poll(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(s_->m);
    s_->answer_cv.wait_for(lock, timeout, [&] { return s_->woken || !s_->answers.empty(); });
    s_->woken = false;
    std::vector<http_response> out;
    out.swap(s_->answers);
    return out;
}

void custom_transport::wakeup() {
    std::lock_guard<std::mutex> lock(s_->m);
    s_->woken = true;
    s_->answer_cv.notify_all();
}

std::vector<std::uint64_t> custom_transport::abort_all() {
    std::lock_guard<std::mutex> lock(s_->m);
    std::vector<std::uint64_t> ids;
    for (const auto &r : s_->pending) ids.push_back(r.id);
    for (const auto &r : s_->answers) ids.push_back(r.id);
    if (s_->busy && !s_->running_abandoned) ids.push_back(s_->running);
    s_->running_abandoned = true;
    s_->pending.clear();
    s_->answers.clear();
    return ids;
}

std::string destination_label(const batch_destination &d) {
    std::string name;
    try {
        name = d.name();
    } catch (...) {
        name.clear();
    }
    if (name.empty()) name = "custom destination";
    return "custom destination " + quote(name);
}

} // namespace seglog::detail
