/*
 * LUKS1 anti-forensic information splitter (LUKS on-disk format 1.2.3,
 * §2.4 "AF-Splitter"; reference-facts §2.3).
 */
#include "qemu/osdep.h"

#include "crypto/afsplit.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"

/* dst ^= src over @len bytes. */
static void afsplit_xor(uint8_t *dst, const uint8_t *src, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        dst[i] ^= src[i];
    }
}

/*
 * The LUKS diffusion function: cut @block into digest-sized pieces (the
 * last one possibly shorter) and replace piece j by the first bytes of
 * hash(be32(j) || piece).
 */
static void afsplit_diffuse(QCryptoHashAlgo hash, uint8_t *block,
                            size_t blocklen)
{
    size_t digestlen = qcrypto_hash_digest_len(hash);
    uint8_t digest[QCRYPTO_HASH_MAX_DIGEST_LEN];
    uint8_t counter[4];
    size_t offset;
    uint32_t j = 0;

    for (offset = 0; offset < blocklen; offset += digestlen, j++) {
        size_t piece = MIN(digestlen, blocklen - offset);
        struct iovec iov[2] = {
            { .iov_base = counter, .iov_len = sizeof(counter) },
            { .iov_base = block + offset, .iov_len = piece },
        };

        stl_be_p(counter, j);
        qcrypto_hash_bytesv(hash, iov, G_N_ELEMENTS(iov), digest);
        memcpy(block + offset, digest, piece);
    }
    qcrypto_memzero(digest, sizeof(digest));
}

/* Fold all stripes but the last into @block: d = H(d ^ s) from d = 0. */
static void afsplit_fold(QCryptoHashAlgo hash, size_t blocklen,
                         uint32_t stripes, const uint8_t *material,
                         uint8_t *block)
{
    uint32_t i;

    memset(block, 0, blocklen);
    for (i = 0; i + 1 < stripes; i++) {
        afsplit_xor(block, material + (size_t)i * blocklen, blocklen);
        afsplit_diffuse(hash, block, blocklen);
    }
}

/* Assert the arguments both directions share. */
static void afsplit_check_args(QCryptoHashAlgo hash, size_t blocklen,
                               uint32_t stripes)
{
    size_t total;

    assert(qcrypto_hash_supports(hash));
    assert(stripes >= 1);
    assert(!qemu_mul_overflow_size(blocklen, stripes, &total));
}

int qcrypto_afsplit_encode(QCryptoHashAlgo hash, size_t blocklen,
                           uint32_t stripes, const uint8_t *in,
                           uint8_t *out, Error **errp)
{
    g_autoptr(QCryptoKey) block = qcrypto_key_new(blocklen);
    size_t random_len;
    uint8_t *last;

    afsplit_check_args(hash, blocklen, stripes);
    /* All stripes but the last are random. */
    random_len = (size_t)(stripes - 1) * blocklen;
    last = out + random_len;
    if (qcrypto_random_bytes(out, random_len, errp) < 0) {
        return -1;
    }
    afsplit_fold(hash, blocklen, stripes, out, block->data);
    /* The last stripe makes the fold come out as the key. */
    memcpy(last, in, blocklen);
    afsplit_xor(last, block->data, blocklen);
    return 0;
}

void qcrypto_afsplit_decode(QCryptoHashAlgo hash, size_t blocklen,
                            uint32_t stripes, const uint8_t *in,
                            uint8_t *out)
{
    g_autoptr(QCryptoKey) block = qcrypto_key_new(blocklen);

    afsplit_check_args(hash, blocklen, stripes);
    afsplit_fold(hash, blocklen, stripes, in, block->data);
    memcpy(out, in + (size_t)(stripes - 1) * blocklen, blocklen);
    afsplit_xor(out, block->data, blocklen);
}
