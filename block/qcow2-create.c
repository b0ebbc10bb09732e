/*
 * qcow2 image creation and resizing, with preallocation.  New images are
 * laid out as QEMU 7.2 lays them out (header, refcount table, refcount
 * block, L1 table, then preallocated L2 tables and data), byte for byte.
 */
#include "qemu/osdep.h"

#include "block/qcow2.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/ivgen.h"
#include "qemu/cutils.h"

/* The "encrypt." create options (format, then the LUKS options). */
typedef struct Qcow2CreateEncrypt {
    bool has_format;
    int format;                         /* 0 aes, 1 luks */
    QCryptoBlockCreateOptions luks;
    bool has_header_layout;
    int header_layout;                  /* 0 pointer, 1 inline */
} Qcow2CreateEncrypt;

typedef struct Qcow2CreateOptions {
    bool has_encryption;
    bool encryption;
    Qcow2CreateEncrypt encrypt;
    bool has_cluster_size;
    uint64_t cluster_size;
    bool has_extended_l2;
    bool extended_l2;
    bool has_preallocation;
    int preallocation;                  /* PreallocMode */
    bool has_compression_type;
    int compression_type;
    bool has_size;
    uint64_t size;
    bool has_compat;
    char *compat;
    bool has_backing_file;
    char *backing_file;
    bool has_backing_fmt;
    char *backing_fmt;
    bool has_data_file;
    char *data_file;
    bool has_data_file_raw;
    bool data_file_raw;
    bool has_lazy_refcounts;
    bool lazy_refcounts;
    bool has_refcount_bits;
    uint64_t refcount_bits;
} Qcow2CreateOptions;

