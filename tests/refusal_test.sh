#!/bin/sh
# Refusals, end to end: wardend provisioned with the dev PKI, `warden
# connect` as the client, and a real `openssl s_server` on loopback set up
# for one classic mistake per case. The device must refuse each with one
# clear line that names the reason, and the alert on the wire must be the
# expected one. Certificates are made here with the openssl command line,
# under the dev root the companion trusts unless the case is about trust.
#
#   refusal_test.sh WARDEND WARDEN DEV_PKI_SCRIPT [TABLE_FILE]
#
# Controls (a chain made the same way but correct, a wildcard used
# rightly, an RSA-2048 CA) must connect, so that each refusal is known to
# come from the mistake and not from how the test made its certificates.
# The results form a Markdown table (case, server setup, device error
# line, alert), printed at the end and written to TABLE_FILE if given;
# docs/refusals.md is that table.
set -u

wardend=${1:?usage: refusal_test.sh WARDEND WARDEN DEV_PKI [TABLE_FILE]}
warden=${2:?usage: refusal_test.sh WARDEND WARDEN DEV_PKI [TABLE_FILE]}
devpki=${3:?usage: refusal_test.sh WARDEND WARDEN DEV_PKI [TABLE_FILE]}
table_file=${4:-}

command -v openssl >/dev/null 2>&1 || {
    echo "refusal_test: the openssl command is missing" >&2
    exit 1
}

me=refusal_test
. "$(dirname "$0")/lib.sh"
wt_setup
wt_own_warden

# ---- the companion, provisioned with the dev PKI ----------------------------

wt_provision
certs=$dir/certs
mkdir "$certs"

# ---- certificates -------------------------------------------------------------

# Profiles. The SAN comes from the environment (WT_SAN), one per leaf.
cat >"$certs/profiles.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no

[dn]
CN = unused

[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $ENV::WT_SAN

[leaf_client_only]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = $ENV::WT_SAN

[leaf_key_encipherment]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $ENV::WT_SAN

[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ca_bit_missing]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

# For `openssl ca`, which alone can set notBefore and notAfter.
[dated_ca]
database = $ENV::WT_CADB/index.txt
new_certs_dir = $ENV::WT_CADB
serial = $ENV::WT_CADB/serial
default_md = sha256
policy = any_name
unique_subject = no
email_in_dn = no

[any_name]
commonName = supplied
EOF
WT_SAN=DNS:localhost
WT_CADB=$certs/cadb
export WT_SAN WT_CADB
mkdir "$WT_CADB"
: >"$WT_CADB/index.txt"
echo 1000 >"$WT_CADB/serial"

ossl() {
    if ! openssl "$@" >"$certs/openssl.log" 2>&1; then
        echo "refusal_test: openssl $1 failed:" >&2
        cat "$certs/openssl.log" >&2
        exit 1
    fi
}

# key NAME [ec | rsa1024 | rsa2048]
key() {
    case ${2:-ec} in
    ec) ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$certs/$1.key" ;;
    rsa*) ossl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${2#rsa}" \
        -out "$certs/$1.key" ;;
    esac
}

csr() {
    ossl req -new -key "$certs/$1.key" -subj "/CN=$1" \
        -config "$certs/profiles.cnf" -out "$certs/$1.csr"
}

# issue NAME ISSUER_PEM ISSUER_KEY PROFILE [DIGEST]: NAME.pem, 30 days.
issue() {
    csr "$1"
    ossl x509 -req -in "$certs/$1.csr" -CA "$2" -CAkey "$3" \
        -set_serial "0x$(openssl rand -hex 12)" -days 30 "-${5:-sha256}" \
        -extfile "$certs/profiles.cnf" -extensions "$4" -out "$certs/$1.pem"
}

# dated NAME START END: a leaf from the dev intermediate, valid from
# START to END (YYYYMMDDHHMMSSZ).
dated() {
    csr "$1"
    ossl ca -batch -config "$certs/profiles.cnf" -name dated_ca -notext \
        -cert "$pki/intermediate.pem" -keyfile "$pki/intermediate.key" \
        -startdate "$2" -enddate "$3" -extfile "$certs/profiles.cnf" \
        -extensions leaf -in "$certs/$1.csr" -out "$certs/$1.pem"
}

