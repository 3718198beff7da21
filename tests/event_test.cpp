// The event layer: what each Segment Spec call serialises to, and every way an event is
// rejected before it is queued. Through seglog::detail::serialize_event and through the macros.
#include <doctest/doctest.h>

#include "collecting_sink.h"

#include "event/json_writer.h"
#include "event/message_id.h"
#include "event/serialize.h"
#include "common/timestamp.h"

#include <seglog/demux_sink.h>
#include <seglog/error.h>
#include <seglog/event.h>
#include <seglog/macros.h>
#include <seglog/version.h>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

using nlohmann::json;
using seglog::detail::event_fields;
using seglog::event_type;
using seglog::reason;

namespace {

struct outcome {
    std::string record;
    std::optional<seglog::error> err;
};

outcome serialize(const event_fields &f, std::size_t max_bytes = 32 * 1024) {
    outcome o;
    o.err = seglog::detail::serialize_event(f, o.record, max_bytes);
    return o;
}

outcome track(const seglog::identity &who, std::string_view name, const seglog::properties &p = {},
              const seglog::call_options &opts = {}) {
    return serialize({event_type::track, &who, name, {}, {}, {}, &p, &opts});
}

// One call of any type. `arg` is the event or page/screen name, or the groupId. Properties
// are borrowed (seglog::properties must not outlive the full expression that built it), so
// braced lists are passed straight through, as at a real call site.
outcome call(event_type type, const seglog::identity &who, std::string_view arg, const seglog::properties &p = {},
             const seglog::call_options &opts = {}) {
    event_fields f{type, &who, {}, {}, {}, {}, &p, &opts};
    if (type == event_type::group) f.group_id = arg;
    else f.name = arg;
    return serialize(f);
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool is_uuid_v4(std::string_view s) {
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

bool is_iso8601_ms(std::string_view s) {
    // YYYY-MM-DDTHH:MM:SS.mmmZ
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (s.size() != sizeof shape - 1) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i]) return false;
    }
    return true;
}

std::string ms_floor_iso(std::chrono::system_clock::time_point t) {
    return seglog::detail::iso8601(std::chrono::time_point_cast<std::chrono::milliseconds>(t));
}

// Checks the fields every record has and returns the parsed record with messageId and
// timestamp removed, ready to compare with the expected per-call fields.
json check_common(const std::string &record, const char *type, std::chrono::system_clock::time_point before,
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

std::uint64_t count_of(const seglog::call_site_counters &c, reason r) { return c.by_reason[static_cast<int>(r)]; }

json nested_arrays_json(int levels) {
    json j = 1;
    for (int i = 0; i < levels; ++i) {
        json a = json::array();
        a.push_back(std::move(j));
        j = std::move(a);
    }
    return j;
}

} // namespace

TEST_SUITE("event: the six calls") {

TEST_CASE("track serialises every field") {
    const auto who = seglog::user("u-42");
    const auto before = clock_type::now();
    auto o = track(who, "Order Completed", {{"order_id", "o-1"}, {"revenue", 42.5}});
    const auto after = clock_type::now();
    REQUIRE_FALSE(o.err);
    json j = check_common(o.record, "track", before, after);
    CHECK(j == json{{"type", "track"},
                    {"userId", "u-42"},
                    {"event", "Order Completed"},
                    {"properties", {{"order_id", "o-1"}, {"revenue", 42.5}}},
                    {"context", {{"library", {{"name", "seglog"}, {"version", "0.1.0"}}}}},
                    {"integrations", json::object()}});
}

TEST_CASE("track with an anonymousId only, and with both ids") {
    const auto anon = seglog::anonymous("a-9");
    auto o = track(anon, "Signup Started");
    REQUIRE_FALSE(o.err);
    json j = json::parse(o.record);
    CHECK(j.at("anonymousId") == "a-9");
    CHECK_FALSE(j.contains("userId"));
    CHECK(j.at("properties") == json::object());

    const auto both = seglog::user("u-1", "a-1");
    o = track(both, "Signed In");
    REQUIRE_FALSE(o.err);
    j = json::parse(o.record);
    CHECK(j.at("userId") == "u-1");
    CHECK(j.at("anonymousId") == "a-1");
    const auto chained = seglog::user("u-2").with_anonymous_id("a-2");
    o = track(chained, "Signed In");
    REQUIRE_FALSE(o.err);
    j = json::parse(o.record);
    CHECK(j.at("userId") == "u-2");
    CHECK(j.at("anonymousId") == "a-2");
}

TEST_CASE("identify serialises traits") {
    const auto who = seglog::user("u-42");
    const auto before = clock_type::now();
    auto o = call(event_type::identify, who, {}, {{"plan", "pro"}, {"seats", 5}});
    const auto after = clock_type::now();
    REQUIRE_FALSE(o.err);
    json j = check_common(o.record, "identify", before, after);
    CHECK(j == json{{"type", "identify"},
                    {"userId", "u-42"},
                    {"traits", {{"plan", "pro"}, {"seats", 5}}},
                    {"context", {{"library", {{"name", "seglog"}, {"version", "0.1.0"}}}}},
                    {"integrations", json::object()}});
}

TEST_CASE("page and screen serialise name and properties; name is optional") {
    const auto who = seglog::anonymous("a-1");
    const seglog::call_options opts;
    for (auto type : {event_type::page, event_type::screen}) {
        CAPTURE(seglog::to_string(type));
        const auto before = clock_type::now();
        auto o = call(type, who, "Home", {{"path", "/"}});
        const auto after = clock_type::now();
        REQUIRE_FALSE(o.err);
        json j = check_common(o.record, seglog::to_string(type), before, after);
        CHECK(j == json{{"type", seglog::to_string(type)},
                        {"anonymousId", "a-1"},
                        {"name", "Home"},
                        {"properties", {{"path", "/"}}},
                        {"context", {{"library", {{"name", "seglog"}, {"version", "0.1.0"}}}}},
                        {"integrations", json::object()}});

        o = serialize({type, &who, {}, {}, {}, {}, nullptr, &opts});
        REQUIRE_FALSE(o.err);
        j = json::parse(o.record);
        CHECK_FALSE(j.contains("name"));
        CHECK(j.at("properties") == json::object());
    }
}

TEST_CASE("group serialises groupId and traits") {
    const auto who = seglog::user("u-42");
    const auto before = clock_type::now();
    auto o = call(event_type::group, who, "org-7", {{"name", "Acme"}});
    const auto after = clock_type::now();
    REQUIRE_FALSE(o.err);
    json j = check_common(o.record, "group", before, after);
    CHECK(j == json{{"type", "group"},
                    {"userId", "u-42"},
                    {"groupId", "org-7"},
                    {"traits", {{"name", "Acme"}}},
                    {"context", {{"library", {{"name", "seglog"}, {"version", "0.1.0"}}}}},
                    {"integrations", json::object()}});
}

TEST_CASE("alias serialises userId and previousId") {
    const auto before = clock_type::now();
    auto o = serialize({event_type::alias, nullptr, {}, {}, "a-9", "u-42", nullptr, nullptr});
    const auto after = clock_type::now();
    REQUIRE_FALSE(o.err);
    json j = check_common(o.record, "alias", before, after);
    CHECK(j == json{{"type", "alias"},
                    {"userId", "u-42"},
                    {"previousId", "a-9"},
                    {"context", {{"library", {{"name", "seglog"}, {"version", "0.1.0"}}}}},
                    {"integrations", json::object()}});
}

} // TEST_SUITE

