#!/bin/sh
# TLS 1.2 interop with OpenSSL, end to end (issue 5): wardend provisioned
# with the dev PKI, the warden tool as the client, `openssl s_server` as
# the server on loopback, speaking TLS 1.2 only unless a case says
# otherwise.
#
#   tls12_interop_test.sh WARDEND WARDEN DEV_PKI_SCRIPT
#
# Cases: each of the four suites x each group x a P-256 and a P-384
# server key, with a client certificate required and checked, and
# without a certificate request; 1 MB each way per suite; a TLS
# 1.3-capable server reached with TLS 1.2 suites only (its downgrade
# sentinel must not stop a client that did not offer TLS 1.3); and
# refusals with their messages: a server that offers only CBC, only RSA
# key transport, only NULL, only TLS 1.0 and 1.1, no extended master
# secret, and a renegotiation request. 3DES and RC4: Debian 12's OpenSSL
# is built without them ("no cipher match"), so they cannot be offered
# and are not cases here. Tampered ServerKeyExchange signatures and
# Finished messages, and a downgrade by a middlebox, need a peer that
# misbehaves: tests/test_tls_openssl.c does them in one process.
set -u

wardend=${1:?usage: tls12_interop_test.sh WARDEND WARDEN DEV_PKI}
warden=${2:?usage: tls12_interop_test.sh WARDEND WARDEN DEV_PKI}
devpki=${3:?usage: tls12_interop_test.sh WARDEND WARDEN DEV_PKI}

command -v openssl >/dev/null 2>&1 || {
    echo "tls12_interop_test: the openssl command is missing" >&2
    exit 1
}

me=tls12_interop_test
. "$(dirname "$0")/lib.sh"
wt_setup
wt_own_warden

# ---- the companion ------------------------------------------------------

wt_provision

# issue NAME KEYGEN_OPTIONS: a server certificate for localhost from the
# dev intermediate, key and certificate in $dir/NAME.key and .pem.
cat >"$dir/server.cnf" <<'EOF'
[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
EOF
issue() {
    n=$1
    shift
    # shellcheck disable=SC2068
    openssl req -new -newkey $@ -nodes -keyout "$dir/$n.key" \
        -subj /CN=localhost -out "$dir/$n.csr" >/dev/null 2>&1 &&
        openssl x509 -req -in "$dir/$n.csr" -CA "$pki/intermediate.pem" \
            -CAkey "$pki/intermediate.key" -set_serial "$(date +%s%N)" \
            -days 30 -sha256 -extfile "$dir/server.cnf" -extensions v3_server \
            -out "$dir/$n.pem" >/dev/null 2>&1 || {
        echo "$me: cannot issue the $n server certificate" >&2
        exit 1
    }
}
issue p384 ec -pkeyopt ec_paramgen_curve:P-384
issue rsa rsa:2048

# ---- the server -----------------------------------------------------------

# start_server NAME [S_SERVER OPTIONS]: one s_server for one connection,
# on a port of its choosing; sets $port and $server. TLS 1.2 unless the
# options say otherwise.
start_server() {
    name=$1
    shift
    wt_start_server "$name" -naccept 1 "$@"
}

# Server keys: the dev server's (P-256), and one on P-384.
key_p256="-cert $pki/server.pem -key $pki/server.key"
key_p384="-cert $dir/p384.pem -key $dir/p384.key"
chain="-cert_chain $pki/intermediate.pem"
# A client certificate required and checked against the dev root.
verify="-CAfile $pki/root.pem -Verify 1"

printf 'hello from the device\nline two\n' >"$dir/hello.in"
reversed "$dir/hello.in" >"$dir/hello.want"

# ---- every suite, group and server key, with and without a client
# certificate ------------------------------------------------------------

for suite in TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 \
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 \
    TLS_ECDHE_ECDSA_WITH_AES_128_CCM TLS_ECDHE_ECDSA_WITH_AES_256_CCM; do
    case $suite in
    *128_GCM*) ocipher=ECDHE-ECDSA-AES128-GCM-SHA256 ;;
    *256_GCM*) ocipher=ECDHE-ECDSA-AES256-GCM-SHA384 ;;
    *128_CCM) ocipher=ECDHE-ECDSA-AES128-CCM ;;
    *256_CCM) ocipher=ECDHE-ECDSA-AES256-CCM ;;
    esac
    for group in x25519 secp256r1 secp384r1; do
        # The group under test first, with the server's preference: in
        # TLS 1.2 OpenSSL takes a client certificate only on a curve in
        # its own list, so the device key's P-256 stays in it.
        case $group in
        x25519) ogroups=X25519:P-256 ;;
        secp256r1) ogroups=P-256 ;;
        secp384r1) ogroups=P-384:P-256 ;;
        esac
        for key in p256 p384; do
            eval "keyopts=\$key_$key"
            for auth in mutual none; do
                name="$suite-$group-$key-$auth"
                authopts=""
                [ $auth = mutual ] && authopts=$verify
                # shellcheck disable=SC2086
                start_server "$name" -tls1_2 $keyopts $chain $authopts \
                    -cipher "$ocipher" -groups "$ogroups" -serverpref -rev
                if client "$name" 0 "$dir/hello.in"; then
                    same "$name" "$dir/$name.out" "$dir/hello.want"
                    expect "$name" "$dir/$name.err" "^  version +TLS 1\\.2$"
                    expect "$name" "$dir/$name.err" "^  cipher suite +$suite$"
                    expect "$name" "$dir/$name.err" "^  group +$group$"
                    expect "$name" "$dir/$name.err" \
                        "^  server chain +2 certificates$"
                    if [ $auth = mutual ]; then
                        expect "$name" "$dir/$name.err" \
                            "^  client certificate +sent$"
                    else
                        expect "$name" "$dir/$name.err" \
                            "^  client certificate +not requested$"
                    fi
                fi
                wt_wait_server
                expect "$name" "$dir/$name.srv.err" \
                    "^Protocol version: TLSv1\\.2$"
                expect "$name" "$dir/$name.srv.err" "^Ciphersuite: $ocipher$"
                if [ $auth = mutual ]; then
                    expect "$name" "$dir/$name.srv.err" "^Verification: OK$"
                fi
            done
        done
    done

    # 1 MB each way, in full records.
    name="$suite-bulk"
    [ -f "$dir/bulk.in" ] || {
        awk 'BEGIN { for (i = 0; i < 5200; i++) {
            s = sprintf("%05d:", i); while (length(s) < 200) s = s "abcdefghij";
            print s } }' >"$dir/bulk.in"
        reversed "$dir/bulk.in" >"$dir/bulk.want"
    }
    # shellcheck disable=SC2086
    start_server "$name" -tls1_2 $key_p256 $chain $verify -cipher "$ocipher" \
        -rev
    if client "$name" 0 "$dir/bulk.in" --quiet; then
        same "$name" "$dir/$name.out" "$dir/bulk.want"
    fi
    wt_wait_server
