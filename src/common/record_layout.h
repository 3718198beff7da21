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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace seglog::detail {

inline constexpr std::string_view record_head = "{\"messageId\":\"";
// Segment's limit on a messageId ("under 100 characters").
inline constexpr std::size_t max_message_id_bytes = 100;

namespace record_layout_internal {
// Whether none of the 36 bytes at p is a quote or a backslash.
inline bool plain_36(const char *p) noexcept {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    auto hits = [&](const char *at) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(at));
        return _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)));
    };
    return (hits(p) | hits(p + 16) | hits(p + 20)) == 0;
#else
    return !std::memchr(p, '"', 36) && !std::memchr(p, '\\', 36);
#endif
}
} // namespace record_layout_internal

// The messageId of a record in the layout above; "" for a record that is not in it (which
// then has no id that could be taken without parsing it).
inline std::string_view record_message_id(std::string_view record) noexcept {
    if (record.size() <= record_head.size() || std::memcmp(record.data(), record_head.data(), record_head.size()) != 0)
        return {};
    const char *id = record.data() + record_head.size();
    // The usual case first: the serialiser's 36-character UUID.
    if (record.size() > record_head.size() + 36 && id[36] == '"' && record_layout_internal::plain_36(id))
        return {id, 36};
    const std::size_t room = record.size() - record_head.size();
    const std::size_t scan = room < max_message_id_bytes + 1 ? room : max_message_id_bytes + 1;
    const auto *end = static_cast<const char *>(std::memchr(id, '"', scan));
    if (!end || end == id) return {};
    const std::string_view v(id, static_cast<std::size_t>(end - id));
    // An escape means the quote found may be part of the id: not a plain id, not this layout.
    return v.find('\\') == std::string_view::npos ? v : std::string_view{};
}

} // namespace seglog::detail
