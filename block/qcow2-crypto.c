/*
 * qcow2 encryption: the LUKS header area (pointer extension of qcow2.txt,
 * or inline, docs/specs/qcow2.txt 3.2) and legacy AES.
 */
#include "qemu/osdep.h"

#include "block/qcow2.h"

/*
 * Map [@offset, @offset + @len) of the LUKS code's view to a host offset,
 * checking that it lies inside the LUKS header.  Pointer layout: offsets
 * are relative to the area.  Inline layout: the LUKS code was opened with
 * inline_offset, so its offsets are already file offsets, and the window
 * is the extension's data.
 */
static int hdr_check_range(const BDRVQcow2State *s, size_t offset,
                           size_t len, uint64_t *host, Error **errp)
{
    const Qcow2CryptoExt *w = s->luks_inline.length ? &s->luks_inline
                                                    : &s->crypto_header;
    uint64_t base = s->luks_inline.length ? s->luks_inline.offset : 0;

    if (offset < base || len > w->length ||
        offset - base > w->length - len) {
        /* 7.2's words for reads beyond the extension's "length". */
        error_setg(errp, "Request for data outside of extension header");
        return -EINVAL;
    }
    *host = s->luks_inline.length ? offset : s->crypto_header.offset + offset;
    return 0;
}

static int hdr_read(QCryptoBlock *block, size_t offset, uint8_t *buf,
                    size_t buflen, void *opaque, Error **errp)
{
    BlockDriverState *bs = opaque;
    BDRVQcow2State *s = bs->opaque;
    uint64_t host, n;
    int ret = hdr_check_range(s, offset, buflen, &host, errp);

    if (ret < 0) {
        return ret;
    }
    /* Moving inline: what was written to cluster 0 is in the stash. */
    if (s->luks_inline_stash && host < s->cluster_size) {
        n = MIN(buflen, s->cluster_size - host);
        memcpy(buf, s->luks_inline_stash + host, n);
        host += n;
        buf += n;
        buflen -= n;
    }
    ret = buflen ? bdrv_pread(bs->file, host, buflen, buf, 0) : 0;
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read encryption header");
    }
    return ret;
}

static int hdr_write(QCryptoBlock *block, size_t offset, const uint8_t *buf,
                     size_t buflen, void *opaque, Error **errp)
{
    BlockDriverState *bs = opaque;
    BDRVQcow2State *s = bs->opaque;
    uint64_t host, n;
    int ret = hdr_check_range(s, offset, buflen, &host, errp);

    if (ret < 0) {
        return ret;
    }
    /* Moving inline: cluster 0 is written last, with the header. */
    if (s->luks_inline_stash && host < s->cluster_size) {
        n = MIN(buflen, s->cluster_size - host);
        memcpy(s->luks_inline_stash + host, buf, n);
        host += n;
        buf += n;
        buflen -= n;
    }
    ret = buflen ? bdrv_pwrite(bs->file, host, buflen, buf, 0) : 0;
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write encryption header");
    }
    return ret;
}

/*
 * Reserve the LUKS area as QEMU 7.2 does: through the normal cluster
 * allocator (so it lands after whatever create has allocated so far),
 * zero-filled up to its last cluster, with the extension's "length" set
 * to the LUKS payload offset.
 */
static int hdr_init(QCryptoBlock *block, size_t headerlen, void *opaque,
                    Error **errp)
{
    BlockDriverState *bs = opaque;
    BDRVQcow2State *s = bs->opaque;
    uint64_t clusterlen = qcow2_size_to_clusters(s, headerlen) <<
                          s->cluster_bits;
    int64_t offset = qcow2_alloc_clusters(bs, headerlen);
    int ret;

    if (offset < 0) {
        error_setg_errno(errp, (int)-offset, "Cannot allocate cluster for "
                         "LUKS header size %zu", headerlen);
        return (int)offset;
    }
    s->crypto_header.offset = offset;
    s->crypto_header.length = headerlen;
    s->luks_inline.length = 0;
    ret = bdrv_pwrite_zeroes(bs->file, offset, clusterlen, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not zero fill encryption "
                         "header");
    }
    return ret;
}

uint64_t qcow2_crypto_inline_clusters(const BDRVQcow2State *s,
                                      uint64_t data_offset, uint64_t length)
{
    return qcow2_size_to_clusters(s, data_offset + length +
                                     QCOW2_LUKS_INLINE_TAIL);
}

