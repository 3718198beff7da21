#pragma once
// What the serialiser adds to every event beyond the call: the profile's context and
// integrations, the health-data rule (config::context, integrations, phi_paths,
// phi_integrations; docs/privacy.md) and the thread's open scoped_context members.

#include <seglog/config.h>
#include <seglog/event.h>
#include <seglog/scoped_context.h>

#include "event/redactor_impl.h"
#include "plugins/plugin_chain.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace seglog::detail {

// An object's members kept twice: as a tree, walked when a rule reaches them (redaction, the
// health-data paths), and as ready text ("key":value), copied as bytes by the usual event.
struct object_members {
    nlohmann::json object = nlohmann::json::object();
    std::vector<std::pair<std::string, std::string>> members; // key, "\"key\":value"

    object_members() = default;
    // `obj` must be an object; a member named `skip_key` is left out.
    explicit object_members(nlohmann::json obj, std::string_view skip_key = {});
    bool empty() const noexcept { return members.empty(); }
};

struct enrichment {
    object_members context;      // config::context
    object_members integrations; // config::integrations
    std::vector<compiled_pattern> phi_patterns;
    object_members phi_integrations;
    // Events sent with phi_integrations (stats().phi_routed).
    mutable std::atomic<std::uint64_t> phi_routed{0};

    // config::plugins (nullptr: none). Carried here because the enrichment is what the client
    // shares with the macros of the loggers attach() wires to it: both paths run the same chain.
    std::shared_ptr<const plugin_chain> plugins;
    // Whether cfg sets context, integrations or phi paths: without, the serialiser takes its
    // plain path, whatever the plugins.
    bool profile = false;

    bool has_phi() const noexcept { return !phi_patterns.empty(); }
    // nullptr when cfg sets none of them nor a plugin (the plain path). cfg is validated already.
    static std::shared_ptr<const enrichment> from_config(const config &cfg);
};

// Whether `p` (the members of `sec`) holds a key at one of `patterns`' paths, whatever its value.
bool carries_path(const std::vector<compiled_pattern> &patterns, section sec, const properties &p);
bool carries_path(const std::vector<compiled_pattern> &patterns, section sec, const nlohmann::json &object);

// The innermost scoped_context open on this thread (nullptr: none). Defined with the serialiser,
// whose read of it is the whole cost of scopes when none is open.
const scoped_context *&open_scope() noexcept;

} // namespace seglog::detail
