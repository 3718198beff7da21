#include "event/redact_writer.h"

#include "event/path_match.h"

#include <algorithm>
#include <type_traits>
#include <utility>

namespace seglog::detail {

void add_path_state(const std::vector<compiled_pattern> &patterns, path_states &to, std::uint16_t p, std::uint16_t i) {
    const auto &segs = patterns[p].segments;
    for (;;) {
        if (std::find(to.begin(), to.end(), path_state{p, i}) == to.end()) to.push_back({p, i});
        if (i < segs.size() && segs[i].type == path_segment::kind::any) ++i;
        else break;
    }
}

void step_path_states(const std::vector<compiled_pattern> &patterns, const path_states &from, std::string_view key,
                      path_states &to) {
    to.clear();
    for (const auto &[p, i] : from) {
        const auto &segs = patterns[p].segments;
        if (i >= segs.size()) continue;
        const auto &s = segs[i];
        if (s.type == path_segment::kind::any) add_path_state(patterns, to, p, i); // `**` consumes the key, stays
        else if (s.type == path_segment::kind::one || s.key == key)
            add_path_state(patterns, to, p, static_cast<std::uint16_t>(i + 1));
    }
}

namespace {

using state = path_state;
using state_set = path_states;

const char *section_name(section s) {
    switch (s) {
    case section::properties: return "properties";
    case section::traits: return "traits";
    case section::context: return "context";
    }
    return "";
}

bool is_allow(const redactor::impl &r, const state &st) { return r.patterns[st.first].rule < 0; }

void add(const redactor::impl &r, state_set &to, std::uint16_t p, std::uint16_t i) {
    add_path_state(r.patterns, to, p, i);
}

void step(const redactor::impl &r, const state_set &from, std::string_view key, state_set &to) {
    step_path_states(r.patterns, from, key, to);
}

int strength(redact_action a) {
    switch (a) {
    case redact_action::drop: return 3; // nothing left beats a fixed text beats a joinable hash
    case redact_action::mask: return 2;
    case redact_action::hash: return 1;
    }
    return 0;
}

struct verdict {
    int rule = -1;           // the strongest rule whose path ends at this key
    bool allowed = false;    // an allow-list path ends here: all below passes (rules still apply)
    bool allow_live = false; // an allow-list path goes on below
    bool rule_live = false;  // a rule's path goes on below
};

verdict judge(const redactor::impl &r, const state_set &s) {
    verdict v;
    for (const auto &st : s) {
        const auto &pat = r.patterns[st.first];
        const bool end = st.second == pat.segments.size();
        if (pat.rule >= 0) {
            if (!end) v.rule_live = true;
            else if (v.rule < 0 || strength(r.rules[pat.rule].action) > strength(r.rules[v.rule].action))
                v.rule = pat.rule;
        } else {
            (end ? v.allowed : v.allow_live) = true;
        }
    }
    return v;
}

bool any_rule_live(const redactor::impl &r, const state_set &s) {
    return std::any_of(s.begin(), s.end(), [&](const state &st) {
        return !is_allow(r, st) && st.second < r.patterns[st.first].segments.size();
    });
}

struct walker {
    json_writer &w;
    text_buffer &out;
    const redactor::impl &r;
    redaction_tally &tally;

    bool open(std::string_view key, bool &comma) {
        if (comma) out.push_back(',');
        comma = true;
        return w.key(key);
    }

    static bool is_container(const nlohmann::json &j) { return j.is_object() || j.is_array(); }
    static bool is_container(const value &v) { return v.type() == value::kind::list; } // json-kind: walked as json
    static const std::string *as_string(const nlohmann::json &j) {
        return j.is_string() ? &j.get_ref<const std::string &>() : nullptr;
    }
    bool write_plain(const nlohmann::json &j, int depth) { return w.write(j, depth); }
    bool write_plain(const value &v, int depth) { return w.write(v, depth); }

