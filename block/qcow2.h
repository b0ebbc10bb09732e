/*
 * qcow2 format driver: on-disk structures and constants (docs/interop/
 * qcow2.txt: "Header", "Header extensions", "Feature name table", "Host
 * cluster management", "Cluster mapping", "Extended L2 Entries"), the
 * driver state, and one prototype section per qcow2-*.c file.
 */
#ifndef BLOCK_QCOW2_H
#define BLOCK_QCOW2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block/block_int.h"
#include "crypto/block.h"
#include "qemu/bswap.h"

/* ------------------------------------------------------------------ */
/* Constants                                                           */
/* ------------------------------------------------------------------ */

#define QCOW2_MAGIC 0x514649fbu                 /* "QFI\xfb" */

#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21               /* QEMU's 2 MiB limit */
#define QCOW2_DEFAULT_CLUSTER_SIZE 65536
/* Extended L2 needs 512-byte subclusters at least: 2^14 clusters. */
#define QCOW2_EXTL2_MIN_CLUSTER_BITS 14
#define QCOW2_EXTL2_SUBCLUSTERS 32

#define QCOW2_V2_HEADER_LENGTH 72
#define QCOW2_V3_MIN_HEADER_LENGTH 104
/* What QEMU 7.2 writes: the v3 fields plus compression_type, padded. */
#define QCOW2_HEADER_LENGTH 112

#define QCOW2_MAX_BACKING_NAME 1023
/* The backing format extension holds at most this many bytes (7.2). */
#define QCOW2_MAX_BACKING_FORMAT 15

/* QEMU's implementation limits (the spec's "Note: qemu ..." lines). */
#define QCOW2_MAX_REFTABLE_SIZE (8 * 1024 * 1024)
#define QCOW2_MAX_L1_SIZE (32 * 1024 * 1024)
#define QCOW2_MAX_SNAPSHOTS 65536
#define QCOW2_SNAPSHOT_HEADER_SIZE 40
#define QCOW2_MAX_BITMAPS 65535
#define QCOW2_MAX_BITMAP_DIRECTORY_SIZE (64 * 1024 * 1024)

/* crypt_method values */
#define QCOW2_CRYPT_NONE 0
#define QCOW2_CRYPT_AES 1
#define QCOW2_CRYPT_LUKS 2

/* incompatible_features bits */
#define QCOW2_INCOMPAT_DIRTY (1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ULL << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ULL << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ULL << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ULL << 4)
#define QCOW2_INCOMPAT_MASK 0x1fULL

/* compatible_features bits */
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ULL << 0)

/* autoclear_features bits */
#define QCOW2_AUTOCLEAR_BITMAPS (1ULL << 0)
#define QCOW2_AUTOCLEAR_DATA_FILE_RAW (1ULL << 1)
/* The autoclear bits whose meaning this driver keeps up to date. */
#define QCOW2_AUTOCLEAR_SUPPORTED \
    (QCOW2_AUTOCLEAR_BITMAPS | QCOW2_AUTOCLEAR_DATA_FILE_RAW)

/* Header extension types */
#define QCOW2_EXT_END 0x00000000u
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau
#define QCOW2_EXT_FEATURE_TABLE 0x6803f857u
#define QCOW2_EXT_BITMAPS 0x23852875u
#define QCOW2_EXT_CRYPTO_HEADER 0x0537be77u
/* [qcrypt-img] LUKS header inline ("LUKS"), docs/specs/qcow2.txt */
#define QCOW2_EXT_LUKS_INLINE 0x4c554b53u
/* Bytes the header area keeps after the inline LUKS data for the rest of
 * the header (extensions, end marker, backing file name). */
#define QCOW2_LUKS_INLINE_TAIL 4096
/* The LUKS1 phdr, the smallest inline extension. */
#define QCOW2_LUKS_PHDR_SIZE 592
#define QCOW2_EXT_DATA_FILE 0x44415441u

/* Feature name table entry types */
#define QCOW2_FEAT_TYPE_INCOMPATIBLE 0
#define QCOW2_FEAT_TYPE_COMPATIBLE 1
#define QCOW2_FEAT_TYPE_AUTOCLEAR 2

/* compression_type values */
#define QCOW2_COMPRESSION_ZLIB 0
#define QCOW2_COMPRESSION_ZSTD 1

/* L1, L2 and refcount table entries */
#define QCOW2_OFLAG_COPIED (1ULL << 63)
#define QCOW2_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW2_OFLAG_ZERO (1ULL << 0)
#define QCOW2_L1E_OFFSET_MASK 0x00fffffffffffe00ULL
#define QCOW2_L1E_RESERVED_MASK 0x7f000000000001ffULL
#define QCOW2_L2E_OFFSET_MASK 0x00fffffffffffe00ULL
#define QCOW2_L2E_RESERVED_MASK 0x3f000000000001feULL
#define QCOW2_REFT_OFFSET_MASK 0xfffffffffffffe00ULL
#define QCOW2_REFT_RESERVED_MASK 0x1ffULL
#define QCOW2_MAX_HOST_OFFSET ((1ULL << 56) - 1)

/* Subcluster allocation bitmap (second half of an extended L2 entry) */
#define QCOW2_L2_BITMAP_ALL_ALLOC 0x00000000ffffffffULL
#define QCOW2_L2_BITMAP_ALL_ZEROES 0xffffffff00000000ULL

/* Default cache sizes and limits, as QEMU 7.2 (qcow2 runtime options). */
#define QCOW2_MIN_L2_CACHE_TABLES 2
#define QCOW2_MIN_REFCOUNT_CACHE_TABLES 4
#define QCOW2_DEFAULT_L2_CACHE_MAX_SIZE (32 * 1024 * 1024)
#define QCOW2_DEFAULT_CACHE_CLEAN_INTERVAL 600

/* ------------------------------------------------------------------ */
/* On-disk structures (all integers big-endian)                        */
/* ------------------------------------------------------------------ */

/* The image header, "Header" section; v2 images end at header_length. */
typedef struct QEMU_PACKED Qcow2HeaderDisk {
    uint32_t magic;                     /* magic, BE: "QFI\xfb" */
    uint32_t version;                   /* version, BE: 2 or 3 */
    uint64_t backing_file_offset;       /* backing_file_offset, BE */
    uint32_t backing_file_size;         /* backing_file_size, BE */
    uint32_t cluster_bits;              /* cluster_bits, BE */
    uint64_t size;                      /* size, BE: virtual bytes */
    uint32_t crypt_method;              /* crypt_method, BE */
    uint32_t l1_size;                   /* l1_size, BE: entries */
    uint64_t l1_table_offset;           /* l1_table_offset, BE */
    uint64_t refcount_table_offset;     /* refcount_table_offset, BE */
    uint32_t refcount_table_clusters;   /* refcount_table_clusters, BE */
    uint32_t nb_snapshots;              /* nb_snapshots, BE */
    uint64_t snapshots_offset;          /* snapshots_offset, BE */
    /* version 3 and later */
    uint64_t incompatible_features;     /* incompatible_features, BE */
    uint64_t compatible_features;       /* compatible_features, BE */
    uint64_t autoclear_features;        /* autoclear_features, BE */
    uint32_t refcount_order;            /* refcount_order, BE */
    uint32_t header_length;             /* header_length, BE */
    /* additional fields */
    uint8_t compression_type;           /* compression_type */
    uint8_t padding[7];                 /* header padding, zero */
} Qcow2HeaderDisk;

_Static_assert(sizeof(Qcow2HeaderDisk) == QCOW2_HEADER_LENGTH,
               "qcow2 header with compression_type is 112 bytes");
_Static_assert(offsetof(Qcow2HeaderDisk, backing_file_offset) == 8,
               "qcow2 backing_file_offset is at byte 8");
_Static_assert(offsetof(Qcow2HeaderDisk, backing_file_size) == 16,
               "qcow2 backing_file_size is at byte 16");
_Static_assert(offsetof(Qcow2HeaderDisk, cluster_bits) == 20,
               "qcow2 cluster_bits is at byte 20");
_Static_assert(offsetof(Qcow2HeaderDisk, size) == 24,
               "qcow2 size is at byte 24");
_Static_assert(offsetof(Qcow2HeaderDisk, crypt_method) == 32,
               "qcow2 crypt_method is at byte 32");
