// event_view, the plugin base class's defaults, and the plugins that come with the library.
#include <seglog/config.h>
#include <seglog/plugin.h>
#include <seglog/plugins.h>

#include <fnmatch.h>

namespace seglog {

// --- event_view

std::string_view event_view::text(const char *key) const noexcept {
    auto it = event_.find(key);
    if (it == event_.end() || !it->is_string()) return {};
    return it->get_ref<const std::string &>();
}

std::string_view event_view::name() const noexcept {
    const std::string_view t = type();
    if (t == "track") return text("event");
    if (t == "page" || t == "screen") return text("name");
    return {};
}

void event_view::set_name(std::string name) { event_[type() == "track" ? "event" : "name"] = std::move(name); }

void event_view::set_or_erase(const char *key, std::string value) {
    if (value.empty()) event_.erase(key);
    else event_[key] = std::move(value);
}

nlohmann::ordered_json &event_view::object(const char *key, unsigned bit) {
    auto it = event_.find(key);
    if (it != event_.end()) return *it;
    created_ |= bit;
    return event_[key] = nlohmann::ordered_json::object();
}

// --- plugin: a stage a plugin does not declare is never called; these are what it inherits.

plugin_result plugin::before(event_view &) { return plugin_result::keep(); }
void plugin::enrich(event_view &) {}
void plugin::after(const delivery_result &) {}

// --- the library's plugins

std::uint64_t sampling_hash(std::string_view message_id) noexcept {
    std::uint64_t h = 14695981039346656037ull; // FNV-1a 64 offset basis
    for (const char c : message_id) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull; // FNV-1a 64 prime
    }
    return h;
}

namespace {

class sampler final : public plugin {
public:
    sampler(std::string event, std::uint64_t n) : event_(std::move(event)), n_(n) {}
    std::string name() const override { return "sample_event(" + event_ + ", 1 in " + std::to_string(n_) + ")"; }
    unsigned stages() const override { return before_stage; }
    plugin_result before(event_view &e) override {
        if (e.type() != "track" || e.name() != event_) return plugin_result::keep();
        if (sampling_hash(e.message_id()) % n_ == 0) return plugin_result::keep();
        return plugin_result::dropped("sampled out: 1 in " + std::to_string(n_) + " kept");
    }

private:
    const std::string event_;
    const std::uint64_t n_;
};

class name_dropper final : public plugin {
public:
    explicit name_dropper(std::string pattern) : pattern_(std::move(pattern)) {}
    std::string name() const override { return "drop_events_matching(" + pattern_ + ")"; }
    unsigned stages() const override { return before_stage; }
    plugin_result before(event_view &e) override {
        const std::string_view n = e.name();
        if (n.empty()) return plugin_result::keep();
        // fnmatch needs a NUL-terminated name; names are short, the copy is cheap beside the parse.
        if (::fnmatch(pattern_.c_str(), std::string(n).c_str(), 0) != 0) return plugin_result::keep();
        return plugin_result::dropped("name matches \"" + pattern_ + "\"");
    }

private:
    const std::string pattern_;
};

} // namespace

std::shared_ptr<plugin> sample_event(std::string event, std::uint64_t keep_one_in) {
    if (event.empty()) throw config_error("seglog::sample_event: the event name is empty");
    if (keep_one_in == 0) throw config_error("seglog::sample_event: keep_one_in must be at least 1");
    return std::make_shared<sampler>(std::move(event), keep_one_in);
}

std::shared_ptr<plugin> drop_events_matching(std::string pattern) {
    if (pattern.empty()) throw config_error("seglog::drop_events_matching: the pattern is empty");
    return std::make_shared<name_dropper>(std::move(pattern));
}

} // namespace seglog
