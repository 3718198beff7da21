// The enrichment options of seglog::config: the file keys context, integrations and phi (listed
// in from_file's key table), their checks in validate() and their part of the startup line.
// docs/configuration.md and docs/privacy.md describe them.

#include "config/config_detail.h"

#include <seglog/redaction.h>

namespace seglog::detail::cfg {

using json = nlohmann::json;

namespace {

// `text` (a config field) as an object: "" is an empty one. `what` names the field in messages.
json parse_field(const std::string &text, const std::string &what) {
    if (text.empty()) return json::object();
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception &e) {
        std::string why;
        append_escaped(why, e.what());
        fail(what + " is not valid JSON: " + why);
    }
    if (!j.is_object()) fail(what + " must be a JSON object, got " + show(j));
    return j;
}

// Merges the file's object over the field's value, key by key at the top level.
void merge_object(std::string &field, const json &v, const std::string &w, const std::string &name) {
    if (!v.is_object()) fail(w + ": expected an object, got " + show(v));
    json merged = parse_field(field, name + " (set in code)");
    merged.update(v);
    field = merged.dump();
}

} // namespace

void apply_context(config &c, const json &v, const std::string &w) { merge_object(c.context, v, w, "context"); }

void apply_integrations(config &c, const json &v, const std::string &w) {
    merge_object(c.integrations, v, w, "integrations");
}

void apply_phi(config &c, const json &v, const std::string &w) {
    if (!v.is_object()) fail(w + ": expected an object with \"paths\" and \"integrations\", got " + show(v));
    for (auto it = v.begin(); it != v.end(); ++it)
        if (it.key() != "paths" && it.key() != "integrations")
            fail(w + ": unknown key " + quote(it.key()) + " (known: paths, integrations)");
    if (auto paths = v.find("paths"); paths != v.end()) {
        if (!paths->is_array()) fail(w + ", \"paths\": expected a list of key paths, got " + show(*paths));
        for (std::size_t i = 0; i < paths->size(); ++i) {
            const json &p = (*paths)[i];
            const std::string wi = w + ", \"paths\"[" + std::to_string(i) + "]";
            if (!p.is_string()) fail(wi + ": expected a string, got " + show(p));
            if (std::string why = check_redact_path(p.get<std::string>()); !why.empty()) fail(wi + ": " + why);
            c.phi_paths.push_back(p.get<std::string>());
        }
    }
    if (auto integrations = v.find("integrations"); integrations != v.end()) {
        if (!integrations->is_object()) fail(w + ", \"integrations\": expected an object, got " + show(*integrations));
        c.phi_integrations = integrations->dump();
    }
}

void validate_enrichment(const config &c) {
    const json ctx = parse_field(c.context, "context" + from(c, "context"));
    if (ctx.contains("library"))
        fail("context" + from(c, "context") + " must not set \"library\": context.library is always seglog's");
    if (ctx.dump().size() > c.max_event_bytes)
        fail("context" + from(c, "context") + " is over max_event_bytes (" + std::to_string(c.max_event_bytes) +
             "): every event would be refused");
    parse_field(c.integrations, "integrations" + from(c, "integrations"));
    const std::string phi = from(c, "phi");
    for (const auto &p : c.phi_paths)
        if (std::string why = check_redact_path(p); !why.empty()) fail("phi path " + quote(p) + phi + ": " + why);
    const json routed = parse_field(c.phi_integrations, "phi integrations" + phi);
    if (!c.phi_paths.empty() && c.phi_integrations.empty())
        fail("phi paths" + phi +
             " need phi integrations: the destinations an event with health data may go to, e.g. "
             "{\"All\": false, \"Amazon S3\": true}");
    (void)routed;
}

std::string describe_enrichment(const config &c) {
    std::string out;
    if (!c.context.empty()) out += " context=" + c.context;
    if (!c.integrations.empty()) out += " integrations=" + c.integrations;
    if (!c.phi_paths.empty()) {
        out += " phi=[";
        for (std::size_t i = 0; i < c.phi_paths.size(); ++i) out += (i ? ", " : "") + c.phi_paths[i];
        out += "] -> " + c.phi_integrations;
    }
    return out;
}

} // namespace seglog::detail::cfg
