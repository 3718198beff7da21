// What the first write to a page costs on this machine, the floor under a cold call: memory a
// process has never written (a fresh client's queue buffers, a new spool segment) costs this
// per 4 KiB page the first time, recycled memory nothing. Prints microseconds per page for
//   - anonymous memory (malloc's fresh pages), also after MADV_POPULATE_WRITE, and on
//     transparent huge pages (MADV_HUGEPAGE: one fault maps 2 MiB),
//   - a preallocated file mapped shared with MAP_POPULATE (mapped for reading: each first
//     write still faults),
//   - the same after MADV_POPULATE_WRITE (how the spool maps a segment),
//   - anonymous memory another thread, on another CPU, wrote first (as a worker that faulted
//     buffers in for the callers would),
// each the first write and a second one, and what the MADV_POPULATE_WRITE call itself costs.
// Usage: bench_page_touch [--mib N] [--dir DIR]

#include "bench_util.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

using clock_type = std::chrono::steady_clock;

long faults() {
    rusage r{};
    ::getrusage(RUSAGE_SELF, &r);
    return r.ru_minflt + r.ru_majflt;
}

// Writes one byte per page; prints the cost per page and the page faults taken.
void write_pages(const char *what, char *p, std::size_t bytes) {
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    for (int pass = 1; pass <= 2; ++pass) {
        const long f0 = faults();
        const auto t0 = clock_type::now();
        for (std::size_t off = 0; off < bytes; off += page) p[off] = static_cast<char>(pass);
        const double us = std::chrono::duration<double, std::micro>(clock_type::now() - t0).count();
        std::printf("%-58s write %d: %7.2f us/page, %5ld page faults\n", what, pass, us / (bytes / page),
                    faults() - f0);
    }
}

// Faults every page in for writing with one MADV_POPULATE_WRITE call; prints what the call
// costs per page (the part a caller would pay up front instead of a fault per page).
void populate_for_writing(const char *what, char *p, std::size_t bytes) {
#ifdef MADV_POPULATE_WRITE
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const auto t0 = clock_type::now();
    if (::madvise(p, bytes, MADV_POPULATE_WRITE) != 0) std::perror("MADV_POPULATE_WRITE");
    const double us = std::chrono::duration<double, std::micro>(clock_type::now() - t0).count();
    std::printf("%-58s the call: %7.2f us/page\n", what, us / (bytes / page));
#else
    std::printf("%-58s not in these headers\n", what);
#endif
}

// Anonymous memory aligned to 2 MiB and marked MADV_HUGEPAGE, so that a write fault can map a
// whole huge page (when the kernel's transparent_hugepage setting is "madvise" or "always").
char *map_huge(std::size_t bytes) {
    constexpr std::size_t huge = std::size_t{2} << 20;
    void *m = ::mmap(nullptr, bytes + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        std::perror("mmap");
        std::exit(1);
    }
    auto *p = reinterpret_cast<char *>((reinterpret_cast<std::uintptr_t>(m) + huge - 1) & ~(huge - 1));
    if (::madvise(p, bytes, MADV_HUGEPAGE) != 0) std::perror("MADV_HUGEPAGE");
    return p;
}

// The kernel's setting, and how much of this process is on huge pages now.
void print_huge_pages() {
    std::string setting = "(unknown)";
    if (std::FILE *f = std::fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r")) {
        char buf[128] = {};
        if (std::fgets(buf, sizeof buf, f)) setting = buf;
        std::fclose(f);
        if (!setting.empty() && setting.back() == '\n') setting.pop_back();
    }
    long huge_kib = -1;
    if (std::FILE *f = std::fopen("/proc/self/smaps_rollup", "r")) {
        char buf[256];
        while (std::fgets(buf, sizeof buf, f))
            if (std::sscanf(buf, "AnonHugePages: %ld kB", &huge_kib) == 1) break;
        std::fclose(f);
    }
    std::printf("%-58s transparent_hugepage %s; on huge pages now: %ld KiB\n", "", setting.c_str(), huge_kib);
}

char *map_file(const std::string &path, std::size_t bytes, int flags) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ::posix_fallocate(fd, 0, static_cast<off_t>(bytes)) != 0) {
        std::perror(path.c_str());
        std::exit(1);
    }
    void *m = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | flags, fd, 0);
    ::close(fd);
    ::unlink(path.c_str());
    if (m == MAP_FAILED) {
        std::perror("mmap");
        std::exit(1);
    }
    return static_cast<char *>(m);
}

// Another thread writes every page first, on a CPU other than this one's where there is one;
// then this thread's writes are timed.
void write_after_other_thread(const char *what, char *p, std::size_t bytes) {
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const int here = ::sched_getcpu();
    const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    std::thread other([&] {
        if (here >= 0 && cpus > 1) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(static_cast<int>((here + 1) % cpus), &set);
            (void)::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
        }
        for (std::size_t off = 0; off < bytes; off += page) p[off] = 1;
    });
    other.join();
    write_pages(what, p, bytes);
}

} // namespace

int main(int argc, char **argv) {
    const std::size_t bytes = std::stoul(seglog::bench::arg(argc, argv, "--mib", "16")) << 20;
    const std::string dir = seglog::bench::arg(argc, argv, "--dir", "/tmp");
    std::printf("bench_page_touch: %zu MiB each, files under %s\n", bytes >> 20, dir.c_str());

    auto *anon = static_cast<char *>(
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    write_pages("anonymous memory", anon, bytes);

    auto *populated = static_cast<char *>(
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0));
    write_pages("anonymous memory, MAP_POPULATE", populated, bytes);

    const std::string path = dir + "/bench_page_touch." + std::to_string(::getpid());
    write_pages("file, shared, MAP_POPULATE", map_file(path, bytes, MAP_POPULATE), bytes);

    auto *anon_ready = static_cast<char *>(
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    populate_for_writing("anonymous memory, MADV_POPULATE_WRITE", anon_ready, bytes);
    write_pages("anonymous memory, MADV_POPULATE_WRITE", anon_ready, bytes);

    auto *anon_other = static_cast<char *>(
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    write_after_other_thread("anonymous memory, written first by another thread", anon_other, bytes);

    write_pages("anonymous memory, MADV_HUGEPAGE", map_huge(bytes), bytes);
    print_huge_pages();

    char *ready = map_file(path, bytes, 0);
    populate_for_writing("file, shared, MADV_POPULATE_WRITE", ready, bytes);
    write_pages("file, shared, MADV_POPULATE_WRITE", ready, bytes);
    return 0;
}
