#pragma once
// The configuration in force for `seglog send`, `replay` and `doctor`: what a service would read
// (seglog::config::from_env(): SEGLOG_ENV, SEGLOG_CONFIG, SEGMENT_WRITE_KEY, SEGMENT_HOST, ...),
// with the options every such command takes to override it (--env, --config, --host).
#include <seglog/config.h>

#include <CLI/CLI.hpp>

#include <string>

namespace seglog::tools {

struct settings_options {
    std::string env;  // --env: the profile, in place of SEGLOG_ENV/APP_ENV/ENVIRONMENT
    std::string file; // --config: the config file, in place of SEGLOG_CONFIG
    std::string host; // --host: the collector, over SEGMENT_HOST and the file

    void add_to(CLI::App &app);
    // from_env() through these overrides, validated. Throws config_error.
    seglog::config load() const;
};

} // namespace seglog::tools
