/*
 * The "file" protocol driver: a regular file or block device accessed with
 * pread/pwrite, fallocate hole punching and SEEK_DATA/SEEK_HOLE.
 */
#include "qemu/osdep.h"

#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

#include "block/block_int.h"
#include "qapi/keyval.h"
#include "qemu/cutils.h"

/*
 * Image locking compatible with QEMU's: one byte per permission, a shared
 * (read) OFD lock on LOCK_HELD_BASE + bit for each permission this opener
 * uses and on LOCK_UNSHARED_BASE + bit for each it refuses to share.
 */
#define LOCK_HELD_BASE 100
#define LOCK_UNSHARED_BASE 200
#define LOCK_PERM_CONSISTENT_READ 0
#define LOCK_PERM_WRITE 1
#define LOCK_PERM_RESIZE 3

static const char *const lock_perm_names[] = {
    "consistent read", "write", "write unchanged", "resize",
    "change children",
};

/* Buffer alignment O_DIRECT needs on every file system we expect. */
#define FILE_DIRECT_ALIGN 4096

typedef struct BDRVFileState {
    int fd;
    bool direct;                /* opened with O_DIRECT */
    bool is_block_device;
    bool use_locks;             /* locking=off not given */
    /*
     * The last data extent SEEK_DATA/SEEK_HOLE reported, [start, end):
     * on tmpfs each SEEK_HOLE walks the page cache up to the next hole,
     * so asking again for every chunk of a large file is quadratic.
     * Writes only add data; hole punching and truncation drop it.
     */
    int64_t data_start;
    int64_t data_end;
} BDRVFileState;

/* Forget the cached data extent (the file may have new holes). */
static void file_forget_extent(BDRVFileState *s)
{
    s->data_start = s->data_end = 0;
}

static int file_lock_byte(int fd, int cmd, short type, off_t byte)
{
    struct flock fl = {
        .l_whence = SEEK_SET,
        .l_start = byte,
        .l_len = 1,
        .l_type = type,
    };

    if (fcntl(fd, cmd, &fl) < 0) {
        return -errno;
    }
    return F_OFD_GETLK == cmd ? fl.l_type : 0;
}

/* Whether another open file description holds a lock on @byte. */
static bool file_lock_is_taken(int fd, off_t byte)
{
    return file_lock_byte(fd, F_OFD_GETLK, F_WRLCK, byte) == F_RDLCK;
}

/*
 * Take our lock bytes, then check that nobody refuses to share what we
 * use and nobody uses what we refuse to share.
 */
static int file_lock(int fd, int flags, const char *filename, Error **errp)
{
    unsigned held = 1u << LOCK_PERM_CONSISTENT_READ;
    unsigned unshared = 0;

    /*
     * As observed with 7.2: raw and luks users share everything and hold
     * only what they use; a format that protects its metadata (qcow2)
     * also refuses to share write and resize unless forced (-U).
     */
    if (flags & BDRV_O_RDWR) {
        held |= 1u << LOCK_PERM_WRITE;
        if (flags & (BDRV_O_RESIZE | BDRV_O_PROTECT_METADATA)) {
            held |= 1u << LOCK_PERM_RESIZE;
        }
    }
    if ((flags & BDRV_O_PROTECT_METADATA) &&
        !(flags & BDRV_O_FORCE_SHARE)) {
        unshared = (1u << LOCK_PERM_WRITE) | (1u << LOCK_PERM_RESIZE);
    }
    for (unsigned bit = 0; bit < G_N_ELEMENTS(lock_perm_names); bit++) {
        if (((held >> bit) & 1) &&
            (file_lock_byte(fd, F_OFD_SETLK, F_RDLCK,
                            LOCK_HELD_BASE + bit) < 0 ||
             file_lock_is_taken(fd, LOCK_UNSHARED_BASE + bit))) {
            error_setg(errp, "Failed to get \"%s\" lock",
                       lock_perm_names[bit]);
            goto fail;
        }
        if (((unshared >> bit) & 1) &&
            (file_lock_byte(fd, F_OFD_SETLK, F_RDLCK,
                            LOCK_UNSHARED_BASE + bit) < 0 ||
             file_lock_is_taken(fd, LOCK_HELD_BASE + bit))) {
            error_setg(errp, "Failed to get shared \"%s\" lock",
                       lock_perm_names[bit]);
            goto fail;
        }
    }
    return 0;

fail:
    error_append_hint(errp, "Is another process using the image [%s]?\n",
                      filename);
    return -EAGAIN;
}

