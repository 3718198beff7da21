// seglog::config::validate(): every rule, with its exact message.

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

// ---------------------------------------------------------------- validate

TEST_CASE("validate: the defaults (with a writable default file) are valid") {
    temp_dir dir;
    CHECK(validate_error(base_in(dir)) == "(no error)");
}

TEST_CASE("validate: zero and negative sizes and durations") {
    temp_dir dir;
    auto err = [&](const std::function<void(config &)> &set) {
        config c = base_in(dir);
        set(c);
        return validate_error(c);
    };
    CHECK(err([](config &c) { c.flush_at = 0; }) == "seglog config: flush_at must be at least 1, got 0");
    CHECK(err([](config &c) { c.max_batch_bytes = 0; }) == "seglog config: max_batch_bytes must be at least 1, got 0");
    CHECK(err([](config &c) { c.max_batch_events = 0; }) ==
          "seglog config: max_batch_events must be at least 1, got 0");
    CHECK(err([](config &c) { c.max_event_bytes = 0; }) == "seglog config: max_event_bytes must be at least 1, got 0");
    CHECK(err([](config &c) { c.max_queue_events = 0; }) ==
          "seglog config: max_queue_events must be at least 1, got 0");
    CHECK(err([](config &c) { c.max_queue_bytes = 0; }) == "seglog config: max_queue_bytes must be at least 1, got 0");
    CHECK(err([](config &c) { c.max_in_flight = 0; }) == "seglog config: max_in_flight must be at least 1, got 0");
    CHECK(err([](config &c) { c.worker_nice = -1; }) == "seglog config: worker_nice must be at least 0, got -1");
    CHECK(err([](config &c) { c.worker_nice = 20; }) == "seglog config: worker_nice must be at most 19, got 20");
    CHECK(err([](config &c) { c.max_attempts = -2; }) == "seglog config: max_attempts must be at least 1, got -2");
    CHECK(err([](config &c) { c.flush_interval = 0ms; }) ==
          "seglog config: flush_interval_ms must be at least 1, got 0");
    CHECK(err([](config &c) { c.request_timeout = -5ms; }) ==
          "seglog config: request_timeout_ms must be at least 1, got -5");
    CHECK(err([](config &c) { c.connect_timeout = 0ms; }) ==
          "seglog config: connect_timeout_ms must be at least 1, got 0");
    CHECK(err([](config &c) { c.block_timeout = 0ms; }) == "seglog config: block_timeout_ms must be at least 1, got 0");
    CHECK(err([](config &c) { c.max_retry_time = 0ms; }) ==
          "seglog config: max_retry_time_ms must be at least 1, got 0");
    CHECK(err([](config &c) { c.retry_after_cap = 0ms; }) ==
          "seglog config: retry_after_cap_ms must be at least 1, got 0");
    CHECK(err([](config &c) { c.retry_after_default = 0ms; }) ==
          "seglog config: retry_after_default_ms must be at least 1, got 0");
    CHECK(err([](config &c) { c.close_timeout = -1ms; }) ==
          "seglog config: close_timeout_ms must be at least 0, got -1");
    CHECK(err([](config &c) { c.close_timeout = 0ms; }) == "(no error)");
}

TEST_CASE("validate: Segment's limits and options that must agree") {
    temp_dir dir;
    auto err = [&](const std::function<void(config &)> &set) {
        config c = base_in(dir);
        set(c);
        return validate_error(c);
    };
    CHECK(err([](config &c) { c.max_batch_events = 2501; }) ==
          "seglog config: max_batch_events must be at most 2500 (Segment's limit per batch), got 2501");
    CHECK(err([](config &c) { c.max_batch_bytes = 512001; }) ==
          "seglog config: max_batch_bytes must be at most 512000 (500 KB, Segment's limit per batch), got 512001");
    CHECK(err([](config &c) { c.max_batch_bytes = 512000; }) == "(no error)");
    CHECK(err([](config &c) { c.max_event_bytes = 40000; }) ==
          "seglog config: max_event_bytes must be at most 32768 (32 KB, Segment's limit per event), got 40000");
    CHECK(err([](config &c) {
              c.max_batch_events = 100;
              c.flush_at = 101;
          }) == "seglog config: flush_at (101) must not exceed max_batch_events (100)");
    CHECK(err([](config &c) {
              c.max_batch_events = 100;
              c.flush_at = 100;
          }) == "(no error)");
    CHECK(err([](config &c) { c.max_batch_bytes = 10000; }) ==
          "seglog config: max_event_bytes (32768) must not exceed max_batch_bytes (10000)");
    CHECK(err([](config &c) { c.max_queue_bytes = 1000; }) ==
          "seglog config: max_queue_bytes (1000) must be at least max_event_bytes (32768)");
    CHECK(err([](config &c) { c.backoff_base = 70s; }) ==
          "seglog config: backoff_base_ms (70000) must not exceed backoff_cap_ms (60000)");

    // a limit broken in the file names the file and profile
    std::string f = dir.write("l.json", R"({"profiles": {"p": {"max_batch_bytes": 600000}}})");
    CHECK(error_of([&] { config::from_file(f, "p", base_in(dir), reader({})); }) ==
          "seglog config: max_batch_bytes (from " + f +
              ", profile \"p\") must be at most 512000 (500 KB, Segment's limit per batch), got 600000");
}

