#include "event/serialize.h"

#include "common/inline.h"
#include "common/timestamp.h"
#include "event/enrichment.h"
#include "event/json_writer.h"
#include "event/message_id.h"
#include "event/redact_writer.h"

#include <seglog/version.h>

namespace seglog {

bool properties::empty() const noexcept { return json_ ? json_->empty() : list_.size() == 0; }

namespace detail {

namespace {

// The innermost scoped_context open on this thread. Defined here, beside its one hot read.
thread_local const scoped_context *innermost_scope = nullptr;

// Written once per event: the library context Segment expects from a server-side source; the
// usual record ends with it, then an empty integrations object.
#define SEGLOG_LIBRARY_CONTEXT "\"library\":{\"name\":\"seglog\",\"version\":\"" SEGLOG_VERSION_STRING "\"}"
constexpr std::string_view library_context = SEGLOG_LIBRARY_CONTEXT;
constexpr char default_tail[] = ",\"context\":{" SEGLOG_LIBRARY_CONTEXT "},\"integrations\":{}}";
#undef SEGLOG_LIBRARY_CONTEXT

// ","type":"<type>","timestamp":" (a literal whose length is known: a few moves).
char *put_type_field(char *q, event_type t) {
    switch (t) {
    case event_type::track: return put_literal(q, "\",\"type\":\"track\",\"timestamp\":\"");
    case event_type::identify: return put_literal(q, "\",\"type\":\"identify\",\"timestamp\":\"");
    case event_type::page: return put_literal(q, "\",\"type\":\"page\",\"timestamp\":\"");
    case event_type::screen: return put_literal(q, "\",\"type\":\"screen\",\"timestamp\":\"");
    case event_type::group: return put_literal(q, "\",\"type\":\"group\",\"timestamp\":\"");
    case event_type::alias: return put_literal(q, "\",\"type\":\"alias\",\"timestamp\":\"");
    }
    return q;
}
// {"messageId":"<id>","type":"<type>","timestamp":"<time>" fits in this.
constexpr std::size_t head_room = 128;

error make_error(const event_fields &f, seglog::reason code, std::string message) {
    error e{code, std::move(message), to_string(f.type), {}, {}, 0};
    if (f.type == event_type::track || f.type == event_type::page || f.type == event_type::screen) {
        // An event name that is not UTF-8 must not be copied into logs.
        std::string probe;
        if (append_json_string(probe, f.name)) e.event_name.assign(f.name);
    }
    return e;
}

std::string describe_failure(const event_fields &f, const write_failure &w) {
    std::string what = std::string(to_string(f.type));
    if (f.type == event_type::track) what += " event";
    switch (w.code) {
    case seglog::reason::invalid_utf8: return what + " rejected: " + w.key + " is not valid UTF-8";
    case seglog::reason::non_finite_number:
        return what + " rejected: " + w.key + " is NaN or infinite, which JSON cannot carry";
    case seglog::reason::too_deep:
        return what + " rejected: " + w.key + " nests deeper than " + std::to_string(max_json_depth) + " levels";
    case seglog::reason::not_an_object: return what + " rejected: " + w.key + " must be a JSON object";
    case seglog::reason::too_many_keys:
        if (w.size == max_total_keys)
            return what + " rejected: the event has more than " + std::to_string(max_total_keys) + " keys in all (at " +
                   w.key + ")";
        return what + " rejected: " + w.key + " has more than " + std::to_string(max_object_keys) + " keys";
    case seglog::reason::event_too_large:
        if (w.size) // one string alone, refused before it was copied
            return what + " rejected: " + w.key + " is a " + std::to_string(w.size) + "-byte string, over the " +
                   std::to_string(w.limit) + "-byte limit per event";
        return what + " rejected: over the " + std::to_string(w.limit) + "-byte limit per event at " + w.key;
    default: return what + " rejected: " + w.key;
    }
}

// Context or integrations the caller did not give: none, an empty list, or a null json.
bool absent(const properties &p) { return p.is_json() ? p.json().is_null() : p.list().size() == 0; }

// The last check of a written record, and the redaction counts of one that goes out.
std::optional<error> finish(const event_fields &f, const text_buffer &out, std::size_t max_event_bytes,
                            const redactor::impl *rules, const redaction_tally &tally) {
    if (out.size() > max_event_bytes) {
        return make_error(f, reason::event_too_large,
                          std::string(to_string(f.type)) + " rejected: " + std::to_string(out.size()) +
                              " bytes serialised, over the " + std::to_string(max_event_bytes) +
                              "-byte limit per event");
    }
    if (rules) rules->record(tally); // counted only for events that go out
    return std::nullopt;
}

// Checks Segment would accept with a 200 and then silently drop.
SEGLOG_INLINE std::optional<error> check_required(const event_fields &f) {
    if (f.type == event_type::alias) {
        if (f.previous_id.empty())
            return make_error(f, seglog::reason::missing_previous_id, "alias rejected: previousId is empty");
        if (f.alias_user_id.empty())
            return make_error(f, seglog::reason::missing_identity, "alias rejected: userId is empty");
    } else if (!f.who || (f.who->user_id.empty() && f.who->anonymous_id.empty())) {
        return make_error(f, seglog::reason::missing_identity,
                          std::string(to_string(f.type)) + " rejected: neither userId nor anonymousId is set");
    }
    if (f.type == event_type::track && f.name.empty())
        return make_error(f, seglog::reason::missing_event, "track rejected: the event name is empty");
    if (f.type == event_type::group && f.group_id.empty())
        return make_error(f, seglog::reason::missing_group_id, "group rejected: groupId is empty");
    return std::nullopt;
}

// The head, written with one room check: the layout record_message_id relies on.
SEGLOG_INLINE void write_head(const event_fields &f, text_buffer &out) {
    const auto called_at = f.called_at != std::chrono::system_clock::time_point{} ? f.called_at
                                                                                  : std::chrono::system_clock::now();
    char *const head = out.tail(head_room);
    char *q = put_literal(head, "{\"messageId\":\"");
    q = put_message_id(q);
    q = put_type_field(q, f.type);
    q = put_iso8601(q, f.opts && f.opts->timestamp ? *f.opts->timestamp : called_at);
    *q++ = '"';
    out.commit(static_cast<std::size_t>(q - head));
}

// The top-level keys already written into one object of this event: a later source (a scope,
// the profile) leaves them to the earlier one. Per thread, so no allocation once it has grown.
std::vector<std::string_view> &taken_keys() {
    thread_local std::vector<std::string_view> keys;
    keys.clear();
    return keys;
}
bool is_taken(const std::vector<std::string_view> &taken, std::string_view key) {
    for (const auto k : taken)
        if (k == key) return true;
    return false;
}
void take_keys(const properties &p, std::vector<std::string_view> &taken) {
    if (p.is_json()) {
        for (const auto &[k, v] : p.json().items()) taken.emplace_back(k);
    } else {
        for (const property &m : p.list()) taken.push_back(m.key);
    }
}
// Appends the members of `from` whose keys are not taken yet (and takes them), each after a
// comma unless the object (begun at `start`) is still empty.
void append_untaken(text_buffer &out, std::size_t start, const object_members &from,
                    std::vector<std::string_view> &taken) {
    for (const auto &[key, text] : from.members) {
        if (is_taken(taken, key)) continue;
        if (out.size() != start) out.push_back(',');
        out.append(text);
        taken.push_back(key);
    }
}
// The same members as one object, for the redaction walk.
void collect_untaken(nlohmann::json &into, const object_members &from, std::vector<std::string_view> &taken) {
    for (const auto &[key, text] : from.members) {
        if (is_taken(taken, key)) continue;
        into[key] = from.object[key];
        taken.push_back(key);
    }
}

// One event being written after its head: the writer, the redaction rules (null: none) with
// their tally, the enrichment (null: none), and how a failure of each part becomes the caller's error.
struct event_writing {
    const event_fields &f;
    text_buffer &out;
    json_writer &w;
    const redactor::impl *rules;
    redaction_tally &tally;
    const enrichment *en;

