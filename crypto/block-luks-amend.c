/*
 * LUKS1 keyslot management for amend: adding a password to a keyslot and
 * erasing keyslots, with QEMU 7.2's rules and messages; moving the header.
 */
#include "qemu/osdep.h"

#include "crypto/block-luks.h"
#include "crypto/blockpriv.h"
#include "crypto/random.h"
#include "crypto/secret.h"

/* How many times erased key material is overwritten with random data. */
#define QCRYPTO_BLOCK_LUKS_ERASE_ITERATIONS 40

/*
 * 7.2 keeps the keyslot option in an int, so only the low 32 bits count
 * and they are signed: "-1" is -1 and 2^32 is slot 0.
 */
static int luks_amend_keyslot(const QCryptoBlockAmendOptions *options)
{
    uint32_t low = (uint32_t)options->keyslot;

    return low > INT32_MAX ? -(int)(UINT32_MAX - low) - 1 : (int)low;
}

/* Returns: the first inactive keyslot, or -1 if all are active. */
static int luks_find_free_slot(const QCryptoBlockLUKS *luks)
{
    size_t i;

    for (i = 0; i < QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS; i++) {
        if (!qcrypto_block_luks_slot_is_active(luks, i)) {
            return i;
        }
    }
    return -1;
}

/* Put the password of secret @options->new_secret into a keyslot. */
static int luks_amend_add(QCryptoBlock *block, QCryptoBlockReadFunc readfunc,
                          QCryptoBlockWriteFunc writefunc, void *opaque,
                          const QCryptoBlockAmendOptions *options,
                          bool force, Error **errp)
{
    const QCryptoBlockLUKS *luks = block->opaque;
    uint64_t iter_time = options->has_iter_time ? options->iter_time :
                         QCRYPTO_BLOCK_LUKS_DEFAULT_ITER_TIME_MS;
    g_autoptr(QCryptoKey) password = NULL;
    int keyslot;

    if (!options->has_new_secret) {
        error_setg(errp, "'new-secret' is required to activate a keyslot");
        return -1;
    }
    if (options->has_old_secret) {
        error_setg(errp,
                   "'old-secret' must not be given when activating keyslots");
        return -1;
    }
    if (options->has_keyslot) {
        keyslot = luks_amend_keyslot(options);
        if (keyslot < 0 || keyslot >= QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS) {
            error_setg(errp, "Invalid keyslot %u specified, must be between "
                       "0 and %u", (unsigned int)keyslot,
                       QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS - 1);
            return -1;
        }
    } else {
        keyslot = luks_find_free_slot(luks);
        if (keyslot < 0) {
            error_setg(errp, "Can't add a keyslot - all keyslots are in use");
            return -1;
        }
    }
    if (!force && qcrypto_block_luks_slot_is_active(luks, keyslot)) {
        error_setg(errp, "Refusing to overwrite active keyslot %i - please "
                   "erase it first", keyslot);
        return -1;
    }
    password = qcrypto_secret_lookup_as_utf8(options->new_secret, errp);
    if (!password) {
        return -1;
    }
    if (qcrypto_block_luks_store_key(block, keyslot, password,
                                     luks->master_key, iter_time, readfunc,
                                     writefunc, opaque, errp) < 0) {
        /* 7.2 adds this as a hint without a newline; keep its output. */
        error_append_hint(errp, "Failed to write to keyslot %i", keyslot);
        return -1;
    }
    return 0;
}

/* Overwrite @len bytes at @offset with random data, 40 times over. */
static int luks_wipe_material(QCryptoBlock *block, uint64_t offset,
                              size_t len, QCryptoBlockWriteFunc writefunc,
                              void *opaque, Error **errp)
{
    g_autofree uint8_t *garbage = g_new0(uint8_t, len);
    size_t i;

    for (i = 0; i < QCRYPTO_BLOCK_LUKS_ERASE_ITERATIONS; i++) {
        if (qcrypto_random_bytes(garbage, len, errp) < 0) {
            /* Without randomness, still overwrite once (with zeros). */
            if (i == 0) {
                writefunc(block, offset, garbage, len, opaque, NULL);
            }
            return -1;
        }
        if (writefunc(block, offset, garbage, len, opaque, errp) < 0) {
            return -1;
        }
    }
    return 0;
}

/*
 * Disable keyslot @idx in the header (state, iterations and salt), then
 * destroy its key material, even if the header could not be written.
 */
