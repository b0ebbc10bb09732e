/*
 * Dynamically typed values (dict, list, string, number, bool, null) for
 * options and for info/check output, with JSON in and out.
 */
#ifndef QAPI_QOBJECT_H
#define QAPI_QOBJECT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "qapi/error.h"

typedef enum QType {
    QTYPE_QNULL,
    QTYPE_QNUM,
    QTYPE_QSTRING,
    QTYPE_QDICT,
    QTYPE_QLIST,
    QTYPE_QBOOL,
} QType;

/* Any value.  Dicts and lists own their members. */
typedef struct QObject QObject;

/* One key/value pair of a dict, for iteration. */
typedef struct QDictEntry QDictEntry;

/*
 * Constructors.  Each returns a new value owned by the caller; free with
 * qobject_free().  qobject_new_str() copies @s.
 */
QObject *qobject_new_null(void);
QObject *qobject_new_bool(bool b);
QObject *qobject_new_int(int64_t i);
QObject *qobject_new_uint(uint64_t u);
QObject *qobject_new_double(double d);
QObject *qobject_new_str(const char *s);
QObject *qobject_new_dict(void);
QObject *qobject_new_list(void);

/*
 * qobject_free:
 * @obj: a value, or NULL; frees it and everything it holds
 */
void qobject_free(QObject *obj);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QObject, qobject_free)

/*
 * qobject_copy:
 * @obj: a value (not NULL)
 *
 * Returns: a deep copy owned by the caller.
 */
QObject *qobject_copy(const QObject *obj);

/* qobject_type: Returns: the type of @obj (not NULL). */
QType qobject_type(const QObject *obj);

/*
 * Scalar accessors.  Each asserts the type, except that qobject_get_int()
 * and qobject_get_uint() accept any QNUM representable in their type
 * (asserted).  The returned string is owned by @obj.
 */
bool qobject_get_bool(const QObject *obj);
int64_t qobject_get_int(const QObject *obj);
uint64_t qobject_get_uint(const QObject *obj);
double qobject_get_double(const QObject *obj);
const char *qobject_get_str(const QObject *obj);

/*
 * qobject_num_to_str:
 * @obj: a QNUM
 *
 * Format the number as 7.2 prints it in JSON and in qemu-img info: ints
 * in decimal, doubles with "%.17g".
 * Returns: a new string, caller frees with g_free().
 */
char *qobject_num_to_str(const QObject *obj);

/*
 * qdict_put:
 * @dict: a dict
 * @key: the key (copied)
 * @value: the new value; ownership moves to @dict
 *
 * Insert, or replace the value of an existing key in place (its position
 * in iteration order does not change).
 */
void qdict_put(QObject *dict, const char *key, QObject *value);
void qdict_put_str(QObject *dict, const char *key, const char *value);
void qdict_put_int(QObject *dict, const char *key, int64_t value);
void qdict_put_bool(QObject *dict, const char *key, bool value);

/* qdict_get: Returns: the value of @key (borrowed), or NULL. */
QObject *qdict_get(const QObject *dict, const char *key);

/*
 * qdict_get_str:
 * Returns: the string value of @key (borrowed), or NULL when @key is absent
 * or its value is not a string.
 */
const char *qdict_get_str(const QObject *dict, const char *key);

/* qdict_haskey: Returns: whether @dict has @key. */
bool qdict_haskey(const QObject *dict, const char *key);

/* qdict_del: remove @key and free its value, if present. */
void qdict_del(QObject *dict, const char *key);

/* qdict_take: remove @key; Returns: its value (caller owns) or NULL. */
QObject *qdict_take(QObject *dict, const char *key);

/* qdict_size: Returns: the number of entries. */
size_t qdict_size(const QObject *dict);

/*
 * qdict_first / qdict_next:
 * Iterate in the order QEMU's own dict iterates (which its JSON and
 * "Format specific information" output show): by bucket of QEMU's
 * string hash modulo 512, newest entry first within a bucket.
 * Returns: the entry, or NULL at the end.  Do not modify @dict meanwhile.
 */
const QDictEntry *qdict_first(const QObject *dict);
const QDictEntry *qdict_next(const QObject *dict, const QDictEntry *entry);
const char *qdict_entry_key(const QDictEntry *entry);
QObject *qdict_entry_value(const QDictEntry *entry);

/*
 * qdict_keys_in_insertion_order:
 * @dict: a dict
 *
 * List the keys in the order they were first inserted (replacing a value
 * keeps a key's place), which is the order the user wrote them in for a
 * dict from keyval_parse(); 7.2 reports option errors in that order.
 * Returns: a NULL-terminated array of borrowed keys, valid until @dict
 * changes; caller frees the array (not the keys) with g_free().
 */
const char **qdict_keys_in_insertion_order(const QObject *dict);

/*
 * qdict_extract_subqdict:
 * @src: a flat dict
 * @prefix: e.g. "file."
 *
 * Move every entry whose key starts with @prefix out of @src into a new
 * dict, keys stripped of the prefix.
 * Returns: the new dict (caller owns), possibly empty.
 */
QObject *qdict_extract_subqdict(QObject *src, const char *prefix);

/*
 * qdict_flatten:
 * @dict: a dict whose values may be dicts or lists
 *
 * Replace nested dict "a": {"b": v} by "a.b": v and list elements by
 * "a.0", "a.1"... recursively.
 */
void qdict_flatten(QObject *dict);

/* qlist_append: append @value (ownership moves to @list). */
void qlist_append(QObject *list, QObject *value);
size_t qlist_size(const QObject *list);
/* qlist_get: Returns: element @i (borrowed); @i < size asserted. */
QObject *qlist_get(const QObject *list, size_t i);

/*
 * qobject_to_json:
 * @obj: a value
 * @pretty: false for one line ({"a": 1, "b": [2, 3]}), true for QEMU's
 *          pretty form (four-space indent, one member per line)
 *
 * Returns: the JSON text, caller frees with g_free().
 */
char *qobject_to_json(const QObject *obj, bool pretty);

/*
 * qobject_from_json:
 * @text: JSON text (RFC 8259, parsed by Jansson)
 * @errp: set on error, with one-line messages: 7.2's for blank input
 *        ("Expecting a JSON value"), a second value ("Expecting at most
 *        one JSON value"), "JSON parse error, duplicate key", "JSON parse
 *        error, premature EOI" and "JSON nesting depth limit exceeded"
 *        (over 1024 levels); "JSON parse error, <Jansson's text>" for
 *        other syntax errors
 *
 * Unlike 7.2, QEMU's extensions (single-quoted strings, "\'") are not
 * accepted, and integers outside int64 are errors.  "\u0000" becomes
 * "\xC0\x80" as in 7.2.  Returns: the parsed value (caller owns), or NULL
 * on error.  Integers become QNUM ints, other numbers doubles; object
 * members are inserted in text order.
 */
QObject *qobject_from_json(const char *text, Error **errp);

/*
 * qobject_dump_human:
 * @out: text is appended here
 * @obj: a dict or list
 * @indent: indentation level (four spaces each)
 *
 * Append the "Format specific information" form used by qemu-img info:
 * "key name: value" lines with '-' in keys shown as ' ', nested dicts and
 * lists indented, list elements labelled "[i]:".
 */
void qobject_dump_human(GString *out, const QObject *obj, int indent);

#endif /* QAPI_QOBJECT_H */
