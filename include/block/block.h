/*
 * The block layer API used by the tools: opening images (format over
 * protocol), synchronous byte-addressed I/O, and image information.
 */
#ifndef BLOCK_BLOCK_H
#define BLOCK_BLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "qapi/error.h"
#include "qapi/qobject.h"
#include "qapi/util.h"
#include "qemu/iov.h"

typedef struct BlockDriver BlockDriver;
typedef struct BlockDriverState BlockDriverState;

/* A reference from a parent (or a tool) to a node. */
typedef struct BdrvChild {
    BlockDriverState *bs;
    char *name;                 /* "file", "backing", "root" */
} BdrvChild;

/* Open flags. */
#define BDRV_O_RDWR         0x0002  /* open for writing */
#define BDRV_O_NOCACHE      0x0020  /* O_DIRECT on the file (cache=none) */
#define BDRV_O_NO_BACKING   0x0100  /* do not open the backing chain */
#define BDRV_O_NO_IO        0x10000 /* metadata only: info without a key */
#define BDRV_O_FORCE_SHARE  0x20000 /* -U: do not lock against writers */
#define BDRV_O_UNMAP        0x4000  /* discard requests are passed down */
#define BDRV_O_RESIZE       0x100000 /* the user will resize the image */
/* Set by the block layer on the file child of formats whose metadata must
 * not change under them (qcow2): writers and resizers are locked out. */
#define BDRV_O_PROTECT_METADATA 0x200000
/* Internal: the protocol node waits for bdrv_lock() before locking. */
#define BDRV_O_DEFER_LOCKS  0x400000
/* Opened by qemu-img check: no automatic repair of dirty images, and a
 * corrupt image may be opened read-write to be repaired. */
#define BDRV_O_CHECK        0x1000
/* Opened only to be looked at before the real open (as 7.2's inactive
 * nodes): persistent bitmaps are neither loaded nor marked in use. */
#define BDRV_O_INACTIVE     0x0800

/* Request flags. */
typedef enum BdrvRequestFlags {
    BDRV_REQ_MAY_UNMAP = 0x4,   /* zero writes may deallocate */
    BDRV_REQ_FUA = 0x10,        /* write through to stable storage */
    BDRV_REQ_NO_FALLBACK = 0x100, /* fail zero writes that would write data */
    /*
     * A hint for reads of encrypted data: decrypt on the calling thread
     * only, without the crypto workers, because the caller's other
     * threads already keep the CPUs busy (a copy engine's writer).
     */
    BDRV_REQ_SERIAL_CRYPTO = 0x1000,
} BdrvRequestFlags;

/* Block status bits (as QEMU's BDRV_BLOCK_*). */
#define BDRV_BLOCK_DATA         0x01
#define BDRV_BLOCK_ZERO         0x02
#define BDRV_BLOCK_OFFSET_VALID 0x04
#define BDRV_BLOCK_ALLOCATED    0x10
#define BDRV_BLOCK_EOF          0x20
#define BDRV_BLOCK_RECURSE      0x40

typedef enum PreallocMode {
    PREALLOC_MODE_OFF,
    PREALLOC_MODE_METADATA,
    PREALLOC_MODE_FALLOC,
    PREALLOC_MODE_FULL,
    PREALLOC_MODE__MAX,
} PreallocMode;

/* "off", "metadata", "falloc", "full" */
extern const QEnumLookup PreallocMode_lookup;

/* What qemu-img info prints above "Format specific information". */
typedef struct BlockDriverInfo {
    int cluster_size;           /* 0: none */
    int64_t vm_state_offset;
    bool is_dirty;
} BlockDriverInfo;

/*
 * bdrv_open:
 * @filename: a file name, a "json:{...}" description, or NULL when
 *            @options says everything
 * @options: flat dict of options ("driver", "file.filename",
 *           "encrypt.key-secret"...), or NULL; ownership moves to the call
 * @flags: BDRV_O_*
 * @errp: "Could not open '%s': ..." style errors
 *
 * Open the image: the protocol node named by the file name or "file.*",
 * the format node given by "driver" or probed, and its backing chain.
 * Returns: the new node (close with bdrv_unref()), or NULL.
 */