static int luks_erase_slot(QCryptoBlock *block, size_t idx,
                           QCryptoBlockReadFunc readfunc,
                           QCryptoBlockWriteFunc writefunc, void *opaque,
                           Error **errp)
{
    QCryptoBlockLUKS *luks = block->opaque;
    QCryptoBlockLUKSKeySlot *slot = &luks->header.key_slots[idx];
    size_t len = (size_t)luks->header.master_key_len * slot->stripes;
    uint64_t offset = (uint64_t)slot->key_offset_sector *
                      QCRYPTO_BLOCK_LUKS_SECTOR_SIZE;
    Error *header_err = NULL;
    int ret;

    memset(slot->salt, 0, sizeof(slot->salt));
    slot->iterations = 0;
    slot->active = QCRYPTO_BLOCK_LUKS_KEY_SLOT_DISABLED;
    ret = qcrypto_block_luks_store_header(block, readfunc, writefunc, opaque,
                                          &header_err);
    if (luks_wipe_material(block, offset, len, writefunc, opaque,
                           header_err ? NULL : errp) < 0) {
        ret = -1;
    }
    /* Only the first failure is reported, as in 7.2. */
    error_propagate(errp, header_err);
    return ret;
}

/* Erase the keyslot given by number (checking old-secret if given). */
static int luks_erase_by_index(QCryptoBlock *block,
                               QCryptoBlockReadFunc readfunc,
                               QCryptoBlockWriteFunc writefunc, void *opaque,
                               const QCryptoBlockAmendOptions *options,
                               bool force, Error **errp)
{
    const QCryptoBlockLUKS *luks = block->opaque;
    int keyslot = luks_amend_keyslot(options);

    if (keyslot < 0 || keyslot >= QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS) {
        error_setg(errp, "Invalid keyslot %i specified, must be between 0 "
                   "and %i", keyslot, QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS - 1);
        return -1;
    }
    if (options->has_old_secret) {
        g_autoptr(QCryptoKey) password = NULL;
        g_autoptr(QCryptoKey) scratch = NULL;
        int rv;

        password = qcrypto_secret_lookup_as_utf8(options->old_secret, errp);
        if (!password) {
            return -1;
        }
        scratch = qcrypto_key_new(luks->header.master_key_len);
        rv = qcrypto_block_luks_load_key(block, keyslot, password, scratch,
                                         readfunc, opaque, errp);
        if (rv < 0) {
            return -1;
        }
        if (rv == 0) {
            error_setg(errp, "Given keyslot %i doesn't contain the given old "
                       "password for erase operation", keyslot);
            return -1;
        }
    }
    if (!force && !qcrypto_block_luks_slot_is_active(luks, keyslot)) {
        /* The trailing space is 7.2's. */
        error_setg(errp, "Given keyslot %i is already erased (inactive) ",
                   keyslot);
        return -1;
    }
    if (!force && qcrypto_block_luks_count_active_slots(luks) == 1) {
        error_setg(errp, "Attempt to erase the only active keyslot %i which "
                   "will erase all the data in the image irreversibly - "
                   "refusing operation", keyslot);
        return -1;
    }
    if (luks_erase_slot(block, keyslot, readfunc, writefunc, opaque,
                        errp) < 0) {
        error_append_hint(errp, "Failed to erase keyslot %i", keyslot);
        return -1;
    }
    return 0;
}

/* Erase every keyslot that old-secret unlocks. */
static int luks_erase_by_password(QCryptoBlock *block,
                                  QCryptoBlockReadFunc readfunc,
                                  QCryptoBlockWriteFunc writefunc,
                                  void *opaque,
                                  const QCryptoBlockAmendOptions *options,
                                  bool force, Error **errp)
{
    const QCryptoBlockLUKS *luks = block->opaque;
    g_autoptr(QCryptoKey) password = NULL;
    g_autoptr(QCryptoKey) scratch = NULL;
    bool matches[QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS] = { false };
    size_t i, count = 0;

    password = qcrypto_secret_lookup_as_utf8(options->old_secret, errp);
    if (!password) {
        return -1;
    }
    scratch = qcrypto_key_new(luks->header.master_key_len);
    for (i = 0; i < QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS; i++) {
        int rv = qcrypto_block_luks_load_key(block, i, password, scratch,
                                             readfunc, opaque, errp);

        if (rv < 0) {
            return -1;
        }
        matches[i] = rv == 1;
        count += matches[i];
    }
    if (count == 0) {
        error_setg(errp, "No keyslots match given (old) password for erase "
                   "operation");
        return -1;
    }
    if (!force && count == qcrypto_block_luks_count_active_slots(luks)) {
        error_setg(errp, "All the active keyslots match the (old) password "
                   "that was given and erasing them will erase all the data "
                   "in the image irreversibly - refusing operation");
        return -1;
    }
    for (i = 0; i < QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS; i++) {
        if (matches[i] && luks_erase_slot(block, i, readfunc, writefunc,
                                          opaque, errp) < 0) {
            error_append_hint(errp, "Failed to erase keyslot %zu", i);
            return -1;
        }
    }
    return 0;
}

