/*
 * Cipher algorithm and mode names, key/block/IV sizes, argument checks and
 * dispatch to the libcrypto and nettle backends.
 */
#include "qemu/osdep.h"

#include "crypto/cipher.h"
#include "crypto/cipherpriv.h"

static const char *const cipher_algo_names[QCRYPTO_CIPHER_ALGO__MAX] = {
    [QCRYPTO_CIPHER_ALGO_AES_128] = "aes-128",
    [QCRYPTO_CIPHER_ALGO_AES_192] = "aes-192",
    [QCRYPTO_CIPHER_ALGO_AES_256] = "aes-256",
    [QCRYPTO_CIPHER_ALGO_DES] = "des",
    [QCRYPTO_CIPHER_ALGO_3DES] = "3des",
    [QCRYPTO_CIPHER_ALGO_CAST5_128] = "cast5-128",
    [QCRYPTO_CIPHER_ALGO_SERPENT_128] = "serpent-128",
    [QCRYPTO_CIPHER_ALGO_SERPENT_192] = "serpent-192",
    [QCRYPTO_CIPHER_ALGO_SERPENT_256] = "serpent-256",
    [QCRYPTO_CIPHER_ALGO_TWOFISH_128] = "twofish-128",
    [QCRYPTO_CIPHER_ALGO_TWOFISH_192] = "twofish-192",
    [QCRYPTO_CIPHER_ALGO_TWOFISH_256] = "twofish-256",
};

const QEnumLookup QCryptoCipherAlgo_lookup = {
    .array = cipher_algo_names,
    .size = QCRYPTO_CIPHER_ALGO__MAX,
};

static const char *const cipher_mode_names[QCRYPTO_CIPHER_MODE__MAX] = {
    [QCRYPTO_CIPHER_MODE_ECB] = "ecb",
    [QCRYPTO_CIPHER_MODE_CBC] = "cbc",
    [QCRYPTO_CIPHER_MODE_XTS] = "xts",
    [QCRYPTO_CIPHER_MODE_CTR] = "ctr",
};

const QEnumLookup QCryptoCipherMode_lookup = {
    .array = cipher_mode_names,
    .size = QCRYPTO_CIPHER_MODE__MAX,
};

typedef struct CipherAlgoInfo {
    size_t key_len;     /* bytes of one key */
    size_t block_len;   /* bytes per block */
} CipherAlgoInfo;

static const CipherAlgoInfo cipher_algo_info[QCRYPTO_CIPHER_ALGO__MAX] = {
    [QCRYPTO_CIPHER_ALGO_AES_128] = { 16, 16 },
    [QCRYPTO_CIPHER_ALGO_AES_192] = { 24, 16 },
    [QCRYPTO_CIPHER_ALGO_AES_256] = { 32, 16 },
    [QCRYPTO_CIPHER_ALGO_DES] = { 8, 8 },
    [QCRYPTO_CIPHER_ALGO_3DES] = { 24, 8 },
    [QCRYPTO_CIPHER_ALGO_CAST5_128] = { 16, 8 },
    [QCRYPTO_CIPHER_ALGO_SERPENT_128] = { 16, 16 },
    [QCRYPTO_CIPHER_ALGO_SERPENT_192] = { 24, 16 },
    [QCRYPTO_CIPHER_ALGO_SERPENT_256] = { 32, 16 },
    [QCRYPTO_CIPHER_ALGO_TWOFISH_128] = { 16, 16 },
    [QCRYPTO_CIPHER_ALGO_TWOFISH_192] = { 24, 16 },
    [QCRYPTO_CIPHER_ALGO_TWOFISH_256] = { 32, 16 },
};

/* Tried in order: the first one that fits the algorithm, mode and key. */
static const QCryptoCipherDriver *const cipher_drivers[] = {
    &qcrypto_cipher_driver_openssl,
    &qcrypto_cipher_driver_nettle,
};

