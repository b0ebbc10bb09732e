/*
 * qcow2 consistency check and repair: recount every reference from the
 * metadata and compare with the refcounts (qcow2.txt "Host cluster
 * management", "Cluster mapping", "Snapshot table", "Bitmaps extension").
 *
 * Findings, their wording, what counts as a corruption or a leak, the
 * order of the passes and the layout of rebuilt refcount structures all
 * follow QEMU 7.2's qemu-img check, whose output tools compare against.
 */
#include "qemu/osdep.h"

#include <stdarg.h>
#include <stdio.h>

#include "block/qcow2.h"
#include "qemu/cutils.h"

/* Bitmap directory entries and bitmap tables ("Bitmaps extension"). */
#define BITMAP_DIR_ENTRY_SIZE 24
#define BITMAP_TABLE_OFFSET_MASK 0x00fffffffffffe00ULL

/* Whether a walk also collects the allocation statistics. */
#define CHECK_FRAG_INFO 1

/*
 * The in-memory refcount table: one entry per host cluster in the
 * refcount block format of the image, so that rebuilt refcount blocks
 * are slices of it.  Its buffer always covers whole clusters.
 */
typedef struct Qcow2Imrt {
    uint8_t *array;
    int64_t nb_clusters;
    bool signaled;              /* a corruption event was reported */
} Qcow2Imrt;

/*
 * 7.2 prints each finding on stderr from inside the driver, also when
 * opening a dirty image repairs it, and qemu-img's golden output depends
 * on it; the driver prints only here and, as 7.2 does, when freeing
 * clusters fails (qcow2_free_clusters()).
 */
static void G_GNUC_PRINTF(1, 2) check_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const char *fix_word(BdrvCheckMode fix, const char *error)
{
    return (fix & BDRV_FIX_ERRORS) ? "Repairing" : error;
}

/* ------------------------------------------------------------------ */
/* In-memory refcount table                                            */
/* ------------------------------------------------------------------ */

static uint64_t imrt_bytes(const BDRVQcow2State *s, int64_t entries)
{
    uint64_t bytes = DIV_ROUND_UP((uint64_t)entries << s->refcount_order, 8);

    return qcow2_size_to_clusters(s, bytes) << s->cluster_bits;
}

/* Make room for @new_size entries (new entries are zero). */
static int imrt_resize(const BDRVQcow2State *s, Qcow2Imrt *t,
                       int64_t new_size)
{
    uint64_t old_bytes = t->array ? imrt_bytes(s, t->nb_clusters) : 0;
    uint64_t new_bytes = imrt_bytes(s, new_size);
    uint8_t *p;

    if (new_bytes != old_bytes) {
        if (new_bytes > SIZE_MAX / 2) {
            return -ENOMEM;
        }
        p = g_try_realloc(t->array, MAX(new_bytes, 1));
        if (!p) {
            return -ENOMEM;
        }
        if (new_bytes > old_bytes) {
            memset(p + old_bytes, 0, new_bytes - old_bytes);
        }
        t->array = p;
    }
    t->nb_clusters = new_size;
    return 0;
}

static uint64_t imrt_get(const BDRVQcow2State *s, const Qcow2Imrt *t,
                         int64_t cluster)
{
    return qcow2_refblock_get(t->array, cluster, s->refcount_order);
}

static void imrt_set(const BDRVQcow2State *s, Qcow2Imrt *t, int64_t cluster,
                     uint64_t value)
{
    qcow2_refblock_set(t->array, cluster, s->refcount_order, value);
}

/* Metadata kinds of 7.2's overlap check ("cached" mode), in its order. */
enum {
    OL_MAIN_HEADER = QCOW2_OL_MAIN_HEADER,
    OL_ACTIVE_L1 = QCOW2_OL_ACTIVE_L1,
    OL_ACTIVE_L2 = QCOW2_OL_ACTIVE_L2,
    OL_REFCOUNT_TABLE = 1 << 3,
    OL_REFCOUNT_BLOCK = QCOW2_OL_REFCOUNT_BLOCK,
    OL_SNAPSHOT_TABLE = 1 << 5,
    OL_INACTIVE_L1 = 1 << 6,
};

static bool ol_hit(uint64_t start, uint64_t bytes, uint64_t ofs,
                   uint64_t len)
{
    return len && ofs < start + bytes && start < ofs + len;
}

/* Returns: the name of the metadata [@start, +@bytes) overlaps, or NULL. */
static const char *ol_find(const BDRVQcow2State *s, int ign, uint64_t start,
                           uint64_t bytes)
{
    const Qcow2Snapshot *sn = s->snapshots;

    if (!(ign & OL_MAIN_HEADER) &&
        ol_hit(start, bytes, 0, s->header_clusters << s->cluster_bits)) {
        return "qcow2_header";
    }
    if (!(ign & OL_ACTIVE_L1) && ol_hit(start, bytes, s->l1_table_offset,
                                        (uint64_t)s->l1_size * 8)) {
        return "active L1 table";
    }
    if (ol_hit(start, bytes, s->refcount_table_offset,
               (uint64_t)s->refcount_table_size * 8)) {
        return "refcount table";
    }
    if (ol_hit(start, bytes, s->snapshots_offset,
               sn ? s->snapshots_size : 0)) {
        return "snapshot table";
    }
    for (uint32_t i = 0; sn && i < s->nb_snapshots; i++) {
        if (ol_hit(start, bytes, sn[i].l1_table_offset,
                   (uint64_t)sn[i].l1_size * 8)) {
            return "inactive L1 table";
        }
    }
    for (uint32_t i = 0; !(ign & OL_ACTIVE_L2) && i < s->l1_size; i++) {
        if (ol_hit(start, bytes, s->l1_table[i] & QCOW2_L1E_OFFSET_MASK,
                   (s->l1_table[i] & QCOW2_L1E_OFFSET_MASK) ?
                   s->cluster_size : 0)) {
            return "active L2 table";
        }
    }
    /* Entries past the last non-zero one are empty: no need to look. */
    for (uint32_t i = 0; !(ign & OL_REFCOUNT_BLOCK) &&
                         i < s->refcount_table_size &&
                         i <= s->max_refcount_table_index; i++) {
        uint64_t block = s->refcount_table[i] & QCOW2_REFT_OFFSET_MASK;

        if (ol_hit(start, bytes, block, block ? s->cluster_size : 0)) {
            return "refcount block";
        }
    }
    return NULL;
}

