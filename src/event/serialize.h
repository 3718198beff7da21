#pragma once
// Serialises one Segment Spec call straight into a record buffer, validating as it writes.
// Records start with their messageId (common/record_layout.h), so the pipeline never parses
// a record again:
//   {"messageId":"<36-char uuid v4>","type":"<type>",...}

#include <seglog/error.h>
#include <seglog/event.h>
#include <seglog/redaction.h>

#include "common/record_layout.h"
#include "common/text_buffer.h"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace seglog::detail {

struct enrichment;

struct event_fields {
    event_type type = event_type::track;
    const identity *who = nullptr;     // not used by alias
    std::string_view name;             // track: event; page/screen: name (optional)
    std::string_view group_id;         // group
    std::string_view previous_id;      // alias
    std::string_view alias_user_id;    // alias
    const properties *props = nullptr; // properties (track/page/screen) or traits (identify/group)
    const call_options *opts = nullptr;
    // The time of the call (the default timestamp); zero: serialize_event reads the clock.
    std::chrono::system_clock::time_point called_at{};
};

// Writes the event into `out` (cleared first). On a validation failure returns the error
// (no property values in it) and leaves `out` unspecified. `redact`: rules applied to
// properties/traits and context while they are written (nullptr: none, the plain path).
// `enrich`: the profile's context and integrations and the health-data rule (nullptr: none);
// the thread's open scoped_context members are merged whatever it is.
std::optional<error> serialize_event(const event_fields &fields, text_buffer &out,
                                     std::size_t max_event_bytes = 32 * 1024, const redactor *redact = nullptr,
                                     const enrichment *enrich = nullptr);
// The same into a std::string (tests, tools): a copy of the record.
std::optional<error> serialize_event(const event_fields &fields, std::string &out,
                                     std::size_t max_event_bytes = 32 * 1024, const redactor *redact = nullptr,
                                     const enrichment *enrich = nullptr);

} // namespace seglog::detail