_Static_assert(offsetof(Qcow2HeaderDisk, l1_size) == 36,
               "qcow2 l1_size is at byte 36");
_Static_assert(offsetof(Qcow2HeaderDisk, l1_table_offset) == 40,
               "qcow2 l1_table_offset is at byte 40");
_Static_assert(offsetof(Qcow2HeaderDisk, refcount_table_offset) == 48,
               "qcow2 refcount_table_offset is at byte 48");
_Static_assert(offsetof(Qcow2HeaderDisk, refcount_table_clusters) == 56,
               "qcow2 refcount_table_clusters is at byte 56");
_Static_assert(offsetof(Qcow2HeaderDisk, nb_snapshots) == 60,
               "qcow2 nb_snapshots is at byte 60");
_Static_assert(offsetof(Qcow2HeaderDisk, snapshots_offset) == 64,
               "qcow2 snapshots_offset is at byte 64");
_Static_assert(offsetof(Qcow2HeaderDisk, incompatible_features) ==
               QCOW2_V2_HEADER_LENGTH,
               "qcow2 v2 header is 72 bytes; incompatible_features at 72");
_Static_assert(offsetof(Qcow2HeaderDisk, compatible_features) == 80,
               "qcow2 compatible_features is at byte 80");
_Static_assert(offsetof(Qcow2HeaderDisk, autoclear_features) == 88,
               "qcow2 autoclear_features is at byte 88");
_Static_assert(offsetof(Qcow2HeaderDisk, refcount_order) == 96,
               "qcow2 refcount_order is at byte 96");
_Static_assert(offsetof(Qcow2HeaderDisk, header_length) == 100,
               "qcow2 header_length is at byte 100");
_Static_assert(offsetof(Qcow2HeaderDisk, compression_type) ==
               QCOW2_V3_MIN_HEADER_LENGTH,
               "qcow2 v3 header is at least 104 bytes; compression_type "
               "at 104");

/* The header fields in host order (see qcow2_header_from_disk()). */
typedef struct Qcow2Header {
    uint32_t magic;
    uint32_t version;
    uint64_t backing_file_offset;
    uint32_t backing_file_size;
    uint32_t cluster_bits;
    uint64_t size;
    uint32_t crypt_method;
    uint32_t l1_size;
    uint64_t l1_table_offset;
    uint64_t refcount_table_offset;
    uint32_t refcount_table_clusters;
    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    uint64_t incompatible_features;
    uint64_t compatible_features;
    uint64_t autoclear_features;
    uint32_t refcount_order;
    uint32_t header_length;
    uint8_t compression_type;
} Qcow2Header;

/* Start of every header extension, "Header extensions". */
typedef struct QEMU_PACKED Qcow2ExtHeaderDisk {
    uint32_t magic;                     /* header extension type, BE */
    uint32_t len;                       /* length of the data, BE */
} Qcow2ExtHeaderDisk;

_Static_assert(sizeof(Qcow2ExtHeaderDisk) == 8,
               "qcow2 header extension header is 8 bytes");

/* One entry of the feature name table, "Feature name table". */
typedef struct QEMU_PACKED Qcow2FeatureDisk {
    uint8_t type;                       /* type of feature */
    uint8_t bit;                        /* bit number, 0..63 */
    char name[46];                      /* zero padded, maybe unterminated */
} Qcow2FeatureDisk;

_Static_assert(sizeof(Qcow2FeatureDisk) == 48,
               "qcow2 feature name table entries are 48 bytes");
_Static_assert(offsetof(Qcow2FeatureDisk, name) == 2,
               "qcow2 feature name starts at byte 2");

/* "Full disk encryption header pointer" extension data. */
typedef struct QEMU_PACKED Qcow2CryptoExtDisk {
    uint64_t offset;                    /* header offset, BE, cluster aligned */
    uint64_t length;                    /* written header length, BE */
} Qcow2CryptoExtDisk;

_Static_assert(sizeof(Qcow2CryptoExtDisk) == 16,
               "qcow2 full disk encryption header pointer is 16 bytes");

typedef struct Qcow2CryptoExt {
    uint64_t offset;
    uint64_t length;
} Qcow2CryptoExt;

/* "Bitmaps extension" data. */
typedef struct QEMU_PACKED Qcow2BitmapsExtDisk {
    uint32_t nb_bitmaps;                /* nb_bitmaps, BE, >= 1 */
    uint32_t reserved32;                /* reserved, zero */
    uint64_t bitmap_directory_size;     /* bitmap_directory_size, BE */
    uint64_t bitmap_directory_offset;   /* bitmap_directory_offset, BE */
} Qcow2BitmapsExtDisk;

_Static_assert(sizeof(Qcow2BitmapsExtDisk) == 24,
               "qcow2 bitmaps extension is 24 bytes");
_Static_assert(offsetof(Qcow2BitmapsExtDisk, bitmap_directory_size) == 8,
               "qcow2 bitmap_directory_size is at byte 8");
_Static_assert(offsetof(Qcow2BitmapsExtDisk, bitmap_directory_offset) == 16,
               "qcow2 bitmap_directory_offset is at byte 16");

typedef struct Qcow2BitmapsExt {
    uint32_t nb_bitmaps;
    uint32_t reserved32;
    uint64_t bitmap_directory_size;
    uint64_t bitmap_directory_offset;
} Qcow2BitmapsExt;

/* Start of a bitmap directory entry, "Bitmap directory"; the extra data
 * and the name follow, the whole entry padded to 8 bytes. */
typedef struct QEMU_PACKED Qcow2BitmapDirEntryDisk {
    uint64_t bitmap_table_offset;       /* bitmap_table_offset, BE */
    uint32_t bitmap_table_size;         /* bitmap_table_size, BE: entries */
    uint32_t flags;                     /* flags, BE */
    uint8_t type;                       /* type: 1 dirty tracking bitmap */
    uint8_t granularity_bits;           /* granularity_bits */
    uint16_t name_size;                 /* name_size, BE */
    uint32_t extra_data_size;           /* extra_data_size, BE */
} Qcow2BitmapDirEntryDisk;

_Static_assert(sizeof(Qcow2BitmapDirEntryDisk) == 24,
               "qcow2 bitmap directory entry header is 24 bytes");
_Static_assert(offsetof(Qcow2BitmapDirEntryDisk, flags) == 12,
               "qcow2 bitmap directory entry flags are at byte 12");
_Static_assert(offsetof(Qcow2BitmapDirEntryDisk, name_size) == 18,
               "qcow2 bitmap directory entry name_size is at byte 18");

/* Start of a snapshot table entry, "Snapshot table". */
typedef struct QEMU_PACKED Qcow2SnapshotHeaderDisk {
    uint64_t l1_table_offset;           /* l1_table_offset, BE */
    uint32_t l1_size;                   /* l1_size, BE: entries */
    uint16_t id_str_size;               /* id_str_size, BE */
    uint16_t name_size;                 /* name_size, BE */
    uint32_t date_sec;                  /* date_sec, BE */
    uint32_t date_nsec;                 /* date_nsec, BE */
    uint64_t vm_clock_nsec;             /* vm_clock_nsec, BE */
    uint32_t vm_state_size;             /* vm_state_size, BE */
    uint32_t extra_data_size;           /* extra_data_size, BE */
} Qcow2SnapshotHeaderDisk;

_Static_assert(sizeof(Qcow2SnapshotHeaderDisk) == QCOW2_SNAPSHOT_HEADER_SIZE,
               "qcow2 snapshot table entry header is 40 bytes");
_Static_assert(offsetof(Qcow2SnapshotHeaderDisk, date_sec) == 16,
               "qcow2 snapshot date_sec is at byte 16");
_Static_assert(offsetof(Qcow2SnapshotHeaderDisk, extra_data_size) == 36,
               "qcow2 snapshot extra_data_size is at byte 36");

/* The extra data of a snapshot table entry QEMU 7.2 writes (24 bytes). */
typedef struct QEMU_PACKED Qcow2SnapshotExtraDisk {
    uint64_t vm_state_size_large;       /* vm_state_size_large, BE */
    uint64_t disk_size;                 /* virtual disk size, BE */
    uint64_t icount;                    /* icount, BE; -1: none */
} Qcow2SnapshotExtraDisk;

_Static_assert(sizeof(Qcow2SnapshotExtraDisk) == 24,
               "qcow2 snapshot extra data known to QEMU 7.2 is 24 bytes");
