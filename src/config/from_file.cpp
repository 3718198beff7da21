// The JSON config file: {"default_environment": ..., "defaults": {...}, "profiles": {...}}.
// Schema and every key: docs/configuration.md.

#include "config_detail.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <limits>

namespace seglog {
namespace detail::cfg {

using json = nlohmann::json;

namespace {

[[noreturn]] void wrong_type(const std::string &where, const char *expected, const json &v) {
    fail(where + ": expected " + expected + ", got " + show(v));
}

// An integer option read as long long; bounds checked here so that a negative number never
// wraps into a huge size_t.
long long read_integer(const json &v, const std::string &where, long long min, long long max) {
    if (!v.is_number_integer()) wrong_type(where, "an integer", v);
    long long n;
    if (v.is_number_unsigned()) {
        auto u = v.get<unsigned long long>();
        if (u > static_cast<unsigned long long>(max))
            fail(where + ": must be at most " + std::to_string(max) + ", got " + std::to_string(u));
        n = static_cast<long long>(u);
    } else {
        n = v.get<long long>();
    }
    if (n < min) fail(where + ": must be at least " + std::to_string(min) + ", got " + std::to_string(n));
    if (n > max) fail(where + ": must be at most " + std::to_string(max) + ", got " + std::to_string(n));
    return n;
}

long long clamp_ll(unsigned long long u) {
    return u > static_cast<unsigned long long>(LLONG_MAX) ? LLONG_MAX : static_cast<long long>(u);
}

key_spec size_key(const char *name, std::size_t config::*m, long long min) {
    long long max = clamp_ll(std::numeric_limits<std::size_t>::max());
    return {name,
            [=](config &c, const json &v, const std::string &w) {
                c.*m = static_cast<std::size_t>(read_integer(v, w, min, max));
            },
            min, [=](const config &c) { return clamp_ll(c.*m); }};
}

key_spec int_key(const char *name, int config::*m, long long min, long long max = INT_MAX) {
    return {name,
            [=](config &c, const json &v, const std::string &w) {
                c.*m = static_cast<int>(read_integer(v, w, min, max));
            },
            min, [=](const config &c) { return static_cast<long long>(c.*m); }, max};
}

key_spec ms_key(const char *name, std::chrono::milliseconds config::*m, long long min) {
    return {name,
            [=](config &c, const json &v, const std::string &w) {
                c.*m = std::chrono::milliseconds(read_integer(v, w, min, max_duration_ms));
            },
            min, [=](const config &c) { return static_cast<long long>((c.*m).count()); }, max_duration_ms};
}

key_spec bool_key(const char *name, bool config::*m) {
    return {name,
            [=](config &c, const json &v, const std::string &w) {
                if (!v.is_boolean()) wrong_type(w, "true or false", v);
                c.*m = v.get<bool>();
            },
            0,
            {}};
}

key_spec string_key(const char *name, std::string config::*m) {
    return {name,
            [=](config &c, const json &v, const std::string &w) {
                if (!v.is_string()) wrong_type(w, "a string", v);
                c.*m = v.get<std::string>();
            },
            0,
            {}};
}

void apply_destination(config &c, const json &v, const std::string &w) {
    const char *none = ": expected at least one destination (use \"off\" for none)";
    if (v.is_string()) {
        const auto &s = v.get_ref<const std::string &>();
        if (trim(s).empty()) fail(w + none);
        c.destinations = parse_destination_list(s, w);
    } else if (v.is_array()) {
        // each element is one destination, so a file path may contain a comma here
        if (v.empty()) fail(w + none);
        std::vector<destination> list;
        for (std::size_t i = 0; i < v.size(); ++i) {
            std::string wi = w + "[" + std::to_string(i) + "]";
            if (!v[i].is_string()) wrong_type(wi, "a string", v[i]);
            destination d;
            std::string why = parse_destination(v[i].get<std::string>(), d);
            if (!why.empty()) fail(wi + ": " + why);
            list.push_back(std::move(d));
        }
        c.destinations = std::move(list);
    } else {
        wrong_type(w, "a string or a list of strings", v);
    }
}

void apply_overflow(config &c, const json &v, const std::string &w) {
    const char *expected = "\"drop_newest\", \"drop_oldest\" or \"block\"";
    if (!v.is_string()) wrong_type(w, expected, v);
    const auto &s = v.get_ref<const std::string &>();
    if (s == "drop_newest") c.overflow = overflow_policy::drop_newest;
    else if (s == "drop_oldest") c.overflow = overflow_policy::drop_oldest;
    else if (s == "block") c.overflow = overflow_policy::block;
    else fail(w + ": expected " + expected + ", got " + quote(s));
}

bool is_env_name(const std::string &s) {
    if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
    for (char ch : s)
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
    return true;
}

void apply_write_key_env(config &c, const json &v, const std::string &w) {
    // Upper case only: a write key pasted here by mistake (mixed case) is refused, and the
    // message never repeats the value.
    if (!v.is_string() || !is_env_name(v.get<std::string>()))
        fail(w + ": expected the name of an environment variable (A-Z, 0-9, _) such as "
                 "\"SEGMENT_WRITE_KEY\"; the value is not shown in case it is the key itself");
    c.write_key_env = v.get<std::string>();
}

void apply_spool_sync(config &c, const json &v, const std::string &w) {
    if (v.is_number_integer()) {
        c.spool_sync = spool_sync_policy::parse(std::to_string(v.get<long long>()));
        return;
    }
    if (!v.is_string()) wrong_type(w, "\"none\", \"batch\" or an interval in milliseconds", v);
    try {
        c.spool_sync = spool_sync_policy::parse(v.get<std::string>());
    } catch (const config_error &e) {
        fail(w + ": " + std::string(e.what()).substr(std::string(error_prefix).size()));
    }
}

const char *const write_key_refused =
    ": a config file must not hold the write key; put the key in an environment variable "
    "and name that variable with \"write_key_env\" (default SEGMENT_WRITE_KEY)";

} // namespace

const std::vector<key_spec> &key_table() {
    using namespace std::chrono;
    static const std::vector<key_spec> table = {
        {"destination", apply_destination, 0, {}},
        bool_key("tracking", &config::tracking),
        string_key("default_file", &config::default_file),
        string_key("host", &config::host),
        string_key("path", &config::path),
        {"write_key_env", apply_write_key_env, 0, {}},
        bool_key("allow_http", &config::allow_http),
        size_key("flush_at", &config::flush_at, 1),
        ms_key("flush_interval_ms", &config::flush_interval, 1),
        size_key("max_batch_bytes", &config::max_batch_bytes, 1),
        size_key("max_batch_events", &config::max_batch_events, 1),
        size_key("max_event_bytes", &config::max_event_bytes, 1),
        size_key("max_queue_events", &config::max_queue_events, 1),
        size_key("max_queue_bytes", &config::max_queue_bytes, 1),
        {"overflow", apply_overflow, 0, {}},
        ms_key("block_timeout_ms", &config::block_timeout, 1),
        ms_key("connect_timeout_ms", &config::connect_timeout, 1),
        ms_key("request_timeout_ms", &config::request_timeout, 1),
        size_key("max_in_flight", &config::max_in_flight, 1),
        int_key("worker_nice", &config::worker_nice, 0, 19),
        bool_key("gzip", &config::gzip),
        string_key("proxy", &config::proxy),
        string_key("ca_bundle", &config::ca_bundle),
        bool_key("insecure_skip_verify", &config::insecure_skip_verify),
        int_key("max_attempts", &config::max_attempts, 1),
        ms_key("max_retry_time_ms", &config::max_retry_time, 1),
        ms_key("backoff_base_ms", &config::backoff_base, 1),
        ms_key("backoff_cap_ms", &config::backoff_cap, 1),
        ms_key("retry_after_cap_ms", &config::retry_after_cap, 1),
        ms_key("retry_after_default_ms", &config::retry_after_default, 1),
        ms_key("close_timeout_ms", &config::close_timeout, 0), // 0: do not wait at close
        bool_key("echo_events_to_log", &config::echo_events_to_log),
        {"redact", apply_redact, 0, {}},
        {"allow", apply_allow, 0, {}},
        {"hash_key_env", apply_hash_key_env, 0, {}},
        string_key("spool_dir", &config::spool_dir),
        size_key("spool_max_bytes", &config::spool_max_bytes, 1 << 20),
        {"spool_sync", apply_spool_sync, 0, {}},
        {"context", apply_context, 0, {}},
        {"integrations", apply_integrations, 0, {}},
        {"phi", apply_phi, 0, {}},
        string_key("tracking_plan", &config::tracking_plan),
        {"plan_violations", apply_plan_violations, 0, {}},
    };
    return table;
}

namespace {

std::vector<std::string> key_names() {
    std::vector<std::string> names;
    for (const auto &k : key_table()) names.push_back(k.name);
    return names;
}

void apply_profile(config &c, const json &profile, const std::string &where) {
    if (!profile.is_object()) wrong_type(where, "an object", profile);
    for (auto it = profile.begin(); it != profile.end(); ++it) {
        const std::string &key = it.key();
        std::string kw = where + ", key " + quote(key);
        if (key == "write_key") fail(kw + write_key_refused);
        if (key == "hash_key")
            fail(kw + ": a config file must not hold the hash secret; put it in an environment variable and "
                      "name that variable with \"hash_key_env\" (default SEGLOG_HASH_KEY)");
        const key_spec *spec = nullptr;
        for (const auto &k : key_table())
            if (k.name == key) spec = &k;
        if (!spec) {
            std::string msg = where + ": unknown key " + quote(key);
            std::string near = closest(key, key_names());
            if (!near.empty()) msg += " (did you mean " + quote(near) + "?)";
            fail(msg);
        }
        spec->apply(c, it.value(), kw);
        c.origin[key] = where;
    }
}

std::string read_file(const std::string &path, const std::string &path_origin) {
    std::FILE *f = std::fopen(path.c_str(), "rb");
    auto cannot = [&](int err) {
        fail("cannot read config file " + quote(path) + path_origin + ": " + std::strerror(err));
    };
    if (!f) cannot(errno);
    std::string text;
    char buf[8192];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    int err = std::ferror(f) ? errno : 0; // a directory opens fine and fails here (EISDIR)
    std::fclose(f);
    if (err) cannot(err);
    return text;
}

// Plain names as they are ("profiles: dev, prod"); any other name quoted and escaped, so that
// a control character or a comma in a profile's name cannot garble the message.
std::string join_keys(const json &obj) {
    auto plain = [](const std::string &k) {
        return !k.empty() && std::all_of(k.begin(), k.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '_' || c == '-' || c == '.';
        });
    };
    std::string out;
    for (auto it = obj.begin(); it != obj.end(); ++it)
        out += (out.empty() ? "" : ", ") + (plain(it.key()) ? it.key() : quote(it.key()));
    return out.empty() ? "(none)" : out;
}

// The file's text as JSON (comments allowed), or a config_error naming where it is not.
json parse_document(const std::string &text, const std::string &path) {
    try {
        return json::parse(text, nullptr, true, /*ignore_comments=*/true);
    } catch (const json::exception &e) {
        // parse_error, or out_of_range for a number too large for a double (1e999): keep
        // nlohmann's "line L, column C: <what>" and drop its "[json.exception...]" prefix
        std::string what = e.what();
        auto at = what.find("parse error at ");
        if (at != std::string::npos) what = what.substr(at + 15);
        else if (at = what.find("] "); what.rfind("[json.exception.", 0) == 0 && at != std::string::npos)
            what = what.substr(at + 2);
        // its "last read: '...'" holds raw file bytes: escaped, so the message stays one line
        // of valid UTF-8 whatever the file holds
        std::string printable;
        append_escaped(printable, what);
        fail(path + ": invalid JSON: " + printable);
    }
}

// Only the three top-level keys; an option written at the top level is pointed inside.
void check_top_keys(const json &doc, const std::string &path) {
    static const std::vector<std::string> top_keys = {"default_environment", "defaults", "profiles"};
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        const std::string &key = it.key();
        if (key == "write_key") fail(path + ", key \"write_key\"" + write_key_refused);
        if (std::find(top_keys.begin(), top_keys.end(), key) != top_keys.end()) continue;
        std::string msg = path + ": unknown top-level key " + quote(key);
        std::string near = closest(key, top_keys);
        if (!near.empty()) msg += " (did you mean " + quote(near) + "?)";
        else
            for (const auto &k : key_table())
                if (k.name == key) msg += " (options go inside \"defaults\" or a profile)";
        fail(msg + "; known: default_environment, defaults, profiles");
    }
}

struct chosen_environment {
    std::string name, origin;
};

// Which profile: the explicit choice, else the file's default, else the one set in code.
chosen_environment choose_environment(const json &doc, const std::string &path, const std::string &environment,
                                      const std::string &environment_origin, const config &base) {
    chosen_environment env{environment, environment_origin};
    if (!env.name.empty()) return env;
    auto d = doc.find("default_environment");
    if (d != doc.end()) {
        if (!d->is_string()) wrong_type(path + ", key \"default_environment\"", "a string", *d);
        env.name = d->get<std::string>();
        env.origin = path + ", \"default_environment\"";
    } else if (!base.environment.empty()) {
        env.name = base.environment;
        auto o = base.origin.find("environment");
        env.origin = o == base.origin.end() ? "" : o->second;
    }
    return env;
}

} // namespace

