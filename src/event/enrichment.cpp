// The profile's context and integrations, the health-data rule, and scoped_context: compiled
// once (at configuration, or when a scope opens), applied by serialize.cpp.
#include "event/enrichment.h"

#include "common/errors.h"
#include "common/key_path.h"
#include "event/json_writer.h"
#include "event/path_match.h"
#include "plan/gate.h"

#include <seglog/record.h>

namespace seglog {

namespace detail {

namespace {

nlohmann::json parse_object(const std::string &text) {
    return text.empty() ? nlohmann::json::object() : nlohmann::json::parse(text);
}

const char *section_key(section s) {
    switch (s) {
    case section::properties: return "properties";
    case section::traits: return "traits";
    case section::context: return "context";
    }
    return "";
}

// A walk that looks for a key at the end of a path; values are never copied.
struct path_finder {
    const std::vector<compiled_pattern> &patterns;

    bool ends(const path_states &s) const {
        for (const auto &[p, i] : s)
            if (i == patterns[p].segments.size()) return true;
        return false;
    }
    bool live(const path_states &s) const {
        for (const auto &[p, i] : s)
            if (i < patterns[p].segments.size()) return true;
        return false;
    }
    template <typename V>
    bool member(std::string_view key, const V &v, const path_states &parent, int depth) const {
        path_states s;
        step_path_states(patterns, parent, key, s);
        if (ends(s)) return true;
        return live(s) && depth < max_json_depth && inside(v, s, depth);
    }
    // Arrays are transparent, as for redaction: the path goes on in every element.
    bool inside(const nlohmann::json &j, const path_states &s, int depth) const {
        if (j.is_object()) {
            for (const auto &[k, v] : j.items())
                if (member(std::string_view(k), v, s, depth + 1)) return true;
        } else if (j.is_array()) {
            for (const auto &e : j)
                if (inside(e, s, depth + 1)) return true;
        }
        return false;
    }
    bool inside(const value &v, const path_states &s, int depth) const {
        if (v.type() == value::kind::json) return inside(v.as_json(), s, depth);
        if (v.type() != value::kind::list) return false;
        const value_list l = v.as_list();
        const bool object = is_object_list(l);
        for (const value &e : l) {
            if (object) {
                const pair_view m = pair_of(e);
                if (member(m.key, m.val, s, depth + 1)) return true;
            } else if (inside(e, s, depth + 1)) {
                return true;
            }
        }
        return false;
    }
    path_states start(section sec) const {
        path_states all, after;
        for (std::size_t p = 0; p < patterns.size(); ++p)
            add_path_state(patterns, all, static_cast<std::uint16_t>(p), 0);
        step_path_states(patterns, all, section_key(sec), after);
        return after;
    }
};

} // namespace

object_members::object_members(nlohmann::json obj, std::string_view skip_key) {
    if (!skip_key.empty()) obj.erase(std::string(skip_key));
    for (const auto &[k, v] : obj.items()) {
        std::string text = nlohmann::json(k).dump();
        text += ':';
        text += v.dump();
        members.emplace_back(k, std::move(text));
    }
    object = std::move(obj);
}

std::shared_ptr<const enrichment> enrichment::from_config(const config &cfg) {
    // The plan's "x-phi" marks add to the profile's paths (validate() has loaded the plan).
    std::vector<std::string> phi_paths = cfg.phi_paths;
    if (!cfg.tracking_plan.empty()) {
        const auto plan = plan::load_shared(cfg.tracking_plan);
        phi_paths.insert(phi_paths.end(), plan->phi_paths.begin(), plan->phi_paths.end());
    }
    const bool profile = !cfg.context.empty() || !cfg.integrations.empty() || !phi_paths.empty();
    auto chain = plugin_chain::from_config(cfg);
    if (!profile && !chain) return nullptr;
    auto e = std::make_shared<enrichment>();
    e->plugins = std::move(chain);
    e->profile = profile;
    if (!profile) return e;
    e->context = object_members(parse_object(cfg.context), "library");
    e->integrations = object_members(parse_object(cfg.integrations));
    for (const auto &path : phi_paths) {
        compiled_pattern pat;
        if (!parse_path(path, pat.segments).empty()) continue; // validate() has refused it already
        pat.rule = 0;
        e->phi_patterns.push_back(std::move(pat));
    }
    e->phi_integrations = object_members(parse_object(cfg.phi_integrations));
    return e;
}

bool carries_path(const std::vector<compiled_pattern> &patterns, section sec, const properties &p) {
    if (p.is_json()) return p.json().is_object() && carries_path(patterns, sec, p.json());
    const path_finder f{patterns};
    const path_states s = f.start(sec);
    if (!f.live(s)) return false;
    for (const property &m : p.list())
        if (f.member(m.key, m.value, s, 1)) return true;
    return false;
}

bool carries_path(const std::vector<compiled_pattern> &patterns, section sec, const nlohmann::json &object) {
    const path_finder f{patterns};
    const path_states s = f.start(sec);
    return f.live(s) && f.inside(object, s, 0);
}

} // namespace detail

namespace {

std::string scope_failure(const detail::write_failure &w) {
    const std::string key = w.key.empty() ? "a member" : w.key;
    switch (w.code) {
    case reason::invalid_utf8: return key + " is not valid UTF-8";
    case reason::non_finite_number: return key + " is NaN or infinite, which JSON cannot carry";
    case reason::too_deep: return key + " nests deeper than " + std::to_string(detail::max_json_depth) + " levels";
    case reason::not_an_object: return "the members must be a JSON object";
    case reason::too_many_keys: return key + " has too many keys";
    case reason::event_too_large:
        return "the members are over the " + std::to_string(default_max_event_bytes) + "-byte limit per event (at " +
               key + ")";
    default: return key + " cannot be written";
    }
}

// The members as an object, or nullopt after reporting why they cannot be written.
std::optional<nlohmann::json> scope_object(const properties &p) {
    detail::text_buffer out;
    detail::json_writer w(out, default_max_event_bytes);
    out.push_back('{');
    if (!w.write_members(p)) {
        w.prepend("context");
        detail::report_call_site_error(
            {w.failure().code, "scoped_context adds nothing: " + scope_failure(w.failure()), {}, {}, {}, 0});
        return std::nullopt;
    }
    out.push_back('}');
    return nlohmann::json::parse(out.view());
}

} // namespace

scoped_context::scoped_context(const properties &members) : members_(std::make_unique<detail::object_members>()) {
    if (auto obj = scope_object(members)) *members_ = detail::object_members(std::move(*obj), "library");
    const scoped_context *&top = detail::open_scope();
    outer_ = top;
    top = this;
}

scoped_context::~scoped_context() {
    const scoped_context *&top = detail::open_scope();
    if (top == this) {
        top = outer_;
        return;
    }
    // Closed before a scope opened after it (held in a unique_ptr, say): unlink it.
    for (const scoped_context *s = top; s; s = s->outer_) {
        if (s->outer_ == this) {
            s->outer_ = outer_;
            return;
        }
    }
}

} // namespace seglog
