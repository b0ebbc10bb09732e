/*
 * qcow2 persistent dirty bitmaps: bitmap directory, bitmap tables and
 * bitmap data (qcow2.txt "Bitmaps extension" and its subsections).
 *
 * What is checked, when bitmaps are marked in use, and where a rewrite
 * puts tables, data and directory all follow QEMU 7.2, whose images and
 * messages tools compare against.
 */
#include "qemu/osdep.h"

#include <stdio.h>

#include "block/qcow2.h"
#include "qemu/cutils.h"

/* Bitmap directory entry flags */
#define BME_FLAG_IN_USE (1u << 0)
#define BME_FLAG_AUTO (1u << 1)
/* 7.2 knows no other flag (extra_data_compatible included). */
#define BME_RESERVED_FLAGS (~(BME_FLAG_IN_USE | BME_FLAG_AUTO))

/* Bitmap types */
#define BT_DIRTY_TRACKING_BITMAP 1

/* QEMU's limits ("Bitmap directory": "Note: qemu ..."). */
#define BME_MIN_GRANULARITY_BITS 9
#define BME_MAX_GRANULARITY_BITS 31
#define BME_MAX_NAME_SIZE 1023
#define BME_MAX_TABLE_SIZE 0x8000000ULL
#define BME_MAX_PHYS_SIZE 0x20000000ULL

/* Bitmap table entries */
#define BME_TABLE_ENTRY_RESERVED_MASK 0xff000000000001feULL
#define BME_TABLE_ENTRY_OFFSET_MASK 0x00fffffffffffe00ULL
#define BME_TABLE_ENTRY_FLAG_ALL_ONES 1ULL

/*
 * One bitmap: its directory entry in host order and, once loaded, its
 * bits (bit i of byte j covers granule 8j + i, the order of the bitmap
 * data on disk), sized to whole 64-bit words like 7.2's serialization.
 */
typedef struct Qcow2Bitmap {
    char *name;
    uint64_t table_offset;
    uint32_t table_size;
    uint32_t flags;
    uint8_t granularity_bits;
    /* In memory */
    uint8_t *bits;                      /* NULL: inconsistent, not loaded */
    uint64_t nb_bits;
    bool enabled;                       /* writes mark it (AUTO) */
    bool stored;                        /* rewrite it on close */
    bool on_disk;                       /* in the directory on disk */
} Qcow2Bitmap;

static void bitmap_free(gpointer p)
{
    Qcow2Bitmap *bm = p;

    g_free(bm->name);
    g_free(bm->bits);
    g_free(bm);
}

static uint64_t bitmap_nb_bits(uint64_t disk_size, int granularity_bits)
{
    return DIV_ROUND_UP(disk_size, 1ULL << granularity_bits);
}

/* Bytes of the bitmap data: whole 64-bit words, as 7.2 serializes. */
static uint64_t bitmap_data_bytes(uint64_t nb_bits)
{
    return ROUND_UP(nb_bits, 64) / 8;
}

/* ------------------------------------------------------------------ */
/* Bitmap directory                                                    */
/* ------------------------------------------------------------------ */

static uint64_t dir_entry_size(uint32_t extra, uint32_t name_size)
{
    return ROUND_UP(sizeof(Qcow2BitmapDirEntryDisk) + (uint64_t)extra +
                    name_size, 8);
}

/* The constraints 7.2 puts on a directory entry (check_dir_entry). */
static bool dir_entry_is_valid(const BDRVQcow2State *s, uint64_t table_offset,
                               uint32_t table_size, uint32_t flags,
                               uint8_t type, uint8_t gbits,
                               uint32_t name_size)
{
    uint64_t phys;

    if (0 == table_size || 0 == table_offset ||
        qcow2_offset_into_cluster(s, table_offset) ||
        table_size > BME_MAX_TABLE_SIZE ||
        gbits > BME_MAX_GRANULARITY_BITS ||
        gbits < BME_MIN_GRANULARITY_BITS ||
        (flags & BME_RESERVED_FLAGS) || name_size > BME_MAX_NAME_SIZE ||
        BT_DIRTY_TRACKING_BITMAP != type) {
        return false;
    }
    phys = (uint64_t)table_size * s->cluster_size;
    if (phys > BME_MAX_PHYS_SIZE) {
        return false;
    }
    /* A bitmap in use may be stale from before a resize: no size rule. */
    return (flags & BME_FLAG_IN_USE) || s->size <= (phys * 8) << gbits;
}

/* Decode and check one entry at @e (@avail bytes left in the directory).
 * Returns: the entry's size, 0 for a broken directory, or -EINVAL. */
