#!/usr/bin/env bash
# The collector's live page (`seglog collector --ui`) in headless Chromium.
#
#   tests/ui/run.sh SEGLOG_BINARY WORK_DIR [--screenshot]
#
# Installs what it needs when missing: Debian's chromium (and nodejs/npm when there is no node),
# and puppeteer-core, pinned in package-lock.json, with `npm ci` into WORK_DIR (a build
# directory; puppeteer-core never downloads a browser). --screenshot also writes
# docs/images/collector-ui.png. Every failure ends the run with a message; nothing is skipped.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
fail() {
    echo "tests/ui: $*" >&2
    exit 1
}
[ $# -ge 2 ] || fail "usage: run.sh SEGLOG_BINARY WORK_DIR [--screenshot]"
seglog=$(realpath -m "$1")
work=$(realpath -m "$2")
screenshot=""
[ "${3:-}" = "--screenshot" ] && screenshot="$root/docs/images/collector-ui.png"
[ -x "$seglog" ] || fail "no seglog binary at $seglog (build with -Dtools=true)"

# The options' mistakes: exit 2 with a one-line reason, before anything listens.
expect_refused() {
    local want=$1
    shift
    local out rc=0
    out=$("$seglog" collector "$@" 2>&1) || rc=$?
    [ "$rc" = 2 ] && [ "$out" = "$want" ] || fail "seglog collector $*: exit $rc, \"$out\"; expected exit 2, \"$want\""
    echo "ok - seglog collector $* is refused"
}
expect_refused "seglog collector: --plan needs --ui" --plan "$root/examples/plans/health.json"
expect_refused "seglog collector: tracking plan /nonexistent/plan.json: cannot be read" --ui --plan /nonexistent/plan.json
expect_refused "seglog collector: --ui-max: Value 0 not in range 1 to 10000000
Run 'seglog collector --help' for the options." --ui --ui-max 0
expect_refused "seglog collector: --ui-max: Value many not in range 1 to 10000000
Run 'seglog collector --help' for the options." --ui --ui-max many

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    # Debian's packages; a node from elsewhere (nodesource) brings its own npm.
    command -v node >/dev/null || missing+=(nodejs)
    command -v npm >/dev/null || missing+=(npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "tests/ui: installing ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    { $sudo_cmd apt-get update && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends \
        "${missing[@]}"; } || fail "could not install ${missing[*]} with apt-get"
fi
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing after the install"

# npm ci again only when the lock file changed.
mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$work/"
stamp=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
if [ ! -d "$work/node_modules/puppeteer-core" ] || [ "$(cat "$work/.installed" 2>/dev/null)" != "$stamp" ]; then
    echo "tests/ui: npm ci (puppeteer-core) in $work"
    (cd "$work" && npm ci --no-audit --no-fund --ignore-scripts) || fail "npm ci failed in $work"
    echo "$stamp" >"$work/.installed"
fi
cp "$here/ui_test.mjs" "$work/"
[ -n "$screenshot" ] && mkdir -p "$(dirname "$screenshot")"

# From the source root: the page shows the plan's path as given.
cd "$root"
node "$work/ui_test.mjs" "$seglog" examples/plans/health.json $screenshot || fail "the live page test failed"