TEST_CASE("validate: malformed host and path") {
    temp_dir dir;
    auto host_err = [&](const std::string &host) {
        config c = base_in(dir);
        c.host = host;
        return validate_error(c);
    };
    CHECK(host_err("api.segment.io") == "seglog config: host \"api.segment.io\" must start with http:// or https://");
    CHECK(host_err("ftp://api.segment.io") ==
          "seglog config: host \"ftp://api.segment.io\" must start with http:// or https://");
    CHECK(host_err("") == "seglog config: host \"\" must start with http:// or https://");
    CHECK(host_err("https://") == "seglog config: host \"https://\" has no host name");
    CHECK(host_err("https://:443") == "seglog config: host \"https://:443\" has no host name");
    CHECK(host_err("https://api.segment.io/v1") ==
          "seglog config: host \"https://api.segment.io/v1\" must not contain a path, query or fragment; set the path "
          "separately (path, default \"/v1/batch\")");
    CHECK(host_err("https://api.segment.io/") ==
          "seglog config: host \"https://api.segment.io/\" must not contain a path, query or fragment; set the path "
          "separately (path, default \"/v1/batch\")");
    CHECK(host_err("https://api.segment.io?x=1") ==
          "seglog config: host \"https://api.segment.io?x=1\" must not contain a path, query or fragment; set the path "
          "separately (path, default \"/v1/batch\")");
    CHECK(host_err("https://user:hunter2@api.segment.io") ==
          "seglog config: host must not contain credentials (user:password@); the value is not shown");
    CHECK(host_err("https://api.segment.io:99999") ==
          "seglog config: host \"https://api.segment.io:99999\" has an invalid port");
    CHECK(host_err("https://api.segment.io:") == "seglog config: host \"https://api.segment.io:\" has an invalid port");
    CHECK(host_err("https://api.segment.io:8o") ==
          "seglog config: host \"https://api.segment.io:8o\" has an invalid port");
    CHECK(host_err("https://api segment.io") ==
          "seglog config: host \"https://api segment.io\" has an invalid host name");
    CHECK(host_err("https://[::1") == "seglog config: host \"https://[::1\" has an invalid host name");
    CHECK(host_err("https://api.segment.io\n") ==
          "seglog config: host \"https://api.segment.io\\x0a\" has an invalid host name");
    for (std::string ok : {"https://api.segment.io", "HTTPS://API.Segment.io", "https://events.eu1.segmentapis.com:443",
                           "https://[2001:db8::1]:8443", "http://localhost:8080", "http://127.0.0.1", "http://[::1]:9"})
        CHECK_MESSAGE(host_err(ok) == "(no error)", ok);

    CHECK(env_error({{"SEGMENT_HOST", "api.eu1.segmentapis.com"}}) ==
          "seglog config: host \"api.eu1.segmentapis.com\" (from SEGMENT_HOST) must start with http:// or https://");

    config c = base_in(dir);
    c.path = "v1/batch";
    CHECK(validate_error(c) == "seglog config: path \"v1/batch\" must start with \"/\"");
    c.path = "";
    CHECK(validate_error(c) == "seglog config: path \"\" must start with \"/\"");
}

TEST_CASE("validate: http:// only to loopback unless allow_http; insecure_skip_verify only to loopback") {
    temp_dir dir;
    auto err = [&](const std::string &host, bool allow_http, bool insecure) {
        config c = base_in(dir);
        c.host = host;
        c.allow_http = allow_http;
        c.insecure_skip_verify = insecure;
        return validate_error(c);
    };
    CHECK(err("http://collector.internal", false, false) ==
          "seglog config: host \"http://collector.internal\" uses http:// with a host that is not loopback; use "
          "https:// or set allow_http");
    CHECK(err("http://127.0.0.1.evil.example", false, false) ==
          "seglog config: host \"http://127.0.0.1.evil.example\" uses http:// with a host that is not loopback; use "
          "https:// or set allow_http");
    CHECK(err("http://128.0.0.1", false, false) ==
          "seglog config: host \"http://128.0.0.1\" uses http:// with a host that is not loopback; use https:// or "
          "set allow_http");
    CHECK(err("http://[::2]", false, false) ==
          "seglog config: host \"http://[::2]\" uses http:// with a host that is not loopback; use https:// or set "
          "allow_http");
    CHECK(err("http://collector.internal", true, false) == "(no error)");
    for (std::string h : {"http://127.0.0.1:9000", "http://127.255.3.4", "http://LOCALHOST", "http://[::1]"})
        CHECK_MESSAGE(err(h, false, true) == "(no error)", h);

    CHECK(err("https://api.segment.io", false, true) ==
          "seglog config: insecure_skip_verify is only allowed with a loopback host (127.0.0.0/8, localhost, [::1]), "
          "not \"https://api.segment.io\"");
    CHECK(err("http://collector.internal", true, true) ==
          "seglog config: insecure_skip_verify is only allowed with a loopback host (127.0.0.0/8, localhost, [::1]), "
          "not \"http://collector.internal\"");

    std::string f = dir.write("i.json", R"({"profiles": {"p": {"insecure_skip_verify": true}}})");
    CHECK(env_error({{"SEGLOG_CONFIG", f}, {"SEGLOG_ENV", "p"}, {"SEGMENT_HOST", "https://eu.example.com"}},
                    base_in(dir)) ==
          "seglog config: insecure_skip_verify (from " + f +
              ", profile \"p\") is only allowed with a loopback host (127.0.0.0/8, localhost, [::1]), not "
              "\"https://eu.example.com\" (from SEGMENT_HOST)");
}

