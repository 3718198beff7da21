#pragma once
// An spdlog::async_logger with a thread pool of its own, released in an order ThreadSanitizer can
// follow. Each queued record holds a reference to its logger until the pool's thread has
// handled it, and libspdlog, which drops that reference, is not instrumented: if the pool's
// thread dropped the last one, TSan would see the logger freed there without the release that
// orders it after this thread's uses. The destructor (or drain()) joins the pool first, so the
// logger's last reference always goes on the test's thread. A test that copies `logger` must
// let its copies go before this object does.

#include <spdlog/async.h>
#include <spdlog/async_logger.h>

#include <cstddef>
#include <memory>
#include <string>

namespace seglog_test {

class async_logging {
public:
    async_logging(const std::string &name, spdlog::sink_ptr sink, std::size_t queue_size = 1024,
                  std::size_t threads = 1, spdlog::async_overflow_policy policy = spdlog::async_overflow_policy::block)
        : pool(std::make_shared<spdlog::details::thread_pool>(queue_size, threads)),
          logger(std::make_shared<spdlog::async_logger>(name, std::move(sink), pool, policy)) {}
    ~async_logging() { drain(); }
    async_logging(const async_logging &) = delete;
    async_logging &operator=(const async_logging &) = delete;

    // The pool's threads handle every record queued so far, then are joined; the logger stays
    // (a record logged after this is dropped by spdlog with an error, as after shutdown).
    void drain() { pool.reset(); }

    std::shared_ptr<spdlog::details::thread_pool> pool; // declared first: the logger is made with it
    std::shared_ptr<spdlog::async_logger> logger;
};

} // namespace seglog_test
