/*
 * Dynamically typed values: scalars, lists, and dicts that iterate in the
 * same order as QEMU's own QDict (which qemu-img's outputs show).
 */
#include "qemu/osdep.h"

#include "qapi/qobject.h"

/*
 * QEMU's QDict is a fixed table of 512 buckets with the newest entry at the
 * head of each bucket's chain, and it iterates bucket by bucket.  Key
 * order in `qemu-img info` output (JSON and human) follows from that, so we
 * keep the same layout.
 */
#define QDICT_BUCKETS 512

typedef enum QNumKind {
    QNUM_I64,
    QNUM_U64,
    QNUM_DOUBLE,
} QNumKind;

struct QDictEntry {
    char *key;
    QObject *value;
    QDictEntry *next;       /* next (older) entry in the same bucket */
    uint64_t seq;           /* insertion number, kept on replacement */
};

typedef struct QDict {
    QDictEntry *buckets[QDICT_BUCKETS];
    size_t size;
    uint64_t next_seq;
} QDict;

struct QObject {
    QType type;
    union {
        bool b;
        struct {
            QNumKind kind;
            union {
                int64_t i64;
                uint64_t u64;
                double dbl;
            } v;
        } num;
        char *str;
        QDict *dict;
        GPtrArray *list;
    } u;
};

/*
 * The bucket of @key.  This is the string hash QEMU 7.2's qdict uses (the
 * classic TDB hash), taken modulo the bucket count; it was checked against
 * real 7.2 output, e.g. the LUKS info order ivgen-alg, hash-alg,
 * cipher-alg, uuid, ... and the top-level virtual-size, filename, ...
 */
static unsigned qdict_bucket(const char *key)
{
    size_t n = strlen(key);
    uint32_t v = 0x238F13AFu * (uint32_t)n;
    size_t i;

    for (i = 0; i < n; i++) {
        v += (uint32_t)(unsigned char)key[i] << ((i * 5) % 24);
    }
    return (1103515243u * v + 12345u) % QDICT_BUCKETS;
}

static QObject *qobject_alloc(QType type)
{
    QObject *obj = g_new0(QObject, 1);

    obj->type = type;
    return obj;
}

QObject *qobject_new_null(void)
{
    return qobject_alloc(QTYPE_QNULL);
}

QObject *qobject_new_bool(bool b)
{
    QObject *obj = qobject_alloc(QTYPE_QBOOL);

    obj->u.b = b;
    return obj;
}

QObject *qobject_new_int(int64_t i)
{
    QObject *obj = qobject_alloc(QTYPE_QNUM);

    obj->u.num.kind = QNUM_I64;
    obj->u.num.v.i64 = i;
    return obj;
}

QObject *qobject_new_uint(uint64_t u)
{
    QObject *obj = qobject_alloc(QTYPE_QNUM);

    obj->u.num.kind = QNUM_U64;
    obj->u.num.v.u64 = u;
    return obj;
}

QObject *qobject_new_double(double d)
{
    QObject *obj = qobject_alloc(QTYPE_QNUM);

    obj->u.num.kind = QNUM_DOUBLE;
    obj->u.num.v.dbl = d;
    return obj;
}

QObject *qobject_new_str(const char *s)
{
    QObject *obj = qobject_alloc(QTYPE_QSTRING);

    obj->u.str = g_strdup(s);
    return obj;
}

QObject *qobject_new_dict(void)
{
    QObject *obj = qobject_alloc(QTYPE_QDICT);

    obj->u.dict = g_new0(QDict, 1);
    return obj;
}

QObject *qobject_new_list(void)
{
    QObject *obj = qobject_alloc(QTYPE_QLIST);

    obj->u.list = g_ptr_array_new_with_free_func(
        (GDestroyNotify)qobject_free);
    return obj;
}

static void qdict_entry_free(QDictEntry *e)
{
    g_free(e->key);
    qobject_free(e->value);
    g_free(e);
}

