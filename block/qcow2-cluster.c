/*
 * qcow2 guest-to-host mapping: L1 and L2 tables, allocation of data
 * clusters for writes, zero flags and discards (qcow2.txt "Cluster
 * mapping" and "Extended L2 Entries").
 */
#include "qemu/osdep.h"

#include "block/qcow2.h"

Qcow2ClusterType qcow2_get_cluster_type(const BDRVQcow2State *s,
                                        uint64_t l2_entry)
{
    if (l2_entry & QCOW2_OFLAG_COMPRESSED) {
        return QCOW2_CLUSTER_COMPRESSED;
    }
    /* With extended L2, bit 0 is reserved and zeros live in the bitmap. */
    if ((l2_entry & QCOW2_OFLAG_ZERO) && !qcow2_has_subclusters(s)) {
        return (l2_entry & QCOW2_L2E_OFFSET_MASK) ? QCOW2_CLUSTER_ZERO_ALLOC
                                                  : QCOW2_CLUSTER_ZERO_PLAIN;
    }
    if (!(l2_entry & QCOW2_L2E_OFFSET_MASK)) {
        /*
         * Offset 0 is a valid data cluster in an external data file; as
         * its clusters always have refcount 1, COPIED tells them apart
         * from unallocated entries.
         */
        return qcow2_has_data_file(s) && (l2_entry & QCOW2_OFLAG_COPIED)
               ? QCOW2_CLUSTER_NORMAL : QCOW2_CLUSTER_UNALLOCATED;
    }
    return QCOW2_CLUSTER_NORMAL;
}

static bool cluster_has_host_offset(Qcow2ClusterType type)
{
    return QCOW2_CLUSTER_NORMAL == type || QCOW2_CLUSTER_ZERO_ALLOC == type;
}

Qcow2SubclusterType qcow2_get_subcluster_type(const BDRVQcow2State *s,
                                              uint64_t l2_entry,
                                              uint64_t l2_bitmap,
                                              int sc_index)
{
    Qcow2ClusterType type = qcow2_get_cluster_type(s, l2_entry);
    uint64_t alloc_bit = 1ULL << sc_index;
    uint64_t zero_bit = alloc_bit << 32;

    if (!qcow2_has_subclusters(s)) {
        static const Qcow2SubclusterType map[] = {
            [QCOW2_CLUSTER_UNALLOCATED] = QCOW2_SUBCLUSTER_UNALLOCATED_PLAIN,
            [QCOW2_CLUSTER_ZERO_PLAIN] = QCOW2_SUBCLUSTER_ZERO_PLAIN,
            [QCOW2_CLUSTER_ZERO_ALLOC] = QCOW2_SUBCLUSTER_ZERO_ALLOC,
            [QCOW2_CLUSTER_NORMAL] = QCOW2_SUBCLUSTER_NORMAL,
            [QCOW2_CLUSTER_COMPRESSED] = QCOW2_SUBCLUSTER_COMPRESSED,
        };
        return map[type];
    }
    switch (type) {
    case QCOW2_CLUSTER_COMPRESSED:
        return QCOW2_SUBCLUSTER_COMPRESSED;
    case QCOW2_CLUSTER_NORMAL:
        /* A subcluster cannot be both allocated and zero. */
        if ((l2_bitmap >> 32) & l2_bitmap) {
            return QCOW2_SUBCLUSTER_INVALID;
        }
        if (l2_bitmap & alloc_bit) {
            return QCOW2_SUBCLUSTER_NORMAL;
        }
        return (l2_bitmap & zero_bit) ? QCOW2_SUBCLUSTER_ZERO_ALLOC
                                      : QCOW2_SUBCLUSTER_UNALLOCATED_ALLOC;
    case QCOW2_CLUSTER_UNALLOCATED:
        /* Allocated subclusters need a host cluster. */
        if (l2_bitmap & QCOW2_L2_BITMAP_ALL_ALLOC) {
            return QCOW2_SUBCLUSTER_INVALID;
        }
        return (l2_bitmap & zero_bit) ? QCOW2_SUBCLUSTER_ZERO_PLAIN
                                      : QCOW2_SUBCLUSTER_UNALLOCATED_PLAIN;
    default:
        return QCOW2_SUBCLUSTER_INVALID;
    }
}

void qcow2_parse_compressed_entry(const BDRVQcow2State *s, uint64_t l2_entry,
                                  uint64_t *coffset, uint64_t *csize)
{
    /* "Compressed Clusters Descriptor": x = 62 - (cluster_bits - 8). */
    int x = 62 - (s->cluster_bits - 8);
    uint64_t nb_sectors = ((l2_entry >> x) &
                           ((1ULL << (s->cluster_bits - 8)) - 1)) + 1;

    *coffset = l2_entry & ((1ULL << x) - 1);
    *csize = nb_sectors * BDRV_SECTOR_SIZE -
             (*coffset & (BDRV_SECTOR_SIZE - 1));
}

int qcow2_write_l1_entry(BlockDriverState *bs, int l1_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t entry = cpu_to_be64(s->l1_table[l1_index]);

    bdrv_debug_event(bs->file, BLKDBG_L1_UPDATE);
    return qcow2_pwrite_sync(bs, s->l1_table_offset +
                             (uint64_t)l1_index * sizeof(uint64_t),
                             sizeof(entry), &entry);
}

