/*
 * Per-sector IV generators: plain, plain64 and essiv.
 */
#ifndef QCRYPTO_IVGEN_H
#define QCRYPTO_IVGEN_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "qapi/error.h"
#include "qapi/util.h"

typedef enum QCryptoIVGenAlgo {
    QCRYPTO_IVGEN_ALGO_PLAIN,
    QCRYPTO_IVGEN_ALGO_PLAIN64,
    QCRYPTO_IVGEN_ALGO_ESSIV,
    QCRYPTO_IVGEN_ALGO__MAX,
} QCryptoIVGenAlgo;

/* "plain", "plain64", "essiv" */
extern const QEnumLookup QCryptoIVGenAlgo_lookup;

typedef struct QCryptoIVGen QCryptoIVGen;

/*
 * qcrypto_ivgen_new:
 * @alg: the generator
 * @cipheralg: the data cipher (ESSIV uses the same family with a key as
 *             long as the hash's digest)
 * @hash: ESSIV's hash (ignored otherwise)
 * @key: the master key (ESSIV only; may be NULL otherwise)
 * @nkey: its length
 * @errp: e.g. when no cipher of the family takes a digest-sized key
 *
 * Returns: a generator, caller frees with qcrypto_ivgen_free(), or NULL.
 */
QCryptoIVGen *qcrypto_ivgen_new(QCryptoIVGenAlgo alg,
                                QCryptoCipherAlgo cipheralg,
                                QCryptoHashAlgo hash,
                                const uint8_t *key, size_t nkey,
                                Error **errp);

/*
 * qcrypto_ivgen_calculate:
 * @ivgen: the generator
 * @sector: the sector number
 * @iv: receives @niv bytes
 * @niv: the data cipher's IV length
 *
 * plain: little-endian low 32 bits of @sector, zero padded; plain64:
 * little-endian 64 bits, zero padded; essiv: plain64 encrypted with the
 * hashed-key cipher.  Cannot fail.  Safe to call from several threads at
 * once on the same generator.
 */
void qcrypto_ivgen_calculate(QCryptoIVGen *ivgen, uint64_t sector,
                             uint8_t *iv, size_t niv);

/* qcrypto_ivgen_free: free @ivgen (or NULL), wiping its key. */
void qcrypto_ivgen_free(QCryptoIVGen *ivgen);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QCryptoIVGen, qcrypto_ivgen_free)

#endif /* QCRYPTO_IVGEN_H */