static int64_t dir_entry_parse(const BDRVQcow2State *s, const uint8_t *e,
                               uint64_t avail, Qcow2Bitmap **out,
                               Error **errp)
{
    const Qcow2BitmapDirEntryDisk *d = (const void *)e;
    uint32_t extra = be32_to_cpu(d->extra_data_size);
    uint16_t name_size = be16_to_cpu(d->name_size);
    uint64_t size = dir_entry_size(extra, name_size);
    const char *name = (const char *)e + sizeof(*d) + extra;
    Qcow2Bitmap *bm;

    /*
     * 7.2 computes the entry size as an int: a huge extra_data_size wraps
     * to a negative size, which passes this test and is refused below as
     * extra data rather than as a broken directory.
     */
    if ((int64_t)(int32_t)(uint32_t)size > (int64_t)avail) {
        return 0;
    }
    if (extra) {
        error_setg(errp, "Bitmap extra data is not supported");
        return -EINVAL;
    }
    if (!dir_entry_is_valid(s, be64_to_cpu(d->bitmap_table_offset),
                            be32_to_cpu(d->bitmap_table_size),
                            be32_to_cpu(d->flags), d->type,
                            d->granularity_bits, name_size)) {
        error_setg(errp, "Bitmap '%.*s' doesn't satisfy the constraints",
                   name_size, name);
        return -EINVAL;
    }
    bm = g_new0(Qcow2Bitmap, 1);
    bm->table_offset = be64_to_cpu(d->bitmap_table_offset);
    bm->table_size = be32_to_cpu(d->bitmap_table_size);
    bm->flags = be32_to_cpu(d->flags);
    bm->granularity_bits = d->granularity_bits;
    bm->name = g_strndup(name, name_size);
    *out = bm;
    return size;
}

/*
 * Read the directory the extension describes and check it entry by
 * entry in 7.2's order and words.
 * Returns: a new array of Qcow2Bitmap, or NULL with @errp set.
 */
static GPtrArray *dir_load(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    const Qcow2BitmapsExt *ext = &s->bitmaps_ext;
    g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(bitmap_free);
    g_autofree uint8_t *dir = NULL;
    uint64_t pos = 0, size = ext->bitmap_directory_size;
    uint32_t nb = 0;
    int ret;

    if (0 == size) {
        error_setg(errp, "Requested bitmap directory size is zero");
        return NULL;
    }
    dir = g_try_malloc(size);
    if (!dir) {
        error_setg(errp, "Failed to allocate space for bitmap directory");
        return NULL;
    }
    ret = bdrv_pread(bs->file, ext->bitmap_directory_offset, size, dir, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to read bitmap directory");
        return NULL;
    }
    while (pos < size) {
        Qcow2Bitmap *bm = NULL;
        int64_t len;

        if (size - pos < sizeof(Qcow2BitmapDirEntryDisk)) {
            break;
        }
        if (++nb > ext->nb_bitmaps) {
            error_setg(errp, "More bitmaps found than specified in header "
                       "extension");
            return NULL;
        }
        len = dir_entry_parse(s, dir + pos, size - pos, &bm, errp);
        if (len <= 0) {
            if (0 == len) {
                break;
            }
            return NULL;
        }
        g_ptr_array_add(list, bm);
        pos += len;
    }
    if (pos == size && nb != ext->nb_bitmaps) {
        error_setg(errp, "Less bitmaps found than specified in header "
                   "extension");
        return NULL;
    }
    if (pos != size) {
        error_setg(errp, "Broken bitmap directory");
        return NULL;
    }
    return g_steal_pointer(&list);
}

/* Encode @list as a directory (entries without extra data). */
static uint8_t *dir_encode(const GPtrArray *list, uint64_t *size)
{
    uint64_t total = 0, pos = 0;
    uint8_t *dir;

    for (guint i = 0; i < list->len; i++) {
        const Qcow2Bitmap *bm = g_ptr_array_index(list, i);

        total += dir_entry_size(0, strlen(bm->name));
    }
    dir = g_malloc0(total);
    for (guint i = 0; i < list->len; i++) {
        const Qcow2Bitmap *bm = g_ptr_array_index(list, i);
        Qcow2BitmapDirEntryDisk *d = (void *)(dir + pos);
        size_t name_size = strlen(bm->name);

        d->bitmap_table_offset = cpu_to_be64(bm->table_offset);
        d->bitmap_table_size = cpu_to_be32(bm->table_size);
        d->flags = cpu_to_be32(bm->flags);
        d->type = BT_DIRTY_TRACKING_BITMAP;
        d->granularity_bits = bm->granularity_bits;
        d->name_size = cpu_to_be16(name_size);
        memcpy(dir + pos + sizeof(*d), bm->name, name_size);
        pos += dir_entry_size(0, name_size);
    }
    *size = total;
    return dir;
}