static void qdict_clear(QDict *d)
{
    unsigned b;

    for (b = 0; b < QDICT_BUCKETS; b++) {
        while (d->buckets[b]) {
            QDictEntry *e = d->buckets[b];

            d->buckets[b] = e->next;
            qdict_entry_free(e);
        }
    }
    d->size = 0;
}

void qobject_free(QObject *obj)
{
    if (!obj) {
        return;
    }
    switch (obj->type) {
    case QTYPE_QSTRING:
        g_free(obj->u.str);
        break;
    case QTYPE_QDICT:
        qdict_clear(obj->u.dict);
        g_free(obj->u.dict);
        break;
    case QTYPE_QLIST:
        g_ptr_array_free(obj->u.list, TRUE);
        break;
    default:
        break;
    }
    g_free(obj);
}

/* Copy a dict chain by chain, so that iteration order is preserved too. */
static QObject *qdict_copy(const QObject *src)
{
    QObject *dst = qobject_new_dict();
    const QDict *s = src->u.dict;
    QDict *d = dst->u.dict;
    unsigned b;

    for (b = 0; b < QDICT_BUCKETS; b++) {
        const QDictEntry *e;
        QDictEntry **tail = &d->buckets[b];

        for (e = s->buckets[b]; e; e = e->next) {
            QDictEntry *c = g_new0(QDictEntry, 1);

            c->key = g_strdup(e->key);
            c->value = qobject_copy(e->value);
            c->seq = e->seq;
            *tail = c;
            tail = &c->next;
        }
    }
    d->size = s->size;
    d->next_seq = s->next_seq;
    return dst;
}

QObject *qobject_copy(const QObject *obj)
{
    QObject *copy;
    guint i;

    assert(obj);
    switch (obj->type) {
    case QTYPE_QSTRING:
        return qobject_new_str(obj->u.str);
    case QTYPE_QDICT:
        return qdict_copy(obj);
    case QTYPE_QLIST:
        copy = qobject_new_list();
        for (i = 0; i < obj->u.list->len; i++) {
            qlist_append(copy, qobject_copy(obj->u.list->pdata[i]));
        }
        return copy;
    default:
        copy = qobject_alloc(obj->type);
        copy->u = obj->u;
        return copy;
    }
}

QType qobject_type(const QObject *obj)
{
    assert(obj);
    return obj->type;
}

bool qobject_get_bool(const QObject *obj)
{
    assert(QTYPE_QBOOL == qobject_type(obj));
    return obj->u.b;
}

int64_t qobject_get_int(const QObject *obj)
{
    assert(QTYPE_QNUM == qobject_type(obj));
    switch (obj->u.num.kind) {
    case QNUM_I64:
        return obj->u.num.v.i64;
    case QNUM_U64:
        assert(obj->u.num.v.u64 <= INT64_MAX);
        return (int64_t)obj->u.num.v.u64;
    default:
        g_assert_not_reached();
    }
}

uint64_t qobject_get_uint(const QObject *obj)
{
    assert(QTYPE_QNUM == qobject_type(obj));
    switch (obj->u.num.kind) {
    case QNUM_I64:
        assert(obj->u.num.v.i64 >= 0);
        return (uint64_t)obj->u.num.v.i64;
    case QNUM_U64:
        return obj->u.num.v.u64;
    default:
        g_assert_not_reached();
    }
}

double qobject_get_double(const QObject *obj)
{
    assert(QTYPE_QNUM == qobject_type(obj));
    switch (obj->u.num.kind) {
    case QNUM_I64:
        return (double)obj->u.num.v.i64;
    case QNUM_U64:
        return (double)obj->u.num.v.u64;
    default:
        return obj->u.num.v.dbl;
    }
}

const char *qobject_get_str(const QObject *obj)
{
    assert(QTYPE_QSTRING == qobject_type(obj));
    return obj->u.str;
}

