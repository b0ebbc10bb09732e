/*
 * qcow2 reference counts: the refcount table and blocks, cluster
 * allocation and freeing (qcow2.txt "Host cluster management").
 *
 * Where clusters land must match QEMU 7.2 exactly, because images created
 * with preallocation=metadata are compared byte for byte: allocation scans
 * upwards from free_cluster_index, which only moves back when a refcount
 * drops to zero; a missing refcount block is placed at the first free
 * cluster and, when the table is full, a bigger table plus the refcount
 * blocks it needs are placed after everything that exists.
 */
#include "qemu/osdep.h"

#include "block/qcow2.h"
#include "qemu/cutils.h"

int qcow2_refcount_init(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bytes = (uint64_t)s->refcount_table_size * sizeof(uint64_t);
    int ret;

    s->refcount_table = g_try_malloc0(MAX(bytes, 1));
    if (!s->refcount_table) {
        return -ENOMEM;
    }
    if (bytes) {
        ret = bdrv_pread(bs->file, s->refcount_table_offset, bytes,
                         s->refcount_table, 0);
        if (ret < 0) {
            return ret;
        }
    }
    s->max_refcount_table_index = 0;
    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        s->refcount_table[i] = be64_to_cpu(s->refcount_table[i]);
        if (s->refcount_table[i]) {
            s->max_refcount_table_index = i;
        }
    }
    return 0;
}

void qcow2_refcount_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    g_clear_pointer(&s->refcount_table, g_free);
}

void qcow2_set_refcount_order(BDRVQcow2State *s, int order)
{
    s->refcount_order = order;
    s->refcount_bits = 1 << order;
    s->refcount_max = 64 == s->refcount_bits ? UINT64_MAX
                      : (1ULL << s->refcount_bits) - 1;
    s->refcount_block_bits = s->cluster_bits + 3 - order;
    s->refcount_block_size = 1u << s->refcount_block_bits;
}

static void refcount_update_max_index(BDRVQcow2State *s)
{
    uint32_t i = s->refcount_table_size;

    while (i > 0 && 0 == s->refcount_table[i - 1]) {
        i--;
    }
    s->max_refcount_table_index = i > 0 ? i - 1 : 0;
}

uint64_t qcow2_refblock_get(const void *block, uint64_t index, int order)
{
    const uint8_t *p = block;

    switch (order) {
    case 0:
    case 1:
    case 2: {
        int bits = 1 << order;
        uint8_t byte = p[index >> (3 - order)];
        int shift = (index << order) & 7;

        return (byte >> shift) & ((1u << bits) - 1);
    }
    case 3:
        return p[index];
    case 4:
        return ldw_be_p(p + index * 2);
    case 5:
        return ldl_be_p(p + index * 4);
    default:
        assert(6 == order);
        return ldq_be_p(p + index * 8);
    }
}

void qcow2_refblock_set(void *block, uint64_t index, int order,
                        uint64_t value)
{
    uint8_t *p = block;

    assert(order >= 6 || value < (1ULL << (1 << order)));
    switch (order) {
    case 0:
    case 1:
    case 2: {
        uint8_t mask = (1u << (1 << order)) - 1;
        int shift = (index << order) & 7;
        uint8_t *byte = &p[index >> (3 - order)];

        *byte = (*byte & ~(mask << shift)) | (uint8_t)(value << shift);
        break;
    }
    case 3:
        p[index] = value;
        break;
    case 4:
        stw_be_p(p + index * 2, value);
        break;
    case 5:
        stl_be_p(p + index * 4, value);
        break;
    default:
        stq_be_p(p + index * 8, value);
        break;
    }
}

/* The refcount block offset for table index @i, checked; 0 if none. */
static int64_t refcount_block_offset(BlockDriverState *bs, uint64_t i)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t offset;

    if (i >= s->refcount_table_size) {
        return 0;
    }
    offset = s->refcount_table[i] & QCOW2_REFT_OFFSET_MASK;
    if (qcow2_offset_into_cluster(s, offset)) {
        return qcow2_signal_corruption(bs, "Refblock offset %#" PRIx64
                                       " unaligned (reftable index: %#"
                                       PRIx64 ")", offset, i);
    }
    return offset;
}

