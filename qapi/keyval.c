/*
 * "key=value,..." option strings: 7.2's QemuOpts rules (-o, --image-opts)
 * and its stricter keyval grammar (--object).
 */
#include "qemu/osdep.h"

#include "qapi/keyval.h"

/*
 * Copy a value from @p up to the first single ',' (",," stands for one
 * comma) into @out.  Returns: where the value ends (',' or '\0').
 */
static const char *keyval_get_value(const char *p, GString *out)
{
    while (*p) {
        if (',' == *p) {
            if (',' != p[1]) {
                break;
            }
            p++;
        }
        g_string_append_c(out, *p++);
    }
    return p;
}

/*
 * One QemuOpts element at @p: "name=value", a flag ("name" is name=on,
 * "noname" is name=off), or the implied key's value.  Returns: the text
 * after the element and its comma.
 */
static const char *keyval_parse_one(QObject *dict, const char *p,
                                    const char *implied_key)
{
    size_t len = strcspn(p, "=,");
    g_autoptr(GString) value = g_string_new(NULL);
    g_autofree char *name = NULL;

    if ('=' == p[len]) {
        name = g_strndup(p, len);
        p = keyval_get_value(p + len + 1, value);
    } else if (implied_key) {
        name = g_strdup(implied_key);
        p = keyval_get_value(p, value);
    } else if (0 == strncmp(p, "no", 2)) {
        /* 7.2 strips "no" from any flag, so "nocow" means "cow=off". */
        name = g_strndup(p + 2, len - 2);
        g_string_assign(value, "off");
        p += len;
    } else {
        name = g_strndup(p, len);
        g_string_assign(value, "on");
        p += len;
    }
    qdict_put_str(dict, name, value->str);
    return ',' == *p ? p + 1 : p;
}

bool keyval_parse_into(QObject *dict, const char *params,
                       const char *implied_key, Error **errp)
{
    const char *p = params;

    /* Only the first element may stand for the implied key. */
    while (*p) {
        p = keyval_parse_one(dict, p, p == params ? implied_key : NULL);
    }
    return true;
}

QObject *keyval_parse(const char *params, const char *implied_key,
                      Error **errp)
{
    g_autoptr(QObject) dict = qobject_new_dict();

    if (!keyval_parse_into(dict, params, implied_key, errp)) {
        return NULL;
    }
    return g_steal_pointer(&dict);
}

static bool keyval_is_help_word(const char *s)
{
    return 0 == strcmp(s, "help") || 0 == strcmp(s, "?");
}

bool keyval_is_help(const char *params)
{
    g_autoptr(GString) elem = g_string_new(NULL);
    const char *p = params;

    while (*p) {
        g_string_truncate(elem, 0);
        p = keyval_get_value(p, elem);
        if (keyval_is_help_word(elem->str)) {
            return true;
        }
        if (*p) {
            p++;
        }
    }
    return false;
}

bool keyval_parse_bool(const char *name, const char *value, bool *out,
                       Error **errp)
{
    static const char *const yes[] = { "on", "yes", "true", "y", NULL };
    static const char *const no[] = { "off", "no", "false", "n", NULL };

    if (g_strv_contains(yes, value)) {
        *out = true;
        return true;
    }
    if (g_strv_contains(no, value)) {
        *out = false;
        return true;
    }
    error_setg(errp, "Parameter '%s' expects 'on' or 'off'", name);
    return false;
}

bool keyval_is_valid_option_list(const char *params)
{
    size_t len = strlen(params);
    size_t i = len;

    if (!params[0] || ',' == params[0]) {
        return false;
    }
    /* An odd number of trailing commas leaves an unfinished element. */
    while (i > 0 && ',' == params[i - 1]) {
        i--;
    }
    return 0 == (len - i) % 2;
}

char **keyval_list_short_bools(const char *params, const char *implied_key)
{
    GPtrArray *flags = g_ptr_array_new();
    g_autoptr(GString) skip = g_string_new(NULL);
    const char *p = params;
    size_t len;

    while (*p) {
        len = strcspn(p, "=,");
        if ('=' == p[len] || (p == params && implied_key)) {
            p = keyval_get_value(p + ('=' == p[len] ? len + 1 : 0), skip);
        } else {
            g_autofree char *flag = g_strndup(p, len);

            if (!keyval_is_help_word(flag)) {
                g_ptr_array_add(flags, g_steal_pointer(&flag));
            }
            p += len;
        }
        if (',' == *p) {
            p++;
        }
    }
    g_ptr_array_add(flags, NULL);
    return (char **)g_ptr_array_free(flags, FALSE);
}

