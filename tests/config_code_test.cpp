// seglog::config set in code: destinations, the effective destinations, mask_secret and
// describe(), and the write key never showing up in a message or a description.

#include <doctest/doctest.h>

#include "config_checks.h"

#include <seglog/config.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <pwd.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using seglog::config;
using seglog::config_error;
using seglog::destination;
using seglog_test::temp_dir;
using namespace seglog_test;
using namespace std::chrono_literals;

namespace fs = std::filesystem;

TEST_SUITE("config") {

// ---------------------------------------------------------------- destination

TEST_CASE("destination::parse accepts the four forms and to_string gives them back") {
    CHECK(destination::parse("segment") == destination::segment());
    CHECK(destination::parse("console") == destination::console());
    CHECK(destination::parse("off") == destination::off());
    CHECK(destination::parse("file:/var/log/e.jsonl") == destination::file("/var/log/e.jsonl"));
    CHECK(destination::parse("  file: rel/e.jsonl ") == destination::file("rel/e.jsonl"));
    CHECK(destination::parse("file:a,b.jsonl").path == "a,b.jsonl"); // a single destination may hold a comma
    for (std::string text : {"segment", "console", "off", "file:/x/y.jsonl"})
        CHECK(destination::parse(text).to_string() == text);
}

TEST_CASE("destination::parse names the bad value") {
    CHECK(error_of([] { destination::parse("segmnet"); }) ==
          "seglog config: unknown destination \"segmnet\" (expected segment, file:<path>, console or off)");
    CHECK(error_of([] { destination::parse("Segment"); }) ==
          "seglog config: unknown destination \"Segment\" (expected segment, file:<path>, console or off)");
    CHECK(error_of([] { destination::parse(""); }) ==
          "seglog config: unknown destination \"\" (expected segment, file:<path>, console or off)");
    CHECK(error_of([] { destination::parse("file:"); }) ==
          "seglog config: destination \"file:\" needs a path, e.g. \"file:/var/log/seglog-events.jsonl\"");
}

// ---------------------------------------------------------------- effective destinations

TEST_CASE("effective_destinations: default file, off, tracking off") {
    config c;
    c.default_file = "/tmp/d.jsonl";
    CHECK(c.effective_destinations() == std::vector<destination>{destination::file("/tmp/d.jsonl")});
    c.destinations = {destination::segment(), destination::console()};
    CHECK(c.effective_destinations() == c.destinations);
    c.destinations = {destination::off()};
    CHECK(c.effective_destinations().empty());
    c.destinations = {destination::segment()};
    c.tracking = false;
    CHECK(c.effective_destinations().empty());
    c.destinations.clear();
    CHECK(c.effective_destinations().empty());
}

// ---------------------------------------------------------------- mask_secret and describe

TEST_CASE("mask_secret keeps at most the last 4 characters of long secrets") {
    CHECK(seglog::mask_secret("") == "");
    CHECK(seglog::mask_secret("abc") == "****");
    CHECK(seglog::mask_secret("abcdefghijkl") == "****"); // 12: masked whole
    CHECK(seglog::mask_secret("abcdefghijklm") == "****jklm");
    CHECK(seglog::mask_secret(planted_key) == "****WXYZ");
}

TEST_CASE("describe: one line, write key masked") {
    config c;
    c.environment = "production";
    c.write_key = planted_key;
    c.destinations = {destination::segment(), destination::file("/var/log/events.jsonl")};
    CHECK(c.describe() ==
          "seglog: environment=production tracking=on destinations=[segment https://api.segment.io/v1/batch "
          "(write key ****WXYZ, flush_at=500, flush_interval=1000ms, gzip=off), file:/var/log/events.jsonl]");
    CHECK(c.describe().find(planted_head) == std::string::npos);

    c.gzip = true;
    c.flush_at = 20;
    c.flush_interval = 250ms;
    c.host = "https://events.eu1.segmentapis.com";
    c.destinations = {destination::segment()};
    CHECK(c.describe() == "seglog: environment=production tracking=on destinations=[segment "
                          "https://events.eu1.segmentapis.com/v1/batch (write key ****WXYZ, flush_at=20, "
                          "flush_interval=250ms, gzip=on)]");

    c.write_key.clear();
    CHECK(c.describe().find("(write key missing,") != std::string::npos);

    config d;
    CHECK(d.describe() == "seglog: environment=(unset) tracking=on destinations=[file:seglog-events.jsonl (default)]");
    d.environment = "test";
    d.tracking = false;
    CHECK(d.describe() == "seglog: environment=test tracking=off destinations=[]");
    d.tracking = true;
    d.destinations = {destination::off()};
    CHECK(d.describe() == "seglog: environment=test tracking=on destinations=[]");
    d.destinations = {destination::console()};
    CHECK(d.describe() == "seglog: environment=test tracking=on destinations=[console]");
}

// ---------------------------------------------------------------- the write key stays secret

TEST_CASE("the write key appears in no error message and not in describe()") {
    temp_dir dir;
    std::string f = dir.write("seglog.json", R"({"profiles": {"p": {"destination": "segment"}}})");
    const env_map key = {{"SEGMENT_WRITE_KEY", planted_key}};
    auto with_key = [&](env_map extra) {
        extra.insert(key.begin(), key.end());
        return env_error(extra, base_in(dir));
    };
    std::vector<std::string> messages = {
        with_key({{"SEGLOG_TRACKING", "maybe"}}),
        with_key({{"SEGLOG_DESTINATION", "segment,bogus"}}),
        with_key({{"SEGLOG_DESTINATION", "segment,off"}}),
        with_key({{"SEGMENT_HOST", "http://remote.example.com"}}),
        with_key({{"SEGMENT_HOST", "https://x:" + planted_key + "@api.segment.io"}}),
        with_key({{"SEGLOG_CONFIG", dir / "missing.json"}}),
        with_key({{"SEGLOG_CONFIG", f}, {"SEGLOG_ENV", "nope"}}),
        with_key({{"SEGLOG_DESTINATION", "segment,file:" + dir / "no/dir/e.jsonl"}}),
    };
    config c = base_in(dir);
    c.write_key = planted_key;
    c.destinations = {destination::segment()};
    c.flush_at = 0;
    messages.push_back(validate_error(c));
    c.flush_at = 1;
    c.insecure_skip_verify = true;
    messages.push_back(validate_error(c));
    for (const auto &m : messages) {
        CHECK_MESSAGE(m.rfind("seglog config: ", 0) == 0, m); // each one did fail
        CHECK_MESSAGE(m.find(planted_head) == std::string::npos, m);
    }

    config ok = from_env({{"SEGLOG_CONFIG", f}, {"SEGLOG_ENV", "p"}, {"SEGMENT_WRITE_KEY", planted_key}}, base_in(dir));
    CHECK(ok.write_key == planted_key);
    CHECK(ok.describe().find(planted_head) == std::string::npos);
    CHECK(ok.describe().find("****WXYZ") != std::string::npos);
}

} // TEST_SUITE
