/*
 * Encrypted data I/O shared by the luks and qcow2 drivers: large writes
 * overlap their encryption (on the crypto layer's workers) with the
 * writing, so both run at once on different CPUs.
 */
#ifndef BLOCK_CRYPTO_IO_H
#define BLOCK_CRYPTO_IO_H

#include "block/block.h"
#include "crypto/block.h"

/*
 * block_crypto_read_decrypt:
 * @child: the node holding the ciphertext
 * @host_offset: where it starts in @child
 * @block: the unlocked encryption
 * @iv_offset: the encryption offset of the first byte (sector aligned);
 *             byte i of the range is numbered @iv_offset + i
 * @buf: receives the plaintext
 * @bytes: a multiple of the sector size
 * @flags: the read's flags (BDRV_REQ_SERIAL_CRYPTO)
 *
 * Returns: 0, or -errno of the read (@buf then holds no useful data).
 */
int block_crypto_read_decrypt(BdrvChild *child, uint64_t host_offset,
                              QCryptoBlock *block, uint64_t iv_offset,
                              uint8_t *buf, uint64_t bytes,
                              BdrvRequestFlags flags);

/*
 * block_crypto_encrypt_write:
 * @child: the node receiving the ciphertext
 * @host_offset: where it goes in @child
 * @block: the unlocked encryption
 * @iv_offset: as for block_crypto_read_decrypt()
 * @data: the plaintext, left unchanged; every element whole sectors
 * @buf: @data->size bytes of scratch space for the ciphertext
 * @flags: passed on to the writes (BDRV_REQ_FUA)
 *
 * Returns: 0, or -errno of a write (what reached @child is undefined).
 */
int block_crypto_encrypt_write(BdrvChild *child, uint64_t host_offset,
                               QCryptoBlock *block, uint64_t iv_offset,
                               QEMUIOVector *data, uint8_t *buf,
                               BdrvRequestFlags flags);

/*
 * block_crypto_iov_is_whole_sectors:
 * Returns: whether every element of @qiov is a whole number of
 * @sector_size sectors, as block_crypto_encrypt_write() needs.
 */
bool block_crypto_iov_is_whole_sectors(const QEMUIOVector *qiov,
                                       uint64_t sector_size);

#endif