/* Whether @driver can key @alg in @mode with @key. */
static bool cipher_driver_fits(const QCryptoCipherDriver *driver,
                               QCryptoCipherAlgo alg, QCryptoCipherMode mode,
                               const uint8_t *key, size_t nkey)
{
    return driver->supports(alg, mode) &&
           (!driver->accepts_key ||
            driver->accepts_key(alg, mode, key, nkey));
}

bool qcrypto_cipher_supports(QCryptoCipherAlgo alg, QCryptoCipherMode mode)
{
    size_t i;

    if ((unsigned)alg >= QCRYPTO_CIPHER_ALGO__MAX ||
        (unsigned)mode >= QCRYPTO_CIPHER_MODE__MAX) {
        return false;
    }
    for (i = 0; i < G_N_ELEMENTS(cipher_drivers); i++) {
        if (cipher_drivers[i]->supports(alg, mode)) {
            return true;
        }
    }
    return false;
}

/* Whether @alg is available in at least one mode. */
static bool cipher_algo_is_supported(QCryptoCipherAlgo alg)
{
    int mode;

    for (mode = 0; mode < QCRYPTO_CIPHER_MODE__MAX; mode++) {
        if (qcrypto_cipher_supports(alg, mode)) {
            return true;
        }
    }
    return false;
}

size_t qcrypto_cipher_get_block_len(QCryptoCipherAlgo alg)
{
    assert((unsigned)alg < QCRYPTO_CIPHER_ALGO__MAX);
    return cipher_algo_info[alg].block_len;
}

size_t qcrypto_cipher_get_key_len(QCryptoCipherAlgo alg)
{
    assert((unsigned)alg < QCRYPTO_CIPHER_ALGO__MAX);
    return cipher_algo_info[alg].key_len;
}

size_t qcrypto_cipher_get_iv_len(QCryptoCipherAlgo alg, QCryptoCipherMode mode)
{
    assert((unsigned)mode < QCRYPTO_CIPHER_MODE__MAX);
    if (mode == QCRYPTO_CIPHER_MODE_ECB) {
        return 0;
    }
    /* CBC and CTR chain whole blocks; the XTS tweak is one block too. */
    return qcrypto_cipher_get_block_len(alg);
}

/* Check what every backend relies on: an available algorithm and mode,
 * and a key of the right size (two keys for XTS). */
static bool cipher_validate(QCryptoCipherAlgo alg, QCryptoCipherMode mode,
                            size_t nkey, Error **errp)
{
    size_t want;

    assert((unsigned)alg < QCRYPTO_CIPHER_ALGO__MAX);
    assert((unsigned)mode < QCRYPTO_CIPHER_MODE__MAX);
    if (!cipher_algo_is_supported(alg)) {
        error_setg(errp, "Unsupported cipher algorithm %s",
                   cipher_algo_names[alg]);
        return false;
    }
    if (!qcrypto_cipher_supports(alg, mode)) {
        error_setg(errp, "Unsupported cipher mode %s",
                   cipher_mode_names[mode]);
        return false;
    }
    want = cipher_algo_info[alg].key_len;
    if (mode == QCRYPTO_CIPHER_MODE_XTS) {
        /* 7.2 checks this first; an odd LUKS key-bytes field reaches it. */
        if (nkey % 2) {
            error_setg(errp, "XTS cipher key length should be a multiple "
                       "of 2");
            return false;
        }
        want *= 2;
    }
    if (nkey != want) {
        error_setg(errp, "Cipher key length %zu should be %zu", nkey, want);
        return false;
    }
    return true;
}

/* Key a cipher with @driver, which must fit the request. */
static QCryptoCipher *cipher_create(const QCryptoCipherDriver *driver,
                                    QCryptoCipherAlgo alg,
                                    QCryptoCipherMode mode,
                                    const uint8_t *key, size_t nkey,
                                    Error **errp)
{
    QCryptoCipher *cipher = driver->new(alg, mode, key, nkey, errp);

    if (!cipher) {
        return NULL;
    }
    cipher->alg = alg;
    cipher->mode = mode;
    cipher->driver = driver;
    return cipher;
}