TEST_SUITE("event: messageId and timestamp") {

TEST_CASE("messageId is a UUID v4 at bytes [14,50), unique across 100k ids from 4 threads") {
    constexpr int threads = 4, per_thread = 25000;
    std::vector<std::vector<std::string>> ids(threads);
    std::vector<int> bad_records(threads, 0);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            const auto who = seglog::user("u");
            std::string record;
            ids[t].reserve(per_thread);
            for (int i = 0; i < per_thread; ++i) {
                if (seglog::detail::serialize_event({event_type::track, &who, "E", {}, {}, {}, nullptr, nullptr},
                                                    record)) {
                    ++bad_records[t];
                    continue;
                }
                ids[t].emplace_back(seglog::detail::record_message_id(record));
            }
        });
    }
    for (auto &th : pool) th.join();
    std::unordered_set<std::string> all;
    std::size_t malformed = 0;
    std::set<char> seen[36]; // the digits each position took
    for (int t = 0; t < threads; ++t) {
        CHECK(bad_records[t] == 0);
        for (auto &id : ids[t]) {
            if (!is_uuid_v4(id)) ++malformed;
            for (std::size_t i = 0; i < id.size() && i < 36; ++i) seen[i].insert(id[i]);
            all.insert(std::move(id));
        }
    }
    CHECK(malformed == 0);
    CHECK(all.size() == std::size_t{threads} * per_thread);
    // Every random position takes all 16 digits (a wrong nibble-to-digit mapping would miss some);
    // the version is always 4 and the variant one of 8, 9, a, b.
    for (std::size_t i = 0; i < 36; ++i) {
        CAPTURE(i);
        if (i == 8 || i == 13 || i == 18 || i == 23) CHECK(seen[i] == std::set<char>{'-'});
        else if (i == 14) CHECK(seen[i] == std::set<char>{'4'});
        else if (i == 19) CHECK(seen[i] == std::set<char>{'8', '9', 'a', 'b'});
        else CHECK(seen[i].size() == 16);
    }
}

TEST_CASE("a forked child does not repeat its parent's messageIds") {
    seglog::detail::text_buffer first;
    seglog::detail::append_message_id(first); // seeds this thread's generator
    const std::string parent_first(first.view());
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        seglog::detail::text_buffer id;
        seglog::detail::append_message_id(id);
        const auto n = ::write(fds[1], id.data(), id.size());
        ::_exit(n == static_cast<ssize_t>(id.size()) ? 0 : 1);
    }
    ::close(fds[1]);
    seglog::detail::text_buffer next;
    seglog::detail::append_message_id(next);
    const std::string parent_next(next.view());
    char buf[64];
    std::string child;
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) child.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    REQUIRE(child.size() == 36);
    CHECK(is_uuid_v4(child));
    CHECK(child != parent_next);
    CHECK(child != parent_first);
}

TEST_CASE("timestamp is the time of the call, as YYYY-MM-DDTHH:MM:SS.mmmZ") {
    const auto who = seglog::user("u");
    for (int i = 0; i < 50; ++i) {
        const auto before = clock_type::now();
        auto o = track(who, "E");
        const auto after = clock_type::now();
        REQUIRE_FALSE(o.err);
        const std::string ts = json::parse(o.record).at("timestamp");
        CHECK(is_iso8601_ms(ts));
        CHECK(ts >= ms_floor_iso(before));
        CHECK(ts <= ms_floor_iso(after));
    }
}

