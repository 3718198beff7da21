#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang and runs each for SECONDS (default 60) on a
# copy of its seed corpus (fuzz/corpus/<target>/, never modified). Fails on any crash, leak,
# timeout, out-of-memory or sanitizer report; the input that triggered it is kept in
# BUILD/fuzz-artifacts/<target>/ and the command to reproduce it is printed.
#
# Usage: scripts/fuzz.sh [SECONDS [TARGET...]]
#   SEGLOG_FUZZ_BUILD     build directory (default build-fuzz)
#   SEGLOG_FUZZ_PARALLEL  targets run at once (default: 2 when there are 2 cores or more)
#   SEGLOG_FUZZ_JOBS      ninja -j for the build (default 2)
# docs/hardening.md describes the targets and their invariants.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
build=${SEGLOG_FUZZ_BUILD:-build-fuzz}
jobs=${SEGLOG_FUZZ_JOBS:-2}
cores=$(nproc 2>/dev/null || echo 1)
parallel=${SEGLOG_FUZZ_PARALLEL:-$([ "$cores" -ge 2 ] && echo 2 || echo 1)}

SEGLOG_WITH_FUZZ=1 scripts/install-deps.sh || exit 1

start=$(date +%s)
if [ ! -f "$build/build.ninja" ]; then
    CC=clang CXX=clang++ meson setup "$build" -Dfuzz=true -Dtests=false -Dexamples=false \
        -Dbench=false -Dtools=false || exit 1
else
    meson configure "$build" -Dfuzz=true >/dev/null || exit 1
fi
# Only the fuzz targets (and their instrumented copy of the library), not the normal library.
ninja -C "$build" -j "$jobs" fuzz_all || exit 1
echo "== fuzz: built in $(( $(date +%s) - start )) s"

if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for dir in fuzz/corpus/*/; do
        t=$(basename "$dir")
        [ -x "$build/fuzz/$t" ] && targets+=("$t")
    done
    for src in fuzz/fuzz_*.cpp; do
        t=$(basename "$src" .cpp)
        [ -x "$build/fuzz/$t" ] || { echo "fuzz: $t was not built"; exit 1; }
        [ -d "fuzz/corpus/$t" ] || { echo "fuzz: $t has no seed corpus in fuzz/corpus/$t"; exit 1; }
    done
fi

run_dir="$build/fuzz-run"
rm -rf "$run_dir"
mkdir -p "$run_dir"
# Leaks are failures; a sanitizer report ends the run (UBSan is compiled not to recover).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:handle_abort=1:symbolize=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

run_one() {
    local t=$1
    local corpus="$run_dir/corpus/$t" artifacts="$build/fuzz-artifacts/$t/"
    rm -rf "$artifacts"
    mkdir -p "$corpus" "$artifacts"
    cp fuzz/corpus/"$t"/* "$corpus"/
    "$build/fuzz/$t" -max_total_time="$secs" -detect_leaks=1 -timeout=25 -rss_limit_mb=2048 \
        -max_len=4096 -print_final_stats=1 -artifact_prefix="$artifacts" "$corpus" \
        >"$run_dir/$t.log" 2>&1
    local rc=$?
    # Belt and braces: a report that did not end the process still fails the run.
    if [ $rc -eq 0 ] && grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant violated' "$run_dir/$t.log"; then
        rc=1
    fi
    echo $rc >"$run_dir/$t.rc"
}

pids=()
for t in "${targets[@]}"; do
    [ -x "$build/fuzz/$t" ] || { echo "fuzz: no target $t in $build/fuzz"; exit 1; }
    run_one "$t" &
    pids+=($!)
    while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do sleep 1; done
done
wait "${pids[@]}"

status=0
for t in "${targets[@]}"; do
    rc=$(cat "$run_dir/$t.rc" 2>/dev/null || echo 1)
    stats=$(grep -E '^stat::number_of_executed_units' "$run_dir/$t.log" | awk '{print $2}')
    cov=$(grep -oE 'cov: [0-9]+' "$run_dir/$t.log" | tail -1)
    if [ "$rc" = 0 ]; then
        echo "fuzz: $t ok (${stats:-?} runs, ${cov:-cov: ?}, ${secs} s)"
    else
        status=1
        echo "fuzz: $t FAILED (exit $rc); log: $run_dir/$t.log"
        grep -E 'ERROR:|runtime error:|invariant violated|SUMMARY:|Test unit written to' "$run_dir/$t.log" | head -20 | sed 's/^/    /'
        for a in "$build/fuzz-artifacts/$t"/*; do
            [ -f "$a" ] && echo "    reproduce: $build/fuzz/$t $a"
        done
    fi
done
echo "== fuzz: $([ $status = 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - start )) s"
exit $status
