// config::validate and effective_destinations: refuse, at startup and with a message that
// names the option and where it came from, a configuration that cannot work.
// Messages never contain the write key.

#include "config_detail.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace seglog {
namespace detail::cfg {
namespace {

constexpr std::size_t segment_max_batch_events = 2500;
constexpr std::size_t segment_max_batch_bytes = 500 * 1024;
constexpr std::size_t segment_max_event_bytes = 32 * 1024;

struct host_parts {
    std::string scheme; // lower case: "http" or "https"
    std::string name;   // lower case; IPv6 with its brackets
};

bool all_of(const std::string &s, bool (*ok)(unsigned char)) {
    for (unsigned char ch : s)
        if (!ok(ch)) return false;
    return true;
}

// Parses "<scheme>://<name>[:port]"; fails with a message naming the host otherwise.
host_parts parse_host(const config &c) {
    const std::string &h = c.host;
    const std::string label = "host " + quote(h) + from(c, "host");
    host_parts out;
    auto sep = h.find("://");
    if (sep != std::string::npos) out.scheme = lower(h.substr(0, sep));
    if (out.scheme != "http" && out.scheme != "https") fail(label + " must start with http:// or https://");
    std::string rest = h.substr(sep + 3);
    auto end = rest.find_first_of("/?#");
    if (end != std::string::npos)
        fail(label + " must not contain a path, query or fragment; set the path separately "
                     "(path, default \"/v1/batch\")");
    if (rest.find('@') != std::string::npos)
        fail("host" + from(c, "host") + " must not contain credentials (user:password@); the value is not shown");

    std::string port;
    if (!rest.empty() && rest[0] == '[') {
        auto close = rest.find(']');
        if (close == std::string::npos) fail(label + " has an invalid host name");
        out.name = rest.substr(0, close + 1);
        std::string inside = rest.substr(1, close - 1);
        if (inside.empty() ||
            !all_of(inside, [](unsigned char ch) { return std::isxdigit(ch) || ch == ':' || ch == '.'; }))
            fail(label + " has an invalid host name");
        std::string after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') fail(label + " has an invalid host name");
            port = after.substr(1);
            if (port.empty()) fail(label + " has an invalid port");
        }
    } else {
        auto colon = rest.rfind(':');
        out.name = rest.substr(0, colon);
        if (colon != std::string::npos) {
            port = rest.substr(colon + 1);
            if (port.empty()) fail(label + " has an invalid port");
        }
        if (out.name.empty()) fail(label + " has no host name");
        if (!all_of(out.name, [](unsigned char ch) { return std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_'; }))
            fail(label + " has an invalid host name");
    }
    if (!port.empty()) {
        if (port.size() > 5 || !all_of(port, [](unsigned char ch) { return std::isdigit(ch) != 0; }) ||
            std::stoi(port) < 1 || std::stoi(port) > 65535)
            fail(label + " has an invalid port");
    }
    out.name = lower(out.name);
    return out;
}

// 127.0.0.0/8 (dotted quad), localhost, [::1]: the hosts where plain http and a skipped
// certificate check cannot leak anything off the machine.
bool is_loopback(const std::string &name) {
    if (name == "localhost" || name == "[::1]") return true;
    int parts = 0, first = -1;
    std::size_t i = 0;
    while (i <= name.size()) {
        auto dot = name.find('.', i);
        std::string p = name.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
        if (p.empty() || p.size() > 3 || !all_of(p, [](unsigned char ch) { return std::isdigit(ch) != 0; }))
            return false;
        int v = std::stoi(p);
        if (v > 255) return false;
        if (parts == 0) first = v;
        ++parts;
        if (dot == std::string::npos) break;
        i = dot + 1;
    }
    return parts == 4 && first == 127;
}

void check_file(const std::string &path, const std::string &label) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) fail(label + ": " + quote(path) + " is a directory");
        if (::access(path.c_str(), W_OK) != 0)
            fail(label + ": the file is not writable (" + std::strerror(errno) + ")");
        return;
    }
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    if (::stat(dir.c_str(), &st) != 0) fail(label + ": directory " + quote(dir) + " does not exist");
    if (!S_ISDIR(st.st_mode)) fail(label + ": " + quote(dir) + " is not a directory");
    if (::access(dir.c_str(), W_OK | X_OK) != 0) fail(label + ": directory " + quote(dir) + " is not writable");
}

template <typename T>
std::string num(T v) {
    return std::to_string(v);
} // size_t printed as size_t

} // namespace
} // namespace detail::cfg

std::vector<destination> config::effective_destinations() const {
    if (!tracking) return {};
    if (destinations.empty()) {
        if (custom_destination) return {};
        return {destination::file(default_file)};
    }
    std::vector<destination> out;
    for (const auto &d : destinations)
        if (d.type != destination::kind::off) out.push_back(d);
    return out;
}

