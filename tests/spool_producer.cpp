// The producer the crash test (spool_crash_test.cpp) kills: a client on a spool, sending to the
// test's collector, that writes the messageId of each event it accepted to stdout once the call
// has returned true, then "done" after the last one, and waits to be killed.
//   spool_producer SPOOL_DIR COLLECTOR_URL FIRST_SEQ COUNT
#include <seglog/client.h>

#include "common/record_layout.h"
#include "event/serialize.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

void say(const std::string &line) {
    const std::string out = line + "\n";
    for (std::size_t at = 0; at < out.size();) {
        const ssize_t n = ::write(1, out.data() + at, out.size() - at);
        if (n <= 0) std::_Exit(3);
        at += static_cast<std::size_t>(n);
    }
}

// A track of these properties; its messageId is written by the serialiser. The properties are
// borrowed braces, so they are built in the call that serialises them.
std::string track_record(const seglog::properties &p) {
    const seglog::identity who = seglog::user("u-crash");
    seglog::detail::event_fields f{seglog::event_type::track, &who, "Crash Test", {}, {}, {}, &p, nullptr};
    std::string out;
    if (seglog::detail::serialize_event(f, out)) std::_Exit(4);
    return out;
}

// A track whose properties say which event it is.
std::string record_of(int seq) { return track_record({{"seq", seq}}); }

} // namespace

int main(int argc, char **argv) {
    if (argc != 5) return 2;
    seglog::config cfg;
    cfg.destinations = {seglog::destination::segment()};
    cfg.write_key = "wk_crash_test";
    cfg.host = argv[2];
    cfg.flush_at = 50;
    cfg.flush_interval = std::chrono::milliseconds(5);
    cfg.backoff_base = std::chrono::milliseconds(5);
    cfg.backoff_cap = std::chrono::milliseconds(50);
    cfg.spool_dir = argv[1];
    cfg.spool_max_bytes = 8 << 20; // small segments (512 KiB): roll-over and trimming happen often
    seglog::client client(cfg);
    say("started");
    const int first = std::atoi(argv[3]), count = std::atoi(argv[4]);
    for (int seq = first; seq < first + count; ++seq) {
        const std::string record = record_of(seq);
        if (client.enqueue(record)) say(std::string(seglog::detail::record_message_id(record)));
    }
    say("done");
    for (;;) ::pause();
}
