/*
 * JSON text for QObjects: the writer matches qemu-img 7.2's --output=json
 * and json: filenames byte for byte; the reader follows 7.2's JSON parser.
 */
#include "qemu/osdep.h"

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

typedef enum JsonTokenType {
    JSON_LCURLY,
    JSON_RCURLY,
    JSON_LSQUARE,
    JSON_RSQUARE,
    JSON_COLON,
    JSON_COMMA,
    JSON_STRING,
    JSON_INTEGER,
    JSON_FLOAT,
    JSON_KEYWORD,
    JSON_ERROR,
} JsonTokenType;

typedef struct JsonToken {
    JsonTokenType type;
    char *text;             /* the token as written */
} JsonToken;

static void json_token_free(gpointer p)
{
    JsonToken *tok = p;

    g_free(tok->text);
    g_free(tok);
}

/* Store @p..@end as @tok's text; Returns: @end. */
static const char *json_token_set(JsonToken *tok, JsonTokenType type,
                                  const char *p, const char *end)
{
    tok->type = type;
    tok->text = g_strndup(p, end - p);
    return end;
}

/*
 * Lex a bad token: 7.2 reports everything read so far including the
 * offending byte (or up to the end of input).
 */
static const char *json_lex_error(JsonToken *tok, const char *p,
                                  const char *q)
{
    return json_token_set(tok, JSON_ERROR, p, *q ? q + 1 : q);
}

/*
 * A string in double or single quotes (single quotes are QEMU's
 * extension).  The lexer only takes bytes 0x20..0xFD, and any such byte
 * after a backslash; escapes and UTF-8 are checked by the parser.
 */
static const char *json_lex_string(JsonToken *tok, const char *p)
{
    const char *q = p + 1;
    unsigned char c;

    for (;;) {
        c = (unsigned char)*q;
        if (c == (unsigned char)*p) {
            return json_token_set(tok, JSON_STRING, p, q + 1);
        }
        if ('\\' == c) {
            q++;
            c = (unsigned char)*q;
        }
        if (c < 0x20 || c > 0xFD) {
            return json_lex_error(tok, p, q);
        }
        q++;
    }
}

/* A number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *json_lex_number(JsonToken *tok, const char *p)
{
    const char *q = p;
    JsonTokenType type = JSON_INTEGER;

    if ('-' == *q) {
        q++;
    }
    if ('0' == *q) {
        q++;
        if (g_ascii_isdigit(*q)) {
            return json_lex_error(tok, p, q);
        }
    } else if (g_ascii_isdigit(*q)) {
        while (g_ascii_isdigit(*q)) {
            q++;
        }
    } else {
        return json_lex_error(tok, p, q);
    }
    if ('.' == *q) {
        type = JSON_FLOAT;
        if (!g_ascii_isdigit(*++q)) {
            return json_lex_error(tok, p, q);
        }
        while (g_ascii_isdigit(*q)) {
            q++;
        }
    }
    if ('e' == *q || 'E' == *q) {
        type = JSON_FLOAT;
        q++;
        if ('+' == *q || '-' == *q) {
            q++;
        }
        if (!g_ascii_isdigit(*q)) {
            return json_lex_error(tok, p, q);
        }
        while (g_ascii_isdigit(*q)) {
            q++;
        }
    }
    return json_token_set(tok, type, p, q);
}

/* Lex one token starting at the non-blank @p; Returns: where it ends. */
static const char *json_lex(JsonToken *tok, const char *p)
{
    static const char structural[] = "{}[]:,";
    const char *s = *p ? strchr(structural, *p) : NULL;
    const char *q = p;

    if (s) {
        return json_token_set(tok, (JsonTokenType)(JSON_LCURLY +
                              (s - structural)), p, p + 1);
    }
    if ('"' == *p || '\'' == *p) {
        return json_lex_string(tok, p);
    }
    if ('-' == *p || g_ascii_isdigit(*p)) {
        return json_lex_number(tok, p);
    }
    if (*p >= 'a' && *p <= 'z') {
        while (*q >= 'a' && *q <= 'z') {
            q++;
        }
        return json_token_set(tok, JSON_KEYWORD, p, q);
    }
    return json_token_set(tok, JSON_ERROR, p, p + 1);
}

typedef struct JsonParser {
    JsonToken **toks;
    guint n;
    guint pos;
} JsonParser;

static void json_parse_error(Error **errp, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

static void json_parse_error(Error **errp, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_setg(errp, "JSON parse error, %s", msg);
}

/* The next token, or NULL (with "premature EOI") at the end. */
static JsonToken *json_next(JsonParser *p, Error **errp)
{
    if (p->pos >= p->n) {
        json_parse_error(errp, "premature EOI");
        return NULL;
    }
    return p->toks[p->pos++];
}

static QObject *json_parse_value(JsonParser *p, Error **errp);

/* Read four hex digits at @s; Returns: the value or -1. */
static int32_t json_hex4(const char *s)
{
    int32_t v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        if (!g_ascii_isxdigit(s[i])) {
            return -1;
        }
        v = v * 16 + g_ascii_xdigit_value(s[i]);
    }
    return v;
}

