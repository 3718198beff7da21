#pragma once
// The layout of every record past the call: a JSON object whose first member is its
// messageId, a plain string (no escapes, at most max_message_id_bytes):
//
//   {"messageId":"<id>",...}
//
// The serialiser writes records so, and client::enqueue brings any other record to it or
// refuses it, so the stages after the call (queue, batcher, accounting, close()) find an
// event's id without parsing the record.

#include <cstddef>
#include <cstring>
#include <string_view>

namespace seglog::detail {

inline constexpr std::string_view record_head = "{\"messageId\":\"";
// Segment's limit on a messageId ("under 100 characters").
inline constexpr std::size_t max_message_id_bytes = 100;

// The messageId of a record in the layout above; "" for a record that is not in it (which
// then has no id that could be taken without parsing it).
inline std::string_view record_message_id(std::string_view record) noexcept {
    if (record.size() <= record_head.size() || record.compare(0, record_head.size(), record_head) != 0) return {};
    const char *id = record.data() + record_head.size();
    const std::size_t room = record.size() - record_head.size();
    const std::size_t scan = room < max_message_id_bytes + 1 ? room : max_message_id_bytes + 1;
    const auto *end = static_cast<const char *>(std::memchr(id, '"', scan));
    if (!end || end == id) return {};
    const std::string_view v(id, static_cast<std::size_t>(end - id));
    // An escape means the quote found may be part of the id: not a plain id, not this layout.
    return v.find('\\') == std::string_view::npos ? v : std::string_view{};
}

} // namespace seglog::detail
