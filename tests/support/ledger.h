#pragma once
// The client's side of the books: everything its callbacks reported and every record a test
// pushed, accepted or refused, or got back from close(). Thread-safe: the callbacks run on the
// worker thread.

#include "records.h"

#include <doctest/doctest.h>

#include <seglog/client.h>
#include <seglog/error.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace seglog_test {

struct ledger {
    mutable std::mutex m;
    std::vector<std::string> accepted;
    std::set<std::string> accepted_set;
    std::map<std::string, int> seq;   // id -> seq, for every record pushed
    std::vector<std::string> refused; // enqueue returned false
    std::multiset<std::string> delivered;
    std::vector<seglog::delivery_info> deliveries;
    std::map<seglog::reason, std::multiset<std::string>> reported;
    std::vector<seglog::error> errors;
    std::vector<seglog::attempt_info> attempts;
    std::vector<std::string> returned;

    // A ledger outlives the client it watches: the client's destructor may still report.
    void watch(seglog::client &c) {
        c.on_delivered([this](const seglog::delivery_info &d) {
            std::lock_guard<std::mutex> lk(m);
            CHECK(d.events == d.message_ids.size());
            delivered.insert(d.message_ids.begin(), d.message_ids.end());
            deliveries.push_back(d);
        });
        c.on_error([this](const seglog::error &e) {
            std::lock_guard<std::mutex> lk(m);
            reported[e.code].insert(e.message_ids.begin(), e.message_ids.end());
            errors.push_back(e);
        });
        c.on_attempt([this](const seglog::attempt_info &a) {
            std::lock_guard<std::mutex> lk(m);
            attempts.push_back(a);
        });
    }

    // Enqueues fault_record(s, pid, poison) and books it as accepted or refused.
    bool push(seglog::client &c, int s, long pid = 0, bool poison = false) {
        const std::string rec = fault_record(s, pid, poison);
        const std::string id = id_of(rec);
        {
            std::lock_guard<std::mutex> lk(m);
            seq[id] = s;
        }
        const bool ok = c.enqueue(rec);
        std::lock_guard<std::mutex> lk(m);
        if (ok) {
            accepted.push_back(id);
            accepted_set.insert(id);
        } else {
            refused.push_back(id);
        }
        return ok;
    }
    void close(seglog::client &c, std::chrono::milliseconds timeout) {
        auto out = c.close(timeout);
        std::lock_guard<std::mutex> lk(m);
        for (auto &r : out) returned.push_back(id_of(r));
    }

    std::size_t attempt_count() const {
        std::lock_guard<std::mutex> lk(m);
        return attempts.size();
    }
    std::size_t failed_attempts() const {
        std::lock_guard<std::mutex> lk(m);
        return static_cast<std::size_t>(std::count_if(attempts.begin(), attempts.end(),
                                                      [](const auto &a) { return a.status < 200 || a.status >= 300; }));
    }
    // The seqs of records pushed with these ids.
    std::set<int> seqs(const std::vector<std::string> &ids) const {
        std::lock_guard<std::mutex> lk(m);
        std::set<int> out;
        for (auto &id : ids) out.insert(seq.at(id));
        return out;
    }
    std::set<int> seqs(const std::multiset<std::string> &ids) const {
        return seqs(std::vector<std::string>(ids.begin(), ids.end()));
    }
    // The seqs of these ids in the order given (a batch's order on the wire).
    std::vector<int> seqs_in_order(const std::vector<std::string> &ids) const {
        std::lock_guard<std::mutex> lk(m);
        std::vector<int> out;
        for (auto &id : ids) out.push_back(seq.at(id));
        return out;
    }

    // Copies, taken under the lock.
    std::vector<seglog::error> errors_with(seglog::reason r) const {
        std::lock_guard<std::mutex> lk(m);
        std::vector<seglog::error> out;
        for (const auto &e : errors)
            if (e.code == r) out.push_back(e);
        return out;
    }
    // The ids on_delivered reported, in the order it reported them.
    std::vector<std::string> delivered_ids() const {
        std::lock_guard<std::mutex> lk(m);
        std::vector<std::string> ids;
        for (const auto &d : deliveries) ids.insert(ids.end(), d.message_ids.begin(), d.message_ids.end());
        return ids;
    }
    std::vector<seglog::attempt_info> attempts_copy() const {
        std::lock_guard<std::mutex> lk(m);
        return attempts;
    }
    std::vector<seglog::delivery_info> deliveries_copy() const {
        std::lock_guard<std::mutex> lk(m);
        return deliveries;
    }
    std::vector<seglog::error> errors_copy() const {
        std::lock_guard<std::mutex> lk(m);
        return errors;
    }
};

} // namespace seglog_test
