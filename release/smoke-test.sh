#!/usr/bin/env bash
# Smoke-tests release/cairn from a temporary directory with no node_modules in reach:
# --version, --help, one real command, and the usage-error exit code.
set -euo pipefail
binary=$(cd "$(dirname "$0")" && pwd)/cairn
[ -x "$binary" ] || { echo "smoke: $binary is missing, run npm run release" >&2; exit 1; }
work=$(mktemp -d /tmp/cairn-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$binary" "$work/cairn"
cd "$work"
[ ! -e node_modules ] && [ ! -e ../node_modules ] || { echo "smoke: node_modules in reach of $work" >&2; exit 1; }

fail() { echo "smoke: FAILED: $*" >&2; exit 1; }

version=$(./cairn --version) || fail "--version exited $?"
[[ $version == cairn/* ]] || fail "--version printed: $version"

help=$(./cairn --help) || fail "--help exited $?"
grep -q 'limits' <<<"$help" || fail "--help does not list the limits command"

limits_json=$(./cairn limits --json) || fail "limits --json exited $?"
grep -q '"name": "keyLengthBytesMax"' <<<"$limits_json" || fail "limits --json lacks keyLengthBytesMax"

set +e
./cairn no-such-command 2>/dev/null; code=$?
set -e
[ "$code" = 2 ] || fail "an unknown command exited $code, not 2"

echo "smoke: release/cairn OK ($version) from $work"
