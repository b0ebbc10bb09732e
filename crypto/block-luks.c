/*
 * LUKS1 volumes as QEMU 7.2 lays them out (LUKS On-Disk Format
 * Specification 1.2.3): header codec and checks, unlock, create and info.
 */
#include "qemu/osdep.h"

#include "crypto/afsplit.h"
#include "crypto/block-luks.h"
#include "crypto/blockpriv.h"
#include "crypto/pbkdf.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "qemu/bswap.h"

/* Spec 2.4: the magic "LUKS" followed by 0xBA 0xBE. */
static const uint8_t qcrypto_block_luks_magic[QCRYPTO_BLOCK_LUKS_MAGIC_LEN] = {
    'L', 'U', 'K', 'S', 0xBA, 0xBE
};

#define QCRYPTO_BLOCK_LUKS_VERSION 1

/* Spec 2.4, key slot descriptor; integers are big-endian. */
typedef struct QEMU_PACKED QCryptoBlockLUKSKeySlotDisk {
    uint32_t active;                /* active: ENABLED/DISABLED, BE */
    uint32_t iterations;            /* iterations, BE */
    uint8_t salt[QCRYPTO_BLOCK_LUKS_SALT_LEN];      /* salt */
    uint32_t key_offset_sector;     /* key-material-offset (sectors), BE */
    uint32_t stripes;               /* stripes, BE */
} QCryptoBlockLUKSKeySlotDisk;

_Static_assert(sizeof(QCryptoBlockLUKSKeySlotDisk) == 48,
               "LUKS1 key slot descriptor is 48 bytes");
_Static_assert(offsetof(QCryptoBlockLUKSKeySlotDisk, iterations) == 4,
               "LUKS1 key slot iterations are at offset 4");
_Static_assert(offsetof(QCryptoBlockLUKSKeySlotDisk, salt) == 8,
               "LUKS1 key slot salt is at offset 8");
_Static_assert(offsetof(QCryptoBlockLUKSKeySlotDisk, key_offset_sector) == 40,
               "LUKS1 key material offset is at offset 40");
_Static_assert(offsetof(QCryptoBlockLUKSKeySlotDisk, stripes) == 44,
               "LUKS1 key slot stripes are at offset 44");

/* Spec 2.4, partition header (phdr); integers are big-endian. */
typedef struct QEMU_PACKED QCryptoBlockLUKSHeaderDisk {
    uint8_t magic[QCRYPTO_BLOCK_LUKS_MAGIC_LEN];    /* magic */
    uint16_t version;                               /* version, BE */
    char cipher_name[QCRYPTO_BLOCK_LUKS_NAME_LEN];  /* cipher-name, NUL pad */
    char cipher_mode[QCRYPTO_BLOCK_LUKS_NAME_LEN];  /* cipher-mode, NUL pad */
    char hash_spec[QCRYPTO_BLOCK_LUKS_NAME_LEN];    /* hash-spec, NUL pad */
    uint32_t payload_offset_sector;                 /* payload-offset, BE */
    uint32_t master_key_len;                        /* key-bytes, BE */
    uint8_t master_key_digest[QCRYPTO_BLOCK_LUKS_DIGEST_LEN]; /* mk-digest */
    uint8_t master_key_salt[QCRYPTO_BLOCK_LUKS_SALT_LEN]; /* mk-digest-salt */
    uint32_t master_key_iterations;                 /* mk-digest-iter, BE */
    char uuid[QCRYPTO_BLOCK_LUKS_UUID_LEN];         /* uuid, NUL pad */
    QCryptoBlockLUKSKeySlotDisk key_slots[QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS];
} QCryptoBlockLUKSHeaderDisk;

_Static_assert(sizeof(QCryptoBlockLUKSHeaderDisk) == 592,
               "LUKS1 phdr is 592 bytes");
_Static_assert(offsetof(QCryptoBlockLUKSHeaderDisk, version) == 6,
               "LUKS1 version is at offset 6");
_Static_assert(offsetof(QCryptoBlockLUKSHeaderDisk, cipher_name) == 8,
               "LUKS1 cipher-name is at offset 8");
_Static_assert(offsetof(QCryptoBlockLUKSHeaderDisk, cipher_mode) == 40,
               "LUKS1 cipher-mode is at offset 40");
_Static_assert(offsetof(QCryptoBlockLUKSHeaderDisk, hash_spec) == 72,
               "LUKS1 hash-spec is at offset 72");
_Static_assert(offsetof(QCryptoBlockLUKSHeaderDisk,
                        payload_offset_sector) == 104,
               "LUKS1 payload-offset is at offset 104");
_Static_assert(offsetof(QCryptoBlockLUKSHeaderDisk, master_key_len) == 108,
               "LUKS1 key-bytes is at offset 108");
_Static_assert(offsetof(QCryptoBlockLUKSHeaderDisk, master_key_digest) == 112,
               "LUKS1 mk-digest is at offset 112");
_Static_assert(offsetof(QCryptoBlockLUKSHeaderDisk, master_key_salt) == 132,
               "LUKS1 mk-digest-salt is at offset 132");
_Static_assert(offsetof(QCryptoBlockLUKSHeaderDisk,
                        master_key_iterations) == 164,
               "LUKS1 mk-digest-iter is at offset 164");
_Static_assert(offsetof(QCryptoBlockLUKSHeaderDisk, uuid) == 168,
               "LUKS1 uuid is at offset 168");
_Static_assert(offsetof(QCryptoBlockLUKSHeaderDisk, key_slots) == 208,
               "LUKS1 key slots start at offset 208");

/* A header cipher-name for one algorithm; the key size tells them apart. */
typedef struct QCryptoBlockLUKSCipherName {
    const char *name;
    QCryptoCipherAlgo alg;
} QCryptoBlockLUKSCipherName;

/* The ciphers 7.2 maps to LUKS names (des and 3des have none). */
static const QCryptoBlockLUKSCipherName luks_cipher_names[] = {
    { "aes", QCRYPTO_CIPHER_ALGO_AES_128 },
    { "aes", QCRYPTO_CIPHER_ALGO_AES_192 },
    { "aes", QCRYPTO_CIPHER_ALGO_AES_256 },
    { "cast5", QCRYPTO_CIPHER_ALGO_CAST5_128 },
    { "serpent", QCRYPTO_CIPHER_ALGO_SERPENT_128 },
    { "serpent", QCRYPTO_CIPHER_ALGO_SERPENT_192 },
    { "serpent", QCRYPTO_CIPHER_ALGO_SERPENT_256 },
    { "twofish", QCRYPTO_CIPHER_ALGO_TWOFISH_128 },
    { "twofish", QCRYPTO_CIPHER_ALGO_TWOFISH_192 },
    { "twofish", QCRYPTO_CIPHER_ALGO_TWOFISH_256 },
};

/* A cipher family whose ESSIV cipher is the member keyed by the digest. */
typedef struct QCryptoBlockLUKSEssivFamily {
    const char *label;              /* as 7.2's messages spell it */
    QCryptoCipherAlgo members[3];
} QCryptoBlockLUKSEssivFamily;

