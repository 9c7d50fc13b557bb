#!/usr/bin/env bash
# Makes sure shellcheck is available for the tests that lint the repository's shell
# scripts: PATH first, then Debian's package when running as root with apt.
set -euo pipefail
if command -v shellcheck >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "tandem: shellcheck not found; installing Debian's shellcheck package with apt" >&2
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -qq shellcheck || { apt-get update -qq && apt-get install -y -qq shellcheck; }; } >&2
  command -v shellcheck >/dev/null 2>&1 && exit 0
fi
cat >&2 <<'MSG'
tandem: shellcheck is needed by the tests and was not found on PATH.
  Debian/Ubuntu:  sudo apt-get install shellcheck
  macOS:          brew install shellcheck
MSG
exit 1
