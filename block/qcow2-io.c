/*
 * qcow2 guest data path: reads (backing file, zero, compressed and normal
 * clusters), writes with copy-on-write, zero writes, discards, block
 * status and flush (qcow2.txt "Cluster mapping", "Extended L2 Entries").
 */
#include "qemu/osdep.h"

#include <zlib.h>
#include <zstd.h>

#include "block/crypto-io.h"
#include "block/qcow2.h"

/*
 * The encryption seam.  Guest data clusters are encrypted in 512-byte
 * sectors; for LUKS the IV sector comes from the host offset (what
 * existing images use), for the legacy AES scheme from the guest offset.
 * s->crypto is set up by qcow2-crypto.c when the image is opened.
 */
static uint64_t qcow2_iv_offset(BDRVQcow2State *s, uint64_t host_offset,
                                uint64_t guest_offset)
{
    return QCOW2_CRYPT_AES == s->crypt_method_header ? guest_offset
                                                     : host_offset;
}

/* Encrypt @len bytes of @buf in place, numbered as qcow2_iv_offset(). */
static void qcow2_encrypt(BDRVQcow2State *s, uint64_t host_offset,
                          uint64_t guest_offset, uint8_t *buf, size_t len)
{
    assert(s->crypto);
    qcrypto_block_encrypt(s->crypto, qcow2_iv_offset(s, host_offset,
                                                     guest_offset),
                          buf, len);
}

/* A view of @bytes of @qiov from byte @skip (free with destroy). */
static void qiov_slice(QEMUIOVector *dst, QEMUIOVector *qiov, uint64_t skip,
                       uint64_t bytes)
{
    qemu_iovec_init(dst, qiov->niov);
    qemu_iovec_concat(dst, qiov, skip, bytes);
}

/* Read from the backing node; what lies past its end reads as zeros. */
static int read_backing(BlockDriverState *bs, uint64_t offset,
                        uint64_t bytes, QEMUIOVector *qiov, uint64_t skip,
                        BdrvRequestFlags flags)
{
    int64_t len = bdrv_getlength(bs->backing->bs);
    uint64_t n;
    QEMUIOVector part;
    int ret = 0;

    if (len < 0) {
        return (int)len;
    }
    n = offset < (uint64_t)len ? MIN(bytes, (uint64_t)len - offset) : 0;
    if (n) {
        qiov_slice(&part, qiov, skip, n);
        ret = bdrv_preadv(bs->backing, offset, n, &part,
                          flags & BDRV_REQ_SERIAL_CRYPTO);
        qemu_iovec_destroy(&part);
    }
    if (ret >= 0 && n < bytes) {
        qemu_iovec_memset(qiov, skip + n, 0, bytes - n);
    }
    return ret;
}

/* Raw deflate (no zlib header), as QEMU writes compressed clusters. */
static int decompress_zlib(uint8_t *dest, size_t dest_size,
                           const uint8_t *src, size_t src_size)
{
    z_stream strm = { 0 };
    int ret;

    if (inflateInit2(&strm, -12) != Z_OK) {
        return -EIO;
    }
    strm.next_in = (uint8_t *)src;
    strm.avail_in = src_size;
    strm.next_out = dest;
    strm.avail_out = dest_size;
    ret = inflate(&strm, Z_FINISH);
    /* The last sector may hold trailing bytes: a full cluster is enough. */
    ret = ((Z_STREAM_END == ret || Z_BUF_ERROR == ret) &&
           0 == strm.avail_out) ? 0 : -EIO;
    inflateEnd(&strm);
    return ret;
}

static int decompress_zstd(uint8_t *dest, size_t dest_size,
                           const uint8_t *src, size_t src_size)
{
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    ZSTD_outBuffer out = { dest, dest_size, 0 };
    ZSTD_inBuffer in = { src, src_size, 0 };
    int ret = 0;

    if (!dctx) {
        return -EIO;
    }
    /* Stop once the cluster is full: trailing bytes belong to no one. */
    while (out.pos < out.size) {
        size_t last_in = in.pos;
        size_t zr = ZSTD_decompressStream(dctx, &out, &in);

        if (ZSTD_isError(zr) || (0 == zr && out.pos < out.size) ||
            (in.pos == last_in && in.pos == in.size)) {
            ret = -EIO;
            break;
        }
    }
    ZSTD_freeDCtx(dctx);
    return ret;
}