int qcow2_get_refcount(BlockDriverState *bs, uint64_t cluster_index,
                       uint64_t *refcount)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t block_offset;
    void *block;
    int ret;

    block_offset = refcount_block_offset(bs,
                                         cluster_index >>
                                         s->refcount_block_bits);
    if (block_offset <= 0) {
        *refcount = 0;
        return block_offset < 0 ? (int)block_offset : 0;
    }
    ret = qcow2_cache_get(bs, s->refcount_block_cache, block_offset, &block);
    if (ret < 0) {
        return ret;
    }
    *refcount = qcow2_refblock_get(block, cluster_index &
                                   (s->refcount_block_size - 1),
                                   s->refcount_order);
    qcow2_cache_put(s->refcount_block_cache, &block);
    return 0;
}

/*
 * Find @size bytes of free clusters from free_cluster_index on, without
 * taking them.  Clusters beyond the refcount table count as free.
 */
static int64_t alloc_clusters_noref(BlockDriverState *bs, uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t nb_clusters = qcow2_size_to_clusters(s, size);
    uint64_t found = 0;

    while (found < nb_clusters) {
        uint64_t refcount;
        int ret = qcow2_get_refcount(bs, s->free_cluster_index++, &refcount);

        if (ret < 0) {
            return ret;
        }
        found = refcount ? 0 : found + 1;
    }
    if ((s->free_cluster_index << s->cluster_bits) - 1 >
        QCOW2_MAX_HOST_OFFSET) {
        return -EFBIG;
    }
    return (s->free_cluster_index - nb_clusters) << s->cluster_bits;
}

/*
 * Give the new refcount block at @new_block its content: a block that
 * covers itself counts its own reference; any other block is counted
 * where its own cluster is covered (which may allocate further blocks).
 */
static int refcount_block_create(BlockDriverState *bs, uint64_t new_block,
                                 uint64_t cluster_index, void **block)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t new_index = new_block >> s->cluster_bits;
    bool covers_itself = (new_index >> s->refcount_block_bits) ==
                         (cluster_index >> s->refcount_block_bits);
    int ret;

    if (!covers_itself) {
        ret = qcow2_update_refcount(bs, new_block, s->cluster_size, 1,
                                    false, QCOW2_DISCARD_NEVER);
        if (ret < 0) {
            return ret;
        }
        ret = qcow2_cache_flush(bs, s->refcount_block_cache);
        if (ret < 0) {
            return ret;
        }
    }
    ret = qcow2_cache_get_empty(bs, s->refcount_block_cache, new_block,
                                block);
    if (ret < 0) {
        return ret;
    }
    memset(*block, 0, s->cluster_size);
    if (covers_itself) {
        qcow2_refblock_set(*block, new_index & (s->refcount_block_size - 1),
                           s->refcount_order, 1);
    }
    qcow2_cache_entry_mark_dirty(s->refcount_block_cache, *block);
    ret = qcow2_cache_flush(bs, s->refcount_block_cache);
    if (ret < 0) {
        qcow2_cache_put(s->refcount_block_cache, block);
    }
    return ret;
}

/* Point refcount table entry @index at @block_offset, on disk first. */
static int refcount_table_hook(BlockDriverState *bs, uint64_t index,
                               uint64_t block_offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t entry = cpu_to_be64(block_offset);
    int ret;

    ret = qcow2_pwrite_sync(bs, s->refcount_table_offset +
                            index * sizeof(uint64_t), sizeof(entry), &entry);
    if (ret < 0) {
        return ret;
    }
    s->refcount_table[index] = block_offset;
    s->max_refcount_table_index = MAX(s->max_refcount_table_index, index);
    return 0;
}

/*
 * The table is full: build a bigger one behind everything in use so far
 * (including @new_block, the refcount block just made for @cluster_index).
 */
static int refcount_table_grow(BlockDriverState *bs, uint64_t cluster_index,
                               uint64_t new_block)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t table_index = cluster_index >> s->refcount_block_bits;
    uint64_t last = MAX(cluster_index, new_block >> s->cluster_bits);
    uint64_t blocks_used = DIV_ROUND_UP(last + 1, s->refcount_block_size);
    uint64_t meta_offset = (blocks_used * s->refcount_block_size) <<
                           s->cluster_bits;
    int64_t ret;

    ret = qcow2_refcount_area(bs, meta_offset, 0, false, table_index,
                              new_block);
    return ret < 0 ? (int)ret : 0;
}