/* The L2 table offset of L1 entry @l1_index (0: none), checked. */
static int64_t l2_table_offset(BlockDriverState *bs, uint64_t l1_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t offset;

    if (l1_index >= s->l1_size) {
        return 0;
    }
    offset = s->l1_table[l1_index] & QCOW2_L1E_OFFSET_MASK;
    if (qcow2_offset_into_cluster(s, offset)) {
        return qcow2_signal_corruption(bs, "L2 table offset %#" PRIx64
                                       " unaligned (L1 index: %#" PRIx64
                                       ")", offset, l1_index);
    }
    return offset;
}

/*
 * Give L1 entry @l1_index a new L2 table of its own: empty, or a copy of
 * the shared one it had.  The new table is on disk before the L1 entry.
 */
static int l2_allocate(BlockDriverState *bs, int l1_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old_entry = s->l1_table[l1_index];
    uint64_t old_offset = old_entry & QCOW2_L1E_OFFSET_MASK;
    int64_t l2_offset;
    void *table, *old_table;
    int ret;

    l2_offset = qcow2_alloc_clusters(bs, s->cluster_size);
    if (l2_offset < 0) {
        return l2_offset;
    }
    if (0 == l2_offset) {
        return qcow2_signal_corruption(bs, "Preventing invalid allocation "
                                       "of L2 table at offset 0");
    }
    ret = qcow2_cache_flush(bs, s->refcount_block_cache);
    if (ret >= 0) {
        ret = qcow2_cache_get_empty(bs, s->l2_table_cache, l2_offset,
                                    &table);
    }
    if (ret < 0) {
        goto fail;
    }
    if (old_offset) {
        ret = qcow2_cache_get(bs, s->l2_table_cache, old_offset, &old_table);
        if (ret < 0) {
            qcow2_cache_put(s->l2_table_cache, &table);
            goto fail;
        }
        memcpy(table, old_table, s->cluster_size);
        qcow2_cache_put(s->l2_table_cache, &old_table);
    } else {
        memset(table, 0, s->cluster_size);
    }
    qcow2_cache_entry_mark_dirty(s->l2_table_cache, table);
    qcow2_cache_put(s->l2_table_cache, &table);
    bdrv_debug_event(bs->file, BLKDBG_L2_ALLOC_WRITE);
    ret = qcow2_cache_flush(bs, s->l2_table_cache);
    if (ret < 0) {
        goto fail;
    }
    s->l1_table[l1_index] = l2_offset | QCOW2_OFLAG_COPIED;
    ret = qcow2_write_l1_entry(bs, l1_index);
    if (ret < 0) {
        s->l1_table[l1_index] = old_entry;
        goto fail;
    }
    return 0;

fail:
    qcow2_cache_discard_offset(s->l2_table_cache, l2_offset);
    qcow2_free_clusters(bs, l2_offset, s->cluster_size, QCOW2_DISCARD_ALWAYS);
    return ret;
}

/*
 * Get the L2 table for guest @offset ready for changes: grown L1, own
 * (COPIED) table.  Returns: 0 with *table held, or -errno.
 */
static int get_cluster_table(BlockDriverState *bs, uint64_t offset,
                             uint64_t **table, int *l2_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1_index = qcow2_offset_to_l1_index(s, offset);
    int64_t l2_offset;
    int ret;

    if (l1_index >= s->l1_size) {
        ret = qcow2_grow_l1_table(bs, l1_index + 1, false);
        if (ret < 0) {
            return ret;
        }
    }
    l2_offset = l2_table_offset(bs, l1_index);
    if (l2_offset < 0) {
        return l2_offset;
    }
    if (!(s->l1_table[l1_index] & QCOW2_OFLAG_COPIED)) {
        ret = l2_allocate(bs, l1_index);
        if (ret < 0) {
            return ret;
        }
        if (l2_offset) {
            qcow2_free_clusters(bs, l2_offset, s->cluster_size,
                                QCOW2_DISCARD_OTHER);
        }
        l2_offset = s->l1_table[l1_index] & QCOW2_L1E_OFFSET_MASK;
    }
    ret = qcow2_cache_get(bs, s->l2_table_cache, l2_offset, (void **)table);
    if (ret < 0) {
        return ret;
    }
    *l2_index = qcow2_offset_to_l2_index(s, offset);
    return 0;
}

/*
 * Count subclusters from (@l2_index, @sc_index) on that have @type and,
 * for types with a host cluster, follow each other on the host.
 */
static uint64_t count_contiguous_subclusters(const BDRVQcow2State *s,
                                             const uint64_t *l2,
                                             int l2_index, int sc_index,
                                             int nb_clusters,
                                             Qcow2SubclusterType type)
{
    bool check_offset = QCOW2_SUBCLUSTER_NORMAL == type ||
                        QCOW2_SUBCLUSTER_ZERO_ALLOC == type ||
                        QCOW2_SUBCLUSTER_UNALLOCATED_ALLOC == type;
    uint64_t expected = qcow2_l2_get_entry(s, l2, l2_index) &
                        QCOW2_L2E_OFFSET_MASK;
    uint64_t count = 0;

    for (int i = 0; i < nb_clusters; i++) {
        uint64_t entry = qcow2_l2_get_entry(s, l2, l2_index + i);
        uint64_t bitmap = qcow2_l2_get_bitmap(s, l2, l2_index + i);

        if (check_offset && (entry & QCOW2_L2E_OFFSET_MASK) != expected) {
            break;
        }
        for (int j = i ? 0 : sc_index; j < s->subclusters_per_cluster; j++) {
            if (qcow2_get_subcluster_type(s, entry, bitmap, j) != type) {
                return count;
            }
            count++;
        }
        expected += s->cluster_size;
    }
    return count;
}

