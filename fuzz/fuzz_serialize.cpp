// fuzz_serialize: arbitrary events through seglog::detail::serialize_event.
//
// The input picks an event type, identity, names, options and properties, either a JSON tree
// (parsed from the input, or built from it with arbitrary bytes in keys and strings, deep
// nesting, NaN/Inf, binary values) or a braced `seglog::property` list with arbitrary
// string_views. Invariants (docs/hardening.md):
//   success: the record parses as a JSON object; its first 14 bytes are {"messageId":" and
//            bytes [14,50) are a UUID v4 equal to the parsed messageId; it fits the limit;
//            type, ids, names, properties/traits, context and integrations read back equal
//            to the input (context.library is always seglog's).
//   error:   the texts of the error are valid UTF-8 without control characters (so no raw
//            invalid input bytes and no forged log lines), and they do not depend on property
//            values: the same event with every printable ASCII byte of every string value
//            replaced by 'x' (same size, same validity) gives the very same error.
//   both:    serialize_event never crashes, leaks or trips a sanitizer.
// A quarter of the inputs go through a redactor (a few rules and allow-list paths): the same
// invariants hold, except that properties/traits/context are only checked to be objects.

#include "event/json_writer.h"
#include "event/serialize.h"
#include "common/timestamp.h"

#include "fuzz_common.h"

#include <seglog/config.h>
#include <seglog/redaction.h>

#include <fuzzer/FuzzedDataProvider.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace {

using json = nlohmann::json;
using seglog_fuzz::show;
using seglog_fuzz::valid_utf8;
constexpr const char *target = "fuzz_serialize";
#define CHECK(cond, detail) FUZZ_CHECK(target, cond, detail)

// Same length, same UTF-8 validity, same escaping: printable ASCII other than " and \ -> 'x'.
std::string mask(std::string_view s) {
    std::string out(s);
    for (auto &ch : out) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') ch = 'x';
    }
    return out;
}

// The tree with every string value masked; keys kept (they name the failing path).
json mask_values(const json &j) {
    switch (j.type()) {
    case json::value_t::string: return mask(j.get_ref<const std::string &>());
    case json::value_t::array: {
        json out = json::array();
        for (const auto &e : j) out.push_back(mask_values(e));
        return out;
    }
    case json::value_t::object: {
        json out = json::object();
        for (const auto &[k, v] : j.items()) out[k] = mask_values(v);
        return out;
    }
    default: return j;
    }
}

class tree_builder {
public:
    explicit tree_builder(FuzzedDataProvider &fdp) : fdp_(fdp) {}

    std::string str(std::size_t max = 48) { return fdp_.ConsumeRandomLengthString(max); }

    json make(int depth) {
        if (fdp_.remaining_bytes() == 0) return nullptr;
        switch (fdp_.ConsumeIntegralInRange<int>(0, 11)) {
        case 0: return nullptr;
        case 1: return fdp_.ConsumeBool();
        case 2: return fdp_.ConsumeIntegral<std::int64_t>();
        case 3: return fdp_.ConsumeIntegral<std::uint64_t>();
        case 4: return fdp_.ConsumeFloatingPoint<double>();
        case 5: return special_double();
        case 6:
        case 7: return str();
        case 8: return json::binary(fdp_.ConsumeBytes<std::uint8_t>(fdp_.ConsumeIntegralInRange<int>(0, 8)));
        case 9: { // a chain of single-element containers, to go past the depth limit cheaply
            const int levels = fdp_.ConsumeIntegralInRange<int>(1, 40);
            json inner = depth + levels < max_depth ? make(depth + levels) : json(1);
            for (int i = 0; i < levels; ++i) inner = fdp_.ConsumeBool() ? json::array({std::move(inner)})
                                                                        : json{{str(4), std::move(inner)}};
            return inner;
        }
        case 10: {
            json a = json::array();
            if (depth >= max_depth) return a;
            const int n = fdp_.ConsumeIntegralInRange<int>(0, 5);
            for (int i = 0; i < n && fdp_.remaining_bytes(); ++i) a.push_back(make(depth + 1));
            return a;
        }
        default: return object(depth);
        }
    }

