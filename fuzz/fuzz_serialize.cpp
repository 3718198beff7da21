// fuzz_serialize: arbitrary events through seglog::detail::serialize_event.
//
// The input picks an event type, identity, names, options and properties, either a JSON tree
// (parsed from the input, or built from it with arbitrary bytes in keys and strings, deep
// nesting, NaN/Inf, binary values) or a braced `seglog::property` list with arbitrary
// string_views whose values nest braced lists (objects, arrays, pairs that are not, repeated
// keys, nlohmann::json values inside); context and integrations are braced lists too at times.
// Invariants (docs/hardening.md):
//   success: the record parses as a JSON object; its first 14 bytes are {"messageId":" and
//            bytes [14,50) are a UUID v4 equal to the parsed messageId; it fits the limit;
//            type, ids, names, properties/traits, context and integrations read back equal
//            to the input (context.library is always seglog's); braced lists read back equal,
//            key order included, to what nlohmann::ordered_json makes of the same braces (a
//            repeated key's first value), and no object in the record repeats a key.
//   error:   the texts of the error are valid UTF-8 without control characters (so no raw
//            invalid input bytes and no forged log lines), and they do not depend on property
//            values: the same event with every printable ASCII byte of every string value
//            replaced by 'x' (same size, same validity) gives the very same error.
//   both:    serialize_event never crashes, leaks or trips a sanitizer.
// A quarter of the inputs go through a redactor (a few rules and allow-list paths): the same
// invariants hold, except that properties/traits/context are only checked to be objects (and,
// without hash rules, braced properties to be what redactor::apply makes of nlohmann's reading).

#include "common/timestamp.h"
#include "event/json_writer.h"
#include "event/serialize.h"

#include "fuzz_common.h"

#include <seglog/config.h>
#include <seglog/redaction.h>

#include <fuzzer/FuzzedDataProvider.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;
using seglog_fuzz::show;
using seglog_fuzz::valid_utf8;
constexpr const char *target = "fuzz_serialize";
#define CHECK(cond, detail) FUZZ_CHECK(target, cond, detail)

// Same length, same UTF-8 validity, same escaping: printable ASCII other than " and \ -> 'x'.
std::string mask(std::string_view s) {
    std::string out(s);
    for (auto &ch : out) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') ch = 'x';
    }
    return out;
}

// The tree with every string value masked; keys kept (they name the failing path).
json mask_values(const json &j) {
    switch (j.type()) {
    case json::value_t::string: return mask(j.get_ref<const std::string &>());
    case json::value_t::array: {
        // The first of an array of two may be a key: inside braces such an array is a pair.
        const bool pair = j.size() == 2 && j[0].is_string();
        json out = json::array();
        for (const auto &e : j) out.push_back(pair && out.empty() ? e : mask_values(e));
        return out;
    }
    case json::value_t::object: {
        json out = json::object();
        for (const auto &[k, v] : j.items()) out[k] = mask_values(v);
        return out;
    }
    default: return j;
    }
}

class tree_builder {
public:
    explicit tree_builder(FuzzedDataProvider &fdp) : fdp_(fdp) {}

    // Clean inputs (printable ASCII strings, finite numbers, no binary) get past validation, so
    // that what was written is compared with what was given far more often.
    bool clean = false;

    std::string str(std::size_t max = 48) {
        std::string s = fdp_.ConsumeRandomLengthString(max);
        if (clean)
            for (auto &c : s) c = static_cast<char>('a' + static_cast<unsigned char>(c) % 26);
        return s;
    }