/*
 * Get the refcount block covering @cluster_index into the cache, creating
 * it when missing.  Returns: 0 with *block held; -EAGAIN after creating
 * metadata (nothing held; the caller's free clusters may be gone); or
 * -errno.
 */
static int refcount_block_get_alloc(BlockDriverState *bs,
                                    uint64_t cluster_index, void **block)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t table_index = cluster_index >> s->refcount_block_bits;
    int64_t offset = refcount_block_offset(bs, table_index);
    int64_t new_block;
    int ret;

    /* As 7.2, emitted for every refcount block an update looks up. */
    bdrv_debug_event(bs->file, BLKDBG_REFBLOCK_ALLOC);
    if (offset < 0) {
        return offset;
    }
    if (offset > 0) {
        return qcow2_cache_get(bs, s->refcount_block_cache, offset, block);
    }
    new_block = alloc_clusters_noref(bs, s->cluster_size);
    if (new_block < 0) {
        return new_block;
    }
    if (0 == new_block) {
        return qcow2_signal_corruption(bs, "Preventing invalid allocation "
                                       "of refcount block at offset 0");
    }
    bdrv_debug_event(bs->file, BLKDBG_REFBLOCK_ALLOC_WRITE);
    ret = refcount_block_create(bs, new_block, cluster_index, block);
    if (ret < 0) {
        return ret;
    }
    qcow2_cache_put(s->refcount_block_cache, block);
    if (table_index < s->refcount_table_size) {
        bdrv_debug_event(bs->file, BLKDBG_REFBLOCK_ALLOC_HOOKUP);
        ret = refcount_table_hook(bs, table_index, new_block);
    } else {
        bdrv_debug_event(bs->file, BLKDBG_REFTABLE_GROW);
        ret = refcount_table_grow(bs, cluster_index, new_block);
    }
    return ret < 0 ? ret : -EAGAIN;
}

/* Queue the host range for discard pass-through, merging neighbours. */
static void refcount_queue_discard(BDRVQcow2State *s, uint64_t offset,
                                   uint64_t bytes)
{
    Qcow2Discard d = { .offset = offset, .bytes = bytes };

    if (s->discards->len) {
        Qcow2Discard *last = &g_array_index(s->discards, Qcow2Discard,
                                            s->discards->len - 1);
        if (last->offset + last->bytes == offset) {
            last->bytes += bytes;
            return;
        }
    }
    g_array_append_val(s->discards, d);
}

/* A cluster's refcount reached zero: forget cached tables it held. */
static void refcount_cluster_freed(BlockDriverState *bs, uint64_t offset,
                                   Qcow2DiscardType type)
{
    BDRVQcow2State *s = bs->opaque;

    qcow2_cache_discard_offset(s->refcount_block_cache, offset);
    qcow2_cache_discard_offset(s->l2_table_cache, offset);
    /* Compressed data must not be appended to a cluster reused since. */
    if (qcow2_start_of_cluster(s, s->free_byte_offset) == offset) {
        s->free_byte_offset = 0;
    }
    if (s->discard_passthrough[type]) {
        refcount_queue_discard(s, offset, s->cluster_size);
    }
}

/* Apply the change to one cluster whose refcount block is @block. */
static int refcount_apply(BlockDriverState *bs, void *block,
                          uint64_t cluster_index, uint64_t addend,
                          bool decrease, bool *freed)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t block_index = cluster_index & (s->refcount_block_size - 1);
    uint64_t refcount = qcow2_refblock_get(block, block_index,
                                           s->refcount_order);

    if (decrease ? refcount < addend
                 : addend > s->refcount_max - refcount) {
        return -EINVAL;
    }
    refcount = decrease ? refcount - addend : refcount + addend;
    qcow2_cache_entry_mark_dirty(s->refcount_block_cache, block);
    qcow2_refblock_set(block, block_index, s->refcount_order, refcount);
    if (0 == refcount && cluster_index < s->free_cluster_index) {
        s->free_cluster_index = cluster_index;
    }
    *freed = 0 == refcount;
    return 0;
}