config load_file(const std::string &path, const std::string &environment, const std::string &environment_origin,
                 const std::string &path_origin, config base) {
    return load_text(read_file(path, path_origin), path, environment, environment_origin, std::move(base));
}

config load_text(const std::string &text, const std::string &path, const std::string &environment,
                 const std::string &environment_origin, config base) {
    const json doc = parse_document(text, path);
    if (!doc.is_object()) wrong_type(path, "a JSON object at the top level", doc);
    check_top_keys(doc, path);

    auto profiles_it = doc.find("profiles");
    if (profiles_it == doc.end()) fail(path + ": no \"profiles\" object");
    const json &profiles = *profiles_it;
    if (!profiles.is_object()) wrong_type(path + ", key \"profiles\"", "an object", profiles);

    const auto [env, env_origin] = choose_environment(doc, path, environment, environment_origin, base);
    if (env.empty())
        fail(path +
             ": no environment selected: set SEGLOG_ENV (or APP_ENV, ENVIRONMENT) or "
             "\"default_environment\" in the file; profiles: " +
             join_keys(profiles));
    auto profile = profiles.find(env);
    if (profile == profiles.end())
        fail(path + ": no profile for environment " + quote(env) +
             (env_origin.empty() ? "" : " (from " + env_origin + ")") + "; profiles: " + join_keys(profiles));

    config c = std::move(base);
    if (auto d = doc.find("defaults"); d != doc.end()) apply_profile(c, *d, path + ", \"defaults\"");
    apply_profile(c, *profile, path + ", profile " + quote(env));
    c.environment = env;
    if (env_origin.empty()) c.origin.erase("environment");
    else c.origin["environment"] = env_origin;
    return c;
}

} // namespace detail::cfg

config config::from_file(const std::string &path, const std::string &environment, config base,
                         const env_reader &read_env) {
    config c = detail::cfg::load_file(path, environment, "", "", std::move(base));
    // the key always comes from the environment: the file only names the variable
    detail::cfg::apply_write_key(c, read_env);
    detail::cfg::apply_hash_key(c, read_env);
    c.validate();
    return c;
}

config config::from_file(const std::string &path, const std::string &environment, config base) {
    return from_file(path, environment, std::move(base), detail::cfg::process_env_reader());
}

config config::from_file(const std::string &path, const std::string &environment) {
    return from_file(path, environment, config{});
}

} // namespace seglog
