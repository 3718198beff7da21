// Properties as users write them: nested braces serialise exactly as nlohmann::json reads the
// same braces (objects, arrays, arrays of objects, mixed, empty), a repeated key keeps its
// first value at every level, in properties, traits, context and integrations; and the limits
// (depth, keys, size, UTF-8, NaN) hold inside nested braces with the messages the equivalent
// nlohmann::json gets.
#include "properties_test.h"

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

using seglog::event_type;
using seglog::reason;
using seglog_test::json;
using seglog_test::ojson;
using seglog_test::serialise;

namespace {

// Keys k0, k1, ... for lists built from index sequences.
const std::vector<std::string> &keys(std::size_t n) {
    static std::vector<std::string> k;
    while (k.size() < n) k.push_back("k" + std::to_string(k.size()));
    return k;
}

// ordered_json for a list of (key, value) members with nlohmann's rule for a repeated key.
template <typename Pairs>
ojson first_wins(const Pairs &pairs) {
    ojson o = ojson::object();
    for (const auto &[k, v] : pairs) o.emplace(k, v);
    return o;
}

// {"list": {{k[I % distinct], I}...}} as braces: a nested object of sizeof...(I) members
// whose keys repeat every `distinct` members.
template <std::size_t... I>
seglog_test::serialised nested_repeats(std::size_t distinct, std::index_sequence<I...>) {
    const auto &k = keys(distinct);
    return serialise(event_type::track, {{"list", {seglog::value{k[I % distinct], static_cast<int>(I)}...}}});
}
// The same members as a flat list of properties.
template <std::size_t... I>
seglog_test::serialised flat_repeats(std::size_t distinct, std::index_sequence<I...>) {
    const auto &k = keys(distinct);
    return serialise(event_type::track, {seglog::property{k[I % distinct], static_cast<int>(I)}...});
}
template <std::size_t N>
ojson expected_repeats(std::size_t distinct) {
    std::vector<std::pair<std::string, int>> pairs;
    for (std::size_t i = 0; i < N; ++i) pairs.emplace_back(keys(distinct)[i % distinct], static_cast<int>(i));
    return first_wins(pairs);
}

// Calls f with `inner` wrapped in `levels` braced objects {"k": ...}; each level's list lives
// until the end of the full expression that calls f, as at a call site.
template <int Levels, typename F>
auto nest(F &&f, const seglog::value &inner) {
    if constexpr (Levels == 0) return f(inner);
    else return nest<Levels - 1>(f, seglog::value{{"k", inner}});
}
json nest_json(int levels, json inner) {
    for (int i = 0; i < levels; ++i) inner = json{{"k", inner}};
    return inner;
}

// The same failure for braces and for the equivalent nlohmann::json.
void check_same_error(const seglog_test::serialised &braces, const seglog_test::serialised &tree, reason code,
                      const std::string &message) {
    REQUIRE(braces.err);
    REQUIRE(tree.err);
    CHECK(braces.err->code == code);
    CHECK(braces.err->message == message);
    CHECK(tree.err->code == code);
    CHECK(tree.err->message == message);
}

} // namespace

TEST_SUITE("properties: nested braces") {

TEST_CASE("the issue's example, and objects, arrays, arrays of objects, mixed and empty, as nlohmann reads them") {
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"shipping", {{"method", "express"}}}, {"products", {{{"sku", "a"}, {"qty", 1}}}}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"address", {{"street", "1 Main St"}, {"geo", {{"lat", 52.5}, {"lng", 13.25}}}}}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"ids", {1, 2, 3}}, {"tags", {"a", "b"}}, {"flags", {true, false, nullptr}}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"products", {{{"sku", "a"}, {"qty", 1}, {"price", 9.5}},
                                                  {{"sku", "b"}, {"qty", 2}, {"tags", {"x", "y"}}}}}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"mixed", {1, "two", {{"three", 3}}, {4, {5, {6}}}, nullptr, -7.25}}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"matrix", {{1, 2}, {3, 4}}}, {"nested", {{{{{"deep", "yes"}}}}}}});
    // Empty braces are null in nlohmann, and so here; no braces at all is no properties.
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"empty", {}}, {"list_of_empty", {{}, {}}}, {"n", nullptr}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({});
    // Integers of every kind, strings that need escaping, UTF-8.
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"n", {std::numeric_limits<std::int64_t>::min(),
                                          std::numeric_limits<std::uint64_t>::max(), 0u, -1}},
                                    {"s", {{"q", "say \"hi\"\n\t\\ caf\xC3\xA9 \xF0\x9F\x98\x80"}, {"c", "\x01\x7F"}}}});
}