char *qobject_num_to_str(const QObject *obj)
{
    assert(QTYPE_QNUM == qobject_type(obj));
    switch (obj->u.num.kind) {
    case QNUM_I64:
        return g_strdup_printf("%" PRId64, obj->u.num.v.i64);
    case QNUM_U64:
        return g_strdup_printf("%" PRIu64, obj->u.num.v.u64);
    default:
        /* 7.2 prints doubles with all 17 significant digits. */
        return g_strdup_printf("%.17g", obj->u.num.v.dbl);
    }
}

static QDict *qdict_of(const QObject *dict)
{
    assert(QTYPE_QDICT == qobject_type(dict));
    return dict->u.dict;
}

static QDictEntry *qdict_find(const QDict *d, const char *key)
{
    QDictEntry *e;

    for (e = d->buckets[qdict_bucket(key)]; e; e = e->next) {
        if (0 == strcmp(e->key, key)) {
            return e;
        }
    }
    return NULL;
}

void qdict_put(QObject *dict, const char *key, QObject *value)
{
    QDict *d = qdict_of(dict);
    QDictEntry *e = qdict_find(d, key);
    unsigned b;

    assert(value);
    if (e) {
        qobject_free(e->value);
        e->value = value;
        return;
    }
    b = qdict_bucket(key);
    e = g_new0(QDictEntry, 1);
    e->key = g_strdup(key);
    e->value = value;
    e->seq = d->next_seq++;
    e->next = d->buckets[b];
    d->buckets[b] = e;
    d->size++;
}

void qdict_put_str(QObject *dict, const char *key, const char *value)
{
    qdict_put(dict, key, qobject_new_str(value));
}

void qdict_put_int(QObject *dict, const char *key, int64_t value)
{
    qdict_put(dict, key, qobject_new_int(value));
}

void qdict_put_bool(QObject *dict, const char *key, bool value)
{
    qdict_put(dict, key, qobject_new_bool(value));
}

QObject *qdict_get(const QObject *dict, const char *key)
{
    QDictEntry *e = qdict_find(qdict_of(dict), key);

    return e ? e->value : NULL;
}

const char *qdict_get_str(const QObject *dict, const char *key)
{
    const QObject *v = qdict_get(dict, key);

    if (!v || QTYPE_QSTRING != v->type) {
        return NULL;
    }
    return v->u.str;
}

bool qdict_haskey(const QObject *dict, const char *key)
{
    return NULL != qdict_find(qdict_of(dict), key);
}

QObject *qdict_take(QObject *dict, const char *key)
{
    QDict *d = qdict_of(dict);
    QDictEntry **link = &d->buckets[qdict_bucket(key)];
    QDictEntry *e;
    QObject *value;

    while (*link && 0 != strcmp((*link)->key, key)) {
        link = &(*link)->next;
    }
    e = *link;
    if (!e) {
        return NULL;
    }
    *link = e->next;
    value = e->value;
    g_free(e->key);
    g_free(e);
    d->size--;
    return value;
}

void qdict_del(QObject *dict, const char *key)
{
    qobject_free(qdict_take(dict, key));
}

size_t qdict_size(const QObject *dict)
{
    return qdict_of(dict)->size;
}

/* The first entry at or after bucket @b, or NULL. */
static const QDictEntry *qdict_scan(const QDict *d, unsigned b)
{
    for (; b < QDICT_BUCKETS; b++) {
        if (d->buckets[b]) {
            return d->buckets[b];
        }
    }
    return NULL;
}

const QDictEntry *qdict_first(const QObject *dict)
{
    return qdict_scan(qdict_of(dict), 0);
}

const QDictEntry *qdict_next(const QObject *dict, const QDictEntry *entry)
{
    if (entry->next) {
        return entry->next;
    }
    return qdict_scan(qdict_of(dict), qdict_bucket(entry->key) + 1);
}

const char *qdict_entry_key(const QDictEntry *entry)
{
    return entry->key;
}

QObject *qdict_entry_value(const QDictEntry *entry)
{
    return entry->value;
}

