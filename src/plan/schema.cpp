#include "plan/schema.h"

#include <seglog/config.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <utility>

namespace seglog::detail::plan {

using json = nlohmann::json;

namespace {

// Deeper values fail with the keyword "depth" (events are refused past 32 levels anyway).
constexpr int max_depth = 128;

enum type_bit : unsigned {
    t_null = 1,
    t_boolean = 2,
    t_object = 4,
    t_array = 8,
    t_number = 16,
    t_integer = 32,
    t_string = 64,
};

struct pattern_rule {
    std::regex re;
    int node = -1;
};

// One compiled (sub)schema. Children are indices into impl::nodes, so a $ref can point back to
// an enclosing schema without ownership cycles.
struct node {
    int boolean = -1; // 1: the schema `true`, 0: `false`, -1: an object schema
    int ref = -1;     // with $ref, the target; the other keywords are ignored (draft-07)
    unsigned types = 0;
    std::vector<std::pair<std::string, int>> properties;
    std::vector<pattern_rule> pattern_properties;
    int additional_properties = -1;
    std::vector<std::string> required;
    std::optional<std::size_t> min_properties, max_properties;
    std::optional<json> enum_values, const_value;
    std::optional<std::regex> pattern;
    std::optional<std::size_t> min_length, max_length, min_items, max_items;
    std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum, multiple_of;
    int items = -1;
    std::vector<int> tuple_items;
    bool tuple = false;
    int additional_items = -1;
    bool unique_items = false;
    std::vector<int> all_of, any_of, one_of;
    int not_schema = -1;
};

const std::set<std::string> &annotations() {
    static const std::set<std::string> names = {"$schema",  "$id",      "title",  "description", "default",
                                                "examples", "$comment", "format", "definitions"};
    return names;
}

std::size_t utf8_length(const std::string &s) {
    std::size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

bool is_integral(const json &v) {
    if (v.is_number_integer()) return true;
    if (!v.is_number_float()) return false;
    double d = v.get<double>();
    return std::isfinite(d) && std::floor(d) == d;
}

bool has_type(unsigned types, const json &v) {
    switch (v.type()) {
    case json::value_t::null: return types & t_null;
    case json::value_t::boolean: return types & t_boolean;
    case json::value_t::object: return types & t_object;
    case json::value_t::array: return types & t_array;
    case json::value_t::string: return types & t_string;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return (types & t_number) || ((types & t_integer) && is_integral(v));
    default: return false;
    }
}

bool is_multiple(const json &v, double m) {
    if (v.is_number_integer() && std::floor(m) == m && std::fabs(m) < 9.0e15) {
        auto d = static_cast<std::int64_t>(m);
        return v.is_number_unsigned() ? v.get<std::uint64_t>() % static_cast<std::uint64_t>(d) == 0
                                      : v.get<std::int64_t>() % d == 0;
    }
    double q = v.get<double>() / m;
    if (!std::isfinite(q)) return false;
    return std::fabs(q - std::round(q)) <= 1e-9 * std::max(1.0, std::fabs(q));
}

std::string escape_pointer_token(const std::string &s) {
    std::string out;
    for (char c : s) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

std::string percent_decode(const std::string &s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

} // namespace

struct compiled_schema::impl {
    std::vector<node> nodes;
    json document;
    std::string where;
    std::map<std::string, int> by_pointer;            // compiled subschemas, by schema pointer
    std::vector<std::pair<int, std::string>> pending; // $ref nodes and their target pointers

    [[noreturn]] void fail(const std::string &pointer, const std::string &what) const {
        throw config_error(where + ": schema at \"" + pointer + "\": " + what);
    }

    int compile(const json &s, const std::string &ptr);
    void compile_keywords(int index, const json &s, const std::string &ptr);
    bool compile_object_keyword(node &n, const std::string &key, const json &value, const std::string &at);
    bool compile_value_keyword(node &n, const std::string &key, const json &value, const std::string &at);
    bool compile_array_keyword(node &n, const std::string &key, const json &value, const std::string &at);
    std::size_t count_of(const json &value, const std::string &at, const std::string &key) const;
    double number_of(const json &value, const std::string &at, const std::string &key) const;
    std::vector<int> list_of(const json &value, const std::string &at, const std::string &key);
    std::regex regex_of(const json &value, const std::string &at, const std::string &key) const;
    unsigned types_of(const json &value, const std::string &at) const;
    void resolve_refs();
    void refuse_cycles(int index, std::vector<char> &state) const;

    struct walk;
    bool check(int index, const json &v, walk &w) const;
    bool check_object(const node &n, const json &v, walk &w) const;
    bool check_additional(int index, const char *keyword, const json &v, walk &w) const;
    bool check_array(const node &n, const json &v, walk &w) const;
    bool check_scalar(const node &n, const json &v, walk &w) const;
    bool check_combinators(const node &n, const json &v, walk &w) const;
};

// The location being checked, kept as borrowed segments; the pointer text is built only when a
// failure is recorded.
struct compiled_schema::impl::walk {
    struct segment {
        const std::string *key;
        std::size_t index;
    };
    std::vector<segment> path;
    std::vector<violation> *out;
    int depth = 0; // nesting of the value being checked: bounded, so a deep value cannot exhaust the stack

    bool fail(const char *keyword) {
        if (out) out->push_back({pointer(), keyword});
        return false;
    }
    std::string pointer() const {
        std::string p;
        for (const segment &s : path) p += "/" + (s.key ? escape_pointer_token(*s.key) : std::to_string(s.index));
        return p;
    }
    // Without a report to fill the location is not needed: nothing is kept, nothing allocated.
    void push(segment s) {
        ++depth;
        if (out) path.push_back(s);
    }
    void pop() {
        --depth;
        if (out) path.pop_back();
    }
    // Whether the walk stops at the first failure (nothing to collect).
    bool stop() const { return out == nullptr; }
};

int compiled_schema::impl::compile(const json &s, const std::string &ptr) {
    if (auto found = by_pointer.find(ptr); found != by_pointer.end()) return found->second;
    int index = static_cast<int>(nodes.size());
    nodes.emplace_back();
    by_pointer[ptr] = index;
    if (s.is_boolean()) {
        nodes[index].boolean = s.get<bool>() ? 1 : 0;
        return index;
    }
    if (!s.is_object()) fail(ptr, "a schema must be an object or a boolean");
    compile_keywords(index, s, ptr);
    return index;
}

void compiled_schema::impl::compile_keywords(int index, const json &s, const std::string &ptr) {
    for (auto it = s.begin(); it != s.end(); ++it) {
        const std::string &key = it.key();
        std::string at = ptr + "/" + escape_pointer_token(key);
        if (key == "$ref") {
            if (!it->is_string()) fail(at, "\"$ref\" must be a string");
            pending.emplace_back(index, it->get<std::string>());
            continue;
        }
        if (key == "definitions") {
            if (!it->is_object()) fail(at, "\"definitions\" must be an object");
            for (auto d = it->begin(); d != it->end(); ++d) compile(*d, at + "/" + escape_pointer_token(d.key()));
            continue;
        }
        if (annotations().count(key) || key.rfind("x-", 0) == 0) continue;
        // nodes may grow while compiling children: take the reference again after each call.
        node copy = std::move(nodes[index]);
        bool known = compile_object_keyword(copy, key, *it, at) || compile_value_keyword(copy, key, *it, at) ||
                     compile_array_keyword(copy, key, *it, at);
        nodes[index] = std::move(copy);
        if (!known) fail(ptr, "unsupported keyword \"" + key + "\" (docs/tracking-plan.md lists the supported ones)");
    }
}

bool compiled_schema::impl::compile_object_keyword(node &n, const std::string &key, const json &value,
                                                   const std::string &at) {
    if (key == "properties" || key == "patternProperties") {
        if (!value.is_object()) fail(at, "\"" + key + "\" must be an object");
        for (auto p = value.begin(); p != value.end(); ++p) {
            int child = compile(*p, at + "/" + escape_pointer_token(p.key()));
            if (key == "properties") n.properties.emplace_back(p.key(), child);
            else n.pattern_properties.push_back({regex_of(p.key(), at, key), child});
        }
    } else if (key == "additionalProperties") {
        n.additional_properties = compile(value, at);
    } else if (key == "required") {
        if (!value.is_array()) fail(at, "\"required\" must be an array of strings");
        for (const json &r : value) {
            if (!r.is_string()) fail(at, "\"required\" must be an array of strings");
            n.required.push_back(r.get<std::string>());
        }
    } else if (key == "minProperties") {
        n.min_properties = count_of(value, at, key);
    } else if (key == "maxProperties") {
        n.max_properties = count_of(value, at, key);
    } else {
        return false;
    }
    return true;
}

bool compiled_schema::impl::compile_value_keyword(node &n, const std::string &key, const json &value,
                                                  const std::string &at) {
    if (key == "type") n.types = types_of(value, at);
    else if (key == "enum") {
        if (!value.is_array()) fail(at, "\"enum\" must be an array");
        n.enum_values = value;
    } else if (key == "const") n.const_value = value;
    else if (key == "pattern") n.pattern = regex_of(value, at, key);
    else if (key == "minLength") n.min_length = count_of(value, at, key);
    else if (key == "maxLength") n.max_length = count_of(value, at, key);
    else if (key == "minimum") n.minimum = number_of(value, at, key);
    else if (key == "maximum") n.maximum = number_of(value, at, key);
    else if (key == "exclusiveMinimum") n.exclusive_minimum = number_of(value, at, key);
    else if (key == "exclusiveMaximum") n.exclusive_maximum = number_of(value, at, key);
    else if (key == "multipleOf") {
        n.multiple_of = number_of(value, at, key);
        if (!(*n.multiple_of > 0)) fail(at, "\"multipleOf\" must be greater than 0");
    } else return false;
    return true;
}

bool compiled_schema::impl::compile_array_keyword(node &n, const std::string &key, const json &value,
                                                  const std::string &at) {
    if (key == "items") {
        n.tuple = value.is_array();
        if (n.tuple) n.tuple_items = list_of(value, at, key);
        else n.items = compile(value, at);
    } else if (key == "additionalItems") n.additional_items = compile(value, at);
    else if (key == "minItems") n.min_items = count_of(value, at, key);
    else if (key == "maxItems") n.max_items = count_of(value, at, key);
    else if (key == "uniqueItems") {
        if (!value.is_boolean()) fail(at, "\"uniqueItems\" must be a boolean");
        n.unique_items = value.get<bool>();
    } else if (key == "allOf") n.all_of = list_of(value, at, key);
    else if (key == "anyOf") n.any_of = list_of(value, at, key);
    else if (key == "oneOf") n.one_of = list_of(value, at, key);
    else if (key == "not") n.not_schema = compile(value, at);
    else return false;
    return true;
}

std::size_t compiled_schema::impl::count_of(const json &value, const std::string &at, const std::string &key) const {
    if (!is_integral(value) || value.get<double>() < 0) fail(at, "\"" + key + "\" must be a non-negative integer");
    if (value.is_number_unsigned() || value.is_number_integer()) return value.get<std::size_t>();
    // A bound written as a float may be past what size_t holds: it then bounds nothing.
    double d = value.get<double>();
    return d >= 1.8e19 ? SIZE_MAX : static_cast<std::size_t>(d);
}

double compiled_schema::impl::number_of(const json &value, const std::string &at, const std::string &key) const {
    if (!value.is_number()) fail(at, "\"" + key + "\" must be a number");
    return value.get<double>();
}

std::vector<int> compiled_schema::impl::list_of(const json &value, const std::string &at, const std::string &key) {
    if (!value.is_array() || (value.empty() && key != "items"))
        fail(at, "\"" + key + "\" must be a non-empty array of schemas");
    std::vector<int> out;
    for (std::size_t i = 0; i < value.size(); ++i) out.push_back(compile(value[i], at + "/" + std::to_string(i)));
    return out;
}

std::regex compiled_schema::impl::regex_of(const json &value, const std::string &at, const std::string &key) const {
    if (!value.is_string()) fail(at, "\"" + key + "\" must be a string");
    try {
        return std::regex(value.get<std::string>(), std::regex::ECMAScript);
    } catch (const std::regex_error &) {
        fail(at, "\"" + key + "\" is not a regular expression std::regex (ECMAScript) accepts");
    }
}

unsigned compiled_schema::impl::types_of(const json &value, const std::string &at) const {
    static const std::pair<const char *, unsigned> names[] = {{"null", t_null},     {"boolean", t_boolean},
                                                              {"object", t_object}, {"array", t_array},
                                                              {"number", t_number}, {"integer", t_integer},
                                                              {"string", t_string}};
    auto one = [&](const json &t) -> unsigned {
        if (t.is_string())
            for (const auto &[name, bit] : names)
                if (t.get<std::string>() == name) return bit;
        fail(at, "\"type\" must name null, boolean, object, array, number, integer or string");
    };
    if (!value.is_array()) return one(value);
    unsigned bits = 0;
    for (const json &t : value) bits |= one(t);
    if (!bits) fail(at, "\"type\" must not be an empty array");
    return bits;
}

void compiled_schema::impl::resolve_refs() {
    while (!pending.empty()) {
        auto [index, ref] = pending.back();
        pending.pop_back();
        std::string where_ref = "\"$ref\": \"" + ref + "\"";
        if (ref.empty() || ref[0] != '#')
            fail("", where_ref + " does not resolve: only references within the plan (\"#/...\") are supported");
        std::string pointer_text = percent_decode(ref.substr(1));
        const json *target = nullptr;
        std::string key;
        try {
            json::json_pointer pointer(pointer_text);
            key = pointer.to_string();
            target = &document.at(pointer);
        } catch (const json::exception &) {
            fail("", where_ref + " does not resolve to a schema in the plan");
        }
        nodes[index].ref = compile(*target, key);
    }
}

// A cycle of $ref (through allOf, anyOf, oneOf, not) that stays at one location of the value
// would recurse forever while checking: refused at load. `state`: 0 unseen, 1 on the path, 2 done.
void compiled_schema::impl::refuse_cycles(int index, std::vector<char> &state) const {
    auto &mark = state[static_cast<std::size_t>(index)];
    if (mark == 2) return;
    if (mark == 1) fail("", "\"$ref\" loops back to itself without descending into the value");
    mark = 1;
    const node &n = nodes[static_cast<std::size_t>(index)];
    if (n.ref >= 0) refuse_cycles(n.ref, state);
    for (const auto *list : {&n.all_of, &n.any_of, &n.one_of})
        for (int child : *list) refuse_cycles(child, state);
    if (n.not_schema >= 0) refuse_cycles(n.not_schema, state);
    state[static_cast<std::size_t>(index)] = 2;
}

compiled_schema::compiled_schema(const json &schema, const std::string &where) : impl_(std::make_unique<impl>()) {
    impl_->document = schema;
    impl_->where = where;
    impl_->compile(impl_->document, "");
    impl_->resolve_refs();
    std::vector<char> state(impl_->nodes.size(), 0);
    for (int i = 0; i < static_cast<int>(impl_->nodes.size()); ++i) impl_->refuse_cycles(i, state);
}

compiled_schema::~compiled_schema() = default;
compiled_schema::compiled_schema(compiled_schema &&) noexcept = default;
compiled_schema &compiled_schema::operator=(compiled_schema &&) noexcept = default;

bool compiled_schema::validate(const json &value, std::vector<violation> *out) const {
    impl::walk w{{}, out, 0};
    return impl_->check(0, value, w);
}

bool compiled_schema::impl::check(int index, const json &v, walk &w) const {
    const node &n = nodes[static_cast<std::size_t>(index)];
    if (n.boolean >= 0) return n.boolean == 1 || w.fail("false");
    if (w.depth > max_depth) return w.fail("depth");
    if (n.ref >= 0) return check(n.ref, v, w);
    if (n.types && !has_type(n.types, v)) return w.fail("type");
    bool ok = true;
    if (n.enum_values) {
        bool found = false;
        for (const json &e : *n.enum_values) found = found || e == v;
        if (!found && !(ok = w.fail("enum")) && w.stop()) return false;
    }
    if (n.const_value && !(*n.const_value == v) && !(ok = w.fail("const")) && w.stop()) return false;
    if (v.is_object()) ok = check_object(n, v, w) && ok;
    else if (v.is_array()) ok = check_array(n, v, w) && ok;
    else ok = check_scalar(n, v, w) && ok;
    if (!ok && w.stop()) return false;
    return check_combinators(n, v, w) && ok;
}

bool compiled_schema::impl::check_object(const node &n, const json &v, walk &w) const {
    bool ok = true;
    auto failed = [&](const char *keyword) { return !(ok = w.fail(keyword)) && w.stop(); };
    if (n.min_properties && v.size() < *n.min_properties && failed("minProperties")) return false;
    if (n.max_properties && v.size() > *n.max_properties && failed("maxProperties")) return false;
    for (const std::string &r : n.required)
        if (!v.contains(r)) {
            w.push({&r, 0});
            bool stop = failed("required");
            w.pop();
            if (stop) return false;
        }
    for (auto it = v.begin(); it != v.end(); ++it) {
        bool matched = false;
        w.push({&it.key(), 0});
        for (const auto &[name, child] : n.properties)
            if (name == it.key()) {
                matched = true;
                ok = check(child, *it, w) && ok;
            }
        for (const pattern_rule &p : n.pattern_properties)
            if (std::regex_search(it.key(), p.re)) {
                matched = true;
                ok = check(p.node, *it, w) && ok;
            }
        if (!matched && n.additional_properties >= 0)
            ok = check_additional(n.additional_properties, "additionalProperties", *it, w) && ok;
        w.pop();
        if (!ok && w.stop()) return false;
    }
    return ok;
}

// `false` as additionalProperties or additionalItems reports that keyword, not "false".
bool compiled_schema::impl::check_additional(int index, const char *keyword, const json &v, walk &w) const {
    if (nodes[static_cast<std::size_t>(index)].boolean == 0) return w.fail(keyword);
    return check(index, v, w);
}

bool compiled_schema::impl::check_array(const node &n, const json &v, walk &w) const {
    bool ok = true;
    auto failed = [&](const char *keyword) { return !(ok = w.fail(keyword)) && w.stop(); };
    if (n.min_items && v.size() < *n.min_items && failed("minItems")) return false;
    if (n.max_items && v.size() > *n.max_items && failed("maxItems")) return false;
    if (n.unique_items)
        for (std::size_t i = 0; i < v.size(); ++i)
            for (std::size_t j = i + 1; j < v.size(); ++j)
                if (v[i] == v[j] && failed("uniqueItems")) return false;
    for (std::size_t i = 0; i < v.size(); ++i) {
        int child = !n.tuple ? n.items : i < n.tuple_items.size() ? n.tuple_items[i] : n.additional_items;
        if (child < 0) continue;
        w.push({nullptr, i});
        ok = (n.tuple && i >= n.tuple_items.size() ? check_additional(child, "additionalItems", v[i], w)
                                                   : check(child, v[i], w)) &&
             ok;
        w.pop();
        if (!ok && w.stop()) return false;
    }
    return ok;
}

bool compiled_schema::impl::check_scalar(const node &n, const json &v, walk &w) const {
    bool ok = true;
    auto failed = [&](const char *keyword) { return !(ok = w.fail(keyword)) && w.stop(); };
    if (v.is_string()) {
        const auto &s = v.get_ref<const std::string &>();
        if ((n.min_length || n.max_length)) {
            std::size_t len = utf8_length(s);
            if (n.min_length && len < *n.min_length && failed("minLength")) return false;
            if (n.max_length && len > *n.max_length && failed("maxLength")) return false;
        }
        if (n.pattern && !std::regex_search(s, *n.pattern) && failed("pattern")) return false;
    } else if (v.is_number()) {
        double d = v.get<double>();
        if (n.minimum && d < *n.minimum && failed("minimum")) return false;
        if (n.maximum && d > *n.maximum && failed("maximum")) return false;
        if (n.exclusive_minimum && d <= *n.exclusive_minimum && failed("exclusiveMinimum")) return false;
        if (n.exclusive_maximum && d >= *n.exclusive_maximum && failed("exclusiveMaximum")) return false;
        if (n.multiple_of && !is_multiple(v, *n.multiple_of) && failed("multipleOf")) return false;
    }
    return ok;
}

bool compiled_schema::impl::check_combinators(const node &n, const json &v, walk &w) const {
    bool ok = true;
    for (int child : n.all_of) {
        ok = check(child, v, w) && ok;
        if (!ok && w.stop()) return false;
    }
    walk quiet{{}, nullptr, w.depth}; // the branches of anyOf, oneOf and not report as one failure
    if (!n.any_of.empty()) {
        bool any = false;
        for (int child : n.any_of) any = any || check(child, v, quiet);
        if (!any && !(ok = w.fail("anyOf")) && w.stop()) return false;
    }
    if (!n.one_of.empty()) {
        int matches = 0;
        for (int child : n.one_of) matches += check(child, v, quiet) ? 1 : 0;
        if (matches != 1 && !(ok = w.fail("oneOf")) && w.stop()) return false;
    }
    if (n.not_schema >= 0 && check(n.not_schema, v, quiet) && !(ok = w.fail("not"))) return false;
    return ok;
}

} // namespace seglog::detail::plan
