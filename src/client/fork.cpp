// fork(): the child inherits the client's memory but not its worker thread. Everything the
// parent had pending belongs to the parent (sending it from the child would deliver it
// twice), so the child starts with an empty pipeline, new locks, a new transport (the
// parent's connections are left alone) and a new worker, started on first use.
#include "client/client_impl.h"

#include <pthread.h>

#include <algorithm>
#include <functional>
#include <mutex>
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

void for_each_client(const std::function<void(client::impl &)> &fn) {
    std::lock_guard<std::mutex> lock(registry_mutex());
    for (auto *c : registry()) fn(*c);
}

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
    // The spool is the parent's (its lock, its mappings, which the child does not even
    // inherit): the child runs without one. Leaked on purpose, like the parent's queue state.
    if (spool) spool.release()->abandon_after_fork();
    spool_recovered = spool_corrupt = 0;
    spool_unspooled.store(0);
    spool_left.store(0);
    queue.reset_after_fork();
    batcher.reset_after_fork(); // after the queue: its progress starts from the queue's
    accounting.reset_after_fork();
    accepted_base = queue.last_seq();
    if (enrichment) phi_routed_base = enrichment->phi_routed.load(std::memory_order_relaxed);
    if (enrichment && enrichment->plugins)
        plugin_errors_base = enrichment->plugins->errors.load(std::memory_order_relaxed);
    if (!closed.load()) needs_restart.store(true);
}

void client::impl::restart_if_forked() {
    static std::mutex restart_mutex; // the child's own, taken only on its first event
    std::lock_guard<std::mutex> lock(restart_mutex);
    if (!needs_restart.load()) return;
    batcher.start();
    needs_restart.store(false);
}

} // namespace seglog
