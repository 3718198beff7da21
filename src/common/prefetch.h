#pragma once
// A prefetch for writing: asks for a cache line in the state a store needs (owned, the other
// cores' copies invalidated), so that the stores that follow do not wait for another core to
// give the line up. GCC emits x86's PREFETCHW for __builtin_prefetch(p, 1) only when the
// target has it at compile time (-mprfchw, or a -march that includes it), which the x86-64
// baseline that distributions build for does not: it falls back to PREFETCHT0, a read
// prefetch, which leaves the line shared with the core that last wrote it, and the store still
// waits for that core. Every x86-64 CPU made since about 2014 has PREFETCHW (AMD's since the
// first), so on x86-64 the instruction is chosen at run time from CPUID (docs/performance.md
// has what it earns the call).

namespace seglog::detail {

#if defined(__x86_64__) && !defined(__PRFCHW__)
// Set during static initialisation (common/prefetch.cpp); false before that, which only
// means a read prefetch.
extern const bool cpu_has_prefetchw;

inline void prefetch_for_write(const void *p) noexcept {
    if (cpu_has_prefetchw) asm volatile("prefetchw %0" : : "m"(*static_cast<const char *>(p)));
    else __builtin_prefetch(p, 0, 3);
}
#else
inline void prefetch_for_write(const void *p) noexcept { __builtin_prefetch(p, 1, 3); }
#endif

} // namespace seglog::detail
