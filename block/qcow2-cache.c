/*
 * qcow2 metadata caches: cluster-sized L2 tables and refcount blocks kept
 * in memory with LRU replacement and ordered write-back, sized from the
 * runtime options as QEMU 7.2 sizes them (qcow2.txt "Host cluster
 * management" and "Cluster mapping" describe the tables).
 */
#include "qemu/osdep.h"

#include "block/qcow2.h"
#include "qemu/cutils.h"

typedef struct Qcow2CachedTable {
    uint64_t offset;            /* host offset; 0 marks a free slot */
    bool dirty;
    int ref;                    /* references handed out by get */
    uint64_t lru_stamp;         /* larger: used more recently */
} Qcow2CachedTable;

struct Qcow2Cache {
    Qcow2CachedTable *entries;
    uint8_t *data;              /* nb_tables * table_size bytes */
    int nb_tables;
    size_t table_size;
    Qcow2Cache *depends;        /* write this cache back before ours */
    bool depends_on_flush;      /* flush the file before our next write */
    uint64_t lru_counter;
};

Qcow2Cache *qcow2_cache_new(int nb_tables, size_t table_size)
{
    Qcow2Cache *c = g_new0(Qcow2Cache, 1);
    size_t bytes;

    assert(nb_tables > 0);
    if (qemu_mul_overflow_size(nb_tables, table_size, &bytes)) {
        g_free(c);
        return NULL;
    }
    c->data = g_try_malloc(bytes);
    if (!c->data) {
        g_free(c);
        return NULL;
    }
    c->entries = g_new0(Qcow2CachedTable, nb_tables);
    c->nb_tables = nb_tables;
    c->table_size = table_size;
    return c;
}

void qcow2_cache_free(Qcow2Cache *c)
{
    if (!c) {
        return;
    }
    g_free(c->entries);
    g_free(c->data);
    g_free(c);
}

static void *cache_table_addr(const Qcow2Cache *c, int i)
{
    return c->data + (size_t)i * c->table_size;
}

static int cache_table_index(const Qcow2Cache *c, const void *table)
{
    ptrdiff_t delta = (const uint8_t *)table - c->data;
    int i = delta / (ptrdiff_t)c->table_size;

    assert(delta >= 0 && 0 == delta % (ptrdiff_t)c->table_size);
    assert(i < c->nb_tables);
    return i;
}

/* Flush bs->file unless this node defers flushes (image creation). */
static int cache_flush_file(BlockDriverState *bs)
{
    return qcow2_file_flush(bs);
}

/* Write back (and flush) the cache @c depends on, then forget it. */
static int cache_flush_dependency(BlockDriverState *bs, Qcow2Cache *c)
{
    int ret = qcow2_cache_flush(bs, c->depends);

    if (ret < 0) {
        return ret;
    }
    c->depends = NULL;
    c->depends_on_flush = false;
    return 0;
}

static bool cache_is_l2(BlockDriverState *bs, const Qcow2Cache *c)
{
    return c == ((const BDRVQcow2State *)bs->opaque)->l2_table_cache;
}

/* The debug event 7.2 emits for loading (or writing back) a table. */
static void cache_debug_event(BlockDriverState *bs, const Qcow2Cache *c,
                              bool write)
{
    if (cache_is_l2(bs, c)) {
        bdrv_debug_event(bs->file, write ? BLKDBG_L2_UPDATE : BLKDBG_L2_LOAD);
    } else {
        bdrv_debug_event(bs->file, write ? BLKDBG_REFBLOCK_UPDATE_PART
                                         : BLKDBG_REFBLOCK_LOAD);
    }
}

static int cache_entry_write(BlockDriverState *bs, Qcow2Cache *c, int i)
{
    Qcow2CachedTable *e = &c->entries[i];
    int ret = 0;

    if (!e->dirty || !e->offset) {
        return 0;
    }
    if (c->depends) {
        ret = cache_flush_dependency(bs, c);
    } else if (c->depends_on_flush) {
        ret = cache_flush_file(bs);
        if (ret >= 0) {
            c->depends_on_flush = false;
        }
    }
    if (ret < 0) {
        return ret;
    }
    cache_debug_event(bs, c, true);
    /* As 7.2: a table may overlap only the kind of table it is. */
    ret = qcow2_pre_write_overlap_check(bs, cache_is_l2(bs, c)
                                        ? QCOW2_OL_ACTIVE_L2
                                        : QCOW2_OL_REFCOUNT_BLOCK,
                                        e->offset, c->table_size);
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_pwrite(bs->file, e->offset, c->table_size,
                      cache_table_addr(c, i), 0);
    if (ret < 0) {
        return ret;
    }
    e->dirty = false;
    return 0;
}

int qcow2_cache_write(BlockDriverState *bs, Qcow2Cache *c)
{
    int result = 0;

    for (int i = 0; i < c->nb_tables; i++) {
        int ret = cache_entry_write(bs, c, i);

        if (ret < 0 && 0 == result) {
            result = ret;
        }
    }
    return result;
}

