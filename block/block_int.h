/*
 * The driver interface of the block layer: node state and driver ops.
 */
#ifndef BLOCK_BLOCK_INT_H
#define BLOCK_BLOCK_INT_H

#include "block/block.h"
#include "block/debug-event.h"
#include "qapi/opts.h"

struct BlockDriverState {
    const BlockDriver *drv;
    void *opaque;               /* the driver's state, drv->instance_size */
    int open_flags;             /* BDRV_O_* */
    bool read_only;
    bool ejected;               /* found corrupt: requests fail ENOMEDIUM */
    bool encrypted;             /* data needs a key (info "encrypted: yes") */
    bool probed;                /* the format was guessed, not given */
    int refcnt;
    uint32_t request_alignment; /* reads/writes must be aligned to this */
    char *filename;             /* what "image:" shows */
    char *exact_filename;       /* the plain file name, or NULL */
    char *backing_file;         /* as recorded in the image, or NULL */
    char *backing_format;       /* as recorded, or NULL */
    QObject *full_options;      /* strong options, for json: names */
    BdrvChild *file;            /* the protocol child, or NULL */
    BdrvChild *backing;         /* the backing child, or NULL */
};

struct BlockDriver {
    const char *format_name;
    size_t instance_size;
    bool is_protocol;           /* opens a file name itself ("file") */
    bool protects_metadata;     /* lock writers out of the file (qcow2) */
    /* Protocols chosen by a "name:" file name prefix ("blkdebug"). */
    const char *protocol_name;

    /*
     * Optional, protocols with @protocol_name: turn the "filename" in
     * @options into the driver's own options.  Returns: 0 or -errno.
     */
    int (*bdrv_parse_filename)(const char *filename, QObject *options,
                               Error **errp);
    /* Optional: react to a debug event (see bdrv_debug_event()). */
    void (*bdrv_debug_event)(BlockDriverState *bs, BlkdebugEvent event);

    /* Score 0..100 that @buf (start of the file) is this format. */
    int (*bdrv_probe)(const uint8_t *buf, int buf_size, const char *filename);

    /*
     * Open @bs.  Protocol drivers get "filename" in @options; format
     * drivers find bs->file attached.  Drivers remove the options they
     * consume from @options; leftovers are reported by the caller.
     */
    int (*bdrv_open)(BlockDriverState *bs, QObject *options, int flags,
                     Error **errp);
    void (*bdrv_close)(BlockDriverState *bs);
    /* Optional: see bdrv_inactivate(); only called on writable nodes. */
    int (*bdrv_inactivate)(BlockDriverState *bs, GPtrArray *errors);
    /* Protocols: take the image locks @flags call for (see file-posix). */
    int (*bdrv_lock)(BlockDriverState *bs, int flags, Error **errp);

    int (*bdrv_preadv)(BlockDriverState *bs, int64_t offset, int64_t bytes,
                       QEMUIOVector *qiov, BdrvRequestFlags flags);
    int (*bdrv_pwritev)(BlockDriverState *bs, int64_t offset, int64_t bytes,
                        QEMUIOVector *qiov, BdrvRequestFlags flags);
    int (*bdrv_pwrite_zeroes)(BlockDriverState *bs, int64_t offset,
                              int64_t bytes, BdrvRequestFlags flags);
    int (*bdrv_pdiscard)(BlockDriverState *bs, int64_t offset, int64_t bytes);
    /*
     * Copy @bytes from @src (a node of the same driver) to @dst inside the
     * kernel or storage, without reading them here (optional; -ENOTSUP
     * when it cannot, before anything was copied).
     */
    int (*bdrv_copy_range)(BlockDriverState *src, int64_t src_offset,
                           BlockDriverState *dst, int64_t dst_offset,
                           int64_t bytes);
    int (*bdrv_flush)(BlockDriverState *bs);
    int (*bdrv_block_status)(BlockDriverState *bs, int64_t offset,
                             int64_t bytes, int64_t *pnum, int64_t *map,
                             BlockDriverState **file);

    int64_t (*bdrv_getlength)(BlockDriverState *bs);
    int64_t (*bdrv_get_allocated_file_size)(BlockDriverState *bs);
    int (*bdrv_truncate)(BlockDriverState *bs, int64_t offset, bool exact,
                         PreallocMode prealloc, Error **errp);
    int (*bdrv_get_info)(BlockDriverState *bs, BlockDriverInfo *bdi);
    QObject *(*bdrv_get_specific_info)(BlockDriverState *bs, Error **errp);
    bool (*bdrv_has_zero_init)(BlockDriverState *bs);

    /* Create an image at @filename from validated @opts (incl. "size"). */
    int (*bdrv_create)(const char *filename, QObject *opts, Error **errp);
    const QOptDesc *create_opts;

