/*
 * qcow2 encryption: the LUKS header area ("Full disk encryption header
 * pointer", qcow2.txt) and the legacy AES scheme, through QCryptoBlock.
 */
#include "qemu/osdep.h"

#include "block/qcow2.h"

/* Check that [@offset, @offset + @len) lies inside the LUKS header area. */
static int hdr_check_range(const BDRVQcow2State *s, size_t offset,
                           size_t len, Error **errp)
{
    if (len > s->crypto_header.length ||
        offset > s->crypto_header.length - len) {
        /* 7.2's words for reads beyond the extension's "length". */
        error_setg(errp, "Request for data outside of extension header");
        return -EINVAL;
    }
    return 0;
}

static int hdr_read(QCryptoBlock *block, size_t offset, uint8_t *buf,
                    size_t buflen, void *opaque, Error **errp)
{
    BlockDriverState *bs = opaque;
    BDRVQcow2State *s = bs->opaque;
    int ret = hdr_check_range(s, offset, buflen, errp);

    if (ret < 0) {
        return ret;
    }
    ret = bdrv_pread(bs->file, s->crypto_header.offset + offset, buflen, buf,
                     0);
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
    int ret = hdr_check_range(s, offset, buflen, errp);

    if (ret < 0) {
        return ret;
    }
    ret = bdrv_pwrite(bs->file, s->crypto_header.offset + offset, buflen,
                      buf, 0);
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
    ret = bdrv_pwrite_zeroes(bs->file, offset, clusterlen, 0);
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
        !s->crypto_header.offset) {
        /*
         * 7.2 crashes in `qemu-img info` here; newer QEMU reports the
         * error for every open, and so do we.
         */
        error_setg(errp, "Missing CRYPTO header for crypt method 2");
        return -EINVAL;
    }
    s->crypto = qcrypto_block_open(&s->crypto_opts, "encrypt.", hdr_read, bs,
                                   cflags, errp);
    return s->crypto ? 0 : -EINVAL;
}

int qcow2_crypto_set_up(BlockDriverState *bs,
                        const QCryptoBlockCreateOptions *opts, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    QCryptoBlock *crypto;
    int ret;

    s->crypt_method_header = QCRYPTO_BLOCK_FORMAT_QCOW == opts->format
                             ? QCOW2_CRYPT_AES : QCOW2_CRYPT_LUKS;
    crypto = qcrypto_block_create(opts, "encrypt.", hdr_init, hdr_write, bs,
                                  errp);
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

QObject *qcow2_crypto_get_info(BDRVQcow2State *s)
{
    QObject *info = s->crypto ? qcrypto_block_get_info(s->crypto)
                              : qobject_new_dict();

    /* The dict iterates in QEMU's hash order, which puts "format" between
     * "uuid" and "cipher-mode" exactly as 7.2 prints it. */
    qdict_put_str(info, "format", QCOW2_CRYPT_AES == s->crypt_method_header
                                  ? "aes" : "luks");
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
