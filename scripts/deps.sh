#!/bin/sh
# Installs the Debian 12 packages Warden needs to build and test, if any
# is missing. Sourced by run.sh and test.sh; safe to run on its own.
set -eu

WARDEN_PACKAGES="build-essential cmake libbearssl-dev libjansson-dev openssl libssl-dev gnutls-bin iproute2"

missing=""
for pkg in $WARDEN_PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
        grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done

if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    if [ "$(id -u)" -eq 0 ]; then
        as_root=""
    elif command -v sudo >/dev/null 2>&1; then
        as_root="sudo"
    else
        echo "deps: need root (or sudo) to install:$missing" >&2
        exit 1
    fi
    $as_root apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq $missing
fi
