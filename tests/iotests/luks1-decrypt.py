#!/usr/bin/env python3
# luks1-decrypt.py: independent decryption of a LUKS1 payload range, used by
# the iotests to check data written by the tools under test.
#
# Usage: luks1-decrypt.py IMAGE MASTER_KEY_HEX OFFSET LENGTH > plaintext
#
# Reads cipher name/mode, hash spec, payload offset and the master key
# digest from the LUKS1 header of IMAGE (LUKS1 on-disk format 1.2.3), checks
# the given master key against the digest (PBKDF2-HMAC), then decrypts the
# guest byte range [OFFSET, OFFSET+LENGTH) (512-byte sector aligned).
#
# Only AES is supported.  The block cipher itself is OpenSSL's
# (`openssl enc -aes-N-ecb -nopad`); the modes (XTS per IEEE 1619, CBC, CTR)
# and IV generators (plain, plain64, essiv:HASH) are composed here, with IV
# sector 0 = first payload sector, as dm-crypt does.

import hashlib
import struct
import subprocess
import sys

SECTOR = 512
BLOCK = 16


def die(msg):
    sys.stderr.write("luks1-decrypt: %s\n" % msg)
    sys.exit(1)


def cstr(raw):
    return raw.split(b"\0", 1)[0].decode("ascii")


def aes_ecb(key, data, decrypt):
    """Run AES-ECB over whole 16-byte blocks with the openssl CLI."""
    if not data:
        return b""
    cmd = ["openssl", "enc", "-aes-%d-ecb" % (len(key) * 8), "-nopad",
           "-K", key.hex()]
    if decrypt:
        cmd.insert(2, "-d")
    res = subprocess.run(cmd, input=data, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, check=False)
    if res.returncode != 0 or len(res.stdout) != len(data):
        die("openssl failed: %s" % res.stderr.decode(errors="replace"))
    return res.stdout


def xor(a, b):
    assert len(a) == len(b)
    n = int.from_bytes(a, "little") ^ int.from_bytes(b, "little")
    return n.to_bytes(len(a), "little")


def iv_plain(sector):
    return struct.pack("<I", sector & 0xffffffff) + bytes(BLOCK - 4)


def iv_plain64(sector):
    return struct.pack("<Q", sector) + bytes(BLOCK - 8)


def make_ivgen(ivgen, key):
    """Return a function mapping a list of sectors to their IVs."""
    if ivgen == "plain":
        return lambda sectors: [iv_plain(s) for s in sectors]
    if ivgen == "plain64":
        return lambda sectors: [iv_plain64(s) for s in sectors]
    if ivgen.startswith("plain64:") or ivgen.startswith("plain:"):
        base = ivgen.split(":", 1)[0]
        return make_ivgen(base, key)
    if ivgen.startswith("essiv:"):
        # ESSIV: encrypt the plain64 IV under a key that is the hash of
        # the master key (AES with the digest's size as key size).
        salt = hashlib.new(ivgen.split(":", 1)[1], key).digest()

        def essiv(sectors):
            out = aes_ecb(salt, b"".join(iv_plain64(s) for s in sectors),
                          False)
            return [out[i:i + BLOCK] for i in range(0, len(out), BLOCK)]
        return essiv
    die("unsupported IV generator %r" % ivgen)


def gf_double(t):
    """Multiply a 16-byte XTS tweak by alpha (little-endian convention)."""
    n = int.from_bytes(t, "little") << 1
    if n >> 128:
        n = (n & ((1 << 128) - 1)) ^ 0x87
    return n.to_bytes(16, "little")


def decrypt_xts(key, ivs, data):
    k1, k2 = key[:len(key) // 2], key[len(key) // 2:]
    tweaks = aes_ecb(k2, b"".join(ivs), False)
    masks = []
    for s in range(len(ivs)):
        t = tweaks[s * BLOCK:(s + 1) * BLOCK]
        for _ in range(SECTOR // BLOCK):
            masks.append(t)
            t = gf_double(t)
    mask = b"".join(masks)
    return xor(aes_ecb(k1, xor(data, mask), True), mask)


def decrypt_cbc(key, ivs, data):
    plain = aes_ecb(key, data, True)
    chain = []
    for s, iv in enumerate(ivs):
        sec = data[s * SECTOR:(s + 1) * SECTOR]
        chain.append(iv + sec[:-BLOCK])
    return xor(plain, b"".join(chain))


def decrypt_ctr(key, ivs, data):
    counters = []
    for iv in ivs:
        base = int.from_bytes(iv, "big")
        for j in range(SECTOR // BLOCK):
            counters.append(((base + j) % (1 << 128)).to_bytes(16, "big"))
    return xor(data, aes_ecb(key, b"".join(counters), False))


def main():
    if len(sys.argv) != 5:
        die("usage: luks1-decrypt.py IMAGE MASTER_KEY_HEX OFFSET LENGTH")
    image, key = sys.argv[1], bytes.fromhex(sys.argv[2])
    offset, length = int(sys.argv[3], 0), int(sys.argv[4], 0)
    if offset % SECTOR or length % SECTOR:
        die("offset and length must be multiples of 512")

    with open(image, "rb") as f:
        hdr = f.read(592)
        if hdr[:6] != b"LUKS\xba\xbe":
            die("not a LUKS volume")
        cipher, mode, hash_spec = (cstr(hdr[8:40]), cstr(hdr[40:72]),
                                   cstr(hdr[72:104]))
        payload, key_bytes = struct.unpack(">II", hdr[104:112])
        digest, salt = hdr[112:132], hdr[132:164]
        (mk_iters,) = struct.unpack(">I", hdr[164:168])
        if cipher != "aes":
            die("only aes is supported, not %r" % cipher)
        if len(key) != key_bytes:
            die("master key is %d bytes, header says %d" % (len(key),
                                                            key_bytes))
        check = hashlib.pbkdf2_hmac(hash_spec, key, salt, mk_iters, 20)
        if check != digest:
            die("master key does not match the header digest")
        f.seek(payload * SECTOR + offset)
        data = f.read(length)
        if len(data) != length:
            die("payload range beyond end of file")

    chain, _, ivgen = mode.partition("-")
    first = offset // SECTOR
    sectors = list(range(first, first + length // SECTOR))
    ivs = make_ivgen(ivgen, key)(sectors) if ivgen else None
    if chain == "xts":
        plain = decrypt_xts(key, ivs, data)
    elif chain == "cbc":
        plain = decrypt_cbc(key, ivs, data)
    elif chain == "ctr":
        plain = decrypt_ctr(key, ivs, data)
    else:
        die("unsupported cipher mode %r" % mode)
    sys.stdout.buffer.write(plain)


if __name__ == "__main__":
    main()
