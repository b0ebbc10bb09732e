/*
 * Enum name tables: value-to-name lookup and name-to-value parsing.
 */
#include "qemu/osdep.h"

#include "qapi/util.h"

const char *qapi_enum_lookup(const QEnumLookup *lookup, int val)
{
    assert(val >= 0 && val < lookup->size);
    return lookup->array[val];
}

int qapi_enum_parse(const QEnumLookup *lookup, const char *name,
                    const char *buf, int def, Error **errp)
{
    int i;

    if (!buf) {
        return def;
    }
    for (i = 0; i < lookup->size; i++) {
        if (lookup->array[i] && 0 == strcmp(lookup->array[i], buf)) {
            return i;
        }
    }
    error_setg(errp, "Parameter '%s' does not accept value '%s'", name, buf);
    return -1;
}
