#pragma once
// The tracking plan at run time (config::tracking_plan and plan_violations): each event checked
// on its way to a destination, and the plan's health-data marks. docs/tracking-plan.md,
// "Runtime checking", says where the check runs and why.

#include <seglog/config.h>
#include <seglog/error.h>

#include "plan/checker.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace seglog::detail::plan {

// A plan file read and compiled once per process (per path and modification time): validate(),
// the client, the file and console destinations and the health-data paths share it.
struct loaded_plan {
    plan_file file;
    checker rules;
    // "properties.diagnosis", "traits.address.zip": every property or trait a rule marks
    // "x-phi": true, in the redaction path syntax (config::phi_paths).
    std::vector<std::string> phi_paths;

    explicit loaded_plan(plan_file f);
};

// Throws config_error naming the file and what is wrong with it.
std::shared_ptr<const loaded_plan> load_shared(const std::string &path);

// The x-phi marks of a plan's rules as key paths (sorted, without repeats).
std::vector<std::string> phi_paths_of(const plan_file &plan);

class gate {
public:
    // nullptr without a plan or with plan_violations = allow: then nothing is checked.
    static std::shared_ptr<gate> from_config(const config &cfg);
    gate(std::shared_ptr<const loaded_plan> plan, plan_mode mode) : plan_(std::move(plan)), mode_(mode) {}

    // Checks one serialised event: true when it meets the plan. Otherwise `report` describes
    // the violation (reason plan_violation or unplanned_event, the event's type, name and
    // messageId; JSON pointers and keywords, never a value) and `keep` says whether the event
    // still goes out (warn) or not (drop). Thread-safe.
    bool check(std::string_view record, error &report, bool &keep) const;

    plan_mode mode() const noexcept { return mode_; }

private:
    std::shared_ptr<const loaded_plan> plan_;
    plan_mode mode_;
};

// The check for a destination without a client (a file, the console): a violation goes to
// the process-wide handler (seglog::set_error_handler, call_site_stats()); false when the event
// is not to be written.
bool admit_locally(const gate &g, std::string_view record);

// "allow", "warn", "drop".
const char *to_string(plan_mode mode);

} // namespace seglog::detail::plan
