#!/usr/bin/env bash
# Runs one of the workspace's command-line tools (tools/<name>): a supported Node,
# dependencies, a quiet build of that tool, then `node dist/tools/<name>/main.js "$@"`.
# Behind `npm run deploy:check` and `npm run canary -- …`.
set -euo pipefail
tool="${1:?usage: run-tool.sh <tool> [arguments…]}"
shift
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=node-env.sh
source tools/scripts/node-env.sh
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
bash tools/scripts/ensure-deps.sh
# The bench runs nats-server: the line the tests run (tools/scripts/ensure-nats.sh).
if [ "$tool" = bench ]; then
  NATS_SERVER_BIN="$(bash tools/scripts/ensure-nats.sh)"
  export NATS_SERVER_BIN
fi
if ! build_log="$(node_modules/.bin/nx run "$tool:build" --outputStyle=static 2>&1)"; then
  printf '%s\n' "$build_log" >&2
  echo "tandem: building tools/$tool failed (see above)" >&2
  exit 1
fi
exec node "dist/tools/$tool/main.js" "$@"
