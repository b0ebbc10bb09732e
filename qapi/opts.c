/*
 * Option descriptor tables: validating -o dicts, filling driver option
 * structs, the create "Formatting" line and "-o help", as qemu-img 7.2.
 */
#include "qemu/osdep.h"

#include "qapi/keyval.h"
#include "qapi/opts.h"
#include "qemu/cutils.h"

/* The prefix a group puts before its options: "encrypt" gives "encrypt.". */
static char *qopts_group_prefix(const char *prefix, const QOptDesc *d)
{
    size_t len = strlen(d->name);

    if (0 == len || '.' == d->name[len - 1]) {
        return g_strconcat(prefix, d->name, NULL);
    }
    return g_strconcat(prefix, d->name, ".", NULL);
}

/*
 * Find @key (a full name, group prefixes included) in @desc; append its
 * canonical full name to @canon when non-NULL.
 */
static const QOptDesc *qopts_lookup(const QOptDesc *desc, const char *prefix,
                                    const char *key, GString *canon)
{
    const QOptDesc *d;
    const QOptDesc *found;

    for (d = desc; d->name; d++) {
        if (QOPT_TYPE_GROUP == d->type) {
            g_autofree char *sub = qopts_group_prefix(prefix, d);

            /* Aliases inside a group are full names: always look. */
            found = qopts_lookup(d->group, sub, key, canon);
            if (found) {
                return found;
            }
            continue;
        }
        if ((g_str_has_prefix(key, prefix) &&
             0 == strcmp(key + strlen(prefix), d->name)) ||
            (d->alias && 0 == strcmp(key, d->alias))) {
            if (canon) {
                g_string_append_printf(canon, "%s%s", prefix, d->name);
            }
            return d;
        }
    }
    return NULL;
}

const QOptDesc *qopts_find(const QOptDesc *desc, const char *name)
{
    return qopts_lookup(desc, "", name, NULL);
}

/*
 * Parse a NUMBER (strtoull rules, base 0, so "010" is 8 and "-1" wraps, as
 * 7.2) or a SIZE (qemu_strtosz) option value.
 */
static bool qopts_parse_u64(const char *name, const char *value, bool size,
                            uint64_t *out, Error **errp)
{
    int ret;

    if (!size) {
        ret = qemu_strtou64_base(value, 0, out);
        if (-ERANGE == ret) {
            error_setg(errp, "Value '%s' is too large for parameter '%s'",
                       value, name);
        } else if (ret < 0) {
            error_setg(errp, "Parameter '%s' expects a number", name);
        }
        return 0 == ret;
    }
    ret = qemu_strtosz(value, NULL, out);
    if (-ERANGE == ret) {
        error_setg(errp, "Value '%s' is out of range for parameter '%s'",
                   value, name);
    } else if (ret < 0) {
        error_setg(errp, "Parameter '%s' expects a non-negative number "
                   "below 2^64", name);
        error_append_hint(errp, "Optional suffix k, M, G, T, P or E means "
                          "kilo-, mega-, giga-, tera-, peta-\n"
                          "and exabytes, respectively.\n");
    }
    return 0 == ret;
}

static const char *qopts_type_name(QOptType type)
{
    switch (type) {
    case QOPT_TYPE_BOOL:
        return "bool (on/off)";
    case QOPT_TYPE_NUMBER:
        return "num";
    case QOPT_TYPE_SIZE:
        return "size";
    default:
        return "str";
    }
}

/*
 * Check the value of @key against @d.  NUMBER and SIZE values are
 * replaced by their decimal form, so that later readers need not know
 * the type.  Returns: true if valid.
 */
