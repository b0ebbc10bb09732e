/*
 * The "luks" format driver: a LUKS1 volume whose payload (after the header
 * area) is the guest disk; IV sector numbers count from the payload start,
 * as dm-crypt does.
 */
#include "qemu/osdep.h"

#include "block/block_int.h"
#include "block/crypto-io.h"
#include "crypto/block.h"
#include "qemu/cutils.h"

/* Bytes encrypted per bounce-buffer round trip. */
#define BLOCK_CRYPTO_CHUNK (4 * 1024 * 1024)

typedef struct BlockCrypto {
    QCryptoBlock *block;
    uint8_t *bounce;            /* BLOCK_CRYPTO_CHUNK bytes, reused */
} BlockCrypto;

/* The create options struct filled from block_crypto_create_opts. */
typedef struct BlockCryptoCreateOptions {
    QCryptoBlockCreateOptions luks;
} BlockCryptoCreateOptions;

static const QOptDesc block_crypto_create_opts[] = {
    {
        .name = "size",
        .type = QOPT_TYPE_SIZE,
        .help = "Virtual disk size",
    }, {
        .name = "",
        .type = QOPT_TYPE_GROUP,
        .group = qcrypto_block_create_opts_luks,
        .has_field = true,
        .offset = offsetof(BlockCryptoCreateOptions, luks),
    },
    { .name = NULL }
};

static int block_crypto_probe(const uint8_t *buf, int buf_size,
                              const char *filename)
{
    return qcrypto_block_has_format(QCRYPTO_BLOCK_FORMAT_LUKS, buf,
                                    buf_size) ? 100 : 0;
}

static int block_crypto_read_func(QCryptoBlock *block, size_t offset,
                                  uint8_t *buf, size_t buflen, void *opaque,
                                  Error **errp)
{
    BdrvChild *file = opaque;
    int ret = bdrv_pread(file, offset, buflen, buf, 0);

    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read encryption header");
        return ret;
    }
    return 0;
}

static int block_crypto_write_func(QCryptoBlock *block, size_t offset,
                                   const uint8_t *buf, size_t buflen,
                                   void *opaque, Error **errp)
{
    BdrvChild *file = opaque;
    int ret = bdrv_pwrite(file, offset, buflen, buf, 0);

    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write encryption header");
        return ret;
    }
    return 0;
}

static int block_crypto_open(BlockDriverState *bs, QObject *options,
                             int flags, Error **errp)
{
    BlockCrypto *s = bs->opaque;
    g_autoptr(QObject) secret = qdict_take(options, "key-secret");
    QCryptoBlockOpenOptions open_opts = {
        .format = QCRYPTO_BLOCK_FORMAT_LUKS,
    };

    if (secret && QTYPE_QSTRING == qobject_type(secret)) {
        open_opts.key_secret = (char *)qobject_get_str(secret);
    }
    s->block = qcrypto_block_open(&open_opts, "", block_crypto_read_func,
                                  bs->file,
                                  (flags & BDRV_O_NO_IO) ?
                                  QCRYPTO_BLOCK_OPEN_NO_IO : 0, errp);
    if (!s->block) {
        return -EIO;
    }
    bs->encrypted = true;
    bs->request_alignment = qcrypto_block_get_sector_size(s->block);
    if (!(flags & BDRV_O_NO_IO)) {
        s->bounce = g_malloc(BLOCK_CRYPTO_CHUNK);
    }
    return 0;
}

static void block_crypto_close(BlockDriverState *bs)
{
    BlockCrypto *s = bs->opaque;

    qcrypto_block_free(s->block);
    g_free(s->bounce);
}

static int block_crypto_preadv(BlockDriverState *bs, int64_t offset,
                               int64_t bytes, QEMUIOVector *qiov,
                               BdrvRequestFlags flags)
{
    BlockCrypto *s = bs->opaque;
    uint64_t payload = qcrypto_block_get_payload_offset(s->block);
    int64_t done = 0;

    /* One contiguous destination: read and decrypt it in place. */
    if (1 == qiov->niov) {
        return block_crypto_read_decrypt(bs->file, payload + offset, s->block,
                                         offset, qiov->iov[0].iov_base,
                                         bytes, flags);
    }
    while (done < bytes) {
        int64_t n = MIN(bytes - done, BLOCK_CRYPTO_CHUNK);
        int ret = block_crypto_read_decrypt(bs->file, payload + offset + done,
                                            s->block, offset + done,
                                            s->bounce, n, flags);
        if (ret < 0) {
            return ret;
        }
        qemu_iovec_from_buf(qiov, done, s->bounce, n);
        done += n;
    }
    return 0;
}

