/*
 * Helpers shared by the QCryptoBlock unit tests: an in-memory volume
 * behind the header callbacks, reference images, and the reference tools.
 */
#ifndef CRYPTO_BLOCK_TEST_UTIL_H
#define CRYPTO_BLOCK_TEST_UTIL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "crypto/block.h"
#include "crypto/secret.h"
#include "qemu/bswap.h"

#define IMAGES_DIR SRCDIR "/tests/images/"

/* Offsets of LUKS1 header fields (on-disk format spec 1.2.3, 2.4). */
#define HDR_VERSION 6
#define HDR_CIPHER_NAME 8
#define HDR_CIPHER_MODE 40
#define HDR_HASH_SPEC 72
#define HDR_PAYLOAD 104
#define HDR_KEY_BYTES 108
#define HDR_MK_ITERS 164
#define SLOT(i, field) (208 + 48 * (i) + (field))
#define SLOT_ACTIVE 0
#define SLOT_ITERS 4
#define SLOT_SALT 8
#define SLOT_OFFSET 40
#define SLOT_STRIPES 44

#define SLOT_ENABLED 0x00AC71F3

/* ------------------------------------------------------------------ */
/* An in-memory volume behind the header callbacks                     */
/* ------------------------------------------------------------------ */

typedef struct TestDisk {
    GByteArray *data;
    bool drop_header_writes;        /* pretend to write the first 4 KiB */
    bool corrupt_material;          /* flip a bit of keyslot writes */
} TestDisk;

static inline TestDisk *test_disk_new(void)
{
    TestDisk *disk = g_new0(TestDisk, 1);

    disk->data = g_byte_array_new();
    return disk;
}

static inline void test_disk_free(TestDisk *disk)
{
    g_byte_array_unref(disk->data);
    g_free(disk);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestDisk, test_disk_free)

/* Grow @disk with zeros to at least @len bytes. */
static inline void test_disk_grow(TestDisk *disk, size_t len)
{
    size_t old = disk->data->len;

    if (len > old) {
        g_byte_array_set_size(disk->data, len);
        memset(disk->data->data + old, 0, len - old);
    }
}

static inline int test_disk_read(QCryptoBlock *block, size_t offset,
                                 uint8_t *buf, size_t buflen, void *opaque,
                                 Error **errp)
{
    TestDisk *disk = opaque;

    if (offset > disk->data->len || buflen > disk->data->len - offset) {
        error_setg(errp, "Read of %zu bytes at %zu is past the end", buflen,
                   offset);
        return -1;
    }
    memcpy(buf, disk->data->data + offset, buflen);
    return 0;
}

static inline int test_disk_init(QCryptoBlock *block, size_t headerlen,
                                 void *opaque, Error **errp)
{
    TestDisk *disk = opaque;

    g_byte_array_set_size(disk->data, 0);
    test_disk_grow(disk, headerlen);
    return 0;
}

static inline int test_disk_write(QCryptoBlock *block, size_t offset,
                                  const uint8_t *buf, size_t buflen,
                                  void *opaque, Error **errp)
{
    TestDisk *disk = opaque;

    if (disk->drop_header_writes && offset < 4096) {
        return 0;
    }
    test_disk_grow(disk, offset + buflen);
    memcpy(disk->data->data + offset, buf, buflen);
    if (disk->corrupt_material && offset >= 4096) {
        disk->data->data[offset + buflen / 2] ^= 1;
    }
    return 0;
}

/* Returns: a copy of @disk. */
static inline TestDisk *test_disk_copy(const TestDisk *disk)
{
    TestDisk *copy = test_disk_new();

    g_byte_array_append(copy->data, disk->data->data, disk->data->len);
    return copy;
}

/* Returns: a disk holding the gunzipped file @file of tests/images. */
static inline TestDisk *test_disk_load_file(const char *file)
{
    g_autofree char *path = g_strdup_printf(IMAGES_DIR "%s", file);
    TestDisk *disk = test_disk_new();
    gzFile f = gzopen(path, "rb");
    uint8_t buf[65536];
    int n;

    g_assert_nonnull(f);
    while ((n = gzread(f, buf, sizeof(buf))) > 0) {
        g_byte_array_append(disk->data, buf, n);
    }
    g_assert_cmpint(n, ==, 0);
    gzclose(f);
    return disk;
}

