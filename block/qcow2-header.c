/*
 * qcow2 header: conversion between the on-disk and native forms and the
 * one validation of untrusted header fields (qcow2.txt "Header").
 */
#include "qemu/osdep.h"

#include "block/qcow2.h"
#include "qemu/cutils.h"

/* ------------------------------------------------------------------ */
/* Header encoding                                                     */
/* ------------------------------------------------------------------ */

void qcow2_header_from_disk(const Qcow2HeaderDisk *disk, Qcow2Header *h)
{
    *h = (Qcow2Header) {
        .magic = be32_to_cpu(disk->magic),
        .version = be32_to_cpu(disk->version),
        .backing_file_offset = be64_to_cpu(disk->backing_file_offset),
        .backing_file_size = be32_to_cpu(disk->backing_file_size),
        .cluster_bits = be32_to_cpu(disk->cluster_bits),
        .size = be64_to_cpu(disk->size),
        .crypt_method = be32_to_cpu(disk->crypt_method),
        .l1_size = be32_to_cpu(disk->l1_size),
        .l1_table_offset = be64_to_cpu(disk->l1_table_offset),
        .refcount_table_offset = be64_to_cpu(disk->refcount_table_offset),
        .refcount_table_clusters =
            be32_to_cpu(disk->refcount_table_clusters),
        .nb_snapshots = be32_to_cpu(disk->nb_snapshots),
        .snapshots_offset = be64_to_cpu(disk->snapshots_offset),
    };
    if (h->version < 3) {
        /* "For version 2, the header is exactly 72 bytes in length". */
        h->refcount_order = 4;
        h->header_length = QCOW2_V2_HEADER_LENGTH;
        return;
    }
    h->incompatible_features = be64_to_cpu(disk->incompatible_features);
    h->compatible_features = be64_to_cpu(disk->compatible_features);
    h->autoclear_features = be64_to_cpu(disk->autoclear_features);
    h->refcount_order = be32_to_cpu(disk->refcount_order);
    h->header_length = be32_to_cpu(disk->header_length);
    /* An additional field is absent when header_length does not reach it. */
    if (h->header_length > offsetof(Qcow2HeaderDisk, compression_type)) {
        h->compression_type = disk->compression_type;
    }
}

void qcow2_header_to_disk(const Qcow2Header *h, Qcow2HeaderDisk *disk)
{
    *disk = (Qcow2HeaderDisk) {
        .magic = cpu_to_be32(h->magic),
        .version = cpu_to_be32(h->version),
        .backing_file_offset = cpu_to_be64(h->backing_file_offset),
        .backing_file_size = cpu_to_be32(h->backing_file_size),
        .cluster_bits = cpu_to_be32(h->cluster_bits),
        .size = cpu_to_be64(h->size),
        .crypt_method = cpu_to_be32(h->crypt_method),
        .l1_size = cpu_to_be32(h->l1_size),
        .l1_table_offset = cpu_to_be64(h->l1_table_offset),
        .refcount_table_offset = cpu_to_be64(h->refcount_table_offset),
        .refcount_table_clusters = cpu_to_be32(h->refcount_table_clusters),
        .nb_snapshots = cpu_to_be32(h->nb_snapshots),
        .snapshots_offset = cpu_to_be64(h->snapshots_offset),
        .incompatible_features = cpu_to_be64(h->incompatible_features),
        .compatible_features = cpu_to_be64(h->compatible_features),
        .autoclear_features = cpu_to_be64(h->autoclear_features),
        .refcount_order = cpu_to_be32(h->refcount_order),
        .header_length = cpu_to_be32(h->header_length),
        .compression_type = h->compression_type,
    };
}

/* ------------------------------------------------------------------ */
/* Header checks                                                       */
/* ------------------------------------------------------------------ */

/* A table must fit QEMU's size limit and start on a cluster boundary. */
static int check_table(uint64_t offset, uint64_t entries, uint64_t entry_len,
                       uint64_t max_bytes, uint32_t cluster_size,
                       const char *name, Error **errp)
{
    if (entries > max_bytes / entry_len) {
        error_setg(errp, "%s too large", name);
        return -EFBIG;
    }
    if (INT64_MAX - entries * entry_len < offset ||
        offset & (cluster_size - 1)) {
        error_setg(errp, "%s offset invalid", name);
        return -EINVAL;
    }
    return 0;
}

int qcow2_check_header_basics(const Qcow2Header *h, Error **errp)
{
    if (h->magic != QCOW2_MAGIC) {
        error_setg(errp, "Image is not in qcow2 format");
        return -EINVAL;
    }
    if (h->version < 2 || h->version > 3) {
        error_setg(errp, "Unsupported qcow2 version %" PRIu32, h->version);
        return -ENOTSUP;
    }
    if (h->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
        h->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
        error_setg(errp, "Unsupported cluster size: 2^%" PRIu32,
                   h->cluster_bits);
        return -EINVAL;
    }
    if (h->header_length < QCOW2_V3_MIN_HEADER_LENGTH && h->version >= 3) {
        error_setg(errp, "qcow2 header too short");
        return -EINVAL;
    }
    if (h->header_length > (1u << h->cluster_bits)) {
        error_setg(errp, "qcow2 header exceeds cluster size");
        return -EINVAL;
    }
    /*
     * [qcrypt-img] An inline LUKS header puts the name after cluster 0;
     * for LUKS images read_backing_name() checks it once the header area
     * is known.
     */
    if (h->backing_file_offset > (1u << h->cluster_bits) &&
        QCOW2_CRYPT_LUKS != h->crypt_method) {
        error_setg(errp, "Invalid backing file offset");
        return -EINVAL;
    }
    return 0;
}