/* Check the host cluster of a mapped entry.  Returns: 0 or -EIO. */
static int check_host_cluster(BlockDriverState *bs, uint64_t l2_entry,
                              uint64_t guest_offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t host = l2_entry & QCOW2_L2E_OFFSET_MASK;

    if (qcow2_offset_into_cluster(s, host)) {
        return qcow2_signal_corruption(bs, "%s cluster offset %#" PRIx64
                                       " unaligned (guest offset: %#" PRIx64
                                       ")", (l2_entry & QCOW2_OFLAG_ZERO)
                                       ? "Preallocated zero" : "Data",
                                       host, guest_offset);
    }
    return 0;
}

int qcow2_get_host_offset(BlockDriverState *bs, uint64_t offset,
                          uint64_t *bytes, uint64_t *host_offset,
                          Qcow2SubclusterType *type)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t in_cluster = qcow2_offset_into_cluster(s, offset);
    int l2_index = qcow2_offset_to_l2_index(s, offset);
    int sc_index = qcow2_offset_to_sc_index(s, offset);
    uint64_t avail = ((uint64_t)(s->l2_size - l2_index) << s->cluster_bits)
                     - in_cluster;
    int64_t l2_offset;
    uint64_t *l2, entry, count;
    int ret;

    avail = MIN(avail, *bytes);
    *host_offset = 0;
    l2_offset = l2_table_offset(bs, qcow2_offset_to_l1_index(s, offset));
    if (l2_offset <= 0) {
        *type = QCOW2_SUBCLUSTER_UNALLOCATED_PLAIN;
        *bytes = avail;
        return l2_offset;
    }
    ret = qcow2_cache_get(bs, s->l2_table_cache, l2_offset, (void **)&l2);
    if (ret < 0) {
        return ret;
    }
    entry = qcow2_l2_get_entry(s, l2, l2_index);
    *type = qcow2_get_subcluster_type(s, entry, qcow2_l2_get_bitmap(s, l2,
                                      l2_index), sc_index);
    if (QCOW2_SUBCLUSTER_INVALID == *type) {
        qcow2_cache_put(s->l2_table_cache, (void **)&l2);
        return qcow2_signal_corruption(bs, "Invalid cluster entry found  "
                                       "(L2 offset: %#" PRIx64 ", L2 index: "
                                       "%#x)", (uint64_t)l2_offset,
                                       l2_index);
    }
    if (QCOW2_SUBCLUSTER_COMPRESSED != *type &&
        qcow2_offset_into_cluster(s, entry & QCOW2_L2E_OFFSET_MASK)) {
        uint64_t host = entry & QCOW2_L2E_OFFSET_MASK;

        qcow2_cache_put(s->l2_table_cache, (void **)&l2);
        return qcow2_signal_corruption(bs, "Cluster allocation offset %#"
                                       PRIx64 " unaligned (L2 offset: %#"
                                       PRIx64 ", L2 index: %#x)", host,
                                       (uint64_t)l2_offset, l2_index);
    }
    if (QCOW2_SUBCLUSTER_COMPRESSED == *type) {
        /* Compressed clusters are handled one at a time. */
        *host_offset = entry;
        count = (s->cluster_size - in_cluster);
    } else {
        count = count_contiguous_subclusters(
            s, l2, l2_index, sc_index,
            qcow2_size_to_clusters(s, avail + in_cluster), *type)
            << s->subcluster_bits;
        count -= in_cluster & (s->subcluster_size - 1);
        /* (Offset 0 is a real one in an external data file.) */
        if (QCOW2_SUBCLUSTER_ZERO_PLAIN != *type &&
            QCOW2_SUBCLUSTER_UNALLOCATED_PLAIN != *type) {
            *host_offset = (entry & QCOW2_L2E_OFFSET_MASK) + in_cluster;
        }
    }
    qcow2_cache_put(s->l2_table_cache, (void **)&l2);
    *bytes = MIN(avail, count);
    return 0;
}

/* Whether a write to this cluster needs a new host cluster. */
static bool cluster_needs_new_alloc(const BDRVQcow2State *s, uint64_t entry)
{
    Qcow2ClusterType type = qcow2_get_cluster_type(s, entry);

    return !(cluster_has_host_offset(type) && (entry & QCOW2_OFLAG_COPIED));
}

/*
 * Count clusters from @l2_index on that need a new host cluster (@new)
 * or that can be written in place at consecutive host offsets (!@new).
 */
static int count_write_clusters(const BDRVQcow2State *s, const uint64_t *l2,
                                int l2_index, int nb_clusters, bool new)
{
    uint64_t expected = qcow2_l2_get_entry(s, l2, l2_index) &
                        QCOW2_L2E_OFFSET_MASK;
    int i;

    for (i = 0; i < nb_clusters; i++) {
        uint64_t entry = qcow2_l2_get_entry(s, l2, l2_index + i);

        if (cluster_needs_new_alloc(s, entry) != new) {
            break;
        }
        if (!new) {
            if ((entry & QCOW2_L2E_OFFSET_MASK) != expected) {
                break;
            }
            expected += s->cluster_size;
        }
    }
    return i;
}

