#!/usr/bin/env bash
# Builds and runs the quickstart demo: log lines on the console, events in a local
# JSON-lines file (no Segment account needed). Pass environment variables to change the
# destination, e.g. SEGLOG_DESTINATION=console scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -d build-demo ] || meson setup build-demo -Dtests=false -Dbench=false -Dtools=false >/dev/null
ninja -C build-demo examples/quickstart >/dev/null
./build-demo/examples/quickstart
