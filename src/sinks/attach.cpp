#include <seglog/attach.h>
#include <seglog/sinks/file_event_sink.h>
#include <seglog/sinks/segment_sink.h>
#include <seglog/tracking.h>

#include "client/client_impl.h"
#include "plan/gate.h"
#include "sinks/console_event_sink.h"

namespace seglog {

namespace {

// The segment client's own, so its stats().phi_routed counts the macros' events too; else built
// from cfg (nullptr when it sets no context, integrations or phi paths).
std::shared_ptr<const detail::enrichment> profile_enrichment(const demux_sink_mt &demux, const config &cfg) {
    for (const auto &s : demux.event_sinks())
        if (auto seg = std::dynamic_pointer_cast<segment_sink_mt>(s))
            return detail::client_access::of(seg->client()).enrichment;
    return detail::enrichment::from_config(cfg);
}

} // namespace

std::shared_ptr<demux_sink_mt> attach(spdlog::logger &logger, const config &cfg) {
    cfg.validate();

    std::vector<spdlog::sink_ptr> event_sinks;
    const bool echo = cfg.echo_events_to_log;
    for (const auto &d : cfg.effective_destinations()) {
        switch (d.type) {
        case destination::kind::segment: {
            config to_segment = cfg; // the custom destination gets a client of its own, below
            to_segment.custom_destination = nullptr;
            event_sinks.push_back(std::make_shared<segment_sink_mt>(to_segment));
            break;
        }
        case destination::kind::file: event_sinks.push_back(std::make_shared<file_event_sink_mt>(d.path, cfg)); break;
        case destination::kind::console:
            event_sinks.push_back(detail::make_console_event_sink(detail::plan::gate::from_config(cfg)));
            break;
        case destination::kind::off: break;
        }
    }
    if (cfg.custom_destination && cfg.tracking) event_sinks.push_back(std::make_shared<segment_sink_mt>(cfg));

    // Attaching twice replaces the event side and keeps the original log sinks.
    std::vector<spdlog::sink_ptr> log_sinks;
    for (const auto &s : logger.sinks()) {
        if (auto existing = std::dynamic_pointer_cast<demux_sink_mt>(s)) {
            log_sinks.insert(log_sinks.end(), existing->log_sinks().begin(), existing->log_sinks().end());
        } else {
            log_sinks.push_back(s);
        }
    }
    auto demux = std::make_shared<demux_sink_mt>(std::move(log_sinks), std::move(event_sinks), echo,
                                                 redactor::from_config(cfg), cfg.max_event_bytes);
    demux->set_profile_enrichment(profile_enrichment(*demux, cfg));
    logger.sinks().assign(1, demux);

    set_tracking(cfg.tracking && (!demux->event_sinks().empty() || echo));
    // Where the line is logged, so a "%s:%#" pattern shows a location rather than "[:]".
    logger.log(spdlog::source_loc{__FILE__, __LINE__, SPDLOG_FUNCTION}, spdlog::level::info, "{}", cfg.describe());
    return demux;
}

std::shared_ptr<client> segment_client(const demux_sink_mt &demux) {
    for (const auto &s : demux.event_sinks())
        if (auto seg = std::dynamic_pointer_cast<segment_sink_mt>(s)) return seg->client_ptr();
    return nullptr;
}

} // namespace seglog
