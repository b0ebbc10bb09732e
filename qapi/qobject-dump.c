/*
 * The human-readable dump of a QObject used by qemu-img info's "Format
 * specific information:" block.
 */
#include "qemu/osdep.h"

#include "qapi/qobject.h"

static void dump_value(GString *out, const QObject *obj, int indent);

static bool dump_is_composite(const QObject *obj)
{
    QType type = qobject_type(obj);

    return QTYPE_QDICT == type || QTYPE_QLIST == type;
}

/* A scalar on the current line, newline included. */
static void dump_scalar(GString *out, const QObject *obj)
{
    g_autofree char *num = NULL;

    switch (qobject_type(obj)) {
    case QTYPE_QNUM:
        num = qobject_num_to_str(obj);
        g_string_append(out, num);
        break;
    case QTYPE_QSTRING:
        g_string_append(out, qobject_get_str(obj));
        break;
    case QTYPE_QBOOL:
        g_string_append(out, qobject_get_bool(obj) ? "true" : "false");
        break;
    default:
        g_string_append(out, "null");
        break;
    }
    g_string_append_c(out, '\n');
}

/*
 * "key: value" per member, in dict order, with every '-' of the key shown
 * as a space as 7.2 does; a dict or list value follows "key:" on the next
 * lines, one level deeper.
 */
static void dump_dict(GString *out, const QObject *dict, int indent)
{
    const QDictEntry *e;
    const char *k;

    for (e = qdict_first(dict); e; e = qdict_next(dict, e)) {
        g_string_append_printf(out, "%*s", indent * 4, "");
        for (k = qdict_entry_key(e); *k; k++) {
            g_string_append_c(out, '-' == *k ? ' ' : *k);
        }
        g_string_append_c(out, ':');
        if (dump_is_composite(qdict_entry_value(e))) {
            g_string_append_c(out, '\n');
            dump_value(out, qdict_entry_value(e), indent + 1);
        } else {
            g_string_append_c(out, ' ');
            dump_scalar(out, qdict_entry_value(e));
        }
    }
}

/* "[i]: value", or "[i]:" followed by a deeper dict or list. */
static void dump_list(GString *out, const QObject *list, int indent)
{
    const QObject *elem;
    size_t i;

    for (i = 0; i < qlist_size(list); i++) {
        elem = qlist_get(list, i);
        g_string_append_printf(out, "%*s[%zu]:", indent * 4, "", i);
        if (dump_is_composite(elem)) {
            g_string_append_c(out, '\n');
            dump_value(out, elem, indent + 1);
        } else {
            g_string_append_c(out, ' ');
            dump_scalar(out, elem);
        }
    }
}

static void dump_value(GString *out, const QObject *obj, int indent)
{
    if (QTYPE_QDICT == qobject_type(obj)) {
        dump_dict(out, obj, indent);
    } else if (QTYPE_QLIST == qobject_type(obj)) {
        dump_list(out, obj, indent);
    } else {
        g_string_append_printf(out, "%*s", indent * 4, "");
        dump_scalar(out, obj);
    }
}

void qobject_dump_human(GString *out, const QObject *obj, int indent)
{
    dump_value(out, obj, indent);
}
