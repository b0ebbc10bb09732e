/*
 * Unit tests for qapi/opts.c: validation messages, the "Formatting" line
 * and "-o help" against qemu-img 7.2, and filling option structs.
 */
#include "qemu/osdep.h"

#include "qapi/keyval.h"
#include "qapi/opts.h"

/* A stand-in for a crypto enum, with its one lookup table. */
static const char *const test_cipher_names[] = { "aes-128", "aes-256" };
static const QEnumLookup test_cipher_lookup = { test_cipher_names, 2 };
static const char *const test_compress_names[] = { "zlib", "zstd" };
static const QEnumLookup test_compress_lookup = { test_compress_names, 2 };

typedef struct TestEncryptOpts {
    bool has_format;
    char *format;
    bool has_key_secret;
    char *key_secret;
    bool has_cipher_alg;
    int cipher_alg;
    bool has_iter_time;
    uint64_t iter_time;
} TestEncryptOpts;

typedef struct TestQcow2Opts {
    bool has_encryption;
    bool encryption;
    TestEncryptOpts encrypt;
    bool has_cluster_size;
    uint64_t cluster_size;
    bool has_compression_type;
    int compression_type;
    bool has_lazy_refcounts;
    bool lazy_refcounts;
    bool has_refcount_bits;
    uint64_t refcount_bits;
} TestQcow2Opts;

#define FIELD(type, f) \
    .has_field = true, .offset = offsetof(type, f), \
    .has_offset = offsetof(type, has_##f)

/* Values only an alias accepts, and what they stand for. */
static const char *const test_cipher_alias_values[] = {
    "aes128", "aes-128", NULL
};

/* The "encrypt." options of qcow2 in 7.2's declaration order (with two
 * aliases in the way of the original inline-LUKS proposal). */
static const QOptDesc test_encrypt_opts[] = {
    { .name = "format", .type = QOPT_TYPE_STRING,
      .help = "Encrypt the image, format choices: 'aes', 'luks'",
      FIELD(TestEncryptOpts, format) },
    { .name = "key-secret", .alias = "keyid", .type = QOPT_TYPE_STRING,
      .help = "ID of secret providing qcow AES key or LUKS passphrase",
      FIELD(TestEncryptOpts, key_secret) },
    { .name = "cipher-alg", .alias = "cipher_alg",
      .alias_values = test_cipher_alias_values, .type = QOPT_TYPE_ENUM,
      .help = "Name of encryption cipher algorithm",
      .enum_lookup = &test_cipher_lookup,
      FIELD(TestEncryptOpts, cipher_alg) },
    { .name = "cipher-mode", .type = QOPT_TYPE_STRING,
      .help = "Name of encryption cipher mode" },
    { .name = "ivgen-alg", .type = QOPT_TYPE_STRING,
      .help = "Name of IV generator algorithm" },
    { .name = "ivgen-hash-alg", .type = QOPT_TYPE_STRING,
      .help = "Name of IV generator hash algorithm" },
    { .name = "hash-alg", .type = QOPT_TYPE_STRING,
      .help = "Name of encryption hash algorithm" },
    { .name = "iter-time", .type = QOPT_TYPE_NUMBER,
      .help = "Time to spend in PBKDF in milliseconds",
      FIELD(TestEncryptOpts, iter_time) },
    { .name = NULL }
};

/* qcow2's create options, names, help and defaults as 7.2 prints them. */
static const QOptDesc test_qcow2_opts[] = {
    { .name = "encryption", .type = QOPT_TYPE_BOOL,
      .help = "Encrypt the image with format 'aes'. (Deprecated in favor "
              "of encrypt.format=aes)",
      FIELD(TestQcow2Opts, encryption) },
    { .name = "encrypt", .type = QOPT_TYPE_GROUP, .group = test_encrypt_opts,
      .has_field = true, .offset = offsetof(TestQcow2Opts, encrypt) },
    { .name = "cluster_size", .alias = "cluster-size",
      .type = QOPT_TYPE_SIZE, .help = "qcow2 cluster size",
      .def_value_str = "65536", FIELD(TestQcow2Opts, cluster_size) },
    { .name = "extended_l2", .type = QOPT_TYPE_BOOL,
      .help = "Extended L2 tables", .def_value_str = "off" },
    { .name = "preallocation", .type = QOPT_TYPE_STRING,
      .help = "Preallocation mode (allowed values: off, metadata, falloc, "
              "full)" },
    { .name = "compression_type", .type = QOPT_TYPE_ENUM,
      .help = "Compression method used for image cluster compression",
      .def_value_str = "zlib", .enum_lookup = &test_compress_lookup,
      .qapi_name = "compression-type",
      FIELD(TestQcow2Opts, compression_type) },
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
      .help = "Postpone refcount updates", .def_value_str = "off",
      FIELD(TestQcow2Opts, lazy_refcounts) },
    { .name = "refcount_bits", .type = QOPT_TYPE_NUMBER,
      .help = "Width of a reference count entry in bits",
      .def_value_str = "16", FIELD(TestQcow2Opts, refcount_bits) },
    { .name = NULL }
};

