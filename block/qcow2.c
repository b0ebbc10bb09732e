/*
 * qcow2 format driver: header extensions, header rewrite, open and close,
 * image information (qcow2.txt "Header extensions", "Feature name table",
 * "Bitmaps extension"); the header itself is in qcow2-header.c.
 */
#include "qemu/osdep.h"

#include "block/qcow2.h"
#include "qemu/cutils.h"

static void crypto_ext_from_disk(const Qcow2CryptoExtDisk *disk,
                                 Qcow2CryptoExt *ext)
{
    ext->offset = be64_to_cpu(disk->offset);
    ext->length = be64_to_cpu(disk->length);
}

static void crypto_ext_to_disk(const Qcow2CryptoExt *ext,
                               Qcow2CryptoExtDisk *disk)
{
    disk->offset = cpu_to_be64(ext->offset);
    disk->length = cpu_to_be64(ext->length);
}

static void bitmaps_ext_from_disk(const Qcow2BitmapsExtDisk *disk,
                                  Qcow2BitmapsExt *ext)
{
    ext->nb_bitmaps = be32_to_cpu(disk->nb_bitmaps);
    ext->reserved32 = be32_to_cpu(disk->reserved32);
    ext->bitmap_directory_size = be64_to_cpu(disk->bitmap_directory_size);
    ext->bitmap_directory_offset = be64_to_cpu(disk->bitmap_directory_offset);
}

static void bitmaps_ext_to_disk(const Qcow2BitmapsExt *ext,
                                Qcow2BitmapsExtDisk *disk)
{
    disk->nb_bitmaps = cpu_to_be32(ext->nb_bitmaps);
    disk->reserved32 = cpu_to_be32(ext->reserved32);
    disk->bitmap_directory_size = cpu_to_be64(ext->bitmap_directory_size);
    disk->bitmap_directory_offset = cpu_to_be64(ext->bitmap_directory_offset);
}

/* ------------------------------------------------------------------ */
/* Header extensions                                                   */
/* ------------------------------------------------------------------ */

static void unknown_ext_free(gpointer p)
{
    Qcow2UnknownExt *ext = p;

    g_free(ext->data);
    g_free(ext);
}

/*
 * The end of the header extension area: the backing name, or the end of
 * cluster 0.  A backing name past cluster 0 (allowed for LUKS images until
 * the inline header area is known) does not widen it: only the inline
 * LUKS extension does, in read_extensions().  Extension lengths are
 * checked against this end before their data is allocated.
 */
static uint64_t ext_area_end(const Qcow2Header *h)
{
    uint64_t cluster_end = 1ULL << h->cluster_bits;

    if (h->backing_file_offset && h->backing_file_offset <= cluster_end) {
        return h->backing_file_offset;
    }
    return cluster_end;
}

/*
 * Read the feature name table, for naming unknown features in errors.
 * Problems just leave the table empty, as only the message suffers.
 */
static Qcow2FeatureDisk *read_feature_table(BlockDriverState *bs,
                                            const Qcow2Header *h,
                                            size_t *nb)
{
    uint64_t offset = h->header_length, end = ext_area_end(h);
    Qcow2ExtHeaderDisk ext;

    *nb = 0;
    while (offset + sizeof(ext) <= end) {
        uint32_t magic, len;
        Qcow2FeatureDisk *table;

        if (bdrv_pread(bs->file, offset, sizeof(ext), &ext, 0) < 0) {
            return NULL;
        }
        magic = be32_to_cpu(ext.magic);
        len = be32_to_cpu(ext.len);
        offset += sizeof(ext);
        if (QCOW2_EXT_END == magic || len > end - offset) {
            return NULL;
        }
        if (QCOW2_EXT_FEATURE_TABLE == magic) {
            table = g_new0(Qcow2FeatureDisk, len / sizeof(*table) + 1);
            if (bdrv_pread(bs->file, offset, len, table, 0) < 0) {
                g_free(table);
                return NULL;
            }
            *nb = len / sizeof(*table);
            return table;
        }
        offset += ROUND_UP(len, 8);
    }
    return NULL;
}

static int read_ext_backing_format(BlockDriverState *bs, uint64_t offset,
                                   uint32_t len, Error **errp)
{
    char name[QCOW2_MAX_BACKING_FORMAT + 1] = "";
    int ret;

    if (len > QCOW2_MAX_BACKING_FORMAT) {
        error_setg(errp, "ERROR: ext_backing_format: len=%" PRIu32 " too "
                   "large (>=%d)", len, QCOW2_MAX_BACKING_FORMAT + 1);
        return -EINVAL;
    }
    ret = bdrv_pread(bs->file, offset, len, name, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "ERROR: ext_backing_format: Could not "
                         "read format name");
        return ret;
    }
    g_free(bs->backing_format);
    bs->backing_format = g_strndup(name, len);
    return 0;
}

static int read_ext_crypto(BlockDriverState *bs, uint64_t offset,
                           uint32_t len, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2CryptoExtDisk disk;
    int ret;

    if (s->crypt_method_header != QCOW2_CRYPT_LUKS) {
        error_setg(errp, "CRYPTO header extension only expected with LUKS "
                   "encryption method");
        return -EINVAL;
    }
    if (s->luks_inline.length) {
        error_setg(errp, "Image has both a CRYPTO header pointer and an "
                   "inline LUKS header");
        return -EINVAL;
    }
    if (len != sizeof(disk)) {
        error_setg(errp, "CRYPTO header extension size %" PRIu32 ", but "
                   "expected size %zu", len, sizeof(disk));
        return -EINVAL;
    }
    ret = bdrv_pread(bs->file, offset, len, &disk, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Unable to read CRYPTO header "
                         "extension");
        return ret;
    }
    crypto_ext_from_disk(&disk, &s->crypto_header);
    if (qcow2_offset_into_cluster(s, s->crypto_header.offset)) {
        error_setg(errp, "Encryption header offset '%" PRIu64 "' is not a "
                   "multiple of cluster size '%" PRIu32 "'",
                   s->crypto_header.offset, s->cluster_size);
        return -EINVAL;
    }
    /* 7.2 opens the LUKS header right here, while reading extensions. */
    return s->crypto ? 0 : qcow2_crypto_open(bs, errp);
}