static bool qopts_check_value(const QOptDesc *d, QObject *dict,
                              const char *key, Error **errp)
{
    const QObject *v = qdict_get(dict, key);
    bool is_u64 = QOPT_TYPE_NUMBER == d->type || QOPT_TYPE_SIZE == d->type;
    uint64_t n;
    bool b;

    if (QTYPE_QSTRING != qobject_type(v)) {
        if ((QOPT_TYPE_BOOL == d->type && QTYPE_QBOOL == qobject_type(v)) ||
            (is_u64 && QTYPE_QNUM == qobject_type(v))) {
            return true;
        }
        error_setg(errp, "Invalid parameter type for '%s', expected: %s",
                   key, qopts_type_name(d->type));
        return false;
    }
    if (QOPT_TYPE_BOOL == d->type) {
        return keyval_parse_bool(key, qobject_get_str(v), &b, errp);
    }
    if (is_u64) {
        g_autofree char *dec = NULL;

        if (!qopts_parse_u64(key, qobject_get_str(v),
                             QOPT_TYPE_SIZE == d->type, &n, errp)) {
            return false;
        }
        dec = g_strdup_printf("%" PRIu64, n);
        qdict_put_str(dict, key, dec);
    }
    return true;
}

/*
 * @key is @d's alias: refuse it next to the canonical name @canon, and
 * check and translate an ENUM value (the canonical table of values gives
 * the error, named after the alias the user wrote).
 */
static bool qopts_check_alias(const QOptDesc *d, QObject *dict,
                              const char *key, const char *canon,
                              Error **errp)
{
    const QObject *v = qdict_get(dict, key);
    const char *s = QTYPE_QSTRING == qobject_type(v) ? qobject_get_str(v)
                                                    : NULL;

    if (qdict_haskey(dict, canon)) {
        error_setg(errp, "'%s' and its alias '%s' can't be used at the "
                   "same time", canon, key);
        return false;
    }
    if (QOPT_TYPE_ENUM != d->type || !s) {
        return true;
    }
    if (d->alias_values) {
        for (size_t i = 0; d->alias_values[i]; i += 2) {
            if (0 == strcmp(s, d->alias_values[i])) {
                qdict_put_str(dict, key, d->alias_values[i + 1]);
                return true;
            }
        }
        error_setg(errp, "Parameter '%s' does not accept value '%s'", key,
                   s);
        return false;
    }
    return qapi_enum_parse(d->enum_lookup, key, s, 0, errp) >= 0;
}

bool qopts_validate(const QOptDesc *desc, QObject *dict, Error **errp)
{
    g_autofree const char **keys = NULL;
    const QOptDesc *d;
    size_t i;

    /* 7.2's -o parser sets no option for "id=..."; it just drops it. */
    qdict_del(dict, "id");
    keys = qdict_keys_in_insertion_order(dict);
    /* Check in the order the user wrote them, as 7.2 does. */
    for (i = 0; keys[i]; i++) {
        g_autofree char *key = g_strdup(keys[i]);
        g_autoptr(GString) canon = g_string_new(NULL);

        d = qopts_lookup(desc, "", key, canon);
        if (!d) {
            error_setg(errp, "Invalid parameter '%s'", key);
            return false;
        }
        if (!qopts_check_value(d, dict, key, errp)) {
            return false;
        }
        if (0 != strcmp(canon->str, key) &&
            !qopts_check_alias(d, dict, key, canon->str, errp)) {
            return false;
        }
        if (0 != strcmp(canon->str, key)) {
            qdict_put(dict, canon->str, qdict_take(dict, key));
        }
    }
    return true;
}

/* Read an unsigned option value: a QNUM, or a NUMBER or SIZE string. */
static bool qopts_value_u64(const QObject *v, uint64_t *out)
{
    if (QTYPE_QNUM == qobject_type(v)) {
        *out = qobject_get_uint(v);
        return true;
    }
    if (QTYPE_QSTRING != qobject_type(v)) {
        return false;
    }
    return 0 == qemu_strtou64_base(qobject_get_str(v), 0, out) ||
           0 == qemu_strtosz(qobject_get_str(v), NULL, out);
}

