#!/bin/sh
# TLS 1.3 interop, end to end: wardend provisioned with the dev PKI, the
# warden tool as the client, `openssl s_server` as the server on
# loopback. The server asks for a client certificate and checks it
# against the dev root (-Verify 1), so every case is mutual
# authentication.
#
#   tls_interop_test.sh WARDEND WARDEN DEV_PKI_SCRIPT
#
# Cases: every suite x group (restricted on the server, so P-384 needs a
# HelloRetryRequest), the client narrowing its own offer, ALPN, no
# certificate request, bulk data in both directions, an HTTP exchange
# with -www, and refusals (an unknown root, a name mismatch) with their
# messages. Each case checks what the tool says the companion decided,
# what the server says it saw, and the data.
set -u

wardend=${1:?usage: tls_interop_test.sh WARDEND WARDEN DEV_PKI}
warden=${2:?usage: tls_interop_test.sh WARDEND WARDEN DEV_PKI}
devpki=${3:?usage: tls_interop_test.sh WARDEND WARDEN DEV_PKI}

command -v openssl >/dev/null 2>&1 || {
    echo "tls_interop_test: the openssl command is missing" >&2
    exit 1
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/warden-tls.XXXXXX") || exit 1
pids=""
failures=0
checks=0

cleanup() {
    for p in $pids; do
        kill -TERM "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
    failures=$((failures + 1))
    echo "tls_interop_test: FAIL: $*" >&2
}

# expect NAME FILE REGEX: FILE has a line matching REGEX.
expect() {
    checks=$((checks + 1))
    if ! grep -Eq -- "$3" "$2"; then
        fail "$1: no line matching '$3' in $(basename "$2"):"
        sed 's/^/  | /' "$2" >&2
    fi
}

# ---- the companion ------------------------------------------------------

mkdir -m 700 "$dir/state"
"$wardend" --state-dir "$dir/state" 2>"$dir/wardend.log" &
pids="$pids $!"
tries=0
while [ ! -S "$dir/state/wardend.sock" ]; do
    tries=$((tries + 1))
    if [ $tries -gt 100 ]; then
        echo "tls_interop_test: wardend did not come up:" >&2
        cat "$dir/wardend.log" >&2
        exit 1
    fi
    sleep 0.1
done
address="unix:$dir/state/wardend.sock"
if ! sh "$devpki" --warden "$warden" "$dir/pki" "$address" \
    >"$dir/pki.log" 2>&1; then
    echo "tls_interop_test: provisioning failed:" >&2
    cat "$dir/pki.log" >&2
    exit 1
fi
pki=$dir/pki

# ---- the server -----------------------------------------------------------

# start_server NAME [S_SERVER OPTIONS]: one s_server for one connection,
# on a port of its choosing; sets $port and $server.
start_server() {
    name=$1
    shift
    : >"$dir/$name.srv.out"
    openssl s_server -tls1_3 -accept 127.0.0.1:0 -naccept 1 "$@" \
        >"$dir/$name.srv.out" 2>"$dir/$name.srv.err" </dev/null &
    server=$!
    pids="$pids $server"
    port=""
    tries=0
    while [ -z "$port" ]; do
        port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
            "$dir/$name.srv.out")
        tries=$((tries + 1))
        if [ -z "$port" ] && [ $tries -gt 100 ]; then
            echo "tls_interop_test: s_server for $name did not start:" >&2
            cat "$dir/$name.srv.err" >&2
            exit 1
        fi
        [ -n "$port" ] || sleep 0.1
    done
}

# wait_server: the server of the last case is done (it serves one
# connection); stops it if it is not.
wait_server() {
    tries=0
    while kill -0 "$server" 2>/dev/null && [ $tries -lt 50 ]; do
        sleep 0.1
        tries=$((tries + 1))
    done
    kill -TERM "$server" 2>/dev/null
    wait "$server" 2>/dev/null
}

# The usual server: the dev server certificate and intermediate, and a
# client certificate required and checked against the dev root.
mutual="-cert $pki/server.pem -cert_chain $pki/intermediate.pem \
-key $pki/server.key -CAfile $pki/root.pem -Verify 1"

# client NAME WANT_STATUS INPUT_FILE [CONNECT OPTIONS]: warden connect to
# localhost at $port with INPUT_FILE as stdin; output in $dir/NAME.out
# and .err.
client() {
    name=$1
    want=$2
    input=$3
    shift 3
    checks=$((checks + 1))
    timeout "${TLS_TEST_TIMEOUT:-30}" "$warden" --companion "$address" connect "$@" localhost \
        "$port" <"$input" >"$dir/$name.out" 2>"$dir/$name.err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        fail "$name: exit status $got, expected $want"
        sed 's/^/  stderr: /' "$dir/$name.err" >&2
        sed 's/^/  server: /' "$dir/$name.srv.err" >&2
        return 1
    fi
    return 0
}

# reversed FILE: what s_server -rev sends back for each line of FILE.
reversed() {
    awk '{ s = ""; for (i = length($0); i > 0; i--) s = s substr($0, i, 1);
           print s }' "$1"
}

# same NAME GOT WANT: two files have the same bytes.
same() {
    checks=$((checks + 1))
    if ! cmp -s "$2" "$3"; then
        fail "$1: $(basename "$2") differs from what was expected"
        echo "  got $(wc -c <"$2") bytes, expected $(wc -c <"$3")" >&2
    fi
}

printf 'hello from the device\nline two\n' >"$dir/hello.in"
reversed "$dir/hello.in" >"$dir/hello.want"

# ---- every suite and group ---------------------------------------------

