/*
 * qcow2 `qemu-img amend`: the option table of QEMU 7.2, LUKS keyslot
 * management, compat, lazy_refcounts and refcount_bits (qcow2-version.c),
 * size, and 7.2's refusal to change backing_file/backing_fmt.
 */
#include "qemu/osdep.h"

#include "block/qcow2.h"

typedef struct Qcow2AmendOptions {
    QCryptoBlockAmendOptions encrypt;
} Qcow2AmendOptions;

/* 7.2's qcow2 amend options: the LUKS keyslot options under "encrypt."
 * first (7.2 checks them in this order), then the common ones. */
const QOptDesc qcow2_amend_opts[] = {
    {
        .name = "encrypt", .type = QOPT_TYPE_GROUP,
        .group = qcrypto_block_amend_opts_luks, .has_field = true,
        .offset = offsetof(Qcow2AmendOptions, encrypt),
    },
    { .name = "size", .type = QOPT_TYPE_SIZE, .help = "Virtual disk size" },
    { .name = "compat", .type = QOPT_TYPE_STRING,
      .help = "Compatibility level (v2 [0.10] or v3 [1.1])" },
    { .name = "backing_file", .type = QOPT_TYPE_STRING,
      .help = "File name of a base image" },
    { .name = "backing_fmt", .type = QOPT_TYPE_STRING,
      .help = "Image format of the base image" },
    { .name = "data_file", .type = QOPT_TYPE_STRING,
      .help = "File name of an external data file" },
    { .name = "data_file_raw", .type = QOPT_TYPE_BOOL,
      .help = "The external data file must stay valid as a raw image" },
    { .name = "lazy_refcounts", .type = QOPT_TYPE_BOOL,
      .help = "Postpone refcount updates" },
    { .name = "refcount_bits", .type = QOPT_TYPE_NUMBER,
      .help = "Width of a reference count entry in bits" },
    /* [qcrypt-img] pointer|inline; left out of help, which stays 7.2's
     * (docs/tools/qemu-img.rst documents it). */
    { .name = "encrypt.header-layout", .type = QOPT_TYPE_STRING,
      .help = "Where the LUKS header is stored: 'pointer' or 'inline'",
      .hidden = true },
    { .name = NULL }
};

/* Whether @opts asks for a keyslot change; errors as 7.2 reports them. */
static int check_encrypt_options(BlockDriverState *bs, const QObject *opts,
                                 bool *update, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    *update = false;
    for (const QDictEntry *e = qdict_first(opts); e;
         e = qdict_next(opts, e)) {
        if (!g_str_has_prefix(qdict_entry_key(e), "encrypt.")) {
            continue;
        }
        if (!s->crypto) {
            error_setg(errp, "Can't amend encryption options - encryption "
                       "not present");
            return -EINVAL;
        }
        if (s->crypt_method_header != QCOW2_CRYPT_LUKS) {
            error_setg(errp, "Only LUKS encryption options can be amended");
            return -ENOTSUP;
        }
        *update = true;
    }
    return 0;
}

/*
 * [qcrypt-img] encrypt.header-layout=pointer|inline moves the LUKS header
 * between the layouts in place, without the key.  Removes the option from
 * @opts; *@done tells whether it was there.
 */
static int amend_header_layout(BlockDriverState *bs, QObject *opts,
                               bool *done, Error **errp)
{
    g_autofree char *layout = NULL;
    const char *value = qdict_get_str(opts, "encrypt.header-layout");
    BDRVQcow2State *s = bs->opaque;

    *done = value != NULL;
    if (!value) {
        return 0;
    }
    layout = g_strdup(value);
    qdict_del(opts, "encrypt.header-layout");
    if (strcmp(layout, "pointer") && strcmp(layout, "inline")) {
        error_setg(errp, "Parameter 'encrypt.header-layout' does not accept "
                   "value '%s'", layout);
        return -EINVAL;
    }
    if (!s->crypto || QCOW2_CRYPT_LUKS != s->crypt_method_header) {
        error_setg(errp, "Can't amend encryption options - encryption "
                   "not present");
        return -EINVAL;
    }
    return qcow2_crypto_set_layout(bs, 0 == strcmp(layout, "inline"), errp);
}

