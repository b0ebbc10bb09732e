/*
 * qcow2 compressed cluster writes: raw deflate or zstd, packed into
 * shared host clusters (qcow2.txt "Compressed Clusters Descriptor").
 */
#include "qemu/osdep.h"

#include <zlib.h>
#include <zstd.h>

#include "block/qcow2.h"

/* Raw deflate with a 4 KiB window, which is what QEMU writes and reads.
 * Returns: the compressed length, -ENOMEM if it exceeds @dest_size. */
static ssize_t compress_zlib(uint8_t *dest, size_t dest_size,
                             const uint8_t *src, size_t src_size)
{
    z_stream strm = { 0 };
    ssize_t ret;

    if (deflateInit2(&strm, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        return -EIO;
    }
    strm.next_in = (uint8_t *)src;
    strm.avail_in = src_size;
    strm.next_out = dest;
    strm.avail_out = dest_size;
    switch (deflate(&strm, Z_FINISH)) {
    case Z_STREAM_END:
        ret = dest_size - strm.avail_out;
        break;
    case Z_OK:
    case Z_BUF_ERROR:
        ret = -ENOMEM;
        break;
    default:
        ret = -EIO;
        break;
    }
    deflateEnd(&strm);
    return ret;
}

/* One zstd frame at the default level, produced in a single call as 7.2
 * does: output that does not fit means the data does not compress. */
static ssize_t compress_zstd(uint8_t *dest, size_t dest_size,
                             const uint8_t *src, size_t src_size)
{
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    ZSTD_outBuffer out = { dest, dest_size, 0 };
    ZSTD_inBuffer in = { src, src_size, 0 };
    size_t zr;
    ssize_t ret;

    if (!cctx) {
        return -EIO;
    }
    zr = ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_end);
    if (ZSTD_isError(zr)) {
        ret = -EIO;
    } else {
        ret = zr ? -ENOMEM : (ssize_t)out.pos;
    }
    ZSTD_freeCCtx(cctx);
    return ret;
}

/*
 * Take @size bytes of host space for compressed data, continuing in the
 * cluster the previous compressed write ended in, as QEMU does.  Each
 * cluster the data touches gains one reference.
 * Returns: the host byte offset, or -errno.
 */
static int64_t alloc_bytes(BlockDriverState *bs, uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t offset = s->free_byte_offset, refcount = 0;
    int64_t new_cluster;
    int ret = 0;

    assert(size > 0 && size <= s->cluster_size);
    if (offset) {
        ret = qcow2_get_refcount(bs, offset >> s->cluster_bits, &refcount);
        if (ret < 0) {
            return ret;
        }
        if (refcount == s->refcount_max) {
            offset = 0;
        }
    }
    if (offset && s->cluster_size - qcow2_offset_into_cluster(s, offset) >=
        size) {
        ret = qcow2_update_refcount(bs, offset, size, 1, false,
                                    QCOW2_DISCARD_NEVER);
    } else {
        new_cluster = qcow2_alloc_clusters(bs, s->cluster_size);
        if (new_cluster < 0) {
            return new_cluster;
        }
        if (0 == new_cluster) {
            return qcow2_signal_corruption(bs, "Preventing invalid "
                                           "allocation of compressed "
                                           "cluster at offset 0");
        }
        if (offset && ROUND_UP(offset, s->cluster_size) ==
                      (uint64_t)new_cluster) {
            /* The data runs on into the next cluster: both count it. */
            ret = qcow2_update_refcount(bs, offset, 1, 1, false,
                                        QCOW2_DISCARD_NEVER);
        } else {
            offset = new_cluster;
        }
    }
    if (ret < 0) {
        return ret;
    }
    s->free_byte_offset = offset + size;
    if (!qcow2_offset_into_cluster(s, s->free_byte_offset)) {
        s->free_byte_offset = 0;
    }
    return offset;
}