TEST_CASE("call_options timestamp is used exactly, truncated to milliseconds") {
    using namespace std::chrono;
    const auto who = seglog::user("u");
    const clock_type::time_point t = clock_type::time_point(seconds(1709211909)) + milliseconds(7) + microseconds(999);
    auto opts = seglog::call_options{}.with_timestamp(t);
    auto o = track(who, "E", {}, opts);
    REQUIRE_FALSE(o.err);
    CHECK(json::parse(o.record).at("timestamp") == "2024-02-29T13:05:09.007Z");

    opts.with_timestamp(clock_type::time_point{});
    o = track(who, "E", {}, opts);
    REQUIRE_FALSE(o.err);
    CHECK(json::parse(o.record).at("timestamp") == "1970-01-01T00:00:00.000Z");

    // Two calls in the same second with different milliseconds (the date part is cached).
    opts.with_timestamp(clock_type::time_point(seconds(1709211909)) + milliseconds(999));
    o = track(who, "E", {}, opts);
    CHECK(json::parse(o.record).at("timestamp") == "2024-02-29T13:05:09.999Z");
    opts.with_timestamp(clock_type::time_point(seconds(1709211910)));
    o = track(who, "E", {}, opts);
    CHECK(json::parse(o.record).at("timestamp") == "2024-02-29T13:05:10.000Z");
}

TEST_CASE("timestamps before 1970 are floored, also as the first timestamp of a thread") {
    using namespace std::chrono;
    std::string first, second;
    std::thread([&] {
        first = seglog::detail::iso8601(clock_type::time_point(-milliseconds(1)));
        second = seglog::detail::iso8601(clock_type::time_point(-milliseconds(1500)));
    }).join();
    CHECK(first == "1969-12-31T23:59:59.999Z");
    CHECK(second == "1969-12-31T23:59:58.500Z");
}

} // TEST_SUITE

TEST_SUITE("event: context and integrations") {

TEST_CASE("caller context is merged and context.library stays seglog's") {
    const auto who = seglog::user("u");
    const json ctx = {{"ip", "203.0.113.9"},
                      {"library", {{"name", "evil"}, {"version", "9"}}},
                      {"app", {{"name", "shop"}, {"build", 12}}}};
    auto o = track(who, "E", {}, seglog::call_options{}.with_context(ctx));
    REQUIRE_FALSE(o.err);
    CHECK(o.record.find(",\"context\":{\"app\":{\"build\":12,\"name\":\"shop\"},\"ip\":\"203.0.113.9\","
                        "\"library\":{\"name\":\"seglog\",\"version\":\"0.1.0\"}},") != std::string::npos);
    json j = json::parse(o.record);
    CHECK(j.at("context") == json{{"ip", "203.0.113.9"},
                                  {"app", {{"name", "shop"}, {"build", 12}}},
                                  {"library", {{"name", "seglog"}, {"version", "0.1.0"}}}});

    for (const json &c : {json::object(), json{{"library", "x"}}, json()}) {
        CAPTURE(c.dump());
        o = track(who, "E", {}, seglog::call_options{}.with_context(c));
        REQUIRE_FALSE(o.err);
        CHECK(json::parse(o.record).at("context") ==
              json{{"library", {{"name", "seglog"}, {"version", "0.1.0"}}}});
    }
}

TEST_CASE("integrations default to {} and take the given object as is") {
    const auto who = seglog::user("u");
    auto o = track(who, "E");
    REQUIRE_FALSE(o.err);
    CHECK(o.record.find(",\"integrations\":{}}") == o.record.size() - 19);

    const json integrations = {{"All", false}, {"Mixpanel", true}, {"Amplitude", {{"session_id", 7}}}};
    o = track(who, "E", {}, seglog::call_options{}.with_integrations(integrations));
    REQUIRE_FALSE(o.err);
    CHECK(json::parse(o.record).at("integrations") == integrations);
}

} // TEST_SUITE

