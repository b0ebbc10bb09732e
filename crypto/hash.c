/*
 * Hash algorithm names and digest sizes, and the one-buffer digest helper;
 * the digests themselves are computed in hash-nettle.c.
 */
#include "qemu/osdep.h"

#include "crypto/hash.h"

static const char *const hash_algo_names[QCRYPTO_HASH_ALGO__MAX] = {
    [QCRYPTO_HASH_ALGO_MD5] = "md5",
    [QCRYPTO_HASH_ALGO_SHA1] = "sha1",
    [QCRYPTO_HASH_ALGO_SHA224] = "sha224",
    [QCRYPTO_HASH_ALGO_SHA256] = "sha256",
    [QCRYPTO_HASH_ALGO_SHA384] = "sha384",
    [QCRYPTO_HASH_ALGO_SHA512] = "sha512",
    [QCRYPTO_HASH_ALGO_RIPEMD160] = "ripemd160",
};

const QEnumLookup QCryptoHashAlgo_lookup = {
    .array = hash_algo_names,
    .size = QCRYPTO_HASH_ALGO__MAX,
};

static const size_t hash_digest_len[QCRYPTO_HASH_ALGO__MAX] = {
    [QCRYPTO_HASH_ALGO_MD5] = 16,
    [QCRYPTO_HASH_ALGO_SHA1] = 20,
    [QCRYPTO_HASH_ALGO_SHA224] = 28,
    [QCRYPTO_HASH_ALGO_SHA256] = 32,
    [QCRYPTO_HASH_ALGO_SHA384] = 48,
    [QCRYPTO_HASH_ALGO_SHA512] = 64,
    [QCRYPTO_HASH_ALGO_RIPEMD160] = 20,
};

size_t qcrypto_hash_digest_len(QCryptoHashAlgo alg)
{
    assert((unsigned)alg < QCRYPTO_HASH_ALGO__MAX);
    return hash_digest_len[alg];
}

void qcrypto_hash_bytes(QCryptoHashAlgo alg, const void *buf, size_t len,
                        uint8_t *out)
{
    /* iovec has no const variant; the data is only read. */
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

    qcrypto_hash_bytesv(alg, &iov, 1, out);
}
