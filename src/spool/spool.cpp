#include "spool/spool.h"

#include "spool/spool_segment.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace seglog::detail {

namespace {

int default_extend(int fd, off_t size) { return ::posix_fallocate(fd, 0, size); }

std::string errno_text(int e) { return std::strerror(e); }

// A failed segment is not tried again before this: while the disk is full, the caller's path
// must not pay an open() per event.
constexpr std::chrono::seconds segment_retry_delay{1};

// A shard's first segment is the caller's own (none is ready yet) and small, so that few of
// its pages are written for the first time on the caller; it asks the worker for a full one
// at once.
constexpr std::size_t first_segment_bytes = 64u << 10;

// Segments are mapped with their pages faulted in for writing (MADV_POPULATE_WRITE, Linux
// 5.14+, below): MAP_POPULATE maps a shared file's pages for reading only, so each first write
// would still fault (the file system marks the page dirty), several times the cost of a page
// populated for writing. Headers without it get MAP_POPULATE.
#ifdef MADV_POPULATE_WRITE
constexpr int populate_on_map = 0;
#else
constexpr int populate_on_map = MAP_POPULATE;
#endif

const std::size_t page_bytes = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));

} // namespace

spool_extend_fn spool_extend = default_extend;

namespace {

// CRC-32C (Castagnoli): the x86 crc32 instruction computes it 8 bytes at a time, where zlib's
// CRC-32 on the caller's path doubled the cost of an accepted event. The table is the fallback
// for processors without it; both give the same value, so a spool moves between machines.
struct crc32c_table {
    std::uint32_t t[256];
    crc32c_table() {
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
            t[i] = c;
        }
    }
};

std::uint32_t crc32c_soft(std::uint32_t crc, const unsigned char *p, std::size_t n) {
    static const crc32c_table table;
    while (n--) crc = table.t[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc32c_hw(std::uint32_t crc, const unsigned char *p, std::size_t n) {
    std::uint64_t c = crc;
    for (; n >= 8; n -= 8, p += 8) {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
    }
    auto c32 = static_cast<std::uint32_t>(c);
    for (; n; --n) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}
#endif

std::uint32_t crc32c(std::uint32_t crc, const void *data, std::size_t n) {
    const auto *p = static_cast<const unsigned char *>(data);
#if defined(__x86_64__)
    static const bool hw = __builtin_cpu_supports("sse4.2");
    if (hw) return crc32c_hw(crc, p, n);
#endif
    return crc32c_soft(crc, p, n);
}

} // namespace

std::uint32_t spool_crc(std::uint64_t stamp, const char *payload, std::size_t length) {
    const std::uint32_t crc = crc32c(0xffffffffu, &stamp, sizeof stamp);
    return crc32c(crc, payload, length) ^ 0xffffffffu;
}

std::string spool_segment_name(std::uint64_t number) {
    char name[40];
    std::snprintf(name, sizeof name, "seg-%016llu.log", static_cast<unsigned long long>(number));
    return name;
}

spool::spool(const options &o, spool_recovery_report &recovered)
    : dir_(o.dir), max_bytes_(o.max_bytes), shards_(o.shards) {
    // A segment per shard must fit the bound several times over, so that the shards in use
    // and the segments waiting to be settled do not exhaust it between them.
    segment_bytes_ = std::min<std::size_t>(4u << 20, std::max<std::size_t>(64u << 10, max_bytes_ / 16));
    lock_dir();
    recover(recovered);
}

void spool::close() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::uint64_t kept = 0;
    for (spool_segment *s : segments_) {
        ::munmap(s->base, s->size);
        // A segment that holds nothing unsettled (only the appending shard's reference is
        // left) is not left behind for the next start.
        if (s->refs.load() <= 1) ::unlink(s->path.c_str());
        else kept += s->size;
        delete s;
    }
    segments_.clear();
    for (spool_segment *s : spares_) {
        ::munmap(s->base, s->size);
        ::unlink(s->path.c_str());
        delete s;
    }
    spares_.clear();
    for (auto &st : shards_) st.active = nullptr, st.standby.store(nullptr);
    file_bytes_.store(kept);
    if (lock_fd_ >= 0) ::close(lock_fd_); // releases the flock
    lock_fd_ = -1;
}