/* Returns: a disk holding the reference image @name. */
static inline TestDisk *test_disk_load(const char *name)
{
    g_autofree char *file = g_strdup_printf("%s.img.gz", name);

    return test_disk_load_file(file);
}

/* Returns: the big-endian header field at @offset. */
static inline uint32_t hdr_get32(const TestDisk *disk, size_t offset)
{
    return ldl_be_p(disk->data->data + offset);
}

/* ------------------------------------------------------------------ */
/* Block helpers                                                       */
/* ------------------------------------------------------------------ */

/* Returns: LUKS create options with @secret and iter-time @iter_time. */
static inline QCryptoBlockCreateOptions luks_create_opts(const char *secret,
                                                         uint64_t iter_time)
{
    QCryptoBlockCreateOptions opts = {
        .format = QCRYPTO_BLOCK_FORMAT_LUKS,
        .has_key_secret = secret != NULL,
        .key_secret = (char *)secret,
        .has_iter_time = true,
        .iter_time = iter_time,
    };

    return opts;
}

static inline QCryptoBlock *luks_create(
    const QCryptoBlockCreateOptions *opts, TestDisk *disk, Error **errp)
{
    return qcrypto_block_create(opts, "", test_disk_init, test_disk_write,
                                disk, errp);
}

/* An algorithm field left to 7.2's default. */
#define DFLT (-1)

/* Set the algorithm options of @opts that are not DFLT. */
static inline void luks_set_algs(QCryptoBlockCreateOptions *opts,
                                 int cipher_alg, int cipher_mode,
                                 int ivgen_alg, int ivgen_hash_alg,
                                 int hash_alg)
{
    opts->has_cipher_alg = cipher_alg != DFLT;
    opts->cipher_alg = cipher_alg;
    opts->has_cipher_mode = cipher_mode != DFLT;
    opts->cipher_mode = cipher_mode;
    opts->has_ivgen_alg = ivgen_alg != DFLT;
    opts->ivgen_alg = ivgen_alg;
    opts->has_ivgen_hash_alg = ivgen_hash_alg != DFLT;
    opts->ivgen_hash_alg = ivgen_hash_alg;
    opts->has_hash_alg = hash_alg != DFLT;
    opts->hash_alg = hash_alg;
}

/* Open @disk as LUKS with secret @secret (NULL: none), with @flags. */
static inline QCryptoBlock *luks_open(TestDisk *disk, const char *secret,
                                      unsigned int flags, Error **errp)
{
    QCryptoBlockOpenOptions opts = {
        .format = QCRYPTO_BLOCK_FORMAT_LUKS,
        .key_secret = (char *)secret,
    };

    return qcrypto_block_open(&opts, "", test_disk_read, disk, flags, errp);
}

/* Assert that @err holds @message, and free it. */
static inline void assert_error(Error *err, const char *message)
{
    g_assert_nonnull(err);
    g_assert_cmpstr(error_get_pretty(err), ==, message);
    error_free(err);
}

/* Returns: the compact JSON of @block's info (caller frees). */
static inline char *block_info_json(QCryptoBlock *block)
{
    g_autoptr(QObject) info = qcrypto_block_get_info(block);

    return qobject_to_json(info, false);
}

/* Returns: @len bytes of a pattern that differs in every sector. */
static inline uint8_t *test_plaintext(size_t len)
{
    uint8_t *buf = g_malloc(len);
    size_t i;

    for (i = 0; i < len; i++) {
        buf[i] = (uint8_t)(i * 7 + i / 512);
    }
    return buf;
}

#define QEMU_IO "/usr/bin/qemu-io"
#define QEMU_IMG "/usr/bin/qemu-img"

/*
 * Returns: whether reference tool @path is installed.  When it is not,
 * the test is skipped, except under CI=true, where that is a failure.
 */
static inline bool have_reference_tool(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_EXECUTABLE)) {
        return true;
    }
    if (g_strcmp0(g_getenv("CI"), "true") == 0) {
        g_test_message("reference tool %s is missing", path);
        g_test_fail();
    } else {
        g_test_skip("reference tool missing");
    }
    return false;
}