    json make(int depth) {
        if (fdp_.remaining_bytes() == 0) return nullptr;
        switch (fdp_.ConsumeIntegralInRange<int>(0, 11)) {
        case 0: return nullptr;
        case 1: return fdp_.ConsumeBool();
        case 2: return fdp_.ConsumeIntegral<std::int64_t>();
        case 3: return fdp_.ConsumeIntegral<std::uint64_t>();
        case 4: return fdp_.ConsumeFloatingPoint<double>();
        case 5: return special_double();
        case 6:
        case 7: return str();
        case 8:
            if (clean) return str();
            return json::binary(fdp_.ConsumeBytes<std::uint8_t>(fdp_.ConsumeIntegralInRange<int>(0, 8)));
        case 9: { // a chain of single-element containers, to go past the depth limit cheaply
            const int levels = fdp_.ConsumeIntegralInRange<int>(1, 40);
            json inner = depth + levels < max_depth ? make(depth + levels) : json(1);
            for (int i = 0; i < levels; ++i)
                inner = fdp_.ConsumeBool() ? json::array({std::move(inner)}) : json{{str(4), std::move(inner)}};
            return inner;
        }
        case 10: {
            json a = json::array();
            if (depth >= max_depth) return a;
            const int n = fdp_.ConsumeIntegralInRange<int>(0, 5);
            for (int i = 0; i < n && fdp_.remaining_bytes(); ++i) a.push_back(make(depth + 1));
            return a;
        }
        default: return object(depth);
        }
    }

    json object(int depth) {
        json o = json::object();
        if (depth >= max_depth) return o;
        const int n = fdp_.ConsumeIntegralInRange<int>(0, 6);
        for (int i = 0; i < n && fdp_.remaining_bytes(); ++i) {
            std::string k = str(24);
            o[k] = make(depth + 1);
        }
        return o;
    }

    // The top of properties/context/integrations: usually an object, sometimes not.
    json top() {
        switch (fdp_.ConsumeIntegralInRange<int>(0, 7)) {
        case 0: return nullptr;
        case 1: return make(0);
        case 2: { // JSON text, as a service would pass a parsed request body
            json j = json::parse(str(512), nullptr, /*allow_exceptions=*/false);
            return j.is_discarded() ? json::object() : j;
        }
        default: return object(0);
        }
    }

    double special_double() {
        if (clean) return fdp_.ConsumeIntegralInRange<int>(-3, 3) * 0.5;
        switch (fdp_.ConsumeIntegralInRange<int>(0, 7)) {
        case 0: return std::numeric_limits<double>::quiet_NaN();
        case 1: return std::numeric_limits<double>::infinity();
        case 2: return -std::numeric_limits<double>::infinity();
        case 3: return -0.0;
        case 4: return std::numeric_limits<double>::denorm_min();
        case 5: return std::numeric_limits<double>::max();
        case 6: return 9223372036854775808.0;   // 2^63
        default: return 18446744073709551616.0; // 2^64
        }
    }

private:
    static constexpr int max_depth = 48; // past seglog's limit of 32, well short of the stack's
    FuzzedDataProvider &fdp_;
};

// nlohmann::json as nlohmann::ordered_json, bytes as they are (the strings may not be UTF-8).
ojson ordered(const json &j) {
    switch (j.type()) {
    case json::value_t::array: {
        ojson out = ojson::array();
        for (const auto &e : j) out.push_back(ordered(e));
        return out;
    }
    case json::value_t::object: {
        ojson out = ojson::object();
        for (const auto &[k, v] : j.items()) out[k] = ordered(v);
        return out;
    }
    case json::value_t::string: return j.get_ref<const std::string &>();
    case json::value_t::boolean: return j.get<bool>();
    case json::value_t::number_integer: return j.get<std::int64_t>();
    case json::value_t::number_unsigned: return j.get<std::uint64_t>();
    case json::value_t::number_float: return j.get<double>();
    case json::value_t::binary: return ojson::binary(j.get_binary());
    default: return nullptr;
    }
}

// A value of a braced list, with storage for what it borrows: a scalar, a nlohmann::json, or a
// nested braced list of nodes.
struct node {
    enum kind_t { null, boolean, integer, unsigned_integer, floating, view, c_string, null_c_string, tree, list };
    kind_t kind = null;
    bool b = false;
    std::int64_t i = 0;
    std::uint64_t u = 0;
    double d = 0;
    std::string text;
    json j;
    std::vector<node> children;

