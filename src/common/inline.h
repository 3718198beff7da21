#pragma once
// SEGLOG_INLINE marks a helper that a function of the call's hot path is split into so that it
// reads by meaning: the helper is compiled into its caller as if the function were one, so the
// split costs the call nothing (an out-of-line call, and the optional<error> it returns, would;
// docs/performance.md has the instruction counts).
#if defined(__GNUC__)
#define SEGLOG_INLINE inline __attribute__((always_inline))
#else
#define SEGLOG_INLINE inline
#endif