/* The luks format's options: "size", then the LUKS group without prefix. */
static const QOptDesc test_luks_group[] = {
    { .name = "key-secret", .type = QOPT_TYPE_STRING,
      .help = "ID of the secret that provides the keyslot passphrase" },
    { .name = "cipher-alg", .type = QOPT_TYPE_STRING,
      .help = "Name of encryption cipher algorithm" },
    { .name = "cipher-mode", .type = QOPT_TYPE_STRING,
      .help = "Name of encryption cipher mode" },
    { .name = "ivgen-alg", .type = QOPT_TYPE_STRING,
      .help = "Name of IV generator algorithm" },
    { .name = "ivgen-hash-alg", .type = QOPT_TYPE_STRING,
      .help = "Name of IV generator hash algorithm" },
    { .name = "hash-alg", .type = QOPT_TYPE_STRING,
      .help = "Name of encryption hash algorithm" },
    { .name = "iter-time", .type = QOPT_TYPE_NUMBER,
      .help = "Time to spend in PBKDF in milliseconds" },
    { .name = NULL }
};

static const QOptDesc test_luks_opts[] = {
    { .name = "size", .type = QOPT_TYPE_SIZE, .help = "Virtual disk size" },
    { .name = "", .type = QOPT_TYPE_GROUP, .group = test_luks_group },
    { .name = NULL }
};

/* `qemu-img create -f qcow2 -o help` (7.2), between caption and blank. */
static const char golden_qcow2_help[] =
    "  backing_file=<str>     - File name of a base image\n"
    "  backing_fmt=<str>      - Image format of the base image\n"
    "  cluster_size=<size>    - qcow2 cluster size\n"
    "  compat=<str>           - Compatibility level (v2 [0.10] or v3 "
    "[1.1])\n"
    "  compression_type=<str> - Compression method used for image cluster "
    "compression\n"
    "  data_file=<str>        - File name of an external data file\n"
    "  data_file_raw=<bool (on/off)> - The external data file must stay "
    "valid as a raw image\n"
    "  encrypt.cipher-alg=<str> - Name of encryption cipher algorithm\n"
    "  encrypt.cipher-mode=<str> - Name of encryption cipher mode\n"
    "  encrypt.format=<str>   - Encrypt the image, format choices: 'aes', "
    "'luks'\n"
    "  encrypt.hash-alg=<str> - Name of encryption hash algorithm\n"
    "  encrypt.iter-time=<num> - Time to spend in PBKDF in milliseconds\n"
    "  encrypt.ivgen-alg=<str> - Name of IV generator algorithm\n"
    "  encrypt.ivgen-hash-alg=<str> - Name of IV generator hash algorithm\n"
    "  encrypt.key-secret=<str> - ID of secret providing qcow AES key or "
    "LUKS passphrase\n"
    "  encryption=<bool (on/off)> - Encrypt the image with format 'aes'. "
    "(Deprecated in favor of encrypt.format=aes)\n"
    "  extended_l2=<bool (on/off)> - Extended L2 tables\n"
    "  lazy_refcounts=<bool (on/off)> - Postpone refcount updates\n"
    "  preallocation=<str>    - Preallocation mode (allowed values: off, "
    "metadata, falloc, full)\n"
    "  refcount_bits=<num>    - Width of a reference count entry in bits\n"
    "  size=<size>            - Virtual disk size\n";

