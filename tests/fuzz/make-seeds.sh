#!/usr/bin/env bash
# Build the seed corpora of the fuzz targets from real images:
#   - the reference LUKS images in tests/images (qemu-img 7.2, cryptsetup),
#   - LUKS and qcow2 images made now with the reference qemu-img and
#     cryptsetup (qcow2 seeds wait for the qcow2 driver: fuzz-open probes
#     every format the block layer lists),
#   - `qemu-img info/check/map --output=json` of those images (fuzz-json),
#   - option strings from the iotests plus hand-picked edge cases
#     (fuzz-keyval).
# LUKS seeds are cut to what the parser reads: the 592-byte phdr, or the
# phdr plus the first keyslot's material (so the password, "123456" as in
# tests/images, unlocks it); only one seed keeps a few KiB of payload.
#
# Usage: tests/fuzz/make-seeds.sh OUTDIR
# Environment: REF_QEMU_IMG, REF_QEMU_IO, CRYPTSETUP (reference tools; a
# missing one skips its seeds, or fails under CI=true).
set -eu

out=${1:?usage: make-seeds.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
QEMU_IMG=${REF_QEMU_IMG:-/usr/bin/qemu-img}
QEMU_IO=${REF_QEMU_IO:-/usr/bin/qemu-io}
CRYPTSETUP=${CRYPTSETUP:-/usr/sbin/cryptsetup}
PASSWORD=123456
SECRET="--object secret,id=sec0,data=$PASSWORD"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out"
mkdir -p "$out/fuzz-luks-header" "$out/fuzz-open" "$out/fuzz-json" \
         "$out/fuzz-keyval"

missing()
{
    if [ "${CI:-}" = true ]; then
        echo "make-seeds: required tool missing under CI=true: $1" >&2
        exit 1
    fi
    echo "make-seeds: $1 missing, skipping its seeds" >&2
}

# be32 FILE OFFSET: big-endian u32 in decimal.
be32()
{
    od -A n -t u4 --endian=big -j "$2" -N 4 "$1" | tr -d ' '
}

# cut FILE BYTES DEST: the first BYTES bytes of FILE.
cut_file()
{
    head -c "$2" "$1" > "$3"
}

# luks_seeds IMAGE NAME: the phdr alone for both targets, and the phdr
# plus the first slot's material when it is small (keys up to 32 bytes).
luks_seeds()
{
    local img=$1 name=$2 key_bytes end
    cut_file "$img" 592 "$out/fuzz-luks-header/$name-phdr"
    cp "$out/fuzz-luks-header/$name-phdr" "$out/fuzz-open/$name-phdr"
    key_bytes=$(be32 "$img" 108)
    if [ "$key_bytes" -le 32 ]; then
        end=$(( $(be32 "$img" 248) * 512 + key_bytes * 4000 ))
        end=$(( (end + 511) / 512 * 512 ))
        cut_file "$img" "$end" "$out/fuzz-luks-header/$name-slot0"
        cp "$out/fuzz-luks-header/$name-slot0" "$out/fuzz-open/$name-slot0"
    fi
}

# retry CMD...: see tests/ref-retry.sh.
. "$here/../ref-retry.sh"

# json_seeds IMAGE NAME [IMAGE-OPTS]: the reference's JSON about IMAGE.
json_seeds()
{
    local img=$1 name=$2 sub
    for sub in info check map; do
        "$QEMU_IMG" "$sub" --output=json "$img" \
            > "$out/fuzz-json/$name-$sub.json" 2> /dev/null || true
        [ -s "$out/fuzz-json/$name-$sub.json" ] ||
            rm -f "$out/fuzz-json/$name-$sub.json"
    done
}

# ---------------------------------------------------------------- LUKS --

for gz in "$top"/tests/images/luks-*.img.gz; do
    name=$(basename "$gz" .img.gz)
    gzip -dc "$gz" > "$work/$name.img"
    luks_seeds "$work/$name.img" "$name"
    json_seeds "$work/$name.img" "$name"
done

if [ -x "$CRYPTSETUP" ]; then
    # A whole volume small enough to fuzz: 128-bit key, payload right
    # after the keyslots, 1000 iterations, 4 KiB of payload.
    img=$work/cs-small.img
    truncate -s $((1032 * 512 + 4096)) "$img"
    printf '%s' "$PASSWORD" > "$work/pw"
    "$CRYPTSETUP" luksFormat --batch-mode --type luks1 \
        --cipher aes-cbc-essiv:sha256 --key-size 128 --hash sha1 \
        --pbkdf-force-iterations 1000 --align-payload 8 \
        --key-file "$work/pw" "$img" > /dev/null 2>&1
    luks_seeds "$img" cryptsetup-aes-cbc-essiv-small
    cp "$img" "$out/fuzz-open/cryptsetup-aes-cbc-essiv-small-full"
else
    missing "$CRYPTSETUP"
fi

# --------------------------------------------------------------- qcow2 --

if [ -x "$QEMU_IMG" ] && [ -x "$QEMU_IO" ]; then
    q=$work/qcow2
    mkdir -p "$q"
    # write_pattern QEMU-IO-ARGS...: a few clusters of known data.
    write_pattern()
    {
        "$QEMU_IO" -c 'write -P 0xa5 0 4k' -c 'write -P 0x5a 32k 1k' \
            -c 'write -z 48k 4k' "$@" > /dev/null
    }
    "$QEMU_IMG" create -q -f qcow2 -o cluster_size=4096 "$q/v3.qcow2" 1M
    write_pattern "$q/v3.qcow2"
    "$QEMU_IMG" create -q -f qcow2 -o compat=0.10,cluster_size=512 \
        "$q/v2.qcow2" 256K
    write_pattern "$q/v2.qcow2"
    "$QEMU_IMG" create -q -f qcow2 -o cluster_size=16384,extended_l2=on \
        "$q/l2ext.qcow2" 1M
    write_pattern "$q/l2ext.qcow2"
    "$QEMU_IMG" create -q -f raw "$q/backing.raw" 1M
    "$QEMU_IMG" create -q -f qcow2 -o cluster_size=4096 -b backing.raw \
        -F raw "$q/overlay.qcow2"
    "$QEMU_IMG" convert -c -O qcow2 -o cluster_size=4096 "$q/v3.qcow2" \
        "$q/zlib.qcow2"
    "$QEMU_IMG" convert -c -O qcow2 \
        -o cluster_size=4096,compression_type=zstd "$q/v3.qcow2" \
        "$q/zstd.qcow2"
    cp "$q/v3.qcow2" "$q/snapshot.qcow2"
    "$QEMU_IMG" snapshot -c snap1 "$q/snapshot.qcow2"
    cp "$q/v3.qcow2" "$q/bitmap.qcow2"
    "$QEMU_IMG" bitmap --add "$q/bitmap.qcow2" bitmap0
    "$QEMU_IMG" create -q -f qcow2 $SECRET \
        -o encrypt.format=aes,encrypt.key-secret=sec0,cluster_size=4096 \
        "$q/aes.qcow2" 64K
    write_pattern $SECRET --image-opts \
        "driver=qcow2,file.filename=$q/aes.qcow2,encrypt.key-secret=sec0"
    retry "$QEMU_IMG" create -q -f qcow2 $SECRET \
        -o encrypt.format=luks,encrypt.key-secret=sec0,cluster_size=4096 \
        -o encrypt.cipher-alg=aes-128,encrypt.cipher-mode=cbc \
        -o encrypt.ivgen-alg=essiv,encrypt.iter-time=1 \
        "$q/luks.qcow2" 64K
    write_pattern $SECRET --image-opts \
        "driver=qcow2,file.filename=$q/luks.qcow2,encrypt.key-secret=sec0"
    for img in "$q"/*.qcow2; do
        name=qcow2-$(basename "$img" .qcow2)
        cp "$img" "$out/fuzz-open/$name"
        json_seeds "$img" "$name"
    done
    "$QEMU_IMG" measure --output=json -O qcow2 "$q/v3.qcow2" \
        > "$out/fuzz-json/measure.json"
else
    missing "$QEMU_IMG or $QEMU_IO"
fi
printf 'not an image\n' > "$out/fuzz-open/raw-text"
head -c 4096 /dev/zero > "$out/fuzz-open/raw-zeros"

# ---------------------------------------------------------------- JSON --

# One seed per line: json: file names and the corners of 7.2's parser.
i=0
while IFS= read -r line; do
    printf '%s' "$line" > "$out/fuzz-json/literal-$i.json"
    i=$((i + 1))
done <<'EOF'
{"driver": "luks", "file": {"driver": "file", "filename": "a.img"}, "key-secret": "sec0"}
{"driver": "qcow2", "encrypt": {"key-secret": "sec0", "format": "luks"}, "file": {"filename": "b.qcow2"}, "backing": null}
{'single': 'quoted \'string\'', "list": [1, -2, 3.5, -0, 1e308, 4.9e-324]}
[18446744073709551615, 9223372036854775808, -9223372036854775808, 1e400]
{"esc": "\u00e9\ud83d\ude00\b\f\n\r\t\"\\\/", "nul": "\u0001\u001f\u007f"}
{"a": {"b": {"c": [[], {}, [null, true, false]]}}, "a.b": 1}
{"a": 1, "a": 2}
[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
"just a string"
-12.5e-3
EOF

# -------------------------------------------------------------- keyval --

i=0
while IFS= read -r line; do
    printf '%s' "$line" > "$out/fuzz-keyval/literal-$i"
    i=$((i + 1))
done <<'EOF'
secret,id=sec0,data=123456
secret,id=sec1,data=MTIzNDU2,format=base64
secret,id=sec2,data=wkHMEuIvV0pVMSA2ztAS7g==,format=base64,keyid=sec0,iv=AAAAAAAAAAAAAAAAAAAAAA==
driver=luks,file.filename=a.img,key-secret=sec0
driver=qcow2,file.driver=file,file.filename=b.qcow2,encrypt.key-secret=sec0,backing.driver=raw
key-secret=sec0,cipher-alg=aes-128,cipher-mode=cbc,ivgen-alg=essiv,ivgen-hash-alg=sha256,hash-alg=sha1,iter-time=10
size=1G,preallocation=falloc,nocow
encrypt.format=luks,encrypt.key-secret=sec0,cluster_size=4k,compat=0.10,lazy_refcounts,refcount_bits=16
state=inactive,keyslot=1
state=active,new-secret=sec1,old-secret=sec0,iter-time=10,keyslot=7
help
size=?,a,,b=c,,d,=4k,nosize
a.0=x,a.1=y,a.b=z
size=18446744073709551615,iter-time=0x10,keyslot=-1
EOF
# Every -o and --object argument the iotests use.
grep -h -o -E -- "(-o|--object) +['\"]?[^ '\"]+" "$top"/tests/iotests/* \
    2> /dev/null | sed -E "s/^(-o|--object) +['\"]?//" | sort -u |
while IFS= read -r line; do
    printf '%s' "$line" > "$out/fuzz-keyval/iotests-$i"
    i=$((i + 1))
done

for t in "$out"/*; do
    echo "make-seeds: $(basename "$t"): $(ls "$t" | wc -l) seeds," \
         "$(du -sk "$t" | cut -f1) KiB"
done