for suite in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 \
    TLS_AES_128_CCM_SHA256; do
    for group in x25519 secp256r1 secp384r1; do
        case $group in
        x25519) ogroup=X25519 retry=no ;;
        secp256r1) ogroup=P-256 retry=no ;;
        # Not among the companion's first key shares: a retry.
        secp384r1) ogroup=P-384 retry=yes ;;
        esac
        name="$suite-$group"
        # shellcheck disable=SC2086
        start_server "$name" $mutual -ciphersuites "$suite" -groups "$ogroup" \
            -rev
        if client "$name" 0 "$dir/hello.in"; then
            same "$name" "$dir/$name.out" "$dir/hello.want"
            expect "$name" "$dir/$name.err" "^  version +TLS 1\\.3$"
            expect "$name" "$dir/$name.err" "^  cipher suite +$suite$"
            expect "$name" "$dir/$name.err" "^  group +$group$"
            expect "$name" "$dir/$name.err" "^  hello retry +$retry$"
            expect "$name" "$dir/$name.err" "^  server chain +2 certificates$"
            expect "$name" "$dir/$name.err" "^  client certificate +sent$"
            expect "$name" "$dir/$name.err" "^  ALPN +\\(none\\)$"
        fi
        wait_server
        expect "$name" "$dir/$name.srv.err" "^Ciphersuite: $suite$"
        expect "$name" "$dir/$name.srv.err" "^Verification: OK$"
        expect "$name" "$dir/$name.srv.err" "^Peer certificate: .*CN = dev-"
    done
done

# ---- the client narrows its own offer ----------------------------------

name=narrow
# shellcheck disable=SC2086
start_server $name $mutual -rev
if client $name 0 "$dir/hello.in" --suite TLS_AES_256_GCM_SHA384 \
    --group p384; then
    same $name "$dir/$name.out" "$dir/hello.want"
    expect $name "$dir/$name.err" "^  cipher suite +TLS_AES_256_GCM_SHA384$"
    expect $name "$dir/$name.err" "^  group +secp384r1$"
    expect $name "$dir/$name.err" "^  hello retry +no$"
fi
wait_server
expect $name "$dir/$name.srv.err" \
    "^Client cipher list: TLS_AES_256_GCM_SHA384$"

# ---- ALPN, and no certificate request ------------------------------------

name=alpn
start_server $name -cert "$pki/server.pem" -cert_chain "$pki/intermediate.pem" \
    -key "$pki/server.key" -alpn h2 -rev
if client $name 0 "$dir/hello.in" --alpn http/1.1,h2; then
    same $name "$dir/$name.out" "$dir/hello.want"
    expect $name "$dir/$name.err" "^  ALPN +h2$"
    expect $name "$dir/$name.err" "^  client certificate +not requested$"
fi
wait_server

# ---- bulk data: many records each way ------------------------------------

name=bulk
awk 'BEGIN { for (i = 0; i < 4000; i++) {
    s = sprintf("%05d:", i); while (length(s) < 200) s = s "abcdefghij";
    print s } }' >"$dir/bulk.in"
reversed "$dir/bulk.in" >"$dir/bulk.want"
# shellcheck disable=SC2086
start_server $name $mutual -rev
if client $name 0 "$dir/bulk.in" --quiet; then
    same $name "$dir/$name.out" "$dir/bulk.want"
    checks=$((checks + 1))
    [ -s "$dir/$name.err" ] && fail "$name: --quiet still told something"
fi
wait_server

# ---- HTTP over -www: the server closes with close_notify ----------------

name=www
printf 'GET / HTTP/1.0\r\n\r\n' >"$dir/www.in"
# shellcheck disable=SC2086
start_server $name $mutual -www
if client $name 0 "$dir/www.in" --quiet; then
    expect $name "$dir/$name.out" "^HTTP/1\\.0 200 ok"
    expect $name "$dir/$name.out" "TLSv1\\.3"
fi
wait_server

# ---- refusals ----------------------------------------------------------------

# A server certificate from no root the companion holds.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/self.key" -out "$dir/self.pem" -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost -days 30 >/dev/null 2>&1
name=untrusted
start_server $name -cert "$dir/self.pem" -key "$dir/self.key" -rev
if client $name 1 "$dir/hello.in"; then
    # Self-signed and unknown: the validator may name either finding.
    expect $name "$dir/$name.err" \
        "^warden: connect: server certificate: (no path to a trusted root|it is a CA certificate, not a server.s)$"
fi
wait_server
expect $name "$dir/$name.srv.err" "unknown ca|alert"

# A good chain for another name.
cat >"$dir/other.cnf" <<'EOF'
[v3_other]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:other.example
EOF
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/other.key" -subj /CN=other.example -out "$dir/other.csr" \
    >/dev/null 2>&1
openssl x509 -req -in "$dir/other.csr" -CA "$pki/intermediate.pem" \
    -CAkey "$pki/intermediate.key" -set_serial 7 -days 30 -sha256 \
    -extfile "$dir/other.cnf" -extensions v3_other -out "$dir/other.pem" \
    >/dev/null 2>&1
name=mismatch
start_server $name -cert "$dir/other.pem" -cert_chain "$pki/intermediate.pem" \
    -key "$dir/other.key" -rev
if client $name 1 "$dir/hello.in"; then
    expect $name "$dir/$name.err" \
        "^warden: connect: server certificate: host name mismatch, wanted localhost$"
fi
wait_server

# The companion freed every session: a last connection still gets one.
name=last
# shellcheck disable=SC2086
start_server $name $mutual -rev
if client $name 0 "$dir/hello.in" --quiet; then
    same $name "$dir/$name.out" "$dir/hello.want"
fi
wait_server

echo "tls_interop_test: $((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
