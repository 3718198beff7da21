// The generator behind `seglog plan generate`. A schema is turned into a C++ type in one
// recursive pass (resolve()); the types a struct needs are written before it, so the header
// declares everything before its first use. Names go through one scope per C++ scope
// (namespace, struct, parameter list), which makes the mangling deterministic: the plan's
// order decides which of two colliding names keeps the plain form.
#include "plan_codegen.h"

#include <cctype>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <vector>

namespace seglog::tools::codegen {

namespace {

using nlohmann::json;
using seglog::detail::plan::rule;
using seglog::detail::plan::rule_kind;

// ---- names -------------------------------------------------------------------------------

// C++17 keywords and alternative tokens, and names a header commonly sees as macros.
const std::set<std::string> &keywords() {
    static const std::set<std::string> k = {
        "alignas",   "alignof",  "and",      "and_eq",    "asm",          "auto",          "bitand",
        "bitor",     "bool",     "break",    "case",      "catch",        "char",          "char16_t",
        "char32_t",  "class",    "compl",    "const",     "constexpr",    "const_cast",    "continue",
        "decltype",  "default",  "delete",   "do",        "double",       "dynamic_cast",  "else",
        "enum",      "explicit", "export",   "extern",    "false",        "float",         "for",
        "friend",    "goto",     "if",       "inline",    "int",          "long",          "mutable",
        "namespace", "new",      "noexcept", "not",       "not_eq",       "nullptr",       "operator",
        "or",        "or_eq",    "private",  "protected", "public",       "register",      "reinterpret_cast",
        "return",    "short",    "signed",   "sizeof",    "static",       "static_assert", "static_cast",
        "struct",    "switch",   "template", "this",      "thread_local", "throw",         "true",
        "try",       "typedef",  "typeid",   "typename",  "union",        "unsigned",      "using",
        "virtual",   "void",     "volatile", "wchar_t",   "while",        "xor",           "xor_eq",
        "final",     "override", "import",   "module",    "concept",      "requires",      "co_await",
        "co_return", "co_yield", "char8_t",  "consteval", "constinit",    "errno",         "assert",
        "unix",      "linux",    "major",    "minor"};
    return k;
}

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_upper(c) || is_lower(c) || is_digit(c); }

// "Order Completed" -> order_completed, "orderCompleted" -> order_completed, "HTTPServer" ->
// http_server, "3D view" -> n_3d_view. Anything but ASCII letters and digits separates words; a leading digit gets
// "n_" in front; nothing left gives "unnamed".
std::string snake_case(const std::string &text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (!is_alnum(c)) {
            if (!out.empty() && out.back() != '_') out += '_';
            continue;
        }
        if (is_upper(c) && i > 0 && !out.empty() && out.back() != '_') {
            const char prev = text[i - 1];
            const bool next_lower = i + 1 < text.size() && is_lower(text[i + 1]);
            if (is_lower(prev) || (is_upper(prev) && next_lower)) out += '_';
        }
        out += is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
    }
    while (!out.empty() && out.back() == '_') out.pop_back();
    if (out.empty()) return "unnamed";
    if (is_digit(out.front())) out = "n_" + out;
    return out;
}

// The names of one C++ scope. claim() gives a plan name its identifier: a keyword gets "_"
// appended; a name already taken gets "_2", "_3"... (the first claimant keeps the plain one).
class scope {
public:
    void reserve(const std::string &id) { taken_.insert(id); }
    std::string claim_id(std::string id) {
        if (keywords().count(id)) id += '_';
        if (!taken_.count(id)) {
            taken_.insert(id);
            return id;
        }
        std::string base = id;
        while (!base.empty() && base.back() == '_') base.pop_back();
        for (int n = 2;; ++n) {
            std::string candidate = base + "_" + std::to_string(n);
            if (taken_.insert(candidate).second) return candidate;
        }
    }
    std::string claim(const std::string &plan_name) { return claim_id(snake_case(plan_name)); }

private:
    std::set<std::string> taken_;
};

