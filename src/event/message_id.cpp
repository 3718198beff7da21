#include "event/message_id.h"

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>
#include <thread>

namespace seglog::detail {

namespace {

std::atomic<std::uint64_t> fork_generation{0};

void on_fork_child() { fork_generation.fetch_add(1, std::memory_order_relaxed); }

// xoshiro256**: fast, and 256 bits of state so 122 random bits per id are well spread.
struct generator {
    std::uint64_t s[4];
    std::uint64_t generation = ~std::uint64_t{0};

    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

    void seed() {
        std::random_device rd;
        std::uint64_t mix = (std::uint64_t{rd()} << 32) ^ rd();
        mix ^= static_cast<std::uint64_t>(
            std::chrono::high_resolution_clock::now().time_since_epoch().count());
        mix ^= std::hash<std::thread::id>{}(std::this_thread::get_id()) * 0x9E3779B97F4A7C15ull;
        for (auto &w : s) { // splitmix64 expands the seed
            mix += 0x9E3779B97F4A7C15ull;
            std::uint64_t z = mix;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            w = z ^ (z >> 31) ^ (std::uint64_t{rd()} << 32);
        }
        generation = fork_generation.load(std::memory_order_relaxed);
    }

    std::uint64_t next() {
        const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
        const std::uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
    }
};

// The 8 hex digits of `v`, most significant first, as they lie in memory: each nibble spread
// to a byte, then '0'-'9' or 'a'-'f' added to all eight at once (no table, no loop).
inline std::uint64_t hex8(std::uint32_t v) {
    std::uint64_t x = v;
    x = (x | (x << 16)) & 0x0000FFFF0000FFFFull;
    x = (x | (x << 8)) & 0x00FF00FF00FF00FFull;
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0Full; // nibble i (from the top) in byte 7 - i
    const std::uint64_t letters = ((x + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull; // nibble > 9
    x += 0x3030303030303030ull + letters * ('a' - '0' - 10);
    if constexpr (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) x = __builtin_bswap64(x);
    return x;
}

} // namespace

void append_message_id(text_buffer &out) {
    static const bool registered = [] { return pthread_atfork(nullptr, nullptr, on_fork_child) == 0; }();
    (void)registered;
    thread_local generator gen;
    if (gen.generation != fork_generation.load(std::memory_order_relaxed)) gen.seed();

    std::uint64_t hi = gen.next();
    std::uint64_t lo = gen.next();
    hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull; // version 4
    lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull; // RFC 4122 variant
    // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx: 32 digits, 8 at a time, then cut into the groups.
    char *buf = out.tail(36);
    const std::uint64_t g[4] = {hex8(static_cast<std::uint32_t>(hi >> 32)), hex8(static_cast<std::uint32_t>(hi)),
                                hex8(static_cast<std::uint32_t>(lo >> 32)), hex8(static_cast<std::uint32_t>(lo))};
    char digits[32];
    std::memcpy(digits, g, 32);
    std::memcpy(buf, digits, 8);
    buf[8] = '-';
    std::memcpy(buf + 9, digits + 8, 4);
    buf[13] = '-';
    std::memcpy(buf + 14, digits + 12, 4);
    buf[18] = '-';
    std::memcpy(buf + 19, digits + 16, 4);
    buf[23] = '-';
    std::memcpy(buf + 24, digits + 20, 12);
    out.commit(36);
}

} // namespace seglog::detail
