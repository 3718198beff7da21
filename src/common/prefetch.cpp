#include "common/prefetch.h"

#if defined(__x86_64__) && !defined(__PRFCHW__)
#include <cpuid.h>

namespace seglog::detail {

namespace {

bool detect_prefetchw() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __get_cpuid(0x80000001u, &a, &b, &c, &d) && (c & bit_PRFCHW) != 0;
}

} // namespace

const bool cpu_has_prefetchw = detect_prefetchw();

} // namespace seglog::detail
#endif