/* Rewrite the header and flush, as 7.2's update_header_sync(). */
static int header_sync(BlockDriverState *bs)
{
    int ret = qcow2_update_header(bs);

    return ret < 0 ? ret : qcow2_file_flush(bs);
}

/*
 * Rewrite the directory where it is (the in use flags changed): with the
 * autoclear bit off while the directory is being written, as 7.2 does,
 * so that a crash leaves bitmaps that are merely dropped.
 */
static int dir_update_in_place(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *dir = NULL;
    uint64_t size;
    int ret;

    dir = dir_encode(s->bitmaps, &size);
    if (size != s->bitmaps_ext.bitmap_directory_size ||
        s->bitmaps->len != s->bitmaps_ext.nb_bitmaps) {
        return -EINVAL;
    }
    s->autoclear_features &= ~QCOW2_AUTOCLEAR_BITMAPS;
    ret = header_sync(bs);
    if (ret >= 0) {
        ret = bdrv_pwrite(bs->file, s->bitmaps_ext.bitmap_directory_offset,
                          size, dir, 0);
    }
    if (ret >= 0) {
        ret = header_sync(bs);
    }
    if (ret < 0) {
        return ret;
    }
    s->autoclear_features |= QCOW2_AUTOCLEAR_BITMAPS;
    return header_sync(bs);
}

/*
 * Write @list as a new directory, point the header at it and free the
 * old one (7.2's update_ext_header_and_dir()).  An empty list drops the
 * extension and the autoclear bit.
 */
static int dir_replace(BlockDriverState *bs, const GPtrArray *list)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2BitmapsExt old = s->bitmaps_ext;
    bool had_ext = s->has_bitmaps_ext;
    g_autofree uint8_t *dir = NULL;
    int64_t offset = 0;
    uint64_t size = 0;
    int ret;

    if (list->len) {
        if (list->len > QCOW2_MAX_BITMAPS) {
            return -EINVAL;
        }
        dir = dir_encode(list, &size);
        offset = qcow2_alloc_clusters(bs, size);
        if (offset < 0) {
            return offset;
        }
        ret = bdrv_pwrite(bs->file, offset, size, dir, 0);
        if (ret >= 0) {
            ret = qcow2_write_caches(bs);
        }
        if (ret >= 0) {
            ret = qcow2_file_flush(bs);
        }
        if (ret < 0) {
            qcow2_free_clusters(bs, offset, size, QCOW2_DISCARD_OTHER);
            return ret;
        }
        s->autoclear_features |= QCOW2_AUTOCLEAR_BITMAPS;
    } else {
        s->autoclear_features &= ~QCOW2_AUTOCLEAR_BITMAPS;
    }
    s->has_bitmaps_ext = list->len > 0;
    s->bitmaps_ext = (Qcow2BitmapsExt) {
        .nb_bitmaps = list->len,
        .bitmap_directory_size = size,
        .bitmap_directory_offset = offset,
    };
    ret = header_sync(bs);
    if (ret < 0) {
        return ret;
    }
    if (had_ext && old.bitmap_directory_size) {
        qcow2_free_clusters(bs, old.bitmap_directory_offset,
                            old.bitmap_directory_size, QCOW2_DISCARD_OTHER);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Bitmap tables and data                                              */
/* ------------------------------------------------------------------ */

/* Bytes of bitmap data one table entry (one cluster of data) covers. */
static uint64_t bytes_per_entry(const BDRVQcow2State *s)
{
    return s->cluster_size;
}

/* Read a bitmap table, checking each entry as 7.2 does.  Returns: the
 * table in host order, or NULL with -errno in @ret. */
static uint64_t *table_load(BlockDriverState *bs, uint64_t offset,
                            uint32_t size, int *ret)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *table = g_try_new(uint64_t, size);

    if (!table) {
        *ret = -ENOMEM;
        return NULL;
    }
    *ret = bdrv_pread(bs->file, offset, (uint64_t)size * 8, table, 0);
    if (*ret < 0) {
        return NULL;
    }
    for (uint32_t i = 0; i < size; i++) {
        uint64_t e = be64_to_cpu(table[i]);
        uint64_t data = e & BME_TABLE_ENTRY_OFFSET_MASK;

        table[i] = e;
        if ((e & BME_TABLE_ENTRY_RESERVED_MASK) ||
            (data && ((e & BME_TABLE_ENTRY_FLAG_ALL_ONES) ||
                      qcow2_offset_into_cluster(s, data)))) {
            *ret = -EINVAL;
            return NULL;
        }
    }
    return g_steal_pointer(&table);
}

