// A minimal Segment-compatible receiver for bench/burst.sh: one epoll thread, HTTP/1.1 with
// keep-alive, answers 200 to every POST /v1/batch. It is built to stay far above the rate of any
// client it is compared against (burst.sh measures its ceiling with wrk in the same run), so
// that a throughput figure is the client's, not the receiver's.
//
// It counts without parsing: every `"messageId"` in a body is one event, and the value after it
// is hashed (64 bits) into a set, so lost events (unique < sent) and duplicates (a batch
// delivered twice, e.g. after a client-side timeout) both show.
//
//   bench_receiver [--port 0]            prints "listening on 127.0.0.1:PORT" once ready
//   GET  /stats   {"requests":R,"events":E,"unique":U,"duplicates":D,"body_bytes":B,"cpu_us":C}
//   POST /reset   zeroes the counts
//
// cpu_us is the CPU time (user and system) the receiver has taken since the last reset: with
// the client's own, what a run cost both CPUs (bench/burst.sh sets it against their capacity).
//
// SIGINT/SIGTERM: prints the counts to stderr and exits.
#include "bench_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

struct counts {
    unsigned long long requests = 0, events = 0, unique = 0, duplicates = 0, body_bytes = 0;
};

counts totals;
double cpu_at_reset = 0; // bench::process_cpu_ns() when the counts were last zeroed
// The messageIds' hashes seen since the last reset: open addressing over one flat array, grown
// at half full. std::unordered_set, in its place before, spent most of the receiver's CPU time
// on a bucket and a node per insert, each a cache miss once the set outgrew the caches, and an
// allocation. A batch's hashes go in together: their slots are asked for first (prefetched),
// so that the batch's cache misses overlap instead of coming one after another.
class id_set {
public:
    id_set() : slots_(1u << 18) {}
    // Inserts every hash; returns how many were not there yet.
    std::size_t insert(std::vector<std::uint64_t> &hashes) {
        while (2 * (size_ + hashes.size()) > slots_.size()) grow();
        for (auto &h : hashes) {
            if (h == 0) h = 1; // 0 marks an empty slot
            __builtin_prefetch(&slots_[home(h, slots_.size() - 1)], 1);
        }
        std::size_t added = 0;
        for (const std::uint64_t h : hashes) added += place(slots_, h);
        size_ += added;
        return added;
    }
    void clear() {
        std::fill(slots_.begin(), slots_.end(), 0);
        size_ = 0;
    }

private:
    static std::size_t home(std::uint64_t h, std::size_t mask) { return (h * 0x9e3779b97f4a7c15ull) >> 20 & mask; }
    static bool place(std::vector<std::uint64_t> &slots, std::uint64_t h) {
        const std::size_t mask = slots.size() - 1;
        for (std::size_t i = home(h, mask);; i = (i + 1) & mask) {
            if (slots[i] == h) return false;
            if (slots[i] == 0) {
                slots[i] = h;
                return true;
            }
        }
    }
    void grow() {
        std::vector<std::uint64_t> bigger(2 * slots_.size());
        for (std::uint64_t h : slots_)
            if (h) place(bigger, h);
        slots_.swap(bigger);
    }
    std::vector<std::uint64_t> slots_; // a power of two
    std::size_t size_ = 0;
};

id_set seen;
volatile std::sig_atomic_t stop = 0;

struct connection {
    int fd = -1;
    std::string in;      // bytes received, not yet consumed from `pos`
    std::size_t pos = 0; // start of the next request in `in`
    std::string out;     // response bytes not yet written
    bool close_after = false;
    bool writing = false; // registered for EPOLLOUT
};

void count_batch(std::string_view body) {
    static constexpr std::string_view key = "\"messageId\"";
    static std::vector<std::uint64_t> hashes;
    hashes.clear();
    ++totals.requests;
    totals.body_bytes += body.size();
    std::size_t at = 0;
    for (;;) {
        // memmem, not string_view::find: find stops at every '"' (a few dozen in each event) to
        // compare the rest of the key, which made the scan most of the receiver's CPU time.
        const void *hit = ::memmem(body.data() + at, body.size() - at, key.data(), key.size());
        if (!hit) break;
        at = static_cast<std::size_t>(static_cast<const char *>(hit) - body.data()) + key.size();
        const std::size_t open = body.find('"', at); // skips `:` and any whitespace
        if (open == std::string_view::npos) break;
        const std::size_t close = body.find('"', open + 1);
        if (close == std::string_view::npos) break;
        hashes.push_back(std::hash<std::string_view>{}(body.substr(open + 1, close - open - 1)));
        at = close + 1;
    }
    const std::size_t added = seen.insert(hashes);
    totals.events += hashes.size();
    totals.unique += added;
    totals.duplicates += hashes.size() - added;
}

void respond(connection &c, int status, const char *reason, std::string_view body) {
    c.out += "HTTP/1.1 ";
    c.out += std::to_string(status);
    c.out += ' ';
    c.out += reason;
    c.out += "\r\nContent-Type: application/json\r\nContent-Length: ";
    c.out += std::to_string(body.size());
    c.out += c.close_after ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n";
    c.out += body;
}