# self_signed NAME PROFILE: a self-signed certificate, 30 days.
self_signed() {
    ossl req -x509 -new -key "$certs/$1.key" -subj "/CN=$1" \
        -config "$certs/profiles.cnf" -extensions "$2" -days 30 \
        -set_serial "0x$(openssl rand -hex 12)" -out "$certs/$1.pem"
}

int_pem=$pki/intermediate.pem
int_key=$pki/intermediate.key

# from_dev NAME SAN [PROFILE [DIGEST]]: a leaf from the dev intermediate.
from_dev() {
    WT_SAN=$2
    key "$1"
    issue "$1" "$int_pem" "$int_key" "${3:-leaf}" "${4:-sha256}"
    WT_SAN=DNS:localhost
}

from_dev good DNS:localhost
from_dev wrong_host DNS:other.example
from_dev wildcard_ok 'DNS:*.test.example'
from_dev wildcard_two 'DNS:*.*.test.example'
from_dev wildcard_inner 'DNS:a.*.test.example'
from_dev wildcard_tld 'DNS:*.com'
from_dev wildcard_one 'DNS:*.example'
from_dev wildcard_partial 'DNS:f*.test.example'
from_dev client_only DNS:localhost leaf_client_only
from_dev key_encipherment DNS:localhost leaf_key_encipherment

key expired
dated expired 20200101000000Z 20210101000000Z
key not_yet_valid
dated not_yet_valid 20450101000000Z 20460101000000Z

# A whole chain from a root the companion does not hold.
key other_root
self_signed other_root ca
key other_int
issue other_int "$certs/other_root.pem" "$certs/other_root.key" ca
key other_leaf
issue other_leaf "$certs/other_int.pem" "$certs/other_int.key" leaf

# A self-signed end-entity certificate for localhost.
key self_leaf
self_signed self_leaf leaf

# An "intermediate" from the dev root without the CA bit.
key not_ca
issue not_ca "$pki/root.pem" "$pki/root.key" ca_bit_missing
key under_not_ca
issue under_not_ca "$certs/not_ca.pem" "$certs/not_ca.key" leaf

# An intermediate the dev root signed with ecdsa-with-SHA1, and a leaf
# it signed with SHA-256. (A SHA-1 signature on the leaf itself cannot be
# shown: s_server will not send a leaf signed with an algorithm missing
# from the client's signature_algorithms, and the device lists no SHA-1.)
key sha1_int
issue sha1_int "$pki/root.pem" "$pki/root.key" ca sha1
key under_sha1
issue under_sha1 "$certs/sha1_int.pem" "$certs/sha1_int.key" leaf

# A CA under the dev intermediate, whose pathlen is 0.
key sub_ca
issue sub_ca "$int_pem" "$int_key" ca
key under_sub_ca
issue under_sub_ca "$certs/sub_ca.pem" "$certs/sub_ca.key" leaf

# RSA CAs from the dev root: 1024 bits (refused) and 2048 (a control).
for bits in 1024 2048; do
    key rsa$bits rsa$bits
    issue rsa$bits "$pki/root.pem" "$pki/root.key" ca
    key under_rsa$bits
    issue under_rsa$bits "$certs/rsa$bits.pem" "$certs/rsa$bits.key" leaf
done

# An RSA-2048 server certificate, for RSA key transport suites.
key rsa_server rsa2048
issue rsa_server "$int_pem" "$int_key" leaf

# chain NAME PEM...: NAME.chain, the certificates a server sends after
# its own.
chain() {
    name=$1
    shift
    cat "$@" >"$certs/$name.chain"
}
chain dev "$int_pem"
chain other "$certs/other_int.pem"
chain not_ca "$certs/not_ca.pem"
chain sub_ca "$certs/sub_ca.pem" "$int_pem"
chain sha1 "$certs/sha1_int.pem"
chain rsa1024 "$certs/rsa1024.pem"
chain rsa2048 "$certs/rsa2048.pem"

# ---- servers and the client ---------------------------------------------------

