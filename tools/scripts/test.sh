#!/usr/bin/env bash
# npm test: a supported Node, dependencies and nats-server first; then workspace sync
# check, lint, formatting, type-check, build, and every Jest test (unit, integration against a real
# nats-server, end to end against the built apps). Every stage runs even when an earlier
# one failed; the last line is "N passed, N failed" (each check counts as one, each Jest
# test as one) and the exit code is non-zero on any failure. shellcheck is installed
# for the tests that lint the shell scripts; deploy:check runs after the build.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
setup_failed() {
  echo "npm test: $1" >&2
  echo "0 passed, 1 failed"
  exit 1
}
# shellcheck source=node-env.sh
source tools/scripts/node-env.sh || setup_failed "no supported Node.js (see above)"
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
bash tools/scripts/ensure-deps.sh || setup_failed "could not install dependencies (see above)"
NATS_SERVER_BIN="$(bash tools/scripts/ensure-nats.sh)" || setup_failed "no nats-server of the tested line (see above)"
export NATS_SERVER_BIN
bash tools/scripts/ensure-shellcheck.sh || setup_failed "no shellcheck (see above)"
export PATH="$PWD/node_modules/.bin:$PATH"

passed=0
failed=0
failures=()
check() {
  local name="$1"
  shift
  echo "==> $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

check "workspace in sync (nx sync:check)" nx sync:check
check "lint" nx run-many -t lint --outputStyle=static
check "formatting (prettier --check)" prettier --check --log-level warn .
check "type-check" nx run-many -t typecheck --outputStyle=static
check "build" nx run-many -t build --outputStyle=static
check "deploy:check (manifests under deploy/)" node dist/tools/deploy-check/main.js

echo "==> tests (jest)"
mkdir -p tmp
rm -f tmp/jest-results.json
jest --ci --maxWorkers=2 --testTimeout=60000 --json --outputFile=tmp/jest-results.json "$@"
jest_status=$?
counts=$(node -e '
  try {
    const r = require("./tmp/jest-results.json");
    const suiteErrors = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.every((a) => a.status !== "failed")).length;
    console.log(r.numPassedTests, r.numFailedTests + suiteErrors);
  } catch { console.log("0 1"); }
')
read -r jest_passed jest_failed <<<"$counts"
if [ "$jest_status" -ne 0 ] && [ "$jest_failed" -eq 0 ]; then jest_failed=1; failures+=("jest exited $jest_status"); fi
[ "$jest_failed" -gt 0 ] && failures+=("$jest_failed jest test(s) or suite(s)")
passed=$((passed + jest_passed))
failed=$((failed + jest_failed))

echo
if [ ${#failures[@]} -gt 0 ]; then
  echo "Failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
