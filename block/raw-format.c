/*
 * The "raw" format driver: guest data is the file's bytes, passed through.
 */
#include "qemu/osdep.h"

#include "block/block_int.h"

static int raw_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    /* Anything is raw, but every real format wins over it. */
    return 1;
}

static int raw_open(BlockDriverState *bs, QObject *options, int flags,
                    Error **errp)
{
    bs->request_alignment = bs->file->bs->request_alignment;
    return 0;
}

static int raw_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    return bdrv_preadv(bs->file, offset, bytes, qiov, flags);
}

/*
 * As 7.2 does for a probed raw image: refuse to write a first sector that
 * would make the next open probe another format (a guest could otherwise
 * turn its disk into, say, a qcow2 naming a host file as backing).
 */
static bool raw_write_changes_format(BlockDriverState *bs, int64_t offset,
                                     int64_t bytes, QEMUIOVector *qiov)
{
    uint8_t sector[BDRV_SECTOR_SIZE];
    BdrvChild tmp = { .bs = bs->file->bs, .name = (char *)"probe" };
    size_t n;

    if (!bs->probed || offset >= (int64_t)BDRV_SECTOR_SIZE) {
        return false;
    }
    memset(sector, 0, sizeof(sector));
    if (offset > 0 || bytes < (int64_t)BDRV_SECTOR_SIZE) {
        /* Merge with the sector's current contents. */
        if (bdrv_pread(&tmp, 0, BDRV_SECTOR_SIZE, sector, 0) < 0) {
            return true;
        }
    }
    n = MIN((int64_t)BDRV_SECTOR_SIZE - offset, bytes);
    qemu_iovec_to_buf(qiov, 0, sector + offset, n);
    return bdrv_probe_buf(sector, BDRV_SECTOR_SIZE, NULL) != &bdrv_raw;
}

static int raw_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                       QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    if (raw_write_changes_format(bs, offset, bytes, qiov)) {
        return -EPERM;
    }
    return bdrv_pwritev(bs->file, offset, bytes, qiov, flags);
}

static int raw_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                             int64_t bytes, BdrvRequestFlags flags)
{
    return bdrv_pwrite_zeroes(bs->file, offset, bytes, flags);
}

static int raw_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    return bdrv_pdiscard(bs->file, offset, bytes);
}

static int raw_block_status(BlockDriverState *bs, int64_t offset,
                            int64_t bytes, int64_t *pnum, int64_t *map,
                            BlockDriverState **file)
{
    int ret = bdrv_block_status(bs->file->bs, offset, bytes, pnum, map, file);

    if (ret < 0) {
        return ret;
    }
    if (0 == *pnum) {
        /* At or past the end of the file: the rest reads as zeros. */
        *pnum = bytes;
        *map = offset;
        *file = bs->file->bs;
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID;
    }
    return (ret & ~BDRV_BLOCK_EOF) | BDRV_BLOCK_ALLOCATED;
}

static int64_t raw_getlength(BlockDriverState *bs)
{
    return bdrv_getlength(bs->file->bs);
}

static int raw_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                        PreallocMode prealloc, Error **errp)
{
    return bdrv_truncate(bs->file, offset, true, prealloc, errp);
}

static bool raw_has_zero_init(BlockDriverState *bs)
{
    return bdrv_has_zero_init(bs->file->bs);
}

static int raw_create(const char *filename, QObject *opts, Error **errp)
{
    return bdrv_file.bdrv_create(filename, opts, errp);
}

static int raw_measure(const QObject *opts, BlockDriverState *in_bs,
                       BlockMeasureInfo *info, Error **errp)
{
    int64_t len;

    if (!in_bs) {
        /* As create does, 7.2 rounds the size up to whole sectors. */
        info->required = ROUND_UP(qopts_get_number(opts, "size", 0),
                                  BDRV_SECTOR_SIZE);
    } else {
        len = bdrv_getlength(in_bs);
        if (len < 0) {
            error_setg_errno(errp, (int)-len, "Unable to get image size");
            return (int)len;
        }
        info->required = len;
    }
    /* Unallocated blocks take room in a raw file all the same. */
    info->fully_allocated = info->required;
    return 0;
}

static int raw_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    return 0;
}

static const QOptDesc raw_create_opts[] = {
    {
        .name = "size",
        .type = QOPT_TYPE_SIZE,
        .help = "Virtual disk size",
    },
    { .name = NULL }
};

const BlockDriver bdrv_raw = {
    .format_name = "raw",
    .instance_size = 1,
    .bdrv_probe = raw_probe,
    .bdrv_open = raw_open,
    .bdrv_preadv = raw_preadv,
    .bdrv_pwritev = raw_pwritev,
    .bdrv_pwrite_zeroes = raw_pwrite_zeroes,
    .bdrv_pdiscard = raw_pdiscard,
    .bdrv_block_status = raw_block_status,
    .bdrv_getlength = raw_getlength,
    .bdrv_truncate = raw_truncate,
    .bdrv_has_zero_init = raw_has_zero_init,
    .bdrv_get_info = raw_get_info,
    .bdrv_create = raw_create,
    .create_opts = raw_create_opts,
    .bdrv_measure = raw_measure,
};