/*
 * 7.2 checks each metadata write against the metadata it knows (whole
 * clusters around the write, except the kinds in @ign).  A hit marks the
 * image corrupt, fails the write with -EIO and, as the node becomes
 * unusable, drops the refcount changes not written yet.
 */
/* The metadata kind a write of whole clusters around [@offset, +@bytes)
 * would overwrite, or NULL. */
static const char *ol_find_write(const BDRVQcow2State *s, int ign,
                                 uint64_t offset, uint64_t bytes)
{
    return ol_find(s, ign, qcow2_start_of_cluster(s, offset),
                   ROUND_UP(qcow2_offset_into_cluster(s, offset) + bytes,
                            s->cluster_size));
}

static int check_overlap(BlockDriverState *bs, Qcow2Imrt *t, int ign,
                         uint64_t offset, uint64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    const char *what = ol_find_write(s, ign, offset, bytes);

    if (!what) {
        return 0;
    }
    if (!t->signaled) {
        check_report("qcow2: Marking image as corrupt: Preventing invalid "
                     "write on metadata (overlaps with %s); further "
                     "corruption events will be suppressed", what);
        t->signaled = true;
    }
    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        qcow2_cache_discard_offset(s->refcount_block_cache,
                                   s->refcount_table[i] &
                                   QCOW2_REFT_OFFSET_MASK);
    }
    return qcow2_signal_corruption(bs, NULL);
}

int qcow2_pre_write_overlap_check(BlockDriverState *bs, int ign,
                                  uint64_t offset, uint64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    const char *what = ol_find_write(s, ign, offset, bytes);

    if (!what) {
        return 0;
    }
    return qcow2_signal_corruption(bs, "Preventing invalid write on "
                                   "metadata (overlaps with %s)", what);
}

int qcow2_write_run_checked(BlockDriverState *bs, Qcow2WriteRun *run,
                            QEMUIOVector *data)
{
    BDRVQcow2State *s = bs->opaque;
    /* Guest data in an external data file cannot hit qcow2 metadata. */
    int ret = qcow2_has_data_file(s)
              ? 0 : qcow2_pre_write_overlap_check(bs, 0, run->host_offset,
                                                  run->bytes);

    if (ret >= 0) {
        ret = qcow2_write_run(bs, run, data);
    }
    if (ret < 0 && run->needs_link && !run->keep_old &&
        !qcow2_has_data_file(s)) {
        /* As 7.2: new clusters no L2 entry points to yet are freed. */
        qcow2_free_clusters(bs, run->alloc_offset,
                            (uint64_t)run->nb_clusters << s->cluster_bits,
                            QCOW2_DISCARD_NEVER);
    }
    return ret;
}

/*
 * Count one reference to every cluster of [@offset, @offset + @size).  A
 * range may end in the partial cluster after the end of the file, as the
 * last cluster of an image may be only partly written, but not later.
 */