bool iequals_prefix(std::string_view line, std::string_view name) {
    if (line.size() < name.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
    return true;
}

// Handles every complete request in c.in; returns false on a request it cannot frame.
bool handle(connection &c) {
    for (;;) {
        const std::string_view buf(c.in.data() + c.pos, c.in.size() - c.pos);
        const std::size_t head_end = buf.find("\r\n\r\n");
        if (head_end == std::string_view::npos) return buf.size() < (64u << 10); // headers that never end
        const std::string_view head = buf.substr(0, head_end);
        std::size_t length = 0;
        bool expect_continue = false, chunked = false;
        c.close_after = false;
        std::size_t line_start = head.find("\r\n");
        const std::string_view request_line = head.substr(0, line_start);
        while (line_start != std::string_view::npos) {
            line_start += 2;
            const std::size_t line_end = head.find("\r\n", line_start);
            const std::string_view line = head.substr(line_start, line_end - line_start);
            if (iequals_prefix(line, "content-length:")) length = std::strtoull(line.data() + 15, nullptr, 10);
            else if (iequals_prefix(line, "expect:")) expect_continue = line.find("100") != std::string_view::npos;
            else if (iequals_prefix(line, "transfer-encoding:")) chunked = true;
            else if (iequals_prefix(line, "connection:")) c.close_after = line.find("close") != line.npos;
            line_start = line_end;
        }
        if (chunked) {
            c.close_after = true;
            respond(c, 411, "Length Required", R"({"error":"bench_receiver takes Content-Length bodies only"})");
            return true;
        }
        if (buf.size() < head_end + 4 + length) {
            if (expect_continue && c.out.empty()) c.out = "HTTP/1.1 100 Continue\r\n\r\n";
            return true; // the rest of the body is still on its way
        }
        const std::string_view body = buf.substr(head_end + 4, length);
        if (request_line.rfind("POST /v1/batch ", 0) == 0 || request_line.rfind("POST /v1/batch?", 0) == 0) {
            count_batch(body);
            respond(c, 200, "OK", R"({"success":true})");
        } else if (request_line.rfind("GET /stats ", 0) == 0) {
            char json[256];
            std::snprintf(json, sizeof json,
                          R"({"requests":%llu,"events":%llu,"unique":%llu,"duplicates":%llu,"body_bytes":%llu,)"
                          R"("cpu_us":%.0f})",
                          totals.requests, totals.events, totals.unique, totals.duplicates, totals.body_bytes,
                          (seglog::bench::process_cpu_ns() - cpu_at_reset) / 1e3);
            respond(c, 200, "OK", json);
        } else if (request_line.rfind("POST /reset ", 0) == 0) {
            totals = counts{};
            seen.clear();
            cpu_at_reset = seglog::bench::process_cpu_ns();
            respond(c, 200, "OK", "{}");
        } else {
            respond(c, 404, "Not Found", R"({"error":"not found"})");
        }
        c.pos += head_end + 4 + length;
        if (c.pos == c.in.size()) {
            c.in.clear();
            c.pos = 0;
        }
    }
}

// Writes what it can; false when the connection is to be closed.
bool flush_out(connection &c) {
    while (!c.out.empty()) {
        const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
        c.out.erase(0, static_cast<std::size_t>(n));
    }
    return !c.close_after;
}

void on_signal(int) { stop = 1; }

} // namespace

int main(int argc, char **argv) {
    int port = 0;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--port") == 0) port = std::atoi(argv[i + 1]);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::bind(lfd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 || ::listen(lfd, 512) != 0) {
        std::fprintf(stderr, "bench_receiver: cannot listen on 127.0.0.1:%d: %s\n", port, std::strerror(errno));
        return 1;
    }
    socklen_t len = sizeof addr;
    ::getsockname(lfd, reinterpret_cast<sockaddr *>(&addr), &len);
    std::printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
    std::fflush(stdout);

    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = lfd;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    std::unordered_map<int, std::unique_ptr<connection>> conns;
    auto drop = [&](int fd) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        conns.erase(fd);
    };
    epoll_event events[64];
    static char chunk[256u << 10];
    while (!stop) {
        const int n = ::epoll_wait(ep, events, 64, 200);
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd == lfd) {
                int cfd;
                while ((cfd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    ::setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    epoll_event cev{};
                    cev.events = EPOLLIN | EPOLLRDHUP;
                    cev.data.fd = cfd;
                    ::epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
                    auto c = std::make_unique<connection>();
                    c->fd = cfd;
                    conns[cfd] = std::move(c);
                }
                continue;
            }
            auto it = conns.find(fd);
            if (it == conns.end()) continue;
            connection &c = *it->second;
            bool alive = true;
            if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                for (;;) {
                    const ssize_t r = ::recv(fd, chunk, sizeof chunk, 0);
                    if (r > 0) {
                        c.in.append(chunk, static_cast<std::size_t>(r));
                        continue;
                    }
                    if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) alive = false;
                    break;
                }
                if (!handle(c)) alive = false;
            }
            const bool keep = flush_out(c);
            if (!alive || (!keep && c.out.empty())) {
                drop(fd);
                continue;
            }
            if (c.writing != !c.out.empty()) { // EPOLLOUT only while a response waits for room
                c.writing = !c.out.empty();
                epoll_event cev{};
                cev.events = EPOLLIN | EPOLLRDHUP | (c.writing ? static_cast<unsigned>(EPOLLOUT) : 0u);
                cev.data.fd = fd;
                ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
            }
        }
    }
    std::fprintf(stderr, "bench_receiver: requests %llu, events %llu, unique %llu, duplicates %llu\n", totals.requests,
                 totals.events, totals.unique, totals.duplicates);
    return 0;
}
