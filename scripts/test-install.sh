#!/usr/bin/env bash
# Installs seglog (meson install --destdir, so the tree is not where its prefix says) and builds
# the small service in tests/consumer/ against that install the ways another project would:
#   cmake       find_package(seglog CONFIG REQUIRED) and seglog::seglog, spdlog, fmt and
#               nlohmann_json through their CMake packages
#   cmake-pc    the same, with their CMake packages hidden: the config falls back to pkg-config
#               (shared flavour only)
#   pkg-config  c++ consumer.cpp $(pkg-config [--static] --cflags --libs seglog)
# each built and run (it writes one event to a file and checks it), for a shared and a static
# libseglog; plus which versions seglogConfigVersion.cmake accepts. Any failure stops the
# script with a message naming the flavour and the route.
# Usage: scripts/test-install.sh [shared|static]...   (default: both)
# SEGLOG_SHARED_BUILD=DIR installs the shared flavour from an existing build directory (CI
# passes the one scripts/test.sh built) instead of building the library again.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/install-deps.sh

work=$root/${SEGLOG_INSTALL_BUILD:-build-install}
flavours=("$@")
[ ${#flavours[@]} -eq 0 ] && flavours=(shared static)
jobs=${SEGLOG_JOBS:-2}

fail() { echo "test-install: $*"; exit 1; }

# Runs a command with its output in a log file; on failure shows the end of the log and stops.
logged() {
    local log=$1 what=$2
    shift 2
    "$@" >"$log" 2>&1 || { tail -40 "$log"; fail "$what failed (log: ${log#"$root"/})"; }
}

# A configured build's option value (prefix, libdir, default_library).
build_option() {
    meson introspect --buildoptions "$1" |
        python3 -c 'import json, sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]))' "$2"
}

# The library alone, installed under $dir/root; sets build to the build directory used.
install_flavour() {
    local flavour=$1 dir=$2
    if [ "$flavour" = shared ] && [ -n "${SEGLOG_SHARED_BUILD:-}" ]; then
        build=$root/$SEGLOG_SHARED_BUILD
        [ -f "$build/build.ninja" ] || fail "SEGLOG_SHARED_BUILD=$SEGLOG_SHARED_BUILD is not a configured build directory"
        [ "$(build_option "$build" default_library)" = shared ] || fail "$SEGLOG_SHARED_BUILD is not a shared build"
    else
        build=$dir/build
        if [ -d "$build" ]; then
            logged "$dir/setup.log" "$flavour: meson configure" meson configure "$build" -Ddefault_library="$flavour"
        else
            logged "$dir/setup.log" "$flavour: meson setup" meson setup "$build" -Ddefault_library="$flavour" \
                --prefix=/opt/seglog -Dtests=false -Dtools=false -Dexamples=false -Dbench=false
        fi
    fi
    logged "$dir/ninja.log" "$flavour: build" ninja -C "$build" -j "$jobs"
    rm -rf "$dir/root"
    logged "$dir/install.log" "$flavour: meson install" meson install -C "$build" --no-rebuild --destdir "$dir/root"
}

check_installed_files() {
    local flavour=$1 libdir=$2
    for f in cmake/seglog/seglogConfig.cmake cmake/seglog/seglogConfigVersion.cmake pkgconfig/seglog.pc; do
        [ -f "$libdir/$f" ] || fail "$flavour: $f not installed"
    done
    case $flavour in
        shared) [ -e "$libdir/libseglog.so" ] || fail "shared: libseglog.so not installed"
                [ ! -e "$libdir/libseglog.a" ] || fail "shared: libseglog.a installed too" ;;
        static) [ -e "$libdir/libseglog.a" ] || fail "static: libseglog.a not installed"
                [ ! -e "$libdir/libseglog.so" ] || fail "static: libseglog.so installed too" ;;
    esac
}

