#pragma once
// Internals of seglog::config shared by the files in src/config/. Nothing here is public.

#include <seglog/config.h>

#include "common/text.h" // trim, quote

#include <nlohmann/json.hpp>

#include <climits>
#include <functional>
#include <string>
#include <vector>

namespace seglog::detail::cfg {

// Every config_error message starts with this, so a log search finds them all.
inline constexpr const char *error_prefix = "seglog config: ";

[[noreturn]] void fail(const std::string &message); // throws config_error(error_prefix + message)

std::string lower(std::string s);

// " (from X)" when `key` has an origin in `c`, "" otherwise.
std::string from(const config &c, const std::string &key);

// The reason a destination text is wrong, or "" when it parses (then `out` is set).
std::string parse_destination(const std::string &raw, destination &out);
// "a,b,c" with each item a destination; `where` names the source in the error.
std::vector<destination> parse_destination_list(const std::string &text, const std::string &where);

// The closest of `candidates` to `word` when close enough to be a likely typo, else "".
std::string closest(const std::string &word, const std::vector<std::string> &candidates);

// Reads the JSON file and applies `defaults` and the selected profile over `base`; no
// validation. `environment`: the explicit choice ("" to use the file's default_environment,
// then base.environment); `environment_origin` names where that choice came from.
config load_file(const std::string &path, const std::string &environment, const std::string &environment_origin,
                 const std::string &path_origin, config base);
// The same on the file's text, already read; `path` only names the source in messages.
// (Also the entry point of fuzz/fuzz_config.cpp.)
config load_text(const std::string &text, const std::string &path, const std::string &environment,
                 const std::string &environment_origin, config base);

// The write key from the variable named by write_key_env, else SEGMENT_WRITE_KEY; leaves
// c.write_key (set in code) unchanged when neither is set.
void apply_write_key(config &c, const config::env_reader &read_env);

config::env_reader process_env_reader();

// Privacy options (redaction_keys.cpp): file keys, the HMAC secret from the
// environment (hash_key_env, else SEGLOG_HASH_KEY), checks and the startup line's part.
void apply_redact(config &c, const nlohmann::json &v, const std::string &where);
void apply_allow(config &c, const nlohmann::json &v, const std::string &where);
void apply_hash_key_env(config &c, const nlohmann::json &v, const std::string &where);
void apply_hash_key(config &c, const config::env_reader &read_env);
void validate_redaction(const config &c);
std::string describe_redaction(const config &c);

// Enrichment options (enrichment_keys.cpp): file keys context, integrations and phi (each
// merged over what code set), their checks and the startup line's part.
void apply_context(config &c, const nlohmann::json &v, const std::string &where);
void apply_integrations(config &c, const nlohmann::json &v, const std::string &where);
void apply_phi(config &c, const nlohmann::json &v, const std::string &where);
void validate_enrichment(const config &c);
std::string describe_enrichment(const config &c);

// Tracking-plan options (plan_keys.cpp): plan_violations from text (variable or file key),
// the plan loaded and its health-data marks checked by validate(), the startup line's part.
plan_mode parse_plan_mode(const std::string &text, const std::string &where);
void apply_plan_violations(config &c, const nlohmann::json &v, const std::string &where);
void validate_plan(const config &c);
std::string describe_plan(const config &c);

// One option of a profile in the JSON file. The table (key_table(), from_file.cpp) is the
// single list of file keys: adding an option is one line there.
struct key_spec {
    std::string name;
    // Sets the option from the JSON value; `where` is "<file>, profile \"p\", key \"k\"".
    std::function<void(config &, const nlohmann::json &, const std::string &where)> apply;
    // Integer options only: the lower bound, and a reader so validate() checks code-set values.
    long long min = 0;
    std::function<long long(const config &)> get;
    // ... and the upper bound (durations: max_duration_ms, so deadlines never overflow a clock).
    long long max = LLONG_MAX;
};
// 365 days: the largest duration option. A deadline is now() + duration in the clock's
// nanoseconds, so an unbounded value would overflow steady_clock (undefined behaviour).
inline constexpr long long max_duration_ms = 365LL * 24 * 3600 * 1000;
const std::vector<key_spec> &key_table();

// "string \"500\"", "number 1.5", "null": a value's type, then the value cut short (valid UTF-8).
std::string show(const nlohmann::json &v);

} // namespace seglog::detail::cfg
