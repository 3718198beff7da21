#!/usr/bin/env bash
# Static checks on src/: clang-tidy (.clang-tidy at the root) with the build's
# compile_commands.json, then cppcheck. Both must end clean; the exit status is non-zero on
# any finding. docs/hardening.md explains the configuration and how to suppress a false
# positive (`// NOLINT(check): reason`, `// cppcheck-suppress id` with a reason).
#
# Usage: scripts/lint.sh [FILE...]      (default: every .cpp under src/)
#   SEGLOG_LINT_BUILD  build directory providing compile_commands.json (default build-lint;
#                      configured here, not built: src/ needs no generated header)
#   SEGLOG_LINT_JOBS   parallel clang-tidy/cppcheck processes (default: the number of cores)
set -uo pipefail
cd "$(dirname "$0")/.."
SEGLOG_WITH_LINT=1 scripts/install-deps.sh || exit 1

build=${SEGLOG_LINT_BUILD:-build-lint}
jobs=${SEGLOG_LINT_JOBS:-$(nproc 2>/dev/null || echo 2)}
start=$(date +%s)
if [ ! -f "$build/compile_commands.json" ]; then
    # clang, so that the compile commands hold no GCC-only flag clang-tidy would not know
    CC=clang CXX=clang++ meson setup "$build" -Dtests=false -Dexamples=false -Dbench=false \
        -Dtools=false -Dfuzz=false >/dev/null || exit 1
else
    meson setup --reconfigure "$build" >/dev/null || exit 1 # picks up new source files
fi

if [ $# -gt 0 ]; then
    files=("$@")
else
    mapfile -t files < <(find src -name '*.cpp' | sort)
fi

status=0
echo "== clang-tidy ($(clang-tidy --version | grep -o 'version [0-9.]*'), ${#files[@]} files)"
out="$build/clang-tidy.log"
printf '%s\n' "${files[@]}" |
    xargs -P "$jobs" -n 1 clang-tidy -p "$build" --quiet >"$out" 2>&1
tidy_rc=$?
# clang-tidy prints "N warnings generated" for headers it filtered out; only real findings count.
if [ $tidy_rc -ne 0 ] || grep -qE '(warning|error): ' "$out"; then
    grep -E '(warning|error): ' -A3 "$out" | head -200
    echo "clang-tidy: $(grep -cE '(warning|error): ' "$out") finding(s); full log: $out"
    status=1
else
    echo "clang-tidy: clean"
fi

echo "== cppcheck ($(cppcheck --version))"
# System and dependency headers are not ours to fix: not even read (missingIncludeSystem),
# and nothing reported from them.
cppcheck --enable=warning,performance,portability --error-exitcode=1 --inline-suppr \
    --std=c++17 --language=c++ -j "$jobs" --quiet \
    -I include -I src -D__GNUC__ -DSEGLOG_BUILDING \
    --suppress=missingIncludeSystem --suppress='*:/usr/include/*' --suppress='*:subprojects/*' \
    --template='{file}:{line}: {severity}: {message} [{id}]' \
    "${files[@]}"
if [ $? -ne 0 ]; then
    echo "cppcheck: findings above"
    status=1
else
    echo "cppcheck: clean"
fi
echo "== lint: $([ $status = 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - start )) s"
exit $status
