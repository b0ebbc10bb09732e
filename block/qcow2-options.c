/*
 * qcow2 runtime options: QEMU 7.2's options of an open qcow2 node (lazy
 * refcounts, discard passing, overlap checks, cache sizes, encryption),
 * parsed, checked against the header and applied to the node's state.
 */
#include "qemu/osdep.h"

#include "block/qcow2.h"
#include "qemu/cutils.h"

/* Options of an open qcow2 node (QEMU 7.2's qcow2 runtime options). */
typedef struct Qcow2OpenOptions {
    bool has_lazy_refcounts;
    bool lazy_refcounts;
    bool has_pass_discard_request;
    bool pass_discard_request;
    bool has_pass_discard_snapshot;
    bool pass_discard_snapshot;
    bool has_pass_discard_other;
    bool pass_discard_other;
    bool has_overlap_check;
    char *overlap_check;
    Qcow2CacheOptions cache;
    bool has_encrypt_format;
    int encrypt_format;
    bool has_encrypt_key_secret;
    char *encrypt_key_secret;
} Qcow2OpenOptions;

#define OPEN_FIELD(field) \
    .has_field = true, \
    .offset = offsetof(Qcow2OpenOptions, field), \
    .has_offset = offsetof(Qcow2OpenOptions, has_##field)

/* The encryption formats as the qcow2 options name them. */
static const char *const qcow2_encrypt_format_names[] = { "aes", "luks" };
static const QEnumLookup qcow2_encrypt_format_lookup = {
    .array = qcow2_encrypt_format_names,
    .size = G_N_ELEMENTS(qcow2_encrypt_format_names),
};

static const QOptDesc qcow2_open_opts[] = {
    { .name = "lazy-refcounts", .type = QOPT_TYPE_BOOL,
      OPEN_FIELD(lazy_refcounts) },
    { .name = "pass-discard-request", .type = QOPT_TYPE_BOOL,
      OPEN_FIELD(pass_discard_request) },
    { .name = "pass-discard-snapshot", .type = QOPT_TYPE_BOOL,
      OPEN_FIELD(pass_discard_snapshot) },
    { .name = "pass-discard-other", .type = QOPT_TYPE_BOOL,
      OPEN_FIELD(pass_discard_other) },
    { .name = "overlap-check", .type = QOPT_TYPE_STRING,
      OPEN_FIELD(overlap_check) },
    { .name = "overlap-check.template", .type = QOPT_TYPE_STRING },
    { .name = "overlap-check.main-header", .type = QOPT_TYPE_BOOL },
    { .name = "overlap-check.active-l1", .type = QOPT_TYPE_BOOL },
    { .name = "overlap-check.active-l2", .type = QOPT_TYPE_BOOL },
    { .name = "overlap-check.refcount-table", .type = QOPT_TYPE_BOOL },
    { .name = "overlap-check.refcount-block", .type = QOPT_TYPE_BOOL },
    { .name = "overlap-check.snapshot-table", .type = QOPT_TYPE_BOOL },
    { .name = "overlap-check.inactive-l1", .type = QOPT_TYPE_BOOL },
    { .name = "overlap-check.inactive-l2", .type = QOPT_TYPE_BOOL },
    { .name = "overlap-check.bitmap-directory", .type = QOPT_TYPE_BOOL },
    { .name = "", .type = QOPT_TYPE_GROUP, .group = qcow2_cache_opts,
      .has_field = true, .offset = offsetof(Qcow2OpenOptions, cache) },
    { .name = "encrypt.format", .type = QOPT_TYPE_ENUM,
      .enum_lookup = &qcow2_encrypt_format_lookup,
      OPEN_FIELD(encrypt_format) },
    { .name = "encrypt.key-secret", .type = QOPT_TYPE_STRING,
      OPEN_FIELD(encrypt_key_secret) },
    { .name = NULL }
};

static int check_overlap_option(const Qcow2OpenOptions *o, Error **errp)
{
    static const char *const modes[] = { "none", "constant", "cached",
                                         "all" };

    if (!o->has_overlap_check) {
        return 0;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
        if (0 == strcmp(o->overlap_check, modes[i])) {
            return 0;
        }
    }
    error_setg(errp, "Unsupported value '%s' for qcow2 option "
               "'overlap-check'. Allowed are any of the following: none, "
               "constant, cached, all", o->overlap_check);
    return -EINVAL;
}

/* Check the encryption options against the header; keep them for the
 * encryption layer. */
static int apply_encrypt_options(BDRVQcow2State *s,
                                 const Qcow2OpenOptions *o, Error **errp)
{
    static const uint32_t method_of_format[] = {
        QCOW2_CRYPT_AES, QCOW2_CRYPT_LUKS,
    };

    if (o->has_encrypt_format) {
        uint32_t want = method_of_format[o->encrypt_format];

        if (QCOW2_CRYPT_NONE == s->crypt_method_header) {
            error_setg(errp, "No encryption in image header, but options "
                       "specified format '%s'",
                       qcow2_encrypt_format_names[o->encrypt_format]);
            return -EINVAL;
        }
        if (want != s->crypt_method_header) {
            error_setg(errp, "Header reported '%s' encryption format but "
                       "options specify '%s'",
                       qcow2_encrypt_format_names[s->crypt_method_header - 1],
                       qcow2_encrypt_format_names[o->encrypt_format]);
            return -EINVAL;
        }
    }
    s->crypto_opts.format = QCOW2_CRYPT_AES == s->crypt_method_header
                            ? QCRYPTO_BLOCK_FORMAT_QCOW
                            : QCRYPTO_BLOCK_FORMAT_LUKS;
    s->crypto_opts.key_secret = g_strdup(o->encrypt_key_secret);
    return 0;
}

static int apply_options(BlockDriverState *bs, const Qcow2OpenOptions *o,
                         int flags, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = check_overlap_option(o, errp);

    if (ret >= 0) {
        ret = qcow2_cache_create_all(s, &o->cache, errp);
    }
    if (ret < 0) {
        return ret;
    }
    s->use_lazy_refcounts = o->has_lazy_refcounts
        ? o->lazy_refcounts
        : !!(s->compatible_features & QCOW2_COMPAT_LAZY_REFCOUNTS);
    if (s->use_lazy_refcounts && s->qcow_version < 3) {
        error_setg(errp, "Lazy refcounts require a qcow2 image with at least "
                   "qemu 1.1 compatibility level");
        return -EINVAL;
    }
    s->discard_passthrough[QCOW2_DISCARD_NEVER] = false;
    s->discard_passthrough[QCOW2_DISCARD_ALWAYS] = true;
    s->discard_passthrough[QCOW2_DISCARD_REQUEST] =
        o->has_pass_discard_request ? o->pass_discard_request
                                    : !!(flags & BDRV_O_UNMAP);
    s->discard_passthrough[QCOW2_DISCARD_SNAPSHOT] =
        o->has_pass_discard_snapshot ? o->pass_discard_snapshot : true;
    s->discard_passthrough[QCOW2_DISCARD_OTHER] =
        o->has_pass_discard_other && o->pass_discard_other;
    return apply_encrypt_options(s, o, errp);
}

/* Remove the options of @desc (groups without a prefix included). */
static void consume_options(QObject *options, const QOptDesc *desc)
{
    for (const QOptDesc *d = desc; d->name; d++) {
        if (QOPT_TYPE_GROUP == d->type) {
            assert(!d->name[0]);
            consume_options(options, d->group);
        } else {
            qdict_del(options, d->name);
        }
    }
}

int qcow2_take_options(BlockDriverState *bs, QObject *options, int flags,
                       Error **errp)
{
    Qcow2OpenOptions o = { 0 };
    int ret;

    if (!qopts_to_struct(qcow2_open_opts, options, "", &o, errp)) {
        qopts_free_struct(qcow2_open_opts, &o);
        return -EINVAL;
    }
    consume_options(options, qcow2_open_opts);
    ret = apply_options(bs, &o, flags, errp);
    qopts_free_struct(qcow2_open_opts, &o);
    return ret;
}