void spool::lock_dir() {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) throw config_error("seglog config: spool directory " + dir_ + " cannot be created: " + ec.message());
    const std::string path = dir_ + "/LOCK";
    lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0)
        throw config_error("seglog config: spool " + dir_ + " cannot be used: " + path + ": " + errno_text(errno));
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        const int e = errno;
        char pid[32] = {};
        const ssize_t n = ::pread(lock_fd_, pid, sizeof pid - 1, 0);
        ::close(lock_fd_);
        lock_fd_ = -1;
        if (e == EWOULDBLOCK) {
            std::string holder(pid, n > 0 ? static_cast<std::size_t>(n) : 0);
            while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
            throw config_error("seglog config: spool " + dir_ + " is in use by pid " +
                               (holder.empty() ? std::string("(unknown)") : holder));
        }
        throw config_error("seglog config: spool " + dir_ + " cannot be locked: " + errno_text(e));
    }
    const std::string me = std::to_string(::getpid()) + "\n";
    if (::ftruncate(lock_fd_, 0) != 0 ||
        ::pwrite(lock_fd_, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size())) {
        // The lock holds without the pid in the file: a second owner is still refused.
    }
}

spool_segment *spool::open_segment(std::size_t bytes, std::size_t min_bytes, std::string &why, bool touch) {
    const std::size_t size = std::max(bytes, spool_align(min_bytes + segment_header_bytes));
    // The bound is taken before the file is made: the caller and the worker may both be opening
    // one, and only one of them may take the last room.
    if (!reserve_file_bytes(size)) {
        why.clear();
        return nullptr;
    }
    const std::uint64_t number = next_number_.fetch_add(1);
    const std::string path = dir_ + "/" + spool_segment_name(number);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        why = "cannot create spool segment " + path + ": " + errno_text(errno);
        file_bytes_.fetch_sub(size);
        return nullptr;
    }
    auto fail = [&](const char *what, int e) -> spool_segment * {
        ::close(fd);
        ::unlink(path.c_str());
        file_bytes_.fetch_sub(size);
        why = std::string("cannot ") + what + " spool segment " + path + " (" + std::to_string(size) +
              " bytes): " + errno_text(e);
        return nullptr;
    };
    if (const int e = spool_extend(fd, static_cast<off_t>(size))) return fail("extend", e);
    void *map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | populate_on_map, fd, 0);
    if (map == MAP_FAILED) return fail("map", errno);
    ::close(fd);
    ::madvise(map, size, MADV_DONTFORK); // a forked child must never write into the spool
#ifdef MADV_POPULATE_WRITE
    ::madvise(map, size, MADV_POPULATE_WRITE); // an older kernel refuses it: the writes fault instead
#endif
    if (touch) {
        // A page first written by the process can cost microseconds more even when mapped
        // (a virtual machine's host backing it): the worker, making a segment ready, pays
        // that instead of the caller.
        auto *p = static_cast<volatile char *>(map);
        for (std::size_t off = 0; off < size; off += page_bytes) p[off] = 0;
    }
    auto *s = new spool_segment;
    s->base = static_cast<char *>(map);
    s->size = size;
    start_segment(s, path, number);
    return s;
}

bool spool::reserve_file_bytes(std::size_t size) {
    std::uint64_t now = file_bytes_.load();
    do {
        if (now + size > max_bytes_) return false;
    } while (!file_bytes_.compare_exchange_weak(now, now + size));
    return true;
}

void spool::start_segment(spool_segment *s, const std::string &path, std::uint64_t number) {
    s->path = path;
    s->number = number;
    s->used = segment_header_bytes;
    s->refs.store(1); // the appending shard's
    std::memcpy(s->base, segment_magic, 8);
    const std::uint32_t version = 1;
    std::memcpy(s->base + 8, &version, sizeof version);
    std::lock_guard<std::mutex> lock(mutex_);
    segments_.insert(s);
}

