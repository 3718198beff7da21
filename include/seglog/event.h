#pragma once
// The Segment Spec model: who an event is about, its properties, and per-call options.
// Properties are written straight into the record on the caller's thread: a braced list,
// nested or not, builds no JSON tree; an existing nlohmann::json is accepted as it is.
//
// Only <nlohmann/json_fwd.hpp> is included: a file that tracks events with braced lists never
// parses nlohmann/json.hpp. Code that builds or passes a nlohmann::json includes
// <nlohmann/json.hpp> itself, as it must to build one.
//
// docs/properties.md has the rules for braces; docs/api.md lists the whole API.

#include <seglog/export.h>

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace seglog {

// The six Segment Spec calls.
enum class event_type : std::uint8_t { track, identify, page, screen, group, alias };
// The call's name as it appears in the record's "type" and in error::event_type ("track"...);
// "unknown" for a value outside the enumeration.
SEGLOG_API const char *to_string(event_type t) noexcept;

// userId and/or anonymousId. At least one must be non-empty.
// An event whose identity has neither is refused as reason::missing_identity. An empty id is
// left out of the record. A plain value, copied freely.
struct identity {
    std::string user_id;      // "userId": your id for a known user
    std::string anonymous_id; // "anonymousId": an id for a visitor not (yet) known

    // Set the other id and return *this: seglog::user("u-42").with_anonymous_id("a-9").
    identity &with_anonymous_id(std::string id) {
        anonymous_id = std::move(id);
        return *this;
    }
    identity &with_user_id(std::string id) {
        user_id = std::move(id);
        return *this;
    }
};
// Who an event is about: a known user, an anonymous visitor, or both.
inline identity user(std::string user_id) { return identity{std::move(user_id), {}}; }
inline identity anonymous(std::string anonymous_id) { return identity{{}, std::move(anonymous_id)}; }
inline identity user(std::string user_id, std::string anonymous_id) {
    return identity{std::move(user_id), std::move(anonymous_id)};
}

// Internal: the compile-time machinery of value and properties; not part of the API.
namespace detail {
template <typename T>
inline constexpr bool always_false = false;
// What a value takes as it is; anything else is refused at compile time with a message.
template <typename T>
inline constexpr bool is_value_source =
    std::disjunction_v<std::is_same<T, nlohmann::json>, std::is_arithmetic<T>, std::is_same<T, std::nullptr_t>,
                       std::is_convertible<const T &, std::string_view>>;

// Whether nlohmann::json is a complete type here (<nlohmann/json.hpp> included), asked for each
// T of its own, so that the answer never comes from a use before the include.
template <typename J, typename T, typename = void>
struct complete_for : std::false_type {};
template <typename J, typename T>
struct complete_for<J, T, std::void_t<decltype(sizeof(J))>> : std::true_type {};
template <typename T, typename J = nlohmann::json, bool = complete_for<J, T>::value>
struct converts_to_json : std::false_type {};
template <typename T, typename J>
struct converts_to_json<T, J, true> : std::is_convertible<const T &, J> {};
// Another type nlohmann::json converts from (a container, an ordered_json, a type with to_json)
// is taken through a nlohmann::json, as nlohmann's braces would; an enum or a pointer is not.
template <typename T>
inline constexpr bool via_json = !std::is_enum_v<T> && !std::is_pointer_v<T> && converts_to_json<T>::value;
// Room for that nlohmann::json: a default argument's temporary, which lives until the end of
// the call's statement, as braces do.
template <typename T, typename J = nlohmann::json, bool = via_json<T>>
struct json_slot {};
template <typename T, typename J>
struct json_slot<T, J, true> {
    J j;
};
} // namespace detail

class value_list;

// One property value: null, bool, number, string, a nlohmann::json, or a braced list of values
// (nested as deep as needed). Borrowed: it must outlive the call it is passed to, which
// braced lists at a call site always do (they live until the end of the statement).
//
// A braced list is read as nlohmann::json reads the same braces: it is an object when every
// element is a list of two whose first is a string, and an array otherwise. So
//   {{"method", "express"}}                 -> {"method":"express"}
//   {{{"sku", "a"}, {"qty", 1}}}           -> [{"sku":"a","qty":1}]
//   {1, 2, 3}, {"a", "b"}, {{"a", 1}, 2}   -> arrays
//   {{"a", "b"}}                            -> {"a":"b"}, not [["a","b"]] (as in nlohmann)
// An element that is a nlohmann::json array of two whose first is a string counts as a pair,
// as in nlohmann. An empty `{}` is null, as in nlohmann (nlohmann::json::object() is an empty
// object). A key written twice in one object keeps its first value, as nlohmann::json does.
//
// Built implicitly from what a braced list holds; user code rarely names it. A copy borrows
// the same data.
class value {
public:
    // What the value holds: integer is a signed integral type, unsigned_integer an unsigned
    // one, floating a float or double, json a nlohmann::json (given or converted), list braces.
    enum class kind : std::uint8_t { null, boolean, integer, unsigned_integer, floating, string, json, list };

    // null, from nothing, nullptr or `{}`; a null `const char *` is null too.
    value() noexcept : kind_(kind::null) {}
    value(std::nullptr_t) noexcept : kind_(kind::null) {}
    // bool, then numbers: a signed integer as integer, an unsigned one as unsigned_integer,
    // float and double as floating (NaN and infinities are refused at the call as
    // non_finite_number).
    value(bool b) noexcept : kind_(kind::boolean) { u_.b = b; }
    template <typename T,
              std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> && std::is_signed_v<T>, int> = 0>
    value(T i) noexcept : kind_(kind::integer) {
        u_.i = static_cast<std::int64_t>(i);
    }
    template <typename T,
              std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> && std::is_unsigned_v<T>, int> = 0>
    value(T u) noexcept : kind_(kind::unsigned_integer) {
        u_.u = static_cast<std::uint64_t>(u);
    }
    template <typename T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
    value(T d) noexcept : kind_(kind::floating) {
        u_.d = static_cast<double>(d);
    }
    // Strings are borrowed, not copied: they must outlive the call, as they do at a call site.
    value(const char *s) noexcept : kind_(s ? kind::string : kind::null) {
        if (s) set_str(s);
    }
    value(std::string_view s) noexcept : kind_(kind::string) { set_str(s); }
    value(const std::string &s) noexcept : kind_(kind::string) { set_str(s); }
    // An existing nlohmann::json, written as it is (the caller includes <nlohmann/json.hpp>).
    template <typename J, std::enable_if_t<std::is_same_v<J, nlohmann::json>, int> = 0>
    value(const J &j) noexcept : kind_(kind::json) {
        u_.j = &j;
    }
    // A nested array or object written in braces (see above).
    value(std::initializer_list<value> list) noexcept : kind_(kind::list) {
        u_.l.data = list.begin();
        u_.l.size = list.size();
    }
    // Anything else: a type nlohmann::json converts from (std::vector, std::map, ordered_json, a
    // type with to_json) is converted to one, in the call (the caller includes
    // <nlohmann/json.hpp>); the rest (an enum, a pointer, a struct without to_json) would
    // otherwise turn into a bool or an unreadable overload error: say what is accepted instead.
    template <typename T, std::enable_if_t<!detail::is_value_source<T> && !std::is_same_v<T, value>, int> = 0>
    value(const T &v, detail::json_slot<T> &&slot = {}) : kind_(kind::json) {
        if constexpr (detail::via_json<T>) {
            slot.j = v;
            u_.j = &slot.j;
        } else {
            static_assert(detail::always_false<T>,
                          "seglog::value: a property value is a string, a number, a bool, nullptr, a nlohmann::json "
                          "or a braced list of these, or a type nlohmann::json converts from with "
                          "<nlohmann/json.hpp> included (an enum: convert it to a number or a string first)");
        }
    }

    // What it holds. Each as_* accessor may be called only for its own kind (as_bool for
    // boolean, as_int for integer, ...); for another kind its result means nothing.
    kind type() const noexcept { return kind_; }
    bool as_bool() const noexcept { return u_.b; }
    std::int64_t as_int() const noexcept { return u_.i; }
    std::uint64_t as_uint() const noexcept { return u_.u; }
    double as_double() const noexcept { return u_.d; }
    std::string_view as_string() const noexcept { return {u_.s.data, u_.s.size}; }
    const nlohmann::json &as_json() const noexcept { return *u_.j; }
    inline value_list as_list() const noexcept; // kind::list: the elements, in the order written

private:
    void set_str(std::string_view s) noexcept {
        u_.s.data = s.data();
        u_.s.size = s.size();
    }
    kind kind_;
    union {
        bool b;
        std::int64_t i;
        std::uint64_t u;
        double d;
        struct {
            const char *data;
            std::size_t size;
        } s;
        struct {
            const value *data;
            std::size_t size;
        } l;
        const nlohmann::json *j;
    } u_{};
};

// The elements of a braced list (value::as_list), borrowed like the value.
// A view: iterate it, or index it with i < size().
class value_list {
public:
    // The `size` values at `data`.
    value_list(const value *data, std::size_t size) noexcept : data_(data), size_(size) {}
    const value *begin() const noexcept { return data_; }
    const value *end() const noexcept { return data_ + size_; }
    std::size_t size() const noexcept { return size_; }
    const value &operator[](std::size_t i) const noexcept { return data_[i]; }

private:
    const value *data_;
    std::size_t size_;
};
inline value_list value::as_list() const noexcept { return {u_.l.data, u_.l.size}; }

// One member of a braced list of properties: {"key", value}.
// Borrowed like value. The key must be valid UTF-8 (invalid_utf8 at the call otherwise).
struct property {
    std::string_view key;
    seglog::value value;
    // {"key", value}: the one shape that compiles; the constructors below only exist to refuse
    // the others at compile time with a readable message.
    property(std::string_view k, seglog::value v) noexcept : key(k), value(v) {}

    // Wrong shapes, refused with a message rather than "could not convert": a lone item
    // (an array, or a pair missing its outer braces), a key that is not a string, a third item.
    template <typename T, std::enable_if_t<!std::is_same_v<T, property>, int> = 0>
    property(const T &) noexcept {
        static_assert(detail::always_false<T>,
                      "seglog::properties: each member is a {\"key\", value} pair, as in "
                      "{{\"plan\", \"pro\"}, {\"seats\", 5}}; an array needs a key: {{\"ids\", {1, 2}}}");
    }
    template <typename K, typename V = seglog::value,
              std::enable_if_t<!std::is_convertible_v<const K &, std::string_view>, int> = 0>
    property(const K &, const V &) noexcept {
        static_assert(detail::always_false<K>, "seglog::properties: a member's key must be a string: {\"key\", value}");
    }
    template <typename Third = seglog::value, typename... More>
    property(std::string_view, seglog::value, const Third &, const More &...) noexcept {
        static_assert(detail::always_false<Third>,
                      "seglog::properties: a member has two items, {\"key\", value}; an array value is one "
                      "braced item: {\"ids\", {1, 2, 3}}");
    }
};

// Properties or traits (also context and integrations): a braced list of {key, value} pairs,
// or a nlohmann::json object. Borrowed like value: build it in the call, never as a named
// variable. A key written twice keeps its first value, at every level, as nlohmann::json does.
// A nlohmann::json that is not an object (other than null) is refused at the call as
// reason::not_an_object.
class properties {
public:
    // None: `{}` or the default argument. The record then holds "properties":{} (or
    // "traits":{}); context and integrations keep their defaults.
    properties() noexcept = default;
    // {{"key", value}, ...}: members in the order written; a repeated key keeps its first value.
    properties(std::initializer_list<property> list) noexcept : list_(list) {}
    // A nlohmann::json object; null means "none" (the caller includes <nlohmann/json.hpp>).
    template <typename J, std::enable_if_t<std::is_same_v<J, nlohmann::json>, int> = 0>
    properties(const J &j) noexcept : json_(&j) {}
    // Another type nlohmann::json converts from (std::map, ordered_json, a type with to_json),
    // converted to one in the call.
    template <typename T, std::enable_if_t<!std::is_same_v<T, nlohmann::json> && detail::via_json<T>, int> = 0>
    properties(const T &v, detail::json_slot<T> &&slot = {}) {
        slot.j = v;
        json_ = &slot.j;
    }

    // Given as a nlohmann::json (json() is valid) rather than braces (list() is).
    bool is_json() const noexcept { return json_ != nullptr; }
    // The braced members; empty when is_json().
    std::initializer_list<property> list() const noexcept { return list_; }
    // The object given; only when is_json().
    const nlohmann::json &json() const noexcept { return *json_; }
    // No members: an empty list, or a null or empty json.
    bool empty() const noexcept;

private:
    std::initializer_list<property> list_{};
    const nlohmann::json *json_ = nullptr;
};

// Per-call overrides, borrowed like properties (give them in the call). context members are
// merged over the defaults (context.library is always seglog's); integrations replaces the
// default empty object. Both take braces or a nlohmann::json object:
//   seglog::call_options().with_context({{"ip", "203.0.113.9"}, {"app", {{"build", 12}}}})
// As for properties, a null nlohmann::json means none and any other non-object is refused
// as reason::not_an_object. A context member named "library" is always left out.
struct call_options {
    properties context;                                             // merged into the record's "context"
    properties integrations;                                        // the record's "integrations" (default {})
    std::optional<std::chrono::system_clock::time_point> timestamp; // default: time of the call

    // Setters returning *this, to chain in the call. The timestamp is written in UTC with
    // millisecond precision (YYYY-MM-DDTHH:MM:SS.mmmZ).
    call_options &with_context(const properties &c) noexcept {
        context = c;
        return *this;
    }
    call_options &with_integrations(const properties &i) noexcept {
        integrations = i;
        return *this;
    }
    call_options &with_timestamp(std::chrono::system_clock::time_point t) {
        timestamp = t;
        return *this;
    }
};

} // namespace seglog
