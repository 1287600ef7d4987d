#!/bin/sh
# Admin-signed updates end to end: `warden admin` makes updates offline
# from the dev PKI's admin key and applies them to a locked wardend;
# `openssl s_server` shows what they did to TLS.
#
#   admin_test.sh WARDEND WARDEN DEV_PKI_SCRIPT
#
# The root is replaced by the root of a second PKI: the first server's
# chain is then refused and the second one's accepted. Forged (another
# admin key, a changed byte), replayed, older and other-device updates,
# and bad files and arguments, are refused with a message that names the
# problem and storage.bin byte for byte as it was. Then a stored policy
# picks the suite, the device key is rotated (its CSR signed by the dev
# CA comes back as two signed certificate updates and authenticates the
# client), the time floor moves, and decommissioning ends TLS and the
# device key. Last, on the second companion, a time floor past the
# server certificate's notAfter makes the companion refuse it as expired
# whatever the host's clock says.
set -u

wardend=${1:?usage: admin_test.sh WARDEND WARDEN DEV_PKI}
warden=${2:?usage: admin_test.sh WARDEND WARDEN DEV_PKI}
devpki=${3:?usage: admin_test.sh WARDEND WARDEN DEV_PKI}

command -v openssl >/dev/null 2>&1 || {
    echo "admin_test: the openssl command is needed" >&2
    exit 1
}

me=admin_test
. "$(dirname "$0")/lib.sh"
wt_setup
wt_own_warden

# ---- two companions from one PKI, and a second PKI -----------------------

start_wardend a
a=$address
start_wardend b
b=$address
pki=$dir/pki
pki2=$dir/pki2
for dev in a:test-0001 b:test-0002; do
    name=${dev%%:*}
    eval "addr=\$$name"
    # shellcheck disable=SC2154
    if ! sh "$devpki" --reuse --warden "$warden" --serial "${dev#*:}" \
        "$pki" "$addr" >"$dir/pki-$name.log" 2>&1; then
        echo "admin_test: provisioning $name failed:" >&2
        cat "$dir/pki-$name.log" >&2
        exit 1
    fi
done
if ! sh "$devpki" "$pki2" >"$dir/pki2.log" 2>&1; then
    echo "admin_test: the second PKI failed:" >&2
    cat "$dir/pki2.log" >&2
    exit 1
fi

wa() { "$warden" --companion "$a" "$@"; }
mk() { "$warden" admin "$@"; }
key=$pki/admin.key
sa="--key $key --serial test-0001"

# refused NAME STATE STATUS REGEX CMD...: CMD exits with STATUS, says
# REGEX on stderr, and storage in STATE is byte for byte what it was.
refused() {
    name=$1
    state=$2
    want=$3
    regex=$4
    shift 4
    cp "$dir/$state/storage.bin" "$dir/before.bin"
    if run "$name" "$want" "$@"; then
        expect "$name" err "$regex"
    fi
    checks=$((checks + 1))
    cmp -s "$dir/before.bin" "$dir/$state/storage.bin" ||
        fail "$name: storage changed"
}