TEST_SUITE("event: properties") {

TEST_CASE("braced properties of mixed types produce exactly the expected JSON") {
    const auto who = seglog::user("u");
    const std::string s = "str";
    const json nested = {{"b", {true, nullptr}}, {"a", 1}};
    const char *null_cstr = nullptr;
    auto o = track(who, "E",
                   {{"i", -3},
                    {"u", 7u},
                    {"short", static_cast<short>(-2)},
                    {"max_u64", std::numeric_limits<std::uint64_t>::max()},
                    {"min_i64", std::numeric_limits<std::int64_t>::min()},
                    {"d", 42.5},
                    {"tenth", 0.1},
                    {"float", 1.5f},
                    {"t", true},
                    {"f", false},
                    {"c", "text"},
                    {"s", s},
                    {"temp", std::string("temporary")},
                    {"sv", std::string_view("view")},
                    {"n", nullptr},
                    {"nc", null_cstr},
                    {"j", nested},
                    {"arr", json::array({1, "two", 3.5})}});
    REQUIRE_FALSE(o.err);
    CHECK(o.record.find(",\"properties\":{\"i\":-3,\"u\":7,\"short\":-2,\"max_u64\":18446744073709551615,"
                        "\"min_i64\":-9223372036854775808,\"d\":42.5,\"tenth\":0.1,\"float\":1.5,\"t\":true,"
                        "\"f\":false,\"c\":\"text\",\"s\":\"str\",\"temp\":\"temporary\",\"sv\":\"view\","
                        "\"n\":null,\"nc\":null,\"j\":{\"a\":1,\"b\":[true,null]},\"arr\":[1,\"two\",3.5]},") !=
          std::string::npos);
    const json p = json::parse(o.record).at("properties");
    CHECK(p.at("max_u64").get<std::uint64_t>() == std::numeric_limits<std::uint64_t>::max());
    CHECK(p.at("min_i64").get<std::int64_t>() == std::numeric_limits<std::int64_t>::min());
    CHECK(p.at("tenth").get<double>() == 0.1);
}

TEST_CASE("a nlohmann::json object is accepted as properties and traits") {
    const auto who = seglog::user("u");
    const json props = {{"order_id", "o-1"}, {"items", json::array({{{"sku", "a"}, {"qty", 2}}})}, {"total", 9.99}};
    auto o = track(who, "E", props);
    REQUIRE_FALSE(o.err);
    CHECK(json::parse(o.record).at("properties") == props);

    const seglog::properties traits(props);
    o = serialize({event_type::identify, &who, {}, {}, {}, {}, &traits, nullptr});
    REQUIRE_FALSE(o.err);
    CHECK(json::parse(o.record).at("traits") == props);

    const json none; // null: no properties
    o = track(who, "E", none);
    REQUIRE_FALSE(o.err);
    CHECK(json::parse(o.record).at("properties") == json::object());
}

TEST_CASE("JSON string escaping: quotes, backslash, control characters, NUL; UTF-8 kept") {
    const auto who = seglog::user("u");
    const std::string raw = std::string("q\"b\\s/\n\r\t\b\f\x01\x1f\x7f") + std::string(1, '\0') +
                            "end \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
    const std::string escaped = "\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\\u0000end "
                                "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"";
    auto o = track(who, raw, {{raw, raw}});
    REQUIRE_FALSE(o.err);
    CHECK(o.record.find(",\"event\":" + escaped + ",") != std::string::npos);
    CHECK(o.record.find(",\"properties\":{" + escaped + ":" + escaped + "},") != std::string::npos);
    const json j = json::parse(o.record);
    CHECK(j.at("event") == raw);
    CHECK(j.at("properties").at(raw) == raw);

    std::string out;
    CHECK(seglog::detail::append_json_string(out, std::string_view("\0", 1)));
    CHECK(out == "\"\\u0000\"");
}

TEST_CASE("string escaping is exact for every ASCII byte at every position, and invalid UTF-8 is caught anywhere") {
    // Reference escaping, byte by byte.
    auto reference = [](std::string_view s) {
        static const char hex[] = "0123456789abcdef";
        std::string r = "\"";
        for (unsigned char c : s) {
            switch (c) {
            case '"': r += "\\\""; break;
            case '\\': r += "\\\\"; break;
            case '\n': r += "\\n"; break;
            case '\r': r += "\\r"; break;
            case '\t': r += "\\t"; break;
            case '\b': r += "\\b"; break;
            case '\f': r += "\\f"; break;
            default:
                if (c < 0x20) {
                    r += "\\u00";
                    r += hex[c >> 4];
                    r += hex[c & 0xF];
                } else {
                    r += static_cast<char>(c);
                }
            }
        }
        return r + "\"";
    };
    int mismatches = 0, missed_invalid = 0;
    // Every length to 41: 4-16 bytes take the inline two-word path, the rest the general one
    // (8-byte steps with an overlapping last word, then bytes).
    for (std::size_t len = 1; len <= 41; ++len) {
        for (std::size_t pos = 0; pos < len; ++pos) {
            for (int b = 0; b < 0x80; ++b) {
                std::string in(len, 'a');
                in[pos] = static_cast<char>(b);
                std::string out;
                if (!seglog::detail::append_json_string(out, in) || out != reference(in)) ++mismatches;
            }
            for (const char *bad : {"\xFF", "\x80", "\xC3", "\xED\xA0\x80"}) {
                std::string in(len, 'a');
                in.replace(pos, 1, bad);
                std::string out;
                if (seglog::detail::append_json_string(out, in)) ++missed_invalid;
            }
            std::string in(len, 'a'); // a valid multi-byte character anywhere is kept as is
            in.replace(pos, 1, "\xE2\x82\xAC");
            std::string out;
            if (!seglog::detail::append_json_string(out, in) || out != "\"" + in + "\"") ++mismatches;
        }
    }
    CHECK(mismatches == 0);
    CHECK(missed_invalid == 0);
}

TEST_CASE("braced properties: keys and values of every short length are written as the checked writer writes them") {
    // Keys and values up to 16 bytes take the writer's one-check path for braced lists, longer
    // or escaped ones the checked path; both must give the same bytes and the same failures.
    auto expected = [](std::string_view s) {
        std::string r;
        REQUIRE(seglog::detail::append_json_string(r, s)); // the general writer, tested above
        return r;
    };
    int mismatches = 0, missed_invalid = 0, wrong_key = 0;
    for (std::size_t len = 0; len <= 20; ++len) {
        for (std::size_t pos = 0; pos <= len; ++pos) {
            for (const char *special : {"", "\"", "\\", "\n", "\x01", "\x1f", "\x7f", " ", "\xC3\xA9", "\xFF", "\xC3"}) {
                std::string str(len, 'k');
                if (pos < len) str.replace(pos, 1, special); // pos == len: the plain string
                const bool valid =
                    pos == len || (std::string_view(special) != "\xFF" && std::string_view(special) != "\xC3");
                for (int as_key = 0; as_key < 2; ++as_key) {
                    const std::string key = as_key ? str : "key";
                    const std::string value = as_key ? "v" : str;
                    seglog::detail::text_buffer out;
                    seglog::detail::json_writer w(out, 32 * 1024);
                    const bool ok = w.write_members({{"first", 1}, {key, value}}); // the list lives for the call
                    if (valid) {
                        if (!ok || std::string(out.view()) != "\"first\":1," + expected(key) + ":" + expected(value))
                            ++mismatches;
                    } else if (ok) {
                        ++missed_invalid;
                    } else if (w.failure().code != seglog::reason::invalid_utf8 ||
                               w.failure().key != (as_key ? "<invalid key>" : "key")) {
                        ++wrong_key;
                    }
                }
            }
        }
    }
    CHECK(mismatches == 0);
    CHECK(missed_invalid == 0);
    CHECK(wrong_key == 0);
}

TEST_CASE("braced lists of any length write what the same members as a JSON object write, up to every byte limit") {
    // The braced path writes runs of usual members with the limits checked once per run; the
    // JSON object path checks every key. Members named in sorted order, so the object (which
    // iterates sorted) has them in the list's order: output and failure must be identical.
    const std::string long_value(40, 'v'), escaped = "tab\there", long_key(20, 'K');
    const std::string bad_utf8 = "bad\xFF" "byte";
    const json nested = {{"a", {1, 2}}};
    struct member {
        std::string key;
        seglog::value v;
        json j;
    };
    for (int variant = 0; variant < 3; ++variant) {
        std::vector<member> m;
        for (int i = 0; i < 40; ++i) {
            char name[8];
            std::snprintf(name, sizeof name, "k%02d", i);
            std::string key = name;
            if (i == 7) key += long_key; // past 16 bytes: the checked path
            if (i == 11) key += "\n";    // needs escaping: the checked path
            switch (i % 8) {
            case 0: m.push_back({key, i, i}); break;
            case 1: m.push_back({key, "short", "short"}); break;
            case 2: m.push_back({key, long_value, long_value}); break; // a long value mid-run
            case 3: m.push_back({key, 19.99, 19.99}); break;
            case 4: m.push_back({key, i % 3 == 0, i % 3 == 0}); break;
            case 5: m.push_back({key, escaped, escaped}); break;
            case 6: m.push_back({key, nested, nested}); break;
            default: m.push_back({key, nullptr, nullptr}); break;
            }
        }
        if (variant == 1) m[29] = {m[29].key, bad_utf8, bad_utf8}; // fails late in the second run
        if (variant == 2) m.resize(17);                              // one full run and one member
        // The range a braced list is (std::initializer_list cannot be built at run time).
        std::vector<seglog::property> list;
        for (auto &x : m) list.emplace_back(x.key, x.v);
        auto braced = [&](seglog::detail::json_writer &w) {
            return w.write_members(list.data(), list.data() + list.size(), false);
        };
        json obj = json::object();
        for (auto &x : m) obj[x.key] = x.j;
        std::vector<std::size_t> limits = {SIZE_MAX, 32 * 1024};
        for (std::size_t l = 16; l < 1400; l += 13) limits.push_back(l);
        int mismatches = 0;
        for (const std::size_t limit : limits) {
            seglog::detail::text_buffer a, b;
            seglog::detail::json_writer wa(a, limit), wb(b, limit);
            const bool ok_a = braced(wa), ok_b = wb.write_members(obj, false);
            if (ok_a != ok_b || (ok_a && a.view() != b.view()) ||
                (!ok_a && (wa.failure().code != wb.failure().code || wa.failure().key != wb.failure().key))) {
                if (++mismatches <= 3)
                    MESSAGE("variant ", variant, " limit ", limit, ": ", ok_a, " ", std::string(a.view()), " / ", ok_b,
                            " ", std::string(b.view()), " key ", wa.failure().key, " / ", wb.failure().key);
            }
        }
        CAPTURE(variant);
        CHECK(mismatches == 0);
    }
}

TEST_CASE("integers are written exactly, at every digit count and at the type limits") {
    std::vector<std::int64_t> values = {0, -1, std::numeric_limits<std::int64_t>::min(),
                                        std::numeric_limits<std::int64_t>::max()};
    for (std::uint64_t p = 1; p <= 1000000000000000000ull; p *= 10) {
        for (const auto v : {p - 1, p, p + 1}) {
            values.push_back(static_cast<std::int64_t>(v));
            values.push_back(-static_cast<std::int64_t>(v));
        }
    }
    int mismatches = 0;
    for (const auto v : values) {
        seglog::detail::text_buffer buf;
        seglog::detail::append_int(buf, v);
        if (std::string(buf.view()) != std::to_string(v)) ++mismatches;
    }
    std::vector<std::uint64_t> unsigned_values = {0, 9, 10, std::numeric_limits<std::uint64_t>::max(),
                                                  10000000000000000000ull - 1, 10000000000000000000ull};
    std::uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 100000; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned_values.push_back(x >> (i % 64)); // every magnitude
    }
    for (const auto v : unsigned_values) {
        seglog::detail::text_buffer buf;
        seglog::detail::append_uint(buf, v);
        if (std::string(buf.view()) != std::to_string(v)) ++mismatches;
    }
    CHECK(mismatches == 0);
}

