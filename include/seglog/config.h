#pragma once
// Everything seglog can be told, from code, the environment or a JSON file
// (docs/configuration.md: every option, its file key, variable, default and bounds).
// Defaults are chosen for a server-side service.

#include <seglog/export.h>
#include <seglog/redaction.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace seglog {

class batch_destination; // <seglog/batch_destination.h>
class plugin;            // <seglog/plugin.h>

// Where events go. Several may be active at once (e.g. segment plus a file copy).
struct SEGLOG_API destination {
    // segment: the HTTP Tracking API (host + path, with the write key); file: a JSON-lines
    // file, one event per line; console: one readable line per event among the log lines;
    // off: nowhere (only valid alone).
    enum class kind { segment, file, console, off };
    kind type = kind::file; // which destination
    std::string path;       // for kind::file

    // The four destinations, as parse() would build them from "segment", "file:<p>",
    // "console" and "off". A relative file path is relative to the working directory.
    static destination segment() { return {kind::segment, {}}; }
    static destination file(std::string p) { return {kind::file, std::move(p)}; }
    static destination console() { return {kind::console, {}}; }
    static destination off() { return {kind::off, {}}; }
    // Parses "segment", "file:<path>", "console", "off"; throws config_error otherwise.
    // Surrounding blanks are ignored; "file:" needs a path. One destination, not a list.
    static destination parse(const std::string &text);
    // The text parse() reads: "segment", "file:<path>", "console" or "off".
    std::string to_string() const;
    bool operator==(const destination &o) const { return type == o.type && path == o.path; }
};

// What happens when the bounded queue is full (max_queue_events or max_queue_bytes reached).
// drop_newest: the new event is refused as queue_full. drop_oldest: the oldest events still
// in the queue are evicted (queue_full, counted in stats().evicted) to make room. block: the
// caller waits up to block_timeout for room, then the event is refused as queue_full.
enum class overflow_policy { drop_newest, drop_oldest, block };

// What happens to an event the tracking plan does not allow (config::plan_violations,
// docs/tracking-plan.md): allow sends it unchecked, warn sends it and reports the violation,
// drop reports it and never sends it.
enum class plan_mode { allow, warn, drop };

// When the durable spool (config::spool_dir) asks the kernel to write its pages to the disk.
// Every record is in the spool's shared file mapping the moment the call returns, so it
// survives the death of the process whatever this says; the policy is about power loss and
// kernel crashes. none: the kernel writes back when it likes (Linux: about 30 s). batch: the
// worker syncs the spool before sending each batch. interval: the worker syncs every `every`.
// docs/spool.md has the cost of each.
struct SEGLOG_API spool_sync_policy {
    enum class kind { none, batch, interval };
    kind type = kind::none;
    std::chrono::milliseconds every{0}; // for kind::interval, at least 1 ms

    // Parses "none", "batch" or an interval in milliseconds ("250"); throws config_error.
    static spool_sync_policy parse(const std::string &text);
    // The text parse() reads.
    std::string to_string() const;
    bool operator==(const spool_sync_policy &o) const { return type == o.type && every == o.every; }
};

// Thrown by config loading and by attach()/client construction for a wrong configuration.
// The message names the source (file or variable), the key and the bad value; never the write key.
// Also thrown by file_event_sink when its file cannot be opened, and by redactor for a
// malformed rule. docs/configuration.md lists the messages.
class SEGLOG_API config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The whole configuration: a plain value, copied freely. The comment of each field gives its
// variable and file key where they differ from the field's name; durations are given in the
// file in milliseconds, under the field's name plus "_ms" (flush_interval -> flush_interval_ms).
// Bounds are checked by validate(); docs/configuration.md has the table.
struct SEGLOG_API config {
    // --- environment and destinations
    std::string environment;               // SEGLOG_ENV (or APP_ENV, ENVIRONMENT); selects the file's profile
    bool tracking = true;                  // SEGLOG_TRACKING=on|off, overrides everything; off: no destination
    std::vector<destination> destinations; // empty: the default, a local JSON-lines file
                                           // (SEGLOG_DESTINATION; file key "destination")
    std::string default_file = "seglog-events.jsonl"; // the file used when no destination is set
    // Code only (docs/extending.md): a client built from this config sends its batches here
    // instead of Segment's API, with the same queue, batching, retries and accounting (no write
    // key needed); attach() adds it beside the destinations in force, and `destinations` empty
    // then means it alone (no default file). Not used while tracking is off.
    std::shared_ptr<batch_destination> custom_destination;