/* Whether every subcluster the write touches in place is allocated. */
static bool write_needs_no_link(const BDRVQcow2State *s, const uint64_t *l2,
                                int l2_index, uint64_t from, uint64_t to,
                                int nb_clusters)
{
    for (int i = 0; i < nb_clusters; i++) {
        uint64_t entry = qcow2_l2_get_entry(s, l2, l2_index + i);
        uint64_t bitmap = qcow2_l2_get_bitmap(s, l2, l2_index + i);
        uint64_t base = (uint64_t)i << s->cluster_bits;
        uint64_t w_from = MAX(from, base) - base;
        uint64_t w_to = MIN(to, base + s->cluster_size) - base;

        for (uint64_t sc = w_from >> s->subcluster_bits;
             sc <= (w_to - 1) >> s->subcluster_bits; sc++) {
            if (qcow2_get_subcluster_type(s, entry, bitmap, sc) !=
                QCOW2_SUBCLUSTER_NORMAL) {
                return false;
            }
        }
    }
    return true;
}

/* Highest allocated subcluster + 1 in @bitmap (0 if none). */
static int bitmap_alloc_end(uint64_t bitmap)
{
    uint32_t alloc = bitmap & QCOW2_L2_BITMAP_ALL_ALLOC;

    return alloc ? 32 - __builtin_clz(alloc) : 0;
}

/* Lowest allocated subcluster in @bitmap (32 if none). */
static int bitmap_alloc_start(uint64_t bitmap)
{
    uint32_t alloc = bitmap & QCOW2_L2_BITMAP_ALL_ALLOC;

    return alloc ? __builtin_ctz(alloc) : 32;
}

/*
 * Where the copy-on-write region before a write starting at @to (bytes
 * into the cluster whose entry is @entry) must begin: nothing to copy
 * for in-place writes to allocated subclusters, the subcluster's start
 * for unallocated or zero ones, and everything the old cluster holds
 * when the data moves to a new cluster.
 */
static uint64_t cow_start_from(const BDRVQcow2State *s, uint64_t entry,
                               uint64_t bitmap, uint64_t to, bool keep_old)
{
    int sc = to >> s->subcluster_bits;
    Qcow2SubclusterType type = qcow2_get_subcluster_type(s, entry, bitmap,
                                                         sc);

    switch (type) {
    case QCOW2_SUBCLUSTER_NORMAL:
        if (keep_old) {
            return to;
        }
        /* fall through */
    case QCOW2_SUBCLUSTER_ZERO_ALLOC:
    case QCOW2_SUBCLUSTER_UNALLOCATED_ALLOC:
        if (!keep_old && qcow2_has_subclusters(s)) {
            return (uint64_t)MIN(sc, bitmap_alloc_start(bitmap)) <<
                   s->subcluster_bits;
        }
        return keep_old ? (uint64_t)sc << s->subcluster_bits : 0;
    case QCOW2_SUBCLUSTER_COMPRESSED:
        return 0;
    default:
        return (uint64_t)sc << s->subcluster_bits;
    }
}

/* The mirror image of cow_start_from() for the end of the write at
 * @from bytes into its (last) cluster. */
static uint64_t cow_end_to(const BDRVQcow2State *s, uint64_t entry,
                           uint64_t bitmap, uint64_t from, bool keep_old)
{
    int sc = (from - 1) >> s->subcluster_bits;
    uint64_t sc_end = (uint64_t)(sc + 1) << s->subcluster_bits;
    Qcow2SubclusterType type = qcow2_get_subcluster_type(s, entry, bitmap,
                                                         sc);

    switch (type) {
    case QCOW2_SUBCLUSTER_NORMAL:
        if (keep_old) {
            return from;
        }
        /* fall through */
    case QCOW2_SUBCLUSTER_ZERO_ALLOC:
    case QCOW2_SUBCLUSTER_UNALLOCATED_ALLOC:
        if (!keep_old && qcow2_has_subclusters(s)) {
            return MAX(sc_end, (uint64_t)bitmap_alloc_end(bitmap) <<
                       s->subcluster_bits);
        }
        return keep_old ? sc_end : s->cluster_size;
    case QCOW2_SUBCLUSTER_COMPRESSED:
        return s->cluster_size;
    default:
        return sc_end;
    }
}

