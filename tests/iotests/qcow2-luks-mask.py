#!/usr/bin/env python3
"""qcow2-luks-mask.py IN OUT: copy a LUKS-encrypted qcow2 image with the
random parts of its LUKS header area zeroed (master key digest, salt and
iterations, UUID, active keyslots' iterations, salts and key material), so
that images made by two tools with the same options can be compared with
cmp.  Everything else (qcow2 metadata, header extensions, the LUKS phdr's
cipher names, offsets and stripes, inactive keyslots) is kept."""
import struct
import sys

FDE_MAGIC = 0x0537be77
LUKS_INLINE_MAGIC = 0x4c554b53


def luks_area(img):
    """Return (offset, length, key offsets absolute) of the LUKS header."""
    version = struct.unpack('>I', img[4:8])[0]
    cluster_bits = struct.unpack('>I', img[20:24])[0]
    if version >= 3:
        pos = struct.unpack('>I', img[100:104])[0]
    else:
        pos = 72
    end = 1 << cluster_bits
    while pos + 8 <= end:
        magic, length = struct.unpack('>II', img[pos:pos + 8])
        data = pos + 8
        if magic == 0:
            break
        if magic == FDE_MAGIC:
            off, ln = struct.unpack('>QQ', img[data:data + 16])
            return off, ln, False
        if magic == LUKS_INLINE_MAGIC:
            return data, length, True
        pos = data + (length + 7) // 8 * 8
    sys.exit('no LUKS header area')


def main():
    img = bytearray(open(sys.argv[1], 'rb').read())
    off, ln, absolute = luks_area(img)
    hdr = off
    key_bytes = struct.unpack('>I', img[hdr + 108:hdr + 112])[0]
    img[hdr + 112:hdr + 208] = bytes(96)      # digest, salt, iters, uuid
    slot_len = ((key_bytes * 4000 + 511) // 512 + 7) // 8 * 8 * 512
    for i in range(8):
        ks = hdr + 208 + 48 * i
        active, = struct.unpack('>I', img[ks:ks + 4])
        koff = struct.unpack('>I', img[ks + 40:ks + 44])[0] * 512
        if active != 0x00AC71F3:
            continue
        img[ks + 4:ks + 40] = bytes(36)       # iterations, salt
        base = 0 if absolute else hdr
        img[base + koff:base + koff + slot_len] = bytes(slot_len)
    open(sys.argv[2], 'wb').write(img)


main()