    // --- Segment endpoint
    std::string write_key;                       // SEGMENT_WRITE_KEY; never logged, refused in a file
    std::string write_key_env;                   // variable read before SEGMENT_WRITE_KEY (file: write_key_env)
    std::string host = "https://api.segment.io"; // SEGMENT_HOST; EU: https://events.eu1.segmentapis.com
    std::string path = "/v1/batch";              // appended to host; starts with "/"
    bool allow_http = false;                     // http:// for a non-loopback host (refused otherwise)

    // --- batching
    std::size_t flush_at = 500;                     // events per batch (at most max_batch_events)
    std::chrono::milliseconds flush_interval{1000}; // oldest event in a batch waits at most this
    std::size_t max_batch_bytes = 480 * 1024;       // real UTF-8 bytes of the request body (<= 500 KB)
    std::size_t max_batch_events = 2500;            // Segment's hard limit
    std::size_t max_event_bytes = 32 * 1024;        // Segment's per-event limit (event_too_large)

    // --- bounded queue: both bounds cover every event accepted and not yet settled
    std::size_t max_queue_events = 100000;
    std::size_t max_queue_bytes = 64u * 1024 * 1024;         // at least max_event_bytes
    overflow_policy overflow = overflow_policy::drop_newest; // "drop_newest", "drop_oldest" or "block"
    std::chrono::milliseconds block_timeout{100};            // for overflow_policy::block

    // --- transport
    std::chrono::milliseconds connect_timeout{5000};  // TCP and TLS connect
    std::chrono::milliseconds request_timeout{10000}; // one whole request
    std::size_t max_in_flight = 4;                    // concurrent requests on one worker
    // Added to the worker thread's nice value (0-19; 0 leaves it as is): a background worker
    // that wakes up must not preempt the threads that log. docs/performance.md has the figures.
    int worker_nice = 15;
    bool gzip = false;                 // Content-Encoding: gzip (some collectors refuse it)
    std::string proxy;                 // empty: libcurl's *_proxy environment variables
    std::string ca_bundle;             // PEM file to trust; empty: the system store
    bool insecure_skip_verify = false; // only with a loopback host

    // --- retries
    int max_attempts = 10;                                              // per batch, 429 with Retry-After not counted
    std::chrono::milliseconds max_retry_time{std::chrono::minutes(10)}; // from a batch's first attempt
    // Backoff before retry n (n = 0 first): min((1 + rand) * backoff_base * 2^n, backoff_cap).
    std::chrono::milliseconds backoff_base{500};
    std::chrono::milliseconds backoff_cap{std::chrono::seconds(60)};
    std::chrono::milliseconds retry_after_cap{std::chrono::seconds(300)};    // longest Retry-After honoured
    std::chrono::milliseconds retry_after_default{std::chrono::seconds(60)}; // 429 without Retry-After

    // --- shutdown
    std::chrono::milliseconds close_timeout{5000}; // used by destructors; 0 does not wait

    // --- privacy (docs/privacy.md): applied while serialising, before any destination
    std::vector<redact_rule> redact; // file: "redact"; code, defaults and profile add up
    std::vector<std::string> allow;  // non-empty: only these paths of properties/traits pass
    std::string hash_key_env;        // variable read before SEGLOG_HASH_KEY (file: hash_key_env)
    // The HMAC secret of hash rules, at least 16 bytes: SEGLOG_HASH_KEY (or hash_key_env's
    // variable), never from a file; never logged.
    std::string hash_key;

    // --- enrichment (docs/configuration.md): merged into every event while it is serialised.
    // Each object is JSON text (nlohmann: j.dump()), "" for none; validate() refuses text that
    // is not a JSON object. File keys "context" and "integrations" merge key by key over these.
    // Every event's context gets these members unless the call or an open scoped_context sets
    // the same key; "library" is refused (context.library is always seglog's).
    std::string context;
    // Every event's default integrations (which destinations Segment forwards it to); a key the
    // call sets wins, e.g. R"({"Mixpanel": false})".
    std::string integrations;
    // Health data (docs/privacy.md): an event that carries any of these key paths (redaction path
    // syntax: "properties.diagnosis", "traits.**.dob") is sent with exactly phi_integrations as
    // its integrations, e.g. R"({"All": false, "Amazon S3": true})". File: "phi": {"paths": [...],
    // "integrations": {...}}; paths add up (code, defaults, profile), integrations is replaced.
    std::vector<std::string> phi_paths;
    std::string phi_integrations; // required (a JSON object) when phi_paths is not empty

