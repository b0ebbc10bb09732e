/*
 * Cipher backends: the ops table each library implements, and the header
 * every backend's cipher object starts with.
 */
#ifndef QCRYPTO_CIPHERPRIV_H
#define QCRYPTO_CIPHERPRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/cipher.h"
#include "qapi/error.h"

typedef struct QCryptoCipherDriver QCryptoCipherDriver;

/* First member of every backend's cipher object; cipher.c fills it in. */
struct QCryptoCipher {
    QCryptoCipherAlgo alg;
    QCryptoCipherMode mode;
    const QCryptoCipherDriver *driver;
};

struct QCryptoCipherDriver {
    /* Backend name, for error messages and the benchmark. */
    const char *name;
    /* True if encrypt/decrypt keep no state in the object between or
     * during calls, so that several threads may share one cipher. */
    bool shareable;
    /* Whether @alg in @mode is implemented (required). */
    bool (*supports)(QCryptoCipherAlgo alg, QCryptoCipherMode mode);
    /* Whether this particular key can be used (optional; default yes).
     * @nkey has already been checked against the algorithm. */
    bool (*accepts_key)(QCryptoCipherAlgo alg, QCryptoCipherMode mode,
                        const uint8_t *key, size_t nkey);
    /* Allocate and key an object whose first member is a QCryptoCipher
     * (required); arguments are validated and supported. */
    QCryptoCipher *(*new)(QCryptoCipherAlgo alg, QCryptoCipherMode mode,
                          const uint8_t *key, size_t nkey, Error **errp);
    /* Process one message from @iv (required); lengths are validated. */
    void (*encrypt)(QCryptoCipher *cipher, const uint8_t *iv,
                    const uint8_t *in, uint8_t *out, size_t len);
    void (*decrypt)(QCryptoCipher *cipher, const uint8_t *iv,
                    const uint8_t *in, uint8_t *out, size_t len);
    /* Wipe the key schedule and free the object (required). */
    void (*free)(QCryptoCipher *cipher);
};

/* libcrypto's EVP AES (cipher-openssl.c): the fast path, not shareable. */
extern const QCryptoCipherDriver qcrypto_cipher_driver_openssl;

/*
 * qcrypto_cipher_openssl_is_direct:
 * Returns: whether @cipher, made by the libcrypto driver, calls the
 * provider's implementation directly (else it goes through EVP).
 */
bool qcrypto_cipher_openssl_is_direct(QCryptoCipher *cipher);
/* nettle (cipher-nettle.c): every algorithm, shareable. */
extern const QCryptoCipherDriver qcrypto_cipher_driver_nettle;

/* Like qcrypto_cipher_new(), but only from @driver (tests, benchmark);
 * errors out if @driver does not support the algorithm, mode or key. */
QCryptoCipher *qcrypto_cipher_new_with_driver(const QCryptoCipherDriver *driver,
                                              QCryptoCipherAlgo alg,
                                              QCryptoCipherMode mode,
                                              const uint8_t *key, size_t nkey,
                                              Error **errp);

/* Like qcrypto_cipher_new(), but from a shareable driver only, so that the
 * result may be used by several threads at once (the ESSIV cipher). */
QCryptoCipher *qcrypto_cipher_new_shareable(QCryptoCipherAlgo alg,
                                            QCryptoCipherMode mode,
                                            const uint8_t *key, size_t nkey,
                                            Error **errp);

#endif /* QCRYPTO_CIPHERPRIV_H */
