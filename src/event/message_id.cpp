#include "event/message_id.h"

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>
#include <thread>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
        mix ^= static_cast<std::uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count());
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

// The 32 hex digits of hi then lo, most significant first.
#if defined(__SSE2__)
// SSE2 is part of x86-64: all 32 digits in a few vector operations.
inline void hex32(std::uint64_t hi, std::uint64_t lo, char *digits) {
    const __m128i bytes = _mm_set_epi64x(static_cast<long long>(__builtin_bswap64(lo)),
                                         static_cast<long long>(__builtin_bswap64(hi))); // in reading order
    const __m128i low4 = _mm_set1_epi8(0x0F);
    const __m128i high_nibbles = _mm_and_si128(_mm_srli_epi16(bytes, 4), low4);
    const __m128i low_nibbles = _mm_and_si128(bytes, low4);
    auto ascii = [](__m128i n) { // '0'-'9', then 'a'-'f' for nibbles over 9
        const __m128i letters = _mm_and_si128(_mm_cmpgt_epi8(n, _mm_set1_epi8(9)), _mm_set1_epi8('a' - '0' - 10));
        return _mm_add_epi8(n, _mm_add_epi8(_mm_set1_epi8('0'), letters));
    };
    _mm_storeu_si128(reinterpret_cast<__m128i *>(digits), ascii(_mm_unpacklo_epi8(high_nibbles, low_nibbles)));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(digits + 16), ascii(_mm_unpackhi_epi8(high_nibbles, low_nibbles)));
}
#else
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
inline void hex32(std::uint64_t hi, std::uint64_t lo, char *digits) {
    const std::uint64_t g[4] = {hex8(static_cast<std::uint32_t>(hi >> 32)), hex8(static_cast<std::uint32_t>(hi)),
                                hex8(static_cast<std::uint32_t>(lo >> 32)), hex8(static_cast<std::uint32_t>(lo))};
    std::memcpy(digits, g, 32);
}
#endif

} // namespace

char *put_message_id(char *buf) {
    static const bool registered = [] { return pthread_atfork(nullptr, nullptr, on_fork_child) == 0; }();
    (void)registered;
    thread_local generator gen;
    if (gen.generation != fork_generation.load(std::memory_order_relaxed)) gen.seed();

    std::uint64_t hi = gen.next();
    std::uint64_t lo = gen.next();
    hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull; // version 4
    lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull; // RFC 4122 variant
    // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx: the 32 digits, then cut into the groups.
    char digits[32];
    hex32(hi, lo, digits);
    std::memcpy(buf, digits, 8);
    buf[8] = '-';
    std::memcpy(buf + 9, digits + 8, 4);
    buf[13] = '-';
    std::memcpy(buf + 14, digits + 12, 4);
    buf[18] = '-';
    std::memcpy(buf + 19, digits + 16, 4);
    buf[23] = '-';
    std::memcpy(buf + 24, digits + 20, 12);
    return buf + message_id_chars;
}

void append_message_id(text_buffer &out) {
    char *q = out.tail(message_id_chars);
    out.commit(static_cast<std::size_t>(put_message_id(q) - q));
}

} // namespace seglog::detail
