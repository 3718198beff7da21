#pragma once
// A plugin made of lambdas, for the plugins suite: each stage given is declared in stages(), so
// a test says only what its plugin does.
//
//   auto p = seglog_test::lambda_plugin::make("tag");
//   p->on_before = [](seglog::event_view &e) { e.properties()["tagged"] = true; return seglog::plugin_result::keep();
//   }; cfg.plugins = {p};

#include <seglog/plugin.h>

#include <functional>
#include <memory>
#include <string>

namespace seglog_test {

class lambda_plugin : public seglog::plugin {
public:
    std::function<seglog::plugin_result(seglog::event_view &)> on_before;
    std::function<void(seglog::event_view &)> on_enrich;
    std::function<void(const seglog::delivery_result &)> on_after;

    static std::shared_ptr<lambda_plugin> make(std::string name) {
        return std::make_shared<lambda_plugin>(std::move(name));
    }
    explicit lambda_plugin(std::string name) : name_(std::move(name)) {}

    std::string name() const override { return name_; }
    unsigned stages() const override {
        return (on_before ? before_stage : 0u) | (on_enrich ? enrichment_stage : 0u) | (on_after ? after_stage : 0u);
    }
    seglog::plugin_result before(seglog::event_view &e) override { return on_before(e); }
    void enrich(seglog::event_view &e) override { on_enrich(e); }
    void after(const seglog::delivery_result &r) override { on_after(r); }

private:
    std::string name_;
};

} // namespace seglog_test
