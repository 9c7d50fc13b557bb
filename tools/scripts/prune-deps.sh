#!/usr/bin/env bash
# Assembles one app's runtime directory, exactly what its container image holds in /app:
#   <out-dir>/main.js (+ main.js.map)   the esbuild bundle from dist/apps/<app> (dist/tools/topology for topology)
#   <out-dir>/package.json, package-lock.json   pruned to the packages the bundle requires
#   <out-dir>/node_modules              `npm ci --omit=dev --ignore-scripts` of that lockfile
# Used by deploy/docker/Dockerfile (prod-deps stage) and by tools/kind's tests, so both
# install the same way. Build the app first (npx nx run <app>:build).
#
#   bash tools/scripts/prune-deps.sh <app> <out-dir>
set -euo pipefail
if [ $# -ne 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
  echo "usage: bash tools/scripts/prune-deps.sh <app> <out-dir>   (app: gateway, order, consumer or topology)" >&2
  exit 2
fi
app="$1"
mkdir -p "$2"
out="$(cd "$2" && pwd)"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
dist="dist/apps/$app"
# The topology declaration is a tool (npm run nats:topology) that also ships as the Job's image.
if [ "$app" = topology ]; then dist="dist/tools/topology"; fi
bundle="$dist/main.js"
if [ ! -f "$bundle" ]; then
  echo "prune-deps: $bundle does not exist: APP must name a built app (gateway, order, consumer or topology); build it with: npx nx run $app:build" >&2
  exit 1
fi
node tools/scripts/prune-deps.mjs "$bundle" "$out"
cp "$dist"/main.js* "$out/"
# --prefer-offline: the npm cache (filled by the workspace's own `npm ci`) serves the
# tarballs when it has them; integrity is still checked against the lockfile.
(cd "$out" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error)