static int update_refcount_range(BlockDriverState *bs, uint64_t start,
                                 uint64_t last, uint64_t addend,
                                 bool decrease, Qcow2DiscardType type,
                                 uint64_t *done)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old_table_index = UINT64_MAX;
    void *block = NULL;
    uint64_t offset;
    int ret = 0;

    for (offset = start; offset <= last; offset += s->cluster_size) {
        uint64_t cluster_index = offset >> s->cluster_bits;
        uint64_t table_index = cluster_index >> s->refcount_block_bits;
        bool freed;

        if (table_index != old_table_index) {
            if (block) {
                qcow2_cache_put(s->refcount_block_cache, &block);
            }
            ret = refcount_block_get_alloc(bs, cluster_index, &block);
            if (-EAGAIN == ret) {
                /* Let the caller look at the same clusters again first. */
                s->free_cluster_index = MIN(s->free_cluster_index,
                                            start >> s->cluster_bits);
            }
            if (ret < 0) {
                break;
            }
            old_table_index = table_index;
        }
        ret = refcount_apply(bs, block, cluster_index, addend, decrease,
                             &freed);
        if (ret < 0) {
            break;
        }
        if (freed) {
            /* The freed cluster may be the block we hold. */
            qcow2_cache_put(s->refcount_block_cache, &block);
            old_table_index = UINT64_MAX;
            refcount_cluster_freed(bs, offset, type);
        }
    }
    if (block) {
        qcow2_cache_put(s->refcount_block_cache, &block);
    }
    *done = offset - start;
    return ret;
}

int qcow2_update_refcount(BlockDriverState *bs, uint64_t offset,
                          uint64_t length, uint64_t addend, bool decrease,
                          Qcow2DiscardType type)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start, last, done;
    int ret;

    if (0 == length) {
        return 0;
    }
    if (decrease) {
        /* An L2 entry must be gone on disk before its cluster is free. */
        ret = qcow2_cache_set_dependency(bs, s->refcount_block_cache,
                                         s->l2_table_cache);
        if (ret < 0) {
            return ret;
        }
    }
    start = qcow2_start_of_cluster(s, offset);
    last = qcow2_start_of_cluster(s, offset + length - 1);
    ret = update_refcount_range(bs, start, last, addend, decrease, type,
                                &done);
    if (ret < 0 && done > 0) {
        /* Undo what was applied; this may fail too, leaving a leak. */
        (void)qcow2_update_refcount(bs, start, done, addend, !decrease,
                                    QCOW2_DISCARD_NEVER);
    }
    return ret;
}

int64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t size)
{
    int64_t offset;
    int ret;

    bdrv_debug_event(bs->file, BLKDBG_CLUSTER_ALLOC);
    do {
        offset = alloc_clusters_noref(bs, size);
        if (offset < 0) {
            return offset;
        }
        ret = qcow2_update_refcount(bs, offset, size, 1, false,
                                    QCOW2_DISCARD_NEVER);
    } while (-EAGAIN == ret);
    return ret < 0 ? ret : offset;
}

int64_t qcow2_alloc_clusters_at(BlockDriverState *bs, uint64_t offset,
                                int64_t nb_clusters)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t i;
    int ret;

    assert(nb_clusters >= 0);
    if (0 == nb_clusters) {
        return 0;
    }
    do {
        for (i = 0; i < nb_clusters; i++) {
            uint64_t refcount;

            ret = qcow2_get_refcount(bs, (offset >> s->cluster_bits) + i,
                                     &refcount);
            if (ret < 0) {
                return ret;
            }
            if (refcount) {
                break;
            }
        }
        ret = qcow2_update_refcount(bs, offset, i << s->cluster_bits, 1,
                                    false, QCOW2_DISCARD_NEVER);
    } while (-EAGAIN == ret);
    return ret < 0 ? ret : i;
}

void qcow2_free_clusters(BlockDriverState *bs, uint64_t offset,
                         uint64_t size, Qcow2DiscardType type)
{
    int ret;

    /* A failure only leaks the clusters, which check can reclaim. */
    bdrv_debug_event(bs->file, BLKDBG_CLUSTER_FREE);
    ret = qcow2_update_refcount(bs, offset, size, 1, true, type);
    if (ret < 0) {
        /*
         * 7.2 prints this line on stderr itself, and qemu-io's output
         * under I/O errors (iotest qcow2-blkdebug) depends on it.
         */
        fprintf(stderr, "qcow2_free_clusters failed: %s\n", strerror(-ret));
    }
}

