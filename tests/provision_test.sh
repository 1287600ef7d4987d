#!/bin/sh
# Provisioning end to end, with the openssl command line as the other
# side: the dev PKI script provisions a fresh wardend and OpenSSL checks
# what came out (the CSR's signature, the device chain against the dev
# root, the fingerprints status shows). Then bad input through the tool,
# on a second wardend still in manufacturing: every refusal must name the
# problem and leave storage.bin byte-identical. And provisioning after
# lock, on the first.
#
#   provision_test.sh WARDEND WARDEN DEV_PKI_SCRIPT
set -u

wardend=${1:?usage: provision_test.sh WARDEND WARDEN DEV_PKI}
warden=${2:?usage: provision_test.sh WARDEND WARDEN DEV_PKI}
devpki=${3:?usage: provision_test.sh WARDEND WARDEN DEV_PKI}

me=provision_test
. "$(dirname "$0")/lib.sh"
wt_setup
wt_own_warden

# start NAME: a wardend on fresh state in $dir/NAME.
start() {
    start_wardend "$1"
}

# refused NAME STATE REGEX CMD...: CMD fails with exit status 1, says
# REGEX on stderr, and storage in STATE is byte for byte what it was.
refused() {
    name=$1
    state=$2
    regex=$3
    shift 3
    cp "$dir/$state/storage.bin" "$dir/before.bin"
    if run "$name" 1 "$@"; then
        expect "$name" err "$regex"
    fi
    checks=$((checks + 1))
    cmp -s "$dir/before.bin" "$dir/$state/storage.bin" ||
        fail "$name: storage changed"
}

command -v openssl >/dev/null 2>&1 || {
    echo "provision_test: the openssl command is needed" >&2
    exit 1
}

pki="$dir/pki"
start a
start b
a="unix:$dir/a/wardend.sock"
b="unix:$dir/b/wardend.sock"
wa() { "$warden" --companion "$a" "$@"; }
wb() { "$warden" --companion "$b" "$@"; }

# ---- the dev PKI script makes a locked companion from scratch ---------

if ! run "dev-pki.sh" 0 sh "$devpki" --warden "$warden" --serial test-0001 \
    "$pki" "$a"; then
    echo "provision_test: cannot go on without a provisioned companion" >&2
    exit 1
fi
expect "dev-pki.sh" out 'locked'
dev="$pki/devices/test-0001"
for f in root.key intermediate.key server.key admin.key firmware.key; do
    checks=$((checks + 1))
    mode=$(stat -c %a "$pki/$f")
    [ "$mode" = 600 ] || fail "$f has mode $mode, expected 600"
done

run "openssl req -verify device.csr" 0 \
    openssl req -verify -noout -in "$dev/device.csr" &&
    expect "openssl req -verify device.csr" err 'verify OK'
run "openssl req -verify attestation.csr" 0 \
    openssl req -verify -noout -in "$dev/attestation.csr"
run "openssl verify device chain" 0 openssl verify -CAfile "$pki/root.pem" \
    -untrusted "$pki/intermediate.pem" "$dev/device.pem" &&
    expect "openssl verify" out 'device.pem: OK'
run "openssl verify server" 0 openssl verify -CAfile "$pki/root.pem" \
    -untrusted "$pki/intermediate.pem" "$pki/server.pem"
run "server SAN" 0 openssl x509 -noout -ext subjectAltName -in "$pki/server.pem" &&
    expect "server SAN" out 'DNS:localhost, IP Address:127.0.0.1'

root_fp=$(openssl x509 -noout -fingerprint -sha256 -in "$pki/root.pem" |
    sed 's/.*=//')
leaf_subject=$(openssl x509 -noout -subject -nameopt RFC2253 \
    -in "$dev/device.pem" | sed 's/^subject=//')
if run status 0 wa status; then
    expect status out '^lifecycle +operational$'
    expect status out '^serial +test-0001$'
    expect status out '^device key +P-256$'
    expect status out '^attest key +P-256$'
    expect status out '^admin key +P-256$'
    expect status out '^firmware key +P-256$'
    expect status out '^device chain +2 certificates$'
    expect status out "^  \\[0\\] subject +$leaf_subject\$"
    expect status out '^ +issuer +CN=Warden Dev Intermediate CA,O=Warden Dev$'
    expect status out '^ +expires +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z'
    expect status out '^attestation +1 certificate$'
    expect status out '^roots +1 of 8$'
    expect status out "^ +sha256 +$root_fp\$"
fi