/* Fill @bm->bits from the clusters @table points to. */
static int data_load(BlockDriverState *bs, Qcow2Bitmap *bm,
                     const uint64_t *table)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t total = bitmap_data_bytes(bm->nb_bits);
    uint64_t step = bytes_per_entry(s);

    if (DIV_ROUND_UP(total, step) != bm->table_size) {
        return -EINVAL;
    }
    for (uint32_t i = 0; i < bm->table_size; i++) {
        uint64_t pos = i * step, len = MIN(step, total - pos);
        uint64_t data = table[i] & BME_TABLE_ENTRY_OFFSET_MASK;
        int ret;

        if (data) {
            ret = bdrv_pread(bs->file, data, len, bm->bits + pos, 0);
            if (ret < 0) {
                return ret;
            }
        } else if (table[i] & BME_TABLE_ENTRY_FLAG_ALL_ONES) {
            memset(bm->bits + pos, 0xff, len);
        }
    }
    /* Bits past the disk's end are never set in memory. */
    if (bm->nb_bits % 8) {
        bm->bits[bm->nb_bits / 8] &= (1u << (bm->nb_bits % 8)) - 1;
    }
    memset(bm->bits + DIV_ROUND_UP(bm->nb_bits, 8), 0,
           total - DIV_ROUND_UP(bm->nb_bits, 8));
    return 0;
}

/* Give a consistent bitmap its bits, from disk (7.2's load_bitmap()). */
static int bitmap_load_data(BlockDriverState *bs, Qcow2Bitmap *bm,
                            Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *table = NULL;
    int ret;

    bm->nb_bits = bitmap_nb_bits(s->size, bm->granularity_bits);
    if (bm->flags & BME_FLAG_IN_USE) {
        return 0;
    }
    table = table_load(bs, bm->table_offset, bm->table_size, &ret);
    if (!table) {
        error_setg_errno(errp, -ret, "Could not read bitmap_table table "
                         "from image for bitmap '%s'", bm->name);
        return ret;
    }
    bm->bits = g_try_malloc0(bitmap_data_bytes(bm->nb_bits));
    ret = bm->bits ? data_load(bs, bm, table) : -ENOMEM;
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read bitmap '%s' from "
                         "image", bm->name);
        return ret;
    }
    bm->enabled = bm->flags & BME_FLAG_AUTO;
    return 0;
}

/*
 * Drop a reference to clusters of a bitmap.  7.2 reports a failure (a
 * table whose clusters have no refcount, say) on stderr and goes on,
 * leaking the clusters; tools compare that line.
 */
static void bitmap_free_clusters(BlockDriverState *bs, uint64_t offset,
                                 uint64_t bytes, Qcow2DiscardType type)
{
    int ret = qcow2_update_refcount(bs, offset, bytes, 1, true, type);

    if (ret < 0) {
        fprintf(stderr, "qcow2_free_clusters failed: %s\n", strerror(-ret));
    }
}

/* Free the data clusters and the table of a bitmap no longer used. */
static void table_free(BlockDriverState *bs, uint64_t offset, uint32_t size)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *table = NULL;
    int ret;

    if (!offset) {
        return;
    }
    table = table_load(bs, offset, size, &ret);
    if (!table) {
        return;
    }
    for (uint32_t i = 0; i < size; i++) {
        uint64_t data = table[i] & BME_TABLE_ENTRY_OFFSET_MASK;

        if (data) {
            bitmap_free_clusters(bs, data, s->cluster_size,
                                 QCOW2_DISCARD_ALWAYS);
        }
    }
    bitmap_free_clusters(bs, offset, (uint64_t)size * 8,
                         QCOW2_DISCARD_OTHER);
}

static bool range_is_zero(const uint8_t *p, uint64_t len)
{
    for (uint64_t i = 0; i < len; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

/*
 * Write the bits of @bm to new clusters: one for each table entry that
 * covers a set bit (in order), then the table (7.2's store_bitmap()).
 */
static int bitmap_write(BlockDriverState *bs, Qcow2Bitmap *bm, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t total = bitmap_data_bytes(bm->nb_bits);
    uint64_t step = bytes_per_entry(s);
    uint64_t tb_size = DIV_ROUND_UP(total, step);
    g_autofree uint64_t *table = NULL;
    g_autofree uint8_t *buf = NULL;
    int64_t offset;
    int ret;

    if (tb_size > BME_MAX_TABLE_SIZE ||
        tb_size * s->cluster_size > BME_MAX_PHYS_SIZE) {
        error_setg(errp, "Bitmap '%s' is too big", bm->name);
        return -EINVAL;
    }
    table = g_new0(uint64_t, MAX(tb_size, 1));
    buf = g_malloc(s->cluster_size);
    for (uint64_t i = 0; i < tb_size; i++) {
        uint64_t pos = i * step, len = MIN(step, total - pos);

        if (range_is_zero(bm->bits + pos, len)) {
            continue;
        }
        offset = qcow2_alloc_clusters(bs, s->cluster_size);
        if (offset < 0) {
            error_setg_errno(errp, -offset, "Failed to allocate clusters "
                             "for bitmap '%s'", bm->name);
            return offset;
        }
        table[i] = offset;
        memset(buf, 0, s->cluster_size);
        memcpy(buf, bm->bits + pos, len);
        ret = bdrv_pwrite(bs->file, offset, s->cluster_size, buf, 0);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to write bitmap '%s' to "
                             "file", bm->name);
            return ret;
        }
    }
    offset = qcow2_alloc_clusters(bs, tb_size * 8);
    if (offset < 0) {
        error_setg_errno(errp, -offset, "Failed to store bitmap '%s'",
                         bm->name);
        return offset;
    }
    for (uint64_t i = 0; i < tb_size; i++) {
        table[i] = cpu_to_be64(table[i]);
    }
    ret = bdrv_pwrite(bs->file, offset, tb_size * 8, table, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to store bitmap '%s'",
                         bm->name);
        return ret;
    }
    bm->table_offset = offset;
    bm->table_size = tb_size;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Open and close                                                      */
