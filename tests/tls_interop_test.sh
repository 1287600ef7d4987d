#!/bin/sh
# TLS 1.3 interop, end to end: wardend provisioned with the dev PKI, the
# warden tool as the client, `openssl s_server` as the server on
# loopback. Unless a case says otherwise the server asks for a client
# certificate and checks it against the dev root (-Verify 1): mutual
# authentication.
#
#   tls_interop_test.sh WARDEND WARDEN DEV_PKI_SCRIPT
#
# Cases: every suite x group (restricted on the server, so P-384 needs a
# HelloRetryRequest), the client narrowing its own offer, ALPN, no
# certificate request, records fragmented to 512 bytes, 1 MB in both
# directions, an HTTP exchange with -www, KeyUpdates from the server
# (with and without update_requested) and 16 KB records. Each case
# checks what the tool says the companion decided, what the server says
# it saw, and the data. Refusals are tests/refusal_test.sh.
set -u

wardend=${1:?usage: tls_interop_test.sh WARDEND WARDEN DEV_PKI}
warden=${2:?usage: tls_interop_test.sh WARDEND WARDEN DEV_PKI}
devpki=${3:?usage: tls_interop_test.sh WARDEND WARDEN DEV_PKI}

command -v openssl >/dev/null 2>&1 || {
    echo "tls_interop_test: the openssl command is missing" >&2
    exit 1
}

me=tls_interop_test
. "$(dirname "$0")/lib.sh"
wt_setup
wt_own_warden

# ---- the companion ------------------------------------------------------

wt_provision

# ---- the server -----------------------------------------------------------

# start_server NAME [S_SERVER OPTIONS]: one s_server for one connection,
# on a port of its choosing; sets $port and $server.
start_server() {
    name=$1
    shift
    wt_start_server "$name" -tls1_3 -naccept 1 "$@"
}

# The usual server: the dev server certificate and intermediate, and a
# client certificate required and checked against the dev root.
mutual="-cert $pki/server.pem -cert_chain $pki/intermediate.pem \
-key $pki/server.key -CAfile $pki/root.pem -Verify 1"

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
        wt_wait_server
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
wt_wait_server
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
wt_wait_server

# ---- no certificate request, nothing else asked -------------------------

name=nocert
start_server $name -cert "$pki/server.pem" -cert_chain "$pki/intermediate.pem" \
    -key "$pki/server.key" -rev
if client $name 0 "$dir/hello.in"; then
    same $name "$dir/$name.out" "$dir/hello.want"
    expect $name "$dir/$name.err" "^  client certificate +not requested$"
    expect $name "$dir/$name.err" "^  ALPN +\\(none\\)$"
fi
wt_wait_server
expect $name "$dir/$name.srv.err" "^No peer certificate$"

# ---- records fragmented to 512 bytes -------------------------------------

# Lines of 3000 bytes, so each reply spans records; -msg shows each
# record header the server sends: 512 bytes of data (17 03 03 02 11 with
# the content type and tag) and never a longer one.
name=frag512
awk 'BEGIN { for (i = 0; i < 60; i++) {
    s = sprintf("%05d:", i); while (length(s) < 3000) s = s "0123456789";
    print s } }' >"$dir/frag512.in"
reversed "$dir/frag512.in" >"$dir/frag512.want"
# shellcheck disable=SC2086
start_server $name $mutual -rev -max_send_frag 512 -msg
if client $name 0 "$dir/frag512.in" --quiet; then
    same $name "$dir/$name.out" "$dir/frag512.want"
fi
wt_wait_server
expect $name "$dir/$name.srv.out" "^    17 03 03 02 11$"
checks=$((checks + 1))
if grep -A1 '^>>> .*RecordHeader' "$dir/$name.srv.out" |
    grep -E '^    17 03 03 [0-9a-f]{2} [0-9a-f]{2}$' |
    while read -r _ _ _ hi lo; do
        [ $((0x$hi$lo)) -le 529 ] || echo over
    done | grep -q over; then
    fail "$name: the server sent a record over 512 bytes of data"
fi

# ---- bulk data: many records each way, 1 MB -------------------------------

name=bulk
awk 'BEGIN { for (i = 0; i < 5200; i++) {
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
wt_wait_server

# ---- HTTP over -www: the server closes with close_notify ----------------

name=www
printf 'GET / HTTP/1.0\r\n\r\n' >"$dir/www.in"
# shellcheck disable=SC2086
start_server $name $mutual -www
if client $name 0 "$dir/www.in" --quiet; then
    expect $name "$dir/$name.out" "^HTTP/1\\.0 200 ok"
    expect $name "$dir/$name.out" "TLSv1\\.3"
fi
wt_wait_server

# ---- KeyUpdate from the server, and 16 KB records ---------------------------