/*
 * [qcrypt-img] The inline LUKS extension: record where its data is (the
 * LUKS code checks the key material against it) and open the header as
 * for the pointer.
 */
static int read_ext_luks_inline(BlockDriverState *bs, uint64_t offset,
                                uint32_t len, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    if (s->crypt_method_header != QCOW2_CRYPT_LUKS) {
        error_setg(errp, "Inline LUKS header extension only expected with "
                   "LUKS encryption method");
        return -EINVAL;
    }
    if (s->crypto_header.offset || s->luks_inline.length) {
        error_setg(errp, "Image has both a CRYPTO header pointer and an "
                   "inline LUKS header");
        return -EINVAL;
    }
    /* First, so that its position never changes with the others. */
    if (offset != qcow2_header_ext_start(s) + sizeof(Qcow2ExtHeaderDisk)) {
        error_setg(errp, "Inline LUKS header extension must be the first "
                   "header extension");
        return -EINVAL;
    }
    if (len < QCOW2_LUKS_PHDR_SIZE || len % 512) {
        error_setg(errp, "Inline LUKS header extension size %" PRIu32
                   " is invalid", len);
        return -EINVAL;
    }
    s->luks_inline.offset = offset;
    s->luks_inline.length = len;
    s->header_clusters = qcow2_crypto_inline_clusters(s, offset, len);
    return s->crypto ? 0 : qcow2_crypto_open(bs, errp);
}

static int check_bitmaps_ext(const BDRVQcow2State *s,
                             const Qcow2BitmapsExt *ext, Error **errp)
{
    if (ext->reserved32) {
        error_setg(errp, "bitmaps_ext: Reserved field is not zero");
        return -EINVAL;
    }
    if (ext->nb_bitmaps > QCOW2_MAX_BITMAPS) {
        error_setg(errp, "bitmaps_ext: Image has %" PRIu32 " bitmaps, "
                   "exceeding the QEMU supported maximum of %d",
                   ext->nb_bitmaps, QCOW2_MAX_BITMAPS);
        return -EINVAL;
    }
    if (0 == ext->nb_bitmaps) {
        error_setg(errp, "found bitmaps extension with zero bitmaps");
        return -EINVAL;
    }
    if (qcow2_offset_into_cluster(s, ext->bitmap_directory_offset)) {
        error_setg(errp, "bitmaps_ext: invalid bitmap directory offset");
        return -EINVAL;
    }
    if (ext->bitmap_directory_size > QCOW2_MAX_BITMAP_DIRECTORY_SIZE) {
        error_setg(errp, "bitmaps_ext: bitmap directory size (%" PRIu64
                   ") exceeds the maximum supported size (%d)",
                   ext->bitmap_directory_size,
                   QCOW2_MAX_BITMAP_DIRECTORY_SIZE);
        return -EINVAL;
    }
    return 0;
}

static int read_ext_bitmaps(BlockDriverState *bs, uint64_t offset,
                            uint32_t len, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2BitmapsExtDisk disk;
    Qcow2BitmapsExt ext;
    int ret;

    if (len != sizeof(disk)) {
        error_setg(errp, "bitmaps_ext: Invalid extension length");
        return -EINVAL;
    }
    if (!(s->autoclear_features & QCOW2_AUTOCLEAR_BITMAPS)) {
        /*
         * A program without bitmap support wrote the image: the bitmaps
         * are stale, and like QEMU we drop the extension on rewrite.
         */
        s->bitmaps_ext_stale = true;
        qcow2_bitmaps_warn_stale(s);
        return 0;
    }
    ret = bdrv_pread(bs->file, offset, len, &disk, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "bitmaps_ext: Could not read ext "
                         "header");
        return ret;
    }
    bitmaps_ext_from_disk(&disk, &ext);
    ret = check_bitmaps_ext(s, &ext, errp);
    if (ret < 0) {
        return ret;
    }
    s->bitmaps_ext = ext;
    s->has_bitmaps_ext = true;
    return 0;
}

/* Read the data of an extension into a new buffer (NUL terminated). */
static uint8_t *read_ext_data(BlockDriverState *bs, uint64_t offset,
                              uint32_t len, Error **errp)
{
    g_autofree uint8_t *data = g_malloc0((size_t)len + 1);
    int ret = bdrv_pread(bs->file, offset, len, data, 0);

    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read qcow2 header "
                         "extension");
        return NULL;
    }
    return g_steal_pointer(&data);
}

static int read_one_ext(BlockDriverState *bs, uint32_t magic,
                        uint64_t offset, uint32_t len, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2UnknownExt *ext;
    uint8_t *data;

    switch (magic) {
    case QCOW2_EXT_BACKING_FORMAT:
        return read_ext_backing_format(bs, offset, len, errp);
    case QCOW2_EXT_FEATURE_TABLE:
        /* Rewritten from our own table; only needed for errors. */
        return 0;
    case QCOW2_EXT_CRYPTO_HEADER:
        return read_ext_crypto(bs, offset, len, errp);
    case QCOW2_EXT_LUKS_INLINE:
        return read_ext_luks_inline(bs, offset, len, errp);
    case QCOW2_EXT_BITMAPS:
        return read_ext_bitmaps(bs, offset, len, errp);
    default:
        break;
    }
    data = read_ext_data(bs, offset, len, errp);
    if (!data) {
        return -EIO;
    }
    if (QCOW2_EXT_DATA_FILE == magic) {
        g_free(s->image_data_file);
        s->image_data_file = (char *)data;
        return 0;
    }
    ext = g_new0(Qcow2UnknownExt, 1);
    ext->magic = magic;
    ext->len = len;
    ext->data = data;
    g_ptr_array_add(s->unknown_exts, ext);
    return 0;
}

