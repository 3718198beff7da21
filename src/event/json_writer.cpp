#include "event/json_writer.h"

#include <charconv>
#include <cmath>

namespace seglog::detail {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

// Length of the UTF-8 sequence starting at p (whose lead byte is >= 0x80), or 0 when the
// sequence is invalid (overlong, surrogate, beyond U+10FFFF, truncated).
std::size_t utf8_sequence_length(const unsigned char *p, const unsigned char *end) {
    const unsigned char c = p[0];
    auto cont = [&](std::size_t i) { return p + i < end && (p[i] & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        if (c == 0xE0 && p[1] < 0xA0) return 0; // overlong
        if (c == 0xED && p[1] > 0x9F) return 0; // UTF-16 surrogates
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        if (c == 0xF0 && p[1] < 0x90) return 0; // overlong
        if (c == 0xF4 && p[1] > 0x8F) return 0; // > U+10FFFF
        return 4;
    }
    return 0;
}

} // namespace

bool append_json_string(std::string &out, std::string_view s) {
    out.push_back('"');
    const auto *p = reinterpret_cast<const unsigned char *>(s.data());
    const auto *end = p + s.size();
    const auto *run = p; // start of the current run of bytes copied verbatim
    auto flush_run = [&](const unsigned char *upto) {
        out.append(reinterpret_cast<const char *>(run), static_cast<std::size_t>(upto - run));
    };
    while (p < end) {
        const unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            ++p;
            continue;
        }
        if (c >= 0x80) {
            const std::size_t n = utf8_sequence_length(p, end);
            if (n == 0) return false;
            p += n;
            continue;
        }
        flush_run(p);
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        default: // other control characters, NUL included
            out.append("\\u00");
            out.push_back(hex_digits[c >> 4]);
            out.push_back(hex_digits[c & 0xF]);
        }
        run = ++p;
    }
    flush_run(end);
    out.push_back('"');
    return true;
}

void append_int(std::string &out, std::int64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_uint(std::string &out, std::uint64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

bool append_double(std::string &out, double v) {
    if (!std::isfinite(v)) return false;
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v); // shortest form that round-trips
    out.append(buf, r.ptr);
    return true;
}

bool json_writer::fail(seglog::reason r) {
    failure_.code = r;
    failure_.key.clear();
    return false;
}

bool json_writer::prepend(std::string_view segment) {
    std::string k(segment);
    if (!failure_.key.empty()) k.append(".").append(failure_.key);
    failure_.key = std::move(k);
    return false;
}

bool json_writer::key(std::string_view k) {
    if (append_json_string(out_, k)) {
        out_.push_back(':');
        return true;
    }
    fail(seglog::reason::invalid_utf8);
    failure_.key = "<invalid key>"; // never copy the invalid bytes into a message
    return false;
}

bool json_writer::write(const value &v) {
    switch (v.type()) {
    case value::kind::null: out_.append("null"); return true;
    case value::kind::boolean: out_.append(v.as_bool() ? "true" : "false"); return true;
    case value::kind::integer: append_int(out_, v.as_int()); return true;
    case value::kind::unsigned_integer: append_uint(out_, v.as_uint()); return true;
    case value::kind::floating:
        return append_double(out_, v.as_double()) || fail(seglog::reason::non_finite_number);
    case value::kind::string:
        return append_json_string(out_, v.as_string()) || fail(seglog::reason::invalid_utf8);
    case value::kind::json: return write(v.as_json(), 1);
    }
    return true;
}

bool json_writer::write(const nlohmann::json &j, int depth) {
    using t = nlohmann::json::value_t;
    switch (j.type()) {
    case t::null:
    case t::discarded: out_.append("null"); return true;
    case t::boolean: out_.append(j.get<bool>() ? "true" : "false"); return true;
    case t::number_integer: append_int(out_, j.get<std::int64_t>()); return true;
    case t::number_unsigned: append_uint(out_, j.get<std::uint64_t>()); return true;
    case t::number_float:
        return append_double(out_, j.get<double>()) || fail(seglog::reason::non_finite_number);
    case t::string:
        return append_json_string(out_, j.get_ref<const std::string &>()) ||
               fail(seglog::reason::invalid_utf8);
    case t::binary: return fail(seglog::reason::not_an_object); // JSON cannot carry bytes
    case t::array: {
        if (depth >= max_json_depth) return fail(seglog::reason::too_deep);
        out_.push_back('[');
        std::size_t i = 0;
        for (const auto &e : j) {
            if (i) out_.push_back(',');
            if (!write(e, depth + 1)) return prepend(std::to_string(i));
            ++i;
        }
        out_.push_back(']');
        return true;
    }
    case t::object:
        if (depth >= max_json_depth) return fail(seglog::reason::too_deep);
        out_.push_back('{');
        if (!write_members(j, false, {}, depth)) return false;
        out_.push_back('}');
        return true;
    }
    return true;
}

bool json_writer::write_members(const properties &p, bool leading_comma) {
    if (p.is_json()) {
        const auto &j = p.json();
        if (j.is_null()) return true; // a default-constructed json means "no properties"
        if (!j.is_object()) return fail(seglog::reason::not_an_object);
        return write_members(j, leading_comma);
    }
    bool comma = leading_comma;
    for (const auto &prop : p.list()) {
        if (comma) out_.push_back(',');
        comma = true;
        if (!key(prop.key)) return false;
        if (!write(prop.value)) return prepend(prop.key);
    }
    return true;
}

bool json_writer::write_members(const nlohmann::json &obj, bool leading_comma,
                                std::string_view skip_key, int depth) {
    bool comma = leading_comma;
    for (const auto &[k, v] : obj.items()) {
        if (!skip_key.empty() && k == skip_key) continue;
        if (comma) out_.push_back(',');
        comma = true;
        if (!key(k)) return false;
        if (!write(v, depth + 1)) return prepend(k);
    }
    return true;
}

} // namespace seglog::detail
