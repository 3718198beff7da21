#pragma once
// The client's insides, shared by the caller-facing methods (client.cpp) and the fork handling
// (fork.cpp). The client owns one of each stage behind it and wires them together:
// queue -> batcher (with its transport and retry policy) -> accounting.

#include <seglog/client.h>

#include "accounting/accounting.h"
#include "batcher/batcher.h"
#include "event/enrichment.h"
#include "event/serialize.h"
#include "queue/record_queue.h"
#include "spool/spool.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace seglog {

struct SEGLOG_LOCAL client::impl {
    explicit impl(seglog::config c);
    ~impl();

    bool submit(const detail::event_fields &f);
    // Any record (client::enqueue): in the record layout (common/record_layout.h), or brought
    // to it by enqueue_foreign(), or refused.
    bool enqueue(std::string_view record);
    bool enqueue_foreign(std::string_view record);
    // A record of a call (submit, client::enqueue): through the before and enrichment plugins
    // when there are some, then enqueue_serialised().
    bool enqueue_called(std::string_view record);
    // A record seglog's serialiser wrote, so in the layout: from submit() and segment_sink.
    bool enqueue_serialised(std::string_view record);
    flush_result flush(std::chrono::milliseconds timeout);
    std::vector<std::string> close(std::chrono::milliseconds timeout);
    seglog::stats snapshot() const;

    // --- the spool (client.cpp)
    void open_spool();
    void spool_trouble(const detail::record_queue::push_result &r);
    void close_spool();

    // --- fork (fork.cpp)
    void reset_after_fork();
    void restart_if_forked();

    seglog::config cfg;
    std::shared_ptr<const redactor> redaction; // applied by submit(); records from enqueue() are already redacted
    // The durable spool (cfg.spool_dir), opened in the constructor; declared before the queue,
    // which writes into it, so that it goes after it.
    std::unique_ptr<detail::spool> spool;
    // The profile's context, integrations and health-data rule, applied by submit() and shared
    // with the macros of a logger attach() wired to this client (so stats().phi_routed counts both).
    std::shared_ptr<const detail::enrichment> enrichment;
    // enrichment->plugins when it has before or enrichment plugins, else nullptr: the one
    // branch a call pays for plugins.
    const detail::plugin_chain *call_plugins = nullptr;
    detail::record_queue queue;
    detail::accounting accounting;
    detail::batcher batcher; // after cfg, queue and accounting, which it uses
    // The message of every queue_full drop, built once: a drop happens per call while the
    // collector is down, on the caller's thread.
    const std::string queue_full_message;

    // How long close() lets queued callbacks run past its deadline at most: fast ones finish,
    // a blocked one does not hold close().
    static constexpr std::chrono::milliseconds close_callback_grace{100};

    std::atomic<bool> closed{false};
    std::atomic<bool> needs_restart{false}; // set in a forked child
    // accepted is not counted apart: every accepted event takes the queue's next sequence number,
    // so it is queue.last_seq() - accepted_base (one atomic less on the caller's path).
    std::uint64_t accepted_base = 0; // last_seq() when the counts were reset (fork)
    std::uint64_t spool_recovered = 0, spool_corrupt = 0;
    std::atomic<std::uint64_t> spool_unspooled{0}, spool_left{0};
    std::uint64_t phi_routed_base = 0;    // enrichment->phi_routed then
    std::uint64_t plugin_errors_base = 0; // enrichment->plugins->errors then
};

namespace detail {
struct client_access {
    static client::impl &of(const client &c) noexcept { return *c.impl_; }
};
void register_client(client::impl *c);
void unregister_client(client::impl *c);
// Runs `fn` for every client alive in this process, under the registry's lock.
void for_each_client(const std::function<void(client::impl &)> &fn);
} // namespace detail

} // namespace seglog
