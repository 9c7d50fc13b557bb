#!/usr/bin/env bash
# Makes sure a nats-server of the release line Tandem is tested with (TANDEM_NATS_LINE) is
# available and prints its path on stdout: `NATS_SERVER_BIN="$(bash tools/scripts/ensure-nats.sh)"`.
# Everything else it says goes to stderr.
#
# In order: $NATS_SERVER_BIN, nats-server on PATH, a copy cached by an earlier run, and
# finally Debian's package of that line, downloaded without touching the system: an apt
# sources list naming the suite that carries it (TANDEM_NATS_SUITE), apt-get update and
# download into a temporary directory, dpkg-deb -x, and the binary (static, Go) copied into
# the cache. A binary of another line is passed over with a note. Debian's bookworm carries
# 2.9 (end of life), so on Debian 12 the download is what normally happens, once
# (~5 MB). When the suite no longer carries the line (sid moves on), this fails saying so and
# how to point NATS_SERVER_BIN at a binary of the line; docs/decisions/0012 says why the line.
set -euo pipefail

TANDEM_NATS_LINE="2.15"
TANDEM_NATS_SUITE="sid"

say() { echo "tandem: $*" >&2; }

# The "major.minor" a nats-server binary reports, or nothing.
line_of() {
  "$1" --version 2>/dev/null | sed -n 's/^nats-server: v\([0-9]*\.[0-9]*\)\..*/\1/p' | head -n 1
}

# Prints the binary and exits when it is of the line; otherwise returns 1 (saying so when
# $2 is "say": a binary the caller named on purpose).
use_if_right_line() {
  local bin="$1" line
  [ -n "$bin" ] && [ -x "$bin" ] || return 1
  line="$(line_of "$bin")"
  if [ "$line" = "$TANDEM_NATS_LINE" ]; then
    echo "$bin"
    exit 0
  fi
  [ "${2:-}" = say ] && say "passing over NATS_SERVER_BIN=$bin (nats-server ${line:-of unknown version}; Tandem runs on $TANDEM_NATS_LINE.x)"
  return 1
}

use_if_right_line "${NATS_SERVER_BIN:-}" say || true
use_if_right_line "$(command -v nats-server 2>/dev/null || true)" || true

cache="${TANDEM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tandem}/nats-server-$TANDEM_NATS_LINE"
use_if_right_line "$cache/nats-server" || true

how_else() {
  cat >&2 <<MSG
tandem: a nats-server $TANDEM_NATS_LINE.x is needed. Get one and point NATS_SERVER_BIN at it:
  Debian/Ubuntu:  a $TANDEM_NATS_LINE.x package from a newer suite, or the release archive of the NATS project
  macOS:          brew install nats-server   (check: nats-server --version)
  Anywhere:       the nats-server $TANDEM_NATS_LINE.x release binary for your platform
then: NATS_SERVER_BIN=/path/to/nats-server npm start   (or npm test)
MSG
  exit 1
}

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
  say "no apt-get/dpkg-deb here to fetch Debian's nats-server $TANDEM_NATS_LINE"
  how_else
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $TANDEM_NATS_SUITE main" >"$work/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Debug::NoLocking=1
  -o APT::Sandbox::User=root -qq
)
say "fetching nats-server $TANDEM_NATS_LINE from Debian $TANDEM_NATS_SUITE into $cache (once)"
if ! apt-get "${apt_opts[@]}" update >&2; then
  say "could not read Debian $TANDEM_NATS_SUITE's package lists"
  how_else
fi
version="$(apt-cache "${apt_opts[@]}" show nats-server 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1 || true)"
case "$version" in
  "$TANDEM_NATS_LINE".*) ;;
  *)
    say "Debian $TANDEM_NATS_SUITE carries nats-server ${version:-no version at all}, not $TANDEM_NATS_LINE.x"
    how_else
    ;;
esac
if ! (cd "$work" && apt-get "${apt_opts[@]}" download "nats-server=$version" >&2); then
  say "could not download nats-server $version from Debian $TANDEM_NATS_SUITE"
  how_else
fi
dpkg-deb -x "$work"/nats-server_*.deb "$work/root"
mkdir -p "$cache"
install -m 0755 "$work/root/usr/sbin/nats-server" "$cache/nats-server.new"
mv "$cache/nats-server.new" "$cache/nats-server"
echo "$version" >"$cache/debian-version"
use_if_right_line "$cache/nats-server" || {
  say "the downloaded nats-server $version does not run here"
  how_else
}
