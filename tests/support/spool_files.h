#pragma once
// For the spool suites: a pipeline whose client keeps a spool in a temporary directory, and
// what the spool's files hold (tests/spool_*_test.cpp).

#include "pipeline.h"
#include "temp_files.h"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace seglog_test {

// The segment files of a spool directory, oldest first.
inline std::vector<std::string> spool_segments(const std::string &dir) {
    std::vector<std::string> out;
    for (const auto &e : std::filesystem::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.rfind("seg-", 0) == 0) out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// A record's place in a segment file, as the format in src/spool/spool.h lays it out.
struct spool_record_at {
    std::size_t offset = 0; // of its header
    std::uint32_t commit = 0, length = 0, settled = 0;
};

inline std::vector<spool_record_at> spool_records(const std::string &segment) {
    std::ifstream in(segment, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<spool_record_at> out;
    for (std::size_t off = 16; off + 24 <= bytes.size();) {
        spool_record_at r;
        r.offset = off;
        std::memcpy(&r.commit, bytes.data() + off, 4);
        std::memcpy(&r.length, bytes.data() + off + 4, 4);
        std::memcpy(&r.settled, bytes.data() + off + 12, 4);
        if (r.commit == 0) break;
        out.push_back(r);
        off += (24 + r.length + 7) & ~std::size_t{7};
    }
    return out;
}

// Overwrites `bytes` at `offset` of `path`.
inline void poke(const std::string &path, std::size_t offset, const std::string &bytes) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    REQUIRE(f.good());
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

} // namespace seglog_test
