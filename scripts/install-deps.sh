#!/usr/bin/env bash
# Installs what seglog needs to build, test and benchmark on Debian 12, when it is missing.
set -euo pipefail
packages=(meson ninja-build pkg-config g++ cmake libspdlog-dev libfmt-dev libcurl4-openssl-dev
          nlohmann-json3-dev doctest-dev zlib1g-dev libssl-dev
          libcpp-httplib-dev  # HTTP server: the loopback collector (collector/), examples/service/
          libcli11-dev  # the command line's argument parsing (tools/)
          json-schema-test-suite)  # the official JSON Schema cases the plan suite runs
# The live page's browser test (scripts/test.sh asks for it; tests/ui/run.sh installs the same
# when run alone): Chromium, and Debian's node and npm unless a node is already installed (one
# from elsewhere brings its own npm).
if [ "${SEGLOG_WITH_UI:-0}" = 1 ]; then
    packages+=(chromium)
    command -v node >/dev/null || packages+=(nodejs)
    command -v npm >/dev/null || packages+=(npm)
fi
[ "${SEGLOG_WITH_DEMO:-0}" = 1 ] && packages+=(curl)  # scripts/demo-service.sh's traffic
[ "${SEGLOG_WITH_FUZZ:-0}" = 1 ] && packages+=(clang libfuzzer-14-dev libclang-rt-14-dev)
[ "${SEGLOG_WITH_LINT:-0}" = 1 ] && packages+=(clang-tidy cppcheck)
[ "${SEGLOG_WITH_FORMAT:-0}" = 1 ] && packages+=(clang-format)
if [ "${SEGLOG_WITH_BENCH:-0}" = 1 ]; then # bench/burst.sh: wrk, /usr/bin/time, npm for analytics-node
    packages+=(wrk time curl)
    command -v npm >/dev/null 2>&1 || packages+=(nodejs npm) # a node from elsewhere brings its own npm
fi
[ "${SEGLOG_WITH_WRAPS:-0}" = 1 ] && packages+=(ca-certificates)  # https downloads of the wraps
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y "${missing[@]}"
fi
