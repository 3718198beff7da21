#pragma once
// The collector's HTTP/1.1 server: plain POSIX sockets, one thread per open connection (up to
// a fixed number; later connections wait for a free thread), keep-alive.
//
// Why not cpp-httplib's Server: the collector must see what a Segment endpoint sees and do
// what a failing one does, and httplib's public API offers none of it. It gives no access to
// a connection's socket, so it cannot reset a connection (RST, no answer at all), tell which
// connection a request came on, notice that the client hung up during a scripted delay, or
// close idle keep-alive connections at stop(); and it decompresses gzip bodies before any
// handler sees them, so the bytes on the wire are lost. Owning the socket gives all of that
// in a few hundred lines: the server parses only what a Segment client sends (a request
// line, headers, a Content-Length or chunked body) and answers with a status, headers and
// a body.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace seglog::loopback::detail {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_request {
    std::string method;
    std::string path;        // the target without its query string
    header_list headers;     // as sent, in order
    std::string body;        // the bytes sent (a chunked body de-chunked; never decompressed)
    std::string remote;      // "ip:port" of the client
    std::uint64_t connection = 0;

    // The first value of a header (names compared without case), "" when absent.
    std::string header(const std::string &name) const;
};

struct http_answer {
    int status = 200;
    std::string body;
    header_list headers;     // besides Content-Type, Content-Length and Connection
    bool reset = false;      // write nothing, close the connection with a TCP RST
};

// What a handler may ask of the connection its request came on.
class connection {
public:
    enum class waited { elapsed, client_gone, stopped };
    connection(int fd, std::uint64_t id, const std::atomic<bool> &stopping) : fd_(fd), id_(id), stopping_(stopping) {}

    std::uint64_t id() const { return id_; }
    // Waits `d`, or less: until the client hangs up (it timed out) or stop() is called.
    waited wait(std::chrono::milliseconds d) const;
    // Whether the client has closed its side (it gave up waiting for the answer).
    bool client_gone() const;

private:
    int fd_;
    std::uint64_t id_;
    const std::atomic<bool> &stopping_;
};

struct server_options {
    std::string host = "127.0.0.1";
    int port = 0;                                    // 0: any free port
    std::size_t threads = 8;                         // connections served at once
    std::chrono::milliseconds keep_alive{5000};      // an idle connection is closed after this
    std::chrono::milliseconds io_timeout{5000};      // waiting for the rest of a request, or to write
    std::size_t max_body_bytes = 64u * 1024 * 1024;  // larger: 413, connection closed
};

class http_server {
public:
    using handler = std::function<http_answer(const http_request &, const connection &)>;
    // Called when a connection starts being served; returns its id (1, 2, ...), or 0 to
    // close it unserved.
    using opener = std::function<std::uint64_t()>;

    http_server(server_options options, handler on_request, opener on_open);
    ~http_server();
    http_server(const http_server &) = delete;
    http_server &operator=(const http_server &) = delete;

    // Binds (SO_REUSEADDR: a restart rebinds over TIME_WAIT; a second listener on the port
    // is refused), listens and starts the threads. Throws std::runtime_error when the address
    // cannot be bound. The port is then fixed: start() after stop() binds the same one.
    void start();
    // Closes the listener and every open connection (a request in a handler's wait() is
    // told `stopped`), then joins every thread.
    void stop();
    bool running() const { return running_; }
    int port() const { return options_.port; }

private:
    void accept_loop();
    void worker_loop();
    void serve(int fd);
    bool serve_one(int fd, std::uint64_t id, std::string &buffered, bool &reset);

    server_options options_;
    handler on_request_;
    opener on_open_;
    int listen_fd_ = -1;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> running_{false};
    std::thread acceptor_;
    std::vector<std::thread> workers_;

    std::mutex mutex_;              // the queue and the open set
    std::condition_variable queued_;
    std::deque<int> waiting_;       // accepted, waiting for a free thread
    std::set<int> open_;            // being served: stop() shuts them down
};

} // namespace seglog::loopback::detail