static int file_lock_node(BlockDriverState *bs, int flags, Error **errp)
{
    BDRVFileState *s = bs->opaque;

    if (!s->use_locks) {
        return 0;
    }
    return file_lock(s->fd, flags, bs->exact_filename, errp);
}

static int file_open(BlockDriverState *bs, QObject *options, int flags,
                     Error **errp)
{
    BDRVFileState *s = bs->opaque;
    g_autoptr(QObject) filename_obj = qdict_take(options, "filename");
    const char *filename, *locking;
    int oflags = O_CLOEXEC;
    bool use_locks;
    int ret;
    struct stat st;

    s->fd = -1;
    if (!filename_obj || QTYPE_QSTRING != qobject_type(filename_obj)) {
        error_setg(errp, "The 'file' block driver requires a file name");
        return -EINVAL;
    }
    filename = qobject_get_str(filename_obj);
    /* Options 7.2 accepts that have no effect here. */
    qdict_del(options, "aio");
    locking = qdict_get_str(options, "locking");
    if (locking && strcmp(locking, "off") && strcmp(locking, "on") &&
        strcmp(locking, "auto")) {
        error_setg(errp, "Parameter 'locking' does not accept value '%s'",
                   locking);
        return -EINVAL;
    }
    use_locks = !locking || strcmp(locking, "off");
    qdict_del(options, "locking");
    qdict_del(options, "x-check-cache-dropped");

    oflags |= (flags & BDRV_O_RDWR) ? O_RDWR : O_RDONLY;
    if (flags & BDRV_O_NOCACHE) {
        oflags |= O_DIRECT;
    }
    bs->exact_filename = g_strdup(filename);
    s->fd = open(filename, oflags);
    if (s->fd < 0) {
        int err = errno;
        error_setg_errno(errp, err, "Could not open '%s'", filename);
        return -err;
    }
    if (fstat(s->fd, &st) == 0 && S_ISBLK(st.st_mode)) {
        s->is_block_device = true;
    }
    if ((flags & BDRV_O_FORCE_SHARE) && (flags & BDRV_O_RDWR)) {
        error_setg(errp, "force-share=on can only be used with read-only "
                   "images");
        return -EINVAL;
    }
    s->use_locks = use_locks;
    if (!(flags & BDRV_O_DEFER_LOCKS)) {
        ret = file_lock_node(bs, flags, errp);
        if (ret < 0) {
            return ret;
        }
    }
    s->direct = !!(flags & BDRV_O_NOCACHE);
    bs->request_alignment = s->direct ? FILE_DIRECT_ALIGN : 1;
    return 0;
}