    json object(int depth) {
        json o = json::object();
        if (depth >= max_depth) return o;
        const int n = fdp_.ConsumeIntegralInRange<int>(0, 6);
        for (int i = 0; i < n && fdp_.remaining_bytes(); ++i) {
            std::string k = str(24);
            o[k] = make(depth + 1);
        }
        return o;
    }

    // The top of properties/context/integrations: usually an object, sometimes not.
    json top() {
        switch (fdp_.ConsumeIntegralInRange<int>(0, 7)) {
        case 0: return nullptr;
        case 1: return make(0);
        case 2: { // JSON text, as a service would pass a parsed request body
            json j = json::parse(str(512), nullptr, /*allow_exceptions=*/false);
            return j.is_discarded() ? json::object() : j;
        }
        default: return object(0);
        }
    }

    double special_double() {
        switch (fdp_.ConsumeIntegralInRange<int>(0, 7)) {
        case 0: return std::numeric_limits<double>::quiet_NaN();
        case 1: return std::numeric_limits<double>::infinity();
        case 2: return -std::numeric_limits<double>::infinity();
        case 3: return -0.0;
        case 4: return std::numeric_limits<double>::denorm_min();
        case 5: return std::numeric_limits<double>::max();
        case 6: return 9223372036854775808.0; // 2^63
        default: return 18446744073709551616.0; // 2^64
        }
    }

private:
    static constexpr int max_depth = 48; // past seglog's limit of 32, well short of the stack's
    FuzzedDataProvider &fdp_;
};

// One entry of a braced property list, with storage for what its value borrows.
struct list_item {
    std::string key;
    int kind = 0;
    std::string text; // string kinds
    double d = 0;
    std::int64_t i = 0;
    std::uint64_t u = 0;
    bool b = false;
    json tree;

    seglog::value to_value() const {
        switch (kind) {
        case 0: return nullptr;
        case 1: return b;
        case 2: return i;
        case 3: return u;
        case 4: return d;
        case 5: return std::string_view(text);
        case 6: return text.c_str(); // stops at the first NUL, like a C string
        case 7: return static_cast<const char *>(nullptr);
        default: return tree;
        }
    }
    // What the property reads back as, after a successful round trip.
    json expected() const {
        switch (kind) {
        case 0: case 7: return nullptr;
        case 1: return b;
        case 2: return i;
        case 3: return u;
        case 4: return d;
        case 5: return text;
        case 6: return std::string(text.c_str());
        default: return tree;
        }
    }
};

// Calls f(properties) with a braced list built from `v` (at most max_list entries: more than
// one of the writer's 16-member runs): the initializer_list's array lives until the end of the
// full expression, as at a call site.
constexpr std::size_t max_list = 20;
template <typename F, std::size_t... I>
auto with_list(const std::vector<seglog::property> &v, F &&f, std::index_sequence<I...>) {
    return f(seglog::properties{v[I]...});
}
template <std::size_t N = 0, typename F>
auto with_list(const std::vector<seglog::property> &v, F &&f) {
    if constexpr (N == max_list) {
        return with_list(v, f, std::make_index_sequence<N>{});
    } else {
        if (v.size() == N) return with_list(v, f, std::make_index_sequence<N>{});
        return with_list<N + 1>(v, f);
    }
}

