#!/usr/bin/env python3
# qcow2-poke.py: change L1, L2 and refcount entries of a qcow2 image for
# consistency-check tests (docs/interop/qcow2.txt, "Cluster mapping" and
# "Host cluster management").
#
# Usage: qcow2-poke.py IMAGE COMMAND...
#   l1 INDEX OP VALUE              change active L1 entry INDEX
#   l2 L1INDEX INDEX OP VALUE      change entry INDEX of the L2 table that
#                                  L1 entry L1INDEX points to
#   reftable INDEX OP VALUE        change a refcount table entry
#   refcount CLUSTER OP VALUE      change the refcount of host cluster
#   truncate BYTES                 cut (or extend) the file
# OP is '=' (set), '|' (set bits) or '&~' (clear bits).  Several commands
# may follow each other.  Values accept 0x prefixes.
import struct
import sys

OFFSET_MASK = 0x00fffffffffffe00
REFT_MASK = 0xfffffffffffffe00


def hdr(f, off, fmt):
    f.seek(off)
    return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]


def apply(old, op, value):
    if op == '=':
        return value
    if op == '|':
        return old | value
    if op == '&~':
        return old & ~value
    raise SystemExit('unknown op ' + op)


def poke64(f, off, op, value):
    old = hdr(f, off, '>Q')
    f.seek(off)
    f.write(struct.pack('>Q', apply(old, op, value) & (2 ** 64 - 1)))


def refcount_entry(f, cluster):
    """Return (byte offset, refcount_order) of the refcount of cluster."""
    cbits = hdr(f, 20, '>I')
    order = hdr(f, 96, '>I') if hdr(f, 4, '>I') >= 3 else 4
    per_block = (8 << cbits) >> order
    rt = hdr(f, 48, '>Q')
    block = hdr(f, rt + 8 * (cluster // per_block), '>Q') & REFT_MASK
    if not block:
        raise SystemExit('no refcount block for cluster %d' % cluster)
    if order < 3:
        raise SystemExit('sub-byte refcounts are not supported here')
    return block + (cluster % per_block) * (1 << order) // 8, order


def poke_refcount(f, cluster, op, value):
    off, order = refcount_entry(f, cluster)
    fmt = {3: '>B', 4: '>H', 5: '>I', 6: '>Q'}[order]
    old = hdr(f, off, fmt)
    f.seek(off)
    f.write(struct.pack(fmt, apply(old, op, value) &
                        ((1 << (1 << order)) - 1)))


def main():
    path, args = sys.argv[1], sys.argv[2:]
    with open(path, 'r+b') as f:
        l1 = hdr(f, 40, '>Q')
        while args:
            cmd = args.pop(0)
            if cmd == 'l1':
                idx, op, val = int(args[0], 0), args[1], int(args[2], 0)
                poke64(f, l1 + 8 * idx, op, val)
                args = args[3:]
            elif cmd == 'l2':
                i1, i2 = int(args[0], 0), int(args[1], 0)
                op, val = args[2], int(args[3], 0)
                l2 = hdr(f, l1 + 8 * i1, '>Q') & OFFSET_MASK
                poke64(f, l2 + 8 * i2, op, val)
                args = args[4:]
            elif cmd == 'reftable':
                idx, op, val = int(args[0], 0), args[1], int(args[2], 0)
                poke64(f, hdr(f, 48, '>Q') + 8 * idx, op, val)
                args = args[3:]
            elif cmd == 'refcount':
                cl, op, val = int(args[0], 0), args[1], int(args[2], 0)
                poke_refcount(f, cl, op, val)
                args = args[3:]
            elif cmd == 'truncate':
                f.truncate(int(args[0], 0))
                args = args[1:]
            else:
                raise SystemExit('unknown command ' + cmd)


main()