TEST_CASE("numbers are written in the shortest form that reads back as the same double") {
    auto shortest = [](double v) {
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, v);
        return std::string(buf, r.ptr);
    };
    std::vector<double> values = {0.0, -0.0, 1.0, -1.0, 0.1, 0.2, 0.1 + 0.2, 42.5, 1.005, 0.001, 0.0005, -0.001,
                                  99999.999, 100000.0, 1e5 - 0.001, 123.456, 1e-7, 1e21, 1e300, 5e-324,
                                  std::numeric_limits<double>::max(), 2.5e-3, 19.99, 0.30000000000000004};
    std::uint64_t x = 0x9E3779B97F4A7C15ull; // deterministic pseudo-random values
    for (int i = 0; i < 100000; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        values.push_back(static_cast<double>(x % 100000000) / 1000.0);      // amounts with 3 decimals
        values.push_back(static_cast<double>(x % 1000000) / 997.0);         // arbitrary fractions
        values.push_back(static_cast<double>(static_cast<std::int64_t>(x)) / 1e12);
    }
    int mismatches = 0;
    for (double v : values) {
        seglog::detail::text_buffer buf;
        REQUIRE(seglog::detail::append_double(buf, v));
        const std::string out(buf.view());
        if (out != shortest(v) || std::strtod(out.c_str(), nullptr) != v) {
            if (++mismatches <= 5) MESSAGE("value ", shortest(v), " written as ", out);
        }
    }
    CHECK(mismatches == 0);
    seglog::detail::text_buffer out;
    CHECK_FALSE(seglog::detail::append_double(out, std::nan("")));
    CHECK_FALSE(seglog::detail::append_double(out, -std::numeric_limits<double>::infinity()));
}

} // TEST_SUITE

