#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# npm run kind:up: Tandem on a local kind cluster behind Istio, with Jaeger.
# Safe to run again: each step creates what is missing and re-applies the rest.
set -euo pipefail

here="${BASH_SOURCE[0]%/*}"
[ "$here" != "${BASH_SOURCE[0]}" ] || here=.
root="$(cd "$here/../.." && pwd)"
# shellcheck source=prerequisites.sh
source "$root/tools/kind/prerequisites.sh"

cluster="${TANDEM_KIND_CLUSTER:-tandem}"
context="kind-$cluster"
rollout_timeout="${TANDEM_ROLLOUT_TIMEOUT:-300s}"
sampling="${TANDEM_TRACE_SAMPLING:-}"
apps=(gateway order consumer topology)
namespaces=(tandem observability)
ingress_url="http://127.0.0.1:8080"

usage() {
  printf '%s\n' \
    "usage: npm run kind:up [-- --check | --help]" \
    "       bash tools/kind/up.sh [--check | --help]" \
    "" \
    "Builds the images tandem/{gateway,order,consumer,topology} (deploy/docker/Dockerfile), creates the kind" \
    "cluster '$cluster' (deploy/kind/cluster.yaml) unless it exists, installs Istio" \
    "(deploy/istio/install/istio-operator.yaml), loads the images, applies deploy/k8s/overlays/kind" \
    "and waits for every Deployment and StatefulSet. Running it again updates what changed." \
    "" \
    "  --check   only check the prerequisites: docker (engine running), kind >= $TANDEM_KIND_MIN," \
    "            kubectl >= $TANDEM_KUBECTL_MIN, istioctl >= $TANDEM_ISTIOCTL_MIN and < $TANDEM_ISTIOCTL_BELOW" \
    "  --help    this text" \
    "" \
    "Environment:" \
    "  TANDEM_KIND_CLUSTER     cluster name (default tandem)" \
    "  TANDEM_TRACE_SAMPLING   percent of requests traced by the mesh, 0-100 (default: the kind overlay's 100)" \
    "  TANDEM_ROLLOUT_TIMEOUT  how long to wait for each workload (default 300s)" \
    "" \
    "npm run kind:down deletes the cluster."
}

mode=up
case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
  --check) mode=check ;;
  "") ;;
  *)
    printf 'kind:up: unknown argument "%s"\n\n' "$1" >&2
    usage >&2
    exit 2
    ;;
esac

# --- everything that can be checked is checked before anything changes ---------------
tandem_check_docker
tandem_check_kind
tandem_check_kubectl
tandem_check_istioctl
if [[ ! $cluster =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$ ]]; then
  tandem_problem "TANDEM_KIND_CLUSTER=\"$cluster\": a cluster name is lower-case letters, digits and '-'"
fi
# A JSON number (it goes into a JSON patch as one): no leading zero before another digit.
if [ -n "$sampling" ] && [[ ! $sampling =~ ^(100(\.0+)?|[1-9]?[0-9](\.[0-9]+)?)$ ]]; then
  tandem_problem "TANDEM_TRACE_SAMPLING=\"$sampling\": give a percentage from 0 to 100, e.g. 100, 10 or 0.5"
fi
if [[ ! $rollout_timeout =~ ^[0-9]+[smh]$ ]]; then
  tandem_problem "TANDEM_ROLLOUT_TIMEOUT=\"$rollout_timeout\": give a duration such as 300s or 10m"