    // A list of two whose first is a string: in braces, a pair whose first is a key.
    bool is_pair_shaped() const {
        if (kind != list || children.size() != 2) return false;
        const node &first = children[0];
        return first.kind == view || first.kind == c_string || (first.kind == tree && first.j.is_string());
    }
    // Same sizes and UTF-8 validity, same keys: the strings of values masked.
    node masked() const {
        node m;
        m.kind = kind;
        m.b = b;
        m.i = i;
        m.u = u;
        m.d = d;
        m.text = mask(text);
        m.j = mask_values(j);
        m.children.reserve(children.size());
        for (std::size_t k = 0; k < children.size(); ++k)
            m.children.push_back(k == 0 && is_pair_shaped() ? children[0] : children[k].masked());
        return m;
    }
};

struct list_item {
    std::string key;
    node value;
};

constexpr std::size_t max_children = 6; // elements of a nested braced list

// A key: often one of a few, so that lists repeat keys.
std::string make_key(tree_builder &tb, FuzzedDataProvider &fdp) {
    static const char *const common[] = {"a", "b", "sku", "a_key_longer_than_sixteen_bytes"};
    return fdp.ConsumeBool() ? std::string(common[fdp.ConsumeIntegralInRange<int>(0, 3)]) : tb.str(24);
}

// A braced value: scalars of every kind, a nlohmann::json, or a nested list (mostly of pairs,
// then an object unless one element is not a pair), as deep as past the writer's limit.
node make_node(tree_builder &tb, FuzzedDataProvider &fdp, int depth, int &budget) {
    node n;
    if (fdp.remaining_bytes() == 0 || --budget < 0) return n;                     // a bounded number of nodes per input
    const int pick = fdp.ConsumeIntegralInRange<int>(node::null, node::list + 1); // the last: a chain
    n.kind = pick > node::list ? node::list : static_cast<node::kind_t>(pick);
    switch (pick) {
    case node::boolean: n.b = fdp.ConsumeBool(); break;
    case node::integer: n.i = fdp.ConsumeIntegral<std::int64_t>(); break;
    case node::unsigned_integer: n.u = fdp.ConsumeIntegral<std::uint64_t>(); break;
    case node::floating: n.d = fdp.ConsumeBool() ? tb.special_double() : fdp.ConsumeFloatingPoint<double>(); break;
    case node::view:
    case node::c_string: n.text = tb.str(64); break;
    case node::tree: n.j = tb.make(depth); break;
    case node::list: {
        if (depth >= 12) break; // wider lists stay shallow; chains (below) go deep
        const bool pairs = fdp.ConsumeBool();
        const int count = fdp.ConsumeIntegralInRange<int>(0, static_cast<int>(max_children));
        for (int k = 0; k < count && fdp.remaining_bytes(); ++k) {
            if (pairs && fdp.ConsumeIntegralInRange<int>(0, 7) != 0) {
                // A pair: braces of two, the key at times a nlohmann::json string; or a
                // nlohmann::json array of two whose first is a string, which counts as one.
                node pair;
                const int shape = fdp.ConsumeIntegralInRange<int>(0, 3);
                if (shape == 0) {
                    pair.kind = node::tree;
                    pair.j = json::array({make_key(tb, fdp), tb.make(depth + 2)});
                } else {
                    pair.kind = node::list;
                    node key;
                    key.kind = shape == 1 ? node::tree : node::view;
                    key.text = make_key(tb, fdp);
                    if (shape == 1) key.j = key.text;
                    pair.children = {std::move(key), make_node(tb, fdp, depth + 2, budget)};
                }
                n.children.push_back(std::move(pair));
            } else {
                n.children.push_back(make_node(tb, fdp, depth + 1, budget));
            }
        }
        break;
    }
    case node::list + 1: { // a chain of one-member objects or one-element arrays, to go past the depth limit cheaply
        n.kind = node::list;
        const int levels = fdp.ConsumeIntegralInRange<int>(1, 40);
        node inner = depth + levels < 48 ? make_node(tb, fdp, depth + levels, budget) : node{};
        for (int k = 0; k < levels; ++k) {
            node outer;
            outer.kind = node::list;
            if (fdp.ConsumeBool()) {
                outer.children.push_back(std::move(inner));
            } else {
                node key;
                key.kind = node::view;
                key.text = make_key(tb, fdp);
                node pair;
                pair.kind = node::list;
                pair.children = {std::move(key), std::move(inner)};
                outer.children.push_back(std::move(pair));
            }
            inner = std::move(outer);
        }
        n = std::move(inner);
        break;
    }
    default: break;
    }
    return n;
}