/* Run @argv; Returns: its stdout (caller frees); asserts exit status 0. */
static inline char *run_tool(const char *const *argv)
{
    g_autofree char *err_out = NULL;
    char *out = NULL;
    int status = -1;

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
                               G_SPAWN_DEFAULT, NULL, NULL, &out, &err_out,
                               &status, NULL));
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_test_message("%s failed: %s%s", argv[0], out, err_out);
        g_assert_not_reached();
    }
    return out;
}

/* Write @disk to a new temporary file; Returns: its path. */
static inline char *test_disk_save(const TestDisk *disk)
{
    char *path = NULL;
    int fd = g_file_open_tmp("test-crypto-block-XXXXXX.luks", &path, NULL);

    g_assert_cmpint(fd, >=, 0);
    g_assert_true(g_file_set_contents(path, (const char *)disk->data->data,
                                      disk->data->len, NULL));
    close(fd);
    return path;
}

/* Append @len bytes of @pattern at guest @offset, encrypted by @block. */
static inline void test_disk_put(TestDisk *disk, QCryptoBlock *block,
                                 uint64_t offset, size_t len,
                                 uint8_t pattern)
{
    uint64_t start = qcrypto_block_get_payload_offset(block) + offset;

    test_disk_grow(disk, start + len);
    memset(disk->data->data + start, pattern, len);
    qcrypto_block_encrypt(block, offset, disk->data->data + start, len);
}

#define CRYPTSETUP "/usr/sbin/cryptsetup"

/* Decrypt @len bytes at guest @offset and check they are all @pattern. */
static inline void check_pattern(QCryptoBlock *block, const TestDisk *disk,
                                 uint64_t offset, size_t len,
                                 uint8_t pattern)
{
    uint64_t start = qcrypto_block_get_payload_offset(block) + offset;
    g_autofree uint8_t *buf = g_memdup2(disk->data->data + start, len);
    g_autofree uint8_t *expected = g_malloc(len);

    memset(expected, pattern, len);
    qcrypto_block_decrypt(block, offset, buf, len);
    g_assert_cmpmem(buf, len, expected, len);
}

/* Designated initialisers for QCryptoBlockAmendOptions. */
#define ACTIVE .has_state = true, \
    .state = QCRYPTO_BLOCK_LUKS_KEYSLOT_STATE_ACTIVE
#define INACTIVE .has_state = true, \
    .state = QCRYPTO_BLOCK_LUKS_KEYSLOT_STATE_INACTIVE
#define KEYSLOT(n) .has_keyslot = true, .keyslot = (n)
#define OLD(s) .has_old_secret = true, .old_secret = (char *)(s)
#define NEW(s) .has_new_secret = true, .new_secret = (char *)(s)
#define ITER(n) .has_iter_time = true, .iter_time = (n)

/* Amend @block on @disk with @opts. */
static inline int amend(QCryptoBlock *block, TestDisk *disk,
                        const QCryptoBlockAmendOptions *opts, bool force,
                        Error **errp)
{
    return qcrypto_block_amend_options(block, test_disk_read,
                                       test_disk_write, disk, opts, force,
                                       errp);
}

/*
 * Register the secrets the tests use: sec0 "123456" and sec1 "second"
 * (the reference images' passwords), sec2 "xyz" (matches nothing), two
 * qcow keys that agree in their first 16 bytes, and a non-UTF-8 one.
 */
static inline void add_secrets(void)
{
    static const char *const secrets[] = {
        "secret,id=sec0,data=123456",
        "secret,id=sec1,data=second",
        "secret,id=sec2,data=xyz",
        "secret,id=pw16,data=0123456789abcdef",
        "secret,id=pw19,data=0123456789abcdefXYZ",
        "secret,id=badutf8,data=\xff",
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(secrets); i++) {
        g_assert_true(qcrypto_object_add_from_str(secrets[i], &error_abort));
    }
}

/*
 * Register each of the @n cases of @size bytes at @cases under @prefix;
 * every case struct starts with its path.
 */
/* The arguments that describe an array of cases to add_cases(). */
#define CASES(array) (array), sizeof((array)[0]), G_N_ELEMENTS(array)

static inline void add_cases(const char *prefix, const void *cases,
                             size_t size, size_t n, GTestDataFunc func)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const void *c = (const char *)cases + i * size;
        g_autofree char *path =
            g_strdup_printf("%s/%s", prefix, *(const char *const *)c);

        g_test_add_data_func(path, c, func);
    }
}

#endif /* CRYPTO_BLOCK_TEST_UTIL_H */
