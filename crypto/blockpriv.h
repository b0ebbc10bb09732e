/*
 * Private interface between the generic QCryptoBlock layer (block.c) and
 * its format drivers (block-luks.c, block-qcow.c).
 */
#ifndef QCRYPTO_BLOCKPRIV_H
#define QCRYPTO_BLOCKPRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/block.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/ivgen.h"
#include "crypto/key.h"
#include "qapi/error.h"
#include "qapi/qobject.h"

/* The sector size every supported format encrypts with. */
#define QCRYPTO_BLOCK_SECTOR_SIZE 512

/* Cipher contexts and worker threads of one block (block.c). */
typedef struct QCryptoBlockPool QCryptoBlockPool;

struct QCryptoBlock {
    QCryptoBlockFormat format;
    const struct QCryptoBlockDriver *driver;
    void *opaque;                   /* the driver's state */
    uint64_t payload_offset;        /* bytes */
    uint64_t sector_size;           /* bytes */
    QCryptoBlockPool *pool;         /* NULL until the data cipher is set */
};

/*
 * One format.  open, create and cleanup are required; a NULL has_format
 * means the format has no header to probe, a NULL amend that it has no
 * keyslots (and no header to move), a NULL get_info that it has nothing to report, and a NULL
 * calculate_payload_offset that its payload starts at 0.
 */
typedef struct QCryptoBlockDriver {
    QCryptoBlockFormat format;
    bool (*has_format)(const uint8_t *buf, size_t buflen);
    int (*open)(QCryptoBlock *block, const QCryptoBlockOpenOptions *options,
                const char *optprefix, QCryptoBlockReadFunc readfunc,
                void *opaque, unsigned int flags, Error **errp);
    int (*create)(QCryptoBlock *block,
                  const QCryptoBlockCreateOptions *options,
                  const char *optprefix, QCryptoBlockInitFunc initfunc,
                  QCryptoBlockWriteFunc writefunc, void *opaque,
                  Error **errp);
    int (*amend)(QCryptoBlock *block, QCryptoBlockReadFunc readfunc,
                 QCryptoBlockWriteFunc writefunc, void *opaque,
                 const QCryptoBlockAmendOptions *options, bool force,
                 Error **errp);
    int (*move_header)(QCryptoBlock *block, uint64_t inline_offset,
                       QCryptoBlockReadFunc readfunc,
                       QCryptoBlockInitFunc initfunc,
                       QCryptoBlockWriteFunc writefunc, void *opaque,
                       Error **errp);
    bool (*calculate_payload_offset)(const QCryptoBlockCreateOptions *options,
                                     const char *optprefix, uint64_t *len,
                                     Error **errp);
    QObject *(*get_info)(QCryptoBlock *block);
    void (*cleanup)(QCryptoBlock *block);
} QCryptoBlockDriver;

extern const QCryptoBlockDriver qcrypto_block_driver_luks;
extern const QCryptoBlockDriver qcrypto_block_driver_qcow;

/*
 * qcrypto_block_init_cipher:
 * @block: the block; its sector_size must be set
 * @alg, @mode: the data cipher
 * @ivalg, @ivhash: the IV generator (@ivhash only matters for ESSIV)
 * @key: the master key
 * @errp: the cipher or IV generator's error
 *
 * Create one cipher and IV generator per lane and start the worker
 * threads that qcrypto_block_encrypt() and qcrypto_block_decrypt() use.
 * Returns: 0 on success, -1 on failure (nothing is kept).
 */
int qcrypto_block_init_cipher(QCryptoBlock *block, QCryptoCipherAlgo alg,
                              QCryptoCipherMode mode, QCryptoIVGenAlgo ivalg,
                              QCryptoHashAlgo ivhash, const QCryptoKey *key,
                              Error **errp);

/*
 * qcrypto_block_crypt_sectors:
 * @cipher: the cipher
 * @ivgen: its IV generator (unused when @niv is 0)
 * @niv: the cipher's IV length
 * @sector_size: bytes per sector
 * @sector: number of the first sector, for its IV
 * @buf: data, processed in place
 * @len: a multiple of @sector_size (asserted)
 * @encrypt: true to encrypt, false to decrypt
 *
 * Run the cipher over each sector with that sector's IV, on the calling
 * thread.  Used for LUKS key material and by the worker pool.
 */
void qcrypto_block_crypt_sectors(QCryptoCipher *cipher, QCryptoIVGen *ivgen,
                                 size_t niv, uint64_t sector_size,
                                 uint64_t sector, uint8_t *buf, size_t len,
                                 bool encrypt);

#endif /* QCRYPTO_BLOCKPRIV_H */
