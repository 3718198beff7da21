// `seglog doctor`: the configuration in force, each setting with where it came from, and checks
// that it works: files writable, the spool usable, the collector reachable and the write key
// accepted, without sending any event (docs/tools.md, "How doctor checks the write key").
#include "cli.h"
#include "commands.h"
#include "settings.h"

#include "common/timestamp.h"
#include "transport/http_transport.h"

#include <seglog/config.h>
#include <seglog/version.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace seglog::tools {

namespace {

struct check {
    bool ok = false;
    std::string what;
};

std::string origin_of(const seglog::config &c, const std::string &key) {
    auto it = c.origin.find(key);
    return it == c.origin.end() ? "default" : it->second;
}

void print_settings(const seglog::config &c) {
    std::string dests;
    for (const auto &d : c.effective_destinations()) dests += (dests.empty() ? "" : ", ") + d.to_string();
    if (dests.empty()) dests = "(none)";
    const std::string ms = "ms";
    const std::vector<std::array<std::string, 3>> rows = {
        {"environment", c.environment.empty() ? "(unset)" : c.environment, origin_of(c, "environment")},
        {"tracking", c.tracking ? "on" : "off", origin_of(c, "tracking")},
        {"destinations", dests, c.destinations.empty() ? "default" : origin_of(c, "destination")},
        {"write_key", c.write_key.empty() ? "(not set)" : mask_secret(c.write_key), origin_of(c, "write_key")},
        {"host", c.host, origin_of(c, "host")},
        {"path", c.path, origin_of(c, "path")},
        {"gzip", c.gzip ? "on" : "off", origin_of(c, "gzip")},
        {"flush_at", std::to_string(c.flush_at), origin_of(c, "flush_at")},
        {"flush_interval", std::to_string(c.flush_interval.count()) + ms, origin_of(c, "flush_interval_ms")},
        {"spool_dir", c.spool_dir.empty() ? "(none)" : c.spool_dir, origin_of(c, "spool_dir")},
        {"hash_key", c.hash_key.empty() ? "(not set)" : "(set)", origin_of(c, "hash_key")},
    };
    std::printf("settings:\n");
    for (const auto &r : rows) std::printf("  %-15s %-40s from %s\n", r[0].c_str(), r[1].c_str(), r[2].c_str());
}

// A file the file destination appends to: writable if it exists, else its directory must be.
check file_check(const std::string &path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const bool exists = fs::exists(path, ec);
    std::string dir = fs::path(path).parent_path().string();
    if (dir.empty()) dir = ".";
    const std::string target = exists ? path : dir;
    if (::access(target.c_str(), W_OK | (exists ? 0 : X_OK)) != 0)
        return {false, "file " + path + ": " + (exists ? "" : "directory " + dir + " ") +
                           "not writable: " + std::strerror(errno)};
    return {true, "file " + path + " writable"};
}

// The spool directory: creatable or writable, and its lock free (no client holds it now).
check spool_check(const std::string &dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
        std::string parent = fs::path(dir).parent_path().string();
        if (parent.empty()) parent = ".";
        while (!fs::exists(parent, ec) && fs::path(parent).has_parent_path() && parent != "/")
            parent = fs::path(parent).parent_path().string();
        if (::access(parent.c_str(), W_OK | X_OK) != 0)
            return {false, "spool " + dir + ": cannot be created: " + parent + ": " + std::strerror(errno)};
        return {true, "spool " + dir + " does not exist yet; it can be created"};
    }
    if (!fs::is_directory(dir, ec)) return {false, "spool " + dir + ": not a directory"};
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        return {false, "spool " + dir + ": not writable: " + std::strerror(errno)};
    const std::string lock = dir + "/LOCK";
    const int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {true, "spool " + dir + " writable, not in use"};
    std::string holder;
    const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    if (held) {
        char pid[32] = {};
        const ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
        holder.assign(pid, n > 0 ? static_cast<std::size_t>(n) : 0);
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    }
    ::close(fd); // gives the lock back at once
    if (held) return {false, "spool " + dir + ": in use by pid " + (holder.empty() ? "(unknown)" : holder)};
    return {true, "spool " + dir + " writable, not in use"};
}