static void file_close(BlockDriverState *bs)
{
    BDRVFileState *s = bs->opaque;

    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

static bool file_qiov_is_aligned(const QEMUIOVector *qiov)
{
    for (int i = 0; i < qiov->niov; i++) {
        if ((uintptr_t)qiov->iov[i].iov_base % FILE_DIRECT_ALIGN ||
            qiov->iov[i].iov_len % FILE_DIRECT_ALIGN) {
            return false;
        }
    }
    return true;
}

/* Transfer the whole vector, retrying short transfers and EINTR. */
static int file_rw_vector(BDRVFileState *s, int64_t offset,
                          QEMUIOVector *qiov, bool write)
{
    size_t done = 0;

    while (done < qiov->size) {
        QEMUIOVector rest;
        ssize_t n;

        qemu_iovec_init(&rest, qiov->niov);
        qemu_iovec_concat(&rest, qiov, done, qiov->size - done);
        n = write ? pwritev(s->fd, rest.iov, MIN(rest.niov, IOV_MAX),
                            offset + done)
                  : preadv(s->fd, rest.iov, MIN(rest.niov, IOV_MAX),
                           offset + done);
        qemu_iovec_destroy(&rest);
        if (n < 0 && EINTR == errno) {
            continue;
        }
        if (n < 0) {
            return -errno;
        }
        if (0 == n) {
            if (write) {
                return -EIO;
            }
            /* Past the end of the file reads as zeros. */
            qemu_iovec_memset(qiov, done, 0, qiov->size - done);
            break;
        }
        done += n;
    }
    return 0;
}

/* O_DIRECT with unaligned memory: go through an aligned bounce buffer. */
static int file_rw_bounced(BDRVFileState *s, int64_t offset, int64_t bytes,
                           QEMUIOVector *qiov, bool write)
{
    void *buf = NULL;
    QEMUIOVector bq;
    int ret;

    if (posix_memalign(&buf, FILE_DIRECT_ALIGN,
                       ROUND_UP(bytes, FILE_DIRECT_ALIGN))) {
        return -ENOMEM;
    }
    if (write) {
        qemu_iovec_to_buf(qiov, 0, buf, bytes);
    }
    qemu_iovec_init_buf(&bq, buf, bytes);
    ret = file_rw_vector(s, offset, &bq, write);
    qemu_iovec_destroy(&bq);
    if (ret >= 0 && !write) {
        qemu_iovec_from_buf(qiov, 0, buf, bytes);
    }
    free(buf);
    return ret;
}

static int file_rw(BlockDriverState *bs, int64_t offset, int64_t bytes,
                   QEMUIOVector *qiov, bool write)
{
    BDRVFileState *s = bs->opaque;
    QEMUIOVector part;
    int ret;

    if (s->direct && !file_qiov_is_aligned(qiov)) {
        return file_rw_bounced(s, offset, bytes, qiov, write);
    }
    if ((size_t)bytes == qiov->size) {
        return file_rw_vector(s, offset, qiov, write);
    }
    qemu_iovec_init(&part, qiov->niov);
    qemu_iovec_concat(&part, qiov, 0, bytes);
    ret = file_rw_vector(s, offset, &part, write);
    qemu_iovec_destroy(&part);
    return ret;
}

static int file_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                       QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    return file_rw(bs, offset, bytes, qiov, false);
}

static int file_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                        QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    int ret = file_rw(bs, offset, bytes, qiov, true);

    if (ret >= 0 && (flags & BDRV_REQ_FUA)) {
        ret = fdatasync(((BDRVFileState *)bs->opaque)->fd) ? -errno : 0;
    }
    return ret;
}

static int64_t file_getlength(BlockDriverState *bs)
{
    BDRVFileState *s = bs->opaque;
    struct stat st;
    off_t end;

    if (!s->is_block_device) {
        if (fstat(s->fd, &st) < 0) {
            return -errno;
        }
        return st.st_size;
    }
    end = lseek(s->fd, 0, SEEK_END);
    return end < 0 ? -errno : end;
}

static int file_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                              int64_t bytes, BdrvRequestFlags flags)
{
    BDRVFileState *s = bs->opaque;
    int64_t len = file_getlength(bs);

    if (len < 0) {
        return (int)len;
    }
    file_forget_extent(s);
    if (offset >= len && !s->is_block_device) {
        /* Growing the file by truncation yields zeros. */
        return ftruncate(s->fd, offset + bytes) ? -errno : 0;
    }
    if ((flags & BDRV_REQ_MAY_UNMAP) && !s->is_block_device &&
        0 == fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                       offset, MIN(bytes, len - offset))) {
        /* The partial last sector already reads as zeros past the end
         * (lengths are whole sectors): only grow beyond it. */
        if (offset + bytes > ROUND_UP(len, (int64_t)BDRV_SECTOR_SIZE)) {
            return ftruncate(s->fd, offset + bytes) ? -errno : 0;
        }
        return 0;
    }
    if (0 == fallocate(s->fd, FALLOC_FL_ZERO_RANGE, offset, bytes)) {
        return 0;
    }
    return -ENOTSUP;
}

static int file_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    BDRVFileState *s = bs->opaque;

    file_forget_extent(s);
    if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  offset, bytes) < 0) {
        /* Discard is advisory: unsupported means nothing happened. */
        return (EOPNOTSUPP == errno || ENOSYS == errno) ? 0 : -errno;
    }
    return 0;
}