/* Fill in the copy-on-write regions (and whether L2 changes) of @run. */
static int plan_cow(BlockDriverState *bs, const uint64_t *l2, int l2_index,
                    Qcow2WriteRun *run)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start_to = qcow2_offset_into_cluster(s, run->guest_offset);
    uint64_t end_from = start_to + run->bytes;
    int last = run->nb_clusters - 1;
    uint64_t last_base = (uint64_t)last << s->cluster_bits;
    uint64_t first_entry = qcow2_l2_get_entry(s, l2, l2_index);
    uint64_t last_entry = qcow2_l2_get_entry(s, l2, l2_index + last);
    uint64_t from, to;

    for (int i = 0; i <= last; i++) {
        uint64_t e = qcow2_l2_get_entry(s, l2, l2_index + i);

        if (QCOW2_SUBCLUSTER_INVALID ==
            qcow2_get_subcluster_type(s, e, qcow2_l2_get_bitmap(s, l2,
                                      l2_index + i), 0)) {
            return qcow2_signal_corruption(bs, "Invalid cluster entry found "
                                           " (guest offset: %#" PRIx64 ")",
                                           run->guest_offset);
        }
    }
    if (run->keep_old && write_needs_no_link(s, l2, l2_index, start_to,
                                             end_from, run->nb_clusters)) {
        run->needs_link = false;
        return 0;
    }
    from = cow_start_from(s, first_entry,
                          qcow2_l2_get_bitmap(s, l2, l2_index), start_to,
                          run->keep_old);
    to = last_base + cow_end_to(s, last_entry,
                                qcow2_l2_get_bitmap(s, l2, l2_index + last),
                                end_from - last_base, run->keep_old);
    run->needs_link = true;
    run->cow_start_offset = from;
    run->cow_start_bytes = start_to - from;
    run->cow_end_offset = end_from;
    run->cow_end_bytes = to - end_from;
    return 0;
}

/* New clusters for @run: continuing at @hint if free there, else
 * wherever allocation finds room. */
static int64_t alloc_run_clusters(BlockDriverState *bs, Qcow2WriteRun *run,
                                  uint64_t hint)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t got;

    if (hint) {
        got = qcow2_alloc_clusters_at(bs, hint, run->nb_clusters);
        if (got < 0) {
            return got;
        }
        if (got > 0) {
            run->nb_clusters = got;
            return hint;
        }
    }
    return qcow2_alloc_clusters(bs, (uint64_t)run->nb_clusters <<
                                s->cluster_bits);
}

int qcow2_alloc_host_offset(BlockDriverState *bs, uint64_t offset,
                            uint64_t *bytes, uint64_t hint,
                            Qcow2WriteRun *run)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t in_cluster = qcow2_offset_into_cluster(s, offset);
    uint64_t *l2;
    uint64_t entry;
    int l2_index, nb_clusters, ret;
    int64_t alloc;

    ret = get_cluster_table(bs, offset, &l2, &l2_index);
    if (ret < 0) {
        return ret;
    }
    nb_clusters = MIN(qcow2_size_to_clusters(s, in_cluster + *bytes),
                      (uint64_t)(s->l2_size - l2_index));
    entry = qcow2_l2_get_entry(s, l2, l2_index);
    *run = (Qcow2WriteRun) { .guest_offset = offset };
    run->keep_old = !cluster_needs_new_alloc(s, entry);
    run->nb_clusters = count_write_clusters(s, l2, l2_index, nb_clusters,
                                            !run->keep_old);
    if (run->keep_old) {
        ret = check_host_cluster(bs, entry, offset);
        alloc = entry & QCOW2_L2E_OFFSET_MASK;
    } else if (qcow2_has_data_file(s)) {
        /* The data file mirrors the guest layout. */
        alloc = qcow2_start_of_cluster(s, offset);
    } else {
        alloc = alloc_run_clusters(bs, run, hint);
        ret = alloc < 0 ? (int)alloc : 0;
    }
    if (ret >= 0) {
        run->alloc_offset = alloc;
        run->bytes = MIN(*bytes, ((uint64_t)run->nb_clusters <<
                                  s->cluster_bits) - in_cluster);
        run->host_offset = alloc + in_cluster;
        ret = plan_cow(bs, l2, l2_index, run);
        if (ret < 0 && !run->keep_old && !qcow2_has_data_file(s)) {
            qcow2_free_clusters(bs, alloc, (uint64_t)run->nb_clusters <<
                                s->cluster_bits, QCOW2_DISCARD_NEVER);
        }
    }
    qcow2_cache_put(s->l2_table_cache, (void **)&l2);
    *bytes = run->bytes;
    return ret;
}

/*
 * Free the clusters the L2 entries @old (@nb of them) pointed to, after
 * the L2 table that no longer points to them is written: a freed cluster
 * may be reused (and written) at once, and a crash must not find the old
 * entry on disk pointing at someone else's data.
 */
static int free_unlinked_clusters(BlockDriverState *bs, const uint64_t *old,
                                  int nb, Qcow2DiscardType type)
{
    BDRVQcow2State *s = bs->opaque;

    /*
     * A failed write-back leaves the table dirty, to be reported at the
     * next flush; the clusters are freed anyway, as 7.2 frees them.
     */
    if (nb) {
        (void)qcow2_cache_write(bs, s->l2_table_cache);
    }
    for (int i = 0; i < nb; i++) {
        qcow2_free_any_cluster(bs, old[i], type);
    }
    return 0;
}

/* The new allocation bitmap of cluster @i of @run. */
static uint64_t link_bitmap(const BDRVQcow2State *s, const Qcow2WriteRun *run,
                            int i, uint64_t bitmap)
{
    uint64_t base = (uint64_t)i << s->cluster_bits;
    uint64_t from = MAX(run->cow_start_offset, base) - base;
    uint64_t to = MIN(run->cow_end_offset + run->cow_end_bytes,
                      base + s->cluster_size) - base;
    int first_sc, last_sc;

    assert(from < to);
    first_sc = from >> s->subcluster_bits;
    last_sc = (to - 1) >> s->subcluster_bits;
    bitmap |= qcow2_sc_alloc_range(first_sc, last_sc + 1);
    bitmap &= ~qcow2_sc_zero_range(first_sc, last_sc + 1);
    return bitmap;
}

