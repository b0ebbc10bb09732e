/*
 * Every cipher algorithm through nettle's cipher descriptors and its CBC,
 * CTR and XTS helpers: serpent, twofish, cast5, des, 3des and AES.
 */
#include "qemu/osdep.h"

#include <nettle/cbc.h>
#include <nettle/ctr.h>
#include <nettle/des.h>
#include <nettle/nettle-meta.h>
#include <nettle/xts.h>

#include "crypto/cipherpriv.h"
#include "crypto/key.h"

/* The largest block among the algorithms below. */
#define CIPHER_NETTLE_MAX_BLOCK 16

/*
 * nettle has no descriptors for des and 3des; these adapt their typed
 * functions.  Weak keys are used like any other: nettle reports them but
 * still sets them up.
 */
static void cipher_des_set_key(void *ctx, const uint8_t *key)
{
    (void)des_set_key(ctx, key);
}

static void cipher_des_encrypt(const void *ctx, size_t length,
                               uint8_t *dst, const uint8_t *src)
{
    des_encrypt(ctx, length, dst, src);
}

static void cipher_des_decrypt(const void *ctx, size_t length,
                               uint8_t *dst, const uint8_t *src)
{
    des_decrypt(ctx, length, dst, src);
}

static void cipher_des3_set_key(void *ctx, const uint8_t *key)
{
    (void)des3_set_key(ctx, key);
}

static void cipher_des3_encrypt(const void *ctx, size_t length,
                                uint8_t *dst, const uint8_t *src)
{
    des3_encrypt(ctx, length, dst, src);
}

static void cipher_des3_decrypt(const void *ctx, size_t length,
                                uint8_t *dst, const uint8_t *src)
{
    des3_decrypt(ctx, length, dst, src);
}

static const struct nettle_cipher cipher_nettle_des_desc = {
    .name = "des",
    .context_size = sizeof(struct des_ctx),
    .block_size = DES_BLOCK_SIZE,
    .key_size = DES_KEY_SIZE,
    .set_encrypt_key = cipher_des_set_key,
    .set_decrypt_key = cipher_des_set_key,
    .encrypt = cipher_des_encrypt,
    .decrypt = cipher_des_decrypt,
};

static const struct nettle_cipher cipher_nettle_des3_desc = {
    .name = "des3",
    .context_size = sizeof(struct des3_ctx),
    .block_size = DES3_BLOCK_SIZE,
    .key_size = DES3_KEY_SIZE,
    .set_encrypt_key = cipher_des3_set_key,
    .set_decrypt_key = cipher_des3_set_key,
    .encrypt = cipher_des3_encrypt,
    .decrypt = cipher_des3_decrypt,
};

static const struct nettle_cipher *const cipher_nettle_table[] = {
    [QCRYPTO_CIPHER_ALGO_AES_128] = &nettle_aes128,
    [QCRYPTO_CIPHER_ALGO_AES_192] = &nettle_aes192,
    [QCRYPTO_CIPHER_ALGO_AES_256] = &nettle_aes256,
    [QCRYPTO_CIPHER_ALGO_DES] = &cipher_nettle_des_desc,
    [QCRYPTO_CIPHER_ALGO_3DES] = &cipher_nettle_des3_desc,
    [QCRYPTO_CIPHER_ALGO_CAST5_128] = &nettle_cast128,
    [QCRYPTO_CIPHER_ALGO_SERPENT_128] = &nettle_serpent128,
    [QCRYPTO_CIPHER_ALGO_SERPENT_192] = &nettle_serpent192,
    [QCRYPTO_CIPHER_ALGO_SERPENT_256] = &nettle_serpent256,
    [QCRYPTO_CIPHER_ALGO_TWOFISH_128] = &nettle_twofish128,
    [QCRYPTO_CIPHER_ALGO_TWOFISH_192] = &nettle_twofish192,
    [QCRYPTO_CIPHER_ALGO_TWOFISH_256] = &nettle_twofish256,
};
G_STATIC_ASSERT(G_N_ELEMENTS(cipher_nettle_table) == QCRYPTO_CIPHER_ALGO__MAX);

typedef struct QCryptoCipherNettle {
    QCryptoCipher parent;
    const struct nettle_cipher *desc;
    /* Key schedules, each in a slot of slot_size bytes: the data key for
     * encryption, the data key for decryption, and the XTS tweak key for
     * encryption.  Read-only after setup, which makes ciphers shareable. */
    uint8_t *schedules;
    size_t slot_size;
} QCryptoCipherNettle;

enum {
    CIPHER_NETTLE_ENC,
    CIPHER_NETTLE_DEC,
    CIPHER_NETTLE_TWEAK,
    CIPHER_NETTLE_SLOTS,
};

static bool cipher_nettle_supports(QCryptoCipherAlgo alg,
                                   QCryptoCipherMode mode)
{
    const struct nettle_cipher *desc;

    if ((unsigned)alg >= QCRYPTO_CIPHER_ALGO__MAX ||
        (unsigned)mode >= QCRYPTO_CIPHER_MODE__MAX) {
        return false;
    }
    desc = cipher_nettle_table[alg];
    /* XTS is defined over 128-bit blocks only (IEEE 1619). */
    return mode != QCRYPTO_CIPHER_MODE_XTS ||
           desc->block_size == XTS_BLOCK_SIZE;
}

