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
 * are stored as strings.  These are 7.2's QemuOpts rules (-o,
 * --image-opts), so also: a bare "noname" means "name=off" ("nocow" is
 * "cow=off"), keys are not checked ("=4k" gives key ""), and an implied
 * value takes ",," escapes.  QemuOpts reports no syntax errors, so this
 * currently always succeeds.
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

/*
 * keyval_parse_strict:
 * @params: an option string in 7.2's keyval grammar, as --object takes it
 * @implied_key: name given to a leading element without '=' ("qom-type"),
 *               or NULL
 * @errp: "Invalid parameter 'KEY'" for a key that is not dot-separated
 *        names or indexes, "Expected '=' after parameter 'KEY'" for a bare
 *        name, "Parameters 'a.*' used inconsistently" when "a" is both a
 *        value and a prefix
 *
 * Unlike keyval_parse(), there are no flags: a bare name is an error,
 * except "help"/"?" elements, which are skipped (check keyval_is_help()
 * first).  The implied value is taken as written, without ",," escapes,
 * so "secret,,id=a" fails.  Values take ",," escapes; a later key
 * overrides an earlier one; dotted keys stay flat.
 * Returns: a new flat dict of strings (caller owns), or NULL on error.
 */
QObject *keyval_parse_strict(const char *params, const char *implied_key,
                             Error **errp);

/*
 * keyval_is_valid_option_list:
 * @params: the argument of qemu-img's -o
 *
 * 7.2's qemu-img refuses an -o argument that is empty, starts with ',' or
 * ends in an odd number of commas ("Invalid option list: %s").
 * Returns: whether @params passes that check.
 */
bool keyval_is_valid_option_list(const char *params);

/*
 * keyval_list_short_bools:
 * @params: as for keyval_parse()
 * @implied_key: as for keyval_parse()
 *
 * List the elements of @params that keyval_parse() takes as flags, as
 * written ("lazy-refcounts", "nolazy-refcounts"), leaving out "help" and
 * "?".  7.2 warns about them for --image-opts: "short-form boolean option
 * '%s' deprecated" with the hint "Please use NAME=on instead" (NAME=off
 * for a "no" prefix, which is stripped from NAME).
 * Returns: a NULL-terminated vector, caller frees with g_strfreev().
 */
char **keyval_list_short_bools(const char *params, const char *implied_key);

#endif /* QAPI_KEYVAL_H */