#define ENC_FIELD(field) \
    .has_field = true, \
    .offset = offsetof(Qcow2CreateEncrypt, field), \
    .has_offset = offsetof(Qcow2CreateEncrypt, has_##field)

#define LUKS_FIELD(field) \
    .has_field = true, \
    .offset = offsetof(Qcow2CreateEncrypt, luks.field), \
    .has_offset = offsetof(Qcow2CreateEncrypt, luks.has_##field)

#define CREATE_FIELD(field) \
    .has_field = true, \
    .offset = offsetof(Qcow2CreateOptions, field), \
    .has_offset = offsetof(Qcow2CreateOptions, has_##field)

static const char *const encrypt_format_names[] = { "aes", "luks" };
static const QEnumLookup encrypt_format_lookup = {
    .array = encrypt_format_names,
    .size = G_N_ELEMENTS(encrypt_format_names),
};

/* [qcrypt-img] Where the LUKS header goes (qcow2.txt 3). */
static const char *const header_layout_names[] = { "pointer", "inline" };
static const QEnumLookup header_layout_lookup = {
    .array = header_layout_names,
    .size = G_N_ELEMENTS(header_layout_names),
};

static const char *const compression_type_names[] = { "zlib", "zstd" };
static const QEnumLookup compression_type_lookup = {
    .array = compression_type_names,
    .size = G_N_ELEMENTS(compression_type_names),
};

/*
 * [qcrypt-img] The original inline-LUKS proposal's value names for
 * "fde" (reference-facts 1.7): luks, and qcowaes for the legacy scheme.
 */
static const char *const fde_values[] = {
    "luks", "luks", "qcowaes", "aes", NULL
};

/*
 * QEMU 7.2's qcow2 "encrypt." options, in its order and words.  The
 * aliases are the original proposal's names ([qcrypt-img]); they are
 * renamed to these names before anything prints them.
 */
static const QOptDesc qcow2_encrypt_create_opts[] = {
    {
        .name = "format", .alias = "fde", .alias_values = fde_values,
        .type = QOPT_TYPE_ENUM,
        .help = "Encrypt the image, format choices: 'aes', 'luks'",
        .enum_lookup = &encrypt_format_lookup, ENC_FIELD(format),
    }, {
        .name = "key-secret", .alias = "keyid", .type = QOPT_TYPE_STRING,
        .help = "ID of secret providing qcow AES key or LUKS passphrase",
        LUKS_FIELD(key_secret),
    }, {
        .name = "cipher-alg", .alias = "cipher_alg", .type = QOPT_TYPE_ENUM,
        .help = "Name of encryption cipher algorithm",
        .enum_lookup = &QCryptoCipherAlgo_lookup, LUKS_FIELD(cipher_alg),
    }, {
        .name = "cipher-mode", .alias = "cipher_mode", .type = QOPT_TYPE_ENUM,
        .help = "Name of encryption cipher mode",
        .enum_lookup = &QCryptoCipherMode_lookup, LUKS_FIELD(cipher_mode),
    }, {
        .name = "ivgen-alg", .alias = "ivgen_alg", .type = QOPT_TYPE_ENUM,
        .help = "Name of IV generator algorithm",
        .enum_lookup = &QCryptoIVGenAlgo_lookup, LUKS_FIELD(ivgen_alg),
    }, {
        .name = "ivgen-hash-alg", .alias = "ivgen_hash_alg",
        .type = QOPT_TYPE_ENUM,
        .help = "Name of IV generator hash algorithm",
        .enum_lookup = &QCryptoHashAlgo_lookup, LUKS_FIELD(ivgen_hash_alg),
    }, {
        .name = "hash-alg", .alias = "hash_alg", .type = QOPT_TYPE_ENUM,
        .help = "Name of encryption hash algorithm",
        .enum_lookup = &QCryptoHashAlgo_lookup, LUKS_FIELD(hash_alg),
    }, {
        .name = "iter-time", .type = QOPT_TYPE_NUMBER,
        .help = "Time to spend in PBKDF in milliseconds",
        LUKS_FIELD(iter_time),
    }, {
        .name = "header-layout", .type = QOPT_TYPE_ENUM,
        .help = "Where the LUKS header is stored: 'pointer' (default, "
                "readable by QEMU) or 'inline' (qcrypt-img only)",
        .enum_lookup = &header_layout_lookup, ENC_FIELD(header_layout),
        .hidden = true,
    },
    { .name = NULL }
};

const QOptDesc qcow2_create_opts[] = {
    {
        .name = "encryption", .type = QOPT_TYPE_BOOL,
        .help = "Encrypt the image with format 'aes'. (Deprecated in favor "
                "of encrypt.format=aes)",
        CREATE_FIELD(encryption),
    }, {
        .name = "encrypt", .type = QOPT_TYPE_GROUP,
        .group = qcow2_encrypt_create_opts, .has_field = true,
        .offset = offsetof(Qcow2CreateOptions, encrypt),
    }, {
        .name = "cluster_size", .type = QOPT_TYPE_SIZE,
        .help = "qcow2 cluster size", .def_value_str = "65536",
        CREATE_FIELD(cluster_size),
    }, {
        .name = "extended_l2", .type = QOPT_TYPE_BOOL,
        .help = "Extended L2 tables", .def_value_str = "off",
        CREATE_FIELD(extended_l2),
    }, {
        .name = "preallocation", .type = QOPT_TYPE_ENUM,
        .help = "Preallocation mode (allowed values: off, metadata, falloc, "
                "full)",
        .enum_lookup = &PreallocMode_lookup, CREATE_FIELD(preallocation),
    }, {
        .name = "compression_type", .type = QOPT_TYPE_ENUM,
        .help = "Compression method used for image cluster compression",
        .def_value_str = "zlib", .enum_lookup = &compression_type_lookup,
        .qapi_name = "compression-type", CREATE_FIELD(compression_type),
    }, {
        .name = "size", .type = QOPT_TYPE_SIZE,
        .help = "Virtual disk size", CREATE_FIELD(size),
    }, {
        .name = "compat", .type = QOPT_TYPE_STRING,
        .help = "Compatibility level (v2 [0.10] or v3 [1.1])",
        CREATE_FIELD(compat),
    }, {
        .name = "backing_file", .type = QOPT_TYPE_STRING,
        .help = "File name of a base image", CREATE_FIELD(backing_file),
    }, {
        .name = "backing_fmt", .type = QOPT_TYPE_STRING,
        .help = "Image format of the base image", CREATE_FIELD(backing_fmt),
    }, {
        .name = "data_file", .type = QOPT_TYPE_STRING,
        .help = "File name of an external data file",
        CREATE_FIELD(data_file),
    }, {
        .name = "data_file_raw", .type = QOPT_TYPE_BOOL,
        .help = "The external data file must stay valid as a raw image",
        CREATE_FIELD(data_file_raw),
    }, {
        .name = "lazy_refcounts", .type = QOPT_TYPE_BOOL,
        .help = "Postpone refcount updates", .def_value_str = "off",
        CREATE_FIELD(lazy_refcounts),
    }, {
        .name = "refcount_bits", .type = QOPT_TYPE_NUMBER,
        .help = "Width of a reference count entry in bits",
        .def_value_str = "16", CREATE_FIELD(refcount_bits),
    },
    { .name = NULL }
};

/* The validated parameters of a new image. */
typedef struct Qcow2CreateParams {
    int version;
    int cluster_bits;
    uint64_t size;
    int refcount_order;
    bool lazy_refcounts;
    bool extended_l2;
    int compression_type;
    PreallocMode prealloc;
    const char *backing_file;
    const char *backing_fmt;
    bool has_encrypt;
    QCryptoBlockCreateOptions encrypt;  /* strings borrowed from the opts */
    uint64_t header_clusters;           /* > 1 with an inline LUKS header */
    const char *data_file;              /* external data file, or NULL */
    bool data_file_raw;
} Qcow2CreateParams;

static int parse_version(const Qcow2CreateOptions *o, int *version,
                         Error **errp)
{
    /* 7.2 maps compat to its "version" enum, accepting both spellings. */
    if (!o->has_compat || 0 == strcmp(o->compat, "1.1") ||
        0 == strcmp(o->compat, "v3")) {
        *version = 3;
    } else if (0 == strcmp(o->compat, "0.10") ||
               0 == strcmp(o->compat, "v2")) {
        *version = 2;
    } else {
        error_setg(errp, "Parameter 'version' does not accept value '%s'",
                   o->compat);
        return -EINVAL;
    }
    return 0;
}

static int check_geometry(const Qcow2CreateOptions *o, Qcow2CreateParams *p,
                          Error **errp)
{
    uint64_t cluster_size = o->has_cluster_size ? o->cluster_size
                                                : QCOW2_DEFAULT_CLUSTER_SIZE;

    p->extended_l2 = o->has_extended_l2 && o->extended_l2;
    if (p->extended_l2 && p->version < 3) {
        error_setg(errp, "Extended L2 entries are only supported with "
                   "compatibility level 1.1 and above (use version=v3 or "
                   "greater)");
        return -EINVAL;
    }
    if (!QEMU_IS_POWER_OF_2(cluster_size) ||
        cluster_size < (1u << QCOW2_MIN_CLUSTER_BITS) ||
        cluster_size > (1u << QCOW2_MAX_CLUSTER_BITS)) {
        error_setg(errp, "Cluster size must be a power of two between %d "
                   "and %dk", 1 << QCOW2_MIN_CLUSTER_BITS,
                   1 << (QCOW2_MAX_CLUSTER_BITS - 10));
        return -EINVAL;
    }
    if (p->extended_l2 &&
        cluster_size < (1u << QCOW2_EXTL2_MIN_CLUSTER_BITS)) {
        error_setg(errp, "Extended L2 entries are only supported with "
                   "cluster sizes of at least %u bytes",
                   1u << QCOW2_EXTL2_MIN_CLUSTER_BITS);
        return -EINVAL;
    }
    p->cluster_bits = __builtin_ctzll(cluster_size);
    return 0;
}

static int check_refcounts(const Qcow2CreateOptions *o,
                           Qcow2CreateParams *p, Error **errp)
{
    uint64_t bits = o->has_refcount_bits ? o->refcount_bits : 16;

    p->lazy_refcounts = o->has_lazy_refcounts && o->lazy_refcounts;
    if (p->lazy_refcounts && p->version < 3) {
        error_setg(errp, "Lazy refcounts only supported with compatibility "
                   "level 1.1 and above (use version=v3 or greater)");
        return -EINVAL;
    }
    if (bits > 64 || !QEMU_IS_POWER_OF_2(bits)) {
        error_setg(errp, "Refcount width must be a power of two and may not "
                   "exceed 64 bits");
        return -EINVAL;
    }
    if (p->version < 3 && bits != 16) {
        error_setg(errp, "Different refcount widths than 16 bits require "
                   "compatibility level 1.1 or above (use version=v3 or "
                   "greater)");
        return -EINVAL;
    }
    p->refcount_order = __builtin_ctzll(bits);
    return 0;
}

static int check_backing_and_data(const Qcow2CreateOptions *o,
                                  Qcow2CreateParams *p, Error **errp)
{
    if (o->has_backing_file && p->prealloc != PREALLOC_MODE_OFF &&
        !p->extended_l2) {
        error_setg(errp, "Backing file and preallocation can only be used at "
                   "the same time if extended_l2 is on");
        return -EINVAL;
    }
    if (o->has_backing_fmt && !o->has_backing_file) {
        error_setg(errp, "Backing format cannot be used without backing "
                   "file");
        return -EINVAL;
    }
    p->backing_file = o->has_backing_file ? o->backing_file : NULL;
    p->backing_fmt = o->has_backing_fmt ? o->backing_fmt : NULL;
    if (o->has_data_file_raw && o->data_file_raw && !o->has_data_file) {
        error_setg(errp, "data-file-raw requires data-file");
        return -EINVAL;
    }
    if (!o->has_data_file) {
        return 0;
    }
    if (p->version < 3) {
        error_setg(errp, "External data files are only supported with "
                   "compatibility level 1.1 and above (use version=v3 or "
                   "greater)");
        return -EINVAL;
    }
    p->data_file = o->data_file;
    p->data_file_raw = o->has_data_file_raw && o->data_file_raw;
    if (p->data_file_raw && o->has_backing_file) {
        error_setg(errp, "Backing file and data-file-raw cannot be used at "
                   "the same time");
        return -EINVAL;
    }
    /* A raw data file is only readable as such with every cluster
     * mapped. */
    if (p->data_file_raw && PREALLOC_MODE_OFF == p->prealloc) {
        p->prealloc = PREALLOC_MODE_METADATA;
    }
    return 0;
}

static int check_compression(const Qcow2CreateOptions *o,
                             Qcow2CreateParams *p, Error **errp)
{
    p->compression_type = o->has_compression_type ? o->compression_type
                                                  : QCOW2_COMPRESSION_ZLIB;
    if (p->compression_type != QCOW2_COMPRESSION_ZLIB && p->version < 3) {
        error_setg(errp, "Non-zlib compression type is only supported with "
                   "compatibility level 1.1 and above (use version=v3 or "
                   "greater)");
        return -EINVAL;
    }
    return 0;
}

/*
 * AES takes no LUKS option.  7.2's QAPI visitor names the first leftover
 * of the "encrypt" struct in the iteration order of a GLib hash table of
 * its keys from which the visited ones were removed; build the same.
 */
static int check_aes_options(const QObject *opts, Error **errp)
{
    g_autoptr(QObject) sub = qobject_new_dict();
    GHashTable *left = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTableIter iter;
    gpointer key = NULL;
    bool found;

    for (const QDictEntry *e = qdict_first(opts); e;
         e = qdict_next(opts, e)) {
        if (g_str_has_prefix(qdict_entry_key(e), "encrypt.")) {
            qdict_put_str(sub, qdict_entry_key(e) + strlen("encrypt."), "");
        }
    }
    for (const QDictEntry *e = qdict_first(sub); e; e = qdict_next(sub, e)) {
        g_hash_table_insert(left, (gpointer)qdict_entry_key(e), NULL);
    }
    g_hash_table_remove(left, "format");
    g_hash_table_remove(left, "key-secret");
    g_hash_table_iter_init(&iter, left);
    found = g_hash_table_iter_next(&iter, &key, NULL);
    if (found) {
        error_setg(errp, "Parameter 'encrypt.%s' is unexpected",
                   (const char *)key);
    }
    g_hash_table_destroy(left);
    return found ? -EINVAL : 0;
}

/*
 * The errors 7.2's QAPI visitor reports for the "encrypt" member, from
 * the raw options: it visits "version" first (a bad compat is reported
 * by the normal checks), then "encrypt", before any later enum.
 * "encryption=on" is the deprecated alias of "encrypt.format=aes".
 */
static int check_encrypt_members(const QObject *opts, Error **errp)
{
    static const char *const versions[] = { "0.10", "v2", "1.1", "v3" };
    const char *compat = qdict_get_str(opts, "compat");
    const char *format = qdict_get_str(opts, "encrypt.format");
    bool alias = qopts_get_bool(opts, "encryption", false);
    bool any = alias;
    bool version_ok = !compat;

    for (size_t i = 0; i < G_N_ELEMENTS(versions) && !version_ok; i++) {
        version_ok = 0 == strcmp(compat, versions[i]);
    }
    for (const QDictEntry *e = qdict_first(opts); e;
         e = qdict_next(opts, e)) {
        any = any || g_str_has_prefix(qdict_entry_key(e), "encrypt.");
    }
    if (!version_ok || !any) {
        return 0;
    }
    if (alias && format) {
        error_setg(errp, "'encrypt.format' and its alias 'encryption' can't "
                   "be used at the same time");
        return -EINVAL;
    }
    if (!alias && !format) {
        error_setg(errp, "Parameter 'encrypt.format' is missing");
        return -EINVAL;
    }
    if (alias || 0 == strcmp(format, "aes")) {
        return check_aes_options(opts, errp);
    }
    return 0;
}

/* The encryption parameters of a new image (options already checked). */
static void get_encryption(const Qcow2CreateOptions *o, Qcow2CreateParams *p)
{
    bool alias = o->has_encryption && o->encryption;

    if (!alias && !o->encrypt.has_format) {
        return;
    }
    p->encrypt = o->encrypt.luks;
    p->encrypt.format = alias || 0 == o->encrypt.format
                        ? QCRYPTO_BLOCK_FORMAT_QCOW
                        : QCRYPTO_BLOCK_FORMAT_LUKS;
    p->has_encrypt = true;
    p->header_clusters = 1;
}

/*
 * [qcrypt-img] For the inline layout, place the phdr right after the
 * first extension header and size the header area (clusters 0..n-1).
 */
static int get_inline_layout(const Qcow2CreateOptions *o,
                             Qcow2CreateParams *p, Error **errp)
{
    uint64_t len;
    uint64_t start = p->version >= 3 ? QCOW2_HEADER_LENGTH
                                     : QCOW2_V2_HEADER_LENGTH;

    if (!o->encrypt.has_header_layout || 0 == o->encrypt.header_layout) {
        return 0;
    }
    if (!p->has_encrypt || QCRYPTO_BLOCK_FORMAT_LUKS != p->encrypt.format) {
        error_setg(errp, "encrypt.header-layout=inline requires "
                   "encrypt.format=luks");
        return -EINVAL;
    }
    p->encrypt.inline_offset = start + sizeof(Qcow2ExtHeaderDisk);
    if (!qcrypto_block_calculate_payload_offset(&p->encrypt, "encrypt.",
                                                &len, errp)) {
        return -EINVAL;
    }
    p->header_clusters = DIV_ROUND_UP(p->encrypt.inline_offset + len +
                                      QCOW2_LUKS_INLINE_TAIL,
                                      1ULL << p->cluster_bits);
    return 0;
}

/* Validate the options in the order QEMU 7.2 does. */
static int check_create_options(const Qcow2CreateOptions *o,
                                Qcow2CreateParams *p, Error **errp)
{
    int ret;

    if (o->has_size && o->size > INT64_MAX - BDRV_SECTOR_SIZE) {
        error_setg(errp, "Image size too large");
        return -EFBIG;
    }
    /* Sizes are whole sectors, rounded up as QEMU 7.2 does. */
    p->size = o->has_size ? ROUND_UP(o->size, BDRV_SECTOR_SIZE) : 0;
    p->prealloc = o->has_preallocation ? o->preallocation
                                       : PREALLOC_MODE_OFF;
    get_encryption(o, p);
    ret = parse_version(o, &p->version, errp);
    if (ret >= 0) {
        ret = check_geometry(o, p, errp);
    }
    if (ret >= 0) {
        ret = check_backing_and_data(o, p, errp);
    }
    if (ret >= 0) {
        ret = check_refcounts(o, p, errp);
    }
    if (ret >= 0) {
        ret = check_compression(o, p, errp);
    }
    if (ret >= 0) {
        ret = get_inline_layout(o, p, errp);
    }
    return ret;
}

/*
 * Write the first three clusters: a header without extensions, the
 * refcount table and the (still empty) refcount block it points to.
 */
static int write_initial_layout(const char *filename,
                                const Qcow2CreateParams *p, Error **errp)
{
    uint64_t cluster_size = 1ULL << p->cluster_bits;
    uint64_t reftable = MAX(p->header_clusters, 1) * cluster_size;
    g_autofree uint8_t *buf = g_malloc0(2 * cluster_size);
    Qcow2Header h = {
        .magic = QCOW2_MAGIC,
        .version = p->version,
        .cluster_bits = p->cluster_bits,
        .refcount_table_offset = reftable,
        .refcount_table_clusters = 1,
        .refcount_order = p->refcount_order,
        .header_length = QCOW2_HEADER_LENGTH,
        .compression_type = p->compression_type,
    };
    Qcow2HeaderDisk disk;
    BdrvChild *file;
    int ret;

    if (p->version >= 3) {
        h.incompatible_features =
            (p->extended_l2 ? QCOW2_INCOMPAT_EXTL2 : 0) |
            (p->compression_type ? QCOW2_INCOMPAT_COMPRESSION : 0);
        h.compatible_features =
            p->lazy_refcounts ? QCOW2_COMPAT_LAZY_REFCOUNTS : 0;
    }
    qcow2_header_to_disk(&h, &disk);
    memcpy(buf, &disk, p->version >= 3 ? sizeof(disk)
                                       : QCOW2_V2_HEADER_LENGTH);
    file = bdrv_file_open_child(filename, BDRV_O_RDWR, errp);
    if (!file) {
        return -EIO;
    }
    ret = bdrv_pwrite(file, 0, cluster_size, buf, 0);
    if (ret >= 0) {
        memset(buf, 0, cluster_size);
        stq_be_p(buf, reftable + cluster_size);
        ret = bdrv_pwrite(file, reftable, 2 * cluster_size, buf, 0);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write qcow2 header");
    }
    bdrv_root_detach(file);
    return ret;
}

/* Open the new image for the rest of the set-up. */
static BlockDriverState *open_new_image(const char *filename, Error **errp)
{
    QObject *options = qobject_new_dict();
    BlockDriverState *bs;

    qdict_put_str(options, "driver", "qcow2");
    qdict_put_str(options, "file.driver", "file");
    qdict_put_str(options, "file.filename", filename);
    bs = bdrv_open(NULL, options,
                   BDRV_O_RDWR | BDRV_O_RESIZE | BDRV_O_NO_BACKING, errp);
    if (bs) {
        /* Flushing once at the end is enough, as QEMU does. */
        ((BDRVQcow2State *)bs->opaque)->no_flush = true;
    }
    return bs;
}

/* Claim the first three clusters, write the full header, size the disk,
 * and record the backing file. */
static int set_up_image(BlockDriverState *bs, const Qcow2CreateParams *p,
                        Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    BdrvChild root = { .bs = bs, .name = (char *)"create" };
    uint64_t header_clusters = MAX(p->header_clusters, 1);
    int64_t offset;
    int ret;

    if (p->data_file) {
        s->data_file = bdrv_file_open_child(p->data_file, BDRV_O_RDWR, errp);
        if (!s->data_file) {
            return -EIO;
        }
        s->image_data_file = g_strdup(p->data_file);
        s->incompatible_features |= QCOW2_INCOMPAT_DATA_FILE;
        if (p->data_file_raw) {
            s->autoclear_features |= QCOW2_AUTOCLEAR_DATA_FILE_RAW;
        }
    }
    offset = qcow2_alloc_clusters(bs, (header_clusters + 2) *
                                      s->cluster_size);
    if (offset < 0) {
        error_setg_errno(errp, (int)-offset, "Could not allocate clusters "
                         "for qcow2 header and refcount table");
        return (int)offset;
    }
    assert(0 == offset);
    /* The inline LUKS header will fill clusters 1..n-1. */
    s->header_clusters = header_clusters;
    ret = qcow2_update_header(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write qcow2 header");
        return ret;
    }
    ret = qcow2_truncate(root.bs, p->size, false, p->prealloc, errp);
    if (ret < 0) {
        error_prepend(errp, "Could not resize image: ");
        return ret;
    }
    if (p->backing_file) {
        bs->backing_file = g_strdup(p->backing_file);
        bs->backing_format = g_strdup(p->backing_fmt);
        ret = qcow2_update_header(bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not assign backing file "
                             "'%s' with format '%s'", p->backing_file,
                             p->backing_fmt ? p->backing_fmt : "");
            return ret;
        }
    }
    /* Encryption comes last, so the LUKS area follows everything else. */
    if (p->has_encrypt) {
        ret = qcow2_crypto_set_up(bs, &p->encrypt, errp);
    }
    return ret;
}

/* Create the empty protocol file, passing its own options (nocow...). */
static int create_file(const char *filename, const QObject *opts,
                       Error **errp)
{
    g_autoptr(QObject) file_opts = qobject_new_dict();
    static const char *const passed[] = { "nocow", "extent_size_hint" };

    for (size_t i = 0; i < G_N_ELEMENTS(passed); i++) {
        const QObject *v = qdict_get(opts, passed[i]);

        if (v) {
            qdict_put(file_opts, passed[i], qobject_copy(v));
        }
    }
    qdict_put_str(file_opts, "size", "0");
    return bdrv_file.bdrv_create(filename, file_opts, errp);
}

int qcow2_create(const char *filename, QObject *opts, Error **errp)
{
    Qcow2CreateOptions o = { 0 };
    Qcow2CreateParams p = { 0 };
    BlockDriverState *bs;
    bool made_data_file = false;
    int ret = -EINVAL;

    if (check_encrypt_members(opts, errp) >= 0 &&
        qopts_to_struct(qcow2_create_opts, opts, "", &o, errp)) {
        ret = check_create_options(&o, &p, errp);
    }
    if (ret >= 0 && p.data_file) {
        /* The data file, empty (an existing one is truncated, as in 7.2);
         * the disk size is given to it by the resize below. */
        made_data_file = access(p.data_file, F_OK) < 0;
        ret = create_file(p.data_file, opts, errp);
    }
    if (ret >= 0) {
        ret = create_file(filename, opts, errp);
        if (ret >= 0) {
            ret = write_initial_layout(filename, &p, errp);
        }
        bs = ret >= 0 ? open_new_image(filename, errp) : NULL;
        if (ret >= 0 && !bs) {
            ret = -EIO;
        }
        if (bs) {
            ret = set_up_image(bs, &p, errp);
            bdrv_unref(bs);
        }
        if (ret < 0) {
            unlink(filename);
        }
    }
    if (ret < 0 && made_data_file) {
        unlink(p.data_file);
    }
    qopts_free_struct(qcow2_create_opts, &o);
    return ret;
}

/* ------------------------------------------------------------------ */
/* Resizing                                                            */
/* ------------------------------------------------------------------ */

/* preallocation=metadata: L2 entries for the new area, no data. */
static int prealloc_metadata(BlockDriverState *bs, uint64_t old_length,
                             uint64_t new_length, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t end = qcow2_preallocate_range(bs, old_length,
                                          new_length - old_length);
    int64_t file_length;

    if (end < 0) {
        error_setg_errno(errp, (int)-end, "Could not preallocate metadata");
        return (int)end;
    }
    /* Reads past EOF would fail: the file must cover what is mapped. */
    file_length = bdrv_getlength(s->data_file->bs);
    if (file_length < 0) {
        error_setg_errno(errp, (int)-file_length, "Could not get file size");
        return (int)file_length;
    }
    if (end > file_length) {
        return bdrv_truncate(s->data_file, end, false, PREALLOC_MODE_OFF,
                             errp);
    }
    return 0;
}

/*
 * preallocation=falloc/full: refcount structures able to cover the new
 * data and its L2 tables go after the end of the file, then the data
 * area (allocated by the file driver), then the L2 entries.
 */
static int prealloc_data(BlockDriverState *bs, uint64_t old_length,
                         uint64_t new_length, PreallocMode mode,
                         Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t file_size = bdrv_getlength(bs->file->bs);
    uint64_t nb_data, nb_l2, guest, host;
    int64_t start, got;
    int ret;

    if (file_size < 0) {
        error_setg_errno(errp, (int)-file_size, "Could not get file size");
        return (int)file_size;
    }
    nb_data = (ROUND_UP(new_length, s->cluster_size) -
               qcow2_start_of_cluster(s, old_length)) >> s->cluster_bits;
    /* One more L2 table for a head or tail that is not table aligned. */
    nb_l2 = DIV_ROUND_UP(nb_data, s->l2_size) + 1;
    start = qcow2_refcount_area(bs, ROUND_UP(file_size, s->cluster_size),
                                nb_data + nb_l2, true, 0, 0);
    got = start < 0 ? start : qcow2_alloc_clusters_at(bs, start, nb_data);
    if (got < 0) {
        error_setg_errno(errp, (int)-got, "Failed to resize refcount "
                         "structures");
        return (int)got;
    }
    assert((uint64_t)got == nb_data);
    ret = bdrv_truncate(bs->file, start + (nb_data << s->cluster_bits),
                        false, mode, errp);
    if (ret < 0) {
        error_prepend(errp, "Failed to resize underlying file: ");
        qcow2_free_clusters(bs, start, nb_data << s->cluster_bits,
                            QCOW2_DISCARD_OTHER);
        return ret;
    }
    for (guest = old_length, host = start; nb_data > 0;) {
        uint64_t in_cluster = qcow2_offset_into_cluster(s, guest);
        uint64_t n = MIN(nb_data, s->l2_size -
                         qcow2_offset_to_l2_index(s, guest));
        Qcow2WriteRun run = {
            .guest_offset = guest, .host_offset = host + in_cluster,
            .needs_link = true, .nb_clusters = n, .alloc_offset = host,
            .cow_start_bytes = in_cluster, .cow_end_offset = n <<
            s->cluster_bits, .prealloc = true,
        };

        ret = qcow2_write_run(bs, &run, NULL);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to update L2 tables");
            return ret;
        }
        guest = qcow2_start_of_cluster(s, guest) + (n << s->cluster_bits);
        host += n << s->cluster_bits;
        nb_data -= n;
    }
    return 0;
}

/* Growing past the end of a longer backing file: the new area must read
 * as zeros, not as backing data. */
static int zero_grown_area(BlockDriverState *bs, uint64_t old_length,
                           uint64_t new_length)
{
    int64_t backing_len;

    /* v2 cannot mark clusters zero: qcow2_pwrite_zeroes() refuses, and
     * the resize fails as in 7.2. */
    if (!bs->backing) {
        return 0;
    }
    backing_len = bdrv_getlength(bs->backing->bs);
    if (backing_len < 0 || (uint64_t)backing_len <= old_length) {
        return backing_len < 0 ? (int)backing_len : 0;
    }
    return qcow2_pwrite_zeroes(bs, old_length, new_length - old_length, 0);
}

static int grow_image(BlockDriverState *bs, uint64_t offset,
                      PreallocMode prealloc, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old_length = s->size;
    int ret;

    ret = qcow2_grow_l1_table(bs, qcow2_size_to_l1(s, offset), true);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to grow the L1 table");
        return ret;
    }
    s->size = offset;
    if (qcow2_has_data_file(s)) {
        /* The data file takes the new size (and the preallocation of the
         * data); the L2 entries are made as for metadata. */
        ret = bdrv_truncate(s->data_file, offset, false,
                            PREALLOC_MODE_METADATA == prealloc
                            ? PREALLOC_MODE_OFF : prealloc, errp);
        if (ret >= 0 && PREALLOC_MODE_OFF != prealloc) {
            ret = prealloc_metadata(bs, old_length, offset, errp);
        } else if (ret >= 0) {
            ret = zero_grown_area(bs, old_length, offset);
            if (ret < 0) {
                error_setg_errno(errp, -ret,
                                 "Failed to zero out new clusters");
            }
        }
        goto out;
    }
    switch (prealloc) {
    case PREALLOC_MODE_METADATA:
        ret = prealloc_metadata(bs, old_length, offset, errp);
        break;
    case PREALLOC_MODE_FALLOC:
    case PREALLOC_MODE_FULL:
        ret = prealloc_data(bs, old_length, offset, prealloc, errp);
        break;
    default:
        ret = zero_grown_area(bs, old_length, offset);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to zero out new clusters");
        }
        break;
    }