_Static_assert(offsetof(Qcow2SnapshotExtraDisk, disk_size) == 8,
               "qcow2 snapshot disk_size is at extra data byte 8");

/* ------------------------------------------------------------------ */
/* In-memory state                                                     */
/* ------------------------------------------------------------------ */

typedef struct Qcow2Cache Qcow2Cache;

/* A header extension this driver does not know, kept for rewrites. */
typedef struct Qcow2UnknownExt {
    uint32_t magic;
    uint32_t len;
    uint8_t *data;
} Qcow2UnknownExt;

/* Why clusters are freed; each reason may pass discards to the file. */
typedef enum Qcow2DiscardType {
    QCOW2_DISCARD_NEVER,
    QCOW2_DISCARD_ALWAYS,
    QCOW2_DISCARD_REQUEST,
    QCOW2_DISCARD_SNAPSHOT,
    QCOW2_DISCARD_OTHER,
    QCOW2_DISCARD_MAX,
} Qcow2DiscardType;

/* What an L2 entry describes, "Cluster mapping". */
typedef enum Qcow2ClusterType {
    QCOW2_CLUSTER_UNALLOCATED,
    QCOW2_CLUSTER_ZERO_PLAIN,           /* zero flag, no host cluster */
    QCOW2_CLUSTER_ZERO_ALLOC,           /* zero flag, host cluster kept */
    QCOW2_CLUSTER_NORMAL,
    QCOW2_CLUSTER_COMPRESSED,
} Qcow2ClusterType;

/* What one subcluster (the whole cluster without extended L2) holds. */
typedef enum Qcow2SubclusterType {
    QCOW2_SUBCLUSTER_UNALLOCATED_PLAIN, /* read through, no host cluster */
    QCOW2_SUBCLUSTER_UNALLOCATED_ALLOC, /* read through, host cluster set */
    QCOW2_SUBCLUSTER_ZERO_PLAIN,
    QCOW2_SUBCLUSTER_ZERO_ALLOC,
    QCOW2_SUBCLUSTER_NORMAL,
    QCOW2_SUBCLUSTER_COMPRESSED,
    QCOW2_SUBCLUSTER_INVALID,
} Qcow2SubclusterType;

/* A host range whose clusters were freed and may be discarded. */
typedef struct Qcow2Discard {
    uint64_t offset;
    uint64_t bytes;
} Qcow2Discard;

typedef struct BDRVQcow2State {
    /* Geometry */
    int cluster_bits;
    uint32_t cluster_size;
    int subcluster_bits;
    uint32_t subcluster_size;
    int subclusters_per_cluster;
    int l2_bits;                        /* log2 of entries per L2 table */
    uint32_t l2_size;                   /* entries per L2 table */
    uint32_t l2_entry_size;             /* 8, or 16 with extended L2 */
    uint64_t size;                      /* virtual disk size in bytes */

    /* Header */
    int qcow_version;
    uint64_t incompatible_features;
    uint64_t compatible_features;
    uint64_t autoclear_features;
    uint8_t compression_type;
    uint32_t unknown_header_fields_size;
    uint8_t *unknown_header_fields;     /* header bytes after byte 112 */
    GPtrArray *unknown_exts;            /* Qcow2UnknownExt, in file order */
    char *image_data_file;              /* data file name extension */
    /* Where guest data clusters live: bs->file, or the external data
     * file of an image with QCOW2_INCOMPAT_DATA_FILE (its own child). */
    BdrvChild *data_file;
    bool signaled_corruption;           /* the corruption line was printed */
    QObject *data_file_opts;            /* "data-file.*" until opened */
    char *data_file_ref;                /* "data-file" as a node name */
    bool has_bitmaps_ext;
    Qcow2BitmapsExt bitmaps_ext;
    uint32_t nb_snapshots;
    uint64_t snapshots_offset;

    /* Encryption (not wired yet: the seam for the next milestone) */
    uint32_t crypt_method_header;
    Qcow2CryptoExt crypto_header;       /* offset 0: no extension */
    /* Inline LUKS extension: offset of its data, length 0 when absent. */
    Qcow2CryptoExt luks_inline;
    /* Moving the LUKS header inline: its bytes in cluster 0, which the
     * header write that switches to the inline layout writes with it */
    uint8_t *luks_inline_stash;
    uint64_t header_clusters;           /* clusters 0..n-1 hold the header */
    QCryptoBlock *crypto;               /* NULL: data is plain */
    QCryptoBlockOpenOptions crypto_opts;

    /* Active L1 table, host order */
    uint32_t l1_size;
    uint64_t l1_table_offset;
    uint64_t *l1_table;
    uint64_t l1_vm_state_index;         /* first L1 entry past the disk */

    /* Refcounts */
    int refcount_order;
    int refcount_bits;
    uint64_t refcount_max;
    int refcount_block_bits;            /* log2 of entries per refblock */
    uint32_t refcount_block_size;       /* entries per refcount block */
    uint64_t refcount_table_offset;
    uint32_t refcount_table_size;       /* entries */
    uint64_t *refcount_table;           /* host order */
    uint32_t max_refcount_table_index;  /* last non-zero entry */
    uint64_t free_cluster_index;        /* where allocation scans start */
    uint64_t free_byte_offset;          /* compressed data goes on here */

    /* Caches */
    Qcow2Cache *l2_table_cache;
    Qcow2Cache *refcount_block_cache;

    /* Runtime options */
    bool opened;                        /* open completed: close writes */
    int flags;                          /* BDRV_O_* */
    bool no_flush;                      /* creating: skip file flushes */
    bool use_lazy_refcounts;
    bool discard_passthrough[QCOW2_DISCARD_MAX];
    GArray *discards;                   /* Qcow2Discard, pending */

    /* Compressed cluster reads */
    uint8_t *cluster_data;              /* one decompressed cluster */
    uint64_t cluster_cache_offset;      /* its descriptor, or UINT64_MAX */

    /* Persistent dirty bitmaps (qcow2-bitmap.c), Qcow2Bitmap */
    GPtrArray *bitmaps;
    bool bitmaps_ext_stale;             /* extension without autoclear bit */

    /* Internal snapshots (qcow2-snapshot.c), nb_snapshots entries */
    struct Qcow2Snapshot *snapshots;
    uint64_t snapshots_size;            /* bytes of the table on disk */
} BDRVQcow2State;

/* ------------------------------------------------------------------ */
/* Small geometry helpers                                              */
/* ------------------------------------------------------------------ */

static inline uint64_t qcow2_offset_into_cluster(const BDRVQcow2State *s,
                                                 uint64_t offset)
{
    return offset & (s->cluster_size - 1);
}

static inline uint64_t qcow2_start_of_cluster(const BDRVQcow2State *s,
                                              uint64_t offset)
{
    return offset & ~(uint64_t)(s->cluster_size - 1);
}

static inline uint64_t qcow2_size_to_clusters(const BDRVQcow2State *s,
                                              uint64_t size)
{
    return (size + (s->cluster_size - 1)) >> s->cluster_bits;
}

static inline uint64_t qcow2_offset_to_l1_index(const BDRVQcow2State *s,
                                                uint64_t offset)
{
    return offset >> (s->l2_bits + s->cluster_bits);
}

static inline int qcow2_offset_to_l2_index(const BDRVQcow2State *s,
                                           uint64_t offset)
{
    return (offset >> s->cluster_bits) & (s->l2_size - 1);
}

static inline int qcow2_offset_to_sc_index(const BDRVQcow2State *s,
                                           uint64_t offset)
{
    return (offset >> s->subcluster_bits) & (s->subclusters_per_cluster - 1);
}

/* Number of L1 entries needed to map @size guest bytes. */
static inline uint64_t qcow2_size_to_l1(const BDRVQcow2State *s,
                                        uint64_t size)
{
    int shift = s->cluster_bits + s->l2_bits;

    return (size + (1ULL << shift) - 1) >> shift;
}

static inline bool qcow2_has_subclusters(const BDRVQcow2State *s)
{
    return s->incompatible_features & QCOW2_INCOMPAT_EXTL2;
}

/*
 * Guest data in an external data file: a data cluster's host offset is
 * its guest offset there, and data clusters have no refcounts.
 */