/* Read the header extensions in [@start, @end) ("Header extensions"). */
static int read_extensions(BlockDriverState *bs, uint64_t start,
                           uint64_t end, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t offset = start;
    Qcow2ExtHeaderDisk disk;
    int ret;

    while (offset < end) {
        uint32_t magic, len;

        ret = bdrv_pread(bs->file, offset, sizeof(disk), &disk, 0);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "qcow2_read_extension: ERROR: "
                             "pread fail from offset %" PRIu64, offset);
            return ret;
        }
        magic = be32_to_cpu(disk.magic);
        len = be32_to_cpu(disk.len);
        offset += sizeof(disk);
        /* [qcrypt-img] The inline LUKS header makes the area longer. */
        if (QCOW2_EXT_LUKS_INLINE == magic && !s->luks_inline.length &&
            end == s->cluster_size) {
            end = MAX(end, qcow2_crypto_inline_clusters(s, offset, len) <<
                           s->cluster_bits);
        }
        if (offset > end || len > end - offset) {
            error_setg(errp, "Header extension too large");
            return -EINVAL;
        }
        if (QCOW2_EXT_END == magic) {
            return 0;
        }
        ret = read_one_ext(bs, magic, offset, len, errp);
        if (ret < 0) {
            return ret;
        }
        offset += ROUND_UP((uint64_t)len, 8);
    }
    return 0;
}

