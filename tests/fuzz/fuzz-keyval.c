/*
 * libFuzzer target: the input is a key=value option string, parsed by both
 * grammars and checked against the LUKS and block driver option tables.
 */
#include "qemu/osdep.h"

#include "block/block.h"
#include "crypto/block.h"
#include "crypto/secret.h"
#include "fuzz-util.h"
#include "qapi/keyval.h"
#include "qapi/opts.h"

/* Block drivers whose create options are checked (missing ones skipped). */
static const char *const fuzz_formats[] = { "luks", "qcow2", "raw", "file" };

/* Validate a copy of @dict against @desc; print it as create would. */
static bool fuzz_validate(const QOptDesc *desc, const QObject *dict,
                          QObject **validated)
{
    g_autoptr(QObject) copy = qobject_copy(dict);
    g_autoptr(GString) line = g_string_new(NULL);
    Error *err = NULL;

    if (!qopts_validate(desc, copy, &err)) {
        fuzz_check_error(err);
        return false;
    }
    qopts_format_line(line, desc, copy);
    if (validated) {
        *validated = g_steal_pointer(&copy);
    }
    return true;
}

/* The LUKS create options, plain ("luks" driver) and as qcow2's group. */
static void fuzz_luks_create(const QObject *dict)
{
    static const char *const prefixes[] = { "", "encrypt." };
    g_autoptr(QObject) validated = NULL;
    size_t i;

    if (!fuzz_validate(qcrypto_block_create_opts_luks, dict, &validated)) {
        return;
    }
    for (i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        QCryptoBlockCreateOptions opts = {
            .format = QCRYPTO_BLOCK_FORMAT_LUKS,
        };
        Error *err = NULL;

        if (!qopts_to_struct(qcrypto_block_create_opts_luks, validated,
                             prefixes[i], &opts, &err)) {
            fuzz_check_error(err);
        }
        qopts_free_struct(qcrypto_block_create_opts_luks, &opts);
    }
}

static void fuzz_luks_amend(const QObject *dict)
{
    g_autoptr(QObject) validated = NULL;
    QCryptoBlockAmendOptions opts = { .has_state = false };
    Error *err = NULL;

    if (!fuzz_validate(qcrypto_block_amend_opts_luks, dict, &validated)) {
        return;
    }
    if (!qopts_to_struct(qcrypto_block_amend_opts_luks, validated, "",
                         &opts, &err)) {
        fuzz_check_error(err);
    }
    qopts_free_struct(qcrypto_block_amend_opts_luks, &opts);
}

/* Every format driver's create table, as `qemu-img create -o` uses it. */
static void fuzz_driver_tables(const QObject *dict)
{
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(fuzz_formats); i++) {
        const BlockDriver *drv = bdrv_find_format(fuzz_formats[i]);
        g_autofree QOptDesc *desc = NULL;
        g_autoptr(QObject) validated = NULL;

        if (!drv) {
            continue;
        }
        desc = bdrv_get_create_opts(drv);
        if (desc && fuzz_validate(desc, dict, &validated)) {
            (void)qopts_get_number(validated, "size", 0);
        }
        if (bdrv_get_amend_opts(drv)) {
            fuzz_validate(bdrv_get_amend_opts(drv), dict, NULL);
        }
    }
}

/*
 * --object: the strict grammar, then the secret itself.  "file=" is left
 * out: it would read any host file (or /dev/zero without end).
 */
static void fuzz_object(const char *str)
{
    g_autoptr(QObject) dict = NULL;
    Error *err = NULL;

    if (keyval_is_help(str)) {
        return;
    }
    dict = keyval_parse_strict(str, "qom-type", &err);
    if (!dict) {
        fuzz_check_error(err);
        return;
    }
    g_free(qobject_to_json(dict, false));
    if (qdict_haskey(dict, "file") ||
        g_strcmp0(qdict_get_str(dict, "qom-type"), "secret") != 0) {
        return;
    }
    if (!qcrypto_secret_add(dict, &err)) {
        fuzz_check_error(err);
        return;
    }
    /* Forget it again, keeping only the secret other inputs may name. */
    qcrypto_secret_registry_clear();
    fuzz_init_secret();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init_secret();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *str = fuzz_strndup(data, size);
    g_autoptr(QObject) dict = NULL;
    g_auto(GStrv) flags = NULL;
    Error *err = NULL;

    (void)keyval_is_valid_option_list(str);
    flags = keyval_list_short_bools(str, NULL);
    fuzz_object(str);

    dict = keyval_parse(str, NULL, &err);
    if (!dict) {
        fuzz_check_error(err);
        return 0;
    }
    g_free(qobject_to_json(dict, true));
    fuzz_luks_create(dict);
    fuzz_luks_amend(dict);
    fuzz_driver_tables(dict);
    return 0;
}
