#!/usr/bin/env bash
# Runs every benchmark in bench/ and writes their figures, with a description of the
# machine, to bench/RESULTS.md. Benchmarks print figures; none of them is a test.
#
#   bench/run_all.sh [build-dir]          (default: build-perf)
#
# The build dir is configured as a release build if it does not exist yet:
#   meson setup build-perf --buildtype=release -Db_ndebug=true -Dtests=true -Dexamples=false
# Environment: EVENTS (default 1000000) for the delivery runs, QUICK=1 for a short smoke run,
# NODE=0 to run bench/burst.sh without @segment/analytics-node (it needs npm and its registry).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-build-perf}
case $build in /*) ;; *) build=$root/$build ;; esac
out=$here/RESULTS.md
events=${EVENTS:-1000000}

if [ ! -d "$build" ]; then
    meson setup "$build" "$root" --buildtype=release -Db_ndebug=true -Dtests=true -Dexamples=false
fi
ninja -C "$build" bench/bench_call_latency bench/bench_lines bench/bench_delivery bench/bench_page_touch >/dev/null

latency_args=()
lines_args=()
compile_runs=5
if [ "${QUICK:-0}" = 1 ]; then
    events=${EVENTS:-100000}
    latency_args=(--bursts 2000 --off-calls 10000000)
    lines_args=(--lines 200000 --rounds 2)
    compile_runs=1
fi

buildtype=$(meson introspect --buildoptions "$build" | python3 -c "
import json, sys
o = {x['name']: x['value'] for x in json.load(sys.stdin)}
print('%s, b_ndebug=%s, b_sanitize=%s' % (o['buildtype'], o['b_ndebug'], o['b_sanitize']))")
compiler=$(meson introspect --compilers "$build" 2>/dev/null | python3 -c "
import json, sys
c = json.load(sys.stdin)['host']['cpp']
print(c['id'], c['version'])" 2>/dev/null || c++ --version | head -1)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() { # title, command...
    local title=$1
    shift
    echo ">>> $title" >&2
    {
        echo
        echo "### $title"
        echo
        echo '```'
        echo "\$ ${shown:-${*#$build/}}"
        "$@" 2>&1 || echo "(exit status $?)"
        echo '```'
    } >>"$tmp/body"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

b=$build/bench
run "1 & 5. Call latency (bursts timed as a whole) and tracking switched off" "$b/bench_call_latency" "${latency_args[@]}"
run "1b. Call latency, each call timed on its own (the slowest single calls)" \
    "$b/bench_call_latency" --timing call --only up "${latency_args[@]}"
run "1c. Call latency with worker_nice = 0 (the worker at the callers' priority)" \
    "$b/bench_call_latency" --worker-nice 0 --only up "${latency_args[@]}"
# Other work on a shared machine moves these figures between runs: the same case five times
# over, so a run shows its own spread.
spread() {
    for i in 1 2 3 4 5; do "$b/bench_call_latency" --only up "${latency_args[@]}" | grep '^1 thread'; done
}
shown="bench/bench_call_latency --only up   # five times" \
    run "1d. Run-to-run spread: 1 thread, sync logger, collector up, five runs" spread
# Alternating bursts with the plain spdlog line: both over the same minutes of the machine, so
# their ratio holds while its speed moves.
paired() {
    for i in 1 2 3; do "$b/bench_call_latency" --only paired "${latency_args[@]}" | grep -E '^(1 thread|  )'; done
}
shown="bench/bench_call_latency --only paired   # three times" \
    run "1e. SEGLOG_TRACK and a plain spdlog line in alternating bursts, three runs" paired
# The nested-properties call, and the same with its nested values built as nlohmann::json.
paired_nested() {
    for p in nested nested-json; do
        "$b/bench_call_latency" --only paired --properties "$p" "${latency_args[@]}" | grep -E '^(SEGLOG|1 thread|  )'
    done
}
shown="bench/bench_call_latency --only paired --properties nested; ... --properties nested-json" \
    run "1f. Nested properties in braces, and as nlohmann::json, in alternating bursts with the spdlog line" paired_nested
# The durable spool on the call: without and with it, alternately, so both see the same minutes.
spool_pairs() {
    for i in 1 2 3; do
        "$b/bench_call_latency" --only up "${latency_args[@]}" | grep '^1 thread' | sed 's/^/spool off: /'
        "$b/bench_call_latency" --only up --spool "$tmp/spool-call-$i" "${latency_args[@]}" | grep '^1 thread' |
            sed 's/^/spool on:  /'
    done
}
shown="bench/bench_call_latency --only up [--spool DIR]   # alternately, three times each" \
    run "1g. The call with the durable spool on and off, alternately, three runs each" spool_pairs
run "2. Normal log lines through demux_sink vs direct" "$b/bench_lines" "${lines_args[@]}"
run "3a. Delivery, loopback, block, no gzip" "$b/bench_delivery" --events "$events" --overflow block --block-timeout-ms 60000
run "3b. Delivery, loopback, block, gzip" "$b/bench_delivery" --events "$events" --overflow block --block-timeout-ms 60000 --gzip
run "3d. Delivery, loopback, block, worker_nice = 0" "$b/bench_delivery" --events "$events" --overflow block --block-timeout-ms 60000 --worker-nice 0
shown="bench/bench_delivery --events $events --overflow block --block-timeout-ms 60000 --spool DIR" \
    run "3e. Delivery, loopback, block, the durable spool on" \
    "$b/bench_delivery" --events "$events" --overflow block --block-timeout-ms 60000 --spool "$tmp/spool-delivery"
run "3c. Delivery, loopback, drop_newest" "$b/bench_delivery" --events "$events" --overflow drop_newest
# docs/performance.md: the settings recommended for high volume / a slow link.
run "4a. Slow link (collector answers after 100 ms), recommended settings" \
    "$b/bench_delivery" --events "$events" --overflow block --block-timeout-ms 60000 --delay-ms 100 \
    --flush-at 2500 --max-in-flight 8
run "4b. Slow link (collector answers after 100 ms), default settings" \
    "$b/bench_delivery" --events "$((events / 4))" --overflow block --block-timeout-ms 60000 --delay-ms 100

# A cold 100k-event burst beside @segment/analytics-node against one receiver whose
# ceiling is measured in the same run, the cold call against the steady state, 1-8 producer
# threads, the spool on and off, and delivery to that receiver. NODE=0 skips the Node side
# (no npm registry).
shown="bench/burst.sh" \
    run "7. Cold burst: seglog beside @segment/analytics-node 3.1.0, one receiver; threads; spool on and off; delivery to that receiver" \
    env -u EVENTS "$here/burst.sh" "$build" # its own 100,000 events

# What a page written for the first time costs here: the floor under the cold burst's call.
shown="bench/bench_page_touch --dir DIR" \
    run "8. The first write to a 4 KiB page, and the second" "$b/bench_page_touch" --dir "$tmp"

shown="bench/compile_time.sh ${compile_runs}" \
    run "6. Compile time: <seglog/seglog.h> next to <spdlog/spdlog.h>" "$here/compile_time.sh" "$compile_runs"

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')

{
    echo "# Benchmark results"
    echo
    echo "Written by \`bench/run_all.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
    echo "Targets and how to read these figures: [docs/performance.md](../docs/performance.md)."
    echo
    echo "| machine | |"
    echo "|---|---|"
    echo "| CPUs (nproc) | $(nproc) |"
    echo "| CPU model | $cpu |"
    echo "| memory | $mem |"
    echo "| kernel | $(uname -sr) |"
    echo "| compiler | $compiler |"
    echo "| build | $buildtype |"
    echo "| source | $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?') $(git -C "$root" diff --quiet -- . ':(exclude)bench/RESULTS.md' 2>/dev/null || echo '(with uncommitted changes)') |"
    echo "| load average (1/5/15 min) | before: $load_before; after: $load_after |"
    cat "$tmp/body"
} >"$out"
echo "wrote $out" >&2
