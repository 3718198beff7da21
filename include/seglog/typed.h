#pragma once
// The parameter types of the functions `seglog plan generate` writes from a tracking plan
// (docs/tracking-plan.md, "Typed functions"). A plan's integer, number and boolean properties
// take these rather than std::int64_t, double and bool, because C++ converts between those
// silently: a string literal would become `true`, 2.5 would become 2, `true` would become 1.
// Each type takes only the C++ types that mean the same thing, so a wrong type does not
// compile; the generated function reads `.value`.

#include <cstdint>
#include <type_traits>

namespace seglog::typed {

// Internal: the character types, which are integers to C++ but text to a reader.
namespace detail {
template <typename T>
inline constexpr bool is_character_v = std::is_same_v<T, char> || std::is_same_v<T, wchar_t> ||
                                       std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;
template <typename T>
inline constexpr bool is_integer_v = std::is_integral_v<T> && !std::is_same_v<T, bool> && !is_character_v<T>;
} // namespace detail

// A plan's "integer": any integer type (int, long, std::size_t, std::int8_t...), not bool,
// not char, not a floating-point type (which would lose its fraction). Unsigned values above
// INT64_MAX wrap, as a conversion to std::int64_t does.
struct integer {
    template <typename T, std::enable_if_t<detail::is_integer_v<T>, int> = 0>
    constexpr integer(T v) noexcept : value(static_cast<std::int64_t>(v)) {}
    std::int64_t value;
};

// A plan's "number": any integer or floating-point type, not bool, not char.
struct number {
    template <typename T, std::enable_if_t<detail::is_integer_v<T> || std::is_floating_point_v<T>, int> = 0>
    constexpr number(T v) noexcept : value(static_cast<double>(v)) {}
    double value;
};

// A plan's "boolean": bool only (not a number, not a pointer, not a string literal).
struct boolean {
    template <typename T, std::enable_if_t<std::is_same_v<T, bool>, int> = 0>
    constexpr boolean(T v) noexcept : value(v) {}
    bool value;
};

} // namespace seglog::typed