static int read_backing_name(BlockDriverState *bs, const Qcow2Header *h,
                             Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    char name[QCOW2_MAX_BACKING_NAME + 1] = "";
    uint32_t len = h->backing_file_size;
    int ret;

    if (!h->backing_file_offset) {
        return 0;
    }
    if (h->backing_file_offset > s->header_clusters * s->cluster_size) {
        error_setg(errp, "Invalid backing file offset");
        return -EINVAL;
    }
    if (len > MIN(QCOW2_MAX_BACKING_NAME,
                  s->header_clusters * s->cluster_size -
                  h->backing_file_offset)) {
        error_setg(errp, "Backing file name too long");
        return -EINVAL;
    }
    ret = bdrv_pread(bs->file, h->backing_file_offset, len, name, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read backing file name");
        return ret;
    }
    g_free(bs->backing_file);
    bs->backing_file = g_strndup(name, len);
    if (!bs->backing_file[0]) {
        /* An empty name (or one starting with NUL) means no backing file,
         * as in 7.2. */
        g_clear_pointer(&bs->backing_file, g_free);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Header rewrite                                                      */
/* ------------------------------------------------------------------ */

/* The feature name table QEMU 7.2 writes. */
static const struct {
    uint8_t type;
    uint8_t bit;
    const char *name;
} qcow2_feature_names[] = {
    { QCOW2_FEAT_TYPE_INCOMPATIBLE, 0, "dirty bit" },
    { QCOW2_FEAT_TYPE_INCOMPATIBLE, 1, "corrupt bit" },
    { QCOW2_FEAT_TYPE_INCOMPATIBLE, 2, "external data file" },
    { QCOW2_FEAT_TYPE_INCOMPATIBLE, 3, "compression type" },
    { QCOW2_FEAT_TYPE_INCOMPATIBLE, 4, "extended L2 entries" },
    { QCOW2_FEAT_TYPE_COMPATIBLE, 0, "lazy refcounts" },
    { QCOW2_FEAT_TYPE_AUTOCLEAR, 0, "bitmaps" },
    { QCOW2_FEAT_TYPE_AUTOCLEAR, 1, "raw external data" },
};

/* A header cluster being assembled. */
typedef struct HeaderBuf {
    uint8_t *buf;
    size_t size;
    size_t pos;
} HeaderBuf;

/* Append one extension (padded to 8 bytes).  Returns: 0 or -ENOSPC. */
static int header_add_ext(HeaderBuf *hb, uint32_t magic, const void *data,
                          uint32_t len)
{
    size_t need = sizeof(Qcow2ExtHeaderDisk) + ROUND_UP((size_t)len, 8);

    if (hb->size - hb->pos < need) {
        return -ENOSPC;
    }
    stl_be_p(hb->buf + hb->pos, magic);
    stl_be_p(hb->buf + hb->pos + 4, len);
    if (len) {
        memcpy(hb->buf + hb->pos + sizeof(Qcow2ExtHeaderDisk), data, len);
    }
    hb->pos += need;
    return 0;
}

static int header_add_feature_table(HeaderBuf *hb)
{
    Qcow2FeatureDisk table[G_N_ELEMENTS(qcow2_feature_names)];

    memset(table, 0, sizeof(table));
    for (size_t i = 0; i < G_N_ELEMENTS(qcow2_feature_names); i++) {
        table[i].type = qcow2_feature_names[i].type;
        table[i].bit = qcow2_feature_names[i].bit;
        strncpy(table[i].name, qcow2_feature_names[i].name,
                sizeof(table[i].name));
    }
    return header_add_ext(hb, QCOW2_EXT_FEATURE_TABLE, table, sizeof(table));
}

/*
 * Append the extensions in QEMU 7.2's order, then the end marker.  The
 * inline LUKS extension, if any, was written first by the caller.
 */
static int header_add_extensions(BlockDriverState *bs, HeaderBuf *hb)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = 0;

    if (bs->backing_format) {
        ret = header_add_ext(hb, QCOW2_EXT_BACKING_FORMAT, bs->backing_format,
                             strlen(bs->backing_format));
    }
    if (ret >= 0 && s->image_data_file) {
        ret = header_add_ext(hb, QCOW2_EXT_DATA_FILE, s->image_data_file,
                             strlen(s->image_data_file));
    }
    if (ret >= 0 && s->crypto_header.offset) {
        Qcow2CryptoExtDisk disk;

        crypto_ext_to_disk(&s->crypto_header, &disk);
        ret = header_add_ext(hb, QCOW2_EXT_CRYPTO_HEADER, &disk,
                             sizeof(disk));
    }
    /* QEMU 7.2 leaves the feature table out of clusters of 4 KiB and less. */
    if (ret >= 0 && s->qcow_version >= 3 && s->cluster_size > 4096) {
        ret = header_add_feature_table(hb);
    }
    if (ret >= 0 && s->has_bitmaps_ext) {
        Qcow2BitmapsExtDisk disk;

        bitmaps_ext_to_disk(&s->bitmaps_ext, &disk);
        ret = header_add_ext(hb, QCOW2_EXT_BITMAPS, &disk, sizeof(disk));
    }
    /* QEMU keeps unknown extensions in a list it prepends to, so each
     * rewrite reverses their order; do the same. */
    for (guint i = s->unknown_exts->len; ret >= 0 && i > 0; i--) {
        Qcow2UnknownExt *ext = g_ptr_array_index(s->unknown_exts, i - 1);

        ret = header_add_ext(hb, ext->magic, ext->data, ext->len);
    }
    if (ret >= 0) {
        ret = header_add_ext(hb, QCOW2_EXT_END, NULL, 0);
    }
    return ret;
}

/* The header fields as the in-memory state describes them. */
static void header_from_state(BlockDriverState *bs, Qcow2Header *h)
{
    BDRVQcow2State *s = bs->opaque;

    *h = (Qcow2Header) {
        .magic = QCOW2_MAGIC,
        .version = s->qcow_version,
        .cluster_bits = s->cluster_bits,
        .size = s->size,
        .crypt_method = s->crypt_method_header,
        .l1_size = s->l1_size,
        .l1_table_offset = s->l1_table_offset,
        .refcount_table_offset = s->refcount_table_offset,
        .refcount_table_clusters = ((uint64_t)s->refcount_table_size *
                                    sizeof(uint64_t)) >> s->cluster_bits,
        .nb_snapshots = s->nb_snapshots,
        .snapshots_offset = s->snapshots_offset,
        .incompatible_features = s->incompatible_features,
        .compatible_features = s->compatible_features,
        .autoclear_features = s->autoclear_features,
        .refcount_order = s->refcount_order,
        .header_length = QCOW2_HEADER_LENGTH + s->unknown_header_fields_size,
        .compression_type = s->compression_type,
    };
}

/*
 * [qcrypt-img] With the inline LUKS extension, the header is the part up
 * to its data (written here) and the tail after it (returned in @hb); the
 * LUKS data in between belongs to the LUKS code and is not rewritten.
 */
static void header_split_inline(BlockDriverState *bs, HeaderBuf *hb,
                                uint8_t **tail, uint64_t *tail_offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t area = s->header_clusters << s->cluster_bits;

    assert(s->luks_inline.offset == hb->pos + sizeof(Qcow2ExtHeaderDisk));
    stl_be_p(hb->buf + hb->pos, QCOW2_EXT_LUKS_INLINE);
    stl_be_p(hb->buf + hb->pos + 4, s->luks_inline.length);
    hb->pos += sizeof(Qcow2ExtHeaderDisk);
    *tail_offset = s->luks_inline.offset + s->luks_inline.length;
    assert(*tail_offset < area);
    *tail = g_malloc0(area - *tail_offset);
    hb->buf = *tail;
    hb->size = area - *tail_offset;
    hb->pos = 0;
}

/* The start of the header extensions of a freshly written header. */
uint64_t qcow2_header_ext_start(const BDRVQcow2State *s)
{
    return s->qcow_version >= 3
           ? QCOW2_HEADER_LENGTH + s->unknown_header_fields_size
           : QCOW2_V2_HEADER_LENGTH;
}

int qcow2_update_header(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *buf = g_malloc0(s->cluster_size);
    g_autofree uint8_t *tail = NULL;
    uint64_t tail_offset = 0;
    HeaderBuf hb = { .buf = buf, .size = s->cluster_size };
    Qcow2HeaderDisk disk;
    Qcow2Header h;
    size_t prefix;
    int ret;

    header_from_state(bs, &h);
    hb.pos = qcow2_header_ext_start(s);
    if (s->luks_inline.length) {
        header_split_inline(bs, &hb, &tail, &tail_offset);
    }
    prefix = tail ? s->luks_inline.offset : s->cluster_size;
    if (tail && s->luks_inline_stash) {
        /*
         * [qcrypt-img] The inline LUKS data in cluster 0 overlaps the
         * extensions of the header it replaces, so it goes to disk in
         * the same write as the new header, not before it.
         */
        prefix = MIN(s->cluster_size, tail_offset);
        memcpy(buf + s->luks_inline.offset,
               s->luks_inline_stash + s->luks_inline.offset,
               prefix - s->luks_inline.offset);
    }
    ret = header_add_extensions(bs, &hb);
    if (ret < 0) {
        return ret;
    }
    if (bs->backing_file) {
        size_t len = strlen(bs->backing_file);

        if (hb.size - hb.pos < len) {
            return -ENOSPC;
        }
        memcpy(hb.buf + hb.pos, bs->backing_file, len);
        h.backing_file_offset = tail_offset + hb.pos;
        h.backing_file_size = len;
    }
    qcow2_header_to_disk(&h, &disk);
    if (s->qcow_version >= 3) {
        memcpy(buf, &disk, sizeof(disk));
        if (s->unknown_header_fields_size) {
            memcpy(buf + sizeof(disk), s->unknown_header_fields,
                   s->unknown_header_fields_size);
        }
    } else {
        memcpy(buf, &disk, QCOW2_V2_HEADER_LENGTH);
    }
    if (tail) {
        ret = bdrv_pwrite(bs->file, tail_offset, hb.size, tail, 0);
        if (ret < 0) {
            return ret;
        }
    }
    return bdrv_pwrite(bs->file, 0, prefix, buf, 0);
}

int qcow2_file_flush(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    return s->no_flush ? 0 : bdrv_flush(bs->file->bs);
}

int qcow2_pwrite_sync(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      const void *buf)
{
    int ret = bdrv_pwrite(bs->file, offset, bytes, buf, 0);

    return ret < 0 ? ret : qcow2_file_flush(bs);
}

/* Write the incompatible_features field alone. */
static int write_incompatible_features(BlockDriverState *bs, uint64_t bits)
{
    uint64_t disk = cpu_to_be64(bits);

    return qcow2_pwrite_sync(bs, offsetof(Qcow2HeaderDisk,
                                          incompatible_features),
                             sizeof(disk), &disk);
}

int qcow2_mark_dirty(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    assert(s->qcow_version >= 3);
    if (s->incompatible_features & QCOW2_INCOMPAT_DIRTY) {
        return 0;
    }
    ret = qcow2_file_flush(bs);
    if (ret >= 0) {
        ret = write_incompatible_features(bs, s->incompatible_features |
                                          QCOW2_INCOMPAT_DIRTY);
    }
    if (ret < 0) {
        return ret;
    }
    /* Refcounts may go stale only once the bit is on disk. */
    s->incompatible_features |= QCOW2_INCOMPAT_DIRTY;
    return 0;
}

int qcow2_mark_clean(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (!(s->incompatible_features & QCOW2_INCOMPAT_DIRTY)) {
        return 0;
    }
    ret = qcow2_write_caches(bs);
    if (ret >= 0) {
        ret = qcow2_file_flush(bs);
    }
    if (ret < 0) {
        return ret;
    }
    s->incompatible_features &= ~QCOW2_INCOMPAT_DIRTY;
    return qcow2_update_header(bs);
}

int qcow2_signal_corruption(BlockDriverState *bs, const char *fmt, ...)
{
    BDRVQcow2State *s = bs->opaque;
    bool fatal = (s->flags & BDRV_O_RDWR) && !(s->flags & BDRV_O_NO_IO);
    bool quiet = s->signaled_corruption &&
                 (!fatal ||
                  (s->incompatible_features & QCOW2_INCOMPAT_CORRUPT));

    /* Like check's findings, 7.2 prints this from the driver. */
    if (fmt && !quiet) {
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        fprintf(stderr, fatal
                ? "qcow2: Marking image as corrupt: %s; further corruption "
                  "events will be suppressed\n"
                : "qcow2: Image is corrupt: %s; further non-fatal "
                  "corruption events will be suppressed\n", msg);
    }
    s->signaled_corruption = true;
    if (fatal && !(s->incompatible_features & QCOW2_INCOMPAT_CORRUPT)) {
        s->incompatible_features |= QCOW2_INCOMPAT_CORRUPT;
        /* Best effort: the in-memory bit already stops further writes. */
        (void)qcow2_update_header(bs);
        bs->ejected = true;
    }
    return -EIO;
}

/* ------------------------------------------------------------------ */
/* Open and close                                                      */
/* ------------------------------------------------------------------ */

static int qcow2_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    /*
     * Claim any version from 1 on: open then names the unsupported
     * version instead of the file passing as raw.  (7.2 opens version 1,
     * the original qcow format, with a driver of its own; we have none,
     * and a raw open could overwrite its header.)
     */
    if (buf_size < (int)sizeof(Qcow2HeaderDisk) ||
        ldl_be_p(buf) != QCOW2_MAGIC) {
        return 0;
    }
    return ldl_be_p(buf + 4) >= 1 ? 100 : 0;
}

