/*
 * qcow2 backing chain operations: changing the recorded backing file (the
 * header's backing_file_offset/size and the backing format extension,
 * qcow2.txt "Header" and "Header extensions") and emptying an overlay.
 */
#include "qemu/osdep.h"

#include "block/qcow2.h"

/* Set the in-memory backing file and format (copies; NULL: none). */
static void set_backing_names(BlockDriverState *bs, const char *file,
                              const char *fmt)
{
    g_free(bs->backing_file);
    g_free(bs->backing_format);
    bs->backing_file = g_strdup(file);
    bs->backing_format = g_strdup(fmt);
}

int qcow2_change_backing_file(BlockDriverState *bs, const char *backing_file,
                              const char *backing_fmt, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree char *old_file = g_strdup(bs->backing_file);
    g_autofree char *old_fmt = g_strdup(bs->backing_format);
    int ret;

    if (backing_file && !backing_file[0]) {
        backing_file = NULL;
    }
    /*
     * As 7.2: a raw external data file is the whole guest disk, so
     * nothing may show through from a backing file; names longer than
     * the header allows are refused with EINVAL.
     */
    if (backing_file &&
        ((s->autoclear_features & QCOW2_AUTOCLEAR_DATA_FILE_RAW) ||
         strlen(backing_file) > QCOW2_MAX_BACKING_NAME ||
         (backing_fmt && strlen(backing_fmt) > QCOW2_MAX_BACKING_FORMAT))) {
        error_setg(errp, "%s", g_strerror(EINVAL));
        return -EINVAL;
    }
    set_backing_names(bs, backing_file, backing_file ? backing_fmt : NULL);
    ret = qcow2_update_header(bs);
    if (ret < 0) {
        set_backing_names(bs, old_file, old_fmt);
        if (-ENOSPC == ret) {
            /* The name follows the extensions inside cluster 0. */
            error_setg(errp, "No space left in the file header");
        } else {
            error_setg(errp, "%s", g_strerror(-ret));
        }
    }
    return ret;
}

/* Clusters the active L1 table occupies. */
static uint64_t l1_clusters(const BDRVQcow2State *s)
{
    return DIV_ROUND_UP((uint64_t)s->l1_size * sizeof(uint64_t),
                        s->cluster_size);
}

/*
 * Whether the image may be reset to a header, a one-cluster refcount
 * table, one refcount block and the L1 table, as 7.2 does for v3 images
 * that reserve no other clusters (snapshots, bitmaps, a LUKS header, an
 * external data file) and whose metadata one refcount block covers.
 */
static bool make_empty_can_reset(const BDRVQcow2State *s)
{
    return s->qcow_version >= 3 && 0 == s->nb_snapshots &&
           !(s->has_bitmaps_ext && s->bitmaps_ext.nb_bitmaps) &&
           3 + l1_clusters(s) <= s->refcount_block_size &&
           QCOW2_CRYPT_LUKS != s->crypt_method_header &&
           !(s->incompatible_features & QCOW2_INCOMPAT_DATA_FILE);
}

/*
 * Write the new refcount table (cluster 1), its one refcount block
 * (cluster 2, counting clusters 0 up to the end of the L1 table) and a
 * zeroed L1 table from cluster 3 on.
 */
static int reset_write_metadata(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t nb_used = 3 + l1_clusters(s);
    g_autofree uint8_t *buf = g_malloc0(cs);
    int ret;

    stq_be_p(buf, 2 * cs);
    ret = bdrv_pwrite(bs->file, cs, cs, buf, 0);
    if (ret < 0) {
        return ret;
    }
    memset(buf, 0, cs);
    for (uint64_t i = 0; i < nb_used; i++) {
        qcow2_refblock_set(buf, i, s->refcount_order, 1);
    }
    ret = bdrv_pwrite(bs->file, 2 * cs, cs, buf, 0);
    if (ret < 0) {
        return ret;
    }
    if (nb_used > 3) {
        ret = bdrv_pwrite_zeroes(bs->file, 3 * cs, (nb_used - 3) * cs, 0);
        if (ret < 0) {
            return ret;
        }
    }
    return qcow2_file_flush(bs);
}

