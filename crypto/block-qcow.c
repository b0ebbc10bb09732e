/*
 * Legacy qcow/qcow2 AES encryption (crypt_method 1): AES-128-CBC with
 * plain64 IVs, keyed directly by the password; it has no header.
 */
#include "qemu/osdep.h"

#include "crypto/blockpriv.h"
#include "crypto/secret.h"

/* AES-128 takes a 16-byte key. */
#define QCRYPTO_BLOCK_QCOW_KEY_LEN 16

/*
 * Key the data cipher from the secret @key_secret.  As QEMU does, the
 * password's bytes are used as the key directly: cut at 16 bytes, or
 * zero-padded to 16.  There is no salt, KDF or key check, so a wrong
 * password simply decrypts to garbage.
 */
static int qcrypto_block_qcow_init(QCryptoBlock *block,
                                   const char *key_secret,
                                   const char *optprefix, Error **errp)
{
    g_autoptr(QCryptoKey) password = NULL;
    g_autoptr(QCryptoKey) key = NULL;

    if (!key_secret) {
        error_setg(errp, "Parameter '%skey-secret' is required for cipher",
                   optprefix);
        return -1;
    }
    password = qcrypto_secret_lookup_as_utf8(key_secret, errp);
    if (!password) {
        return -1;
    }
    key = qcrypto_key_new(QCRYPTO_BLOCK_QCOW_KEY_LEN);
    /* A UTF-8 secret holds no NUL, so its length is the C string's. */
    memcpy(key->data, password->data, MIN(password->len, key->len));

    return qcrypto_block_init_cipher(block, QCRYPTO_CIPHER_ALGO_AES_128,
                                     QCRYPTO_CIPHER_MODE_CBC,
                                     QCRYPTO_IVGEN_ALGO_PLAIN64,
                                     QCRYPTO_HASH_ALGO_SHA256, key, errp);
}

static int qcrypto_block_qcow_open(QCryptoBlock *block,
                                   const QCryptoBlockOpenOptions *options,
                                   const char *optprefix,
                                   QCryptoBlockReadFunc readfunc,
                                   void *opaque, unsigned int flags,
                                   Error **errp)
{
    block->payload_offset = 0;
    if (flags & QCRYPTO_BLOCK_OPEN_NO_IO) {
        return 0;
    }
    return qcrypto_block_qcow_init(block, options->key_secret, optprefix,
                                   errp);
}

/*
 * Nothing is written: the container's crypt_method is the only marker.
 * The cipher is set up at once so that the caller can write data.
 */
static int qcrypto_block_qcow_create(QCryptoBlock *block,
                                     const QCryptoBlockCreateOptions *options,
                                     const char *optprefix,
                                     QCryptoBlockInitFunc initfunc,
                                     QCryptoBlockWriteFunc writefunc,
                                     void *opaque, Error **errp)
{
    block->payload_offset = 0;
    return qcrypto_block_qcow_init(block, options->key_secret, optprefix,
                                   errp);
}

static void qcrypto_block_qcow_cleanup(QCryptoBlock *block)
{
    /* No state beyond the generic cipher pool. */
}

const QCryptoBlockDriver qcrypto_block_driver_qcow = {
    .format = QCRYPTO_BLOCK_FORMAT_QCOW,
    .open = qcrypto_block_qcow_open,
    .create = qcrypto_block_qcow_create,
    .cleanup = qcrypto_block_qcow_cleanup,
};
