// Long braced lists and the limits inside nested braces: repeated keys past the writer's
// pairwise scan (16 members) and the first 64, the 1000-keys limit counted after repeated keys
// are left out, depth, size, UTF-8 and NaN, each with the error the equivalent nlohmann::json
// gets. Built without debug info (tests/meson.build): functions holding lists of a thousand
// members take GCC minutes to track for it under the sanitizers.
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

// {"list": {{k[I % distinct], I}...}} in braces: a nested object of sizeof...(I) members whose
// keys repeat every `distinct` members.
template <std::size_t... I>
seglog_test::serialised nested_repeats(std::size_t distinct, std::index_sequence<I...>) {
    const auto &k = keys(distinct);
    return serialise(event_type::track, {{"list", {seglog::value{k[I % distinct], static_cast<int>(I)}...}}});
}
// Long lists (past max_object_keys) from copies of prepared elements: a list of a thousand
// members each building its own temporaries makes a function the compiler (with sanitizers)
// takes minutes over. Nested: nlohmann::json arrays of two, which count as pairs in braces.
template <std::size_t... I>
seglog_test::serialised nested_list(const std::vector<seglog::value> &from, std::index_sequence<I...>) {
    return serialise(event_type::track, {{"list", {from[I]...}}});
}
template <std::size_t... I>
seglog_test::serialised flat_list(const std::vector<seglog::property> &from, std::index_sequence<I...>) {
    return serialise(event_type::track, {from[I]...});
}
template <std::size_t N>
seglog_test::serialised nested_json_pairs(std::size_t distinct) {
    static std::vector<json> pairs;
    pairs.clear();
    for (std::size_t i = 0; i < N; ++i) pairs.push_back(json::array({keys(distinct)[i % distinct], i}));
    const std::vector<seglog::value> values(pairs.begin(), pairs.end());
    return nested_list(values, std::make_index_sequence<N>{});
}
template <std::size_t N>
seglog_test::serialised flat_repeats(std::size_t distinct) {
    std::vector<seglog::property> props;
    for (std::size_t i = 0; i < N; ++i) props.emplace_back(keys(distinct)[i % distinct], static_cast<int>(i));
    return flat_list(props, std::make_index_sequence<N>{});
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

TEST_SUITE("properties: long lists and limits") {

TEST_CASE("long lists: a repeated key keeps its first value past the pairwise scan and the first 64 members") {
    const auto flat = flat_repeats<100>(30);
    REQUIRE_FALSE(flat.err);
    CHECK(seglog_test::ends_with(flat.record,
                                 "\"properties\":" + expected_repeats<100>(30).dump() + seglog_test::default_tail()));
    const auto nested = nested_repeats(7, std::make_index_sequence<80>{});
    REQUIRE_FALSE(nested.err);
    CHECK(seglog_test::ends_with(nested.record, "\"properties\":{\"list\":" + expected_repeats<80>(7).dump() + "}" +
                                                    seglog_test::default_tail()));
    const auto distinct = flat_repeats<90>(90);
    REQUIRE_FALSE(distinct.err);
    CHECK(seglog_test::ends_with(distinct.record,
                                 "\"properties\":" + expected_repeats<90>(90).dump() + seglog_test::default_tail()));
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
    const auto many = nested_json_pairs<1001>(1001);
    json many_json = json::object();
    for (std::size_t i = 0; i < 1001; ++i) many_json[keys(1001)[i]] = i;
    check_same_error(many, serialise(event_type::track, {{"list", many_json}}), reason::too_many_keys,
                     "track event rejected: properties.list has more than 1000 keys");
    CHECK_FALSE(nested_json_pairs<1001>(1000).err); // k0 twice: 1000 keys
    CHECK_FALSE(flat_repeats<1001>(1000).err);
    check_same_error(flat_repeats<1001>(1001), serialise(event_type::track, many_json), reason::too_many_keys,
                     "track event rejected: properties has more than 1000 keys");

    // Size: one string over the limit, refused before it is copied; and many small ones.
    const std::string big(40000, 'x');
    check_same_error(serialise(event_type::track, {{"a", {{{"b", big}}}}}),
                     serialise(event_type::track, {{"a", json::array({{{"b", big}}})}}), reason::event_too_large,
                     "track event rejected: properties.a.0.b is a 40000-byte string, over the 32768-byte limit per "
                     "event");
    const std::string chunk(1000, 'y');
    const auto many_strings = serialise(event_type::track, {{"a", {{{"s", {chunk, chunk, chunk, chunk, chunk}}}}}}, {},
                                        nullptr, 3000);
    const auto many_strings_json = serialise(event_type::track,
                                             {{"a", json::array({{{"s", {chunk, chunk, chunk, chunk, chunk}}}})}}, {},
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
    check_same_error(serialise(event_type::identify, {{"m", {{{"inf", std::numeric_limits<double>::infinity()}}}}}),
                     serialise(event_type::identify,
                               {{"m", json::array({{{"inf", std::numeric_limits<double>::infinity()}}})}}),
                     reason::non_finite_number,
                     "identify rejected: traits.m.0.inf is NaN or infinite, which JSON cannot carry");

    // The same checks in context and integrations.
    const auto ctx = serialise(event_type::track, {}, seglog::call_options().with_context({{"app", {{"v", nan}}}}));
    REQUIRE(ctx.err);
    CHECK(ctx.err->message == "track event rejected: context.app.v is NaN or infinite, which JSON cannot carry");
    const auto integ = serialise(event_type::track, {}, seglog::call_options().with_integrations({{"X", {"\xFF"}}}));
    REQUIRE(integ.err);
    CHECK(integ.err->message == "track event rejected: integrations.X.0 is not valid UTF-8");
}

} // TEST_SUITE
