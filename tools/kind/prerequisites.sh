# shellcheck shell=bash
# Prerequisite checks for tools/kind/up.sh and down.sh (sourced; `up.sh --check` runs
# them alone). Uses bash built-ins only, so it works, and says what is missing, on a
# machine that has none of the tools.

# The cluster runs Kubernetes 1.35 (the node image pinned in deploy/kind/cluster.yaml, first
# published with kind 0.31.0) and Istio 1.30: the versions whose schemas deploy:check vendors
# (tools/deploy-check/src/schemas). kubectl within one minor of the cluster; istioctl installs
# its own Istio version, so it must be a 1.30 release.
TANDEM_KIND_MIN=0.31.0
TANDEM_KUBECTL_MIN=1.34.0
TANDEM_ISTIOCTL_MIN=1.30.0
TANDEM_ISTIOCTL_BELOW=1.31.0

# Problems found so far, one line each; printed together by tandem_report_problems.
TANDEM_PROBLEMS=()

tandem_problem() {
  TANDEM_PROBLEMS+=("$1")
}

# Prints the first x.y.z in $1 (a tool's version output), or nothing.
tandem_semver() {
  if [[ $1 =~ ([0-9]+)\.([0-9]+)\.([0-9]+) ]]; then printf '%s' "${BASH_REMATCH[0]}"; fi
}

# True when version $1 >= version $2 (both x.y.z).
tandem_version_at_least() {
  local -a have want
  IFS=. read -r -a have <<<"$1"
  IFS=. read -r -a want <<<"$2"
  local i
  for i in 0 1 2; do
    if ((10#${have[i]} > 10#${want[i]})); then return 0; fi
    if ((10#${have[i]} < 10#${want[i]})); then return 1; fi
  done
  return 0
}

# Checks that tool $1 is on PATH and that the version printed by the command "${@:4}"
# is at least $2; $3 says how to install or upgrade it. With TANDEM_BELOW set, the version
# must also be below it.
tandem_check_version() {
  local tool="$1" min="$2" how="$3" below="${TANDEM_BELOW:-}"
  shift 3
  local wanted="$min or newer"
  if [ -n "$below" ]; then wanted="$min up to (not including) $below"; fi
  if ! command -v "$tool" >/dev/null 2>&1; then
    tandem_problem "$tool: not found on PATH. Install $tool $wanted: $how"
    return
  fi
  local output version
  output="$("$@" 2>&1)" || true
  version="$(tandem_semver "$output")"
  if [ -z "$version" ]; then
    printf 'warning: could not tell the version of %s from "%s"; %s is required\n' "$tool" "${output%%$'\n'*}" "$wanted" >&2
  elif ! tandem_version_at_least "$version" "$min"; then
    tandem_problem "$tool: version $version is too old; $wanted is required. Upgrade: $how"
  elif [ -n "$below" ] && tandem_version_at_least "$version" "$below"; then
    tandem_problem "$tool: version $version is too new; $wanted is required (deploy:check checks the manifests against that release's schemas). Install one: $how"
  fi
}

tandem_check_docker() {
  if ! command -v docker >/dev/null 2>&1; then
    tandem_problem "docker: not found on PATH. Install Docker Desktop (macOS, Windows) or Docker Engine (Linux): https://docs.docker.com/get-started/get-docker/"
    return
  fi
  local output
  if ! output="$(docker info 2>&1)"; then
    local last="${output%$'\n'}"
    last="${last##*$'\n'}"
    tandem_problem "docker: the docker command is installed but the Docker engine is not reachable (docker info: ${last:-no output}). Start Docker Desktop, or on Linux start the daemon (sudo systemctl start docker) and make sure your user may use it (the docker group); check DOCKER_HOST and 'docker context ls' if you use a remote engine."
  fi
}

tandem_check_kind() {
  tandem_check_version kind "$TANDEM_KIND_MIN" \
    "https://kind.sigs.k8s.io/docs/user/quick-start/#installation (brew install kind, or go install sigs.k8s.io/kind@latest)" \
    kind version
}

tandem_check_kubectl() {
  tandem_check_version kubectl "$TANDEM_KUBECTL_MIN" \
    "https://kubernetes.io/docs/tasks/tools/ (brew install kubectl)" \
    kubectl version --client
}

tandem_check_istioctl() {
  TANDEM_BELOW="$TANDEM_ISTIOCTL_BELOW" tandem_check_version istioctl "$TANDEM_ISTIOCTL_MIN" \
    "https://istio.io/latest/docs/setup/getting-started/#download (curl -L https://istio.io/downloadIstio | ISTIO_VERSION=1.30.3 sh - and put istio-1.30.3/bin on PATH)" \
    istioctl version --remote=false
}

# Prints every problem and returns 1 when there is any.
tandem_report_problems() {
  if [ "${#TANDEM_PROBLEMS[@]}" -eq 0 ]; then return 0; fi
  printf '%s\n' "$1" >&2
  local problem
  for problem in "${TANDEM_PROBLEMS[@]}"; do printf '  - %s\n' "$problem" >&2; done
  return 1
}