/* Store @len compressed bytes of @buf for the cluster at guest @offset. */
static int write_compressed(BlockDriverState *bs, uint64_t offset,
                            const uint8_t *buf, uint64_t len)
{
    BDRVQcow2State *s = bs->opaque;
    int x = 62 - (s->cluster_bits - 8);
    uint64_t sectors;
    int64_t host;
    int ret;

    host = alloc_bytes(bs, len);
    if (host < 0) {
        return host;
    }
    /* "Number of additional 512-byte sectors" the data touches. */
    sectors = ((host + len - 1) >> BDRV_SECTOR_BITS) -
              (host >> BDRV_SECTOR_BITS);
    ret = bdrv_pwrite(bs->file, host, len, buf, 0);
    if (ret >= 0) {
        ret = qcow2_link_compressed(bs, offset, host | QCOW2_OFLAG_COMPRESSED
                                    | (sectors << x));
    }
    if (ret < 0) {
        qcow2_free_clusters(bs, host, len, QCOW2_DISCARD_NEVER);
    }
    return ret;
}

/* Compress one cluster (@bytes of @qiov from @skip; less only at the end
 * of the disk) and store it, or store it plain if it does not shrink. */
static int write_one_cluster(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes, QEMUIOVector *qiov,
                             uint64_t skip, uint8_t *buf, uint8_t *out)
{
    BDRVQcow2State *s = bs->opaque;
    QEMUIOVector part;
    ssize_t len;
    int ret = qcow2_prepare_compressed(bs, offset);

    if (ret < 0) {
        return ret;
    }
    /* A short last cluster is compressed padded with zeros. */
    memset(buf + bytes, 0, s->cluster_size - bytes);
    qemu_iovec_to_buf(qiov, skip, buf, bytes);
    if (QCOW2_COMPRESSION_ZSTD == s->compression_type) {
        len = compress_zstd(out, s->cluster_size - 1, buf, s->cluster_size);
    } else {
        len = compress_zlib(out, s->cluster_size - 1, buf, s->cluster_size);
    }
    if (-ENOMEM == len) {
        /* It does not get smaller: store it as it is. */
        qemu_iovec_init_buf(&part, buf, bytes);
        ret = qcow2_pwritev(bs, offset, bytes, &part, 0);
        qemu_iovec_destroy(&part);
        return ret;
    }
    if (len < 0) {
        return -EINVAL;
    }
    return write_compressed(bs, offset, out, len);
}

/* The end of compressed output: round the file up to whole sectors,
 * as 7.2 does when convert -c finishes. */
static int align_file_end(BlockDriverState *bs)
{
    int64_t len = bdrv_getlength(bs->file->bs);

    /* The length is in whole sectors already: truncating to it rounds
     * the file up. */
    if (len < 0) {
        return len;
    }
    return bdrv_truncate(bs->file, ROUND_UP(len, BDRV_SECTOR_SIZE), false,
                         PREALLOC_MODE_OFF, NULL);
}

int qcow2_pwritev_compressed(BlockDriverState *bs, int64_t offset,
                             int64_t bytes, QEMUIOVector *qiov)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *buf = NULL;
    g_autofree uint8_t *out = NULL;
    uint64_t done = 0;
    int ret = 0;

    /*
     * 7.2 stores compressed clusters of encrypted images unencrypted,
     * leaking guest data in clear text; we refuse instead (the format has
     * no encrypted compressed clusters).
     */
    if (qcow2_has_data_file(s) || s->crypto) {
        return -ENOTSUP;
    }
    if (0 == bytes) {
        return align_file_end(bs);
    }
    if (s->incompatible_features & QCOW2_INCOMPAT_CORRUPT) {
        return -EIO;
    }
    if (qcow2_offset_into_cluster(s, offset) ||
        (qcow2_offset_into_cluster(s, bytes) &&
         (uint64_t)(offset + bytes) != s->size)) {
        return -EINVAL;
    }
    buf = g_malloc(s->cluster_size);
    out = g_malloc(s->cluster_size);
    s->cluster_cache_offset = UINT64_MAX;
    while (ret >= 0 && done < (uint64_t)bytes) {
        uint64_t n = MIN(s->cluster_size, bytes - done);

        ret = write_one_cluster(bs, offset + done, n, qiov, done, buf, out);
        done += n;
    }
    return ret;
}