std::vector<list_item> make_items(tree_builder &tb, FuzzedDataProvider &fdp, std::size_t max) {
    std::vector<list_item> items(fdp.ConsumeIntegralInRange<std::size_t>(0, max));
    int budget = 200;
    for (auto &it : items) {
        it.key = make_key(tb, fdp);
        it.value = make_node(tb, fdp, 1, budget);
    }
    return items;
}

// The seglog::value of a node and what nlohmann::ordered_json makes of the same braces, handed to
// a continuation: a nested list's initializer_list lives in the frame that builds it, so the
// whole call must run inside (as a call site's braces live until the end of its statement).
using value_fn = std::function<void(const seglog::value &, const ojson &)>;

template <std::size_t... I>
void make_list(const std::vector<seglog::value> &v, const std::vector<ojson> &e, const value_fn &k,
               std::index_sequence<I...>) {
    // Explicit initializer_lists: `T{x}` with one element is read the same by every compiler.
    k(seglog::value(std::initializer_list<seglog::value>{v[I]...}), ojson(ojson::initializer_list_t{e[I]...}));
}
template <std::size_t N = 0>
void make_list(const std::vector<seglog::value> &v, const std::vector<ojson> &e, const value_fn &k) {
    if constexpr (N == max_children) {
        make_list(v, e, k, std::make_index_sequence<N>{});
    } else {
        if (v.size() == N) return make_list(v, e, k, std::make_index_sequence<N>{});
        make_list<N + 1>(v, e, k);
    }
}

void with_value(const node &n, const value_fn &k);

void with_children(const node &n, std::size_t at, std::vector<seglog::value> &v, std::vector<ojson> &e,
                   const value_fn &k) {
    if (at == n.children.size()) return make_list(v, e, k);
    with_value(n.children[at], [&](const seglog::value &cv, const ojson &ce) {
        v.push_back(cv);
        e.push_back(ce);
        with_children(n, at + 1, v, e, k);
    });
}

void with_value(const node &n, const value_fn &k) {
    switch (n.kind) {
    case node::null: return k(nullptr, nullptr);
    case node::boolean: return k(n.b, n.b);
    case node::integer: return k(n.i, n.i);
    case node::unsigned_integer: return k(n.u, n.u);
    case node::floating: return k(n.d, n.d);
    case node::view: return k(std::string_view(n.text), n.text);
    case node::c_string: return k(n.text.c_str(), std::string(n.text.c_str())); // stops at the first NUL
    case node::null_c_string: return k(static_cast<const char *>(nullptr), nullptr);
    case node::tree: return k(n.j, ordered(n.j));
    case node::list: {
        std::vector<seglog::value> v;
        std::vector<ojson> e;
        v.reserve(n.children.size());
        e.reserve(n.children.size());
        return with_children(n, 0, v, e, k);
    }
    }
}

// Calls f(properties) with a braced list built from `v` (at most max_list entries: more than
// one of the writer's 16-member runs): the initializer_list's array lives until the end of the
// full expression, as at a call site.
constexpr std::size_t max_list = 20;
template <typename F, std::size_t... I>
auto with_list(const std::vector<seglog::property> &v, F &&f, std::index_sequence<I...>) {
    return f(seglog::properties{v[I]...});
}
template <std::size_t N = 0, typename F>
auto with_list(const std::vector<seglog::property> &v, F &&f) {
    if constexpr (N == max_list) {
        return with_list(v, f, std::make_index_sequence<N>{});
    } else {
        if (v.size() == N) return with_list(v, f, std::make_index_sequence<N>{});
        return with_list<N + 1>(v, f);
    }
}

