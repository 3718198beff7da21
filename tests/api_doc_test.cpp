// docs/api.md is the API reference: what it lists must exist under that name, and what users
// look up there must be listed. The names are taken from the code itself: the reasons from
// to_string(reason), the stats and config fields and the macros from the public headers, the
// environment variables from the literals src/config/ reads, the headers from the list Meson
// installs.
#include <seglog/error.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

const std::string source_root = SEGLOG_SOURCE_ROOT;

std::string read_source(const std::string &relative) {
    std::ifstream in(source_root + "/" + relative);
    REQUIRE_MESSAGE(in.good(), "cannot read " << relative);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> lines_of(const std::string &text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The lines under the heading `heading` (a whole line of the document), up to the next
// heading of the same or a higher level.
std::string section(const std::string &md, const std::string &heading) {
    const std::size_t level = heading.find(' ');
    std::string out;
    bool inside = false, found = false, in_code = false;
    for (const std::string &line : lines_of(md)) {
        if (line.rfind("```", 0) == 0) in_code = !in_code;
        const bool is_heading = !in_code && line.rfind('#', 0) == 0;
        if (inside && is_heading && line.find(' ') <= level) break;
        if (inside) out += line + "\n";
        if (line == heading) inside = found = true;
    }
    REQUIRE_MESSAGE(found, "docs/api.md has no heading \"" << heading << "\"");
    return out;
}

// The names in the first column of a Markdown table: rows that start with "| `name` |".
std::set<std::string> first_column(const std::string &table) {
    std::set<std::string> names;
    const std::regex row(R"(^\| `([^`]+)` \|)");
    for (const std::string &line : lines_of(table)) {
        std::smatch m;
        if (std::regex_search(line, m, row)) names.insert(m[1]);
    }
    return names;
}

// `text` between the line that starts with `begin` and the next line that starts with `end`.
std::string between(const std::string &text, const std::string &begin, const std::string &end) {
    const std::size_t from = text.find("\n" + begin);
    REQUIRE_MESSAGE(from != std::string::npos, "\"" << begin << "\" not found");
    const std::size_t to = text.find("\n" + end, from + 1);
    REQUIRE_MESSAGE(to != std::string::npos, "\"" << end << "\" not found after \"" << begin << "\"");
    return text.substr(from, to - from);
}

std::set<std::string> matches(const std::string &text, const std::regex &re, int group = 1) {
    std::set<std::string> out;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
        out.insert((*it)[group]);
    return out;
}

// The data members declared in a struct's body, one per line at the body's indentation.
std::set<std::string> data_members(const std::string &body) {
    std::set<std::string> names;
    const std::regex member(R"(^    ([A-Za-z_][\w:]*(?:<.*>)?) (\w+)(\[\w+\])?\s*(?:=[^;]*|\{.*\})?;)");
    for (const std::string &line : lines_of(body)) {
        std::smatch m;
        if (std::regex_search(line, m, member) && m[1] != "using") names.insert(m[2]);
    }
    return names;
}

std::string public_headers_text() {
    std::string all;
    for (const auto &entry : std::filesystem::recursive_directory_iterator(source_root + "/include/seglog"))
        if (entry.path().extension() == ".h") all += read_source(entry.path().lexically_relative(source_root).string());
    return all;
}

// Missing names, for a readable failure: "a, b".
std::string missing(const std::set<std::string> &wanted, const std::set<std::string> &have) {
    std::string out;
    for (const auto &n : wanted)
        if (!have.count(n)) out += (out.empty() ? "" : ", ") + n;
    return out;
}

} // namespace

TEST_SUITE("api_doc") {

TEST_CASE("every seglog::reason has a row in the reasons table, and every row is a reason") {
    const std::string md = read_source("docs/api.md");
    std::set<std::string> reasons;
    for (int i = 0; i < seglog::reason_count; ++i) reasons.insert(seglog::to_string(static_cast<seglog::reason>(i)));
    REQUIRE(reasons.size() == static_cast<std::size_t>(seglog::reason_count));
    CHECK(reasons.count("unknown") == 0);
    const std::set<std::string> rows = first_column(section(md, "### Reasons"));
    CHECK_MESSAGE(missing(reasons, rows).empty(), "reasons without a row: " << missing(reasons, rows));
    CHECK_MESSAGE(missing(rows, reasons).empty(), "rows that are not reasons: " << missing(rows, reasons));
}

TEST_CASE("every field of seglog::stats has a row, and every row is a field") {
    const std::string md = read_source("docs/api.md");
    const std::set<std::string> fields = data_members(
        between(read_source("include/seglog/stats.h"), "struct stats {", "};"));
    REQUIRE(fields.count("accepted") == 1);
    REQUIRE(fields.count("by_reason") == 1);
    const std::set<std::string> rows = first_column(section(md, "### `seglog::stats`"));
    CHECK_MESSAGE(missing(fields, rows).empty(), "stats fields without a row: " << missing(fields, rows));
    CHECK_MESSAGE(missing(rows, fields).empty(), "rows that are not stats fields: " << missing(rows, fields));
}

TEST_CASE("every field of seglog::config has a row, and every row is a field") {
    const std::string md = read_source("docs/api.md");
    const std::set<std::string> fields = data_members(
        between(read_source("include/seglog/config.h"), "struct SEGLOG_API config {", "};"));
    REQUIRE(fields.count("write_key") == 1);
    REQUIRE(fields.count("flush_interval") == 1);
    REQUIRE(fields.count("env_reader") == 0);
    const std::set<std::string> rows = first_column(section(md, "### Fields"));
    CHECK_MESSAGE(missing(fields, rows).empty(), "config fields without a row: " << missing(fields, rows));
    CHECK_MESSAGE(missing(rows, fields).empty(), "rows that are not config fields: " << missing(rows, fields));
}

TEST_CASE("the environment variables listed are exactly those the configuration reads") {
    const std::string md = read_source("docs/api.md");
    std::set<std::string> read;
    const std::regex literal(R"re("((?:SEGLOG|SEGMENT)_[A-Z_]+|APP_ENV|ENVIRONMENT)")re");
    for (const auto &entry : std::filesystem::directory_iterator(source_root + "/src/config")) {
        const std::set<std::string> found = matches(read_source(entry.path().lexically_relative(source_root).string()),
                                                    literal);
        read.insert(found.begin(), found.end());
    }
    REQUIRE(read.count("SEGMENT_WRITE_KEY") == 1);
    const std::set<std::string> rows = first_column(section(md, "### Environment variables"));
    CHECK_MESSAGE(missing(read, rows).empty(), "variables read but not listed: " << missing(read, rows));
    CHECK_MESSAGE(missing(rows, read).empty(), "variables listed but never read: " << missing(rows, read));
}

TEST_CASE("every public macro is in the reference, and every SEGLOG_/SEGMENT_ name it uses exists") {
    const std::string md = read_source("docs/api.md");
    const std::string headers = public_headers_text();
    std::set<std::string> macros = matches(headers, std::regex(R"(#define (SEGLOG_\w+))"));
    for (auto it = macros.begin(); it != macros.end();)
        it = it->rfind("SEGLOG_DETAIL_", 0) == 0 ? macros.erase(it) : std::next(it);
    REQUIRE(macros.count("SEGLOG_TRACK") == 1);
    const std::set<std::string> in_doc = matches(md, std::regex(R"(\b(SEGLOG_\w*[A-Z])\b)"));
    CHECK_MESSAGE(missing(macros, in_doc).empty(), "macros not in docs/api.md: " << missing(macros, in_doc));

    // Every full name in the document is a macro or an environment variable ("SEGLOG_VERSION_*"
    // and "SEGLOG_*" name groups and are not full names).
    const std::set<std::string> variables = first_column(section(md, "### Environment variables"));
    const std::set<std::string> used = matches(md, std::regex(R"(\b((?:SEGLOG|SEGMENT)_\w*[A-Z])\b(?!_?\*))"));
    std::set<std::string> known = macros;
    known.insert(variables.begin(), variables.end());
    CHECK_MESSAGE(missing(used, known).empty(), "names in docs/api.md that do not exist: " << missing(used, known));
}

TEST_CASE("every installed header is in the reference, and every header it names is installed") {
    const std::string md = read_source("docs/api.md");
    const std::set<std::string> installed = matches(read_source("include/seglog/meson.build"),
                                                    std::regex(R"('((?:sinks/)?\w+\.h)')"));
    REQUIRE(installed.count("sinks/demux_sink.h") == 1);
    const std::set<std::string> named = matches(md, std::regex(R"(<seglog/([\w/]+\.h)>)"));
    CHECK_MESSAGE(missing(installed, named).empty(), "headers not in docs/api.md: " << missing(installed, named));
    CHECK_MESSAGE(missing(named, installed).empty(), "headers named but not installed: " << missing(named, installed));
}

TEST_CASE("every exported class and function, and every member function of client, is in the reference") {
    const std::string md = read_source("docs/api.md");
    // detail:: is not API: its blocks are left out, and so are comments.
    const std::string all = public_headers_text();
    std::string headers;
    for (std::size_t at = 0; at < all.size();) {
        const std::size_t begin = all.find("namespace detail {", at);
        headers += all.substr(at, begin == std::string::npos ? std::string::npos : begin - at);
        if (begin == std::string::npos) break;
        const std::size_t end = all.find("} // namespace detail", begin);
        REQUIRE(end != std::string::npos);
        at = end + 1;
    }
    std::string code;
    for (const std::string &line : lines_of(headers)) code += line.substr(0, line.find("//")) + "\n";
    std::set<std::string> names = matches(code, std::regex(R"((?:class|struct) SEGLOG_API (\w+))"));
    const std::set<std::string> functions = matches(code, std::regex(R"(SEGLOG_API [^;{()]*?\b([a-z]\w*)\()"));
    names.insert(functions.begin(), functions.end());
    const std::string client_body = between(read_source("include/seglog/client.h"), "class SEGLOG_API client {",
                                            "private:");
    const std::set<std::string> members = matches(client_body, std::regex(R"(\b([a-z_]+)\()"));
    names.insert(members.begin(), members.end());
    REQUIRE(names.count("attach") == 1);
    REQUIRE(names.count("on_attempt") == 1);
    REQUIRE(names.count("record_target") == 0);

    std::set<std::string> absent;
    for (const auto &n : names)
        if (!std::regex_search(md, std::regex("\\b" + n + "\\b"))) absent.insert(n);
    CHECK_MESSAGE(absent.empty(), "not in docs/api.md: " << missing(absent, {}));
}

} // TEST_SUITE
