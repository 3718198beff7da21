#pragma once
// A batch is built from already-serialised records: the body is their concatenation inside
// {"batch":[...],"sentAt":"..."}, so no record is parsed again.

#include "queue/record_queue.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace seglog::detail {

// Bytes the envelope adds to the records: {"batch":[ ... ],"sentAt":"YYYY-MM-DDTHH:MM:SS.mmmZ"}
inline constexpr std::size_t batch_envelope_bytes = 10 + 12 + 24 + 2;

struct batch {
    std::uint64_t id = 0;
    std::vector<queued_record> records;
    std::size_t record_bytes = 0;                          // sum of record sizes
    int attempts = 0;                                      // counted failed attempts
    int sends = 0;                                         // requests made (X-Retry-Count = sends)
    std::chrono::steady_clock::time_point opened{};        // first record added
    std::chrono::steady_clock::time_point first_attempt{}; // for max_retry_time
    std::chrono::steady_clock::time_point not_before{};    // earliest next send
    std::uint64_t lowest_seq = UINT64_MAX;                 // kept by add() and split_off()

    // Body size if `more_bytes` were appended as one more record.
    std::size_t body_bytes_with(std::size_t more_bytes) const {
        return batch_envelope_bytes + record_bytes + more_bytes + records.size(); // commas
    }
    std::size_t body_bytes() const { return records.empty() ? batch_envelope_bytes : body_bytes_with(0) - 1; }
    std::uint64_t min_seq() const;
    std::vector<std::string> message_ids() const;
    void add(queued_record r);
    // Second half moved out (for isolating a poisoned event).
    batch split_off(std::uint64_t new_id);
};

// The request body: {"batch":[...],"sentAt":"..."}. Written into `body`, whose contents are
// dropped first and whose capacity is reused (the transport's spare_body()).
std::string batch_body(const batch &b, std::chrono::system_clock::time_point sent_at, std::string body = {});

} // namespace seglog::detail
