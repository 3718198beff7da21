#pragma once
// The callbacks of delivery (on_delivered, on_attempt, on_error for failed and returned
// events) run here, on a thread of their own ("seglog-notify"), never on the worker: a slow or
// blocking callback must not stop delivery, nor hold close() past its deadline.
//
// What waits for that thread is bounded: at most max_waiting notifications; one more is
// skipped and counted (stats().callbacks_skipped), the counters still count every event.
// stop() lets what is queued run until its deadline, then skips the rest; a callback still
// running then finishes on its thread, which ends alone (it owns the state it needs).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace seglog::detail {

class notifier {
public:
    using clock = std::chrono::steady_clock;
    static constexpr std::size_t max_waiting = 1024;

    notifier() = default;
    notifier(const notifier &) = delete;
    notifier &operator=(const notifier &) = delete;
    ~notifier();

    void start();
    // Queues `fn` for the notify thread; false (and counted) when max_waiting already wait.
    bool post(std::function<void()> fn);
    // Waits until everything posted before this call has run, or `deadline`.
    bool wait_done(clock::time_point deadline);
    // Runs what is queued until `deadline`, skips (and counts) what is left, and lets the
    // thread go. Later posts are skipped.
    void stop(clock::time_point deadline);
    std::uint64_t skipped() const;
    // After fork() in the child: the thread does not exist here; forget it (and leak its
    // state, which it may have been changing). start() begins anew.
    void reset_after_fork();

private:
    struct state {
        std::mutex m;
        std::condition_variable cv;
        std::deque<std::function<void()>> waiting;
        std::uint64_t posted = 0, done = 0;
        bool stopping = false;
        std::uint64_t skipped = 0;
    };
    static void run(std::shared_ptr<state> st);

    std::shared_ptr<state> st_;
    std::thread thread_;
};

} // namespace seglog::detail