int qcow2_cache_flush(BlockDriverState *bs, Qcow2Cache *c)
{
    int ret = qcow2_cache_write(bs, c);

    if (0 == ret) {
        ret = cache_flush_file(bs);
    }
    return ret;
}

int qcow2_cache_set_dependency(BlockDriverState *bs, Qcow2Cache *c,
                               Qcow2Cache *dependency)
{
    int ret;

    /* A cycle would deadlock write-back: resolve the other side first. */
    if (dependency->depends) {
        ret = cache_flush_dependency(bs, dependency);
        if (ret < 0) {
            return ret;
        }
    }
    if (c->depends && c->depends != dependency) {
        ret = cache_flush_dependency(bs, c);
        if (ret < 0) {
            return ret;
        }
    }
    c->depends = dependency;
    return 0;
}

void qcow2_cache_depends_on_flush(Qcow2Cache *c)
{
    c->depends_on_flush = true;
}

int qcow2_cache_empty(BlockDriverState *bs, Qcow2Cache *c)
{
    int ret = qcow2_cache_flush(bs, c);

    if (ret < 0) {
        return ret;
    }
    for (int i = 0; i < c->nb_tables; i++) {
        if (c->entries[i].ref) {
            return -EBUSY;
        }
        c->entries[i].offset = 0;
        c->entries[i].lru_stamp = 0;
    }
    return 0;
}

static int cache_lookup(const Qcow2Cache *c, uint64_t offset)
{
    for (int i = 0; i < c->nb_tables; i++) {
        if (c->entries[i].offset == offset) {
            return i;
        }
    }
    return -1;
}

/* The least recently used unreferenced slot, free slots first. */
static int cache_pick_victim(const Qcow2Cache *c)
{
    uint64_t best_stamp = UINT64_MAX;
    int best = -1;

    for (int i = 0; i < c->nb_tables; i++) {
        const Qcow2CachedTable *e = &c->entries[i];

        if (e->ref) {
            continue;
        }
        if (!e->offset) {
            return i;
        }
        if (e->lru_stamp < best_stamp) {
            best_stamp = e->lru_stamp;
            best = i;
        }
    }
    return best;
}

static int cache_do_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                        void **table, bool read_from_disk)
{
    int i, ret;

    assert(offset != 0);
    i = cache_lookup(c, offset);
    if (i < 0) {
        i = cache_pick_victim(c);
        /* Callers hold at most a few tables; the minimum sizes cover it. */
        assert(i >= 0);
        ret = cache_entry_write(bs, c, i);
        if (ret < 0) {
            return ret;
        }
        c->entries[i].offset = 0;
        if (read_from_disk) {
            cache_debug_event(bs, c, false);
            ret = bdrv_pread(bs->file, offset, c->table_size,
                             cache_table_addr(c, i), 0);
            if (ret < 0) {
                return ret;
            }
        }
        c->entries[i].offset = offset;
    }
    c->entries[i].ref++;
    *table = cache_table_addr(c, i);
    return 0;
}

int qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                    void **table)
{
    return cache_do_get(bs, c, offset, table, true);
}

int qcow2_cache_get_empty(BlockDriverState *bs, Qcow2Cache *c,
                          uint64_t offset, void **table)
{
    return cache_do_get(bs, c, offset, table, false);
}

void qcow2_cache_put(Qcow2Cache *c, void **table)
{
    int i = cache_table_index(c, *table);

    assert(c->entries[i].ref > 0);
    c->entries[i].ref--;
    c->entries[i].lru_stamp = ++c->lru_counter;
    *table = NULL;
}

void qcow2_cache_entry_mark_dirty(Qcow2Cache *c, void *table)
{
    int i = cache_table_index(c, table);

    assert(c->entries[i].offset != 0);
    c->entries[i].dirty = true;
}

void qcow2_cache_discard_offset(Qcow2Cache *c, uint64_t offset)
{
    int i = cache_lookup(c, offset);

    if (i < 0 || 0 == offset) {
        return;
    }
    assert(0 == c->entries[i].ref);
    c->entries[i].offset = 0;
    c->entries[i].dirty = false;
    c->entries[i].lru_stamp = 0;
}

bool qcow2_cache_is_cached(const Qcow2Cache *c, uint64_t offset)
{
    return offset && cache_lookup(c, offset) >= 0;
}

/* ------------------------------------------------------------------ */
/* Cache sizes from the runtime options                                */
/* ------------------------------------------------------------------ */

