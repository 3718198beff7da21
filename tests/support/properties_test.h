#pragma once
// Shared by the properties suites: one call serialised by seglog, and what nlohmann::json makes
// of the same braces.
//
// Byte-for-byte comparisons use nlohmann::ordered_json, which keeps keys in the order written
// and, for a repeated key, the first value, as seglog does. Its dump() differs from seglog's
// record only in how it writes a double with an integral value (1.0 where seglog writes 1), so
// those cases are compared as parsed JSON instead. nlohmann::json (keys sorted) is compared as
// parsed JSON, where only the key order differs.

#include <doctest/doctest.h>

#include "event/serialize.h"

#include <seglog/event.h>
#include <seglog/redaction.h>
#include <seglog/version.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace seglog_test {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

struct serialised {
    std::string record;
    std::optional<seglog::error> err;
    json parsed() const { return json::parse(record); }
};

// One call of `type` (track, identify, group, page or screen); `p` is the properties or traits.
inline serialised serialise(seglog::event_type type, const seglog::properties &p, const seglog::call_options &o = {},
                            const seglog::redactor *r = nullptr, std::size_t max_bytes = 32 * 1024) {
    static const seglog::identity who = seglog::user("u-42");
    seglog::detail::event_fields f{type, &who, {}, {}, {}, {}, &p, &o};
    if (type == seglog::event_type::group) f.group_id = "org-7";
    else if (type != seglog::event_type::identify) f.name = "Order Completed";
    serialised s;
    s.err = seglog::detail::serialize_event(f, s.record, max_bytes, r);
    return s;
}

inline std::string library_member() {
    return std::string(R"("library":{"name":"seglog","version":")") + seglog::version + "\"}";
}

// The end of a record whose context and integrations the caller did not set.
inline std::string default_tail() { return ",\"context\":{" + library_member() + "},\"integrations\":{}}"; }

// The context seglog writes for a caller's context `c`: its members (context.library left
// out), then seglog's library.
inline std::string context_text(ojson c) {
    c.erase("library");
    c["library"] = {{"name", "seglog"}, {"version", seglog::version}};
    return c.dump();
}

inline bool ends_with(std::string_view s, std::string_view tail) {
    return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

} // namespace seglog_test

// The braces given to seglog as properties (track) and to nlohmann::ordered_json and
// nlohmann::json: the record ends with the very bytes ordered_json dumps, and parses to what
// nlohmann::json holds.
#define CHECK_PROPERTIES_LIKE_NLOHMANN(...)                                                                            \
    do {                                                                                                               \
        const auto s_ = seglog_test::serialise(seglog::event_type::track, __VA_ARGS__);                                \
        REQUIRE_FALSE(s_.err);                                                                                         \
        const std::string expected_ = "\"properties\":" + seglog_test::ojson(__VA_ARGS__).dump() +                     \
                                      seglog_test::default_tail();                                                     \
        INFO("record:   " << s_.record);                                                                               \
        INFO("expected: ..." << expected_);                                                                            \
        CHECK(seglog_test::ends_with(s_.record, expected_));                                                           \
        CHECK(s_.parsed().at("properties") == seglog_test::json(__VA_ARGS__));                                         \
    } while (0)
