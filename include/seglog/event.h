#pragma once
// The Segment Spec model: who an event is about, its properties, and per-call options.
// Properties are written straight into the record on the caller's thread; a braced list
// builds no JSON tree, an existing nlohmann::json is accepted as it is.

#include <seglog/export.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace seglog {

enum class event_type : std::uint8_t { track, identify, page, screen, group, alias };
SEGLOG_API const char *to_string(event_type t) noexcept;

// userId and/or anonymousId. At least one must be non-empty.
struct identity {
    std::string user_id;
    std::string anonymous_id;

    identity &with_anonymous_id(std::string id) { anonymous_id = std::move(id); return *this; }
    identity &with_user_id(std::string id) { user_id = std::move(id); return *this; }
};
inline identity user(std::string user_id) { return identity{std::move(user_id), {}}; }
inline identity anonymous(std::string anonymous_id) { return identity{{}, std::move(anonymous_id)}; }
inline identity user(std::string user_id, std::string anonymous_id) {
    return identity{std::move(user_id), std::move(anonymous_id)};
}

// One property value. Borrowed: it must outlive the call it is passed to, which braced
// lists at a call site always do.
class value {
public:
    enum class kind : std::uint8_t { null, boolean, integer, unsigned_integer, floating, string, json };

    value() noexcept : kind_(kind::null) {}
    value(std::nullptr_t) noexcept : kind_(kind::null) {}
    value(bool b) noexcept : kind_(kind::boolean) { u_.b = b; }
    template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                                               std::is_signed_v<T>, int> = 0>
    value(T i) noexcept : kind_(kind::integer) { u_.i = static_cast<std::int64_t>(i); }
    template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                                               std::is_unsigned_v<T>, int> = 0>
    value(T u) noexcept : kind_(kind::unsigned_integer) { u_.u = static_cast<std::uint64_t>(u); }
    template <typename T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
    value(T d) noexcept : kind_(kind::floating) { u_.d = static_cast<double>(d); }
    value(const char *s) noexcept : kind_(s ? kind::string : kind::null) { if (s) set_str(s); }
    value(std::string_view s) noexcept : kind_(kind::string) { set_str(s); }
    value(const std::string &s) noexcept : kind_(kind::string) { set_str(s); }
    value(const nlohmann::json &j) noexcept : kind_(kind::json) { u_.j = &j; }
    // A nested array or object written in braces: {"items", nlohmann::json::array({1, 2})}
    // or any type nlohmann::json converts from goes through the json overload above.

    kind type() const noexcept { return kind_; }
    bool as_bool() const noexcept { return u_.b; }
    std::int64_t as_int() const noexcept { return u_.i; }
    std::uint64_t as_uint() const noexcept { return u_.u; }
    double as_double() const noexcept { return u_.d; }
    std::string_view as_string() const noexcept { return {u_.s.data, u_.s.size}; }
    const nlohmann::json &as_json() const noexcept { return *u_.j; }

private:
    void set_str(std::string_view s) noexcept { u_.s.data = s.data(); u_.s.size = s.size(); }
    kind kind_;
    union {
        bool b;
        std::int64_t i;
        std::uint64_t u;
        double d;
        struct { const char *data; std::size_t size; } s;
        const nlohmann::json *j;
    } u_{};
};

struct property {
    std::string_view key;
    seglog::value value;
    property(std::string_view k, seglog::value v) noexcept : key(k), value(v) {}
};

// Properties or traits: a braced list of {key, value} pairs, or a JSON object.
class properties {
public:
    properties() noexcept = default;
    properties(std::initializer_list<property> list) noexcept : list_(list), json_(nullptr) {}
    properties(const nlohmann::json &j) noexcept : json_(&j) {}

    bool is_json() const noexcept { return json_ != nullptr; }
    std::initializer_list<property> list() const noexcept { return list_; }
    const nlohmann::json &json() const noexcept { return *json_; }
    bool empty() const noexcept { return json_ ? json_->empty() : list_.size() == 0; }

private:
    std::initializer_list<property> list_{};
    const nlohmann::json *json_ = nullptr;
};

// Per-call overrides. context members are merged over the defaults (context.library is
// always seglog's); integrations replaces the default empty object.
struct call_options {
    const nlohmann::json *context = nullptr;
    const nlohmann::json *integrations = nullptr;
    std::optional<std::chrono::system_clock::time_point> timestamp; // default: time of the call

    call_options &with_context(const nlohmann::json &c) { context = &c; return *this; }
    call_options &with_integrations(const nlohmann::json &i) { integrations = &i; return *this; }
    call_options &with_timestamp(std::chrono::system_clock::time_point t) { timestamp = t; return *this; }
};

} // namespace seglog
