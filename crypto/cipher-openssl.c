/*
 * AES in ECB, CBC, XTS and CTR modes through libcrypto's EVP interface:
 * the fast path for the data of LUKS and encrypted qcow2 images.
 */
#include "qemu/osdep.h"

#include <openssl/evp.h>

#include "crypto/cipherpriv.h"
#include "crypto/key.h"

/* EVP takes int lengths; longer messages go in pieces of this size. */
#define CIPHER_OPENSSL_CHUNK (1U << 30)

typedef struct QCryptoCipherOpenSSL {
    QCryptoCipher parent;
    /* Keyed once; each call only resets the IV. */
    EVP_CIPHER_CTX *enc;
    EVP_CIPHER_CTX *dec;
} QCryptoCipherOpenSSL;

typedef struct CipherOpenSSLMap {
    QCryptoCipherAlgo alg;
    QCryptoCipherMode mode;
    const EVP_CIPHER *(*evp)(void);
} CipherOpenSSLMap;

/* libcrypto has no XTS for 192-bit AES; nettle provides that one. */
static const CipherOpenSSLMap cipher_openssl_map[] = {
    { QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_CIPHER_MODE_ECB, EVP_aes_128_ecb },
    { QCRYPTO_CIPHER_ALGO_AES_192, QCRYPTO_CIPHER_MODE_ECB, EVP_aes_192_ecb },
    { QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_ECB, EVP_aes_256_ecb },
    { QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_CIPHER_MODE_CBC, EVP_aes_128_cbc },
    { QCRYPTO_CIPHER_ALGO_AES_192, QCRYPTO_CIPHER_MODE_CBC, EVP_aes_192_cbc },
    { QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_CBC, EVP_aes_256_cbc },
    { QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_CIPHER_MODE_XTS, EVP_aes_128_xts },
    { QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_XTS, EVP_aes_256_xts },
    { QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_CIPHER_MODE_CTR, EVP_aes_128_ctr },
    { QCRYPTO_CIPHER_ALGO_AES_192, QCRYPTO_CIPHER_MODE_CTR, EVP_aes_192_ctr },
    { QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_CTR, EVP_aes_256_ctr },
};

/* Returns: the entry for @alg in @mode, or NULL. */
static const CipherOpenSSLMap *cipher_openssl_lookup(QCryptoCipherAlgo alg,
                                                     QCryptoCipherMode mode)
{
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(cipher_openssl_map); i++) {
        const CipherOpenSSLMap *map = &cipher_openssl_map[i];

        if (map->alg == alg && map->mode == mode) {
            return map;
        }
    }
    return NULL;
}

static bool cipher_openssl_supports(QCryptoCipherAlgo alg,
                                    QCryptoCipherMode mode)
{
    return cipher_openssl_lookup(alg, mode) != NULL;
}

/*
 * libcrypto refuses to encrypt with an XTS key whose two halves are equal
 * ("xts duplicated keys"), following IEEE 1619's advice that the keys be
 * independent.  Such keys appear in the IEEE 1619 test vectors and may
 * exist in images; nettle has no such check, so they are left to it.
 */
static bool cipher_openssl_accepts_key(QCryptoCipherAlgo alg,
                                       QCryptoCipherMode mode,
                                       const uint8_t *key, size_t nkey)
{
    if (mode != QCRYPTO_CIPHER_MODE_XTS) {
        return true;
    }
    return !qcrypto_mem_equal(key, key + nkey / 2, nkey / 2);
}

/*
 * Whether a context must have padding turned off.  Padded ECB and CBC
 * decryption holds back the last block for EVP_DecryptFinal(), which we
 * never call.  Everywhere else padding is harmless (encryption only pads
 * in Final; XTS and CTR never pad), and leaving it on matters: libcrypto
 * re-applies a "no padding" setting on every IV reset, which costs about
 * 15% of the time of a 512-byte sector.
 */
static bool cipher_openssl_needs_nopad(QCryptoCipherMode mode, int enc)
{
    return !enc && (mode == QCRYPTO_CIPHER_MODE_ECB ||
                    mode == QCRYPTO_CIPHER_MODE_CBC);
}

