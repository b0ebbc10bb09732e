/*
 * Unit tests for crypto/secret.c: --object secret parsing, decoding and
 * lookup, with every error message checked against qemu-img 7.2.
 */
#include "qemu/osdep.h"

#include "crypto/secret.h"

/* A 32-byte key and a 16-byte IV for the wrapped secrets below. */
#define KEY32 "secret,id=k32,data=12345678901234567890123456789012"
#define IV16 "iv=MTIzNDU2Nzg5MDEyMzQ1Ng=="

typedef struct SecretErrorCase {
    const char *path;
    const char *setup;              /* added first (must succeed), or NULL */
    const char *optstr;             /* must fail ... */
    const char *message;            /* ... with this message */
} SecretErrorCase;

/*
 * Every message was produced by `qemu-img info --object <optstr> x` with
 * qemu-img 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18).
 */
static const SecretErrorCase secret_error_cases[] = {
    { "id/missing", NULL, "secret,data=x", "Parameter 'id' is missing" },
    { "id/missing-only", NULL, "secret", "Parameter 'id' is missing" },
    { "id/not-identifier", NULL, "secret,id=1s,data=a",
      "Parameter 'id' expects an identifier" },
    { "id/colon", NULL, "secret,id=a:b,data=a",
      "Parameter 'id' expects an identifier" },
    { "id/empty", NULL, "secret,id=,data=a",
      "Parameter 'id' expects an identifier" },
    { "id/unexpected-first", NULL, "secret,id=1,foo=1",
      "Parameter 'foo' is unexpected" },
    { "id/duplicate", "secret,id=s,data=a", "secret,id=s,data=b",
      "attempt to add duplicate property 's' to object (type 'container')" },
    { "id/duplicate-no-data", "secret,id=s,data=a", "secret,id=s",
      "attempt to add duplicate property 's' to object (type 'container')" },
    { "id/duplicate-bad-format", "secret,id=s,data=a",
      "secret,id=s,format=hex",
      "Parameter 'format' does not accept value 'hex'" },
    { "type/unknown", NULL, "foo,id=s",
      "Parameter 'qom-type' does not accept value 'foo'" },
    { "type/explicit-unknown", NULL, "secret,id=x,qom-type=foo,data=a",
      "Parameter 'qom-type' does not accept value 'foo'" },
    { "type/missing", NULL, "id=x", "Parameter 'qom-type' is missing" },
    { "type/escaped-comma", NULL, "secret,,id=x", "Invalid parameter ''" },
    { "param/unexpected", NULL, "secret,id=s,data=a,foo=bar",
      "Parameter 'foo' is unexpected" },
    { "param/format-before-unexpected", NULL, "secret,id=s,foo=1,format=hex",
      "Parameter 'format' does not accept value 'hex'" },
    { "param/loaded", NULL, "secret,id=s,data=a,loaded=on",
      "Property 'secret.loaded' is not writable" },
    { "param/loaded-off", NULL, "secret,id=s,loaded=off,data=x",
      "Property 'secret.loaded' is not writable" },
    { "param/loaded-bad", NULL, "secret,id=s,loaded=foo",
      "Parameter 'loaded' expects 'on' or 'off'" },
    { "data/both", NULL, "secret,id=s,data=x,file=/etc/hostname",
      "'file' and 'data' are mutually exclusive" },
    { "data/neither", NULL, "secret,id=s",
      "Either 'file' or 'data' must be provided" },
    { "base64/invalid", NULL, "secret,id=s,data=%%%,format=base64",
      "Base64 data contains invalid characters" },
    { "base64/space", NULL, "secret,id=s,data=YWJj ZA==,format=base64",
      "Base64 data contains invalid characters" },
    { "base64/url-alphabet", NULL, "secret,id=s,data=YW-_,format=base64",
      "Base64 data contains invalid characters" },
    { "keyid/missing", NULL, "secret,id=s,data=a,keyid=k",
      "No secret with id 'k'" },
    { "keyid/empty", NULL, "secret,id=x,data=a,keyid=,iv=xx",
      "No secret with id ''" },
    { "keyid/short-key", "secret,id=k3,data=abc",
      "secret,id=s,data=a,keyid=k3", "Key should be 32 bytes in length" },
    { "keyid/no-iv", KEY32, "secret,id=s,data=a,keyid=k32",
      "IV is required to decrypt secret" },
    { "keyid/short-iv", KEY32, "secret,id=s,data=a,keyid=k32,iv=YWJj",
      "IV should be 16 bytes in length not 3" },
    { "keyid/bad-iv", KEY32, "secret,id=s,data=a,keyid=k32,iv=%",
      "Base64 data contains invalid characters" },
    { "keyid/partial-block", KEY32, "secret,id=s,data=a,keyid=k32," IV16,
      "Length 1 must be a multiple of block size 16" },
    { "keyid/bad-padding", KEY32,
      "secret,id=s,data=0123456789abcdef,keyid=k32," IV16,
      "Incorrect number of padding bytes (135) found on decrypted data" },
    /* "abcdefghijklmn\0\x11" encrypted with openssl enc -nopad. */
    { "keyid/padding-17", KEY32,
      "secret,id=s,data=edYRsz3OCD2sBxYF2jxp/A==,format=base64,keyid=k32,"
      IV16, "Incorrect number of padding bytes (17) found on decrypted data" },
};

