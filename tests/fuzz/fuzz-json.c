/*
 * libFuzzer target: the input is JSON text (as in json: file names); what
 * parses must print (compact and pretty) and parse back to equal values.
 */
#include "qemu/osdep.h"

#include <math.h>

#include "fuzz-util.h"
#include "qapi/qobject.h"

/* Returns: whether @a and @b are the same number as JSON spells them. */
static bool num_equal(const QObject *a, const QObject *b)
{
    g_autofree char *sa = qobject_num_to_str(a);
    g_autofree char *sb = qobject_num_to_str(b);

    /* Like 7.2's, our -0.0 prints as "-0", which reads back as int 0. */
    return 0 == strcmp(sa, sb) ||
           (0 == qobject_get_double(a) && 0 == qobject_get_double(b));
}

/*
 * Returns: whether @a and @b hold the same values.  Dict member order is
 * not compared: as in 7.2, keys that share a hash bucket iterate newest
 * first, so printing and parsing back swaps them.
 */
static bool value_equal(const QObject *a, const QObject *b)
{
    const QDictEntry *e;
    size_t i;

    if (qobject_type(a) != qobject_type(b)) {
        return false;
    }
    switch (qobject_type(a)) {
    case QTYPE_QNULL:
        return true;
    case QTYPE_QBOOL:
        return qobject_get_bool(a) == qobject_get_bool(b);
    case QTYPE_QNUM:
        return num_equal(a, b);
    case QTYPE_QSTRING:
        return 0 == strcmp(qobject_get_str(a), qobject_get_str(b));
    case QTYPE_QLIST:
        if (qlist_size(a) != qlist_size(b)) {
            return false;
        }
        for (i = 0; i < qlist_size(a); i++) {
            if (!value_equal(qlist_get(a, i), qlist_get(b, i))) {
                return false;
            }
        }
        return true;
    case QTYPE_QDICT:
        if (qdict_size(a) != qdict_size(b)) {
            return false;
        }
        for (e = qdict_first(a); e; e = qdict_next(a, e)) {
            const QObject *v = qdict_get(b, qdict_entry_key(e));

            if (!v || !value_equal(qdict_entry_value(e), v)) {
                return false;
            }
        }
        return true;
    }
    return false;
}

/* Returns: whether @obj holds a double JSON cannot spell (inf, nan). */
static bool has_nonfinite(const QObject *obj)
{
    const QDictEntry *e;
    size_t i;

    switch (qobject_type(obj)) {
    case QTYPE_QNUM:
        return !isfinite(qobject_get_double(obj));
    case QTYPE_QLIST:
        for (i = 0; i < qlist_size(obj); i++) {
            if (has_nonfinite(qlist_get(obj, i))) {
                return true;
            }
        }
        return false;
    case QTYPE_QDICT:
        for (e = qdict_first(obj); e; e = qdict_next(obj, e)) {
            if (has_nonfinite(qdict_entry_value(e))) {
                return true;
            }
        }
        return false;
    default:
        return false;
    }
}

/* Parse @text, which our own writer produced from @orig; it must be
 * @orig again. */
static void check_reparse(const QObject *orig, const char *text)
{
    g_autoptr(QObject) obj = NULL;
    Error *err = NULL;

    obj = qobject_from_json(text, &err);
    if (!obj) {
        fprintf(stderr, "our JSON does not parse back: %s\n%s\n",
                error_get_pretty(err), text);
        abort();
    }
    if (!value_equal(orig, obj)) {
        g_autofree char *got = qobject_to_json(obj, false);

        fprintf(stderr, "JSON round trip differs:\n%s\n%s\n", text, got);
        abort();
    }
}

/* What the block layer does with json: options and qemu-img info. */
static void fuzz_uses(const QObject *obj)
{
    g_autoptr(QObject) copy = qobject_copy(obj);
    g_autoptr(GString) human = g_string_new(NULL);
    QType type = qobject_type(obj);

    if (QTYPE_QDICT == type) {
        g_autoptr(QObject) sub = NULL;

        qdict_flatten(copy);
        sub = qdict_extract_subqdict(copy, "file.");
        g_free(qobject_to_json(sub, false));
        g_free(qdict_keys_in_insertion_order(copy));
    }
    if (QTYPE_QDICT == type || QTYPE_QLIST == type) {
        qobject_dump_human(human, obj, 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = fuzz_strndup(data, size);
    g_autoptr(QObject) obj = NULL;
    g_autoptr(QObject) copy = NULL;
    g_autofree char *compact = NULL;
    g_autofree char *pretty = NULL;
    g_autofree char *copied = NULL;
    Error *err = NULL;

    obj = qobject_from_json(text, &err);
    if (!obj) {
        fuzz_check_error(err);
        return 0;
    }
    compact = qobject_to_json(obj, false);
    pretty = qobject_to_json(obj, true);
    copy = qobject_copy(obj);
    copied = qobject_to_json(copy, false);
    assert(0 == strcmp(compact, copied));
    fuzz_uses(obj);
    /* 7.2 prints these as "inf"/"nan", which no parser takes back. */
    if (!has_nonfinite(obj)) {
        check_reparse(obj, compact);
        check_reparse(obj, pretty);
    }
    return 0;
}
