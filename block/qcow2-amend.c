/*
 * qcow2 `qemu-img amend`: the option table of QEMU 7.2 and LUKS keyslot
 * management (other options are accepted only when they change nothing,
 * until they are implemented).
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

/* Whether a non-encryption option asks for what the image already has
 * (the only changes of those this driver accepts so far). */
static bool option_is_unchanged(BlockDriverState *bs, const QObject *opts,
                                const char *key)
{
    BDRVQcow2State *s = bs->opaque;
    const char *compat = qdict_get_str(opts, "compat");
    bool lazy = s->compatible_features & QCOW2_COMPAT_LAZY_REFCOUNTS;

    if (0 == strcmp(key, "compat")) {
        return s->qcow_version >= 3
               ? 0 == strcmp(compat, "1.1") || 0 == strcmp(compat, "v3")
               : 0 == strcmp(compat, "0.10") || 0 == strcmp(compat, "v2");
    }
    if (0 == strcmp(key, "size")) {
        return qopts_get_number(opts, key, 0) == s->size;
    }
    if (0 == strcmp(key, "refcount_bits")) {
        return qopts_get_number(opts, key, 0) == (uint64_t)s->refcount_bits;
    }
    if (0 == strcmp(key, "lazy_refcounts")) {
        return qopts_get_bool(opts, key, false) == lazy;
    }
    return false;
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

int qcow2_amend_options(BlockDriverState *bs, QObject *opts, bool force,
                        Error **errp)
{
    Qcow2AmendOptions o = { 0 };
    bool update, moved;
    int ret = amend_header_layout(bs, opts, &moved, errp);

    /* Alone, the layout change is the whole amend. */
    if (ret < 0 || (moved && 0 == qdict_size(opts))) {
        return ret;
    }
    ret = check_encrypt_options(bs, opts, &update, errp);

    for (const QDictEntry *e = qdict_first(opts); ret >= 0 && e;
         e = qdict_next(opts, e)) {
        const char *key = qdict_entry_key(e);

        if (!g_str_has_prefix(key, "encrypt.") &&
            !option_is_unchanged(bs, opts, key)) {
            error_setg(errp, "Changing the qcow2 option '%s' with amend is "
                       "not supported yet", key);
            ret = -ENOTSUP;
        }
    }
    if (ret < 0 || !update) {
        return ret;
    }
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