static int file_copy_range(BlockDriverState *src, int64_t src_offset,
                           BlockDriverState *dst, int64_t dst_offset,
                           int64_t bytes)
{
    BDRVFileState *ss = src->opaque;
    BDRVFileState *ds = dst->opaque;
    loff_t in = src_offset, out = dst_offset;
    int64_t done = 0;

    /* A clone may bring the source's holes along. */
    file_forget_extent(ds);
    while (done < bytes) {
        ssize_t n = copy_file_range(ss->fd, &in, ds->fd, &out,
                                    bytes - done, 0);

        if (n < 0 && EINTR == errno) {
            continue;
        }
        if (n < 0) {
            int err = errno;

            /* Not for these files (kernel, file systems, O_DIRECT). */
            if (0 == done && (ENOSYS == err || EXDEV == err ||
                              EOPNOTSUPP == err || EINVAL == err ||
                              EBADF == err)) {
                return -ENOTSUP;
            }
            return -err;
        }
        if (0 == n) {
            /* The source ended early: it shrank under us. */
            return -EIO;
        }
        done += n;
    }
    return 0;
}

static int file_flush(BlockDriverState *bs)
{
    BDRVFileState *s = bs->opaque;

    return fdatasync(s->fd) < 0 ? -errno : 0;
}

static int file_block_status(BlockDriverState *bs, int64_t offset,
                             int64_t bytes, int64_t *pnum, int64_t *map,
                             BlockDriverState **file)
{
    BDRVFileState *s = bs->opaque;
    off_t data, hole;

    *map = offset;
    *file = bs;
    if (offset >= s->data_start && offset < s->data_end) {
        *pnum = MIN(bytes, s->data_end - offset);
        return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
    }
    data = lseek(s->fd, offset, SEEK_DATA);
    if (data < 0 && ENXIO == errno) {
        /* Only a hole up to the end of the file. */
        *pnum = bytes;
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID;
    }
    if (data < 0) {
        *pnum = bytes;
        return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
    }
    if (data > offset) {
        *pnum = MIN(bytes, data - offset);
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID;
    }
    hole = lseek(s->fd, offset, SEEK_HOLE);
    if (hole < 0 || hole <= offset) {
        *pnum = bytes;
    } else {
        *pnum = MIN(bytes, hole - offset);
        s->data_start = offset;
        s->data_end = hole;
    }
    return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
}

static int64_t file_get_allocated_file_size(BlockDriverState *bs)
{
    BDRVFileState *s = bs->opaque;
    struct stat st;

    if (fstat(s->fd, &st) < 0) {
        return -errno;
    }
    return (int64_t)st.st_blocks * 512;
}

/* Write zeros over [offset, end) for preallocation=full. */
static int file_write_zeros_range(int fd, int64_t offset, int64_t end)
{
    const size_t chunk = 1 << 20;
    g_autofree uint8_t *zeros = g_malloc0(chunk);

    while (offset < end) {
        size_t n = MIN((int64_t)chunk, end - offset);
        ssize_t r = pwrite(fd, zeros, n, offset);
        if (r < 0 && EINTR == errno) {
            continue;
        }
        if (r <= 0) {
            return r < 0 ? -errno : -EIO;
        }
        offset += r;
    }
    return 0;
}

static int file_fd_truncate(int fd, int64_t offset, PreallocMode prealloc,
                            int64_t old_len, Error **errp)
{
    int ret;

    if (PREALLOC_MODE_FALLOC == prealloc && offset > old_len) {
        ret = posix_fallocate(fd, old_len, offset - old_len);
        if (ret) {
            error_setg_errno(errp, ret, "Could not preallocate new data");
            return -ret;
        }
        return 0;
    }
    if (ftruncate(fd, offset) < 0) {
        ret = -errno;
        error_setg_errno(errp, -ret, "Could not resize file");
        return ret;
    }
    if (0 == old_len && offset > 0 && PREALLOC_MODE_OFF == prealloc) {
        /*
         * As 7.2 does, allocate the first block of a new image so that
         * later O_DIRECT alignment probing finds data (its "disk size"
         * shows this 4 KiB).
         */
        ret = file_write_zeros_range(fd, 0, MIN(offset, FILE_DIRECT_ALIGN));
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not write the first block");
            return ret;
        }
    }
    if (PREALLOC_MODE_FULL == prealloc && offset > old_len) {
        ret = file_write_zeros_range(fd, old_len, offset);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not write zeros for "
                             "preallocation");
            return ret;
        }
    }
    return 0;
}