/* Store the value @v of @d into its field at @field. */
static bool qopts_store(const QOptDesc *d, const QObject *v, char *field,
                        Error **errp)
{
    const char *s = QTYPE_QSTRING == qobject_type(v) ? qobject_get_str(v)
                                                    : NULL;
    bool b = false;
    int e;

    switch (d->type) {
    case QOPT_TYPE_STRING:
        if (!s) {
            error_setg(errp, "Invalid parameter type for '%s', expected: "
                       "string", d->name);
            return false;
        }
        g_free(*(char **)field);
        *(char **)field = g_strdup(s);
        return true;
    case QOPT_TYPE_BOOL:
        if (!s) {
            b = QTYPE_QBOOL == qobject_type(v) && qobject_get_bool(v);
        } else if (!keyval_parse_bool(d->name, s, &b, errp)) {
            return false;
        }
        *(bool *)field = b;
        return true;
    case QOPT_TYPE_ENUM:
        e = qapi_enum_parse(d->enum_lookup,
                            d->qapi_name ? d->qapi_name : d->name,
                            s ? s : "", 0, errp);
        if (e < 0) {
            return false;
        }
        *(int *)field = e;
        return true;
    default:
        if (!qopts_value_u64(v, (uint64_t *)field)) {
            return qopts_parse_u64(d->name, s ? s : "",
                                   QOPT_TYPE_SIZE == d->type,
                                   (uint64_t *)field, errp);
        }
        return true;
    }
}

/* The value of @d under @prefix, by name or else by alias, or NULL. */
static const QObject *qopts_get_value(const QObject *dict, const char *prefix,
                                      const QOptDesc *d)
{
    g_autofree char *key = g_strconcat(prefix, d->name, NULL);
    g_autofree char *akey = NULL;
    const QObject *v = qdict_get(dict, key);

    if (!v && d->alias) {
        akey = g_strdup(d->alias);
        v = qdict_get(dict, akey);
    }
    return v;
}

/* qopts_to_struct() for one table, its fields based at @base. */
static bool qopts_fill(const QOptDesc *desc, const QObject *dict,
                       const char *prefix, char *base, Error **errp)
{
    const QOptDesc *d;
    const QObject *v;

    for (d = desc; d->name; d++) {
        if (!d->has_field) {
            continue;
        }
        if (QOPT_TYPE_GROUP == d->type) {
            g_autofree char *sub = qopts_group_prefix(prefix, d);

            if (!qopts_fill(d->group, dict, sub, base + d->offset, errp)) {
                return false;
            }
            continue;
        }
        v = qopts_get_value(dict, prefix, d);
        if (!v) {
            continue;
        }
        if (!qopts_store(d, v, base + d->offset, errp)) {
            return false;
        }
        /* A field cannot be its own has-flag: that means none was given. */
        if (d->has_offset != d->offset) {
            *(bool *)(base + d->has_offset) = true;
        }
    }
    return true;
}

bool qopts_to_struct(const QOptDesc *desc, const QObject *dict,
                     const char *prefix, void *out, Error **errp)
{
    return qopts_fill(desc, dict, prefix, out, errp);
}

void qopts_free_struct(const QOptDesc *desc, void *out)
{
    const QOptDesc *d;
    char *base = out;

    for (d = desc; d->name; d++) {
        if (!d->has_field) {
            continue;
        }
        if (QOPT_TYPE_GROUP == d->type) {
            qopts_free_struct(d->group, base + d->offset);
        } else if (QOPT_TYPE_STRING == d->type) {
            g_clear_pointer((char **)(base + d->offset), g_free);
        }
    }
}

/* Append @s with each ',' doubled, as 7.2 prints string options. */
static void qopts_append_escaped(GString *out, const char *s)
{
    for (; *s; s++) {
        if (',' == *s) {
            g_string_append_c(out, ',');
        }
        g_string_append_c(out, *s);
    }
}

