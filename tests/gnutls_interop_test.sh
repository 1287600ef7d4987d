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
#
# TLS 1.2 (issue 5): each of the four suites x each group x a P-256 and
# a P-384 server key, with a client certificate required and without a
# certificate request, 1 MB echoed per suite, and refusals: servers that
# offer only CBC, RSA key transport, 3DES, RC4, NULL, or TLS 1.0 and
# 1.1; no extended master secret (%NO_SESSION_HASH); a renegotiation
# (gnutls-serv's **REHANDSHAKE** echo command); and a server that also
# speaks TLS 1.3, offered only TLS 1.2 suites.
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

wt_provision

# ---- the server -----------------------------------------------------------

# The namespace is ours alone: every case gets a port of its own, so no
# case waits for the last one's port to be free.
next_port=4430

# start_server NAME PRIORITY [GNUTLS-SERV OPTIONS]: an echo server with
# the dev server chain, or $chain_file and $key_file when they are set;
# sets $port and $server.
start_server() {
    name=$1
    prio=$2
    shift 2
    next_port=$((next_port + 1))
    port=$next_port
    stdbuf -oL -eL gnutls-serv --echo --crlf --noticket -p "$port" \
        --x509certfile "${chain_file:-$pki/server-chain.pem}" \
        --x509keyfile "${key_file:-$pki/server.key}" --priority "$prio" \
        "$@" \
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

# What gnutls-serv said, for a failed client: its output without the
# certificates it prints, then its errors.
wt_server_log() {
    grep -v '^	\|^ - X.509\|^-----\|^[A-Za-z0-9+/=]*$' \
        "$dir/$1.srv.out" | sed 's/^/  server: /' >&2
    sed 's/^/  server: /' "$dir/$1.srv.err" >&2
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

# ---- TLS 1.2 (issue 5) ------------------------------------------------------

# A P-384 and an RSA server key for localhost from the dev intermediate.
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
            -days 30 -sha256 -extfile "$dir/server.cnf" \
            -extensions v3_server -out "$dir/$n.pem" >/dev/null 2>&1 &&
        cat "$dir/$n.pem" "$pki/intermediate.pem" >"$dir/$n-chain.pem" || {
        echo "$me: cannot issue the $n server certificate" >&2
        exit 1
    }
}
issue p384 ec -pkeyopt ec_paramgen_curve:P-384
issue rsa rsa:2048

base12="NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-ECDSA:-MAC-ALL:+AEAD"
for suite in TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 \
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 \
    TLS_ECDHE_ECDSA_WITH_AES_128_CCM TLS_ECDHE_ECDSA_WITH_AES_256_CCM; do
    case $suite in
    *128_GCM*) gcipher=AES-128-GCM ;;
    *256_GCM*) gcipher=AES-256-GCM ;;
    *128_CCM) gcipher=AES-128-CCM ;;
    *256_CCM) gcipher=AES-256-CCM ;;
    esac
    for group in x25519 secp256r1 secp384r1; do
        case $group in
        x25519) ggroup=X25519 ;;
        secp256r1) ggroup=SECP256R1 ;;
        secp384r1) ggroup=SECP384R1 ;;
        esac
        for key in p256 p384; do
            if [ $key = p384 ]; then
                chain_file=$dir/p384-chain.pem
                key_file=$dir/p384.key
            fi
            for auth in mutual none; do
                name="$suite-$group-$key-$auth"
                if [ $auth = mutual ]; then
                    set -- --x509cafile "$pki/root.pem" \
                        --require-client-cert --verify-client-cert
                else
                    set -- --disable-client-cert
                fi
                start_server "$name" \
                    "$base12:-CIPHER-ALL:+$gcipher:-GROUP-ALL:+GROUP-$ggroup" \
                    "$@"
                if client "$name" 0 "$dir/hello.in"; then
                    same "$name" "$dir/$name.out" "$dir/hello.in"
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
                stop_server
                expect "$name" "$dir/$name.srv.out" \
                    "^- Description: \\(TLS1\\.2-X\\.509\\)-\\(ECDHE-$ggroup\\)-\\(ECDSA-SHA(256|384)\\)-\\($gcipher\\)$"
                if [ $auth = mutual ]; then
                    expect "$name" "$dir/$name.srv.out" \
                        "^- Status: The certificate is trusted"
                fi
            done
            unset chain_file key_file
        done
    done

    # 1 MB echoed, client certificate required.
    name="$suite-bulk"
    start_server "$name" "$base12:-CIPHER-ALL:+$gcipher" \
        --x509cafile "$pki/root.pem" --require-client-cert --verify-client-cert
    if client "$name" 0 "$dir/bulk.in" --quiet; then
        same "$name" "$dir/$name.out" "$dir/bulk.in"
    fi
    stop_server