void qcow2_free_any_cluster(BlockDriverState *bs, uint64_t l2_entry,
                            Qcow2DiscardType type)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t offset = l2_entry & QCOW2_L2E_OFFSET_MASK;
    uint64_t coffset, csize;

    switch (qcow2_get_cluster_type(s, l2_entry)) {
    case QCOW2_CLUSTER_COMPRESSED:
        qcow2_parse_compressed_entry(s, l2_entry, &coffset, &csize);
        qcow2_free_clusters(bs, coffset, csize, type);
        break;
    case QCOW2_CLUSTER_NORMAL:
    case QCOW2_CLUSTER_ZERO_ALLOC:
        if (qcow2_has_data_file(s)) {
            /* No refcount: the data file only hears of the discard. */
            if (s->discard_passthrough[type]) {
                (void)bdrv_pdiscard(s->data_file, offset, s->cluster_size);
            }
            break;
        }
        if (qcow2_offset_into_cluster(s, offset)) {
            /* Freeing a misaligned cluster would hit its neighbour. */
            qcow2_signal_corruption(bs, "Cannot free unaligned cluster %#"
                                    PRIx64, offset);
            break;
        }
        qcow2_free_clusters(bs, offset, s->cluster_size, type);
        break;
    default:
        break;
    }
}

int64_t qcow2_refcount_metadata_size(int64_t clusters, size_t cluster_size,
                                     int refcount_order,
                                     bool generous_increase,
                                     uint64_t *refblock_count)
{
    int64_t per_table_cluster = cluster_size / sizeof(uint64_t);
    int64_t per_block = cluster_size * 8 / (1 << refcount_order);
    int64_t blocks = 0, table = 0, total = 0, prev;

    /*
     * Refcount metadata counts itself, so iterate to the fixed point.  The
     * generous variant then reserves half the table size again and
     * iterates once more, as QEMU does when it grows the table.
     */
    for (;;) {
        prev = total;
        blocks = DIV_ROUND_UP(clusters + table + blocks, per_block);
        table = DIV_ROUND_UP(blocks, per_table_cluster);
        total = clusters + blocks + table;
        if (total != prev) {
            continue;
        }
        if (!generous_increase) {
            break;
        }
        clusters += DIV_ROUND_UP(table, 2);
        generous_increase = false;
        total = 0;
    }
    if (refblock_count) {
        *refblock_count = blocks;
    }
    return (blocks + table) * cluster_size;
}

/* Describe the layout refcount_area() builds. */
typedef struct Qcow2RefcountArea {
    uint64_t start_offset;
    uint64_t first_index;       /* table index covering start_offset */
    uint64_t nb_blocks;         /* table entries that must be filled */
    uint64_t table_size;        /* entries, whole clusters */
    uint64_t table_offset;
    uint64_t end_offset;
    uint64_t *table;            /* the new table, host order */
} Qcow2RefcountArea;

static int refcount_area_plan(BlockDriverState *bs, Qcow2RefcountArea *a,
                              uint64_t additional_clusters, bool exact_size,
                              int new_refblock_index,
                              uint64_t new_refblock_offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t entries_per_cluster = s->cluster_size / sizeof(uint64_t);
    uint64_t missing = 0;

    qcow2_refcount_metadata_size((a->start_offset >> s->cluster_bits) +
                                 additional_clusters, s->cluster_size,
                                 s->refcount_order, !exact_size,
                                 &a->nb_blocks);
    if (a->nb_blocks > QCOW2_MAX_REFTABLE_SIZE) {
        return -EFBIG;
    }
    a->first_index = (a->start_offset >> s->cluster_bits) >>
                     s->refcount_block_bits;
    a->table_size = exact_size ? a->nb_blocks
                               : a->nb_blocks + DIV_ROUND_UP(a->nb_blocks, 2);
    a->table_size = ROUND_UP(a->table_size, entries_per_cluster);
    if (a->table_size > QCOW2_MAX_REFTABLE_SIZE) {
        return -EFBIG;
    }
    a->table = g_try_new0(uint64_t, a->table_size);
    if (!a->table) {
        return -ENOMEM;
    }
    /* Entries past the new size only ever cover free space. */
    memcpy(a->table, s->refcount_table,
           MIN(a->table_size, (uint64_t)s->max_refcount_table_index + 1) *
           sizeof(uint64_t));
    if (new_refblock_offset) {
        assert((uint64_t)new_refblock_index < a->nb_blocks);
        a->table[new_refblock_index] = new_refblock_offset;
    }
    for (uint64_t i = a->first_index; i < a->nb_blocks; i++) {
        missing += !a->table[i];
    }
    a->table_offset = a->start_offset + (missing << s->cluster_bits);
    a->end_offset = a->table_offset + a->table_size * sizeof(uint64_t);
    return 0;
}

