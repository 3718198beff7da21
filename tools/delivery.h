#pragma once
// What `seglog send` and `seglog replay` wait for: every event accepted by a client settled, or
// a reason to stop waiting, with what became of each and why (for the lines they print).
#include <seglog/client.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace seglog::tools {

class delivery_watch {
public:
    // Installs the client's on_error callback; the client must not outlive the watch.
    explicit delivery_watch(seglog::client &c);

    // Flushes and waits until every event accepted is settled, the collector refused the
    // configuration (a 401: the client would wait ten minutes before giving up), or `timeout`.
    void wait(std::chrono::milliseconds timeout);

    // The reason the last call on this thread was refused with ("invalid_record: ..."), or "".
    std::string take_refusal();

    // The first message of each reason events failed in delivery with, by reason name (their
    // counts are in stats().by_reason).
    std::map<std::string, std::string> failures() const;
    // The last problem the client said it met while retrying (delivery_delayed or a refused
    // configuration), for events still pending at the deadline; "" when none.
    std::string last_problem() const;
    bool configuration_refused() const;

private:
    seglog::client &client_;
    std::thread::id caller_ = std::this_thread::get_id();
    mutable std::mutex mutex_;
    std::string refusal_;
    std::map<std::string, std::string> failures_;
    std::string last_problem_;
    bool configuration_refused_ = false;
};

// One line per reason events failed with, its count and the first message ("  unauthorized 3: ...").
void print_failures(const seglog::stats &s, const delivery_watch &watch);

} // namespace seglog::tools
