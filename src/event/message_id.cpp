#include "event/message_id.h"

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
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

} // namespace

void append_message_id(text_buffer &out) {
    static std::once_flag atfork_once;
    std::call_once(atfork_once, [] { pthread_atfork(nullptr, nullptr, on_fork_child); });
    thread_local generator gen;
    if (gen.generation != fork_generation.load(std::memory_order_relaxed)) gen.seed();

    std::uint64_t hi = gen.next();
    std::uint64_t lo = gen.next();
    hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull; // version 4
    lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull; // RFC 4122 variant
    // Two hex digits per byte from a table: this runs once per event on the caller's thread.
    static constexpr struct hex_pairs {
        char d[512];
        constexpr hex_pairs() : d() {
            constexpr char hex[] = "0123456789abcdef";
            for (int i = 0; i < 256; ++i) {
                d[2 * i] = hex[i >> 4];
                d[2 * i + 1] = hex[i & 0xF];
            }
        }
    } pairs;
    char *buf = out.tail(36);
    int pos = 0;
    auto put = [&](std::uint64_t v, int bytes) {
        for (int i = bytes - 1; i >= 0; --i) {
            const char *two = &pairs.d[2 * ((v >> (i * 8)) & 0xFF)];
            buf[pos++] = two[0];
            buf[pos++] = two[1];
        }
    };
    put(hi >> 32, 4);
    buf[pos++] = '-';
    put((hi >> 16) & 0xFFFF, 2);
    buf[pos++] = '-';
    put(hi & 0xFFFF, 2);
    buf[pos++] = '-';
    put(lo >> 48, 2);
    buf[pos++] = '-';
    put(lo & 0xFFFFFFFFFFFFull, 6);
    out.commit(36);
}

} // namespace seglog::detail
