/*
 * Generic request handling: bounds, alignment (read-modify-write of partial
 * blocks), zero writes and discards, on top of the drivers' callbacks.
 */
#include "qemu/osdep.h"

#include "block/block_int.h"

/* Largest single request passed to a driver. */
#define BDRV_MAX_REQUEST (1LL << 30)

static int bdrv_check_request(BlockDriverState *bs, int64_t offset,
                              int64_t bytes)
{
    int64_t len;

    /* 7.2 detaches a node it marked corrupt: "No medium found". */
    if (bs->ejected) {
        return -ENOMEDIUM;
    }
    if (offset < 0 || bytes < 0 || offset > INT64_MAX - bytes) {
        return -EIO;
    }
    if (bs->drv->is_protocol) {
        return 0;
    }
    len = bdrv_getlength(bs);
    if (len < 0) {
        return (int)len;
    }
    if (offset + bytes > len) {
        return -EIO;
    }
    return 0;
}

/* Pass a request to the driver in pieces of at most BDRV_MAX_REQUEST. */
static int bdrv_driver_rw(BlockDriverState *bs, int64_t offset,
                          int64_t bytes, QEMUIOVector *qiov,
                          BdrvRequestFlags flags, bool write)
{
    if (write && !bs->drv->bdrv_pwritev) {
        return -ENOTSUP;
    }
    while (bytes > 0) {
        int64_t n = MIN(bytes, BDRV_MAX_REQUEST);
        QEMUIOVector part;
        int ret;

        qemu_iovec_init(&part, qiov->niov);
        qemu_iovec_concat(&part, qiov, qiov->size - bytes, n);
        ret = write ? bs->drv->bdrv_pwritev(bs, offset, n, &part, flags)
                    : bs->drv->bdrv_preadv(bs, offset, n, &part, flags);
        qemu_iovec_destroy(&part);
        if (ret < 0) {
            return ret;
        }
        offset += n;
        bytes -= n;
    }
    return 0;
}

static int bdrv_driver_preadv(BlockDriverState *bs, int64_t offset,
                              int64_t bytes, QEMUIOVector *qiov,
                              BdrvRequestFlags flags)
{
    return bdrv_driver_rw(bs, offset, bytes, qiov, flags, false);
}

static int bdrv_driver_pwritev(BlockDriverState *bs, int64_t offset,
                               int64_t bytes, QEMUIOVector *qiov,
                               BdrvRequestFlags flags)
{
    return bdrv_driver_rw(bs, offset, bytes, qiov, flags, true);
}

/*
 * Widen [offset, offset + bytes) to the node's alignment and read the
 * whole aligned range into a bounce buffer.
 */
static int bdrv_read_aligned(BlockDriverState *bs, int64_t offset,
                             int64_t bytes, uint8_t **pbuf,
                             int64_t *palign_off, int64_t *palign_bytes)
{
    uint32_t align = bs->request_alignment;
    int64_t start = ROUND_DOWN(offset, align);
    int64_t end = ROUND_UP(offset + bytes, align);
    uint8_t *buf = g_try_malloc(end - start);
    QEMUIOVector qiov;
    int ret;

    if (!buf) {
        return -ENOMEM;
    }
    qemu_iovec_init_buf(&qiov, buf, end - start);
    ret = bdrv_driver_preadv(bs, start, end - start, &qiov, 0);
    qemu_iovec_destroy(&qiov);
    if (ret < 0) {
        g_free(buf);
        return ret;
    }
    *pbuf = buf;
    *palign_off = start;
    *palign_bytes = end - start;
    return 0;
}

static bool bdrv_is_aligned(BlockDriverState *bs, int64_t offset,
                            int64_t bytes)
{
    return QEMU_IS_ALIGNED(offset, bs->request_alignment) &&
           QEMU_IS_ALIGNED(bytes, bs->request_alignment);
}

int bdrv_preadv(BdrvChild *child, int64_t offset, int64_t bytes,
                QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    g_autofree uint8_t *bounce = NULL;
    int64_t aoff, abytes;
    int ret;

    assert((size_t)bytes <= qiov->size);
    ret = bdrv_check_request(bs, offset, bytes);
    if (ret < 0 || 0 == bytes) {
        return ret;
    }
    if (bdrv_is_aligned(bs, offset, bytes)) {
        return bdrv_driver_preadv(bs, offset, bytes, qiov, flags);
    }
    ret = bdrv_read_aligned(bs, offset, bytes, &bounce, &aoff, &abytes);
    if (ret < 0) {
        return ret;
    }
    qemu_iovec_from_buf(qiov, 0, bounce + (offset - aoff), bytes);
    return 0;
}

