#!/bin/sh
# Secure boot and attestation end to end (issue 6): wardend measures the
# program that connects (its executable and the configuration it names),
# and the device key signs only for a program whose measurement the
# firmware-signing key signed. A copy of the warden tool with one byte
# changed after signing gets server authentication but no client
# certificate; the signed one gets both. `warden attest` tells a genuine
# companion, and refuses a CA that did not certify it.
#
#   boot_test.sh WARDEND WARDEN DEV_PKI

wardend=${1:?usage: boot_test.sh WARDEND WARDEN DEV_PKI}
warden=${2:?usage: boot_test.sh WARDEND WARDEN DEV_PKI}
devpki=${3:?usage: boot_test.sh WARDEND WARDEN DEV_PKI}
boot_config=$4 # test_boot_config, optional

me=boot_test
. "$(dirname "$0")/lib.sh"
wt_setup
wt_own_warden

wt_provision --serial boot-0001

# server NAME VERIFY: one openssl s_server connection, -rev; VERIFY is
# -Verify (certificate required) or -verify (asked for, optional).
server() {
    wt_start_server "$1" -tls1_3 -naccept 1 -rev -cert "$pki/server.pem" \
        -cert_chain "$pki/intermediate.pem" -key "$pki/server.key" \
        -CAfile "$pki/root.pem" "$2" 1
}

echo "reading=1" >"$dir/in"

# ---- the signed tool: verified, client certificate sent -----------------

server signed -Verify
run "signed" 0 sh -c "'$warden' --companion '$address' connect localhost \
$port <'$dir/in'" &&
    expect "signed" err '^  secure boot +verified \(version 1, measurement' &&
    expect "signed" err 'client certificate  sent' &&
    expect "signed" out '^1=gnidaer$'
wt_wait_server

# ---- one byte changed after signing: locked -------------------------------

mkdir "$dir/tampered"
cp "$warden" "$dir/tampered/warden"
cp "$warden.wsig" "$dir/tampered/warden.wsig"
# The last byte of the executable: changing it keeps the program running.
size=$(wc -c <"$dir/tampered/warden")
last=$(tail -c 1 "$dir/tampered/warden" | od -An -tu1 | tr -d ' ')
printf "\\$(printf '%03o' $(((last + 1) % 256)))" |
    dd of="$dir/tampered/warden" bs=1 seek=$((size - 1)) conv=notrunc \
        2>/dev/null
if cmp -s "$warden" "$dir/tampered/warden"; then
    fail "tampered: the copy was not changed"
fi

server tampered-required -Verify
run "tampered, certificate required" 1 sh -c "'$dir/tampered/warden' \
--companion '$address' connect localhost $port <'$dir/in'" &&
    expect "tampered, certificate required" err \
        'secure boot +not verified: BOOT: companion refused: host firmware not verified: signature does not match this host' &&
    expect "tampered, certificate required" err \
        'withheld: device key locked' &&
    expect "tampered, certificate required" err 'certificate_required alert'
wt_wait_server

server tampered-optional -verify
run "tampered, certificate optional" 0 sh -c "'$dir/tampered/warden' \
--companion '$address' connect localhost $port <'$dir/in'" &&
    expect "tampered, certificate optional" err \
        'client certificate  requested, withheld: device key locked' &&
    expect "tampered, certificate optional" out '^1=gnidaer$'
wt_wait_server

# ---- no signature file, a broken one, code injection ----------------------

mkdir "$dir/unsigned"
cp "$warden" "$dir/unsigned/warden"
server unsigned -verify
run "no signature file" 0 sh -c "'$dir/unsigned/warden' \
--companion '$address' connect localhost $port <'$dir/in'" &&
    expect "no signature file" err \
        "secure boot +not verified: no signature file .*unsigned/warden.wsig" &&
    expect "no signature file" err 'withheld: device key locked'
wt_wait_server

printf 'WSIG\001\000\000\000\001\377' >"$dir/unsigned/warden.wsig"
server broken-sig -verify
run "broken signature file" 0 sh -c "'$dir/unsigned/warden' \
--companion '$address' connect localhost $port <'$dir/in'" &&
    expect "broken signature file" err \
        "secure boot +not verified: firmware signature .*warden.wsig: 10 bytes, but its header says 255" &&
    expect "broken signature file" err 'withheld: device key locked'