/*
 * Inline layout: the header area must already span the extension (create
 * reserves it; a move empties and claims clusters 1..n-1 first, see
 * claim_inline_area(), so the check below is only a safety net).
 */
static int hdr_init_inline(QCryptoBlock *block, size_t headerlen,
                           void *opaque, Error **errp)
{
    BlockDriverState *bs = opaque;
    BDRVQcow2State *s = bs->opaque;
    uint64_t offset = qcow2_header_ext_start(s) + sizeof(Qcow2ExtHeaderDisk);
    uint64_t n = qcow2_crypto_inline_clusters(s, offset, headerlen);
    uint64_t start;
    int ret;

    if (headerlen > UINT32_MAX) {
        error_setg(errp, "LUKS header of %zu bytes is too large for a "
                   "header extension", headerlen);
        return -EINVAL;
    }
    for (uint64_t i = s->header_clusters; i < n; i++) {
        uint64_t refcount;

        ret = qcow2_get_refcount(bs, i, &refcount);
        if (ret < 0 || refcount) {
            error_setg(errp, "Cannot move the LUKS header inline: cluster "
                       "%" PRIu64 " is in use (the header needs clusters "
                       "0 to %" PRIu64 ")", i, n - 1);
            return -ENOSPC;
        }
    }
    if (n > s->header_clusters) {
        ret = qcow2_update_refcount(bs, s->header_clusters << s->cluster_bits,
                                    (n - s->header_clusters) <<
                                    s->cluster_bits, 1, false,
                                    QCOW2_DISCARD_NEVER);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not allocate the inline "
                             "LUKS header");
            return ret;
        }
        s->header_clusters = n;
    }
    s->luks_inline.offset = offset;
    s->luks_inline.length = headerlen;
    /* Cluster 0 is still the old header while moving (see the stash). */
    start = s->luks_inline_stash ? MAX(offset, s->cluster_size) : offset;
    ret = start < offset + headerlen
          ? bdrv_pwrite_zeroes(bs->file, start, offset + headerlen - start,
                               0)
          : 0;
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not zero fill encryption "
                         "header");
    }
    return ret;
}

int qcow2_crypto_open(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    unsigned int cflags = (s->flags & BDRV_O_NO_IO) ? QCRYPTO_BLOCK_OPEN_NO_IO
                                                    : 0;

    assert(s->crypt_method_header && !s->crypto);
    if (QCOW2_CRYPT_LUKS == s->crypt_method_header &&
        !s->crypto_header.offset && !s->crypto_header.length &&
        !s->luks_inline.length) {
        /*
         * 7.2 crashes in `qemu-img info` here; newer QEMU reports the
         * error for every open, and so do we.
         */
        error_setg(errp, "Missing CRYPTO header for crypt method 2");
        return -EINVAL;
    }
    s->crypto_opts.inline_offset = s->luks_inline.length
                                   ? s->luks_inline.offset : 0;
    s->crypto = qcrypto_block_open(&s->crypto_opts, "encrypt.", hdr_read, bs,
                                   cflags, errp);
    if (!s->crypto) {
        return -EINVAL;
    }
    if (s->luks_inline.length &&
        qcrypto_block_get_payload_offset(s->crypto) !=
        s->luks_inline.length) {
        error_setg(errp, "Inline LUKS header extension size %" PRIu64
                   " is invalid", s->luks_inline.length);
        return -EINVAL;
    }
    return 0;
}

int qcow2_crypto_set_up(BlockDriverState *bs,
                        const QCryptoBlockCreateOptions *opts, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    QCryptoBlock *crypto;
    int ret;

    s->crypt_method_header = QCRYPTO_BLOCK_FORMAT_QCOW == opts->format
                             ? QCOW2_CRYPT_AES : QCOW2_CRYPT_LUKS;
    crypto = qcrypto_block_create(opts, "encrypt.",
                                  opts->inline_offset ? hdr_init_inline
                                                      : hdr_init,
                                  hdr_write, bs, errp);
    if (!crypto) {
        return -EINVAL;
    }
    ret = qcow2_update_header(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write encryption header");
    }
    qcrypto_block_free(crypto);
    return ret;
}

int qcow2_crypto_amend(BlockDriverState *bs,
                       const QCryptoBlockAmendOptions *opts, bool force,
                       Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    ret = qcrypto_block_amend_options(s->crypto, hdr_read, hdr_write, bs,
                                      opts, force, errp);
    if (ret < 0) {
        return -EINVAL;
    }
    ret = bdrv_flush(bs->file->bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not flush the image");
    }
    return ret;
}