static const QCryptoBlockLUKSEssivFamily luks_essiv_families[] = {
    { "AES", { QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_CIPHER_ALGO_AES_192,
               QCRYPTO_CIPHER_ALGO_AES_256 } },
    { "Serpent", { QCRYPTO_CIPHER_ALGO_SERPENT_128,
                   QCRYPTO_CIPHER_ALGO_SERPENT_192,
                   QCRYPTO_CIPHER_ALGO_SERPENT_256 } },
    { "Twofish", { QCRYPTO_CIPHER_ALGO_TWOFISH_128,
                   QCRYPTO_CIPHER_ALGO_TWOFISH_192,
                   QCRYPTO_CIPHER_ALGO_TWOFISH_256 } },
};

/* ------------------------------------------------------------------ */
/* Header codec and checks                                             */
/* ------------------------------------------------------------------ */

static void luks_header_from_disk(const QCryptoBlockLUKSHeaderDisk *disk,
                                  QCryptoBlockLUKSHeader *hdr)
{
    size_t i;

    memcpy(hdr->magic, disk->magic, sizeof(hdr->magic));
    hdr->version = be16_to_cpu(disk->version);
    memcpy(hdr->cipher_name, disk->cipher_name, sizeof(hdr->cipher_name));
    memcpy(hdr->cipher_mode, disk->cipher_mode, sizeof(hdr->cipher_mode));
    memcpy(hdr->hash_spec, disk->hash_spec, sizeof(hdr->hash_spec));
    hdr->payload_offset_sector = be32_to_cpu(disk->payload_offset_sector);
    hdr->master_key_len = be32_to_cpu(disk->master_key_len);
    memcpy(hdr->master_key_digest, disk->master_key_digest,
           sizeof(hdr->master_key_digest));
    memcpy(hdr->master_key_salt, disk->master_key_salt,
           sizeof(hdr->master_key_salt));
    hdr->master_key_iterations = be32_to_cpu(disk->master_key_iterations);
    memcpy(hdr->uuid, disk->uuid, sizeof(hdr->uuid));
    for (i = 0; i < QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS; i++) {
        const QCryptoBlockLUKSKeySlotDisk *d = &disk->key_slots[i];
        QCryptoBlockLUKSKeySlot *s = &hdr->key_slots[i];

        s->active = be32_to_cpu(d->active);
        s->iterations = be32_to_cpu(d->iterations);
        memcpy(s->salt, d->salt, sizeof(s->salt));
        s->key_offset_sector = be32_to_cpu(d->key_offset_sector);
        s->stripes = be32_to_cpu(d->stripes);
    }
}

static void luks_header_to_disk(const QCryptoBlockLUKSHeader *hdr,
                                QCryptoBlockLUKSHeaderDisk *disk)
{
    size_t i;

    memcpy(disk->magic, hdr->magic, sizeof(disk->magic));
    disk->version = cpu_to_be16(hdr->version);
    memcpy(disk->cipher_name, hdr->cipher_name, sizeof(disk->cipher_name));
    memcpy(disk->cipher_mode, hdr->cipher_mode, sizeof(disk->cipher_mode));
    memcpy(disk->hash_spec, hdr->hash_spec, sizeof(disk->hash_spec));
    disk->payload_offset_sector = cpu_to_be32(hdr->payload_offset_sector);
    disk->master_key_len = cpu_to_be32(hdr->master_key_len);
    memcpy(disk->master_key_digest, hdr->master_key_digest,
           sizeof(disk->master_key_digest));
    memcpy(disk->master_key_salt, hdr->master_key_salt,
           sizeof(disk->master_key_salt));
    disk->master_key_iterations = cpu_to_be32(hdr->master_key_iterations);
    memcpy(disk->uuid, hdr->uuid, sizeof(disk->uuid));
    for (i = 0; i < QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS; i++) {
        const QCryptoBlockLUKSKeySlot *s = &hdr->key_slots[i];
        QCryptoBlockLUKSKeySlotDisk *d = &disk->key_slots[i];

        d->active = cpu_to_be32(s->active);
        d->iterations = cpu_to_be32(s->iterations);
        memcpy(d->salt, s->salt, sizeof(d->salt));
        d->key_offset_sector = cpu_to_be32(s->key_offset_sector);
        d->stripes = cpu_to_be32(s->stripes);
    }
}

/*
 * Sectors of key material for @key_len bytes of key split into @stripes,
 * rounded up to the 4096-byte alignment QEMU (and cryptsetup) use.
 */
static uint64_t luks_material_sectors_for(uint64_t key_len, uint64_t stripes)
{
    uint64_t sectors = DIV_ROUND_UP(key_len * stripes,
                                    QCRYPTO_BLOCK_LUKS_SECTOR_SIZE);

    return ROUND_UP(sectors, QCRYPTO_BLOCK_LUKS_HEADER_SECTORS);
}

uint64_t qcrypto_block_luks_material_sectors(const QCryptoBlockLUKS *luks)
{
    return luks_material_sectors_for(luks->header.master_key_len,
                                     QCRYPTO_BLOCK_LUKS_STRIPES);
}

bool qcrypto_block_luks_slot_is_active(const QCryptoBlockLUKS *luks,
                                       size_t idx)
{
    assert(idx < QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS);
    return luks->header.key_slots[idx].active ==
           QCRYPTO_BLOCK_LUKS_KEY_SLOT_ENABLED;
}

size_t qcrypto_block_luks_count_active_slots(const QCryptoBlockLUKS *luks)
{
    size_t i, n = 0;

    for (i = 0; i < QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS; i++) {
        n += qcrypto_block_luks_slot_is_active(luks, i);
    }
    return n;
}

/* Check one keyslot's own fields and its overlap with later slots. */
static int luks_check_slot(const QCryptoBlockLUKSHeader *hdr,
                           uint64_t inline_offset, size_t i, Error **errp)
{
    const QCryptoBlockLUKSKeySlot *s1 = &hdr->key_slots[i];
    uint64_t start1 = s1->key_offset_sector;
    uint64_t len1 = luks_material_sectors_for(hdr->master_key_len,
                                              s1->stripes);
    size_t j;

    if (s1->stripes != QCRYPTO_BLOCK_LUKS_STRIPES) {
        error_setg(errp, "Keyslot %zu is corrupted (stripes %d != %d)",
                   i, (int)s1->stripes, QCRYPTO_BLOCK_LUKS_STRIPES);
        return -1;
    }
    if (s1->active != QCRYPTO_BLOCK_LUKS_KEY_SLOT_DISABLED &&
        s1->active != QCRYPTO_BLOCK_LUKS_KEY_SLOT_ENABLED) {
        error_setg(errp, "Keyslot %zu state (active/disable) is corrupted", i);
        return -1;
    }
    if (s1->active == QCRYPTO_BLOCK_LUKS_KEY_SLOT_ENABLED &&
        s1->iterations == 0) {
        error_setg(errp, "Keyslot %zu iteration count is zero", i);
        return -1;
    }
    /*
     * Inline layout: the material must lie after the phdr and inside the
     * payload_offset sectors that start at the phdr.
     */
    if (inline_offset ? start1 * QCRYPTO_BLOCK_LUKS_SECTOR_SIZE <
                        inline_offset + sizeof(QCryptoBlockLUKSHeaderDisk)
                      : start1 < QCRYPTO_BLOCK_LUKS_HEADER_SECTORS) {
        error_setg(errp, "Keyslot %zu is overlapping with the LUKS header", i);
        return -1;
    }
    if (inline_offset ? (start1 + len1) * QCRYPTO_BLOCK_LUKS_SECTOR_SIZE >
                        inline_offset + (uint64_t)hdr->payload_offset_sector *
                        QCRYPTO_BLOCK_LUKS_SECTOR_SIZE
                      : start1 + len1 > hdr->payload_offset_sector) {
        error_setg(errp,
                   "Keyslot %zu is overlapping with the encrypted payload", i);
        return -1;
    }
    /* Inactive slots count too: their areas are still reserved. */
    for (j = i + 1; j < QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS; j++) {
        const QCryptoBlockLUKSKeySlot *s2 = &hdr->key_slots[j];
        uint64_t start2 = s2->key_offset_sector;
        uint64_t len2 = luks_material_sectors_for(hdr->master_key_len,
                                                  s2->stripes);

        if (start1 < start2 + len2 && start2 < start1 + len1) {
            error_setg(errp,
                       "Keyslots %zu and %zu are overlapping in the header",
                       i, j);
            return -1;
        }
    }
    return 0;
}