/* Key a cipher with the first driver that fits, shareable ones only if
 * @shareable_only. */
static QCryptoCipher *cipher_new_first_fit(QCryptoCipherAlgo alg,
                                           QCryptoCipherMode mode,
                                           const uint8_t *key, size_t nkey,
                                           bool shareable_only, Error **errp)
{
    size_t i;

    if (!cipher_validate(alg, mode, nkey, errp)) {
        return NULL;
    }
    for (i = 0; i < G_N_ELEMENTS(cipher_drivers); i++) {
        const QCryptoCipherDriver *driver = cipher_drivers[i];

        if ((!shareable_only || driver->shareable) &&
            cipher_driver_fits(driver, alg, mode, key, nkey)) {
            return cipher_create(driver, alg, mode, key, nkey, errp);
        }
    }
    error_setg(errp, "No cipher backend can use %s in %s mode with this key",
               cipher_algo_names[alg], cipher_mode_names[mode]);
    return NULL;
}

QCryptoCipher *qcrypto_cipher_new(QCryptoCipherAlgo alg,
                                  QCryptoCipherMode mode,
                                  const uint8_t *key, size_t nkey,
                                  Error **errp)
{
    return cipher_new_first_fit(alg, mode, key, nkey, false, errp);
}

QCryptoCipher *qcrypto_cipher_new_shareable(QCryptoCipherAlgo alg,
                                            QCryptoCipherMode mode,
                                            const uint8_t *key, size_t nkey,
                                            Error **errp)
{
    return cipher_new_first_fit(alg, mode, key, nkey, true, errp);
}

QCryptoCipher *qcrypto_cipher_new_with_driver(const QCryptoCipherDriver *driver,
                                              QCryptoCipherAlgo alg,
                                              QCryptoCipherMode mode,
                                              const uint8_t *key, size_t nkey,
                                              Error **errp)
{
    if (!cipher_validate(alg, mode, nkey, errp)) {
        return NULL;
    }
    if (!cipher_driver_fits(driver, alg, mode, key, nkey)) {
        error_setg(errp, "Cipher backend %s cannot use %s in %s mode with "
                   "this key", driver->name, cipher_algo_names[alg],
                   cipher_mode_names[mode]);
        return NULL;
    }
    return cipher_create(driver, alg, mode, key, nkey, errp);
}

void qcrypto_cipher_free(QCryptoCipher *cipher)
{
    if (cipher) {
        cipher->driver->free(cipher);
    }
}

/* Assert what only a buggy caller can get wrong. */
static void cipher_check_args(const QCryptoCipher *cipher, const uint8_t *iv,
                              const void *in, const void *out, size_t len)
{
    assert(cipher);
    assert(in && out);
    assert(iv || cipher->mode == QCRYPTO_CIPHER_MODE_ECB);
    /* Block sizes are powers of two: a mask is cheaper than a division
     * on this per-sector path. */
    assert(cipher->mode == QCRYPTO_CIPHER_MODE_CTR ||
           (len & (cipher_algo_info[cipher->alg].block_len - 1)) == 0);
}

void qcrypto_cipher_encrypt(QCryptoCipher *cipher, const uint8_t *iv,
                            const void *in, void *out, size_t len)
{
    cipher_check_args(cipher, iv, in, out, len);
    if (len) {
        cipher->driver->encrypt(cipher, iv, in, out, len);
    }
}

void qcrypto_cipher_decrypt(QCryptoCipher *cipher, const uint8_t *iv,
                            const void *in, void *out, size_t len)
{
    cipher_check_args(cipher, iv, in, out, len);
    if (len) {
        cipher->driver->decrypt(cipher, iv, in, out, len);
    }
}
