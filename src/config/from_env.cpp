// config::from_env: code < JSON file (SEGLOG_CONFIG) < environment variables.
// An empty (or all-blank) variable counts as unset; values are trimmed.

#include "config_detail.h"

namespace seglog {
namespace detail::cfg {

namespace {

std::optional<std::string> get(const config::env_reader &read_env, const std::string &name) {
    auto v = read_env(name);
    if (!v) return std::nullopt;
    std::string t(trim(*v));
    if (t.empty()) return std::nullopt;
    return t;
}

bool parse_switch(const std::string &name, const std::string &value) {
    std::string v = lower(value);
    if (v == "on" || v == "true" || v == "1") return true;
    if (v == "off" || v == "false" || v == "0") return false;
    fail(name + ": expected on or off (also true/false, 1/0), got " + quote(value));
}

} // namespace

void apply_write_key(config &c, const config::env_reader &read_env) {
    if (!c.write_key_env.empty()) {
        if (auto k = get(read_env, c.write_key_env)) {
            c.write_key = *k;
            c.origin["write_key"] = c.write_key_env;
            return;
        }
    }
    if (auto k = get(read_env, "SEGMENT_WRITE_KEY")) {
        c.write_key = *k;
        c.origin["write_key"] = "SEGMENT_WRITE_KEY";
    }
}

} // namespace detail::cfg

config config::from_env(const env_reader &read_env, config base) {
    using namespace detail::cfg;
    config c = std::move(base);

    // The environment name first: it selects the profile of the file.
    std::string env, env_var;
    for (const char *name : {"SEGLOG_ENV", "APP_ENV", "ENVIRONMENT"}) {
        if (auto v = get(read_env, name)) {
            env = *v;
            env_var = name;
            break;
        }
    }

    if (auto file = get(read_env, "SEGLOG_CONFIG"))
        c = load_file(*file, env, env_var, " (from SEGLOG_CONFIG)", std::move(c));
    if (!env.empty()) {
        c.environment = env;
        c.origin["environment"] = env_var;
    }

    // SEGMENT_WRITE_KEY is the fallback when the variable named by write_key_env is unset.
    apply_write_key(c, read_env);
    apply_hash_key(c, read_env);
    if (auto v = get(read_env, "SEGMENT_HOST")) {
        c.host = *v;
        c.origin["host"] = "SEGMENT_HOST";
    }
    if (auto v = get(read_env, "SEGLOG_DESTINATION")) {
        c.destinations = parse_destination_list(*v, "SEGLOG_DESTINATION");
        c.origin["destination"] = "SEGLOG_DESTINATION";
    }
    if (auto v = get(read_env, "SEGLOG_SPOOL_DIR")) {
        c.spool_dir = *v;
        c.origin["spool_dir"] = "SEGLOG_SPOOL_DIR";
    }
    if (auto v = get(read_env, "SEGLOG_TRACKING_PLAN")) {
        c.tracking_plan = *v;
        c.origin["tracking_plan"] = "SEGLOG_TRACKING_PLAN";
    }
    if (auto v = get(read_env, "SEGLOG_PLAN_VIOLATIONS")) {
        c.plan_violations = parse_plan_mode(*v, "SEGLOG_PLAN_VIOLATIONS");
        c.origin["plan_violations"] = "SEGLOG_PLAN_VIOLATIONS";
    }
    // Last, so that it overrides the file and code: the one switch an operator needs.
    if (auto v = get(read_env, "SEGLOG_TRACKING")) {
        c.tracking = parse_switch("SEGLOG_TRACKING", *v);
        c.origin["tracking"] = "SEGLOG_TRACKING";
    }

    c.validate();
    return c;
}

config config::from_env(config base) { return from_env(detail::cfg::process_env_reader(), std::move(base)); }

config config::from_env() { return from_env(config{}); }

} // namespace seglog