TEST_SUITE("event: validation") {

struct rejection {
    reason code;
    std::string message;
    std::string event_name;
};

void check_rejected(const outcome &o, const rejection &want, const char *type) {
    REQUIRE(o.err.has_value());
    CHECK(o.err->code == want.code);
    CHECK(o.err->message == want.message);
    CHECK(o.err->event_type == type);
    CHECK(o.err->event_name == want.event_name);
}

TEST_CASE("missing identity, event, groupId, previousId") {
    const seglog::identity nobody;
    check_rejected(serialize({event_type::track, &nobody, "E", {}, {}, {}, nullptr, nullptr}),
                   {reason::missing_identity, "track rejected: neither userId nor anonymousId is set", "E"}, "track");
    check_rejected(serialize({event_type::identify, &nobody, {}, {}, {}, {}, nullptr, nullptr}),
                   {reason::missing_identity, "identify rejected: neither userId nor anonymousId is set", ""},
                   "identify");
    check_rejected(serialize({event_type::page, &nobody, "Home", {}, {}, {}, nullptr, nullptr}),
                   {reason::missing_identity, "page rejected: neither userId nor anonymousId is set", "Home"}, "page");

    const auto who = seglog::user("u");
    check_rejected(track(who, ""), {reason::missing_event, "track rejected: the event name is empty", ""}, "track");
    check_rejected(serialize({event_type::group, &who, {}, "", {}, {}, nullptr, nullptr}),
                   {reason::missing_group_id, "group rejected: groupId is empty", ""}, "group");
    check_rejected(serialize({event_type::alias, nullptr, {}, {}, "", "u-42", nullptr, nullptr}),
                   {reason::missing_previous_id, "alias rejected: previousId is empty", ""}, "alias");
    check_rejected(serialize({event_type::alias, nullptr, {}, {}, "a-9", "", nullptr, nullptr}),
                   {reason::missing_identity, "alias rejected: userId is empty", ""}, "alias");
}

TEST_CASE("properties, traits, context and integrations must be objects") {
    const auto who = seglog::user("u");
    const json arr = json::array({1, 2});
    const json str = "text";
    check_rejected(track(who, "E", arr),
                   {reason::not_an_object, "track event rejected: properties must be a JSON object", "E"}, "track");
    const seglog::properties traits(str);
    check_rejected(serialize({event_type::identify, &who, {}, {}, {}, {}, &traits, nullptr}),
                   {reason::not_an_object, "identify rejected: traits must be a JSON object", ""}, "identify");
    check_rejected(track(who, "E", {}, seglog::call_options{}.with_context(arr)),
                   {reason::not_an_object, "track event rejected: context must be a JSON object", "E"}, "track");
    check_rejected(track(who, "E", {}, seglog::call_options{}.with_integrations(str)),
                   {reason::not_an_object, "track event rejected: integrations must be a JSON object", "E"},
                   "track");
}

TEST_CASE("NaN and infinities are rejected, at the top level and nested") {
    const auto who = seglog::user("u");
    const double nan = std::nan("");
    const double inf = std::numeric_limits<double>::infinity();
    check_rejected(track(who, "Order Completed", {{"order_id", "secret-order"}, {"revenue", nan}}),
                   {reason::non_finite_number,
                    "track event rejected: properties.revenue is NaN or infinite, which JSON cannot carry",
                    "Order Completed"},
                   "track");
    check_rejected(track(who, "E", {{"x", -inf}}),
                   {reason::non_finite_number, "track event rejected: properties.x is NaN or infinite, which JSON cannot carry", "E"},
                   "track");
    const json cart = {{"items", json::array({{{"price", 1.0}}, {{"price", inf}}})}};
    check_rejected(track(who, "E", {{"cart", cart}}),
                   {reason::non_finite_number,
                    "track event rejected: properties.cart.items.1.price is NaN or infinite, which JSON cannot carry",
                    "E"},
                   "track");
    check_rejected(track(who, "E", cart),
                   {reason::non_finite_number,
                    "track event rejected: properties.items.1.price is NaN or infinite, which JSON cannot carry", "E"},
                   "track");
    const json ctx = {{"device", {{"ratio", nan}}}};
    check_rejected(track(who, "E", {}, seglog::call_options{}.with_context(ctx)),
                   {reason::non_finite_number,
                    "track event rejected: context.device.ratio is NaN or infinite, which JSON cannot carry", "E"},
                   "track");
}

TEST_CASE("invalid UTF-8 is rejected without copying the bytes or any value into the message") {
    const auto who = seglog::user("u");
    const std::vector<std::string> invalid = {
        "\xFF",             // never valid
        "ab\xC0\xAF",       // overlong '/'
        "\xED\xA0\x80",     // UTF-16 surrogate
        "\xE2\x82",         // truncated
        "\xF4\x90\x80\x80", // beyond U+10FFFF
        "\x80",             // lone continuation byte
    };
    auto check_clean = [&](const seglog::error &e, const std::string &bad) {
        CHECK(e.message.find(bad) == std::string::npos);
        CHECK(e.message.find("secret-value") == std::string::npos);
        CHECK(e.event_name.find(bad) == std::string::npos);
        for (unsigned char c : e.message) CHECK(c < 0x80);
    };
    for (const auto &bad : invalid) {
        CAPTURE(json(bad).dump(-1, ' ', true, json::error_handler_t::replace));
        // in a value
        auto o = track(who, "E", {{"ok", "secret-value"}, {"name", bad}});
        check_rejected(o, {reason::invalid_utf8, "track event rejected: properties.name is not valid UTF-8", "E"},
                       "track");
        check_clean(*o.err, bad);
        // in a nested value of a json object
        const json nested = {{"user", {{"bio", bad}, {"nick", "secret-value"}}}};
        o = track(who, "E", nested);
        check_rejected(o, {reason::invalid_utf8, "track event rejected: properties.user.bio is not valid UTF-8", "E"},
                       "track");
        check_clean(*o.err, bad);
        // in a key
        o = track(who, "E", {{"ok", "secret-value"}, {bad, 1}});
        check_rejected(o, {reason::invalid_utf8, "track event rejected: properties.<invalid key> is not valid UTF-8", "E"},
                       "track");
        check_clean(*o.err, bad);
        const json bad_key = {{"outer", {{bad, "secret-value"}}}};
        o = track(who, "E", bad_key);
        check_rejected(o,
                       {reason::invalid_utf8, "track event rejected: properties.outer.<invalid key> is not valid UTF-8", "E"},
                       "track");
        check_clean(*o.err, bad);
        // in the event name: the name is not copied into the error either
        o = track(who, "Order " + bad, {{"ok", "secret-value"}});
        check_rejected(o, {reason::invalid_utf8, "track event rejected: event is not valid UTF-8", ""}, "track");
        check_clean(*o.err, bad);
        // in userId and anonymousId
        const auto bad_user = seglog::user("u-" + bad);
        o = track(bad_user, "E", {{"ok", "secret-value"}});
        check_rejected(o, {reason::invalid_utf8, "track event rejected: userId is not valid UTF-8", "E"}, "track");
        check_clean(*o.err, bad);
        const auto bad_anon = seglog::anonymous(bad);
        o = track(bad_anon, "E");
        check_rejected(o, {reason::invalid_utf8, "track event rejected: anonymousId is not valid UTF-8", "E"}, "track");
        // page name, groupId, alias ids, traits
        o = serialize({event_type::page, &who, bad, {}, {}, {}, nullptr, nullptr});
        check_rejected(o, {reason::invalid_utf8, "page rejected: name is not valid UTF-8", ""}, "page");
        o = serialize({event_type::group, &who, {}, bad, {}, {}, nullptr, nullptr});
        check_rejected(o, {reason::invalid_utf8, "group rejected: groupId is not valid UTF-8", ""}, "group");
        o = serialize({event_type::alias, nullptr, {}, {}, bad, "u", nullptr, nullptr});
        check_rejected(o, {reason::invalid_utf8, "alias rejected: previousId is not valid UTF-8", ""}, "alias");
        o = call(event_type::identify, who, {}, {{"t", bad}});
        check_rejected(o, {reason::invalid_utf8, "identify rejected: traits.t is not valid UTF-8", ""}, "identify");
    }
}

TEST_CASE("nesting deeper than 32 levels is rejected; 32 levels are accepted") {
    const auto who = seglog::user("u");
    // properties is level 1, so 31 nested arrays are 32 levels.
    const json ok = nested_arrays_json(31);
    auto o = track(who, "E", {{"deep", ok}});
    REQUIRE_FALSE(o.err);
    CHECK(json::parse(o.record).at("properties").at("deep") == ok);

    const json too_deep = nested_arrays_json(32);
    std::string path = "properties.deep";
    for (int i = 0; i < 31; ++i) path += ".0";
    check_rejected(track(who, "E", {{"deep", too_deep}}),
                   {reason::too_deep, "track event rejected: " + path + " nests deeper than 32 levels", "E"}, "track");

    // An attacker-sized tree is refused without exhausting the stack.
    // (nlohmann copies recursively, so the tree is built and moved, never copied.)
    json ctx = json::object();
    ctx["deep"] = nested_arrays_json(100000);
    o = track(who, "E", {{"deep", ctx["deep"]}});
    REQUIRE(o.err);
    CHECK(o.err->code == reason::too_deep);
    o = track(who, "E", {}, seglog::call_options{}.with_context(ctx));
    REQUIRE(o.err);
    CHECK(o.err->code == reason::too_deep);
    CHECK(o.err->message.rfind("track event rejected: context.deep.0.0.", 0) == 0);
}

TEST_CASE("an event over 32 KB (in bytes, not characters) is rejected; exactly 32 KB is accepted") {
    const auto who = seglog::user("u");
    auto sized = [&](const std::string &pad) { return track(who, "E", {{"pad", pad}}); };
    const auto base = sized("");
    REQUIRE_FALSE(base.err);
    const std::size_t fixed = base.record.size();
    REQUIRE(fixed < 32768);

    auto o = sized(std::string(32768 - fixed, 'x'));
    REQUIRE_FALSE(o.err);
    CHECK(o.record.size() == 32768);

    o = sized(std::string(32768 - fixed + 1, 'x'));
    check_rejected(o, {reason::event_too_large, "track rejected: 32769 bytes serialised, over the 32768-byte limit per event", "E"},
                   "track");

    // 2-byte characters: under 32768 characters, over 32768 bytes.
    std::string accents;
    for (int i = 0; i < 16384; ++i) accents += "\xC3\xA9";
    o = sized(accents);
    REQUIRE(o.err);
    CHECK(o.err->code == reason::event_too_large);
    CHECK(o.err->message == "track rejected: " + std::to_string(fixed + accents.size()) +
                                " bytes serialised, over the 32768-byte limit per event");

    // The limit is a parameter (config.max_event_bytes).
    o = serialize({event_type::track, &who, "E", {}, {}, {}, nullptr, nullptr}, 100);
    REQUIRE(o.err);
    CHECK(o.err->code == reason::event_too_large);
}

TEST_CASE("through the macros: each rejection is reported once, counted by reason, and nothing is logged") {
    demux_logger d;
    seglog_test::error_capture capture;
    const auto before = seglog::call_site_stats();
    const json arr = json::array();
    const seglog::identity nobody;
    const auto who = seglog::user("u");

    SEGLOG_LOGGER_TRACK(d.logger, nobody, "E");
    SEGLOG_LOGGER_TRACK(d.logger, who, "");
    SEGLOG_LOGGER_GROUP(d.logger, who, "");
    SEGLOG_LOGGER_ALIAS(d.logger, "", "u");
    SEGLOG_LOGGER_IDENTIFY(d.logger, who, arr);
    SEGLOG_LOGGER_TRACK(d.logger, who, "E", {{"x", std::nan("")}});
    SEGLOG_LOGGER_TRACK(d.logger, who, "E", {{"x", "\xFF"}});
    SEGLOG_LOGGER_TRACK(d.logger, who, "E", {{"deep", nested_arrays_json(40)}});
    SEGLOG_LOGGER_TRACK(d.logger, who, "E", {{"pad", std::string(40000, 'x')}});

    const auto after = seglog::call_site_stats();
    CHECK(after.rejected_total - before.rejected_total == 9);
    for (auto r : {reason::missing_identity, reason::missing_event, reason::missing_group_id,
                   reason::missing_previous_id, reason::not_an_object, reason::non_finite_number,
                   reason::invalid_utf8, reason::too_deep, reason::event_too_large}) {
        CAPTURE(seglog::to_string(r));
        CHECK(count_of(after, r) - count_of(before, r) == 1);
    }
    const auto errors = capture.errors();
    REQUIRE(errors.size() == 9);
    CHECK(errors[0].code == reason::missing_identity);
    CHECK(errors[0].message == "track rejected: neither userId nor anonymousId is set");
    CHECK(errors[4].message == "identify rejected: traits must be a JSON object");
    CHECK(errors[6].message == "track event rejected: properties.x is not valid UTF-8");
    CHECK(errors[8].code == reason::event_too_large);
    CHECK(d.events->size() == 0);
    CHECK(d.lines->size() == 0);

    // A valid event after the rejections goes out as usual.
    SEGLOG_LOGGER_TRACK(d.logger, who, "E", {{"ok", 1}});
    REQUIRE(d.events->size() == 1);
    CHECK(json::parse(d.events->payloads()[0]).at("properties") == json{{"ok", 1}});
    CHECK(seglog::call_site_stats().rejected_total == after.rejected_total);
}

TEST_CASE("a throwing error handler does not escape the call site") {
    demux_logger d;
    seglog::set_error_handler([](const seglog::error &) { throw std::runtime_error("handler failed"); });
    SEGLOG_LOGGER_TRACK(d.logger, seglog::identity{}, "E"); // would terminate the test if it threw
    CHECK(d.events->size() == 0);
    seglog::set_error_handler({});
}

} // TEST_SUITE

