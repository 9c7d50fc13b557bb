#!/usr/bin/env bash
# npm start: a supported Node, dependencies, nats-server, a fresh build, then the local
# orchestrator (tools/dev) running NATS and the three services. Arguments go to it
# (`npm start -- --help`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=node-env.sh
source tools/scripts/node-env.sh
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
bash tools/scripts/ensure-deps.sh
NATS_SERVER_BIN="$(bash tools/scripts/ensure-nats.sh)"
export NATS_SERVER_BIN
echo "tandem: building the services" >&2
node_modules/.bin/nx run-many -t build --projects=gateway,order,consumer,all-in-one,dev,topology --outputStyle=static >/dev/null ||
  { echo "tandem: build failed; run 'npm run build' to see why" >&2; exit 1; }
exec node dist/tools/dev/main.js "$@"