bool is_uuid_v4(std::string_view id) {
    if (id.size() != 36) return false;
    for (std::size_t i = 0; i < id.size(); ++i) {
        const char c = id[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return id[14] == '4' && (id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
}

bool is_iso8601(const std::string &t) {
    // YYYY-MM-DDTHH:MM:SS.mmmZ
    static const char pattern[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (t.size() != sizeof pattern - 1) return false;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (pattern[i] == 'd' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != pattern[i]) return false;
    }
    return true;
}

void check_error_text(const std::string &what, const std::string &s) {
    CHECK(valid_utf8(s), what + " is not valid UTF-8: " + show(s));
    CHECK(!seglog_fuzz::has_control_char(s), what + " has a control character: " + show(s));
}

std::string describe(const std::optional<seglog::error> &e) {
    if (!e) return "ok";
    return std::string(seglog::to_string(e->code)) + ": " + show(e->message) + " [" + show(e->event_type) + "/" +
           show(e->event_name) + "]";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    FuzzedDataProvider fdp(data, size);
    tree_builder tb(fdp);
    using seglog::event_type;

    const auto type = static_cast<event_type>(fdp.ConsumeIntegralInRange<int>(0, 5));
    const std::size_t limit = fdp.ConsumeBool() ? 32 * 1024 : fdp.ConsumeIntegralInRange<std::size_t>(0, 4096);
    seglog::identity who{tb.str(), tb.str()};
    const std::string name = tb.str(), group_id = tb.str(), previous_id = tb.str(), alias_user_id = tb.str();

    // options
    const json context = tb.top(), integrations = tb.top();
    seglog::call_options opts;
    if (fdp.ConsumeBool()) opts.with_context(context);
    if (fdp.ConsumeBool()) opts.with_integrations(integrations);
    if (fdp.ConsumeBool())
        opts.with_timestamp(std::chrono::system_clock::time_point(
            std::chrono::system_clock::duration(fdp.ConsumeIntegral<std::int64_t>())));

    // Sometimes through a redactor (the rules every destination sees): then properties, traits
    // and context are not compared with the input, everything else is.
    std::unique_ptr<seglog::redactor> redactor;
    if (fdp.ConsumeIntegralInRange<int>(0, 3) == 0) {
        static const char *const paths[] = {"properties.*", "traits.**.a", "**.b", "context.ip", "*.*.c",
                                            "properties.**", "traits.x"};
        std::vector<seglog::redact_rule> rules;
        std::vector<std::string> allow;
        const int n = fdp.ConsumeIntegralInRange<int>(0, 3);
        for (int k = 0; k < n; ++k)
            rules.push_back({paths[fdp.ConsumeIntegralInRange<int>(0, 6)],
                             static_cast<seglog::redact_action>(fdp.ConsumeIntegralInRange<int>(0, 2)),
                             seglog::default_mask});
        if (fdp.ConsumeBool()) allow.push_back(fdp.ConsumeBool() ? "properties.a" : "**.b.*");
        try {
            redactor = std::make_unique<seglog::redactor>(rules, allow, "fuzz-hmac-key-0123456789");
        } catch (const seglog::config_error &) {
            // a path the allow-list refuses: no redactor
        }
    }
    const bool redacted = redactor != nullptr;

    // properties: a JSON tree, or a braced list
    const bool braced = fdp.ConsumeBool();
    json props_tree, masked_tree;
    std::vector<list_item> items;
    std::vector<list_item> masked_items;
    json expected_props = json::object();
    if (!braced) {
        props_tree = tb.top();
        masked_tree = mask_values(props_tree);
        expected_props = props_tree.is_null() ? json::object() : props_tree;
    } else {
        const int n = fdp.ConsumeIntegralInRange<int>(0, static_cast<int>(max_list));
        items.reserve(n);
        for (int k = 0; k < n; ++k) {
            list_item it;
            it.key = tb.str(24);
            it.kind = fdp.ConsumeIntegralInRange<int>(0, 8);
            switch (it.kind) {
            case 1: it.b = fdp.ConsumeBool(); break;
            case 2: it.i = fdp.ConsumeIntegral<std::int64_t>(); break;
            case 3: it.u = fdp.ConsumeIntegral<std::uint64_t>(); break;
            case 4: it.d = fdp.ConsumeBool() ? tb.special_double() : fdp.ConsumeFloatingPoint<double>(); break;
            case 5: case 6: it.text = tb.str(64); break;
            case 8: it.tree = tb.make(1); break;
            default: break;
            }
            items.push_back(std::move(it));
        }
        masked_items = items;
        for (auto &it : masked_items) {
            it.text = mask(it.text);
            it.tree = mask_values(it.tree);
        }
        for (const auto &it : items) expected_props[it.key] = it.expected(); // a repeated key: the last wins
    }

    auto run = [&](const seglog::properties &props, std::string &out) {
        seglog::detail::event_fields f;
        f.type = type;
        f.who = &who;
        f.name = name;
        f.group_id = group_id;
        f.previous_id = previous_id;
        f.alias_user_id = alias_user_id;
        f.props = &props;
        f.opts = &opts;
        return seglog::detail::serialize_event(f, out, limit, redactor.get());
    };
    auto run_list = [&](const std::vector<list_item> &list, std::string &out) {
        std::vector<seglog::property> v;
        v.reserve(list.size());
        for (const auto &it : list) v.emplace_back(it.key, it.to_value());
        return with_list(v, [&](const seglog::properties &p) { return run(p, out); });
    };

    std::string out, masked_out;
    std::optional<seglog::error> err, masked_err;
    if (braced) {
        err = run_list(items, out);
        masked_err = run_list(masked_items, masked_out);
    } else {
        err = run(seglog::properties(props_tree), out);
        masked_err = run(seglog::properties(masked_tree), masked_out);
    }

    // Property values never change the outcome, only their size and validity do.
    CHECK(err.has_value() == masked_err.has_value(), describe(err) + " vs masked " + describe(masked_err));
    if (err) {
        CHECK(err->code == masked_err->code && err->message == masked_err->message &&
                  err->event_type == masked_err->event_type && err->event_name == masked_err->event_name,
              describe(err) + " vs masked " + describe(masked_err));
        check_error_text("error message", err->message);
        check_error_text("error event_type", err->event_type);
        CHECK(valid_utf8(err->event_name), "error event_name is not valid UTF-8: " + show(err->event_name));
        CHECK(err->message_ids.empty() && err->http_status == 0, describe(err));
        return 0;
    }
    CHECK(out.size() == masked_out.size(), describe(err));

    // The record.
    CHECK(out.size() <= limit, std::to_string(out.size()) + " > " + std::to_string(limit));
    CHECK(out.compare(0, 14, "{\"messageId\":\"") == 0, show(out));
    const std::string_view id = seglog::detail::record_message_id(out);
    CHECK(is_uuid_v4(id), show(out));
    CHECK(valid_utf8(out), show(out));
    const json doc = json::parse(out, nullptr, /*allow_exceptions=*/false);
    CHECK(!doc.is_discarded() && doc.is_object(), "not JSON: " + show(out, 2000));
    CHECK(doc.value("messageId", "") == id, show(out));
    CHECK(doc.value("type", "") == seglog::to_string(type), show(out));
    const std::string ts = doc.value("timestamp", "");
    CHECK(is_iso8601(ts), show(out));
    if (opts.timestamp) CHECK(ts == seglog::detail::iso8601(*opts.timestamp), ts);

    if (type == event_type::alias) {
        CHECK(doc.value("userId", "") == alias_user_id && doc.value("previousId", "") == previous_id, show(out));
        CHECK(!doc.contains("properties") && !doc.contains("traits"), show(out));
    } else {
        CHECK(doc.value("userId", "") == who.user_id, show(out));
        CHECK(doc.value("anonymousId", "") == who.anonymous_id, show(out));
        const char *key = type == event_type::identify || type == event_type::group ? "traits" : "properties";
        CHECK(doc.contains(key) && (redacted ? doc[key].is_object() : doc[key] == expected_props),
              std::string(key) + ": " + show(out, 2000) + "\nexpected " +
                  show(expected_props.dump(-1, ' ', false, json::error_handler_t::replace), 2000));
    }
    if (type == event_type::track) CHECK(doc.value("event", "") == name, show(out));
    if (type == event_type::group) CHECK(doc.value("groupId", "") == group_id, show(out));
    if (type == event_type::page || type == event_type::screen)
        CHECK(doc.value("name", "") == name, show(out));

    const json &ctx = doc.at("context");
    CHECK(ctx.is_object() && ctx.contains("library") && ctx["library"].value("name", "") == "seglog", show(out));
    json ctx_rest = ctx;
    ctx_rest.erase("library");
    json expected_ctx = opts.context && !context.is_null() ? context : json::object();
    expected_ctx.erase("library");
    CHECK(redacted || ctx_rest == expected_ctx, "context: " + show(out, 2000));
    const json expected_integrations = opts.integrations && !integrations.is_null() ? integrations : json::object();
    CHECK(doc.at("integrations") == expected_integrations, "integrations: " + show(out, 2000));
    return 0;
}