/* What compat, lazy_refcounts, refcount_bits and size ask for. */
typedef struct Qcow2AmendFormat {
    int version;
    bool lazy;
    int refcount_order;
    uint64_t size;
    const char *data_file;      /* new data file name ("" drops it), or NULL */
    bool data_file_raw;
} Qcow2AmendFormat;

/* Parse the format options as 7.2's option loop does (its errors come
 * before anything changes); unset ones keep the image's values. */
static int plan_format_options(BlockDriverState *bs, const QObject *opts,
                               Qcow2AmendFormat *f, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    const char *compat = qdict_get_str(opts, "compat");
    uint64_t bits;

    f->version = s->qcow_version;
    if (compat) {
        if (0 == strcmp(compat, "0.10") || 0 == strcmp(compat, "v2")) {
            f->version = 2;
        } else if (0 == strcmp(compat, "1.1") || 0 == strcmp(compat, "v3")) {
            f->version = 3;
        } else {
            error_setg(errp, "Unknown compatibility level %s", compat);
            return -EINVAL;
        }
    }
    f->lazy = qopts_get_bool(opts, "lazy_refcounts", s->use_lazy_refcounts);
    bits = qopts_get_number(opts, "refcount_bits", s->refcount_bits);
    if (!bits || bits > 64 || !QEMU_IS_POWER_OF_2(bits)) {
        error_setg(errp, "Refcount width must be a power of two and may not "
                   "exceed 64 bits");
        return -EINVAL;
    }
    f->refcount_order = __builtin_ctzll(bits);
    /* 7.2: size=0 (or none) leaves the size alone. */
    f->size = qopts_get_number(opts, "size", 0);
    if (f->version != s->qcow_version && s->luks_inline.length) {
        /* [qcrypt-img] the inline data starts right after the header,
         * whose length the version changes. */
        error_setg(errp, "Cannot change the compatibility level of an "
                   "image with the inline LUKS header layout (amend "
                   "encrypt.header-layout=pointer first)");
        return -ENOTSUP;
    }
    return 0;
}

/* A new refcount width, after the upgrade and the keyslot changes. */
static int amend_refcount_width(BlockDriverState *bs,
                                const Qcow2AmendFormat *f, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    if (f->refcount_order == s->refcount_order) {
        return 0;
    }
    if (f->version < 3 && 4 != f->refcount_order) {
        error_setg(errp, "Refcount widths other than 16 bits require "
                   "compatibility level 1.1 or above (use compat=1.1 or "
                   "greater)");
        return -EINVAL;
    }
    return qcow2_amend_refcount_order(bs, f->refcount_order, errp);
}

/*
 * 7.2 no longer changes the backing file with amend (rebase -u does): it
 * accepts backing_file and backing_fmt only when both together name
 * exactly what the header has, so one of them alone, or "" for none,
 * fails whenever the image records the other (or nothing).
 */
static int check_backing_options(BlockDriverState *bs, const QObject *opts,
                                 Error **errp)
{
    const char *file = qdict_get_str(opts, "backing_file");
    const char *fmt = qdict_get_str(opts, "backing_fmt");

    if (!file && !fmt) {
        return 0;
    }
    if (g_strcmp0(file, bs->backing_file) ||
        g_strcmp0(fmt, bs->backing_format)) {
        error_setg(errp, "Cannot amend the backing file");
        error_append_hint(errp, "You can use 'qemu-img rebase' instead.\n");
        return -EINVAL;
    }
    return 0;
}

/* Lazy refcounts on or off, checked against the final version. */
static int amend_lazy(BlockDriverState *bs, const Qcow2AmendFormat *f,
                      Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    if (f->lazy == s->use_lazy_refcounts) {
        return 0;
    }
    if (f->lazy && f->version < 3) {
        error_setg(errp, "Lazy refcounts only supported with compatibility "
                   "level 1.1 and above (use compat=1.1 or greater)");
        return -EINVAL;
    }
    return qcow2_amend_lazy_refcounts(bs, f->lazy, errp);
}

/* A new virtual size, as 7.2 resizes for amend: exactly, without
 * preallocation, shrinking without asking (no --shrink here). */