/*
 * Decode the \u escape at @s (pointing at the backslash), including a
 * following low surrogate.  U+0000 is stored as "\xC0\x80" as 7.2 does.
 * Returns: the number of bytes consumed, or 0 on error.
 */
static size_t json_unescape_u(GString *out, const char *s, Error **errp)
{
    int32_t cp = json_hex4(s + 2);
    int32_t lo;
    size_t used = 6;
    char buf[8];

    if (cp >= 0xD800 && cp <= 0xDBFF) {
        lo = '\\' == s[6] && 'u' == s[7] ? json_hex4(s + 8) : -1;
        cp = lo >= 0xDC00 && lo <= 0xDFFF ?
             0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00) : -1;
        used = 12;
    }
    if (cp < 0 || (cp >= 0xD800 && cp <= 0xDFFF) ||
        (cp >= 0xFDD0 && cp <= 0xFDEF) || 0xFFFE == (cp & 0xFFFE)) {
        json_parse_error(errp, "%.6s is not a valid Unicode character", s);
        return 0;
    }
    if (0 == cp) {
        g_string_append(out, "\xC0\x80");
    } else {
        g_string_append_len(out, buf, g_unichar_to_utf8(cp, buf));
    }
    return used;
}

/* The escaped character for "\@c", or 0 if 7.2 rejects the escape. */
static char json_simple_escape(char c)
{
    static const char from[] = "\"'\\/bfnrt";
    static const char to[] = "\"'\\/\b\f\n\r\t";
    const char *s = c ? strchr(from, c) : NULL;

    return s ? to[s - from] : 0;
}

static QObject *json_parse_string(const JsonToken *tok, Error **errp)
{
    g_autoptr(GString) out = g_string_new(NULL);
    const char *s = tok->text + 1;
    size_t len;
    char c;

    while (*s != tok->text[0]) {
        if ('\\' == *s && 'u' == s[1]) {
            len = json_unescape_u(out, s, errp);
            if (!len) {
                return NULL;
            }
            s += len;
        } else if ('\\' == *s) {
            c = json_simple_escape(s[1]);
            if (!c) {
                json_parse_error(errp, "invalid escape sequence in string");
                return NULL;
            }
            g_string_append_c(out, c);
            s += 2;
        } else {
            if (mod_utf8_decode((const unsigned char *)s, &len) < 0) {
                json_parse_error(errp, "invalid UTF-8 sequence in string");
                return NULL;
            }
            g_string_append_len(out, s, len);
            s += len;
        }
    }
    return qobject_new_str(out->str);
}

/*
 * A number: int64 if it fits, else uint64 if it is positive and fits,
 * else a double (as 7.2 does).
 */
static QObject *json_parse_number(const JsonToken *tok)
{
    char *end;
    long long i;
    unsigned long long u;

    if (JSON_INTEGER == tok->type) {
        errno = 0;
        i = strtoll(tok->text, &end, 10);
        if (0 == errno) {
            return qobject_new_int(i);
        }
        if ('-' != tok->text[0]) {
            errno = 0;
            u = strtoull(tok->text, &end, 10);
            if (0 == errno) {
                return qobject_new_uint(u);
            }
        }
    }
    return qobject_new_double(g_ascii_strtod(tok->text, NULL));
}

static QObject *json_parse_keyword(const JsonToken *tok, Error **errp)
{
    if (0 == strcmp(tok->text, "true")) {
        return qobject_new_bool(true);
    }
    if (0 == strcmp(tok->text, "false")) {
        return qobject_new_bool(false);
    }
    if (0 == strcmp(tok->text, "null")) {
        return qobject_new_null();
    }
    json_parse_error(errp, "invalid keyword '%s'", tok->text);
    return NULL;
}

/* One "key": value member into @dict.  7.2 parses the key as any value. */
static bool json_parse_pair(JsonParser *p, QObject *dict, Error **errp)
{
    g_autoptr(QObject) key = json_parse_value(p, errp);
    g_autoptr(QObject) value = NULL;
    const JsonToken *tok;

    if (!key) {
        return false;
    }
    if (QTYPE_QSTRING != qobject_type(key)) {
        json_parse_error(errp, "key is not a string in object");
        return false;
    }
    tok = json_next(p, errp);
    if (!tok) {
        return false;
    }
    if (JSON_COLON != tok->type) {
        json_parse_error(errp, "missing : in object pair");
        return false;
    }
    value = json_parse_value(p, errp);
    if (!value) {
        return false;
    }
    if (qdict_haskey(dict, qobject_get_str(key))) {
        json_parse_error(errp, "duplicate key");
        return false;
    }
    qdict_put(dict, qobject_get_str(key), g_steal_pointer(&value));
    return true;
}

/*
 * The members of a dict or list after its opening bracket, up to @close;
 * "expected separator in dict/list" names the container as 7.2 does.
 */
