#include "plan/gate.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <mutex>

namespace seglog::detail::plan {

using json = nlohmann::json;

namespace {

// The x-phi marks under one object schema, as paths below `prefix`. Array items are walked
// through without a key of their own: arrays are transparent in key paths.
void collect_phi(const json &schema, const std::string &prefix, std::vector<std::string> &out, int depth) {
    if (!schema.is_object() || depth > 32) return;
    if (auto items = schema.find("items"); items != schema.end()) collect_phi(*items, prefix, out, depth + 1);
    auto props = schema.find("properties");
    if (props == schema.end() || !props->is_object()) return;
    for (auto it = props->begin(); it != props->end(); ++it) {
        const std::string &key = it.key();
        // A key with a dot or a wildcard's star cannot be named in a path.
        if (key.empty() || key.find_first_of(".*") != std::string::npos) continue;
        const std::string path = prefix + "." + key;
        if (it->is_object() && it->value("x-phi", false) == true) out.push_back(path);
        else collect_phi(*it, path, out, depth + 1);
    }
}

} // namespace

std::vector<std::string> phi_paths_of(const plan_file &plan) {
    std::vector<std::string> out;
    for (const rule &r : plan.rules) {
        auto sections = r.schema.find("properties");
        if (sections == r.schema.end() || !sections->is_object()) continue;
        for (const char *section : {"properties", "traits", "context"})
            if (auto s = sections->find(section); s != sections->end()) collect_phi(*s, section, out, 0);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

loaded_plan::loaded_plan(plan_file f) : file(std::move(f)), rules(file), phi_paths(phi_paths_of(file)) {}

std::shared_ptr<const loaded_plan> load_shared(const std::string &path) {
    struct entry {
        long long mtime_ns, size;
        std::shared_ptr<const loaded_plan> plan;
    };
    static std::mutex mutex;
    static std::map<std::string, entry> cache;
    struct stat st {};
    const bool known = ::stat(path.c_str(), &st) == 0;
    const long long mtime = known ? static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec : -1;
    const long long size = known ? static_cast<long long>(st.st_size) : -1;
    {
        std::lock_guard<std::mutex> lock(mutex);
        auto it = cache.find(path);
        if (known && it != cache.end() && it->second.mtime_ns == mtime && it->second.size == size)
            return it->second.plan;
    }
    // Loaded outside the lock: a large plan compiles once per change, and a failure throws.
    auto plan = std::make_shared<const loaded_plan>(load_plan_file(path));
    if (known) {
        std::lock_guard<std::mutex> lock(mutex);
        cache[path] = entry{mtime, size, plan};
    }
    return plan;
}

bool admit_locally(const gate &g, std::string_view record) {
    error report{};
    bool keep = true;
    if (g.check(record, report, keep)) return true;
    report_call_site_error(report);
    return keep;
}

const char *to_string(plan_mode mode) {
    switch (mode) {
    case plan_mode::allow: return "allow";
    case plan_mode::warn: return "warn";
    case plan_mode::drop: return "drop";
    }
    return "warn";
}

std::shared_ptr<gate> gate::from_config(const config &cfg) {
    if (cfg.tracking_plan.empty() || cfg.plan_violations == plan_mode::allow) return nullptr;
    return std::make_shared<gate>(load_shared(cfg.tracking_plan), cfg.plan_violations);
}

bool gate::check(std::string_view record, error &report, bool &keep) const {
    const json event = json::parse(record, nullptr, false);
    check_result found;
    // A record is the library's own serialisation: one that does not parse is not an event the
    // plan can speak about, and is left to the destination to refuse.
    if (event.is_discarded() || plan_->rules.check(event, &found)) return true;

    auto text = [&](const char *key) {
        auto it = event.find(key);
        return it != event.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    report.code = found.unplanned ? reason::unplanned_event : reason::plan_violation;
    report.event_type = text("type");
    report.event_name = report.event_type == "track" ? text("event") : text("name");
    report.message_ids.assign(1, text("messageId"));
    report.http_status = 0;
    std::string what = report.event_type;
    if (!report.event_name.empty()) what += " \"" + report.event_name + "\"";
    report.message = found.unplanned
                         ? what + " is not in the tracking plan " + plan_->file.source
                         : what + " does not meet the tracking plan " + plan_->file.source + ": " + found.describe();
    report.message += mode_ == plan_mode::drop ? "; not sent (plan_violations=drop)" : "; sent (plan_violations=warn)";
    keep = mode_ != plan_mode::drop;
    return false;
}

} // namespace seglog::detail::plan