wt_wait_server

# A signature file that is too long (a good header, then more), only a
# header, or a FIFO nobody writes to (which must not hang the tool).
{
    printf 'WSIG\001\000\000\000\001\110'
    head -c 5000 /dev/zero
} >"$dir/unsigned/warden.wsig"
server long-sig -verify
run "signature file too long" 0 sh -c "'$dir/unsigned/warden' \
--companion '$address' connect localhost $port <'$dir/in'" &&
    expect "signature file too long" err \
        "secure boot +not verified: firmware signature .*warden.wsig: over 114 bytes: not a firmware signature file" &&
    expect "signature file too long" err 'withheld: device key locked'
wt_wait_server

printf 'WSIG\001' >"$dir/unsigned/warden.wsig"
server short-sig -verify
run "signature file cut short" 0 sh -c "'$dir/unsigned/warden' \
--companion '$address' connect localhost $port <'$dir/in'" &&
    expect "signature file cut short" err \
        "secure boot +not verified: firmware signature .*warden.wsig: not a Warden firmware signature file" &&
    expect "signature file cut short" err 'withheld: device key locked'
wt_wait_server

rm -f "$dir/unsigned/warden.wsig"
mkfifo "$dir/unsigned/warden.wsig"
server fifo-sig -verify
run "signature file a FIFO" 0 timeout 60 sh -c "'$dir/unsigned/warden' \
--companion '$address' connect localhost $port <'$dir/in'" &&
    expect "signature file a FIFO" err \
        "secure boot +not verified: firmware signature .*warden.wsig: not a regular file" &&
    expect "signature file a FIFO" err 'withheld: device key locked'
wt_wait_server
rm -f "$dir/unsigned/warden.wsig"

# The signed tool, but started with the loader told where else to find
# code (LD_LIBRARY_PATH, like LD_PRELOAD and LD_AUDIT; a folder that does
# not exist, so that the program runs as always): not measured.
server injector -verify
run "LD_LIBRARY_PATH" 0 sh -c "LD_LIBRARY_PATH=/nonexistent '$warden' \
--companion '$address' connect localhost $port <'$dir/in'" &&
    expect "LD_LIBRARY_PATH" err \
        'secure boot +not verified: BOOT: companion refused: host firmware could not be measured' &&
    expect "LD_LIBRARY_PATH" err 'withheld: device key locked'
wt_wait_server
expect "LD_LIBRARY_PATH, wardend's log" state.log \
    'cannot measure pid [0-9]+: process [0-9]+ was started with LD_LIBRARY_PATH set'

# The same injector behind a long environment: wardend once read only the
# first 8 KB of /proc/PID/environ, so a variable past that was not seen.
pad=$(head -c 20000 /dev/zero | tr '\0' 'x')
server injector-late -verify
run "LD_LIBRARY_PATH after 20 KB" 0 env -i "PAD=$pad" \
    LD_LIBRARY_PATH=/nonexistent "$warden" --companion "$address" connect \
    localhost "$port" <"$dir/in" &&
    expect "LD_LIBRARY_PATH after 20 KB" err \
        'secure boot +not verified: BOOT: companion refused: host firmware could not be measured' &&
    expect "LD_LIBRARY_PATH after 20 KB" err 'withheld: device key locked'
wt_wait_server
unset pad

# ---- sign-firmware: bad input ---------------------------------------------

run "sign-firmware, not a key" 1 "$warden" sign-firmware "$pki/root.pem" 1 \
    "$dir/unsigned/warden" &&
    expect "sign-firmware, not a key" err 'root.pem'
run "sign-firmware, bad version" 2 "$warden" sign-firmware \
    "$pki/firmware.key" 1x "$dir/unsigned/warden" &&
    expect "sign-firmware, bad version" err 'VERSION must be a number'
run "sign-firmware, missing binary" 1 "$warden" sign-firmware \
    "$pki/firmware.key" 1 "$dir/nothing" &&
    expect "sign-firmware, missing binary" err 'nothing'