static QObject *json_parse_container(JsonParser *p, bool is_dict,
                                     Error **errp)
{
    g_autoptr(QObject) obj = is_dict ? qobject_new_dict() : qobject_new_list();
    JsonTokenType close = is_dict ? JSON_RCURLY : JSON_RSQUARE;
    const JsonToken *tok;
    QObject *elem;

    if (p->pos < p->n && close == p->toks[p->pos]->type) {
        p->pos++;
        return g_steal_pointer(&obj);
    }
    for (;;) {
        if (is_dict) {
            if (!json_parse_pair(p, obj, errp)) {
                return NULL;
            }
        } else {
            elem = json_parse_value(p, errp);
            if (!elem) {
                return NULL;
            }
            qlist_append(obj, elem);
        }
        tok = json_next(p, errp);
        if (!tok) {
            return NULL;
        }
        if (close == tok->type) {
            return g_steal_pointer(&obj);
        }
        if (JSON_COMMA != tok->type) {
            json_parse_error(errp, "expected separator in %s",
                             is_dict ? "dict" : "list");
            return NULL;
        }
    }
}

static QObject *json_parse_value(JsonParser *p, Error **errp)
{
    const JsonToken *tok = json_next(p, errp);

    if (!tok) {
        return NULL;
    }
    switch (tok->type) {
    case JSON_LCURLY:
        return json_parse_container(p, true, errp);
    case JSON_LSQUARE:
        return json_parse_container(p, false, errp);
    case JSON_STRING:
        return json_parse_string(tok, errp);
    case JSON_INTEGER:
    case JSON_FLOAT:
        return json_parse_number(tok);
    case JSON_KEYWORD:
        return json_parse_keyword(tok, errp);
    default:
        json_parse_error(errp, "expecting value");
        return NULL;
    }
}

/*
 * 7.2 splits the input into top-level values as it lexes and hands each
 * to the parser; the first error wins, and a second value (or an error
 * after a value) gives "Expecting at most one JSON value".
 */
typedef struct JsonReader {
    GPtrArray *pending;     /* tokens of the value being collected */
    int curly;
    int square;
    QObject *result;
    Error *err;
} JsonReader;

static void json_reader_emit(JsonReader *r, QObject *obj, Error *err)
{
    if (r->result) {
        qobject_free(r->result);
        r->result = NULL;
        error_setg(&r->err, "Expecting at most one JSON value");
    }
    if (r->err) {
        qobject_free(obj);
        error_free(err);
        return;
    }
    r->result = obj;
    r->err = err;
}

static void json_reader_reset(JsonReader *r)
{
    g_ptr_array_set_size(r->pending, 0);
    r->curly = 0;
    r->square = 0;
}

/* Parse the pending tokens as one value and emit the outcome. */
static void json_reader_flush(JsonReader *r)
{
    JsonParser p = {
        .toks = (JsonToken **)r->pending->pdata,
        .n = r->pending->len,
    };
    Error *err = NULL;
    QObject *obj = json_parse_value(&p, &err);

    json_reader_emit(r, obj, err);
    json_reader_reset(r);
}

/* Feed one token (ownership moves to @r). */
static void json_reader_feed(JsonReader *r, JsonToken *tok)
{
    Error *err = NULL;

    if (JSON_ERROR == tok->type) {
        error_setg(&err, "JSON parse error, stray '%s'", tok->text);
        json_token_free(tok);
        json_reader_emit(r, NULL, err);
        json_reader_reset(r);
        return;
    }
    g_ptr_array_add(r->pending, tok);
    r->curly += (JSON_LCURLY == tok->type) - (JSON_RCURLY == tok->type);
    r->square += (JSON_LSQUARE == tok->type) - (JSON_RSQUARE == tok->type);
    if (r->curly + r->square > JSON_MAX_NESTING) {
        error_setg(&err, "JSON nesting depth limit exceeded");
        json_reader_emit(r, NULL, err);
        json_reader_reset(r);
    } else if (r->curly < 0 || r->square < 0 ||
               (0 == r->curly && 0 == r->square)) {
        json_reader_flush(r);
    }
}

QObject *qobject_from_json(const char *text, Error **errp)
{
    JsonReader r = { .pending = g_ptr_array_new_with_free_func(
                                    json_token_free) };
    const char *p = text;
    JsonToken *tok;

    while (!r.err) {
        while (' ' == *p || '\t' == *p || '\r' == *p || '\n' == *p) {
            p++;
        }
        if (!*p) {
            break;
        }
        tok = g_new0(JsonToken, 1);
        p = json_lex(tok, p);
        json_reader_feed(&r, tok);
    }
    if (!r.err && r.pending->len) {
        json_reader_flush(&r);
    }
    g_ptr_array_free(r.pending, TRUE);
    if (!r.result && !r.err) {
        error_setg(&r.err, "Expecting a JSON value");
    }
    if (r.err) {
        error_propagate(errp, r.err);
        return NULL;
    }
    return r.result;
}