/* `qemu-img create -f luks -o help` (7.2), between caption and blank. */
static const char golden_luks_help[] =
    "  cipher-alg=<str>       - Name of encryption cipher algorithm\n"
    "  cipher-mode=<str>      - Name of encryption cipher mode\n"
    "  hash-alg=<str>         - Name of encryption hash algorithm\n"
    "  iter-time=<num>        - Time to spend in PBKDF in milliseconds\n"
    "  ivgen-alg=<str>        - Name of IV generator algorithm\n"
    "  ivgen-hash-alg=<str>   - Name of IV generator hash algorithm\n"
    "  key-secret=<str>       - ID of the secret that provides the keyslot "
    "passphrase\n"
    "  size=<size>            - Virtual disk size\n";

static void test_help_qcow2(void)
{
    g_autoptr(GString) out = g_string_new(NULL);

    qopts_print_help(out, test_qcow2_opts);
    g_assert_cmpstr(out->str, ==, golden_qcow2_help);
}

static void test_help_luks(void)
{
    g_autoptr(GString) out = g_string_new(NULL);

    qopts_print_help(out, test_luks_opts);
    g_assert_cmpstr(out->str, ==, golden_luks_help);
}

/* 7.2 sorts whole lines: "foo-bar=" sorts before "foo=" ('-' < '='). */
static void test_help_sort_lines(void)
{
    static const QOptDesc desc[] = {
        { .name = "foo", .type = QOPT_TYPE_STRING },
        { .name = "foo-bar", .type = QOPT_TYPE_NUMBER, .help = "x" },
        { .name = NULL }
    };
    g_autoptr(GString) out = g_string_new(NULL);

    qopts_print_help(out, desc);
    g_assert_cmpstr(out->str, ==,
                    "  foo-bar=<num>          - x\n"
                    "  foo=<str>\n");
}

typedef struct ValidateCase {
    const char *name;
    const QOptDesc *desc;
    const char *opts;
    const char *error;
    const char *hint;
} ValidateCase;

#define SIZE_ERROR(n) \
    "Parameter '" n "' expects a non-negative number below 2^64"
#define SIZE_HINT \
    "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, " \
    "tera-, peta-\nand exabytes, respectively.\n"

/*
 * `qemu-img create -f qcow2 -o OPTS k.q 1M` (7.2) printed
 * "qemu-img: k.q: " and these; NULL error means it was accepted.
 */