static int amend_size(BlockDriverState *bs, const Qcow2AmendFormat *f,
                      Error **errp)
{
    /* A borrowed handle on the node itself: the generic checks and the
     * driver's (bitmaps included) run as for qemu-img resize. */
    BdrvChild self = { .bs = bs, .name = (char *)"root" };

    if (!f->size) {
        return 0;
    }
    return bdrv_truncate(&self, (int64_t)f->size, true, PREALLOC_MODE_OFF,
                         errp);
}

/* The keyslot options, once checked. */
static int amend_encryption(BlockDriverState *bs, QObject *opts, bool force,
                            Error **errp)
{
    Qcow2AmendOptions o = { 0 };
    int ret;

    if (!qopts_to_struct(qcow2_amend_opts, opts, "", &o, errp)) {
        ret = -EINVAL;
    } else if (!o.encrypt.has_state) {
        /* A mandatory member of 7.2's QCryptoBlockAmendOptionsLUKS. */
        error_setg(errp, "Parameter 'state' is missing");
        ret = -EINVAL;
    } else {
        ret = qcow2_crypto_amend(bs, &o.encrypt, force, errp);
    }
    qopts_free_struct(qcow2_amend_opts, &o);
    return ret;
}

/*
 * data_file renames the external data file (an empty name drops the name
 * from the header); data_file_raw can only be switched off, as in 7.2.
 */
static int plan_data_file(BlockDriverState *bs, const QObject *opts,
                          Qcow2AmendFormat *f, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    f->data_file = qdict_get_str(opts, "data_file");
    if (f->data_file && !qcow2_has_data_file(s)) {
        error_setg(errp, "data-file can only be set for images that use an "
                   "external data file");
        return -EINVAL;
    }
    f->data_file_raw = qopts_get_bool(opts, "data_file_raw",
                                      qcow2_data_file_is_raw(s));
    if (f->data_file_raw && !qcow2_data_file_is_raw(s)) {
        error_setg(errp, "data-file-raw cannot be set on existing images");
        return -EINVAL;
    }
    return 0;
}

/* Check the options, in 7.2's order, before anything changes. */
static int amend_check(BlockDriverState *bs, const QObject *opts,
                       Qcow2AmendFormat *f, bool *update, Error **errp)
{
    int ret = check_encrypt_options(bs, opts, update, errp);

    ret = ret < 0 ? ret : plan_format_options(bs, opts, f, errp);
    return ret < 0 ? ret : plan_data_file(bs, opts, f, errp);
}

/*
 * 7.2's sequence, which also decides what a failure leaves changed:
 * upgrade (the rest may need v3), keyslots, refcount width, header
 * rewrite, backing file check, lazy refcounts, size, and the downgrade
 * last (after the others dropped what v2 cannot hold).
 */
int qcow2_amend_options(BlockDriverState *bs, QObject *opts, bool force,
                        Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2AmendFormat f = { 0 };
    bool update, moved;
    int ret = amend_header_layout(bs, opts, &moved, errp);

    /* Alone, the layout change is the whole amend. */
    if (ret < 0 || (moved && 0 == qdict_size(opts))) {
        return ret;
    }
    ret = amend_check(bs, opts, &f, &update, errp);
    if (ret >= 0 && f.version > s->qcow_version) {
        ret = qcow2_amend_upgrade(bs, errp);
    }
    if (ret >= 0 && update) {
        ret = amend_encryption(bs, opts, force, errp);
    }
    ret = ret < 0 ? ret : amend_refcount_width(bs, &f, errp);
    if (ret >= 0 && f.data_file) {
        g_free(s->image_data_file);
        s->image_data_file = f.data_file[0] ? g_strdup(f.data_file) : NULL;
    }
    if (ret >= 0 && !f.data_file_raw) {
        s->autoclear_features &= ~QCOW2_AUTOCLEAR_DATA_FILE_RAW;
    }
    if (ret >= 0) {
        ret = qcow2_update_header(bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to update the image header");
        }
    }
    ret = ret < 0 ? ret : check_backing_options(bs, opts, errp);
    ret = ret < 0 ? ret : amend_lazy(bs, &f, errp);
    ret = ret < 0 ? ret : amend_size(bs, &f, errp);
    if (ret >= 0 && f.version < s->qcow_version) {
        ret = qcow2_amend_downgrade(bs, errp);
    }
    return ret;
}