# What the companion holds is what OpenSSL issued.
run "get-cert" 0 wa get-cert --out "$dir/leaf-back.pem"
checks=$((checks + 1))
openssl x509 -in "$dir/leaf-back.pem" -outform DER -out "$dir/l1.der"
openssl x509 -in "$dev/device.pem" -outform DER -out "$dir/l2.der"
cmp -s "$dir/l1.der" "$dir/l2.der" || fail "get-cert: not device.pem"
run "get-cert --index 1" 0 wa get-cert --index 1 &&
    openssl x509 -outform DER -in "$dir/out" -out "$dir/i1.der" &&
    openssl x509 -outform DER -in "$pki/intermediate.pem" -out "$dir/i2.der"
checks=$((checks + 1))
cmp -s "$dir/i1.der" "$dir/i2.der" || fail "get-cert --index 1: not the intermediate"
run "pubkey" 0 wa pubkey --out "$dir/dev.pub.pem"
run "device key in the certificate" 0 openssl x509 -noout -pubkey \
    -in "$dev/device.pem"
checks=$((checks + 1))
cmp -s "$dir/out" "$dir/dev.pub.pem" || fail "pubkey: not the certificate's key"

# The script will not overwrite a PKI by accident.
run "dev-pki.sh again" 1 sh "$devpki" "$pki" &&
    expect "dev-pki.sh again" err 'already holds files.*--reuse.*--force'
run "dev-pki.sh --reuse, same serial" 1 sh "$devpki" --reuse --warden \
    "$warden" --serial test-0001 "$pki" "$a" &&
    expect "dev-pki.sh --reuse" err 'provisioned before'
mkdir "$dir/other" && : >"$dir/other/keep"
run "dev-pki.sh --force elsewhere" 1 sh "$devpki" --force "$dir/other" &&
    expect "dev-pki.sh --force" err 'not a dev PKI made by this script'
checks=$((checks + 1))
[ -f "$dir/other/keep" ] || fail "dev-pki.sh --force deleted a folder"

# ---- provisioning after lock -------------------------------------------

locked='the companion is locked \(operational\): provisioning is closed'
refused "set-serial after lock" a "^warden: set-serial: $locked" \
    wa set-serial test-0002
refused "keygen after lock" a "^warden: keygen: $locked" wa keygen
refused "add-root after lock" a "^warden: add-root: $locked" \
    wa add-root "$pki/intermediate.pem"
refused "lock after lock" a "^warden: lock: $locked" wa lock
refused "provision after lock" a "^warden: provision: $locked" \
    wa provision "$dev/provision.conf"

# ---- bad input, on a companion in manufacturing -----------------------

# A device key, its CSR signed by the dev intermediate, the chain in.
run "keygen" 0 wb keygen --out "$dir/b.pub.pem"
run "csr" 0 wb csr --subject "/O=Warden Test/CN=test-b" --out "$dir/b.csr"
run "csr subject" 0 openssl req -noout -subject -nameopt RFC2253 \
    -in "$dir/b.csr" && expect "csr subject" out '^subject=CN=test-b,O=Warden Test$'
run "sign b" 0 "$pki/sign.sh" "$dir/b.csr" "$dir/b.pem" device
run "install-cert" 0 wb install-cert "$dir/b.pem" "$pki/intermediate.pem" &&
    expect install-cert out 'device \[1\] .*intermediate.pem: installed'

# Not the issuer: the root did not sign the device certificate.
run "install-cert, wrong issuer" 1 wb install-cert "$dir/b.pem" \
    "$pki/root.pem" &&
    expect "wrong issuer" err 'root.pem: it did not issue the certificate before it.*NOT_ISSUER'
run "install-cert again" 0 wb install-cert "$dir/b.pem" "$pki/intermediate.pem"

# Malformed certificates.
printf -- '-----BEGIN CERTIFICATE-----\nMIIB!!garbage\n-----END CERTIFICATE-----\n' \
    >"$dir/garbage.pem"
refused "garbage PEM" b "garbage.pem:2: bad base64 in the CERTIFICATE block" \
    wb install-cert "$dir/garbage.pem"
openssl x509 -in "$dir/b.pem" -outform DER -out "$dir/b.der"
head -c 300 "$dir/b.der" >"$dir/cut.der"
refused "truncated DER" b "cut.der: not PEM, and not valid DER: truncated" \
    wb install-cert "$dir/cut.der"
{
    echo "-----BEGIN CERTIFICATE-----"
    openssl base64 -in "$dir/cut.der"
    echo "-----END CERTIFICATE-----"
} >"$dir/cut.pem"
refused "truncated DER in PEM" b \
    "cut.pem:1: CERTIFICATE block is not valid DER: truncated" \
    wb install-cert "$dir/cut.pem"