out:
    if (ret < 0) {
        s->size = old_length;       /* the header keeps the old size too */
    }
    return ret;
}

static int shrink_image(BlockDriverState *bs, uint64_t offset, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start = ROUND_UP(offset, s->cluster_size);
    int64_t file_size, last;
    int ret = 0;

    if (start < s->size) {
        ret = qcow2_cluster_discard(bs, start, s->size - start,
                                    QCOW2_DISCARD_ALWAYS, true);
    }
    qcow2_process_discards(bs, ret);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to discard cropped clusters");
        return ret;
    }
    ret = qcow2_shrink_l1_table(bs, qcow2_size_to_l1(s, offset));
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to reduce the number of L2 "
                         "tables");
        return ret;
    }
    ret = qcow2_shrink_reftable(bs);
    qcow2_process_discards(bs, ret);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to discard unused refblocks");
        return ret;
    }
    s->size = offset;
    file_size = bdrv_getlength(bs->file->bs);
    last = file_size < 0 ? file_size : qcow2_get_last_cluster(bs, file_size);
    if (last < 0) {
        error_setg_errno(errp, (int)-last, "Failed to find the last "
                         "cluster");
        return (int)last;
    }
    if (((uint64_t)last + 1) << s->cluster_bits < (uint64_t)file_size) {
        /* Only wasted space if it fails, like in QEMU. */
        (void)bdrv_truncate(bs->file, (last + 1) << s->cluster_bits, false,
                            PREALLOC_MODE_OFF, NULL);
    }
    if (qcow2_has_data_file(s)) {
        return bdrv_truncate(s->data_file, offset, false, PREALLOC_MODE_OFF,
                             errp);
    }
    return 0;
}