spool::append_result spool::append(std::size_t shard, std::string_view payload, spool_ref &out) {
    shard_state &st = shards_[shard % shards_.size()];
    const std::size_t need = spool_align(sizeof(spool_record_header) + payload.size());
    spool_segment *s = st.active;
    if (!s || s->used + need > s->size) {
        spool_segment *next = st.standby.exchange(nullptr, std::memory_order_acquire);
        if (next && next->used + need > next->size) {
            // Too small for this record: kept for the next switch, unless the worker has made
            // another meanwhile.
            spool_segment *empty = nullptr;
            if (!st.standby.compare_exchange_strong(empty, next, std::memory_order_release)) release(next);
            next = nullptr;
        }
        if (!next) {
            const std::size_t bytes = s ? segment_bytes_ : std::min(segment_bytes_, first_segment_bytes);
            const std::size_t size = std::max(bytes, spool_align(need + segment_header_bytes));
            if (file_bytes_.load() + size > max_bytes_) return append_result::full;
            if (std::chrono::steady_clock::now() < st.retry_after) return append_result::failed_again;
            std::string why;
            next = open_segment(bytes, need, why, false);
            if (!next && why.empty()) return append_result::full; // the worker took the last room
            if (!next) {
                st.retry_after = std::chrono::steady_clock::now() + segment_retry_delay;
                std::lock_guard<std::mutex> lock(mutex_);
                last_error_ = why;
                return append_result::failed;
            }
            st.wants_standby.store(true, std::memory_order_relaxed);
        }
        st.active = next;
        if (s) release(s); // sealed: nothing more is appended to it
        s = next;
    }
    const std::size_t half = s->size / 2;
    if (s->used <= half && s->used + need > half) st.wants_standby.store(true, std::memory_order_relaxed);
    auto *h = reinterpret_cast<spool_record_header *>(s->base + s->used);
    const std::uint64_t stamp = next_stamp_.fetch_add(1, std::memory_order_relaxed);
    h->length = static_cast<std::uint32_t>(payload.size());
    h->settled = 0;
    h->stamp = stamp;
    std::memcpy(s->base + s->used + sizeof(spool_record_header), payload.data(), payload.size());
    h->crc = spool_crc(stamp, payload.data(), payload.size());
    __atomic_store_n(&h->commit, commit_mark, __ATOMIC_RELEASE); // last: the record is whole
    s->used += need;
    s->refs.fetch_add(1, std::memory_order_relaxed);
    events_.fetch_add(1, std::memory_order_relaxed);
    out = spool_ref(s, h);
    return append_result::ok;
}

void spool::prepare_segments() {
    for (auto &st : shards_) {
        if (!st.wants_standby.load(std::memory_order_relaxed) || st.standby.load(std::memory_order_relaxed)) continue;
        // Within the bound only: a shard that finds no segment ready opens its own, or is full.
        if (file_bytes_.load() + segment_bytes_ > max_bytes_) return;
        const auto now = std::chrono::steady_clock::now();
        if (now < prepare_retry_after_) return;
        spool_segment *s = reuse_spare();
        std::string why;
        if (!s) s = open_segment(segment_bytes_, 0, why, true);
        if (!s && why.empty()) return; // full: the shard finds out itself
        if (!s) {
            // The shard meets the same trouble when it needs the segment, and reports it.
            prepare_retry_after_ = now + segment_retry_delay;
            return;
        }
        st.wants_standby.store(false, std::memory_order_relaxed);
        st.standby.store(s, std::memory_order_release);
    }
}

void spool::settle(spool_ref &r) noexcept {
    if (!r) return;
    __atomic_store_n(&r.header->settled, settled_mark, __ATOMIC_RELAXED);
    events_.fetch_sub(1, std::memory_order_relaxed);
    spool_segment *s = r.segment;
    r = spool_ref();
    release(s);
}

void spool::release(spool_segment *s) noexcept {
    if (s->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) retire(s);
}

void spool::retire(spool_segment *s) noexcept {
    trimmed_.fetch_add(1, std::memory_order_relaxed);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        segments_.erase(s);
        if (s->size == segment_bytes_ && spares_.size() < max_spares && file_bytes_.load() <= max_bytes_ / 2) {
            spares_.push_back(s);
            return;
        }
    }
    remove(s);
}

void spool::remove(spool_segment *s) noexcept {
    ::munmap(s->base, s->size);
    ::unlink(s->path.c_str());
    file_bytes_.fetch_sub(s->size);
    delete s;
}

spool_segment *spool::reuse_spare() {
    spool_segment *s = nullptr;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (spares_.empty()) return nullptr;
        s = spares_.back();
        spares_.pop_back();
    }
    // Cleared from its start: a kill midway leaves a segment whose first record (or magic) is
    // zero, which the next start removes without a report. Then it takes the next number, so
    // that the names still rise with the order segments are written in.
    std::memset(s->base, 0, s->size);
    const std::uint64_t number = next_number_.fetch_add(1);
    const std::string path = dir_ + "/" + spool_segment_name(number);
    if (::rename(s->path.c_str(), path.c_str()) != 0) {
        remove(s); // the directory went: the caller meets it and reports
        return nullptr;
    }
    start_segment(s, path, number);
    return s;
}

void spool::sync() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (spool_segment *s : segments_) ::msync(s->base, s->size, MS_SYNC);
}

std::string spool::last_error() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_error_;
}

void spool::abandon_after_fork() {
    // Closing the child's copy of the lock's descriptor leaves the parent's lock in place (the
    // lock belongs to the open file, which the parent still holds).
    if (lock_fd_ >= 0) ::close(lock_fd_);
    lock_fd_ = -1;
}

} // namespace seglog::detail
