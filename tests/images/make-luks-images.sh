#!/bin/sh
# Regenerate the LUKS and legacy-AES reference images used by
# tests/unit/test-crypto-block.c with the real reference tools:
# qemu-img/qemu-io (QEMU 7.2) and cryptsetup (2.x).
#
# Usage: tests/images/make-luks-images.sh [OUTDIR]   (default: this directory)
#
# Every image uses the password "123456" in keyslot 0; images with a
# second keyslot use "second" there.  Data is written with qemu-io at
# guest offsets 0 (512 bytes of 0xa5), 4096 (4096 bytes of 0x5a) and
# 65024 (1024 bytes of 0x3c), so the test can check known plaintext.
# Images are cut just after the written data and gzipped; the unwritten
# payload is plain zeros on disk and is not checked.
set -eu

QEMU_IMG=${QEMU_IMG:-/usr/bin/qemu-img}
QEMU_IO=${QEMU_IO:-/usr/bin/qemu-io}
CRYPTSETUP=${CRYPTSETUP:-/usr/sbin/cryptsetup}

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

secrets="--object secret,id=sec0,data=123456 --object secret,id=sec1,data=second"
# Bytes of payload kept after the payload offset (covers the written data).
keep=$((128 * 1024))

# retry COMMAND...: 7.2's PBKDF2 calibration sometimes fails with "Unable
# to get accurate CPU usage" (its CPU clock ticks too coarsely); retry.
retry() {
    n=0
    until "$@" 2>"$work/err"; do
        n=$((n + 1))
        if [ $n -ge 10 ] || ! grep -q 'accurate CPU usage' "$work/err"; then
            cat "$work/err" >&2
            return 1
        fi
    done
}

# payload_offset IMAGE: the payload offset in bytes (header bytes 104..107).
payload_offset() {
    echo $(( $(od -An -tu1 -j104 -N4 "$1" | awk '{print ($1*16777216)+($2*65536)+($3*256)+$4}') * 512 ))
}

# write_data IMAGE: write the known sectors through the luks driver.
write_data() {
    $QEMU_IO $secrets --image-opts \
        "driver=luks,file.filename=$1,key-secret=sec0" \
        -c 'write -P 0xa5 0 512' \
        -c 'write -P 0x5a 4096 4096' \
        -c 'write -P 0x3c 65024 1024' >/dev/null
}

