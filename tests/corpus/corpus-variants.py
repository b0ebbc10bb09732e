#!/usr/bin/env python3
"""Derive corrupted variants of good images for run-corpus.sh.

Usage: corpus-variants.py BASEDIR OUTDIR

BASEDIR holds the good images made by make-corpus.sh, named after their
kind: luks-*.img (a LUKS1 volume) or qcow2-*.img (qcow2, the LUKS header
variants too when it is LUKS-encrypted).
For each, OUTDIR/<base>/<variant>.img is written (sparse) and listed in
OUTDIR/manifest, one line per variant:

    <base>/<variant>.img <TAB> <format> <TAB> <flags>

format is the driver name run-corpus.sh opens it with; flags are "-" or a
comma list of
    ok           the change is harmless: every command must succeed and
                 guest offset 0 must still read as 0xa5
    slow-unlock  unlocking would run more than SLOW_ITERS PBKDF2
                 iterations (up to 2^32-1 per slot: hours, in 7.2 and
                 cryptsetup too); only commands that do not unlock run

Field offsets follow the LUKS On-Disk Format Specification 1.2.3 (phdr
section 2.4) and the qcow2 specification (docs/interop/qcow2.txt of QEMU:
header, header extensions, L1/L2 and refcount tables).  Random flips use
a seed derived from the base name, so the corpus is the same every time.
"""

import os
import random
import struct
import sys
import zlib

U32_MAX = 0xFFFFFFFF
U64_MAX = 0xFFFFFFFFFFFFFFFF
BIG_ITERS = 1000000             # slow but finite: about a second of PBKDF2
SLOW_ITERS = 8 * BIG_ITERS      # more than this takes too long to unlock

# LUKS1 phdr (spec 2.4)
LUKS_MAGIC = b'LUKS\xba\xbe'
PHDR_LEN = 592
SLOT_BASE = 208
SLOT_LEN = 48
NUM_SLOTS = 8
SLOT_ENABLED = 0x00AC71F3
SLOT_DISABLED = 0x0000DEAD
STRIPES = 4000
SECTOR = 512

# qcow2 header (version 3) and extension magics
QCOW2_MAGIC = b'QFI\xfb'
EXT_FDE = 0x0537BE77
EXT_FEATURES = 0x6803F857
L1E_OFFSET_MASK = 0x00FFFFFFFFFFFE00
QCOW_OFLAG_COPIED = 1 << 63
QCOW_OFLAG_COMPRESSED = 1 << 62
QCOW_OFLAG_ZERO = 1


class Variants:
    """The variants of one base image, collected before writing."""

    def __init__(self, base, data, fmt):
        self.base = base
        self.data = bytes(data)
        self.fmt = fmt
        self.items = []
        self.names = set()
        self.prefix = ''            # prepended to the names of new variants
        self.luks_off = None        # where the LUKS phdr is, once known

    def add(self, name, data, *flags):
        name = self.prefix + name
        assert name not in self.names, name
        self.names.add(name)
        if self.luks_off is not None and \
                unlock_iters(data, self.luks_off) > SLOW_ITERS:
            flags = [f for f in flags if f != 'ok'] + ['slow-unlock']
        self.items.append((name, bytes(data), ','.join(flags) or '-'))

    def patch(self, name, offset, raw, *flags):
        """A copy of the base with @raw written at @offset."""
        data = bytearray(self.data)
        data[offset:offset + len(raw)] = raw
        self.add(name, data, *flags)


def u32(value):
    return struct.pack('>I', value & U32_MAX)


def u64(value):
    return struct.pack('>Q', value & U64_MAX)


def get_u32(data, offset):
    return struct.unpack_from('>I', data, offset)[0]


def get_u64(data, offset):
    return struct.unpack_from('>Q', data, offset)[0]


def cstr(text, size):
    """A NUL-padded field; text of exactly @size bytes has no NUL."""
    raw = text if isinstance(text, bytes) else text.encode()
    assert len(raw) <= size
    return raw + bytes(size - len(raw))


