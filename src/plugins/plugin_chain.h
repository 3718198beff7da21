#pragma once
// The plugins of a config (config::plugins), sorted by stage once, and how they run: before and
// enrichment on the caller's thread, between serialisation and the queue (or the event sinks);
// after on the client's callback thread, from accounting. docs/extending.md ("Plugins").

#include <seglog/config.h>
#include <seglog/error.h>
#include <seglog/plugin.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seglog::detail {

struct plugin_chain {
    std::vector<std::shared_ptr<plugin>> before, enrich, after;
    // Exceptions caught (stats().plugin_errors): the call's and after's.
    mutable std::atomic<std::uint64_t> errors{0};

    bool at_call() const noexcept { return !before.empty() || !enrich.empty(); }
    // nullptr when cfg has no plugin (the plain path). cfg is validated already (none is null).
    static std::shared_ptr<const plugin_chain> from_config(const config &cfg);

    // Runs before, then enrichment, on `record` (one serialised event, in the record layout) and
    // writes the result into `out`, in the record layout too. Returns the error that refuses
    // the event: plugin_dropped, or what the changed event breaks (invalid_record,
    // missing_identity, invalid_utf8, event_too_large over `max_event_bytes`). A plugin's
    // exception is given to `notice` (reason::plugin_error) and counted; the event goes on.
    std::optional<error> run_at_call(std::string_view record, std::string &out, std::size_t max_event_bytes,
                                     const std::function<void(const error &)> &notice) const;

    // Each of `ids`' after plugins, with the outcome `r` (its message_id replaced per id).
    // Exceptions are given to `notice`. On the callback thread.
    void run_after(const std::vector<std::string> &ids, delivery_result r,
                   const std::function<void(const error &)> &notice) const;
};

} // namespace seglog::detail