static int block_crypto_pwritev(BlockDriverState *bs, int64_t offset,
                                int64_t bytes, QEMUIOVector *qiov,
                                BdrvRequestFlags flags)
{
    BlockCrypto *s = bs->opaque;
    uint64_t payload = qcrypto_block_get_payload_offset(s->block);
    uint64_t sector_size = qcrypto_block_get_sector_size(s->block);
    int64_t done = 0;

    flags &= BDRV_REQ_FUA;
    while (done < bytes) {
        int64_t n = MIN(bytes - done, BLOCK_CRYPTO_CHUNK);
        QEMUIOVector part;
        int ret;

        qemu_iovec_init(&part, qiov->niov);
        qemu_iovec_concat(&part, qiov, done, n);
        if (block_crypto_iov_is_whole_sectors(&part, sector_size)) {
            /* Encrypt straight from the caller's buffers. */
            ret = block_crypto_encrypt_write(bs->file, payload + offset + done,
                                             s->block, offset + done, &part,
                                             s->bounce, flags);
        } else {
            qemu_iovec_to_buf(&part, 0, s->bounce, n);
            qcrypto_block_encrypt(s->block, offset + done, s->bounce, n);
            ret = bdrv_pwrite(bs->file, payload + offset + done, n,
                              s->bounce, flags);
        }
        qemu_iovec_destroy(&part);
        if (ret < 0) {
            return ret;
        }
        done += n;
    }
    return 0;
}

static int64_t block_crypto_getlength(BlockDriverState *bs)
{
    BlockCrypto *s = bs->opaque;
    int64_t len = bdrv_getlength(bs->file->bs);
    uint64_t payload = qcrypto_block_get_payload_offset(s->block);

    if (len < 0) {
        return len;
    }
    if ((uint64_t)len < payload) {
        return -EIO;        /* the payload starts past the end of the file */
    }
    return len - (int64_t)payload;
}

static int block_crypto_truncate(BlockDriverState *bs, int64_t offset,
                                 bool exact, PreallocMode prealloc,
                                 Error **errp)
{
    BlockCrypto *s = bs->opaque;
    uint64_t payload = qcrypto_block_get_payload_offset(s->block);

    if (offset > INT64_MAX - (int64_t)payload) {
        error_setg(errp, "The requested file size is too large");
        return -EFBIG;
    }
    return bdrv_truncate(bs->file, offset + payload, exact, prealloc, errp);
}

static int block_crypto_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    return 0;
}

static QObject *block_crypto_get_specific_info(BlockDriverState *bs,
                                               Error **errp)
{
    BlockCrypto *s = bs->opaque;
    QObject *info = qobject_new_dict();

    qdict_put_str(info, "type", "luks");
    qdict_put(info, "data", qcrypto_block_get_info(s->block));
    return info;
}

static bool block_crypto_has_zero_init(BlockDriverState *bs)
{
    /* Zeros on disk decrypt to noise. */
    return false;
}

/* State shared by the create callbacks. */
typedef struct BlockCryptoCreateData {
    BdrvChild *file;
    uint64_t size;
    PreallocMode prealloc;
} BlockCryptoCreateData;

static int block_crypto_create_init_func(QCryptoBlock *block,
                                         size_t headerlen, void *opaque,
                                         Error **errp)
{
    BlockCryptoCreateData *data = opaque;

    if (data->size > INT64_MAX - headerlen) {
        error_setg(errp, "The requested file size is too large");
        return -EFBIG;
    }
    return bdrv_truncate(data->file, data->size + headerlen, true,
                         data->prealloc, errp);
}

static int block_crypto_create_write_func(QCryptoBlock *block, size_t offset,
                                          const uint8_t *buf, size_t buflen,
                                          void *opaque, Error **errp)
{
    BlockCryptoCreateData *data = opaque;

    return block_crypto_write_func(block, offset, buf, buflen, data->file,
                                   errp);
}

static int block_crypto_create_parse(QObject *opts,
                                     BlockCryptoCreateOptions *copts,
                                     BlockCryptoCreateData *data,
                                     Error **errp)
{
    const char *prealloc = qdict_get_str(opts, "preallocation");
    int val = PREALLOC_MODE_OFF;

    copts->luks.format = QCRYPTO_BLOCK_FORMAT_LUKS;
    if (!qopts_to_struct(block_crypto_create_opts, opts, "", copts, errp)) {
        return -EINVAL;
    }
    if (prealloc) {
        val = qapi_enum_parse(&PreallocMode_lookup, "preallocation",
                              prealloc, PREALLOC_MODE_OFF, NULL);
        if (val < 0 || PREALLOC_MODE_METADATA == val) {
            error_setg(errp, "invalid parameter value: %s", prealloc);
            return -EINVAL;
        }
    }
    data->prealloc = val;
    data->size = qopts_get_number(opts, "size", 0);
    return 0;
}