# start_server NAME [S_SERVER OPTIONS]: one s_server for one connection,
# on a port of its choosing; sets $port and $server.
start_server() {
    name=$1
    shift
    wt_start_server "$name" -naccept 1 -rev "$@"
}

# serve LEAF CHAIN: s_server options for LEAF.pem/.key and CHAIN.chain
# ("-" for no chain).
serve() {
    echo "-cert $certs/$1.pem -key $certs/$1.key"
    [ "$2" = - ] || echo "-cert_chain $certs/$2.chain"
}

printf 'hello\n' >"$dir/hello.in"

# connect NAME [CONNECT OPTIONS]: warden connect to 127.0.0.1 at $port,
# checking the name localhost unless the options say otherwise; output
# in $dir/NAME.out and .err, exit status in $status.
connect() {
    name=$1
    shift
    timeout "${TLS_TEST_TIMEOUT:-30}" "$warden" --companion "$address" \
        connect --name localhost "$@" 127.0.0.1 "$port" <"$dir/hello.in" \
        >"$dir/$name.out" 2>"$dir/$name.err"
    status=$?
}

# control NAME SETUP [CONNECT OPTIONS] -- [S_SERVER OPTIONS]: must connect.
control() {
    name=$1
    shift 2
    opts=""
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        opts="$opts $1"
        shift
    done
    shift
    start_server "$name" -tls1_3 "$@"
    # shellcheck disable=SC2086
    connect "$name" $opts
    wt_wait_server
    checks=$((checks + 1))
    if [ "$status" -ne 0 ]; then
        fail "control $name: exit status $status, expected 0"
        sed 's/^/  stderr: /' "$dir/$name.err" >&2
    fi
}

rows=$dir/table.md
{
    echo "| Case | Server setup | Device error line | Alert |"
    echo "| --- | --- | --- | --- |"
} >"$rows"

# alert_name NUMBER: the TLS name of an alert number.
alert_name() {
    case $1 in
    40) echo handshake_failure ;;
    42) echo bad_certificate ;;
    43) echo unsupported_certificate ;;
    45) echo certificate_expired ;;
    46) echo certificate_unknown ;;
    48) echo unknown_ca ;;
    70) echo protocol_version ;;
    71) echo insufficient_security ;;
    *) echo "alert $1" ;;
    esac
}

# refuse NAME SETUP REASON_REGEX ALERT [CONNECT OPTIONS] -- [S_SERVER
# OPTIONS]: the device must refuse with exit status 1 and one line on
# stderr, "warden: connect: ..." matching REASON_REGEX. ALERT is
# "sent N" (the device sends alert N; s_server reports it) or
# "received N[/M]" (the server sends alert N, or M, and the device names
# it).
refuse() {
    name=$1
    setup=$2
    reason=$3
    alert=$4
    shift 4
    opts=""
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        opts="$opts $1"
        shift
    done
    shift
    start_server "$name" "$@"
    # shellcheck disable=SC2086
    connect "$name" $opts
    wt_wait_server

    line=$(head -n 1 "$dir/$name.err")
    checks=$((checks + 1))
    if [ "$status" -ne 1 ]; then
        fail "$name: exit status $status, expected 1 (a refusal)"
        sed 's/^/  stderr: /' "$dir/$name.err" >&2
        sed 's/^/  server: /' "$dir/$name.srv.err" >&2
        line="ACCEPTED (exit status $status)"
    elif [ "$(wc -l <"$dir/$name.err")" -ne 1 ]; then
        fail "$name: more than one line on stderr"
        sed 's/^/  stderr: /' "$dir/$name.err" >&2
    fi
    expect "$name" "$dir/$name.err" "^warden: connect: ($reason)$"

    checks=$((checks + 1))
    wire=""
    case $alert in
    sent*)
        number=${alert#* }
        if grep -q "SSL alert number $number\$" "$dir/$name.srv.err"; then
            wire="$(alert_name "$number") ($number), sent by the device"
        else
            fail "$name: the server did not get alert $number from the device"
            sed 's/^/  server: /' "$dir/$name.srv.err" >&2
        fi
        ;;
    received*)
        for number in $(echo "${alert#* }" | tr / ' '); do
            if grep -q "server refused: $(alert_name "$number") alert\$" \
                "$dir/$name.err"; then
                wire="$(alert_name "$number") ($number), sent by the server"
            fi
        done
        [ -n "$wire" ] ||
            fail "$name: the device did not name one of the alerts ${alert#* }"
        ;;
    esac
    printf '| %s | %s | `%s` | %s |\n' "$name" "$setup" "$line" "$wire" \
        >>"$rows"
}