int qcow2_link_l2(BlockDriverState *bs, const Qcow2WriteRun *run)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *old = g_new(uint64_t, run->nb_clusters);
    int nb_old = 0, l2_index, ret;
    uint64_t *l2;

    assert(run->needs_link);
    if (s->use_lazy_refcounts) {
        ret = qcow2_mark_dirty(bs);
        if (ret < 0) {
            return ret;
        }
    }
    ret = get_cluster_table(bs, run->guest_offset, &l2, &l2_index);
    if (ret < 0) {
        return ret;
    }
    if (qcow2_need_accurate_refcounts(s)) {
        /* The new clusters' refcounts reach the disk before the L2. */
        ret = qcow2_cache_set_dependency(bs, s->l2_table_cache,
                                         s->refcount_block_cache);
        if (ret < 0) {
            qcow2_cache_put(s->l2_table_cache, (void **)&l2);
            return ret;
        }
    }
    qcow2_cache_entry_mark_dirty(s->l2_table_cache, l2);
    for (int i = 0; i < run->nb_clusters; i++) {
        uint64_t entry = qcow2_l2_get_entry(s, l2, l2_index + i);
        uint64_t host = run->alloc_offset + ((uint64_t)i << s->cluster_bits);

        if (!run->keep_old && (entry & (QCOW2_L2E_OFFSET_MASK |
                                        QCOW2_OFLAG_COMPRESSED))) {
            old[nb_old++] = entry;
        }
        qcow2_l2_set_entry(s, l2, l2_index + i, host | QCOW2_OFLAG_COPIED);
        if (qcow2_has_subclusters(s) && !run->prealloc) {
            uint64_t bitmap = qcow2_l2_get_bitmap(s, l2, l2_index + i);

            if (QCOW2_CLUSTER_COMPRESSED == qcow2_get_cluster_type(s, entry)) {
                bitmap = 0;
            }
            qcow2_l2_set_bitmap(s, l2, l2_index + i,
                                link_bitmap(s, run, i, bitmap));
        }
    }
    qcow2_cache_put(s->l2_table_cache, (void **)&l2);
    return free_unlinked_clusters(bs, old, nb_old, QCOW2_DISCARD_NEVER);
}

int qcow2_prepare_compressed(BlockDriverState *bs, uint64_t offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t *l2;
    int l2_index, ret;

    ret = get_cluster_table(bs, offset, &l2, &l2_index);
    if (ret < 0) {
        return ret;
    }
    /* Like QEMU, compression never replaces a host cluster. */
    if (qcow2_l2_get_entry(s, l2, l2_index) & QCOW2_L2E_OFFSET_MASK) {
        ret = -EIO;
    }
    qcow2_cache_put(s->l2_table_cache, (void **)&l2);
    return ret;
}

int qcow2_link_compressed(BlockDriverState *bs, uint64_t offset,
                          uint64_t l2_entry)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t *l2;
    int l2_index, ret;

    ret = get_cluster_table(bs, offset, &l2, &l2_index);
    if (ret < 0) {
        return ret;
    }
    if (qcow2_l2_get_entry(s, l2, l2_index) & QCOW2_L2E_OFFSET_MASK) {
        ret = -EIO;
    } else {
        ret = qcow2_cache_set_dependency(bs, s->l2_table_cache,
                                         s->refcount_block_cache);
    }
    if (ret >= 0) {
        qcow2_cache_entry_mark_dirty(s->l2_table_cache, l2);
        qcow2_l2_set_entry(s, l2, l2_index, l2_entry);
        if (qcow2_has_subclusters(s)) {
            qcow2_l2_set_bitmap(s, l2, l2_index, 0);
        }
    }
    qcow2_cache_put(s->l2_table_cache, (void **)&l2);
    return ret;
}

/* Write the new L1 table (disk order) and point the header at it. */
static int l1_table_write_new(BlockDriverState *bs, const uint64_t *disk,
                              uint64_t new_size, uint64_t new_offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t hdr[12];
    int ret;

    ret = qcow2_cache_flush(bs, s->refcount_block_cache);
    if (ret >= 0) {
        bdrv_debug_event(bs->file, BLKDBG_L1_GROW_WRITE_TABLE);
        ret = qcow2_pwrite_sync(bs, new_offset, new_size * sizeof(uint64_t),
                                disk);
    }
    if (ret >= 0) {
        bdrv_debug_event(bs->file, BLKDBG_L1_GROW_ACTIVATE_TABLE);
        stl_be_p(hdr, new_size);
        stq_be_p(hdr + 4, new_offset);
        ret = qcow2_pwrite_sync(bs, offsetof(Qcow2HeaderDisk, l1_size),
                                sizeof(hdr), hdr);
    }
    return ret;
}

