#pragma once
// Everything seglog can be told, from code, the environment or a JSON file (see README,
// "Configuration"). Defaults are chosen for a server-side service.

#include <seglog/export.h>
#include <seglog/redaction.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace seglog {

// Where events go. Several may be active at once (e.g. segment plus a file copy).
struct SEGLOG_API destination {
    enum class kind { segment, file, console, off };
    kind type = kind::file;
    std::string path; // for kind::file

    static destination segment() { return {kind::segment, {}}; }
    static destination file(std::string p) { return {kind::file, std::move(p)}; }
    static destination console() { return {kind::console, {}}; }
    static destination off() { return {kind::off, {}}; }
    // Parses "segment", "file:<path>", "console", "off"; throws config_error otherwise.
    static destination parse(const std::string &text);
    std::string to_string() const;
    bool operator==(const destination &o) const { return type == o.type && path == o.path; }
};

// What happens when the bounded queue is full.
enum class overflow_policy { drop_newest, drop_oldest, block };

// Thrown by config loading and by attach()/client construction for a wrong configuration.
// The message names the source (file or variable), the key and the bad value; never the write key.
class SEGLOG_API config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct SEGLOG_API config {
    // --- environment and destinations
    std::string environment;                 // SEGLOG_ENV (or APP_ENV, ENVIRONMENT)
    bool tracking = true;                    // SEGLOG_TRACKING=on|off, overrides everything
    std::vector<destination> destinations;   // empty: the default, a local JSON-lines file
    std::string default_file = "seglog-events.jsonl";

    // --- Segment endpoint
    std::string write_key;                   // SEGMENT_WRITE_KEY; never logged
    std::string write_key_env;               // variable read before SEGMENT_WRITE_KEY (file: write_key_env)
    std::string host = "https://api.segment.io"; // SEGMENT_HOST; EU: https://events.eu1.segmentapis.com
    std::string path = "/v1/batch";
    bool allow_http = false;                 // http:// for a non-loopback host (refused otherwise)

    // --- batching
    std::size_t flush_at = 500;                          // events per batch
    std::chrono::milliseconds flush_interval{1000};      // oldest event in a batch waits at most this
    std::size_t max_batch_bytes = 480 * 1024;            // real UTF-8 bytes of the request body
    std::size_t max_batch_events = 2500;                 // Segment's hard limit
    std::size_t max_event_bytes = 32 * 1024;             // Segment's per-event limit

    // --- bounded queue
    std::size_t max_queue_events = 100000;
    std::size_t max_queue_bytes = 64u * 1024 * 1024;
    overflow_policy overflow = overflow_policy::drop_newest;
    std::chrono::milliseconds block_timeout{100};        // for overflow_policy::block

    // --- transport
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds request_timeout{10000};
    std::size_t max_in_flight = 4;                       // concurrent requests on one worker
    // Added to the worker thread's nice value (0-19; 0 leaves it as is): a background worker
    // that wakes up must not preempt the threads that log. docs/performance.md has the figures.
    int worker_nice = 15;
    bool gzip = false;
    std::string proxy;                                   // empty: libcurl's *_proxy environment variables
    std::string ca_bundle;                               // empty: the system store
    bool insecure_skip_verify = false;                   // only with a loopback host

    // --- retries
    int max_attempts = 10;                               // per batch, 429 with Retry-After not counted
    std::chrono::milliseconds max_retry_time{std::chrono::minutes(10)};
    std::chrono::milliseconds backoff_base{500};
    std::chrono::milliseconds backoff_cap{std::chrono::seconds(60)};
    std::chrono::milliseconds retry_after_cap{std::chrono::seconds(300)};
    std::chrono::milliseconds retry_after_default{std::chrono::seconds(60)}; // 429 without Retry-After

    // --- shutdown
    std::chrono::milliseconds close_timeout{5000};       // used by destructors

    // --- privacy (docs/privacy.md): applied while serialising, before any destination
    std::vector<redact_rule> redact;                     // file: "redact"; code, defaults and profile add up
    std::vector<std::string> allow;                      // non-empty: only these paths of properties/traits pass
    std::string hash_key_env;                            // variable read before SEGLOG_HASH_KEY (file: hash_key_env)
    std::string hash_key;                                // HMAC secret for hash rules, from the environment; never logged

    // --- development
    bool echo_events_to_log = false;                     // demux also renders events as log lines

    // Where a value came from, by file key ("host" -> "SEGMENT_HOST"), so that validate()
    // can name it. Filled by from_env/from_file; values set in code have no entry.
    std::map<std::string, std::string> origin;

    // Reads one environment variable: nullopt when unset. Injectable for tests.
    using env_reader = std::function<std::optional<std::string>(const std::string &name)>;

    // Reads SEGMENT_WRITE_KEY, SEGMENT_HOST, SEGLOG_ENV (APP_ENV, ENVIRONMENT), SEGLOG_TRACKING,
    // SEGLOG_DESTINATION, SEGLOG_CONFIG and applies them over `base` (code < file < environment).
    static config from_env();
    static config from_env(config base);
    static config from_env(const env_reader &read_env, config base);
    // Loads the profile for `environment` (or the configured one) from a JSON config file.
    static config from_file(const std::string &path, const std::string &environment = {});
    static config from_file(const std::string &path, const std::string &environment, config base);
    // Same, reading the environment through `read_env`. Both from_file forms take the write key
    // from the variable named by write_key_env, else SEGMENT_WRITE_KEY (never from the file).
    static config from_file(const std::string &path, const std::string &environment,
                            config base, const env_reader &read_env);

    // Throws config_error when the configuration cannot work (docs/configuration.md lists each message).
    void validate() const;
    // Where events go, for the startup line; the write key masked.
    std::string describe() const;
    // The destinations in force: `destinations`, or the default file when none is set,
    // or none at all when tracking is off.
    std::vector<destination> effective_destinations() const;
};

// "****wxyz" for secrets longer than 12 characters, "****" otherwise ("" for ""):
// at most the last 4 characters survive.
SEGLOG_API std::string mask_secret(const std::string &secret);

} // namespace seglog
