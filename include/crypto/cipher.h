/*
 * Block ciphers in ECB, CBC, XTS and CTR modes behind one backend-neutral
 * API (libcrypto for AES, nettle for the others).
 */
#ifndef QCRYPTO_CIPHER_H
#define QCRYPTO_CIPHER_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qapi/error.h"
#include "qapi/util.h"

/* Values and names as QEMU's QCryptoCipherAlgorithm. */
typedef enum QCryptoCipherAlgo {
    QCRYPTO_CIPHER_ALGO_AES_128,
    QCRYPTO_CIPHER_ALGO_AES_192,
    QCRYPTO_CIPHER_ALGO_AES_256,
    QCRYPTO_CIPHER_ALGO_DES,
    QCRYPTO_CIPHER_ALGO_3DES,
    QCRYPTO_CIPHER_ALGO_CAST5_128,
    QCRYPTO_CIPHER_ALGO_SERPENT_128,
    QCRYPTO_CIPHER_ALGO_SERPENT_192,
    QCRYPTO_CIPHER_ALGO_SERPENT_256,
    QCRYPTO_CIPHER_ALGO_TWOFISH_128,
    QCRYPTO_CIPHER_ALGO_TWOFISH_192,
    QCRYPTO_CIPHER_ALGO_TWOFISH_256,
    QCRYPTO_CIPHER_ALGO__MAX,
} QCryptoCipherAlgo;

/* "aes-128", ..., "twofish-256" */
extern const QEnumLookup QCryptoCipherAlgo_lookup;

typedef enum QCryptoCipherMode {
    QCRYPTO_CIPHER_MODE_ECB,
    QCRYPTO_CIPHER_MODE_CBC,
    QCRYPTO_CIPHER_MODE_XTS,
    QCRYPTO_CIPHER_MODE_CTR,
    QCRYPTO_CIPHER_MODE__MAX,
} QCryptoCipherMode;

/* "ecb", "cbc", "xts", "ctr" */
extern const QEnumLookup QCryptoCipherMode_lookup;

typedef struct QCryptoCipher QCryptoCipher;

/* qcrypto_cipher_supports: Returns: whether @alg in @mode is available. */
bool qcrypto_cipher_supports(QCryptoCipherAlgo alg, QCryptoCipherMode mode);

/* qcrypto_cipher_get_block_len: Returns: the block size in bytes. */
size_t qcrypto_cipher_get_block_len(QCryptoCipherAlgo alg);

/* qcrypto_cipher_get_key_len: Returns: the key size in bytes (one key; XTS
 * takes twice this). */
size_t qcrypto_cipher_get_key_len(QCryptoCipherAlgo alg);

/* qcrypto_cipher_get_iv_len: Returns: IV size for @mode (0 for ECB). */
size_t qcrypto_cipher_get_iv_len(QCryptoCipherAlgo alg, QCryptoCipherMode mode);

/*
 * qcrypto_cipher_new:
 * @alg: the algorithm
 * @mode: the mode
 * @key: the key; for XTS the data key followed by the tweak key
 * @nkey: its length, which must match the algorithm (twice for XTS)
 * @errp: "Cipher key length %zu should be %zu", "Unsupported cipher
 *        algorithm %s", "Unsupported cipher mode %s"
 *
 * Returns: a cipher the caller frees with qcrypto_cipher_free(), or NULL.
 */
QCryptoCipher *qcrypto_cipher_new(QCryptoCipherAlgo alg,
                                  QCryptoCipherMode mode,
                                  const uint8_t *key, size_t nkey,
                                  Error **errp);

/*
 * qcrypto_cipher_free:
 * @cipher: a cipher, or NULL; its key schedule is wiped
 */
void qcrypto_cipher_free(QCryptoCipher *cipher);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QCryptoCipher, qcrypto_cipher_free)

/*
 * qcrypto_cipher_encrypt / qcrypto_cipher_decrypt:
 * @cipher: the cipher
 * @iv: the IV (XTS: the tweak; CTR: the initial counter block), exactly
 *      qcrypto_cipher_get_iv_len() bytes; NULL for ECB
 * @in: input
 * @out: output (may equal @in)
 * @len: a multiple of the block size (asserted; any length for CTR)
 *
 * Process @len bytes as one message starting from @iv: nothing is carried
 * over between calls.  Cannot fail.  A cipher may hold per-call state
 * (the libcrypto contexts do), so one cipher must not be used by two
 * threads at once: give each worker thread its own.
 */
void qcrypto_cipher_encrypt(QCryptoCipher *cipher, const uint8_t *iv,
                            const void *in, void *out, size_t len);
void qcrypto_cipher_decrypt(QCryptoCipher *cipher, const uint8_t *iv,
                            const void *in, void *out, size_t len);

#endif /* QCRYPTO_CIPHER_H */
