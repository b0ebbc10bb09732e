/*
 * Hash digests through nettle's generic hash descriptors.
 */
#include "qemu/osdep.h"

#include <nettle/md5.h>
#include <nettle/nettle-meta.h>
#include <nettle/ripemd160.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>

#include "crypto/hash.h"
#include "crypto/key.h"

static const struct nettle_hash *const hash_nettle_desc[] = {
    [QCRYPTO_HASH_ALGO_MD5] = &nettle_md5,
    [QCRYPTO_HASH_ALGO_SHA1] = &nettle_sha1,
    [QCRYPTO_HASH_ALGO_SHA224] = &nettle_sha224,
    [QCRYPTO_HASH_ALGO_SHA256] = &nettle_sha256,
    [QCRYPTO_HASH_ALGO_SHA384] = &nettle_sha384,
    [QCRYPTO_HASH_ALGO_SHA512] = &nettle_sha512,
    [QCRYPTO_HASH_ALGO_RIPEMD160] = &nettle_ripemd160,
};
G_STATIC_ASSERT(G_N_ELEMENTS(hash_nettle_desc) == QCRYPTO_HASH_ALGO__MAX);

/* Room for any context above, on the stack (sha224 and sha384 share the
 * sha256 and sha512 contexts). */
typedef union HashNettleCtx {
    struct md5_ctx md5;
    struct sha1_ctx sha1;
    struct sha256_ctx sha256;
    struct sha512_ctx sha512;
    struct ripemd160_ctx ripemd160;
} HashNettleCtx;

bool qcrypto_hash_supports(QCryptoHashAlgo alg)
{
    return (unsigned)alg < QCRYPTO_HASH_ALGO__MAX && hash_nettle_desc[alg];
}

void qcrypto_hash_bytesv(QCryptoHashAlgo alg, const struct iovec *iov,
                         size_t niov, uint8_t *out)
{
    const struct nettle_hash *desc;
    HashNettleCtx ctx;
    size_t i;

    assert(qcrypto_hash_supports(alg));
    desc = hash_nettle_desc[alg];
    assert(desc->context_size <= sizeof(ctx));
    assert(desc->digest_size == qcrypto_hash_digest_len(alg));

    desc->init(&ctx);
    for (i = 0; i < niov; i++) {
        desc->update(&ctx, iov[i].iov_len, iov[i].iov_base);
    }
    desc->digest(&ctx, desc->digest_size, out);
    /* The input may be key material (ESSIV, AF diffusion). */
    qcrypto_memzero(&ctx, sizeof(ctx));
}