BlockDriverState *bdrv_open(const char *filename, QObject *options,
                            int flags, Error **errp);

/* bdrv_unref: flush and close @bs (or NULL) and its children. */
void bdrv_unref(BlockDriverState *bs);

/*
 * bdrv_inactivate:
 * @bs: an open node, or NULL
 * @errors: an array the errors are appended to, one Error per failed step
 *          (ownership moves to the array; the caller frees each with
 *          error_free() or error_report_err())
 *
 * Write back what the format caches (qcow2: its metadata caches) before
 * the node is closed, as 7.2 does when a tool closes an image.  7.2
 * reports each failed step on its own line ("Failed to flush the L2
 * table cache: ..."), hence one Error per step rather than an errp.
 * Returns: 0, or the last -errno.
 */
int bdrv_inactivate(BlockDriverState *bs, GPtrArray *errors);

/*
 * bdrv_root_attach:
 * @bs: a node; the child holds a reference to it
 * Returns: a tool's handle on @bs for I/O (free with bdrv_root_detach(),
 * which closes the node).
 */
BdrvChild *bdrv_root_attach(BlockDriverState *bs);
void bdrv_root_detach(BdrvChild *child);

/*
 * Data path.  Requests complete fully or fail with -errno; unaligned
 * requests are handled (read-modify-write) below the caller.
 */
int bdrv_pread(BdrvChild *child, int64_t offset, int64_t bytes, void *buf,
               BdrvRequestFlags flags);
int bdrv_pwrite(BdrvChild *child, int64_t offset, int64_t bytes,
                const void *buf, BdrvRequestFlags flags);
int bdrv_preadv(BdrvChild *child, int64_t offset, int64_t bytes,
                QEMUIOVector *qiov, BdrvRequestFlags flags);
int bdrv_pwritev(BdrvChild *child, int64_t offset, int64_t bytes,
                 QEMUIOVector *qiov, BdrvRequestFlags flags);
int bdrv_pwrite_zeroes(BdrvChild *child, int64_t offset, int64_t bytes,
                       BdrvRequestFlags flags);
int bdrv_pdiscard(BdrvChild *child, int64_t offset, int64_t bytes);

/*
 * bdrv_copy_range:
 * Copy [@src_offset, +@bytes) of @src to @dst at @dst_offset without
 * reading the data into memory: copy_file_range(2), which clones extents
 * where the file system can (qemu-img convert -C).  Works through raw
 * formats down to files of one kind.
 * Returns: 0, -ENOTSUP when these nodes cannot (nothing was copied; read
 * and write instead), or another -errno.
 */
int bdrv_copy_range(BdrvChild *src, int64_t src_offset, BdrvChild *dst,
                    int64_t dst_offset, int64_t bytes);
int bdrv_flush(BlockDriverState *bs);

/*
 * bdrv_block_status:
 * @bs: a node
 * @offset, @bytes: the range asked about
 * @pnum: receives how many bytes from @offset share the returned status
 * @map: receives the host offset when BDRV_BLOCK_OFFSET_VALID (may be NULL)
 * @file: receives the node @map refers to (may be NULL)
 * Returns: BDRV_BLOCK_* bits, or -errno.
 */
int bdrv_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      int64_t *pnum, int64_t *map, BlockDriverState **file);

/*
 * bdrv_is_allocated_above:
 * Like bdrv_block_status() but tells whether the range is allocated in
 * @bs or any backing node above @base (NULL: the whole chain).
 * Returns: 1 allocated, 0 not, -errno.
 */
int bdrv_is_allocated_above(BlockDriverState *bs, BlockDriverState *base,
                            int64_t offset, int64_t bytes, int64_t *pnum);

/* bdrv_getlength: Returns: the virtual size in bytes, or -errno. */
int64_t bdrv_getlength(BlockDriverState *bs);