TEST_CASE("nlohmann's rule: a list of pairs whose first is a string is an object, anything else an array") {
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"pair", {"a", 1}}});          // two items, not pairs: ["a",1]
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"one_pair", {{"a", "b"}}}});  // {"a":"b"}, as in nlohmann
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"not_all", {{"a", 1}, 2}}});  // one element is no pair: array
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"key_not_string", {{1, "a"}, {2, "b"}}}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"three", {{"a", 1, 2}}}});    // [["a",1,2]]
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
    const auto s = serialise(event_type::track, {{"tree", tree}, {"in_list", {tree, 1}}, {"as_pair", {pair, pair}},
                                                 {"json_key", {{key, 1}}}});
    REQUIRE_FALSE(s.err);
    CHECK(s.parsed().at("properties") ==
          json({{"tree", tree}, {"in_list", {tree, 1}}, {"as_pair", {pair, pair}}, {"json_key", {{key, 1}}}}));
    CHECK(s.record.find(R"("as_pair":{"k":1},"json_key":{"jk":1}})") != std::string::npos);
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
        const auto s = serialise(type, {{"plan", "pro"}, {"address", {{"city", "Berlin"}, {"zip", "10115"}}},
                                        {"roles", {"admin", "billing"}}, {"plan", "free"}});
        REQUIRE_FALSE(s.err);
        const ojson traits = {{"plan", "pro"}, {"address", {{"city", "Berlin"}, {"zip", "10115"}}},
                              {"roles", {"admin", "billing"}}, {"plan", "free"}};
        CHECK(seglog_test::ends_with(s.record, "\"traits\":" + traits.dump() + seglog_test::default_tail()));
    }
    for (const auto type : {event_type::page, event_type::screen}) {
        const auto s = serialise(type, {{"path", "/"}, {"referrer", {{"host", "example.com"}, {"q", {1, 2}}}}});
        REQUIRE_FALSE(s.err);
        const ojson props = {{"path", "/"}, {"referrer", {{"host", "example.com"}, {"q", {1, 2}}}}};
        CHECK(seglog_test::ends_with(s.record, "\"properties\":" + props.dump() + seglog_test::default_tail()));
    }

    const auto s = serialise(
        event_type::track, {},
        seglog::call_options()
            .with_context({{"ip", "203.0.113.9"}, {"library", "theirs"}, {"app", {{"name", "shop"}, {"build", 12}}},
                           {"ip", "198.51.100.1"}, {"campaign", {{"source", "news"}, {"terms", {"a", "b"}}}}})
            .with_integrations({{"All", false}, {"Amplitude", {{"session_id", 7}}}, {"All", true}}));
    REQUIRE_FALSE(s.err);
    const ojson ctx = {{"ip", "203.0.113.9"}, {"library", "theirs"}, {"app", {{"name", "shop"}, {"build", 12}}},
                       {"ip", "198.51.100.1"}, {"campaign", {{"source", "news"}, {"terms", {"a", "b"}}}}};
    const ojson integrations = {{"All", false}, {"Amplitude", {{"session_id", 7}}}, {"All", true}};
    INFO(s.record);
    CHECK(seglog_test::ends_with(s.record, "\"properties\":{},\"context\":" + context_text(ctx) +
                                               ",\"integrations\":" + integrations.dump() + "}"));

    // Context alone, integrations alone, and empty braces for either (as if not given).
    const auto c = serialise(event_type::track, {}, seglog::call_options().with_context({{"locale", "fr"}}));
    CHECK(seglog_test::ends_with(c.record, ",\"context\":{\"locale\":\"fr\"," + library_member() +
                                               "},\"integrations\":{}}"));
    const auto i = serialise(event_type::track, {}, seglog::call_options().with_integrations({{"All", false}}));
    CHECK(seglog_test::ends_with(i.record, ",\"context\":{" + library_member() + "},\"integrations\":{\"All\":false}}"));
    const auto e = serialise(event_type::track, {}, seglog::call_options().with_context({}).with_integrations({}));
    CHECK(seglog_test::ends_with(e.record, seglog_test::default_tail()));
}

