#!/usr/bin/env bash
# The README's first command: installs, builds, then runs the demo.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/setup.sh
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
npx nx run-many -t build --output-style=static >/dev/null
node packages/agent/bin/failover-agent.js --help
node packages/manager/bin/failover-manager.js --help
