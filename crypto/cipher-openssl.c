/*
 * AES in ECB, CBC, XTS and CTR modes from libcrypto: the fast path for the
 * data of LUKS and encrypted qcow2 images.  Contexts are set up through
 * EVP; the modes with a per-message IV then call the provider's cipher
 * functions directly (see cipher_openssl_direct_new()).
 */
#include "qemu/osdep.h"

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "crypto/cipherpriv.h"
#include "crypto/key.h"

/* EVP takes int lengths; longer messages go in pieces of this size. */
#define CIPHER_OPENSSL_CHUNK (1U << 30)

/*
 * The functions of a provider's implementation of one cipher, from its
 * dispatch table (provider-cipher(7)): what EVP itself calls.
 */
typedef struct CipherOpenSSLImpl {
    void *provctx;
    OSSL_FUNC_cipher_newctx_fn *newctx;
    OSSL_FUNC_cipher_freectx_fn *freectx;
    OSSL_FUNC_cipher_encrypt_init_fn *einit;
    OSSL_FUNC_cipher_decrypt_init_fn *dinit;
    OSSL_FUNC_cipher_update_fn *update;
    OSSL_FUNC_cipher_set_ctx_params_fn *set_ctx_params;
} CipherOpenSSLImpl;

/* One direction's context: a provider context, else an EVP one. */
typedef struct CipherOpenSSLCtx {
    void *prov;
    EVP_CIPHER_CTX *evp;
} CipherOpenSSLCtx;

typedef struct QCryptoCipherOpenSSL {
    QCryptoCipher parent;
    /* Keyed once; each call only resets the IV. */
    CipherOpenSSLCtx enc;
    CipherOpenSSLCtx dec;
    CipherOpenSSLImpl impl;         /* when enc.prov and dec.prov are set */
    size_t niv;
    EVP_CIPHER *fetched;            /* keeps the provider loaded */
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

/*
 * Whether @names, a provider's colon-separated list of names for one
 * algorithm, contains @name.
 */
static bool cipher_openssl_names_have(const char *names, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = names; p; p = strchr(p, ':'), p = p ? p + 1 : p) {
        if (0 == g_ascii_strncasecmp(p, name, n) &&
            (p[n] == ':' || p[n] == '\0')) {
            return true;
        }
    }
    return false;
}

/*
 * Find the provider's implementation of @fetched.  Returns: whether all
 * the functions needed were found.
 */
static bool cipher_openssl_find_impl(const EVP_CIPHER *fetched,
                                     CipherOpenSSLImpl *impl)
{
    OSSL_PROVIDER *prov = (OSSL_PROVIDER *)EVP_CIPHER_get0_provider(fetched);
    const OSSL_ALGORITHM *algs, *a;
    const char *name = EVP_CIPHER_get0_name(fetched);
    int no_store = 0;

    if (!prov || !name) {
        return false;
    }
    algs = OSSL_PROVIDER_query_operation(prov, OSSL_OP_CIPHER, &no_store);
    for (a = algs; a && a->algorithm_names; a++) {
        if (cipher_openssl_names_have(a->algorithm_names, name)) {
            break;
        }
    }
    *impl = (CipherOpenSSLImpl) {
        .provctx = OSSL_PROVIDER_get0_provider_ctx(prov),
    };
    for (const OSSL_DISPATCH *d = a && a->algorithm_names
                                  ? a->implementation : NULL;
         d && d->function_id; d++) {
        switch (d->function_id) {
        case OSSL_FUNC_CIPHER_NEWCTX:
            impl->newctx = OSSL_FUNC_cipher_newctx(d);
            break;
        case OSSL_FUNC_CIPHER_FREECTX:
            impl->freectx = OSSL_FUNC_cipher_freectx(d);
            break;
        case OSSL_FUNC_CIPHER_ENCRYPT_INIT:
            impl->einit = OSSL_FUNC_cipher_encrypt_init(d);
            break;
        case OSSL_FUNC_CIPHER_DECRYPT_INIT:
            impl->dinit = OSSL_FUNC_cipher_decrypt_init(d);
            break;
        case OSSL_FUNC_CIPHER_UPDATE:
            impl->update = OSSL_FUNC_cipher_update(d);
            break;
        case OSSL_FUNC_CIPHER_SET_CTX_PARAMS:
            impl->set_ctx_params = OSSL_FUNC_cipher_set_ctx_params(d);
            break;
        }
    }
    if (algs) {
        OSSL_PROVIDER_unquery_operation(prov, OSSL_OP_CIPHER, algs);
    }
    return impl->provctx && impl->newctx && impl->freectx && impl->einit &&
           impl->dinit && impl->update && impl->set_ctx_params;
}

