// The event layer, properties: braced lists and nlohmann::json objects written exactly, string
// escaping for every byte, integers and doubles in their shortest exact form.
#include <doctest/doctest.h>

#include "event_checks.h"

#include "common/timestamp.h"
#include "event/json_writer.h"
#include "event/message_id.h"
#include "event/serialize.h"

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
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

using namespace seglog_test;

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
            for (const char *special :
                 {"", "\"", "\\", "\n", "\x01", "\x1f", "\x7f", " ", "\xC3\xA9", "\xFF", "\xC3"}) {
                std::string str(len, 'k');
                if (pos < len) str.replace(pos, 1, special); // pos == len: the plain string
                const bool valid = pos == len ||
                                   (std::string_view(special) != "\xFF" && std::string_view(special) != "\xC3");
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
    const std::string bad_utf8 = "bad\xFF"
                                 "byte";
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
        if (variant == 2) m.resize(17);                            // one full run and one member
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
    std::vector<std::uint64_t> unsigned_values = {
        0, 9, 10, std::numeric_limits<std::uint64_t>::max(), 10000000000000000000ull - 1, 10000000000000000000ull};
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
    std::vector<double> values = {0.0,       -0.0,     1.0,
                                  -1.0,      0.1,      0.2,
                                  0.1 + 0.2, 42.5,     1.005,
                                  0.001,     0.0005,   -0.001,
                                  99999.999, 100000.0, 1e5 - 0.001,
                                  123.456,   1e-7,     1e21,
                                  1e300,     5e-324,   std::numeric_limits<double>::max(),
                                  2.5e-3,    19.99,    0.30000000000000004};
    std::uint64_t x = 0x9E3779B97F4A7C15ull; // deterministic pseudo-random values
    for (int i = 0; i < 100000; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        values.push_back(static_cast<double>(x % 100000000) / 1000.0); // amounts with 3 decimals
        values.push_back(static_cast<double>(x % 1000000) / 997.0);    // arbitrary fractions
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
