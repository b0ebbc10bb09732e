/*
 * Encrypted data I/O shared by the luks and qcow2 drivers (see
 * include/block/crypto-io.h).
 */
#include "qemu/osdep.h"

#include "block/crypto-io.h"

/*
 * Writes at least this long are pipelined: the crypto workers encrypt
 * piece by piece while the caller writes the pieces already done.  A
 * piece is small enough that the first one, which nothing overlaps, costs
 * little, and large enough that the per-piece system call and hand-over
 * do not show (256 KiB was fastest for 512 MiB into tmpfs; 128 and 384
 * KiB were 3-8% slower).
 *
 * Reads are not pipelined: reading piece by piece with the decryption of
 * each queued behind it measured 5-10% slower than reading the whole
 * range and decrypting it on all CPUs at once (convert and compare of
 * LUKS qcow2, 512 MiB): a read costs the caller little, and every piece
 * wakes a worker.
 */
#define CRYPTO_IO_PIPE_MIN (512 * 1024)
#define CRYPTO_IO_PIECE (256 * 1024)

static bool crypto_io_pipelined(QCryptoBlock *block, uint64_t bytes)
{
    return bytes >= CRYPTO_IO_PIPE_MIN &&
           qcrypto_block_batch_is_parallel(block);
}

bool block_crypto_iov_is_whole_sectors(const QEMUIOVector *qiov,
                                       uint64_t sector_size)
{
    for (int i = 0; i < qiov->niov; i++) {
        if (!QEMU_IS_ALIGNED(qiov->iov[i].iov_len, sector_size)) {
            return false;
        }
    }
    return true;
}

int block_crypto_read_decrypt(BdrvChild *child, uint64_t host_offset,
                              QCryptoBlock *block, uint64_t iv_offset,
                              uint8_t *buf, uint64_t bytes,
                              BdrvRequestFlags flags)
{
    int ret = bdrv_pread(child, host_offset, bytes, buf, 0);

    if (ret < 0) {
        return ret;
    }
    if (flags & BDRV_REQ_SERIAL_CRYPTO) {
        qcrypto_block_decrypt_serial(block, iv_offset, buf, bytes);
    } else {
        /* Large ranges are decrypted on all CPUs at once. */
        qcrypto_block_decrypt(block, iv_offset, buf, bytes);
    }
    return ret;
}

int block_crypto_encrypt_write(BdrvChild *child, uint64_t host_offset,
                               QCryptoBlock *block, uint64_t iv_offset,
                               QEMUIOVector *data, uint8_t *buf,
                               BdrvRequestFlags flags)
{
    QCryptoBlockBatch *batch;
    unsigned int npieces = 0;
    uint64_t pos = 0;
    int ret = 0;

    assert(block_crypto_iov_is_whole_sectors(
               data, qcrypto_block_get_sector_size(block)));
    /* FUA holds for the whole request: pieces would each need it. */
    if (!crypto_io_pipelined(block, data->size) || (flags & BDRV_REQ_FUA)) {
        for (int i = 0; i < data->niov; i++) {
            qcrypto_block_encrypt_into(block, iv_offset + pos,
                                       data->iov[i].iov_base, buf + pos,
                                       data->iov[i].iov_len);
            pos += data->iov[i].iov_len;
        }
        return bdrv_pwrite(child, host_offset, data->size, buf, flags);
    }
    /* Queue every piece, then write each as soon as it is encrypted. */
    for (int i = 0; i < data->niov; i++) {
        npieces += DIV_ROUND_UP(data->iov[i].iov_len, CRYPTO_IO_PIECE);
    }
    batch = qcrypto_block_batch_new(block, true, npieces);
    for (int i = 0; i < data->niov; i++) {
        const uint8_t *in = data->iov[i].iov_base;
        size_t len = data->iov[i].iov_len, n;

        for (size_t o = 0; o < len; o += n) {
            n = MIN(CRYPTO_IO_PIECE, len - o);
            qcrypto_block_batch_add(batch, iv_offset + pos, in + o,
                                    buf + pos, n);
            pos += n;
        }
    }
    /* The ciphertext is contiguous in @buf, piece after piece. */
    pos = 0;
    for (unsigned int k = 0; k < npieces && ret >= 0; k++) {
        size_t n = qcrypto_block_batch_wait(batch, k);

        ret = bdrv_pwrite(child, host_offset + pos, n, buf + pos, flags);
        pos += n;
    }
    /* After an error the pieces still queued are finished, then dropped. */
    qcrypto_block_batch_free(batch);
    return ret;
}