/* bdrv_get_allocated_file_size: Returns: bytes used on the host, -errno. */
int64_t bdrv_get_allocated_file_size(BlockDriverState *bs);

/*
 * bdrv_truncate:
 * @child: the node to resize
 * @offset: the new virtual size
 * @exact: whether a protocol node must be exactly that size
 * @prealloc: how to allocate new space
 * @errp: e.g. "Image format driver does not support resize"
 * Returns: 0 or -errno.
 */
int bdrv_truncate(BdrvChild *child, int64_t offset, bool exact,
                  PreallocMode prealloc, Error **errp);

/*
 * bdrv_create:
 * @drv_name: the format ("raw", "luks", "qcow2") or "file"
 * @filename: where to create
 * @opts: validated create options (flat dict, including "size"); borrowed
 * @errp: errors as qemu-img create prints them after "filename: "
 * Returns: 0 or -errno; on failure nothing is left behind.
 */
int bdrv_create(const char *drv_name, const char *filename, QObject *opts,
                Error **errp);

/* What qemu-img measure reports (7.2's BlockMeasureInfo). */
typedef struct BlockMeasureInfo {
    uint64_t required;          /* bytes the new file needs for the data */
    uint64_t fully_allocated;   /* bytes if every block were allocated */
    bool has_bitmaps;           /* print "bitmaps" (qcow2 v3 only) */
    uint64_t bitmaps;           /* bytes for persistent dirty bitmaps */
} BlockMeasureInfo;

/*
 * bdrv_measure:
 * @drv: the output format
 * @opts: validated create options of @drv (flat dict of strings, as for
 *        bdrv_create(); "size" is set when @in_bs is NULL); borrowed
 * @in_bs: the image whose guest data would be converted, or NULL to
 *         measure an empty image of "size" bytes
 * @info: filled on success (zeroed first)
 * @errp: e.g. "Block driver 'file' does not support size measurement"
 *
 * Compute the size of a new image file of format @drv, as qemu-img
 * measure prints it.
 * Returns: 0, or -errno.
 */
int bdrv_measure(const BlockDriver *drv, const QObject *opts,
                 BlockDriverState *in_bs, BlockMeasureInfo *info,
                 Error **errp);

/*
 * bdrv_amend_options:
 * @bs: an open node
 * @opts: validated amend options; borrowed
 * @force: qemu-img amend --force
 * @errp: e.g. "Format driver 'raw' does not support option amendment"
 * Returns: 0 or -errno.
 */
int bdrv_amend_options(BlockDriverState *bs, QObject *opts, bool force,
                       Error **errp);

/* What qemu-img bitmap does to one persistent dirty bitmap. */
typedef enum BdrvBitmapAction {
    BDRV_BITMAP_ADD,
    BDRV_BITMAP_REMOVE,
    BDRV_BITMAP_CLEAR,
    BDRV_BITMAP_ENABLE,
    BDRV_BITMAP_DISABLE,
    BDRV_BITMAP_MERGE,
} BdrvBitmapAction;

typedef struct BdrvBitmapChange {
    BdrvBitmapAction action;
    const char *name;                   /* the bitmap acted on */
    uint32_t granularity;               /* ADD: bytes, 0 for the default */
    BlockDriverState *src_bs;           /* MERGE: where @src_name lives */
    const char *src_name;               /* MERGE: the bitmap merged in */
} BdrvBitmapChange;

/*
 * bdrv_bitmap_change:
 * @bs: an open, writable node
 * @change: the action
 * @errp: the reason as 7.2's QMP bitmap commands word it ("Dirty bitmap
 *        'x' not found", "Bitmap already exists: x", ...)
 *
 * Add, remove, clear, enable, disable a persistent dirty bitmap of @bs,
 * or merge another one into it.  Added bitmaps and changed bits reach
 * the image when the node is closed; removals at once.
 * Returns: 0, or -errno.
 */
int bdrv_bitmap_change(BlockDriverState *bs, const BdrvBitmapChange *change,
                       Error **errp);