static int file_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                         PreallocMode prealloc, Error **errp)
{
    BDRVFileState *s = bs->opaque;
    int64_t len = file_getlength(bs);

    if (len < 0) {
        error_setg_errno(errp, (int)-len, "Failed to get file length");
        return (int)len;
    }
    if (s->is_block_device) {
        if (offset > len || (exact && offset != len)) {
            error_setg(errp, "Cannot grow device files");
            return -EINVAL;
        }
        return 0;
    }
    if (PREALLOC_MODE_METADATA == prealloc) {
        error_setg(errp, "Unsupported preallocation mode: metadata");
        return -ENOTSUP;
    }
    /* Regular files always take the size asked for, exact or not. */
    file_forget_extent(s);
    return file_fd_truncate(s->fd, offset, prealloc, len, errp);
}

const QOptDesc bdrv_file_create_opts[] = {
    {
        .name = "size",
        .type = QOPT_TYPE_SIZE,
        .help = "Virtual disk size",
    }, {
        .name = "preallocation",
        .type = QOPT_TYPE_STRING,
        .help = "Preallocation mode (allowed values: off, falloc, full)",
    }, {
        .name = "nocow",
        .type = QOPT_TYPE_BOOL,
        .help = "Turn off copy-on-write (valid only on btrfs)",
    }, {
        .name = "extent_size_hint",
        .type = QOPT_TYPE_SIZE,
        .help = "Extent size hint for the image file, 0 to disable",
    },
    { .name = NULL }
};

static int file_parse_prealloc(const QObject *opts, PreallocMode *mode,
                               Error **errp)
{
    const char *str = qdict_get_str(opts, "preallocation");
    int val;

    if (!str) {
        *mode = PREALLOC_MODE_OFF;
        return 0;
    }
    val = qapi_enum_parse(&PreallocMode_lookup, "preallocation", str,
                          PREALLOC_MODE_OFF, NULL);
    if (val < 0 || PREALLOC_MODE_METADATA == val) {
        error_setg(errp, "invalid parameter value: %s", str);
        return -EINVAL;
    }
    *mode = val;
    return 0;
}

static void file_set_nocow(int fd)
{
    int attr;

    /* Best effort, as 7.2: only btrfs knows the flag. */
    if (ioctl(fd, FS_IOC_GETFLAGS, &attr) == 0) {
        attr |= FS_NOCOW_FL;
        (void)ioctl(fd, FS_IOC_SETFLAGS, &attr);
    }
}

static int file_create(const char *filename, QObject *opts, Error **errp)
{
    uint64_t size = qopts_get_number(opts, "size", 0);
    PreallocMode prealloc;
    int fd, ret;

    ret = file_parse_prealloc(opts, &prealloc, errp);
    if (ret < 0) {
        return ret;
    }
    if (size > INT64_MAX) {
        error_setg(errp, "Image size too large");
        return -EFBIG;
    }
    /* As 7.2, new files are a whole number of sectors. */
    size = ROUND_UP(size, BDRV_SECTOR_SIZE);
    fd = open(filename, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        ret = -errno;
        error_setg_errno(errp, -ret, "Could not create '%s'", filename);
        return ret;
    }
    if (qopts_get_bool(opts, "nocow", false)) {
        file_set_nocow(fd);
    }
    ret = file_fd_truncate(fd, size, prealloc, 0, errp);
    if (close(fd) < 0 && ret >= 0) {
        ret = -errno;
        error_setg_errno(errp, -ret, "Could not close the new file");
    }
    return ret;
}

const BlockDriver bdrv_file = {
    .format_name = "file",
    .instance_size = sizeof(BDRVFileState),
    .is_protocol = true,
    .bdrv_open = file_open,
    .bdrv_close = file_close,
    .bdrv_lock = file_lock_node,
    .bdrv_preadv = file_preadv,
    .bdrv_copy_range = file_copy_range,
    .bdrv_pwritev = file_pwritev,
    .bdrv_pwrite_zeroes = file_pwrite_zeroes,
    .bdrv_pdiscard = file_pdiscard,
    .bdrv_flush = file_flush,
    .bdrv_block_status = file_block_status,
    .bdrv_getlength = file_getlength,
    .bdrv_get_allocated_file_size = file_get_allocated_file_size,
    .bdrv_truncate = file_truncate,
    .bdrv_create = file_create,
    .create_opts = bdrv_file_create_opts,
};
