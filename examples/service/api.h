#pragma once
// The HTTP API of the health-service example (README.md): its routes, each request's scoped
// context, and the typed tracking functions generated from examples/plans/health.json.

#include <spdlog/logger.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace httplib {
class Server;
}

namespace health {

class api {
public:
    // Events and log lines go through `logger` (seglog::attach()ed); it must outlive the server.
    explicit api(spdlog::logger &logger);

    // POST /v1/signup, POST /v1/care-requests, POST /v1/care-requests/{id}/risk-assessment,
    // GET /health.
    void install(httplib::Server &server);

private:
    struct care_request {
        std::string user_id;
    };

    spdlog::logger &logger_;
    std::mutex mutex_;
    std::map<std::string, care_request> care_requests_; // by care request id
    std::uint64_t next_care_request_ = 1;               // under mutex_
    std::atomic<std::uint64_t> next_request_id_{1};
    std::string request_id_prefix_; // random per process: generated ids never repeat across restarts

    std::string request_id(const std::string &header);
};

} // namespace health
