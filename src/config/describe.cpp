// config::describe (the startup line) and mask_secret. Neither ever prints the write key.

#include "config_detail.h"

#include <seglog/batch_destination.h>
#include <seglog/plugin.h>

namespace seglog {

std::string mask_secret(const std::string &secret) {
    if (secret.empty()) return {};
    // Short secrets are masked whole: 4 characters of 12 would give away too much.
    if (secret.size() <= 12) return "****";
    return "****" + secret.substr(secret.size() - 4);
}

std::string config::describe() const {
    std::string out = "seglog: environment=" + (environment.empty() ? std::string("(unset)") : environment) +
                      " tracking=" + (tracking ? "on" : "off") + " destinations=[";
    bool first = true;
    for (const auto &d : effective_destinations()) {
        if (!first) out += ", ";
        first = false;
        out += d.to_string();
        if (d.type == destination::kind::segment) {
            out += " " + host + path + " (write key " + (write_key.empty() ? "missing" : mask_secret(write_key)) +
                   ", flush_at=" + std::to_string(flush_at) +
                   ", flush_interval=" + std::to_string(flush_interval.count()) + "ms" +
                   ", gzip=" + (gzip ? "on" : "off") + ")";
        } else if (d.type == destination::kind::file && destinations.empty()) {
            out += " (default)";
        }
    }
    if (tracking && custom_destination) {
        std::string name;
        try {
            name = custom_destination->name();
        } catch (...) {}
        out += std::string(first ? "" : ", ") + "custom " + detail::quote(name.empty() ? "custom destination" : name);
    }
    out += "]";
    if (!spool_dir.empty())
        out += " spool=" + spool_dir + " (max " + std::to_string(spool_max_bytes) + " bytes, sync " +
               spool_sync.to_string() + (spool_sync.type == spool_sync_policy::kind::interval ? " ms)" : ")");
    if (!plugins.empty()) {
        out += " plugins=[";
        for (std::size_t i = 0; i < plugins.size(); ++i) {
            std::string name;
            try {
                if (plugins[i]) name = plugins[i]->name();
            } catch (...) {}
            out += (i ? ", " : "") + detail::quote(name.empty() ? "plugin" : name);
        }
        out += "]";
    }
    return out + detail::cfg::describe_redaction(*this) + detail::cfg::describe_enrichment(*this) +
           detail::cfg::describe_plan(*this);
}

} // namespace seglog