TEST_CASE("a repeated key keeps its first value, at every level, as nlohmann::json does") {
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"a", 1}, {"a", 2}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"a", 1}, {"b", 2}, {"a", 3}, {"c", 4}, {"b", 5}, {"a", 6}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"o", {{"x", 1}, {"y", 2}, {"x", {3, 4}}}}, {"o", "later"}});
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"list", {{{"sku", "a"}, {"sku", "b"}}, {{"q", 1}, {"q", 2}}}}});
    // Keys that share their first and last bytes, or only their length, are different keys.
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"abcdefgh_1_abcdefgh", 1}, {"abcdefgh_2_abcdefgh", 2}, {"ab", 3}, {"ba", 4},
                                    {"", 5}, {"", 7}});
    // Keys the writer's short path does not take: longer than 16 bytes, or needing escapes.
    CHECK_PROPERTIES_LIKE_NLOHMANN({{"a_key_longer_than_sixteen_bytes", 1}, {"say \"hi\"", 2}, {"x", 3},
                                    {"a_key_longer_than_sixteen_bytes", 4}, {"say \"hi\"", 5}});
    const std::string a1 = "same", a2 = "same"; // equal keys at different addresses
    CHECK_PROPERTIES_LIKE_NLOHMANN({{a1, 1}, {a2, 2}});

    // Long lists: past the pairwise scan (16 members) and the first 64.
    const auto flat = flat_repeats(30, std::make_index_sequence<100>{});
    REQUIRE_FALSE(flat.err);
    CHECK(seglog_test::ends_with(flat.record,
                                 "\"properties\":" + expected_repeats<100>(30).dump() + seglog_test::default_tail()));
    const auto nested = nested_repeats(7, std::make_index_sequence<80>{});
    REQUIRE_FALSE(nested.err);
    CHECK(seglog_test::ends_with(nested.record, "\"properties\":{\"list\":" + expected_repeats<80>(7).dump() + "}" +
                                                    seglog_test::default_tail()));
    const auto distinct = flat_repeats(90, std::make_index_sequence<90>{});
    REQUIRE_FALSE(distinct.err);
    CHECK(seglog_test::ends_with(distinct.record, "\"properties\":" + expected_repeats<90>(90).dump() +
                                                      seglog_test::default_tail()));
}

