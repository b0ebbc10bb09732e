/*
 * Parsing of QEMU's "key=value,key2=value2" option strings.
 */
#ifndef QAPI_KEYVAL_H
#define QAPI_KEYVAL_H

#include "qapi/error.h"
#include "qapi/qobject.h"

/*
 * keyval_parse:
 * @params: the option string, e.g. "secret,id=sec0,data=a,,b"
 * @implied_key: name given to a leading element without '=' (for example
 *               "qom-type" for --object), or NULL
 * @dict: existing flat dict to add to (later keys override earlier ones)
 * @errp: set on syntax errors
 *
 * ",," stands for a literal comma inside values; a bare "name" means
 * "name=on".  Dotted keys such as "file.filename" stay flat.  All values
 * are stored as strings.
 *
 * Returns: true on success.  On failure @dict may hold a prefix of the
 * pairs.
 */
bool keyval_parse_into(QObject *dict, const char *params,
                       const char *implied_key, Error **errp);

/*
 * keyval_parse:
 * Like keyval_parse_into() into a new dict.
 * Returns: a new flat dict of strings (caller owns), or NULL on error.
 */
QObject *keyval_parse(const char *params, const char *implied_key,
                      Error **errp);

/*
 * keyval_is_help:
 * Returns: whether @params is "help" or "?" or contains such an element.
 */
bool keyval_is_help(const char *params);

/*
 * keyval_parse_bool:
 * @name: the option's name for the error message
 * @value: "on", "off", "yes", "no", "true", "false"
 * @out: the result, written only on success
 * @errp: "Parameter '%s' expects 'on' or 'off'"
 * Returns: true on success.
 */
bool keyval_parse_bool(const char *name, const char *value, bool *out,
                       Error **errp);

#endif /* QAPI_KEYVAL_H */
