#pragma once
// How long a test waits for a condition. Reaching a bound means the test failed, not that it
// was slow: the bounds are far above what any run needs, sanitizers and a busy machine included.

#include <chrono>

namespace seglog_test {

// Upper bound for every wait on a condition.
constexpr auto k_bound = std::chrono::seconds(30);
// What close() may overrun its timeout by (sanitizer builds on a busy 2-core machine).
constexpr auto k_close_margin = std::chrono::seconds(2);

} // namespace seglog_test