# flip FILE OFFSET: changes one bit of the byte at OFFSET.
flip() {
    byte=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "\\$(printf %o $((byte ^ 4)))" |
        dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# ---- servers ---------------------------------------------------------------

# start_server NAME PKI: one s_server for one connection with PKI's
# server chain; it asks for a client certificate from the first PKI.
start_server() {
    wt_start_server "$1" -tls1_3 -naccept 1 -cert "$2/server.pem" \
        -cert_chain "$2/intermediate.pem" -key "$2/server.key" \
        -CAfile "$pki/root.pem" -Verify 1 -rev
}

# connect NAME WANT PKI: `warden connect` on companion $on (a unless
# said) to a server with PKI's chain; output in $dir/out and err.
on=$a
connect() {
    start_server "$1" "$3"
    run "$1" "$2" timeout 30 "$warden" --companion "$on" connect localhost \
        "$port" <"$dir/hello.in"
    wt_wait_server
}
echo hello >"$dir/hello.in"

# Both dev PKIs name their CAs alike: a chain of the other PKI meets a
# root of the right name whose key did not sign it.
untrusted="server certificate: (bad signature|certificate signature does not verify|no path to a trusted root)"
connect "first chain, first root" 0 "$pki" &&
    expect "first chain, first root" err "^  client certificate +sent$"
connect "second chain, first root" 1 "$pki2" &&
    expect "second chain, first root" err "$untrusted"

# ---- the operator learns the counter -------------------------------------

run "status" 0 wa admin status &&
    expect "status" out "^update counter +0 \\(the next update needs 1 or more\\)$" &&
    expect "status" out "^serial +test-0001$" &&
    expect "status" out "^policy +built-in"

# ---- one update, refused in every way but the right one ------------------

run "make root-replace" 0 mk root-replace $sa --counter 1 "$pki/root.pem" \
    "$pki2/root.pem" -o "$dir/replace.bin" &&
    expect "make root-replace" out "replace a root certificate for test-0001, counter 1"
run "show" 0 mk show "$dir/replace.bin" && expect "show" out "^counter +1$"
# The serial is printed: a file carrying terminal control bytes there
# (ESC, or a NUL that cuts it short) is refused, not echoed.
for octal in 033 000 177 040; do
    cp "$dir/replace.bin" "$dir/ctl.bin"
    printf "\\$octal" | dd of="$dir/ctl.bin" bs=1 seek=8 conv=notrunc \
        2>/dev/null
    run "show, serial with byte \\$octal" 1 mk show "$dir/ctl.bin" &&
        expect "show, serial with byte \\$octal" err \
            "ctl.bin: serial has byte 0x[0-9a-f]{2} at 1: not printable ASCII, so not a serial number"
done

refused "other device" b 1 "made for device test-0001, this companion is test-0002 \\(WRONG_DEVICE\\)" \
    "$warden" --companion "$b" admin apply "$dir/replace.bin"

mk root-replace --key "$pki2/admin.key" --serial test-0001 --counter 1 \
    "$pki/root.pem" "$pki2/root.pem" -o "$dir/forged.bin" >/dev/null
refused "another admin key" a 1 "not signed by this companion's admin key.*\\(BAD_SIGNATURE\\)" \
    wa admin apply "$dir/forged.bin"

size=$(wc -c <"$dir/replace.bin")
for at in 5 12 20 40 $((size / 2)) $((size - 80)) $((size - 3)); do
    cp "$dir/replace.bin" "$dir/flipped.bin"
    flip "$dir/flipped.bin" "$at"
    # Layout bytes break the outline; any other byte the signature.
    refused "bit flipped at $at" a 1 "(BAD_SIGNATURE|WRONG_DEVICE|damaged|truncated|not a warden admin update|unknown operation)" \
        wa admin apply "$dir/flipped.bin"
done
head -c $((size - 1)) "$dir/replace.bin" >"$dir/short.bin"
refused "cut short" a 1 "short.bin: signature of .* bytes where .* remain: damaged or truncated" \
    wa admin apply "$dir/short.bin"
refused "not an update" a 1 "root.pem: not a warden admin update" \
    wa admin apply "$pki/root.pem"
refused "no such file" a 1 "nothing.bin" wa admin apply "$dir/nothing.bin"

run "apply root-replace" 0 wa admin apply "$dir/replace.bin" &&
    expect "apply root-replace" out "^applied: replace a root certificate \\(device test-0001, counter 1\\)$"
refused "replayed" a 1 "already applied \\(a replay\\); the companion's counter is 1, the next update needs 2 or more \\(REPLAYED\\)" \
    wa admin apply "$dir/replace.bin"

# ---- the replaced root decides TLS ---------------------------------------

connect "first chain, second root" 1 "$pki" &&
    expect "first chain, second root" err "$untrusted"
connect "second chain, second root" 0 "$pki2" &&
    expect "second chain, second root" err "^  client certificate +sent$"

# ---- older updates ------------------------------------------------------

run "make policy" 0 mk policy $sa --counter 2 --suite TLS_AES_256_GCM_SHA384 \
    --group x25519,secp256r1 -o "$dir/policy.bin"
run "make time-floor" 0 mk time-floor $sa --counter 3 2026-06-01 \
    -o "$dir/floor.bin"
run "apply time-floor" 0 wa admin apply "$dir/floor.bin"
refused "older" a 1 "older than an update already applied; the companion's counter is 3, the next update needs 4 or more \\(STALE\\)" \
    wa admin apply "$dir/policy.bin"
run "status after floor" 0 wa admin status &&
    expect "status after floor" out "^time floor +2026-06-01T00:00:00Z$"
mk time-floor $sa --counter 4 2026-01-01 -o "$dir/back.bin" >/dev/null
refused "floor backwards" a 1 "already at or past that time \\(TIME_BACKWARDS\\)" \
    wa admin apply "$dir/back.bin"

# ---- policy ---------------------------------------------------------------

mk policy $sa --counter 5 --suite TLS_AES_256_GCM_SHA384 \
    --group x25519,secp256r1 -o "$dir/policy.bin" >/dev/null
run "apply policy" 0 wa admin apply "$dir/policy.bin"
run "status policy" 0 wa admin status &&
    expect "status policy" out "^suites +TLS_AES_256_GCM_SHA384$" &&
    expect "status policy" out "^groups +x25519, secp256r1$"
connect "policy picks the suite" 0 "$pki2" &&
    expect "policy picks the suite" err "^  cipher suite +TLS_AES_256_GCM_SHA384$"
# Offline: a policy may name TLS 1.2 suites, and one that names none of
# either keeps every built-in suite (7 suites, 3 groups: 22 bytes).
run "policy with a TLS 1.2 suite" 0 mk policy $sa --counter 99 \
    --suite TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_AES_128_GCM_SHA256 \
    -o "$dir/p12.bin"
mk policy $sa --counter 99 -o "$dir/pall.bin" >/dev/null
run "default policy" 0 "$warden" admin show "$dir/pall.bin" &&
    expect "default policy" out "payload +22 bytes"

# ---- key rotation -----------------------------------------------------------

wa pubkey >"$dir/old.pub" 2>/dev/null
run "make key-rotate" 0 mk key-rotate $sa --counter 6 \
    --subject "/O=Warden Dev Devices/CN=test-0001" -o "$dir/rotate.bin"
run "apply key-rotate" 0 wa admin apply "$dir/rotate.bin" -o "$dir/new.csr"
run "CSR verifies" 0 openssl req -verify -noout -in "$dir/new.csr"
wa pubkey >"$dir/new.pub" 2>/dev/null
openssl req -in "$dir/new.csr" -pubkey -noout >"$dir/csr.pub" 2>/dev/null
same "CSR has the new key" "$dir/csr.pub" "$dir/new.pub"
checks=$((checks + 1))
cmp -s "$dir/old.pub" "$dir/new.pub" && fail "the device key did not change"
run "sign the CSR" 0 sh "$pki/sign.sh" "$dir/new.csr" "$dir/new.pem" device
run "make install-cert leaf" 0 mk install-cert $sa --counter 7 "$dir/new.pem" \
    -o "$dir/leaf.bin"
run "make install-cert intermediate" 0 mk install-cert $sa --counter 8 \
    --index 1 "$pki/intermediate.pem" -o "$dir/inter.bin"
run "apply leaf" 0 wa admin apply "$dir/leaf.bin"
run "apply intermediate" 0 wa admin apply "$dir/inter.bin"
connect "rotated key authenticates" 0 "$pki2" &&
    expect "rotated key authenticates" err "^  client certificate +sent$"
expect "rotated key authenticates" "$dir/rotated key authenticates.srv.err" "^Verification: OK$"

# ---- bad command lines and files: usage errors, nothing made --------------

run "no counter" 2 mk root-add --key "$key" --serial test-0001 \
    "$pki2/root.pem" -o "$dir/x.bin" &&
    expect "no counter" err "needs --key, --serial, --counter and --out"
run "bad counter" 2 mk root-add $sa --counter 1x "$pki2/root.pem" \
    -o "$dir/x.bin" && expect "bad counter" err "bad counter .* '1x'"
run "counter zero" 2 mk decommission $sa --counter 0 -o "$dir/x.bin" &&
    expect "counter zero" err "bad counter"
run "unknown suite" 2 mk policy $sa --counter 9 --suite TLS_CHACHA20_POLY1305_SHA256 \
    -o "$dir/x.bin" && expect "unknown suite" err "unknown cipher suite 'TLS_CHACHA20_POLY1305_SHA256'"
run "key is a certificate" 1 mk decommission --key "$pki/root.pem" \
    --serial test-0001 --counter 9 -o "$dir/x.bin" &&
    expect "key is a certificate" err "root.pem: no EC PRIVATE KEY or PRIVATE KEY block"
run "key is public" 1 mk decommission --key "$pki/admin.pub.pem" \
    --serial test-0001 --counter 9 -o "$dir/x.bin" &&
    expect "key is public" err "admin.pub.pem: no EC PRIVATE KEY"
run "serial with a space" 1 mk decommission --key "$key" --serial "a b" \
    --counter 9 -o "$dir/x.bin" && expect "serial with a space" err "serial 'a b'"
run "bad time" 2 mk time-floor $sa --counter 9 2026-02-30 -o "$dir/x.bin" &&
    expect "bad time" err "bad time .* '2026-02-30'"
run "two certificates" 1 mk root-add $sa --counter 9 "$pki/server-chain.pem" \
    -o "$dir/x.bin" && expect "two certificates" err "2 certificates: an update carries one"
run "option of another operation" 2 mk root-add $sa --counter 9 \
    --subject /CN=x "$pki2/root.pem" -o "$dir/x.bin" &&
    expect "option of another operation" err "--subject is for key-rotate"
run "missing file" 2 mk root-add $sa --counter 9 -o "$dir/x.bin" &&
    expect "missing file" err "missing ROOT.pem for 'root-add'"
run "unknown operation" 2 mk frobnicate &&
    expect "unknown operation" err "unknown operation 'frobnicate'"
checks=$((checks + 1))
[ ! -e "$dir/x.bin" ] || fail "a refused command line wrote an update"

# ---- decommission ---------------------------------------------------------

run "make decommission" 0 mk decommission $sa --counter 9 -o "$dir/retire.bin"
run "apply decommission" 0 wa admin apply "$dir/retire.bin" &&
    expect "apply decommission" out "keys are gone"
run "status retired" 0 wa admin status &&
    expect "status retired" out "^lifecycle +decommissioned$"
run "no device key" 1 wa pubkey
connect "no TLS after decommission" 1 "$pki2" &&
    expect "no TLS after decommission" err "TLS_OPEN: .*not allowed in this lifecycle state \\(NOT_ALLOWED\\)"
mk time-floor $sa --counter 10 2027-01-01 -o "$dir/late.bin" >/dev/null
refused "no updates after decommission" a 1 "decommissioned \\(NOT_ALLOWED\\)" \
    wa admin apply "$dir/late.bin"

# The other companion was never touched by any of this.
run "b untouched" 0 "$warden" --companion "$b" admin status &&
    expect "b untouched" out "^update counter +0 "

# ---- a time floor past the server certificate's notAfter ------------------

# dev-pki.sh certifies servers for 365 days from now.
on=$b
connect "b before its floor moves" 0 "$pki"
past=$(($(date +%s) + 400 * 86400))
run "make floor past expiry" 0 mk time-floor --key "$key" --serial test-0002 \
    --counter 1 "$past" -o "$dir/past.bin"
run "apply floor past expiry" 0 "$warden" --companion "$b" admin apply \
    "$dir/past.bin"
connect "server expired below the floor" 1 "$pki" &&
    expect "server expired below the floor" err "server certificate: .*expired"

wt_summary