TEST_CASE("limits inside nested braces: the errors of the equivalent nlohmann::json") {
    auto braces = [](const seglog::value &v) { return serialise(event_type::track, {{"deep", v}}); };
    auto tree = [](const json &j) { return serialise(event_type::track, {{"deep", j}}); };

    // Depth: a property's value is at level 1, and 32 levels is the limit.
    CHECK_FALSE(nest<31>(braces, 1).err);
    CHECK_FALSE(tree(nest_json(31, 1)).err);
    std::string path = "properties.deep";
    for (int i = 0; i < 31; ++i) path += ".k";
    check_same_error(nest<32>(braces, 1), tree(nest_json(32, 1)), reason::too_deep,
                     "track event rejected: " + path + " nests deeper than 32 levels");
    check_same_error(nest<40>(braces, 1), tree(nest_json(40, 1)), reason::too_deep,
                     "track event rejected: " + path + " nests deeper than 32 levels");
    // Arrays count as levels too.
    const auto in_array = nest<31>(braces, seglog::value{1});
    const auto in_array_json = tree(nest_json(31, json::array({1})));
    check_same_error(in_array, in_array_json, reason::too_deep,
                     "track event rejected: " + path + " nests deeper than 32 levels");

    // Keys: 1000 per object, counted after repeated keys are left out.
    const auto many = nested_repeats(1001, std::make_index_sequence<1001>{});
    json many_json = json::object();
    for (std::size_t i = 0; i < 1001; ++i) many_json[keys(1001)[i]] = i;
    check_same_error(many, serialise(event_type::track, {{"list", many_json}}), reason::too_many_keys,
                     "track event rejected: properties.list has more than 1000 keys");
    CHECK_FALSE(nested_repeats(1000, std::make_index_sequence<1001>{}).err); // k0 twice: 1000 keys
    CHECK_FALSE(flat_repeats(1000, std::make_index_sequence<1001>{}).err);
    check_same_error(flat_repeats(1001, std::make_index_sequence<1001>{}), serialise(event_type::track, many_json),
                     reason::too_many_keys, "track event rejected: properties has more than 1000 keys");

    // Size: one string over the limit, refused before it is copied; and many small ones.
    const std::string big(40000, 'x');
    check_same_error(serialise(event_type::track, {{"a", {{{"b", big}}}}}),
                     serialise(event_type::track, {{"a", json::array({{{"b", big}}})}}), reason::event_too_large,
                     "track event rejected: properties.a.0.b is a 40000-byte string, over the 32768-byte limit per "
                     "event");
    const std::string chunk(1000, 'y');
    const auto many_strings = serialise(event_type::track, {{"a", {{{"s", {chunk, chunk, chunk, chunk, chunk}}}}}},
                                        {}, nullptr, 3000);
    const auto many_strings_json =
        serialise(event_type::track, {{"a", json::array({{{"s", {chunk, chunk, chunk, chunk, chunk}}}})}}, {},
                  nullptr, 3000);
    check_same_error(many_strings, many_strings_json, reason::event_too_large,
                     "track event rejected: over the 3000-byte limit per event at properties.a.0.s.3");

    // UTF-8, in a value and in a key.
    check_same_error(serialise(event_type::track, {{"a", {1, {{"b", "ok"}, {"c", "\xC3\x28"}}}}}),
                     serialise(event_type::track, {{"a", json::array({1, {{"b", "ok"}, {"c", "\xC3\x28"}}})}}),
                     reason::invalid_utf8, "track event rejected: properties.a.1.c is not valid UTF-8");
    check_same_error(serialise(event_type::track, {{"a", {{"\xFF", 1}}}}),
                     serialise(event_type::track, {{"a", json{{"\xFF", 1}}}}), reason::invalid_utf8,
                     "track event rejected: properties.a.<invalid key> is not valid UTF-8");

    // NaN and infinities.
    const double nan = std::nan("");
    check_same_error(serialise(event_type::track, {{"m", {{"v", {0.5, nan}}}}}),
                     serialise(event_type::track, {{"m", json{{"v", {0.5, nan}}}}}), reason::non_finite_number,
                     "track event rejected: properties.m.v.1 is NaN or infinite, which JSON cannot carry");
    check_same_error(
        serialise(event_type::identify, {{"m", {{{"inf", std::numeric_limits<double>::infinity()}}}}}),
        serialise(event_type::identify, {{"m", json::array({{{"inf", std::numeric_limits<double>::infinity()}}})}}),
        reason::non_finite_number, "identify rejected: traits.m.0.inf is NaN or infinite, which JSON cannot carry");

    // The same checks in context and integrations.
    const auto ctx = serialise(event_type::track, {}, seglog::call_options().with_context({{"app", {{"v", nan}}}}));
    REQUIRE(ctx.err);
    CHECK(ctx.err->message == "track event rejected: context.app.v is NaN or infinite, which JSON cannot carry");
    const auto integ =
        serialise(event_type::track, {}, seglog::call_options().with_integrations({{"X", {"\xFF"}}}));
    REQUIRE(integ.err);
    CHECK(integ.err->message == "track event rejected: integrations.X.0 is not valid UTF-8");
}

} // TEST_SUITE