done

# refused NAME CLIENT_MESSAGE_REGEX PRIORITY: the handshake fails with
# that message and nothing comes back.
refused() {
    rname=$1
    rwant=$2
    start_server "$rname" "$3" --disable-client-cert
    if client "$rname" 1 "$dir/hello.in"; then
        expect "$rname" "$dir/$rname.err" "$rwant"
        checks=$((checks + 1))
        [ -s "$dir/$rname.out" ] && fail "$rname: data came through"
    fi
    stop_server
}

# Nothing in common: the server refuses the ClientHello.
old12="NORMAL:-VERS-ALL:+VERS-TLS1.2"
nothing="^warden: connect: server refused: (handshake_failure|insufficient_security) alert$"
refused cbc-only "$nothing" \
    "$old12:-CIPHER-ALL:+AES-128-CBC:+AES-256-CBC:-MAC-ALL:+SHA256:+SHA1"
chain_file=$dir/rsa-chain.pem
key_file=$dir/rsa.key
refused rsa-kx-only "$nothing" "$old12:-KX-ALL:+RSA"
unset chain_file key_file
refused 3des-only "$nothing" "$old12:-CIPHER-ALL:+3DES-CBC:-MAC-ALL:+SHA1"
refused rc4-only "$nothing" "$old12:-CIPHER-ALL:+ARCFOUR-128:-MAC-ALL:+SHA1"
refused null-only "$nothing" "$old12:-CIPHER-ALL:+NULL:-MAC-ALL:+SHA1:+SHA256"
# GnuTLS answers with handshake_failure here (no TLS 1.1 suite in the
# offer), OpenSSL with protocol_version.
refused tls10-11-only \
    "^warden: connect: server refused: (protocol_version|handshake_failure) alert$" \
    "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0"
# The server leaves out the extended master secret: the companion refuses.
refused no-ems \
    "^warden: connect: companion refused the server's handshake: the server does not use the extended master secret \\(RFC 7627\\) \\(handshake_failure alert sent\\)$" \
    "$base12:%NO_SESSION_HASH"

# Renegotiation: **REHANDSHAKE** makes gnutls-serv send a HelloRequest.
name=renegotiation
printf '**REHANDSHAKE**\n' >"$dir/rehandshake.in"
start_server $name "$base12" --disable-client-cert
if client $name 1 "$dir/rehandshake.in"; then
    expect $name "$dir/$name.err" "^  version +TLS 1\\.2$"
    expect $name "$dir/$name.err" \
        "^warden: connect: companion refused the server's handshake: the server asked to renegotiate, which the companion refuses \\(no_renegotiation alert sent\\)$"
fi
stop_server

# A server that speaks TLS 1.3 too, offered TLS 1.2 suites only: its
# downgrade sentinel must not stop a client that did not offer TLS 1.3.
name=tls12-only-offer
start_server $name "NORMAL" --disable-client-cert
if client $name 0 "$dir/hello.in" \
    --suite TLS_ECDHE_ECDSA_WITH_AES_128_CCM; then
    same $name "$dir/$name.out" "$dir/hello.in"
    expect $name "$dir/$name.err" "^  version +TLS 1\\.2$"
fi
stop_server

wt_summary
