#!/bin/sh
# A development PKI made with the openssl command line, and a companion
# provisioned from it.
#
#   dev-pki.sh [--force | --reuse] [--serial SERIAL] [--warden PATH]
#              DIR [ADDRESS]
#
# In DIR it makes, once:
#   root.pem, root.key                  root CA (EC P-256, 10 years)
#   intermediate.pem, intermediate.key  intermediate CA (pathlen 0, 5 years)
#   server.pem, server.key              TLS server for localhost (SAN
#                                       DNS:localhost, IP:127.0.0.1;
#   server-chain.pem                    serverAuth), and with intermediate
#   admin.key, admin.pub.pem            the administrator's key pair
#   firmware.key, firmware.pub.pem      the firmware-signing key pair
#   sign.sh, openssl.cnf                how device CSRs are signed
# Private keys are mode 0600 and never leave DIR.
#
# With ADDRESS (unix:PATH of a running wardend), it then provisions that
# companion with `warden provision`: the companion makes its device and
# attestation keys and CSRs, the intermediate CA signs them (device:
# clientAuth, 1 year; attestation: 1 year), the chain (leaf and
# intermediate) and the dev root go in with the admin and firmware keys,
# and the companion is locked. The device's files (config, CSRs,
# certificates) are kept in DIR/devices/SERIAL. Last, the warden tool is
# signed as the device's host firmware (secure boot, docs/secure-boot.md):
# WARDEN.wsig next to it, so that `warden connect` may use the device key.
#
# A DIR that already holds a PKI is never overwritten by accident:
#   --reuse   keep its CAs and keys and provision another device with them
#   --force   delete it (only if it is a dev PKI this script made) and make
#             a new one
#
# Options:
#   --serial SERIAL   the device's serial number (default: dev- and 8 random
#                     hex digits)
#   --warden PATH     the warden tool (default: $WARDEN, build/warden, or
#                     warden on PATH)
set -eu

me=dev-pki
top=$(cd "$(dirname "$0")/.." && pwd)

die() {
    echo "$me: $*" >&2
    exit 1
}

usage() {
    sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'
}

mode=""
serial=""
warden="${WARDEN:-}"
while [ $# -gt 0 ]; do
    case "$1" in
    --force | --reuse)
        [ -z "$mode" ] || die "give one of --force and --reuse"
        mode=${1#--}
        ;;
    --serial)
        [ $# -ge 2 ] || die "--serial needs a value"
        serial=$2
        shift
        ;;
    --warden)
        [ $# -ge 2 ] || die "--warden needs a value"
        warden=$2
        shift
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    --)
        shift
        break
        ;;
    -*)
        die "unknown option '$1' (try --help)"
        ;;
    *)
        break
        ;;
    esac
    shift
done
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    die "usage: dev-pki.sh [--force | --reuse] [--serial SERIAL] [--warden PATH] DIR [ADDRESS]"
fi
dir=$1
address=${2:-}

command -v openssl >/dev/null 2>&1 ||
    die "the openssl command is missing (Debian: apt-get install openssl)"

marker=.warden-dev-pki
pki_files="root.pem root.key intermediate.pem intermediate.key admin.pub.pem
firmware.pub.pem sign.sh openssl.cnf"

# ---- the PKI folder: new, reused or replaced --------------------------

if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
    case "$mode" in
    reuse)
        [ -f "$dir/$marker" ] || die "$dir: not a dev PKI made by this script"
        for f in $pki_files; do
            [ -f "$dir/$f" ] || die "$dir: incomplete dev PKI: no $f"
        done
        ;;
    force)
        [ -f "$dir/$marker" ] ||
            die "$dir: not a dev PKI made by this script; not deleting it"
        rm -rf "$dir"
        ;;
    *)
        die "$dir already holds files: give --reuse to provision with its PKI, or --force to replace it"
        ;;
    esac
fi

ossl() {
    # openssl chatters on stderr even when it works: show it only on failure.
    if ! openssl "$@" 2>"$dir/.openssl.log"; then
        cat "$dir/.openssl.log" >&2
        die "openssl $1 failed"
    fi
}

random_serial() {
    echo "0x$(openssl rand -hex 16)"
}

new_key() {
    ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -pkeyopt ec_param_enc:named_curve -out "$dir/$1.key"
    chmod 600 "$dir/$1.key"
}

# issue NAME SUBJECT EXTENSIONS DAYS: a certificate for NAME.key, signed
# by the intermediate (or by the root for the intermediate itself).
issue() {
    ca=intermediate
    [ "$1" != intermediate ] || ca=root
    ossl req -new -key "$dir/$1.key" -subj "$2" -config "$dir/openssl.cnf" \
        -out "$dir/$1.csr"
    ossl x509 -req -in "$dir/$1.csr" -CA "$dir/$ca.pem" -CAkey "$dir/$ca.key" \
        -set_serial "$(random_serial)" -days "$4" -sha256 \
        -extfile "$dir/openssl.cnf" -extensions "$3" -out "$dir/$1.pem"
    rm -f "$dir/$1.csr"
}