/*
 * The length of the key fragment at @frag (up to '.' or @end): a name
 * ([A-Za-z][A-Za-z0-9_-]*) or, unless @first, an index ([0-9]+).
 * Returns: the length, or 0 if the fragment is empty or malformed.
 */
static size_t keyval_fragment_len(const char *frag, const char *end,
                                  bool first)
{
    bool index = !first && g_ascii_isdigit(*frag);
    const char *p = frag;

    if (p == end || !(index || g_ascii_isalpha(*p))) {
        return 0;
    }
    for (p++; p < end && '.' != *p; p++) {
        if (index ? !g_ascii_isdigit(*p)
                  : !(g_ascii_isalnum(*p) || '-' == *p || '_' == *p)) {
            return 0;
        }
    }
    return p - frag;
}

/*
 * Check @key (@len bytes) against 7.2's grammar: dot-separated fragments
 * of at most 127 characters.
 * Returns: true if valid, else false with @errp set.
 */
static bool keyval_check_key(const char *key, size_t len, Error **errp)
{
    const char *frag = key;
    const char *end = key + len;
    size_t flen;

    for (;;) {
        flen = keyval_fragment_len(frag, end, frag == key);
        if (!flen) {
            error_setg(errp, "Invalid parameter '%.*s'", (int)len, key);
            return false;
        }
        if (flen > 127) {
            error_setg(errp, "Parameter '%.*s' is too long", (int)len, key);
            return false;
        }
        if (frag + flen == end) {
            return true;
        }
        frag += flen + 1;
    }
}

/*
 * Refuse "a=1,a.b=2" and "a.b=2,a=1": a key may not be both a value and a
 * prefix of other keys (7.2 builds nested dicts from dotted keys).
 */
static bool keyval_check_consistent(const QObject *dict, const char *key,
                                    Error **errp)
{
    g_autofree char *prefix = g_strconcat(key, ".", NULL);
    const char *dot;
    const QDictEntry *e;

    for (dot = strchr(key, '.'); dot; dot = strchr(dot + 1, '.')) {
        g_autofree char *head = g_strndup(key, dot - key);

        if (qdict_haskey(dict, head)) {
            error_setg(errp, "Parameters '%s.*' used inconsistently", head);
            return false;
        }
    }
    for (e = qdict_first(dict); e; e = qdict_next(dict, e)) {
        if (g_str_has_prefix(qdict_entry_key(e), prefix)) {
            error_setg(errp, "Parameters '%s.*' used inconsistently", key);
            return false;
        }
    }
    return true;
}

/* One element of the strict grammar; Returns: the rest, or NULL. */
static const char *keyval_strict_one(QObject *dict, const char *p,
                                     const char *implied_key, Error **errp)
{
    size_t len = strcspn(p, "=,");
    g_autoptr(GString) value = g_string_new(NULL);
    g_autofree char *key = g_strndup(p, len);

    if (implied_key && len && '=' != p[len] && !keyval_is_help_word(key)) {
        /* The implied value is taken as written: no ",," escapes. */
        qdict_put_str(dict, implied_key, key);
        return p + len + (',' == p[len]);
    }
    if ('=' != p[len] && keyval_is_help_word(key)) {
        return p + len + (',' == p[len]);
    }
    if (!keyval_check_key(p, len, errp)) {
        return NULL;
    }
    if ('=' != p[len]) {
        error_setg(errp, "Expected '=' after parameter '%s'", key);
        return NULL;
    }
    p = keyval_get_value(p + len + 1, value);
    if (!qdict_haskey(dict, key) &&
        !keyval_check_consistent(dict, key, errp)) {
        return NULL;
    }
    qdict_put_str(dict, key, value->str);
    return ',' == *p ? p + 1 : p;
}

QObject *keyval_parse_strict(const char *params, const char *implied_key,
                             Error **errp)
{
    g_autoptr(QObject) dict = qobject_new_dict();
    const char *p = params;

    while (p && *p) {
        p = keyval_strict_one(dict, p, p == params ? implied_key : NULL,
                              errp);
    }
    return p ? g_steal_pointer(&dict) : NULL;
}
