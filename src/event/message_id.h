#pragma once
#include <string>

namespace seglog::detail {
// Appends a random UUID v4 (36 characters) from a per-thread generator that reseeds itself
// after fork(), so a child never repeats its parent's ids.
void append_message_id(std::string &out);
} // namespace seglog::detail