int qcow2_grow_l1_table(BlockDriverState *bs, uint64_t min_size,
                        bool exact_size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t new_size, old_offset, old_size;
    g_autofree uint64_t *table = NULL;
    int64_t new_offset;
    int ret;

    if (min_size <= s->l1_size) {
        return 0;
    }
    if (min_size > INT_MAX / sizeof(uint64_t)) {
        return -EFBIG;
    }
    new_size = exact_size ? min_size : MAX(s->l1_size, 1);
    while (new_size < min_size) {
        /* Grow by half to make later growth rarer, as QEMU does. */
        new_size = DIV_ROUND_UP(new_size * 3, 2);
    }
    if (new_size > QCOW2_MAX_L1_SIZE / sizeof(uint64_t)) {
        return -EFBIG;
    }
    table = g_try_new0(uint64_t, new_size);
    if (!table) {
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < s->l1_size; i++) {
        table[i] = cpu_to_be64(s->l1_table[i]);
    }
    bdrv_debug_event(bs->file, BLKDBG_L1_GROW_ALLOC_TABLE);
    new_offset = qcow2_alloc_clusters(bs, new_size * sizeof(uint64_t));
    if (new_offset < 0) {
        return new_offset;
    }
    ret = l1_table_write_new(bs, table, new_size, new_offset);
    if (ret < 0) {
        qcow2_free_clusters(bs, new_offset, new_size * sizeof(uint64_t),
                            QCOW2_DISCARD_OTHER);
        return ret;
    }
    for (uint64_t i = 0; i < new_size; i++) {
        table[i] = be64_to_cpu(table[i]);
    }
    old_offset = s->l1_table_offset;
    old_size = s->l1_size;
    g_free(s->l1_table);
    s->l1_table = g_steal_pointer(&table);
    s->l1_table_offset = new_offset;
    s->l1_size = new_size;
    qcow2_free_clusters(bs, old_offset, old_size * sizeof(uint64_t),
                        QCOW2_DISCARD_OTHER);
    return 0;
}

int qcow2_shrink_l1_table(BlockDriverState *bs, uint64_t new_l1_size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t count;
    g_autofree uint64_t *zeros = NULL;
    int ret;

    if (new_l1_size >= s->l1_size) {
        return 0;
    }
    count = s->l1_size - new_l1_size;
    ret = qcow2_cache_flush(bs, s->l2_table_cache);
    if (ret < 0) {
        return ret;
    }
    zeros = g_new0(uint64_t, count);
    ret = qcow2_pwrite_sync(bs, s->l1_table_offset +
                            new_l1_size * sizeof(uint64_t),
                            count * sizeof(uint64_t), zeros);
    if (ret < 0) {
        return ret;
    }
    for (uint64_t i = new_l1_size; i < s->l1_size; i++) {
        uint64_t l2_offset = s->l1_table[i] & QCOW2_L1E_OFFSET_MASK;

        s->l1_table[i] = 0;
        if (l2_offset) {
            qcow2_free_clusters(bs, l2_offset, s->cluster_size,
                                QCOW2_DISCARD_ALWAYS);
        }
    }
    return 0;
}

/* The L2 entry and bitmap a zero write leaves for one cluster. */
static bool zero_cluster_entry(BlockDriverState *bs, uint64_t *entry,
                               uint64_t *bitmap, int flags)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2ClusterType type = qcow2_get_cluster_type(s, *entry);
    bool unmap = QCOW2_CLUSTER_COMPRESSED == type ||
                 ((flags & BDRV_REQ_MAY_UNMAP) &&
                  cluster_has_host_offset(type));

    if (unmap) {
        *entry = 0;
    }
    if (qcow2_has_subclusters(s)) {
        *bitmap = QCOW2_L2_BITMAP_ALL_ZEROES;
    } else {
        *entry |= QCOW2_OFLAG_ZERO;
    }
    return unmap;
}

/*
 * The L2 entry and bitmap a discard leaves for one cluster: unallocated
 * for @full_discard (backing data shows through); otherwise reading as
 * zeros where v3 can say so.  Unallocated clusters without a backing
 * file already read as zeros and stay as they are.
 */
static void discard_cluster_entry(BlockDriverState *bs, uint64_t *entry,
                                  uint64_t *bitmap, bool full_discard)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2ClusterType type = qcow2_get_cluster_type(s, *entry);
    bool allocated = cluster_has_host_offset(type) ||
                     QCOW2_CLUSTER_COMPRESSED == type;

    if (full_discard) {
        *entry = *bitmap = 0;
    } else if (bs->backing_file || allocated) {
        if (qcow2_has_subclusters(s)) {
            *entry = 0;
            *bitmap = QCOW2_L2_BITMAP_ALL_ZEROES;
        } else {
            *entry = s->qcow_version >= 3 ? QCOW2_OFLAG_ZERO : 0;
        }
    }
}

