/*
 * Private interface of the LUKS1 driver, shared by block-luks.c (header,
 * open, create, keyslots) and block-luks-amend.c (keyslot add and erase).
 */
#ifndef QCRYPTO_BLOCK_LUKS_H
#define QCRYPTO_BLOCK_LUKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/block.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/ivgen.h"
#include "crypto/key.h"
#include "qapi/error.h"

#define QCRYPTO_BLOCK_LUKS_MAGIC_LEN 6
#define QCRYPTO_BLOCK_LUKS_NAME_LEN 32      /* cipher name, mode, hash spec */
#define QCRYPTO_BLOCK_LUKS_DIGEST_LEN 20
#define QCRYPTO_BLOCK_LUKS_SALT_LEN 32
#define QCRYPTO_BLOCK_LUKS_UUID_LEN 40
#define QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS 8
#define QCRYPTO_BLOCK_LUKS_STRIPES 4000
#define QCRYPTO_BLOCK_LUKS_KEY_SLOT_ENABLED 0x00AC71F3
#define QCRYPTO_BLOCK_LUKS_KEY_SLOT_DISABLED 0x0000DEAD
#define QCRYPTO_BLOCK_LUKS_SECTOR_SIZE 512

/*
 * Sectors reserved for the 592-byte header: 4096 bytes, which is also
 * the alignment of every key material area QEMU lays out.
 */
#define QCRYPTO_BLOCK_LUKS_HEADER_SECTORS 8

#define QCRYPTO_BLOCK_LUKS_MIN_ITERS 1000
#define QCRYPTO_BLOCK_LUKS_DEFAULT_ITER_TIME_MS 2000

/* A keyslot in host byte order. */
typedef struct QCryptoBlockLUKSKeySlot {
    uint32_t active;                /* ENABLED or DISABLED */
    uint32_t iterations;
    uint8_t salt[QCRYPTO_BLOCK_LUKS_SALT_LEN];
    uint32_t key_offset_sector;
    uint32_t stripes;
} QCryptoBlockLUKSKeySlot;

/* The partition header in host byte order (see block-luks.c for disk). */
typedef struct QCryptoBlockLUKSHeader {
    uint8_t magic[QCRYPTO_BLOCK_LUKS_MAGIC_LEN];
    uint16_t version;
    char cipher_name[QCRYPTO_BLOCK_LUKS_NAME_LEN];
    char cipher_mode[QCRYPTO_BLOCK_LUKS_NAME_LEN];
    char hash_spec[QCRYPTO_BLOCK_LUKS_NAME_LEN];
    uint32_t payload_offset_sector;
    uint32_t master_key_len;
    uint8_t master_key_digest[QCRYPTO_BLOCK_LUKS_DIGEST_LEN];
    uint8_t master_key_salt[QCRYPTO_BLOCK_LUKS_SALT_LEN];
    uint32_t master_key_iterations;
    char uuid[QCRYPTO_BLOCK_LUKS_UUID_LEN];
    QCryptoBlockLUKSKeySlot key_slots[QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS];
} QCryptoBlockLUKSHeader;

/* The driver state of an open LUKS block. */
typedef struct QCryptoBlockLUKS {
    QCryptoBlockLUKSHeader header;
    QCryptoCipherAlgo cipher_alg;
    QCryptoCipherMode cipher_mode;
    QCryptoIVGenAlgo ivgen_alg;
    QCryptoHashAlgo ivgen_hash_alg; /* meaningful for ESSIV only */
    QCryptoHashAlgo hash_alg;
    QCryptoKey *master_key;         /* NULL when opened without I/O */
    /*
     * 0 for a standard header area; otherwise the inline layout: the phdr
     * sits at this byte of the container, key material offsets are
     * absolute container sectors and the callbacks take container offsets.
     */
    uint64_t inline_offset;
} QCryptoBlockLUKS;

/* Returns: whether keyslot @idx is active. */
bool qcrypto_block_luks_slot_is_active(const QCryptoBlockLUKS *luks,
                                       size_t idx);

/* Returns: the number of active keyslots. */
size_t qcrypto_block_luks_count_active_slots(const QCryptoBlockLUKS *luks);

/* Returns: the sectors the key material of one slot occupies on disk. */
uint64_t qcrypto_block_luks_material_sectors(const QCryptoBlockLUKS *luks);

/*
 * Write the in-memory header, then read it back (when @readfunc is given)
 * and check it.  Returns: 0 on success, -1 on failure.
 */
int qcrypto_block_luks_store_header(QCryptoBlock *block,
                                    QCryptoBlockReadFunc readfunc,
                                    QCryptoBlockWriteFunc writefunc,
                                    void *opaque, Error **errp);

/*
 * Derive a slot key from @password with fresh salt and iterations
 * calibrated to @iter_time ms, write @master_key's split material and
 * activate slot @idx in the header, then check what was written (read
 * back through @readfunc when it is given).  On failure the in-memory
 * slot is left as it was.  Returns: 0 on success, -1 on failure.
 */
int qcrypto_block_luks_store_key(QCryptoBlock *block, size_t idx,
                                 const QCryptoKey *password,
                                 const QCryptoKey *master_key,
                                 uint64_t iter_time,
                                 QCryptoBlockReadFunc readfunc,
                                 QCryptoBlockWriteFunc writefunc,
                                 void *opaque, Error **errp);

/*
 * Try @password on slot @idx (an inactive slot never matches) and, on a
 * match, store the master key in @master_key (master_key_len bytes).
 * Returns: 1 on a match, 0 on no match, -1 on error.
 */
int qcrypto_block_luks_load_key(QCryptoBlock *block, size_t idx,
                                const QCryptoKey *password,
                                QCryptoKey *master_key,
                                QCryptoBlockReadFunc readfunc, void *opaque,
                                Error **errp);

/*
 * Set the slot offsets and payload_offset of the standard layout for
 * @material_sectors per slot (inline layout when @inline_offset != 0).
 */
void qcrypto_block_luks_place_slots(QCryptoBlockLUKSHeader *hdr,
                                    uint64_t material_sectors,
                                    uint64_t inline_offset);

/* Move the header between layouts (block-luks-amend.c); driver callback. */
int qcrypto_block_luks_move_header(QCryptoBlock *block,
                                   uint64_t inline_offset,
                                   QCryptoBlockReadFunc readfunc,
                                   QCryptoBlockInitFunc initfunc,
                                   QCryptoBlockWriteFunc writefunc,
                                   void *opaque, Error **errp);

/* Keyslot add/erase (block-luks-amend.c); the driver's amend callback. */
int qcrypto_block_luks_amend(QCryptoBlock *block,
                             QCryptoBlockReadFunc readfunc,
                             QCryptoBlockWriteFunc writefunc, void *opaque,
                             const QCryptoBlockAmendOptions *options,
                             bool force, Error **errp);

#endif /* QCRYPTO_BLOCK_LUKS_H */