/* Returns: a provider context keyed for one direction, or NULL. */
static void *cipher_openssl_prov_new(const CipherOpenSSLImpl *impl,
                                     const uint8_t *key, size_t nkey,
                                     int enc)
{
    int padding = 0;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_int(OSSL_CIPHER_PARAM_PADDING, &padding),
        OSSL_PARAM_construct_end(),
    };
    void *ctx = impl->newctx(impl->provctx);

    if (!ctx) {
        return NULL;
    }
    if (1 != (enc ? impl->einit : impl->dinit)(ctx, key, nkey, NULL, 0,
                                               NULL) ||
        1 != impl->set_ctx_params(ctx, params)) {
        impl->freectx(ctx);
        return NULL;
    }
    return ctx;
}

static void cipher_openssl_ctx_free(QCryptoCipherOpenSSL *c,
                                    CipherOpenSSLCtx *ctx)
{
    /* Freeing a context cleanses its key schedule. */
    if (ctx->prov) {
        c->impl.freectx(ctx->prov);
    }
    EVP_CIPHER_CTX_free(ctx->evp);
}

static void cipher_openssl_free(QCryptoCipher *cipher)
{
    QCryptoCipherOpenSSL *c = (QCryptoCipherOpenSSL *)cipher;

    cipher_openssl_ctx_free(c, &c->enc);
    cipher_openssl_ctx_free(c, &c->dec);
    EVP_CIPHER_free(c->fetched);
    g_free(c);
}

/*
 * Set up provider contexts for @c: the per-message calls then go straight
 * to the provider's implementation, skipping the EVP bookkeeping that
 * checks the context and queries the IV length on every IV reset (30% of
 * the time of a 512-byte XTS sector: 114 instead of 160 ns here).
 * Returns: whether they are set up; else EVP is used.
 */
static bool cipher_openssl_direct_new(QCryptoCipherOpenSSL *c,
                                      const EVP_CIPHER *evp,
                                      const uint8_t *key, size_t nkey)
{
    /* ECB resets nothing per call: EVP costs it little. */
    if (c->parent.mode == QCRYPTO_CIPHER_MODE_ECB) {
        return false;
    }
    c->fetched = EVP_CIPHER_fetch(NULL, EVP_CIPHER_get0_name(evp), NULL);
    if (!c->fetched || !cipher_openssl_find_impl(c->fetched, &c->impl)) {
        return false;
    }
    c->niv = EVP_CIPHER_get_iv_length(c->fetched);
    c->enc.prov = cipher_openssl_prov_new(&c->impl, key, nkey, 1);
    c->dec.prov = cipher_openssl_prov_new(&c->impl, key, nkey, 0);
    return c->enc.prov && c->dec.prov;
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
    c->parent.mode = mode;
    if (cipher_openssl_direct_new(c, map->evp(), key, nkey)) {
        return &c->parent;
    }
    cipher_openssl_ctx_free(c, &c->enc);
    cipher_openssl_ctx_free(c, &c->dec);
    c->enc.prov = c->dec.prov = NULL;
    c->enc.evp = cipher_openssl_ctx_new(map->evp(), mode, key, 1);
    c->dec.evp = cipher_openssl_ctx_new(map->evp(), mode, key, 0);
    if (!c->enc.evp || !c->dec.evp) {
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

/* Process one message with the provider context @ctx from @iv. */
static void cipher_openssl_crypt_direct(QCryptoCipherOpenSSL *c, void *ctx,
                                        bool enc, const uint8_t *iv,
                                        const uint8_t *in, uint8_t *out,
                                        size_t len)
{
    const CipherOpenSSLImpl *impl = &c->impl;
    size_t outl = 0;

    /* Without a key the init keeps the key schedule, as with EVP. */
    cipher_openssl_check((enc ? impl->einit : impl->dinit)(ctx, NULL, 0, iv,
                                                           c->niv, NULL));
    cipher_openssl_check(impl->update(ctx, out, &outl, len, in, len));
    if (outl != len) {
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

    if (c->enc.prov) {
        cipher_openssl_crypt_direct(c, c->enc.prov, true, iv, in, out, len);
    } else {
        cipher_openssl_crypt(c->enc.evp, cipher->mode, iv, in, out, len);
    }
}

static void cipher_openssl_decrypt(QCryptoCipher *cipher, const uint8_t *iv,
                                   const uint8_t *in, uint8_t *out, size_t len)
{
    QCryptoCipherOpenSSL *c = (QCryptoCipherOpenSSL *)cipher;

    if (c->dec.prov) {
        cipher_openssl_crypt_direct(c, c->dec.prov, false, iv, in, out, len);
    } else {
        cipher_openssl_crypt(c->dec.evp, cipher->mode, iv, in, out, len);
    }
}

bool qcrypto_cipher_openssl_is_direct(QCryptoCipher *cipher)
{
    QCryptoCipherOpenSSL *c = (QCryptoCipherOpenSSL *)cipher;

    assert(cipher->driver == &qcrypto_cipher_driver_openssl);
    return c->enc.prov != NULL;
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
