// fuzz_redact: the redaction engine (include/seglog/redaction.h, src/event/) on arbitrary
// rules, allow-lists, hash keys and objects.
//
// Rule paths are built from the input out of sections, wildcards (`*`, `**`), a few common
// keys and arbitrary bytes, so that they both match the generated objects and probe the path
// parser. Invariants (docs/hardening.md):
//   - the constructor throws only seglog::config_error, exactly when check_redact_path /
//     check_allow_path refuse a path or a hash rule has no key (or a mask text is not
//     UTF-8); its message is "seglog config: ..." in valid UTF-8 without the hash key;
//   - apply() throws only std::invalid_argument; its result is an object that adds nothing:
//     every key in it was in the input at the same place, every value is the input's or a
//     string that stands for it (a mask replacement, or a 64-hex-digit HMAC);
//   - a single literal "section.key" drop rule removes the key, a mask rule replaces it;
//   - without hash rules, applying twice changes nothing more (idempotent);
//   - the hash key never appears in an output; apply() is deterministic.

#include <seglog/config.h>
#include <seglog/redaction.h>

#include "fuzz_common.h"

#include <fuzzer/FuzzedDataProvider.h>
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace {

using json = nlohmann::json;
using seglog_fuzz::show;
constexpr const char *target = "fuzz_redact";
#define CHECK(cond, detail) FUZZ_CHECK(target, cond, detail)

const char *const common_keys[] = {"email", "a", "b", "items", "sku", "ssn", "ip", "name"};

std::string segment(FuzzedDataProvider &fdp) {
    switch (fdp.ConsumeIntegralInRange<int>(0, 9)) {
    case 0: return "*";
    case 1: return "**";
    case 2: return fdp.ConsumeRandomLengthString(8);
    default: return common_keys[fdp.ConsumeIntegralInRange<int>(0, 7)];
    }
}

std::string make_path(FuzzedDataProvider &fdp) {
    if (fdp.ConsumeIntegralInRange<int>(0, 15) == 0) return fdp.ConsumeRandomLengthString(32);
    static const char *const sections[] = {"properties", "traits", "context", "*", "**"};
    std::string p = sections[fdp.ConsumeIntegralInRange<int>(0, 4)];
    const int n = fdp.ConsumeIntegralInRange<int>(0, 4);
    for (int i = 0; i < n; ++i) p += "." + segment(fdp);
    return p;
}

json make_value(FuzzedDataProvider &fdp, int depth) {
    switch (fdp.ConsumeIntegralInRange<int>(0, 7)) {
    case 0: return nullptr;
    case 1: return fdp.ConsumeIntegral<std::int64_t>();
    case 2: return fdp.ConsumeFloatingPoint<double>();
    case 3: return fdp.ConsumeRandomLengthString(16);
    case 4: return fdp.ConsumeBool();
    case 5: {
        json a = json::array();
        if (depth > 6) return a;
        const int n = fdp.ConsumeIntegralInRange<int>(0, 3);
        for (int i = 0; i < n; ++i) a.push_back(make_value(fdp, depth + 1));
        return a;
    }
    default: {
        json o = json::object();
        if (depth > 6) return o;
        const int n = fdp.ConsumeIntegralInRange<int>(0, 4);
        for (int i = 0; i < n; ++i) {
            std::string k = fdp.ConsumeBool() ? std::string(common_keys[fdp.ConsumeIntegralInRange<int>(0, 7)])
                                              : fdp.ConsumeRandomLengthString(8);
            o[k] = make_value(fdp, depth + 1);
        }
        return o;
    }
    }
}

bool is_hex64(const json &v) {
    if (!v.is_string()) return false;
    const auto &s = v.get_ref<const std::string &>();
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

// `out` adds nothing to `in`: same keys or fewer, values kept or replaced by a stand-in string.
void check_subset(const json &in, const json &out, const std::vector<std::string> &replacements,
                  const std::string &where) {
    if (in == out) return;
    if (out.is_string()) {
        bool stand_in = is_hex64(out);
        for (const auto &r : replacements) stand_in = stand_in || out == r;
        CHECK(stand_in, where + ": " + show(out.dump(-1, ' ', false, json::error_handler_t::replace)));
        return;
    }
    if (in.is_object() && out.is_object()) {
        for (const auto &[k, v] : out.items()) {
            CHECK(in.contains(k), where + ": key added: " + show(k));
            check_subset(in[k], v, replacements, where + "." + k);
        }
        return;
    }
    if (in.is_array() && out.is_array()) {
        CHECK(out.size() <= in.size(), where + ": array grew");
        if (out.size() == in.size()) {
            for (std::size_t i = 0; i < out.size(); ++i)
                check_subset(in[i], out[i], replacements, where + "." + std::to_string(i));
        } else { // elements removed (e.g. by an allow-list): what is left came from the input
            for (const auto &e : out) {
                bool found = false;
                for (const auto &f : in) found = found || f == e || (f.is_structured() && f.type() == e.type());
                CHECK(found, where + ": array element not from the input");
            }
        }
        return;
    }
    CHECK(false, where + ": value changed to " + show(out.dump(-1, ' ', false, json::error_handler_t::replace)) +
                     " from " + show(in.dump(-1, ' ', false, json::error_handler_t::replace)));
}

std::string describe(const std::vector<seglog::redact_rule> &rules, const std::vector<std::string> &allow) {
    std::string out = "rules:";
    for (const auto &r : rules) out += " " + std::string(seglog::to_string(r.action)) + " " + show(r.path);
    out += "; allow:";
    for (const auto &a : allow) out += " " + show(a);
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    FuzzedDataProvider fdp(data, size);
    std::vector<seglog::redact_rule> rules;
    std::vector<std::string> allow, replacements;
    bool any_hash = false, paths_ok = true, mask_ok = true;
    const int n_rules = fdp.ConsumeIntegralInRange<int>(0, 4);
    for (int i = 0; i < n_rules; ++i) {
        seglog::redact_rule r;
        r.path = make_path(fdp);
        r.action = static_cast<seglog::redact_action>(fdp.ConsumeIntegralInRange<int>(0, 2));
        if (r.action == seglog::redact_action::mask) {
            if (fdp.ConsumeBool()) r.replacement = fdp.ConsumeRandomLengthString(12);
            replacements.push_back(r.replacement);
            mask_ok = mask_ok && seglog_fuzz::valid_utf8(r.replacement);
        }
        any_hash = any_hash || r.action == seglog::redact_action::hash;
        paths_ok = paths_ok && seglog::check_redact_path(r.path).empty();
        rules.push_back(std::move(r));
    }
    const int n_allow = fdp.ConsumeIntegralInRange<int>(0, 3);
    for (int i = 0; i < n_allow; ++i) {
        allow.push_back(make_path(fdp));
        paths_ok = paths_ok && seglog::check_allow_path(allow.back()).empty();
    }
    const std::string key = fdp.ConsumeBool() ? fdp.ConsumeRandomLengthString(24) : std::string();
    static const char *const sections[] = {"properties", "traits", "context"};
    const std::string section = sections[fdp.ConsumeIntegralInRange<int>(0, 2)];
    json object = json::object();
    const int n_members = fdp.ConsumeIntegralInRange<int>(0, 6);
    for (int i = 0; i < n_members; ++i) {
        std::string k = fdp.ConsumeBool() ? std::string(common_keys[fdp.ConsumeIntegralInRange<int>(0, 7)])
                                          : fdp.ConsumeRandomLengthString(8);
        object[k] = make_value(fdp, 1);
    }

    // The key is secret: it must not show anywhere, unless it is also plain input.
    std::string everything = object.dump(-1, ' ', false, json::error_handler_t::replace);
    for (const auto &r : rules) everything += r.path + r.replacement;
    for (const auto &a : allow) everything += a;
    // ... and unless it could be a piece of a message's own wording: only keys holding a byte
    // that neither the messages' wording nor any other input uses are checked.
    bool key_checkable = false;
    for (const char c : std::string_view("#$%&+<=>?@^`|~"))
        key_checkable = key_checkable || (key.find(c) != std::string::npos && everything.find(c) == std::string::npos);
    key_checkable = key_checkable && key.size() >= 8;

    std::unique_ptr<seglog::redactor> red;
    try {
        red = std::make_unique<seglog::redactor>(rules, allow, key);
    } catch (const seglog::config_error &e) {
        const std::string m = e.what();
        CHECK(m.rfind("seglog config: ", 0) == 0, show(m));
        CHECK(seglog_fuzz::valid_utf8(m), show(m));
        CHECK(!key_checkable || m.find(key) == std::string::npos, "hash key in " + show(m));
        CHECK(!paths_ok || (any_hash && key.empty()) || !mask_ok, "refused valid rules: " + show(m));
        return 0;
    }
    CHECK(paths_ok, "accepted a path check_*_path refuses");
    CHECK(mask_ok, "accepted a mask text that is not UTF-8");
    CHECK(!(any_hash && key.empty()), "accepted a hash rule without a key");

    json out;
    try {
        out = red->apply(section, object);
    } catch (const std::invalid_argument &) {
        return 0; // the object cannot be serialised (invalid UTF-8, NaN...): refused, not redacted
    }
    CHECK(out.is_object(), show(out.dump(-1, ' ', false, json::error_handler_t::replace)));
    CHECK(red->apply(section, object) == out, "apply() is not deterministic");
    check_subset(object, out, replacements, section);
    const std::string dumped = out.dump(-1, ' ', false, json::error_handler_t::replace);
    CHECK(!key_checkable || dumped.find(key) == std::string::npos, "hash key in the output");

    if (rules.size() == 1 && allow.empty()) {
        const auto &r = rules.front();
        const std::string prefix = section + ".";
        if (r.path.rfind(prefix, 0) == 0) {
            const std::string k = r.path.substr(prefix.size());
            if (!k.empty() && k.find_first_of(".*") == std::string::npos && object.contains(k)) {
                if (r.action == seglog::redact_action::drop) CHECK(!out.contains(k), "drop kept " + show(k));
                if (r.action == seglog::redact_action::mask)
                    CHECK(out.contains(k) && out[k] == r.replacement, "mask did not replace " + show(k));
                if (r.action == seglog::redact_action::hash)
                    CHECK(out.contains(k) && is_hex64(out[k]), "hash did not replace " + show(k));
            }
        }
    }
    if (!any_hash) {
        const json twice = red->apply(section, out);
        CHECK(twice == out, "not idempotent: " + describe(rules, allow) + "\n  in:     " +
                                show(object.dump(-1, ' ', false, json::error_handler_t::replace), 500) +
                                "\n  once:   " + show(dumped, 500) +
                                "\n  twice:  " + show(twice.dump(-1, ' ', false, json::error_handler_t::replace), 500));
    }
    return 0;
}
