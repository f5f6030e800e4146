#!/usr/bin/env bash
# The README's first command: installs, builds, then runs the demo (tools/e2e/src/demo.ts) on
# a simulated cluster. Arguments go to the demo: `npm run demo -- --etcd`, `-- --slot-ms 100`,
# `-- --help`. Exit code: the demo's (0 clean failover, 1 violation or no recovery, 2 usage).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/setup.sh

export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "demo: building the agent, the manager and the simulator"
# The processes the demo starts run from these builds (bins and dist/), as users run them.
if ! npx nx run-many -t build -p @failover/agent @failover/manager @failover/solana-sim @failover/testkit --output-style=static >"$log" 2>&1; then
  cat "$log" >&2
  echo "demo: the build failed (output above)" >&2
  exit 1
fi

node --import tsx tools/e2e/src/demo.ts "$@"
