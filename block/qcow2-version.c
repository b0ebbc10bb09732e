/*
 * qcow2 amend of the format-level options (qcow2.txt "Header", "Host
 * cluster management"): compat 0.10 <-> 1.1, lazy refcounts, and the
 * refcount width, with QEMU 7.2's rules and messages.
 */
#include "qemu/osdep.h"

#include "block/qcow2.h"

/* Write the header from memory, durably.  Returns: 0 or -errno. */
static int write_header(BlockDriverState *bs, Error **errp)
{
    int ret = qcow2_update_header(bs);

    ret = ret < 0 ? ret : qcow2_file_flush(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to update the image header");
    }
    return ret;
}

/* Write the header with @version, durably; the old version stays in
 * memory if that fails. */
static int set_version(BlockDriverState *bs, int version, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int old = s->qcow_version;
    int ret;

    s->qcow_version = version;
    ret = write_header(bs, errp);
    if (ret < 0) {
        s->qcow_version = old;
    }
    return ret;
}

int qcow2_amend_upgrade(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    assert(s->qcow_version < 3);
    s->unknown_header_fields_size = 0;
    return set_version(bs, 3, errp);
}

int qcow2_amend_lazy_refcounts(BlockDriverState *bs, bool on, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old = s->compatible_features;
    int ret;

    if (on == !!(old & QCOW2_COMPAT_LAZY_REFCOUNTS)) {
        return 0;
    }
    if (!on) {
        /* Refcounts must be exact on disk before nothing may repair them. */
        ret = qcow2_mark_clean(bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to make the image clean");
            return ret;
        }
    }
    s->compatible_features = on ? old | QCOW2_COMPAT_LAZY_REFCOUNTS
                                : old & ~QCOW2_COMPAT_LAZY_REFCOUNTS;
    ret = write_header(bs, errp);
    if (ret < 0) {
        s->compatible_features = old;
        return ret;
    }
    s->use_lazy_refcounts = on;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Downgrade to compat 0.10                                            */
/* ------------------------------------------------------------------ */

/* Write @bytes of zeros as the guest will read them back: encrypted
 * (LUKS: IVs from the host offset; AES: from the guest offset). */
static int write_zero_data(BlockDriverState *bs, uint64_t host,
                           uint64_t guest)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *buf = NULL;

    if (!s->crypto) {
        return bdrv_pwrite_zeroes(bs->file, host, s->cluster_size, 0);
    }
    buf = g_malloc0(s->cluster_size);
    qcrypto_block_encrypt(s->crypto, QCOW2_CRYPT_AES ==
                          s->crypt_method_header ? guest : host, buf,
                          s->cluster_size);
    return bdrv_pwrite(bs->file, host, s->cluster_size, buf, 0);
}

/*
 * Version 2 has no zero flag: a zero cluster with a host cluster gets
 * zeros written there; one without becomes unallocated, unless a backing
 * file would then show through, in which case it gets a new cluster of
 * zeros (counted as often as the L2 table is).  Returns: the new entry.
 */
static int expand_zero_entry(BlockDriverState *bs, uint64_t entry,
                             uint64_t guest, uint64_t l2_refcount,
                             uint64_t *out)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2ClusterType type = qcow2_get_cluster_type(s, entry);
    uint64_t host = entry & QCOW2_L2E_OFFSET_MASK;
    int64_t offset;
    int ret;

    if (QCOW2_CLUSTER_ZERO_ALLOC == type) {
        ret = write_zero_data(bs, host, guest);
        *out = entry & ~QCOW2_OFLAG_ZERO;
        return ret;
    }
    if (!bs->backing && !bs->backing_file) {
        *out = 0;
        return 0;
    }
    offset = qcow2_alloc_clusters(bs, s->cluster_size);
    if (offset < 0) {
        return (int)offset;
    }
    ret = l2_refcount > 1
          ? qcow2_update_refcount(bs, offset, 1, l2_refcount - 1, false,
                                  QCOW2_DISCARD_NEVER)
          : 0;
    ret = ret < 0 ? ret : write_zero_data(bs, offset, guest);
    if (ret < 0) {
        qcow2_free_clusters(bs, offset, s->cluster_size, QCOW2_DISCARD_NEVER);
        return ret;
    }
    *out = (uint64_t)offset | (1 == l2_refcount ? QCOW2_OFLAG_COPIED : 0);
    return 0;
}

