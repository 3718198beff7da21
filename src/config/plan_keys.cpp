// The tracking plan's options of seglog::config: tracking_plan and plan_violations (file keys in
// from_file's table, variables in from_env), their checks in validate() and their part of the
// startup line. docs/tracking-plan.md, "Runtime checking", describes them.

#include "config/config_detail.h"

#include "plan/gate.h"

namespace seglog::detail::cfg {

plan_mode parse_plan_mode(const std::string &text, const std::string &where) {
    const std::string t = lower(std::string(trim(text)));
    if (t == "allow") return plan_mode::allow;
    if (t == "warn") return plan_mode::warn;
    if (t == "drop") return plan_mode::drop;
    fail(where + ": expected \"allow\", \"warn\" or \"drop\", got " + quote(text));
}

void apply_plan_violations(config &c, const nlohmann::json &v, const std::string &where) {
    if (!v.is_string()) fail(where + ": expected \"allow\", \"warn\" or \"drop\", got " + show(v));
    c.plan_violations = parse_plan_mode(v.get<std::string>(), where);
}

void validate_plan(const config &c) {
    if (c.tracking_plan.empty()) return;
    if (trim(c.tracking_plan).empty()) fail("tracking_plan" + from(c, "tracking_plan") + " must not be blank");
    std::shared_ptr<const plan::loaded_plan> plan;
    try {
        plan = plan::load_shared(c.tracking_plan);
    } catch (const config_error &e) {
        // The loader's message names the file and what is wrong; this says where it was set.
        std::string why = e.what();
        if (why.rfind(error_prefix, 0) == 0) why = why.substr(std::string(error_prefix).size());
        fail(why + from(c, "tracking_plan"));
    }
    if (!plan->phi_paths.empty() && c.phi_integrations.empty())
        fail("tracking plan " + c.tracking_plan + from(c, "tracking_plan") +
             " marks health data (\"x-phi\": true) at " + plan->phi_paths.front() +
             (plan->phi_paths.size() > 1 ? " and " + std::to_string(plan->phi_paths.size() - 1) + " more" : "") +
             ", so phi integrations are needed: the destinations an event with health data may go to, e.g. "
             "{\"All\": false, \"Amazon S3\": true} (profile key \"phi\", or config::phi_integrations)");
}

std::string describe_plan(const config &c) {
    if (c.tracking_plan.empty()) return {};
    return " tracking_plan=" + c.tracking_plan + " (" + plan::to_string(c.plan_violations) + ")";
}

} // namespace seglog::detail::cfg