static const ValidateCase validate_cases[] = {
    { "unknown", test_qcow2_opts, "foo=bar", "Invalid parameter 'foo'" },
    { "number-word", test_qcow2_opts, "refcount_bits=abc",
      "Parameter 'refcount_bits' expects a number" },
    { "number-empty", test_qcow2_opts, "refcount_bits=",
      "Parameter 'refcount_bits' expects a number" },
    { "number-trailing-space", test_qcow2_opts, "refcount_bits=8 ",
      "Parameter 'refcount_bits' expects a number" },
    { "number-too-large", test_qcow2_opts,
      "refcount_bits=99999999999999999999",
      "Value '99999999999999999999' is too large for parameter "
      "'refcount_bits'" },
    { "number-octal", test_qcow2_opts, "refcount_bits=010", NULL },
    { "number-negative", test_qcow2_opts, "refcount_bits=-1", NULL },
    { "number-leading-space", test_qcow2_opts, "refcount_bits= 8", NULL },
    { "size-word", test_qcow2_opts, "cluster_size=abc",
      SIZE_ERROR("cluster_size"), SIZE_HINT },
    { "size-negative", test_qcow2_opts, "cluster_size=-1",
      SIZE_ERROR("cluster_size"), SIZE_HINT },
    { "size-fraction-bytes", test_qcow2_opts, "cluster_size=1.5",
      SIZE_ERROR("cluster_size"), SIZE_HINT },
    { "size-empty", test_qcow2_opts, "cluster_size=",
      SIZE_ERROR("cluster_size"), SIZE_HINT },
    { "size-escaped-comma", test_qcow2_opts, "cluster_size=4k,,5",
      SIZE_ERROR("cluster_size"), SIZE_HINT },
    { "size-help", test_qcow2_opts, "cluster_size=help",
      SIZE_ERROR("cluster_size"), SIZE_HINT },
    { "size-out-of-range", test_qcow2_opts, "cluster_size=16E",
      "Value '16E' is out of range for parameter 'cluster_size'" },
    { "size-leading-space", test_qcow2_opts, "cluster_size= 4k", NULL },
    { "bool-word", test_qcow2_opts, "lazy_refcounts=maybe",
      "Parameter 'lazy_refcounts' expects 'on' or 'off'" },
    { "bool-upper", test_qcow2_opts, "lazy_refcounts=ON",
      "Parameter 'lazy_refcounts' expects 'on' or 'off'" },
    { "bool-y", test_qcow2_opts, "lazy_refcounts=y", NULL },
    { "group-number", test_qcow2_opts, "encrypt.iter-time=abc",
      "Parameter 'encrypt.iter-time' expects a number" },
    { "group-unknown", test_qcow2_opts, "encrypt.foo=1",
      "Invalid parameter 'encrypt.foo'" },
    { "enum-unchecked", test_qcow2_opts, "compression_type=foo", NULL },
    { "nocow", test_qcow2_opts, "nocow", "Invalid parameter 'cow'" },
    { "no", test_qcow2_opts, "no", "Invalid parameter ''" },
    { "empty-name", test_qcow2_opts, "=4k", "Invalid parameter ''" },
    { "space-in-name", test_qcow2_opts, "cluster_size =4k",
      "Invalid parameter 'cluster_size '" },
    { "help-with-value", test_qcow2_opts, "help=1",
      "Invalid parameter 'help'" },
    { "id-ignored", test_qcow2_opts, "id=x", NULL },
    { "first-error-unknown", test_qcow2_opts, "foo=1,cluster_size=abc",
      "Invalid parameter 'foo'" },
    { "first-error-size", test_qcow2_opts, "cluster_size=abc,foo=1",
      SIZE_ERROR("cluster_size"), SIZE_HINT },
    { "luks-number", test_luks_opts, "iter-time=abc",
      "Parameter 'iter-time' expects a number" },
    { "luks-unknown", test_luks_opts, "encrypt.format=luks",
      "Invalid parameter 'encrypt.format'" },
};

static void test_validate(gconstpointer opaque)
{
    const ValidateCase *c = opaque;
    g_autoptr(QObject) dict = keyval_parse(c->opts, NULL, &error_abort);
    Error *err = NULL;
    bool ok = qopts_validate(c->desc, dict, &err);
    g_autofree char *expected = NULL;

    if (!c->error) {
        g_assert_true(ok);
        g_assert_null(err);
        return;
    }
    g_assert_false(ok);
    g_assert_cmpstr(error_get_pretty(err), ==, c->error);
    if (!c->hint) {
        error_free(err);
        return;
    }
    /* The hint is only visible in what error_report_err() prints. */
    if (g_test_subprocess()) {
        error_set_progname("qemu-img");
        error_report_err(err);
        return;
    }
    error_free(err);
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    expected = g_strdup_printf("qemu-img: %s\n%s", c->error, c->hint);
    g_test_trap_assert_stderr(expected);
}

typedef struct FormatCase {
    const char *name;
    const QOptDesc *desc;
    const char *opts;
    const char *size;
    const char *line;
} FormatCase;

/*
 * The text after "fmt=FMT" in the "Formatting" line of
 * `qemu-img create -f FMT -o OPTS k.q SIZE` (7.2); the tool puts "size".
 */
