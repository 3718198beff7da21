#!/bin/sh
# The fault run (docs/guarantees.md): builds bench_fault_run in a release build directory and
# runs the whole matrix. Extra arguments go to the binary, e.g.
#   bench/fault_run.sh --events 20000
#   bench/fault_run.sh --events 5000 --fault http500_30pct --fault resets
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${SEGLOG_FAULT_BUILD:-"$here/build-faultrun"}
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$here" --buildtype=release -Dtests=false -Dexamples=false -Dtools=false -Dbench=true >/dev/null
fi
ninja -C "$build" bench/bench_fault_run >/dev/null
exec "$build/bench/bench_fault_run" "$@"