// An empty batch to the collector: it creates no data, and the answer tells a refused key (401,
// 403) from an accepted one (Segment: 400 for the empty batch; a collector that takes it: 2xx).
std::vector<check> collector_checks(const seglog::config &c) {
    detail::transport_options t;
    t.url = c.host + c.path;
    t.write_key = c.write_key;
    t.user_agent = std::string("seglog/") + seglog::version + " doctor";
    t.connect_timeout = c.connect_timeout;
    t.request_timeout = c.request_timeout;
    t.max_in_flight = 1;
    t.proxy = c.proxy;
    t.ca_bundle = c.ca_bundle;
    t.insecure_skip_verify = c.insecure_skip_verify;
    detail::http_transport transport(t);
    detail::http_request req;
    req.id = 1;
    req.body = R"({"batch":[],"sentAt":")" + detail::iso8601(std::chrono::system_clock::now()) + "\"}";
    transport.send(std::move(req));
    const auto deadline = std::chrono::steady_clock::now() + c.request_timeout + c.connect_timeout;
    std::vector<detail::http_response> done;
    while (done.empty() && std::chrono::steady_clock::now() < deadline)
        done = transport.poll(std::chrono::milliseconds(100));
    if (done.empty()) return {{false, "collector " + t.url + ": no answer within the timeouts"}};
    const auto &r = done.front();
    if (r.status == 0) return {{false, "collector " + t.url + ": unreachable: " + r.network_error}};
    std::vector<check> out{{true, "collector " + t.url + " reachable (answered " + std::to_string(r.status) + ")"}};
    const std::string key = "write key " + mask_secret(c.write_key);
    if (r.status == 401 || r.status == 403)
        out.push_back({false, key + ": refused by the collector (" + std::to_string(r.status) + ")"});
    else if (r.status == 400 || (r.status >= 200 && r.status < 300))
        out.push_back({true, key + " accepted (" + std::to_string(r.status) + " to an empty batch)"});
    else
        out.push_back({false, key + ": cannot tell, the collector answered " + std::to_string(r.status) +
                                  " to an empty batch (expected 400 or 2xx, or 401 for a refused key)"});
    return out;
}

} // namespace

int doctor_main(int argc, char **argv) {
    CLI::App app("Prints the configuration in force (as seglog::config::from_env() reads it; the write key\n"
                 "masked, never a secret) and where each setting came from, then checks it: file\n"
                 "destinations writable, the spool usable, the collector reachable and the write key\n"
                 "accepted (with an empty batch: no event is sent).",
                 "seglog doctor");
    app.footer("Exit status: 0 every check passed; 1 some failed (one FAIL line each); 2 wrong arguments.");
    settings_options settings;
    settings.add_to(app);
    if (int status = parse(app, argc, argv); status >= 0) return status;

    seglog::config c;
    try {
        c = settings.load();
    } catch (const seglog::config_error &e) {
        std::printf("FAIL  configuration: %s\n", e.what());
        return 1;
    }
    std::printf("%s\n", c.describe().c_str());
    print_settings(c);

    std::vector<check> checks{{true, "configuration valid"}};
    bool segment = false;
    for (const auto &d : c.effective_destinations()) {
        if (d.type == destination::kind::file) checks.push_back(file_check(d.path));
        if (d.type == destination::kind::segment) segment = true;
    }
    if (!c.spool_dir.empty()) checks.push_back(spool_check(c.spool_dir));
    if (segment)
        for (auto &k : collector_checks(c)) checks.push_back(std::move(k));
    std::printf("checks:\n");
    bool ok = true;
    for (const auto &k : checks) {
        std::printf("%s  %s\n", k.ok ? "ok  " : "FAIL", k.what.c_str());
        ok = ok && k.ok;
    }
    return ok ? 0 : 1;
}

} // namespace seglog::tools
