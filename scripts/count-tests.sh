#!/usr/bin/env bash
# Sums doctest's per-suite summaries ("[doctest] test cases: N | N passed | N failed") from
# meson test logs. A suite that died before printing its summary counts as one failure.
awk '
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
      printf "%d passed, %d failed\n", passed, failed
  }' "$@"
