#!/bin/sh
# TLS 1.3 interop with GnuTLS, end to end: wardend provisioned with the
# dev PKI, the warden tool as the client, `gnutls-serv --echo` as the
# server.
#
#   gnutls_interop_test.sh WARDEND WARDEN DEV_PKI_SCRIPT
#
# gnutls-serv listens on every address and cannot be told to keep to
# loopback, so the whole test runs in a network namespace of its own
# (`unshare --net`) that holds nothing but its own loopback, and a PID
# namespace: the server, wardend and the client all live and die there. When namespaces cannot
# be made (not root, or a container that forbids it), or gnutls-serv is
# missing, the test says why and exits 77, which ctest counts as
# skipped.
#
# Cases: every suite x group with a client certificate required and
# verified (the server allows one suite and one group, so P-384 needs a
# HelloRetryRequest), a server that asks for no certificate, and 1 MB of
# of data (base64 lines) echoed intact. Each case checks what the tool says the
# companion decided, what the server says it saw, and the data.
set -u

me=gnutls_interop_test
usage="usage: gnutls_interop_test.sh WARDEND WARDEN DEV_PKI"
SKIP=77

if [ "${1:-}" != --inside ]; then
    wardend=${1:?$usage}
    warden=${2:?$usage}
    devpki=${3:?$usage}
    for c in gnutls-serv openssl unshare ip timeout stdbuf; do
        if ! command -v "$c" >/dev/null 2>&1; then
            echo "$me: SKIP: the $c command is missing" \
                "(Debian: scripts/deps.sh installs gnutls-bin)" >&2
            exit $SKIP
        fi
    done
    ns="unshare --net --pid --fork --mount-proc --kill-child=TERM"
    if ! $ns sh -c 'ip link set lo up' >/dev/null 2>&1; then
        echo "$me: SKIP: cannot make a network namespace with loopback" \
            "($ns needs root or CAP_SYS_ADMIN): $($ns true 2>&1)" >&2
        exit $SKIP
    fi
    # The PID namespace gets its own /proc (--mount-proc, in a mount
    # namespace of its own): LeakSanitizer reads /proc/PID/task.
    # The rest runs in the namespaces as their first process; its exit
    # status is the test's. Whatever ends this run (a ctest timeout
    # killing unshare, which sends TERM on to the inner shell and its
    # cleanup), every process left in the PID namespace dies with that
    # shell: nothing outlives the test.
    exec $ns sh "$0" --inside "$wardend" "$warden" "$devpki"
fi

# ---- inside the namespace ---------------------------------------------------

shift
wardend=$1
warden=$2
devpki=$3

if ! ip link set lo up; then
    echo "$me: cannot bring up loopback in the namespace" >&2
    exit 1
fi

. "$(dirname "$0")/lib.sh"
wt_setup
wt_own_warden

# ---- the companion ------------------------------------------------------

start_wardend state
if ! sh "$devpki" --warden "$warden" "$dir/pki" "$address" \
    >"$dir/pki.log" 2>&1; then
    echo "$me: provisioning failed:" >&2
    cat "$dir/pki.log" >&2
    exit 1
fi
pki=$dir/pki

# ---- the server -----------------------------------------------------------

# The namespace is ours alone: every case gets a port of its own, so no
# case waits for the last one's port to be free.
next_port=4430

# start_server NAME PRIORITY [GNUTLS-SERV OPTIONS]: an echo server with
# the dev server chain; sets $port and $server.
start_server() {
    name=$1
    prio=$2
    shift 2
    next_port=$((next_port + 1))
    port=$next_port
    stdbuf -oL -eL gnutls-serv --echo --crlf --noticket -p "$port" \
        --x509certfile "$pki/server-chain.pem" \
        --x509keyfile "$pki/server.key" --priority "$prio" "$@" \
        >"$dir/$name.srv.out" 2>"$dir/$name.srv.err" </dev/null &
    server=$!
    pids="$pids $server"
    tries=0
    # Listening on both 127.0.0.1 and ::1 (localhost may be either).
    while [ "$(cat "$dir/$name.srv.out" "$dir/$name.srv.err" 2>/dev/null |
        grep -c "listening on .* port $port\\.\\.\\.done")" -lt 2 ]; do
        tries=$((tries + 1))
        if [ $tries -gt 100 ] || ! kill -0 "$server" 2>/dev/null; then
            echo "$me: gnutls-serv for $name did not start:" >&2
            cat "$dir/$name.srv.out" "$dir/$name.srv.err" >&2
            exit 1
        fi
        sleep 0.1
    done
}