int qcow2_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                   PreallocMode prealloc, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t size = cpu_to_be64(offset);
    int ret;

    if (!QEMU_IS_ALIGNED(offset, BDRV_SECTOR_SIZE)) {
        error_setg(errp, "The new size must be a multiple of %u",
                   (unsigned)BDRV_SECTOR_SIZE);
        return -EINVAL;
    }
    if ((uint64_t)offset < s->size && prealloc != PREALLOC_MODE_OFF) {
        error_setg(errp, "Preallocation can't be used for shrinking an "
                   "image");
        return -EINVAL;
    }
    /* Persistent bitmaps: checked and resized by qcow2-bitmap.c. */
    /* v2 snapshots record no disk size: their L1 tables fix it. */
    if (s->nb_snapshots && s->qcow_version < 3) {
        error_setg(errp, "Can't resize a v2 image which has snapshots");
        return -ENOTSUP;
    }
    if ((uint64_t)offset < s->size) {
        ret = shrink_image(bs, offset, errp);
    } else {
        ret = grow_image(bs, offset, prealloc, errp);
    }
    if (ret < 0) {
        return ret;
    }
    s->l1_vm_state_index = qcow2_size_to_l1(s, offset);
    ret = qcow2_pwrite_sync(bs, offsetof(Qcow2HeaderDisk, size),
                            sizeof(size), &size);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to update the image size");
    }
    return ret;
}
