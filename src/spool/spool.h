#pragma once
// The durable spool (docs/spool.md): every record the queue accepts is also copied into a
// shared file mapping under <dir>, so it survives the death of the process the moment the
// copy ends, and stays there until it is settled (delivered, failed for good or evicted).
// The next client on the same directory recovers what was not settled.
//
// Each queue shard writes its own segment file (seg-<n>.log, n rising across the spool's
// life), preallocated and mapped whole: an append is a copy under the shard's lock the queue
// already holds, never a system call; only opening the next segment is. A record is
//   [commit u32][length u32][crc32c u32][settled u32][stamp u64][payload, padded to 8]
// and its commit word is stored last, with release order: a record the kill tore has no
// commit word. Settling stores a mark in the header (the worker, no system call); the
// segment whose records are all settled, and to which nothing more is appended, is unmapped
// and removed.

#include <seglog/config.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace seglog::detail {

// The call that gives a new segment its disk blocks, replaceable so that a test can make it
// fail as a full disk does. Returns 0 or an errno value, like posix_fallocate.
using spool_extend_fn = int (*)(int fd, off_t size);
extern spool_extend_fn spool_extend;

struct spool_record_header {
    std::uint32_t commit;  // commit_mark once the rest is written
    std::uint32_t length;  // payload bytes
    std::uint32_t crc;     // crc32c of the stamp's 8 bytes and the payload
    std::uint32_t settled; // settled_mark once settled
    std::uint64_t stamp;   // spool-wide acceptance order, across runs
};
static_assert(sizeof(spool_record_header) == 24, "the on-disk layout");

struct spool_segment;

// One record's place in the spool, carried by the queued record until it is settled.
// Move-only: a record is settled once.
struct spool_ref {
    spool_segment *segment = nullptr;
    spool_record_header *header = nullptr;

    spool_ref() = default;
    spool_ref(spool_segment *s, spool_record_header *h) : segment(s), header(h) {}
    spool_ref(spool_ref &&o) noexcept : segment(o.segment), header(o.header) {
        o.segment = nullptr, o.header = nullptr;
    }
    spool_ref &operator=(spool_ref &&o) noexcept {
        segment = o.segment;
        header = o.header;
        o.segment = nullptr;
        o.header = nullptr;
        return *this;
    }
    spool_ref(const spool_ref &) = delete;
    spool_ref &operator=(const spool_ref &) = delete;
    explicit operator bool() const { return header != nullptr; }
};

struct spool_recovered {
    std::string json;
    spool_ref ref;
    std::uint64_t stamp = 0;
};

// What recovery found, for the client to report and count.
struct spool_recovery_report {
    std::vector<spool_recovered> records; // unsettled, in stamp order
    std::size_t corrupt = 0;              // records whose checksum or length is wrong, skipped
    std::size_t torn = 0;                 // records cut short by a kill, cut
    std::string corrupt_detail;           // where the first corrupt record was
};

class spool {
public:
    static constexpr std::uint32_t commit_mark = 0x314c4753;  // "SGL1"
    static constexpr std::uint32_t settled_mark = 0x444c5453; // "STLD"
    static constexpr std::size_t segment_header_bytes = 16;
    static constexpr char segment_magic[9] = "SEGLOGSP";

    struct options {
        std::string dir;
        std::size_t max_bytes = 0;
        std::size_t shards = 8;
    };
    // Takes <dir>/LOCK (creating the directory), then recovers what the directory holds.
    // Throws config_error when another process or client owns the spool, or the directory
    // cannot be used at all.
    spool(const options &o, spool_recovery_report &recovered);
    ~spool() { close(); }
    // Unmaps the segments (removing those with nothing unsettled) and gives up the lock;
    // records not settled stay for the next start. Nothing may be appended or settled after.
    // The figures stay readable.
    void close();
    spool(const spool &) = delete;
    spool &operator=(const spool &) = delete;

    enum class append_result { ok, full, failed, failed_again };
    // Copies `payload` into shard `shard`'s segment; the caller holds that shard's lock.
    // failed: a segment could not be made (last_error() says why); failed_again: the same,
    // without trying again so soon. Either way the event goes on in memory only.
    append_result append(std::size_t shard, std::string_view payload, spool_ref &out);
    // Marks the record settled (the worker): its segment goes once all of them are.
    void settle(spool_ref &r) noexcept;
    // Writes the mapped pages of every segment to the disk (msync).
    void sync();
    // The worker: makes the next segment ready for each shard that asked for one, its pages
    // already written once, so that the caller's copies into it fault nothing in: a segment
    // whose records were all settled, cleared and renamed, or a new one whose pages it touches.
    // A shard asks when its segment is half written; without one ready, it opens its own.
    void prepare_segments();
    // The message of the last failed append (under the lock of the shard that failed).
    std::string last_error() const;

    std::uint64_t events() const { return events_.load(std::memory_order_relaxed); }
    std::uint64_t file_bytes() const { return file_bytes_.load(std::memory_order_relaxed); }
    std::uint64_t trimmed() const { return trimmed_.load(std::memory_order_relaxed); }
    const std::string &dir() const { return dir_; }

    // After fork() in the child: the mappings are not inherited (MADV_DONTFORK) and the lock
    // is the parent's. Forgets both without touching them; this object is never used again.
    void abandon_after_fork();

    std::size_t segment_bytes() const { return segment_bytes_; }

private:
    struct shard_state {
        spool_segment *active = nullptr;
        std::chrono::steady_clock::time_point retry_after{}; // after a failed segment
        std::atomic<spool_segment *> standby{nullptr};       // made ready by the worker
        std::atomic<bool> wants_standby{false};              // set by the shard, cleared by the worker
    };
    void lock_dir();
    void recover(spool_recovery_report &r);
    // Every page is faulted in for writing; `touch` also writes each once (the worker's
    // standby, so that the caller never writes a page for the first time).
    // Null with `why` empty when the bound leaves no room for it.
    spool_segment *open_segment(std::size_t bytes, std::size_t min_bytes, std::string &why, bool touch);
    bool reserve_file_bytes(std::size_t size); // against max_bytes_, atomically
    spool_segment *map_existing(const std::string &path, std::uint64_t number, std::string &why);
    void release(spool_segment *s) noexcept; // one reference fewer; the last one retires the segment
    void retire(spool_segment *s) noexcept;  // kept as a spare for reuse, or unmapped and removed
    spool_segment *reuse_spare();            // a spare cleared and renamed, or null
    void start_segment(spool_segment *s, const std::string &path, std::uint64_t number); // header, refs, listed
    void remove(spool_segment *s) noexcept;

    std::string dir_;
    std::size_t max_bytes_;
    std::size_t segment_bytes_;
    int lock_fd_ = -1;
    std::vector<shard_state> shards_;
    std::chrono::steady_clock::time_point prepare_retry_after_{}; // the worker's
    std::atomic<std::uint64_t> next_number_{1};
    std::atomic<std::uint64_t> next_stamp_{1};
    std::atomic<std::uint64_t> events_{0};
    std::atomic<std::uint64_t> file_bytes_{0};
    std::atomic<std::uint64_t> trimmed_{0};
    mutable std::mutex mutex_; // segments_, spares_, last_error_
    std::set<spool_segment *> segments_;
    // Segments whose records are all settled, kept mapped (their pages written once) for the
    // worker to reuse; counted in file_bytes_, at most max_spares, only while the spool is at
    // most half full.
    std::vector<spool_segment *> spares_;
    static constexpr std::size_t max_spares = 2;
    std::string last_error_;
};

} // namespace seglog::detail