/* Decompress the cluster described by @l2_entry into s->cluster_data. */
static int load_compressed_cluster(BlockDriverState *bs, uint64_t l2_entry)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t coffset, csize;
    g_autofree uint8_t *buf = NULL;
    int ret;

    if (s->cluster_cache_offset == l2_entry) {
        return 0;
    }
    qcow2_parse_compressed_entry(s, l2_entry, &coffset, &csize);
    buf = g_try_malloc(csize);
    if (!buf) {
        return -ENOMEM;
    }
    ret = bdrv_pread(bs->file, coffset, csize, buf, 0);
    if (ret < 0) {
        return ret;
    }
    s->cluster_cache_offset = UINT64_MAX;
    if (QCOW2_COMPRESSION_ZSTD == s->compression_type) {
        ret = decompress_zstd(s->cluster_data, s->cluster_size, buf, csize);
    } else {
        ret = decompress_zlib(s->cluster_data, s->cluster_size, buf, csize);
    }
    if (ret < 0) {
        return ret;
    }
    s->cluster_cache_offset = l2_entry;
    return 0;
}

static int read_normal(BlockDriverState *bs, uint64_t host_offset,
                       uint64_t offset, uint64_t bytes, QEMUIOVector *qiov,
                       uint64_t skip, BdrvRequestFlags flags)
{
    BDRVQcow2State *s = bs->opaque;
    QEMUIOVector part;
    g_autofree uint8_t *buf = NULL;
    int ret;

    bdrv_debug_event(bs->file, BLKDBG_READ_AIO);
    qiov_slice(&part, qiov, skip, bytes);
    /* One contiguous destination: read and decrypt it in place. */
    if (!s->crypto) {
        ret = bdrv_preadv(s->data_file, host_offset, bytes, &part, 0);
        qemu_iovec_destroy(&part);
        return ret;
    }
    if (1 == part.niov) {
        ret = block_crypto_read_decrypt(s->data_file, host_offset, s->crypto,
                                        qcow2_iv_offset(s, host_offset,
                                                        offset),
                                        part.iov[0].iov_base, bytes, flags);
        qemu_iovec_destroy(&part);
        return ret;
    }
    qemu_iovec_destroy(&part);
    buf = g_try_malloc(bytes);
    if (!buf) {
        return -ENOMEM;
    }
    ret = block_crypto_read_decrypt(s->data_file, host_offset, s->crypto,
                                    qcow2_iv_offset(s, host_offset, offset),
                                    buf, bytes, flags);
    if (ret >= 0) {
        qemu_iovec_from_buf(qiov, skip, buf, bytes);
    }
    return ret;
}

/* Read one run of a single subcluster type into @qiov at @skip. */
static int read_run(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                    uint64_t host_offset, Qcow2SubclusterType type,
                    QEMUIOVector *qiov, uint64_t skip,
                    BdrvRequestFlags flags)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    switch (type) {
    case QCOW2_SUBCLUSTER_UNALLOCATED_PLAIN:
    case QCOW2_SUBCLUSTER_UNALLOCATED_ALLOC:
        if (bs->backing) {
            return read_backing(bs, offset, bytes, qiov, skip, flags);
        }
        /* fall through */
    case QCOW2_SUBCLUSTER_ZERO_PLAIN:
    case QCOW2_SUBCLUSTER_ZERO_ALLOC:
        qemu_iovec_memset(qiov, skip, 0, bytes);
        return 0;
    case QCOW2_SUBCLUSTER_COMPRESSED:
        ret = load_compressed_cluster(bs, host_offset);
        if (ret >= 0) {
            qemu_iovec_from_buf(qiov, skip, s->cluster_data +
                                qcow2_offset_into_cluster(s, offset), bytes);
        }
        return ret;
    case QCOW2_SUBCLUSTER_NORMAL:
        return read_normal(bs, host_offset, offset, bytes, qiov, skip,
                           flags);
    default:
        return -EIO;
    }
}

int qcow2_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                 QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    uint64_t done = 0;

    while (done < (uint64_t)bytes) {
        uint64_t cur = bytes - done, host_offset;
        Qcow2SubclusterType type;
        int ret;

        ret = qcow2_get_host_offset(bs, offset + done, &cur, &host_offset,
                                    &type);
        if (ret >= 0) {
            ret = read_run(bs, offset + done, cur, host_offset, type, qiov,
                           done, flags);
        }
        if (ret < 0) {
            return ret;
        }
        done += cur;
    }
    return 0;
}

/* Read the guest bytes of a copy-on-write region (zeros, backing or old
 * data) before the L2 entries change. */
