/*
 * LUKS1 anti-forensic information splitter (LUKS on-disk format 1.2.3, §2.4).
 */
#ifndef QCRYPTO_AFSPLIT_H
#define QCRYPTO_AFSPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"
#include "qapi/error.h"

/*
 * qcrypto_afsplit_encode:
 * @hash: the diffusion hash (the LUKS header's hash-spec)
 * @blocklen: the key length in bytes
 * @stripes: number of stripes (4000 in LUKS1)
 * @in: the key, @blocklen bytes
 * @out: receives @blocklen * @stripes bytes
 * @errp: set if random bytes cannot be obtained
 *
 * Returns: 0 on success, -1 on failure.
 */
int qcrypto_afsplit_encode(QCryptoHashAlgo hash, size_t blocklen,
                           uint32_t stripes, const uint8_t *in,
                           uint8_t *out, Error **errp);

/*
 * qcrypto_afsplit_decode:
 * @hash, @blocklen, @stripes: as for encoding
 * @in: @blocklen * @stripes bytes of split material
 * @out: receives the @blocklen byte key
 *
 * Cannot fail.
 */
void qcrypto_afsplit_decode(QCryptoHashAlgo hash, size_t blocklen,
                            uint32_t stripes, const uint8_t *in,
                            uint8_t *out);

#endif /* QCRYPTO_AFSPLIT_H */