make_pki() {
    (umask 077 && mkdir -p "$dir")
    chmod 700 "$dir"
    : >"$dir/$marker"

    cat >"$dir/openssl.cnf" <<'EOF'
# Certificate profiles of the Warden development PKI (dev-pki.sh).
[req]
distinguished_name = dn
prompt = no

[dn]
CN = unused

[v3_root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[v3_intermediate]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[v3_device]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[v3_attestation]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF

    new_key root
    ossl req -new -x509 -key "$dir/root.key" -config "$dir/openssl.cnf" \
        -subj "/O=Warden Dev/CN=Warden Dev Root CA" -extensions v3_root \
        -set_serial "$(random_serial)" -days 3650 -sha256 \
        -out "$dir/root.pem"

    new_key intermediate
    issue intermediate "/O=Warden Dev/CN=Warden Dev Intermediate CA" \
        v3_intermediate 1825

    new_key server
    issue server "/O=Warden Dev/CN=localhost" v3_server 365
    cat "$dir/server.pem" "$dir/intermediate.pem" >"$dir/server-chain.pem"

    for k in admin firmware; do
        new_key $k
        ossl pkey -in "$dir/$k.key" -pubout -out "$dir/$k.pub.pem"
    done

    # The sign command `warden provision` runs for each companion CSR.
    cat >"$dir/sign.sh" <<'EOF'
#!/bin/sh
# Signs a companion's CSR with the dev intermediate CA (dev-pki.sh).
#   sign.sh CSR CERT device|attestation
set -eu
pki=$(cd "$(dirname "$0")" && pwd)
case "${3:-}" in
device) ext=v3_device ;;
attestation) ext=v3_attestation ;;
*)
    echo "sign.sh: kind must be device or attestation" >&2
    exit 2
    ;;
esac
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# x509 -req checks the request's own signature before it signs. openssl
# chatters on stderr even when it works: show that only on failure.
if ! openssl x509 -req -in "$1" -CA "$pki/intermediate.pem" \
    -CAkey "$pki/intermediate.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days 365 -sha256 -extfile "$pki/openssl.cnf" -extensions "$ext" \
    -out "$2" 2>"$log"; then
    cat "$log" >&2
    exit 1
fi
# Never hand out a certificate the dev root would not accept.
openssl verify -CAfile "$pki/root.pem" -untrusted "$pki/intermediate.pem" \
    "$2" >/dev/null
EOF
    chmod 755 "$dir/sign.sh"
    rm -f "$dir/.openssl.log"
    echo "$me: new development PKI in $dir"
}

if [ ! -f "$dir/$marker" ]; then
    make_pki
else
    echo "$me: reusing the development PKI in $dir"
fi

[ -n "$address" ] || exit 0

# ---- provision the companion at ADDRESS --------------------------------

if [ -z "$warden" ]; then
    if [ -x "$top/build/warden" ]; then
        warden="$top/build/warden"
    else
        warden=warden
    fi
fi
command -v "$warden" >/dev/null 2>&1 || die "no warden tool at '$warden' (give --warden PATH)"

if [ -z "$serial" ]; then
    serial="dev-$(openssl rand -hex 4)"
fi
case "$serial" in
*/* | .*) die "serial '$serial' cannot name a folder" ;;
esac
device="$dir/devices/$serial"
[ ! -e "$device" ] ||
    die "$device exists: that serial number was provisioned before; give another --serial"
mkdir -p "$device"

cat >"$device/provision.conf" <<EOF
# warden provision config written by dev-pki.sh for $serial.
# Paths are relative to this folder.
serial = $serial
curve = p256
subject = /O=Warden Dev Devices/CN=$serial
attestation_curve = p256
attestation_subject = /O=Warden Dev Devices/OU=Attestation/CN=$serial
sign_command = ../../sign.sh "\$1" "\$2" "\$3"
chain = ../../intermediate.pem
roots = ../../root.pem
admin_key = ../../admin.pub.pem
firmware_key = ../../firmware.pub.pem
lock = yes
EOF

echo "$me: provisioning the companion at $address as $serial"
"$warden" --companion "$address" provision "$device/provision.conf" ||
    die "provisioning failed; the files are in $device"
# The device's host firmware, for secure boot: the warden tool itself.
# Its signature goes next to it, where `warden connect` looks for it.
firmware=$(command -v "$warden")
echo "$me: signing $firmware as the host firmware (version 1)"
"$warden" sign-firmware "$dir/firmware.key" 1 "$firmware" ||
    die "cannot sign $firmware with $dir/firmware.key"
echo "$me: done: the companion is locked; its files are in $device"