static int read_cow_region(BlockDriverState *bs, uint64_t offset,
                           uint64_t bytes, uint8_t **buf)
{
    QEMUIOVector qiov;
    int ret;

    *buf = NULL;
    if (0 == bytes) {
        return 0;
    }
    *buf = g_try_malloc(bytes);
    if (!*buf) {
        return -ENOMEM;
    }
    qemu_iovec_init_buf(&qiov, *buf, bytes);
    ret = qcow2_preadv(bs, offset, bytes, &qiov, 0);
    qemu_iovec_destroy(&qiov);
    return ret;
}

/* Encrypt the whole host range [cow start, cow end) in one bounce buffer. */
static int write_run_encrypted(BlockDriverState *bs, const Qcow2WriteRun *r,
                               uint64_t host_start, QEMUIOVector *pieces)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t len = pieces->size;
    uint64_t guest_start = qcow2_start_of_cluster(s, r->guest_offset) +
                           r->cow_start_offset;
    g_autofree uint8_t *buf = g_try_malloc(len);

    if (!buf) {
        return -ENOMEM;
    }
    /* Whole sectors per piece: encrypt straight into the bounce buffer. */
    if (block_crypto_iov_is_whole_sectors(pieces, BDRV_SECTOR_SIZE)) {
        return block_crypto_encrypt_write(s->data_file, host_start,
                                          s->crypto,
                                          qcow2_iv_offset(s, host_start,
                                                          guest_start),
                                          pieces, buf, 0);
    }
    qemu_iovec_to_buf(pieces, 0, buf, len);
    qcow2_encrypt(s, host_start, guest_start, buf, len);
    return bdrv_pwrite(s->data_file, host_start, len, buf, 0);
}

/*
 * Write the data of @run together with its copy-on-write regions as one
 * contiguous host write (a preallocation run has no data: only the
 * regions are written).
 */
static int write_run_with_cow(BlockDriverState *bs, const Qcow2WriteRun *run,
                              QEMUIOVector *data)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cluster = qcow2_start_of_cluster(s, run->guest_offset);
    g_autofree uint8_t *head = NULL;
    g_autofree uint8_t *tail = NULL;
    QEMUIOVector pieces;
    uint64_t host_start = run->alloc_offset + run->cow_start_offset;
    int ret;

    ret = read_cow_region(bs, cluster + run->cow_start_offset,
                          run->cow_start_bytes, &head);
    if (ret >= 0) {
        ret = read_cow_region(bs, cluster + run->cow_end_offset,
                              run->cow_end_bytes, &tail);
    }
    if (ret < 0) {
        return ret;
    }
    if (!data) {
        /* Preallocation: the regions are written, the middle is not. */
        if (head && s->crypto) {
            qcow2_encrypt(s, host_start, cluster + run->cow_start_offset,
                          head, run->cow_start_bytes);
        }
        if (tail && s->crypto) {
            qcow2_encrypt(s, run->alloc_offset + run->cow_end_offset,
                          cluster + run->cow_end_offset, tail,
                          run->cow_end_bytes);
        }
        if (head) {
            ret = bdrv_pwrite(s->data_file, host_start, run->cow_start_bytes,
                              head, 0);
        }
        if (ret >= 0 && tail) {
            ret = bdrv_pwrite(s->data_file,
                              run->alloc_offset + run->cow_end_offset,
                              run->cow_end_bytes, tail, 0);
        }
        return ret;
    }
    qemu_iovec_init(&pieces, data->niov + 2);
    if (head) {
        qemu_iovec_add(&pieces, head, run->cow_start_bytes);
    }
    qemu_iovec_concat(&pieces, data, 0, data->size);
    if (tail) {
        qemu_iovec_add(&pieces, tail, run->cow_end_bytes);
    }
    if (s->crypto) {
        ret = write_run_encrypted(bs, run, host_start, &pieces);
    } else {
        ret = bdrv_pwritev(s->data_file, host_start, pieces.size, &pieces, 0);
    }
    qemu_iovec_destroy(&pieces);
    return ret;
}

int qcow2_write_run(BlockDriverState *bs, Qcow2WriteRun *run,
                    QEMUIOVector *data)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (!run->needs_link) {
        if (!data) {
            return 0;
        }
        if (s->crypto) {
            run->cow_start_offset = qcow2_offset_into_cluster(
                s, run->guest_offset);
            return write_run_encrypted(bs, run, run->host_offset, data);
        }
        return bdrv_pwritev(s->data_file, run->host_offset, run->bytes, data, 0);
    }
    ret = write_run_with_cow(bs, run, data);
    if (ret < 0) {
        return ret;
    }
    return qcow2_link_l2(bs, run);
}

/*
 * Where the next run should continue on the host to stay contiguous, as
 * QEMU tries: right after this run if it ended on a cluster boundary.
 */
