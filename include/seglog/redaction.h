#pragma once
// Redaction: what may leave the process. Rules name key paths in properties, traits and
// context and say what happens to the value there (drop, mask, hash); an allow-list lets
// only the paths it names through. Rules are applied once, while the event is serialised on
// the caller's thread, so every destination (Segment, the event file, the console rendering)
// and every error message sees only redacted values. docs/privacy.md is the reference.
//
//   cfg.redact = {seglog::redact_rule::drop("properties.email"),
//                 seglog::redact_rule::hash("traits.**.ssn"),      // HMAC-SHA256 with SEGLOG_HASH_KEY
//                 seglog::redact_rule::mask("properties.phone")};  // "[redacted]"
//   cfg.allow = {"properties.order_id", "properties.revenue"};    // everything else dropped
//
// Paths: "<section>.<key>.<key>...", section properties, traits or context; `*` matches one
// key, `**` any number of keys (none included); a leading `*`/`**` matches any section.
// Arrays are transparent: "properties.items.sku" is the sku of every element of items.

#include <seglog/export.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace seglog {

struct config;

// What a rule does to the value at its path. drop: the member is removed. mask: the value is
// replaced by the rule's replacement text. hash: the value is replaced by
// HMAC-SHA256(hash_key, value) in hex. When several rules reach one value, drop wins over
// mask, mask over hash.
enum class redact_action : std::uint8_t { drop, mask, hash };
// "drop", "mask", "hash".
SEGLOG_API const char *to_string(redact_action a) noexcept;

// The text a mask rule writes unless it names its own.
inline constexpr const char *default_mask = "[redacted]";

// One rule: a key path (syntax above) and what to do with the value there. A plain value;
// checked when a redactor is built from it (config::validate() checks the config's rules).
struct redact_rule {
    std::string path;                           // e.g. "properties.email", "traits.**.ssn"
    redact_action action = redact_action::drop; // what happens to the value
    std::string replacement = default_mask;     // mask only

    // The three kinds of rule. A hash rule needs config::hash_key (SEGLOG_HASH_KEY).
    static redact_rule drop(std::string path) { return {std::move(path), redact_action::drop, default_mask}; }
    static redact_rule mask(std::string path, std::string replacement = default_mask) {
        return {std::move(path), redact_action::mask, std::move(replacement)};
    }
    static redact_rule hash(std::string path) { return {std::move(path), redact_action::hash, default_mask}; }
    // Same path, action and replacement.
    bool operator==(const redact_rule &o) const {
        return path == o.path && action == o.action && replacement == o.replacement;
    }
};

// How many values were redacted. A member removed from an event counts once, whatever it held.
// Only events that pass every check at the call are counted (one the queue refuses later
// has been counted already).
struct redaction_counters {
    std::uint64_t dropped = 0;     // by a drop rule
    std::uint64_t masked = 0;      // replaced by a mask rule's text
    std::uint64_t hashed = 0;      // replaced by their HMAC
    std::uint64_t not_allowed = 0; // removed because the allow-list does not name them
    std::uint64_t events = 0;      // events in which at least one of the above happened
};

// Why `path` cannot be used, or "" when it is well-formed (e.g. `it has an empty key`).
// For a redact rule's path; what validate() and the config file report, without the prefix.
SEGLOG_API std::string check_redact_path(const std::string &path);
// Same for an allow-list entry (also refuses context paths: the allow-list covers
// properties and traits).
SEGLOG_API std::string check_allow_path(const std::string &path);

// An immutable, compiled set of rules; safe to share between threads. The counters are the
// only mutable state (atomics).
// attach() gives one to the demux (the macros' rules) and a client builds its own; build one
// directly to test rules or to redact a nlohmann::json the way events are redacted.
class SEGLOG_API redactor {
public:
    // Throws config_error for a malformed path, a hash rule without a key, or a mask
    // replacement that is not UTF-8. The key is never part of a message.
    // `allow`: the allow-list (check_allow_path syntax); empty means none. `hash_key`: the
    // HMAC secret of hash rules (its minimum length is config::validate()'s to check).
    redactor(std::vector<redact_rule> rules, std::vector<std::string> allow = {}, std::string hash_key = {});
    ~redactor();
    redactor(const redactor &) = delete;
    redactor &operator=(const redactor &) = delete;

    // From cfg.redact, cfg.allow and cfg.hash_key; nullptr when there is nothing to apply.
    // With no hash_key, hash rules drop instead (validate() refuses that whenever a destination
    // is in force, so it only happens when nothing leaves). Throws config_error as the
    // constructor does.
    static std::shared_ptr<const redactor> from_config(const config &cfg);

    // The redacted copy of one section's object ("properties", "traits" or "context"), as
    // every destination would see it. Throws std::invalid_argument when the object could not
    // be serialised (not valid UTF-8, NaN, too deep...).
    // Also for another section name or an `object` that is not a JSON object. Not counted in
    // counters(). The caller includes <nlohmann/json.hpp>.
    nlohmann::json apply(std::string_view section, const nlohmann::json &object) const;
    // HMAC-SHA256(key, data) as 64 lower-case hex digits: what a hash rule writes.
    std::string hash(std::string_view data) const;
    // What this redactor did so far (events serialised with it).
    redaction_counters counters() const noexcept;

    // The rules and the allow-list it was built with, as given.
    const std::vector<redact_rule> &rules() const noexcept;
    const std::vector<std::string> &allow() const noexcept;

    // Internal: the compiled rules, read by the library's serialiser; not part of the API.
    struct impl;
    const impl &internals() const noexcept { return *impl_; }

private:
    std::unique_ptr<impl> impl_;
};

// What every redactor of the process did so far.
// The sum over every redactor, including those already destroyed. Thread-safe.
SEGLOG_API redaction_counters redaction_stats() noexcept;

} // namespace seglog
