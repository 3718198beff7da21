// Properties as users write them: nested braces serialise exactly as nlohmann::json reads the
// same braces (objects, arrays, arrays of objects, mixed, empty), and a repeated key keeps its
// first value at every level, in properties, traits, context and integrations.
// properties_limits_test.cpp has long lists and the limits.
#include "properties_test.h"

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

using seglog::event_type;
using seglog::reason;
using seglog_test::json;
using seglog_test::ojson;
using seglog_test::serialise;

TEST_SUITE("properties: nested braces") {

TEST_CASE("the issue's example, and objects, arrays, arrays of objects, mixed and empty, as nlohmann reads them") {
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"shipping", {{"method", "express"}}}, {"products", {{{"sku", "a"}, {"qty", 1}}}}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"address", {{"street", "1 Main St"}, {"geo", {{"lat", 52.5}, {"lng", 13.25}}}}}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"ids", {1, 2, 3}}, {"tags", {"a", "b"}}, {"flags", {true, false, nullptr}}});
    CHECK_PROPERTIES_LIKE_NLOHMANN(
        {{"products", {{{"sku", "a"}, {"qty", 1}, {"price", 9.5}}, {{"sku", "b"}, {"qty", 2}, {"tags", {"x", "y"}}}}}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"mixed", {1, "two", {{"three", 3}}, {4, {5, {6}}}, nullptr, -7.25}}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"matrix", {{1, 2}, {3, 4}}}, {"nested", {{{{{"deep", "yes"}}}}}}});
    // Empty braces are null in nlohmann, and so here; no braces at all is no properties.
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"empty", {}}, {"list_of_empty", {{}, {}}}, {"n", nullptr}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({});
    // Integers of every kind, strings that need escaping, UTF-8.
    CHECK_PROPERTIES_LIKE_NLOHMANN(
        {{"n", {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::uint64_t>::max(), 0u, -1}},
         {"s", {{"q", "say \"hi\"\n\t\\ caf\xC3\xA9 \xF0\x9F\x98\x80"}, {"c", "\x01\x7F"}}}});
}

TEST_CASE("nlohmann's rule: a list of pairs whose first is a string is an object, anything else an array") {
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"pair", {"a", 1}}});         // two items, not pairs: ["a",1]
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"one_pair", {{"a", "b"}}}}); // {"a":"b"}, as in nlohmann
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"not_all", {{"a", 1}, 2}}}); // one element is no pair: array
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"key_not_string", {{1, "a"}, {2, "b"}}}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"three", {{"a", 1, 2}}}}); // [["a",1,2]]
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"single", {"x"}}, {"one", {1}}});
    // Strings of every kind count as keys.
    const std::string owned = "owned";
    const std::string_view view = "view";
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"keys", {{owned, 1}, {view, 2}, {"literal", 3}}}});
    // nlohmann::json values inside braces are written as they are, and a json array of two
    // whose first is a string counts as a pair, as in nlohmann.
    const json tree = {{"b", {1, 2}}, {"a", "x"}};
    const json pair = json::array({"k", 1});
    const json key = "jk";
    const auto s =
        serialise(event_type::track,
                  {{"tree", tree}, {"in_list", {tree, 1}}, {"as_pair", {pair, pair}}, {"json_key", {{key, 1}}}});
    REQUIRE_FALSE(s.err);
    CHECK(s.parsed().at("properties") ==
          json({{"tree", tree}, {"in_list", {tree, 1}}, {"as_pair", {pair, pair}}, {"json_key", {{key, 1}}}}));
    CHECK(s.record.find(R"("as_pair":{"k":1},"json_key":{"jk":1}})") != std::string::npos);
}

namespace shop {
struct item {
    std::string sku;
    int qty;
};
// For nlohmann::json and the ordered_json the checks compare with; the keys in sorted order, as a
// conversion to nlohmann::json leaves them, so that both write the same bytes.
template <typename Json>
void to_json(Json &j, const item &i) {
    j = {{"qty", i.qty}, {"sku", i.sku}};
}
} // namespace shop

TEST_CASE("values nlohmann::json converts from (containers, ordered_json, a type with to_json) go through it") {
    const std::vector<int> ids{1, 2, 3};
    const std::map<std::string, double> prices{{"b", 2.5}, {"a", 1.25}};
    const shop::item item{"a-1", 2};
    const std::vector<shop::item> items{{"a-1", 2}, {"b-2", 1}};
    const std::pair<std::string, int> pair{"k", 1};
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"ids", ids}, {"prices", prices}, {"item", item}, {"items", items}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"nested", {{"ids", ids}, {"in_array", {item, ids}}}}, {"pairs", {pair, pair}}});

    // ordered_json is converted to nlohmann::json, whose keys are sorted.
    const ojson ordered = {{"z", 1}, {"a", {{"y", 2}, {"b", 3}}}};
    const auto o = serialise(event_type::track, {{"o", ordered}, {"in", {ordered}}});
    REQUIRE_FALSE(o.err);
    CHECK(o.record.find(R"("properties":{"o":{"a":{"b":3,"y":2},"z":1},"in":[{"a":{"b":3,"y":2},"z":1}]})") !=
          std::string::npos);

    // The whole properties, traits, context or integrations, too.
    const auto p = serialise(event_type::track, prices);
    REQUIRE_FALSE(p.err);
    CHECK(seglog_test::ends_with(p.record, R"("properties":{"a":1.25,"b":2.5})" + seglog_test::default_tail()));
    const auto t = serialise(event_type::identify, item,
                             seglog::call_options().with_context(ordered).with_integrations(
                                 std::map<std::string, bool>{{"All", false}}));
    REQUIRE_FALSE(t.err);
    CHECK(seglog_test::ends_with(t.record, R"("traits":{"qty":2,"sku":"a-1"},"context":{"a":{"b":3,"y":2},"z":1,)" +
                                               seglog_test::library_member() + R"(},"integrations":{"All":false}})"));
    // One that is not an object is refused as a nlohmann::json array is.
    const auto a = serialise(event_type::track, ids);
    REQUIRE(a.err);
    CHECK(a.err->code == reason::not_an_object);
}

