#pragma once
// The layout of every record past the call: a JSON object whose first member is its
// messageId, 36 characters:  {"messageId":"<id>",...}  so the id is bytes [14, 50).

#include <cstddef>
#include <cstring>
#include <string_view>

namespace seglog::detail {

inline constexpr std::size_t message_id_offset = 14;
inline constexpr std::size_t message_id_length = 36;
inline std::string_view record_message_id(std::string_view record) {
    return record.size() >= message_id_offset + message_id_length
               ? record.substr(message_id_offset, message_id_length)
               : std::string_view{};
}

} // namespace seglog::detail