TEST_SUITE("event: through the macros") {

TEST_CASE("each macro writes the record serialize_event would") {
    demux_logger d;
    const auto who = seglog::user("u-42");
    const json ctx = {{"ip", "198.51.100.1"}};
    const auto t = clock_type::time_point(std::chrono::seconds(1709211909));
    SEGLOG_LOGGER_TRACK(d.logger, who, "Order Completed", {{"order_id", "o-1"}, {"revenue", 42.5}},
                        seglog::call_options{}.with_context(ctx).with_timestamp(t));
    SEGLOG_LOGGER_IDENTIFY(d.logger, who, {{"plan", "pro"}});
    SEGLOG_LOGGER_PAGE(d.logger, who, "Home", {{"path", "/"}});
    SEGLOG_LOGGER_SCREEN(d.logger, who, "Settings", {});
    SEGLOG_LOGGER_GROUP(d.logger, who, "org-7", {{"name", "Acme"}});
    SEGLOG_LOGGER_ALIAS(d.logger, "a-9", "u-42");
    const auto events = d.events->items();
    REQUIRE(events.size() == 6);
    for (const auto &e : events) {
        CHECK(e.event);
        CHECK(e.level == spdlog::level::off);
    }
    json j = json::parse(events[0].payload);
    CHECK(j.at("type") == "track");
    CHECK(j.at("event") == "Order Completed");
    CHECK(j.at("properties") == json{{"order_id", "o-1"}, {"revenue", 42.5}});
    CHECK(j.at("timestamp") == "2024-02-29T13:05:09.000Z");
    CHECK(j.at("context").at("ip") == "198.51.100.1");
    CHECK(json::parse(events[1].payload).at("traits") == json{{"plan", "pro"}});
    CHECK(json::parse(events[2].payload).at("name") == "Home");
    j = json::parse(events[3].payload);
    CHECK(j.at("type") == "screen");
    CHECK(j.at("properties") == json::object());
    CHECK(json::parse(events[4].payload).at("groupId") == "org-7");
    j = json::parse(events[5].payload);
    CHECK(j.at("previousId") == "a-9");
    CHECK(j.at("userId") == "u-42");
    CHECK(d.lines->size() == 0);
}

} // TEST_SUITE
