#!/usr/bin/env bash
# Builds seglog and runs the whole test suite. Usage: scripts/test.sh [BUILD_DIR [MESON_OPTION...]]
# Prints, last, "N passed, N failed" counting the doctest test cases of every suite.
set -uo pipefail
cd "$(dirname "$0")/.."
SEGLOG_WITH_UI=1 scripts/install-deps.sh || exit 1 # with the browser test's chromium and node
build=${1:-build}
shift || true
if [ ! -d "$build" ]; then
    meson setup "$build" -Dexamples=false -Dbench=false "$@" || exit 1
else
    meson configure "$build" "$@" >/dev/null || exit 1
fi
ninja -C "$build" || exit 1
meson test -C "$build" --print-errorlogs --num-processes 2
rc=$?
scripts/count-tests.sh "$build/meson-logs/testlog.txt"
exit $rc
