#!/usr/bin/env python3
# qcow2-bitmap-edit.py: show and damage the persistent dirty bitmaps of a
# qcow2 image (docs/interop/qcow2.txt, "Bitmaps extension", "Bitmap
# directory", "Bitmap table").
#
# Usage: qcow2-bitmap-edit.py IMAGE COMMAND...
#   dump                        print the extension, each directory entry,
#                               its table and the set bits of its data
#   ext FIELD VALUE             set a field of the bitmaps extension:
#                               nb_bitmaps, reserved32,
#                               bitmap_directory_size,
#                               bitmap_directory_offset
#   entry N FIELD VALUE         set a field of directory entry N:
#                               bitmap_table_offset, bitmap_table_size,
#                               flags, type, granularity_bits, name_size,
#                               extra_data_size
#   table N INDEX VALUE         set entry INDEX of the table of entry N
# Several commands may follow each other.  Values accept 0x prefixes.
import struct
import sys

BITMAPS = 0x23852875
EXT_FIELDS = {
    'nb_bitmaps': (0, '>I'),
    'reserved32': (4, '>I'),
    'bitmap_directory_size': (8, '>Q'),
    'bitmap_directory_offset': (16, '>Q'),
}
ENTRY_FIELDS = {
    'bitmap_table_offset': (0, '>Q'),
    'bitmap_table_size': (8, '>I'),
    'flags': (12, '>I'),
    'type': (16, '>B'),
    'granularity_bits': (17, '>B'),
    'name_size': (18, '>H'),
    'extra_data_size': (20, '>I'),
}
OFFSET_MASK = 0x00fffffffffffe00


def rd(f, off, fmt):
    f.seek(off)
    return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]


def wr(f, off, fmt, value):
    f.seek(off)
    f.write(struct.pack(fmt, value))


def ext_offset(f):
    """Offset of the bitmaps extension data."""
    off = 72 if rd(f, 4, '>I') < 3 else rd(f, 100, '>I')
    while True:
        magic, length = rd(f, off, '>I'), rd(f, off + 4, '>I')
        if magic == 0:
            raise SystemExit('no bitmaps extension')
        if magic == BITMAPS:
            return off + 8
        off += 8 + (length + 7) // 8 * 8


def entries(f):
    """Offsets of the directory entries (as far as they can be walked)."""
    ext = ext_offset(f)
    size = rd(f, ext + 8, '>Q')
    start = rd(f, ext + 16, '>Q')
    pos, out = start, []
    while pos + 24 <= start + size:
        out.append(pos)
        extra = rd(f, pos + 20, '>I')
        name = rd(f, pos + 18, '>H')
        pos += (24 + extra + name + 7) // 8 * 8
    return out


def dump(f):
    cbits = rd(f, 20, '>I')
    ext = ext_offset(f)
    print('autoclear_features %d' % rd(f, 88, '>Q'))
    print('nb_bitmaps %d directory %#x size %d' % (
        rd(f, ext, '>I'), rd(f, ext + 16, '>Q'), rd(f, ext + 8, '>Q')))
    for e in entries(f):
        tab, tsize = rd(f, e, '>Q'), rd(f, e + 8, '>I')
        nsize, extra = rd(f, e + 18, '>H'), rd(f, e + 20, '>I')
        f.seek(e + 24 + extra)
        name = f.read(nsize).decode('utf-8', 'replace')
        print('  %s: table %#x size %d flags %#x type %d granularity_bits'
              ' %d' % (name, tab, tsize, rd(f, e + 12, '>I'),
                       rd(f, e + 16, '>B'), rd(f, e + 17, '>B')))
        for i in range(min(tsize, 64)):
            t = rd(f, tab + 8 * i, '>Q')
            if not t:
                continue
            data = t & OFFSET_MASK
            bits = []
            if data:
                f.seek(data)
                buf = f.read(1 << cbits)
                for j, b in enumerate(buf):
                    bits += [j * 8 + k for k in range(8) if b >> k & 1]
            shown = ' '.join(str(b) for b in bits[:16])
            more = ' ...' if len(bits) > 16 else ''
            print('    table[%d] %#x: %d bits set: %s%s' % (
                i, t, len(bits), shown, more))


def main():
    args = sys.argv[2:]
    with open(sys.argv[1], 'r+b') as f:
        while args:
            cmd = args.pop(0)
            if cmd == 'dump':
                dump(f)
            elif cmd == 'ext':
                off, fmt = EXT_FIELDS[args.pop(0)]
                wr(f, ext_offset(f) + off, fmt, int(args.pop(0), 0))
            elif cmd == 'entry':
                e = entries(f)[int(args.pop(0), 0)]
                off, fmt = ENTRY_FIELDS[args.pop(0)]
                wr(f, e + off, fmt, int(args.pop(0), 0))
            elif cmd == 'table':
                e = entries(f)[int(args.pop(0), 0)]
                idx = int(args.pop(0), 0)
                wr(f, rd(f, e, '>Q') + 8 * idx, '>Q', int(args.pop(0), 0))
            else:
                raise SystemExit('unknown command ' + cmd)


if __name__ == '__main__':
    main()
