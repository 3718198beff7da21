#pragma once
// Plugins: C++ code that sees every event a client or an attached logger tracks, and may change
// it (before, enrichment), drop it (before) or learn what became of it (after).
// docs/extending.md ("Plugins") says where each stage runs, on which thread, what it costs and
// what an exception does; include/seglog/plugins.h has the two that come with the library.
//
// Unlike the other seglog headers this one includes <nlohmann/json.hpp>: a plugin reads and
// changes the event as a nlohmann::ordered_json (the members in the order they are sent).
// config.h only declares the class, so code that does not write a plugin never parses it.

#include <seglog/error.h>
#include <seglog/event.h>
#include <seglog/export.h>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace seglog {

// One event as a plugin sees it: the JSON object that will be sent, after validation,
// redaction and the profile's and scope's context. Members a plugin adds are sent as they are
// (neither validated nor redacted again); the result is checked once more against
// max_event_bytes. Valid only during the plugin's call.
class SEGLOG_API event_view {
public:
    // `event` must be an object (seglog builds the view; tests may build one too).
    explicit event_view(nlohmann::ordered_json &event) noexcept : event_(event) {}

    // "track", "identify", ...: the event's "type".
    std::string_view type() const noexcept { return text("type"); }
    // The track event's "event", the page or screen's "name"; "" for the others (or none).
    std::string_view name() const noexcept;
    std::string_view message_id() const noexcept { return text("messageId"); }
    std::string_view user_id() const noexcept { return text("userId"); }
    std::string_view anonymous_id() const noexcept { return text("anonymousId"); }

    // Sets the member name() reads ("event" for a track, "name" otherwise).
    void set_name(std::string name);
    // An empty id removes the member. An event left with neither id is refused when the
    // plugins are done (missing_identity), as at the call.
    void set_user_id(std::string id) { set_or_erase("userId", std::move(id)); }
    void set_anonymous_id(std::string id) { set_or_erase("anonymousId", std::move(id)); }

    // The members a plugin usually changes, created as an empty object when absent. One
    // created here and still empty when the plugins are done is not sent, so reading
    // properties() of an identify adds nothing to it.
    nlohmann::ordered_json &properties() { return object("properties", 1); }
    nlohmann::ordered_json &traits() { return object("traits", 2); }
    nlohmann::ordered_json &context() { return object("context", 4); }
    nlohmann::ordered_json &integrations() { return object("integrations", 8); }
    // The whole event (timestamp, groupId, previousId, ...). The messageId must stay a string of
    // at most 100 bytes: it is the event's identity in the queue and at the collector.
    nlohmann::ordered_json &json() noexcept { return event_; }
    const nlohmann::ordered_json &json() const noexcept { return event_; }

    // Internal: the members properties() & co. created (bit 1, 2, 4, 8), for the cleanup.
    unsigned created() const noexcept { return created_; }

private:
    std::string_view text(const char *key) const noexcept;
    void set_or_erase(const char *key, std::string value);
    nlohmann::ordered_json &object(const char *key, unsigned bit);

    nlohmann::ordered_json &event_;
    unsigned created_ = 0;
};

// What a before plugin decides: keep the event (changed or not) or drop it, with a reason.
struct plugin_result {
    bool drop = false;
    std::string reason; // for a drop: in the error's message ("sampled out: 1 in 10 kept")

    static plugin_result keep() { return {}; }
    static plugin_result dropped(std::string why) { return {true, std::move(why)}; }
};

// What an after plugin sees for each event a client accepted, once, when it is settled.
struct delivery_result {
    std::string_view message_id;
    bool delivered = false; // acknowledged by the collector (2xx, or the custom destination)
    // When not delivered: failed (rejected, unauthorized, retries_exhausted, config_error),
    // evicted (queue_full) or returned by close() (undelivered_at_close).
    seglog::reason code = seglog::reason::rejected;
    int http_status = 0;         // the answer that settled it; 0 when none
    std::string_view message;    // the error's message when not delivered
    std::string_view event_type; // when known (failed batches of one event; never for delivered)
    std::string_view event_name; // idem
};

// A plugin. Override name(), stages() and the member functions of the stages it declares; give
// it to config::plugins (std::shared_ptr, shared by every client built from the config).
//
// Ordering: every before plugin in config::plugins order, then every enrichment plugin in that
// order; a drop ends the chain. before and enrich run on the thread that tracks the event (the
// caller of client::track & co. or of a SEGLOG_* macro), after on the client's callback thread
// ("seglog-notify"): a slow plugin slows its caller (or the callbacks), never delivery.
// They may run on several threads at once: a plugin must be thread-safe. An exception a plugin
// throws is caught and reported (reason::plugin_error, naming the plugin): the event goes on as
// it was before that plugin's call. A plugin must not track events itself (reentrant_call).
class SEGLOG_API plugin {
public:
    // Which member functions seglog calls (a bit mask): a plugin with no before or enrichment
    // stage costs the call nothing.
    enum stage : unsigned { before_stage = 1, enrichment_stage = 2, after_stage = 4 };

    virtual ~plugin() = default;
    // Named in errors and in config::describe().
    virtual std::string name() const = 0;
    virtual unsigned stages() const = 0;

    // May change the event or drop it (reason::plugin_dropped, counted, reported to on_error
    // with the plugin's name and `reason`; the call returns false).
    virtual plugin_result before(event_view &event);
    // May change the event; cannot drop it.
    virtual void enrich(event_view &event);
    // Each accepted event's outcome; runs after on_delivered / on_error for it.
    virtual void after(const delivery_result &result);
};

} // namespace seglog
