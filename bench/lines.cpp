// Ordinary log lines through demux_sink versus the same sinks attached directly: the price
// of adding seglog to a logger, for services that log far more lines than events.
//
//   bench_lines [--lines 2000000] [--rounds 5]
#include "bench_util.h"

#include <seglog/seglog.h>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/null_sink.h>

#include <unistd.h>

#include <functional>

using namespace seglog;

namespace {

double lines_per_second(spdlog::logger &logger, long lines) {
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < lines; ++i) logger.info("request {} served in {} us by {}", i, 250, "worker-3");
    logger.flush();
    return static_cast<double>(lines) / bench::seconds_since(t0);
}

// Best of `rounds` alternating runs, so both setups see the same machine state.
void compare(const char *label, const std::function<spdlog::sink_ptr()> &make_sink, long lines, int rounds) {
    double direct_best = 0, demux_best = 0;
    for (int r = 0; r < rounds; ++r) {
        spdlog::logger direct("direct", make_sink());
        direct.set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %v");
        direct_best = std::max(direct_best, lines_per_second(direct, lines));

        auto demux = std::make_shared<demux_sink_mt>(std::vector<spdlog::sink_ptr>{make_sink()},
                                                     std::vector<spdlog::sink_ptr>{});
        spdlog::logger wrapped("demux", demux);
        wrapped.set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %v");
        demux_best = std::max(demux_best, lines_per_second(wrapped, lines));
    }
    std::printf("%-12s direct %10.0f lines/s   through demux %10.0f lines/s   overhead %+.1f%%\n", label, direct_best,
                demux_best, (direct_best / demux_best - 1.0) * 100.0);
}

} // namespace

int main(int argc, char **argv) {
    const long lines = std::stol(bench::arg(argc, argv, "--lines", "2000000"));
    const int rounds = std::stoi(bench::arg(argc, argv, "--rounds", "5"));
    std::printf("log lines through demux_sink vs direct, %ld lines, best of %d rounds\n", lines, rounds);
    compare("null sink", [] { return std::make_shared<spdlog::sinks::null_sink_mt>(); }, lines, rounds);
    const std::string path = "/tmp/seglog-bench-lines-" + std::to_string(::getpid()) + ".log";
    compare("file sink", [&] { return std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, true); }, lines, rounds);
    std::remove(path.c_str());
}
