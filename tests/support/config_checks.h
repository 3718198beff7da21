#pragma once
// Shared by the config suites (tests/config_*_test.cpp): environments given as maps, the
// message of the config_error a call throws, and process environment variables set for one test.

#include "temp_files.h"

#include <doctest/doctest.h>

#include <seglog/config.h>

#include <stdlib.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace seglog_test {

using seglog::config;
using seglog::config_error;

// A distinctive key: its first 28 characters must never appear in any message.
inline const std::string planted_key = "PLANTEDkey9f2Qx7Lm4Zr8Tn1Vb6WXYZ";
inline const std::string planted_head = planted_key.substr(0, planted_key.size() - 4);

using env_map = std::map<std::string, std::string>;

inline config::env_reader reader(const env_map &env) {
    return [env](const std::string &name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
}

// The message of the config_error `f` throws, or "(no error)".
inline std::string error_of(const std::function<void()> &f) {
    try {
        f();
    } catch (const config_error &e) {
        return e.what();
    }
    return "(no error)";
}

// A base that validates anywhere: events to a file in `dir`, not to the current directory.
inline config base_in(const temp_dir &dir) {
    config c;
    c.default_file = dir / "events.jsonl";
    return c;
}

inline config from_env(const env_map &env, config base = {}) { return config::from_env(reader(env), std::move(base)); }

inline std::string env_error(const env_map &env, config base = {}) {
    return error_of([&] { from_env(env, std::move(base)); });
}

inline std::string validate_error(const config &c) {
    return error_of([&] { c.validate(); });
}

// Sets (or unsets) process environment variables for one test and restores them after.
struct env_guard {
    std::map<std::string, std::optional<std::string>> saved;
    void set(const std::string &name, const std::optional<std::string> &value) {
        if (!saved.count(name)) {
            const char *old = std::getenv(name.c_str());
            saved[name] = old ? std::optional<std::string>(old) : std::nullopt;
        }
        if (value) ::setenv(name.c_str(), value->c_str(), 1);
        else ::unsetenv(name.c_str());
    }
    ~env_guard() {
        for (auto &[name, value] : saved) {
            if (value) ::setenv(name.c_str(), value->c_str(), 1);
            else ::unsetenv(name.c_str());
        }
    }
};

inline const char *const all_vars[] = {"SEGLOG_CONFIG", "SEGMENT_WRITE_KEY", "SEGMENT_HOST",    "SEGLOG_ENV",
                                       "APP_ENV",       "ENVIRONMENT",       "SEGLOG_TRACKING", "SEGLOG_DESTINATION"};

} // namespace seglog_test