# Configures, builds and runs tests/consumer/ with CMake; EXPECT is a pattern the target's
# description (printed by its CMakeLists.txt) must match.
cmake_route() {
    local flavour=$1 route=$2 dir=$3 install_prefix=$4 expect=$5
    shift 5
    local build=$dir/$route
    rm -rf "$build"
    logged "$build.log" "$flavour: $route: cmake configure (find_package)" \
        cmake -S tests/consumer -B "$build" -DCMAKE_PREFIX_PATH="$install_prefix" "$@"
    grep -E "^-- seglog " "$build.log" | sed "s#$root/##g; s/^--/ /"
    grep -qE "^-- seglog .*$expect" "$build.log" || fail "$flavour: $route: seglog::seglog is not what was expected ($expect)"
    logged "$build.build.log" "$flavour: $route: cmake build (link)" cmake --build "$build" -j "$jobs"
    "$build/consumer" "$build/events.jsonl" || fail "$flavour: $route: the consumer failed"
}

pkg_config_route() {
    local flavour=$1 dir=$2 install_prefix=$3 libdir=$4 static=()
    [ "$flavour" = static ] && static=(--static)
    local pc=(env PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --define-variable=prefix="$install_prefix")
    local flags
    flags=$("${pc[@]}" "${static[@]}" --cflags --libs seglog) || fail "$flavour: pkg-config ${static[*]} seglog failed"
    echo "  pkg-config ${static[*]:+${static[*]} }--cflags --libs seglog: ${flags//$root\//}"
    # shellcheck disable=SC2086  # the flags are words
    logged "$dir/pkg-config.log" "$flavour: pkg-config: compile and link" \
        c++ -std=c++17 tests/consumer/consumer.cpp -o "$dir/consumer-pkg-config" $flags -Wl,-rpath,"$libdir"
    "$dir/consumer-pkg-config" "$dir/events-pkg-config.jsonl" || fail "$flavour: pkg-config: the consumer failed"
}

# find_package(seglog REQUEST): accepted or refused, as seglogConfigVersion.cmake decides.
version_checks() {
    local dir=$1 install_prefix=$2 request expected got
    local -a cases=("0.1:accepted" "0.1.0:accepted" "0.1...0.3:accepted" "0.0.1...0.1.0:accepted"
                    "0.0.1...<0.1.0:refused" "0.1.1:refused" "0.0.9:refused" "0.2:refused" "1.0:refused")
    for c in "${cases[@]}"; do
        request=${c%:*}
        expected=${c##*:}
        logged "$dir/version.log" "version check $request: cmake" \
            cmake -S tests/consumer/version -B "$dir/version" -DREQUEST="$request" -DCMAKE_PREFIX_PATH="$install_prefix"
        got=$(sed -n "s/^-- seglog .*: \(accepted\|refused\).*/\1/p" "$dir/version.log")
        [ "$got" = "$expected" ] || fail "find_package(seglog $request): expected $expected, got '${got:-nothing}'"
    done
    echo "  find_package(seglog <version>): ${#cases[@]} requests accepted or refused as expected"
}

for flavour in "${flavours[@]}"; do
    case $flavour in shared|static) ;; *) fail "unknown flavour '$flavour' (shared or static)" ;; esac
    start=$(date +%s)
    dir=$work/$flavour
    mkdir -p "$dir"
    install_flavour "$flavour" "$dir"
    # Where the files landed: the build's prefix under DESTDIR, not where the files say.
    install_prefix=$dir/root$(build_option "$build" prefix)
    libdir=$install_prefix/$(build_option "$build" libdir)
    check_installed_files "$flavour" "$libdir"
    expect="spdlog::spdlog;fmt::fmt;nlohmann_json::nlohmann_json"
    if [ "$flavour" = shared ]; then
        expect="SHARED_LIBRARY .*links $expect\$"
    else
        expect="STATIC_LIBRARY .*links $expect;CURL::libcurl;ZLIB::ZLIB;OpenSSL::Crypto;Threads::Threads\$"
    fi
    cmake_route "$flavour" cmake "$dir" "$install_prefix" "$expect"
    if [ "$flavour" = shared ]; then
        cmake_route "$flavour" cmake-pc "$dir" "$install_prefix" \
            "links PkgConfig::seglog_spdlog;PkgConfig::seglog_fmt;PkgConfig::seglog_nlohmann_json\$" \
            -DCMAKE_DISABLE_FIND_PACKAGE_spdlog=ON -DCMAKE_DISABLE_FIND_PACKAGE_fmt=ON \
            -DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON
        version_checks "$dir" "$install_prefix"
    fi
    pkg_config_route "$flavour" "$dir" "$install_prefix" "$libdir"
    echo "test-install: $flavour ok ($(( $(date +%s) - start )) s)"
done