    /*
     * Optional (NULL: measure is refused).  Fill @info (zeroed by the
     * caller) with the file size a new image of this format needs:
     * @opts are validated create options of this driver (borrowed; "size"
     * holds the virtual size when @in_bs is NULL); @in_bs, if not NULL,
     * is the open source image whose guest data would be converted (its
     * length and, for formats that allocate lazily, its block status
     * decide "required").  Set has_bitmaps/bitmaps only when the format
     * can store persistent bitmaps.  Returns: 0, or -errno with @errp set.
     */
    int (*bdrv_measure)(const QObject *opts, BlockDriverState *in_bs,
                        BlockMeasureInfo *info, Error **errp);

    /*
     * Optional: internal snapshots (NULL: not supported).  create reports
     * only an errno, as 7.2 does; list returns the count and a table the
     * caller frees with g_free().  A goto error may hold two lines: the
     * reason 7.2 reports on its own, then the failure itself.
     */
    int (*bdrv_snapshot_create)(BlockDriverState *bs,
                                QEMUSnapshotInfo *sn_info);
    int (*bdrv_snapshot_goto)(BlockDriverState *bs, const char *snapshot_id,
                              Error **errp);
    int (*bdrv_snapshot_delete)(BlockDriverState *bs, const char *snapshot_id,
                                const char *name, Error **errp);
    int (*bdrv_snapshot_list)(BlockDriverState *bs,
                              QEMUSnapshotInfo **psn_info);
    int (*bdrv_snapshot_load_tmp)(BlockDriverState *bs,
                                  const char *snapshot_id, const char *name,
                                  Error **errp);

    /* Optional: the VM state area (see bdrv_load_vmstate()). */
    int (*bdrv_load_vmstate)(BlockDriverState *bs, QEMUIOVector *qiov,
                             int64_t pos);
    int (*bdrv_save_vmstate)(BlockDriverState *bs, QEMUIOVector *qiov,
                             int64_t pos);

    /* Optional: write one compressed cluster (see bdrv_pwritev_compressed). */
    int (*bdrv_pwritev_compressed)(BlockDriverState *bs, int64_t offset,
                                   int64_t bytes, QEMUIOVector *qiov);

    /*
     * Optional (NULL: no persistent dirty bitmaps): see
     * bdrv_bitmap_change(); @node_name names @bs in messages.  The
     * generic layer has checked the name and the granularity.
     */
    int (*bdrv_bitmap_change)(BlockDriverState *bs,
                              const BdrvBitmapChange *change,
                              const char *node_name, Error **errp);
    /* Optional (NULL: no persistent bitmaps): see bdrv_bitmap_list(). */
    GArray *(*bdrv_bitmap_list)(BlockDriverState *bs);

    /* Optional (NULL: "does not support checks"): see bdrv_check(). */
    int (*bdrv_check)(BlockDriverState *bs, BdrvCheckResult *res,
                      BdrvCheckMode fix);

    /*
     * Optional (NULL: -ENOTSUP): record @backing_file and @backing_fmt
     * (either may be NULL: none) in the image header and in
     * bs->backing_file / bs->backing_format (see bdrv_change_backing_file).
     */
    int (*bdrv_change_backing_file)(BlockDriverState *bs,
                                    const char *backing_file,
                                    const char *backing_fmt, Error **errp);
    /* Optional (NULL: -ENOTSUP): see bdrv_make_empty(). */
    int (*bdrv_make_empty)(BlockDriverState *bs, Error **errp);

    int (*bdrv_amend_options)(BlockDriverState *bs, QObject *opts,
                              bool force, Error **errp);
    const QOptDesc *amend_opts;
};

/* The drivers, each defined in its own file. */
extern const BlockDriver bdrv_file;
extern const BlockDriver bdrv_raw;
extern const BlockDriver bdrv_crypto_luks;
extern const BlockDriver bdrv_qcow2;
extern const BlockDriver bdrv_blkdebug;

/*
 * bdrv_open_protocol:
 * @options: flat dict: "driver" (default "file", or the protocol named by
 *           a "name:" prefix of "filename") and the driver's options;
 *           borrowed, consumed options are removed
 * @flags: BDRV_O_*
 * For filter protocols (blkdebug) opening the node below them.
 * Returns: the new node (bdrv_unref() it), or NULL.
 */
BlockDriverState *bdrv_open_protocol(QObject *options, int flags,
                                     Error **errp);

/*
 * bdrv_file_open_child:
 * For drivers' create callbacks: open @filename with the file protocol.
 * Returns: a root child (free with bdrv_root_detach()), or NULL.
 */
BdrvChild *bdrv_file_open_child(const char *filename, int flags,
                                Error **errp);

/*
 * bdrv_probe_buf:
 * Returns: the format whose probe scores @buf (an image's first @len
 * bytes) highest; raw when no other format recognises it.
 */
const BlockDriver *bdrv_probe_buf(const uint8_t *buf, int len,
                                  const char *filename);

/* Default for drivers without block status: all data. */
int bdrv_block_status_default(BlockDriverState *bs, int64_t offset,
                              int64_t bytes, int64_t *pnum, int64_t *map,
                              BlockDriverState **file);

/* The file protocol's create options ("nocow", "preallocation"?). */
extern const QOptDesc bdrv_file_create_opts[];

#endif /* BLOCK_BLOCK_INT_H */