    // --- tracking plan (docs/tracking-plan.md, "Runtime checking"): every event is checked
    // against the plan on its way to a destination (the worker for Segment and custom
    // destinations, the writing thread for a file or the console).
    std::string tracking_plan;                   // SEGLOG_TRACKING_PLAN: a plan file; empty: no plan
    plan_mode plan_violations = plan_mode::warn; // SEGLOG_PLAN_VIOLATIONS: "allow", "warn" or "drop"

    // --- plugins (code only; include/seglog/plugin.h, docs/extending.md): before plugins may
    // change or drop each event, enrichment plugins change it, both on the thread that tracks
    // it; after plugins see each accepted event's outcome on the callback thread. None may be
    // null (validate() refuses it). Run in this order, before plugins first. Empty: the call
    // pays nothing for them.
    std::vector<std::shared_ptr<plugin>> plugins;

    // --- development
    bool echo_events_to_log = false; // demux also renders events as log lines

    // --- durable spool (docs/spool.md): every accepted event is kept in files under this
    // directory until it is settled, and recovered by the next client on the same directory.
    std::string spool_dir;                       // SEGLOG_SPOOL_DIR; empty: no spool
    std::size_t spool_max_bytes = 1024ull << 20; // files of the spool at most (1 GiB); full: overflow policy
    spool_sync_policy spool_sync;                // file key "spool_sync": "none", "batch" or ms

    // Where a value came from, by file key ("host" -> "SEGMENT_HOST"), so that validate()
    // can name it. Filled by from_env/from_file; values set in code have no entry.
    // Not an option: nothing reads it but the error messages.
    std::map<std::string, std::string> origin;

    // Reads one environment variable: nullopt when unset. Injectable for tests.
    // An empty or all-blank value counts as unset; values are trimmed.
    using env_reader = std::function<std::optional<std::string>(const std::string &name)>;

    // Reads SEGMENT_WRITE_KEY, SEGMENT_HOST, SEGLOG_ENV (APP_ENV, ENVIRONMENT), SEGLOG_TRACKING,
    // SEGLOG_DESTINATION, SEGLOG_CONFIG and applies them over `base` (code < file < environment).
    // Also SEGLOG_HASH_KEY (the HMAC secret of hash rules) and the variables named by
    // write_key_env and hash_key_env, which are read before SEGMENT_WRITE_KEY and
    // SEGLOG_HASH_KEY. SEGLOG_CONFIG names a JSON file whose profile for the environment is
    // applied as from_file() would; SEGLOG_TRACKING is applied last and overrides the rest.
    // Validates the result: throws config_error for a bad variable, file or combination.
    // The first form starts from config{}; the last reads variables through `read_env`
    // instead of the process environment.
    static config from_env();
    static config from_env(config base);
    static config from_env(const env_reader &read_env, config base);
    // Loads the profile for `environment` (or the configured one) from a JSON config file.
    // `environment` empty: the file's "default_environment", else base.environment; the name
    // must be one of the file's profiles. The file's "defaults" apply under the profile, both
    // over `base`. Reads no other variable than the two secrets' (below). Validates the result;
    // throws config_error naming the file, profile and key of a bad value.
    static config from_file(const std::string &path, const std::string &environment = {});
    static config from_file(const std::string &path, const std::string &environment, config base);
    // Same, reading the environment through `read_env`. Both from_file forms take the write key
    // from the variable named by write_key_env, else SEGMENT_WRITE_KEY (never from the file).
    // The hash secret likewise: hash_key_env's variable, else SEGLOG_HASH_KEY.
    static config from_file(const std::string &path, const std::string &environment, config base,
                            const env_reader &read_env);

    // Throws config_error when the configuration cannot work (docs/configuration.md lists each message).
    // Bounds of every option, host and path syntax, http:// and insecure_skip_verify only for
    // a loopback host, redaction paths; for the destinations in force only: the write key,
    // ca_bundle readable, the event file's directory writable, the hash secret.
    void validate() const;
    // Where events go, for the startup line; the write key masked.
    // e.g. `seglog: environment=production tracking=on destinations=[segment ...]`; redaction
    // rule paths and the allow-list are listed, never a secret.
    std::string describe() const;
    // The destinations in force: `destinations`, or the default file when none is set,
    // or none at all when tracking is off (or when the list is `off` alone).
    std::vector<destination> effective_destinations() const;
};

// "****wxyz" for secrets longer than 12 characters, "****" otherwise ("" for ""):
// at most the last 4 characters survive.
// What describe() and every message use to show the write key.
SEGLOG_API std::string mask_secret(const std::string &secret);

} // namespace seglog
