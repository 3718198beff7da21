#pragma once
// Shared by the event suites (tests/event_*_test.cpp): one call serialised by seglog, the checks
// every record passes, and a logger whose demux keeps what it routes.

#include "collecting_sink.h"

#include <doctest/doctest.h>

#include "common/timestamp.h"
#include "event/serialize.h"

#include <seglog/demux_sink.h>
#include <seglog/error.h>
#include <seglog/event.h>
#include <seglog/version.h>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seglog_test {

using nlohmann::json;
using seglog::event_type;
using seglog::reason;
using seglog::detail::event_fields;

struct outcome {
    std::string record;
    std::optional<seglog::error> err;
};

inline outcome serialize(const event_fields &f, std::size_t max_bytes = 32 * 1024) {
    outcome o;
    o.err = seglog::detail::serialize_event(f, o.record, max_bytes);
    return o;
}

inline outcome track(const seglog::identity &who, std::string_view name, const seglog::properties &p = {},
                     const seglog::call_options &opts = {}) {
    return serialize({event_type::track, &who, name, {}, {}, {}, &p, &opts});
}

// One call of any type. `arg` is the event or page/screen name, or the groupId. Properties
// are borrowed (seglog::properties must not outlive the full expression that built it), so
// braced lists are passed straight through, as at a real call site.
inline outcome call(event_type type, const seglog::identity &who, std::string_view arg,
                    const seglog::properties &p = {}, const seglog::call_options &opts = {}) {
    event_fields f{type, &who, {}, {}, {}, {}, &p, &opts};
    if (type == event_type::group) f.group_id = arg;
    else f.name = arg;
    return serialize(f);
}

inline bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

inline bool is_uuid_v4(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return false;
        } else if (!is_hex(s[i])) {
            return false;
        }
    }
    return s[14] == '4' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

inline bool is_iso8601_ms(std::string_view s) {
    // YYYY-MM-DDTHH:MM:SS.mmmZ
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (s.size() != sizeof shape - 1) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i]) return false;
    }
    return true;
}

inline std::string ms_floor_iso(std::chrono::system_clock::time_point t) {
    return seglog::detail::iso8601(std::chrono::time_point_cast<std::chrono::milliseconds>(t));
}

// Checks the fields every record has and returns the parsed record with messageId and
// timestamp removed, ready to compare with the expected per-call fields.
inline json check_common(const std::string &record, const char *type, std::chrono::system_clock::time_point before,
                         std::chrono::system_clock::time_point after) {
    REQUIRE(record.size() > 60);
    CHECK(record.substr(0, 14) == "{\"messageId\":\"");
    const std::string id = record.substr(14, 36);
    CHECK(is_uuid_v4(id));
    CHECK(seglog::detail::record_message_id(record) == id);
    CHECK(record.substr(50, 10 + std::string(type).size()) == std::string("\",\"type\":\"") + type);

    json j = json::parse(record);
    REQUIRE(j.is_object());
    CHECK(j.at("messageId") == id);
    CHECK(j.at("type") == type);
    const std::string ts = j.at("timestamp").get<std::string>();
    CHECK(is_iso8601_ms(ts));
    // Same fixed-width format: lexicographic order is chronological order.
    CHECK(ts >= ms_floor_iso(before));
    CHECK(ts <= ms_floor_iso(after));
    CHECK(j.at("context") == json{{"library", {{"name", "seglog"}, {"version", seglog::version}}}});
    CHECK(j.at("integrations") == json::object());
    j.erase("messageId");
    j.erase("timestamp");
    return j;
}

using clock_type = std::chrono::system_clock;

// A logger whose only sink is a demux: events to `events`, lines to `lines`.
struct demux_logger {
    std::shared_ptr<seglog_test::collecting_sink> lines = std::make_shared<seglog_test::collecting_sink>();
    std::shared_ptr<seglog_test::collecting_sink> events = std::make_shared<seglog_test::collecting_sink>();
    std::shared_ptr<spdlog::logger> logger = std::make_shared<spdlog::logger>(
        "events", std::make_shared<seglog::demux_sink_mt>(std::vector<spdlog::sink_ptr>{lines},
                                                          std::vector<spdlog::sink_ptr>{events}));
};

inline std::uint64_t count_of(const seglog::call_site_counters &c, reason r) {
    return c.by_reason[static_cast<int>(r)];
}

inline json nested_arrays_json(int levels) {
    json j = 1;
    for (int i = 0; i < levels; ++i) {
        json a = json::array();
        a.push_back(std::move(j));
        j = std::move(a);
    }
    return j;
}

} // namespace seglog_test