/* Expand the zero clusters of the L2 table @l2_offset (L1 index @i). */
static int expand_zero_l2(BlockDriverState *bs, uint64_t l2_offset,
                          uint64_t i)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *l2 = g_malloc(s->cluster_size);
    bool changed = false;
    uint64_t l2_refcount;
    int ret;

    ret = qcow2_get_refcount(bs, l2_offset >> s->cluster_bits, &l2_refcount);
    ret = ret < 0 ? ret : bdrv_pread(bs->file, l2_offset, s->cluster_size,
                                     l2, 0);
    for (uint32_t j = 0; ret >= 0 && j < s->l2_size; j++) {
        uint64_t entry = qcow2_l2_get_entry(s, l2, j);
        uint64_t guest = ((i << s->l2_bits) + j) << s->cluster_bits;
        uint64_t new_entry = 0;
        Qcow2ClusterType type = qcow2_get_cluster_type(s, entry);

        if (QCOW2_CLUSTER_ZERO_ALLOC != type &&
            QCOW2_CLUSTER_ZERO_PLAIN != type) {
            continue;
        }
        ret = expand_zero_entry(bs, entry, guest, MAX(l2_refcount, 1),
                                &new_entry);
        if (ret >= 0) {
            qcow2_l2_set_entry(s, l2, j, new_entry);
            changed = true;
        }
    }
    if (ret >= 0 && changed) {
        /* New data and its refcounts first, then the L2 table. */
        ret = qcow2_write_caches(bs);
        ret = ret < 0 ? ret : qcow2_file_flush(bs);
        ret = ret < 0 ? ret : qcow2_pwrite_sync(bs, l2_offset,
                                                s->cluster_size, l2);
    }
    return ret;
}

/* Expand the L2 tables of one L1 table (host order) not seen yet. */
static int expand_zero_l1(BlockDriverState *bs, const uint64_t *l1,
                          uint32_t l1_size, GHashTable *seen)
{
    int ret = 0;

    for (uint32_t i = 0; i < l1_size && ret >= 0; i++) {
        uint64_t l2_offset = l1[i] & QCOW2_L1E_OFFSET_MASK;

        if (l2_offset && g_hash_table_add(seen, GSIZE_TO_POINTER(l2_offset))) {
            ret = expand_zero_l2(bs, l2_offset, i);
        }
    }
    return ret;
}

/* Every zero cluster of the active and the snapshot L1 tables. */
static int expand_zero_clusters(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
    int ret;

    /* L2 tables are edited on disk, past the cache. */
    ret = qcow2_write_caches(bs);
    ret = ret < 0 ? ret : qcow2_cache_empty(bs, s->l2_table_cache);
    ret = ret < 0 ? ret : expand_zero_l1(bs, s->l1_table, s->l1_size, seen);
    for (uint32_t n = 0; ret >= 0 && n < s->nb_snapshots; n++) {
        const Qcow2Snapshot *sn = &s->snapshots[n];
        g_autofree uint64_t *l1 = g_new0(uint64_t, MAX(sn->l1_size, 1));

        ret = bdrv_pread(bs->file, sn->l1_table_offset,
                         (uint64_t)sn->l1_size * 8, l1, 0);
        for (uint32_t i = 0; ret >= 0 && i < sn->l1_size; i++) {
            l1[i] = be64_to_cpu(l1[i]);
        }
        ret = ret < 0 ? ret : expand_zero_l1(bs, l1, sn->l1_size, seen);
    }
    return ret;
}

