// Compiling rules into a redactor, the HMAC behind hash rules, and the counters.
#include "event/redact_writer.h"

#include "common/key_path.h"
#include "common/text.h"

#include <seglog/config.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace seglog {

namespace {

std::atomic<std::uint64_t> total_dropped{0}, total_masked{0}, total_hashed{0}, total_not_allowed{0}, total_events{0};

[[noreturn]] void refuse(const std::string &message) { throw config_error("seglog config: " + message); }

std::uint8_t section_bits(const detail::path_segment &first, bool allow) {
    using detail::section;
    const auto all = static_cast<std::uint8_t>(section::properties) | static_cast<std::uint8_t>(section::traits) |
                     (allow ? 0 : static_cast<std::uint8_t>(section::context));
    if (first.type != detail::path_segment::kind::key) return all;
    if (first.key == "properties") return static_cast<std::uint8_t>(section::properties);
    if (first.key == "traits") return static_cast<std::uint8_t>(section::traits);
    return static_cast<std::uint8_t>(section::context);
}

} // namespace

const char *to_string(redact_action a) noexcept {
    switch (a) {
    case redact_action::drop: return "drop";
    case redact_action::mask: return "mask";
    case redact_action::hash: return "hash";
    }
    return "unknown";
}

void redactor::impl::record(const detail::redaction_tally &t) const noexcept {
    if (!t.any()) return;
    auto add = [](std::atomic<std::uint64_t> &mine, std::atomic<std::uint64_t> &all, std::uint32_t n) {
        if (!n) return;
        mine.fetch_add(n, std::memory_order_relaxed);
        all.fetch_add(n, std::memory_order_relaxed);
    };
    add(dropped, total_dropped, t.dropped);
    add(masked, total_masked, t.masked);
    add(hashed, total_hashed, t.hashed);
    add(not_allowed, total_not_allowed, t.not_allowed);
    add(events, total_events, 1);
}

void redactor::impl::append_hash(detail::text_buffer &out, std::string_view data) const {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    // One-shot HMAC: no context to share between threads.
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char *>(data.data()), data.size(), md, &len)) {
        // Never fall back to the clear value: an unhashable value is written as the mask.
        detail::append_json_string(out, default_mask);
        return;
    }
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < len; ++i) {
        out.push_back(hex[md[i] >> 4]);
        out.push_back(hex[md[i] & 0xF]);
    }
}

redactor::redactor(std::vector<redact_rule> rules, std::vector<std::string> allow, std::string hash_key)
    : impl_(std::make_unique<impl>()) {
    impl &m = *impl_;
    m.rules = std::move(rules);
    m.allow = std::move(allow);
    m.key = std::move(hash_key);
    for (std::size_t i = 0; i < m.rules.size(); ++i) {
        const redact_rule &r = m.rules[i];
        const std::string label = "redact rule " + detail::quote(r.path);
        detail::compiled_pattern p;
        if (std::string why = detail::parse_path(r.path, p.segments); !why.empty())
            refuse(label + ": malformed path " + detail::quote(r.path) + ": " + why);
        if (r.action == redact_action::hash && m.key.empty())
            refuse(label + " hashes values but no hash key is set (SEGLOG_HASH_KEY)");
        if (r.action == redact_action::mask) {
            std::string probe;
            if (!detail::append_json_string(probe, r.replacement))
                refuse(label + ": the mask replacement is not valid UTF-8");
        }
        p.rule = static_cast<int>(i);
        m.sections |= section_bits(p.segments[0], false);
        m.patterns.push_back(std::move(p));
    }
    for (const std::string &a : m.allow) {
        if (std::string why = check_allow_path(a); !why.empty()) refuse("allow: " + why);
        detail::compiled_pattern p;
        detail::parse_path(a, p.segments);
        m.patterns.push_back(std::move(p));
    }
    if (!m.allow.empty()) {
        m.constrained = static_cast<std::uint8_t>(detail::section::properties) |
                        static_cast<std::uint8_t>(detail::section::traits);
        m.sections |= m.constrained;
    }
    if (m.patterns.size() > 0xFFFF) refuse("redact: too many rules");
}

redactor::~redactor() = default;

std::shared_ptr<const redactor> redactor::from_config(const config &cfg) {
    if (cfg.redact.empty() && cfg.allow.empty()) return nullptr;
    std::vector<redact_rule> rules = cfg.redact;
    // validate() refuses hash rules without a secret whenever a destination is in force; with
    // none, nothing leaves anyway, and a rule that cannot hash drops instead of failing.
    if (cfg.hash_key.empty())
        for (auto &r : rules)
            if (r.action == redact_action::hash) r.action = redact_action::drop;
    return std::make_shared<const redactor>(std::move(rules), cfg.allow, cfg.hash_key);
}

nlohmann::json redactor::apply(std::string_view section, const nlohmann::json &object) const {
    detail::section sec;
    if (section == "properties") sec = detail::section::properties;
    else if (section == "traits") sec = detail::section::traits;
    else if (section == "context") sec = detail::section::context;
    else throw std::invalid_argument("seglog: redactor::apply: unknown section (properties, traits or context)");
    if (!object.is_object()) throw std::invalid_argument("seglog: redactor::apply: not a JSON object");
    detail::text_buffer out;
    out.push_back('{');
    detail::json_writer w(out);
    detail::redaction_tally tally;
    if (!detail::write_members_redacted(w, out, object, *impl_, sec, tally)) {
        w.prepend(section);
        throw std::invalid_argument(std::string("seglog: redactor::apply: ") + to_string(w.failure().code) + " at " +
                                    w.failure().key);
    }
    out.push_back('}');
    return nlohmann::json::parse(out.view());
}

std::string redactor::hash(std::string_view data) const {
    detail::text_buffer out;
    impl_->append_hash(out, data);
    return std::string(out.view());
}

redaction_counters redactor::counters() const noexcept {
    const impl &m = *impl_;
    return {m.dropped.load(), m.masked.load(), m.hashed.load(), m.not_allowed.load(), m.events.load()};
}

const std::vector<redact_rule> &redactor::rules() const noexcept { return impl_->rules; }
const std::vector<std::string> &redactor::allow() const noexcept { return impl_->allow; }

redaction_counters redaction_stats() noexcept {
    return {total_dropped.load(), total_masked.load(), total_hashed.load(), total_not_allowed.load(),
            total_events.load()};
}

} // namespace seglog