/*
 * Empty clusters 1..n-1 that the inline header needs (whatever lies
 * there moves elsewhere) and count them as header clusters already, so
 * that hdr_init_inline() finds them its own.
 */
static int claim_inline_area(BlockDriverState *bs, uint64_t inline_offset,
                             Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t n = qcow2_crypto_inline_clusters(
        s, inline_offset, qcrypto_block_get_payload_offset(s->crypto));
    int ret;

    if (n <= s->header_clusters) {
        return 0;
    }
    ret = qcow2_relocate_range(bs, s->header_clusters, n, errp);
    if (ret < 0) {
        return ret;
    }
    s->header_clusters = n;
    return 0;
}

int qcow2_crypto_set_layout(BlockDriverState *bs, bool inline_layout,
                            Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2CryptoExt old_ptr;
    uint64_t old_clusters = s->header_clusters;
    uint64_t inline_offset;
    int ret;

    if (QCOW2_CRYPT_LUKS != s->crypt_method_header || !s->crypto) {
        error_setg(errp, "The LUKS header layout can only be changed for "
                   "LUKS encrypted images");
        return -EINVAL;
    }
    if (inline_layout == !!s->luks_inline.length) {
        return 0;
    }
    inline_offset = inline_layout ? qcow2_header_ext_start(s) +
                                    sizeof(Qcow2ExtHeaderDisk) : 0;
    if (inline_layout) {
        ret = claim_inline_area(bs, inline_offset, errp);
        if (ret < 0) {
            return ret;
        }
    }
    old_ptr = s->crypto_header;
    if (inline_layout) {
        s->luks_inline_stash = g_malloc0(s->cluster_size);
    }
    /* Reads use the old layout; the init callback switches to the new. */
    if (qcrypto_block_move_header(s->crypto, inline_offset, hdr_read,
                                  inline_layout ? hdr_init_inline : hdr_init,
                                  hdr_write, bs, errp) < 0) {
        /* Claimed clusters stay leaked; the header was not switched. */
        s->header_clusters = old_clusters;
        g_clear_pointer(&s->luks_inline_stash, g_free);
        return -EINVAL;
    }
    if (inline_layout) {
        s->crypto_header = (Qcow2CryptoExt) { 0 };
    }
    /* The new LUKS area is stable before the header names it. */
    ret = qcow2_file_flush(bs);
    ret = ret < 0 ? ret : qcow2_update_header(bs);
    g_clear_pointer(&s->luks_inline_stash, g_free);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write the qcow2 header");
        return ret;
    }
    /* The new header is in place: only now release the old area. */
    if (inline_layout) {
        qcow2_free_clusters(bs, old_ptr.offset,
                            ROUND_UP(old_ptr.length, s->cluster_size),
                            QCOW2_DISCARD_NEVER);
    } else if (old_clusters > 1) {
        qcow2_free_clusters(bs, s->cluster_size,
                            (old_clusters - 1) << s->cluster_bits,
                            QCOW2_DISCARD_NEVER);
        s->header_clusters = 1;
    }
    s->crypto_opts.inline_offset = inline_offset;
    /* Opened without I/O, close writes no caches: write them here. */
    ret = qcow2_write_caches(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write the refcounts");
        return ret;
    }
    ret = bdrv_flush(bs->file->bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not flush the image");
    }
    return ret;
}

QObject *qcow2_crypto_get_info(BDRVQcow2State *s)
{
    QObject *info = s->crypto ? qcrypto_block_get_info(s->crypto)
                              : qobject_new_dict();

    /* The dict iterates in QEMU's hash order, which puts "format" between
     * "uuid" and "cipher-mode" exactly as 7.2 prints it. */
    qdict_put_str(info, "format", QCOW2_CRYPT_AES == s->crypt_method_header
                                  ? "aes" : "luks");
    /* Pointer images print exactly what 7.2 prints. */
    if (s->luks_inline.length) {
        qdict_put_str(info, "header-layout", "inline");
    }
    return info;
}

bool qcow2_crypto_header_area(const BDRVQcow2State *s, uint64_t *offset,
                              uint64_t *bytes)
{
    if (!s->crypto_header.offset) {
        return false;
    }
    *offset = s->crypto_header.offset;
    *bytes = s->crypto_header.length;
    return true;
}