static inline bool qcow2_has_data_file(const BDRVQcow2State *s)
{
    return s->incompatible_features & QCOW2_INCOMPAT_DATA_FILE;
}

/* The external data file is a valid raw image of the disk. */
static inline bool qcow2_data_file_is_raw(const BDRVQcow2State *s)
{
    return s->autoclear_features & QCOW2_AUTOCLEAR_DATA_FILE_RAW;
}

/* Whether refcounts on disk must be exact at all times. */
/* Set @s's refcount order and the fields derived from it. */
void qcow2_set_refcount_order(BDRVQcow2State *s, int order);

static inline bool qcow2_need_accurate_refcounts(const BDRVQcow2State *s)
{
    return !(s->incompatible_features & QCOW2_INCOMPAT_DIRTY);
}

/* L2 entries, read from and written to an L2 table in its disk form. */
static inline uint64_t qcow2_l2_get_entry(const BDRVQcow2State *s,
                                          const uint64_t *l2, int index)
{
    return be64_to_cpu(l2[(size_t)index * (s->l2_entry_size / 8)]);
}

static inline uint64_t qcow2_l2_get_bitmap(const BDRVQcow2State *s,
                                           const uint64_t *l2, int index)
{
    if (!qcow2_has_subclusters(s)) {
        return 0;
    }
    return be64_to_cpu(l2[(size_t)index * 2 + 1]);
}

static inline void qcow2_l2_set_entry(const BDRVQcow2State *s, uint64_t *l2,
                                      int index, uint64_t entry)
{
    l2[(size_t)index * (s->l2_entry_size / 8)] = cpu_to_be64(entry);
}

static inline void qcow2_l2_set_bitmap(const BDRVQcow2State *s, uint64_t *l2,
                                       int index, uint64_t bitmap)
{
    assert(qcow2_has_subclusters(s));
    l2[(size_t)index * 2 + 1] = cpu_to_be64(bitmap);
}

/* Allocation bits of subclusters [@from, @to) in an L2 bitmap. */
static inline uint64_t qcow2_sc_alloc_range(int from, int to)
{
    assert(0 <= from && from <= to && to <= QCOW2_EXTL2_SUBCLUSTERS);
    if (from == to) {
        return 0;
    }
    return (((uint64_t)1 << (to - from)) - 1) << from;
}

/* Zero bits of subclusters [@from, @to) in an L2 bitmap. */
static inline uint64_t qcow2_sc_zero_range(int from, int to)
{
    return qcow2_sc_alloc_range(from, to) << 32;
}

/* ------------------------------------------------------------------ */
/* qcow2.c: header, extensions, open/close, image information          */
/* ------------------------------------------------------------------ */

/*
 * qcow2_header_from_disk:
 * @disk: the first 112 bytes of the image
 * @h: receives the fields in host order
 *
 * Fields a v2 header does not have get the values the spec implies for
 * v2 (refcount_order 4, header_length 72, no features); compression_type
 * is zlib unless header_length covers byte 104.
 */
void qcow2_header_from_disk(const Qcow2HeaderDisk *disk, Qcow2Header *h);

/*
 * qcow2_header_to_disk:
 * @h: header fields in host order
 * @disk: receives the disk form (padding zeroed)
 */
void qcow2_header_to_disk(const Qcow2Header *h, Qcow2HeaderDisk *disk);

/*
 * qcow2_check_header:
 * @h: a decoded header
 * @table: the image's feature name table (@nb entries), or NULL; only
 *         used to name unknown incompatible features
 * @read_write: the image is being opened for writing (refused when the
 *              corrupt bit is set)
 * @errp: QEMU 7.2's open error ("Unsupported qcow2 version 4", "Unsupported
 *        qcow2 feature(s): ...", "L1 table is too small", ...)
 *
 * Check every header field, in the order QEMU 7.2 checks them: magic,
 * version, sizes, compression type, feature bits, refcount width, the
 * refcount, snapshot and L1 tables, encryption method.
 * Returns: 0, or -errno.
 */
int qcow2_check_header(const Qcow2Header *h, const Qcow2FeatureDisk *table,
                       size_t nb, bool read_write, Error **errp);

/*
 * qcow2_check_header_basics:
 * @h: a decoded header
 * @errp: magic, version, cluster size and header length errors
 *
 * The first checks of qcow2_check_header(), which must pass before the
 * feature name table can be located and read.
 * Returns: 0, or -errno.
 */
int qcow2_check_header_basics(const Qcow2Header *h, Error **errp);

/*
 * qcow2_update_header:
 * @bs: an open, writable qcow2 node
 *
 * Rewrite cluster 0 from the in-memory state: header fields, header
 * extensions in QEMU 7.2's order (backing format, data file, encryption
 * header pointer, feature table, bitmaps, unknown ones), end marker and
 * backing file name.
 * Returns: 0, or -errno (-ENOSPC when it does not fit in a cluster).
 */
int qcow2_update_header(BlockDriverState *bs);

/* qcow2_header_ext_start: Returns: where the header extensions start. */
uint64_t qcow2_header_ext_start(const BDRVQcow2State *s);

/* qcow2_mark_dirty: set the dirty bit on disk (lazy refcounts). */
int qcow2_mark_dirty(BlockDriverState *bs);

/* qcow2_mark_clean: flush caches and clear the dirty bit on disk. */
int qcow2_mark_clean(BlockDriverState *bs);

/* qcow2_file_flush: flush bs->file (unless s->no_flush).  Returns: 0,
 * or -errno. */
int qcow2_file_flush(BlockDriverState *bs);

/* qcow2_pwrite_sync: write metadata to bs->file and flush it.  Returns:
 * 0, or -errno. */
int qcow2_pwrite_sync(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      const void *buf);

/*
 * qcow2_signal_corruption:
 * @bs: the node whose metadata is inconsistent
 * @fmt: what was found, in 7.2's words, or NULL when the caller reported it
 *
 * Set the corrupt bit (when the image is writable) so that no further
 * writes can make things worse, and say so on stderr once, as QEMU 7.2
 * does ("qcow2: Marking image as corrupt: ...", or "qcow2: Image is
 * corrupt: ..." when the image is only read).
 * Returns: -EIO, for the caller to pass up.
 */
int qcow2_signal_corruption(BlockDriverState *bs, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/*
 * qcow2_take_options (qcow2-options.c):
 * @options: the node's options; the ones qcow2 consumes are removed
 * @flags: BDRV_O_* of the open
 * Parse, check against the header and apply the runtime options.
 * Returns: 0, or -errno with @errp set.
 */
int qcow2_take_options(BlockDriverState *bs, QObject *options, int flags,
                       Error **errp);

/* ------------------------------------------------------------------ */
/* qcow2-cache.c: L2 table and refcount block caches                   */
/* ------------------------------------------------------------------ */

/*
 * qcow2_cache_new:
 * @nb_tables: number of cluster-sized tables kept (at least 1)
 * @table_size: bytes per table (the cluster size)
 * Returns: a new empty cache (free with qcow2_cache_free()).
 */
Qcow2Cache *qcow2_cache_new(int nb_tables, size_t table_size);

/* qcow2_cache_free: free @c (or NULL) without writing anything. */
void qcow2_cache_free(Qcow2Cache *c);

/*
 * qcow2_cache_get:
 * @bs: the qcow2 node (tables live in bs->file)
 * @c: a cache
 * @offset: host offset of the table (cluster aligned)
 * @table: receives the table, in its disk byte order
 *
 * Load the table unless cached; the caller holds a reference until
 * qcow2_cache_put().  May write back an older dirty table to make room.
 * Returns: 0, or -errno.
 */
int qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                    void **table);

/* qcow2_cache_get_empty: as qcow2_cache_get() without reading the disk
 * (the caller fills the table). */
int qcow2_cache_get_empty(BlockDriverState *bs, Qcow2Cache *c,
                          uint64_t offset, void **table);

/* qcow2_cache_put: drop the reference qcow2_cache_get() gave; NULLs it. */
void qcow2_cache_put(Qcow2Cache *c, void **table);

/* qcow2_cache_entry_mark_dirty: @table must be written back. */
void qcow2_cache_entry_mark_dirty(Qcow2Cache *c, void *table);

/*
 * qcow2_cache_set_dependency:
 * Make @c write @dependency back before any of its own tables (refcount
 * blocks before the L2 tables that rely on them, and the reverse when
 * refcounts drop).  A dependency in the other direction is flushed first.
 * Returns: 0, or -errno.
 */
