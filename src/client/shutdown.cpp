// seglog::shutdown(): spdlog first, so that an async logger's queue reaches the sinks, then
// every client still open. The one order in which nothing logged is lost.
#include "client/client_impl.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace seglog {

std::vector<std::string> shutdown(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    spdlog::shutdown();
    std::vector<std::string> out;
    detail::for_each_client([&](client::impl &c) {
        if (c.closed.load()) return;
        const auto left = std::max(std::chrono::milliseconds{0}, std::chrono::ceil<std::chrono::milliseconds>(
                                                                     deadline - std::chrono::steady_clock::now()));
        for (auto &r : c.close(left)) out.push_back(std::move(r));
    });
    return out;
}

} // namespace seglog