/* Read, decode and check the header (feature names for errors too). */
static int open_read_header(BlockDriverState *bs, Qcow2Header *h,
                            Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree Qcow2FeatureDisk *table = NULL;
    Qcow2HeaderDisk disk;
    size_t nb = 0;
    int ret;

    ret = bdrv_pread(bs->file, 0, sizeof(disk), &disk, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read qcow2 header");
        return ret;
    }
    qcow2_header_from_disk(&disk, h);
    ret = qcow2_check_header_basics(h, errp);
    if (ret < 0) {
        return ret;
    }
    if (h->incompatible_features & ~QCOW2_INCOMPAT_MASK) {
        table = read_feature_table(bs, h, &nb);
    }
    /* qemu-img check -r may open a corrupt image read-write. */
    return qcow2_check_header(h, table, nb, (s->flags & BDRV_O_RDWR) &&
                              !(s->flags & BDRV_O_CHECK), errp);
}

/* Derive the geometry from a checked header. */
static void open_set_geometry(BDRVQcow2State *s, const Qcow2Header *h)
{
    bool extl2 = h->incompatible_features & QCOW2_INCOMPAT_EXTL2;

    s->qcow_version = h->version;
    s->cluster_bits = h->cluster_bits;
    s->cluster_size = 1u << s->cluster_bits;
    s->subclusters_per_cluster = extl2 ? QCOW2_EXTL2_SUBCLUSTERS : 1;
    s->subcluster_bits = s->cluster_bits - (extl2 ? 5 : 0);
    s->subcluster_size = 1u << s->subcluster_bits;
    s->l2_entry_size = extl2 ? 16 : 8;
    s->l2_bits = s->cluster_bits - (extl2 ? 4 : 3);
    s->l2_size = 1u << s->l2_bits;
    s->size = h->size;
    s->crypt_method_header = h->crypt_method;
    s->compression_type = h->compression_type;
    s->incompatible_features = h->incompatible_features;
    s->compatible_features = h->compatible_features;
    s->autoclear_features = h->autoclear_features;
    qcow2_set_refcount_order(s, h->refcount_order);
    s->refcount_table_offset = h->refcount_table_offset;
    s->refcount_table_size = ((uint64_t)h->refcount_table_clusters <<
                              s->cluster_bits) / sizeof(uint64_t);
    s->l1_size = h->l1_size;
    s->l1_table_offset = h->l1_table_offset;
    s->l1_vm_state_index = qcow2_size_to_l1(s, s->size);
    s->nb_snapshots = h->nb_snapshots;
    s->snapshots_offset = h->snapshots_offset;
}

/* Keep header fields beyond the ones we know, for rewrites. */
static int open_read_unknown_fields(BlockDriverState *bs,
                                    const Qcow2Header *h, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (h->header_length <= QCOW2_HEADER_LENGTH) {
        return 0;
    }
    s->unknown_header_fields_size = h->header_length - QCOW2_HEADER_LENGTH;
    s->unknown_header_fields = g_malloc(s->unknown_header_fields_size);
    ret = bdrv_pread(bs->file, QCOW2_HEADER_LENGTH,
                     s->unknown_header_fields_size,
                     s->unknown_header_fields, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read unknown qcow2 header "
                         "fields");
    }
    return ret;
}

