/*
 * Wiped-on-free buffers for passwords, keys and other secret bytes.
 */
#ifndef QCRYPTO_KEY_H
#define QCRYPTO_KEY_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Secret bytes.  @data has @len bytes plus a NUL, is locked in memory
 * where the system allows it, and is wiped by qcrypto_key_free(). */
typedef struct QCryptoKey {
    uint8_t *data;
    size_t len;
} QCryptoKey;

/*
 * qcrypto_key_new:
 * @len: number of bytes (may be 0)
 * Returns: a zero-filled key, caller frees with qcrypto_key_free().
 */
QCryptoKey *qcrypto_key_new(size_t len);

/*
 * qcrypto_key_new_from_data:
 * @data: bytes to copy (may be NULL when @len is 0)
 * @len: their number
 * Returns: a key holding a copy, caller frees with qcrypto_key_free().
 */
QCryptoKey *qcrypto_key_new_from_data(const void *data, size_t len);

/*
 * qcrypto_key_free:
 * @key: a key, or NULL; its bytes are wiped before release
 */
void qcrypto_key_free(QCryptoKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QCryptoKey, qcrypto_key_free)

/*
 * qcrypto_memzero:
 * @p: memory to wipe
 * @n: its size
 * Wipe in a way the compiler cannot elide.
 */
void qcrypto_memzero(void *p, size_t n);

/*
 * qcrypto_mem_equal:
 * Returns: whether the @n bytes at @a and @b are equal, in time that does
 * not depend on where they differ.
 */
bool qcrypto_mem_equal(const void *a, const void *b, size_t n);

/*
 * qcrypto_secrets_protect_process:
 * Mark the process non-dumpable so that key material never reaches a core
 * dump.  Safe to call more than once.
 */
void qcrypto_secrets_protect_process(void);

#endif /* QCRYPTO_KEY_H */
