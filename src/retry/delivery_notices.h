#pragma once
// What seglog says about delivery besides settling events: the first failed attempt of each
// kind since the last delivery, at once, with its cause and what happens next; the changes the
// client makes to how it sends (gzip off, smaller batches), once a session; and why a
// collector rejected an event (its type and name, the collector's answer).

#include "common/errors.h"
#include "retry/retry_policy.h"

#include <seglog/config.h>
#include <seglog/error.h>

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace seglog::detail {

// One failed attempt, as the notices need it.
struct attempt_facts {
    int status = 0; // 0: no HTTP answer
    network_cause cause = network_cause::none;
    std::string_view network_error;    // libcurl's text
    std::string_view location;         // a 3xx's target
    std::string_view redirect_refused; // why a 307/308 was not followed
    std::size_t events = 0;
    int attempts = 0; // the batch's counted failed attempts, this one included
};

class delivery_notices {
public:
    delivery_notices() = default;
    explicit delivery_notices(std::string url) : url_(std::move(url)) {}

    // The notice for a failed attempt whose verdict is `d`, when it is the first of its kind
    // (an HTTP status, or the cause of no answer) since the last delivery: config_error for a
    // configuration error, delivery_delayed for what is retried. nullopt otherwise, and for
    // verdicts that settle the batch (those report it themselves).
    std::optional<seglog::error> on_failure(const attempt_facts &f, const decision &d, const config &cfg);
    // A delivery: the next failure of any kind is said again.
    void on_delivered() noexcept { said_.clear(); }

    // The collector refused gzip (`status` to a compressed body, not to the same body plain).
    std::optional<seglog::error> gzip_refused(int status);
    // A 413 to a body of `refused_bytes`: batches are now kept under `limit` bytes.
    std::optional<seglog::error> body_limit(std::size_t refused_bytes, std::size_t limit);

    // "<type> "<name>" (messageId <id>)" for the record of a rejected event, and its answer.
    static std::string rejected_detail(std::string_view record, int status, std::string_view answer, std::string &type,
                                       std::string &name);

private:
    std::string url_;
    std::set<int> said_; // HTTP statuses, and -1 - cause for attempts with no answer
    bool gzip_said_ = false;
    bool limit_said_ = false;
};

// The collector's answer for a message: about 200 bytes at most (cut on a UTF-8 boundary),
// control characters escaped.
std::string answer_excerpt(std::string_view body);

} // namespace seglog::detail
