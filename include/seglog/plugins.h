#pragma once
// The plugins that come with seglog (docs/extending.md, "Plugins"): sampling of a named event
// and dropping events by name pattern. Both are before plugins, stateless and thread-safe.

#include <seglog/export.h>
#include <seglog/plugin.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace seglog {

// Keeps 1 in `keep_one_in` of the track events named `event` (exact name), drops the rest as
// plugin_dropped ("sampled out: 1 in N kept"). Other events pass untouched.
// The decision is a function of the messageId alone: an event is kept when the 64-bit FNV-1a
// hash of its messageId's bytes, modulo N, is 0. So a retried or replayed event (same
// messageId) gets the same decision in every process, and about 1/N of random ids are kept.
// Throws config_error for an empty name or N == 0 (N == 1 keeps everything).
SEGLOG_API std::shared_ptr<plugin> sample_event(std::string event, std::uint64_t keep_one_in);

// Drops every event whose name (track: event; page/screen: name; others have none and pass)
// matches the glob `pattern`, as fnmatch(3) matches without flags: `*` any run of characters,
// `?` one character, `[...]` a set; case-sensitive ("Debug *" drops "Debug cache miss").
// Reason "name matches \"<pattern>\"". Throws config_error for an empty pattern.
SEGLOG_API std::shared_ptr<plugin> drop_events_matching(std::string pattern);

// The hash sample_event() decides with: 64-bit FNV-1a of `message_id`'s bytes.
SEGLOG_API std::uint64_t sampling_hash(std::string_view message_id) noexcept;

} // namespace seglog
