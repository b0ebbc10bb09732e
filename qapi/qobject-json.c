/*
 * JSON text for QObjects: the writer matches qemu-img 7.2's --output=json
 * and json: filenames byte for byte; the reader parses with Jansson.
 */
#include "qemu/osdep.h"

#include <jansson.h>

#include "qapi/qobject.h"

/* 7.2 refuses JSON nested deeper than this many brackets. */
#define JSON_MAX_NESTING 1024

/*
 * Decode one character of (modified) UTF-8 at @s, as 7.2 does for JSON
 * strings: "\xC0\x80" is U+0000; overlong forms, surrogates, code points
 * above U+10FFFF and the noncharacters U+FDD0..U+FDEF and U+xxFFFE/xxFFFF
 * are invalid; a sequence cut short by a byte that is not a continuation
 * byte ends there.  *@len gets the number of bytes consumed (at least 1).
 * Returns: the code point, or -1 if invalid.
 */
static int32_t mod_utf8_decode(const unsigned char *s, size_t *len)
{
    static const uint32_t min_cp[] = { 0, 0, 0x80, 0x800, 0x10000,
                                       0x200000, 0x4000000 };
    unsigned char c = s[0];
    size_t n;
    size_t i;
    uint32_t cp;

    *len = 1;
    if (c < 0x80) {
        return c;
    }
    if (c < 0xC0 || c >= 0xFE) {
        return -1;
    }
    n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF8 ? 4 : c < 0xFC ? 5 : 6;
    cp = c & (0x7F >> n);
    for (i = 1; i < n; i++) {
        if (0x80 != (s[i] & 0xC0)) {
            *len = i;
            return -1;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    *len = n;
    if (2 == n && 0 == cp) {
        return 0;
    }
    if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
        (cp >= 0xFDD0 && cp <= 0xFDEF) || 0xFFFE == (cp & 0xFFFE)) {
        return -1;
    }
    return (int32_t)cp;
}

/*
 * Append @s as a JSON string.  Like 7.2: the short escapes for " \ \b \f
 * \n \r \t, \uXXXX (upper-case hex) for other controls, DEL and every
 * non-ASCII character (surrogate pairs above the BMP), U+FFFD for each
 * invalid sequence; '/' is not escaped.
 */
static void json_append_str(GString *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len;
    int32_t cp;

    g_string_append_c(out, '"');
    while (*p) {
        cp = mod_utf8_decode(p, &len);
        p += len;
        switch (cp) {
        case '"':
            g_string_append(out, "\\\"");
            break;
        case '\\':
            g_string_append(out, "\\\\");
            break;
        case '\b':
            g_string_append(out, "\\b");
            break;
        case '\f':
            g_string_append(out, "\\f");
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        default:
            if (cp < 0) {
                cp = 0xFFFD;
            }
            if (cp > 0xFFFF) {
                g_string_append_printf(out, "\\u%04X\\u%04X",
                                       0xD800 + ((cp - 0x10000) >> 10),
                                       0xDC00 + ((cp - 0x10000) & 0x3FF));
            } else if (cp < 0x20 || cp >= 0x7F) {
                g_string_append_printf(out, "\\u%04X", (unsigned)cp);
            } else {
                g_string_append_c(out, (char)cp);
            }
        }
    }
    g_string_append_c(out, '"');
}

static void json_append(GString *out, const QObject *obj, bool pretty,
                        int indent);

/*
 * Start member @count of a container: compact form separates with ", ";
 * the pretty form puts each member on its own line, indented.
 */
static void json_member_start(GString *out, size_t count, bool pretty,
                              int indent)
{
    if (count) {
        g_string_append(out, pretty ? "," : ", ");
    }
    if (pretty) {
        g_string_append_printf(out, "\n%*s", indent * 4, "");
    }
}

/*
 * Close a container.  The pretty form always starts a new line, even for
 * an empty container, which 7.2 prints as "[" newline indent "]".
 */
static void json_container_end(GString *out, char close, bool pretty,
                               int indent)
{
    if (pretty) {
        g_string_append_printf(out, "\n%*s", indent * 4, "");
    }
    g_string_append_c(out, close);
}

static void json_append_dict(GString *out, const QObject *dict, bool pretty,
                             int indent)
{
    const QDictEntry *e;
    size_t count = 0;

    g_string_append_c(out, '{');
    for (e = qdict_first(dict); e; e = qdict_next(dict, e)) {
        json_member_start(out, count++, pretty, indent + 1);
        json_append_str(out, qdict_entry_key(e));
        g_string_append(out, ": ");
        json_append(out, qdict_entry_value(e), pretty, indent + 1);
    }
    json_container_end(out, '}', pretty, indent);
}

static void json_append_list(GString *out, const QObject *list, bool pretty,
                             int indent)
{
    size_t i;

    g_string_append_c(out, '[');
    for (i = 0; i < qlist_size(list); i++) {
        json_member_start(out, i, pretty, indent + 1);
        json_append(out, qlist_get(list, i), pretty, indent + 1);
    }
    json_container_end(out, ']', pretty, indent);
}

static void json_append(GString *out, const QObject *obj, bool pretty,
                        int indent)
{
    g_autofree char *num = NULL;

    switch (qobject_type(obj)) {
    case QTYPE_QNULL:
        g_string_append(out, "null");
        break;
    case QTYPE_QBOOL:
        g_string_append(out, qobject_get_bool(obj) ? "true" : "false");
        break;
    case QTYPE_QNUM:
        num = qobject_num_to_str(obj);
        g_string_append(out, num);
        break;
    case QTYPE_QSTRING:
        json_append_str(out, qobject_get_str(obj));
        break;
    case QTYPE_QDICT:
        json_append_dict(out, obj, pretty, indent);
        break;
    case QTYPE_QLIST:
        json_append_list(out, obj, pretty, indent);
        break;
    }
}

char *qobject_to_json(const QObject *obj, bool pretty)
{
    GString *out = g_string_new(NULL);

    json_append(out, obj, pretty, 0);
    return g_string_free(out, FALSE);
}

/* ---- Reader ---------------------------------------------------------- */

/*
 * The reader is Jansson (RFC 8259, strict) plus a conversion to QObjects.
 * Where 7.2's parser differs, we follow Jansson except as noted here:
 *
 * - Syntax errors read "JSON parse error, <Jansson's text>" instead of
 *   7.2's wording.  7.2's exact message is kept where the condition is
 *   the same: duplicate key, premature EOI, a second value after the
 *   first ("Expecting at most one JSON value"), blank input ("Expecting
 *   a JSON value") and nesting depth.  Jansson may find a different
 *   first error: "{"a":1,"a":}" is a duplicate key, not 7.2's "expecting
 *   value", and an unterminated string is a premature EOI, not "stray".
 * - QEMU's extensions are not accepted: single-quoted strings and "\'".
 * - Integers must fit in int64.  7.2 also takes INT64_MAX..UINT64_MAX as
 *   unsigned and anything larger as a double; Jansson refuses those with
 *   "too big integer".  Retrying with JSON_DECODE_INT_AS_REAL would turn
 *   every integer of the text into a double and silently round those
 *   above 2^53, so we keep the error: json: options never need such
 *   values (the block layer caps sizes and offsets at INT64_MAX).  A real
 *   that overflows a double is an error too, where 7.2 makes it inf.
 * - "\u0000" is accepted (JSON_ALLOW_NUL) and stored as "\xC0\x80", as
 *   7.2 does and as our writer prints back; in a key Jansson refuses it.
 *   Raw bytes must be valid UTF-8: 7.2's "\xC0\x80" for U+0000 is refused.
 *   A raw NUL byte cannot occur: @text is a C string, as json: names are.
 * - Noncharacters (U+FDD0..U+FDEF, U+xxFFFE/xxFFFF) are refused as in 7.2,
 *   by checking the decoded strings: our writer could not print them back.
 * - Jansson nests up to 2048 deep; we refuse more than 7.2's 1024 while
 *   converting.
 */

/* Returns: whether @text holds nothing but JSON whitespace. */
static bool json_text_is_blank(const char *text)
{
    return '\0' == text[strspn(text, " \t\r\n")];
}

/*
 * Set @errp from Jansson's @error, in 7.2's words where they exist.
 * Jansson quotes the offending token, which may hold a raw newline or
 * other control byte (after a backslash): show those as '?' to keep the
 * message on one line.
 */
static void json_set_load_error(const json_error_t *error, Error **errp)
{
    g_autofree char *text = g_strdup(error->text);
    char *p;

    for (p = text; *p; p++) {
        if ((unsigned char)*p < 0x20 || 0x7F == *p) {
            *p = '?';
        }
    }
    switch (json_error_code(error)) {
    case json_error_duplicate_key:
        error_setg(errp, "JSON parse error, duplicate key");
        break;
    case json_error_premature_end_of_input:
        error_setg(errp, "JSON parse error, premature EOI");
        break;
    case json_error_end_of_input_expected:
        error_setg(errp, "Expecting at most one JSON value");
        break;
    case json_error_stack_overflow:
        error_setg(errp, "JSON nesting depth limit exceeded");
        break;
    default:
        error_setg(errp, "JSON parse error, %s", text);
        break;
    }
}

/*
 * Copy Jansson's string @s of @len bytes (NULs allowed) into a C string,
 * each U+0000 as "\xC0\x80", refusing noncharacters as 7.2 does.
 * Returns: the new string (caller frees with g_free()), or NULL.
 */
static char *json_string_dup(const char *s, size_t len, Error **errp)
{
    g_autoptr(GString) out = g_string_sized_new(len);
    const char *end = s + len;
    size_t n;
    int32_t cp;

    while (s < end) {
        if ('\0' == *s) {
            g_string_append(out, "\xC0\x80");
            s++;
            continue;
        }
        /* Jansson's strings are valid UTF-8, so this cannot overrun. */
        cp = mod_utf8_decode((const unsigned char *)s, &n);
        if (cp < 0) {
            error_setg(errp, "JSON parse error, invalid Unicode character "
                       "in string");
            return NULL;
        }
        g_string_append_len(out, s, n);
        s += n;
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static QObject *json_to_qobject(json_t *json, int depth, Error **errp);

/* Convert an object's members in Jansson's (insertion, i.e. text) order. */
static QObject *json_object_to_qdict(json_t *json, int depth, Error **errp)
{
    g_autoptr(QObject) dict = qobject_new_dict();
    const char *key;
    json_t *value;
    QObject *obj;

    json_object_foreach(json, key, value) {
        g_autofree char *k = json_string_dup(key, strlen(key), errp);

        if (!k) {
            return NULL;
        }
        obj = json_to_qobject(value, depth, errp);
        if (!obj) {
            return NULL;
        }
        qdict_put(dict, k, obj);
    }
    return g_steal_pointer(&dict);
}

static QObject *json_array_to_qlist(const json_t *json, int depth,
                                    Error **errp)
{
    g_autoptr(QObject) list = qobject_new_list();
    size_t i;
    json_t *value;
    QObject *obj;

    json_array_foreach(json, i, value) {
        obj = json_to_qobject(value, depth, errp);
        if (!obj) {
            return NULL;
        }
        qlist_append(list, obj);
    }
    return g_steal_pointer(&list);
}

static QObject *json_string_to_qstring(const json_t *json, Error **errp)
{
    g_autofree char *s = json_string_dup(json_string_value(json),
                                         json_string_length(json), errp);

    return s ? qobject_new_str(s) : NULL;
}

/* Convert @json, found inside @depth containers. */
static QObject *json_to_qobject(json_t *json, int depth, Error **errp)
{
    switch (json_typeof(json)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        if (depth >= JSON_MAX_NESTING) {
            error_setg(errp, "JSON nesting depth limit exceeded");
            return NULL;
        }
        return json_is_object(json) ?
               json_object_to_qdict(json, depth + 1, errp) :
               json_array_to_qlist(json, depth + 1, errp);
    case JSON_STRING:
        return json_string_to_qstring(json, errp);
    case JSON_INTEGER:
        return qobject_new_int(json_integer_value(json));
    case JSON_REAL:
        return qobject_new_double(json_real_value(json));
    case JSON_TRUE:
        return qobject_new_bool(true);
    case JSON_FALSE:
        return qobject_new_bool(false);
    case JSON_NULL:
        return qobject_new_null();
    }
    g_assert_not_reached();
}

QObject *qobject_from_json(const char *text, Error **errp)
{
    json_error_t error;
    json_t *json;
    QObject *obj;

    if (json_text_is_blank(text)) {
        error_setg(errp, "Expecting a JSON value");
        return NULL;
    }
    /* 7.2 refuses duplicate keys and takes any value at the top level. */
    json = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY |
                      JSON_ALLOW_NUL, &error);
    if (!json) {
        json_set_load_error(&error, errp);
        return NULL;
    }
    obj = json_to_qobject(json, 0, errp);
    json_decref(json);
    return obj;
}
