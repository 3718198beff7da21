// The queue asks for the cache lines the next push will write with a prefetch for writing
// (common/prefetch.h). In a build for the x86-64 baseline, which instruction that is comes from
// CPUID at start: a wrong answer fails nothing else, it only makes every call slower
// (docs/performance.md), so it is checked here against the kernel's reading of the same CPU.
#include "common/prefetch.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace {

// The flags of the first CPU in /proc/cpuinfo; false when there is none to read.
bool read_cpu_flags(std::string &flags) {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("flags", 0) != 0) continue;
        const std::size_t colon = line.find(':');
        if (colon == std::string::npos) return false;
        flags = " " + line.substr(colon + 1) + " ";
        return true;
    }
    return false;
}

} // namespace

TEST_CASE("the prefetch for writing is PREFETCHW exactly where the CPU has it (x86-64 baseline builds)") {
#if defined(__x86_64__) && !defined(__PRFCHW__)
    std::string flags;
    if (!read_cpu_flags(flags)) {
        MESSAGE("skipped: /proc/cpuinfo has no flags line to compare with");
        return;
    }
    // Linux names CPUID 0x80000001 ECX bit 8 (PRFCHW) "3dnowprefetch".
    const bool kernel_says = flags.find(" 3dnowprefetch ") != std::string::npos;
    CHECK(seglog::detail::cpu_has_prefetchw == kernel_says);
#else
    MESSAGE("skipped: this build's prefetch for writing is the compiler's own (not x86-64, or built with PREFETCHW)");
#endif
    // Whatever the instruction, it only hints: the memory it names is left as it was.
    char line[64] = "unchanged";
    seglog::detail::prefetch_for_write(line);
    CHECK(std::string(line) == "unchanged");
}