# ---- controls ------------------------------------------------------------------

# shellcheck disable=SC2046
control good "leaf from the dev intermediate" -- $(serve good dev)
# shellcheck disable=SC2046
control wildcard_ok "SAN *.test.example for foo.test.example" \
    --name foo.test.example -- \
    $(serve wildcard_ok dev)
# shellcheck disable=SC2046
control rsa2048 "RSA-2048 CA" -- $(serve under_rsa2048 rsa2048)

# ---- refusals: the certificate --------------------------------------------------

t13=-tls1_3
# shellcheck disable=SC2046
refuse expired "leaf valid 2020-01-01 to 2021-01-01" "server certificate: expired" \
    "sent 45" -- $t13 $(serve expired dev)
# shellcheck disable=SC2046
refuse not_yet_valid "leaf valid from 2045-01-01" \
    "server certificate: not yet valid" "sent 45" -- $t13 \
    $(serve not_yet_valid dev)
# shellcheck disable=SC2046
refuse wrong_host "SAN DNS:other.example, client wants localhost" \
    "server certificate: host name mismatch, wanted localhost" "sent 46" -- \
    $t13 $(serve wrong_host dev)
# shellcheck disable=SC2046
refuse wildcard_two_labels "SAN DNS:\*.\*.test.example, client wants a.b.test.example" \
    "server certificate: host name mismatch, wanted a\\.b\\.test\\.example" \
    "sent 46" --name a.b.test.example -- $t13 $(serve wildcard_two dev)
# shellcheck disable=SC2046
refuse wildcard_not_leftmost "SAN DNS:a.\*.test.example, client wants a.b.test.example" \
    "server certificate: host name mismatch, wanted a\\.b\\.test\\.example" \
    "sent 46" --name a.b.test.example -- $t13 $(serve wildcard_inner dev)
# shellcheck disable=SC2046
refuse wildcard_public_suffix "SAN DNS:\*.com, client wants example.com" \
    "server certificate: host name mismatch, wanted example\\.com" \
    "sent 46" --name example.com -- $t13 $(serve wildcard_tld dev)
# shellcheck disable=SC2046
refuse wildcard_single_label_base "SAN DNS:\*.example, client wants foo.example" \
    "server certificate: host name mismatch, wanted foo\\.example" \
    "sent 46" --name foo.example -- $t13 $(serve wildcard_one dev)
# shellcheck disable=SC2046
refuse wildcard_partial_label "SAN DNS:f\*.test.example, client wants foo.test.example" \
    "server certificate: host name mismatch, wanted foo\\.test\\.example" \
    "sent 46" --name foo.test.example -- $t13 $(serve wildcard_partial dev)
# shellcheck disable=SC2046
refuse wildcard_two_deep "SAN DNS:\*.test.example, client wants a.b.test.example" \
    "server certificate: host name mismatch, wanted a\\.b\\.test\\.example" \
    "sent 46" --name a.b.test.example -- $t13 $(serve wildcard_ok dev)
# shellcheck disable=SC2046
refuse untrusted_root "leaf and intermediate from a root the companion does not hold" \
    "server certificate: no path to a trusted root" "sent 48" -- $t13 \
    $(serve other_leaf other)
# shellcheck disable=SC2046
refuse self_signed_leaf "self-signed end-entity certificate for localhost" \
    "server certificate: no path to a trusted root" "sent 48" -- $t13 \
    $(serve self_leaf -)
# shellcheck disable=SC2046
refuse missing_intermediate "leaf from the dev intermediate, sent alone" \
    "server certificate: no path to a trusted root" "sent 48" -- $t13 \
    $(serve good -)
# shellcheck disable=SC2046
refuse intermediate_not_ca "intermediate with basicConstraints CA:FALSE (keyCertSign set)" \
    "server certificate: issued by a certificate that is not a CA" "sent 42" \
    -- $t13 $(serve under_not_ca not_ca)