static int check_count_range(BlockDriverState *bs, BdrvCheckResult *res,
                             Qcow2Imrt *t, uint64_t offset, uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t file_len = bdrv_getlength(bs->file->bs);
    uint64_t start, last, limit;
    int ret;

    if (0 == size) {
        return 0;
    }
    if (file_len < 0) {
        return file_len;
    }
    /* offset + size >= file_len + cluster_size, without wrapping. */
    limit = (uint64_t)file_len + s->cluster_size;
    if (offset >= limit || size >= limit - offset) {
        check_report("ERROR: counting reference for region exceeding the "
                     "end of the file by one cluster or more: offset 0x%"
                     PRIx64 " size 0x%" PRIx64, offset, size);
        res->corruptions++;
        return 0;
    }
    start = qcow2_start_of_cluster(s, offset);
    last = qcow2_start_of_cluster(s, offset + size - 1);
    for (uint64_t c = start; c <= last; c += s->cluster_size) {
        int64_t k = c >> s->cluster_bits;
        uint64_t refcount;

        if (k >= t->nb_clusters) {
            ret = imrt_resize(s, t, k + 1);
            if (ret < 0) {
                res->check_errors++;
                return ret;
            }
        }
        refcount = imrt_get(s, t, k);
        if (refcount == s->refcount_max) {
            check_report("ERROR: overflow cluster offset=0x%" PRIx64, c);
            check_report("Use qemu-img amend to increase the refcount entry "
                         "width or qemu-img convert to create a clean copy "
                         "if the image cannot be opened for writing");
            res->corruptions++;
            continue;
        }
        imrt_set(s, t, k, refcount + 1);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* L1 and L2 tables                                                    */
/* ------------------------------------------------------------------ */

/* What one L2 walk needs besides the table. */
typedef struct CheckL2 {
    uint64_t l2_offset;
    int flags;                          /* CHECK_FRAG_INFO */
    BdrvCheckMode fix;
    uint64_t next_contiguous;           /* for the fragmentation count */
} CheckL2;

/* Turn a misaligned preallocated zero cluster into a plain zero one. */
static int check_zero_l2_entry(BlockDriverState *bs, BdrvCheckResult *res,
                               uint64_t *l2, int index, const CheckL2 *c,
                               Qcow2Imrt *t)
{
    uint64_t l2_offset = c->l2_offset;
    BDRVQcow2State *s = bs->opaque;
    uint64_t entry_offset = l2_offset + (uint64_t)index * s->l2_entry_size;
    int ret;

    if (qcow2_has_subclusters(s)) {
        qcow2_l2_set_entry(s, l2, index, 0);
        qcow2_l2_set_bitmap(s, l2, index, QCOW2_L2_BITMAP_ALL_ZEROES);
    } else {
        qcow2_l2_set_entry(s, l2, index, QCOW2_OFLAG_ZERO);
    }
    ret = check_overlap(bs, t, (c->flags & CHECK_FRAG_INFO) ? OL_ACTIVE_L2
                                                           : 0,
                        entry_offset, s->l2_entry_size);
    if (ret < 0) {
        check_report("ERROR: Overlap check failed");
        res->check_errors++;
        return ret;
    }
    qcow2_cache_discard_offset(s->l2_table_cache, l2_offset);
    ret = qcow2_pwrite_sync(bs, entry_offset, s->l2_entry_size,
                            (uint8_t *)l2 + (entry_offset - l2_offset));
    if (ret < 0) {
        check_report("ERROR: Failed to overwrite L2 table entry: %s",
                     g_strerror(-ret));
        res->check_errors++;
        return ret;
    }
    res->corruptions--;
    res->corruptions_fixed++;
    return 0;
}

/*
 * A normal or preallocated zero cluster.  Returns: 1 when the entry was
 * repaired into a plain zero cluster (nothing to count), 0, or -errno.
 */
static int check_l2_alloc(BlockDriverState *bs, BdrvCheckResult *res,
                          CheckL2 *c, uint64_t *l2, int i, Qcow2Imrt *t)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t entry = qcow2_l2_get_entry(s, l2, i);
    uint64_t bitmap = qcow2_l2_get_bitmap(s, l2, i);
    uint64_t offset = entry & QCOW2_L2E_OFFSET_MASK;
    bool has_data;

    if ((bitmap >> 32) & bitmap) {
        res->corruptions++;
        check_report("ERROR offset=%" PRIx64 ": Allocated cluster has "
                     "corrupted subcluster allocation bitmap", offset);
    }
    if (qcow2_offset_into_cluster(s, offset)) {
        res->corruptions++;
        has_data = qcow2_has_subclusters(s)
                   ? (bitmap & QCOW2_L2_BITMAP_ALL_ALLOC)
                   : !(entry & QCOW2_OFLAG_ZERO);
        if (has_data) {
            check_report("ERROR offset=%" PRIx64 ": Data cluster is not "
                         "properly aligned; L2 entry corrupted.", offset);
        } else {
            check_report("%s offset=%" PRIx64 ": Preallocated cluster is "
                         "not properly aligned; L2 entry corrupted.",
                         fix_word(c->fix, "ERROR"), offset);
            if (c->fix & BDRV_FIX_ERRORS) {
                int ret = check_zero_l2_entry(bs, res, l2, i, c, t);

                /* An overlap stops the check; other failures go on. */
                if (-EIO == ret && t->signaled) {
                    return ret;
                }
                if (ret >= 0) {
                    return 1;
                }
            }
        }
    }
    if (c->flags & CHECK_FRAG_INFO) {
        res->allocated_clusters++;
        if (c->next_contiguous && offset != c->next_contiguous) {
            res->fragmented_clusters++;
        }
        c->next_contiguous = offset + s->cluster_size;
    }
    /* Clusters of an external data file have no refcounts. */
    if (qcow2_has_data_file(s)) {
        return 0;
    }
    return check_count_range(bs, res, t, offset, s->cluster_size);
}

static int check_l2_compressed(BlockDriverState *bs, BdrvCheckResult *res,
                               const CheckL2 *c, uint64_t entry,
                               uint64_t bitmap, int i, Qcow2Imrt *t)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t coffset, csize;
    int ret;

    qcow2_parse_compressed_entry(s, entry & ~QCOW2_OFLAG_COPIED, &coffset,
                                 &csize);
    if (entry & QCOW2_OFLAG_COPIED) {
        check_report("ERROR: coffset=0x%" PRIx64 ": copied flag must never "
                     "be set for compressed clusters", coffset);
        res->corruptions++;
    }
    if (bitmap) {
        check_report("ERROR compressed cluster %d with non-zero subcluster "
                     "allocation bitmap, entry=0x%" PRIx64, i,
                     (uint64_t)(entry & ~QCOW2_OFLAG_COPIED));
        res->corruptions++;
        return 0;
    }
    ret = check_count_range(bs, res, t, coffset, csize);
    if (ret >= 0 && (c->flags & CHECK_FRAG_INFO)) {
        res->allocated_clusters++;
        res->compressed_clusters++;
        /* 7.2 counts every compressed cluster as fragmented. */
        res->fragmented_clusters++;
    }
    return ret;
}

static int check_l2_entry(BlockDriverState *bs, BdrvCheckResult *res,
                          CheckL2 *c, uint64_t *l2, int i, Qcow2Imrt *t)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t entry = qcow2_l2_get_entry(s, l2, i);
    uint64_t bitmap = qcow2_l2_get_bitmap(s, l2, i);
    Qcow2ClusterType type = qcow2_get_cluster_type(s, entry);

    if (QCOW2_CLUSTER_COMPRESSED != type &&
        (entry & QCOW2_L2E_RESERVED_MASK)) {
        check_report("ERROR found l2 entry with reserved bits set: %" PRIx64,
                     entry);
        res->corruptions++;
    }
    switch (type) {
    case QCOW2_CLUSTER_COMPRESSED:
        return check_l2_compressed(bs, res, c, entry, bitmap, i, t);
    case QCOW2_CLUSTER_NORMAL:
    case QCOW2_CLUSTER_ZERO_ALLOC: {
        int ret = check_l2_alloc(bs, res, c, l2, i, t);

        return ret < 0 ? ret : 0;
    }
    case QCOW2_CLUSTER_UNALLOCATED:
        if (bitmap & QCOW2_L2_BITMAP_ALL_ALLOC) {
            res->corruptions++;
            check_report("ERROR: Unallocated cluster has non-zero subcluster "
                         "allocation bitmap");
        }
        return 0;
    default:
        return 0;
    }
}

