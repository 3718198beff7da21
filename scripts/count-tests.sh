#!/usr/bin/env bash
# Sums doctest's per-suite summaries ("[doctest] test cases: N | N passed | N failed") from
# meson test logs. A suite that died before printing its summary counts as one failure, so does
# a suite whose cases all passed but whose exit status was not 0 (a sanitizer report at exit),
# and so does a log that does not exist (a run that failed before its tests ran).
#
# Before the count, names every suite whose exit status was not 0, whatever doctest counted (a
# sanitizer report after the last case, a crash at exit, a timeout): the log, the suite, its
# result, the last test case and subcase it entered (tests/support/doctest_main.cpp names each
# one as it starts), and the first lines of each sanitizer report it wrote.
logs=()
missing=0
for log in "$@"; do
    if [ -f "$log" ]; then logs+=("$log"); else missing=$((missing + 1)); fi
done
if [ ${#logs[@]} -eq 0 ]; then
    echo "0 passed, $missing failed"
    exit 0
fi

awk '
  function report() {
      if (name == "" || result ~ /^(exit status 0|exit status 77|skipped)/) return
      printf "FAILED %s: suite %s, %s\n", log_name, name, result
      printf "  last case entered: %s\n", (last_case == "" ? "(none)" : last_case)
      if (last_subcase != "") printf "  last subcase entered: %s\n", last_subcase
      if (report_lines != "") printf "%s", report_lines
  }
  function start(file) {
      name = ""; result = ""; last_case = ""; last_subcase = ""; report_lines = ""; in_report = 0; reports = 0
      log_name = file
  }
  FNR == 1 { report(); start(FILENAME) }
  /^==================================== [0-9]+\/[0-9]+ ===/ { report(); start(FILENAME); next }
  /^test: / { name = $2; next }
  /^result: / { sub(/^result: +/, ""); result = $0; next }
  /^\[seglog-test\] case: / { sub(/^\[seglog-test\] case: /, ""); last_case = $0; last_subcase = ""; next }
  /^\[seglog-test\] subcase: / { sub(/^\[seglog-test\] subcase: /, ""); last_subcase = $0; next }
  /(WARNING|ERROR): [A-Za-z]+Sanitizer|runtime error: / {
      if (reports < 3) { in_report = 8; reports++ } else if (reports == 3) { report_lines = report_lines "  ...\n"; reports++ }
  }
  in_report > 0 { report_lines = report_lines "  | " $0 "\n"; in_report--; next }
  END { report() }' "${logs[@]}"

awk -v missing="$missing" '
  function settle() {
      if (!in_suite) return
      if (!summary) failed++
      else if (suite_failed == 0 && result !~ /^(exit status 0|exit status 77|skipped)/) failed++
  }
  FNR == 1 { settle(); in_suite = 0 }
  /^==================================== [0-9]+\/[0-9]+ ===/ {
      settle(); in_suite = 1; summary = 0; suite_failed = 0; result = ""; next
  }
  /^result: / { sub(/^result: +/, ""); result = $0; next }
  /\[doctest\] test cases:/ {
      for (i = 1; i <= NF; i++) {
          if ($i == "passed") passed += $(i - 1)
          if ($i == "failed") { failed += $(i - 1); suite_failed += $(i - 1) }
      }
      summary = 1
  }
  END {
      settle()
      printf "%d passed, %d failed\n", passed, failed + missing
  }' "${logs[@]}"