/* Zero or discard @nb_clusters whole clusters of one L2 table. */
static int l2_update_clusters(BlockDriverState *bs, uint64_t offset,
                              int nb_clusters, int flags, bool discard,
                              Qcow2DiscardType type, bool full_discard)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *freed = NULL;
    uint64_t *l2;
    int l2_index, nb_freed = 0, ret;

    ret = get_cluster_table(bs, offset, &l2, &l2_index);
    if (ret < 0) {
        return ret;
    }
    nb_clusters = MIN(nb_clusters, (int)(s->l2_size - l2_index));
    freed = g_new(uint64_t, nb_clusters);
    for (int i = 0; i < nb_clusters; i++) {
        uint64_t old = qcow2_l2_get_entry(s, l2, l2_index + i);
        uint64_t old_bitmap = qcow2_l2_get_bitmap(s, l2, l2_index + i);
        uint64_t entry = old, bitmap = old_bitmap;
        bool free_old;

        if (discard) {
            discard_cluster_entry(bs, &entry, &bitmap, full_discard);
            free_old = true;
        } else {
            free_old = zero_cluster_entry(bs, &entry, &bitmap, flags);
        }
        if (entry == old && bitmap == old_bitmap) {
            continue;
        }
        qcow2_cache_entry_mark_dirty(s->l2_table_cache, l2);
        qcow2_l2_set_entry(s, l2, l2_index + i, entry);
        if (qcow2_has_subclusters(s)) {
            qcow2_l2_set_bitmap(s, l2, l2_index + i, bitmap);
        }
        if (free_old) {
            freed[nb_freed++] = old;
        }
    }
    qcow2_cache_put(s->l2_table_cache, (void **)&l2);
    ret = free_unlinked_clusters(bs, freed, nb_freed, type);
    return ret < 0 ? ret : nb_clusters;
}

/* Mark @nb_subclusters from guest @offset (one cluster) as zero. */
static int zero_subclusters(BlockDriverState *bs, uint64_t offset,
                            int nb_subclusters)
{
    BDRVQcow2State *s = bs->opaque;
    int sc = qcow2_offset_to_sc_index(s, offset);
    uint64_t *l2, entry, old, bitmap;
    int l2_index, ret;

    ret = get_cluster_table(bs, offset, &l2, &l2_index);
    if (ret < 0) {
        return ret;
    }
    entry = qcow2_l2_get_entry(s, l2, l2_index);
    old = qcow2_l2_get_bitmap(s, l2, l2_index);
    if (QCOW2_CLUSTER_COMPRESSED == qcow2_get_cluster_type(s, entry)) {
        ret = -ENOTSUP;
    } else {
        bitmap = (old | qcow2_sc_zero_range(sc, sc + nb_subclusters)) &
                 ~qcow2_sc_alloc_range(sc, sc + nb_subclusters);
        if (bitmap != old) {
            qcow2_cache_entry_mark_dirty(s->l2_table_cache, l2);
            qcow2_l2_set_bitmap(s, l2, l2_index, bitmap);
        }
    }
    qcow2_cache_put(s->l2_table_cache, (void **)&l2);
    return ret;
}

/* Apply l2_update_clusters() to whole clusters, table by table. */
static int update_cluster_range(BlockDriverState *bs, uint64_t offset,
                                uint64_t nb_clusters, int flags,
                                bool discard, Qcow2DiscardType type,
                                bool full_discard)
{
    BDRVQcow2State *s = bs->opaque;

    while (nb_clusters > 0) {
        int n = MIN(nb_clusters, (uint64_t)INT_MAX);
        int ret = l2_update_clusters(bs, offset, n, flags, discard, type,
                                     full_discard);

        if (ret < 0) {
            return ret;
        }
        nb_clusters -= ret;
        offset += (uint64_t)ret << s->cluster_bits;
    }
    return 0;
}

int qcow2_subcluster_zeroize(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes, int flags)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t end = offset + bytes;
    uint64_t head, tail_start;
    int ret;

    assert(QEMU_IS_ALIGNED(offset, s->subcluster_size));
    /*
     * The zero flag is a v3 feature.  Without a backing file, v2 can
     * still make clusters read as zeros by freeing them, as QEMU does.
     */
    if (s->qcow_version < 3) {
        if (bs->backing_file) {
            return -ENOTSUP;
        }
        return qcow2_cluster_discard(bs, offset, bytes,
                                     QCOW2_DISCARD_REQUEST, false);
    }
    if (!QEMU_IS_ALIGNED(end, s->subcluster_size)) {
        assert(end >= s->size);
        end = ROUND_UP(end, s->subcluster_size);
    }
    head = MIN(end, ROUND_UP(offset, s->cluster_size)) - offset;
    if (head) {
        ret = zero_subclusters(bs, offset, head >> s->subcluster_bits);
        if (ret < 0) {
            return ret;
        }
        offset += head;
    }
    /* Without subclusters, end is cluster aligned here: no tail. */
    tail_start = MAX(offset, qcow2_start_of_cluster(s, end));
    ret = update_cluster_range(bs, offset,
                               qcow2_size_to_clusters(s, tail_start - offset),
                               flags, false, QCOW2_DISCARD_REQUEST, false);
    if (ret < 0 || tail_start == end) {
        return ret;
    }
    return zero_subclusters(bs, tail_start,
                            (end - tail_start) >> s->subcluster_bits);
}

int qcow2_cluster_discard(BlockDriverState *bs, uint64_t offset,
                          uint64_t bytes, Qcow2DiscardType type,
                          bool full_discard)
{
    BDRVQcow2State *s = bs->opaque;

    assert(QEMU_IS_ALIGNED(offset, s->cluster_size));
    assert(QEMU_IS_ALIGNED(bytes, s->cluster_size) ||
           offset + bytes >= s->size);
    return update_cluster_range(bs, offset,
                                qcow2_size_to_clusters(s, bytes), 0, true,
                                type, full_discard);
}
