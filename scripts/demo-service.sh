#!/usr/bin/env bash
# Runs the example service (examples/service/) as production would, with the local collector's
# live page standing in for Segment: builds both (in build-demo-service/), starts
# `seglog collector --ui`, starts the service on the production profile pointed at it (with a
# spool), sends some traffic with curl and prints the live page's address. Ctrl-C stops both
# (the service first, so it delivers what it holds).
#
# Usage: scripts/demo-service.sh [--once]
#   --once  no waiting for Ctrl-C: send the traffic, wait until every event has reached the
#           collector, stop both, and exit 0 (1 if an event is missing or a step failed)
set -euo pipefail
cd "$(dirname "$0")/.."

once=0
case "${1:-}" in
"") ;;
--once) once=1 ;;
-h | --help)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
*)
    echo "demo-service: unknown argument $1 (usage: scripts/demo-service.sh [--once])" >&2
    exit 2
    ;;
esac

SEGLOG_WITH_DEMO=1 scripts/install-deps.sh
build=build-demo-service
if [ ! -d "$build" ]; then
    echo "configuring $build/ ..."
    meson setup "$build" -Dtests=false -Dbench=false -Dexamples=true -Dtools=true >/dev/null
fi
echo "building the seglog tool and the example service (a few minutes the first time) ..."
ninja -C "$build" tools/seglog examples/service/health_service >/dev/null

run=$(mktemp -d /tmp/seglog-demo-service-XXXXXX)
write_key=demo-write-key-0001
collector_pid="" service_pid=""

# Waits up to $2 seconds for the text $3 in the file $1; the line that has it on stdout.
wait_for_line() {
    local deadline=$((SECONDS + $2))
    while [ $SECONDS -lt "$deadline" ]; do
        if grep -m1 -- "$3" "$1" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    return 1
}

# The service first (SIGTERM: it finishes its requests and delivers or spools what it holds),
# then the collector (SIGINT: it prints its summary).
stop_all() {
    trap - INT TERM EXIT
    local rc=0
    if [ -n "$service_pid" ] && kill -0 "$service_pid" 2>/dev/null; then
        echo "stopping the service (SIGTERM) ..."
        kill -TERM "$service_pid"
        wait "$service_pid" || rc=$?
        grep '^health-service:' "$run/service.out" || true
    fi
    if [ -n "$collector_pid" ] && kill -0 "$collector_pid" 2>/dev/null; then
        echo "stopping the collector ..."
        kill -INT "$collector_pid"
        wait "$collector_pid" || true
        sed -n '/^summary:/,$p' "$run/collector.out"
    fi
    echo "logs, events and the spool are in $run/"
    return $rc
}
trap 'stop_all; exit 130' INT TERM
trap 'stop_all' EXIT

# Started in sessions of their own, so a Ctrl-C reaches this script only, which then stops them
# in order.
echo "starting seglog collector --ui ..."
setsid "$build/tools/seglog" collector --ui --plan examples/plans/health.json --port 0 --write-key "$write_key" \
    --gzip-ok --out "$run/received.jsonl" >"$run/collector.out" 2>&1 &
collector_pid=$!
page=$(wait_for_line "$run/collector.out" 30 'live page: ') || {
    cat "$run/collector.out" >&2
    echo "demo-service: the collector did not start" >&2
    exit 1
}
url=${page#live page: }
url=${url%/}

echo "starting the service (profile production, Segment host $url, spool $run/spool) ..."
SEGMENT_HOST=$url SEGMENT_WRITE_KEY=$write_key SEGLOG_SPOOL_DIR=$run/spool \
    setsid "$build/examples/service/health_service" --config examples/service/seglog.json \
    --plan examples/plans/health.json --env production --port 0 --log-file "$run/health-service.log" \
    --undelivered "$run/undelivered-events.jsonl" >"$run/service.out" 2>&1 &
service_pid=$!
listening=$(wait_for_line "$run/service.out" 30 'listening on ') || {
    cat "$run/service.out" >&2
    echo "demo-service: the service did not start" >&2
    exit 1
}
api=$(grep -o 'http://[0-9.]*:[0-9]*' <<<"$listening")

post() { # path, body, request id: prints the request, the status and the answer
    local answer
    answer=$(curl -sS -X POST "$api$1" -H 'Content-Type: application/json' -H "X-Request-Id: $3" -d "$2" \
        -w '%{http_code}') # the service's answer ends with a newline; the status follows it
    echo "POST $1 [$3] -> ${answer##*$'\n'} ${answer%$'\n'*}"
}

echo "sending traffic to $api ..."
events=0
for i in 1 2 3; do
    user="patient-$i"
    post /v1/signup "{\"user_id\":\"$user\",\"role\":\"patient\",\"email\":\"$user@example.org\",\"birth_year\":198$i}" \
        "demo-signup-$i"
    answer=$(post /v1/care-requests \
        "{\"user_id\":\"$user\",\"urgency\":\"urgent\",\"channel\":\"web\",\"symptoms\":\"headache for $i days\",\"patient_age\":3$i,\"postcode_prefix\":\"SW1\"}" \
        "demo-care-$i")
    echo "$answer"
    care=$(grep -o 'cr-[0-9]*' <<<"$answer")
    post "/v1/care-requests/$care/risk-assessment" \
        "{\"factors\":[{\"code\":\"bp\",\"weight\":0.2},{\"code\":\"smoker\",\"weight\":0.$i}],\"reviewed_by_clinician\":true}" \
        "demo-risk-$i"
    events=$((events + 3))
done
# Refused by the service (400): no event.
post /v1/care-requests '{"user_id":"patient-1","urgency":"soon","channel":"web"}' demo-bad-1

echo "waiting for the $events events to reach the collector (batches leave every 500 ms) ..."
deadline=$((SECONDS + 30))
while [ "$(wc -l <"$run/received.jsonl" 2>/dev/null || echo 0)" -lt $events ]; do
    if [ $SECONDS -ge $deadline ]; then
        echo "demo-service: only $(wc -l <"$run/received.jsonl" 2>/dev/null || echo 0) of $events events arrived" >&2
        exit 1
    fi
    sleep 0.1
done
echo "all $events events arrived"
echo
echo "live page: $url/"
echo "service:   $api (log lines in $run/health-service.log, console in $run/service.out)"

if [ $once = 1 ]; then
    stop_all
    grep -q "health-service: events: delivered $events, failed 0" "$run/service.out" || {
        echo "demo-service: the service did not report $events events delivered" >&2
        exit 1
    }
    exit 0
fi

echo
echo "more traffic, e.g.:"
echo "  curl -X POST $api/v1/care-requests -H 'X-Request-Id: mine-1' \\"
echo "       -d '{\"user_id\":\"patient-9\",\"urgency\":\"routine\",\"channel\":\"phone\",\"symptoms\":\"a cough\"}'"
echo "Ctrl-C stops the service and the collector."
wait "$service_pid" "$collector_pid"