// Calls done(properties, expected) with `items` as a braced list of properties, nested values and
// all, and what nlohmann::ordered_json makes of the same braces (a repeated key's first value).
using braced_fn = std::function<void(const seglog::properties &, const ojson &)>;
void with_braced(const std::vector<list_item> &items, const braced_fn &done) {
    std::vector<seglog::property> props;
    props.reserve(items.size());
    ojson expected = ojson::object();
    std::function<void(std::size_t)> next = [&](std::size_t at) {
        if (at == items.size()) return with_list(props, [&](const seglog::properties &p) { done(p, expected); });
        with_value(items[at].value, [&](const seglog::value &v, const ojson &e) {
            props.emplace_back(items[at].key, v);
            expected.emplace(items[at].key, ojson(e)); // keeps the first of a repeated key
            next(at + 1);
        });
    };
    next(0);
}

// Whether some object of a JSON text has a key twice (nlohmann's parser keeps the last).
bool repeats_a_key(const std::string &text) {
    std::vector<std::vector<std::string>> open;
    bool repeated = false;
    (void)json::parse(
        text,
        [&](int, json::parse_event_t event, json &parsed) {
            if (event == json::parse_event_t::object_start) open.emplace_back();
            else if (event == json::parse_event_t::object_end && !open.empty()) open.pop_back();
            else if (event == json::parse_event_t::key && !open.empty()) {
                const auto &k = parsed.get_ref<const std::string &>();
                auto &keys = open.back();
                if (std::find(keys.begin(), keys.end(), k) != keys.end()) repeated = true;
                keys.push_back(k);
            }
            return true;
        },
        /*allow_exceptions=*/false);
    return repeated;
}