/* Get (or create at *next_block) refcount block @i and count the new
 * structures in it. */
static int refcount_area_fill_block(BlockDriverState *bs,
                                    Qcow2RefcountArea *a, uint64_t i,
                                    uint64_t *next_block)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t first = (i * s->refcount_block_size) << s->cluster_bits;
    uint64_t j, end_index;
    void *block;
    int ret;

    if (a->table[i]) {
        ret = qcow2_cache_get(bs, s->refcount_block_cache, a->table[i],
                              &block);
    } else {
        ret = qcow2_cache_get_empty(bs, s->refcount_block_cache, *next_block,
                                    &block);
        if (ret >= 0) {
            memset(block, 0, s->cluster_size);
            qcow2_cache_entry_mark_dirty(s->refcount_block_cache, block);
            a->table[i] = *next_block;
            *next_block += s->cluster_size;
        }
    }
    if (ret < 0) {
        return ret;
    }
    if (first < a->end_offset) {
        j = first < a->start_offset
            ? (a->start_offset - first) >> s->cluster_bits : 0;
        end_index = MIN((a->end_offset - first) >> s->cluster_bits,
                        (uint64_t)s->refcount_block_size);
        for (; j < end_index; j++) {
            if (qcow2_refblock_get(block, j, s->refcount_order)) {
                /* The caller promised free space here. */
                qcow2_cache_put(s->refcount_block_cache, &block);
                return qcow2_signal_corruption(bs, "Preventing invalid "
                                               "allocation of refcount "
                                               "structures");
            }
            qcow2_refblock_set(block, j, s->refcount_order, 1);
        }
        qcow2_cache_entry_mark_dirty(s->refcount_block_cache, block);
    }
    qcow2_cache_put(s->refcount_block_cache, &block);
    return 0;
}

/* Write the new table and point the header at it. */
static int refcount_area_switch(BlockDriverState *bs, Qcow2RefcountArea *a)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *disk = g_try_new(uint64_t, a->table_size);
    uint64_t old_offset = s->refcount_table_offset;
    uint64_t old_size = s->refcount_table_size;
    uint8_t hdr[12];
    int ret;

    if (!disk) {
        return -ENOMEM;
    }
    for (uint64_t i = 0; i < a->table_size; i++) {
        disk[i] = cpu_to_be64(a->table[i]);
    }
    ret = qcow2_pwrite_sync(bs, a->table_offset,
                            a->table_size * sizeof(uint64_t), disk);
    if (ret < 0) {
        return ret;
    }
    stq_be_p(hdr, a->table_offset);
    stl_be_p(hdr + 8, (a->table_size * sizeof(uint64_t)) >> s->cluster_bits);
    ret = qcow2_pwrite_sync(bs, offsetof(Qcow2HeaderDisk,
                                         refcount_table_offset),
                            sizeof(hdr), hdr);
    if (ret < 0) {
        return ret;
    }
    g_free(s->refcount_table);
    s->refcount_table = g_steal_pointer(&a->table);
    s->refcount_table_size = a->table_size;
    s->refcount_table_offset = a->table_offset;
    refcount_update_max_index(s);
    qcow2_free_clusters(bs, old_offset, old_size * sizeof(uint64_t),
                        QCOW2_DISCARD_OTHER);
    return 0;
}

int64_t qcow2_refcount_area(BlockDriverState *bs, uint64_t start_offset,
                            uint64_t additional_clusters, bool exact_size,
                            int new_refblock_index,
                            uint64_t new_refblock_offset)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2RefcountArea a = { .start_offset = start_offset };
    uint64_t next_block = start_offset;
    int ret;

    assert(0 == qcow2_offset_into_cluster(s, start_offset));
    ret = refcount_area_plan(bs, &a, additional_clusters, exact_size,
                             new_refblock_index, new_refblock_offset);
    for (uint64_t i = a.first_index; ret >= 0 && i < a.nb_blocks; i++) {
        ret = refcount_area_fill_block(bs, &a, i, &next_block);
    }
    if (ret >= 0) {
        assert(next_block == a.table_offset);
        ret = qcow2_cache_flush(bs, s->refcount_block_cache);
    }
    if (ret >= 0) {
        ret = refcount_area_switch(bs, &a);
    }
    g_free(a.table);
    return ret < 0 ? ret : (int64_t)a.end_offset;
}