/* Returns: the message of the failure of adding @optstr (caller frees). */
static char *secret_add_error(const char *optstr)
{
    Error *err = NULL;
    char *msg;

    g_assert_false(qcrypto_object_add_from_str(optstr, &err));
    g_assert_nonnull(err);
    msg = g_strdup(error_get_pretty(err));
    error_free(err);
    return msg;
}

static void test_secret_error(gconstpointer opaque)
{
    const SecretErrorCase *c = opaque;
    g_autofree char *msg = NULL;

    qcrypto_secret_registry_clear();
    if (c->setup) {
        g_assert_true(qcrypto_object_add_from_str(c->setup, &error_abort));
    }
    msg = secret_add_error(c->optstr);
    g_assert_cmpstr(msg, ==, c->message);
    qcrypto_secret_registry_clear();
}

typedef struct SecretValueCase {
    const char *path;
    const char *optstr;             /* defines secret "s" */
    const char *value;              /* its bytes ... */
    size_t len;                     /* ... and their number */
} SecretValueCase;

/*
 * Lengths of lenient base64 decodes are those qemu-img 7.2 reported for
 * the same strings as a secret's iv ("IV should be 16 bytes in length not
 * N"); the wrapped secrets were made with OpenSSL 3.0's `openssl enc
 * -aes-256-cbc` (with -nopad for the hand-padded ones).
 */
static const SecretValueCase secret_value_cases[] = {
    { "raw", "secret,id=s,data=123456", "123456", 6 },
    { "raw-empty", "secret,id=s,data=", "", 0 },
    { "raw-comma", "secret,id=s,data=a,,b", "a,b", 3 },
    { "raw-last-wins", "secret,id=s,data=a,data=b", "b", 1 },
    { "implied-type-explicit", "qom-type=secret,id=s,data=x", "x", 1 },
    { "id-punctuation", "secret,id=s,data=x,id=a.b-c_d", "x", 1 },
    { "base64", "secret,id=s,data=MTIzNDU2,format=base64", "123456", 6 },
    { "base64/no-data", "secret,id=s,data=,format=base64", "", 0 },
    { "base64/short-1", "secret,id=s,data=a,format=base64", "", 0 },
    { "base64/short-2", "secret,id=s,data=YW,format=base64", "", 0 },
    { "base64/short-3", "secret,id=s,data=YWJ,format=base64", "", 0 },
    { "base64/pad-extra", "secret,id=s,data=YWJj===,format=base64", "abc",
      3 },
    { "base64/pad-inside", "secret,id=s,data=YW=J,format=base64", NULL, 2 },
    { "base64/pad-two", "secret,id=s,data=YW==,format=base64", "a", 1 },
    { "base64/unpadded", "secret,id=s,data=YWJjZA,format=base64", "abc", 3 },
    { "base64/concatenated", "secret,id=s,data=YWJjZA==YWJj,format=base64",
      NULL, 7 },
};

/* Add the case's secret and compare its bytes. */
static void test_secret_value(gconstpointer opaque)
{
    const SecretValueCase *c = opaque;
    g_autoptr(QCryptoKey) key = NULL;

    qcrypto_secret_registry_clear();
    g_assert_true(qcrypto_object_add_from_str(c->optstr, &error_abort));
    /* The last id= wins, as with every repeated key. */
    key = qcrypto_secret_lookup(g_str_has_suffix(c->optstr, "a.b-c_d") ?
                                "a.b-c_d" : "s", &error_abort);
    if (c->value) {
        g_assert_cmpmem(key->data, key->len, c->value, c->len);
    } else if (c->len) {
        g_assert_cmpuint(key->len, ==, c->len);
    }
    qcrypto_secret_registry_clear();
}

/* Add @optstr, which defines "s"; Returns: the bytes of "s". */
static QCryptoKey *secret_add_and_get(const char *optstr)
{
    g_assert_true(qcrypto_object_add_from_str(optstr, &error_abort));
    return qcrypto_secret_lookup("s", &error_abort);
}

