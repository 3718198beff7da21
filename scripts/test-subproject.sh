#!/usr/bin/env bash
# Takes seglog as a Meson subproject of a small service (tests/consumer/), twice:
#   system    spdlog, fmt and nlohmann_json from Debian 12's packages;
#   fallback  --wrap-mode=forcefallback: the same libraries from seglog's wraps, downloaded
#             from Debian's source archive (deb.debian.org), hash-checked and built.
# Each build runs the consumer, which writes one event to a file and checks it, and must have
# built the one flavour of libseglog the consumer's default_library (shared) asks for.
# Usage: scripts/test-subproject.sh [system|fallback]...   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
SEGLOG_WITH_WRAPS=1 scripts/install-deps.sh

work=${SEGLOG_SUBPROJECT_BUILD:-build-subproject}
modes=("$@")
[ ${#modes[@]} -eq 0 ] && modes=(system fallback)

# The consumer's tree: its own files plus what a copy of seglog in subprojects/ needs.
rm -rf "$work"
mkdir -p "$work/src/subprojects/seglog/subprojects"
cp tests/consumer/meson.build tests/consumer/consumer.cpp "$work/src/"
cp -r meson.build meson_options.txt cmake include src "$work/src/subprojects/seglog/"
cp -r subprojects/*.wrap subprojects/packagefiles "$work/src/subprojects/seglog/subprojects/"

for mode in "${modes[@]}"; do
    start=$(date +%s)
    case $mode in
        system)   wrap_mode=default ;;
        fallback) wrap_mode=forcefallback ;;
        *) echo "test-subproject: unknown mode '$mode' (system or fallback)"; exit 2 ;;
    esac
    build="$root/$work/build-$mode"
    (cd "$work/src" && meson setup "$build" --wrap-mode="$wrap_mode" >"$build.setup.log" 2>&1) || {
        tail -30 "$build.setup.log"; echo "test-subproject: $mode: meson setup failed"; exit 1; }
    grep -E "(dependency|Subproject) (spdlog|fmt|nlohmann_json|seglog)|Downloading" "$build.setup.log" | sed "s/^/  /" || true
    # Each mode must have taken the libraries from where it says.
    for lib in spdlog fmt nlohmann_json; do
        built=$(grep -c "Subproject $lib finished" "$build.setup.log" || true)
        if [ "$mode" = system ] && [ "$built" -ne 0 ]; then
            echo "test-subproject: system: $lib was built from its wrap, not taken from the system"; exit 1
        fi
        if [ "$mode" = fallback ] && [ "$built" -eq 0 ]; then
            echo "test-subproject: fallback: $lib was not built from its wrap"; exit 1
        fi
    done
    ninja -C "$build" -j "${SEGLOG_JOBS:-2}" >"$build.ninja.log" 2>&1 || {
        tail -30 "$build.ninja.log"; echo "test-subproject: $mode: build failed"; exit 1; }
    libs=$(find "$build/subprojects/seglog" -maxdepth 1 \( -type f -o -type l \) -name 'libseglog*' -printf '%f ')
    case $libs in
        *libseglog.so*) [[ $libs != *libseglog.a* ]] || {
            echo "test-subproject: $mode: built both flavours of libseglog ($libs), not only the shared one"; exit 1; } ;;
        *) echo "test-subproject: $mode: no shared libseglog built (found: ${libs:-nothing})"; exit 1 ;;
    esac
    meson test -C "$build" --print-errorlogs consumer || { echo "test-subproject: $mode: FAILED"; exit 1; }
    grep "^consumer:" "$build/meson-logs/testlog.txt" || true
    echo "test-subproject: $mode ok ($(( $(date +%s) - start )) s)"
done
