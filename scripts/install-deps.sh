#!/bin/sh
# Install (idempotently) everything needed to build, test and benchmark:
# the toolchain and libraries, and the reference tools the interop tests
# compare against (Debian's qemu-utils 7.2 and cryptsetup).
#
# Usage: scripts/install-deps.sh [GROUP...]
# Optional groups add packages for one purpose:
#   fuzz   clang with libFuzzer and the sanitizer runtimes (make fuzz)
#   bench  gnuplot for the plot of make bench
set -e

PKGS="gcc make meson ninja-build pkg-config python3 xxd bc openssl
libglib2.0-dev nettle-dev libssl-dev zlib1g-dev libzstd-dev libjansson-dev
python3-docutils
qemu-utils cryptsetup-bin strace"

for group in "$@"; do
    case "$group" in
        fuzz) PKGS="$PKGS clang libclang-rt-14-dev" ;;
        bench) PKGS="$PKGS gnuplot-nox" ;;
        *) echo "install-deps: unknown group '$group'" \
                "(known: fuzz, bench)" >&2
           exit 2 ;;
    esac
done

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done

if [ -n "$missing" ]; then
    echo "install-deps: installing:$missing"
    SUDO=""
    if [ "$(id -u)" != 0 ]; then
        SUDO=sudo
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        --no-install-recommends $missing
fi