    error failed(std::string_view where) {
        w.prepend(where);
        return make_error(f, w.failure().code, describe_failure(f, w.failure()));
    }
    error bad(seglog::reason code, std::string key) {
        return make_error(f, code, describe_failure(f, {code, std::move(key)}));
    }
    // `prefix` is a literal (`,"userId":`): its length is known here, so it is copied by a few moves.
    template <typename Literal>
    bool string_field(const Literal &prefix, std::string_view v) {
        out.append(prefix);
        return append_json_string(out, v);
    }

    std::optional<error> identity();
    std::optional<error> type_field(std::optional<section> &carrier);
    std::optional<error> members(section sec);
    std::optional<error> context_and_integrations(std::size_t max_event_bytes, std::optional<section> carrier);
    std::optional<error> context(const properties *ctx, const scoped_context *scope);
    bool added_context(std::size_t start, const scoped_context *scope, std::vector<std::string_view> &taken);
    std::optional<error> integrations(const properties *given, bool phi);
    bool carries_phi(std::optional<section> carrier, const properties *ctx, const scoped_context *scope) const;
};
// userId and anonymousId (whichever are set), or an alias's userId and previousId.
SEGLOG_INLINE std::optional<error> event_writing::identity() {
    if (f.type == event_type::alias) {
        if (!string_field(",\"userId\":", f.alias_user_id)) return bad(reason::invalid_utf8, "userId");
        if (!string_field(",\"previousId\":", f.previous_id)) return bad(reason::invalid_utf8, "previousId");
        return std::nullopt;
    }
    if (!f.who->user_id.empty() && !string_field(",\"userId\":", f.who->user_id))
        return bad(reason::invalid_utf8, "userId");
    if (!f.who->anonymous_id.empty() && !string_field(",\"anonymousId\":", f.who->anonymous_id))
        return bad(reason::invalid_utf8, "anonymousId");
    return std::nullopt;
}

// The field of the call's type (event, name, groupId), and in `carrier` the object that carries
// f.props: traits for identify and group, none for alias.
SEGLOG_INLINE std::optional<error> event_writing::type_field(std::optional<section> &carrier) {
    carrier = section::properties;
    switch (f.type) {
    case event_type::track:
        if (!string_field(",\"event\":", f.name)) return bad(reason::invalid_utf8, "event");
        break;
    case event_type::page:
    case event_type::screen: // name is optional in the Spec
        if (!f.name.empty() && !string_field(",\"name\":", f.name)) return bad(reason::invalid_utf8, "name");
        break;
    case event_type::group:
        if (!string_field(",\"groupId\":", f.group_id)) return bad(reason::invalid_utf8, "groupId");
        carrier = section::traits;
        break;
    case event_type::identify: carrier = section::traits; break;
    case event_type::alias: carrier.reset(); break;
    }
    return std::nullopt;
}

// f.props as the properties or traits object, redacted when a rule reaches that section.
SEGLOG_INLINE std::optional<error> event_writing::members(section sec) {
    if (sec == section::traits) out.append(",\"traits\":{");
    else out.append(",\"properties\":{");
    if (f.props && !(rules && rules->applies_to(sec) ? write_members_redacted(w, out, *f.props, *rules, sec, tally)
                                                     : w.write_members(*f.props)))
        return failed(sec == section::traits ? "traits" : "properties");
    out.push_back('}');
    return std::nullopt;
}

// context: the caller's members, then the open scopes' and the profile's (config::context) for
// the keys the call left, then ours: context.library always names seglog. Then integrations,
// and the last checks of the record.
SEGLOG_INLINE std::optional<error> event_writing::context_and_integrations(std::size_t max_event_bytes,
                                                                           std::optional<section> carrier) {
    const properties *ctx = f.opts && !absent(f.opts->context) ? &f.opts->context : nullptr;
    const properties *given = f.opts && !absent(f.opts->integrations) ? &f.opts->integrations : nullptr;
    const scoped_context *scope = innermost_scope; // with no scope open, the whole cost of scopes
    if (!ctx && !given && !scope && !en) {
        out.append(default_tail); // the usual call: no context or integrations of the caller's
        return finish(f, out, max_event_bytes, rules, tally);
    }
    if (auto err = context(ctx, scope)) return err;
    const bool phi = en && en->has_phi() && carries_phi(carrier, ctx, scope);
    if (auto err = integrations(given, phi)) return err;
    auto err = finish(f, out, max_event_bytes, rules, tally);
    if (!err && phi) en->phi_routed.fetch_add(1, std::memory_order_relaxed);
    return err;
}

SEGLOG_INLINE std::optional<error> event_writing::context(const properties *ctx, const scoped_context *scope) {
    out.append(",\"context\":{");
    const std::size_t start = out.size();
    const bool more = scope || (en && !en->context.empty());
    std::vector<std::string_view> &taken = taken_keys();
    if (ctx) {
        if (ctx->is_json() && !ctx->json().is_object()) return bad(reason::not_an_object, "context");
        if (!(rules && rules->applies_to(section::context)
                  ? write_members_redacted(w, out, *ctx, *rules, section::context, tally, "library")
                  : w.write_members(*ctx, false, "library")))
            return failed("context");
        if (more) take_keys(*ctx, taken);
    }
    if (more && !added_context(start, scope, taken)) return failed("context");
    if (out.size() != start) out.push_back(',');
    out.append(library_context).push_back('}');
    return std::nullopt;
}

// The scopes' members (innermost first) and the profile's, each key once. Copied as text unless
// a redaction rule reaches context, when they are walked through the rules like the call's.
bool event_writing::added_context(std::size_t start, const scoped_context *scope,
                                  std::vector<std::string_view> &taken) {
    taken.push_back("library");
    if (!(rules && rules->applies_to(section::context))) {
        for (const scoped_context *s = scope; s; s = s->outer()) append_untaken(out, start, s->members(), taken);
        if (en) append_untaken(out, start, en->context, taken);
        return true;
    }
    nlohmann::json added = nlohmann::json::object();
    for (const scoped_context *s = scope; s; s = s->outer()) collect_untaken(added, s->members(), taken);
    if (en) collect_untaken(added, en->context, taken);
    const std::size_t at = out.size();
    if (at != start) out.push_back(',');
    const std::size_t first = out.size();
    if (!write_members_redacted(w, out, added, *rules, section::context, tally)) return false;
    if (out.size() == first) out.resize(at); // every member redacted away: no comma either
    return true;
}

// The call's integrations over the profile's, key by key; for an event with health data,
// exactly phi_integrations.
SEGLOG_INLINE std::optional<error> event_writing::integrations(const properties *given, bool phi) {
    if (given && given->is_json() && !given->json().is_object()) return bad(reason::not_an_object, "integrations");
    out.append(",\"integrations\":{");
    if (phi) {
        std::vector<std::string_view> &none = taken_keys();
        append_untaken(out, out.size(), en->phi_integrations, none);
    } else {
        const std::size_t start = out.size();
        if (given && !w.write_members(*given)) return failed("integrations");
        if (en && !en->integrations.empty()) {
            std::vector<std::string_view> &taken = taken_keys();
            if (given) take_keys(*given, taken);
            append_untaken(out, start, en->integrations, taken);
        }
    }
    out.append("}}");
    return std::nullopt;
}

// Whether the event carries a key at a phi path: in its properties or traits, or its context
// (the call's, the open scopes', the profile's). Judged on the values as given, before
// redaction: a value dropped on the way still marks the event.
bool event_writing::carries_phi(std::optional<section> carrier, const properties *ctx,
                                const scoped_context *scope) const {
    const auto &pats = en->phi_patterns;
    if (carrier && f.props && carries_path(pats, *carrier, *f.props)) return true;
    if (ctx && carries_path(pats, section::context, *ctx)) return true;
    for (const scoped_context *s = scope; s; s = s->outer())
        if (carries_path(pats, section::context, s->members().object)) return true;
    return carries_path(pats, section::context, en->context.object);
}
} // namespace

const scoped_context *&open_scope() noexcept { return innermost_scope; }

std::optional<error> serialize_event(const event_fields &f, text_buffer &out, std::size_t max_event_bytes,
                                     const redactor *redact, const enrichment *enrich) {
    if (auto e = check_required(f)) return e;
    if (enrich && !enrich->profile) enrich = nullptr; // plugins only: they run after this
    out.clear();
    json_writer w(out, max_event_bytes);
    // Redaction: only for the sections a rule can reach; otherwise the plain writer, so the
    // path without rules costs this one null check per section.
    const redactor::impl *rules = redact ? &redact->internals() : nullptr;
    redaction_tally tally;
    event_writing e{f, out, w, rules, tally, enrich};
    write_head(f, out);
    if (auto err = e.identity()) return err;
    std::optional<section> carrier;
    if (auto err = e.type_field(carrier)) return err;
    if (carrier)
        if (auto err = e.members(*carrier)) return err;
    return e.context_and_integrations(max_event_bytes, carrier);
}

std::optional<error> serialize_event(const event_fields &f, std::string &out, std::size_t max_event_bytes,
                                     const redactor *redact, const enrichment *enrich) {
    text_buffer b;
    auto err = serialize_event(f, b, max_event_bytes, redact, enrich);
    out.assign(b.data(), b.size());
    return err;
}

} // namespace detail
} // namespace seglog
