/*
 * Encrypted block formats (LUKS1 and the legacy qcow AES scheme): header
 * create/open/amend through caller callbacks, and sector encryption.
 */
#ifndef QCRYPTO_BLOCK_H
#define QCRYPTO_BLOCK_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/ivgen.h"
#include "qapi/error.h"
#include "qapi/opts.h"
#include "qapi/qobject.h"

typedef enum QCryptoBlockFormat {
    QCRYPTO_BLOCK_FORMAT_QCOW,      /* legacy AES-128-CBC, plain64 IVs */
    QCRYPTO_BLOCK_FORMAT_LUKS,
    QCRYPTO_BLOCK_FORMAT__MAX,
} QCryptoBlockFormat;

/* "qcow", "luks" */
extern const QEnumLookup QCryptoBlockFormat_lookup;

typedef enum QCryptoBlockLUKSKeyslotState {
    QCRYPTO_BLOCK_LUKS_KEYSLOT_STATE_ACTIVE,
    QCRYPTO_BLOCK_LUKS_KEYSLOT_STATE_INACTIVE,
    QCRYPTO_BLOCK_LUKS_KEYSLOT_STATE__MAX,
} QCryptoBlockLUKSKeyslotState;

/* "active", "inactive" */
extern const QEnumLookup QCryptoBlockLUKSKeyslotState_lookup;

/* Create options; filled by qopts_to_struct() from the tables below. */
typedef struct QCryptoBlockCreateOptions {
    QCryptoBlockFormat format;
    bool has_key_secret;
    char *key_secret;
    bool has_cipher_alg;
    int cipher_alg;                 /* QCryptoCipherAlgo */
    bool has_cipher_mode;
    int cipher_mode;                /* QCryptoCipherMode */
    bool has_ivgen_alg;
    int ivgen_alg;                  /* QCryptoIVGenAlgo */
    bool has_ivgen_hash_alg;
    int ivgen_hash_alg;             /* QCryptoHashAlgo */
    bool has_hash_alg;
    int hash_alg;                   /* QCryptoHashAlgo */
    bool has_iter_time;
    uint64_t iter_time;             /* milliseconds */
    /*
     * LUKS only, not an option: 0 for a standard header area, else the
     * byte of the container where an inline phdr goes (qcow2's inline
     * layout).  Key material offsets are then absolute container sectors,
     * payload_offset counts the sectors from this byte, and the callbacks
     * receive container offsets.
     */
    uint64_t inline_offset;
} QCryptoBlockCreateOptions;

/*
 * The LUKS create options in 7.2's order (key-secret, cipher-alg,
 * cipher-mode, ivgen-alg, ivgen-hash-alg, hash-alg, iter-time), filling a
 * QCryptoBlockCreateOptions.  The luks driver uses it as is, qcow2 as the
 * "encrypt." group.
 */
extern const QOptDesc qcrypto_block_create_opts_luks[];

typedef struct QCryptoBlockOpenOptions {
    QCryptoBlockFormat format;
    char *key_secret;               /* secret id, or NULL */
    uint64_t inline_offset;         /* as in QCryptoBlockCreateOptions */
} QCryptoBlockOpenOptions;

typedef struct QCryptoBlockAmendOptions {
    bool has_state;
    int state;                      /* QCryptoBlockLUKSKeyslotState */
    bool has_keyslot;
    uint64_t keyslot;
    bool has_old_secret;
    char *old_secret;
    bool has_new_secret;
    char *new_secret;
    bool has_iter_time;
    uint64_t iter_time;
} QCryptoBlockAmendOptions;

/* state, keyslot, old-secret, new-secret, iter-time */
extern const QOptDesc qcrypto_block_amend_opts_luks[];

typedef struct QCryptoBlock QCryptoBlock;

/* Read @buflen bytes at @offset of the encryption header area. */
typedef int (*QCryptoBlockReadFunc)(QCryptoBlock *block, size_t offset,
                                    uint8_t *buf, size_t buflen,
                                    void *opaque, Error **errp);
/* Reserve @headerlen bytes for the header area (zero-filled). */
typedef int (*QCryptoBlockInitFunc)(QCryptoBlock *block, size_t headerlen,
                                    void *opaque, Error **errp);
/* Write @buflen bytes at @offset of the encryption header area. */
typedef int (*QCryptoBlockWriteFunc)(QCryptoBlock *block, size_t offset,
                                     const uint8_t *buf, size_t buflen,
                                     void *opaque, Error **errp);

/* Open flags. */
#define QCRYPTO_BLOCK_OPEN_NO_IO (1 << 0)   /* header only, no key needed */

