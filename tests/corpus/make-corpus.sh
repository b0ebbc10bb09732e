#!/usr/bin/env bash
# Build the corruption corpus: good images made by the reference tools, and
# variants derived from them by corpus-variants.py (every LUKS1 phdr and
# keyslot field, qcow2 header fields and table pointers, truncations,
# seeded random byte flips).  run-corpus.sh runs the tools over it.
#
# Usage: tests/corpus/make-corpus.sh OUTDIR
#
# Bases (password "123456", secret id sec0 in run-corpus.sh):
#   luks-qemu        qemu-img create -f luks, defaults (aes-256-xts-plain64,
#                    sha256), iter-time=10, 64 KiB
#   luks-cryptsetup  cryptsetup luksFormat --type luks1, aes-xts-plain64
#                    256-bit, sha256, 1000 iterations, payload right after
#                    the keyslots; the password also in slot 1; 64 KiB
#   qcow2-luks       qemu-img create -f qcow2 -o encrypt.format=luks,
#                    iter-time=10, 4 KiB clusters, 1 MiB
#   qcow2-plain      qemu-img create -f qcow2, 4 KiB clusters, 1 MiB
# Each holds 4 KiB of 0xa5 at guest offset 0, written by the reference
# qemu-io.  They stay in OUTDIR/bases; the variants go to OUTDIR/<base>/,
# listed in OUTDIR/manifest (see corpus-variants.py).
# Environment: REF_QEMU_IMG, REF_QEMU_IO, CRYPTSETUP; a missing reference
# tool skips its bases, or fails under CI=true.
set -eu

out=${1:?usage: make-corpus.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
QEMU_IMG=${REF_QEMU_IMG:-/usr/bin/qemu-img}
QEMU_IO=${REF_QEMU_IO:-/usr/bin/qemu-io}
CRYPTSETUP=${CRYPTSETUP:-/usr/sbin/cryptsetup}
PASSWORD=123456
SECRET="--object secret,id=sec0,data=$PASSWORD"

# OUTDIR is replaced as a whole: refuse anything but an old corpus.
if [ -e "$out" ] && [ ! -f "$out/manifest" ] && [ -n "$(ls -A "$out")" ]; then
    echo "make-corpus: $out is not empty and holds no corpus" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out"
bases=$out/bases
mkdir -p "$bases"

missing()
{
    if [ "${CI:-}" = true ]; then
        echo "make-corpus: required tool missing under CI=true: $1" >&2
        exit 1
    fi
    echo "make-corpus: $1 missing, skipping its bases" >&2
}

# retry CMD...: see tests/ref-retry.sh.
. "$here/../ref-retry.sh"

# write_data DRIVER-OPTS: 4 KiB of 0xa5 at guest offset 0.
write_data()
{
    "$QEMU_IO" $SECRET --image-opts "$1" -c 'write -P 0xa5 0 4k' > /dev/null
}

if [ -x "$QEMU_IMG" ] && [ -x "$QEMU_IO" ]; then
    retry "$QEMU_IMG" create -f luks $SECRET \
        -o key-secret=sec0,iter-time=10 "$bases/luks-qemu.img" 64K
    write_data "driver=luks,file.filename=$bases/luks-qemu.img,key-secret=sec0"
    retry "$QEMU_IMG" create -f qcow2 $SECRET \
        -o encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=10 \
        -o cluster_size=4096 "$bases/qcow2-luks.img" 1M
    opts="driver=qcow2,file.filename=$bases/qcow2-luks.img"
    write_data "$opts,encrypt.key-secret=sec0"
    "$QEMU_IMG" create -q -f qcow2 -o cluster_size=4096 \
        "$bases/qcow2-plain.img" 1M
    write_data "driver=qcow2,file.filename=$bases/qcow2-plain.img"
else
    missing "$QEMU_IMG or $QEMU_IO"
fi

if [ -x "$CRYPTSETUP" ] && [ -x "$QEMU_IO" ]; then
    img=$bases/luks-cryptsetup.img
    # 8 header sectors + 8 slots of 250 sectors rounded to 256, + 64 KiB.
    truncate -s $(( (8 + 8 * 256) * 512 + 65536 )) "$img"
    printf '%s' "$PASSWORD" > "$work/pw"
    "$CRYPTSETUP" luksFormat --batch-mode --type luks1 \
        --cipher aes-xts-plain64 --key-size 256 --hash sha256 \
        --pbkdf-force-iterations 1000 --align-payload 8 \
        --key-file "$work/pw" "$img" > /dev/null
    "$CRYPTSETUP" luksAddKey --batch-mode --pbkdf-force-iterations 1000 \
        --key-file "$work/pw" "$img" "$work/pw" > /dev/null
    write_data "driver=luks,file.filename=$img,key-secret=sec0"
else
    missing "$CRYPTSETUP or $QEMU_IO"
fi

if [ -z "$(ls "$bases")" ]; then
    echo "make-corpus: no base image could be made" >&2
    exit 1
fi
python3 "$here/corpus-variants.py" "$bases" "$out"
echo "$PASSWORD" > "$out/password"
