#!/usr/bin/env bash
# Side by side, in one run, against one receiver on 127.0.0.1 (bench/receiver.cpp):
#   1. the receiver's own ceiling: wrk POSTing a prebuilt 500-event batch (bench/wrk_post.lua);
#   2. seglog: a fresh process creates a client, tracks EVENTS events of five properties and
#      closes it (bench/burst.cpp), with the durable spool off and on;
#   3. @segment/analytics-node 3.1.0 (bench/node, installed here with `npm ci`) doing the same
#      with batches of 500;
#   4. the cold burst's mean call cost against the steady-state p50 of bench_call_latency;
#   5. 1, 2, 4 and 8 producer threads: the burst's aggregate rate and each thread's p99.9, and
#      the steady state's per-thread p99.9 (bench_call_latency --threads N);
#   6. delivery of DELIVERY_EVENTS events to the same receiver (bench_delivery --host), whose
#      own loopback collector, built for tests, is the limit of its default runs on two cores.
# Items 2 and 4 also run seglog (spool off) with glibc's malloc on transparent huge pages
# (GLIBC_TUNABLES below, set for that process only): a tuning a service can apply, which the
# cold burst's first writes of fresh memory are sensitive to (docs/performance.md).
# Every figure is printed with the receiver's counts (unique messageIds, duplicates, lost), and
# each run of item 2 and 3 with the CPU time the client and the receiver took an event, against
# what the machine's CPUs give an event at the rate measured and at 250 times analytics-node's.
# A benchmark, not a test: nothing here asserts a timing.
#
#   bench/burst.sh [build-dir]          (default: build-perf, configured as a release build if missing)
#
# Environment: EVENTS (default 100000), NODE=0 skips analytics-node, SPOOL ("off on"),
# THREADS ("1 2 4 8"), WRK_SECONDS (5), DELIVERY_EVENTS (1000000),
# SECTIONS ("compare cold threads delivery"), HUGE=0 skips the huge-page runs, QUICK=1 for a
# smoke run.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-build-perf}
case $build in /*) ;; *) build=$root/$build ;; esac
events=${EVENTS:-100000}
spools=${SPOOL:-off on}
thread_counts=${THREADS:-1 2 4 8}
wrk_seconds=${WRK_SECONDS:-5}
delivery_events=${DELIVERY_EVENTS:-1000000}
sections=${SECTIONS:-compare cold threads delivery}
latency_args=()
if [ "${QUICK:-0}" = 1 ]; then
    events=${EVENTS:-20000}
    wrk_seconds=${WRK_SECONDS:-2}
    delivery_events=${DELIVERY_EVENTS:-100000}
    latency_args=(--bursts 2000)
fi
huge=${HUGE:-1}
huge_tunables=glibc.malloc.hugetlb=1:glibc.malloc.top_pad=4194304
want() { case " $sections " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

die() {
    echo "burst.sh: $*" >&2
    exit 1
}

# Debian packages this script needs, installed when missing and we may (root, apt-get).
need_package() { # command, package
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "burst.sh: installing $2 (for $1)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y "$2" >&2 ||
            die "$1 is missing and 'apt-get install $2' failed (run it by hand, or: scripts/install-deps.sh with SEGLOG_WITH_BENCH=1)"
    else
        die "$1 is missing: install Debian's $2 (sudo apt-get install $2, or SEGLOG_WITH_BENCH=1 scripts/install-deps.sh)"
    fi
}
need_package wrk wrk
[ -x /usr/bin/time ] || need_package /usr/bin/time time
need_package curl curl
need_package python3 python3

use_node=${NODE:-1}
if want compare && [ "$use_node" = 1 ]; then
    # Without the Node side the seglog figures still come; the reason is printed in their place.
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        node_skipped="node and npm are not installed (SEGLOG_WITH_BENCH=1 scripts/install-deps.sh)"
    else
        installed=$(node -p "require('$here/node/node_modules/@segment/analytics-node/package.json').version" 2>/dev/null || true)
        if [ "$installed" != 3.1.0 ] || [ "$here/node/package-lock.json" -nt "$here/node/node_modules" ]; then
            echo "burst.sh: npm ci in bench/node (@segment/analytics-node 3.1.0, as pinned in package-lock.json)" >&2
            (cd "$here/node" && npm ci --no-audit --no-fund >&2) ||
                node_skipped="npm ci failed in bench/node: is the npm registry ($(npm config get registry)) reachable?"
        fi
    fi
    if [ -n "${node_skipped:-}" ]; then
        echo "burst.sh: the @segment/analytics-node side is skipped: $node_skipped" >&2
        use_node=0
    fi
fi

if [ ! -d "$build" ]; then
    meson setup "$build" "$root" --buildtype=release -Db_ndebug=true -Dtests=false -Dexamples=false \
        -Dtools=false >&2 || die "meson setup $build failed"
fi
ninja -C "$build" bench/bench_burst bench/bench_receiver bench/bench_call_latency bench/bench_delivery >/dev/null ||
    die "building bench_burst, bench_receiver, bench_call_latency, bench_delivery in $build failed"
b=$build/bench

tmp=$(mktemp -d)
receiver_pid=
cleanup() {
    if [ -n "$receiver_pid" ]; then kill "$receiver_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

"$b/bench_receiver" >"$tmp/receiver.out" 2>"$tmp/receiver.err" &
receiver_pid=$!
for _ in $(seq 50); do
    grep -q listening "$tmp/receiver.out" 2>/dev/null && break
    sleep 0.1
done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/receiver.out")
[ -n "$port" ] || die "the receiver did not start: $(cat "$tmp/receiver.err")"
url=http://127.0.0.1:$port

reset() { curl -sf -X POST "$url/reset" >/dev/null || die "the receiver at $url does not answer"; }
rstat() { curl -sf "$url/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
field() { sed -n "s/^result .*\b$1=\([0-9.]*\).*/\1/p" "$2"; }
# A cold burst's header, run and call lines, and the page faults its calls took.
cold_lines() { sed -n '1,3p;/^  page faults in the calls/,+1p' "$1"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# The CPU time the machine's CPUs give an event at a rate: what a client and the receiver
# together can spend on each event and still reach it.
capacity() { awk -v r="$1" -v n="$(nproc)" 'BEGIN { if (r > 0) printf "%.0f", n * 1e9 / r; else print "-" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }'; }
section() { printf '\n=== %s\n\n' "$1"; }

echo "bench/burst.sh: $events events, receiver $url, load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
rows=()
# One run of a burst program under /usr/bin/time; appends a row to the summary table.
#   burst_row name output-file command...
burst_row() {
    local name=$1 out=$2
    shift 2
    reset
    local status=0
    /usr/bin/time -f '%M %U %S' -o "$tmp/rss" "$@" >"$out" 2>"$tmp/err" || status=$?
    cat "$out"
    [ $status = 0 ] || { echo "  ($name: exit status $status)"; sed 's/^/  /' "$tmp/err" | tail -5; }
    local unique dups eps rss client_cpu receiver_cpu
    unique=$(rstat unique)
    dups=$(rstat duplicates)
    eps=$(field events_per_s "$out")
    read -r rss client_cpu < <(tail -1 "$tmp/rss" 2>/dev/null | awk '{ printf "%s %.0f\n", $1, ($2 + $3) * 1e9 / ev }' ev="$events")
    # bench_burst's own figure covers what its events/s does (attach() to the end of close());
    # /usr/bin/time's, the only one for the Node side, adds the process's start and exit.
    local own_cpu
    own_cpu=$(field cpu_event_ns "$out")
    local cpu_source="/usr/bin/time: user + system, the process's start and exit included"
    if [ -n "$own_cpu" ]; then
        client_cpu=$(printf '%.0f' "$own_cpu")
        cpu_source="attach() to the end of close()"
    fi
    receiver_cpu=$(awk -v us="$(rstat cpu_us)" -v ev="$events" 'BEGIN { printf "%.0f", us * 1e3 / ev }')
    echo "  receiver:                  $(rstat requests) requests, $unique unique messageIds, $dups duplicates"
    echo "  peak RSS (/usr/bin/time):  $(mib "${rss:-0}") MiB"
    echo "  CPU an event:              client ${client_cpu:-?} ns ($cpu_source), receiver ${receiver_cpu} ns;" \
        "both CPUs over the run gave $(capacity "${eps:-0}") ns"
    rows+=("| $name | ${eps:-failed} | $(mib "${rss:-0}") | $unique | $dups | $((events - ${unique:-0})) | ${client_cpu:-?} + ${receiver_cpu} |")
    printf '%s %s %s %s\n' "${eps:-0}" "${rss:-0}" "$((events - ${unique:-0}))" "$((${client_cpu:-0} + receiver_cpu))" >"$out.fig"
}

if want compare; then
    section "1. The receiver's ceiling, seglog and @segment/analytics-node against it"
    # One prebuilt batch of 500 events shaped like seglog's (the same properties, a fresh messageId each).
    python3 - "$tmp/batch.json" <<'EOF'
import json, sys, uuid
events = [{"type": "track", "userId": "u-42", "event": "Order Completed",
           "properties": {"order_id": "o-12345", "revenue": 42.5, "items": n, "gift": False, "currency": "EUR"},
           "messageId": uuid.uuid4().hex, "timestamp": "2026-01-01T00:00:00.000Z",
           "context": {"library": {"name": "seglog", "version": "0.1.0"}}} for n in range(500)]
open(sys.argv[1], "w").write(json.dumps({"batch": events, "sentAt": "2026-01-01T00:00:00.000Z"}, separators=(",", ":")))
EOF
    reset
    echo "receiver ceiling: wrk -t1 -c4 -d${wrk_seconds}s, one $(stat_size=$(wc -c <"$tmp/batch.json"); echo "$stat_size")-byte batch of 500 events per request"
    BATCH_FILE=$tmp/batch.json wrk -t1 -c4 -d"${wrk_seconds}s" -s "$here/wrk_post.lua" "$url/v1/batch" >"$tmp/wrk.out" 2>&1 ||
        die "wrk failed: $(cat "$tmp/wrk.out")"
    sed 's/^/  /' "$tmp/wrk.out"
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.out")
    ceiling=$(awk -v r="$rps" 'BEGIN { printf "%.0f", r * 500 }')
    echo "  receiver:                  $(rstat requests) requests, $(rstat events) events counted ($(rstat unique) unique: the same batch each time)"
    echo "  ceiling:                   $ceiling events/s"
    rows+=("| receiver's own ceiling (wrk, prebuilt 500-event batches) | $ceiling | | | | | |")
    echo
    for s in $spools; do
        args=()
        if [ "$s" = on ]; then args=(--spool "$tmp/spool-compare"); fi
        burst_row "seglog, spool $s" "$tmp/seglog-$s.out" "$b/bench_burst" --host "$url" --events "$events" "${args[@]}"
        echo
    done
    if [ "$huge" = 1 ]; then
        echo "seglog, spool off, GLIBC_TUNABLES=$huge_tunables:"
        burst_row "seglog, spool off, malloc on huge pages" "$tmp/seglog-huge.out" \
            env GLIBC_TUNABLES=$huge_tunables "$b/bench_burst" --host "$url" --events "$events"
        echo
    fi
    if [ "$use_node" = 1 ]; then
        burst_row "@segment/analytics-node 3.1.0" "$tmp/node.out" \
            node "$here/node/burst.mjs" "$url" "$events"
    elif [ -n "${node_skipped:-}" ]; then
        rows+=("| @segment/analytics-node 3.1.0 | not run: $node_skipped | | | | | |")
    fi
    echo
    echo "| run | events/s (created, tracked, closed) | peak RSS (MiB) | received, unique | duplicates | lost | CPU an event (ns): client + receiver |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
    if [ "$use_node" = 1 ] && [ -f "$tmp/node.out.fig" ]; then
        read -r n_eps n_rss _ <"$tmp/node.out.fig"
        for s in $spools huge; do
            [ -f "$tmp/seglog-$s.out.fig" ] || continue
            read -r s_eps s_rss s_lost s_cpu <"$tmp/seglog-$s.out.fig"
            what="spool $s"
            [ "$s" = huge ] && what="spool off, malloc on huge pages"
            echo "seglog ($what) / analytics-node: events/s $(ratio "$s_eps" "$n_eps")x (target >= 250x);" \
                "analytics-node's RSS / seglog's $(ratio "$n_rss" "$s_rss")x (target >= 20x); seglog lost $s_lost (target 0)"
            echo "  at 250x ($(awk -v r="$n_eps" 'BEGIN { printf "%.0f", 250 * r }') events/s) the $(nproc) CPUs give" \
                "$(capacity "$(awk -v r="$n_eps" 'BEGIN { print 250 * r }')") ns an event; this run's client and receiver took $s_cpu ns"
        done
    fi
fi

if want cold; then
    section "2. The cold burst's mean call cost against the steady-state p50"
    for s in $spools; do
        bargs=()
        largs=()
        if [ "$s" = on ]; then
            bargs=(--spool "$tmp/spool-cold")
            largs=(--spool "$tmp/spool-latency")
        fi
        reset
        "$b/bench_burst" --host "$url" --events "$events" "${bargs[@]}" >"$tmp/cold.out" || true
        cold_lines "$tmp/cold.out"
        "$b/bench_call_latency" --only up "${largs[@]}" "${latency_args[@]}" >"$tmp/steady.out" || true
        cat "$tmp/steady.out"
        cold=$(field mean_call_ns "$tmp/cold.out")
        steady=$(awk '/^1 thread, sync logger, collector up/ { for (i = 1; i <= NF; ++i) if ($i == "p50") { print $(i + 1); exit } }' "$tmp/steady.out")
        echo "spool $s: cold burst mean ${cold:-?} ns / steady p50 ${steady:-?} ns = $(ratio "${cold:-0}" "${steady:-0}") (target <= 1.5)"
        echo
        if [ "$s" = off ] && [ "$huge" = 1 ]; then
            reset
            GLIBC_TUNABLES=$huge_tunables "$b/bench_burst" --host "$url" --events "$events" >"$tmp/cold.out" || true
            echo "GLIBC_TUNABLES=$huge_tunables:"
            cold_lines "$tmp/cold.out"
            cold=$(field mean_call_ns "$tmp/cold.out")
            echo "spool off, malloc on huge pages: cold burst mean ${cold:-?} ns / steady p50 ${steady:-?} ns (the same as without) = $(ratio "${cold:-0}" "${steady:-0}") (target <= 1.5)"
            echo
        fi
    done
fi

if want threads; then
    section "3. Producer threads: a cold burst's aggregate rate and each thread's p99.9; the steady state's per-thread p99.9"
    trows=()
    for s in $spools; do
        for t in $thread_counts; do
            bargs=()
            largs=()
            if [ "$s" = on ]; then
                bargs=(--spool "$tmp/spool-threads-$t")
                largs=(--spool "$tmp/spool-latency-threads-$t")
            fi
            reset
            "$b/bench_burst" --host "$url" --events "$events" --threads "$t" --per-call "${bargs[@]}" >"$tmp/t.out" || true
            cat "$tmp/t.out"
            "$b/bench_call_latency" --threads "$t" "${largs[@]}" "${latency_args[@]}" >"$tmp/tl.out" || true
            cat "$tmp/tl.out"
            echo
            worst_burst=$(field worst_p999_ns "$tmp/t.out")
            worst_steady=$(awk '/^  thread / { for (i = 1; i <= NF; ++i) if ($i == "p99.9" && $(i + 1) > m) m = $(i + 1) } END { print m + 0 }' "$tmp/tl.out")
            steady_p50=$(awk '/threads?, sync logger, collector up/ { for (i = 1; i <= NF; ++i) if ($i == "p50") { print $(i + 1); exit } }' "$tmp/tl.out")
            trows+=("| $t | $s | $(field calls_per_s "$tmp/t.out") | $(field events_per_s "$tmp/t.out") | $(field mean_call_ns "$tmp/t.out") | ${worst_burst:-?} | ${steady_p50:-?} | $worst_steady | $((events - $(rstat unique))) |")
        done
    done
    echo "| threads | spool | burst: calls/s, all threads | burst: events/s created to closed | burst: mean call (ns, timed) | burst: worst thread's p99.9 (ns) | steady: p50 (ns) | steady: worst thread's p99.9 (ns) | burst: lost |"
    echo "|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${trows[@]}"
fi
if want delivery; then
    section "4. Delivery to the same receiver: $delivery_events events, block (bench_delivery --host)"
    for s in $spools; do
        args=()
        if [ "$s" = on ]; then args=(--spool "$tmp/spool-delivery"); fi
        reset
        "$b/bench_delivery" --host "$url" --events "$delivery_events" --overflow block --block-timeout-ms 60000 \
            "${args[@]}" >"$tmp/d.out" || echo "  (bench_delivery, spool $s: exit status $?)"
        cat "$tmp/d.out"
        echo "  receiver:         $(rstat requests) requests, $(rstat unique) unique messageIds, $(rstat duplicates) duplicates, lost $((delivery_events - $(rstat unique)))"
        echo
    done
fi
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