/* "123456" wrapped by openssl enc -aes-256-cbc (PKCS#7 padding). */
static void test_secret_wrapped(void)
{
    g_autoptr(QCryptoKey) key = NULL;

    qcrypto_secret_registry_clear();
    g_assert_true(qcrypto_object_add_from_str(KEY32, &error_abort));
    key = secret_add_and_get("secret,id=s,data=QWybmnK5wr8/u0akEKFvVQ==,"
                             "format=base64,keyid=k32," IV16);
    g_assert_cmpmem(key->data, key->len, "123456", 6);
    qcrypto_secret_registry_clear();
}

/* A block that is all padding gives an empty secret, as in 7.2. */
static void test_secret_wrapped_all_padding(void)
{
    g_autoptr(QCryptoKey) key = NULL;

    qcrypto_secret_registry_clear();
    g_assert_true(qcrypto_object_add_from_str(KEY32, &error_abort));
    key = secret_add_and_get("secret,id=s,data=tVIs1T89WnKMXFMUdO/BUA==,"
                             "format=base64,keyid=k32," IV16);
    g_assert_cmpuint(key->len, ==, 0);
    qcrypto_secret_registry_clear();
}

/*
 * A padding byte of 0 removes nothing: the two NULs stay, so the secret
 * is not a usable password (7.2 accepts the object, then fails the same
 * way when the password is used).
 */
static void test_secret_wrapped_zero_padding(void)
{
    g_autoptr(QCryptoKey) key = NULL;
    Error *err = NULL;

    qcrypto_secret_registry_clear();
    g_assert_true(qcrypto_object_add_from_str(KEY32, &error_abort));
    key = secret_add_and_get("secret,id=s,data=F2n4ZKTequC6pLrptzpfaQ==,"
                             "format=base64,keyid=k32," IV16);
    g_assert_cmpmem(key->data, key->len, "abcdefghijklmn\0\0", 16);
    g_assert_null(qcrypto_secret_lookup_as_utf8("s", &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Data from secret s is not valid UTF-8");
    error_free(err);
    qcrypto_secret_registry_clear();
}

/* Returns: the path of a new temporary file holding @len bytes of @data. */
static char *secret_temp_file(const void *data, size_t len)
{
    char *path = NULL;
    int fd = g_file_open_tmp("test-crypto-secret-XXXXXX", &path, NULL);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, data, len), ==, (ssize_t)len);
    close(fd);
    return path;
}

/* Adds "s" from a file holding @len bytes of @data, with @extra options. */
static bool secret_add_file(const void *data, size_t len, const char *extra,
                            Error **errp)
{
    g_autofree char *path = secret_temp_file(data, len);
    g_autofree char *optstr = g_strdup_printf("secret,id=s,file=%s%s", path,
                                              extra);
    bool ok = qcrypto_object_add_from_str(optstr, errp);

    unlink(path);
    return ok;
}

/* File contents are used verbatim: a trailing newline stays. */
static void test_secret_file_raw(void)
{
    g_autoptr(QCryptoKey) key = NULL;

    qcrypto_secret_registry_clear();
    g_assert_true(secret_add_file("abc\n", 4, "", &error_abort));
    key = qcrypto_secret_lookup("s", &error_abort);
    g_assert_cmpmem(key->data, key->len, "abc\n", 4);
    qcrypto_secret_registry_clear();
}