sed 's/CERTIFICATE REQUEST/CERTIFICATE/' "$dir/b.csr" >"$dir/csr-as-cert.pem"
refused "a CSR as a certificate" b \
    "csr-as-cert.pem: the companion cannot read this certificate.*BAD_CERTIFICATE" \
    wb install-cert "$dir/csr-as-cert.pem"
refused "no certificate in the file" b \
    "b.pub.pem: no CERTIFICATE block \\(found PUBLIC KEY\\)" \
    wb install-cert "$dir/b.pub.pem"
refused "missing file" b "nowhere.pem: cannot open" \
    wb install-cert "$dir/nowhere.pem"

# A chain whose leaf is not the device key.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$dir/other.key" 2>/dev/null
openssl req -new -key "$dir/other.key" -subj "/CN=other" \
    -out "$dir/other.csr" 2>/dev/null
"$pki/sign.sh" "$dir/other.csr" "$dir/other.pem" device
refused "leaf for another key" b \
    "other.pem: its public key is not the companion's device key.*KEY_MISMATCH" \
    wb install-cert "$dir/other.pem" "$pki/intermediate.pem"
refused "attestation certificate without its key" b \
    "no attestation key to certify" \
    wb install-cert --attestation "$dir/other.pem"

# A certificate over 2048 bytes: the device's own, with a long SAN list.
san="DNS:host-000.devices.example.com"
i=1
while [ $i -lt 80 ]; do
    san="$san,DNS:host-$i.devices.example.com"
    i=$((i + 1))
done
printf '[big]\nbasicConstraints = critical, CA:FALSE\nsubjectAltName = %s\n' \
    "$san" >"$dir/big.cnf"
openssl x509 -req -in "$dir/b.csr" -CA "$pki/intermediate.pem" \
    -CAkey "$pki/intermediate.key" -set_serial 77 -days 30 \
    -extfile "$dir/big.cnf" -extensions big -out "$dir/big.pem" 2>/dev/null
checks=$((checks + 1))
size=$(openssl x509 -in "$dir/big.pem" -outform DER | wc -c)
[ "$size" -gt 2048 ] || fail "big.pem is only $size bytes"
refused "certificate over 2048 bytes" b \
    "big.pem: too large for the companion's record.*RECORD_TOO_LARGE" \
    wb install-cert "$dir/big.pem"

# Roots: eight fit, a ninth does not; one already there changes nothing.
run "add-root" 0 wb add-root "$pki/root.pem" &&
    expect add-root out '^root \[0\] .*root.pem: added$'
i=2
while [ $i -le 9 ]; do
    openssl req -new -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
        -nodes -keyout "$dir/r$i.key" -subj "/CN=Extra Root $i" -days 30 \
        -addext "basicConstraints=critical,CA:TRUE" \
        -out "$dir/r$i.pem" 2>/dev/null
    i=$((i + 1))
done
run "add-root 2-8" 0 wb add-root "$dir/r2.pem" "$dir/r3.pem" "$dir/r4.pem" \
    "$dir/r5.pem" "$dir/r6.pem" "$dir/r7.pem" "$dir/r8.pem" &&
    expect "add-root 2-8" out '^root \[7\] .*r8.pem: added$'
refused "ninth root" b "r9.pem: the trust store is full.*FULL" \
    wb add-root "$dir/r9.pem"
cp "$dir/b/storage.bin" "$dir/before.bin"
run "root already there" 0 wb add-root "$pki/root.pem" &&
    expect "root already there" out '^root \[0\] .*: already installed$'
checks=$((checks + 1))
cmp -s "$dir/before.bin" "$dir/b/storage.bin" ||
    fail "adding a root already there changed storage"
refused "a leaf as a root" b "b.pem: the companion refuses it as a root" \
    wb add-root "$dir/b.pem"

# Keys that authorise.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$dir/rsa.key" 2>/dev/null
openssl pkey -in "$dir/rsa.key" -pubout -out "$dir/rsa.pub.pem"
refused "RSA admin key" b "rsa.pub.pem: not an EC P-256 or P-384 public key.*BAD_KEY" \
    wb install-key --admin "$dir/rsa.pub.pem"
refused "private key as admin key" b \
    "other.key: no PUBLIC KEY block \\(found PRIVATE KEY\\)" \
    wb install-key --admin "$dir/other.key"

# Lock before everything is in: says what is missing.
refused "lock incomplete" b \
    "^warden: lock: cannot lock: missing serial number, attestation key, attestation certificate, admin key, firmware key$" \
    wb lock

