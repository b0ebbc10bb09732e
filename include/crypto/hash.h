/*
 * Hash algorithms (names, digest sizes, one-shot digests).
 */
#ifndef QCRYPTO_HASH_H
#define QCRYPTO_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "qapi/error.h"
#include "qapi/util.h"

/* Values and names as QEMU's QCryptoHashAlgorithm. */
typedef enum QCryptoHashAlgo {
    QCRYPTO_HASH_ALGO_MD5,
    QCRYPTO_HASH_ALGO_SHA1,
    QCRYPTO_HASH_ALGO_SHA224,
    QCRYPTO_HASH_ALGO_SHA256,
    QCRYPTO_HASH_ALGO_SHA384,
    QCRYPTO_HASH_ALGO_SHA512,
    QCRYPTO_HASH_ALGO_RIPEMD160,
    QCRYPTO_HASH_ALGO__MAX,
} QCryptoHashAlgo;

/* "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "ripemd160" */
extern const QEnumLookup QCryptoHashAlgo_lookup;

#define QCRYPTO_HASH_MAX_DIGEST_LEN 64

/* qcrypto_hash_supports: Returns: whether @alg can be computed. */
bool qcrypto_hash_supports(QCryptoHashAlgo alg);

/* qcrypto_hash_digest_len: Returns: the digest size in bytes of @alg. */
size_t qcrypto_hash_digest_len(QCryptoHashAlgo alg);

/*
 * qcrypto_hash_bytesv:
 * @alg: a supported algorithm (asserted)
 * @iov: the data, in pieces
 * @niov: number of pieces
 * @out: receives qcrypto_hash_digest_len(@alg) bytes
 *
 * Digest the concatenation of the pieces.  Cannot fail.
 */
void qcrypto_hash_bytesv(QCryptoHashAlgo alg, const struct iovec *iov,
                         size_t niov, uint8_t *out);

/* qcrypto_hash_bytes: as qcrypto_hash_bytesv() on one buffer. */
void qcrypto_hash_bytes(QCryptoHashAlgo alg, const void *buf, size_t len,
                        uint8_t *out);

#endif /* QCRYPTO_HASH_H */
