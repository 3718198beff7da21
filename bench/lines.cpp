// Ordinary log lines through demux_sink versus the same sinks attached directly: the price
// of adding seglog to a logger, for services that log far more lines than events.
//
//   bench_lines [--lines 1000000] [--rounds 11]
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

// `rounds` pairs of runs, direct and through the demux back to back (which goes first
// alternates), so both see the same machine state. The overhead is the median of the pairs'
// ratios: one pair that a neighbour on the host slowed down does not decide it.
void compare(const char *label, const std::function<spdlog::sink_ptr()> &make_sink, long lines, int rounds) {
    std::vector<double> direct_rates, demux_rates, ratios;
    auto run_direct = [&] {
        spdlog::logger direct("direct", make_sink());
        direct.set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %v");
        direct_rates.push_back(lines_per_second(direct, lines));
    };
    auto run_demux = [&] {
        auto demux = std::make_shared<demux_sink_mt>(std::vector<spdlog::sink_ptr>{make_sink()},
                                                     std::vector<spdlog::sink_ptr>{});
        spdlog::logger wrapped("demux", demux);
        wrapped.set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %v");
        demux_rates.push_back(lines_per_second(wrapped, lines));
    };
    for (int r = 0; r < rounds; ++r) {
        if (r % 2 == 0) {
            run_direct();
            run_demux();
        } else {
            run_demux();
            run_direct();
        }
        ratios.push_back(direct_rates.back() / demux_rates.back());
    }
    const auto median = [](std::vector<double> v) { return bench::summarize(v).p50; };
    std::printf("%-12s direct %10.0f lines/s   through demux %10.0f lines/s   overhead %+.1f%% (median of %d pairs; "
                "pairs from %+.1f%% to %+.1f%%)\n",
                label, median(direct_rates), median(demux_rates), (median(ratios) - 1.0) * 100.0, rounds,
                (*std::min_element(ratios.begin(), ratios.end()) - 1.0) * 100.0,
                (*std::max_element(ratios.begin(), ratios.end()) - 1.0) * 100.0);
}

} // namespace

int main(int argc, char **argv) {
    const long lines = std::stol(bench::arg(argc, argv, "--lines", "1000000"));
    const int rounds = std::stoi(bench::arg(argc, argv, "--rounds", "11"));
    std::printf("log lines through demux_sink vs direct, %ld lines per run, %d pairs of runs\n", lines, rounds);
    compare(
        "null sink", [] { return std::make_shared<spdlog::sinks::null_sink_mt>(); }, lines, rounds);
    const std::string path = "/tmp/seglog-bench-lines-" + std::to_string(::getpid()) + ".log";
    compare(
        "file sink", [&] { return std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, true); }, lines, rounds);
    std::remove(path.c_str());
}