/* One persistent dirty bitmap, as bdrv_bitmap_list() describes it. */
typedef struct BdrvBitmapInfo {
    char *name;                         /* owned by the list */
    uint32_t granularity;               /* bytes */
    bool enabled;                       /* writes mark it */
    bool inconsistent;                  /* in use on disk: bits unusable */
} BdrvBitmapInfo;

/*
 * bdrv_bitmap_list:
 * @bs: an open node
 *
 * Describe the persistent dirty bitmaps of @bs in the order 7.2 walks a
 * node's bitmaps (newest first: those added since the node was opened,
 * then those it loaded, last one in the directory first).
 * Returns: a new array of BdrvBitmapInfo (free with
 * bdrv_bitmap_list_free()), or NULL if @bs cannot store persistent
 * bitmaps.
 */
GArray *bdrv_bitmap_list(BlockDriverState *bs);

/* bdrv_bitmap_list_free: free a list from bdrv_bitmap_list(), or NULL. */
void bdrv_bitmap_list_free(GArray *list);

/*
 * bdrv_change_backing_file:
 * @bs: an open, writable node
 * @backing_file: the backing file name to record, as given (relative
 *                names are relative to @bs's directory), or NULL to
 *                record none
 * @backing_fmt: the backing format to record, or NULL for none (it
 *               needs @backing_file)
 * @errp: the reason only, as 7.2's qemu-img rebase prints it after
 *        "Could not change the backing file to '%s': " ("No space left
 *        in the file header", "Operation not supported", ...)
 *
 * Rewrite the backing file reference in @bs's metadata and in
 * bs->backing_file / bs->backing_format.  The open backing node, if
 * any, is not changed.
 * Returns: 0, or -errno (-ENOTSUP: the format has no backing files).
 */
int bdrv_change_backing_file(BlockDriverState *bs, const char *backing_file,
                             const char *backing_fmt, Error **errp);

/*
 * bdrv_make_empty:
 * @bs: an open, writable node
 * @errp: e.g. "Image format 'raw' cannot be emptied"
 *
 * Make every guest range of @bs unallocated, so that reads fall through
 * to the backing file (qemu-img commit, unless -d).
 * Returns: 0, or -errno (-ENOTSUP: the format cannot).
 */
int bdrv_make_empty(BlockDriverState *bs, Error **errp);

/* An internal snapshot, as QEMU 7.2's QEMUSnapshotInfo. */
typedef struct QEMUSnapshotInfo {
    char id_str[128];           /* unique id, "1", "2", ... */
    char name[256];             /* user-defined tag */
    uint64_t vm_state_size;     /* bytes of VM state (0 from qemu-img) */
    uint32_t date_sec;          /* UTC creation time */
    uint32_t date_nsec;
    uint64_t vm_clock_nsec;     /* guest clock */
    uint64_t icount;            /* record/replay count; UINT64_MAX: none */
} QEMUSnapshotInfo;

/*
 * bdrv_snapshot_create:
 * @bs: an open, writable node
 * @sn_info: name and date of the new snapshot; id_str empty to choose
 *           the next free number
 * Returns: 0, or -errno (-ENOTSUP: the format has no internal snapshots;
 * 7.2 reports only the errno here).
 */
int bdrv_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *sn_info);

/*
 * bdrv_snapshot_goto:
 * @snapshot_id: the id, or else the name, of the snapshot to apply
 * @errp: e.g. "Failed to load snapshot: No such file or directory"
 * Make the snapshot's data the active data.  Returns: 0, or -errno.
 */
int bdrv_snapshot_goto(BlockDriverState *bs, const char *snapshot_id,
                       Error **errp);

/*
 * bdrv_snapshot_delete:
 * @snapshot_id, @name: the snapshot (both must match; either may be NULL)
 * Returns: 0, or -errno.
 */
int bdrv_snapshot_delete(BlockDriverState *bs, const char *snapshot_id,
                         const char *name, Error **errp);

/*
 * bdrv_snapshot_list:
 * @psn_info: receives the snapshots (caller frees with g_free()), or NULL
 *            when there are none
 * Returns: the number of snapshots, or -errno (-ENOTSUP).
 */
