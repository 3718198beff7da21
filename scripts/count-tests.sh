#!/usr/bin/env bash
# Sums doctest's per-suite summaries ("[doctest] test cases: N | N passed | N failed") from
# meson test logs. A suite that died before printing its summary counts as one failure, and
# so does a log that does not exist (a run that failed before its tests ran).
logs=()
missing=0
for log in "$@"; do
    if [ -f "$log" ]; then logs+=("$log"); else missing=$((missing + 1)); fi
done
if [ ${#logs[@]} -eq 0 ]; then
    echo "0 passed, $missing failed"
    exit 0
fi
awk -v missing="$missing" '
  /^==================================== [0-9]+\/[0-9]+ ===/ { suites++ }
  /\[doctest\] test cases:/ {
      for (i = 1; i <= NF; i++) {
          if ($i == "passed") passed += $(i - 1)
          if ($i == "failed") failed += $(i - 1)
      }
      summaries++
  }
  END {
      if (suites > summaries) failed += suites - summaries
      printf "%d passed, %d failed\n", passed, failed + missing
  }' "${logs[@]}"