/*
 * qcrypto_block_has_format:
 * Returns: whether @buf (the start of a volume) carries @format's header.
 */
bool qcrypto_block_has_format(QCryptoBlockFormat format,
                              const uint8_t *buf, size_t buflen);

/*
 * qcrypto_block_open:
 * @options: the format and key secret
 * @optprefix: prefix of option names in messages ("encrypt." for qcow2,
 *             "" for luks), as in "Parameter 'encrypt.key-secret' is
 *             required for cipher"
 * @readfunc: reads the header area
 * @opaque: passed to @readfunc
 * @flags: QCRYPTO_BLOCK_OPEN_NO_IO to only parse the header
 * @errp: header check errors, "Invalid password, cannot unlock any keyslot"
 *
 * Returns: the unlocked block (caller frees with qcrypto_block_free()),
 * or NULL.
 */
QCryptoBlock *qcrypto_block_open(const QCryptoBlockOpenOptions *options,
                                 const char *optprefix,
                                 QCryptoBlockReadFunc readfunc, void *opaque,
                                 unsigned int flags, Error **errp);

/*
 * qcrypto_block_create:
 * @options: format and parameters (defaults as 7.2: aes-256, xts,
 *           plain64, sha256, 2000 ms)
 * @optprefix: as for qcrypto_block_open()
 * @initfunc: called once with the header area size before any write
 * @writefunc: writes the header area
 * @opaque: passed to the callbacks
 * @errp: option, secret and I/O errors
 *
 * Generate a master key, write the header and keyslot 0, then read the
 * header back through nothing but its own state and check it.
 * Returns: the new block (caller frees), or NULL.
 */
QCryptoBlock *qcrypto_block_create(const QCryptoBlockCreateOptions *options,
                                   const char *optprefix,
                                   QCryptoBlockInitFunc initfunc,
                                   QCryptoBlockWriteFunc writefunc,
                                   void *opaque, Error **errp);

/*
 * qcrypto_block_calculate_payload_offset:
 * @options: create options
 * @optprefix: for messages
 * @len: receives the header area size in bytes
 * @errp: invalid options
 * Returns: true on success (used by measure).
 */
bool qcrypto_block_calculate_payload_offset(
    const QCryptoBlockCreateOptions *options, const char *optprefix,
    uint64_t *len, Error **errp);

/*
 * qcrypto_block_amend_options:
 * @block: an unlocked LUKS block
 * @readfunc, @writefunc, @opaque: header area access
 * @options: the keyslot change
 * @force: relax the safety checks as `qemu-img amend --force`
 * @errp: 7.2's keyslot messages
 * Returns: 0 on success, -1 on failure (the header is unchanged).
 */
int qcrypto_block_amend_options(QCryptoBlock *block,
                                QCryptoBlockReadFunc readfunc,
                                QCryptoBlockWriteFunc writefunc,
                                void *opaque,
                                const QCryptoBlockAmendOptions *options,
                                bool force, Error **errp);

/*
 * qcrypto_block_get_info:
 * @block: an open block (NO_IO is enough)
 * Returns: a new dict (caller frees) of the format-specific information
 * 7.2 shows for LUKS (ivgen-alg, hash-alg, cipher-alg, uuid,
 * [ivgen-hash-alg], cipher-mode, slots, payload-offset, master-key-iters)
 * without a "format" key; an empty dict for qcow.
 */
QObject *qcrypto_block_get_info(QCryptoBlock *block);

/*
 * qcrypto_block_encrypt / qcrypto_block_decrypt:
 * @block: an unlocked block
 * @offset: byte offset that numbers the sectors (offset / sector size is
 *          the first IV sector); a multiple of the sector size (asserted)
 * @buf: data, encrypted or decrypted in place
 * @len: a multiple of the sector size (asserted)
 *
 * Large buffers are spread over worker threads.  Cannot fail.
 */
void qcrypto_block_encrypt(QCryptoBlock *block, uint64_t offset,
                           uint8_t *buf, size_t len);
void qcrypto_block_decrypt(QCryptoBlock *block, uint64_t offset,
                           uint8_t *buf, size_t len);

/*
 * qcrypto_block_decrypt_serial:
 *
 * As qcrypto_block_decrypt(), on the calling thread only: for a caller
 * whose other threads already keep every CPU busy, where handing pieces
 * to workers only adds a thread competing for them.
 */
void qcrypto_block_decrypt_serial(QCryptoBlock *block, uint64_t offset,
                                  uint8_t *buf, size_t len);

