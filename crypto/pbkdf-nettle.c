/*
 * PBKDF2 (RFC 8018 §5.2) through nettle's pbkdf2() and its HMAC functions.
 */
#include "qemu/osdep.h"

#include <nettle/hmac.h>
#include <nettle/pbkdf2.h>

#include "crypto/key.h"
#include "crypto/pbkdf.h"

typedef void PbkdfSetKeyFunc(void *ctx, size_t len, const uint8_t *key);

/* One HMAC from nettle: its functions and output size. */
typedef struct PbkdfHmac {
    PbkdfSetKeyFunc *set_key;
    nettle_hash_update_func *update;
    nettle_hash_digest_func *digest;
    size_t digest_size;
} PbkdfHmac;

/*
 * nettle's hmac_* functions take typed context pointers; pbkdf2() wants
 * them as void-pointer callbacks, and nettle's own PBKDF2() macro casts
 * them the same way.  md5 is included: Debian's qemu-img 7.2 (built with
 * gnutls) creates and opens LUKS volumes with hash-alg=md5.
 */
static const PbkdfHmac pbkdf_hmac[QCRYPTO_HASH_ALGO__MAX] = {
    [QCRYPTO_HASH_ALGO_MD5] = {
        (PbkdfSetKeyFunc *)hmac_md5_set_key,
        (nettle_hash_update_func *)hmac_md5_update,
        (nettle_hash_digest_func *)hmac_md5_digest,
        MD5_DIGEST_SIZE,
    },
    [QCRYPTO_HASH_ALGO_SHA1] = {
        (PbkdfSetKeyFunc *)hmac_sha1_set_key,
        (nettle_hash_update_func *)hmac_sha1_update,
        (nettle_hash_digest_func *)hmac_sha1_digest,
        SHA1_DIGEST_SIZE,
    },
    [QCRYPTO_HASH_ALGO_SHA224] = {
        (PbkdfSetKeyFunc *)hmac_sha224_set_key,
        (nettle_hash_update_func *)hmac_sha224_update,
        (nettle_hash_digest_func *)hmac_sha224_digest,
        SHA224_DIGEST_SIZE,
    },
    [QCRYPTO_HASH_ALGO_SHA256] = {
        (PbkdfSetKeyFunc *)hmac_sha256_set_key,
        (nettle_hash_update_func *)hmac_sha256_update,
        (nettle_hash_digest_func *)hmac_sha256_digest,
        SHA256_DIGEST_SIZE,
    },
    [QCRYPTO_HASH_ALGO_SHA384] = {
        (PbkdfSetKeyFunc *)hmac_sha384_set_key,
        (nettle_hash_update_func *)hmac_sha384_update,
        (nettle_hash_digest_func *)hmac_sha384_digest,
        SHA384_DIGEST_SIZE,
    },
    [QCRYPTO_HASH_ALGO_SHA512] = {
        (PbkdfSetKeyFunc *)hmac_sha512_set_key,
        (nettle_hash_update_func *)hmac_sha512_update,
        (nettle_hash_digest_func *)hmac_sha512_digest,
        SHA512_DIGEST_SIZE,
    },
    [QCRYPTO_HASH_ALGO_RIPEMD160] = {
        (PbkdfSetKeyFunc *)hmac_ripemd160_set_key,
        (nettle_hash_update_func *)hmac_ripemd160_update,
        (nettle_hash_digest_func *)hmac_ripemd160_digest,
        RIPEMD160_DIGEST_SIZE,
    },
};

/* Room for any HMAC context above (sha224 and sha384 share theirs with
 * sha256 and sha512). */
typedef union PbkdfHmacCtx {
    struct hmac_md5_ctx md5;
    struct hmac_sha1_ctx sha1;
    struct hmac_sha256_ctx sha256;
    struct hmac_sha512_ctx sha512;
    struct hmac_ripemd160_ctx ripemd160;
} PbkdfHmacCtx;

bool qcrypto_pbkdf2_supports(QCryptoHashAlgo hash)
{
    return (unsigned)hash < QCRYPTO_HASH_ALGO__MAX && pbkdf_hmac[hash].set_key;
}

int qcrypto_pbkdf2(QCryptoHashAlgo hash, const uint8_t *key, size_t nkey,
                   const uint8_t *salt, size_t nsalt, uint64_t iterations,
                   uint8_t *out, size_t nout, Error **errp)
{
    const PbkdfHmac *hmac;
    PbkdfHmacCtx ctx;

    assert((unsigned)hash < QCRYPTO_HASH_ALGO__MAX);
    assert(iterations >= 1);
    if (!qcrypto_pbkdf2_supports(hash)) {
        error_setg(errp, "PBKDF does not support hash algorithm %s",
                   qapi_enum_lookup(&QCryptoHashAlgo_lookup, hash));
        return -1;
    }
    /* nettle counts iterations in an unsigned int. */
    if (iterations > UINT_MAX) {
        error_setg(errp, "PBKDF iterations %" PRIu64 " must be at most %u",
                   iterations, UINT_MAX);
        return -1;
    }
    if (nout == 0) {
        return 0;
    }

    hmac = &pbkdf_hmac[hash];
    hmac->set_key(&ctx, nkey, key);
    pbkdf2(&ctx, hmac->update, hmac->digest, hmac->digest_size,
           (unsigned)iterations, nsalt, salt, nout, out);
    /* The context holds the password's inner and outer HMAC states. */
    qcrypto_memzero(&ctx, sizeof(ctx));
    return 0;
}
