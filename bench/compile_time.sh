#!/usr/bin/env bash
# What including seglog costs a translation unit: the compiler's -fsyntax-only time for
# <seglog/seglog.h>, for <spdlog/spdlog.h> (what a service using spdlog already pays), and for
# a file that tracks one event with nested properties, each the median of RUNS runs, and their
# ratio to spdlog's. The time is the compiler's CPU time (user + system), which a busy machine
# disturbs less than the wall clock. Also says whether nlohmann/json.hpp was parsed (it must
# not be: the public headers include only nlohmann/json_fwd.hpp).
#
# Two configurations: spdlog as a header-only library (no flags), and with the flags a user gets
# from `pkg-config --cflags spdlog` (Debian's compiled library: far less of spdlog is parsed).
#
#   bench/compile_time.sh [RUNS]          (default 5)
# Environment: CXX (default g++); SEGLOG_INCLUDE, the include directory holding seglog/
# (default: this checkout's include/, e.g. another checkout's to compare versions).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
cxx=${CXX:-g++}
include=${SEGLOG_INCLUDE:-$root/include}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo '#include <seglog/seglog.h>' >"$tmp/seglog.cpp"
echo '#include <spdlog/spdlog.h>' >"$tmp/spdlog.cpp"
cat >"$tmp/track.cpp" <<'CPP'
#include <seglog/seglog.h>
void track_one() {
    SEGLOG_TRACK(seglog::user("u-42"), "Order Completed",
                 {{"order_id", "o-1"}, {"revenue", 42.5}, {"shipping", {{"method", "express"}}},
                  {"products", {{{"sku", "a"}, {"qty", 1}}}}});
}
CPP

# Median CPU seconds of `runs` compilations of $1.
median_cpu() {
    local src=$1 times=() i t
    for ((i = 0; i < runs; i++)); do
        t=$( { TIMEFORMAT='%3U %3S'; time "$cxx" "${flags[@]}" -fsyntax-only "$src" >/dev/null 2>&1; } 2>&1 | tail -1)
        times+=("$(awk '{printf "%.3f", $1 + $2}' <<<"$t")")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

# Whether the file compiles, and whether nlohmann/json.hpp was among the headers it read.
parses_json() {
    local out
    if ! out=$("$cxx" "${flags[@]}" -fsyntax-only -H "$1" 2>&1); then
        echo "(does not compile)"
    elif grep -q 'nlohmann/json\.hpp' <<<"$out"; then
        echo yes
    else
        echo no
    fi
}

# One configuration: its three files, each with its time and its ratio to spdlog.h's.
measure() {
    echo "$1"
    local spdlog_s seglog_s track_s
    spdlog_s=$(median_cpu "$tmp/spdlog.cpp")
    seglog_s=$(median_cpu "$tmp/seglog.cpp")
    track_s=$(median_cpu "$tmp/track.cpp")
    row() {
        awk -v n="$1" -v s="$2" -v r="$spdlog_s" -v j="$3" \
            'BEGIN {printf "  %-46s %6.2f s  %5.2f x spdlog.h   parses nlohmann/json.hpp: %s\n", n, s, s / r, j}'
    }
    row "#include <spdlog/spdlog.h>" "$spdlog_s" "$(parses_json "$tmp/spdlog.cpp")"
    row "#include <seglog/seglog.h>" "$seglog_s" "$(parses_json "$tmp/seglog.cpp")"
    row "a file that tracks one event (nested braces)" "$track_s" "$(parses_json "$tmp/track.cpp")"
}

echo "$("$cxx" --version | head -1), -fsyntax-only, CPU seconds (user + system), median of $runs runs"
flags=(-std=c++17 -I"$include")
measure "spdlog header-only (g++ -std=c++17 -I include)"
if pkg-config --exists spdlog 2>/dev/null; then
    read -r -a extra <<<"$(pkg-config --cflags spdlog)"
    flags+=("${extra[@]}")
    measure "with \`pkg-config --cflags spdlog\`: ${extra[*]}"
fi