int bdrv_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn_info);

/*
 * bdrv_snapshot_find:
 * @sn_info: receives the snapshot whose id, or else name, is @name
 * Returns: 0, or -errno (-ENOENT).
 */
int bdrv_snapshot_find(BlockDriverState *bs, QEMUSnapshotInfo *sn_info,
                       const char *name);

/*
 * bdrv_snapshot_load_tmp:
 * @bs: a read-only node
 * @snapshot_id, @name: the snapshot (both given must match; not both NULL)
 * @errp: 7.2's words ("Can't find snapshot", "Device is not readonly",
 *        "Block format 'F' used by device '' does not support temporarily
 *        loading internal snapshots")
 * Make reads of @bs return the snapshot's data until it is closed (qemu-img
 * convert -l, measure -l); the disk size stays the current one.
 * Returns: 0, or -errno (-ENOENT: no such snapshot).
 */
int bdrv_snapshot_load_tmp(BlockDriverState *bs, const char *snapshot_id,
                           const char *name, Error **errp);

/* bdrv_snapshot_load_tmp_by_id_or_name: the snapshot whose id, or else
 * name, is @id_or_name.  Returns: 0, or -errno. */
int bdrv_snapshot_load_tmp_by_id_or_name(BlockDriverState *bs,
                                         const char *id_or_name,
                                         Error **errp);

/*
 * bdrv_pwritev_compressed:
 * @child: a node whose format can store compressed clusters
 * @offset: cluster aligned
 * @bytes: whole clusters, or less at the end of the disk; 0 to mark the
 *         end of compressed output (the file is rounded up to sectors)
 * @qiov: the data (may be NULL when @bytes is 0)
 * Write each cluster compressed (stored uncompressed when that is not
 * smaller); clusters must not have host clusters yet (-EIO).
 * Returns: 0, or -errno (-ENOTSUP: the format cannot, -EINVAL: bad
 * alignment).
 */
int bdrv_pwritev_compressed(BdrvChild *child, int64_t offset, int64_t bytes,
                            QEMUIOVector *qiov);

/*
 * bdrv_load_vmstate, bdrv_save_vmstate:
 * @child: a node whose format has a VM state area (qcow2: the guest
 *         addresses after the last L1 entry the disk needs)
 * @qiov: the buffer; its size is the request length
 * @pos: the offset in the VM state area
 * Read or write the VM state area that internal snapshots save with the
 * disk (qemu-io read -b / write -b).
 * Returns: 0, or -errno (-ENOTSUP: the format has no such area).
 */
int bdrv_load_vmstate(BdrvChild *child, QEMUIOVector *qiov, int64_t pos);
int bdrv_save_vmstate(BdrvChild *child, QEMUIOVector *qiov, int64_t pos);

/* bdrv_driver_supports_compressed_writes: Returns: whether format @drv
 * can store compressed clusters. */
bool bdrv_driver_supports_compressed_writes(const BlockDriver *drv);

/* What bdrv_check() may repair. */
typedef enum BdrvCheckMode {
    BDRV_FIX_LEAKS = 1,         /* -r leaks */
    BDRV_FIX_ERRORS = 2,        /* with BDRV_FIX_LEAKS: -r all */
} BdrvCheckMode;

/* The outcome of bdrv_check(), as QEMU 7.2's BdrvCheckResult. */
typedef struct BdrvCheckResult {
    int corruptions;            /* errors left in the image */
    int leaks;                  /* leaked clusters left */
    int check_errors;           /* the check itself could not complete */
    int corruptions_fixed;
    int leaks_fixed;
    int64_t image_end_offset;   /* 0: unknown */
    int64_t total_clusters;     /* guest clusters */
    int64_t allocated_clusters;
    int64_t fragmented_clusters;
    int64_t compressed_clusters;
} BdrvCheckResult;