static int open_load_l1(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    s->l1_table = g_try_new0(uint64_t, MAX(s->l1_size, 1));
    if (!s->l1_table) {
        error_setg(errp, "Could not allocate L1 table");
        return -ENOMEM;
    }
    if (0 == s->l1_size) {
        return 0;
    }
    ret = bdrv_pread(bs->file, s->l1_table_offset,
                     (uint64_t)s->l1_size * sizeof(uint64_t), s->l1_table,
                     0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read L1 table");
        return ret;
    }
    for (uint32_t i = 0; i < s->l1_size; i++) {
        s->l1_table[i] = be64_to_cpu(s->l1_table[i]);
    }
    return 0;
}

/*
 * The external data file: "data-file.*" options (a protocol or format
 * node; the file protocol when no driver is named) or the name in the
 * header extension, relative to the image.  Not opened without I/O
 * (qemu-img info), as in 7.2.
 */
static int open_data_file(BlockDriverState *bs, int flags, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autoptr(QObject) opts = g_steal_pointer(&s->data_file_opts);
    BlockDriverState *file;

    s->data_file = bs->file;
    if (s->data_file_ref) {
        error_setg(errp, "Cannot find device='%s' nor node-name='%s'",
                   s->data_file_ref, s->data_file_ref);
        return -EINVAL;
    }
    if (!qcow2_has_data_file(s)) {
        if (opts && qdict_size(opts)) {
            error_setg(errp, "'data-file' can only be set for images with "
                       "an external data file");
            return -EINVAL;
        }
        return 0;
    }
    if (flags & BDRV_O_NO_IO) {
        return 0;
    }
    if (!opts || !qdict_size(opts)) {
        if (!s->image_data_file) {
            error_setg(errp, "'data-file' is required for this image");
            return -EINVAL;
        }
        qobject_free(opts);
        opts = qobject_new_dict();
        /* 7.2 takes a relative name relative to the working directory
         * (unlike a backing file name). */
        qdict_put_str(opts, "filename", s->image_data_file);
    }
    if (!qdict_haskey(opts, "driver")) {
        qdict_put_str(opts, "driver", "file");
    }
    file = bdrv_open(NULL, g_steal_pointer(&opts),
                     flags & ~(BDRV_O_PROTECT_METADATA | BDRV_O_DEFER_LOCKS |
                               BDRV_O_NO_BACKING), errp);
    if (!file) {
        return -EINVAL;
    }
    s->data_file = bdrv_root_attach(file);
    return 0;
}

/*
 * Encryption set-up, and what is not supported yet: external data
 * files, and repairing dirty images (the checker does that).
 */
static int open_check_limits(BlockDriverState *bs, int flags, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    if (s->crypt_method_header) {
        bs->encrypted = true;
        /* Encrypted data is processed in whole sectors. */
        bs->request_alignment = BDRV_SECTOR_SIZE;
        /* AES (and LUKS without its extension, an error) open here. */
        if (!s->crypto && qcow2_crypto_open(bs, errp) < 0) {
            return -EINVAL;
        }
    }
    return open_data_file(bs, flags, errp);
}

/*
 * Writers must clear autoclear bits whose data they do not maintain and
 * drop a stale bitmaps extension.  As 7.2 does, the bits are cleared
 * before the bitmaps are loaded, and the header is written once, by the
 * bitmap code if it marks bitmaps in use.
 */
static int open_clear_autoclear(BlockDriverState *bs, int flags,
                                Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    bool update, updated = false;
    int ret;

    update = (s->autoclear_features & ~QCOW2_AUTOCLEAR_SUPPORTED) ||
             s->bitmaps_ext_stale;
    if (!(flags & BDRV_O_RDWR) || (flags & BDRV_O_NO_IO)) {
        update = false;
    }
    if (update) {
        s->autoclear_features &= QCOW2_AUTOCLEAR_SUPPORTED;
    }
    ret = qcow2_bitmaps_load(bs, &updated, errp);
    if (ret < 0 || !update || updated) {
        return ret;
    }
    ret = qcow2_update_header(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not update qcow2 header");
    }
    return ret;
}

/*
 * Stale refcounts of a dirty image must be rebuilt before anything is
 * allocated: as 7.2 does, run "check -r all" (its findings go to stderr)
 * unless qemu-img check itself is opening the image.
 */
static int open_repair_dirty(BlockDriverState *bs, int flags, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    BdrvCheckResult res = { 0 };
    int ret;

    if (!(s->incompatible_features & QCOW2_INCOMPAT_DIRTY) ||
        !(flags & BDRV_O_RDWR) || (flags & (BDRV_O_NO_IO | BDRV_O_CHECK))) {
        return 0;
    }
    ret = qcow2_check(bs, &res, BDRV_FIX_ERRORS | BDRV_FIX_LEAKS);
    if (ret >= 0 && res.check_errors) {
        ret = -EIO;
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not repair dirty image");
    }
    return ret;
}

/* Flush one metadata cache, recording a failure as 7.2 words it. */
static int inactivate_cache(BlockDriverState *bs, Qcow2Cache *c,
                            const char *name, GPtrArray *errors)
{
    Error *err = NULL;
    int ret = qcow2_cache_flush(bs, c);

    if (ret < 0) {
        error_setg_errno(&err, -ret, "Failed to flush the %s cache", name);
        g_ptr_array_add(errors, err);
    }
    return ret;
}

static int qcow2_inactivate(BlockDriverState *bs, GPtrArray *errors)
{
    BDRVQcow2State *s = bs->opaque;
    Error *err = NULL;
    int ret, result;

    if (!s->opened) {
        return 0;
    }
    /* 7.2 stores the persistent bitmaps first; failing loses them. */
    if (qcow2_bitmaps_store(bs, &err) < 0) {
        error_prepend(&err, "Lost persistent bitmaps during inactivation "
                      "of node '#block1%02d': ", g_random_int_range(0, 100));
        g_ptr_array_add(errors, err);
    }
    result = inactivate_cache(bs, s->l2_table_cache, "L2 table", errors);
    ret = inactivate_cache(bs, s->refcount_block_cache, "refcount block",
                           errors);
    if (ret < 0) {
        result = ret;
    }
    if (result >= 0) {
        result = qcow2_mark_clean(bs);
    }
    return result;
}