namespace detail::cfg {
namespace {

// Every integer option against its lower and upper bounds (the file loader already checked its own).
void check_bounds(const config &c) {
    for (const auto &k : key_table())
        if (k.get && k.get(c) < k.min)
            fail(k.name + from(c, k.name) + " must be at least " + num(k.min) + ", got " + num(k.get(c)));
        else if (k.get && k.get(c) > k.max)
            fail(k.name + from(c, k.name) + " must be at most " + num(k.max) + ", got " + num(k.get(c)));
}

// Segment's limits, and the options that must agree with each other.
void check_limits(const config &c) {
    if (c.max_batch_events > segment_max_batch_events)
        fail("max_batch_events" + from(c, "max_batch_events") +
             " must be at most 2500 (Segment's limit per batch), got " + num(c.max_batch_events));
    if (c.max_batch_bytes > segment_max_batch_bytes)
        fail("max_batch_bytes" + from(c, "max_batch_bytes") +
             " must be at most 512000 (500 KB, Segment's limit per batch), got " + num(c.max_batch_bytes));
    if (c.max_event_bytes > segment_max_event_bytes)
        fail("max_event_bytes" + from(c, "max_event_bytes") +
             " must be at most 32768 (32 KB, Segment's limit per event), got " + num(c.max_event_bytes));
    if (c.flush_at > c.max_batch_events)
        fail("flush_at (" + num(c.flush_at) + ") must not exceed max_batch_events (" + num(c.max_batch_events) + ")");
    if (c.max_event_bytes > c.max_batch_bytes)
        fail("max_event_bytes (" + num(c.max_event_bytes) + ") must not exceed max_batch_bytes (" +
             num(c.max_batch_bytes) + ")");
    if (c.max_queue_bytes < c.max_event_bytes)
        fail("max_queue_bytes (" + num(c.max_queue_bytes) + ") must be at least max_event_bytes (" +
             num(c.max_event_bytes) + ")");
    if (c.spool_sync.type == spool_sync_policy::kind::interval &&
        (c.spool_sync.every.count() < 1 || c.spool_sync.every.count() > max_duration_ms))
        fail("spool_sync" + from(c, "spool_sync") + " interval must be 1 to " + num(max_duration_ms) + " ms, got " +
             num(c.spool_sync.every.count()));
    if (!c.spool_dir.empty() && trim(c.spool_dir).empty())
        fail("spool_dir" + from(c, "spool_dir") + " must not be blank");
    if (c.backoff_base > c.backoff_cap)
        fail("backoff_base_ms (" + num(c.backoff_base.count()) + ") must not exceed backoff_cap_ms (" +
             num(c.backoff_cap.count()) + ")");
}

// Destinations as written.
void check_destinations(const config &c) {
    for (const auto &d : c.destinations) {
        if (d.type == destination::kind::off && c.destinations.size() > 1)
            fail("destination \"off\"" + from(c, "destination") + " cannot be combined with other destinations");
        if (d.type == destination::kind::file && trim(d.path).empty())
            fail("destination \"file:\"" + from(c, "destination") + " needs a path");
    }
}

// The endpoint, whatever the destination: a wrong value is a mistake either way.
void check_endpoint(const config &c) {
    host_parts h = parse_host(c);
    if (c.path.empty() || c.path[0] != '/') fail("path " + quote(c.path) + from(c, "path") + " must start with \"/\"");
    bool loopback = is_loopback(h.name);
    if (h.scheme == "http" && !loopback && !c.allow_http)
        fail("host " + quote(c.host) + from(c, "host") +
             " uses http:// with a host that is not loopback; use https:// or set allow_http");
    if (c.insecure_skip_verify && !loopback)
        fail("insecure_skip_verify" + from(c, "insecure_skip_verify") +
             " is only allowed with a loopback host (127.0.0.0/8, localhost, [::1]), not " + quote(c.host) +
             from(c, "host"));
}

// What a destination in force needs: a write key and a readable CA bundle, or a writable file.
void check_in_force(const config &c, const destination &d) {
    if (d.type == destination::kind::segment) {
        if (c.write_key.empty())
            fail("destination \"segment\"" + from(c, "destination") + " needs a write key: set " +
                 (c.write_key_env.empty() ? "" : c.write_key_env + " (named by write_key_env) or ") +
                 "SEGMENT_WRITE_KEY");
        if (!c.ca_bundle.empty() && ::access(c.ca_bundle.c_str(), R_OK) != 0)
            fail("ca_bundle " + quote(c.ca_bundle) + from(c, "ca_bundle") + " cannot be read (" + std::strerror(errno) +
                 ")");
    } else if (d.type == destination::kind::file) {
        bool is_default = c.destinations.empty();
        if (is_default && trim(c.default_file).empty())
            fail("default_file" + from(c, "default_file") + " must not be empty");
        std::string src = from(c, "destination");
        if (is_default) {
            auto o = c.origin.find("default_file");
            src = " (default_file" + (o == c.origin.end() ? std::string() : ", from " + o->second) + ")";
        }
        check_file(d.path, "destination " + quote(d.to_string()) + src);
    }
}

} // namespace
} // namespace detail::cfg

void config::validate() const {
    using namespace detail::cfg;
    check_bounds(*this);
    check_limits(*this);
    check_destinations(*this);
    validate_redaction(*this);
    validate_enrichment(*this);
    validate_plan(*this);
    check_endpoint(*this);
    for (std::size_t i = 0; i < plugins.size(); ++i)
        if (!plugins[i]) throw config_error("plugins[" + std::to_string(i) + "] is null: give each a plugin object");
    for (const auto &d : effective_destinations()) check_in_force(*this, d);
}

} // namespace seglog