/* Whether any L2 entry of the active or snapshot tables is compressed. */
static int has_compressed_clusters(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *l2 = g_malloc(s->cluster_size);
    int ret;

    ret = qcow2_write_caches(bs);
    for (uint32_t n = 0; ret >= 0 && n <= s->nb_snapshots; n++) {
        uint32_t size = n ? s->snapshots[n - 1].l1_size : s->l1_size;
        g_autofree uint64_t *l1 = g_new0(uint64_t, MAX(size, 1));

        if (n) {
            ret = bdrv_pread(bs->file, s->snapshots[n - 1].l1_table_offset,
                             (uint64_t)size * 8, l1, 0);
            for (uint32_t i = 0; ret >= 0 && i < size; i++) {
                l1[i] = be64_to_cpu(l1[i]);
            }
        } else {
            memcpy(l1, s->l1_table, (uint64_t)size * 8);
        }
        for (uint32_t i = 0; ret >= 0 && i < size; i++) {
            uint64_t l2_offset = l1[i] & QCOW2_L1E_OFFSET_MASK;

            if (!l2_offset) {
                continue;
            }
            ret = bdrv_pread(bs->file, l2_offset, s->cluster_size, l2, 0);
            for (uint32_t j = 0; ret >= 0 && j < s->l2_size; j++) {
                if (qcow2_l2_get_entry(s, l2, j) & QCOW2_OFLAG_COMPRESSED) {
                    return 1;
                }
            }
        }
    }
    return ret < 0 ? ret : 0;
}

/* The refusals of a downgrade, in QEMU 7.2's order. */
static int downgrade_check(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    if (4 != s->refcount_order) {
        error_setg(errp, "compat=0.10 requires refcount_bits=16");
        return -ENOTSUP;
    }
    if (s->image_data_file) {
        error_setg(errp, "Cannot downgrade an image with a data file");
        return -ENOTSUP;
    }
    /* v2 readers would not know the sizes the extra data records. */
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (s->snapshots[i].vm_state_size > UINT32_MAX ||
            s->snapshots[i].disk_size != s->size) {
            error_setg(errp, "Internal snapshots prevent downgrade of image");
            return -ENOTSUP;
        }
    }
    if (s->luks_inline.length) {
        /* [qcrypt-img] its data starts right after the header, whose
         * length the version changes. */
        error_setg(errp, "Cannot change the compatibility level of an "
                   "image with the inline LUKS header layout (amend "
                   "encrypt.header-layout=pointer first)");
        return -ENOTSUP;
    }
    return 0;
}

/* zstd is a v3 feature: fine to drop only while nothing uses it. */
static int downgrade_compression(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (QCOW2_COMPRESSION_ZLIB == s->compression_type) {
        return 0;
    }
    ret = has_compressed_clusters(bs);
    if (ret < 0) {
        error_setg(errp, "Failed to check block status");
        return -EINVAL;
    }
    if (ret) {
        error_setg(errp, "Cannot downgrade an image with zstd compression "
                   "type and existing compressed clusters");
        return -ENOTSUP;
    }
    s->incompatible_features &= ~QCOW2_INCOMPAT_COMPRESSION;
    s->compression_type = QCOW2_COMPRESSION_ZLIB;
    return 0;
}

int qcow2_amend_downgrade(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t others;
    int ret = downgrade_check(bs, errp);

    if (ret < 0) {
        return ret;
    }
    ret = qcow2_mark_clean(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to make the image clean");
        return ret;
    }
    others = s->incompatible_features & ~QCOW2_INCOMPAT_COMPRESSION;
    if (others) {
        error_setg(errp, "Cannot downgrade an image with incompatible "
                   "features 0x%" PRIx64 " set", others);
        return -ENOTSUP;
    }
    /* Compatible and autoclear features may simply be dropped. */
    s->compatible_features = 0;
    s->autoclear_features = 0;
    s->use_lazy_refcounts = false;
    ret = expand_zero_clusters(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to turn zero into data "
                         "clusters");
        return ret;
    }
    ret = downgrade_compression(bs, errp);
    if (ret < 0) {
        return ret;
    }
    return set_version(bs, 2, errp);
}