static uint64_t run_next_host(BlockDriverState *bs, const Qcow2WriteRun *run)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t end = run->host_offset + run->bytes;

    return qcow2_offset_into_cluster(s, end) ? 0 : end;
}

/* Whether metadata problems found earlier forbid writing. */
static int check_writable(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    return (s->incompatible_features & QCOW2_INCOMPAT_CORRUPT) ? -EIO : 0;
}

int qcow2_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                  QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t done = 0, hint = 0;
    int ret = check_writable(bs);

    while (ret >= 0 && done < (uint64_t)bytes) {
        uint64_t cur = bytes - done;
        Qcow2WriteRun run;
        QEMUIOVector part;

        ret = qcow2_alloc_host_offset(bs, offset + done, &cur, hint, &run);
        if (ret < 0) {
            break;
        }
        qiov_slice(&part, qiov, done, cur);
        bdrv_debug_event(bs->file, BLKDBG_WRITE_AIO);
        ret = qcow2_write_run_checked(bs, &run, &part);
        qemu_iovec_destroy(&part);
        done += cur;
        hint = run_next_host(bs, &run);
    }
    if (ret >= 0 && (flags & BDRV_REQ_FUA)) {
        ret = qcow2_flush(bs);
        if (ret >= 0 && s->data_file != bs->file) {
            ret = bdrv_flush(s->data_file->bs);
        }
        if (ret >= 0) {
            ret = bdrv_flush(bs->file->bs);
        }
    }
    return ret;
}

int64_t qcow2_preallocate_range(BlockDriverState *bs, uint64_t offset,
                                uint64_t bytes)
{
    uint64_t hint = 0;
    int64_t end = 0;

    while (bytes > 0) {
        uint64_t cur = bytes;
        Qcow2WriteRun run;
        int ret = qcow2_alloc_host_offset(bs, offset, &cur, hint, &run);

        if (ret < 0) {
            return ret;
        }
        run.prealloc = true;
        ret = qcow2_write_run(bs, &run, NULL);
        if (ret < 0) {
            return ret;
        }
        end = run.host_offset + cur;
        hint = run_next_host(bs, &run);
        offset += cur;
        bytes -= cur;
    }
    return end;
}

/* Whether [offset, offset + bytes) is known to read as zeros. */
static bool range_is_zero(BlockDriverState *bs, uint64_t offset,
                          uint64_t bytes)
{
    while (bytes > 0) {
        int64_t pnum;
        int ret = qcow2_block_status(bs, offset, bytes, &pnum, NULL, NULL);

        if (ret < 0 || !(ret & BDRV_BLOCK_ZERO)) {
            return false;
        }
        offset += pnum;
        bytes -= pnum;
    }
    return true;
}

/* Write explicit zeros (for pieces the metadata cannot express). */
static int write_zero_buffer(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes)
{
    g_autofree uint8_t *zeros = g_malloc0(MIN(bytes, 1 << 20));
    int ret = 0;

    while (bytes > 0 && ret >= 0) {
        uint64_t n = MIN(bytes, 1 << 20);
        QEMUIOVector qiov;

        qemu_iovec_init_buf(&qiov, zeros, n);
        ret = qcow2_pwritev(bs, offset, n, &qiov, 0);
        qemu_iovec_destroy(&qiov);
        offset += n;
        bytes -= n;
    }
    return ret;
}

/*
 * Zero a piece inside one subcluster: when the rest of the subcluster
 * already reads as zeros the whole subcluster gets a zero flag, else the
 * zeros are written.
 */
static int zero_partial_subcluster(BlockDriverState *bs, uint64_t offset,
                                   uint64_t bytes, BdrvRequestFlags flags)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start = offset & ~(uint64_t)(s->subcluster_size - 1);
    uint64_t end = MIN(start + s->subcluster_size, s->size);
    int ret;

    if (range_is_zero(bs, start, offset - start) &&
        range_is_zero(bs, offset + bytes, end - offset - bytes)) {
        ret = qcow2_subcluster_zeroize(bs, start, end - start, flags);
        if (-ENOTSUP != ret) {
            return ret;
        }
    }
    if (flags & BDRV_REQ_NO_FALLBACK) {
        return -ENOTSUP;
    }
    return write_zero_buffer(bs, offset, bytes);
}

