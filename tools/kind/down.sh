#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# npm run kind:down: deletes the kind cluster made by npm run kind:up. Safe to run when
# there is no such cluster. The images stay in Docker (docker image rm tandem/...).
set -euo pipefail

here="${BASH_SOURCE[0]%/*}"
[ "$here" != "${BASH_SOURCE[0]}" ] || here=.
# shellcheck source=prerequisites.sh
source "$here/prerequisites.sh"

cluster="${TANDEM_KIND_CLUSTER:-tandem}"

case "${1:-}" in
  -h | --help)
    printf '%s\n' \
      "usage: npm run kind:down [-- --help]" \
      "       bash tools/kind/down.sh [--help]" \
      "" \
      "Deletes the kind cluster '$cluster' (TANDEM_KIND_CLUSTER overrides the name) with everything" \
      "in it. Does nothing when it does not exist. The tandem/* images stay in Docker."
    exit 0
    ;;
  "") ;;
  *)
    printf 'kind:down: unknown argument "%s"; see --help\n' "$1" >&2
    exit 2
    ;;
esac

tandem_check_docker
tandem_check_kind
if ! tandem_report_problems "kind:down: cannot reach kind clusters; nothing was changed:"; then
  exit 1
fi

found=false
while IFS= read -r name; do
  if [ "$name" = "$cluster" ]; then found=true; fi
done < <(kind get clusters 2>/dev/null)

if ! $found; then
  echo "kind:down: there is no kind cluster named '$cluster'; nothing to delete."
  exit 0
fi
kind delete cluster --name "$cluster"
echo "kind:down: deleted the kind cluster '$cluster'."