static const FormatCase format_cases[] = {
    { "escaped-string-hex-number", test_qcow2_opts,
      "encrypt.format=luks,encrypt.key-secret=a,,b,encrypt.iter-time=0x10",
      "1048576",
      " encrypt.format=luks encrypt.key-secret=a,,b encrypt.iter-time=16"
      " cluster_size=65536 extended_l2=off compression_type=zlib"
      " size=1048576 lazy_refcounts=off refcount_bits=16" },
    { "number-negative", test_qcow2_opts,
      "encrypt.format=luks,encrypt.key-secret=a,encrypt.iter-time=-1",
      "1048576",
      " encrypt.format=luks encrypt.key-secret=a encrypt.iter-time=-1"
      " cluster_size=65536 extended_l2=off compression_type=zlib"
      " size=1048576 lazy_refcounts=off refcount_bits=16" },
    { "size-signed", test_qcow2_opts, "cluster_size=9223372036854775808",
      "1048576",
      " cluster_size=-9223372036854775808 extended_l2=off"
      " compression_type=zlib size=1048576 lazy_refcounts=off"
      " refcount_bits=16" },
    { "order-and-bools", test_qcow2_opts,
      "compat=0.10,data_file_raw=on,encryption=on", "1048576",
      " encryption=on cluster_size=65536 extended_l2=off"
      " compression_type=zlib size=1048576 compat=0.10 data_file_raw=on"
      " lazy_refcounts=off refcount_bits=16" },
    { "bool-as-typed", test_qcow2_opts, "lazy_refcounts=yes", "1048576",
      " cluster_size=65536 extended_l2=off compression_type=zlib"
      " size=1048576 lazy_refcounts=yes refcount_bits=16" },
    { "flag-off", test_qcow2_opts, "nolazy_refcounts", "1048576",
      " cluster_size=65536 extended_l2=off compression_type=zlib"
      " size=1048576 lazy_refcounts=off refcount_bits=16" },
    { "number-octal", test_qcow2_opts, "refcount_bits=010", "1048576",
      " cluster_size=65536 extended_l2=off compression_type=zlib"
      " size=1048576 lazy_refcounts=off refcount_bits=8" },
    { "size-last-wins", test_qcow2_opts,
      "cluster_size=4k,cluster_size=8k", "1048576",
      " cluster_size=8192 extended_l2=off compression_type=zlib"
      " size=1048576 lazy_refcounts=off refcount_bits=16" },
    { "empty-string", test_qcow2_opts, "compat=", "1048576",
      " cluster_size=65536 extended_l2=off compression_type=zlib"
      " size=1048576 compat= lazy_refcounts=off refcount_bits=16" },
    { "enum-as-typed", test_qcow2_opts, "compression_type=foo", "1048576",
      " cluster_size=65536 extended_l2=off compression_type=foo"
      " size=1048576 lazy_refcounts=off refcount_bits=16" },
    { "prealloc-compat", test_qcow2_opts,
      "cluster_size=4096,preallocation=metadata,compat=0.10", "16777216",
      " cluster_size=4096 extended_l2=off preallocation=metadata"
      " compression_type=zlib size=16777216 compat=0.10 lazy_refcounts=off"
      " refcount_bits=16" },
    { "luks", test_luks_opts, "key-secret=s,cipher-alg=aes-999",
      "1048576", " size=1048576 key-secret=s cipher-alg=aes-999" },
    { "luks-size-option", test_luks_opts, "size=1k", NULL, " size=1024" },
};

static void test_format_line(gconstpointer opaque)
{
    const FormatCase *c = opaque;
    g_autoptr(QObject) dict = keyval_parse(c->opts, NULL, &error_abort);
    g_autoptr(GString) out = g_string_new(NULL);

    g_assert_true(qopts_validate(c->desc, dict, &error_abort));
    if (c->size) {
        qdict_put_str(dict, "size", c->size);
    }
    qopts_format_line(out, c->desc, dict);
    g_assert_cmpstr(out->str, ==, c->line);
}