/* Newlines are allowed in base64 (as `base64` writes them); CR is not. */
static void test_secret_file_base64(void)
{
    g_autoptr(QCryptoKey) key = NULL;
    Error *err = NULL;

    qcrypto_secret_registry_clear();
    g_assert_true(secret_add_file("YW\nJj\n", 6, ",format=base64",
                                  &error_abort));
    key = qcrypto_secret_lookup("s", &error_abort);
    g_assert_cmpmem(key->data, key->len, "abc", 3);
    qcrypto_secret_registry_clear();

    g_assert_false(secret_add_file("YWJj\r\n", 6, ",format=base64", &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Base64 data contains invalid characters");
    g_clear_pointer(&err, error_free);

    g_assert_false(secret_add_file("YWJj\0ZA==", 9, ",format=base64", &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Base64 data contains embedded NUL characters");
    error_free(err);
    qcrypto_secret_registry_clear();
}

/* A raw (binary) wrapped secret: "second", openssl enc -aes-256-cbc. */
static void test_secret_file_wrapped_raw(void)
{
    static const uint8_t ct[] = {
        0x18, 0xd3, 0x32, 0xbb, 0xe5, 0x64, 0x7b, 0x66,
        0xe4, 0x00, 0x38, 0x06, 0x03, 0xdd, 0x48, 0x14,
    };
    g_autoptr(QCryptoKey) key = NULL;

    qcrypto_secret_registry_clear();
    g_assert_true(qcrypto_object_add_from_str(KEY32, &error_abort));
    g_assert_true(secret_add_file(ct, sizeof(ct), ",keyid=k32," IV16,
                                  &error_abort));
    key = qcrypto_secret_lookup_as_utf8("s", &error_abort);
    g_assert_cmpmem(key->data, key->len, "second", 6);
    qcrypto_secret_registry_clear();
}

/* The message embeds glib's own text, so only its start is fixed. */
static void test_secret_file_missing(void)
{
    g_autofree char *msg = NULL;

    qcrypto_secret_registry_clear();
    msg = secret_add_error("secret,id=s,file=/nonexistent/secret");
    g_assert_true(g_str_has_prefix(msg,
                                   "Unable to read /nonexistent/secret: "));
}

/* Passwords must be UTF-8 and, through glib's validator, NUL-free. */
static void test_secret_utf8(void)
{
    g_autoptr(QCryptoKey) key = NULL;
    Error *err = NULL;

    qcrypto_secret_registry_clear();
    g_assert_true(secret_add_file("\xff\xfe", 2, "", &error_abort));
    g_assert_null(qcrypto_secret_lookup_as_utf8("s", &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Data from secret s is not valid UTF-8");
    g_clear_pointer(&err, error_free);
    qcrypto_secret_registry_clear();

    g_assert_true(secret_add_file("abc\0def", 7, "", &error_abort));
    g_assert_null(qcrypto_secret_lookup_as_utf8("s", &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Data from secret s is not valid UTF-8");
    g_clear_pointer(&err, error_free);
    qcrypto_secret_registry_clear();

    g_assert_true(qcrypto_object_add_from_str("secret,id=s,data=h\xc3\xa9",
                                              &error_abort));
    key = qcrypto_secret_lookup_as_utf8("s", &error_abort);
    g_assert_cmpmem(key->data, key->len, "h\xc3\xa9", 3);
    qcrypto_secret_registry_clear();
}

static void test_secret_lookup_missing(void)
{
    Error *err = NULL;

    qcrypto_secret_registry_clear();
    g_assert_true(qcrypto_object_add_from_str("secret,id=s,data=x",
                                              &error_abort));
    g_assert_null(qcrypto_secret_lookup("nosuch", &err));
    g_assert_cmpstr(error_get_pretty(err), ==, "No secret with id 'nosuch'");
    g_clear_pointer(&err, error_free);
    g_assert_null(qcrypto_secret_lookup_as_utf8("nosuch", &err));
    g_assert_cmpstr(error_get_pretty(err), ==, "No secret with id 'nosuch'");
    g_clear_pointer(&err, error_free);

    /* Clearing forgets everything. */
    qcrypto_secret_registry_clear();
    g_assert_null(qcrypto_secret_lookup("s", &err));
    error_free(err);
}

/* Adding through the dict interface, without qom-type. */
static void test_secret_add_dict(void)
{
    g_autoptr(QObject) opts = qobject_new_dict();
    g_autoptr(QCryptoKey) key = NULL;

    qcrypto_secret_registry_clear();
    qdict_put_str(opts, "id", "d");
    qdict_put_str(opts, "data", "pw");
    g_assert_true(qcrypto_secret_add(opts, &error_abort));
    key = qcrypto_secret_lookup("d", &error_abort);
    g_assert_cmpmem(key->data, key->len, "pw", 2);
    qcrypto_secret_registry_clear();
}

int main(int argc, char **argv)
{
    size_t i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(secret_error_cases); i++) {
        g_autofree char *path = g_strdup_printf("/crypto/secret/error/%s",
                                                secret_error_cases[i].path);

        g_test_add_data_func(path, &secret_error_cases[i], test_secret_error);
    }
    for (i = 0; i < G_N_ELEMENTS(secret_value_cases); i++) {
        g_autofree char *path = g_strdup_printf("/crypto/secret/value/%s",
                                                secret_value_cases[i].path);

        g_test_add_data_func(path, &secret_value_cases[i], test_secret_value);
    }
    g_test_add_func("/crypto/secret/wrapped/base64", test_secret_wrapped);
    g_test_add_func("/crypto/secret/wrapped/all-padding",
                    test_secret_wrapped_all_padding);
    g_test_add_func("/crypto/secret/wrapped/zero-padding",
                    test_secret_wrapped_zero_padding);
    g_test_add_func("/crypto/secret/file/raw", test_secret_file_raw);
    g_test_add_func("/crypto/secret/file/base64", test_secret_file_base64);
    g_test_add_func("/crypto/secret/file/wrapped-raw",
                    test_secret_file_wrapped_raw);
    g_test_add_func("/crypto/secret/file/missing", test_secret_file_missing);
    g_test_add_func("/crypto/secret/utf8", test_secret_utf8);
    g_test_add_func("/crypto/secret/lookup/missing",
                    test_secret_lookup_missing);
    g_test_add_func("/crypto/secret/add-dict", test_secret_add_dict);
    return g_test_run();
}
