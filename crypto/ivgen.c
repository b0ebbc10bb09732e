/*
 * Per-sector IV generators as dm-crypt and LUKS1 define them: plain,
 * plain64 and essiv (reference-facts §2.3).
 */
#include "qemu/osdep.h"

#include "crypto/cipherpriv.h"
#include "crypto/ivgen.h"
#include "crypto/key.h"
#include "qemu/bswap.h"

static const char *const ivgen_algo_names[QCRYPTO_IVGEN_ALGO__MAX] = {
    [QCRYPTO_IVGEN_ALGO_PLAIN] = "plain",
    [QCRYPTO_IVGEN_ALGO_PLAIN64] = "plain64",
    [QCRYPTO_IVGEN_ALGO_ESSIV] = "essiv",
};

const QEnumLookup QCryptoIVGenAlgo_lookup = {
    .array = ivgen_algo_names,
    .size = QCRYPTO_IVGEN_ALGO__MAX,
};

struct QCryptoIVGen {
    QCryptoIVGenAlgo alg;
    /* ESSIV only: ECB cipher keyed with hash(master key), shareable. */
    QCryptoCipher *essiv;
};

/* Returns: the length of @name's family part ("serpent" of "serpent-128",
 * all of "des" and "3des"). */
static size_t ivgen_family_len(const char *name)
{
    return strcspn(name, "-");
}

/*
 * ESSIV keys its IV cipher with the hash of the master key, so it needs
 * the member of the data cipher's family whose key is exactly one digest
 * long: aes-128-cbc-essiv:sha256 encrypts IVs with AES-256.  dm-crypt
 * defines it this way and QEMU and cryptsetup follow.
 * Returns: that algorithm, or -1 if the family has none.
 */
static int ivgen_essiv_algo(QCryptoCipherAlgo cipheralg, size_t keylen,
                            Error **errp)
{
    const char *name = qapi_enum_lookup(&QCryptoCipherAlgo_lookup, cipheralg);
    size_t famlen = ivgen_family_len(name);
    int alg;

    for (alg = 0; alg < QCRYPTO_CIPHER_ALGO__MAX; alg++) {
        const char *other = qapi_enum_lookup(&QCryptoCipherAlgo_lookup, alg);

        if (ivgen_family_len(other) == famlen &&
            strncmp(other, name, famlen) == 0 &&
            qcrypto_cipher_get_key_len(alg) == keylen) {
            return alg;
        }
    }
    error_setg(errp, "Cipher algorithm %s has no variant with a %zu-byte key "
               "for ESSIV", name, keylen);
    return -1;
}

/* Set up @ivgen's ESSIV cipher from the master key. */
static bool ivgen_essiv_init(QCryptoIVGen *ivgen, QCryptoCipherAlgo cipheralg,
                             QCryptoHashAlgo hash, const uint8_t *key,
                             size_t nkey, Error **errp)
{
    uint8_t salt[QCRYPTO_HASH_MAX_DIGEST_LEN];
    size_t nsalt;
    int alg;

    if (!qcrypto_hash_supports(hash)) {
        error_setg(errp, "Hash algorithm %s not supported",
                   qapi_enum_lookup(&QCryptoHashAlgo_lookup, hash));
        return false;
    }
    nsalt = qcrypto_hash_digest_len(hash);
    alg = ivgen_essiv_algo(cipheralg, nsalt, errp);
    if (alg < 0) {
        return false;
    }
    assert(key || nkey == 0);
    qcrypto_hash_bytes(hash, key, nkey, salt);
    /* Workers compute IVs concurrently from one generator. */
    ivgen->essiv = qcrypto_cipher_new_shareable(alg, QCRYPTO_CIPHER_MODE_ECB,
                                                salt, nsalt, errp);
    qcrypto_memzero(salt, sizeof(salt));
    return ivgen->essiv != NULL;
}

QCryptoIVGen *qcrypto_ivgen_new(QCryptoIVGenAlgo alg,
                                QCryptoCipherAlgo cipheralg,
                                QCryptoHashAlgo hash,
                                const uint8_t *key, size_t nkey,
                                Error **errp)
{
    g_autoptr(QCryptoIVGen) ivgen = g_new0(QCryptoIVGen, 1);

    assert((unsigned)alg < QCRYPTO_IVGEN_ALGO__MAX);
    assert((unsigned)cipheralg < QCRYPTO_CIPHER_ALGO__MAX);
    ivgen->alg = alg;
    if (alg == QCRYPTO_IVGEN_ALGO_ESSIV &&
        !ivgen_essiv_init(ivgen, cipheralg, hash, key, nkey, errp)) {
        return NULL;
    }
    return g_steal_pointer(&ivgen);
}

/* Store the low @nbytes bytes of @sector little-endian, zero padded to
 * @niv (or truncated to it). */
static void ivgen_store_le(uint64_t sector, size_t nbytes,
                           uint8_t *iv, size_t niv)
{
    uint8_t le[8];

    stq_le_p(le, sector);
    memset(iv, 0, niv);
    memcpy(iv, le, MIN(nbytes, niv));
}

void qcrypto_ivgen_calculate(QCryptoIVGen *ivgen, uint64_t sector,
                             uint8_t *iv, size_t niv)
{
    assert(ivgen);
    assert(iv || niv == 0);
    switch (ivgen->alg) {
    case QCRYPTO_IVGEN_ALGO_PLAIN:
        /* dm-crypt's original generator: sectors wrap at 2^32, which
         * existing images depend on (2 TiB and beyond repeat IVs). */
        ivgen_store_le(sector, 4, iv, niv);
        break;
    case QCRYPTO_IVGEN_ALGO_PLAIN64:
        ivgen_store_le(sector, 8, iv, niv);
        break;
    case QCRYPTO_IVGEN_ALGO_ESSIV:
        /* The IV cipher is of the data cipher's family: same block. */
        ivgen_store_le(sector, 8, iv, niv);
        qcrypto_cipher_encrypt(ivgen->essiv, NULL, iv, iv, niv);
        break;
    default:
        g_assert_not_reached();
    }
}

void qcrypto_ivgen_free(QCryptoIVGen *ivgen)
{
    if (!ivgen) {
        return;
    }
    qcrypto_cipher_free(ivgen->essiv);
    g_free(ivgen);
}
