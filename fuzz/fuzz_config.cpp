// fuzz_config: the JSON config file parser and the environment variables, through the same
// steps as config::from_file and config::from_env, with an injected environment.
//
// Input: the config file's text, optionally followed by a line "--env--" and then lines
// NAME=VALUE (the environment; "@env=NAME" picks the environment argument of from_file).
// Invariants (docs/hardening.md):
//   - only seglog::config_error escapes; anything else (nlohmann's exceptions,
//     std::out_of_range, std::invalid_argument from stoi, bad_alloc...) is a bug;
//   - every config_error message starts with "seglog config: ", is one line of valid UTF-8
//     (no control characters: file bytes are escaped) and never contains the write key;
//   - an accepted configuration is usable: describe() works and does not show the write key,
//     every duration can be added to the clocks' now() without overflowing, backoff() stays
//     within [0, backoff_cap] and classify() within the caps for any attempt number.

#include "common/text.h"
#include "config/config_detail.h"
#include "retry/retry_policy.h"

#include "fuzz_common.h"

#include <seglog/config.h>

#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using seglog_fuzz::show;
constexpr const char *target = "fuzz_config";
#define CHECK(cond, detail) FUZZ_CHECK(target, cond, detail)

struct input {
    std::string text;
    std::string environment;
    std::map<std::string, std::string> env;
};

input split(std::string_view data) {
    input in;
    static constexpr std::string_view marker = "\n--env--\n";
    const auto at = data.find(marker);
    in.text = std::string(data.substr(0, at));
    if (at == std::string_view::npos) return in;
    std::string_view rest = data.substr(at + marker.size());
    while (!rest.empty()) {
        const auto nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string name(line.substr(0, eq)), value(line.substr(eq + 1));
        if (name == "@env") in.environment = value;
        else in.env[name] = value;
    }
    return in;
}

// The write key must never be printed. A key of a few bytes, or one that is also plain
// input elsewhere (then a message may quote it for that reason), is not checked.
bool may_show(const input &in, const std::string &key) {
    if (key.size() < 6) return true;
    if (in.text.find(key) != std::string::npos || in.environment.find(key) != std::string::npos) return true;
    for (const auto &[n, v] : in.env) {
        if (n.find(key) != std::string::npos) return true;
        if (v.find(key) != std::string::npos && n != "SEGMENT_WRITE_KEY" && n.rfind("KEY_", 0) != 0) return true;
    }
    return false;
}

bool holds_key(const std::string &name) { return name == "SEGMENT_WRITE_KEY" || name.rfind("KEY_", 0) == 0; }

// The candidate write keys: every value the environment offers for one.
std::vector<std::string> secrets(const input &in) {
    std::vector<std::string> out;
    for (const auto &[n, v] : in.env)
        if (holds_key(n)) out.push_back(std::string(seglog::detail::trim(v)));
    return out;
}

// The same input with every key value replaced by '#'s of the same length: what the library
// prints for it is the message's fixed text, which may by chance contain a short key
// ("seglog config: " contains "config").
input with_keys_masked(const input &in) {
    input masked = in;
    for (auto &[n, v] : masked.env)
        if (holds_key(n)) v.assign(v.size(), '#');
    return masked;
}

std::size_t occurrences(const std::string &text, const std::string &s) {
    std::size_t n = 0;
    for (auto at = text.find(s); at != std::string::npos; at = text.find(s, at + 1)) ++n;
    return n;
}

void check_message(const std::string &message) {
    CHECK(message.rfind(seglog::detail::cfg::error_prefix, 0) == 0, show(message));
    CHECK(seglog_fuzz::valid_utf8(message), show(message));
    CHECK(!seglog_fuzz::has_control_char(message), show(message));
}

template <typename Duration>
void check_addable(const char *what, std::chrono::milliseconds d) {
    // now() + d in the clock's own units (nanoseconds) without signed overflow.
    using rep = typename Duration::rep;
    const auto now = std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch());
    const auto sys = std::chrono::duration_cast<Duration>(std::chrono::system_clock::now().time_since_epoch());
    const rep per_ms = std::chrono::duration_cast<Duration>(std::chrono::milliseconds(1)).count();
    const rep head = std::numeric_limits<rep>::max() - std::max(now.count(), sys.count());
    CHECK(d.count() >= 0 && d.count() <= head / per_ms,
          std::string(what) + " = " + std::to_string(d.count()) + " ms overflows the clocks");
}

void check_usable(const seglog::config &c) {
    check_addable<std::chrono::nanoseconds>("flush_interval", c.flush_interval);
    check_addable<std::chrono::nanoseconds>("block_timeout", c.block_timeout);
    check_addable<std::chrono::nanoseconds>("connect_timeout", c.connect_timeout);
    check_addable<std::chrono::nanoseconds>("request_timeout", c.request_timeout);
    check_addable<std::chrono::nanoseconds>("max_retry_time", c.max_retry_time);
    check_addable<std::chrono::nanoseconds>("backoff_cap", c.backoff_cap);
    check_addable<std::chrono::nanoseconds>("retry_after_cap", c.retry_after_cap);
    check_addable<std::chrono::nanoseconds>("retry_after_default", c.retry_after_default);
    check_addable<std::chrono::nanoseconds>("close_timeout", c.close_timeout);

    std::mt19937_64 rng(42);
    for (int n : {0, 1, 2, 10, 31, 62, 63, 64, 1000}) {
        const auto b = seglog::detail::backoff(n, c, rng);
        CHECK(b.count() >= 0 && b <= c.backoff_cap,
              "backoff(" + std::to_string(n) + ") = " + std::to_string(b.count()));
    }
    const auto d = seglog::detail::classify(429, std::nullopt, c);
    CHECK(d.wait.count() >= 0 && d.wait <= c.retry_after_cap, std::to_string(d.wait.count()));
}

enum class path { file, env };

// Runs one path of the configuration on the input and returns what it prints: the error
// message, or the startup line (describe()) of an accepted configuration.
std::string printed(const input &in, path p, bool check) {
    const seglog::config::env_reader read_env = [&in](const std::string &name) -> std::optional<std::string> {
        auto it = in.env.find(name);
        if (it == in.env.end()) return std::nullopt;
        return it->second;
    };
    namespace cfg = seglog::detail::cfg;
    try {
        seglog::config c;
        if (p == path::file) {
            // config::from_file, on the text (load_file = read_file + load_text).
            c = cfg::load_text(in.text, "fuzz.json", in.environment, "", seglog::config{});
            cfg::apply_write_key(c, read_env);
            c.validate();
        } else {
            c = seglog::config::from_env(read_env, seglog::config{});
        }
        if (check) check_usable(c);
        return c.describe();
    } catch (const seglog::config_error &e) {
        if (check) check_message(e.what());
        return e.what();
    }
}

void check_path(const input &in, path p) {
    const std::string out = printed(in, p, true);
    std::optional<std::string> fixed_text; // computed only when a key shows up
    for (const auto &s : secrets(in)) {
        if (may_show(in, s) || out.find(s) == std::string::npos) continue;
        if (!fixed_text) fixed_text = printed(with_keys_masked(in), p, false);
        CHECK(occurrences(out, s) <= occurrences(*fixed_text, s), "write key printed: " + show(out));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const input in = split(std::string_view(reinterpret_cast<const char *>(data), size));
    check_path(in, path::file);
    // config::from_env, the variables alone (SEGLOG_CONFIG would read a file: left out).
    if (!in.env.empty() && in.env.count("SEGLOG_CONFIG") == 0) check_path(in, path::env);
    return 0;
}