/* ------------------------------------------------------------------ */

void qcow2_bitmaps_warn_stale(const BDRVQcow2State *s)
{
    /* 7.2 prints this from the driver while reading the extensions, and
     * the second line without a newline. */
    if (s->qcow_version < 3) {
        warn_report("This qcow2 v2 image contains bitmaps, but they may "
                    "have been modified by a program without persistent "
                    "bitmap support; so now they must all be considered "
                    "inconsistent");
    } else {
        warn_report("a program lacking bitmap support modified this file, "
                    "so all bitmaps are now considered inconsistent");
    }
    fprintf(stderr, "Some clusters may be leaked, run 'qemu-img check -r' "
            "on the image file to fix.");
}

int qcow2_bitmaps_load(BlockDriverState *bs, bool *header_updated,
                       Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    bool writable = (s->flags & BDRV_O_RDWR) && !(s->flags & BDRV_O_NO_IO);
    bool mark = false;
    int ret;

    *header_updated = false;
    s->bitmaps = g_ptr_array_new_with_free_func(bitmap_free);
    /* 7.2 loads no bitmaps into inactive nodes. */
    if (!s->has_bitmaps_ext || (s->flags & BDRV_O_INACTIVE)) {
        return 0;
    }
    g_ptr_array_unref(s->bitmaps);
    s->bitmaps = dir_load(bs, errp);
    if (!s->bitmaps) {
        return -EINVAL;
    }
    for (guint i = 0; i < s->bitmaps->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(s->bitmaps, i);

        bm->on_disk = true;
        ret = bitmap_load_data(bs, bm, errp);
        if (ret < 0) {
            return -EINVAL;
        }
        if (bm->bits && writable) {
            /* Consistent bitmaps are in use until stored on close. */
            bm->flags |= BME_FLAG_IN_USE;
            bm->stored = true;
            mark = true;
        }
    }
    if (mark) {
        ret = dir_update_in_place(bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Can't update bitmap directory");
            return ret;
        }
        *header_updated = true;
    }
    return 0;
}

int qcow2_bitmaps_store(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autoptr(GArray) drop = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    bool need_write = false;
    int ret;

    for (guint i = 0; s->bitmaps && i < s->bitmaps->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(s->bitmaps, i);

        need_write |= bm->stored;
    }
    if (!need_write) {
        return 0;
    }
    /* Discards still queued belong to clusters about to be reused. */
    qcow2_process_discards(bs, 0);
    for (guint i = 0; i < s->bitmaps->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(s->bitmaps, i);
        uint64_t old[2] = { bm->table_offset, bm->table_size };

        if (!bm->stored) {
            continue;
        }
        if (old[0]) {
            g_array_append_vals(drop, old, 2);
        }
        bm->flags = bm->enabled ? BME_FLAG_AUTO : 0;
        ret = bitmap_write(bs, bm, errp);
        if (ret < 0) {
            return ret;
        }
        bm->stored = false;
    }
    ret = dir_replace(bs, s->bitmaps);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to update bitmap extension");
        return ret;
    }
    for (guint i = 0; i < s->bitmaps->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(s->bitmaps, i);

        bm->on_disk = true;
    }
    for (guint i = 0; i < drop->len; i += 2) {
        table_free(bs, g_array_index(drop, uint64_t, i),
                   g_array_index(drop, uint64_t, i + 1));
    }
    /* 7.2 passes the discards of freed bitmap data down at once. */
    qcow2_process_discards(bs, 0);
    return 0;
}

void qcow2_bitmaps_free(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    g_clear_pointer(&s->bitmaps, g_ptr_array_unref);
}