int qcow2_pwrite_zeroes(BlockDriverState *bs, int64_t offset, int64_t bytes,
                        BdrvRequestFlags flags)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t end = offset + bytes;
    uint64_t mid_start = ROUND_UP(offset, s->subcluster_size);
    uint64_t mid_end = end >= s->size ? end
                       : ROUND_DOWN(end, s->subcluster_size);
    uint64_t tail_start = MAX(mid_start, mid_end);
    int ret = check_writable(bs);

    /* v2 with a backing file has no way but writing zeros. */
    if (ret < 0 || (s->qcow_version < 3 && bs->backing_file)) {
        return ret < 0 ? ret : -ENOTSUP;
    }
    /* Unaligned head and tail pieces each lie within one subcluster. */
    if (mid_start > (uint64_t)offset) {
        ret = zero_partial_subcluster(bs, offset,
                                      MIN(end, mid_start) - offset, flags);
    }
    if (ret >= 0 && mid_start < mid_end && qcow2_data_file_is_raw(s)) {
        /* A raw data file must read as zeros there on its own too. */
        ret = bdrv_pwrite_zeroes(s->data_file, mid_start, mid_end - mid_start,
                                 flags & BDRV_REQ_MAY_UNMAP);
    }
    if (ret >= 0 && mid_start < mid_end) {
        ret = qcow2_subcluster_zeroize(bs, mid_start, mid_end - mid_start,
                                       flags);
        if (-ENOTSUP == ret && !(flags & BDRV_REQ_NO_FALLBACK)) {
            ret = write_zero_buffer(bs, mid_start, mid_end - mid_start);
        }
    }
    if (ret >= 0 && end > tail_start) {
        ret = zero_partial_subcluster(bs, tail_start, end - tail_start,
                                      flags);
    }
    qcow2_process_discards(bs, ret);
    return ret;
}

int qcow2_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start = ROUND_UP(offset, s->cluster_size);
    uint64_t end = offset + bytes;
    int ret = check_writable(bs);

    /* Partial clusters are left alone, except a partial last cluster. */
    if (end < s->size) {
        end = ROUND_DOWN(end, s->cluster_size);
    }
    if (ret < 0 || start >= end) {
        return ret;
    }
    ret = qcow2_cluster_discard(bs, start, end - start, QCOW2_DISCARD_REQUEST,
                                false);
    qcow2_process_discards(bs, ret);
    return ret;
}

/* Status of an unallocated range: zeros unless the backing file has
 * data there (the generic rule QEMU applies to COW formats). */
static int unallocated_status(BlockDriverState *bs, uint64_t offset)
{
    int64_t len;

    if (!bs->backing) {
        return bs->backing_file ? 0 : BDRV_BLOCK_ZERO;
    }
    len = bdrv_getlength(bs->backing->bs);
    return len >= 0 && offset >= (uint64_t)len ? BDRV_BLOCK_ZERO : 0;
}

int qcow2_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes,
                       int64_t *pnum, int64_t *map, BlockDriverState **file)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cur = bytes, host_offset;
    Qcow2SubclusterType type;
    int ret, status = 0;

    ret = qcow2_get_host_offset(bs, offset, &cur, &host_offset, &type);
    if (ret < 0) {
        return ret;
    }
    *pnum = cur;
    if ((QCOW2_SUBCLUSTER_NORMAL == type ||
         QCOW2_SUBCLUSTER_ZERO_ALLOC == type ||
         QCOW2_SUBCLUSTER_UNALLOCATED_ALLOC == type) && !s->crypto && map) {
        *map = host_offset;
        *file = s->data_file->bs;
        status |= BDRV_BLOCK_OFFSET_VALID;
    }
    switch (type) {
    case QCOW2_SUBCLUSTER_ZERO_PLAIN:
    case QCOW2_SUBCLUSTER_ZERO_ALLOC:
        status |= BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED;
        break;
    case QCOW2_SUBCLUSTER_UNALLOCATED_PLAIN:
    case QCOW2_SUBCLUSTER_UNALLOCATED_ALLOC:
        status |= unallocated_status(bs, offset);
        break;
    default:
        status |= BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED;
        break;
    }
    return status;
}

int qcow2_write_caches(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    /* Each cache writes what it depends on first. */
    ret = qcow2_cache_write(bs, s->l2_table_cache);
    if (ret >= 0) {
        ret = qcow2_cache_write(bs, s->refcount_block_cache);
    }
    return ret;
}

int qcow2_flush(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (!s->opened || (s->flags & BDRV_O_NO_IO)) {
        return 0;
    }
    /* Data before the metadata that points at it. */
    if (s->data_file && s->data_file != bs->file) {
        ret = bdrv_flush(s->data_file->bs);
        if (ret < 0) {
            return ret;
        }
    }
    return qcow2_write_caches(bs);
}