/* ------------------------------------------------------------------ */
/* Refcount width                                                      */
/* ------------------------------------------------------------------ */

/* Every cluster's refcount, up to the last counted one or the file end;
 * the clusters of the current refcount structures count 0 (they go). */
static int refcounts_collect(BlockDriverState *bs, GArray *rc)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *block = g_malloc(s->cluster_size);
    int64_t file_len = bdrv_getlength(bs->file->bs);
    uint64_t n = 0;
    int ret;

    if (file_len < 0) {
        return (int)file_len;
    }
    for (uint32_t t = 0; t < s->refcount_table_size; t++) {
        uint64_t off = s->refcount_table[t] & QCOW2_REFT_OFFSET_MASK;

        if (!off) {
            continue;
        }
        ret = bdrv_pread(bs->file, off, s->cluster_size, block, 0);
        if (ret < 0) {
            return ret;
        }
        for (uint32_t k = 0; k < s->refcount_block_size; k++) {
            uint64_t v = qcow2_refblock_get(block, k, s->refcount_order);
            uint64_t index = ((uint64_t)t << s->refcount_block_bits) + k;

            if (v) {
                if (rc->len <= index) {
                    g_array_set_size(rc, index + 1);
                }
                g_array_index(rc, uint64_t, index) = v;
            }
        }
    }
    n = qcow2_size_to_clusters(s, file_len);
    if (rc->len < n) {
        g_array_set_size(rc, n);
    }
    for (uint32_t t = 0; t < s->refcount_table_size; t++) {
        uint64_t off = s->refcount_table[t] & QCOW2_REFT_OFFSET_MASK;

        if (off && (off >> s->cluster_bits) < rc->len) {
            g_array_index(rc, uint64_t, off >> s->cluster_bits) = 0;
        }
    }
    for (uint64_t c = 0; c < qcow2_size_to_clusters(
             s, (uint64_t)s->refcount_table_size * 8); c++) {
        uint64_t index = (s->refcount_table_offset >> s->cluster_bits) + c;

        if (index < rc->len) {
            g_array_index(rc, uint64_t, index) = 0;
        }
    }
    return 0;
}

/* The new structures for @end clusters plus themselves, placed at
 * @end: *@nblocks refcount blocks, then the table (*@tclusters). */
static void refcounts_layout(const BDRVQcow2State *s, int order,
                             uint64_t end, uint64_t *nblocks,
                             uint64_t *tclusters)
{
    int block_bits = s->cluster_bits + 3 - order;
    uint64_t k = 0, prev;

    do {
        prev = k;
        *nblocks = DIV_ROUND_UP(end + k, 1ULL << block_bits);
        *tclusters = DIV_ROUND_UP(*nblocks * 8, s->cluster_size);
        k = *nblocks + *tclusters;
    } while (k != prev);
}

/* Write the new refcount blocks and table at cluster @end (flushed). */
static int refcounts_write(BlockDriverState *bs, int order, GArray *rc,
                           uint64_t end, uint64_t nblocks,
                           uint64_t tclusters)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t per_block = 1ULL << (s->cluster_bits + 3 - order);
    g_autofree uint8_t *block = g_malloc(s->cluster_size);
    g_autofree uint64_t *table = g_new0(uint64_t, tclusters *
                                        s->cluster_size / 8);
    int ret;

    for (uint64_t b = 0; b < nblocks; b++) {
        memset(block, 0, s->cluster_size);
        for (uint64_t k = 0; k < per_block; k++) {
            uint64_t index = b * per_block + k;

            if (index < rc->len && g_array_index(rc, uint64_t, index)) {
                qcow2_refblock_set(block, k, order,
                                   g_array_index(rc, uint64_t, index));
            }
        }
        table[b] = cpu_to_be64((end + b) << s->cluster_bits);
        ret = bdrv_pwrite(bs->file, (end + b) << s->cluster_bits,
                          s->cluster_size, block, 0);
        if (ret < 0) {
            return ret;
        }
    }
    ret = bdrv_pwrite(bs->file, (end + nblocks) << s->cluster_bits,
                      tclusters << s->cluster_bits, table, 0);
    return ret < 0 ? ret : qcow2_file_flush(bs);
}