/* Erase keyslots by number or by password. */
static int luks_amend_erase(QCryptoBlock *block,
                            QCryptoBlockReadFunc readfunc,
                            QCryptoBlockWriteFunc writefunc, void *opaque,
                            const QCryptoBlockAmendOptions *options,
                            bool force, Error **errp)
{
    if (options->has_new_secret) {
        error_setg(errp, "'new-secret' must not be given when erasing "
                   "keyslots");
        return -1;
    }
    if (options->has_iter_time) {
        error_setg(errp, "'iter-time' must not be given when erasing "
                   "keyslots");
        return -1;
    }
    if (options->has_keyslot) {
        return luks_erase_by_index(block, readfunc, writefunc, opaque,
                                   options, force, errp);
    }
    if (options->has_old_secret) {
        return luks_erase_by_password(block, readfunc, writefunc, opaque,
                                      options, force, errp);
    }
    error_setg(errp, "To erase keyslot(s), either explicit keyslot index or "
               "the password currently contained in them must be given");
    return -1;
}

int qcrypto_block_luks_amend(QCryptoBlock *block,
                             QCryptoBlockReadFunc readfunc,
                             QCryptoBlockWriteFunc writefunc, void *opaque,
                             const QCryptoBlockAmendOptions *options,
                             bool force, Error **errp)
{
    const QCryptoBlockLUKS *luks = block->opaque;

    /* Amending needs the master key: the block must have been unlocked. */
    assert(luks && luks->master_key);
    if (!options->has_state) {
        error_setg(errp, "Parameter 'state' is missing");
        return -1;
    }
    if (options->state == QCRYPTO_BLOCK_LUKS_KEYSLOT_STATE_ACTIVE) {
        return luks_amend_add(block, readfunc, writefunc, opaque, options,
                              force, errp);
    }
    return luks_amend_erase(block, readfunc, writefunc, opaque, options,
                            force, errp);
}

/*
 * Read every slot's key material (active or not) as stored, in one key
 * buffer of @slot_bytes per slot, through the current layout.
 */
static QCryptoKey *luks_read_all_material(QCryptoBlock *block,
                                          uint64_t slot_bytes,
                                          QCryptoBlockReadFunc readfunc,
                                          void *opaque, Error **errp)
{
    const QCryptoBlockLUKS *luks = block->opaque;
    g_autoptr(QCryptoKey) all =
        qcrypto_key_new(slot_bytes * QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS);
    size_t i;

    for (i = 0; i < QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS; i++) {
        const QCryptoBlockLUKSKeySlot *slot = &luks->header.key_slots[i];

        if (readfunc(block, (uint64_t)slot->key_offset_sector *
                     QCRYPTO_BLOCK_LUKS_SECTOR_SIZE,
                     all->data + i * slot_bytes, slot_bytes, opaque,
                     errp) < 0) {
            return NULL;
        }
    }
    return g_steal_pointer(&all);
}

int qcrypto_block_luks_move_header(QCryptoBlock *block,
                                   uint64_t inline_offset,
                                   QCryptoBlockReadFunc readfunc,
                                   QCryptoBlockInitFunc initfunc,
                                   QCryptoBlockWriteFunc writefunc,
                                   void *opaque, Error **errp)
{
    QCryptoBlockLUKS *luks = block->opaque;
    QCryptoBlockLUKSHeader old = luks->header;
    uint64_t old_inline = luks->inline_offset;
    uint64_t slot_bytes = qcrypto_block_luks_material_sectors(luks) *
                          QCRYPTO_BLOCK_LUKS_SECTOR_SIZE;
    g_autoptr(QCryptoKey) all = NULL;
    size_t i;

    /* Material is encrypted with sector numbers relative to each slot,
     * so a byte copy stays valid wherever it lands. */
    all = luks_read_all_material(block, slot_bytes, readfunc, opaque, errp);
    if (!all) {
        return -1;
    }
    luks->inline_offset = inline_offset;
    qcrypto_block_luks_place_slots(&luks->header,
                                   qcrypto_block_luks_material_sectors(luks),
                                   inline_offset);
    block->payload_offset = (uint64_t)luks->header.payload_offset_sector *
                            QCRYPTO_BLOCK_LUKS_SECTOR_SIZE;
    if (initfunc(block, block->payload_offset, opaque, errp) < 0 ||
        qcrypto_block_luks_store_header(block, NULL, writefunc, opaque,
                                        errp) < 0) {
        goto fail;
    }
    for (i = 0; i < QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS; i++) {
        const QCryptoBlockLUKSKeySlot *slot = &luks->header.key_slots[i];

        if (writefunc(block, (uint64_t)slot->key_offset_sector *
                      QCRYPTO_BLOCK_LUKS_SECTOR_SIZE,
                      all->data + i * slot_bytes, slot_bytes, opaque,
                      errp) < 0) {
            goto fail;
        }
    }
    return 0;

fail:
    luks->header = old;
    luks->inline_offset = old_inline;
    block->payload_offset = (uint64_t)old.payload_offset_sector *
                            QCRYPTO_BLOCK_LUKS_SECTOR_SIZE;
    return -1;
}
