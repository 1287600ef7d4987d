#!/bin/sh
# The main job on the embedded default: build, start the companion
# emulator (wardend) on fresh storage, provision it from scratch with the
# development PKI (scripts/dev-pki.sh: dev root and intermediate CAs, a
# localhost server certificate, admin and firmware keys; the companion
# makes its keys and CSRs, the dev CA signs them, the companion is
# locked), show its status and some random bytes, stop it.
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
trap 'kill -TERM $daemon 2>/dev/null || true' EXIT INT TERM

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
echo "== warden random 16"
"$build/warden" --companion "$address" random 16

kill -TERM $daemon
wait $daemon || true
trap - EXIT INT TERM
echo "== wardend log"
cat "$state/wardend.log"