int qcow2_cache_set_dependency(BlockDriverState *bs, Qcow2Cache *c,
                               Qcow2Cache *dependency);

/* qcow2_cache_depends_on_flush: flush bs->file before the next write. */
void qcow2_cache_depends_on_flush(Qcow2Cache *c);

/* qcow2_cache_write: write back every dirty table.  Returns: 0, -errno. */
int qcow2_cache_write(BlockDriverState *bs, Qcow2Cache *c);

/* qcow2_cache_flush: qcow2_cache_write() then flush bs->file. */
int qcow2_cache_flush(BlockDriverState *bs, Qcow2Cache *c);

/* qcow2_cache_empty: write back and forget every table.  Returns: 0,
 * -errno (-EBUSY if a table is still referenced). */
int qcow2_cache_empty(BlockDriverState *bs, Qcow2Cache *c);

/* qcow2_cache_discard_offset: forget the table at @offset, if cached,
 * without writing it (its cluster was freed). */
void qcow2_cache_discard_offset(Qcow2Cache *c, uint64_t offset);

/* qcow2_cache_is_cached: Returns: whether the table at @offset is held. */
bool qcow2_cache_is_cached(const Qcow2Cache *c, uint64_t offset);

/* The cache runtime options (cache-size, l2-cache-size, ...). */
typedef struct Qcow2CacheOptions {
    bool has_cache_size;
    uint64_t cache_size;
    bool has_l2_cache_size;
    uint64_t l2_cache_size;
    bool has_l2_cache_entry_size;
    uint64_t l2_cache_entry_size;
    bool has_refcount_cache_size;
    uint64_t refcount_cache_size;
    bool has_cache_clean_interval;
    uint64_t cache_clean_interval;
} Qcow2CacheOptions;

/* Their descriptors, filling a Qcow2CacheOptions. */
extern const QOptDesc qcow2_cache_opts[];

/*
 * qcow2_cache_create_all:
 * @s: a state whose geometry and virtual size are set
 * @o: the cache options given
 * @errp: QEMU 7.2's messages ("l2-cache-size may not exceed cache-size")
 *
 * Size both caches as QEMU 7.2 does (by default an L2 cache covering
 * the disk up to 32 MiB, four refcount blocks) and create them.  Tables
 * are cached whole; an L2 budget given in smaller entries buys as many
 * whole tables as its bytes allow, two at least.
 * Returns: 0, or -errno.
 */
int qcow2_cache_create_all(BDRVQcow2State *s, const Qcow2CacheOptions *o,
                           Error **errp);

/* ------------------------------------------------------------------ */
/* qcow2-refcount.c: refcount table and blocks, cluster allocation     */
/* ------------------------------------------------------------------ */

/*
 * qcow2_refcount_init:
 * @bs: a node whose refcount geometry and table location are set
 * Read the refcount table.  Returns: 0, or -errno.
 */
int qcow2_refcount_init(BlockDriverState *bs);

/* qcow2_refcount_close: free the refcount table. */
void qcow2_refcount_close(BlockDriverState *bs);

/*
 * qcow2_refblock_get / qcow2_refblock_set:
 * @block: a refcount block (or any array of entries) in disk form
 * @index: entry number
 * @order: refcount_order (entry width 1 << @order bits, 0..6)
 *
 * Sub-byte widths pack from the least significant bit, wider ones are
 * big-endian ("Host cluster management").  A value must fit (asserted).
 */
uint64_t qcow2_refblock_get(const void *block, uint64_t index, int order);
void qcow2_refblock_set(void *block, uint64_t index, int order,
                        uint64_t value);

/*
 * qcow2_get_refcount:
 * @cluster_index: host offset >> cluster_bits
 * @refcount: receives the refcount (0 beyond the refcount table)
 * Returns: 0, or -errno.
 */
int qcow2_get_refcount(BlockDriverState *bs, uint64_t cluster_index,
                       uint64_t *refcount);

/*
 * qcow2_update_refcount:
 * @offset, @length: host byte range; every cluster it touches changes
 * @addend: how much to add
 * @decrease: subtract @addend instead
 * @type: why, for discard pass-through when a refcount drops to 0
 *
 * Refcount blocks are allocated on demand.  On failure the changes made
 * so far are undone.
 * Returns: 0, -EAGAIN if new refcount metadata may have taken clusters
 * the caller believed free (retry the allocation), or -errno.
 */
int qcow2_update_refcount(BlockDriverState *bs, uint64_t offset,
                          uint64_t length, uint64_t addend, bool decrease,
                          Qcow2DiscardType type);

/*
 * qcow2_alloc_clusters:
 * @size: bytes; rounded up to whole clusters, allocated contiguously
 * Returns: the host offset of the first cluster (refcounts now 1), or
 * -errno.
 */
int64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t size);

/*
 * qcow2_alloc_clusters_at:
 * @offset: a cluster-aligned host offset
 * @nb_clusters: how many clusters are wanted there
 * Returns: how many consecutive clusters from @offset were free and are
 * now allocated (possibly 0), or -errno.
 */
int64_t qcow2_alloc_clusters_at(BlockDriverState *bs, uint64_t offset,
                                int64_t nb_clusters);

/* qcow2_free_clusters: drop one reference on each cluster of the range
 * (errors leave a leak, never corruption). */
void qcow2_free_clusters(BlockDriverState *bs, uint64_t offset,
                         uint64_t size, Qcow2DiscardType type);

/* qcow2_free_any_cluster: free what an L2 entry points to (normal, zero
 * with a host cluster, or the sectors of a compressed cluster). */
void qcow2_free_any_cluster(BlockDriverState *bs, uint64_t l2_entry,
                            Qcow2DiscardType type);

/*
 * qcow2_refcount_metadata_size:
 * @clusters: clusters the refcount structures must cover (themselves
 *            not included)
 * @generous_increase: leave room to grow by half again
 * @refblock_count: receives the number of refcount blocks, or NULL
 *
 * The fixed point of "refcount blocks and table clusters that cover
 * @clusters plus themselves", as QEMU computes it.
 * Returns: the bytes of refcount metadata.
 */
int64_t qcow2_refcount_metadata_size(int64_t clusters, size_t cluster_size,
                                     int refcount_order,
                                     bool generous_increase,
                                     uint64_t *refblock_count);

/*
 * qcow2_refcount_area:
 * @start_offset: cluster-aligned host offset where new refcount blocks
 *                and the new refcount table go (free space up to EOF)
 * @additional_clusters: clusters past @start_offset to cover as well
 * @exact_size: size the table exactly instead of with room to grow
 * @new_refblock_index, @new_refblock_offset: a refcount block already
 *                written that the new table must point to (offset 0:
 *                none)
 *
 * Build a refcount table covering the image up to @start_offset plus
 * the new structures plus @additional_clusters, switch the header to it
 * and free the old table.
 * Returns: the host offset just past the new structures, or -errno.
 */
int64_t qcow2_refcount_area(BlockDriverState *bs, uint64_t start_offset,
                            uint64_t additional_clusters, bool exact_size,
                            int new_refblock_index,
                            uint64_t new_refblock_offset);

/* qcow2_process_discards: pass queued discards to the file (after the
 * metadata that freed them is on disk), or drop them if @ret < 0. */
void qcow2_process_discards(BlockDriverState *bs, int ret);

/* qcow2_shrink_reftable: drop refcount blocks that count nothing but
 * themselves.  Returns: 0, or -errno. */
int qcow2_shrink_reftable(BlockDriverState *bs);

/* qcow2_get_last_cluster: Returns: the index of the last cluster below
 * @size with a non-zero refcount, or -errno. */
int64_t qcow2_get_last_cluster(BlockDriverState *bs, int64_t size);

/* ------------------------------------------------------------------ */
/* qcow2-cluster.c: L1/L2 mapping, allocation, zero and discard        */
/* ------------------------------------------------------------------ */

/*
 * A write range and the host clusters it goes to, as planned by
 * qcow2_alloc_host_offset(): the data lands at @host_offset; when
 * @needs_link the L2 entries of @nb_clusters clusters from the one
 * containing @guest_offset must be updated after the data (and the
 * copy-on-write regions around it) are written.
 */