# An interactive s_server driven through a FIFO: 'K' on its stdin sends
# a KeyUpdate that asks for one back, 'k' one that does not; what it
# reads on stdin it sends (up to 16 KB per record, see -msg), what it
# receives it writes to stdout. The client's stdin is a FIFO too, so the
# connection stays up while the steps go one by one.

# wait_for NAME FILE REGEX: FILE gets a line matching REGEX within 10 s.
wait_for() {
    tries=0
    until grep -Eq -- "$3" "$2" 2>/dev/null; do
        tries=$((tries + 1))
        if [ $tries -gt 100 ]; then
            fail "$1: waited in vain for '$3' in $(basename "$2")"
            return 1
        fi
        sleep 0.1
    done
    return 0
}

# wait_size NAME FILE BYTES: FILE grows to BYTES within 20 s.
wait_size() {
    tries=0
    until [ "$(wc -c <"$2")" -ge "$3" ]; do
        tries=$((tries + 1))
        if [ $tries -gt 200 ]; then
            fail "$1: $(basename "$2") has $(wc -c <"$2") bytes, not $3"
            return 1
        fi
        sleep 0.1
    done
    return 0
}

name=keyupdate
# Digits and a-j only: no chunk of it can start an s_server command.
awk 'BEGIN { for (i = 0; i < 5200; i++) {
    s = sprintf("%05d:", i); while (length(s) < 200) s = s "abcdefghij";
    print s } }' >"$dir/ku.big"
mkfifo "$dir/ku.srv.fifo" "$dir/ku.cli.fifo"
# shellcheck disable=SC2086
openssl s_server -tls1_3 -accept 127.0.0.1:0 -naccept 1 $mutual -msg \
    >"$dir/$name.srv.out" 2>"$dir/$name.srv.err" <"$dir/ku.srv.fifo" &
server=$!
pids="$pids $server"
exec 3>"$dir/ku.srv.fifo"
port=""
tries=0
while [ -z "$port" ] && [ $tries -le 100 ]; do
    port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
        "$dir/$name.srv.out")
    tries=$((tries + 1))
    [ -n "$port" ] || sleep 0.1
done
if [ -z "$port" ]; then
    echo "tls_interop_test: s_server for $name did not start:" >&2
    cat "$dir/$name.srv.err" >&2
    exit 1
fi
timeout "${TLS_TEST_TIMEOUT:-30}" "$warden" --companion "$address" connect \
    localhost "$port" <"$dir/ku.cli.fifo" >"$dir/$name.out" \
    2>"$dir/$name.err" &
kclient=$!
pids="$pids $kclient"
exec 4>"$dir/ku.cli.fifo"
: >"$dir/$name.want"
# step N: the client sends a line, the server sends one; both arrive.
step() {
    printf 'from client %s\n' "$1" >&4
    wait_for "$name" "$dir/$name.srv.out" "^from client $1$" || return 1
    printf 'from server %s\n' "$1" >&3
    printf 'from server %s\n' "$1" >>"$dir/$name.want"
    wait_for "$name" "$dir/$name.out" "^from server $1$"
}
if wait_for $name "$dir/$name.err" "^  client certificate +sent$" &&
    step 1; then
    # KeyUpdate, update_requested: the client reads with new keys and
    # answers with its own KeyUpdate before its next data.
    printf 'K\n' >&3
    sleep 0.3
    step 2 && {
        # KeyUpdate, update_not_requested.
        printf 'k\n' >&3
        sleep 0.3
        step 3
    } && {
        # 1 MB from the server in 16 KB records, then a last exchange.
        cat "$dir/ku.big" >&3
        cat "$dir/ku.big" >>"$dir/$name.want"
        wait_size $name "$dir/$name.out" "$(wc -c <"$dir/$name.want")"
    } && step 4
fi
# The client's end of input: close_notify, and the server closes too.
exec 4>&-
checks=$((checks + 1))
wait "$kclient"
got=$?
if [ "$got" -ne 0 ]; then
    fail "$name: exit status $got, expected 0"
    sed 's/^/  stderr: /' "$dir/$name.err" >&2
fi
exec 3>&-
wt_wait_server
same $name "$dir/$name.out" "$dir/$name.want"
expect $name "$dir/$name.err" "^  cipher suite +TLS_AES_"
# What the server sent and received, from -msg.
# Two sent (K and k); one back, for the K that asked for it.
checks=$((checks + 1))
sent=$(grep -c '^>>> .*KeyUpdate$' "$dir/$name.srv.out")
received=$(grep -c '^<<< .*KeyUpdate$' "$dir/$name.srv.out")
if [ "$sent" -ne 2 ] || [ "$received" -ne 1 ]; then
    fail "$name: the server sent $sent KeyUpdates (want 2), got $received back (want 1)"
fi
expect $name "$dir/$name.srv.out" "^    17 03 03 40 11$"
expect $name "$dir/$name.srv.out" "^from client 4$"

# Refusals (an unknown root, a wrong name and the other classic mistakes)
# are tests/refusal_test.sh.

wt_summary