/*
 * Validate the decoded header: 7.2's structural checks, in its order and
 * with its messages.  Algorithm names are checked by luks_parse_header().
 */
static int luks_check_header(const QCryptoBlockLUKSHeader *hdr,
                             uint64_t inline_offset, Error **errp)
{
    size_t i;

    if (memcmp(hdr->magic, qcrypto_block_luks_magic,
               QCRYPTO_BLOCK_LUKS_MAGIC_LEN) != 0) {
        error_setg(errp, "Volume is not in LUKS format");
        return -1;
    }
    if (hdr->version != QCRYPTO_BLOCK_LUKS_VERSION) {
        error_setg(errp, "LUKS version %u is not supported", hdr->version);
        return -1;
    }
    if (!memchr(hdr->cipher_name, '\0', sizeof(hdr->cipher_name))) {
        error_setg(errp, "LUKS header cipher name is not NUL terminated");
        return -1;
    }
    if (!memchr(hdr->cipher_mode, '\0', sizeof(hdr->cipher_mode))) {
        error_setg(errp, "LUKS header cipher mode is not NUL terminated");
        return -1;
    }
    if (!memchr(hdr->hash_spec, '\0', sizeof(hdr->hash_spec))) {
        error_setg(errp, "LUKS header hash spec is not NUL terminated");
        return -1;
    }
    if (hdr->payload_offset_sector < QCRYPTO_BLOCK_LUKS_HEADER_SECTORS) {
        error_setg(errp, "LUKS payload is overlapping with the header");
        return -1;
    }
    if (hdr->master_key_iterations == 0) {
        error_setg(errp, "LUKS key iteration count is zero");
        return -1;
    }
    for (i = 0; i < QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS; i++) {
        if (luks_check_slot(hdr, inline_offset, i, errp) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Returns: the value of @lookup named exactly @name, or -1. */
static int luks_enum_find(const QEnumLookup *lookup, const char *name)
{
    int i;

    for (i = 0; i < lookup->size; i++) {
        if (g_str_equal(lookup->array[i], name)) {
            return i;
        }
    }
    return -1;
}

/* Returns: the hash named @name, or -1 with 7.2's error. */
static int luks_hash_find(const char *name, Error **errp)
{
    int hash = luks_enum_find(&QCryptoHashAlgo_lookup, name);

    if (hash < 0) {
        error_setg(errp, "Hash algorithm '%s' not supported", name);
    }
    return hash;
}

/*
 * Returns: the cipher called @name in the header whose key takes
 * @key_bytes (half of them in XTS mode, which holds two keys), or -1.
 */
static int luks_cipher_find(const char *name, QCryptoCipherMode mode,
                            uint32_t key_bytes, Error **errp)
{
    size_t i;

    if (mode == QCRYPTO_CIPHER_MODE_XTS) {
        key_bytes /= 2;
    }
    for (i = 0; i < G_N_ELEMENTS(luks_cipher_names); i++) {
        if (g_str_equal(luks_cipher_names[i].name, name) &&
            qcrypto_cipher_get_key_len(luks_cipher_names[i].alg) ==
            key_bytes) {
            return luks_cipher_names[i].alg;
        }
    }
    /* 7.2 prints the size with %d, so huge values come out negative. */
    error_setg(errp, "Algorithm '%s' with key size %d bytes not supported",
               name, (int)key_bytes);
    return -1;
}

/* Returns: the header cipher-name of @alg, or NULL with 7.2's error. */
static const char *luks_cipher_name(QCryptoCipherAlgo alg, Error **errp)
{
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(luks_cipher_names); i++) {
        if (luks_cipher_names[i].alg == alg) {
            return luks_cipher_names[i].name;
        }
    }
    error_setg(errp, "Algorithm '%s' not supported",
               qapi_enum_lookup(&QCryptoCipherAlgo_lookup, alg));
    return NULL;
}

/*
 * Check that ESSIV can be built for @alg with @hash, as 7.2 decides it:
 * AES, Serpent and Twofish use the family member whose key is as long as
 * the digest; any other cipher only works if its own key is.
 * Returns: 0 if it can, -1 with 7.2's error.
 */
static int luks_check_essiv(QCryptoCipherAlgo alg, QCryptoHashAlgo hash,
                            Error **errp)
{
    size_t digest_len = qcrypto_hash_digest_len(hash);
    size_t i, j;

    for (i = 0; i < G_N_ELEMENTS(luks_essiv_families); i++) {
        const QCryptoBlockLUKSEssivFamily *family = &luks_essiv_families[i];
        bool member = false;

        for (j = 0; j < G_N_ELEMENTS(family->members); j++) {
            member |= family->members[j] == alg;
        }
        if (!member) {
            continue;
        }
        for (j = 0; j < G_N_ELEMENTS(family->members); j++) {
            if (qcrypto_cipher_get_key_len(family->members[j]) ==
                digest_len) {
                return 0;
            }
        }
        error_setg(errp, "No %s cipher with key size %zu available",
                   family->label, digest_len);
        return -1;
    }
    if (qcrypto_cipher_get_key_len(alg) != digest_len) {
        error_setg(errp, "Cipher %s not supported with essiv",
                   qapi_enum_lookup(&QCryptoCipherAlgo_lookup, alg));
        return -1;
    }
    return 0;
}

/*
 * Split the header's cipher-mode "<mode>-<ivgen>[:<ivhash>]" in @mode (a
 * copy) into its parts; @ivhash_name is NULL when there is no hash.
 */
static int luks_split_mode(char *mode, char **ivgen_name, char **ivhash_name,
                           Error **errp)
{
    *ivgen_name = strchr(mode, '-');
    if (!*ivgen_name) {
        error_setg(errp, "Unexpected cipher mode string format '%s'", mode);
        return -1;
    }
    *(*ivgen_name)++ = '\0';
    *ivhash_name = strchr(*ivgen_name, ':');
    if (*ivhash_name) {
        *(*ivhash_name)++ = '\0';
    }
    return 0;
}

/*
 * Turn the header's names into algorithms, in 7.2's order.  Like
 * dm-crypt, a hash given with plain or plain64 must be a known name but
 * is otherwise ignored.
 */
static int luks_parse_header(QCryptoBlockLUKS *luks, Error **errp)
{
    const QCryptoBlockLUKSHeader *hdr = &luks->header;
    char mode[QCRYPTO_BLOCK_LUKS_NAME_LEN];
    char *ivgen_name, *ivhash_name;
    int mode_val, alg, hash, ivgen, ivhash = QCRYPTO_HASH_ALGO_SHA256;

    memcpy(mode, hdr->cipher_mode, sizeof(mode));
    if (luks_split_mode(mode, &ivgen_name, &ivhash_name, errp) < 0) {
        return -1;
    }
    if (ivhash_name) {
        ivhash = luks_hash_find(ivhash_name, errp);
        if (ivhash < 0) {
            return -1;
        }
    }
    mode_val = luks_enum_find(&QCryptoCipherMode_lookup, mode);
    if (mode_val < 0) {
        error_setg(errp, "Cipher mode '%s' not supported", mode);
        return -1;
    }
    alg = luks_cipher_find(hdr->cipher_name, mode_val, hdr->master_key_len,
                           errp);
    if (alg < 0) {
        return -1;
    }
    hash = luks_hash_find(hdr->hash_spec, errp);
    if (hash < 0) {
        return -1;
    }
    ivgen = luks_enum_find(&QCryptoIVGenAlgo_lookup, ivgen_name);
    if (ivgen < 0) {
        error_setg(errp, "IV generator '%s' not supported", ivgen_name);
        return -1;
    }
    if (ivgen == QCRYPTO_IVGEN_ALGO_ESSIV && !ivhash_name) {
        error_setg(errp, "Missing IV generator hash specification");
        return -1;
    }
    if (ivgen == QCRYPTO_IVGEN_ALGO_ESSIV &&
        luks_check_essiv(alg, ivhash, errp) < 0) {
        return -1;
    }
    luks->cipher_mode = mode_val;
    luks->cipher_alg = alg;
    luks->hash_alg = hash;
    luks->ivgen_alg = ivgen;
    luks->ivgen_hash_alg = ivhash;
    return 0;
}

/* Read, decode, check and parse the header into @luks. */
static int luks_load_header(QCryptoBlock *block, QCryptoBlockLUKS *luks,
                            QCryptoBlockReadFunc readfunc, void *opaque,
                            Error **errp)
{
    QCryptoBlockLUKSHeaderDisk disk;

    if (readfunc(block, luks->inline_offset, (uint8_t *)&disk, sizeof(disk),
                 opaque, errp) < 0) {
        return -1;
    }
    luks_header_from_disk(&disk, &luks->header);
    if (luks_check_header(&luks->header, luks->inline_offset, errp) < 0) {
        return -1;
    }
    return luks_parse_header(luks, errp);
}

static bool qcrypto_block_luks_has_format(const uint8_t *buf, size_t buflen)
{
    const QCryptoBlockLUKSHeaderDisk *disk = (const void *)buf;

    /* Probing wants version 1 too: a LUKS2 volume is not ours. */
    return buflen >= offsetof(QCryptoBlockLUKSHeaderDisk, cipher_name) &&
           memcmp(disk->magic, qcrypto_block_luks_magic,
                  QCRYPTO_BLOCK_LUKS_MAGIC_LEN) == 0 &&
           ldw_be_p(&disk->version) == QCRYPTO_BLOCK_LUKS_VERSION;
}

/* ------------------------------------------------------------------ */
/* Key material                                                        */
/* ------------------------------------------------------------------ */

/*
 * Encrypt or decrypt @len bytes of key material with the volume's cipher
 * keyed by @slot_key, sectors numbered from 0 at the material's start.
 */
static int luks_crypt_material(const QCryptoBlockLUKS *luks,
                               const QCryptoKey *slot_key, uint8_t *buf,
                               size_t len, bool encrypt, Error **errp)
{
    g_autoptr(QCryptoCipher) cipher = NULL;
    g_autoptr(QCryptoIVGen) ivgen = NULL;

    cipher = qcrypto_cipher_new(luks->cipher_alg, luks->cipher_mode,
                                slot_key->data, slot_key->len, errp);
    if (!cipher) {
        return -1;
    }
    ivgen = qcrypto_ivgen_new(luks->ivgen_alg, luks->cipher_alg,
                              luks->ivgen_hash_alg, slot_key->data,
                              slot_key->len, errp);
    if (!ivgen) {
        return -1;
    }
    qcrypto_block_crypt_sectors(cipher, ivgen,
                                qcrypto_cipher_get_iv_len(luks->cipher_alg,
                                                          luks->cipher_mode),
                                QCRYPTO_BLOCK_LUKS_SECTOR_SIZE, 0, buf, len,
                                encrypt);
    return 0;
}

/*
 * Check that @key_len bytes split into LUKS1's stripes fill whole
 * sectors.  Returns: 0 if they do, -1 with an error if not.
 */
static int luks_check_material_size(QCryptoCipherAlgo alg,
                                    QCryptoCipherMode mode, size_t key_len,
                                    Error **errp)
{
    size_t split_len = key_len * QCRYPTO_BLOCK_LUKS_STRIPES;

    /*
     * 24-byte keys (the 192-bit ciphers outside XTS) give 96000 bytes,
     * which 7.2 hits an assertion on.  Refuse them instead.
     */
    if (split_len % QCRYPTO_BLOCK_LUKS_SECTOR_SIZE) {
        error_setg(errp, "Cipher %s in mode %s is not supported: its %zu "
                   "bytes of key material are not a multiple of the "
                   "%d-byte sector size",
                   qapi_enum_lookup(&QCryptoCipherAlgo_lookup, alg),
                   qapi_enum_lookup(&QCryptoCipherMode_lookup, mode),
                   split_len, QCRYPTO_BLOCK_LUKS_SECTOR_SIZE);
        return -1;
    }
    return 0;
}

int qcrypto_block_luks_load_key(QCryptoBlock *block, size_t idx,
                                const QCryptoKey *password,
                                QCryptoKey *master_key,
                                QCryptoBlockReadFunc readfunc, void *opaque,
                                Error **errp)
{
    const QCryptoBlockLUKS *luks = block->opaque;
    const QCryptoBlockLUKSHeader *hdr = &luks->header;
    const QCryptoBlockLUKSKeySlot *slot = &hdr->key_slots[idx];
    size_t key_len = hdr->master_key_len;
    /*
     * Material of 24-byte keys ends mid-sector; cryptsetup encrypts the
     * whole last sector, so decrypt it whole (it lies inside the slot).
     */
    size_t read_len = ROUND_UP(key_len * slot->stripes,
                               QCRYPTO_BLOCK_LUKS_SECTOR_SIZE);
    g_autoptr(QCryptoKey) split = NULL;
    g_autoptr(QCryptoKey) slot_key = NULL;
    g_autoptr(QCryptoKey) candidate = NULL;
    g_autoptr(QCryptoKey) digest = NULL;

    assert(master_key->len == key_len);
    if (!qcrypto_block_luks_slot_is_active(luks, idx)) {
        return 0;
    }
    split = qcrypto_key_new(read_len);
    slot_key = qcrypto_key_new(key_len);
    candidate = qcrypto_key_new(key_len);
    digest = qcrypto_key_new(QCRYPTO_BLOCK_LUKS_DIGEST_LEN);
    if (readfunc(block, (uint64_t)slot->key_offset_sector *
                 QCRYPTO_BLOCK_LUKS_SECTOR_SIZE, split->data, read_len,
                 opaque, errp) < 0) {
        return -1;
    }
    if (qcrypto_pbkdf2(luks->hash_alg, password->data, password->len,
                       slot->salt, QCRYPTO_BLOCK_LUKS_SALT_LEN,
                       slot->iterations, slot_key->data, key_len, errp) < 0 ||
        luks_crypt_material(luks, slot_key, split->data, read_len, false,
                            errp) < 0) {
        return -1;
    }
    qcrypto_afsplit_decode(luks->hash_alg, key_len, slot->stripes,
                           split->data, candidate->data);
    if (qcrypto_pbkdf2(luks->hash_alg, candidate->data, key_len,
                       hdr->master_key_salt, QCRYPTO_BLOCK_LUKS_SALT_LEN,
                       hdr->master_key_iterations, digest->data, digest->len,
                       errp) < 0) {
        return -1;
    }
    if (!qcrypto_mem_equal(digest->data, hdr->master_key_digest,
                           QCRYPTO_BLOCK_LUKS_DIGEST_LEN)) {
        return 0;
    }
    memcpy(master_key->data, candidate->data, key_len);
    return 1;
}

/*
 * Scale a PBKDF2 benchmark to @iter_time ms, divided by @divisor, as 7.2
 * does (including its overflow errors), with a floor of 1000 iterations.
 */
static int luks_calc_iters(QCryptoHashAlgo hash, const QCryptoKey *key,
                           const uint8_t *salt, size_t nout,
                           uint64_t iter_time, unsigned int divisor,
                           uint32_t *iters, Error **errp)
{
    uint64_t per_sec, total;

    /* Each of a create's two calibrations may take 2.5% of iter-time. */
    per_sec = qcrypto_pbkdf2_count_iters_within(hash, key->data, key->len,
                                                salt,
                                                QCRYPTO_BLOCK_LUKS_SALT_LEN,
                                                nout, iter_time / 40, errp);
    if (!per_sec) {
        return -1;
    }
    if (iter_time && per_sec > UINT64_MAX / iter_time) {
        error_setg_errno(errp, ERANGE,
                         "PBKDF iterations %" PRIu64 " too large to scale",
                         per_sec);
        return -1;
    }
    total = per_sec * iter_time / 1000 / divisor;
    if (total > UINT32_MAX) {
        error_setg_errno(errp, ERANGE,
                         "PBKDF iterations %" PRIu64 " larger than %u",
                         total, UINT32_MAX);
        return -1;
    }
    *iters = MAX(total, QCRYPTO_BLOCK_LUKS_MIN_ITERS);
    return 0;
}

/*
 * Check slot @idx as written: its material (read back through @readfunc,
 * or @written when there is none) must decrypt with @slot_key and merge
 * to @master_key.
 */
static int luks_verify_material(QCryptoBlock *block, size_t idx,
                                const QCryptoKey *slot_key,
                                const QCryptoKey *master_key,
                                const QCryptoKey *written,
                                QCryptoBlockReadFunc readfunc, void *opaque,
                                Error **errp)
{
    const QCryptoBlockLUKS *luks = block->opaque;
    const QCryptoBlockLUKSKeySlot *slot = &luks->header.key_slots[idx];
    g_autoptr(QCryptoKey) split = qcrypto_key_new(written->len);
    g_autoptr(QCryptoKey) merged = qcrypto_key_new(master_key->len);

    if (readfunc) {
        if (readfunc(block, (uint64_t)slot->key_offset_sector *
                     QCRYPTO_BLOCK_LUKS_SECTOR_SIZE, split->data, split->len,
                     opaque, errp) < 0) {
            return -1;
        }
    } else {
        memcpy(split->data, written->data, split->len);
    }
    if (luks_crypt_material(luks, slot_key, split->data, split->len, false,
                            errp) < 0) {
        return -1;
    }
    qcrypto_afsplit_decode(luks->hash_alg, master_key->len, slot->stripes,
                           split->data, merged->data);
    if (!qcrypto_mem_equal(merged->data, master_key->data, master_key->len)) {
        error_setg(errp, "Keyslot %zu does not hold the master key after "
                   "writing it", idx);
        return -1;
    }
    return 0;
}

/* Fill @slot with fresh salt and iterations and derive its key. */
static int luks_derive_slot_key(const QCryptoBlockLUKS *luks,
                                QCryptoBlockLUKSKeySlot *slot,
                                const QCryptoKey *password,
                                uint64_t iter_time, QCryptoKey *slot_key,
                                Error **errp)
{
    if (qcrypto_random_bytes(slot->salt, sizeof(slot->salt), errp) < 0 ||
        luks_calc_iters(luks->hash_alg, password, slot->salt, slot_key->len,
                        iter_time, 1, &slot->iterations, errp) < 0) {
        return -1;
    }
    return qcrypto_pbkdf2(luks->hash_alg, password->data, password->len,
                          slot->salt, sizeof(slot->salt), slot->iterations,
                          slot_key->data, slot_key->len, errp);
}

int qcrypto_block_luks_store_key(QCryptoBlock *block, size_t idx,
                                 const QCryptoKey *password,
                                 const QCryptoKey *master_key,
                                 uint64_t iter_time,
                                 QCryptoBlockReadFunc readfunc,
                                 QCryptoBlockWriteFunc writefunc,
                                 void *opaque, Error **errp)
{
    QCryptoBlockLUKS *luks = block->opaque;
    QCryptoBlockLUKSKeySlot *slot = &luks->header.key_slots[idx];
    QCryptoBlockLUKSKeySlot saved = *slot;
    size_t key_len = luks->header.master_key_len;
    g_autoptr(QCryptoKey) slot_key = qcrypto_key_new(key_len);
    g_autoptr(QCryptoKey) split = NULL;

    assert(master_key->len == key_len);
    if (luks_check_material_size(luks->cipher_alg, luks->cipher_mode,
                                 key_len, errp) < 0) {
        return -1;
    }
    split = qcrypto_key_new(key_len * slot->stripes);
    if (luks_derive_slot_key(luks, slot, password, iter_time, slot_key,
                             errp) < 0 ||
        qcrypto_afsplit_encode(luks->hash_alg, key_len, slot->stripes,
                               master_key->data, split->data, errp) < 0 ||
        luks_crypt_material(luks, slot_key, split->data, split->len, true,
                            errp) < 0) {
        goto fail;
    }
    /*
     * Material first, checked before the header activates it, so that
     * the header never points at material that does not unlock.
     */
    if (writefunc(block, (uint64_t)slot->key_offset_sector *
                  QCRYPTO_BLOCK_LUKS_SECTOR_SIZE, split->data, split->len,
                  opaque, errp) < 0 ||
        luks_verify_material(block, idx, slot_key, master_key, split,
                             readfunc, opaque, errp) < 0) {
        goto fail;
    }
    slot->active = QCRYPTO_BLOCK_LUKS_KEY_SLOT_ENABLED;
    if (qcrypto_block_luks_store_header(block, readfunc, writefunc, opaque,
                                        errp) < 0) {
        /* Best effort: put the previous header back. */
        *slot = saved;
        qcrypto_block_luks_store_header(block, NULL, writefunc, opaque,
                                        NULL);
        return -1;
    }
    return 0;

fail:
    *slot = saved;
    return -1;
}

/* ------------------------------------------------------------------ */
/* Header write-back and verification                                  */
/* ------------------------------------------------------------------ */

/* Returns: whether @a and @b describe the same volume parameters. */
static bool luks_params_equal(const QCryptoBlockLUKS *a,
                              const QCryptoBlockLUKS *b)
{
    return a->cipher_alg == b->cipher_alg &&
           a->cipher_mode == b->cipher_mode &&
           a->ivgen_alg == b->ivgen_alg &&
           a->hash_alg == b->hash_alg &&
           (a->ivgen_alg != QCRYPTO_IVGEN_ALGO_ESSIV ||
            a->ivgen_hash_alg == b->ivgen_hash_alg);
}

/*
 * Check the header as written: read it back when @readfunc is given and
 * compare bytes, then decode, check and parse it like an open would.
 */
static int luks_verify_header(QCryptoBlock *block,
                              const QCryptoBlockLUKSHeaderDisk *written,
                              QCryptoBlockReadFunc readfunc, void *opaque,
                              Error **errp)
{
    const QCryptoBlockLUKS *luks = block->opaque;
    g_autofree QCryptoBlockLUKS *check = g_new0(QCryptoBlockLUKS, 1);
    QCryptoBlockLUKSHeaderDisk disk = *written;

    if (readfunc) {
        if (readfunc(block, luks->inline_offset, (uint8_t *)&disk,
                     sizeof(disk), opaque, errp) < 0) {
            return -1;
        }
        if (memcmp(&disk, written, sizeof(disk)) != 0) {
            error_setg(errp, "LUKS header read back differs from the "
                       "header written");
            return -1;
        }
    }
    luks_header_from_disk(&disk, &check->header);
    if (luks_check_header(&check->header, luks->inline_offset, errp) < 0 ||
        luks_parse_header(check, errp) < 0) {
        error_prepend(errp, "LUKS header written is invalid: ");
        return -1;
    }
    if (!luks_params_equal(luks, check)) {
        error_setg(errp, "LUKS header written does not describe the volume");
        return -1;
    }
    return 0;
}

int qcrypto_block_luks_store_header(QCryptoBlock *block,
                                    QCryptoBlockReadFunc readfunc,
                                    QCryptoBlockWriteFunc writefunc,
                                    void *opaque, Error **errp)
{
    const QCryptoBlockLUKS *luks = block->opaque;
    QCryptoBlockLUKSHeaderDisk disk;

    luks_header_to_disk(&luks->header, &disk);
    if (writefunc(block, luks->inline_offset, (const uint8_t *)&disk,
                  sizeof(disk), opaque, errp) < 0) {
        return -1;
    }
    return luks_verify_header(block, &disk, readfunc, opaque, errp);
}

/* ------------------------------------------------------------------ */
/* Open                                                                */
/* ------------------------------------------------------------------ */

/* Find the master key with @password and set up the data cipher. */
static int luks_unlock(QCryptoBlock *block, const QCryptoKey *password,
                       QCryptoBlockReadFunc readfunc, void *opaque,
                       Error **errp)
{
    QCryptoBlockLUKS *luks = block->opaque;
    g_autoptr(QCryptoKey) master_key =
        qcrypto_key_new(luks->header.master_key_len);
    size_t i;
    int found = 0;

    for (i = 0; !found && i < QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS; i++) {
        found = qcrypto_block_luks_load_key(block, i, password, master_key,
                                            readfunc, opaque, errp);
        if (found < 0) {
            return -1;
        }
    }
    if (!found) {
        error_setg(errp, "Invalid password, cannot unlock any keyslot");
        return -1;
    }
    if (qcrypto_block_init_cipher(block, luks->cipher_alg, luks->cipher_mode,
                                  luks->ivgen_alg, luks->ivgen_hash_alg,
                                  master_key, errp) < 0) {
        return -1;
    }
    luks->master_key = g_steal_pointer(&master_key);
    return 0;
}

/*
 * Like 7.2, the key secret is required and looked up before the header
 * is even read, so a missing secret hides any header problem.
 */
static QCryptoKey *luks_get_password(const char *key_secret,
                                     const char *optprefix, Error **errp)
{
    if (!key_secret) {
        error_setg(errp, "Parameter '%skey-secret' is required for cipher",
                   optprefix);
        return NULL;
    }
    return qcrypto_secret_lookup_as_utf8(key_secret, errp);
}

static int qcrypto_block_luks_open(QCryptoBlock *block,
                                   const QCryptoBlockOpenOptions *options,
                                   const char *optprefix,
                                   QCryptoBlockReadFunc readfunc,
                                   void *opaque, unsigned int flags,
                                   Error **errp)
{
    g_autoptr(QCryptoKey) password = NULL;
    QCryptoBlockLUKS *luks;

    if (!(flags & QCRYPTO_BLOCK_OPEN_NO_IO)) {
        password = luks_get_password(options->key_secret, optprefix, errp);
        if (!password) {
            return -1;
        }
    }
    luks = g_new0(QCryptoBlockLUKS, 1);
    luks->inline_offset = options->inline_offset;
    block->opaque = luks;
    if (luks_load_header(block, luks, readfunc, opaque, errp) < 0) {
        return -1;
    }
    block->sector_size = QCRYPTO_BLOCK_LUKS_SECTOR_SIZE;
    block->payload_offset = (uint64_t)luks->header.payload_offset_sector *
                            QCRYPTO_BLOCK_LUKS_SECTOR_SIZE;
    if (flags & QCRYPTO_BLOCK_OPEN_NO_IO) {
        return 0;
    }
    return luks_unlock(block, password, readfunc, opaque, errp);
}

/* ------------------------------------------------------------------ */
/* Create                                                              */
/* ------------------------------------------------------------------ */

/* Copy @name into a NUL-padded header field (names are short, asserted). */
static void luks_set_name(char *field, const char *name)
{
    assert(strlen(name) < QCRYPTO_BLOCK_LUKS_NAME_LEN);
    memset(field, 0, QCRYPTO_BLOCK_LUKS_NAME_LEN);
    memcpy(field, name, strlen(name));
}

/* Record in @luks the algorithms @options asks for, with 7.2's defaults. */
static void luks_create_algorithms(QCryptoBlockLUKS *luks,
                                   const QCryptoBlockCreateOptions *options,
                                   bool *has_ivhash)
{
    luks->cipher_alg = options->has_cipher_alg ? options->cipher_alg :
                       QCRYPTO_CIPHER_ALGO_AES_256;
    luks->cipher_mode = options->has_cipher_mode ? options->cipher_mode :
                        QCRYPTO_CIPHER_MODE_XTS;
    luks->ivgen_alg = options->has_ivgen_alg ? options->ivgen_alg :
                      QCRYPTO_IVGEN_ALGO_PLAIN64;
    luks->hash_alg = options->has_hash_alg ? options->hash_alg :
                     QCRYPTO_HASH_ALGO_SHA256;
    /* ESSIV defaults its hash; plain(64) only records one if given. */
    *has_ivhash = options->has_ivgen_hash_alg ||
                  luks->ivgen_alg == QCRYPTO_IVGEN_ALGO_ESSIV;
    luks->ivgen_hash_alg = options->has_ivgen_hash_alg ?
                           options->ivgen_hash_alg : QCRYPTO_HASH_ALGO_SHA256;
}

/*
 * Set the key material offsets and payload_offset of the layout QEMU
 * creates: slots back to back from sector 8 of the area.  Inline layout:
 * the same shifted to the first 4096-byte boundary after the phdr, in
 * absolute sectors, with payload_offset the sectors from the phdr to the
 * end of the last slot.
 */
void qcrypto_block_luks_place_slots(QCryptoBlockLUKSHeader *hdr,
                                   uint64_t material_sectors,
                                   uint64_t inline_offset)
{
    uint64_t first = QCRYPTO_BLOCK_LUKS_HEADER_SECTORS;
    uint64_t end;
    size_t i;

    if (inline_offset) {
        first = ROUND_UP(inline_offset + sizeof(QCryptoBlockLUKSHeaderDisk),
                         QCRYPTO_BLOCK_LUKS_HEADER_SECTORS *
                         QCRYPTO_BLOCK_LUKS_SECTOR_SIZE) /
                QCRYPTO_BLOCK_LUKS_SECTOR_SIZE;
    }
    for (i = 0; i < QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS; i++) {
        hdr->key_slots[i].key_offset_sector = first + i * material_sectors;
    }
    end = first + QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS * material_sectors;
    hdr->payload_offset_sector = inline_offset
        ? DIV_ROUND_UP(end * QCRYPTO_BLOCK_LUKS_SECTOR_SIZE - inline_offset,
                       QCRYPTO_BLOCK_LUKS_SECTOR_SIZE)
        : end;
}

/*
 * Resolve the create options into header names, key size and layout,
 * with 7.2's checks in its order.  Needs no secret and no randomness.
 */
static int luks_create_layout(QCryptoBlockLUKS *luks,
                              const QCryptoBlockCreateOptions *options,
                              Error **errp)
{
    QCryptoBlockLUKSHeader *hdr = &luks->header;
    g_autofree char *mode = NULL;
    const char *cipher_name;
    bool has_ivhash;
    size_t i;

    luks_create_algorithms(luks, options, &has_ivhash);
    cipher_name = luks_cipher_name(luks->cipher_alg, errp);
    if (!cipher_name) {
        return -1;
    }
    mode = g_strdup_printf("%s-%s%s%s",
        qapi_enum_lookup(&QCryptoCipherMode_lookup, luks->cipher_mode),
        qapi_enum_lookup(&QCryptoIVGenAlgo_lookup, luks->ivgen_alg),
        has_ivhash ? ":" : "",
        has_ivhash ? qapi_enum_lookup(&QCryptoHashAlgo_lookup,
                                      luks->ivgen_hash_alg) : "");
    if (luks->ivgen_alg == QCRYPTO_IVGEN_ALGO_ESSIV &&
        luks_check_essiv(luks->cipher_alg, luks->ivgen_hash_alg, errp) < 0) {
        return -1;
    }
    memcpy(hdr->magic, qcrypto_block_luks_magic, sizeof(hdr->magic));
    hdr->version = QCRYPTO_BLOCK_LUKS_VERSION;
    luks_set_name(hdr->cipher_name, cipher_name);
    luks_set_name(hdr->cipher_mode, mode);
    luks_set_name(hdr->hash_spec,
                  qapi_enum_lookup(&QCryptoHashAlgo_lookup, luks->hash_alg));
    hdr->master_key_len = qcrypto_cipher_get_key_len(luks->cipher_alg);
    if (luks->cipher_mode == QCRYPTO_CIPHER_MODE_XTS) {
        hdr->master_key_len *= 2;
    }
    if (luks_check_material_size(luks->cipher_alg, luks->cipher_mode,
                                 hdr->master_key_len, errp) < 0) {
        return -1;
    }
    for (i = 0; i < QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS; i++) {
        QCryptoBlockLUKSKeySlot *slot = &hdr->key_slots[i];

        slot->active = QCRYPTO_BLOCK_LUKS_KEY_SLOT_DISABLED;
        slot->stripes = QCRYPTO_BLOCK_LUKS_STRIPES;
    }
    qcrypto_block_luks_place_slots(hdr,
                                   qcrypto_block_luks_material_sectors(luks),
                                   luks->inline_offset);
    return 0;
}

/* Fill the header's UUID with a random (version 4) one, lower-case. */
static int luks_create_uuid(QCryptoBlockLUKSHeader *hdr, Error **errp)
{
    uint8_t u[16];
    g_autofree char *text = NULL;

    if (qcrypto_random_bytes(u, sizeof(u), errp) < 0) {
        return -1;
    }
    u[6] = (u[6] & 0x0f) | 0x40;
    u[8] = (u[8] & 0x3f) | 0x80;
    text = g_strdup_printf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                           "%02x%02x%02x%02x%02x%02x",
                           u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
                           u[8], u[9], u[10], u[11], u[12], u[13], u[14],
                           u[15]);
    memset(hdr->uuid, 0, sizeof(hdr->uuid));
    memcpy(hdr->uuid, text, strlen(text));
    return 0;
}

/*
 * Draw the master key, set up the data cipher and compute the master key
 * digest; iterations are calibrated to an eighth of @iter_time, as in
 * 7.2 (which took the factor from cryptsetup).
 */
static QCryptoKey *luks_create_master_key(QCryptoBlock *block,
                                          uint64_t iter_time, Error **errp)
{
    QCryptoBlockLUKS *luks = block->opaque;
    QCryptoBlockLUKSHeader *hdr = &luks->header;
    g_autoptr(QCryptoKey) master_key = qcrypto_key_new(hdr->master_key_len);

    if (qcrypto_random_bytes(master_key->data, master_key->len, errp) < 0 ||
        qcrypto_block_init_cipher(block, luks->cipher_alg, luks->cipher_mode,
                                  luks->ivgen_alg, luks->ivgen_hash_alg,
                                  master_key, errp) < 0 ||
        qcrypto_random_bytes(hdr->master_key_salt,
                             sizeof(hdr->master_key_salt), errp) < 0 ||
        luks_calc_iters(luks->hash_alg, master_key, hdr->master_key_salt,
                        QCRYPTO_BLOCK_LUKS_DIGEST_LEN, iter_time, 8,
                        &hdr->master_key_iterations, errp) < 0 ||
        qcrypto_pbkdf2(luks->hash_alg, master_key->data, master_key->len,
                       hdr->master_key_salt, sizeof(hdr->master_key_salt),
                       hdr->master_key_iterations, hdr->master_key_digest,
                       sizeof(hdr->master_key_digest), errp) < 0) {
        return NULL;
    }
    return g_steal_pointer(&master_key);
}

static int qcrypto_block_luks_create(QCryptoBlock *block,
                                     const QCryptoBlockCreateOptions *options,
                                     const char *optprefix,
                                     QCryptoBlockInitFunc initfunc,
                                     QCryptoBlockWriteFunc writefunc,
                                     void *opaque, Error **errp)
{
    g_autoptr(QCryptoKey) password = NULL;
    g_autoptr(QCryptoKey) master_key = NULL;
    uint64_t iter_time = options->has_iter_time ? options->iter_time :
                         QCRYPTO_BLOCK_LUKS_DEFAULT_ITER_TIME_MS;
    QCryptoBlockLUKS *luks = g_new0(QCryptoBlockLUKS, 1);

    luks->inline_offset = options->inline_offset;
    block->opaque = luks;
    password = luks_get_password(options->key_secret, optprefix, errp);
    if (!password ||
        luks_create_uuid(&luks->header, errp) < 0 ||
        luks_create_layout(luks, options, errp) < 0) {
        return -1;
    }
    block->sector_size = QCRYPTO_BLOCK_LUKS_SECTOR_SIZE;
    block->payload_offset = (uint64_t)luks->header.payload_offset_sector *
                            QCRYPTO_BLOCK_LUKS_SECTOR_SIZE;
    master_key = luks_create_master_key(block, iter_time, errp);
    if (!master_key ||
        initfunc(block, block->payload_offset, opaque, errp) < 0 ||
        qcrypto_block_luks_store_header(block, NULL, writefunc, opaque,
                                        errp) < 0 ||
        qcrypto_block_luks_store_key(block, 0, password, master_key,
                                     iter_time, NULL, writefunc, opaque,
                                     errp) < 0) {
        return -1;
    }
    luks->master_key = g_steal_pointer(&master_key);
    return 0;
}

/*
 * 7.2 runs a whole create (PBKDF2 calibration included) to learn the
 * header size.  The layout depends only on the cipher, so do the same
 * checks, including that the cipher can be keyed, without the key work.
 */
static bool qcrypto_block_luks_calculate_payload_offset(
    const QCryptoBlockCreateOptions *options, const char *optprefix,
    uint64_t *len, Error **errp)
{
    g_autofree QCryptoBlockLUKS *luks = g_new0(QCryptoBlockLUKS, 1);
    g_autoptr(QCryptoKey) password = NULL;
    g_autoptr(QCryptoKey) dummy_key = NULL;
    g_autoptr(QCryptoCipher) cipher = NULL;

    luks->inline_offset = options->inline_offset;
    password = luks_get_password(options->key_secret, optprefix, errp);
    if (!password || luks_create_layout(luks, options, errp) < 0) {
        return false;
    }
    dummy_key = qcrypto_key_new(luks->header.master_key_len);
    cipher = qcrypto_cipher_new(luks->cipher_alg, luks->cipher_mode,
                                dummy_key->data, dummy_key->len, errp);
    if (!cipher) {
        return false;
    }
    *len = (uint64_t)luks->header.payload_offset_sector *
           QCRYPTO_BLOCK_LUKS_SECTOR_SIZE;
    return true;
}

/* ------------------------------------------------------------------ */
/* Info and cleanup                                                    */
/* ------------------------------------------------------------------ */

/* Returns: the slot list of the info dict. */
static QObject *luks_info_slots(const QCryptoBlockLUKS *luks)
{
    QObject *slots = qobject_new_list();
    size_t i;

    for (i = 0; i < QCRYPTO_BLOCK_LUKS_NUM_KEY_SLOTS; i++) {
        const QCryptoBlockLUKSKeySlot *slot = &luks->header.key_slots[i];
        bool active = qcrypto_block_luks_slot_is_active(luks, i);
        QObject *entry = qobject_new_dict();

        qdict_put_bool(entry, "active", active);
        if (active) {
            qdict_put_int(entry, "iters", slot->iterations);
            qdict_put_int(entry, "stripes", slot->stripes);
        }
        qdict_put_int(entry, "key-offset",
                      (int64_t)slot->key_offset_sector *
                      QCRYPTO_BLOCK_LUKS_SECTOR_SIZE);
        qlist_append(slots, entry);
    }
    return slots;
}

static QObject *qcrypto_block_luks_get_info(QCryptoBlock *block)
{
    const QCryptoBlockLUKS *luks = block->opaque;
    QObject *info = qobject_new_dict();
    g_autofree char *uuid = g_strndup(luks->header.uuid,
                                      sizeof(luks->header.uuid));

    qdict_put_str(info, "cipher-alg",
                  qapi_enum_lookup(&QCryptoCipherAlgo_lookup,
                                   luks->cipher_alg));
    qdict_put_str(info, "cipher-mode",
                  qapi_enum_lookup(&QCryptoCipherMode_lookup,
                                   luks->cipher_mode));
    qdict_put_str(info, "ivgen-alg",
                  qapi_enum_lookup(&QCryptoIVGenAlgo_lookup,
                                   luks->ivgen_alg));
    if (luks->ivgen_alg == QCRYPTO_IVGEN_ALGO_ESSIV) {
        qdict_put_str(info, "ivgen-hash-alg",
                      qapi_enum_lookup(&QCryptoHashAlgo_lookup,
                                       luks->ivgen_hash_alg));
    }
    qdict_put_str(info, "hash-alg",
                  qapi_enum_lookup(&QCryptoHashAlgo_lookup, luks->hash_alg));
    qdict_put_int(info, "payload-offset", block->payload_offset);
    qdict_put_int(info, "master-key-iters",
                  luks->header.master_key_iterations);
    qdict_put_str(info, "uuid", uuid);
    qdict_put(info, "slots", luks_info_slots(luks));
    return info;
}

static void qcrypto_block_luks_cleanup(QCryptoBlock *block)
{
    QCryptoBlockLUKS *luks = block->opaque;

    if (!luks) {
        return;
    }
    qcrypto_key_free(luks->master_key);
    qcrypto_memzero(luks, sizeof(*luks));
    g_free(luks);
    block->opaque = NULL;
}

const QCryptoBlockDriver qcrypto_block_driver_luks = {
    .format = QCRYPTO_BLOCK_FORMAT_LUKS,
    .has_format = qcrypto_block_luks_has_format,
    .open = qcrypto_block_luks_open,
    .create = qcrypto_block_luks_create,
    .amend = qcrypto_block_luks_amend,
    .move_header = qcrypto_block_luks_move_header,
    .calculate_payload_offset = qcrypto_block_luks_calculate_payload_offset,
    .get_info = qcrypto_block_luks_get_info,
    .cleanup = qcrypto_block_luks_cleanup,
};