// A C++ string literal for any bytes: quotes, backslashes and control characters escaped
// (octal, which never swallows a following digit the way \x would).
std::string literal(const std::string &s) {
    std::string out = "\"";
    for (const unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\%03o", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

// Text as // comment lines at `indent`: one per line of the text; a backslash at the end of a
// line would join the next line to the comment, so it is dropped.
std::string comment(const std::string &text, const std::string &indent) {
    std::string out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        while (!line.empty() && (line.back() == '\\' || line.back() == '\r' || line.back() == ' ')) line.pop_back();
        out += indent + "//" + (line.empty() ? "" : " " + line) + "\n";
    }
    return out;
}

// ---- types -------------------------------------------------------------------------------

struct ctype {
    enum kind_t { string, integer, number, boolean, enumeration, object, array, any, nullable } kind = any;
    std::string name;                   // enumeration, object: the generated type's name
    std::shared_ptr<const ctype> inner; // array: the element; nullable: the value
};

std::string value_type(const ctype &t) {
    switch (t.kind) {
    case ctype::string: return "::std::string";
    case ctype::integer: return "::std::int64_t";
    case ctype::number: return "double";
    case ctype::boolean: return "bool";
    case ctype::enumeration:
    case ctype::object: return t.name;
    case ctype::array: return "::std::vector<" + value_type(*t.inner) + ">";
    case ctype::any: return "::nlohmann::json";
    case ctype::nullable: return "::std::optional<" + value_type(*t.inner) + ">";
    }
    return "::nlohmann::json";
}

// How a parameter of this type is declared: strict wrappers for integer, number and boolean.
std::string param_type(const ctype &t) {
    switch (t.kind) {
    case ctype::string: return "::std::string_view";
    case ctype::integer: return "::seglog::typed::integer";
    case ctype::number: return "::seglog::typed::number";
    case ctype::boolean: return "::seglog::typed::boolean";
    case ctype::enumeration: return t.name;
    default: return "const " + value_type(t) + " &";
    }
}

// A parameter `e` as the member's value type.
std::string param_to_value(const ctype &t, const std::string &e) {
    switch (t.kind) {
    case ctype::string: return "::std::string(" + e + ")";
    case ctype::integer:
    case ctype::number:
    case ctype::boolean: return e + ".value";
    default: return e;
    }
}

// A value `e` of value_type(t) as a nlohmann::json.
std::string value_to_json(const ctype &t, const std::string &e) {
    if (t.kind == ctype::nullable)
        return "(" + e + " ? " + value_to_json(*t.inner, "*" + e) + " : ::nlohmann::json(nullptr))";
    return "::nlohmann::json(" + e + ")";
}

// A parameter `e` as a nlohmann::json.
std::string param_to_json(const ctype &t, const std::string &e) {
    switch (t.kind) {
    case ctype::string: return "::nlohmann::json(::std::string(" + e + "))";
    case ctype::integer:
    case ctype::number:
    case ctype::boolean: return "::nlohmann::json(" + e + ".value)";
    default: return value_to_json(t, e);
    }
}

// A key as one reference token of a JSON pointer (RFC 6901): "~" as "~0", "/" as "~1".
std::string pointer_token(const std::string &key) {
    std::string out;
    for (const char ch : key) out += ch == '~' ? std::string("~0") : ch == '/' ? std::string("~1") : std::string(1, ch);
    return out;
}

bool is_phi(const json &s) { return s.is_object() && s.value("x-phi", false) == true; }

std::string description_of(const json &s) {
    if (!s.is_object()) return "";
    auto it = s.find("description");
    return it != s.end() && it->is_string() ? it->get<std::string>() : "";
}

// One member of an object: a property of an event, a trait, a member of a nested object.
struct field {
    std::string key; // as in the plan
    std::string id;  // its C++ identifier
    ctype type;
    bool required = false;
    bool phi = false;
    std::string doc;
};

// ---- the generator -----------------------------------------------------------------------

class generator {
public:
    generator(const seglog::detail::plan::plan_file &plan, const options &opts) : plan_(plan), opts_(opts) {
        for (const char *r : {"to_json", "std", "seglog", "spdlog", "nlohmann", "detail"}) ns_.reserve(r);
    }
    std::string run();

private:
    struct context { // the rule being generated, for $ref and messages
        const rule *r = nullptr;
        std::string what;           // `event "Order Completed"`, `identify`, `group`
        std::set<std::string> refs; // $refs being resolved (a cycle cannot be a C++ type)
    };

    [[noreturn]] void fail(const context &c, const std::string &where, const std::string &what) const {
        throw error("tracking plan " + plan_.source + ": " + c.what + " at " + (where.empty() ? "/" : where) + ": " +
                    what);
    }
    const json &deref(context &c, const json &s, const std::string &where);
    ctype resolve(context &c, const json &s, const std::string &where, const std::string &type_name);
    ctype resolve_typed(context &c, const json &s, const std::string &where, const std::string &type_name);
    ctype resolve_enum(context &c, const json &s, const std::string &where, const std::string &type_name);
    ctype resolve_array(context &c, const json &s, const std::string &where, const std::string &type_name);
    std::vector<field> fields_of(context &c, const json &s, const std::string &where, const std::string &base);
    std::vector<std::string> required_of(context &c, const json &s, const std::string &where);
    // Each writes its type under the first free name from `base` and returns that name.
    std::string emit_enum(const std::string &base, const std::vector<std::string> &values);
    std::string emit_struct(const std::string &base, const std::vector<field> &fields, const std::string &doc);
    const json &members_schema(context &c, const std::string &section);
    void emit_function(context &c, const std::string &fn, const std::string &section);

    const seglog::detail::plan::plan_file &plan_;
    const options &opts_;
    scope ns_;
    std::string out_; // declarations, in the order they must appear
    std::vector<std::string> notes_;
};

// A schema with its local $ref followed ("#/definitions/x", "#/$defs/x", any "#/..." pointer
// into the rule's schema). Another $ref cannot be read offline: an error.
const json &generator::deref(context &c, const json &s, const std::string &where) {
    if (!s.is_object() || !s.contains("$ref")) return s;
    const json &ref = s.at("$ref");
    if (!ref.is_string()) fail(c, where, "$ref is not a string");
    const std::string target = ref.get<std::string>();
    if (target.rfind('#', 0) != 0) fail(c, where, "$ref \"" + target + "\" is not local to the rule (\"#/...\")");
    if (c.refs.count(target)) fail(c, where, "$ref \"" + target + "\" refers to itself: a recursive type");
    try {
        const json &resolved = c.r->schema.at(json::json_pointer(target.substr(1)));
        c.refs.insert(target);
        return resolved;
    } catch (const json::exception &) {
        fail(c, where, "$ref \"" + target + "\" does not resolve in the rule's schema");
    }
}

ctype generator::resolve(context &c, const json &schema, const std::string &where, const std::string &type_name) {
    const bool is_ref = schema.is_object() && schema.contains("$ref");
    const json &s = deref(c, schema, where);
    ctype t;
    if (s.is_boolean()) {
        if (!s.get<bool>()) fail(c, where, "the schema false accepts no value: no C++ type for it");
        t.kind = ctype::any;
    } else if (!s.is_object()) {
        fail(c, where, "a schema must be an object or a boolean");
    } else {
        t = resolve_typed(c, s, where, type_name);
    }
    if (is_ref) c.refs.erase(schema.at("$ref").get<std::string>());
    return t;
}

ctype generator::resolve_typed(context &c, const json &s, const std::string &where, const std::string &type_name) {
    static const std::map<std::string, ctype::kind_t> kinds = {{"string", ctype::string}, {"integer", ctype::integer},
                                                               {"number", ctype::number}, {"boolean", ctype::boolean},
                                                               {"object", ctype::object}, {"array", ctype::array},
                                                               {"null", ctype::any}};
    // allOf/anyOf/oneOf/not: a value of several shapes, typed as nlohmann::json (the runtime
    // check of the plan still applies it).
    for (const char *k : {"allOf", "anyOf", "oneOf", "not"})
        if (s.contains(k)) return ctype{};
    if (s.contains("enum") || s.contains("const")) return resolve_enum(c, s, where, type_name);
    std::vector<std::string> types;
    if (s.contains("type")) {
        const json &ty = s.at("type");
        if (ty.is_string()) types.push_back(ty.get<std::string>());
        else if (ty.is_array())
            for (const auto &x : ty) {
                if (!x.is_string()) fail(c, where + "/type", "a type name must be a string");
                types.push_back(x.get<std::string>());
            }
        else fail(c, where + "/type", "\"type\" must be a string or an array of strings");
        for (const auto &name : types)
            if (!kinds.count(name)) fail(c, where + "/type", "unknown type \"" + name + "\"");
    } else if (s.contains("properties")) {
        types.push_back("object");
    } else if (s.contains("items")) {
        types.push_back("array");
    }
    bool nullable = false;
    std::vector<std::string> concrete;
    for (const auto &name : types) {
        if (name == "null") nullable = true;
        else concrete.push_back(name);
    }
    if (concrete.size() != 1) return ctype{}; // any type, several types, or only null
    ctype t;
    t.kind = kinds.at(concrete.front());
    if (t.kind == ctype::array) t = resolve_array(c, s, where, type_name);
    if (t.kind == ctype::object) {
        const auto fields = fields_of(c, s, where, type_name);
        if (fields.empty()) t.kind = ctype::any; // a free-form object
        else t.name = emit_struct(type_name, fields, description_of(s));
    }
    if (!nullable) return t;
    ctype n;
    n.kind = ctype::nullable;
    n.inner = std::make_shared<const ctype>(t);
    return n;
}

ctype generator::resolve_enum(context &c, const json &s, const std::string &where, const std::string &type_name) {
    const json values = s.contains("enum") ? s.at("enum") : json::array({s.at("const")});
    const std::string at = where + (s.contains("enum") ? "/enum" : "/const");
    if (!values.is_array() || values.empty()) fail(c, at, "\"enum\" must be a non-empty array");
    std::vector<std::string> strings;
    bool nullable = false;
    for (const auto &v : values) {
        if (v.is_null()) nullable = true;
        else if (v.is_string()) strings.push_back(v.get<std::string>());
        else fail(c, at, "an enum of non-string values (" + v.dump() + ") has no C++ type: only string enums");
    }
    if (strings.empty()) return ctype{};
    ctype t;
    t.kind = ctype::enumeration;
    t.name = emit_enum(type_name, strings);
    if (!nullable) return t;
    ctype n;
    n.kind = ctype::nullable;
    n.inner = std::make_shared<const ctype>(t);
    return n;
}

ctype generator::resolve_array(context &c, const json &s, const std::string &where, const std::string &type_name) {
    ctype t;
    t.kind = ctype::array;
    ctype element;
    if (s.contains("items")) {
        const json &items = s.at("items");
        if (items.is_array())
            fail(c, where + "/items", "tuple items (an array of schemas) have no C++ type: use one schema");
        element = resolve(c, items, where + "/items", type_name + "_item");
        // A vector of optionals does not convert to JSON: elements that may be null stay JSON.
        if (element.kind == ctype::nullable) element = ctype{};
    }
    t.inner = std::make_shared<const ctype>(element);
    return t;
}

std::vector<std::string> generator::required_of(context &c, const json &s, const std::string &where) {
    std::vector<std::string> names;
    if (!s.contains("required")) return names;
    const json &req = s.at("required");
    if (!req.is_array()) fail(c, where + "/required", "\"required\" must be an array of strings");
    for (const auto &x : req) {
        if (!x.is_string()) fail(c, where + "/required", "\"required\" must be an array of strings");
        const std::string name = x.get<std::string>();
        bool seen = false;
        for (const auto &n : names) seen = seen || n == name;
        if (!seen) names.push_back(name);
    }
    return names;
}

// The members of an object schema: the required ones first, in the order of "required",
// then the optional ones in the order nlohmann::json keeps keys (alphabetical).
std::vector<field> generator::fields_of(context &c, const json &s, const std::string &where, const std::string &base) {
    const json no_properties = json::object();
    const json &props = s.contains("properties") ? s.at("properties") : no_properties;
    if (!props.is_object()) fail(c, where + "/properties", "\"properties\" must be an object");
    std::vector<field> fields;
    scope members;
    for (const char *r : {"write_to", "seglog_j"}) members.reserve(r);
    auto add = [&](const std::string &key, bool required) {
        field f;
        f.key = key;
        f.id = members.claim(key);
        f.required = required;
        const std::string at = where + "/properties/" + pointer_token(key);
        const auto it = props.find(key);
        if (it != props.end()) {
            f.type = resolve(c, *it, at, base + "_" + f.id);
            f.phi = is_phi(*it);
            f.doc = description_of(*it);
        }
        fields.push_back(std::move(f));
    };
    const auto required = required_of(c, s, where);
    for (const auto &key : required) add(key, true);
    for (const auto &member : props.items()) {
        bool is_required = false;
        for (const auto &r : required) is_required = is_required || r == member.key();
        if (!is_required) add(member.key(), false);
    }
    return fields;
}

std::string generator::emit_enum(const std::string &base, const std::vector<std::string> &values) {
    const std::string name = ns_.claim_id(base);
    scope ids;
    std::vector<std::string> enumerators;
    for (const auto &v : values) enumerators.push_back(ids.claim(v));
    std::string text = "// The values of a string enum of the plan; written as the plan's strings.\n";
    text += "enum class " + name + " {\n";
    for (std::size_t i = 0; i < values.size(); ++i)
        text += "    " + enumerators[i] + ", // " + literal(values[i]) + "\n";
    text += "};\n";
    text += "inline void to_json(::nlohmann::json &j, " + name + " v) {\n    switch (v) {\n";
    for (std::size_t i = 0; i < values.size(); ++i)
        text += "    case " + name + "::" + enumerators[i] + ": j = " + literal(values[i]) + "; return;\n";
    text += "    }\n    j = nullptr;\n}\n\n";
    out_ += text;
    return name;
}

std::string member_comment(const field &f) {
    std::string note = f.doc;
    if (f.phi) note += std::string(note.empty() ? "" : " ") + "(health data: x-phi)";
    return note.empty() ? "" : " // " + note.substr(0, note.find('\n'));
}

// A struct of the members of an object: required ones set by the constructor (in the order
// of "required"), optional ones as std::optional with a with_<name>() setter each.
std::string generator::emit_struct(const std::string &base, const std::vector<field> &fields, const std::string &doc) {
    const std::string name = ns_.claim_id(base);
    scope setters;
    for (const auto &f : fields) setters.reserve(f.id);
    std::string text = comment(doc.empty() ? "The members of an object of the plan." : doc, "");
    text += "struct " + name + " {\n";
    std::vector<std::string> ctor_params, ctor_inits, writes, setter_defs;
    for (const auto &f : fields) {
        const std::string v = "v_" + f.id;
        if (f.required) {
            text += "    " + value_type(f.type) + " " + f.id + ";" + member_comment(f) + "\n";
            ctor_params.push_back(param_type(f.type) + " " + v);
            ctor_inits.push_back(f.id + "(" + param_to_value(f.type, v) + ")");
            writes.push_back("seglog_j[" + literal(f.key) + "] = " + value_to_json(f.type, f.id) + ";");
        } else {
            text += "    ::std::optional<" + value_type(f.type) + "> " + f.id + ";" + member_comment(f) + "\n";
            setter_defs.push_back(name + " &" + setters.claim_id("with_" + f.id) + "(" + param_type(f.type) + " " + v +
                                  ") {\n        " + f.id + " = " + param_to_value(f.type, v) +
                                  ";\n        return *this;\n    }");
            writes.push_back("if (" + f.id + ") seglog_j[" + literal(f.key) +
                             "] = " + value_to_json(f.type, "(*" + f.id + ")") + ";");
        }
    }
    if (!ctor_params.empty()) {
        text += "\n    " + name + "(";
        for (std::size_t i = 0; i < ctor_params.size(); ++i) text += (i ? ", " : "") + ctor_params[i];
        text += ")\n        : ";
        for (std::size_t i = 0; i < ctor_inits.size(); ++i) text += (i ? ", " : "") + ctor_inits[i];
        text += " {}\n";
    }
    for (const auto &s : setter_defs) text += "    " + s + "\n";
    text += "    // The members set, as JSON members of `seglog_j`.\n";
    text += "    void write_to(::nlohmann::json &" + std::string(writes.empty() ? "" : "seglog_j") + ") const {\n";
    for (const auto &w : writes) text += "        " + w + "\n";
    text += "    }\n};\n";
    text += "inline void to_json(::nlohmann::json &j, const " + name + " &v) {\n";
    text += "    j = ::nlohmann::json::object();\n    v.write_to(j);\n}\n\n";
    out_ += text;
    return name;
}

// The object schema of a rule's properties (track) or traits (identify, group):
// schema.properties.<section>, or an empty object when the rule says nothing of it.
const json &generator::members_schema(context &c, const std::string &section) {
    static const json none = json::object();
    const json &root = deref(c, c.r->schema, "");
    const std::string where = "/properties/" + section;
    if (!root.is_object() || !root.contains("properties") || !root.at("properties").is_object()) return none;
    const auto it = root.at("properties").find(section);
    if (it == root.at("properties").end()) return none;
    const json &s = deref(c, *it, where);
    if (s.is_boolean()) return none;
    if (!s.is_object()) fail(c, where, "a schema must be an object or a boolean");
    if (s.contains("type") && s.at("type") != "object")
        fail(c, where, "the " + section + " must be an object schema (\"type\": \"object\")");
    return s;
}

void generator::emit_function(context &c, const std::string &fn, const std::string &section) {
    const json &s = members_schema(c, section);
    const std::string where = "/properties/" + section;
    auto fields = fields_of(c, s, where, fn);
    std::vector<field> optional;
    for (const auto &f : fields)
        if (!f.required) optional.push_back(f);
    std::string options_type;
    if (!optional.empty())
        options_type = emit_struct(fn + "_options", optional,
                                   "The optional " + section + " of " + fn + "(): set those to send.");

    scope params;
    for (const char *r :
         {"seglog_logger", "seglog_who", "seglog_group_id", "seglog_options", "seglog_call", "seglog_props"})
        params.reserve(r);
    std::string doc = c.r->description.empty() ? description_of(c.r->schema) : c.r->description;
    std::string text = comment(doc.empty() ? "(The plan has no description.)" : doc, "");
    text += "// Plan: " + c.what + (c.r->kind == rule_kind::track ? ", version " + std::to_string(c.r->version) : "") +
            ".\n";
    std::string phi;
    for (const auto &f : fields)
        if (f.phi) phi += (phi.empty() ? "" : ", ") + f.key;
    if (!phi.empty()) text += "// Health data (x-phi): " + phi + ".\n";
    text += "inline void " + fn + "(::spdlog::logger &seglog_logger, const ::seglog::identity &seglog_who";
    if (c.r->kind == rule_kind::group) text += ", ::std::string_view seglog_group_id";
    std::string body = "    if (!SEGLOG_ACTIVE || !::seglog::tracking_enabled()) return;\n";
    body += "    ::nlohmann::json seglog_props = ::nlohmann::json::object();\n";
    for (const auto &f : fields) {
        if (!f.required) continue;
        const std::string p = params.claim_id(f.id);
        text += ", " + param_type(f.type) + " " + p;
        body += "    seglog_props[" + literal(f.key) + "] = " + param_to_json(f.type, p) + ";\n";
    }
    if (!options_type.empty()) {
        text += ", const " + options_type + " &seglog_options = {}";
        body += "    seglog_options.write_to(seglog_props);\n";
    }
    text += ", const ::seglog::call_options &seglog_call = {}) {\n" + body;
    if (c.r->kind == rule_kind::track)
        body = "SEGLOG_LOGGER_TRACK(seglog_logger, seglog_who, " + literal(c.r->name) + ", seglog_props, seglog_call);";
    else if (c.r->kind == rule_kind::identify)
        body = "SEGLOG_LOGGER_IDENTIFY(seglog_logger, seglog_who, seglog_props, seglog_call);";
    else body = "SEGLOG_LOGGER_GROUP(seglog_logger, seglog_who, seglog_group_id, seglog_props, seglog_call);";
    // With SEGLOG_ACTIVE=0 the macro expands to nothing that reads its arguments.
    const std::string unused = std::string("static_cast<void>(seglog_logger);\n    static_cast<void>(seglog_who);\n") +
                               (c.r->kind == rule_kind::group ? "    static_cast<void>(seglog_group_id);\n" : "") +
                               "    static_cast<void>(seglog_call);\n";
    out_ += text + "#if SEGLOG_ACTIVE\n    " + body + "\n#else\n    " + unused + "#endif\n}\n\n";
}

std::string generator::run() {
    // Function names first, in the plan's order, so that a generated type never takes the name
    // an event's function would have had.
    std::vector<std::pair<const rule *, std::string>> functions;
    std::set<std::string> seen_events;
    for (const auto &r : plan_.rules) {
        if (r.kind == rule_kind::track) {
            if (!seen_events.insert(r.name).second) continue; // the highest version is generated
            functions.emplace_back(plan_.track_rule(r.name), ns_.claim(r.name));
        } else if (r.kind == rule_kind::identify || r.kind == rule_kind::group) {
            if (plan_.first(r.kind) != &r) continue;
            functions.emplace_back(&r, ns_.claim(seglog::detail::plan::to_string(r.kind)));
        } else {
            notes_.push_back(std::string("a ") + seglog::detail::plan::to_string(r.kind) + " rule" +
                             (r.name.empty() ? "" : " (\"" + r.name + "\")") + ": no function (checked at run time)");
        }
    }
    for (const auto &[r, fn] : functions) {
        context c;
        c.r = r;
        c.what = r->kind == rule_kind::track ? "event " + literal(r->name) : seglog::detail::plan::to_string(r->kind);
        emit_function(c, fn, r->kind == rule_kind::track ? "properties" : "traits");
    }
    std::string head =
        "// Generated by `seglog plan generate` from the tracking plan " + opts_.plan_label +
        ". Do not edit:\n// regenerate it when the plan changes (docs/tracking-plan.md, \"Typed functions\").\n";
    for (const auto &n : notes_) head += "// Not generated: " + n + ".\n";
    head += "#pragma once\n\n#include <seglog/event.h>\n#include <seglog/macros.h>\n#include <seglog/tracking.h>\n"
            "#include <seglog/typed.h>\n\n#include <nlohmann/json.hpp>\n#include <spdlog/logger.h>\n\n"
            "#include <cstdint>\n#include <optional>\n#include <string>\n#include <string_view>\n#include <vector>\n\n";
    return head + "namespace " + opts_.ns + " {\n\n" + out_ + "} // namespace " + opts_.ns + "\n";
}

} // namespace

bool valid_namespace(const std::string &ns) {
    std::size_t start = 0;
    while (true) {
        const std::size_t end = ns.find("::", start);
        const std::string part = ns.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (part.empty() || is_digit(part.front()) || keywords().count(part)) return false;
        for (const char ch : part)
            if (!is_alnum(ch) && ch != '_') return false;
        if (end == std::string::npos) return true;
        start = end + 2;
    }
}

std::string generate_header(const seglog::detail::plan::plan_file &plan, const options &opts) {
    if (!valid_namespace(opts.ns)) throw error("not a C++ namespace: \"" + opts.ns + "\"");
    return generator(plan, opts).run();
}

} // namespace seglog::tools::codegen