/*
 * qcrypto_block_encrypt_into:
 * @block: an unlocked block
 * @offset: as for qcrypto_block_encrypt()
 * @in: the plaintext, left unchanged
 * @out: receives the ciphertext; must not overlap @in unless equal to it
 * @len: a multiple of the sector size (asserted)
 *
 * As qcrypto_block_encrypt(), writing to @out: saves copying data that
 * must stay intact (a caller's write buffer) into a bounce buffer first.
 */
void qcrypto_block_encrypt_into(QCryptoBlock *block, uint64_t offset,
                                const uint8_t *in, uint8_t *out, size_t len);

/*
 * Batches overlap crypto with I/O: the caller queues the pieces of one
 * request for the worker threads and does its I/O on each piece as soon
 * as that piece is done (writing: encrypt, then write piece by piece) or
 * while later pieces are still being read (reading: read a piece, queue
 * its decryption, read the next).  Without workers each piece is done
 * when it is added.  A batch is used by one thread.
 */
typedef struct QCryptoBlockBatch QCryptoBlockBatch;

/*
 * qcrypto_block_batch_is_parallel:
 * Returns: whether @block has worker threads (else a batch gains nothing).
 */
bool qcrypto_block_batch_is_parallel(QCryptoBlock *block);

/*
 * qcrypto_block_batch_new:
 * @block: an unlocked block
 * @encrypt: whether the pieces are encrypted or decrypted
 * @max_pieces: how many pieces will be added at most
 *
 * Returns: an empty batch; free it with qcrypto_block_batch_free().
 */
QCryptoBlockBatch *qcrypto_block_batch_new(QCryptoBlock *block, bool encrypt,
                                           unsigned int max_pieces);

/*
 * qcrypto_block_batch_add:
 * @batch: the batch
 * @offset: numbers the sectors as for qcrypto_block_encrypt()
 * @in: the input, which must stay untouched until the piece is done
 * @out: the output (may equal @in; must not overlap it otherwise)
 * @len: a multiple of the sector size (asserted)
 *
 * Queue a piece.  Returns: its index, for qcrypto_block_batch_wait().
 */
unsigned int qcrypto_block_batch_add(QCryptoBlockBatch *batch,
                                     uint64_t offset, const uint8_t *in,
                                     uint8_t *out, size_t len);

/*
 * qcrypto_block_batch_wait:
 * @batch: the batch
 * @piece: an index qcrypto_block_batch_add() returned
 *
 * Return once the piece is done (the caller does it if no worker has
 * started it yet).
 * Returns: the piece's length.
 */
size_t qcrypto_block_batch_wait(QCryptoBlockBatch *batch,
                                unsigned int piece);

/*
 * qcrypto_block_batch_free:
 * @batch: the batch, or NULL
 *
 * Wait for every piece and free the batch.
 */
void qcrypto_block_batch_free(QCryptoBlockBatch *batch);

/* qcrypto_block_get_payload_offset: Returns: data start in bytes (LUKS:
 * the header area size; qcow: 0). */
uint64_t qcrypto_block_get_payload_offset(QCryptoBlock *block);

/* qcrypto_block_get_sector_size: Returns: the encryption sector size. */
uint64_t qcrypto_block_get_sector_size(QCryptoBlock *block);

/* qcrypto_block_get_format: Returns: the block's format. */
QCryptoBlockFormat qcrypto_block_get_format(QCryptoBlock *block);

/*
 * qcrypto_block_move_header:
 * @block: an open LUKS block (QCRYPTO_BLOCK_OPEN_NO_IO is enough)
 * @inline_offset: the new layout (see QCryptoBlockCreateOptions)
 * @readfunc: reads the current header area
 * @initfunc: reserves the new area; called after all reads
 * @writefunc: writes the new area
 * @opaque: passed to the callbacks
 * @errp: I/O errors
 *
 * Copy the phdr and every keyslot's key material byte for byte (nothing
 * is re-encrypted, no key is needed) to the standard layout for
 * @inline_offset, rewriting only the phdr's offsets, and check the new
 * header.  The old area is left as it was.
 * Returns: 0 on success, -1 on failure.
 */
int qcrypto_block_move_header(QCryptoBlock *block, uint64_t inline_offset,
                              QCryptoBlockReadFunc readfunc,
                              QCryptoBlockInitFunc initfunc,
                              QCryptoBlockWriteFunc writefunc,
                              void *opaque, Error **errp);

/* qcrypto_block_free: free @block (or NULL), wiping all key material. */
void qcrypto_block_free(QCryptoBlock *block);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QCryptoBlock, qcrypto_block_free)

#endif /* QCRYPTO_BLOCK_H */