static int check_l2(BlockDriverState *bs, BdrvCheckResult *res, Qcow2Imrt *t,
                    CheckL2 *c)
{
    BDRVQcow2State *s = bs->opaque;
    size_t bytes = (size_t)s->l2_size * s->l2_entry_size;
    g_autofree uint64_t *l2 = g_malloc(bytes);
    int ret;

    ret = bdrv_pread(bs->file, c->l2_offset, bytes, l2, 0);
    if (ret < 0) {
        check_report("ERROR: I/O error in check_refcounts_l2");
        res->check_errors++;
        return ret;
    }
    for (uint32_t i = 0; i < s->l2_size; i++) {
        ret = check_l2_entry(bs, res, c, l2, i, t);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

/* Count an L1 table, its L2 tables and their clusters. */
static int check_l1(BlockDriverState *bs, BdrvCheckResult *res, Qcow2Imrt *t,
                    uint64_t l1_offset, uint32_t l1_size, int flags,
                    BdrvCheckMode fix)
{
    BDRVQcow2State *s = bs->opaque;
    size_t bytes = (size_t)l1_size * sizeof(uint64_t);
    g_autofree uint64_t *l1 = NULL;
    CheckL2 c = { .flags = flags, .fix = fix };
    int ret;

    if (0 == l1_size) {
        return 0;
    }
    ret = check_count_range(bs, res, t, l1_offset, bytes);
    if (ret < 0) {
        return ret;
    }
    l1 = g_try_malloc(bytes);
    if (!l1) {
        res->check_errors++;
        return -ENOMEM;
    }
    ret = bdrv_pread(bs->file, l1_offset, bytes, l1, 0);
    if (ret < 0) {
        check_report("ERROR: I/O error in check_refcounts_l1");
        res->check_errors++;
        return ret;
    }
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t entry = be64_to_cpu(l1[i]);

        if (!entry) {
            continue;
        }
        if (entry & QCOW2_L1E_RESERVED_MASK) {
            check_report("ERROR found L1 entry with reserved bits set: %"
                         PRIx64, entry);
            res->corruptions++;
        }
        c.l2_offset = entry & QCOW2_L1E_OFFSET_MASK;
        ret = check_count_range(bs, res, t, c.l2_offset, s->cluster_size);
        if (ret < 0) {
            return ret;
        }
        if (qcow2_offset_into_cluster(s, c.l2_offset)) {
            check_report("ERROR l2_offset=%" PRIx64 ": Table is not cluster "
                         "aligned; L1 entry corrupted", c.l2_offset);
            res->corruptions++;
        }
        /* 7.2 looks for fragmentation within each L2 table only. */
        c.next_contiguous = 0;
        ret = check_l2(bs, res, t, &c);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Snapshots, encryption header, bitmaps                               */
/* ------------------------------------------------------------------ */

static int check_snapshots(BlockDriverState *bs, BdrvCheckResult *res,
                           Qcow2Imrt *t, BdrvCheckMode fix)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (qcow2_has_data_file(s) && s->nb_snapshots) {
        check_report("ERROR %" PRIu32 " snapshots in image with data file",
                     s->nb_snapshots);
        res->corruptions++;
    }
    for (uint32_t i = 0; s->snapshots && i < s->nb_snapshots; i++) {
        const Qcow2Snapshot *sn = &s->snapshots[i];

        if (qcow2_offset_into_cluster(s, sn->l1_table_offset)) {
            check_report("ERROR snapshot %s (%s) l1_offset=%#" PRIx64 ": L1 "
                         "table is not cluster aligned; snapshot table entry "
                         "corrupted", sn->id_str, sn->name,
                         sn->l1_table_offset);
            res->corruptions++;
            continue;
        }
        if (sn->l1_size > QCOW2_MAX_L1_SIZE / sizeof(uint64_t)) {
            check_report("ERROR snapshot %s (%s) l1_size=%#" PRIx32 ": L1 "
                         "table is too large; snapshot table entry "
                         "corrupted", sn->id_str, sn->name, sn->l1_size);
            res->corruptions++;
            continue;
        }
        ret = check_l1(bs, res, t, sn->l1_table_offset, sn->l1_size, 0, fix);
        if (ret < 0) {
            return ret;
        }
    }
    return check_count_range(bs, res, t, s->snapshots_offset,
                             s->snapshots ? s->snapshots_size : 0);
}

/* Count the bitmap tables and the clusters they point to. */
static int check_bitmap_table(BlockDriverState *bs, BdrvCheckResult *res,
                              Qcow2Imrt *t, uint64_t offset, uint32_t size)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *table = NULL;
    int64_t file_len;
    int ret;

    ret = check_count_range(bs, res, t, offset, (uint64_t)size * 8);
    if (ret < 0 || 0 == size || qcow2_offset_into_cluster(s, offset)) {
        return ret;
    }
    /*
     * The size comes from the image: a table that runs past the end of
     * the file was reported above and cannot be read, so never size an
     * allocation by it.
     */
    file_len = bdrv_getlength(bs->file->bs);
    if (file_len < 0 || offset > (uint64_t)file_len ||
        (uint64_t)size * 8 > (uint64_t)file_len - offset) {
        return 0;
    }
    table = g_try_new(uint64_t, size);
    if (!table) {
        res->check_errors++;
        return -ENOMEM;
    }
    ret = bdrv_pread(bs->file, offset, (uint64_t)size * 8, table, 0);
    if (ret < 0) {
        res->check_errors++;
        return ret;
    }
    for (uint32_t i = 0; i < size; i++) {
        uint64_t data = be64_to_cpu(table[i]) & BITMAP_TABLE_OFFSET_MASK;

        ret = check_count_range(bs, res, t, data, data ? s->cluster_size
                                                       : 0);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

static int check_bitmaps(BlockDriverState *bs, BdrvCheckResult *res,
                         Qcow2Imrt *t)
{
    BDRVQcow2State *s = bs->opaque;
    const Qcow2BitmapsExt *e = &s->bitmaps_ext;
    g_autofree uint8_t *dir = NULL;
    uint64_t pos = 0;
    int ret;

    /* Without the autoclear bit the bitmaps are stale and not counted. */
    if (!s->has_bitmaps_ext ||
        !(s->autoclear_features & QCOW2_AUTOCLEAR_BITMAPS)) {
        return 0;
    }
    ret = check_count_range(bs, res, t, e->bitmap_directory_offset,
                            e->bitmap_directory_size);
    if (ret < 0) {
        return ret;
    }
    dir = g_try_malloc(MAX(e->bitmap_directory_size, 1));
    if (!dir) {
        res->check_errors++;
        return -ENOMEM;
    }
    ret = bdrv_pread(bs->file, e->bitmap_directory_offset,
                     e->bitmap_directory_size, dir, 0);
    if (ret < 0) {
        res->check_errors++;
        return ret;
    }
    for (uint32_t i = 0; i < e->nb_bitmaps; i++) {
        const uint8_t *d = dir + pos;

        if (pos + BITMAP_DIR_ENTRY_SIZE > e->bitmap_directory_size) {
            res->corruptions++;
            return 0;
        }
        ret = check_bitmap_table(bs, res, t, ldq_be_p(d), ldl_be_p(d + 8));
        if (ret < 0) {
            return ret;
        }
        /* Entry: 24 bytes, extra data, name; padded to 8. */
        pos += ROUND_UP(BITMAP_DIR_ENTRY_SIZE + (uint64_t)ldl_be_p(d + 20) +
                        ldw_be_p(d + 18), 8);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Refcount table and blocks                                           */
/* ------------------------------------------------------------------ */

/* A refcount block beyond the end of the file: grow the file to it. */
static int check_refblock_outside(BlockDriverState *bs, BdrvCheckResult *res,
                                  Qcow2Imrt *t, uint64_t offset,
                                  bool *rebuild)
{
    BDRVQcow2State *s = bs->opaque;
    Error *local_err = NULL;
    int64_t size;
    int ret;

    ret = bdrv_truncate(bs->file, offset + s->cluster_size, false,
                        PREALLOC_MODE_OFF, &local_err);
    if (ret < 0) {
        check_report("qemu-img: %s", error_get_pretty(local_err));
        error_free(local_err);
    } else {
        size = bdrv_getlength(bs->file->bs);
        ret = size < 0 ? (int)size : 0;
    }
    if (ret >= 0) {
        ret = imrt_resize(s, t, MAX(t->nb_clusters,
                                    (int64_t)qcow2_size_to_clusters(s,
                                                                    size)));
        if (ret < 0) {
            res->check_errors++;
            return ret;
        }
        if ((offset >> s->cluster_bits) < (uint64_t)t->nb_clusters) {
            res->corruptions--;
            res->corruptions_fixed++;
            return check_count_range(bs, res, t, offset, s->cluster_size);
        }
        ret = -EINVAL;
    }
    *rebuild = true;
    check_report("ERROR could not resize image: %s", g_strerror(-ret));
    return 0;
}

static int check_refblocks(BlockDriverState *bs, BdrvCheckResult *res,
                           BdrvCheckMode fix, bool *rebuild, Qcow2Imrt *t)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        uint64_t offset = s->refcount_table[i] & QCOW2_REFT_OFFSET_MASK;
        uint64_t cluster = offset >> s->cluster_bits;

        if (s->refcount_table[i] & QCOW2_REFT_RESERVED_MASK) {
            check_report("ERROR refcount table entry %" PRIu32 " has "
                         "reserved bits set", i);
            res->corruptions++;
            *rebuild = true;
            continue;
        }
        if (qcow2_offset_into_cluster(s, offset)) {
            check_report("ERROR refcount block %" PRIu32 " is not cluster "
                         "aligned; refcount table entry corrupted", i);
            res->corruptions++;
            *rebuild = true;
            continue;
        }
        if (cluster >= (uint64_t)t->nb_clusters) {
            res->corruptions++;
            check_report("%s refcount block %" PRIu32 " is outside image",
                         fix_word(fix, "ERROR"), i);
            if (fix & BDRV_FIX_ERRORS) {
                ret = check_refblock_outside(bs, res, t, offset, rebuild);
                if (ret < 0) {
                    return ret;
                }
            }
            continue;
        }
        if (offset) {
            ret = check_count_range(bs, res, t, offset, s->cluster_size);
            if (ret < 0) {
                return ret;
            }
            if (imrt_get(s, t, cluster) != 1) {
                check_report("ERROR refcount block %" PRIu32 " refcount=%"
                             PRIu64, i, imrt_get(s, t, cluster));
                res->corruptions++;
                *rebuild = true;
            }
        }
    }
    return 0;
}

/* Count every reference the image makes (7.2's order of passes). */
static int check_calculate(BlockDriverState *bs, BdrvCheckResult *res,
                           BdrvCheckMode fix, bool *rebuild, Qcow2Imrt *t)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t crypto_offset, crypto_bytes;
    int ret;

    if (!t->array) {
        int64_t nb = t->nb_clusters;

        t->nb_clusters = 0;
        ret = imrt_resize(s, t, nb);
        if (ret < 0) {
            res->check_errors++;
            return ret;
        }
    }
    ret = check_count_range(bs, res, t, 0,
                            s->header_clusters << s->cluster_bits);
    if (ret >= 0) {
        ret = check_l1(bs, res, t, s->l1_table_offset, s->l1_size,
                       CHECK_FRAG_INFO, fix);
    }
    if (ret >= 0) {
        ret = check_snapshots(bs, res, t, fix);
    }
    if (ret >= 0) {
        ret = check_count_range(bs, res, t, s->refcount_table_offset,
                                (uint64_t)s->refcount_table_size * 8);
    }
    if (ret >= 0 &&
        qcow2_crypto_header_area(s, &crypto_offset, &crypto_bytes)) {
        ret = check_count_range(bs, res, t, crypto_offset, crypto_bytes);
    }
    if (ret >= 0) {
        ret = check_bitmaps(bs, res, t);
    }
    if (ret >= 0) {
        ret = check_refblocks(bs, res, fix, rebuild, t);
    }
    return ret;
}

/*
 * The refcount of @cluster as stored.  An unaligned refcount block is
 * reported once per check the way 7.2's corruption event does.
 */
static int check_get_refcount(BlockDriverState *bs, int64_t cluster,
                              uint64_t *refcount, bool *signaled)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t index = (uint64_t)cluster >> s->refcount_block_bits;
    uint64_t block;

    if (index < s->refcount_table_size) {
        block = s->refcount_table[index] & QCOW2_REFT_OFFSET_MASK;
        if (qcow2_offset_into_cluster(s, block) && !*signaled) {
            (void)qcow2_signal_corruption(bs, "Refblock offset %#" PRIx64
                                          " unaligned (reftable index: %#"
                                          PRIx64 ")", block, index);
            *signaled = true;
        }
    }
    return qcow2_get_refcount(bs, cluster, refcount);
}

/* Compare stored refcounts with the counted references. */
static void check_compare(BlockDriverState *bs, BdrvCheckResult *res,
                          BdrvCheckMode fix, bool *rebuild,
                          int64_t *highest, Qcow2Imrt *t)
{
    BDRVQcow2State *s = bs->opaque;

    *highest = 0;
    for (int64_t i = 0; i < t->nb_clusters; i++) {
        uint64_t stored, counted = imrt_get(s, t, i);
        int *fixed = NULL;
        int ret = check_get_refcount(bs, i, &stored, &t->signaled);

        if (ret < 0) {
            check_report("Can't get refcount for cluster %" PRId64 ": %s",
                         i, g_strerror(-ret));
            res->check_errors++;
            continue;
        }
        if (stored || counted) {
            *highest = i;
        }
        if (stored == counted) {
            continue;
        }
        if (0 == stored) {
            *rebuild = true;
        } else if (stored > counted && (fix & BDRV_FIX_LEAKS)) {
            fixed = &res->leaks_fixed;
        } else if (stored < counted && (fix & BDRV_FIX_ERRORS)) {
            fixed = &res->corruptions_fixed;
        }
        check_report("%s cluster %" PRId64 " refcount=%" PRIu64 " reference=%"
                     PRIu64, fixed ? "Repairing"
                             : stored < counted ? "ERROR" : "Leaked",
                     i, stored, counted);
        if (fixed &&
            qcow2_update_refcount(bs, (uint64_t)i << s->cluster_bits, 1,
                                  stored > counted ? stored - counted
                                                   : counted - stored,
                                  stored > counted,
                                  QCOW2_DISCARD_ALWAYS) >= 0) {
            (*fixed)++;
            continue;
        }
        if (stored < counted) {
            res->corruptions++;
        } else {
            res->leaks++;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Rebuilding the refcount structures                                  */
/* ------------------------------------------------------------------ */

/* Take @count free clusters in @t from *@first_free on (growing @t).
 * Returns: the host offset of the first, or -errno. */
static int64_t rebuild_alloc(BDRVQcow2State *s, Qcow2Imrt *t, int count,
                             int64_t *first_free)
{
    int64_t cluster = *first_free;
    int found = 0;
    bool first_gap = true;
    int ret;

    for (; cluster < t->nb_clusters && found < count; cluster++) {
        if (imrt_get(s, t, cluster)) {
            found = 0;
            continue;
        }
        found++;
        if (first_gap) {
            *first_free = cluster;
            first_gap = false;
        }
    }
    if (found < count) {
        ret = imrt_resize(s, t, cluster + count - found);
        if (ret < 0) {
            return ret;
        }
    }
    cluster -= found;
    for (int i = 0; i < count; i++) {
        imrt_set(s, t, cluster + i, 1);
    }
    return cluster << s->cluster_bits;
}

/* The refcount table being built, host order. */
typedef struct RebuildTable {
    uint64_t *entries;
    uint32_t nb_entries;
} RebuildTable;

static int rebuild_table_grow(BDRVQcow2State *s, RebuildTable *rt,
                              int64_t index)
{
    uint64_t bytes = ROUND_UP((uint64_t)(index + 1) * 8, s->cluster_size);
    uint64_t *p;

    if (bytes / 8 > UINT32_MAX) {
        return -EFBIG;
    }
    p = g_try_realloc(rt->entries, bytes);
    if (!p) {
        error_report("ERROR allocating reftable memory");
        return -ENOMEM;
    }
    memset(p + rt->nb_entries, 0, bytes - rt->nb_entries * 8);
    rt->entries = p;
    rt->nb_entries = bytes / 8;
    return 0;
}

/*
 * Allocate refcount block @index in @t and enter it in @rt, extending
 * *@end so that the block counting it is written too.
 * Returns: its offset, plus 1 if @rt had to grow; or -errno.
 */
static int64_t rebuild_new_refblock(BDRVQcow2State *s, Qcow2Imrt *t,
                                    int64_t index, int64_t *first_free,
                                    int64_t *end, RebuildTable *rt)
{
    int64_t block;
    int ret;

    /* Never in the range of a refcount block already written. */
    *first_free = MAX(*first_free, index << s->refcount_block_bits);
    block = rebuild_alloc(s, t, 1, first_free);
    if (block < 0) {
        error_report("ERROR allocating refblock: %s", g_strerror(-block));
        return block;
    }
    *end = MAX(*end, (block >> s->cluster_bits) + 1);
    if (rt->nb_entries > index) {
        rt->entries[index] = block;
        return block;
    }
    ret = rebuild_table_grow(s, rt, index);
    if (ret < 0) {
        return ret;
    }
    rt->entries[index] = block;
    return block + 1;
}

/*
 * Write a refcount block (a slice of @t) for every block-sized range of
 * clusters in [@first, @end) holding a reference, allocating it in @t.
 * Returns: 1 if the table had to grow, 0, or -errno.
 */
static int rebuild_write_refblocks(BlockDriverState *bs, Qcow2Imrt *t,
                                   int64_t first, int64_t end,
                                   RebuildTable *rt)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t first_free = 0;
    int grown = 0;
    int ret;

    for (int64_t cluster = first; cluster < end; cluster++) {
        int64_t index = cluster >> s->refcount_block_bits;
        int64_t block_start = index << s->refcount_block_bits;
        int64_t block;

        if (!imrt_get(s, t, cluster)) {
            continue;
        }
        if (index < rt->nb_entries && rt->entries[index]) {
            /* Allocated by an earlier pass: only its content changed. */
            block = rt->entries[index];
        } else {
            block = rebuild_new_refblock(s, t, index, &first_free, &end, rt);
            if (block < 0) {
                return block;
            }
            grown |= block & 1;
            block &= ~(int64_t)1;
        }
        ret = check_overlap(bs, t, 0, block, s->cluster_size);
        if (ret >= 0) {
            ret = bdrv_pwrite(bs->file, block, s->cluster_size,
                              t->array + index * s->cluster_size, 0);
        }
        if (ret < 0) {
            error_report("ERROR writing refblock: %s", g_strerror(-ret));
            return ret;
        }
        cluster = block_start + s->refcount_block_size - 1;
    }
    return grown;
}

/* Write the new table and point the header and the state at it. */
static int rebuild_switch(BlockDriverState *bs, Qcow2Imrt *t,
                          RebuildTable *rt, int64_t table_offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bytes = (uint64_t)rt->nb_entries * 8;
    g_autofree uint64_t *disk = g_new(uint64_t, rt->nb_entries);
    uint8_t hdr[12];
    int ret;

    for (uint32_t i = 0; i < rt->nb_entries; i++) {
        disk[i] = cpu_to_be64(rt->entries[i]);
    }
    ret = check_overlap(bs, t, 0, table_offset, bytes);
    if (ret >= 0) {
        ret = bdrv_pwrite(bs->file, table_offset, bytes, disk, 0);
    }
    if (ret < 0) {
        error_report("ERROR writing reftable: %s", g_strerror(-ret));
        return ret;
    }
    stq_be_p(hdr, table_offset);
    stl_be_p(hdr + 8, qcow2_size_to_clusters(s, bytes));
    ret = qcow2_pwrite_sync(bs, offsetof(Qcow2HeaderDisk,
                                         refcount_table_offset),
                            sizeof(hdr), hdr);
    if (ret < 0) {
        error_report("ERROR setting reftable: %s", g_strerror(-ret));
        return ret;
    }
    g_free(s->refcount_table);
    s->refcount_table = g_steal_pointer(&rt->entries);
    s->refcount_table_offset = table_offset;
    s->refcount_table_size = rt->nb_entries;
    s->max_refcount_table_index = 0;
    for (uint32_t i = 0; i < rt->nb_entries; i++) {
        if (s->refcount_table[i]) {
            s->max_refcount_table_index = i;
        }
    }
    s->free_cluster_index = 0;
    return 0;
}

/*
 * Replace the refcount table and blocks with new ones made from @t,
 * placed in clusters @t shows free (or after the end).  The old
 * structures are leaked, for the caller to reclaim.
 */
static int rebuild_refcounts(BlockDriverState *bs, BdrvCheckResult *res,
                             Qcow2Imrt *t)
{
    BDRVQcow2State *s = bs->opaque;
    RebuildTable rt = { NULL, 0 };
    int64_t table_offset = -1;
    int grown, ret;

    qcow2_cache_empty(bs, s->refcount_block_cache);
    grown = rebuild_write_refblocks(bs, t, 0, t->nb_clusters, &rt);
    while (grown > 0) {
        int64_t first_free = 0, start, end;
        uint64_t clusters = qcow2_size_to_clusters(s,
                                                   (uint64_t)rt.nb_entries
                                                   * 8);

        table_offset = rebuild_alloc(s, t, clusters, &first_free);
        if (table_offset < 0) {
            error_report("ERROR allocating reftable: %s",
                         g_strerror(-table_offset));
            grown = table_offset;
            break;
        }
        start = table_offset >> s->cluster_bits;
        end = start + clusters;
        grown = rebuild_write_refblocks(bs, t, start, end, &rt);
        for (int64_t c = start; grown > 0 && c < end; c++) {
            imrt_set(s, t, c, 0);
        }
    }
    ret = grown < 0 ? grown : rebuild_switch(bs, t, &rt, table_offset);
    if (ret < 0) {
        res->check_errors++;
    }
    g_free(rt.entries);
    return ret;
}

/* Rebuild, recount and reclaim the old structures (7.2's sequence). */
static int check_rebuild(BlockDriverState *bs, BdrvCheckResult *res,
                         BdrvCheckMode fix, int64_t *highest, Qcow2Imrt *t)
{
    BDRVQcow2State *s = bs->opaque;
    BdrvCheckResult old = *res, saved;
    bool rebuild = false;
    int fresh_leaks = 0;
    int ret;

    check_report("Rebuilding refcount structure");
    ret = rebuild_refcounts(bs, res, t);
    if (ret < 0) {
        return ret;
    }
    res->corruptions = 0;
    res->leaks = 0;
    memset(t->array, 0, imrt_bytes(s, t->nb_clusters));
    ret = check_calculate(bs, res, 0, &rebuild, t);
    if (ret < 0) {
        return ret;
    }
    if (fix & BDRV_FIX_LEAKS) {
        /* The old structures are leaked now; only leaks the rebuild
         * itself made and could not fix count. */
        saved = *res;
        *res = (BdrvCheckResult) { 0 };
        check_compare(bs, res, BDRV_FIX_LEAKS, &rebuild, highest, t);
        if (rebuild) {
            check_report("ERROR rebuilt refcount structure is still broken");
        }
        fresh_leaks = res->leaks;
        *res = saved;
    }
    if (res->corruptions < old.corruptions) {
        res->corruptions_fixed += old.corruptions - res->corruptions;
    }
    if (res->leaks < old.leaks) {
        res->leaks_fixed += old.leaks - res->leaks;
    }
    res->leaks += fresh_leaks;
    return 0;
}

/* ------------------------------------------------------------------ */
/* COPIED flags                                                        */
/* ------------------------------------------------------------------ */

static void check_copied_l2_entries(BlockDriverState *bs,
                                    BdrvCheckResult *res, BdrvCheckMode fix,
                                    uint64_t *l2, int *dirty)
{
    BDRVQcow2State *s = bs->opaque;

    for (uint32_t j = 0; j < s->l2_size; j++) {
        uint64_t entry = qcow2_l2_get_entry(s, l2, j);
        Qcow2ClusterType type = qcow2_get_cluster_type(s, entry);
        uint64_t refcount = 1;

        if (QCOW2_CLUSTER_NORMAL != type && QCOW2_CLUSTER_ZERO_ALLOC != type) {
            continue;
        }
        if (!qcow2_has_data_file(s) &&
            qcow2_get_refcount(bs, (entry & QCOW2_L2E_OFFSET_MASK) >>
                               s->cluster_bits, &refcount) < 0) {
            continue;
        }
        if ((1 == refcount) == !!(entry & QCOW2_OFLAG_COPIED)) {
            continue;
        }
        res->corruptions++;
        check_report("%s OFLAG_COPIED data cluster: l2_entry=%" PRIx64
                     " refcount=%" PRIu64, fix_word(fix, "ERROR"), entry,
                     refcount);
        if (fix & BDRV_FIX_ERRORS) {
            qcow2_l2_set_entry(s, l2, j, 1 == refcount
                                         ? entry | QCOW2_OFLAG_COPIED
                                         : entry & ~QCOW2_OFLAG_COPIED);
            (*dirty)++;
        }
    }
}

/* The COPIED flag of L1 entry @i against its L2 table's refcount. */
static int check_copied_l1_entry(BlockDriverState *bs, BdrvCheckResult *res,
                                 BdrvCheckMode fix, uint32_t i, Qcow2Imrt *t)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t entry = s->l1_table[i];
    uint64_t refcount;
    int ret;

    if (qcow2_get_refcount(bs, (entry & QCOW2_L1E_OFFSET_MASK) >>
                           s->cluster_bits, &refcount) < 0) {
        return 1;
    }
    if ((1 == refcount) != !!(entry & QCOW2_OFLAG_COPIED)) {
        res->corruptions++;
        check_report("%s OFLAG_COPIED L2 cluster: l1_index=%" PRIu32
                     " l1_entry=%" PRIx64 " refcount=%" PRIu64,
                     fix_word(fix, "ERROR"), i, entry, refcount);
        if (fix & BDRV_FIX_ERRORS) {
            s->l1_table[i] = 1 == refcount ? entry | QCOW2_OFLAG_COPIED
                                           : entry & ~QCOW2_OFLAG_COPIED;
            ret = check_overlap(bs, t, OL_ACTIVE_L1, s->l1_table_offset +
                                (uint64_t)i * 8, 8);
            if (ret >= 0) {
                ret = qcow2_write_l1_entry(bs, i);
            }
            if (ret < 0) {
                res->check_errors++;
                return ret;
            }
            res->corruptions--;
            res->corruptions_fixed++;
        }
    }
    return 0;
}

static int check_copied(BlockDriverState *bs, BdrvCheckResult *res,
                        BdrvCheckMode fix, Qcow2Imrt *t)
{
    BDRVQcow2State *s = bs->opaque;
    size_t bytes = (size_t)s->l2_size * s->l2_entry_size;
    g_autofree uint64_t *l2 = g_malloc(bytes);
    int ret;

    /*
     * As 7.2: with -r leaks, flags are repaired only when the refcounts
     * they are compared with are known to be right by now.
     */
    if (!(fix & BDRV_FIX_ERRORS)) {
        fix = (fix & BDRV_FIX_LEAKS) && !res->check_errors &&
              !res->corruptions && !res->leaks ? BDRV_FIX_ERRORS : 0;
    }
    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l2_offset = s->l1_table[i] & QCOW2_L1E_OFFSET_MASK;
        int dirty = 0;

        if (!l2_offset) {
            continue;
        }
        ret = check_copied_l1_entry(bs, res, fix, i, t);
        if (ret) {
            if (ret < 0) {
                return ret;
            }
            continue;
        }
        ret = bdrv_pread(bs->file, l2_offset, bytes, l2, 0);
        if (ret < 0) {
            check_report("ERROR: Could not read L2 table: %s",
                         g_strerror(-ret));
            res->check_errors++;
            return ret;
        }
        check_copied_l2_entries(bs, res, fix, l2, &dirty);
        if (dirty) {
            ret = check_overlap(bs, t, OL_ACTIVE_L2, l2_offset,
                                s->cluster_size);
            if (ret < 0) {
                check_report("ERROR: Could not write L2 table; metadata "
                             "overlap check failed: %s", g_strerror(-ret));
                res->check_errors++;
                return ret;
            }
            qcow2_cache_discard_offset(s->l2_table_cache, l2_offset);
            ret = bdrv_pwrite(bs->file, l2_offset, bytes, l2, 0);
            if (ret < 0) {
                check_report("ERROR: Could not write L2 table: %s",
                             g_strerror(-ret));
                res->check_errors++;
                return ret;
            }
            res->corruptions -= dirty;
            res->corruptions_fixed += dirty;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* The whole check                                                     */
/* ------------------------------------------------------------------ */

/* After counting: repair refcounts as @fix allows. */
static int check_fix_refcounts(BlockDriverState *bs, BdrvCheckResult *res,
                               BdrvCheckMode fix, bool rebuild,
                               const BdrvCheckResult *pre_compare,
                               int64_t *highest, Qcow2Imrt *t)
{
    if (rebuild && (fix & BDRV_FIX_ERRORS)) {
        return check_rebuild(bs, res, fix, highest, t);
    }
    if (!fix) {
        return 0;
    }
    if (rebuild) {
        check_report("ERROR need to rebuild refcount structures");
        res->check_errors++;
        return -EIO;
    }
    if (res->leaks || res->corruptions) {
        *res = *pre_compare;
        check_compare(bs, res, fix, &rebuild, highest, t);
    }
    return 0;
}

static int check_refcounts(BlockDriverState *bs, BdrvCheckResult *res,
                           BdrvCheckMode fix)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t size = bdrv_getlength(bs->file->bs);
    Qcow2Imrt t = { NULL, 0 };
    BdrvCheckResult pre_compare;
    int64_t highest = 0;
    bool rebuild = false;
    int ret;

    if (size < 0) {
        res->check_errors++;
        return size;
    }
    t.nb_clusters = qcow2_size_to_clusters(s, size);
    if (t.nb_clusters > INT_MAX) {
        res->check_errors++;
        return -EFBIG;
    }
    res->total_clusters = qcow2_size_to_clusters(s, s->size);
    ret = check_calculate(bs, res, fix, &rebuild, &t);
    if (ret >= 0) {
        pre_compare = *res;
        check_compare(bs, res, 0, &rebuild, &highest, &t);
        ret = check_fix_refcounts(bs, res, fix, rebuild, &pre_compare,
                                  &highest, &t);
    }
    if (ret >= 0) {
        ret = check_copied(bs, res, fix, &t);
    }
    if (ret >= 0) {
        res->image_end_offset = (highest + 1) * s->cluster_size;
    }
    g_free(t.array);
    return ret;
}

int qcow2_check(BlockDriverState *bs, BdrvCheckResult *res,
                BdrvCheckMode fix)
{
    BDRVQcow2State *s = bs->opaque;
    int ret, ret2;

    ret = qcow2_write_caches(bs);
    if (ret < 0) {
        res->check_errors++;
        return ret;
    }
    ret = check_refcounts(bs, res, fix);
    if (fix) {
        /* Refcount changes live in the cache until here. */
        ret2 = qcow2_write_caches(bs);
        qcow2_process_discards(bs, ret2);
        if (ret2 < 0 && ret >= 0) {
            res->check_errors++;
            ret = ret2;
        }
    }
    if (ret < 0 || !fix || res->check_errors || res->corruptions) {
        return ret;
    }
    ret = qcow2_mark_clean(bs);
    if (ret >= 0 && (s->incompatible_features & QCOW2_INCOMPAT_CORRUPT)) {
        s->incompatible_features &= ~QCOW2_INCOMPAT_CORRUPT;
        ret = qcow2_update_header(bs);
    }
    return ret;
}
