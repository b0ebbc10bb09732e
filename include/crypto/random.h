/*
 * Cryptographically secure random bytes from the kernel.
 */
#ifndef QCRYPTO_RANDOM_H
#define QCRYPTO_RANDOM_H

#include <stddef.h>

#include "qapi/error.h"

/*
 * qcrypto_random_bytes:
 * @buf: filled with random bytes
 * @buflen: how many
 * @errp: set if the kernel's generator fails
 * Returns: 0 on success, -1 on failure.
 */
int qcrypto_random_bytes(void *buf, size_t buflen, Error **errp);

#endif /* QCRYPTO_RANDOM_H */
