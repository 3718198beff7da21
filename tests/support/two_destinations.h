#pragma once
// Shared by the enrichment suites (context_*_test.cpp, privacy_phi_test.cpp): one logger
// attached to two destinations at once, the loopback collector and an event file, so every
// check reads each event as both received it.
//
//   two_destinations d;              // collector up, cfg = segment_config() + a file
//   d.cfg.context = R"({"app":{"name":"shop"}})";
//   d.attach();
//   SEGLOG_LOGGER_TRACK(d.logger, seglog::user("u-1"), "Signed Up", {});
//   const auto events = d.events();  // flushed; the same events in both, else a failed check

#include "bounds.h"
#include "collector.h"
#include "config.h"
#include "temp_files.h"

#include <doctest/doctest.h>

#include <seglog/attach.h>
#include <seglog/client.h>
#include <seglog/sinks/demux_sink.h>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace seglog_test {

struct two_destinations {
    seglog::loopback::collector col;
    temp_dir dir{"seglog-enrich"};
    std::string path = dir / "events.jsonl";
    seglog::config cfg = segment_config(col);
    std::shared_ptr<spdlog::logger> logger;
    std::shared_ptr<seglog::demux_sink_mt> demux;

    two_destinations() { cfg.destinations = {seglog::destination::segment(), seglog::destination::file(path)}; }
    ~two_destinations() {
        if (demux) client().close(k_bound);
    }

    // attach() with cfg on a logger whose log lines go nowhere, or on `to` (an async logger, say).
    void attach() {
        attach(std::make_shared<spdlog::logger>("enrich", std::make_shared<spdlog::sinks::null_sink_mt>()));
    }
    void attach(std::shared_ptr<spdlog::logger> to) {
        logger = std::move(to);
        demux = seglog::attach(*logger, cfg);
    }
    seglog::client &client() const { return *seglog::segment_client(*demux); }

    // Every event so far, as the file holds them; the collector must hold the same (by messageId).
    std::vector<nlohmann::json> events() {
        const std::vector<nlohmann::json> at_collector = received();
        demux->flush(); // not through the logger: an async one may be drained already
        std::vector<nlohmann::json> in_file;
        for (const auto &line : read_lines(path)) in_file.push_back(nlohmann::json::parse(line));
        REQUIRE(at_collector.size() == in_file.size());
        std::map<std::string, nlohmann::json> by_id;
        for (const auto &e : at_collector) by_id[e.at("messageId").get<std::string>()] = e;
        for (const auto &e : in_file) CHECK(by_id[e.at("messageId").get<std::string>()] == e);
        return in_file;
    }
    // The events the collector received (client calls reach only the segment destination).
    std::vector<nlohmann::json> received() {
        REQUIRE(client().flush(k_bound));
        // The collector books a request just after answering it: wait until it has every one.
        REQUIRE(col.wait_for_requests(client().stats().batches_delivered, k_bound));
        std::vector<nlohmann::json> out;
        for (const auto &r : col.requests())
            for (const auto &e : r.json.at("batch")) out.push_back(e);
        return out;
    }
};

} // namespace seglog_test
