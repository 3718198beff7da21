// fork(): the child inherits the client's memory but not its worker thread. Everything the
// parent had pending belongs to the parent (sending it from the child would deliver it
// twice), so the child starts with an empty pipeline, new locks, a new transport (the
// parent's connections are left alone) and a new worker, started on first use.
#include "client/client_impl.h"

#include <pthread.h>

#include <algorithm>
#include <new>
#include <vector>

namespace seglog {

namespace detail {

namespace {

// Never destroyed: a client owned by another static (a sink in spdlog's registry, a global)
// may be destroyed after these would have been, and unregisters itself then.
std::mutex &registry_mutex() {
    static auto *m = new std::mutex();
    return *m;
}
std::vector<client::impl *> &registry() {
    static auto *r = new std::vector<client::impl *>();
    return *r;
}

void on_fork_child() {
    new (&registry_mutex()) std::mutex(); // another parent thread may have held it
    for (auto *c : registry()) c->reset_after_fork();
}

} // namespace

void register_client(client::impl *c) {
    static std::once_flag once;
    std::call_once(once, [] { pthread_atfork(nullptr, nullptr, on_fork_child); });
    std::lock_guard<std::mutex> lock(registry_mutex());
    registry().push_back(c);
}

void unregister_client(client::impl *c) {
    std::lock_guard<std::mutex> lock(registry_mutex());
    auto &r = registry();
    r.erase(std::remove(r.begin(), r.end(), c), r.end());
}

} // namespace detail

void client::impl::reset_after_fork() {
    // The worker thread does not exist here: forget its handle without joining, and leak the
    // state it may have been mutating (freeing it could crash on a half-done update, and the
    // transport's connections are the parent's).
    new (&worker) std::thread();
    (void)state.release();
    queue.reset_after_fork();
    new (&progress_mutex) std::mutex();
    new (&progress_cv) std::condition_variable();
    new (&callback_mutex) std::mutex();
    sleeping.store(false);
    flush_requested.store(false);
    in_batches_events.store(0);
    low_water.store(queue.oldest_seq());
    accepted_base = queue.last_seq();
    delivered = failed = dropped = returned = evicted = 0;
    retried = batches_sent = batches_delivered = bytes_sent = 0;
    for (auto &r : by_reason) r.store(0);
    if (!closed.load()) needs_restart.store(true);
}

void client::impl::restart_if_forked() {
    static std::mutex restart_mutex; // the child's own, taken only on its first event
    std::lock_guard<std::mutex> lock(restart_mutex);
    if (!needs_restart.load()) return;
    start_worker();
    needs_restart.store(false);
}

} // namespace seglog