typedef struct Qcow2WriteRun {
    uint64_t guest_offset;              /* first byte written */
    uint64_t bytes;                     /* bytes written in this run */
    uint64_t host_offset;               /* where guest_offset lands */
    bool needs_link;                    /* L2 entries change */
    bool keep_old;                      /* the clusters stay where they are */
    int nb_clusters;
    uint64_t alloc_offset;              /* host offset of the first cluster */
    /* Copy-on-write regions, relative to the first cluster's start. */
    uint64_t cow_start_offset;
    uint64_t cow_start_bytes;
    uint64_t cow_end_offset;
    uint64_t cow_end_bytes;
    bool prealloc;                      /* leave subclusters unallocated */
} Qcow2WriteRun;

/* qcow2_get_cluster_type: Returns: what @l2_entry maps. */
Qcow2ClusterType qcow2_get_cluster_type(const BDRVQcow2State *s,
                                        uint64_t l2_entry);

/* qcow2_get_subcluster_type: Returns: what subcluster @sc_index holds
 * (QCOW2_SUBCLUSTER_INVALID for contradictory entries). */
Qcow2SubclusterType qcow2_get_subcluster_type(const BDRVQcow2State *s,
                                              uint64_t l2_entry,
                                              uint64_t l2_bitmap,
                                              int sc_index);

/*
 * qcow2_get_host_offset:
 * @offset: guest offset
 * @bytes: in: bytes wanted; out: bytes from @offset that share the
 *         returned type and (when there is one) a contiguous host range
 * @host_offset: receives the host offset of @offset (for compressed
 *               clusters: the L2 entry), or 0
 * @type: receives the subcluster type
 * Returns: 0, or -errno (-EIO on corrupt entries).
 */
int qcow2_get_host_offset(BlockDriverState *bs, uint64_t offset,
                          uint64_t *bytes, uint64_t *host_offset,
                          Qcow2SubclusterType *type);

/*
 * qcow2_parse_compressed_entry:
 * @l2_entry: a compressed cluster descriptor
 * @coffset: receives the host byte offset of the compressed data
 * @csize: receives the number of bytes that may hold it
 */
void qcow2_parse_compressed_entry(const BDRVQcow2State *s, uint64_t l2_entry,
                                  uint64_t *coffset, uint64_t *csize);

/*
 * qcow2_alloc_host_offset:
 * @offset: guest offset of the write
 * @bytes: in: bytes to write; out: bytes covered by @run (one L2 table
 *         at most, contiguous on the host)
 * @hint: host offset where new clusters should go to continue the
 *        previous run, or 0
 * @run: receives the plan (see Qcow2WriteRun)
 *
 * Find where a write goes, allocating L2 tables and new host clusters
 * (refcounts already 1) when the clusters are not exclusively owned.
 * Returns: 0, or -errno.
 */
int qcow2_alloc_host_offset(BlockDriverState *bs, uint64_t offset,
                            uint64_t *bytes, uint64_t hint,
                            Qcow2WriteRun *run);

/*
 * qcow2_link_l2:
 * @run: a plan from qcow2_alloc_host_offset() whose data is written
 *
 * Point the L2 entries at the new clusters (setting COPIED and, with
 * extended L2, the written subclusters' allocation bits) and free the
 * clusters they replace.
 * Returns: 0, or -errno.
 */
int qcow2_link_l2(BlockDriverState *bs, const Qcow2WriteRun *run);

/*
 * qcow2_prepare_compressed:
 * @offset: guest offset of a cluster about to be written compressed
 * Give it an L2 table of its own (before its data is placed, as QEMU
 * orders it).  Returns: 0, -EIO if it has a host cluster (compression
 * never replaces one), or -errno.
 */
int qcow2_prepare_compressed(BlockDriverState *bs, uint64_t offset);

/*
 * qcow2_link_compressed:
 * @offset: guest offset of a cluster that has no host cluster
 * @l2_entry: its compressed cluster descriptor (data already written)
 * Returns: 0, -EIO if the cluster got a host cluster meanwhile, -errno.
 */
int qcow2_link_compressed(BlockDriverState *bs, uint64_t offset,
                          uint64_t l2_entry);

/* qcow2_write_l1_entry: write the L1 entry @l1_index from memory to
 * disk.  Returns: 0, or -errno. */
int qcow2_write_l1_entry(BlockDriverState *bs, int l1_index);

/*
 * qcow2_grow_l1_table:
 * @min_size: entries needed
 * @exact_size: use exactly @min_size, else grow by half
 * Move the L1 table to a larger new one.  Returns: 0, or -errno.
 */
int qcow2_grow_l1_table(BlockDriverState *bs, uint64_t min_size,
                        bool exact_size);

/* qcow2_shrink_l1_table: free the L2 tables of entries from
 * @new_l1_size on (the table keeps its size).  Returns: 0, or -errno. */
int qcow2_shrink_l1_table(BlockDriverState *bs, uint64_t new_l1_size);

/*
 * qcow2_subcluster_zeroize:
 * @offset, @bytes: subcluster aligned (the end may be the disk's end)
 * @flags: BDRV_REQ_MAY_UNMAP to free host clusters too
 * Make the range read as zeros with zero flags or zero bitmaps (v3), or
 * by freeing the clusters (v2 without a backing file).
 * Returns: 0, -ENOTSUP (v2 with a backing file, or compressed
 * subclusters), or -errno.
 */
int qcow2_subcluster_zeroize(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes, int flags);

/*
 * qcow2_cluster_discard:
 * @offset, @bytes: cluster aligned (the end may be the disk's end)
 * @type: reason, for discard pass-through
 * @full_discard: leave the clusters unallocated (backing data shows
 *                through) instead of reading as zeros
 * Returns: 0, or -errno.
 */
int qcow2_cluster_discard(BlockDriverState *bs, uint64_t offset,
                          uint64_t bytes, Qcow2DiscardType type,
                          bool full_discard);

/* ------------------------------------------------------------------ */
/* qcow2-io.c: guest data path                                         */
/* ------------------------------------------------------------------ */

/* qcow2_preadv: BlockDriver.bdrv_preadv (also reads copy-on-write
 * regions).  Returns: 0, or -errno. */
int qcow2_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                 QEMUIOVector *qiov, BdrvRequestFlags flags);

/* qcow2_pwritev: BlockDriver.bdrv_pwritev.  Returns: 0, or -errno. */
int qcow2_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                  QEMUIOVector *qiov, BdrvRequestFlags flags);

/* qcow2_pwrite_zeroes: BlockDriver.bdrv_pwrite_zeroes; any alignment.
 * Returns: 0, -ENOTSUP (v2 with a backing file: write zeros), -errno. */
int qcow2_pwrite_zeroes(BlockDriverState *bs, int64_t offset, int64_t bytes,
                        BdrvRequestFlags flags);

/* qcow2_pdiscard: BlockDriver.bdrv_pdiscard; partial clusters stay as
 * they are.  Returns: 0, or -errno. */
int qcow2_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes);

/* qcow2_block_status: BlockDriver.bdrv_block_status, with the host
 * offset in bs->file for unencrypted mapped clusters.  Returns: the
 * BDRV_BLOCK_* bits, or -errno. */
int qcow2_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes,
                       int64_t *pnum, int64_t *map, BlockDriverState **file);

/*
 * qcow2_write_run:
 * @run: a plan from qcow2_alloc_host_offset() (or built by preallocation)
 * @data: the guest data of the run, or NULL to write only the
 *        copy-on-write regions (preallocation)
 *
 * Write the data and copy-on-write regions as one host write, then
 * update the L2 entries if the plan says so.
 * Returns: 0, or -errno.
 */
int qcow2_write_run(BlockDriverState *bs, Qcow2WriteRun *run,
                    QEMUIOVector *data);

/*
 * qcow2_preallocate_range:
 * Allocate host clusters and L2 entries for [@offset, @offset + @bytes)
 * without writing data, as preallocation=metadata does.
 * Returns: the host offset after the last guest byte mapped (0 if
 * nothing was mapped), or -errno.
 */
int64_t qcow2_preallocate_range(BlockDriverState *bs, uint64_t offset,
                                uint64_t bytes);

/*
 * qcow2_flush:
 * BlockDriver.bdrv_flush: write back refcount blocks, then L2 tables
 * (the cache dependencies enforce it), so that the L1 table and header,
 * which are written synchronously when they change, never point at
 * unwritten metadata.  The generic layer flushes bs->file afterwards.
 * Returns: 0, or -errno.
 */
