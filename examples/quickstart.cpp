// quickstart: one logger for log lines and analytics events.
//
// With no configuration, events go to a local JSON-lines file (seglog-events.jsonl) and log
// lines to the console. Set SEGLOG_DESTINATION=console to see events as readable lines, or
// SEGMENT_WRITE_KEY + SEGLOG_DESTINATION=segment to send them to Segment.
#include <seglog/seglog.h>

#include <nlohmann/json.hpp> // only for the nlohmann::json below: braces need no include
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>

int main() {
    try {
        auto logger = spdlog::stdout_color_mt("quickstart");
        auto demux = seglog::attach(*logger, seglog::config::from_env()); // the one extra line
        spdlog::set_default_logger(logger);

        SPDLOG_INFO("quickstart starting, pid {}", 42); // -> console only

        const auto who = seglog::user("u-42").with_anonymous_id("a-9");
        SEGLOG_IDENTIFY(who, {{"plan", "pro"}, {"seats", 5}});
        SEGLOG_TRACK(who, "Order Completed",
                     {{"order_id", "o-1"},
                      {"revenue", 42.5},
                      {"coupon", nullptr},
                      {"shipping", {{"method", "express"}}},
                      {"products", {{{"sku", "a-1"}, {"qty", 2}}}}});
        SEGLOG_PAGE(who, "Home", {{"path", "/"}});
        SEGLOG_SCREEN(who, "Settings", {});
        SEGLOG_GROUP(who, "org-7", {{"name", "Acme"}});
        SEGLOG_ALIAS("a-9", "u-42");

        nlohmann::json cart = {{"items", 3}, {"currency", "EUR"}};
        SEGLOG_LOGGER_TRACK(logger, seglog::anonymous("a-9"), "Cart Viewed", cart);

        // A rejected event is reported (stderr by default), never thrown at the caller.
        SEGLOG_TRACK(seglog::user("u-42"), "");

        SPDLOG_WARN("quickstart done"); // -> console only
        logger->flush();

        for (const auto &sink : demux->event_sinks())
            if (auto file = std::dynamic_pointer_cast<seglog::file_event_sink_mt>(sink))
                std::printf("events written to %s\n", file->path().c_str());
        // spdlog first (an async logger's queue reaches the sinks), then every client closes.
        auto segment = seglog::segment_client(*demux);
        const auto pending = seglog::shutdown(std::chrono::seconds(5));
        if (segment) std::printf("%s\n", segment->summary().c_str()); // failed events show as failed
        if (!pending.empty()) std::printf("%zu events handed back by close()\n", pending.size());
        return 0;
    } catch (const seglog::config_error &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
}