# stop_server: gnutls-serv serves forever; the case is over.
stop_server() {
    kill -TERM "$server" 2>/dev/null
    wait "$server" 2>/dev/null
}

# client NAME WANT_STATUS INPUT_FILE [CONNECT OPTIONS]: warden connect to
# localhost at $port with INPUT_FILE as stdin; output in $dir/NAME.out
# and .err.
client() {
    name=$1
    want=$2
    input=$3
    shift 3
    checks=$((checks + 1))
    timeout "${TLS_TEST_TIMEOUT:-30}" "$warden" --companion "$address" \
        connect "$@" localhost "$port" <"$input" >"$dir/$name.out" \
        2>"$dir/$name.err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        fail "$name: exit status $got, expected $want"
        sed 's/^/  stderr: /' "$dir/$name.err" >&2
        grep -v '^	\|^ - X.509\|^-----\|^[A-Za-z0-9+/=]*$' \
            "$dir/$name.srv.out" | sed 's/^/  server: /' >&2
        sed 's/^/  server: /' "$dir/$name.srv.err" >&2
        return 1
    fi
    return 0
}

printf 'hello from the device\nline two\n' >"$dir/hello.in"

# ---- every suite and group, client certificate required -------------------

base="NORMAL:-VERS-ALL:+VERS-TLS1.3"
for suite in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 \
    TLS_AES_128_CCM_SHA256; do
    case $suite in
    TLS_AES_128_GCM_SHA256) gcipher=AES-128-GCM ;;
    TLS_AES_256_GCM_SHA384) gcipher=AES-256-GCM ;;
    TLS_AES_128_CCM_SHA256) gcipher=AES-128-CCM ;;
    esac
    for group in x25519 secp256r1 secp384r1; do
        case $group in
        x25519) ggroup=X25519 retry=no ;;
        secp256r1) ggroup=SECP256R1 retry=no ;;
        # Not among the companion's first key shares: a retry.
        secp384r1) ggroup=SECP384R1 retry=yes ;;
        esac
        name="$suite-$group"
        start_server "$name" \
            "$base:-CIPHER-ALL:+$gcipher:-GROUP-ALL:+GROUP-$ggroup" \
            --x509cafile "$pki/root.pem" --require-client-cert \
            --verify-client-cert
        if client "$name" 0 "$dir/hello.in"; then
            same "$name" "$dir/$name.out" "$dir/hello.in"
            expect "$name" "$dir/$name.err" "^  version +TLS 1\\.3$"
            expect "$name" "$dir/$name.err" "^  cipher suite +$suite$"
            expect "$name" "$dir/$name.err" "^  group +$group$"
            expect "$name" "$dir/$name.err" "^  hello retry +$retry$"
            expect "$name" "$dir/$name.err" "^  server chain +2 certificates$"
            expect "$name" "$dir/$name.err" "^  client certificate +sent$"
            expect "$name" "$dir/$name.err" "^  ALPN +\\(none\\)$"
        fi
        stop_server
        expect "$name" "$dir/$name.srv.out" \
            "^- Description: \\(TLS1\\.3-X\\.509\\)-\\(ECDHE-$ggroup\\)-.*-\\($gcipher\\)$"
        expect "$name" "$dir/$name.srv.out" "^- Status: The certificate is trusted"
        expect "$name" "$dir/$name.srv.out" "Subject: .*CN=dev-"
    done
done

# ---- no certificate request --------------------------------------------------

name=nocert
start_server $name "$base" --disable-client-cert
if client $name 0 "$dir/hello.in"; then
    same $name "$dir/$name.out" "$dir/hello.in"
    expect $name "$dir/$name.err" "^  version +TLS 1\\.3$"
    expect $name "$dir/$name.err" "^  client certificate +not requested$"
fi
stop_server
expect $name "$dir/$name.srv.out" "^- Version: TLS1\\.3$"

# ---- 1 MB each way, echoed ------------------------------------------------

# gnutls-serv echoes what it reads as a C string, so no NUL bytes: random
# bytes in base64, 1 MB of lines.
name=bulk
head -c 786432 /dev/urandom | base64 >"$dir/bulk.in"
start_server $name "$base" --x509cafile "$pki/root.pem" \
    --require-client-cert --verify-client-cert
if client $name 0 "$dir/bulk.in" --quiet; then
    same $name "$dir/$name.out" "$dir/bulk.in"
fi
stop_server

wt_summary
