#!/usr/bin/env bash
# Builds the whole project (library, tools, examples, tests, benchmarks) against the spdlog and
# fmt Debian 13 ships (spdlog 1.15.2, fmt 10.1.1), taken from the wraps -Dwraps=debian13
# selects (sources from Debian's archive, hash-checked, built), then runs the whole test suite.
# Fails if the build used any other spdlog or fmt, or read their headers from the system.
# Usage: scripts/test-debian13.sh [BUILD_DIR]   (default: build-debian13)
# Prints, last, "N passed, N failed" counting the doctest test cases of every suite.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
SEGLOG_WITH_WRAPS=1 scripts/install-deps.sh || exit 1
build=${1:-build-debian13}

if [ ! -d "$build" ]; then
    meson setup "$build" -Dwraps=debian13 --force-fallback-for=spdlog,fmt \
        -Dtools=true -Dexamples=true -Dtests=true -Dbench=true || exit 1
fi

# The subprojects this build took, name and version, must be exactly Debian 13's two.
subprojects=$(meson introspect --projectinfo "$build" | python3 -c '
import json, sys
info = json.load(sys.stdin)
print(" ".join(sorted(p["name"] + "=" + p["version"] for p in info["subprojects"])))') || {
    echo "test-debian13: cannot read the subprojects of $build"; exit 1; }
if [ "$subprojects" != "fmt-debian13=10.1.1 spdlog-debian13=1.15.2" ]; then
    echo "test-debian13: expected the subprojects fmt-debian13=10.1.1 spdlog-debian13=1.15.2, got: ${subprojects:-none}"
    exit 1
fi
echo "test-debian13: spdlog and fmt from the wraps: $subprojects"

ninja -C "$build" -j "${SEGLOG_JOBS:-2}" || exit 1

# No object may have read Debian 12's spdlog or fmt headers from the system (an include path
# such as -I/usr/include placed before the wraps' would do that silently).
system_headers=$(ninja -C "$build" -t deps | grep -E "^ +/usr/(local/)?include/(spdlog|fmt)/" | sort -u)
if [ -n "$system_headers" ]; then
    echo "test-debian13: objects read the system's spdlog or fmt headers:"
    echo "$system_headers" | head -10
    exit 1
fi

scripts/test.sh "$build"