/* Append " name=value" for @d if it is set in @dict or has a default. */
static void qopts_format_one(GString *out, const QOptDesc *d,
                             const char *key, const QObject *dict)
{
    const QObject *v = qdict_get(dict, key);
    const char *s = v && QTYPE_QSTRING == qobject_type(v) ?
                    qobject_get_str(v) : NULL;
    uint64_t n;

    if (!v && !d->def_value_str) {
        return;
    }
    g_string_append_printf(out, " %s=", key);
    if (!v) {
        s = d->def_value_str;
    } else if ((QOPT_TYPE_NUMBER == d->type || QOPT_TYPE_SIZE == d->type) &&
               qopts_value_u64(v, &n)) {
        /* 7.2 prints set numbers and sizes as signed 64-bit decimals. */
        g_string_append_printf(out, "%" PRId64, (int64_t)n);
        return;
    } else if (QTYPE_QBOOL == qobject_type(v)) {
        s = qobject_get_bool(v) ? "on" : "off";
    }
    if (QOPT_TYPE_STRING == d->type || QOPT_TYPE_ENUM == d->type) {
        qopts_append_escaped(out, s ? s : "");
    } else {
        g_string_append(out, s ? s : "");
    }
}

static void qopts_format_table(GString *out, const QOptDesc *desc,
                               const char *prefix, const QObject *dict)
{
    const QOptDesc *d;

    for (d = desc; d->name; d++) {
        g_autofree char *key = NULL;

        if (QOPT_TYPE_GROUP == d->type) {
            key = qopts_group_prefix(prefix, d);
            qopts_format_table(out, d->group, key, dict);
        } else {
            key = g_strconcat(prefix, d->name, NULL);
            qopts_format_one(out, d, key, dict);
        }
    }
}

void qopts_format_line(GString *out, const QOptDesc *desc,
                       const QObject *dict)
{
    qopts_format_table(out, desc, "", dict);
}

/*
 * Collect "  name=<type>" lines, padded to 24 columns before " - help",
 * the format 7.2 prints.
 */
static void qopts_help_lines(GPtrArray *lines, const QOptDesc *desc,
                             const char *prefix)
{
    const QOptDesc *d;
    GString *line;

    for (d = desc; d->name; d++) {
        if (QOPT_TYPE_GROUP == d->type) {
            g_autofree char *sub = qopts_group_prefix(prefix, d);

            qopts_help_lines(lines, d->group, sub);
            continue;
        }
        if (d->hidden) {
            continue;
        }
        line = g_string_new(NULL);
        g_string_append_printf(line, "  %s%s=<%s>", prefix, d->name,
                               qopts_type_name(d->type));
        if (d->help) {
            g_string_append_printf(line, "%*s - %s",
                                   (int)MAX(0, 24 - (int)line->len), "",
                                   d->help);
        }
        g_ptr_array_add(lines, g_string_free(line, FALSE));
    }
}

static gint qopts_line_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void qopts_print_help(GString *out, const QOptDesc *desc)
{
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    guint i;

    qopts_help_lines(lines, desc, "");
    /* 7.2 sorts the finished lines, not the names. */
    g_ptr_array_sort(lines, qopts_line_cmp);
    for (i = 0; i < lines->len; i++) {
        g_string_append_printf(out, "%s\n", (const char *)lines->pdata[i]);
    }
}

bool qopts_get_bool(const QObject *dict, const char *name, bool def)
{
    const QObject *v = qdict_get(dict, name);
    bool b;

    if (v && QTYPE_QBOOL == qobject_type(v)) {
        return qobject_get_bool(v);
    }
    if (v && QTYPE_QSTRING == qobject_type(v) &&
        keyval_parse_bool(name, qobject_get_str(v), &b, NULL)) {
        return b;
    }
    return def;
}

uint64_t qopts_get_number(const QObject *dict, const char *name,
                          uint64_t def)
{
    const QObject *v = qdict_get(dict, name);
    uint64_t n;

    return v && qopts_value_u64(v, &n) ? n : def;
}
