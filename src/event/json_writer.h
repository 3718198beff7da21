#pragma once
// A JSON writer that appends to a std::string and validates as it goes: strings must be valid
// UTF-8 (control characters and NUL are escaped), numbers must be finite. Used on the
// caller's hot path, so it allocates nothing beyond the output buffer's growth.

#include <seglog/error.h>
#include <seglog/event.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace seglog::detail {

// Appends `s` as a quoted JSON string. Returns false (leaving `out` partly written) when `s`
// is not valid UTF-8.
bool append_json_string(std::string &out, std::string_view s);
void append_int(std::string &out, std::int64_t v);
void append_uint(std::string &out, std::uint64_t v);
// Returns false for NaN and infinities, which JSON cannot carry.
bool append_double(std::string &out, double v);

// Limits on nested data from a nlohmann::json value (an attacker-sized tree must not exhaust
// the stack or the memory of the service).
inline constexpr int max_json_depth = 32;

// Outcome of writing a value: the reason it failed and the key it failed at.
struct write_failure {
    seglog::reason code;
    std::string key; // dotted path of the offending key, e.g. "properties.items.2"; no values
};

class json_writer {
public:
    explicit json_writer(std::string &out) : out_(out) {}
    // Each returns false after recording the failure (see failure()); the failing key's path
    // is built on the way out, one segment per level, so success costs nothing.
    bool write(const value &v);
    bool write(const nlohmann::json &j, int depth = 0);
    // Writes the members of an object (without braces), comma-separated, starting with a comma
    // when `leading_comma`. `skip_key` omits one member (used to keep context.library ours).
    bool write_members(const properties &p, bool leading_comma = false);
    bool write_members(const nlohmann::json &obj, bool leading_comma, std::string_view skip_key = {},
                       int depth = 0);
    bool key(std::string_view k);

    const write_failure &failure() const { return failure_; }
    // Prefixes the failing key's path with `segment` (e.g. "properties").
    bool prepend(std::string_view segment);

private:
    bool fail(seglog::reason r);
    std::string &out_;
    write_failure failure_{seglog::reason::invalid_utf8, {}};
};

} // namespace seglog::detail
