#include <seglog/tracking.h>

namespace seglog {

namespace detail {
std::atomic<bool> tracking_flag{true};
} // namespace detail

void set_tracking(bool on) noexcept { detail::tracking_flag.store(on, std::memory_order_relaxed); }

} // namespace seglog