/* Aliases inside a group are full names, renamed and value-mapped. */
static void test_group_alias(void)
{
    g_autoptr(QObject) dict = keyval_parse("keyid=sec0,cipher_alg=aes128",
                                           NULL, &error_abort);
    g_autoptr(QObject) both = keyval_parse("keyid=a,encrypt.key-secret=a",
                                           NULL, &error_abort);
    g_autoptr(QObject) bad = keyval_parse("cipher_alg=aes-128", NULL,
                                          &error_abort);
    g_autoptr(QObject) prefixed = keyval_parse("encrypt.keyid=a", NULL,
                                               &error_abort);
    g_autoptr(GString) line = g_string_new(NULL);
    Error *err = NULL;

    g_assert_true(qopts_validate(test_qcow2_opts, dict, &error_abort));
    g_assert_cmpstr(qdict_get_str(dict, "encrypt.key-secret"), ==, "sec0");
    g_assert_cmpstr(qdict_get_str(dict, "encrypt.cipher-alg"), ==,
                    "aes-128");
    g_assert_false(qdict_haskey(dict, "keyid"));
    qopts_format_line(line, test_qcow2_opts, dict);
    g_assert_cmpstr(line->str, ==, " encrypt.key-secret=sec0 "
                    "encrypt.cipher-alg=aes-128 cluster_size=65536 "
                    "extended_l2=off compression_type=zlib "
                    "lazy_refcounts=off refcount_bits=16");
    g_assert_false(qopts_validate(test_qcow2_opts, both, &err));
    g_assert_cmpstr(error_get_pretty(err), ==, "'encrypt.key-secret' and "
                    "its alias 'keyid' can't be used at the same time");
    g_clear_pointer(&err, error_free);
    /* With alias_values, the alias takes only its own spellings. */
    g_assert_false(qopts_validate(test_qcow2_opts, bad, &err));
    g_assert_cmpstr(error_get_pretty(err), ==, "Parameter 'cipher_alg' "
                    "does not accept value 'aes-128'");
    g_clear_pointer(&err, error_free);
    g_assert_false(qopts_validate(test_qcow2_opts, prefixed, &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Invalid parameter 'encrypt.keyid'");
    error_free(err);
    g_assert_cmpstr(qopts_find(test_qcow2_opts, "keyid")->name, ==,
                    "key-secret");
}

static void test_to_struct(void)
{
    g_autoptr(QObject) dict = keyval_parse(
        "encryption=on,encrypt.key-secret=sec0,encrypt.cipher-alg=aes-256,"
        "encrypt.iter-time=0x10,cluster-size=4k,compression_type=zstd,"
        "lazy_refcounts=n", NULL, &error_abort);
    TestQcow2Opts o = { 0 };

    g_assert_true(qopts_validate(test_qcow2_opts, dict, &error_abort));
    /* The alias was renamed to the name 7.2 prints. */
    g_assert_true(qdict_haskey(dict, "cluster_size"));
    g_assert_false(qdict_haskey(dict, "cluster-size"));
    g_assert_true(qopts_to_struct(test_qcow2_opts, dict, "", &o,
                                  &error_abort));
    g_assert_true(o.has_encryption && o.encryption);
    g_assert_true(o.encrypt.has_key_secret);
    g_assert_cmpstr(o.encrypt.key_secret, ==, "sec0");
    g_assert_false(o.encrypt.has_format);
    g_assert_null(o.encrypt.format);
    g_assert_true(o.encrypt.has_cipher_alg);
    g_assert_cmpint(o.encrypt.cipher_alg, ==, 1);
    g_assert_cmpuint(o.encrypt.iter_time, ==, 16);
    g_assert_cmpuint(o.cluster_size, ==, 4096);
    g_assert_cmpint(o.compression_type, ==, 1);
    g_assert_true(o.has_lazy_refcounts);
    g_assert_false(o.lazy_refcounts);
    g_assert_false(o.has_refcount_bits);
    qopts_free_struct(test_qcow2_opts, &o);
    g_assert_null(o.encrypt.key_secret);
}

/* The crypto table used directly, with the caller's "encrypt." prefix. */
static void test_to_struct_prefix(void)
{
    g_autoptr(QObject) dict = keyval_parse(
        "encrypt.key-secret=s,key-secret=other", NULL, &error_abort);
    TestEncryptOpts o = { 0 };

    g_assert_true(qopts_to_struct(test_encrypt_opts, dict, "encrypt.", &o,
                                  &error_abort));
    g_assert_cmpstr(o.key_secret, ==, "s");
    qopts_free_struct(test_encrypt_opts, &o);
}

typedef struct EnumErrorCase {
    const char *name;
    const char *opts;
    const char *error;
} EnumErrorCase;

/*
 * Enum errors name the option without its group prefix, or its QAPI
 * name, as `qemu-img create -f qcow2 -o ...` (7.2) reported them.
 */
static const EnumErrorCase enum_error_cases[] = {
    { "group-enum", "encrypt.format=luks,encrypt.cipher-alg=aes-999",
      "Parameter 'cipher-alg' does not accept value 'aes-999'" },
    { "qapi-name", "compression_type=foo",
      "Parameter 'compression-type' does not accept value 'foo'" },
};

static void test_to_struct_enum_error(gconstpointer opaque)
{
    const EnumErrorCase *c = opaque;
    g_autoptr(QObject) dict = keyval_parse(c->opts, NULL, &error_abort);
    TestQcow2Opts o = { 0 };
    Error *err = NULL;

    g_assert_true(qopts_validate(test_qcow2_opts, dict, &error_abort));
    g_assert_false(qopts_to_struct(test_qcow2_opts, dict, "", &o, &err));
    g_assert_cmpstr(error_get_pretty(err), ==, c->error);
    error_free(err);
    qopts_free_struct(test_qcow2_opts, &o);
}

static void test_find_and_get(void)
{
    g_autoptr(QObject) dict = keyval_parse("lazy_refcounts,size=1M,"
                                           "refcount_bits=010", NULL,
                                           &error_abort);

    g_assert_cmpstr(qopts_find(test_qcow2_opts, "cluster-size")->name, ==,
                    "cluster_size");
    g_assert_cmpstr(qopts_find(test_qcow2_opts, "encrypt.iter-time")->name,
                    ==, "iter-time");
    g_assert_cmpstr(qopts_find(test_luks_opts, "iter-time")->name, ==,
                    "iter-time");
    g_assert_null(qopts_find(test_qcow2_opts, "iter-time"));
    g_assert_null(qopts_find(test_qcow2_opts, "encrypt"));
    g_assert_true(qopts_validate(test_qcow2_opts, dict, &error_abort));
    g_assert_true(qopts_get_bool(dict, "lazy_refcounts", false));
    g_assert_true(qopts_get_bool(dict, "extended_l2", true));
    g_assert_cmpuint(qopts_get_number(dict, "size", 0), ==, 1048576);
    g_assert_cmpuint(qopts_get_number(dict, "refcount_bits", 0), ==, 8);
    g_assert_cmpuint(qopts_get_number(dict, "cluster_size", 65536), ==,
                     65536);
}

/* Register @n cases of @size bytes, named by their first member. */
static void add_cases(const char *prefix, const void *table, size_t n,
                      size_t size, GTestDataFunc func)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const void *c = (const char *)table + i * size;
        g_autofree char *path = g_strdup_printf("%s/%s", prefix,
                                                *(const char *const *)c);

        g_test_add_data_func(path, c, func);
    }
}

#define ADD_CASES(prefix, table, func) \
    add_cases(prefix, table, G_N_ELEMENTS(table), sizeof(table[0]), func)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qapi/opts/help/qcow2", test_help_qcow2);
    g_test_add_func("/qapi/opts/help/luks", test_help_luks);
    g_test_add_func("/qapi/opts/help/sort-lines", test_help_sort_lines);
    ADD_CASES("/qapi/opts/validate", validate_cases, test_validate);
    ADD_CASES("/qapi/opts/format-line", format_cases, test_format_line);
    g_test_add_func("/qapi/opts/to-struct/qcow2", test_to_struct);
    g_test_add_func("/qapi/opts/alias/group", test_group_alias);
    g_test_add_func("/qapi/opts/to-struct/prefix", test_to_struct_prefix);
    ADD_CASES("/qapi/opts/to-struct/enum-error", enum_error_cases,
              test_to_struct_enum_error);
    g_test_add_func("/qapi/opts/find-and-get", test_find_and_get);
    return g_test_run();
}