/* The refcount geometry of the state, for a rollback. */
typedef struct RefcountGeometry {
    int order;
    uint64_t table_offset;
    uint32_t table_size;
    uint64_t *table;
    uint32_t max_table_index;
} RefcountGeometry;

/* Set the refcount geometry of @s (derived fields too). */
static void refcounts_set(BDRVQcow2State *s, const RefcountGeometry *g)
{
    qcow2_set_refcount_order(s, g->order);
    s->refcount_table_offset = g->table_offset;
    s->refcount_table_size = g->table_size;
    s->refcount_table = g->table;
    s->max_refcount_table_index = g->max_table_index;
    s->free_cluster_index = 0;
}

/* Point the state and then the header at the new structures. */
static int refcounts_switch(BlockDriverState *bs, int order, uint64_t end,
                            uint64_t nblocks, uint64_t tclusters)
{
    BDRVQcow2State *s = bs->opaque;
    RefcountGeometry old = {
        .order = s->refcount_order, .table = s->refcount_table,
        .table_offset = s->refcount_table_offset,
        .table_size = s->refcount_table_size,
        .max_table_index = s->max_refcount_table_index,
    };
    RefcountGeometry g = {
        .order = order,
        .table_offset = (end + nblocks) << s->cluster_bits,
        .table_size = tclusters * s->cluster_size / 8,
        .max_table_index = nblocks - 1,
    };
    int ret;

    g.table = g_new0(uint64_t, g.table_size);
    for (uint64_t b = 0; b < nblocks; b++) {
        g.table[b] = (end + b) << s->cluster_bits;
    }
    refcounts_set(s, &g);
    ret = qcow2_update_header(bs);
    ret = ret < 0 ? ret : qcow2_file_flush(bs);
    if (ret < 0) {
        g_free(g.table);
        refcounts_set(s, &old);
        return ret;
    }
    g_free(old.table);
    return 0;
}

int qcow2_amend_refcount_order(BlockDriverState *bs, int order,
                               Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autoptr(GArray) rc = g_array_new(FALSE, TRUE, sizeof(uint64_t));
    uint64_t max = 64 == (1 << order) ? UINT64_MAX
                   : (1ULL << (1 << order)) - 1;
    uint64_t end, nblocks, tclusters;
    int ret;

    if (order == s->refcount_order) {
        return 0;
    }
    /* The refcount blocks are read on disk and then dropped. */
    ret = qcow2_write_caches(bs);
    ret = ret < 0 ? ret : qcow2_file_flush(bs);
    ret = ret < 0 ? ret : qcow2_cache_empty(bs, s->refcount_block_cache);
    ret = ret < 0 ? ret : refcounts_collect(bs, rc);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to read the refcounts");
        return ret;
    }
    for (guint i = 0; i < rc->len; i++) {
        uint64_t v = g_array_index(rc, uint64_t, i);

        if (v > max) {
            error_setg(errp, "Cannot decrease refcount entry width to %i "
                       "bits: Cluster at offset %#" PRIx64 " has a "
                       "refcount of %" PRIu64, 1 << order,
                       (uint64_t)i << s->cluster_bits, v);
            return -EINVAL;
        }
    }
    end = rc->len;
    refcounts_layout(s, order, end, &nblocks, &tclusters);
    g_array_set_size(rc, end + nblocks + tclusters);
    for (uint64_t c = end; c < end + nblocks + tclusters; c++) {
        g_array_index(rc, uint64_t, c) = 1;
    }
    /* The new structures go past everything: until the header names
     * them, a crash leaves only unused bytes at the end of the file. */
    ret = refcounts_write(bs, order, rc, end, nblocks, tclusters);
    ret = ret < 0 ? ret : refcounts_switch(bs, order, end, nblocks,
                                           tclusters);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to write the new refcount "
                         "structures");
    }
    return ret;
}
