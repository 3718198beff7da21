#include "delivery.h"

#include <algorithm>
#include <cstdio>

namespace seglog::tools {

delivery_watch::delivery_watch(seglog::client &c) : client_(c) {
    client_.on_error([this](const seglog::error &e) {
        std::lock_guard<std::mutex> lk(mutex_);
        const std::string name = seglog::to_string(e.code);
        if (std::this_thread::get_id() == caller_) { // refused at the call: the caller says which line
            refusal_ = name + ": " + e.message;
            return;
        }
        switch (e.code) {
        case reason::delivery_delayed:
        case reason::spool_error: last_problem_ = name + ": " + e.message; return;
        case reason::config_error:
            if (e.message_ids.empty()) { // the notice of a refused key or certificate: said once, at once
                last_problem_ = name + ": " + e.message;
                configuration_refused_ = true;
                return;
            }
            break;
        case reason::undelivered_at_close: return; // counted from stats().returned, with last_problem() as the reason
        default: break;
        }
        failures_.emplace(name, e.message);
    });
}

void delivery_watch::wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                                std::chrono::steady_clock::now());
        if (left.count() <= 0 || configuration_refused()) return;
        if (client_.flush(std::min(left, std::chrono::milliseconds(100)))) return;
    }
}

std::string delivery_watch::take_refusal() {
    std::lock_guard<std::mutex> lk(mutex_);
    std::string r;
    r.swap(refusal_);
    return r;
}

std::map<std::string, std::string> delivery_watch::failures() const {
    std::lock_guard<std::mutex> lk(mutex_);
    return failures_;
}

std::string delivery_watch::last_problem() const {
    std::lock_guard<std::mutex> lk(mutex_);
    return last_problem_;
}

bool delivery_watch::configuration_refused() const {
    std::lock_guard<std::mutex> lk(mutex_);
    return configuration_refused_;
}

void print_failures(const seglog::stats &s, const delivery_watch &watch) {
    const auto failures = watch.failures();
    for (reason r :
         {reason::rejected, reason::unauthorized, reason::retries_exhausted, reason::config_error, reason::io_error}) {
        const auto count = s.by_reason[static_cast<int>(r)];
        if (!count) continue;
        const auto f = failures.find(to_string(r));
        std::printf("  %s %llu: %s\n", to_string(r), static_cast<unsigned long long>(count),
                    f == failures.end() ? "" : f->second.c_str());
    }
}

} // namespace seglog::tools
