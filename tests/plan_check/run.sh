#!/usr/bin/env bash
# `seglog plan check` end to end: the built tool over a plan and a JSON-lines file of events.
# Usage: run.sh SEGLOG_TOOL DIR (DIR holds plan.json, events.jsonl, good.jsonl, bad_plan.json,
# expected.txt). Checks the report line by line, that no value from the events reaches it, and
# the exit statuses 0, 1 and 2.
set -uo pipefail
tool=$1
dir=$2
status=0
fail() { echo "FAIL: $*"; status=1; }

out=$("$tool" plan check --plan "$dir/plan.json" "$dir/events.jsonl" 2>&1)
rc=$?
[ "$rc" = 1 ] || fail "violations: exit $rc, expected 1"
expected=$(sed "s|PLAN|$dir/plan.json|" "$dir/expected.txt")
[ "$out" = "$expected" ] || fail "report differs:"$'\n'"$(diff <(echo "$expected") <(echo "$out"))"
case "$out" in *SECRET*) fail "a value of an event reached the report" ;; esac

out=$("$tool" plan check --plan "$dir/plan.json" - <"$dir/good.jsonl" 2>&1)
rc=$?
[ "$rc" = 0 ] || fail "good events on stdin: exit $rc, expected 0: $out"
[ "$out" = "1 events checked, 0 violate the plan $dir/plan.json" ] || fail "good events: $out"

out=$("$tool" plan check --plan "$dir/bad_plan.json" "$dir/good.jsonl" 2>&1)
rc=$?
[ "$rc" = 2 ] || fail "bad plan: exit $rc, expected 2"
[ "$out" = "seglog plan check: tracking plan $dir/bad_plan.json: track rule \"A\": schema at \"/properties/properties\": unsupported keyword \"propertyNames\" (docs/tracking-plan.md lists the supported ones)" ] ||
    fail "bad plan: $out"

"$tool" plan check "$dir/good.jsonl" >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ] || fail "no --plan: exit $rc, expected 2"
"$tool" plan check --plan "$dir/plan.json" "$dir/missing.jsonl" >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ] || fail "unreadable events: exit $rc, expected 2"

[ "$status" = 0 ] && echo "plan check: ok"
exit "$status"
