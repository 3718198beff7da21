#include "sinks/console_event_sink.h"

#include "plan/gate.h"
#include "sinks/render.h"

#include <seglog/record.h>

#include <spdlog/sinks/sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <memory>
#include <string>

namespace seglog::detail {

namespace {

class console_event_sink final : public spdlog::sinks::sink {
public:
    explicit console_event_sink(std::shared_ptr<const plan::gate> plan) : plan_(std::move(plan)) {}
    void log(const spdlog::details::log_msg &msg) override {
        if (!is_event_record(msg)) return;
        if (plan_ && !plan::admit_locally(*plan_, event_json(msg))) return;
        const std::string line = render_event_line(event_json(msg));
        spdlog::details::log_msg copy(msg.time, event_line_source(msg), msg.logger_name, spdlog::level::info, line);
        copy.thread_id = msg.thread_id;
        out_.log(copy);
    }
    void flush() override { out_.flush(); }
    // The console line keeps its own pattern: the logger's patterns are for its log sinks.
    void set_pattern(const std::string &) override {}
    void set_formatter(std::unique_ptr<spdlog::formatter>) override {}

private:
    std::shared_ptr<const plan::gate> plan_;
    spdlog::sinks::stdout_color_sink_mt out_;
};

} // namespace

spdlog::sink_ptr make_console_event_sink(std::shared_ptr<const plan::gate> plan) {
    return std::make_shared<console_event_sink>(std::move(plan));
}

} // namespace seglog::detail