int qcow2_flush(BlockDriverState *bs);

/* qcow2_write_caches: write back both caches, dependencies first.
 * Returns: 0, or -errno. */
int qcow2_write_caches(BlockDriverState *bs);

/* ------------------------------------------------------------------ */
/* qcow2-backing.c: backing file changes, emptying an overlay          */
/* ------------------------------------------------------------------ */

/* qcow2_change_backing_file: BlockDriver.bdrv_change_backing_file
 * (rewrites the header cluster).  Returns: 0, or -errno. */
int qcow2_change_backing_file(BlockDriverState *bs, const char *backing_file,
                              const char *backing_fmt, Error **errp);

/* qcow2_make_empty: BlockDriver.bdrv_make_empty (resets the file to its
 * minimal layout where 7.2 does, else discards every cluster).
 * Returns: 0, or -errno. */
int qcow2_make_empty(BlockDriverState *bs, Error **errp);

/* ------------------------------------------------------------------ */
/* qcow2-amend.c: qemu-img amend                                       */
/* ------------------------------------------------------------------ */

/* The amend options, as `qemu-img amend -f qcow2 -o help` lists them. */
extern const QOptDesc qcow2_amend_opts[];

/* qcow2_amend_options: BlockDriver.bdrv_amend_options (LUKS keyslots;
 * other options are refused for now).  Returns: 0, or -errno. */
int qcow2_amend_options(BlockDriverState *bs, QObject *opts, bool force,
                        Error **errp);

/* ------------------------------------------------------------------ */
/* qcow2-crypto.c: encryption (LUKS header area, legacy AES)           */
/* ------------------------------------------------------------------ */

/*
 * qcow2_crypto_open:
 * @bs: a node whose header and extensions are read (crypt_method_header
 *      non-zero, s->crypto still NULL, s->crypto_opts set)
 * @errp: "Missing CRYPTO header for crypt method 2", the LUKS header
 *        checks, "Parameter 'encrypt.key-secret' is required for cipher",
 *        "Invalid password, cannot unlock any keyslot"
 *
 * Open s->crypto: LUKS from the header area the FDE extension points to,
 * AES from the key alone; only the header with BDRV_O_NO_IO.
 * Returns: 0, or -errno.
 */
int qcow2_crypto_open(BlockDriverState *bs, Error **errp);

/*
 * qcow2_crypto_set_up:
 * @bs: a new image being created (open, writable, no encryption yet)
 * @opts: the encryption create options (format QCOW or LUKS)
 * @errp: option, secret and I/O errors
 *
 * Set crypt_method; for LUKS allocate the header area with the cluster
 * allocator after everything allocated so far, write the LUKS header and
 * keyslot 0 into it, and rewrite the qcow2 header with the FDE pointer.
 * Returns: 0, or -errno.
 */
int qcow2_crypto_set_up(BlockDriverState *bs,
                        const QCryptoBlockCreateOptions *opts, Error **errp);

/*
 * qcow2_crypto_amend:
 * @bs: an open LUKS-encrypted node (s->crypto unlocked)
 * @opts: the keyslot change
 * @force: relax the keyslot safety checks
 * Returns: 0, or -errno with @errp set (7.2's keyslot messages).
 */
int qcow2_crypto_amend(BlockDriverState *bs,
                       const QCryptoBlockAmendOptions *opts, bool force,
                       Error **errp);

/*
 * qcow2_crypto_set_layout:
 * @bs: an open LUKS node (NO_IO is enough) without snapshots' concerns
 * @inline_layout: true for extension 0x4c554b53, false for 0x0537be77
 * Move the LUKS header to the other layout in place, byte for byte,
 * without the key.  Moving inline needs clusters 1..n-1 free.
 * Returns: 0 (also when already there), or -errno with @errp set.
 */
int qcow2_crypto_set_layout(BlockDriverState *bs, bool inline_layout,
                            Error **errp);

/*
 * qcow2_crypto_inline_clusters:
 * @s: the image (cluster size known)
 * @data_offset, @length: the inline extension's data
 * Returns: the number of header clusters of such an image.
 */
uint64_t qcow2_crypto_inline_clusters(const BDRVQcow2State *s,
                                      uint64_t data_offset, uint64_t length);

/* qcow2_crypto_get_info: Returns: a new dict, the "encrypt" member of
 * the format-specific information ("format" plus the LUKS details). */
QObject *qcow2_crypto_get_info(BDRVQcow2State *s);

/*
 * qcow2_crypto_header_area:
 * @s: an open image
 * @offset: receives the host offset of the LUKS header area
 * @bytes: receives its length as recorded in the FDE extension; the
 *         clusters covering [@offset, @offset + @bytes) are referenced
 *         by the image (refcount 1) like any metadata
 * Returns: whether the image has such an area (false: outputs untouched).
 */
bool qcow2_crypto_header_area(const BDRVQcow2State *s, uint64_t *offset,
                              uint64_t *bytes);

/* ------------------------------------------------------------------ */
/* qcow2-version.c: amend of compat, lazy refcounts, refcount width     */
/* ------------------------------------------------------------------ */

/* qcow2_amend_upgrade: compat 0.10 -> 1.1 (header rewritten).
 * Returns: 0, or -errno with @errp set. */
int qcow2_amend_upgrade(BlockDriverState *bs, Error **errp);

/*
 * qcow2_amend_downgrade:
 * compat 1.1 -> 0.10 with 7.2's refusals ("compat=0.10 requires
 * refcount_bits=16", "Internal snapshots prevent downgrade of image",
 * "Cannot downgrade an image with incompatible features 0x%x set", ...);
 * zero clusters become data (encrypted zeros for encrypted images) or
 * unallocated.  Returns: 0, or -errno with @errp set.
 */
int qcow2_amend_downgrade(BlockDriverState *bs, Error **errp);

/* qcow2_amend_lazy_refcounts: set or clear the lazy refcounts bit (the
 * image is made clean first when clearing it).
 * Returns: 0, or -errno with @errp set. */
int qcow2_amend_lazy_refcounts(BlockDriverState *bs, bool on, Error **errp);

/*
 * qcow2_amend_refcount_order:
 * @order: the new refcount_order (0..6)
 * Rewrite the refcount table and blocks with the new width past the end
 * of the image, then switch the header to them (the old ones are then
 * free).  Fails when a refcount does not fit ("Cannot decrease refcount
 * entry width to %i bits: Cluster at offset %#x has a refcount of %u").
 * Returns: 0, or -errno with @errp set.
 */
int qcow2_amend_refcount_order(BlockDriverState *bs, int order,
                               Error **errp);

/* ------------------------------------------------------------------ */
/* qcow2-relocate.c: emptying host clusters for the inline LUKS header */
/* ------------------------------------------------------------------ */

/*
 * qcow2_relocate_range:
 * @start, @end: host clusters [@start, @end) to empty
 * @errp: what could not be moved, e.g. data that needs the LUKS key
 *
 * Move every structure and data cluster in the range elsewhere, each
 * copy flushed before its reference switches, and leave each cluster of
 * the range at refcount 1 with no reference (leaked until the caller
 * makes them part of the header).  Encrypted data is re-encrypted for
 * its new host offset, which needs the image opened with its key.
 * Returns: 0, or -errno.
 */
int qcow2_relocate_range(BlockDriverState *bs, uint64_t start,
                         uint64_t end, Error **errp);

/* ------------------------------------------------------------------ */
/* qcow2-snapshot.c: internal snapshots                                */
/* ------------------------------------------------------------------ */

/* One snapshot table entry in host order. */
typedef struct Qcow2Snapshot {
    uint64_t l1_table_offset;
    uint32_t l1_size;
    char *id_str;
    char *name;
    uint64_t disk_size;
    uint64_t vm_state_size;
    uint32_t date_sec;
    uint32_t date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t icount;                    /* UINT64_MAX: not recorded */
    uint32_t extra_data_size;           /* as read; rewritten as >= 24 */
    uint8_t *unknown_extra;             /* extra data past the 24 bytes */
} Qcow2Snapshot;

/*
 * qcow2_snapshots_read:
 * @bs: a node whose header fields are set (nb_snapshots, snapshots_offset)
 * @errp: 7.2's messages ("Too much extra metadata in snapshot table
 *        entry 0", "Snapshot table is too big", ...)
 * Load the snapshot table into s->snapshots.  Returns: 0, or -errno.
 */
