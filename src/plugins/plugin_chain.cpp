#include "plugins/plugin_chain.h"

#include "common/errors.h"
#include "common/record_layout.h"
#include "event/foreign_record.h"

#include <exception>
#include <utility>

namespace seglog::detail {

namespace {

const char *stage_name(unsigned stage) {
    switch (stage) {
    case plugin::before_stage: return "before";
    case plugin::enrichment_stage: return "enrichment";
    default: return "after";
    }
}

std::string plugin_name(const plugin &p) {
    try {
        return p.name();
    } catch (...) {
        return "(unnamed plugin)";
    }
}

std::string what_of(std::exception_ptr ex) {
    try {
        std::rethrow_exception(std::move(ex));
    } catch (const std::exception &e) {
        return e.what();
    } catch (...) {
        return "an exception not derived from std::exception";
    }
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

// The error's event fields from the view (what a refusal at the call carries too).
error event_error(reason why, std::string message, const event_view &v) {
    error e{why, std::move(message), std::string(v.type()), std::string(v.name()), {}, 0};
    if (!v.message_id().empty()) e.message_ids.emplace_back(v.message_id());
    return e;
}

// Calls `fn` on `p`; an exception restores `event` to what it was before the call and is
// reported. Returns false when the plugin threw.
template <typename Fn>
bool guarded(const plugin &p, unsigned stage, nlohmann::ordered_json &event, const event_view &view,
             const plugin_chain &chain, const std::function<void(const error &)> &notice, Fn &&fn) {
    nlohmann::ordered_json saved = event;
    try {
        const callback_scope marked; // a plugin that tracks an event is refused (reentrant_call)
        fn();
        return true;
    } catch (...) {
        const std::exception_ptr ex = std::current_exception();
        event = std::move(saved);
        chain.errors.fetch_add(1, std::memory_order_relaxed);
        notice(event_error(reason::plugin_error,
                           "plugin " + in_quotes(plugin_name(p)) + " threw in " + stage_name(stage) + ": " +
                               what_of(ex) + "; the event goes on without its change",
                           view));
        return false;
    }
}

// Removes the members properties() & co. created and left empty.
void drop_created_empty(nlohmann::ordered_json &event, unsigned created) {
    static constexpr std::pair<unsigned, const char *> members[] = {{1, "properties"},
                                                                    {2, "traits"},
                                                                    {4, "context"},
                                                                    {8, "integrations"}};
    for (const auto &[bit, key] : members) {
        if (!(created & bit)) continue;
        auto it = event.find(key);
        if (it != event.end() && it->is_object() && it->empty()) event.erase(it);
    }
}

bool has_text(const nlohmann::ordered_json &event, const char *key) {
    auto it = event.find(key);
    return it != event.end() && it->is_string() && !it->get_ref<const std::string &>().empty();
}

} // namespace

std::shared_ptr<const plugin_chain> plugin_chain::from_config(const config &cfg) {
    if (cfg.plugins.empty()) return nullptr;
    auto c = std::make_shared<plugin_chain>();
    for (const auto &p : cfg.plugins) {
        const unsigned s = p->stages();
        if (s & plugin::before_stage) c->before.push_back(p);
        if (s & plugin::enrichment_stage) c->enrich.push_back(p);
        if (s & plugin::after_stage) c->after.push_back(p);
    }
    return c;
}

std::optional<error> plugin_chain::run_at_call(std::string_view record, std::string &out, std::size_t max_event_bytes,
                                               const std::function<void(const error &)> &notice) const {
    nlohmann::ordered_json event = nlohmann::ordered_json::parse(record, nullptr, false);
    if (!event.is_object())
        return error{reason::invalid_record, "event not accepted: the record is not a JSON object", {}, {}, {}, 0};
    event_view view(event);
    for (const auto &p : before) {
        plugin_result r;
        if (!guarded(*p, plugin::before_stage, event, view, *this, notice, [&] { r = p->before(view); })) continue;
        if (r.drop) {
            drop_created_empty(event, view.created());
            return event_error(reason::plugin_dropped,
                               std::string(view.type()) + (view.name().empty() ? "" : " " + in_quotes(view.name())) +
                                   " dropped by plugin " + in_quotes(plugin_name(*p)) +
                                   (r.reason.empty() ? std::string() : ": " + r.reason),
                               view);
        }
    }
    for (const auto &p : enrich)
        guarded(*p, plugin::enrichment_stage, event, view, *this, notice, [&] { p->enrich(view); });
    drop_created_empty(event, view.created());

    // What the plugins changed is checked as a record from client::enqueue is: the pipeline
    // relies on the messageId, and Segment drops an event without an id silently.
    auto refuse = [&](reason why, const std::string &what) {
        return event_error(why, "event not accepted after the plugins: " + what, view);
    };
    if (view.type() != "alias" && !has_text(event, "userId") && !has_text(event, "anonymousId"))
        return refuse(reason::missing_identity, "neither userId nor anonymousId");
    try {
        out = event.dump();
    } catch (const nlohmann::json::exception &) {
        return refuse(reason::invalid_utf8, "a string that is not valid UTF-8");
    }
    if (record_message_id(out).empty()) {
        std::string relaid;
        const std::string why = relayout_record(out, relaid);
        if (!why.empty()) return refuse(reason::invalid_record, why);
        out = std::move(relaid);
    }
    if (out.size() > max_event_bytes)
        return refuse(reason::event_too_large, std::to_string(out.size()) + " bytes, over the " +
                                                   std::to_string(max_event_bytes) + "-byte limit per event");
    return std::nullopt;
}

void plugin_chain::run_after(const std::vector<std::string> &ids, delivery_result r,
                             const std::function<void(const error &)> &notice) const {
    for (const auto &id : ids) {
        r.message_id = id;
        for (const auto &p : after) {
            try {
                const callback_scope marked;
                p->after(r);
            } catch (...) {
                const std::exception_ptr ex = std::current_exception();
                errors.fetch_add(1, std::memory_order_relaxed);
                notice(error{reason::plugin_error,
                             "plugin " + in_quotes(plugin_name(*p)) + " threw in after: " + what_of(ex),
                             std::string(r.event_type),
                             std::string(r.event_name),
                             {id},
                             0});
            }
        }
    }
}

} // namespace seglog::detail
