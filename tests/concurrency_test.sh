#!/bin/sh
# Several host programs on one companion at once (design §4: one chip,
# one message buffer): four `warden connect` started together must all
# complete their handshakes and exchange their own data. The companion's
# message buffers hold one long message at a time and answer the others
# BUSY; libwarden waits that out instead of failing the connection.
#
#   concurrency_test.sh WARDEND WARDEN DEV_PKI

wardend=${1:?usage: concurrency_test.sh WARDEND WARDEN DEV_PKI}
warden=${2:?usage: concurrency_test.sh WARDEND WARDEN DEV_PKI}
devpki=${3:?usage: concurrency_test.sh WARDEND WARDEN DEV_PKI}

me=concurrency_test
. "$(dirname "$0")/lib.sh"
wt_setup
wt_own_warden

wt_provision

wt_start_server srv -tls1_3 -naccept 1000 -rev -cert "$pki/server.pem" \
    -cert_chain "$pki/intermediate.pem" -key "$pki/server.key" \
    -CAfile "$pki/root.pem" -Verify 1

# Three rounds of four clients started together (four is the companion's
# number of TLS sessions).
for round in 1 2 3; do
    clients=""
    for i in 1 2 3 4; do
        echo "round${round}client$i" >"$dir/in.$round.$i"
        (
            timeout 30 "$warden" --companion "$address" connect --quiet \
                localhost "$port" <"$dir/in.$round.$i" \
                >"$dir/out.$round.$i" 2>"$dir/err.$round.$i"
            echo $? >"$dir/rc.$round.$i"
        ) &
        clients="$clients $!"
    done
    for p in $clients; do
        wait "$p"
    done
    for i in 1 2 3 4; do
        checks=$((checks + 1))
        if [ "$(cat "$dir/rc.$round.$i")" != 0 ]; then
            fail "round $round client $i: exit status $(cat "$dir/rc.$round.$i")"
            sed 's/^/  stderr: /' "$dir/err.$round.$i" >&2
        fi
        expect "round $round client $i" "out.$round.$i" \
            "^${i}tneilc${round}dnuor\$"
    done
done

kill -0 "$wardend_pid" 2>/dev/null || fail "wardend stopped"
wt_summary