fi
version=""
while IFS= read -r line; do
  if [[ $line =~ ^\ \ \"version\":\ *\"([^\"]+)\" ]]; then
    version="${BASH_REMATCH[1]}"
    break
  fi
done <"$root/package.json"
[ -n "$version" ] || tandem_problem "package.json: no top-level \"version\" to tag the images with"
for file in deploy/kind/cluster.yaml deploy/istio/install/istio-operator.yaml deploy/k8s/overlays/kind/kustomization.yaml deploy/docker/Dockerfile; do
  [ -f "$root/$file" ] || tandem_problem "$file is missing from the checkout"
done

if ! tandem_report_problems "kind:up: cannot start; nothing was changed:"; then
  exit 1
fi
if [ "$mode" = check ]; then
  echo "kind:up: prerequisites present: docker (engine reachable), kind, kubectl, istioctl"
  exit 0
fi

cd "$root"
step() { printf '\n==> %s\n' "$*"; }
kc() { kubectl --context "$context" "$@"; }

memory="$(docker info --format '{{.MemTotal}}' 2>/dev/null || true)"
if [[ $memory =~ ^[0-9]+$ ]] && ((memory < 6 * 1024 * 1024 * 1024)); then
  echo "warning: Docker has $((memory / 1024 / 1024)) MiB of memory; the cluster (4 nodes, Istio, NATS, 5 services, Jaeger) wants about 6 GiB" >&2
fi

# --- 1. images (first: a failed build leaves any existing cluster untouched) ----------
images=()
changed=()
# With buildx, --load puts the result into Docker's image store whatever builder is
# selected (a docker-container builder would otherwise keep it in its cache only);
# without buildx, the classic builder does that anyway.
if docker buildx version >/dev/null 2>&1; then build=(docker buildx build --load); else build=(docker build); fi
for app in "${apps[@]}"; do
  image="tandem/$app:$version"
  images+=("$image")
  step "building $image"
  before="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
  # No provenance attestation: an image index with one makes `kind load docker-image`
  # fail on Docker's containerd image store (kubernetes-sigs/kind#3795).
  BUILDX_NO_DEFAULT_ATTESTATIONS=1 "${build[@]}" -f deploy/docker/Dockerfile \
    --build-arg "APP=$app" --build-arg "VERSION=$version" -t "$image" .
  after="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
  if [ "$before" != "$after" ]; then changed+=("$app"); fi
done

# --- 2. cluster ---------------------------------------------------------------------
cluster_exists() {
  local name
  while IFS= read -r name; do
    if [ "$name" = "$cluster" ]; then return 0; fi
  done < <(kind get clusters 2>/dev/null)
  return 1
}
if cluster_exists; then
  step "kind cluster '$cluster' exists; using it (context $context)"
  kind export kubeconfig --name "$cluster"
  # The NATS servers need a worker each (required anti-affinity): a cluster made from an older
  # deploy/kind/cluster.yaml with fewer workers would leave one Pending for ever.
  wanted_workers=0
  while IFS= read -r line; do
    if [ "$line" = '  - role: worker' ]; then wanted_workers=$((wanted_workers + 1)); fi
  done <deploy/kind/cluster.yaml
  workers=0
  while IFS= read -r line; do
    if [ -n "$line" ]; then workers=$((workers + 1)); fi
  done < <(kc get nodes --no-headers -l '!node-role.kubernetes.io/control-plane' 2>/dev/null || true)
  if [ "$workers" -lt "$wanted_workers" ]; then
    echo "kind:up: the cluster '$cluster' has $workers worker node(s); deploy/kind/cluster.yaml now has $wanted_workers (one per NATS server). Recreate it: npm run kind:down && npm run kind:up" >&2
    exit 1
  fi
else
  step "creating kind cluster '$cluster' (deploy/kind/cluster.yaml)"
  kind create cluster --name "$cluster" --config deploy/kind/cluster.yaml --wait 120s
fi

# --- 3. Istio (istioctl install is declarative: re-running it re-applies the same state)
step "installing Istio (deploy/istio/install/istio-operator.yaml)"
istioctl install --context "$context" -y -f deploy/istio/install/istio-operator.yaml

# --- 3b. KEDA: the fulfilment workers scale on their backlog (deploy/k8s/base/consumer.yaml).
# The release whose ScaledObject schema deploy:check vendors (tools/deploy-check/src/schemas).
# Its operator reads NATS's monitoring port, which accepts only mutual TLS: the operator alone
# joins the mesh (its pod label; not the namespace, whose metrics server and webhooks the API
# server calls from outside the mesh), and kind:up stops if its pod has no sidecar.
keda_version=2.20.2
step "installing KEDA $keda_version (its operator in the mesh)"
kc apply --server-side -f "https://github.com/kedacore/keda/releases/download/v$keda_version/keda-$keda_version.yaml"
kc wait --for condition=established --timeout 60s crd/scaledobjects.keda.sh
kc -n keda patch deployment keda-operator --type=merge \
  -p '{"spec":{"template":{"metadata":{"labels":{"sidecar.istio.io/inject":"true"}}}}}'
kc -n keda rollout status deployment/keda-operator --timeout "$rollout_timeout"
keda_containers="$(kc -n keda get pods -l app=keda-operator -o jsonpath='{.items[*].spec.initContainers[*].name} {.items[*].spec.containers[*].name}')"
if [[ " $keda_containers " != *" istio-proxy "* ]]; then
  echo "kind:up: KEDA's operator runs without an Istio sidecar ($keda_containers): it cannot read NATS's monitoring port under mTLS STRICT, and the fulfilment workers would never wake. Look at: kubectl --context $context -n keda describe deployment keda-operator" >&2
  exit 1
fi

step "loading ${images[*]} into the cluster"
if ! kind load docker-image --name "$cluster" "${images[@]}"; then
  echo "kind:up: 'kind load docker-image' failed; loading through an image archive instead" >&2
  archive_dir="$(mktemp -d)"
  trap 'rm -rf "$archive_dir"' EXIT
  docker image save -o "$archive_dir/images.tar" "${images[@]}"
  kind load image-archive --name "$cluster" "$archive_dir/images.tar"
fi

# --- 4. NATS users: one Secret per user with a random password, created once (a re-run
# keeps them: NATS and the services read them at start). Before the manifests, whose NATS,
# topology Job, order and consumer pods refer to them.
step "Secrets: tandem/nats-user-{admin,order,consumer} and tandem/order-id-secret (random, created once)"
kc apply -f deploy/k8s/base/namespace.yaml
for user in admin order consumer; do
  if ! kc -n tandem get secret "nats-user-$user" >/dev/null 2>&1; then
    # 'p' + 48 hex digits: nats-server parses $NAME values, and digits alone would not stay a
    # string. Through stdin, so the password never shows in a process list.
    printf 'p%s' "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" |
      kc -n tandem create secret generic "nats-user-$user" --from-file=password=/dev/stdin
  fi
done
# The key of order ids (docs/decisions/0012): created once, shared by order v1 and v2.
if ! kc -n tandem get secret order-id-secret >/dev/null 2>&1; then
  printf '%s' "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" |
    kc -n tandem create secret generic order-id-secret --from-file=secret=/dev/stdin
fi

# --- 5. manifests -------------------------------------------------------------------
# Deployments that already run an image rebuilt just now are restarted after the apply:
# the tag stays the same, so the apply alone would not replace their pods.
restart=()
for app in "${changed[@]+"${changed[@]}"}"; do
  # The topology image runs as a Job, run again at every kind:up (below), not a Deployment.
  if [ "$app" = topology ]; then continue; fi
  if [ -n "$(kc -n tandem get deployment -l "app=$app" -o name 2>/dev/null || true)" ]; then restart+=("$app"); fi
done

# A Job's spec cannot change once created, and the topology is declared again at every
# kind:up (idempotent: only what differs changes): the old Job goes first.
kc -n tandem delete job nats-topology --ignore-not-found

# `apply` never prunes: what an earlier release named otherwise goes by its old name, or it
# keeps running beside its successor. The fulfilment worker's `consumer` Deployment and HPA
# became consumer-v1 and consumer-v2 (docs/decisions/0018), and consumer-v1's HPA gave way
# to KEDA's ScaledObject (docs/decisions/0020): two autoscalers would fight.
kc -n tandem delete deployment/consumer horizontalpodautoscaler/consumer horizontalpodautoscaler/consumer-v1 --ignore-not-found

step "applying deploy/k8s/overlays/kind"
applied=false
for attempt in 1 2 3; do
  if kc apply -k deploy/k8s/overlays/kind; then
    applied=true
    break
  fi
  # Right after an install Istio's validation webhook can refuse a moment longer.
  if [ "$attempt" -lt 3 ]; then
    echo "kind:up: apply failed (attempt $attempt of 3); retrying in 10 s" >&2
    sleep 10
  fi
done
$applied || {
  echo "kind:up: kubectl apply -k deploy/k8s/overlays/kind failed (see above)" >&2
  exit 1
}

if [ -n "$sampling" ]; then
  # The ingress gateway decides for new traces; the tandem namespace's proxies for the rest
  # (deploy/k8s/overlays/kind/tracing.yaml).
  step "tracing $sampling % of requests (Telemetry istio-system/ingress-tracing and tandem/tracing)"
  for telemetry in istio-system/ingress-tracing tandem/tracing; do
    kc -n "${telemetry%%/*}" patch telemetry.telemetry.istio.io "${telemetry#*/}" --type=json \
      -p "[{\"op\":\"replace\",\"path\":\"/spec/tracing/0/randomSamplingPercentage\",\"value\":$sampling}]"
  done
fi

for app in "${restart[@]+"${restart[@]}"}"; do
  step "restarting $app: its image was rebuilt"
  kc -n tandem rollout restart deployment -l "app=$app"
done

# --- 6. wait ------------------------------------------------------------------------
# First the topology: order and consumer become ready only once it is declared, and the
# Job (which itself waits for NATS) says plainly when it cannot be.
# `kubectl wait --for=condition=complete` would sit out its whole timeout on a Job that
# failed: look at both conditions. The program itself waits up to 300 s for NATS, so the
# wait here allows for that and for its pod to start.
case "$rollout_timeout" in
  *h) rollout_seconds=$((${rollout_timeout%h} * 3600)) ;;
  *m) rollout_seconds=$((${rollout_timeout%m} * 60)) ;;
  *) rollout_seconds=${rollout_timeout%s} ;;
