// `seglog send`: one event through the configuration in force, as a service would send it; waits
// for the collector's answer and says whether it was delivered, with the reason when it was not.
#include "cli.h"
#include "commands.h"
#include "delivery.h"
#include "settings.h"

#include <seglog/client.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace seglog::tools {

namespace {

struct send_args {
    std::string type = "track", user, anonymous, event, name, group, previous;
    std::string properties, traits, context, integrations; // JSON text
    double timeout_s = 10;
};

// A JSON object option into `out` (empty text: null, "none"). "" on success, else the error.
std::string json_object(const char *option, const std::string &text, nlohmann::json &out) {
    if (text.empty()) return {};
    out = nlohmann::json::parse(text, nullptr, false);
    if (out.is_discarded()) return std::string(option) + " is not valid JSON";
    if (!out.is_object()) return std::string(option) + " must be a JSON object ({...})";
    return {};
}

// What a type needs and takes: "" when the arguments fit, else the error.
std::string check_fields(const send_args &a, const CLI::App &app) {
    const bool track = a.type == "track", named = a.type == "page" || a.type == "screen";
    const bool group = a.type == "group", alias = a.type == "alias", identify = a.type == "identify";
    struct rule {
        const char *option;
        bool allowed;
    };
    for (const rule &r :
         {rule{"--event", track}, rule{"--name", named}, rule{"--group", group}, rule{"--previous", alias},
          rule{"--properties", track || named}, rule{"--traits", identify || group}, rule{"--anonymous", !alias}})
        if (app.count(r.option) && !r.allowed) return std::string(r.option) + " does not apply to --type " + a.type;
    if (alias) {
        if (a.user.empty() || a.previous.empty()) return "--type alias needs --user and --previous";
    } else if (a.user.empty() && a.anonymous.empty()) {
        return "--user or --anonymous is required";
    }
    if (track && a.event.empty()) return "--type track needs --event";
    if (group && a.group.empty()) return "--type group needs --group";
    return {};
}

} // namespace

int send_main(int argc, char **argv) {
    CLI::App app("Sends one event through the configuration in force (as seglog::config::from_env()\n"
                 "reads it) and waits for the collector's answer.",
                 "seglog send");
    app.footer("Exit status: 0 delivered; 1 not delivered (the reason is printed); 2 wrong arguments,\n"
               "JSON or configuration.\n"
               "Example: seglog send --user u-42 --event 'Order Completed' --properties '{\"revenue\": 42.5}'");
    send_args a;
    settings_options settings;
    app.add_option("--type", a.type, "track (default), identify, page, screen, group or alias")
        ->option_text("T")
        ->check(CLI::IsMember({"track", "identify", "page", "screen", "group", "alias"}));
    app.add_option("--user", a.user, "the userId (alias: the new id)")->option_text("U");
    app.add_option("--anonymous", a.anonymous, "the anonymousId")->option_text("A");
    app.add_option("--event", a.event, "track: the event name")->option_text("E");
    app.add_option("--name", a.name, "page, screen: the name")->option_text("N");
    app.add_option("--group", a.group, "group: the groupId")->option_text("G");
    app.add_option("--previous", a.previous, "alias: the previousId")->option_text("P");
    app.add_option("--properties", a.properties, "track, page, screen: a JSON object")->option_text("JSON");
    app.add_option("--traits", a.traits, "identify, group: a JSON object")->option_text("JSON");
    app.add_option("--context", a.context, "members merged into the event's context, a JSON object")
        ->option_text("JSON");
    app.add_option("--integrations", a.integrations, "the event's integrations, a JSON object")->option_text("JSON");
    app.add_option("--timeout", a.timeout_s, "seconds to wait for the answer (default 10)")
        ->option_text("S")
        ->check(CLI::PositiveNumber);
    settings.add_to(app);
    if (int status = parse(app, argc, argv); status >= 0) return status;

    nlohmann::json props, traits, context, integrations;
    std::string error = check_fields(a, app);
    for (const auto &[option, text, out] :
         {std::tuple{"--properties", &a.properties, &props}, std::tuple{"--traits", &a.traits, &traits},
          std::tuple{"--context", &a.context, &context}, std::tuple{"--integrations", &a.integrations, &integrations}})
        if (error.empty()) error = json_object(option, *text, *out);
    if (!error.empty()) {
        std::fprintf(stderr, "seglog send: %s\nRun 'seglog send --help' for the options.\n", error.c_str());
        return 2;
    }

    std::unique_ptr<seglog::client> client;
    try {
        client = std::make_unique<seglog::client>(settings.load());
    } catch (const seglog::config_error &e) {
        std::fprintf(stderr, "seglog send: %s\n", e.what());
        return 2;
    }
    delivery_watch watch(*client);
    std::mutex delivered_mutex;
    std::vector<std::string> delivered_ids;
    client->on_delivered([&](const delivery_info &d) {
        std::lock_guard<std::mutex> lk(delivered_mutex);
        delivered_ids.insert(delivered_ids.end(), d.message_ids.begin(), d.message_ids.end());
    });

    identity who{a.user, a.anonymous};
    call_options opts;
    opts.with_context(context).with_integrations(integrations);
    bool accepted = false;
    if (a.type == "track") accepted = client->track(who, a.event, props, opts);
    else if (a.type == "identify") accepted = client->identify(who, traits, opts);
    else if (a.type == "page") accepted = client->page(who, a.name, props, opts);
    else if (a.type == "screen") accepted = client->screen(who, a.name, props, opts);
    else if (a.type == "group") accepted = client->group(who, a.group, traits, opts);
    else accepted = client->alias(a.previous, a.user, opts);
    if (!accepted) {
        std::fprintf(stderr, "seglog send: the event was refused: %s\n", watch.take_refusal().c_str());
        return 2;
    }

    watch.wait(std::chrono::milliseconds(static_cast<long long>(a.timeout_s * 1000)));
    client->close(std::chrono::milliseconds(500));
    const seglog::stats s = client->stats();
    if (s.delivered == 1) {
        std::lock_guard<std::mutex> lk(delivered_mutex);
        std::printf("delivered %s to %s (messageId %s)\n", a.type.c_str(), client->config().host.c_str(),
                    delivered_ids.empty() ? "?" : delivered_ids.front().c_str());
        return 0;
    }
    std::fprintf(stderr, "seglog send: not delivered");
    const auto failures = watch.failures();
    if (!failures.empty()) {
        std::fprintf(stderr, ": %s: %s\n", failures.begin()->first.c_str(), failures.begin()->second.c_str());
    } else {
        const std::string problem = watch.last_problem();
        std::fprintf(stderr, ": %s\n", problem.empty() ? "no answer before the timeout" : problem.c_str());
    }
    return 1;
}

} // namespace seglog::tools