#define CACHE_FIELD(field) \
    .has_field = true, \
    .offset = offsetof(Qcow2CacheOptions, field), \
    .has_offset = offsetof(Qcow2CacheOptions, has_##field)

const QOptDesc qcow2_cache_opts[] = {
    { .name = "cache-size", .type = QOPT_TYPE_SIZE,
      CACHE_FIELD(cache_size) },
    { .name = "l2-cache-size", .type = QOPT_TYPE_SIZE,
      CACHE_FIELD(l2_cache_size) },
    { .name = "l2-cache-entry-size", .type = QOPT_TYPE_SIZE,
      CACHE_FIELD(l2_cache_entry_size) },
    { .name = "refcount-cache-size", .type = QOPT_TYPE_SIZE,
      CACHE_FIELD(refcount_cache_size) },
    { .name = "cache-clean-interval", .type = QOPT_TYPE_NUMBER,
      CACHE_FIELD(cache_clean_interval) },
    { .name = NULL }
};

/* Cache sizes in bytes, as QEMU 7.2 derives them from the options. */
typedef struct Qcow2CacheSizes {
    uint64_t l2;
    uint64_t l2_entry;
    uint64_t refcount;
} Qcow2CacheSizes;

/* Split an explicit cache-size between the two caches. */
static int split_combined_cache(const Qcow2CacheOptions *o,
                                uint64_t max_l2, uint64_t min_refcount,
                                Qcow2CacheSizes *c, Error **errp)
{
    uint64_t total = o->cache_size;

    if (o->has_l2_cache_size && o->has_refcount_cache_size) {
        error_setg(errp, "cache-size, l2-cache-size and refcount-cache-size "
                   "may not be set at the same time");
        return -EINVAL;
    }
    if (o->has_l2_cache_size && o->l2_cache_size > total) {
        error_setg(errp, "l2-cache-size may not exceed cache-size");
        return -EINVAL;
    }
    if (c->refcount > total) {
        error_setg(errp, "refcount-cache-size may not exceed cache-size");
        return -EINVAL;
    }
    if (o->has_l2_cache_size) {
        c->refcount = total - c->l2;
    } else if (o->has_refcount_cache_size) {
        c->l2 = total - c->refcount;
    } else if (total >= max_l2 + min_refcount) {
        /* As much as the disk needs for L2, the rest for refcounts. */
        c->l2 = max_l2;
        c->refcount = total - c->l2;
    } else {
        c->refcount = MIN(total, min_refcount);
        c->l2 = total - c->refcount;
    }
    return 0;
}

static int compute_cache_sizes(const BDRVQcow2State *s,
                               const Qcow2CacheOptions *o,
                               Qcow2CacheSizes *c, Error **errp)
{
    uint64_t max_l2 = ROUND_UP(DIV_ROUND_UP(s->size, s->cluster_size) *
                               s->l2_entry_size, s->cluster_size);
    uint64_t min_refcount = (uint64_t)QCOW2_MIN_REFCOUNT_CACHE_TABLES *
                            s->cluster_size;
    uint64_t l2_max = o->has_l2_cache_size ? o->l2_cache_size
                                           : QCOW2_DEFAULT_L2_CACHE_MAX_SIZE;
    int ret;

    c->refcount = o->has_refcount_cache_size ? o->refcount_cache_size
                                             : min_refcount;
    c->l2_entry = o->has_l2_cache_entry_size ? o->l2_cache_entry_size
                                             : s->cluster_size;
    c->l2 = MIN(max_l2, l2_max);
    if (o->has_cache_size) {
        ret = split_combined_cache(o, max_l2, min_refcount, c, errp);
        if (ret < 0) {
            return ret;
        }
    }
    if (c->l2 < max_l2 && !o->has_l2_cache_entry_size) {
        c->l2_entry = MIN(s->cluster_size, 4096);
    }
    if (c->l2_entry < (1u << QCOW2_MIN_CLUSTER_BITS) ||
        c->l2_entry > s->cluster_size || !QEMU_IS_POWER_OF_2(c->l2_entry)) {
        error_setg(errp, "L2 cache entry size must be a power of two "
                   "between %d and the cluster size (%" PRIu32 ")",
                   1 << QCOW2_MIN_CLUSTER_BITS, s->cluster_size);
        return -EINVAL;
    }
    return 0;
}

int qcow2_cache_create_all(BDRVQcow2State *s, const Qcow2CacheOptions *o,
                           Error **errp)
{
    Qcow2CacheSizes c;
    uint64_t l2_tables, refcount_tables;
    int ret = compute_cache_sizes(s, o, &c, errp);

    if (ret < 0) {
        return ret;
    }
    if (c.l2 / c.l2_entry > INT_MAX) {
        error_setg(errp, "L2 cache size too big");
        return -EINVAL;
    }
    if (c.refcount / s->cluster_size > INT_MAX) {
        error_setg(errp, "Refcount cache size too big");
        return -EINVAL;
    }
    if (o->has_cache_clean_interval && o->cache_clean_interval > UINT_MAX) {
        error_setg(errp, "Cache clean interval too big");
        return -EINVAL;
    }
    l2_tables = MAX(c.l2 / s->cluster_size, QCOW2_MIN_L2_CACHE_TABLES);
    refcount_tables = MAX(c.refcount / s->cluster_size,
                          QCOW2_MIN_REFCOUNT_CACHE_TABLES);
    s->l2_table_cache = qcow2_cache_new(l2_tables, s->cluster_size);
    s->refcount_block_cache = qcow2_cache_new(refcount_tables,
                                              s->cluster_size);
    if (!s->l2_table_cache || !s->refcount_block_cache) {
        error_setg(errp, "Could not allocate metadata caches");
        return -ENOMEM;
    }
    return 0;
}