static int check_compression_type(const Qcow2Header *h, Error **errp)
{
    bool bit = h->incompatible_features & QCOW2_INCOMPAT_COMPRESSION;

    if (h->compression_type > QCOW2_COMPRESSION_ZSTD) {
        error_setg(errp, "qcow2: unknown compression type: %u",
                   h->compression_type);
        return -ENOTSUP;
    }
    /* The bit must be set exactly when the type is not zlib. */
    if (QCOW2_COMPRESSION_ZLIB == h->compression_type && bit) {
        error_setg(errp, "qcow2: Compression type incompatible feature bit "
                   "must not be set");
        return -EINVAL;
    }
    if (QCOW2_COMPRESSION_ZLIB != h->compression_type && !bit) {
        error_setg(errp, "qcow2: Compression type incompatible feature bit "
                   "must be set");
        return -EINVAL;
    }
    return 0;
}

/*
 * Name the unknown incompatible features @mask as QEMU 7.2 does: names
 * from the feature table (@table, @nb entries) first, then the bits the
 * table does not name as one hex mask.
 */
static void report_unsupported_features(const Qcow2FeatureDisk *table,
                                        size_t nb, uint64_t mask,
                                        Error **errp)
{
    g_autoptr(GString) names = g_string_new(NULL);

    for (size_t i = 0; i < nb && table[i].name[0]; i++) {
        if (table[i].type != QCOW2_FEAT_TYPE_INCOMPATIBLE ||
            table[i].bit > 63 || !(mask & (1ULL << table[i].bit))) {
            continue;
        }
        g_string_append_printf(names, "%s%.46s", names->len ? ", " : "",
                               table[i].name);
        mask &= ~(1ULL << table[i].bit);
    }
    if (mask) {
        g_string_append_printf(names, "%sUnknown incompatible feature: %"
                               PRIx64, names->len ? ", " : "", mask);
    }
    error_setg(errp, "Unsupported qcow2 feature(s): %s", names->str);
}

static int check_features(const Qcow2Header *h,
                          const Qcow2FeatureDisk *table, size_t nb,
                          bool read_write, Error **errp)
{
    uint64_t unknown = h->incompatible_features & ~QCOW2_INCOMPAT_MASK;

    if (unknown) {
        report_unsupported_features(table, nb, unknown, errp);
        return -ENOTSUP;
    }
    if ((h->incompatible_features & QCOW2_INCOMPAT_CORRUPT) && read_write) {
        error_setg(errp, "qcow2: Image is corrupt; cannot be opened "
                   "read/write");
        return -EACCES;
    }
    if ((h->incompatible_features & QCOW2_INCOMPAT_EXTL2) &&
        h->cluster_bits < QCOW2_EXTL2_MIN_CLUSTER_BITS) {
        error_setg(errp, "Unsupported subcluster size: %u",
                   (1u << h->cluster_bits) / QCOW2_EXTL2_SUBCLUSTERS);
        return -EINVAL;
    }
    if (h->refcount_order > 6) {
        error_setg(errp, "Reference count entry width too large; may not "
                   "exceed 64 bits");
        return -EINVAL;
    }
    return 0;
}

static int check_tables(const Qcow2Header *h, Error **errp)
{
    uint32_t cluster_size = 1u << h->cluster_bits;
    int l2_bits = h->cluster_bits -
                  ((h->incompatible_features & QCOW2_INCOMPAT_EXTL2) ? 4 : 3);
    int shift = h->cluster_bits + l2_bits;
    uint64_t l1_needed;
    int ret;

    if (0 == h->refcount_table_clusters) {
        error_setg(errp, "Image does not contain a reference count table");
        return -EINVAL;
    }
    ret = check_table(h->refcount_table_offset, h->refcount_table_clusters,
                      cluster_size, QCOW2_MAX_REFTABLE_SIZE, cluster_size,
                      "Reference count table", errp);
    if (ret >= 0) {
        ret = check_table(h->snapshots_offset, h->nb_snapshots,
                          QCOW2_SNAPSHOT_HEADER_SIZE,
                          (uint64_t)QCOW2_SNAPSHOT_HEADER_SIZE *
                          QCOW2_MAX_SNAPSHOTS, cluster_size,
                          "Snapshot table", errp);
    }
    if (ret >= 0) {
        ret = check_table(h->l1_table_offset, h->l1_size, sizeof(uint64_t),
                          QCOW2_MAX_L1_SIZE, cluster_size, "Active L1 table",
                          errp);
    }
    if (ret < 0) {
        return ret;
    }
    /* Rounded up in wrapping arithmetic, as 7.2 does: sizes within one
     * L2 span of 2^64 wrap to 0 and fail later as "File too large". */
    l1_needed = (h->size + ((1ULL << shift) - 1)) >> shift;
    if (l1_needed > INT_MAX) {
        error_setg(errp, "Image is too big");
        return -EFBIG;
    }
    if (h->l1_size < l1_needed) {
        error_setg(errp, "L1 table is too small");
        return -EINVAL;
    }
    return 0;
}

int qcow2_check_header(const Qcow2Header *h, const Qcow2FeatureDisk *table,
                       size_t nb, bool read_write, Error **errp)
{
    int ret = qcow2_check_header_basics(h, errp);

    /* QEMU 7.2 checks in this order; images with several faults show
     * the same message. */
    if (ret >= 0) {
        ret = check_compression_type(h, errp);
    }
    if (ret >= 0) {
        ret = check_features(h, table, nb, read_write, errp);
    }
    if (ret >= 0) {
        ret = check_tables(h, errp);
    }
    if (ret >= 0 && h->crypt_method > QCOW2_CRYPT_LUKS) {
        error_setg(errp, "Unsupported encryption method %" PRId32,
                   (int32_t)h->crypt_method);
        ret = -EINVAL;
    }
    return ret;
}
