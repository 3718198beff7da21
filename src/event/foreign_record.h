#pragma once
// A record handed to client::enqueue that seglog's serialiser did not write: its members in
// another order, say. It is brought to the record layout (common/record_layout.h), members
// and values unchanged, or refused with the reason.

#include <string>
#include <string_view>

namespace seglog::detail {

// Writes `record` into `out` with its messageId first and returns "", or returns why it
// cannot be taken (not a JSON object, no usable messageId); `out` is then unspecified.
std::string relayout_record(std::string_view record, std::string &out);

} // namespace seglog::detail