bool is_uuid_v4(std::string_view id) {
    if (id.size() != 36) return false;
    for (std::size_t i = 0; i < id.size(); ++i) {
        const char c = id[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return id[14] == '4' && (id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
}

bool is_iso8601(const std::string &t) {
    // YYYY-MM-DDTHH:MM:SS.mmmZ
    static const char pattern[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (t.size() != sizeof pattern - 1) return false;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (pattern[i] == 'd' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != pattern[i]) return false;
    }
    return true;
}

void check_error_text(const std::string &what, const std::string &s) {
    CHECK(valid_utf8(s), what + " is not valid UTF-8: " + show(s));
    CHECK(!seglog_fuzz::has_control_char(s), what + " has a control character: " + show(s));
}

std::string describe(const std::optional<seglog::error> &e) {
    if (!e) return "ok";
    return std::string(seglog::to_string(e->code)) + ": " + show(e->message) + " [" + show(e->event_type) + "/" +
           show(e->event_name) + "]";
}

// A section's object given as a JSON tree (or none at all) or as a braced list.
struct section_input {
    enum mode_t { absent, tree, braced } mode = absent;
    json j;
    std::vector<list_item> items;

    static section_input make(tree_builder &tb, FuzzedDataProvider &fdp, std::size_t max_items) {
        section_input in;
        in.mode = static_cast<mode_t>(fdp.ConsumeIntegralInRange<int>(absent, braced));
        if (in.mode == tree) in.j = tb.top();
        if (in.mode == braced) in.items = make_items(tb, fdp, max_items);
        return in;
    }
    section_input masked() const {
        section_input m = *this;
        m.j = mask_values(j);
        for (auto &it : m.items) it.value = it.value.masked();
        return m;
    }
    // Calls k(properties, expected): what was given, and what the record must hold (ordered as
    // written for braces; for a tree, the tree, or {} for none or null).
    void with(const std::function<void(const seglog::properties &, const ojson &)> &k) const {
        switch (mode) {
        case absent: return k(seglog::properties{}, ojson::object());
        case tree: return k(seglog::properties(j), j.is_null() ? ojson::object() : ordered(j));
        case braced: return with_braced(items, k);
        }
    }
};

// What the record of a successful call must hold, besides its fixed fields.
struct expectations {
    ojson props, context, integrations;
};

// The checks of a record whose call succeeded.
void check_record(const std::string &out, std::size_t limit, seglog::event_type type, const seglog::identity &who,
                  const std::string &name, const std::string &group_id, const std::string &previous_id,
                  const std::string &alias_user_id, const seglog::call_options &opts, const expectations &want,
                  const seglog::redactor *redactor, bool braced_props) {
    using seglog::event_type;
    CHECK(out.size() <= limit, std::to_string(out.size()) + " > " + std::to_string(limit));
    CHECK(out.compare(0, 14, "{\"messageId\":\"") == 0, show(out));
    const std::string_view id = seglog::detail::record_message_id(out);
    CHECK(is_uuid_v4(id), show(out));
    CHECK(valid_utf8(out), show(out));
    const ojson doc = ojson::parse(out, nullptr, /*allow_exceptions=*/false);
    CHECK(!doc.is_discarded() && doc.is_object(), "not JSON: " + show(out, 2000));
    CHECK(!repeats_a_key(out), "a key twice in one object: " + show(out, 2000));
    CHECK(doc.value("messageId", "") == id, show(out));
    CHECK(doc.value("type", "") == seglog::to_string(type), show(out));
    const std::string ts = doc.value("timestamp", "");
    CHECK(is_iso8601(ts), show(out));
    if (opts.timestamp) CHECK(ts == seglog::detail::iso8601(*opts.timestamp), ts);

    const auto shown = [](const ojson &j) {
        return show(j.dump(-1, ' ', false, ojson::error_handler_t::replace), 2000);
    };
    if (type == event_type::alias) {
        CHECK(doc.value("userId", "") == alias_user_id && doc.value("previousId", "") == previous_id, show(out));
        CHECK(!doc.contains("properties") && !doc.contains("traits"), show(out));
    } else {
        CHECK(doc.value("userId", "") == who.user_id, show(out));
        CHECK(doc.value("anonymousId", "") == who.anonymous_id, show(out));
        const char *key = type == event_type::identify || type == event_type::group ? "traits" : "properties";
        CHECK(doc.contains(key) && (redactor ? doc[key].is_object() : doc[key] == want.props),
              std::string(key) + ": " + show(out, 2000) + "\nexpected " + shown(want.props));
        // Without hash rules (a hashed object's text follows its key order), the braced list
        // redacted reads as redactor::apply makes of nlohmann's reading of the same braces.
        const bool hashes = redactor &&
                            std::any_of(redactor->rules().begin(), redactor->rules().end(),
                                        [](const auto &r) { return r.action == seglog::redact_action::hash; });
        if (redactor && braced_props && !hashes) {
            json applied;
            try {
                applied = redactor->apply(key, json(want.props));
            } catch (const std::invalid_argument &e) {
                CHECK(false, std::string("apply() refused what the braces wrote: ") + e.what());
            }
            CHECK(json(doc[key]) == applied, std::string(key) + ": " + show(out, 2000) + "\napply() " +
                                                 show(applied.dump(-1, ' ', false, json::error_handler_t::replace)));
        }
    }
    if (type == event_type::track) CHECK(doc.value("event", "") == name, show(out));
    if (type == event_type::group) CHECK(doc.value("groupId", "") == group_id, show(out));
    if (type == event_type::page || type == event_type::screen) CHECK(doc.value("name", "") == name, show(out));

    const ojson &ctx = doc.at("context");
    CHECK(ctx.is_object() && ctx.contains("library") && ctx["library"].value("name", "") == "seglog", show(out));
    CHECK(ctx.back().contains("name"), "context.library is not last: " + show(out, 2000));
    ojson ctx_rest = ctx, expected_ctx = want.context;
    ctx_rest.erase("library");
    expected_ctx.erase("library");
    CHECK(redactor || ctx_rest == expected_ctx, "context: " + show(out, 2000) + "\nexpected " + shown(expected_ctx));
    CHECK(doc.at("integrations") == want.integrations,
          "integrations: " + show(out, 2000) + "\nexpected " + shown(want.integrations));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    FuzzedDataProvider fdp(data, size);
    tree_builder tb(fdp);
    tb.clean = fdp.ConsumeBool();
    using seglog::event_type;

    const auto type = static_cast<event_type>(fdp.ConsumeIntegralInRange<int>(0, 5));
    const std::size_t limit = fdp.ConsumeBool() ? 32 * 1024 : fdp.ConsumeIntegralInRange<std::size_t>(0, 4096);
    seglog::identity who{tb.str(), tb.str()};
    const std::string name = tb.str(), group_id = tb.str(), previous_id = tb.str(), alias_user_id = tb.str();

    // options: context and integrations as trees, braced lists or not at all
    const section_input context = section_input::make(tb, fdp, 8);
    const section_input integrations = section_input::make(tb, fdp, 8);
    std::optional<std::chrono::system_clock::time_point> timestamp;
    if (fdp.ConsumeBool())
        timestamp = std::chrono::system_clock::time_point(
            std::chrono::system_clock::duration(fdp.ConsumeIntegral<std::int64_t>()));

    // Sometimes through a redactor (the rules every destination sees): then properties, traits
    // and context are not compared with the input, everything else is.
    std::unique_ptr<seglog::redactor> redactor;
    if (fdp.ConsumeIntegralInRange<int>(0, 3) == 0) {
        static const char *const paths[] = {"properties.*", "traits.**.a",   "**.b",     "context.ip",
                                            "*.*.c",        "properties.**", "traits.x", "**.sku"};
        std::vector<seglog::redact_rule> rules;
        std::vector<std::string> allow;
        const int n = fdp.ConsumeIntegralInRange<int>(0, 3);
        for (int k = 0; k < n; ++k)
            rules.push_back({paths[fdp.ConsumeIntegralInRange<int>(0, 7)],
                             static_cast<seglog::redact_action>(fdp.ConsumeIntegralInRange<int>(0, 2)),
                             seglog::default_mask});
        if (fdp.ConsumeBool()) allow.push_back(fdp.ConsumeBool() ? "properties.a" : "**.b.*");
        try {
            redactor = std::make_unique<seglog::redactor>(rules, allow, "fuzz-hmac-key-0123456789");
        } catch (const seglog::config_error &) {
            // a path the allow-list refuses: no redactor
        }
    }

    // properties: a JSON tree (or none), or a braced list
    section_input props;
    props.mode = fdp.ConsumeBool() ? section_input::braced : section_input::tree;
    if (props.mode == section_input::tree) props.j = tb.top();
    else props.items = make_items(tb, fdp, max_list);
    const section_input masked_props = props.masked();

    auto run = [&](const seglog::properties &p, const seglog::call_options &opts, std::string &out) {
        seglog::detail::event_fields f;
        f.type = type;
        f.who = &who;
        f.name = name;
        f.group_id = group_id;
        f.previous_id = previous_id;
        f.alias_user_id = alias_user_id;
        f.props = &p;
        f.opts = &opts;
        return seglog::detail::serialize_event(f, out, limit, redactor.get());
    };

    // Everything runs inside the braced lists' frames (they borrow like a call site's braces).
    context.with([&](const seglog::properties &ctx, const ojson &want_ctx) {
        integrations.with([&](const seglog::properties &integ, const ojson &want_integ) {
            seglog::call_options opts;
            opts.context = ctx;
            opts.integrations = integ;
            opts.timestamp = timestamp;
            std::string out, masked_out;
            std::optional<seglog::error> err, masked_err;
            expectations want{ojson::object(), want_ctx, want_integ};
            props.with([&](const seglog::properties &p, const ojson &want_props) {
                err = run(p, opts, out);
                want.props = want_props;
            });
            masked_props.with(
                [&](const seglog::properties &p, const ojson &) { masked_err = run(p, opts, masked_out); });

            // Property values never change the outcome, only their size and validity do.
            CHECK(err.has_value() == masked_err.has_value(), describe(err) + " vs masked " + describe(masked_err));
            if (err) {
                CHECK(err->code == masked_err->code && err->message == masked_err->message &&
                          err->event_type == masked_err->event_type && err->event_name == masked_err->event_name,
                      describe(err) + " vs masked " + describe(masked_err));
                check_error_text("error message", err->message);
                check_error_text("error event_type", err->event_type);
                CHECK(valid_utf8(err->event_name), "error event_name is not valid UTF-8: " + show(err->event_name));
                CHECK(err->message_ids.empty() && err->http_status == 0, describe(err));
                return;
            }
            CHECK(out.size() == masked_out.size(), describe(err));
            check_record(out, limit, type, who, name, group_id, previous_id, alias_user_id, opts, want, redactor.get(),
                         props.mode == section_input::braced);
        });
    });
    return 0;
}