esac
topology_timeout=$((rollout_seconds + 120))
step "waiting for tandem/nats-topology to declare the JetStream topology (up to ${topology_timeout}s)"
topology_state=""
for ((waited = 0; waited <= topology_timeout; waited += 5)); do
  topology_state="$(kc -n tandem get job nats-topology -o jsonpath='{range .status.conditions[*]}{.type}={.status} {end}' 2>/dev/null || true)"
  case " $topology_state " in
    *" Complete=True "* | *" SuccessCriteriaMet=True "*) break ;;
    *" Failed=True "*) break ;;
  esac
  sleep 5
done
case " $topology_state " in
  *" Complete=True "* | *" SuccessCriteriaMet=True "*) ;;
  *)
    if [[ " $topology_state " == *" Failed=True "* ]]; then outcome="failed"; else outcome="did not complete within ${topology_timeout}s"; fi
    printf '%s\n' \
      "kind:up: the Job tandem/nats-topology $outcome. Look at:" \
      "  kubectl --context $context -n tandem logs job/nats-topology --all-containers" \
      "  kubectl --context $context -n tandem describe job/nats-topology" >&2
    exit 1
    ;;
esac
for namespace in "${namespaces[@]}"; do
  workloads=()
  while IFS= read -r workload; do
    [ -n "$workload" ] && workloads+=("$workload")
  done < <(kc -n "$namespace" get deployments,statefulsets,daemonsets -o name)
  for workload in "${workloads[@]+"${workloads[@]}"}"; do
    step "waiting for $namespace/${workload#*/} (up to $rollout_timeout)"
    if ! kc -n "$namespace" rollout status "$workload" --timeout "$rollout_timeout"; then
      printf '%s\n' \
        "kind:up: $namespace/${workload#*/} did not become ready within $rollout_timeout. Look at:" \
        "  kubectl --context $context -n $namespace get pods" \
        "  kubectl --context $context -n $namespace describe $workload" \
        "  kubectl --context $context -n $namespace logs $workload --all-containers" \
        "then run npm run kind:up again (or raise TANDEM_ROLLOUT_TIMEOUT)." >&2
      exit 1
    fi
  done
done

cat <<EOF

Tandem is running in the kind cluster '$cluster' (kubectl context $context).

  API (Istio ingress):  $ingress_url
    curl -s -X POST $ingress_url/orders -H 'content-type: application/json' \\
      -H 'idempotency-key: demo-1' -d '{"sku":"sku-1","qty":1,"customerId":"c-1"}'
    curl -s $ingress_url/orders/<id from the answer>
  The canary (order v2) for one request:
    curl -s -X POST $ingress_url/orders -H 'x-canary: always' -H 'content-type: application/json' \\
      -H 'idempotency-key: demo-2' -d '{"sku":"sku-1","qty":1}'
  Traces (Jaeger UI at http://127.0.0.1:16686, service "gateway"):
    kubectl --context $context -n observability port-forward svc/jaeger-query 16686:16686
    (istioctl dashboard jaeger looks in istio-system and does not find this Jaeger)
  Logs beside traces (Grafana at http://127.0.0.1:3000, Explore → Loki; a line's trace_id opens Jaeger):
    kubectl --context $context -n observability port-forward svc/grafana 3000:3000
  Canary weights (HTTP and messages; deploy/README.md): npm run canary -- status | set <v2-percent> | promote | abort
  Remove everything: npm run kind:down
EOF
