#!/usr/bin/env bash
# Runs a command with a supported Node first on PATH and the workspace's
# dependencies installed: every npm script goes through here, so `npm run …`
# works even from a shell whose own Node is too old.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=node-env.sh
source tools/scripts/node-env.sh
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
bash tools/scripts/ensure-deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"
exec "$@"