/* Returns: key schedule @slot of @c. */
static void *cipher_nettle_slot(const QCryptoCipherNettle *c, int slot)
{
    return c->schedules + slot * c->slot_size;
}

static QCryptoCipher *cipher_nettle_new(QCryptoCipherAlgo alg,
                                        QCryptoCipherMode mode,
                                        const uint8_t *key, size_t nkey,
                                        Error **errp)
{
    QCryptoCipherNettle *c = g_new0(QCryptoCipherNettle, 1);
    const struct nettle_cipher *desc = cipher_nettle_table[alg];

    assert(desc->block_size <= CIPHER_NETTLE_MAX_BLOCK);
    c->desc = desc;
    /* Round slots up so each schedule stays aligned like malloc memory. */
    c->slot_size = ROUND_UP(desc->context_size, 16);
    c->schedules = g_malloc0(CIPHER_NETTLE_SLOTS * c->slot_size);

    desc->set_encrypt_key(cipher_nettle_slot(c, CIPHER_NETTLE_ENC), key);
    desc->set_decrypt_key(cipher_nettle_slot(c, CIPHER_NETTLE_DEC), key);
    if (mode == QCRYPTO_CIPHER_MODE_XTS) {
        /* The data key comes first, the tweak key second. */
        assert(nkey == 2 * desc->key_size);
        desc->set_encrypt_key(cipher_nettle_slot(c, CIPHER_NETTLE_TWEAK),
                              key + desc->key_size);
    } else {
        assert(nkey == desc->key_size);
    }
    return &c->parent;
}

static void cipher_nettle_free(QCryptoCipher *cipher)
{
    QCryptoCipherNettle *c = (QCryptoCipherNettle *)cipher;

    qcrypto_memzero(c->schedules, CIPHER_NETTLE_SLOTS * c->slot_size);
    g_free(c->schedules);
    g_free(c);
}

static void cipher_nettle_encrypt(QCryptoCipher *cipher, const uint8_t *iv,
                                  const uint8_t *in, uint8_t *out, size_t len)
{
    QCryptoCipherNettle *c = (QCryptoCipherNettle *)cipher;
    const struct nettle_cipher *desc = c->desc;
    const void *enc = cipher_nettle_slot(c, CIPHER_NETTLE_ENC);
    uint8_t chain[CIPHER_NETTLE_MAX_BLOCK];

    switch (cipher->mode) {
    case QCRYPTO_CIPHER_MODE_ECB:
        desc->encrypt(enc, len, out, in);
        break;
    case QCRYPTO_CIPHER_MODE_CBC:
        /* The helpers advance the IV in place: work on a copy. */
        memcpy(chain, iv, desc->block_size);
        cbc_encrypt(enc, desc->encrypt, desc->block_size, chain, len,
                    out, in);
        break;
    case QCRYPTO_CIPHER_MODE_CTR:
        memcpy(chain, iv, desc->block_size);
        ctr_crypt(enc, desc->encrypt, desc->block_size, chain, len, out, in);
        break;
    case QCRYPTO_CIPHER_MODE_XTS:
        xts_encrypt_message(enc, cipher_nettle_slot(c, CIPHER_NETTLE_TWEAK),
                            desc->encrypt, iv, len, out, in);
        break;
    default:
        g_assert_not_reached();
    }
}

static void cipher_nettle_decrypt(QCryptoCipher *cipher, const uint8_t *iv,
                                  const uint8_t *in, uint8_t *out, size_t len)
{
    QCryptoCipherNettle *c = (QCryptoCipherNettle *)cipher;
    const struct nettle_cipher *desc = c->desc;
    const void *dec = cipher_nettle_slot(c, CIPHER_NETTLE_DEC);
    uint8_t chain[CIPHER_NETTLE_MAX_BLOCK];

    switch (cipher->mode) {
    case QCRYPTO_CIPHER_MODE_ECB:
        desc->decrypt(dec, len, out, in);
        break;
    case QCRYPTO_CIPHER_MODE_CBC:
        memcpy(chain, iv, desc->block_size);
        cbc_decrypt(dec, desc->decrypt, desc->block_size, chain, len,
                    out, in);
        break;
    case QCRYPTO_CIPHER_MODE_CTR:
        /* CTR decrypts by encrypting the counter stream again. */
        cipher_nettle_encrypt(cipher, iv, in, out, len);
        break;
    case QCRYPTO_CIPHER_MODE_XTS:
        xts_decrypt_message(dec, cipher_nettle_slot(c, CIPHER_NETTLE_TWEAK),
                            desc->decrypt, desc->encrypt, iv, len, out, in);
        break;
    default:
        g_assert_not_reached();
    }
}

const QCryptoCipherDriver qcrypto_cipher_driver_nettle = {
    .name = "nettle",
    .shareable = true,
    .supports = cipher_nettle_supports,
    .new = cipher_nettle_new,
    .encrypt = cipher_nettle_encrypt,
    .decrypt = cipher_nettle_decrypt,
    .free = cipher_nettle_free,
};
