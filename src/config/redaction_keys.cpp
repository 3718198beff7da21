// The privacy options of seglog::config: the file keys redact, allow and hash_key_env (listed
// in from_file's key table), the HMAC secret from the environment, their checks in
// validate(), and their part of the startup line. Messages never contain the secret.

#include "config/config_detail.h"

#include <seglog/redaction.h>

namespace seglog::detail::cfg {

using json = nlohmann::json;

namespace {

constexpr std::size_t min_hash_key_bytes = 16;
constexpr const char *default_hash_key_env = "SEGLOG_HASH_KEY";

bool is_env_name(const std::string &s) {
    if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
    for (char ch : s)
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
    return true;
}

redact_rule parse_rule(const json &v, const std::string &w) {
    if (!v.is_object()) fail(w + ": expected an object with \"path\" and \"action\", got " + show(v));
    for (auto it = v.begin(); it != v.end(); ++it)
        if (it.key() != "path" && it.key() != "action" && it.key() != "replacement")
            fail(w + ": unknown key " + quote(it.key()) + " in a rule (known: path, action, replacement)");
    auto path = v.find("path");
    if (path == v.end()) fail(w + ": missing \"path\"");
    if (!path->is_string()) fail(w + ", \"path\": expected a string, got " + show(*path));
    auto action = v.find("action");
    if (action == v.end()) fail(w + ": missing \"action\" (drop, mask or hash)");
    if (!action->is_string()) fail(w + ", \"action\": expected \"drop\", \"mask\" or \"hash\", got " + show(*action));

    redact_rule r;
    r.path = path->get<std::string>();
    const std::string &a = action->get_ref<const std::string &>();
    if (a == "drop") r.action = redact_action::drop;
    else if (a == "mask") r.action = redact_action::mask;
    else if (a == "hash") r.action = redact_action::hash;
    else fail(w + ": unknown action " + quote(a) + " (expected drop, mask or hash)");
    if (std::string why = check_redact_path(r.path); !why.empty()) fail(w + ": " + why);
    if (auto rep = v.find("replacement"); rep != v.end()) {
        if (r.action != redact_action::mask) fail(w + ": \"replacement\" is only for a mask rule");
        if (!rep->is_string()) fail(w + ", \"replacement\": expected a string, got " + show(*rep));
        r.replacement = rep->get<std::string>();
    }
    return r;
}

std::string hash_key_source(const config &c) {
    return c.hash_key_env.empty() ? std::string(default_hash_key_env)
                                  : c.hash_key_env + " (named by hash_key_env) or " + default_hash_key_env;
}

} // namespace

void apply_redact(config &c, const json &v, const std::string &w) {
    if (!v.is_array())
        fail(w + ": expected a list of rules such as [{\"path\": \"properties.email\", \"action\": \"drop\"}], got " +
             show(v));
    // Rules add up (code, then defaults, then the profile): a profile cannot undo a redaction
    // that the defaults or the code ask for.
    std::vector<redact_rule> rules;
    for (std::size_t i = 0; i < v.size(); ++i) rules.push_back(parse_rule(v[i], w + "[" + std::to_string(i) + "]"));
    c.redact.insert(c.redact.end(), rules.begin(), rules.end());
}

void apply_allow(config &c, const json &v, const std::string &w) {
    if (!v.is_array()) fail(w + ": expected a list of paths such as [\"properties.order_id\"], got " + show(v));
    if (v.empty())
        fail(w + ": expected at least one path (an empty allow-list would not restrict anything; "
                 "to drop every property use a redact rule on \"properties.*\")");
    // The allow-list in force is the one closest to the environment: a profile's replaces the defaults'.
    std::vector<std::string> list;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string wi = w + "[" + std::to_string(i) + "]";
        if (!v[i].is_string()) fail(wi + ": expected a string, got " + show(v[i]));
        std::string p = v[i].get<std::string>();
        if (std::string why = check_allow_path(p); !why.empty()) fail(wi + ": " + why);
        list.push_back(std::move(p));
    }
    c.allow = std::move(list);
}

void apply_hash_key_env(config &c, const json &v, const std::string &w) {
    if (!v.is_string() || !is_env_name(v.get<std::string>()))
        fail(w + ": expected the name of an environment variable (A-Z, 0-9, _) such as \"SEGLOG_HASH_KEY\"; "
                 "the value is not shown in case it is the secret itself");
    c.hash_key_env = v.get<std::string>();
}

void apply_hash_key(config &c, const config::env_reader &read_env) {
    auto get = [&](const std::string &name) -> std::optional<std::string> {
        auto v = read_env(name);
        if (!v) return std::nullopt;
        std::string t(trim(*v));
        if (t.empty()) return std::nullopt;
        return t;
    };
    for (const std::string &name : {c.hash_key_env, std::string(default_hash_key_env)}) {
        if (name.empty()) continue;
        if (auto k = get(name)) {
            c.hash_key = *k;
            c.origin["hash_key"] = name;
            return;
        }
    }
}

void validate_redaction(const config &c) {
    const std::string src = from(c, "redact");
    bool hashes = false;
    for (const auto &r : c.redact) {
        const std::string label = "redact rule " + quote(r.path) + src;
        if (std::string why = check_redact_path(r.path); !why.empty()) fail(label + ": " + why);
        if (r.action == redact_action::mask && !is_utf8(r.replacement))
            fail(label + ": the mask replacement is not valid UTF-8");
        if (r.action == redact_action::hash && !hashes) {
            hashes = true;
            // Only when something goes somewhere: a profile with tracking off needs no secret.
            if (c.hash_key.empty() && (!c.effective_destinations().empty() || (c.tracking && c.custom_destination)))
                fail(label + " hashes values but no secret is set: set " + hash_key_source(c));
        }
    }
    for (const auto &a : c.allow)
        if (std::string why = check_allow_path(a); !why.empty()) fail("allow" + from(c, "allow") + ": " + why);
    if (hashes && !c.hash_key.empty() && c.hash_key.size() < min_hash_key_bytes)
        fail("the hash secret" + from(c, "hash_key") + " must be at least " + std::to_string(min_hash_key_bytes) +
             " bytes, got " + std::to_string(c.hash_key.size()) + "; the value is not shown");
}

std::string describe_redaction(const config &c) {
    std::string out;
    if (!c.redact.empty()) {
        out += " redact=[";
        for (std::size_t i = 0; i < c.redact.size(); ++i)
            out += (i ? ", " : "") + c.redact[i].path + ":" + to_string(c.redact[i].action);
        out += "]";
    }
    if (!c.allow.empty()) {
        out += " allow=[";
        for (std::size_t i = 0; i < c.allow.size(); ++i) out += (i ? ", " : "") + c.allow[i];
        out += "]";
    }
    return out;
}

} // namespace seglog::detail::cfg
