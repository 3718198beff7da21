#pragma once
// Whether this test is built with ThreadSanitizer: GCC says so with __SANITIZE_THREAD__, Clang
// with __has_feature. Tests that fork a threaded process skip what TSan cannot follow.

namespace seglog_test {

#if defined(__SANITIZE_THREAD__)
inline constexpr bool k_tsan = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool k_tsan = true;
#else
inline constexpr bool k_tsan = false;
#endif
#else
inline constexpr bool k_tsan = false;
#endif

} // namespace seglog_test