int bdrv_pwritev(BdrvChild *child, int64_t offset, int64_t bytes,
                 QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    g_autofree uint8_t *bounce = NULL;
    QEMUIOVector aligned;
    int64_t aoff, abytes;
    int ret;

    assert((size_t)bytes <= qiov->size);
    if (bs->read_only) {
        return -EPERM;
    }
    ret = bdrv_check_request(bs, offset, bytes);
    if (ret < 0 || 0 == bytes) {
        return ret;
    }
    if (bdrv_is_aligned(bs, offset, bytes)) {
        return bdrv_driver_pwritev(bs, offset, bytes, qiov, flags);
    }
    ret = bdrv_read_aligned(bs, offset, bytes, &bounce, &aoff, &abytes);
    if (ret < 0) {
        return ret;
    }
    qemu_iovec_to_buf(qiov, 0, bounce + (offset - aoff), bytes);
    qemu_iovec_init_buf(&aligned, bounce, abytes);
    ret = bdrv_driver_pwritev(bs, aoff, abytes, &aligned, flags);
    qemu_iovec_destroy(&aligned);
    return ret;
}

int bdrv_pread(BdrvChild *child, int64_t offset, int64_t bytes, void *buf,
               BdrvRequestFlags flags)
{
    QEMUIOVector qiov;
    int ret;

    qemu_iovec_init_buf(&qiov, buf, bytes);
    ret = bdrv_preadv(child, offset, bytes, &qiov, flags);
    qemu_iovec_destroy(&qiov);
    return ret;
}

int bdrv_pwrite(BdrvChild *child, int64_t offset, int64_t bytes,
                const void *buf, BdrvRequestFlags flags)
{
    QEMUIOVector qiov;
    int ret;

    qemu_iovec_init_buf(&qiov, (void *)buf, bytes);
    ret = bdrv_pwritev(child, offset, bytes, &qiov, flags);
    qemu_iovec_destroy(&qiov);
    return ret;
}

/* Write zeros with a reused zero buffer, in chunks. */
static int bdrv_write_zero_buffer(BdrvChild *child, int64_t offset,
                                  int64_t bytes)
{
    const int64_t chunk = 1 << 20;
    g_autofree uint8_t *zeros = g_malloc0(MIN(bytes, chunk));
    int ret = 0;

    while (bytes > 0 && ret >= 0) {
        int64_t n = MIN(bytes, chunk);
        ret = bdrv_pwrite(child, offset, n, zeros, 0);
        offset += n;
        bytes -= n;
    }
    return ret;
}

int bdrv_pwrite_zeroes(BdrvChild *child, int64_t offset, int64_t bytes,
                       BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    int ret;

    if (bs->read_only) {
        return -EPERM;
    }
    ret = bdrv_check_request(bs, offset, bytes);
    if (ret < 0 || 0 == bytes) {
        return ret;
    }
    if (bs->drv->bdrv_pwrite_zeroes && bdrv_is_aligned(bs, offset, bytes)) {
        ret = bs->drv->bdrv_pwrite_zeroes(bs, offset, bytes, flags);
        if (ret != -ENOTSUP) {
            return ret >= 0 && (flags & BDRV_REQ_FUA) ? bdrv_flush(bs) : ret;
        }
    }
    if (flags & BDRV_REQ_NO_FALLBACK) {
        return -ENOTSUP;
    }
    ret = bdrv_write_zero_buffer(child, offset, bytes);
    return ret >= 0 && (flags & BDRV_REQ_FUA) ? bdrv_flush(bs) : ret;
}

int bdrv_pdiscard(BdrvChild *child, int64_t offset, int64_t bytes)
{
    BlockDriverState *bs = child->bs;
    int ret;

    if (bs->read_only) {
        return -EPERM;
    }
    ret = bdrv_check_request(bs, offset, bytes);
    if (ret < 0 || 0 == bytes) {
        return ret;
    }
    if (!bs->drv->bdrv_pdiscard || !(bs->open_flags & BDRV_O_UNMAP)) {
        return 0;
    }
    return bs->drv->bdrv_pdiscard(bs, offset, bytes);
}

/*
 * The node that holds the bytes of [@offset, ...) of @bs unchanged: @bs
 * itself below raw formats, or NULL (a format that maps or transforms
 * them).  A raw image probed rather than named keeps its first sector for
 * raw_pwritev()'s format check.
 */
static BlockDriverState *bdrv_copy_range_node(BlockDriverState *bs,
                                              int64_t offset, bool write)
{
    while (bs && bs->drv == &bdrv_raw) {
        if (write && bs->probed && offset < (int64_t)BDRV_SECTOR_SIZE) {
            return NULL;
        }
        bs = bs->file ? bs->file->bs : NULL;
    }
    return bs;
}

