#pragma once
#include "common/text_buffer.h"

#include <chrono>
#include <string>

namespace seglog::detail {
// Appends `t` as YYYY-MM-DDTHH:MM:SS.mmmZ (UTC), the form Segment expects for timestamp and
// sentAt. The date part is cached per thread and recomputed once a second.
void append_iso8601(text_buffer &out, std::chrono::system_clock::time_point t);
inline constexpr std::size_t iso8601_chars = 24;
// The same written at p (room for iso8601_chars); returns the end.
char *put_iso8601(char *p, std::chrono::system_clock::time_point t);
std::string iso8601(std::chrono::system_clock::time_point t);
} // namespace seglog::detail