static gint qdict_entry_seq_cmp(gconstpointer a, gconstpointer b)
{
    const QDictEntry *ea = *(const QDictEntry *const *)a;
    const QDictEntry *eb = *(const QDictEntry *const *)b;

    return ea->seq < eb->seq ? -1 : ea->seq > eb->seq;
}

const char **qdict_keys_in_insertion_order(const QObject *dict)
{
    g_autoptr(GPtrArray) entries = g_ptr_array_new();
    const char **keys;
    const QDictEntry *e;
    guint i;

    for (e = qdict_first(dict); e; e = qdict_next(dict, e)) {
        g_ptr_array_add(entries, (gpointer)e);
    }
    g_ptr_array_sort(entries, qdict_entry_seq_cmp);
    keys = g_new0(const char *, entries->len + 1);
    for (i = 0; i < entries->len; i++) {
        keys[i] = ((const QDictEntry *)entries->pdata[i])->key;
    }
    return keys;
}

QObject *qdict_extract_subqdict(QObject *src, const char *prefix)
{
    QObject *dst = qobject_new_dict();
    g_autofree const char **keys = qdict_keys_in_insertion_order(src);
    size_t plen = strlen(prefix);
    size_t i;

    for (i = 0; keys[i]; i++) {
        if (0 == strncmp(keys[i], prefix, plen)) {
            g_autofree char *key = g_strdup(keys[i]);

            qdict_put(dst, key + plen, qdict_take(src, key));
        }
    }
    return dst;
}

static void qdict_flatten_into(QObject *target, const char *prefix,
                               QObject *value);

/* Whether @value is a dict or list with members, which flattening expands. */
static bool qobject_is_nonempty_container(const QObject *value)
{
    return (QTYPE_QDICT == value->type && value->u.dict->size) ||
           (QTYPE_QLIST == value->type && value->u.list->len);
}

/*
 * Put @value under @prefix in @target, expanding non-empty containers
 * into "prefix.key" / "prefix.N" entries; takes ownership of @value.
 * Empty dicts and lists stay as they are, as in 7.2.
 */
static void qdict_flatten_into(QObject *target, const char *prefix,
                               QObject *value)
{
    guint i;

    if (!qobject_is_nonempty_container(value)) {
        qdict_put(target, prefix, value);
        return;
    }
    if (QTYPE_QLIST == value->type) {
        for (i = 0; i < value->u.list->len; i++) {
            g_autofree char *key = g_strdup_printf("%s.%u", prefix, i);

            qdict_flatten_into(target, key,
                               qobject_copy(value->u.list->pdata[i]));
        }
    } else {
        const QDictEntry *e;

        for (e = qdict_first(value); e; e = qdict_next(value, e)) {
            g_autofree char *key = g_strdup_printf("%s.%s", prefix, e->key);

            qdict_flatten_into(target, key, qobject_copy(e->value));
        }
    }
    qobject_free(value);
}

void qdict_flatten(QObject *dict)
{
    g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
    const QDictEntry *e;
    guint i;

    /* Collect first: flattening inserts into the dict being walked. */
    for (e = qdict_first(dict); e; e = qdict_next(dict, e)) {
        if (qobject_is_nonempty_container(e->value)) {
            g_ptr_array_add(keys, g_strdup(e->key));
        }
    }
    for (i = 0; i < keys->len; i++) {
        const char *key = keys->pdata[i];

        qdict_flatten_into(dict, key, qdict_take(dict, key));
    }
}

void qlist_append(QObject *list, QObject *value)
{
    assert(QTYPE_QLIST == qobject_type(list));
    assert(value);
    g_ptr_array_add(list->u.list, value);
}

size_t qlist_size(const QObject *list)
{
    assert(QTYPE_QLIST == qobject_type(list));
    return list->u.list->len;
}

QObject *qlist_get(const QObject *list, size_t i)
{
    assert(i < qlist_size(list));
    return list->u.list->pdata[i];
}