TEST_CASE("doubles with an integral value: the same JSON, written 1 where nlohmann writes 1.0 (parsed comparison)") {
    const auto s = serialise(event_type::track, {{"d", {1.0, -0.0, 1e21, 0.1, 2.5e-7}}, {"o", {{"x", 3.0}}}});
    REQUIRE_FALSE(s.err);
    CHECK(s.record.find(R"("properties":{"d":[1,-0,1e+21,0.1,2.5e-07],"o":{"x":3}})") != std::string::npos);
    CHECK(s.parsed().at("properties") == json({{"d", {1.0, -0.0, 1e21, 0.1, 2.5e-7}}, {"o", {{"x", 3.0}}}}));
}

TEST_CASE("traits, context and integrations take nested braces too") {
    using seglog_test::context_text;
    using seglog_test::library_member;
    for (const auto type : {event_type::identify, event_type::group}) {
        const auto s = serialise(type, {{"plan", "pro"},
                                        {"address", {{"city", "Berlin"}, {"zip", "10115"}}},
                                        {"roles", {"admin", "billing"}},
                                        {"plan", "free"}});
        REQUIRE_FALSE(s.err);
        const ojson traits = {{"plan", "pro"},
                              {"address", {{"city", "Berlin"}, {"zip", "10115"}}},
                              {"roles", {"admin", "billing"}},
                              {"plan", "free"}};
        CHECK(seglog_test::ends_with(s.record, "\"traits\":" + traits.dump() + seglog_test::default_tail()));
    }
    for (const auto type : {event_type::page, event_type::screen}) {
        const auto s = serialise(type, {{"path", "/"}, {"referrer", {{"host", "example.com"}, {"q", {1, 2}}}}});
        REQUIRE_FALSE(s.err);
        const ojson props = {{"path", "/"}, {"referrer", {{"host", "example.com"}, {"q", {1, 2}}}}};
        CHECK(seglog_test::ends_with(s.record, "\"properties\":" + props.dump() + seglog_test::default_tail()));
    }

    const auto s = serialise(event_type::track, {},
                             seglog::call_options()
                                 .with_context({{"ip", "203.0.113.9"},
                                                {"library", "theirs"},
                                                {"app", {{"name", "shop"}, {"build", 12}}},
                                                {"ip", "198.51.100.1"},
                                                {"campaign", {{"source", "news"}, {"terms", {"a", "b"}}}}})
                                 .with_integrations(
                                     {{"All", false}, {"Amplitude", {{"session_id", 7}}}, {"All", true}}));
    REQUIRE_FALSE(s.err);
    const ojson ctx = {{"ip", "203.0.113.9"},
                       {"library", "theirs"},
                       {"app", {{"name", "shop"}, {"build", 12}}},
                       {"ip", "198.51.100.1"},
                       {"campaign", {{"source", "news"}, {"terms", {"a", "b"}}}}};
    const ojson integrations = {{"All", false}, {"Amplitude", {{"session_id", 7}}}, {"All", true}};
    INFO(s.record);
    CHECK(seglog_test::ends_with(s.record, "\"properties\":{},\"context\":" + context_text(ctx) +
                                               ",\"integrations\":" + integrations.dump() + "}"));

    // Context alone, integrations alone, and empty braces for either (as if not given).
    const auto c = serialise(event_type::track, {}, seglog::call_options().with_context({{"locale", "fr"}}));
    CHECK(seglog_test::ends_with(c.record,
                                 ",\"context\":{\"locale\":\"fr\"," + library_member() + "},\"integrations\":{}}"));
    const auto i = serialise(event_type::track, {}, seglog::call_options().with_integrations({{"All", false}}));
    CHECK(
        seglog_test::ends_with(i.record, ",\"context\":{" + library_member() + "},\"integrations\":{\"All\":false}}"));
    const auto e = serialise(event_type::track, {}, seglog::call_options().with_context({}).with_integrations({}));
    CHECK(seglog_test::ends_with(e.record, seglog_test::default_tail()));
}

TEST_CASE("a repeated key keeps its first value, at every level, as nlohmann::json does") {
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"a", 1}, {"a", 2}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"a", 1}, {"b", 2}, {"a", 3}, {"c", 4}, {"b", 5}, {"a", 6}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"o", {{"x", 1}, {"y", 2}, {"x", {3, 4}}}}, {"o", "later"}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"list", {{{"sku", "a"}, {"sku", "b"}}, {{"q", 1}, {"q", 2}}}}});
    // Keys that share their first and last bytes, or only their length, are different keys.
    CHECK_PROPERTIES_LIKE_NLOHMANN(
        {{"abcdefgh_1_abcdefgh", 1}, {"abcdefgh_2_abcdefgh", 2}, {"ab", 3}, {"ba", 4}, {"", 5}, {"", 7}});
    // Keys the writer's short path does not take: longer than 16 bytes, or needing escapes.
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"a_key_longer_than_sixteen_bytes", 1},
                                    {"say \"hi\"", 2},
                                    {"x", 3},
                                    {"a_key_longer_than_sixteen_bytes", 4},
                                    {"say \"hi\"", 5}});
    const std::string a1 = "same", a2 = "same"; // equal keys at different addresses
    CHECK_PROPERTIES_LIKE_NLOHMANN({{a1, 1}, {a2, 2}});
}

} // TEST_SUITE
