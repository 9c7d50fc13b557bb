#!/usr/bin/env bash
# Makes sure a nats-server binary is available: $NATS_SERVER_BIN, then PATH,
# then Debian's package when running as root with apt; otherwise says how to get one.
set -euo pipefail
if [ -n "${NATS_SERVER_BIN:-}" ] && [ -x "$NATS_SERVER_BIN" ]; then exit 0; fi
if command -v nats-server >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "tandem: nats-server not found; installing Debian's nats-server package with apt" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq nats-server >&2
  command -v nats-server >/dev/null 2>&1 && exit 0
fi
cat >&2 <<'MSG'
tandem: nats-server (2.9 or newer) is needed and was not found on PATH.
  Debian/Ubuntu:  sudo apt-get install nats-server
  macOS:          brew install nats-server
  Anywhere:       download a release from the NATS project and put it on PATH,
                  or point NATS_SERVER_BIN at the binary.
MSG
exit 1