/* Point the in-memory state at the layout reset_write_metadata() made. */
static int reset_switch_state(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint32_t entries = s->cluster_size / sizeof(uint64_t);
    uint64_t *table = g_try_new0(uint64_t, entries);

    if (!table) {
        return -ENOMEM;
    }
    table[0] = 2ULL * s->cluster_size;
    g_free(s->refcount_table);
    s->refcount_table = table;
    s->refcount_table_offset = s->cluster_size;
    s->refcount_table_size = entries;
    s->max_refcount_table_index = 0;
    s->free_cluster_index = 0;
    s->l1_table_offset = 3ULL * s->cluster_size;
    memset(s->l1_table, 0, (size_t)s->l1_size * sizeof(uint64_t));
    s->cluster_cache_offset = UINT64_MAX;
    return 0;
}

/*
 * Drop every mapping and all refcount metadata and rebuild the minimal
 * layout, leaving a file of 3 + L1 clusters as 7.2 does.  The dirty bit
 * covers the window in which the refcounts on disk are stale.
 */
static int make_empty_reset(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1_bytes = (uint64_t)s->l1_size * sizeof(uint64_t);
    g_autofree uint8_t *zeros = g_malloc0(MAX(l1_bytes, 1));
    int ret;

    /* What the caches and the discard queue hold is about to vanish. */
    ret = qcow2_write_caches(bs);
    qcow2_process_discards(bs, ret);
    if (ret >= 0) {
        ret = qcow2_cache_empty(bs, s->l2_table_cache);
    }
    if (ret >= 0) {
        ret = qcow2_cache_empty(bs, s->refcount_block_cache);
    }
    if (ret >= 0) {
        ret = qcow2_mark_dirty(bs);
    }
    /* First unmap everything where the header still points. */
    if (ret >= 0 && l1_bytes) {
        ret = qcow2_pwrite_sync(bs, s->l1_table_offset, l1_bytes, zeros);
    }
    if (ret >= 0) {
        ret = reset_write_metadata(bs);
    }
    if (ret >= 0) {
        ret = reset_switch_state(bs);
    }
    if (ret >= 0) {
        ret = qcow2_update_header(bs);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to empty %s", bs->filename);
        return ret;
    }
    ret = bdrv_truncate(bs->file, (3 + l1_clusters(s)) * s->cluster_size,
                        false, PREALLOC_MODE_OFF, errp);
    if (ret >= 0) {
        ret = qcow2_mark_clean(bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to empty %s",
                             bs->filename);
        }
    }
    return ret;
}

/* Discard every cluster of the disk, leaving it unallocated. */
static int make_empty_discard(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t step = ROUND_DOWN((uint64_t)INT_MAX, s->cluster_size);
    int ret = 0;

    for (uint64_t offset = 0; offset < s->size && ret >= 0; offset += step) {
        /* The reason QEMU gives: emptying follows an external snapshot
         * commit, whose discards are passed down by default. */
        ret = qcow2_cluster_discard(bs, offset, MIN(step, s->size - offset),
                                    QCOW2_DISCARD_SNAPSHOT, true);
    }
    /*
     * 7.2 passes the discards down as each step ends; queued ones would
     * punch holes into clusters allocated later (bitmaps on close).
     */
    qcow2_process_discards(bs, ret);
    if (ret >= 0) {
        ret = bdrv_flush(bs);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to empty %s", bs->filename);
    }
    return ret;
}

int qcow2_make_empty(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    if (make_empty_can_reset(s)) {
        return make_empty_reset(bs, errp);
    }
    /* Slow but always possible: free every cluster the L2 tables map. */
    return make_empty_discard(bs, errp);
}