int qcow2_snapshots_read(BlockDriverState *bs, Error **errp);

/* qcow2_snapshots_free: free s->snapshots (the node is closing). */
void qcow2_snapshots_free(BlockDriverState *bs);

/*
 * qcow2_snapshots_rewrite:
 * Write the current snapshot table (its entries possibly changed in
 * memory) to new clusters, switch the header to it and free the old one.
 * Returns: 0, or -errno.
 */
int qcow2_snapshots_rewrite(BlockDriverState *bs);

/* BlockDriver snapshot callbacks (see block_int.h). */
int qcow2_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *sn_info);
int qcow2_snapshot_goto(BlockDriverState *bs, const char *snapshot_id,
                        Error **errp);
int qcow2_snapshot_delete(BlockDriverState *bs, const char *snapshot_id,
                          const char *name, Error **errp);
int qcow2_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn_tab);
int qcow2_snapshot_load_tmp(BlockDriverState *bs, const char *snapshot_id,
                            const char *name, Error **errp);

/* ------------------------------------------------------------------ */
/* qcow2-bitmap.c: persistent dirty bitmaps                            */
/* ------------------------------------------------------------------ */

/*
 * qcow2_bitmaps_load:
 * @bs: a node whose header extensions are read
 * @header_updated: receives whether the header was rewritten
 * @errp: 7.2's messages ("Bitmap extra data is not supported", ...)
 *
 * Check the bitmap directory and load every bitmap into memory, as 7.2
 * does on open; on a writable node mark the consistent ones in use on
 * disk until qcow2_bitmaps_store().
 * Returns: 0, or -errno.
 */
int qcow2_bitmaps_load(BlockDriverState *bs, bool *header_updated,
                       Error **errp);

/* qcow2_bitmaps_warn_stale: print 7.2's warning about a bitmaps
 * extension without its autoclear bit (read while opening). */
void qcow2_bitmaps_warn_stale(const BDRVQcow2State *s);

/*
 * qcow2_bitmaps_store:
 * @bs: a writable node being closed
 * Write the in-memory bitmaps back as 7.2 does on close (new tables and
 * directory, in use flags cleared) and free the old ones.
 * Returns: 0, or -errno with @errp set.
 */
int qcow2_bitmaps_store(BlockDriverState *bs, Error **errp);

/* qcow2_bitmaps_free: drop the in-memory bitmaps (the node is closing). */
void qcow2_bitmaps_free(BlockDriverState *bs);

/* qcow2_bitmaps_set_dirty: a guest write, zero write or discard touched
 * [@offset, @offset + @bytes): mark it in the enabled bitmaps. */
void qcow2_bitmaps_set_dirty(BlockDriverState *bs, int64_t offset,
                             int64_t bytes);

/* qcow2_bitmaps_get_info: Returns: the "bitmaps" list of the format
 * specific information (NULL without bitmaps, or on error with @errp
 * set; see @ok). */
QObject *qcow2_bitmaps_get_info(BlockDriverState *bs, bool *ok,
                                Error **errp);

/*
 * qcow2_bitmaps_truncate_check:
 * Returns: 0 if the disk may be resized (every bitmap is loaded and
 * consistent), or -ENOTSUP with @errp set as 7.2 words it.
 */
int qcow2_bitmaps_truncate_check(BlockDriverState *bs, Error **errp);

/* qcow2_bitmaps_resize: the disk is now @size bytes. */
void qcow2_bitmaps_resize(BlockDriverState *bs, uint64_t size);

/* qcow2_bitmaps_measure: Returns: the bytes the bitmaps of @in_bs (a
 * qcow2 node) would take in an image of @cluster_size clusters, every
 * bitmap fully allocated, as 7.2's qemu-img measure reports them. */
uint64_t qcow2_bitmaps_measure(BlockDriverState *in_bs,
                               uint32_t cluster_size);

/* qcow2_bitmap_list: BlockDriver.bdrv_bitmap_list (NULL for v2). */
GArray *qcow2_bitmap_list(BlockDriverState *bs);

/* qcow2_bitmap_change: BlockDriver.bdrv_bitmap_change (qemu-img bitmap).
 * Returns: 0, or -errno with @errp set in 7.2's words. */
int qcow2_bitmap_change(BlockDriverState *bs, const BdrvBitmapChange *c,
                        const char *node_name, Error **errp);

/* ------------------------------------------------------------------ */
/* qcow2-compress.c: compressed cluster writes                         */
/* ------------------------------------------------------------------ */

/* qcow2_pwritev_compressed: BlockDriver.bdrv_pwritev_compressed (whole
 * clusters, or up to the end of the disk; 0 bytes rounds the file up to
 * whole sectors).  Returns: 0, or -errno. */
int qcow2_pwritev_compressed(BlockDriverState *bs, int64_t offset,
                             int64_t bytes, QEMUIOVector *qiov);

/* ------------------------------------------------------------------ */
/* qcow2-check.c: consistency check and repair                         */
/* ------------------------------------------------------------------ */

/*
 * qcow2_check:
 * BlockDriver.bdrv_check: recount every reference (header, L1/L2 tables
 * and clusters, snapshots, refcount structures, LUKS header area,
 * bitmaps), compare with the refcounts, check the COPIED flags, and
 * repair what @fix allows, rebuilding the refcount structures if they
 * are broken.  After a repair that leaves no corruption the dirty and
 * corrupt bits are cleared.  Findings are printed to stderr in 7.2's
 * words.
 * Returns: 0 (findings are in @res), or -errno.
 */
int qcow2_check(BlockDriverState *bs, BdrvCheckResult *res,
                BdrvCheckMode fix);

/* Metadata kinds qcow2_pre_write_overlap_check() may be told to ignore. */
#define QCOW2_OL_MAIN_HEADER (1 << 0)
#define QCOW2_OL_ACTIVE_L1 (1 << 1)
#define QCOW2_OL_ACTIVE_L2 (1 << 2)
#define QCOW2_OL_REFCOUNT_BLOCK (1 << 4)

/*
 * qcow2_pre_write_overlap_check:
 * @ign: QCOW2_OL_* kinds the write may overlap (the table being written)
 * As 7.2's default ("cached") overlap check before a write to the file:
 * whether the clusters of [@offset, +@bytes) hold metadata (header, L1
 * and L2 tables, refcount table and blocks, snapshot table, snapshot L1
 * tables).  A hit means the refcounts lied: the image is marked corrupt
 * (and 7.2's message printed) instead of metadata being overwritten.
 * Returns: 0, or -EIO.
 */
int qcow2_pre_write_overlap_check(BlockDriverState *bs, int ign,
                                  uint64_t offset, uint64_t bytes);

/* qcow2_write_run_checked: qcow2_write_run() after the overlap check of
 * its host clusters; on failure the clusters allocated for @run are freed
 * again.  Returns: 0, or -errno. */
int qcow2_write_run_checked(BlockDriverState *bs, Qcow2WriteRun *run,
                            QEMUIOVector *data);

/* ------------------------------------------------------------------ */
/* qcow2-create.c: image creation and resizing                         */
/* ------------------------------------------------------------------ */

/* The create options, in the order of QEMU 7.2's "Formatting" line. */
extern const QOptDesc qcow2_create_opts[];

/* qcow2_create: BlockDriver.bdrv_create.  Returns: 0, or -errno. */
int qcow2_create(const char *filename, QObject *opts, Error **errp);

/* qcow2_truncate: BlockDriver.bdrv_truncate (grow, with preallocation;
 * shrink, freeing what lies beyond).  Returns: 0, or -errno. */
int qcow2_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                   PreallocMode prealloc, Error **errp);

/* ------------------------------------------------------------------ */
/* qcow2-measure.c: size measurement                                   */
/* ------------------------------------------------------------------ */

/* qcow2_measure: BlockDriver.bdrv_measure, as 7.2 measures qcow2
 * (LUKS header area, metadata of a fully allocated image, and the data
 * clusters of @in_bs).  Returns: 0, or -errno with @errp set. */
int qcow2_measure(const QObject *opts, BlockDriverState *in_bs,
                  BlockMeasureInfo *info, Error **errp);

#endif /* BLOCK_QCOW2_H */