static void qcow2_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    /* After a failed open nothing may be written: a dirty image must
     * stay dirty. */
    if (s->opened && (s->flags & BDRV_O_RDWR) &&
        !(s->flags & BDRV_O_NO_IO) && !bs->ejected) {
        Error *err = NULL;

        /* A failure loses the bitmaps (in use on disk), as with 7.2. */
        if (qcow2_bitmaps_store(bs, &err) < 0) {
            error_free(err);
        }
        /* Errors here leave a dirty image, which check repairs. */
        if (qcow2_write_caches(bs) >= 0) {
            (void)qcow2_mark_clean(bs);
        }
    }
    qcow2_cache_free(s->l2_table_cache);
    qcow2_cache_free(s->refcount_block_cache);
    qcow2_refcount_close(bs);
    qcow2_snapshots_free(bs);
    qcow2_bitmaps_free(bs);
    g_free(s->l1_table);
    g_free(s->unknown_header_fields);
    if (s->unknown_exts) {
        g_ptr_array_free(s->unknown_exts, TRUE);
    }
    if (s->discards) {
        g_array_free(s->discards, TRUE);
    }
    g_free(s->image_data_file);
    g_free(s->data_file_ref);
    qobject_free(s->data_file_opts);
    if (s->data_file && s->data_file != bs->file) {
        bdrv_root_detach(s->data_file);
    }
    g_free(s->crypto_opts.key_secret);
    qcrypto_block_free(s->crypto);
    g_free(s->cluster_data);
}

static int qcow2_open(BlockDriverState *bs, QObject *options, int flags,
                      Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Header h;
    int ret;

    s->flags = flags;
    s->data_file_opts = qdict_extract_subqdict(options, "data-file.");
    if (qdict_get_str(options, "data-file")) {
        s->data_file_ref = g_strdup(qdict_get_str(options, "data-file"));
    }
    qdict_del(options, "data-file");
    s->discards = g_array_new(FALSE, FALSE, sizeof(Qcow2Discard));
    s->unknown_exts = g_ptr_array_new_with_free_func(unknown_ext_free);
    s->cluster_cache_offset = UINT64_MAX;
    s->header_clusters = 1;
    ret = open_read_header(bs, &h, errp);
    if (ret < 0) {
        return ret;
    }
    open_set_geometry(s, &h);
    s->cluster_data = g_malloc(s->cluster_size);
    ret = open_read_unknown_fields(bs, &h, errp);
    if (ret >= 0) {
        ret = open_load_l1(bs, errp);
    }
    if (ret >= 0) {
        ret = qcow2_take_options(bs, options, flags, errp);
    }
    if (ret >= 0) {
        ret = qcow2_refcount_init(bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not initialize refcount "
                             "handling");
        }
    }
    if (ret >= 0) {
        ret = read_extensions(bs, h.header_length, ext_area_end(&h), errp);
    }
    if (ret >= 0) {
        ret = read_backing_name(bs, &h, errp);
    }
    if (ret >= 0) {
        ret = open_check_limits(bs, flags, errp);
    }
    if (ret >= 0) {
        ret = qcow2_snapshots_read(bs, errp);
    }
    if (ret >= 0) {
        ret = open_clear_autoclear(bs, flags, errp);
    }
    if (ret >= 0) {
        ret = open_repair_dirty(bs, flags, errp);
    }
    s->opened = ret >= 0;
    return ret;
}

/* ------------------------------------------------------------------ */
/* Image information                                                   */
/* ------------------------------------------------------------------ */

static int64_t qcow2_getlength(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    /* Whole sectors, as 7.2 counts them: a size field of 0x100001 gives
     * a 1 MiB disk, 2^63 and more is too large to address. */
    if (s->size / BDRV_SECTOR_SIZE > INT64_MAX / BDRV_SECTOR_SIZE) {
        return -EFBIG;
    }
    return (int64_t)(s->size / BDRV_SECTOR_SIZE * BDRV_SECTOR_SIZE);
}

static int qcow2_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    BDRVQcow2State *s = bs->opaque;

    bdi->cluster_size = s->cluster_size;
    bdi->vm_state_offset = (int64_t)s->l1_vm_state_index <<
                           (s->cluster_bits + s->l2_bits);
    bdi->is_dirty = s->incompatible_features & QCOW2_INCOMPAT_DIRTY;
    return 0;
}

static QObject *qcow2_get_specific_info(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    QObject *info = qobject_new_dict();
    QObject *data = qobject_new_dict();
    QObject *bitmaps;
    bool ok;

    /* The same members as QEMU 7.2's ImageInfoSpecificQCow2. */
    qdict_put_str(data, "compat", s->qcow_version >= 3 ? "1.1" : "0.10");
    qdict_put_str(data, "compression-type",
                  QCOW2_COMPRESSION_ZSTD == s->compression_type ? "zstd"
                                                                : "zlib");
    qdict_put_int(data, "refcount-bits", s->refcount_bits);
    if (s->qcow_version >= 3) {
        qdict_put_bool(data, "lazy-refcounts",
                       s->compatible_features & QCOW2_COMPAT_LAZY_REFCOUNTS);
        bitmaps = qcow2_bitmaps_get_info(bs, &ok, errp);
        if (!ok) {
            qobject_free(data);
            qobject_free(info);
            return NULL;
        }
        if (bitmaps) {
            qdict_put(data, "bitmaps", bitmaps);
        }
        qdict_put_bool(data, "corrupt",
                       s->incompatible_features & QCOW2_INCOMPAT_CORRUPT);
        qdict_put_bool(data, "extended-l2", qcow2_has_subclusters(s));
        if (s->image_data_file) {
            qdict_put_str(data, "data-file", s->image_data_file);
        }
        if (s->incompatible_features & QCOW2_INCOMPAT_DATA_FILE) {
            qdict_put_bool(data, "data-file-raw", s->autoclear_features &
                           QCOW2_AUTOCLEAR_DATA_FILE_RAW);
        }
    }
    if (s->crypt_method_header) {
        qdict_put(data, "encrypt", qcow2_crypto_get_info(s));
    }
    qdict_put_str(info, "type", "qcow2");
    qdict_put(info, "data", data);
    return info;
}

