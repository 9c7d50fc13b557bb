# shellcheck shell=bash
# Source this file to put a Node.js the project supports first on PATH.
#
# Tandem targets Node 24 LTS and runs on Node >= 22.15. When the Node on PATH is
# older (Debian 12 ships 20, which is end of life), this installs the official
# Node 24 binary from the npm registry package `node-linux-<arch>` into a cache
# directory (once; ~5 s) and puts it first on PATH. Idempotent and quiet when
# nothing needs doing. Override the cache with TANDEM_CACHE_DIR.

TANDEM_NODE_VERSION="24.21.0"
TANDEM_NODE_MIN="22.15.0"

tandem_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e '
    const [a, b] = [process.versions.node, process.argv[1]].map((v) => v.split(".").map(Number));
    for (let i = 0; i < 3; i++) { if (a[i] !== b[i]) process.exit(a[i] > b[i] ? 0 : 1); }
  ' "$TANDEM_NODE_MIN" 2>/dev/null
}

tandem_use_node() {
  if tandem_node_ok; then return 0; fi
  local arch
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "tandem: no Node $TANDEM_NODE_VERSION package for $(uname -m); install Node >= $TANDEM_NODE_MIN yourself (see .nvmrc)" >&2; return 1 ;;
  esac
  if ! command -v npm >/dev/null 2>&1; then
    echo "tandem: npm is needed to fetch Node $TANDEM_NODE_VERSION; install Node >= $TANDEM_NODE_MIN with npm (see .nvmrc)" >&2
    return 1
  fi
  local cache="${TANDEM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tandem}/node-v$TANDEM_NODE_VERSION-linux-$arch"
  local pkg="$cache/node_modules/node-linux-$arch"
  if [ ! -x "$pkg/bin/node" ]; then
    echo "tandem: $(node --version 2>/dev/null || echo 'no node') is older than $TANDEM_NODE_MIN; installing Node $TANDEM_NODE_VERSION into $cache" >&2
    if ! { mkdir -p "$cache" &&
      npm install --prefix "$cache" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund --loglevel=error \
        "node-linux-$arch@$TANDEM_NODE_VERSION" >&2; }; then
      echo "tandem: could not install node-linux-$arch@$TANDEM_NODE_VERSION from the npm registry; install Node >= $TANDEM_NODE_MIN yourself (see .nvmrc)" >&2
      return 1
    fi
  fi
  export PATH="$pkg/bin:$PATH"
  export npm_config_nodedir="$pkg"
  hash -r
  tandem_node_ok || { echo "tandem: $pkg/bin/node does not run" >&2; return 1; }
}

tandem_use_node