    template <typename V>
    bool hash_value(const V &v, int depth) {
        std::string_view text;
        std::string written;
        bool is_string = false;
        if constexpr (std::is_same_v<V, value>) {
            if ((is_string = v.type() == value::kind::string)) text = v.as_string();
        } else {
            if (const std::string *s = as_string(v)) {
                is_string = true;
                text = *s;
            }
        }
        if (!is_string) {
            // Anything but a string is hashed as its JSON text, written (and validated) in place.
            const std::size_t at = out.size();
            if (!write_plain(v, depth)) return false;
            written = out.substr(at);
            out.resize(at);
            text = written;
        }
        out.push_back('"');
        r.append_hash(out, text);
        out.push_back('"');
        return true;
    }

    // ,"key":value for one member, or nothing when it is dropped.
    template <typename V>
    bool member(std::string_view key, const V &v, const state_set &parent, bool constrained, int depth, bool &comma) {
        if constexpr (std::is_same_v<V, value>) {
            if (v.type() == value::kind::json) return member(key, v.as_json(), parent, constrained, depth, comma);
        }
        state_set s;
        step(r, parent, key, s);
        const verdict d = judge(r, s);
        bool below_constrained = constrained;
        if (constrained) {
            if (d.allowed) {
                below_constrained = false;
                s.erase(std::remove_if(s.begin(), s.end(), [&](const state &st) { return is_allow(r, st); }), s.end());
            } else if (!d.allow_live || !is_container(v)) {
                ++tally.not_allowed;
                return true;
            }
        }
        if (d.rule >= 0) {
            const redact_rule &rule = r.rules[static_cast<std::size_t>(d.rule)];
            if (rule.action == redact_action::drop) {
                ++tally.dropped;
                return true;
            }
            if (below_constrained) { // only allowed paths lie below: a mask or hash of the whole
                ++tally.not_allowed; // container would emit a key the allow-list does not name
                return true;
            }
            if (!open(key, comma)) return false;
            if (rule.action == redact_action::mask) {
                append_json_string(out, rule.replacement); // checked to be UTF-8 at construction
                ++tally.masked;
                return true;
            }
            if (!hash_value(v, depth)) return w.prepend(key);
            ++tally.hashed;
            return true;
        }
        if (is_container(v) && depth < max_json_depth && (below_constrained || d.rule_live)) {
            const std::size_t before = out.size();
            const bool comma_before = comma;
            if (!open(key, comma)) return false;
            bool kept = false;
            if (!container(v, s, below_constrained, depth, kept)) return w.prepend(key);
            if (below_constrained && !kept) { // nothing named by the allow-list inside
                out.resize(before);
                comma = comma_before;
            }
            return true;
        }
        // No rule reaches below: json_writer writes it (and reports too_deep past the limit).
        if (!open(key, comma)) return false;
        return write_plain(v, depth) || w.prepend(key);
    }

    // An array element: no key of its own, so it is only walked through (arrays are transparent).
    template <typename V>
    bool element(const V &e, const state_set &s, bool constrained, int depth, bool &comma) {
        if constexpr (std::is_same_v<V, value>) {
            if (e.type() == value::kind::json) return element(e.as_json(), s, constrained, depth, comma);
        }
        const bool walk = is_container(e) && depth < max_json_depth && (constrained || any_rule_live(r, s));
        if (!walk && constrained && !is_container(e)) {
            ++tally.not_allowed; // a scalar the allow-list cannot name
            return true;
        }
        if (comma) out.push_back(',');
        comma = true;
        if (!walk) return write_plain(e, depth);
        bool kept = false; // an emptied element stays, so the others keep their positions
        return container(e, s, constrained, depth, kept);
    }

