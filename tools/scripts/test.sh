#!/usr/bin/env bash
# The README's test command: installs what the tests need, then builds, lints, typechecks and
# runs every test (unit and integration), and ends with one summary line.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/setup.sh --system

export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# pipefail (set above) makes the pipeline fail when nx does, whatever tee returns.
status=0
# Formatting of the whole tree, root files included (each package's lint checks its own too).
npx prettier --check --log-level warn . 2>&1 | tee "$log" || status=$?
npx nx run-many -t build lint typecheck test --exclude @failover/chaos --output-style=stream 2>&1 | tee -a "$log" || status=$?
# The fault campaign runs alone: its liveness budget is about the system under test, not about
# two cores shared with the other suites' processes.
npx nx run-many -t lint typecheck test -p @failover/chaos --output-style=stream 2>&1 | tee -a "$log" || status=$?

# Jest prints "Tests:  1 failed, 2 skipped, 40 passed, 43 total" once per project.
awk '/^.*Tests: /{ for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed/) p += $(i-1); if ($(i) ~ /^failed/) f += $(i-1); if ($(i) ~ /^skipped/) s += $(i-1) } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' <(sed 's/\x1b\[[0-9;]*m//g' "$log")
exit "$status"
