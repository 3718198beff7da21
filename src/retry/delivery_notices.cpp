#include "retry/delivery_notices.h"

#include "common/record_layout.h"
#include "common/text.h"

#include <nlohmann/json.hpp>

namespace seglog::detail {

namespace {

constexpr std::size_t k_answer_excerpt_bytes = 200;

std::string ms(std::chrono::milliseconds d) {
    if (d.count() % 60000 == 0 && d.count() >= 60000) return std::to_string(d.count() / 60000) + " minutes";
    return std::to_string(d.count()) + " ms";
}

std::string cause_of(const attempt_facts &f) {
    if (f.status == 0) {
        std::string s = describe(f.cause);
        if (!f.network_error.empty()) {
            s += " (";
            append_escaped(s, f.network_error);
            s += ")";
        }
        return s;
    }
    std::string s = "HTTP " + std::to_string(f.status);
    if (f.status == 401 || f.status == 403)
        s += ": the write key was refused (check SEGMENT_WRITE_KEY and the source's settings)";
    else if (f.status >= 300 && f.status < 400 && !f.location.empty()) {
        s += f.redirect_refused.empty() ? ": the collector moved to " : ", a redirect to ";
        append_escaped(s, f.location);
        s += f.redirect_refused.empty() ? " (set host and path to it)"
                                        : " not followed: " + std::string(f.redirect_refused);
    } else if (f.status == 429) s += " (rate limited)";
    return s;
}

std::string certificate_hint(const attempt_facts &f) {
    return f.cause == network_cause::tls_certificate
               ? "; set ca_bundle to the CA that signed it, or fix the collector's certificate"
               : "";
}

} // namespace

std::optional<seglog::error> delivery_notices::on_failure(const attempt_facts &f, const decision &d,
                                                          const config &cfg) {
    if (d.what != verdict::retry && d.what != verdict::rate_limited && d.what != verdict::config_hold)
        return std::nullopt;
    const int kind = f.status ? f.status : -1 - static_cast<int>(f.cause);
    if (!said_.insert(kind).second) return std::nullopt;
    seglog::error e{reason::delivery_delayed, {}, {}, {}, {}, f.status};
    e.message = "delivery to " + url_ + " failed: " + cause_of(f) + certificate_hint(f) + "; ";
    const std::string n = std::to_string(f.events) + (f.events == 1 ? " event" : " events");
    switch (d.what) {
    case verdict::config_hold:
        e.code = reason::config_error;
        e.message += "a configuration error: nothing is sent for " + ms(d.wait) + ", " + n +
                     " and those that follow wait in memory (close() hands them back)";
        break;
    case verdict::rate_limited:
        e.message += "delivery pauses for " + ms(d.wait) + " as the collector asked, then " + n + " go again";
        break;
    default:
        e.message += n + (f.attempts < cfg.max_attempts ? " will be retried with backoff" : " given up on") +
                     " (attempt " + std::to_string(f.attempts) + " of " + std::to_string(cfg.max_attempts) + ")";
    }
    e.message += "; said once until a delivery succeeds";
    return e;
}

std::optional<seglog::error> delivery_notices::gzip_refused(int status) {
    if (gzip_said_) return std::nullopt;
    gzip_said_ = true;
    return seglog::error{reason::delivery_delayed,
                         "the collector at " + url_ + " refused a gzip body (HTTP " + std::to_string(status) +
                             ") and took it uncompressed: gzip is off for the rest of this session (set gzip=false)",
                         {},
                         {},
                         {},
                         status};
}

std::optional<seglog::error> delivery_notices::body_limit(std::size_t refused_bytes, std::size_t limit) {
    if (limit_said_) return std::nullopt;
    limit_said_ = true;
    return seglog::error{reason::delivery_delayed,
                         "the collector at " + url_ + " refused a " + std::to_string(refused_bytes) +
                             "-byte batch as too large (HTTP 413): batches are kept under " + std::to_string(limit) +
                             " bytes for the rest of this session (set max_batch_bytes below its limit)",
                         {},
                         {},
                         {},
                         413};
}

std::string delivery_notices::rejected_detail(std::string_view record, int status, std::string_view answer,
                                              std::string &type, std::string &name) {
    const auto j = nlohmann::json::parse(record, nullptr, false);
    auto text = [&](const char *key) {
        if (!j.is_object()) return std::string();
        auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    type = text("type");
    name = type == "track" ? text("event") : text("name");
    std::string s = type.empty() ? std::string("event") : type;
    if (!name.empty()) s += " " + quote(name);
    s += " (messageId " + quote(record_message_id(record)) + ")";
    s += " rejected with HTTP " + std::to_string(status);
    s += answer.empty() ? std::string(", no answer body") : ", the collector said: " + answer_excerpt(answer);
    return s;
}

std::string answer_excerpt(std::string_view body) {
    std::string_view cut = body;
    if (cut.size() > k_answer_excerpt_bytes) {
        std::size_t end = k_answer_excerpt_bytes;
        // Back to the start of a UTF-8 sequence, so the cut does not leave half a character.
        while (end > 0 && (static_cast<unsigned char>(cut[end]) & 0xC0) == 0x80) --end;
        cut = cut.substr(0, end);
    }
    std::string out;
    append_escaped(out, cut);
    if (cut.size() < body.size()) out += "...";
    return out;
}

} // namespace seglog::detail
