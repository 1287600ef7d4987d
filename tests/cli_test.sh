#!/bin/sh
# The warden command end to end: starts wardend on fresh state in a
# temporary folder, runs warden against it, checks output and exit
# status, and stops wardend however the script ends.
#
#   cli_test.sh WARDEND WARDEN
set -u

wardend=${1:?usage: cli_test.sh WARDEND WARDEN}
warden=${2:?usage: cli_test.sh WARDEND WARDEN}

me=cli_test
. "$(dirname "$0")/lib.sh"
wt_setup
start_wardend state
pid=$wardend_pid

w() {
    "$warden" --companion "$address" "$@"
}

# status
if run status 0 w status; then
    expect status out "^companion +$address\$"
    expect status out '^firmware +[0-9]+\.[0-9]+\.[0-9]+ \(protocol 1\)$'
    expect status out '^lifecycle +manufacturing$'
    expect status out '^serial +\(not provisioned\)$'
    expect status out '^random +healthy$'
    expect status out '^storage +[0-9]+ of [0-9]+ bytes used, [0-9]+ of [0-9]+ records$'
fi
run "status via WARDEN_COMPANION" 0 env WARDEN_COMPANION="$address" \
    "$warden" status && expect "status via env" out '^lifecycle '
run "status via WARDEN_HOME" 0 env -u WARDEN_COMPANION \
    WARDEN_HOME="$dir/state" "$warden" status &&
    expect "status via WARDEN_HOME" out '^lifecycle '
run "--companion after the command" 0 "$warden" status --companion \
    "$address"

# random
if run "random 32" 0 w random 32; then
    expect "random 32" out '^[0-9a-f]{64}$'
    cp "$dir/out" "$dir/first"
    run "random 32 again" 0 w random 32
    checks=$((checks + 1))
    cmp -s "$dir/out" "$dir/first" && fail "random 32 twice gave the same bytes"
fi
run "random 1 --hex" 0 w random 1 --hex && expect "random 1" out '^[0-9a-f]{2}$'
if run "random 5000 --raw" 0 w random 5000 --raw; then
    checks=$((checks + 1))
    size=$(wc -c <"$dir/out" | tr -d ' ')
    [ "$size" -eq 5000 ] || fail "random 5000 --raw wrote $size bytes"
fi
if run "random 1048576" 0 w random 1048576; then
    checks=$((checks + 1))
    size=$(wc -c <"$dir/out" | tr -d ' ')
    [ "$size" -eq 2097153 ] || fail "random 1048576 wrote $size bytes"
fi

# bad byte counts: exit 2 and the bad value named
for bad in 0 abc -1 12x 1048577 99999999999999999999999 ""; do
    run "random '$bad'" 2 w random "$bad" &&
        expect "random '$bad'" err "^warden: random: bad byte count '$bad'"
done
run "random without a count" 2 w random &&
    expect "random without a count" err '^warden: random: missing'
run "random with two counts" 2 w random 1 2 &&
    expect "random with two counts" err "unexpected argument '2'"

# unknown commands and options
run "unknown command" 2 w frobnicate &&
    expect "unknown command" err "^warden: unknown command 'frobnicate'" &&
    expect "unknown command" err "warden --help"
run "no command" 2 "$warden" && expect "no command" err '^warden: no command'
run "unknown option" 2 w --frob status &&
    expect "unknown option" err "unknown option '--frob'"
run "help for an unknown command" 2 "$warden" help frobnicate

# help, everywhere
for args in "--help" "-h" "help" "status --help" "random --help" \
    "help status" "help random" "help help" "provision --help" \
    "keygen --help" "pubkey --help" "csr --help" "install-cert --help" \
    "add-root --help" "install-key --help" "set-serial --help" \
    "lock --help" "get-cert --help" "help provision"; do
    # shellcheck disable=SC2086
    run "warden $args" 0 "$warden" $args &&
        expect "warden $args" out '^usage: warden'
done

# a companion that is not there: a clear error, exit 1
run "unreachable companion" 1 "$warden" --companion \
    "unix:$dir/nowhere.sock" status &&
    expect "unreachable companion" err \
        "^warden: cannot reach the companion at unix:$dir/nowhere.sock: .*wardend running"
run "bad address" 2 "$warden" --companion "tcp:localhost:1" status &&
    expect "bad address" err '^warden: bad companion address "tcp:localhost:1"'

# connect on a companion that is not provisioned: the secure boot step
# says why it cannot unlock anything (signed by a key it does not hold).
wt_own_warden
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$dir/fw.key" >/dev/null 2>&1
"$warden" sign-firmware "$dir/fw.key" 1 "$warden" >/dev/null
run "connect, unprovisioned" 1 w connect --quiet 127.0.0.1 1 </dev/null &&
    expect "connect, unprovisioned" err \
        "secure boot not verified: the companion holds no firmware-signing key"

# wardend still serves after all that
run "status at the end" 0 w status

if ! kill -0 "$pid" 2>/dev/null; then
    fail "wardend died during the test; its log:"
    cat "$dir/state.log" >&2
fi

wt_summary