# A write that fails (here: the file size limit, which a pipe is not
# held to, so the message still gets out) leaves the file that was there
# as it was: once it was cut to nothing.
echo "earlier signature" >"$dir/keep.wsig"
sh -c "trap '' XFSZ; ulimit -f 0; '$warden' sign-firmware --out \
'$dir/keep.wsig' '$pki/firmware.key' 1 '$dir/unsigned/warden' \
|| echo \"exit status \$?\" >&2" 2>&1 | cat >"$dir/xfsz.err"
expect "sign-firmware, write fails" xfsz.err 'keep.wsig: cannot write'
expect "sign-firmware, write fails: its status" xfsz.err '^exit status 1$'
expect "sign-firmware, write fails: file kept" keep.wsig '^earlier signature$'
if ls "$dir"/keep.wsig?* >/dev/null 2>&1; then
    fail "sign-firmware, write fails: a temporary file was left behind"
fi
# What is not a file is written into, never replaced.
run "sign-firmware to /dev/full" 1 "$warden" sign-firmware --out /dev/full \
    "$pki/firmware.key" 1 "$dir/unsigned/warden" &&
    expect "sign-firmware to /dev/full" err '/dev/full: cannot write'
[ -c /dev/full ] || fail "sign-firmware to /dev/full: it is no longer a device"

# ---- attestation -----------------------------------------------------------

run "attest" 0 "$warden" --companion "$address" attest "$pki/root.pem" \
    "$pki/intermediate.pem" &&
    expect "attest" out '^genuine' &&
    expect "attest" out 'serial +boot-0001' &&
    expect "attest" out 'secure boot +verified' &&
    expect "attest" out 'host firmware +version 1'
run "attest, unsigned program" 0 "$dir/tampered/warden" --companion \
    "$address" attest "$pki/root.pem" "$pki/intermediate.pem" &&
    expect "attest, unsigned program" out 'secure boot +refused'
# Another PKI's CA did not certify this companion.
sh "$devpki" "$dir/other-pki" >/dev/null 2>&1 ||
    fail "could not make a second PKI"
run "attest, other CA" 1 "$warden" --companion "$address" attest \
    "$dir/other-pki/root.pem" "$dir/other-pki/intermediate.pem" &&
    expect "attest, other CA" err 'NOT GENUINE: the attestation certificate does not chain'

# ---- a configuration file measured with the program ----------------------

if [ -n "$boot_config" ]; then
    mkdir "$dir/config"
    run "configuration" 0 "$boot_config" "$address" "$pki/firmware.key" \
        "$dir/config" &&
        expect "configuration" out 'test_boot_config: [0-9]+ passed, 0 failed'
    expect "configuration, wardend's log" state.log \
        'cannot measure pid [0-9]+: configuration missing.conf: No such file'
    expect "configuration, a FIFO, wardend's log" state.log \
        'cannot measure pid [0-9]+: the configuration is not a regular file'
    expect "configuration, /proc, wardend's log" state.log \
        'cannot measure pid [0-9]+: the configuration is in /proc, /sys or a like file system'
    expect "configuration, over 16 MB, wardend's log" state.log \
        'cannot measure pid [0-9]+: the configuration is over 16777216 bytes'
    expect "control bytes in a name, wardend's log" state.log \
        'configuration evil\\x0awardend: forged line\\x1b\[2J\.conf: No such file'
    if grep -q '^wardend: forged line' "$dir/state.log"; then
        fail "control bytes in a name: wardend's log has a forged line"
    fi
    if grep -q "$(printf '\033')" "$dir/state.log"; then
        fail "control bytes in a name: wardend's log has an ESC byte"
    fi
    expect "a traced thread, wardend's log" state.log \
        'cannot measure pid [0-9]+: process [0-9]+ is being traced \(thread [0-9]+, by [0-9]+\)'
    expect "exec after connect, wardend's log" state.log \
        "cannot measure pid [0-9]+: process [0-9]+ runs another program than when it connected"
fi

kill -0 "$wardend_pid" 2>/dev/null || fail "wardend stopped"
wt_summary
