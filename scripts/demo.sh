#!/usr/bin/env bash
# demo.sh: a short tour of the tools (what `make demo` runs).
#
# Usage: scripts/demo.sh BUILD
#
# Creates a LUKS-encrypted qcow2 image with our qemu-img (passphrase from a
# temporary secret file), writes and reads it through our qemu-io, shows
# `qemu-img info` (no key needed), shows the data is encrypted on disk,
# checks that the reference tools (Debian's QEMU 7.2, if installed) read
# what we wrote and find the image clean, and that a wrong passphrase
# changes nothing.  Exits non-zero if any step fails.

set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD" >&2
    exit 2
fi
BUILD=$(cd "$1" 2> /dev/null && pwd -P) || {
    echo "demo: build directory '$1' not found (run 'make build')" >&2
    exit 1
}
QEMU_IMG="$BUILD/qemu-img"
QEMU_IO="$BUILD/qemu-io"
REF_QEMU_IO=${REF_QEMU_IO:-/usr/bin/qemu-io}
for tool in "$QEMU_IMG" "$QEMU_IO"; do
    if [ ! -x "$tool" ]; then
        echo "demo: $tool is missing (run 'make build')" >&2
        exit 1
    fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/qcrypt-demo.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1

step()
{
    echo
    echo "### $*"
}

# show ARGS...: print arguments, quoting those with spaces.
show()
{
    local a out=""
    for a in "$@"; do
        case "$a" in
            *[[:space:]]*) a="'$a'" ;;
        esac
        out="$out $a"
    done
    printf '%s\n' "${out# }"
}

# run LABEL CMD...: show the command (tool paths shortened) and run it.
run()
{
    local label=$1
    shift
    printf "\$ %s " "$label"
    show "${@:2}"
    "$@"
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "demo: '$label' failed with exit status $rc" >&2
        exit 1
    fi
}

SECRET="--object secret,id=sec0,file=passphrase.txt"
OPTS="driver=qcow2,file.filename=demo.qcow2,encrypt.key-secret=sec0"
REF_QEMU_IMG=${REF_QEMU_IMG:-/usr/bin/qemu-img}

step "A passphrase in a file (mode 0600, no trailing newline, as libvirt writes it)"
umask 077
printf '%s' 'correct horse battery staple' > passphrase.txt
ls -l passphrase.txt

step "Create a 64 MiB qcow2 image with LUKS encryption inside the format"
run qemu-img "$QEMU_IMG" create -f qcow2 $SECRET \
    -o encrypt.format=luks,encrypt.key-secret=sec0 demo.qcow2 64M
ls -l demo.qcow2

step "Write through the encryption layer with our qemu-io, then read it back"
run qemu-io "$QEMU_IO" $SECRET --image-opts "$OPTS" \
    -c 'write -P 0x5a 0 1M' -c 'write -P 0xa5 1M 4k' \
    -c 'read -P 0x5a 0 1M' -c 'read -P 0xa5 1M 4k' -c 'read -v 1048570 12'

step "qemu-img info: the qcow2 header stays in clear text, no passphrase needed"
run qemu-img "$QEMU_IMG" info demo.qcow2

step "On disk, guest data is ciphertext"
if LC_ALL=C grep -q -a -F "$(head -c 64 /dev/zero | tr '\000' 'Z')" demo.qcow2; then
    echo "demo: plaintext found in the image file!" >&2
    exit 1
fi
echo "(no run of plaintext 0x5a bytes anywhere in demo.qcow2)"

step "The reference tools (QEMU 7.2) read what we wrote and find the image consistent"
if [ -x "$REF_QEMU_IO" ] && [ -x "$REF_QEMU_IMG" ]; then
    run "$REF_QEMU_IO" "$REF_QEMU_IO" $SECRET --image-opts "$OPTS" \
        -c 'read -P 0x5a 0 1M' -c 'read -P 0xa5 1M 4k'
    run "$REF_QEMU_IMG" "$REF_QEMU_IMG" check $SECRET --image-opts "$OPTS"
else
    echo "(the reference tools are not installed; run 'make deps' to compare with QEMU)"
fi

step "A wrong passphrase is refused, and the image is left untouched"
printf '%s' 'not the passphrase' > wrong.txt
before=$(sha256sum demo.qcow2)
echo "\$ qemu-io --object secret,id=sec0,file=wrong.txt --image-opts $OPTS -c 'read 0 512'"
if "$QEMU_IO" --object secret,id=sec0,file=wrong.txt --image-opts "$OPTS" \
        -c 'read 0 512'; then
    echo "demo: the wrong passphrase was accepted!" >&2
    exit 1
fi
if [ "$before" != "$(sha256sum demo.qcow2)" ]; then
    echo "demo: the image changed after a wrong passphrase!" >&2
    exit 1
fi

step "Clean up"
rm -rf "$WORK"
echo "removed $WORK"
echo
echo "demo finished successfully"