def write_sparse(path, data):
    """Write @data leaving all-zero 4 KiB blocks as holes."""
    zero = bytes(4096)
    with open(path, 'wb') as f:
        for offset in range(0, len(data), 4096):
            chunk = data[offset:offset + 4096]
            if chunk != zero[:len(chunk)]:
                f.seek(offset)
                f.write(chunk)
        f.truncate(len(data))


# ---------------------------------------------------------------- LUKS --

class Luks:
    """The decoded phdr of a LUKS1 header found at @off in @data."""

    def __init__(self, data, off):
        self.off = off
        self.payload = get_u32(data, off + 104)
        self.key_bytes = get_u32(data, off + 108)
        self.slots = []
        for i in range(NUM_SLOTS):
            base = off + SLOT_BASE + i * SLOT_LEN
            self.slots.append({
                'active': get_u32(data, base),
                'iters': get_u32(data, base + 4),
                'offset': get_u32(data, base + 40),
                'stripes': get_u32(data, base + 44),
            })
        material = -(-self.key_bytes * STRIPES // SECTOR)
        self.material_sectors = -(-material // 8) * 8
        self.slots_end = max(s['offset'] for s in self.slots) + \
            self.material_sectors

    def active(self):
        return [i for i, s in enumerate(self.slots)
                if s['active'] == SLOT_ENABLED]

    def slot_field(self, i, field):
        return self.off + SLOT_BASE + i * SLOT_LEN + field


def unlock_iters(data, off):
    """PBKDF2 iterations of a failed unlock of the phdr at @off: each
    active slot's, plus the master key digest's once per active slot."""
    if len(data) < off + PHDR_LEN or data[off:off + 6] != LUKS_MAGIC:
        return 0
    mk_iters = get_u32(data, off + 164)
    total = 0
    for i in range(NUM_SLOTS):
        base = off + SLOT_BASE + i * SLOT_LEN
        if get_u32(data, base) == SLOT_ENABLED:
            total += get_u32(data, base + 4) + mk_iters
    return total


def luks_phdr_variants(v, luks, file_sectors):
    """Every phdr field outside the keyslots."""
    o = luks.off
    v.patch('magic-zero', o, bytes(6))
    v.patch('magic-bad', o, b'LUKS\xba\xbf')
    v.patch('magic-ff', o, b'\xff' * 6)
    for value in (0, 2, 0xFFFF):
        v.patch('version-%d' % value, o + 6, struct.pack('>H', value))

    names = [('cipher-name', 8, ['A' * 32, 'blowfish', '', 'cast5',
                                 'des3_ede', 'a\nb'])]
    names.append(('cipher-mode', 40, [
        'x' * 32, 'unknown-plain64', 'xts', 'xts-', 'xts-essiv',
        'xts-essiv:nohash', 'cbc-essiv:sha1', 'ecb-plain', 'xts-plain64:',
        '-plain64', 'xts-essiv:sha512', 'xts-benbi', 'cbc-plain']))
    names.append(('hash-spec', 72, ['h' * 32, 'unknown', '', 'md5',
                                    'sha512', 'sha1']))
    for field, offset, values in names:
        for n, text in enumerate(values):
            v.patch('%s-%d' % (field, n), o + offset, cstr(text, 32))
    # Text after the NUL is ignored; a hash with plain64 is too.
    v.patch('cipher-name-trailing', o + 8, cstr(b'aes\0garbage', 32), 'ok')
    v.patch('cipher-mode-plain64-hash', o + 40,
            cstr('xts-plain64:sha256', 32), 'ok')

    payload = {'0': 0, '1': 1, '7': 7, '8': 8, 'huge': U32_MAX,
               'int-max': 0x7FFFFFFF, 'slots-end-minus-1': luks.slots_end - 1,
               'file-end': file_sectors, 'past-file-end': file_sectors + 1,
               'plus-1': luks.payload + 1}
    for name, value in payload.items():
        v.patch('payload-offset-' + name, o + 104, u32(value))

    key_bytes = {'0': 0, '1': 1, '16': 16, '24': 24, '31': 31, '33': 33,
                 'odd': luks.key_bytes - 1, 'double': luks.key_bytes * 2,
                 '64k': 0x10000, 'int-max': 0x7FFFFFFF, 'huge': U32_MAX}
    for name, value in key_bytes.items():
        if value != luks.key_bytes:
            v.patch('key-bytes-' + name, o + 108, u32(value))

    # One byte more, with the slots moved apart to fit: for XTS the odd
    # length still names a cipher, so only the cipher setup refuses it.
    data = bytearray(v.data)
    sectors = -(-(-(-(luks.key_bytes + 1) * STRIPES // SECTOR)) // 8) * 8
    data[o + 108:o + 112] = u32(luks.key_bytes + 1)
    data[o + 104:o + 108] = u32(8 + NUM_SLOTS * sectors)
    for i in range(NUM_SLOTS):
        data[luks.slot_field(i, 40):luks.slot_field(i, 44)] = \
            u32(8 + i * sectors)
    v.add('key-bytes-plus-1-respaced', data)

    v.patch('mk-digest-flip', o + 112, bytes([v.data[o + 112] ^ 0x80]))
    v.patch('mk-salt-flip', o + 132, bytes([v.data[o + 132] ^ 0x01]))
    v.patch('mk-iters-0', o + 164, u32(0))
    v.patch('mk-iters-1', o + 164, u32(1))
    v.patch('mk-iters-big', o + 164, u32(BIG_ITERS))
    v.patch('mk-iters-huge', o + 164, u32(U32_MAX))
    v.patch('uuid-no-nul', o + 168, b'a' * 40, 'ok')
    v.patch('uuid-garbage', o + 168,
            cstr(b'\xff\xfe"\\\x01\n\xc3\x28\xe2\x82\x80\x80', 40), 'ok')


def luks_slot_variants(v, luks, full_slots):
    """Each keyslot's fields; the slots in @full_slots get every value."""
    active = luks.active()
    for i, slot in enumerate(luks.slots):
        full = i in full_slots
        is_active = i in active
        # Unlocking still works when another active slot has the password.
        others_unlock = is_active and len(active) > 1
        p = 'slot%d-' % i
        a = luks.slot_field(i, 0)
        v.patch(p + 'active-0', a, u32(0))
        v.patch(p + 'active-huge', a, u32(U32_MAX))
        if full:
            toggled = SLOT_DISABLED if is_active else SLOT_ENABLED
            v.patch(p + 'active-toggle', a, u32(toggled),
                    *(['ok'] if others_unlock else []))
        it = luks.slot_field(i, 4)
        v.patch(p + 'iters-0', it, u32(0))
        v.patch(p + 'iters-huge', it, u32(U32_MAX))
        if full:
            v.patch(p + 'iters-1', it, u32(1))
            v.patch(p + 'iters-big', it, u32(BIG_ITERS))
        off = luks.slot_field(i, 40)
        other = luks.slots[(i + 1) % NUM_SLOTS]['offset']
        v.patch(p + 'offset-0', off, u32(0))
        v.patch(p + 'offset-huge', off, u32(U32_MAX))
        v.patch(p + 'offset-overlap', off, u32(other))
        if full:
            v.patch(p + 'offset-7', off, u32(7))
            v.patch(p + 'offset-payload', off, u32(luks.payload - 1))
            v.patch(p + 'offset-plus-1', off, u32(slot['offset'] + 1))
        st = luks.slot_field(i, 44)
        v.patch(p + 'stripes-0', st, u32(0))
        v.patch(p + 'stripes-huge', st, u32(U32_MAX))
        if full:
            for value in (1, STRIPES - 1, STRIPES + 1):
                v.patch(p + 'stripes-%d' % value, st, u32(value))
        if is_active:
            salt = luks.slot_field(i, 8)
            v.patch(p + 'salt-flip', salt, bytes([v.data[salt] ^ 0x40]),
                    *(['ok'] if others_unlock else []))
            material = slot['offset'] * SECTOR + luks.off + 1000
            v.patch(p + 'material-flip', material,
                    bytes([v.data[material] ^ 0x04]),
                    *(['ok'] if others_unlock else []))
    data = bytearray(v.data)
    for i in active:
        data[luks.slot_field(i, 0):luks.slot_field(i, 4)] = u32(SLOT_DISABLED)
    v.add('all-slots-disabled', data)


def truncations(v, offsets, ok_from):
    """Cut the file at each offset; from @ok_from on the data survives."""
    for offset in sorted(set(x for x in offsets if 0 <= x < len(v.data))):
        v.add('trunc-%d' % offset, v.data[:offset],
              *(['ok'] if offset >= ok_from else []))


def flips(v, label, start, end, count, max_bytes=8):
    """Seeded random byte flips within [start, end)."""
    rng = random.Random(zlib.crc32(('%s/%s' % (v.base, label)).encode()))
    end = min(end, len(v.data))
    for n in range(count):
        data = bytearray(v.data)
        for _ in range(rng.randint(1, max_bytes)):
            data[rng.randrange(start, end)] ^= rng.randint(1, 255)
        v.add('flip-%s-%02d' % (label, n), data)


def luks_variants(v, luks, full_slots, data_offset):
    """Everything of a LUKS header at luks.off; data at @data_offset."""
    luks_phdr_variants(v, luks, (len(v.data) - luks.off) // SECTOR)
    luks_slot_variants(v, luks, full_slots)
    o = luks.off
    flips(v, 'phdr', o, o + PHDR_LEN, 24)
    flips(v, 'header-area', o, o + luks.slots[0]['offset'] * SECTOR + 4096,
          6, max_bytes=3)
    return [o + x for x in (0, 1, 6, 8, 104, 208, 591, 592, 593, 4095, 4096,
                            4097)] + \
        [o + luks.slots[0]['offset'] * SECTOR + 1,
         o + (luks.slots[0]['offset'] + luks.material_sectors) * SECTOR - 1,
         o + luks.payload * SECTOR - 1, data_offset, data_offset + 511,
         data_offset + 4096, len(v.data) - 1]


def zero_inactive_material(data, luks):
    """Zero the header area outside the active keyslots' material.

    cryptsetup fills every keyslot area with random bytes; those of
    inactive slots mean nothing, and zeros keep the variants sparse.
    """
    data = bytearray(data)
    keep = sorted((luks.slots[i]['offset'] * SECTOR,
                   (luks.slots[i]['offset'] + luks.material_sectors) * SECTOR)
                  for i in luks.active())
    pos = luks.off + 4096
    for start, end in keep + [(luks.payload * SECTOR,) * 2]:
        data[pos:luks.off + start] = bytes(max(0, luks.off + start - pos))
        pos = max(pos, luks.off + end)
    return bytes(data)


def raw_luks(v):
    luks = Luks(v.data, 0)
    v.luks_off = 0
    v.data = zero_inactive_material(v.data, luks)
    v.add('good', v.data, 'ok')
    data_offset = luks.payload * SECTOR
    cuts = luks_variants(v, luks, {0, 1, 7}, data_offset)
    truncations(v, cuts + [data_offset + 512], data_offset + 4096)


# --------------------------------------------------------------- qcow2 --

class Qcow2:
    """The fields of a qcow2 header that the variants aim at."""

    def __init__(self, data):
        self.version = get_u32(data, 4)
        self.cluster_bits = get_u32(data, 20)
        self.cluster = 1 << self.cluster_bits
        self.size = get_u64(data, 24)
        self.l1_size = get_u32(data, 36)
        self.l1_offset = get_u64(data, 40)
        self.reftable_offset = get_u64(data, 48)
        self.header_length = get_u32(data, 100) if self.version >= 3 else 72
        self.exts = {}
        pos = self.header_length
        while pos + 8 <= self.cluster:
            magic, length = struct.unpack_from('>II', data, pos)
            if magic == 0:
                break
            self.exts[magic] = (pos, length)
            pos += 8 + (length + 7) // 8 * 8
        self.ext_end = pos          # where the end marker is
        self.luks_offset = None     # no encryption header
        if EXT_FDE in self.exts:
            self.luks_offset = get_u64(data, self.exts[EXT_FDE][0] + 8)
        self.l2_offset = get_u64(data, self.l1_offset) & L1E_OFFSET_MASK
        self.data_offset = get_u64(data, self.l2_offset) & L1E_OFFSET_MASK
        self.refblock_offset = get_u64(data, self.reftable_offset)


def qcow2_header_variants(v, q):
    """Every header field (spec: "Header" and "Header extensions")."""
    eof = len(v.data)
    fields = {
        'magic': (0, 4, [0, 0x514649FA]),
        'version': (4, 4, [0, 1, 2, 4, U32_MAX]),
        'backing-offset': (8, 8, [eof + 4096, 8, U64_MAX]),
        'cluster-bits': (20, 4, [0, 8, 9, 21, 22, 31, 63, U32_MAX]),
        'size': (24, 8, [0, 1, q.size + 1, 1 << 62, (1 << 63) - 1, U64_MAX]),
        'crypt-method': (32, 4, [0, 1, 3, U32_MAX]),
        'l1-size': (36, 4, [0, q.l1_size + 1, 0x2000000, 0x10000000,
                            U32_MAX]),
        'l1-offset': (40, 8, [0, q.l1_offset + 1, eof + q.cluster, 1 << 62,
                              U64_MAX, q.reftable_offset]),
        'reftable-offset': (48, 8, [0, q.reftable_offset + 8,
                                    eof + q.cluster, 1 << 62, U64_MAX]),
        'reftable-clusters': (56, 4, [0, 0x100000, 0x10000000, U32_MAX]),
        'nb-snapshots': (60, 4, [1, 65537, U32_MAX]),
        'snapshots-offset': (64, 8, [1, eof + q.cluster, U64_MAX]),
        'incompatible': (72, 8, [1, 2, 4, 8, 16, 32, 1 << 63]),
        'compatible': (80, 8, [1, 1 << 63]),
        'autoclear': (88, 8, [1, 2, 1 << 63]),
        'refcount-order': (96, 4, [0, 3, 6, 7, 255]),
        'header-length': (100, 4, [0, 71, 72, 103, 105, 4096, U32_MAX]),
    }
    for name, (offset, size, values) in fields.items():
        for value in dict.fromkeys(values):     # once each, in order
            raw = u32(value) if size == 4 else u64(value)
            v.patch('%s-%x' % (name, value), offset, raw)
    v.patch('backing-size-1024', 8, u64(q.cluster - 1024) + u32(1024))
    v.patch('backing-past-eof', 8, u64(eof - 4) + u32(100))
    v.patch('snapshots-table-past-eof', 60, u32(1) + u64(eof))
    for value in (1, 2, 255):
        v.patch('compression-type-%d' % value, 104, bytes([value]))
    # An unknown extension of almost 4 GiB in place of the end marker, its
    # length within a far backing name: its data must not be allocated
    # (for LUKS images qcow2.c once took 4 GiB for it).
    data = bytearray(v.data)
    data[8:16] = u64(1 << 34)
    data[q.ext_end:q.ext_end + 8] = u32(0x40379090) + u32(0xFFFFFFF0)
    v.add('unknown-ext-4g-backing-far', data)
    if EXT_FEATURES in q.exts:
        pos = q.exts[EXT_FEATURES][0]
        v.patch('features-ext-length-huge', pos + 4, u32(U32_MAX))
        v.patch('features-ext-length-odd', pos + 4, u32(47))


def qcow2_fde_variants(v, q):
    """The full disk encryption header pointer extension."""
    eof = len(v.data)
    fde = q.exts[EXT_FDE][0]
    for value in (0, 8, 17, U32_MAX):
        v.patch('fde-ext-length-%x' % value, fde + 4, u32(value))
    for value in (0, q.luks_offset + 512, eof + q.cluster, U64_MAX):
        v.patch('fde-offset-%x' % value, fde + 8, u64(value))
    for value in (0, 1, 591, U64_MAX):
        v.patch('fde-length-%x' % value, fde + 16, u64(value))
    v.patch('fde-ext-removed', fde, u32(0))
    v.patch('fde-ext-unknown-magic', fde, u32(0x12345678))


def qcow2_table_variants(v, q):
    """Table pointers: L1[0], L2[0], reftable[0], refcounts."""
    eof = len(v.data)
    copied = QCOW_OFLAG_COPIED
    # Pointing into another structure: the L1 table, or the LUKS area.
    other = (q.luks_offset or q.l1_offset) | copied
    entries = {
        'l1e0': (q.l1_offset, q.l2_offset, [
            0, q.l2_offset | copied | 1, q.l2_offset + 512 | copied,
            (eof + q.cluster) | copied, L1E_OFFSET_MASK | copied, copied,
            q.l1_offset | copied, other, q.l2_offset | copied | 0x1FE]),
        'l2e0': (q.l2_offset, q.data_offset, [
            0, QCOW_OFLAG_ZERO, q.data_offset | copied | QCOW_OFLAG_ZERO,
            q.data_offset + 512 | copied, (eof + q.cluster) | copied,
            L1E_OFFSET_MASK | copied, q.l2_offset | copied, other,
            QCOW_OFLAG_COMPRESSED | q.data_offset,
            QCOW_OFLAG_COMPRESSED | U64_MAX >> 2, q.data_offset | 0x100]),
        'reftable0': (q.reftable_offset, q.refblock_offset, [
            0, q.refblock_offset + 1, eof + q.cluster, U64_MAX,
            q.l1_offset]),
    }
    for name, (where, _, values) in entries.items():
        for value in dict.fromkeys(values):     # once each, in order
            v.patch('%s-%x' % (name, value), where, u64(value))
    for cluster, label in ((0, 'header'), (q.l1_offset, 'l1'),
                           (q.data_offset, 'data')):
        index = cluster // q.cluster
        pos = q.refblock_offset + 2 * index
        for value in (0, 2, 0xFFFF):
            v.patch('refcount-%s-%d' % (label, value), pos,
                    struct.pack('>H', value))


def qcow2_image(v):
    """A qcow2 image: header, tables, and its LUKS header if encrypted."""
    q = Qcow2(v.data)
    v.luks_off = q.luks_offset
    v.add('good', v.data, 'ok')
    qcow2_header_variants(v, q)
    qcow2_table_variants(v, q)
    flips(v, 'qcow2-header', 0, q.header_length + 128, 20)
    flips(v, 'tables', q.l1_offset, q.l1_offset + 8, 3)
    flips(v, 'l2', q.l2_offset, q.l2_offset + 16, 3)
    cuts = [1, 3, 4, 8, 20, 48, 71, 72, 100, 104, 112, q.cluster - 1,
            q.reftable_offset, q.refblock_offset, q.l1_offset, q.l2_offset,
            q.data_offset, q.data_offset + 512, len(v.data) - 1]
    if q.luks_offset is not None:
        qcow2_fde_variants(v, q)
        v.prefix = 'luks-'
        cuts += luks_variants(v, Luks(v.data, q.luks_offset), {0},
                              q.data_offset)
        v.prefix = ''
    truncations(v, cuts, q.data_offset + 4096)


# ---------------------------------------------------------------- main --

KINDS = {
    'luks': ('luks', raw_luks),
    'qcow2': ('qcow2', qcow2_image),
}


def main():
    basedir, outdir = sys.argv[1:3]
    os.makedirs(outdir, exist_ok=True)
    manifest = []
    for fname in sorted(os.listdir(basedir)):
        base = fname[:-len('.img')]
        fmt, derive = KINDS[base.split('-')[0]]
        with open(os.path.join(basedir, fname), 'rb') as f:
            v = Variants(base, f.read(), fmt)
        derive(v)
        os.makedirs(os.path.join(outdir, base), exist_ok=True)
        for name, data, flags in v.items:
            rel = '%s/%s.img' % (base, name)
            write_sparse(os.path.join(outdir, rel), data)
            manifest.append('%s\t%s\t%s\n' % (rel, fmt, flags))
        print('corpus-variants: %s: %d variants' % (base, len(v.items)))
    with open(os.path.join(outdir, 'manifest'), 'w') as f:
        f.writelines(manifest)


if __name__ == '__main__':
    main()