/* Returns: a context keyed for one direction, or NULL. */
static EVP_CIPHER_CTX *cipher_openssl_ctx_new(const EVP_CIPHER *evp,
                                              QCryptoCipherMode mode,
                                              const uint8_t *key, int enc)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

    if (!ctx) {
        return NULL;
    }
    if (EVP_CipherInit_ex(ctx, evp, NULL, key, NULL, enc) != 1 ||
        (cipher_openssl_needs_nopad(mode, enc) &&
         EVP_CIPHER_CTX_set_padding(ctx, 0) != 1)) {
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static void cipher_openssl_free(QCryptoCipher *cipher)
{
    QCryptoCipherOpenSSL *c = (QCryptoCipherOpenSSL *)cipher;

    /* Freeing a context cleanses its key schedule. */
    EVP_CIPHER_CTX_free(c->enc);
    EVP_CIPHER_CTX_free(c->dec);
    g_free(c);
}

static QCryptoCipher *cipher_openssl_new(QCryptoCipherAlgo alg,
                                         QCryptoCipherMode mode,
                                         const uint8_t *key, size_t nkey,
                                         Error **errp)
{
    const CipherOpenSSLMap *map = cipher_openssl_lookup(alg, mode);
    QCryptoCipherOpenSSL *c = g_new0(QCryptoCipherOpenSSL, 1);

    assert(map);
    assert((size_t)EVP_CIPHER_key_length(map->evp()) == nkey);
    c->enc = cipher_openssl_ctx_new(map->evp(), mode, key, 1);
    c->dec = cipher_openssl_ctx_new(map->evp(), mode, key, 0);
    if (!c->enc || !c->dec) {
        cipher_openssl_free(&c->parent);
        error_setg(errp, "Unable to set up libcrypto cipher %s",
                   EVP_CIPHER_name(map->evp()));
        return NULL;
    }
    return &c->parent;
}

/* A libcrypto call that cannot fail with valid arguments did. */
static void cipher_openssl_check(int ok)
{
    if (ok != 1) {
        abort();
    }
}

/* Process one message with @ctx from @iv. */
static void cipher_openssl_crypt(EVP_CIPHER_CTX *ctx, QCryptoCipherMode mode,
                                 const uint8_t *iv, const uint8_t *in,
                                 uint8_t *out, size_t len)
{
    /* Re-initialising with only an IV keeps the key schedule and resets
     * the chaining value or counter (and CTR's partial-block offset). */
    if (mode != QCRYPTO_CIPHER_MODE_ECB) {
        cipher_openssl_check(EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1));
    }
    /* Each XTS update is a complete data unit: it cannot be split. */
    assert(mode != QCRYPTO_CIPHER_MODE_XTS || len <= CIPHER_OPENSSL_CHUNK);
    while (len > 0) {
        int chunk = MIN(len, CIPHER_OPENSSL_CHUNK);
        int outl = 0;

        cipher_openssl_check(EVP_CipherUpdate(ctx, out, &outl, in, chunk));
        if (outl != chunk) {
            abort();
        }
        in += chunk;
        out += chunk;
        len -= chunk;
    }
}

static void cipher_openssl_encrypt(QCryptoCipher *cipher, const uint8_t *iv,
                                   const uint8_t *in, uint8_t *out, size_t len)
{
    QCryptoCipherOpenSSL *c = (QCryptoCipherOpenSSL *)cipher;

    cipher_openssl_crypt(c->enc, cipher->mode, iv, in, out, len);
}

static void cipher_openssl_decrypt(QCryptoCipher *cipher, const uint8_t *iv,
                                   const uint8_t *in, uint8_t *out, size_t len)
{
    QCryptoCipherOpenSSL *c = (QCryptoCipherOpenSSL *)cipher;

    cipher_openssl_crypt(c->dec, cipher->mode, iv, in, out, len);
}

const QCryptoCipherDriver qcrypto_cipher_driver_openssl = {
    .name = "openssl",
    .shareable = false,
    .supports = cipher_openssl_supports,
    .accepts_key = cipher_openssl_accepts_key,
    .new = cipher_openssl_new,
    .encrypt = cipher_openssl_encrypt,
    .decrypt = cipher_openssl_decrypt,
    .free = cipher_openssl_free,
};
