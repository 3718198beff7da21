#pragma once
// Matching key paths (common/key_path.h) against the keys of an event as they are walked: each
// path is a small NFA whose states are (path, position). Redaction (redact_writer.cpp) and the
// health-data rule (enrichment.cpp) walk events with the same steps.

#include "event/redactor_impl.h"

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace seglog::detail {

// (pattern, position): the pattern has matched the keys before `position`.
using path_state = std::pair<std::uint16_t, std::uint16_t>;
using path_states = std::vector<path_state>;

// Adds (p, i) and, since `**` also matches no key at all, the positions after each `**`.
void add_path_state(const std::vector<compiled_pattern> &patterns, path_states &to, std::uint16_t p, std::uint16_t i);
// The states after one more key.
void step_path_states(const std::vector<compiled_pattern> &patterns, const path_states &from, std::string_view key,
                      path_states &to);

} // namespace seglog::detail