# zero_unused IMAGE: zero the header area outside the active keyslots'
# material.  cryptsetup fills every keyslot area with random bytes; the
# inactive ones hold nothing and would only bloat the files.
zero_unused() {
    python3 - "$1" <<'PYEOF'
import struct, sys
f = open(sys.argv[1], 'r+b')
hdr = f.read(592)
payload = struct.unpack('>I', hdr[104:108])[0] * 512
key_bytes = struct.unpack('>I', hdr[108:112])[0]
keep = []
for i in range(8):
    active, _, offset, stripes = struct.unpack('>II32xII',
                                               hdr[208 + 48 * i:][:48])
    if active == 0x00AC71F3:
        size = -(-key_bytes * stripes // 512) * 512
        keep.append((offset * 512, offset * 512 + size))
pos = 4096
for start, end in sorted(keep) + [(payload, payload)]:
    f.seek(pos)
    f.write(bytes(start - pos))
    pos = end
PYEOF
}

# finish NAME: record qemu-img's info, cut and compress the image.
finish() {
    img=$work/$1.img
    zero_unused "$img"
    $QEMU_IMG info -f luks --output=json "$img" | python3 -c '
import json, sys
data = json.load(sys.stdin)["format-specific"]["data"]
print(json.dumps(data))' > "$out/$1.info.json"
    truncate -s $(( $(payload_offset "$img") + keep )) "$img"
    gzip -9 -n -c "$img" > "$out/$1.img.gz"
    echo "made $1"
}

# qemu_image NAME OPTIONS: a 1 MiB LUKS volume made by qemu-img.
qemu_image() {
    retry $QEMU_IMG create -q -f luks $secrets \
        -o "key-secret=sec0,iter-time=10${2:+,$2}" "$work/$1.img" 1M
    write_data "$work/$1.img"
}

# cryptsetup_image NAME CIPHER KEYBITS HASH: a 4 MiB LUKS1 volume.
cryptsetup_image() {
    truncate -s 4M "$work/$1.img"
    printf 123456 | $CRYPTSETUP luksFormat -q --type luks1 \
        --pbkdf-force-iterations 1000 --cipher "$2" --key-size "$3" \
        --hash "$4" --key-file - "$work/$1.img"
}

qemu_image luks-qemu-aes-256-xts-plain64 ""
finish luks-qemu-aes-256-xts-plain64

qemu_image luks-qemu-aes-128-cbc-essiv \
    "cipher-alg=aes-128,cipher-mode=cbc,ivgen-alg=essiv"
finish luks-qemu-aes-128-cbc-essiv

qemu_image luks-qemu-serpent-128-xts-plain64 \
    "cipher-alg=serpent-128,cipher-mode=xts,hash-alg=sha512"
finish luks-qemu-serpent-128-xts-plain64

qemu_image luks-qemu-twofish-128-cbc-plain \
    "cipher-alg=twofish-128,cipher-mode=cbc,ivgen-alg=plain,hash-alg=sha1"
finish luks-qemu-twofish-128-cbc-plain

qemu_image luks-qemu-aes-128-ctr-plain64 \
    "cipher-alg=aes-128,cipher-mode=ctr,hash-alg=ripemd160"
finish luks-qemu-aes-128-ctr-plain64

# Two keyslots: "123456" in slot 0 and "second" in slot 2.
qemu_image luks-qemu-cast5-128-cbc-plain64-2slots \
    "cipher-alg=cast5-128,cipher-mode=cbc"
retry $QEMU_IMG amend $secrets --image-opts \
    "driver=luks,file.filename=$work/luks-qemu-cast5-128-cbc-plain64-2slots.img,key-secret=sec0" \
    -o state=active,new-secret=sec1,keyslot=2,iter-time=10
finish luks-qemu-cast5-128-cbc-plain64-2slots

cryptsetup_image luks-cryptsetup-aes-xts-plain64 aes-xts-plain64 256 sha256
write_data "$work/luks-cryptsetup-aes-xts-plain64.img"
finish luks-cryptsetup-aes-xts-plain64

# A second keyslot (slot 1, "second") added by cryptsetup itself.  Only
# AES is used: without device-mapper, cryptsetup needs the kernel's
# AF_ALG ciphers for keyslots, and this kernel offers only AES.
cryptsetup_image luks-cryptsetup-aes-cbc-plain aes-cbc-plain 128 sha1
printf second > "$work/second.key"
printf 123456 | $CRYPTSETUP luksAddKey -q --pbkdf-force-iterations 1000 \
    --key-file - "$work/luks-cryptsetup-aes-cbc-plain.img" \
    "$work/second.key"
write_data "$work/luks-cryptsetup-aes-cbc-plain.img"
finish luks-cryptsetup-aes-cbc-plain

# aes-192-cbc: 96000 bytes of key material end mid-sector.  QEMU 7.2
# aborts on opening it for I/O, so it carries no data; only unlock and
# info are checked.
cryptsetup_image luks-cryptsetup-aes-192-cbc-essiv aes-cbc-essiv:sha256 \
    192 sha256
finish luks-cryptsetup-aes-192-cbc-essiv

# Legacy qcow2 AES (crypt_method 1): 1 KiB of 0x5a at guest 0x10000; keep
# the first 2 KiB of that guest cluster's host copy (the rest of the
# cluster is encrypted zeros written by copy-on-write).
$QEMU_IMG create -q -f qcow2 $secrets \
    -o encrypt.format=aes,encrypt.key-secret=sec0 "$work/aes.qcow2" 1M
$QEMU_IO $secrets --image-opts \
    "driver=qcow2,file.filename=$work/aes.qcow2,encrypt.key-secret=sec0" \
    -c 'write -P 0x5a 0x10000 1024' >/dev/null
python3 - "$work/aes.qcow2" "$work/qcow-aes-0x10000.bin" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
cluster_bits = struct.unpack('>I', d[20:24])[0]
l1_offset = struct.unpack('>Q', d[40:48])[0]
guest = 0x10000
l2_entries = 1 << (cluster_bits - 3)
l1_index = guest >> (cluster_bits + cluster_bits - 3)
l2_index = (guest >> cluster_bits) & (l2_entries - 1)
l2 = struct.unpack('>Q', d[l1_offset + 8 * l1_index:][:8])[0] & 0x00fffffffffffe00
host = struct.unpack('>Q', d[l2 + 8 * l2_index:][:8])[0] & 0x00fffffffffffe00
open(sys.argv[2], 'wb').write(d[host:host + 2048])
EOF
gzip -9 -n -c "$work/qcow-aes-0x10000.bin" > "$out/qcow-aes-0x10000.bin.gz"
echo "made qcow-aes-0x10000"

{
    $QEMU_IMG --version | head -1
    $CRYPTSETUP --version
} > "$out/TOOL-VERSIONS"