void qcow2_bitmaps_set_dirty(BlockDriverState *bs, int64_t offset,
                             int64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;

    if (bytes <= 0 || !s->bitmaps) {
        return;
    }
    for (guint i = 0; i < s->bitmaps->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(s->bitmaps, i);
        uint64_t first, last;

        if (!bm->bits || !bm->enabled || !bm->nb_bits) {
            continue;
        }
        first = (uint64_t)offset >> bm->granularity_bits;
        last = MIN((uint64_t)(offset + bytes - 1) >> bm->granularity_bits,
                   bm->nb_bits - 1);
        for (uint64_t b = first; b <= last; b++) {
            bm->bits[b / 8] |= 1u << (b % 8);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Resizing and image information                                      */
/* ------------------------------------------------------------------ */

int qcow2_bitmaps_truncate_check(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    for (guint i = 0; s->bitmaps && i < s->bitmaps->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(s->bitmaps, i);

        if (!bm->bits) {
            error_setg(errp, "Bitmap '%s' is inconsistent and cannot be "
                       "used", bm->name);
            error_append_hint(errp, "Try block-dirty-bitmap-remove to "
                              "delete this bitmap from disk\n");
            return -ENOTSUP;
        }
    }
    return 0;
}

void qcow2_bitmaps_resize(BlockDriverState *bs, uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;

    for (guint i = 0; s->bitmaps && i < s->bitmaps->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(s->bitmaps, i);
        uint64_t nb = bitmap_nb_bits(size, bm->granularity_bits);
        uint64_t old_bytes = bitmap_data_bytes(bm->nb_bits);
        uint64_t new_bytes = bitmap_data_bytes(nb);

        if (!bm->bits) {
            continue;
        }
        bm->bits = g_realloc(bm->bits, new_bytes);
        if (new_bytes > old_bytes) {
            memset(bm->bits + old_bytes, 0, new_bytes - old_bytes);
        }
        /* Bits of granules beyond the new end go. */
        for (uint64_t b = nb; b < MIN(bm->nb_bits, new_bytes * 8); b++) {
            bm->bits[b / 8] &= ~(1u << (b % 8));
        }
        bm->nb_bits = nb;
    }
}

QObject *qcow2_bitmaps_get_info(BlockDriverState *bs, bool *ok, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autoptr(GPtrArray) list = NULL;
    QObject *info;

    *ok = true;
    if (!s->has_bitmaps_ext) {
        return NULL;
    }
    /* Like 7.2, describe the directory on disk. */
    list = dir_load(bs, errp);
    if (!list) {
        *ok = false;
        return NULL;
    }
    info = qobject_new_list();
    for (guint i = 0; i < list->len; i++) {
        const Qcow2Bitmap *bm = g_ptr_array_index(list, i);
        QObject *flags = qobject_new_list();
        QObject *one = qobject_new_dict();

        if (bm->flags & BME_FLAG_IN_USE) {
            qlist_append(flags, qobject_new_str("in-use"));
        }
        if (bm->flags & BME_FLAG_AUTO) {
            qlist_append(flags, qobject_new_str("auto"));
        }
        qdict_put(one, "flags", flags);
        qdict_put_str(one, "name", bm->name);
        qdict_put_int(one, "granularity", 1LL << bm->granularity_bits);
        qlist_append(info, one);
    }
    return info;
}

uint64_t qcow2_bitmaps_measure(BlockDriverState *in_bs,
                               uint32_t cluster_size)
{
    const BDRVQcow2State *s = in_bs->opaque;
    uint64_t total = 0, dir_size = 0;

    for (guint i = 0; s->bitmaps && i < s->bitmaps->len; i++) {
        const Qcow2Bitmap *bm = g_ptr_array_index(s->bitmaps, i);
        uint64_t bytes = DIV_ROUND_UP(bitmap_nb_bits(s->size,
                                                     bm->granularity_bits),
                                      8);
        uint64_t clusters = DIV_ROUND_UP(bytes, cluster_size);

        total += clusters * cluster_size;
        total += ROUND_UP(clusters * 8, cluster_size);
        dir_size += dir_entry_size(0, strlen(bm->name));
    }
    return total + ROUND_UP(dir_size, cluster_size);
}

static void list_add(GArray *list, const Qcow2Bitmap *bm)
{
    BdrvBitmapInfo info = {
        .name = g_strdup(bm->name),
        .granularity = 1u << bm->granularity_bits,
        .enabled = bm->bits ? bm->enabled : !!(bm->flags & BME_FLAG_AUTO),
        .inconsistent = !bm->bits,
    };

    g_array_append_val(list, info);
}

GArray *qcow2_bitmap_list(BlockDriverState *bs)
{
    const BDRVQcow2State *s = bs->opaque;
    GArray *list;

    /* 7.2: only v3 images support persistent bitmaps. */
    if (s->qcow_version < 3) {
        return NULL;
    }
    list = g_array_new(FALSE, FALSE, sizeof(BdrvBitmapInfo));
    /* 7.2 lists bitmaps newest first: new ones, then the loaded ones. */
    for (guint i = 0; s->bitmaps && i < s->bitmaps->len; i++) {
        const Qcow2Bitmap *bm = g_ptr_array_index(s->bitmaps, i);

        if (!bm->on_disk) {
            list_add(list, bm);
        }
    }
    for (guint i = s->bitmaps ? s->bitmaps->len : 0; i > 0; i--) {
        const Qcow2Bitmap *bm = g_ptr_array_index(s->bitmaps, i - 1);

        if (bm->on_disk) {
            list_add(list, bm);
        }
    }
    return list;
}

/* ------------------------------------------------------------------ */
/* qemu-img bitmap                                                     */
/* ------------------------------------------------------------------ */

static Qcow2Bitmap *bitmap_find(const BDRVQcow2State *s, const char *name)
{
    for (guint i = 0; s->bitmaps && i < s->bitmaps->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(s->bitmaps, i);

        if (0 == strcmp(bm->name, name)) {
            return bm;
        }
    }
    return NULL;
}

static Qcow2Bitmap *bitmap_lookup(const BDRVQcow2State *s, const char *name,
                                  Error **errp)
{
    Qcow2Bitmap *bm = bitmap_find(s, name);

    if (!bm) {
        error_setg(errp, "Dirty bitmap '%s' not found", name);
    }
    return bm;
}

/* 7.2's check that a bitmap's bits may be used. */
static int bitmap_check_consistent(const Qcow2Bitmap *bm, Error **errp)
{
    if (!bm->bits) {
        error_setg(errp, "Bitmap '%s' is inconsistent and cannot be used",
                   bm->name);
        error_append_hint(errp, "Try block-dirty-bitmap-remove to delete "
                          "this bitmap from disk\n");
        return -EINVAL;
    }
    return 0;
}

/* Whether a new bitmap may be stored (7.2's can_store_new_dirty_bitmap),
 * without the "Can't make bitmap persistent" prefix. */
static int bitmap_can_store(BlockDriverState *bs, const char *name,
                            int gbits, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bytes = DIV_ROUND_UP(bitmap_nb_bits(s->size, gbits), 8);
    g_autoptr(GPtrArray) list = NULL;

    if (s->qcow_version < 3) {
        error_setg(errp, "Cannot store dirty bitmaps in qcow2 v2 files");
        return -EINVAL;
    }
    if (bytes > BME_MAX_PHYS_SIZE ||
        bytes > BME_MAX_TABLE_SIZE * s->cluster_size) {
        error_setg(errp, "Too much space will be occupied by the bitmap. "
                   "Use larger granularity");
        return -EINVAL;
    }
    if (strlen(name) > BME_MAX_NAME_SIZE) {
        error_setg(errp, "Name length exceeds maximum (%u characters)",
                   BME_MAX_NAME_SIZE);
        return -EINVAL;
    }
    if (!s->has_bitmaps_ext) {
        return 0;
    }
    if (s->bitmaps_ext.nb_bitmaps >= QCOW2_MAX_BITMAPS) {
        error_setg(errp, "Maximum number of persistent bitmaps is already "
                   "reached");
        return -EINVAL;
    }
    list = dir_load(bs, errp);
    if (!list) {
        return -EINVAL;
    }
    for (guint i = 0; i < list->len; i++) {
        const Qcow2Bitmap *bm = g_ptr_array_index(list, i);

        if (0 == strcmp(bm->name, name)) {
            error_setg(errp, "Bitmap with the same name is already stored");
            return -EINVAL;
        }
    }
    return 0;
}

static int bitmap_add(BlockDriverState *bs, const BdrvBitmapChange *c,
                      const char *node_name, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint32_t g = c->granularity;
    Qcow2Bitmap *bm;
    guint pos = 0;
    int gbits;

    if (!g) {
        /* 7.2's default: the cluster size, within [4 KiB, 64 KiB]. */
        g = MIN(MAX(s->cluster_size, 4096u), 65536u);
    }
    gbits = g_bit_nth_lsf(g, -1);
    if (bitmap_find(s, c->name)) {
        error_setg(errp, "Bitmap already exists: %s", c->name);
        return -EEXIST;
    }
    if (bitmap_can_store(bs, c->name, gbits, errp) < 0) {
        error_prepend(errp, "Can't make bitmap '%s' persistent in '%s': ",
                      c->name, node_name);
        return -EINVAL;
    }
    bm = g_new0(Qcow2Bitmap, 1);
    bm->name = g_strdup(c->name);
    bm->granularity_bits = gbits;
    bm->nb_bits = bitmap_nb_bits(s->size, gbits);
    bm->bits = g_malloc0(bitmap_data_bytes(bm->nb_bits));
    bm->enabled = true;
    bm->stored = true;
    /*
     * 7.2 keeps new bitmaps newest first and appends them to the
     * directory in that order, after the bitmaps already there.
     */
    while (pos < s->bitmaps->len &&
           ((Qcow2Bitmap *)g_ptr_array_index(s->bitmaps, pos))->on_disk) {
        pos++;
    }
    g_ptr_array_insert(s->bitmaps, pos, bm);
    return 0;
}

/* Drop @bm from the directory on disk and free its clusters. */
static int bitmap_remove_from_disk(BlockDriverState *bs, Qcow2Bitmap *bm,
                                   Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autoptr(GPtrArray) list = g_ptr_array_new();
    g_autoptr(GPtrArray) check = NULL;
    int ret;

    /* 7.2 reads the directory again first. */
    check = dir_load(bs, errp);
    if (!check) {
        return -EIO;
    }
    for (guint i = 0; i < s->bitmaps->len; i++) {
        Qcow2Bitmap *other = g_ptr_array_index(s->bitmaps, i);

        if (other != bm && other->on_disk) {
            g_ptr_array_add(list, other);
        }
    }
    ret = dir_replace(bs, list);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to update bitmap extension");
        return ret;
    }
    table_free(bs, bm->table_offset, bm->table_size);
    qcow2_process_discards(bs, 0);
    return 0;
}

/* Set the granules of @dst that [@offset, @offset + @bytes) touches. */
static void bitmap_set_range(Qcow2Bitmap *dst, uint64_t offset,
                             uint64_t bytes)
{
    uint64_t first = offset >> dst->granularity_bits;
    uint64_t last = (offset + bytes - 1) >> dst->granularity_bits;

    for (uint64_t b = first; b <= last && b < dst->nb_bits; b++) {
        dst->bits[b / 8] |= 1u << (b % 8);
    }
}

static int bitmap_merge(BlockDriverState *bs, Qcow2Bitmap *dst,
                        const BdrvBitmapChange *c, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    BlockDriverState *src_bs = c->src_bs ? c->src_bs : bs;
    const BDRVQcow2State *ss = src_bs->opaque;
    Qcow2Bitmap *src = NULL;
    uint64_t src_size;

    if (src_bs->drv == bs->drv) {
        src = bitmap_find(ss, c->src_name);
    }
    if (!src) {
        error_setg(errp, "Dirty bitmap '%s' not found", c->src_name);
        return -ENOENT;
    }
    if (bitmap_check_consistent(src, errp) < 0) {
        return -EINVAL;
    }
    src_size = ss->size;
    if (src_size != s->size) {
        error_setg(errp, "Bitmaps are of different sizes (destination size "
                   "is %" PRId64 ", source size is %" PRId64 ") and can't "
                   "be merged", (int64_t)s->size, (int64_t)src_size);
        return -EINVAL;
    }
    if (bitmap_check_consistent(dst, errp) < 0) {
        return -EINVAL;
    }
    for (uint64_t b = 0; b < src->nb_bits; b++) {
        if (src->bits[b / 8] & (1u << (b % 8))) {
            bitmap_set_range(dst, b << src->granularity_bits,
                             MIN(1ULL << src->granularity_bits,
                                 src_size - (b << src->granularity_bits)));
        }
    }
    return 0;
}

int qcow2_bitmap_change(BlockDriverState *bs, const BdrvBitmapChange *c,
                        const char *node_name, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Bitmap *bm;
    int ret;

    if (BDRV_BITMAP_ADD == c->action) {
        return bitmap_add(bs, c, node_name, errp);
    }
    bm = bitmap_lookup(s, c->name, errp);
    if (!bm) {
        return -ENOENT;
    }
    switch (c->action) {
    case BDRV_BITMAP_REMOVE:
        if (bm->on_disk) {
            ret = bitmap_remove_from_disk(bs, bm, errp);
            if (ret < 0) {
                return ret;
            }
        }
        g_ptr_array_remove(s->bitmaps, bm);
        return 0;
    case BDRV_BITMAP_CLEAR:
        if (bitmap_check_consistent(bm, errp) < 0) {
            return -EINVAL;
        }
        memset(bm->bits, 0, bitmap_data_bytes(bm->nb_bits));
        return 0;
    case BDRV_BITMAP_ENABLE:
    case BDRV_BITMAP_DISABLE:
        if (bitmap_check_consistent(bm, errp) < 0) {
            return -EINVAL;
        }
        bm->enabled = BDRV_BITMAP_ENABLE == c->action;
        return 0;
    case BDRV_BITMAP_MERGE:
        return bitmap_merge(bs, bm, c, errp);
    default:
        g_assert_not_reached();
    }
}
