#pragma once
#include "common/text_buffer.h"

#include <string>

namespace seglog::detail {
// Appends a random UUID v4 (36 characters) from a per-thread generator that reseeds itself
// after fork(), so a child never repeats its parent's ids.
void append_message_id(text_buffer &out);
inline constexpr std::size_t message_id_chars = 36;
// The same written at buf (room for message_id_chars); returns the end.
char *put_message_id(char *buf);
} // namespace seglog::detail