done

# ---- TLS 1.2 suites only, to a server that also speaks TLS 1.3 -----------

# The server marks its random (RFC 8446 4.1.3) since it could do better;
# a client that offered only TLS 1.2 goes on, as the RFC says.
name=tls12-only-offer
# shellcheck disable=SC2086
start_server $name $key_p256 $chain $verify -rev
if client $name 0 "$dir/hello.in" \
    --suite TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384; then
    same $name "$dir/$name.out" "$dir/hello.want"
    expect $name "$dir/$name.err" "^  version +TLS 1\\.2$"
fi
wt_wait_server

# And the same server, with nothing narrowed: TLS 1.3.
name=both-offered
# shellcheck disable=SC2086
start_server $name $key_p256 $chain $verify -rev
if client $name 0 "$dir/hello.in"; then
    expect $name "$dir/$name.err" "^  version +TLS 1\\.3$"
fi
wt_wait_server

# ---- refusals ----------------------------------------------------------------

# refused NAME CLIENT_MESSAGE_REGEX [S_SERVER OPTIONS]: the handshake
# fails with that message, and nothing reaches the server's output.
refused() {
    rname=$1
    rwant=$2
    shift 2
    start_server "$rname" "$@"
    if client "$rname" 1 "$dir/hello.in"; then
        expect "$rname" "$dir/$rname.err" "$rwant"
        checks=$((checks + 1))
        [ -s "$dir/$rname.out" ] && fail "$rname: data came through"
    fi
    wt_wait_server
}

# Nothing in common: the server says so with handshake_failure.
# shellcheck disable=SC2086
refused cbc-only "^warden: connect: server refused: handshake_failure alert$" \
    -tls1_2 $key_p256 $chain -rev \
    -cipher ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA
# shellcheck disable=SC2086
refused rsa-kx-only "^warden: connect: server refused: handshake_failure alert$" \
    -tls1_2 -cert "$dir/rsa.pem" -key "$dir/rsa.key" $chain -rev \
    -cipher AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA
# shellcheck disable=SC2086
refused null-only "^warden: connect: server refused: handshake_failure alert$" \
    -tls1_2 $key_p256 $chain -rev \
    -cipher 'ECDHE-ECDSA-NULL-SHA:NULL-SHA256:@SECLEVEL=0'
# The ClientHello offers TLS 1.3 and 1.2: protocol_version.
# shellcheck disable=SC2086
refused tls10-11-only "^warden: connect: server refused: protocol_version alert$" \
    -no_tls1_3 -no_tls1_2 $key_p256 $chain -rev -cipher 'DEFAULT:@SECLEVEL=0'

# No extended master secret (RFC 7627 5.3), set through OpenSSL's own
# configuration: the companion refuses with handshake_failure.
cat >"$dir/noems.cnf" <<'EOF'
openssl_conf = init
[init]
ssl_conf = ssl_module
[ssl_module]
system_default = no_ems
[no_ems]
Options = -ExtendedMasterSecret
EOF
name=no-ems
: >"$dir/$name.srv.out"
OPENSSL_CONF=$dir/noems.cnf openssl s_server -accept 127.0.0.1:0 \
    -naccept 1 -tls1_2 $key_p256 $chain -rev -msg \
    >"$dir/$name.srv.out" 2>"$dir/$name.srv.err" </dev/null &
server=$!
pids="$pids $server"
port=""
tries=0
while [ -z "$port" ] && [ $tries -le 100 ]; do
    port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
        "$dir/$name.srv.out")
    tries=$((tries + 1))
    [ -n "$port" ] || sleep 0.1
done
if client $name 1 "$dir/hello.in"; then
    expect $name "$dir/$name.err" \
        "^warden: connect: companion refused the server's handshake: the server does not use the extended master secret \\(RFC 7627\\) \\(handshake_failure alert sent\\)$"
fi
wt_wait_server
expect $name "$dir/$name.srv.out" "^<<< TLS 1.2, Alert .*fatal handshake_failure$"

# Renegotiation: 'R' on s_server's stdin sends a HelloRequest after the
# handshake. The companion refuses it (no_renegotiation) and the
# connection ends with an error that says so.
name=renegotiation
mkfifo "$dir/rn.srv.fifo" "$dir/rn.cli.fifo"
# shellcheck disable=SC2086
openssl s_server -accept 127.0.0.1:0 -naccept 1 -tls1_2 $key_p256 $chain \
    -msg >"$dir/$name.srv.out" 2>"$dir/$name.srv.err" <"$dir/rn.srv.fifo" &
server=$!
pids="$pids $server"
exec 3>"$dir/rn.srv.fifo"
port=""
tries=0
while [ -z "$port" ] && [ $tries -le 100 ]; do
    port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
        "$dir/$name.srv.out")
    tries=$((tries + 1))
    [ -n "$port" ] || sleep 0.1
done
timeout "${TLS_TEST_TIMEOUT:-30}" "$warden" --companion "$address" connect \
    localhost "$port" <"$dir/rn.cli.fifo" >"$dir/$name.out" \
    2>"$dir/$name.err" &
rclient=$!
pids="$pids $rclient"
exec 4>"$dir/rn.cli.fifo"
tries=0
until grep -q "^  client certificate" "$dir/$name.err" 2>/dev/null ||
    [ $tries -gt 100 ]; do
    tries=$((tries + 1))
    sleep 0.1
done
printf 'R\n' >&3
checks=$((checks + 1))
wait "$rclient"
got=$?
if [ "$got" -ne 1 ]; then
    fail "$name: exit status $got, expected 1"
    sed 's/^/  stderr: /' "$dir/$name.err" >&2
fi
exec 4>&- 3>&-
wt_wait_server
expect $name "$dir/$name.err" \
    "^warden: connect: companion refused the server's handshake: the server asked to renegotiate, which the companion refuses \\(no_renegotiation alert sent\\)$"
expect $name "$dir/$name.srv.out" "^>>> .*HelloRequest"
# Whether s_server reads our warning alert before the connection goes
# depends on timing (a close with unread bytes is a reset), so the
# alert is checked in tests/test_tls.c, not here.

# The companion freed every session: a last connection still gets one.
name=last
# shellcheck disable=SC2086
start_server $name -tls1_2 $key_p256 $chain $verify -rev
if client $name 0 "$dir/hello.in" --quiet; then
    same $name "$dir/$name.out" "$dir/hello.want"
fi
wt_wait_server

wt_summary
