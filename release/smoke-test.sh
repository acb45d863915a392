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

# Certificates without openssl (@peculiar/x509 and reflect-metadata packed): keys 0600.
./cairn cert create-ca --dir "$work/certs" >/dev/null || fail "cert create-ca"
[ "$(stat -c %a "$work/certs/ca.key")" = 600 ] || fail "ca.key is not mode 0600"
./cairn cert create-node n1 127.0.0.1 --dir "$work/certs" >/dev/null || fail "cert create-node"
./cairn cert create-client root --dir "$work/certs" >/dev/null || fail "cert create-client"

# A real node from the executable (LMDB's native addon included), with TLS on (the
# certificates above): serve, bootstrap, put, get over https.
export CAIRN_CACERT="$work/certs/ca.crt" CAIRN_CERT="$work/certs/client-root.crt" CAIRN_KEY="$work/certs/client-root.key"
port=$((20000 + RANDOM % 20000))
./cairn serve --name n1 --data-dir "$work/data" --listen "127.0.0.1:$port" --peer-listen "127.0.0.1:$((port + 1))" --tls-dir "$work/certs" 2>"$work/serve.log" &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for attempt in $(seq 1 100); do
  ./cairn status --endpoints "https://127.0.0.1:$port" --json >/dev/null 2>&1 && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log" >&2; fail "serve exited"; }
  sleep 0.2
done
./cairn bootstrap --endpoints "https://127.0.0.1:$port" --json >/dev/null || { cat "$work/serve.log" >&2; fail "bootstrap"; }
echo "smoke test payload" | ./cairn put smoke/key - --endpoints "https://127.0.0.1:$port" >/dev/null || fail "put"
[ "$(./cairn get smoke/key --endpoints "https://127.0.0.1:$port")" = "smoke test payload" ] || fail "get returned other bytes"
kill -TERM "$serve_pid"
wait "$serve_pid" || fail "serve did not stop cleanly on SIGTERM"

echo "smoke: release/cairn OK ($version) from $work: --version, --help, limits, serve/bootstrap/put/get over TLS"
