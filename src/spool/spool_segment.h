#pragma once
// A spool segment in memory: its mapping, how far it is written, and how many of its records
// are not settled yet (plus one while a shard may still append to it).

#include "spool/spool.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace seglog::detail {

struct spool_segment {
    std::string path;
    std::uint64_t number = 0;
    char *base = nullptr;
    std::size_t size = 0;
    std::size_t used = 0; // the appending shard's, under its lock
    std::atomic<std::size_t> refs{0};
};

inline constexpr std::size_t spool_align(std::size_t n) { return (n + 7) & ~std::size_t{7}; }

// The checksum a record carries: CRC-32C of its stamp (8 bytes, as stored) and its payload.
std::uint32_t spool_crc(std::uint64_t stamp, const char *payload, std::size_t length);

std::string spool_segment_name(std::uint64_t number);

} // namespace seglog::detail
