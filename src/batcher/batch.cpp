#include "batcher/batch.h"

#include "common/record_layout.h"
#include "common/timestamp.h"

#include <algorithm>

namespace seglog::detail {

// Cached: publish_progress() asks every batch on every turn of the worker loop.
std::uint64_t batch::min_seq() const { return records.empty() ? UINT64_MAX : lowest_seq; }

std::vector<std::string> batch::message_ids() const {
    std::vector<std::string> ids;
    ids.reserve(records.size());
    for (const auto &r : records) ids.emplace_back(record_message_id(r.json.view()));
    return ids;
}

void batch::add(queued_record r) {
    record_bytes += r.json.size();
    lowest_seq = std::min(lowest_seq, r.seq);
    records.push_back(std::move(r));
}

batch batch::split_off(std::uint64_t new_id) {
    batch other;
    other.id = new_id;
    const std::size_t half = records.size() / 2;
    for (std::size_t i = half; i < records.size(); ++i) other.add(std::move(records[i]));
    records.resize(half);
    record_bytes -= other.record_bytes;
    lowest_seq = UINT64_MAX;
    for (const auto &r : records) lowest_seq = std::min(lowest_seq, r.seq);
    other.opened = opened;
    // Both halves carry the history of the batch they came from: the same X-Retry-Count on
    // their next request, the same attempt and time budgets.
    other.attempts = attempts;
    other.sends = sends;
    other.first_attempt = first_attempt;
    return other;
}

std::string batch_body(const batch &b, std::chrono::system_clock::time_point sent_at, std::string body) {
    body.clear();
    body.reserve(b.body_bytes());
    body.append("{\"batch\":[");
    for (std::size_t i = 0; i < b.records.size(); ++i) {
        if (i) body.push_back(',');
        body.append(b.records[i].json.view());
    }
    body.append("],\"sentAt\":\"");
    body += iso8601(sent_at);
    body.append("\"}");
    return body;
}

} // namespace seglog::detail