    // An object or array (a json one, or a braced list read by nlohmann's rule) at `depth`.
    template <typename V>
    bool container(const V &c, const state_set &s, bool constrained, int depth, bool &kept) {
        bool comma = false;
        if (is_object(c)) {
            out.push_back('{');
            if (!members(c, s, constrained, depth, comma)) return false;
            out.push_back('}');
        } else {
            out.push_back('[');
            std::size_t i = 0;
            for (const auto &e : elements(c)) {
                if (!w.within_limit() || !element(e, s, constrained, depth + 1, comma))
                    return w.prepend(std::to_string(i));
                ++i;
            }
            out.push_back(']');
        }
        kept = comma;
        return true;
    }
    static bool is_object(const nlohmann::json &j) { return j.is_object(); }
    static bool is_object(const value &v) { return is_object_list(v.as_list()); }
    static const nlohmann::json &elements(const nlohmann::json &j) { return j; }
    static value_list elements(const value &v) { return v.as_list(); }

    bool members(const nlohmann::json &obj, const state_set &s, bool constrained, int depth, bool &comma,
                 std::string_view skip_key = {}) {
        if (!w.members_ok(obj.size())) return false;
        for (const auto &[k, v] : obj.items()) {
            if (!skip_key.empty() && k == skip_key) continue;
            if (!member(std::string_view(k), v, s, constrained, depth + 1, comma)) return false;
        }
        return true;
    }
    // An object written in braces: the members json_writer would write (a repeated key's first).
    bool members(const value &obj, const state_set &s, bool constrained, int depth, bool &comma) {
        const value_list l = obj.as_list();
        const repeated_keys repeated(l.size(), [&](std::size_t i) { return pair_of(l[i]).key; });
        if (!w.members_ok(l.size() - repeated.count())) return false;
        for (std::size_t i = 0; i < l.size(); ++i) {
            if (repeated[i]) continue;
            const pair_view m = pair_of(l[i]);
            if (!member(m.key, m.val, s, constrained, depth + 1, comma)) return false;
        }
        return true;
    }
    // A braced list of properties (at depth 0, its values at 1).
    bool members(std::initializer_list<property> list, const state_set &s, bool constrained, bool &comma,
                 std::string_view skip_key) {
        const property *const p = list.begin();
        const repeated_keys repeated(list.size(), [p](std::size_t i) { return p[i].key; });
        if (!w.members_ok(list.size() - repeated.count())) return false;
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (repeated[i] || (!skip_key.empty() && p[i].key == skip_key)) continue;
            if (!member(p[i].key, p[i].value, s, constrained, 1, comma)) return false;
        }
        return true;
    }
};

// States after the section name; allow-list paths only where the allow-list applies.
state_set initial(const redactor::impl &r, section sec, bool constrained) {
    state_set start, after;
    for (std::size_t p = 0; p < r.patterns.size(); ++p) {
        if (r.patterns[p].rule < 0 && !constrained) continue;
        add(r, start, static_cast<std::uint16_t>(p), 0);
    }
    step(r, start, section_name(sec), after);
    return after;
}

} // namespace

bool write_members_redacted(json_writer &w, text_buffer &out, const properties &p, const redactor::impl &r, section sec,
                            redaction_tally &tally, std::string_view skip_key) {
    if (p.is_json()) {
        const auto &j = p.json();
        if (j.is_null()) return true;
        if (!j.is_object()) return w.write_members(p); // reports not_an_object
        return write_members_redacted(w, out, j, r, sec, tally, skip_key);
    }
    const bool constrained = r.constrained & static_cast<std::uint8_t>(sec);
    const state_set s = initial(r, sec, constrained);
    walker k{w, out, r, tally};
    bool comma = false;
    return k.members(p.list(), s, constrained, comma, skip_key);
}

bool write_members_redacted(json_writer &w, text_buffer &out, const nlohmann::json &obj, const redactor::impl &r,
                            section sec, redaction_tally &tally, std::string_view skip_key) {
    const bool constrained = r.constrained & static_cast<std::uint8_t>(sec);
    const state_set s = initial(r, sec, constrained);
    walker k{w, out, r, tally};
    bool comma = false;
    return k.members(obj, s, constrained, 0, comma, skip_key);
}

} // namespace seglog::detail
