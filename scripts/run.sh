#!/bin/sh
# The main job on the embedded default: build, start the companion
# emulator (wardend) on fresh storage, provision it from scratch with the
# development PKI (scripts/dev-pki.sh: dev root and intermediate CAs, a
# localhost server certificate, admin and firmware keys; the companion
# makes its keys and CSRs, the dev CA signs them, the companion is
# locked), show its status, then start a real TLS server on loopback
# (openssl s_server, TLS 1.3, client certificates from the dev CA
# required) and send it a sensor reading over TLS with the companion
# holding every secret. The server answers each line reversed. Then stop
# everything that was started.
#
#   WARDEN_DEMO_DIR  state folder (default: ./warden-state, wiped first);
#                    the dev PKI goes in its pki/ folder
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
state="${WARDEN_DEMO_DIR:-$top/warden-state}"

"$top/scripts/deps.sh"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

rm -rf "$state"
mkdir -m 700 -p "$state"
"$build/wardend" --state-dir "$state" 2>"$state/wardend.log" &
daemon=$!
server=""
cleanup() {
    [ -z "$server" ] || kill -TERM "$server" 2>/dev/null || true
    kill -TERM "$daemon" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

address="unix:$state/wardend.sock"
tries=0
until "$build/warden" --companion "$address" status >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ $tries -gt 100 ] || ! kill -0 $daemon 2>/dev/null; then
        echo "run: wardend did not come up:" >&2
        cat "$state/wardend.log" >&2
        exit 1
    fi
    sleep 0.1
done

echo "== scripts/dev-pki.sh: provision the companion with the dev PKI"
"$top/scripts/dev-pki.sh" --warden "$build/warden" --serial dev-0001 \
    "$state/pki" "$address"

echo "== warden status"
"$build/warden" --companion "$address" status

pki="$state/pki"
echo "== openssl s_server on 127.0.0.1, TLS 1.3, client certificate required"
openssl s_server -tls1_3 -accept 127.0.0.1:0 -naccept 1 -rev \
    -cert "$pki/server.pem" -cert_chain "$pki/intermediate.pem" \
    -key "$pki/server.key" -CAfile "$pki/root.pem" -Verify 1 \
    -verify_return_error >"$state/server.out" 2>"$state/server.err" \
    </dev/null &
server=$!
port=""
tries=0
while [ -z "$port" ]; do
    port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
        "$state/server.out")
    tries=$((tries + 1))
    if [ -z "$port" ] && [ $tries -gt 100 ]; then
        echo "run: the TLS server did not start:" >&2
        cat "$state/server.err" >&2
        exit 1
    fi
    [ -n "$port" ] || sleep 0.1
done

reading="sensor=dev-0001 temperature=21.5C humidity=40%"
echo "== warden connect localhost $port: the device sends '$reading'"
echo "$reading" | "$build/warden" --companion "$address" connect \
    localhost "$port" >"$state/reply.txt"
echo "== the server's reply"
cat "$state/reply.txt"
wait "$server" 2>/dev/null || true
server=""
echo "== what the server saw"
grep -E "^(depth=|CONNECTION|Protocol version|Ciphersuite|Peer signature)" \
    "$state/server.err" || true

kill -TERM $daemon
wait $daemon || true
trap - EXIT INT TERM
echo "== wardend log"
cat "$state/wardend.log"