int bdrv_copy_range(BdrvChild *src, int64_t src_offset, BdrvChild *dst,
                    int64_t dst_offset, int64_t bytes)
{
    BlockDriverState *s = bdrv_copy_range_node(src->bs, src_offset, false);
    BlockDriverState *d = bdrv_copy_range_node(dst->bs, dst_offset, true);
    int ret;

    if (dst->bs->read_only || (d && d->read_only)) {
        return -EPERM;
    }
    ret = bdrv_check_request(src->bs, src_offset, bytes);
    if (ret >= 0) {
        ret = bdrv_check_request(dst->bs, dst_offset, bytes);
    }
    if (ret < 0 || 0 == bytes) {
        return ret;
    }
    if (!s || !d || s->drv != d->drv || !d->drv->bdrv_copy_range ||
        s->ejected || d->ejected) {
        return -ENOTSUP;
    }
    return d->drv->bdrv_copy_range(s, src_offset, d, dst_offset, bytes);
}

int bdrv_flush(BlockDriverState *bs)
{
    int ret = 0;

    if (!bs || bs->read_only || bs->ejected) {
        return 0;
    }
    if (bs->drv->bdrv_flush) {
        ret = bs->drv->bdrv_flush(bs);
    }
    if (ret >= 0 && bs->file) {
        ret = bdrv_flush(bs->file->bs);
    }
    return ret;
}

int bdrv_block_status_default(BlockDriverState *bs, int64_t offset,
                              int64_t bytes, int64_t *pnum, int64_t *map,
                              BlockDriverState **file)
{
    *pnum = bytes;
    return BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED;
}

int bdrv_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      int64_t *pnum, int64_t *map, BlockDriverState **file)
{
    int64_t len = bdrv_getlength(bs);
    int64_t local_map = 0;
    BlockDriverState *local_file = NULL;
    int ret;

    if (len < 0) {
        return (int)len;
    }
    if (offset >= len) {
        *pnum = 0;
        return BDRV_BLOCK_EOF;
    }
    bytes = MIN(bytes, len - offset);
    if (bs->drv->bdrv_block_status) {
        ret = bs->drv->bdrv_block_status(bs, offset, bytes, pnum,
                                         &local_map, &local_file);
    } else {
        ret = bdrv_block_status_default(bs, offset, bytes, pnum,
                                        &local_map, &local_file);
    }
    if (ret < 0) {
        return ret;
    }
    assert(*pnum > 0 && *pnum <= bytes);
    if (offset + *pnum == len) {
        ret |= BDRV_BLOCK_EOF;
    }
    if (map) {
        *map = local_map;
    }
    if (file) {
        *file = local_file;
    }
    return ret;
}

int bdrv_is_allocated_above(BlockDriverState *bs, BlockDriverState *base,
                            int64_t offset, int64_t bytes, int64_t *pnum)
{
    BlockDriverState *p;
    int64_t first = bytes;

    for (p = bs; p && p != base; p = bdrv_get_backing(p)) {
        int64_t n = 0;
        int ret = bdrv_block_status(p, offset, bytes, &n, NULL, NULL);

        if (ret < 0) {
            return ret;
        }
        if (ret & (BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_ZERO | BDRV_BLOCK_DATA)
            && n > 0) {
            *pnum = MIN(n, first);
            return 1;
        }
        if (ret & BDRV_BLOCK_EOF && 0 == n) {
            continue;
        }
        first = MIN(first, n > 0 ? n : first);
    }
    *pnum = first;
    return 0;
}

int bdrv_pwritev_compressed(BdrvChild *child, int64_t offset, int64_t bytes,
                            QEMUIOVector *qiov)
{
    BlockDriverState *bs = child->bs;
    int ret;

    assert(!bytes || (size_t)bytes <= qiov->size);
    if (!bs->drv->bdrv_pwritev_compressed) {
        return -ENOTSUP;
    }
    if (bs->read_only) {
        return -EPERM;
    }
    ret = bdrv_check_request(bs, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    /* An empty write marks the end of compressed output (see block.h). */
    return bs->drv->bdrv_pwritev_compressed(bs, offset, bytes, qiov);
}

int bdrv_load_vmstate(BdrvChild *child, QEMUIOVector *qiov, int64_t pos)
{
    BlockDriverState *bs = child->bs;

    if (!bs->drv->bdrv_load_vmstate) {
        return -ENOTSUP;
    }
    if (pos < 0 || qiov->size > (uint64_t)(INT64_MAX - pos)) {
        return -EINVAL;
    }
    return bs->drv->bdrv_load_vmstate(bs, qiov, pos);
}

int bdrv_save_vmstate(BdrvChild *child, QEMUIOVector *qiov, int64_t pos)
{
    BlockDriverState *bs = child->bs;

    if (!bs->drv->bdrv_save_vmstate) {
        return -ENOTSUP;
    }
    if (bs->read_only) {
        return -EPERM;
    }
    if (pos < 0 || qiov->size > (uint64_t)(INT64_MAX - pos)) {
        return -EINVAL;
    }
    return bs->drv->bdrv_save_vmstate(bs, qiov, pos);
}

bool bdrv_driver_supports_compressed_writes(const BlockDriver *drv)
{
    return drv->bdrv_pwritev_compressed != NULL;
}