TEST_CASE("validate: segment needs a write key, only when it is in force") {
    temp_dir dir;
    config c = base_in(dir);
    c.destinations = {destination::segment()};
    CHECK(validate_error(c) == "seglog config: destination \"segment\" needs a write key: set SEGMENT_WRITE_KEY");
    CHECK(env_error({{"SEGLOG_DESTINATION", "segment,console"}}, base_in(dir)) ==
          "seglog config: destination \"segment\" (from SEGLOG_DESTINATION) needs a write key: set SEGMENT_WRITE_KEY");
    c.tracking = false;
    CHECK(validate_error(c) == "(no error)");
    c.tracking = true;
    c.write_key = planted_key;
    CHECK(validate_error(c) == "(no error)");

    c.ca_bundle = dir / "missing-ca.pem";
    CHECK(validate_error(c) ==
          "seglog config: ca_bundle \"" + dir / "missing-ca.pem" + "\" cannot be read (No such file or directory)");
    c.destinations = {destination::console()}; // the CA bundle only matters for segment
    CHECK(validate_error(c) == "(no error)");
}

TEST_CASE("validate: a file destination must be writable; the message says why") {
    temp_dir dir;
    auto err = [&](const std::string &path) {
        config c;
        c.destinations = {destination::file(path)};
        return validate_error(c);
    };
    CHECK(err(dir / "events.jsonl") == "(no error)");
    CHECK(err(dir / "no/such/dir/events.jsonl") ==
          "seglog config: destination \"file:" + dir / "no/such/dir/events.jsonl" + "\": directory \"" +
              dir / "no/such/dir" + "\" does not exist");
    CHECK(err(dir.path) == "seglog config: destination \"file:" + dir.path + "\": \"" + dir.path + "\" is a directory");
    std::string plain = dir.write("plain.txt", "x");
    CHECK(err(plain + "/events.jsonl") ==
          "seglog config: destination \"file:" + plain + "/events.jsonl\": \"" + plain + "\" is not a directory");

    config c;
    c.destinations = {destination::file("")}; // built in code, bypassing parse
    CHECK(validate_error(c) == "seglog config: destination \"file:\" needs a path");

    config d;
    d.default_file = dir / "missing/e.jsonl";
    CHECK(validate_error(d) == "seglog config: destination \"file:" + dir / "missing/e.jsonl" +
                                   "\" (default_file): directory \"" + dir / "missing" + "\" does not exist");
    d.default_file = "";
    CHECK(validate_error(d) == "seglog config: default_file must not be empty");

    CHECK(env_error({{"SEGLOG_DESTINATION", "file:" + dir / "x/e.jsonl"}}) ==
          "seglog config: destination \"file:" + dir / "x/e.jsonl" + "\" (from SEGLOG_DESTINATION): directory \"" +
              dir / "x" + "\" does not exist");
}

TEST_CASE("validate: a directory or file the process cannot write") {
    temp_dir dir;
    std::string ro = dir / "ro";
    REQUIRE(::mkdir(ro.c_str(), 0555) == 0);
    std::string ro_file = dir.write("ro-file.jsonl", "");
    REQUIRE(::chmod(ro_file.c_str(), 0444) == 0);
    auto check = [&]() -> std::string {
        std::string out;
        for (const std::string &p : {ro + "/events.jsonl", ro_file}) {
            config c;
            c.destinations = {destination::file(p)};
            out += validate_error(c) + "\n";
        }
        return out;
    };
    const std::string expected = "seglog config: destination \"file:" + ro + "/events.jsonl\": directory \"" + ro +
                                 "\" is not writable\n" + "seglog config: destination \"file:" + ro_file +
                                 "\": the file is not writable (Permission denied)\n";

    if (::geteuid() != 0) {
        CHECK(check() == expected);
        return;
    }
    // root may write anywhere: check as an unprivileged user in a child process
    struct passwd *nobody = ::getpwnam("nobody");
    REQUIRE(nobody != nullptr);
    REQUIRE(::chmod(dir.path.c_str(), 0755) == 0);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        if (::setgid(nobody->pw_gid) != 0 || ::setuid(nobody->pw_uid) != 0) ::_exit(2);
        std::string out = check();
        ssize_t w = ::write(fds[1], out.data(), out.size());
        ::_exit(w == static_cast<ssize_t>(out.size()) ? 0 : 3);
    }
    ::close(fds[1]);
    std::string got;
    char buf[512];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(got == expected);
}

} // TEST_SUITE
