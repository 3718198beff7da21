#include "settings.h"

#include <cstdlib>

namespace seglog::tools {

namespace {

// As the library reads a variable: trimmed, and blank counts as unset.
std::optional<std::string> getenv_trimmed(const std::string &name) {
    const char *v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    std::string s = v;
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return std::nullopt;
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

} // namespace

void settings_options::add_to(CLI::App &app) {
    app.add_option("--env", env, "the environment (profile of the config file), in place of SEGLOG_ENV")
        ->option_text("E");
    app.add_option("--config", file, "the JSON config file, in place of SEGLOG_CONFIG")->option_text("FILE");
    app.add_option("--host", host, "the collector's URL, over SEGMENT_HOST and the file")->option_text("URL");
}

seglog::config settings_options::load() const {
    // The overrides go through the variables they replace (each of which wins over the file), so
    // that the file's profile is the one --env names and validation sees the host in force.
    const auto read = [this](const std::string &name) -> std::optional<std::string> {
        if (name == "SEGLOG_ENV" && !env.empty()) return env;
        if (name == "SEGLOG_CONFIG" && !file.empty()) return file;
        if (name == "SEGMENT_HOST" && !host.empty()) return host;
        return getenv_trimmed(name);
    };
    config c = config::from_env(read, config{});
    if (!host.empty()) c.origin["host"] = "--host";
    if (!env.empty()) c.origin["environment"] = "--env";
    return c;
}

} // namespace seglog::tools