void qcow2_process_discards(BlockDriverState *bs, int ret)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t len = ret >= 0 && s->discards->len ?
                  bdrv_getlength(bs->file->bs) : -1;

    for (guint i = 0; i < s->discards->len; i++) {
        Qcow2Discard *d = &g_array_index(s->discards, Qcow2Discard, i);

        if (len <= 0 || d->offset >= (uint64_t)len) {
            continue;
        }
        /*
         * In QEMU the protocol child always accepts discards and the
         * pass-discard-* options alone decide; our file node may lack
         * BDRV_O_UNMAP, so punch the hole as a zero write that may unmap
         * and never falls back to writing zeros.  Discarding is
         * advisory: a failure changes nothing.
         */
        (void)bdrv_pwrite_zeroes(bs->file, d->offset,
                                 MIN(d->bytes, (uint64_t)len - d->offset),
                                 BDRV_REQ_MAY_UNMAP | BDRV_REQ_NO_FALLBACK);
    }
    g_array_set_size(s->discards, 0);
}

/* Whether refcount block @i counts nothing except possibly itself. */
static int refcount_block_is_unused(BlockDriverState *bs, uint64_t i,
                                    bool *unused)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t offset = s->refcount_table[i] & QCOW2_REFT_OFFSET_MASK;
    uint64_t own = offset >> s->cluster_bits;
    uint64_t saved = 0;
    bool covers_itself = (own >> s->refcount_block_bits) == i;
    uint64_t own_index = own & (s->refcount_block_size - 1);
    void *block;
    int ret;

    ret = qcow2_cache_get(bs, s->refcount_block_cache, offset, &block);
    if (ret < 0) {
        return ret;
    }
    if (covers_itself) {
        saved = qcow2_refblock_get(block, own_index, s->refcount_order);
        qcow2_refblock_set(block, own_index, s->refcount_order, 0);
    }
    *unused = buffer_is_zero(block, s->cluster_size);
    if (covers_itself) {
        qcow2_refblock_set(block, own_index, s->refcount_order, saved);
    }
    qcow2_cache_put(s->refcount_block_cache, &block);
    return 0;
}

int qcow2_shrink_reftable(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *disk = g_try_new0(uint64_t, s->refcount_table_size);
    g_autofree bool *drop = g_new0(bool, s->refcount_table_size);
    int ret = 0;

    if (!disk) {
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        if (!s->refcount_table[i]) {
            continue;
        }
        ret = refcount_block_is_unused(bs, i, &drop[i]);
        if (ret < 0) {
            return ret;
        }
        disk[i] = drop[i] ? 0 : cpu_to_be64(s->refcount_table[i]);
    }
    ret = qcow2_pwrite_sync(bs, s->refcount_table_offset,
                            s->refcount_table_size * sizeof(uint64_t), disk);
    if (ret < 0) {
        return ret;
    }
    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        uint64_t offset = s->refcount_table[i] & QCOW2_REFT_OFFSET_MASK;

        if (!drop[i]) {
            continue;
        }
        s->refcount_table[i] = 0;
        qcow2_cache_discard_offset(s->refcount_block_cache, offset);
        /* Its own reference lives elsewhere, or went with the block. */
        if ((offset >> s->cluster_bits >> s->refcount_block_bits) != i) {
            qcow2_free_clusters(bs, offset, s->cluster_size,
                                QCOW2_DISCARD_ALWAYS);
        } else if (s->discard_passthrough[QCOW2_DISCARD_ALWAYS]) {
            refcount_queue_discard(s, offset, s->cluster_size);
        }
        if ((offset >> s->cluster_bits) < s->free_cluster_index) {
            s->free_cluster_index = offset >> s->cluster_bits;
        }
    }
    refcount_update_max_index(s);
    return 0;
}

int64_t qcow2_get_last_cluster(BlockDriverState *bs, int64_t size)
{
    BDRVQcow2State *s = bs->opaque;

    for (int64_t i = (int64_t)qcow2_size_to_clusters(s, size) - 1; i >= 0;
         i--) {
        uint64_t refcount;
        int ret = qcow2_get_refcount(bs, i, &refcount);

        if (ret < 0) {
            return ret;
        }
        if (refcount > 0) {
            return i;
        }
    }
    return qcow2_signal_corruption(bs, "No refcount for any cluster of "
                                   "the image");
}
