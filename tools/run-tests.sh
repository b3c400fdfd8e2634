#!/usr/bin/env bash
# Runs Node's test runner over the given files, one file at a time (the e2e files start real
# Envoys on a 2-core machine): spec output for people as it goes, then each failure with its
# message, the TAP summary and one plain "N passed, N failed" line, so whoever reads only the end
# of the log still sees what failed and why.
set -uo pipefail
mkdir -p .run
tap=.run/test-results.tap
node --import tsx --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" "$@"
rc=$?
awk -f "$(dirname "$0")/tap-failures.awk" "$tap"
grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$tap" | tail -n 8
pass=$(sed -n 's/^# pass //p' "$tap" | tail -n 1)
fail=$(sed -n 's/^# fail //p' "$tap" | tail -n 1)
skipped=$(sed -n 's/^# skipped //p' "$tap" | tail -n 1)
echo "tests: ${pass:-0} passed, ${fail:-0} failed, ${skipped:-0} skipped"
exit $rc
