/*
 * The --object secret registry: named passwords given on the command line
 * (inline, from a file, base64, or AES-256-CBC wrapped by another secret).
 */
#ifndef QCRYPTO_SECRET_H
#define QCRYPTO_SECRET_H

#include <stdbool.h>

#include "crypto/key.h"
#include "qapi/error.h"
#include "qapi/qobject.h"

/*
 * qcrypto_secret_add:
 * @opts: flat dict with "id" and exactly one of "data"/"file", optional
 *        "format" (raw|base64), "keyid" and "iv"
 * @errp: 7.2's messages ("Either 'file' or 'data' must be provided",
 *        "'file' and 'data' are mutually exclusive", "Key should be 32
 *        bytes in length", ...)
 *
 * Decode the secret now and keep its bytes under its id.
 * Returns: true on success.
 */
bool qcrypto_secret_add(const QObject *opts, Error **errp);

/*
 * qcrypto_object_add_from_str:
 * @optstr: the argument of --object, e.g. "secret,id=sec0,data=123456"
 * @errp: syntax errors, unknown object types, secret errors
 *
 * Returns: true on success.
 */
bool qcrypto_object_add_from_str(const char *optstr, Error **errp);

/*
 * qcrypto_secret_lookup:
 * @id: the secret's id
 * @errp: "No secret with id '%s'"
 * Returns: a copy of the secret's bytes (caller frees), or NULL.
 */
QCryptoKey *qcrypto_secret_lookup(const char *id, Error **errp);

/*
 * qcrypto_secret_lookup_as_utf8:
 * @id: the secret's id
 * @errp: "No secret with id '%s'", "Data from secret %s is not valid UTF-8"
 * Returns: a copy of the secret as a password (caller frees), or NULL.
 * As in 7.2, the whole secret must be valid UTF-8, and glib's validator
 * rejects NUL bytes, so the password never contains one.
 */
QCryptoKey *qcrypto_secret_lookup_as_utf8(const char *id, Error **errp);

/* qcrypto_secret_registry_clear: forget (and wipe) every secret. */
void qcrypto_secret_registry_clear(void);

#endif /* QCRYPTO_SECRET_H */
