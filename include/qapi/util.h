/*
 * Enum name tables: one lookup table per enum, for parsing and printing.
 */
#ifndef QAPI_UTIL_H
#define QAPI_UTIL_H

#include "qapi/error.h"

typedef struct QEnumLookup {
    const char *const *array;   /* names indexed by value */
    int size;                   /* number of values */
} QEnumLookup;

/*
 * qapi_enum_lookup:
 * @lookup: the enum's table
 * @val: a value in 0..size-1 (asserted)
 *
 * Returns: the value's name, a static string.
 */
const char *qapi_enum_lookup(const QEnumLookup *lookup, int val);

/*
 * qapi_enum_parse:
 * @lookup: the enum's table
 * @name: the parameter's name, for the error message
 * @buf: a value name, or NULL
 * @def: returned when @buf is NULL
 * @errp: set to "Parameter '@name' does not accept value '@buf'" when @buf
 *        names no value
 *
 * Returns: the value, @def for NULL, or -1 on error.
 */
int qapi_enum_parse(const QEnumLookup *lookup, const char *name,
                    const char *buf, int def, Error **errp);

#endif /* QAPI_UTIL_H */
