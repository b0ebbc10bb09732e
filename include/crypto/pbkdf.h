/*
 * PBKDF2 (RFC 8018) with HMAC over the supported hashes, and the iteration
 * calibration that turns a time budget into an iteration count.
 */
#ifndef QCRYPTO_PBKDF_H
#define QCRYPTO_PBKDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"
#include "qapi/error.h"

/* qcrypto_pbkdf2_supports: Returns: whether PBKDF2 can use @hash. */
bool qcrypto_pbkdf2_supports(QCryptoHashAlgo hash);

/*
 * qcrypto_pbkdf2:
 * @hash: the HMAC hash
 * @key: the password
 * @nkey: its length
 * @salt: the salt
 * @nsalt: its length
 * @iterations: iteration count (>= 1)
 * @out: receives @nout bytes of derived key
 * @nout: how many
 * @errp: "PBKDF does not support hash algorithm %s" for unsupported hashes
 *
 * Returns: 0 on success, -1 on failure.
 */
int qcrypto_pbkdf2(QCryptoHashAlgo hash, const uint8_t *key, size_t nkey,
                   const uint8_t *salt, size_t nsalt, uint64_t iterations,
                   uint8_t *out, size_t nout, Error **errp);

/*
 * qcrypto_pbkdf2_count_iters:
 * @hash, @key, @nkey, @salt, @nsalt: as for qcrypto_pbkdf2()
 * @nout: output length the real derivation will use (its cost grows with
 *        the number of hash-sized output blocks)
 * @errp: set on failure
 *
 * Measure how many iterations run in one second of this thread's CPU
 * time.  Uses a clock with sub-microsecond resolution so it never fails
 * for lack of precision, and never reports fewer iterations per second
 * than QEMU 7.2's method would on the same machine.
 * Returns: iterations per second, or 0 on failure.
 */
uint64_t qcrypto_pbkdf2_count_iters(QCryptoHashAlgo hash,
                                    const uint8_t *key, size_t nkey,
                                    const uint8_t *salt, size_t nsalt,
                                    size_t nout, Error **errp);

/*
 * qcrypto_pbkdf2_count_iters_within:
 * @hash, @key, @nkey, @salt, @nsalt, @nout, @errp: as for
 *        qcrypto_pbkdf2_count_iters()
 * @budget_ms: CPU time the measurement may take, in ms (plus a probe of
 *        under 1 ms); below 2 ms it takes about 2 ms, above 1000 it is
 *        capped at 1000
 *
 * As qcrypto_pbkdf2_count_iters() (which spends 16 ms), spending about
 * @budget_ms: a bigger budget buys more measurement rounds, which makes
 * the result steadier on a busy machine.
 * Returns: iterations per second, or 0 on failure.
 */
uint64_t qcrypto_pbkdf2_count_iters_within(QCryptoHashAlgo hash,
                                           const uint8_t *key, size_t nkey,
                                           const uint8_t *salt, size_t nsalt,
                                           size_t nout, uint64_t budget_ms,
                                           Error **errp);

#endif /* QCRYPTO_PBKDF_H */
