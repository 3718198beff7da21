#pragma once
// Records as the record bridge hands them to seglog::client::enqueue, serialised by seglog
// itself, with messageIds the test can read back.

#include <doctest/doctest.h>

#include "event/serialize.h"

#include <seglog/event.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace seglog_test {

// A track of "Record Event" with properties {"n": n} (and {"pad": pad} when given).
inline std::string make_record(int n, const std::string &pad = {}, std::size_t max_bytes = 64 * 1024) {
    std::string out;
    const seglog::identity who = seglog::user("u-record");
    auto build = [&](const seglog::properties &props) {
        const seglog::detail::event_fields f{
            seglog::event_type::track, &who, "Record Event", {}, {}, {}, &props, nullptr};
        return seglog::detail::serialize_event(f, out, max_bytes);
    };
    auto err = pad.empty() ? build({{"n", n}}) : build({{"n", n}, {"pad", pad}});
    REQUIRE_FALSE(err.has_value());
    return out;
}

// A track of "Fault Test" whose size does not depend on `seq` (written zero-padded, as a
// string), so that byte budgets give exact counts; `pid` and `poison` add those properties.
inline std::string fault_record(int seq, long pid = 0, bool poison = false) {
    char padded[16];
    std::snprintf(padded, sizeof padded, "%06d", seq);
    nlohmann::json props = {{"seq", padded}};
    if (pid) props["pid"] = pid;
    if (poison) props["poison"] = true;
    const seglog::properties p(props);
    const seglog::identity who = seglog::user("u-fault");
    seglog::detail::event_fields f{seglog::event_type::track, &who, "Fault Test", {}, {}, {}, &p, nullptr};
    std::string out;
    auto e = seglog::detail::serialize_event(f, out);
    REQUIRE_FALSE(e.has_value());
    return out;
}

// The seq of an event made by fault_record(), as the collector received it.
inline int seq_of(const nlohmann::json &event) {
    return std::stoi(event.at("properties").at("seq").get<std::string>());
}

inline std::string id_of(const std::string &record) { return std::string(seglog::detail::record_message_id(record)); }

inline std::vector<std::string> ids_of(const std::vector<std::string> &records) {
    std::vector<std::string> ids;
    for (const auto &r : records) ids.push_back(id_of(r));
    return ids;
}

} // namespace seglog_test
