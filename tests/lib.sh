# Shared by the shell tests (sourced, never run): a temporary folder that
# goes away with every process the test started, check counters, and the
# helpers every script used to carry its own copy of.
#
#   me=NAME; . "$(dirname "$0")/lib.sh"; wt_setup
#   ...
#   wt_summary        # prints "N passed, M failed"; last command

# wt_setup: $dir (a fresh temporary folder), $pids (processes to stop),
# counters, and traps that stop them and remove $dir however the test
# ends (unless WT_KEEP is set, to look at it after a failure).
wt_setup() {
    dir=$(mktemp -d "${TMPDIR:-/tmp}/$me.XXXXXX") || exit 1
    pids=""
    failures=0
    checks=0
    trap wt_cleanup EXIT
    trap 'exit 1' INT TERM HUP
}

# wt_own_warden: this test's own copy of the warden tool in $dir/bin, so
# that the firmware signature dev-pki.sh writes next to it (warden.wsig,
# by this test's firmware key) is not another test's.
wt_own_warden() {
    mkdir -p "$dir/bin" && cp "$warden" "$dir/bin/warden" || exit 1
    warden=$dir/bin/warden
}

wt_cleanup() {
    for p in $pids; do
        kill -TERM "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    [ -n "${WT_KEEP:-}" ] || rm -rf "$dir"
}

fail() {
    failures=$((failures + 1))
    echo "$me: FAIL: $*" >&2
}

# run NAME EXPECTED_STATUS CMD...: runs CMD with stdout and stderr in
# $dir/out and $dir/err, and checks the exit status.
run() {
    name=$1
    want=$2
    shift 2
    checks=$((checks + 1))
    "$@" >"$dir/out" 2>"$dir/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        fail "$name: exit status $got, expected $want"
        sed 's/^/  stdout: /' "$dir/out" >&2
        sed 's/^/  stderr: /' "$dir/err" >&2
        return 1
    fi
    return 0
}

# expect NAME FILE REGEX: FILE (a path, or a name in $dir) has a line
# matching REGEX.
expect() {
    checks=$((checks + 1))
    case "$2" in
    /*) file=$2 ;;
    *) file=$dir/$2 ;;
    esac
    if ! grep -Eq -- "$3" "$file"; then
        fail "$1: no line matching '$3' in $(basename "$file"):"
        sed 's/^/  | /' "$file" | head -80 >&2
    fi
}

# same NAME GOT WANT: the two files are byte for byte the same.
same() {
    checks=$((checks + 1))
    if ! cmp -s "$2" "$3"; then
        fail "$1: $(basename "$2") differs from what was expected"
        echo "  got $(wc -c <"$2") bytes, expected $(wc -c <"$3")" >&2
    fi
}

# start_wardend NAME: a wardend ($wardend) on fresh state in $dir/NAME,
# logging to $dir/NAME.log; waits up to 10 s for its socket. Sets
# $wardend_pid and $address.
start_wardend() {
    mkdir -m 700 "$dir/$1"
    "$wardend" --state-dir "$dir/$1" 2>"$dir/$1.log" &
    wardend_pid=$!
    pids="$pids $wardend_pid"
    address="unix:$dir/$1/wardend.sock"
    tries=0
    while [ ! -S "$dir/$1/wardend.sock" ]; do
        tries=$((tries + 1))
        if [ $tries -gt 100 ] || ! kill -0 "$wardend_pid" 2>/dev/null; then
            echo "$me: wardend $1 did not come up; its log:" >&2
            cat "$dir/$1.log" >&2
            exit 1
        fi
        sleep 0.1
    done
}

# wt_provision [DEV_PKI OPTIONS]: a wardend on fresh state in $dir/state,
# provisioned by $devpki (dev-pki.sh) with this test's $warden into
# $dir/pki (which also signs $warden as host firmware). Sets $pki.
wt_provision() {
    start_wardend state
    if ! sh "$devpki" --warden "$warden" "$@" "$dir/pki" "$address" \
        >"$dir/pki.log" 2>&1; then
        echo "$me: provisioning failed:" >&2
        cat "$dir/pki.log" >&2
        exit 1
    fi
    pki=$dir/pki
}

# wt_start_server NAME [S_SERVER OPTIONS]: `openssl s_server` on
# 127.0.0.1 at a port of its choosing, output in $dir/NAME.srv.out and
# .srv.err; waits up to 10 s for it to listen. Sets $server and $port.
wt_start_server() {
    name=$1
    shift
    : >"$dir/$name.srv.out"
    openssl s_server -accept 127.0.0.1:0 "$@" \
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
            echo "$me: s_server for $name did not start:" >&2
            cat "$dir/$name.srv.err" >&2
            exit 1
        fi
        [ -n "$port" ] || sleep 0.1
    done
}

# wt_wait_server: the last server is done (it serves one connection);
# stops it if it is not after 5 s.
wt_wait_server() {
    tries=0
    while kill -0 "$server" 2>/dev/null && [ $tries -lt 50 ]; do
        sleep 0.1
        tries=$((tries + 1))
    done
    kill -TERM "$server" 2>/dev/null
    wait "$server" 2>/dev/null
}

# client NAME WANT_STATUS INPUT_FILE [CONNECT OPTIONS]: warden connect to
# localhost at $port with INPUT_FILE as stdin; output in $dir/NAME.out
# and .err. On a wrong exit status it shows stderr and what the server
# said (wt_server_log NAME, which a test may redefine).
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
        wt_server_log "$name"
        return 1
    fi
    return 0
}

wt_server_log() {
    sed 's/^/  server: /' "$dir/$1.srv.err" >&2
}

# reversed FILE: what s_server -rev sends back for each line of FILE.
reversed() {
    awk '{ s = ""; for (i = length($0); i > 0; i--) s = s substr($0, i, 1);
           print s }' "$1"
}

wt_summary() {
    echo "$me: $((checks - failures)) passed, $failures failed"
    [ "$failures" -eq 0 ]
}