/*
 * bdrv_check:
 * @bs: an open node (opened with BDRV_O_CHECK, and BDRV_O_RDWR to fix)
 * @res: receives the findings (zeroed first)
 * @fix: what to repair, 0 to only look
 *
 * Check the consistency of the format's metadata.  Like 7.2, the format
 * driver describes each finding on stderr as it goes ("Leaked cluster
 * ...", "Repairing ...").
 * Returns: 0 (also when problems were found: see @res), -ENOTSUP when
 * the format has no checks, or another -errno when the check failed.
 */
int bdrv_check(BlockDriverState *bs, BdrvCheckResult *res,
               BdrvCheckMode fix);

/* Lookups of drivers by name; NULL when unknown. */
const BlockDriver *bdrv_find_format(const char *name);

/* bdrv_format_list: every driver name, sorted, space-separated (as
 * "qemu-img --help" lists them); g_free() it. */
char *bdrv_format_list(void);

/*
 * bdrv_get_create_opts:
 * @drv: a format or protocol driver
 * Returns: a new table (caller frees with g_free(); the entries point to
 * static data) of @drv's create options followed by those of the file
 * protocol it does not have itself, in 7.2's order; NULL if @drv cannot
 * create images.
 */
struct QOptDesc *bdrv_get_create_opts(const BlockDriver *drv);

/* bdrv_get_format_create_opts: Returns: @drv's own create options only. */
const struct QOptDesc *bdrv_get_format_create_opts(const BlockDriver *drv);

/* bdrv_get_amend_opts: Returns: @drv's amend option table, or NULL. */
const struct QOptDesc *bdrv_get_amend_opts(const BlockDriver *drv);

/* Information for qemu-img info and qemu-io info. */
const char *bdrv_get_format_name(const BlockDriverState *bs);
const BlockDriver *bdrv_get_driver(const BlockDriverState *bs);
const char *bdrv_get_driver_name(const BlockDriver *drv);
/* The name shown after "image:" (a file name or json:{...}). */
const char *bdrv_get_filename(const BlockDriverState *bs);
BlockDriverState *bdrv_get_file(const BlockDriverState *bs);
BlockDriverState *bdrv_get_backing(const BlockDriverState *bs);
/* The backing file name recorded in the image, or NULL. */
const char *bdrv_get_backing_filename(const BlockDriverState *bs);
const char *bdrv_get_backing_format(const BlockDriverState *bs);
/* Returns: the backing file name resolved against the image's directory
 * (caller frees), or NULL. */
char *bdrv_get_full_backing_filename(const BlockDriverState *bs);
/* Returns: @name resolved relative to the directory of @base (caller
 * frees). */
char *bdrv_path_combine(const char *base, const char *name);
/*
 * bdrv_find_backing_image:
 * @bs: the top of an open backing chain
 * @name: a backing file name as a user gives it (relative names are
 *        relative to the directory of each image in turn)
 * Returns: the node below @bs (not @bs itself) that @name designates, as
 * 7.2's qemu-img commit -b and rebase find it, or NULL (borrowed).
 */
BlockDriverState *bdrv_find_backing_image(BlockDriverState *bs,
                                          const char *name);
bool bdrv_is_encrypted(const BlockDriverState *bs);
/* Returns: whether the format was guessed (no "driver" was given). */
bool bdrv_format_was_probed(const BlockDriverState *bs);
bool bdrv_is_read_only(const BlockDriverState *bs);
int bdrv_get_flags(const BlockDriverState *bs);
/* Returns: 0 with @bdi filled, or -ENOTSUP. */
int bdrv_get_info(BlockDriverState *bs, BlockDriverInfo *bdi);
/* Returns: a new dict {"type": fmt, "data": {...}} or NULL. */
QObject *bdrv_get_specific_info(BlockDriverState *bs, Error **errp);
/* Returns: whether unallocated areas of a new image read as zeros. */
bool bdrv_has_zero_init(BlockDriverState *bs);
/* Returns: the request alignment the format needs (1 if none). */
uint32_t bdrv_get_request_alignment(const BlockDriverState *bs);

#endif /* BLOCK_BLOCK_H */
