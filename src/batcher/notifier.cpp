#include "batcher/notifier.h"

#include <pthread.h>

#include <new>

namespace seglog::detail {

notifier::~notifier() {
    if (thread_.joinable()) stop(clock::now());
}

void notifier::start() {
    st_ = std::make_shared<state>();
    thread_ = std::thread(run, st_);
}

void notifier::run(std::shared_ptr<state> st) {
    ::pthread_setname_np(::pthread_self(), "seglog-notify");
    std::unique_lock<std::mutex> lock(st->m);
    for (;;) {
        st->cv.wait(lock, [&] { return !st->waiting.empty() || st->stopping; });
        if (st->waiting.empty()) return;
        std::function<void()> fn = std::move(st->waiting.front());
        st->waiting.pop_front();
        lock.unlock();
        try {
            fn();
        } catch (...) {
            // A throwing callback must not end the thread that runs the others.
        }
        fn = nullptr; // what it captured is freed outside the lock
        lock.lock();
        ++st->done;
        st->cv.notify_all();
    }
}

bool notifier::post(std::function<void()> fn) {
    if (!st_) return false;
    std::lock_guard<std::mutex> lock(st_->m);
    if (st_->stopping || st_->waiting.size() >= max_waiting) {
        ++st_->skipped;
        return false;
    }
    st_->waiting.push_back(std::move(fn));
    ++st_->posted;
    st_->cv.notify_all();
    return true;
}

bool notifier::wait_done(clock::time_point deadline) {
    if (!st_) return true;
    std::unique_lock<std::mutex> lock(st_->m);
    const std::uint64_t target = st_->posted;
    return st_->cv.wait_until(lock, deadline, [&] { return st_->done >= target; });
}

void notifier::stop(clock::time_point deadline) {
    if (!thread_.joinable()) return;
    bool finished = false;
    {
        std::unique_lock<std::mutex> lock(st_->m);
        st_->stopping = true;
        st_->cv.notify_all();
        finished = st_->cv.wait_until(lock, deadline, [&] { return st_->done == st_->posted; });
        if (!finished) {
            st_->skipped += st_->waiting.size();
            st_->done += st_->waiting.size();
            st_->waiting.clear();
        }
    }
    if (finished) thread_.join();
    else thread_.detach(); // busy in a callback: it ends after it, and owns its state
}

std::uint64_t notifier::skipped() const {
    if (!st_) return 0;
    std::lock_guard<std::mutex> lock(st_->m);
    return st_->skipped;
}

void notifier::reset_after_fork() {
    new (&thread_) std::thread();
    new (&st_) std::shared_ptr<state>();
}

} // namespace seglog::detail