static int block_crypto_create(const char *filename, QObject *opts,
                               Error **errp)
{
    BlockCryptoCreateOptions copts = { 0 };
    BlockCryptoCreateData data = { 0 };
    g_autoptr(QObject) file_opts = qobject_copy(opts);
    QCryptoBlock *block = NULL;
    int ret;

    ret = block_crypto_create_parse(opts, &copts, &data, errp);
    if (ret < 0) {
        goto out;
    }
    /* The file starts empty; the init callback sizes it. */
    qdict_put_str(file_opts, "size", "0");
    qdict_del(file_opts, "preallocation");
    ret = bdrv_file.bdrv_create(filename, file_opts, errp);
    if (ret < 0) {
        goto out;
    }
    data.file = bdrv_file_open_child(filename, BDRV_O_RDWR, errp);
    if (!data.file) {
        ret = -EIO;
        goto out_unlink;
    }
    block = qcrypto_block_create(&copts.luks, "",
                                 block_crypto_create_init_func,
                                 block_crypto_create_write_func, &data, errp);
    ret = block ? bdrv_flush(data.file->bs) : -EIO;
    if (block && ret < 0) {
        error_setg_errno(errp, -ret, "Could not flush the new image");
    }
    qcrypto_block_free(block);
    bdrv_root_detach(data.file);
out_unlink:
    if (ret < 0) {
        unlink(filename);
    }
out:
    qopts_free_struct(block_crypto_create_opts, &copts);
    return ret;
}

static int block_crypto_measure(const QObject *opts, BlockDriverState *in_bs,
                                BlockMeasureInfo *info, Error **errp)
{
    BlockCryptoCreateOptions copts = {
        .luks.format = QCRYPTO_BLOCK_FORMAT_LUKS,
    };
    uint64_t size = qopts_get_number(opts, "size", 0);
    uint64_t header = 0;
    bool ok;

    if (in_bs) {
        int64_t len = bdrv_getlength(in_bs);

        if (len < 0) {
            error_setg_errno(errp, (int)-len,
                             "Unable to get image virtual_size");
            return (int)len;
        }
        size = len;
    }
    /* 7.2 ignores "preallocation" here, so it is not parsed. */
    ok = qopts_to_struct(block_crypto_create_opts, opts, "", &copts, errp) &&
         qcrypto_block_calculate_payload_offset(&copts.luks, "", &header,
                                                errp);
    qopts_free_struct(block_crypto_create_opts, &copts);
    if (!ok) {
        return -EINVAL;
    }
    /* Unallocated blocks are encrypted too: allocation changes nothing. */
    info->required = header + size;
    info->fully_allocated = info->required;
    return 0;
}

static int block_crypto_amend(BlockDriverState *bs, QObject *opts,
                              bool force, Error **errp)
{
    BlockCrypto *s = bs->opaque;
    QCryptoBlockAmendOptions aopts = { 0 };
    int ret;

    if (!qopts_to_struct(qcrypto_block_amend_opts_luks, opts, "", &aopts,
                         errp)) {
        return -EINVAL;
    }
    ret = qcrypto_block_amend_options(s->block, block_crypto_read_func,
                                      block_crypto_write_func, bs->file,
                                      &aopts, force, errp);
    qopts_free_struct(qcrypto_block_amend_opts_luks, &aopts);
    if (ret < 0) {
        return -EINVAL;
    }
    ret = bdrv_flush(bs->file->bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not flush the image");
    }
    return ret;
}

const BlockDriver bdrv_crypto_luks = {
    .format_name = "luks",
    .instance_size = sizeof(BlockCrypto),
    .bdrv_probe = block_crypto_probe,
    .bdrv_open = block_crypto_open,
    .bdrv_close = block_crypto_close,
    .bdrv_preadv = block_crypto_preadv,
    .bdrv_pwritev = block_crypto_pwritev,
    .bdrv_getlength = block_crypto_getlength,
    .bdrv_truncate = block_crypto_truncate,
    .bdrv_get_info = block_crypto_get_info,
    .bdrv_get_specific_info = block_crypto_get_specific_info,
    .bdrv_has_zero_init = block_crypto_has_zero_init,
    .bdrv_create = block_crypto_create,
    .create_opts = block_crypto_create_opts,
    .bdrv_measure = block_crypto_measure,
    .bdrv_amend_options = block_crypto_amend,
    .amend_opts = qcrypto_block_amend_opts_luks,
};
