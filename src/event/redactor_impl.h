#pragma once
// The compiled form of a redactor: every rule and allow-list path as a list of segments, matched
// as a small NFA while the serialiser walks the event (no tree is built). Shared by the redactor
// (redactor.cpp) and the writer that applies it (redact_writer.cpp).

#include <seglog/redaction.h>

#include "common/key_path.h"
#include "common/text_buffer.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace seglog::detail {

enum class section : std::uint8_t { properties = 1, traits = 2, context = 4 };

struct compiled_pattern {
    std::vector<path_segment> segments; // segments[0] is the section (or a wildcard)
    int rule = -1;                      // index into rules, or -1 for an allow-list path
};

// Per-event counts, added to the counters only when the event is accepted.
struct redaction_tally {
    std::uint32_t dropped = 0, masked = 0, hashed = 0, not_allowed = 0;
    bool any() const { return dropped || masked || hashed || not_allowed; }
};

} // namespace seglog::detail

namespace seglog {

struct SEGLOG_LOCAL redactor::impl {
    std::vector<redact_rule> rules;
    std::vector<std::string> allow;
    std::string key; // HMAC secret; never printed
    std::vector<detail::compiled_pattern> patterns;
    std::uint8_t sections = 0;    // bit set of detail::section the patterns can reach
    std::uint8_t constrained = 0; // sections under the allow-list (properties, traits)

    mutable std::atomic<std::uint64_t> dropped{0}, masked{0}, hashed{0}, not_allowed{0}, events{0};

    bool applies_to(detail::section s) const noexcept { return sections & static_cast<std::uint8_t>(s); }
    void record(const detail::redaction_tally &t) const noexcept;
    // HMAC-SHA256 hex of `data` with `key`, appended to `out`.
    void append_hash(detail::text_buffer &out, std::string_view data) const;
};

} // namespace seglog
