/*
 * Option descriptor tables: validation of -o/--image-opts dicts, filling of
 * driver option structs, the "Formatting ..." line and "-o help".
 */
#ifndef QAPI_OPTS_H
#define QAPI_OPTS_H

#include <stddef.h>

#include "qapi/error.h"
#include "qapi/qobject.h"
#include "qapi/util.h"

typedef enum QOptType {
    QOPT_TYPE_STRING,   /* help shows <str>; field: char * (owned copy) */
    QOPT_TYPE_BOOL,     /* help shows <bool (on/off)>; field: bool */
    QOPT_TYPE_NUMBER,   /* help shows <num>; field: uint64_t */
    QOPT_TYPE_SIZE,     /* help shows <size>; suffixes k M G T P E; uint64_t */
    QOPT_TYPE_ENUM,     /* a STRING restricted to @enum_lookup; field: int */
    QOPT_TYPE_GROUP,    /* all of @group's options, each named with this
                         * entry's name as prefix ("encrypt."); its
                         * fields live in a sub-struct at @offset */
} QOptType;

/*
 * One option.  A table is an array terminated by an entry whose name is
 * NULL; its order is the order of the "Formatting" line, while help is
 * printed sorted by name, as qemu-img 7.2 does.
 */
typedef struct QOptDesc {
    const char *name;               /* the spelling 7.2 prints */
    const char *alias;              /* another accepted spelling, a full
                                     * name even inside a group ("keyid"
                                     * for "encrypt.key-secret"), never in
                                     * help; NULL for none */
    const char *const *alias_values;/* for an ENUM alias: NULL-terminated
                                     * pairs { alias value, canonical
                                     * value }, the only values the alias
                                     * accepts; NULL: the same values */
    QOptType type;
    const char *help;
    const char *def_value_str;      /* default shown by create, or NULL */
    const QEnumLookup *enum_lookup; /* for QOPT_TYPE_ENUM */
    const struct QOptDesc *group;   /* for QOPT_TYPE_GROUP */
    bool has_field;                 /* offset/has_offset below are valid */
    size_t offset;                  /* of the value in the options struct */
    size_t has_offset;              /* of a bool set when present; every
                                     * entry with a field needs one */
    const char *qapi_name;          /* name in ENUM value errors when 7.2
                                     * uses another ("compression-type"),
                                     * or NULL for @name */
    bool hidden;                    /* accepted but left out of help: a
                                     * qcrypt-img extension in a table
                                     * whose help must match 7.2's */
} QOptDesc;

/*
 * qopts_find:
 * @desc: a table
 * @name: a name or alias
 * Returns: the entry, or NULL.
 */
const QOptDesc *qopts_find(const QOptDesc *desc, const char *name);

/*
 * qopts_validate:
 * @desc: a table
 * @dict: flat dict of string values, as from keyval_parse()
 * @errp: "Invalid parameter 'foo'", "Parameter 'iter-time' expects a
 *        number", "Parameter 'x' expects 'on' or 'off'", or the size error
 *
 * Rename aliases to their canonical names (translating the values of an
 * alias with alias_values) and check that every key is in the table and
 * every BOOL/NUMBER/SIZE value parses.  An alias and its canonical name
 * both given: "'encrypt.key-secret' and its alias 'keyid' can't be used
 * at the same time" (7.2's words for its own encryption alias).  ENUM
 * values are checked here only for aliases ("Parameter 'fde' does not
 * accept value 'foo'"); 7.2 reports the others later, from the driver.
 * Returns: true on success.
 */
bool qopts_validate(const QOptDesc *desc, QObject *dict, Error **errp);

/*
 * qopts_to_struct:
 * @desc: a table
 * @dict: a validated dict
 * @prefix: only keys starting with this are used, with it stripped ("" for
 *          all; "encrypt." for the qcow2 encryption options)
 * @out: the options struct to fill (fields named by offset)
 * @errp: "Parameter 'cipher-alg' does not accept value 'aes-999'"
 *
 * Fill every entry that has_field from @dict; absent options leave their
 * field and has-flag untouched.
 * Returns: true on success.
 */
bool qopts_to_struct(const QOptDesc *desc, const QObject *dict,
                     const char *prefix, void *out, Error **errp);

/*
 * qopts_free_struct:
 * @desc: the table that filled @out
 * @out: free the strings qopts_to_struct() stored, and clear them
 */
void qopts_free_struct(const QOptDesc *desc, void *out);

/*
 * qopts_format_line:
 * @out: appended to
 * @desc: a table
 * @dict: a validated dict
 *
 * Append " name=value" for every option in table order that is set in
 * @dict or has a default, as the "Formatting" line of create shows them.
 */
void qopts_format_line(GString *out, const QOptDesc *desc,
                       const QObject *dict);

/*
 * qopts_print_help:
 * @out: appended to
 * @desc: a table
 *
 * Append one "  name=<type>   - help" line per option, sorted by name.
 */
void qopts_print_help(GString *out, const QOptDesc *desc);

/*
 * qopts_get_bool / qopts_get_number / qopts_get_size:
 * Read an option of a validated dict, or return @def when absent.
 */
bool qopts_get_bool(const QObject *dict, const char *name, bool def);
uint64_t qopts_get_number(const QObject *dict, const char *name,
                          uint64_t def);

#endif /* QAPI_OPTS_H */