# Command-line mistakes: exit status 2, nothing sent.
cp "$dir/b/storage.bin" "$dir/before.bin"
run "bad serial" 2 wb set-serial "has space" &&
    expect "bad serial" err "bad serial number 'has space'"
run "bad subject" 2 wb csr --subject "/CN=x/XX=1" &&
    expect "bad subject" err "unknown attribute 'XX'"
run "bad curve" 2 wb keygen --curve p521 &&
    expect "bad curve" err "unknown curve"
run "install-key without a target" 2 wb install-key "$dir/b.pub.pem"
run "unknown option" 2 wb lock --attestation &&
    expect "unknown option" err "unknown option '--attestation'"
checks=$((checks + 1))
cmp -s "$dir/before.bin" "$dir/b/storage.bin" ||
    fail "a command-line mistake changed storage"

# Config files: checked whole before the companion hears anything.
conf="$dir/bad.conf"
printf 'serial = test-b\nsreial = typo\n' >"$conf"
refused "unknown config key" b "bad.conf:2: unknown key 'sreial'" \
    wb provision "$conf"
printf 'serial = test-b\nlock = yes\nroots = %s\n' "$pki/root.pem" >"$conf"
refused "lock without everything" b \
    "lock = yes, but subject, attestation_subject, admin_key, firmware_key are not given" \
    wb provision "$conf"
printf 'serial = test-b\nroots = %s\nroots = %s\n' "$pki/root.pem" \
    "$dir/big.pem" >"$conf"
refused "config with a big root" b \
    "big.pem:1: certificate of [0-9]+ bytes: the companion keeps at most 2048" \
    wb provision "$conf"
printf 'serial = test-b\nsubject = /CN=x\nsign_command = true\nchain = nowhere.pem\n' \
    >"$conf"
refused "config with a missing file" b "nowhere.pem: cannot open" \
    wb provision "$conf"
printf 'serial = test b\n' >"$conf"
refused "config with a bad serial" b "bad.conf:1: serial: 1 to 32" \
    wb provision "$conf"
printf 'subject = /CN=x/Q=1\nsign_command = true\n' >"$conf"
refused "config with a bad subject" b \
    "bad.conf:1: subject: unknown attribute 'Q'" wb provision "$conf"
run "provision --check" 0 "$warden" provision --check "$dev/provision.conf" &&
    expect "provision --check" out 'provision.conf: ok'

# A sign command that fails: stops before installing anything.
printf 'subject = /CN=x\nsign_command = exit 3\n' >"$conf"
run "failing sign_command" 1 wb provision "$conf" &&
    expect "failing sign_command" err 'sign_command failed for the device CSR \(exit status 3\)'

# ---- the same companion, provisioned with P-384 keys from a config ---

mkdir "$dir/b-files"
cat >"$dir/b-files/p384.conf" <<EOF
# P-384 keys this time; the paths are relative to this file.
serial = test-b
curve = p384
subject = CN=test-b,O=Warden Test
attestation_curve = p384
attestation_subject = /O=Warden Test/OU=Attestation/CN=test-b
sign_command = "$pki/sign.sh" "\$1" "\$2" "\$WARDEN_KIND"
chain = ../pki/intermediate.pem
roots = ../pki/root.pem
admin_key = ../pki/admin.pub.pem
firmware_key = ../pki/firmware.pub.pem
lock = yes
EOF
if run "provision p384" 0 wb provision "$dir/b-files/p384.conf"; then
    expect "provision p384" out '^device +key generated \(P-384\)$'
    expect "provision p384" out '^locked '
fi
run "openssl req -verify p384" 0 openssl req -verify -noout \
    -in "$dir/b-files/device.csr"
run "openssl req p384 text" 0 openssl req -noout -text \
    -in "$dir/b-files/device.csr" &&
    expect "p384 CSR" out 'ecdsa-with-SHA384' &&
    expect "p384 CSR" out 'NIST CURVE: P-384'
run "openssl verify p384 chain" 0 openssl verify -CAfile "$pki/root.pem" \
    -untrusted "$pki/intermediate.pem" "$dir/b-files/device.pem"
if run "status b" 0 wb status; then
    expect "status b" out '^lifecycle +operational$'
    expect "status b" out '^device key +P-384$'
    expect "status b" out '^roots +8 of 8$'
fi

for p in $pids; do
    checks=$((checks + 1))
    kill -0 "$p" 2>/dev/null || fail "a wardend died during the test"
done

wt_summary
