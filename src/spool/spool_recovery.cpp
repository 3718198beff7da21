// Recovery at start: the segments oldest first, each record checked (commit word, length,
// checksum). Nothing is rewritten or moved: a recovery killed at any instant leaves the
// directory as it found it, but for segments with nothing left to send, which are removed.
#include "spool/spool.h"

#include "spool/spool_segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <utility>

namespace seglog::detail {

namespace {

// seg-<digits>.log in `dir`, by number.
std::vector<std::pair<std::uint64_t, std::string>> segment_files(const std::string &dir) {
    std::vector<std::pair<std::uint64_t, std::string>> out;
    DIR *d = ::opendir(dir.c_str());
    if (!d) return out;
    while (const dirent *e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name.size() < 9 || name.compare(0, 4, "seg-") != 0 || name.compare(name.size() - 4, 4, ".log") != 0)
            continue;
        const std::string digits = name.substr(4, name.size() - 8);
        if (digits.empty() || digits.size() > 19 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) continue;
        out.emplace_back(std::stoull(digits), dir + "/" + name);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

void note_corrupt(spool_recovery_report &r, const spool_segment &s, std::size_t offset, const char *what) {
    if (r.corrupt++ == 0) r.corrupt_detail = s.path + " at byte " + std::to_string(offset) + ": " + what;
}

// The records of one segment; returns the highest stamp seen.
std::uint64_t scan(spool_segment &s, spool_recovery_report &r) {
    std::uint64_t max_stamp = 0;
    std::size_t off = spool::segment_header_bytes;
    while (off + sizeof(spool_record_header) <= s.size) {
        auto *h = reinterpret_cast<spool_record_header *>(s.base + off);
        const std::uint32_t commit = __atomic_load_n(&h->commit, __ATOMIC_ACQUIRE);
        if (commit == 0) {
            if (h->length != 0 || h->stamp != 0) ++r.torn; // the kill came mid-copy: cut here
            break;
        }
        if (commit != spool::commit_mark) {
            note_corrupt(r, s, off, "no valid commit word; the rest of the segment is skipped");
            break;
        }
        const std::size_t need = spool_align(sizeof(spool_record_header) + h->length);
        if (off + need > s.size) {
            note_corrupt(r, s, off, "length past the end of the segment; the rest of the segment is skipped");
            break;
        }
        const char *payload = s.base + off + sizeof(spool_record_header);
        max_stamp = std::max(max_stamp, h->stamp);
        if (spool_crc(h->stamp, payload, h->length) != h->crc) {
            note_corrupt(r, s, off, "checksum mismatch");
        } else if (h->settled != spool::settled_mark) {
            r.records.push_back({std::string(payload, h->length), spool_ref(&s, h), h->stamp});
            s.refs.fetch_add(1);
        }
        off += need;
    }
    return max_stamp;
}

} // namespace

spool_segment *spool::map_existing(const std::string &path, std::uint64_t number, std::string &why) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        why = path + ": " + std::strerror(errno);
        return nullptr;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(segment_header_bytes)) {
        ::close(fd);
        return nullptr; // killed between its creation and its header: holds nothing
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    void *map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    const int e = errno;
    ::close(fd);
    if (map == MAP_FAILED) {
        why = path + ": " + std::strerror(e);
        return nullptr;
    }
    ::madvise(map, size, MADV_DONTFORK);
    auto *s = new spool_segment;
    s->path = path;
    s->number = number;
    s->base = static_cast<char *>(map);
    s->size = size;
    s->used = size; // sealed: recovered segments are only read and settled
    return s;
}

void spool::recover(spool_recovery_report &r) {
    std::uint64_t max_number = 0, max_stamp = 0;
    for (const auto &[number, path] : segment_files(dir_)) {
        max_number = std::max(max_number, number);
        std::string why;
        spool_segment *s = map_existing(path, number, why);
        if (!s) {
            if (why.empty()) ::unlink(path.c_str()), trimmed_.fetch_add(1);
            else if (r.corrupt++ == 0) r.corrupt_detail = why;
            continue;
        }
        const bool blank = std::all_of(s->base, s->base + 8, [](char c) { return c == 0; });
        if (std::memcmp(s->base, segment_magic, 8) != 0 && !blank) {
            if (r.corrupt++ == 0) r.corrupt_detail = path + ": not a seglog spool segment; left in place";
            ::munmap(s->base, s->size);
            delete s;
            continue;
        }
        if (!blank) max_stamp = std::max(max_stamp, scan(*s, r));
        file_bytes_.fetch_add(s->size);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            segments_.insert(s);
        }
        if (s->refs.load() == 0) retire(s);
    }
    next_number_.store(max_number + 1);
    next_stamp_.store(max_stamp + 1);
    events_.store(r.records.size());
    std::sort(r.records.begin(), r.records.end(),
              [](const spool_recovered &a, const spool_recovered &b) { return a.stamp < b.stamp; });
}

} // namespace seglog::detail