# shellcheck disable=SC2046
refuse path_length "CA under the dev intermediate (pathlen:0), leaf under it" \
    "server certificate: path length constraint exceeded" "sent 42" -- \
    $t13 $(serve under_sub_ca sub_ca)
# shellcheck disable=SC2046
refuse no_server_auth "leaf with extendedKeyUsage clientAuth only" \
    "server certificate: extended key usage does not allow server authentication" \
    "sent 46" -- $t13 $(serve client_only dev)
# shellcheck disable=SC2046
refuse key_usage "leaf with keyUsage keyEncipherment only" \
    "server certificate: key usage does not allow TLS server use" \
    "sent 46" -- $t13 $(serve key_encipherment dev)
# OpenSSL itself refuses to serve SHA-1 and RSA-1024 chains above
# security level 0.
# shellcheck disable=SC2046
refuse sha1_chain "intermediate signed by the dev root with ecdsa-with-SHA1 (SECLEVEL=0)" \
    "server certificate: signature algorithm not allowed" "sent 43" -- \
    $t13 -cipher DEFAULT@SECLEVEL=0 $(serve under_sha1 sha1)
# shellcheck disable=SC2046
refuse rsa1024_chain "RSA-1024 CA from the dev root signs the leaf (SECLEVEL=0)" \
    "server certificate: key type or size not allowed" "sent 43" -- \
    $t13 -cipher DEFAULT@SECLEVEL=0 $(serve under_rsa1024 rsa1024)

# ---- refusals: the protocol ------------------------------------------------------

weak='AES128-SHA:AES256-SHA256:DES-CBC3-SHA:NULL-SHA256'
weak="$weak:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384"
weak="$weak:ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0"
# shellcheck disable=SC2046
# The device offers TLS 1.3 and TLS 1.2 (ECDHE-ECDSA AEAD only): such a
# server finds a version but no suite in common (handshake_failure).
refuse weak_suites_only "TLS 1.2 and older; CBC, RSA key transport, 3DES and NULL suites only" \
    "server refused: handshake_failure alert" \
    "received 40" -- \
    -no_tls1_3 -cipher "$weak" $(serve good dev) \
    -dcert "$certs/rsa_server.pem" -dkey "$certs/rsa_server.key"
# shellcheck disable=SC2046
refuse ccm8_only "TLS 1.3 with TLS_AES_128_CCM_8_SHA256 only (8-byte tag)" \
    "server refused: handshake_failure alert" "received 40" -- \
    -tls1_3 -ciphersuites TLS_AES_128_CCM_8_SHA256 $(serve good dev)
# shellcheck disable=SC2046
refuse tls1_0_only "TLS 1.0 only (-tls1, SECLEVEL=0)" \
    "server refused: protocol_version alert" "received 70" -- \
    -tls1 -cipher DEFAULT@SECLEVEL=0 $(serve good dev)
# shellcheck disable=SC2046
refuse tls1_1_only "TLS 1.1 only (-tls1_1, SECLEVEL=0)" \
    "server refused: protocol_version alert" "received 70" -- \
    -tls1_1 -cipher DEFAULT@SECLEVEL=0 $(serve good dev)

# ---- --name on the command line ---------------------------------------------------

# A name that is no host name or address: a usage error naming it.
for bad in 'bad..name' 'under_score.example' 'trailing.dot.' '-lead.example' \
    'a b'; do
    run "--name '$bad'" 2 "$warden" --companion "$address" connect \
        --name "$bad" 127.0.0.1 1 </dev/null &&
        expect "--name '$bad'" err \
            "^warden: connect: not a host name or IP address '$bad'"
done
run "--name, host unknown" 1 "$warden" --companion "$address" connect \
    --name localhost no-such-host.invalid 443 </dev/null &&
    expect "--name, host unknown" err \
        "^warden: connect: cannot resolve no-such-host\\.invalid port 443: "

# The companion freed every session it refused: one more still connects.
# shellcheck disable=SC2046
control last "after every refusal" -- $(serve good dev)

cat "$rows"
[ -z "$table_file" ] || cp "$rows" "$table_file"
wt_summary
