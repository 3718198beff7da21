#include "transport/http_transport.h"

#include <zlib.h>

#include <cstdint>
#include <stdexcept>

namespace seglog::detail {

std::string gzip_compress(std::string_view in) {
    z_stream zs{};
    // windowBits 15 + 16: a gzip wrapper (header and CRC), which is what Content-Encoding: gzip means.
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("seglog: deflateInit2 failed");
    if (in.size() > UINT32_MAX) { // avail_in is 32-bit; batches are far below this
        deflateEnd(&zs);
        throw std::length_error("seglog: body too large to gzip");
    }
    // deflateBound accounts for the gzip wrapper, so a single Z_FINISH always fits.
    std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef *>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    const auto produced = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::runtime_error("seglog: gzip compression failed");
    out.resize(produced);
    return out;
}

} // namespace seglog::detail
