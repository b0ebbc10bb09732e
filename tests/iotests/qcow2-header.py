#!/usr/bin/env python3
# qcow2-header.py: edit the header of a qcow2 image for corruption tests
# (docs/interop/qcow2.txt, "Header" and "Header extensions").
#
# Usage: qcow2-header.py IMAGE COMMAND...
#   set FIELD VALUE          set a header field (names as in the spec)
#   add-ext TYPE HEXDATA     add a header extension before the end marker
#   set-ext-len TYPE LEN     change the length field of an extension
#   del-ext TYPE             remove an extension (later ones move up)
#   feature ENTRY TYPE BIT   change type and bit of a feature table entry
# Several commands may follow each other.  Values accept 0x prefixes.
import struct
import sys

# name: (offset, struct format), "Header" section of the spec
FIELDS = {
    'magic': (0, '>I'),
    'version': (4, '>I'),
    'backing_file_offset': (8, '>Q'),
    'backing_file_size': (16, '>I'),
    'cluster_bits': (20, '>I'),
    'size': (24, '>Q'),
    'crypt_method': (32, '>I'),
    'l1_size': (36, '>I'),
    'l1_table_offset': (40, '>Q'),
    'refcount_table_offset': (48, '>Q'),
    'refcount_table_clusters': (56, '>I'),
    'nb_snapshots': (60, '>I'),
    'snapshots_offset': (64, '>Q'),
    'incompatible_features': (72, '>Q'),
    'compatible_features': (80, '>Q'),
    'autoclear_features': (88, '>Q'),
    'refcount_order': (96, '>I'),
    'header_length': (100, '>I'),
    'compression_type': (104, '>B'),
}

FEATURE_TABLE = 0x6803f857


def get(f, name):
    off, fmt = FIELDS[name]
    f.seek(off)
    return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]


def extensions(f):
    """Yield (offset, type, length) of each extension, then the end."""
    version = get(f, 'version')
    off = 72 if version < 3 else get(f, 'header_length')
    end = 1 << get(f, 'cluster_bits')
    while off + 8 <= end:
        f.seek(off)
        etype, elen = struct.unpack('>II', f.read(8))
        yield off, etype, elen
        if etype == 0:
            return
        off += 8 + ((elen + 7) & ~7)


def find_ext(f, etype):
    for off, t, length in extensions(f):
        if t == etype:
            return off, length
    sys.exit('no extension %#x' % etype)


def cmd_set(f, name, value):
    off, fmt = FIELDS[name]
    f.seek(off)
    f.write(struct.pack(fmt, int(value, 0)))


def cmd_add_ext(f, etype, hexdata):
    data = bytes.fromhex(hexdata)
    end = [off for off, t, _ in extensions(f) if t == 0][0]
    padded = data + b'\0' * (-len(data) % 8)
    f.seek(end)
    f.write(struct.pack('>II', int(etype, 0), len(data)) + padded +
            b'\0' * 8)


def cmd_set_ext_len(f, etype, length):
    off, _ = find_ext(f, int(etype, 0))
    f.seek(off + 4)
    f.write(struct.pack('>I', int(length, 0)))


def cmd_del_ext(f, etype):
    off, length = find_ext(f, int(etype, 0))
    end = [o for o, t, _ in extensions(f) if t == 0][0] + 8
    size = 8 + ((length + 7) & ~7)
    f.seek(off + size)
    rest = f.read(end - off - size)
    f.seek(off)
    f.write(rest + b'\0' * size)


def cmd_feature(f, entry, ftype, bit):
    off, _ = find_ext(f, FEATURE_TABLE)
    f.seek(off + 8 + 48 * int(entry))
    f.write(struct.pack('BB', int(ftype, 0), int(bit, 0)))


COMMANDS = {
    'set': (cmd_set, 2),
    'add-ext': (cmd_add_ext, 2),
    'set-ext-len': (cmd_set_ext_len, 2),
    'del-ext': (cmd_del_ext, 1),
    'feature': (cmd_feature, 3),
}


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__ or 'usage: qcow2-header.py IMAGE COMMAND...')
    with open(argv[1], 'r+b') as f:
        args = argv[2:]
        while args:
            func, nargs = COMMANDS[args[0]]
            func(f, *args[1:1 + nargs])
            args = args[1 + nargs:]


if __name__ == '__main__':
    main(sys.argv)