/*
 * Guest writes, zero writes and discards mark the enabled persistent
 * bitmaps, as 7.2's generic layer marks a node's dirty bitmaps after
 * each such request (whatever its result).
 */
static int qcow2_pwritev_marked(BlockDriverState *bs, int64_t offset,
                                int64_t bytes, QEMUIOVector *qiov,
                                BdrvRequestFlags flags)
{
    int ret = qcow2_pwritev(bs, offset, bytes, qiov, flags);

    qcow2_bitmaps_set_dirty(bs, offset, bytes);
    return ret;
}

/* The VM state area: guest addresses from the first L1 entry past the
 * disk on, written through the normal data path (encrypted likewise). */
static int64_t qcow2_vm_state_offset(const BDRVQcow2State *s)
{
    return (int64_t)s->l1_vm_state_index << (s->cluster_bits + s->l2_bits);
}

static int qcow2_vmstate_rw(BlockDriverState *bs, QEMUIOVector *qiov,
                            int64_t pos, bool write)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t offset = qcow2_vm_state_offset(s);

    if (pos > INT64_MAX - offset - (int64_t)qiov->size) {
        return -EINVAL;
    }
    return write ? qcow2_pwritev(bs, offset + pos, (int64_t)qiov->size,
                                 qiov, 0)
                 : qcow2_preadv(bs, offset + pos, (int64_t)qiov->size,
                                qiov, 0);
}

static int qcow2_load_vmstate(BlockDriverState *bs, QEMUIOVector *qiov,
                              int64_t pos)
{
    return qcow2_vmstate_rw(bs, qiov, pos, false);
}

static int qcow2_save_vmstate(BlockDriverState *bs, QEMUIOVector *qiov,
                              int64_t pos)
{
    return qcow2_vmstate_rw(bs, qiov, pos, true);
}

static int qcow2_pwrite_zeroes_marked(BlockDriverState *bs, int64_t offset,
                                      int64_t bytes, BdrvRequestFlags flags)
{
    int ret = qcow2_pwrite_zeroes(bs, offset, bytes, flags);

    qcow2_bitmaps_set_dirty(bs, offset, bytes);
    return ret;
}

static int qcow2_pdiscard_marked(BlockDriverState *bs, int64_t offset,
                                 int64_t bytes)
{
    int ret = qcow2_pdiscard(bs, offset, bytes);

    qcow2_bitmaps_set_dirty(bs, offset, bytes);
    return ret;
}

static int qcow2_pwritev_compressed_marked(BlockDriverState *bs,
                                           int64_t offset, int64_t bytes,
                                           QEMUIOVector *qiov)
{
    int ret = qcow2_pwritev_compressed(bs, offset, bytes, qiov);

    qcow2_bitmaps_set_dirty(bs, offset, bytes);
    return ret;
}

/* Resizing needs consistent bitmaps, which are resized with the disk. */
static int qcow2_truncate_bitmaps(BlockDriverState *bs, int64_t offset,
                                  bool exact, PreallocMode prealloc,
                                  Error **errp)
{
    int ret = qcow2_bitmaps_truncate_check(bs, errp);

    if (ret >= 0) {
        ret = qcow2_truncate(bs, offset, exact, prealloc, errp);
    }
    if (ret >= 0) {
        qcow2_bitmaps_resize(bs, offset);
    }
    return ret;
}

static bool qcow2_has_zero_init(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    /* Preallocated images have all L2 tables, others none: look at one. */
    bool preallocated = s->l1_size > 0 && s->l1_table[0] != 0;

    if (bs->backing_file) {
        return false;
    }
    if (!preallocated) {
        return true;
    }
    /* Preallocated zeros on disk decrypt to noise. */
    return !bs->encrypted && bdrv_has_zero_init(bs->file->bs);
}

const BlockDriver bdrv_qcow2 = {
    .format_name = "qcow2",
    .instance_size = sizeof(BDRVQcow2State),
    .protects_metadata = true,
    .bdrv_probe = qcow2_probe,
    .bdrv_open = qcow2_open,
    .bdrv_close = qcow2_close,
    .bdrv_preadv = qcow2_preadv,
    .bdrv_pwritev = qcow2_pwritev_marked,
    .bdrv_pwrite_zeroes = qcow2_pwrite_zeroes_marked,
    .bdrv_load_vmstate = qcow2_load_vmstate,
    .bdrv_save_vmstate = qcow2_save_vmstate,
    .bdrv_pdiscard = qcow2_pdiscard_marked,
    .bdrv_flush = qcow2_flush,
    .bdrv_inactivate = qcow2_inactivate,
    .bdrv_block_status = qcow2_block_status,
    .bdrv_getlength = qcow2_getlength,
    .bdrv_truncate = qcow2_truncate_bitmaps,
    .bdrv_get_info = qcow2_get_info,
    .bdrv_get_specific_info = qcow2_get_specific_info,
    .bdrv_has_zero_init = qcow2_has_zero_init,
    .bdrv_create = qcow2_create,
    .create_opts = qcow2_create_opts,
    .bdrv_measure = qcow2_measure,
    .bdrv_check = qcow2_check,
    .bdrv_bitmap_change = qcow2_bitmap_change,
    .bdrv_bitmap_list = qcow2_bitmap_list,
    .bdrv_amend_options = qcow2_amend_options,
    .amend_opts = qcow2_amend_opts,
    .bdrv_change_backing_file = qcow2_change_backing_file,
    .bdrv_make_empty = qcow2_make_empty,
    .bdrv_snapshot_create = qcow2_snapshot_create,
    .bdrv_snapshot_goto = qcow2_snapshot_goto,
    .bdrv_snapshot_delete = qcow2_snapshot_delete,
    .bdrv_snapshot_list = qcow2_snapshot_list,
    .bdrv_snapshot_load_tmp = qcow2_snapshot_load_tmp,
    .bdrv_pwritev_compressed = qcow2_pwritev_compressed_marked,
};
