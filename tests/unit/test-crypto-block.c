/*
 * Unit tests for crypto/block*.c: LUKS1 create/open/amend round trips,
 * every header check and option error with 7.2's message, sector
 * encryption (splitting, IVs, concurrency) and the legacy qcow AES scheme.
 */
#include "qemu/osdep.h"

#include "crypto-block-test-util.h"
#include "qapi/keyval.h"
#include "qapi/opts.h"

/* ------------------------------------------------------------------ */
/* Create / open round trips                                           */
/* ------------------------------------------------------------------ */

typedef struct RoundTripCase {
    const char *path;
    int cipher_alg;                 /* -1: default */
    int cipher_mode;
    int ivgen_alg;
    int ivgen_hash_alg;
    int hash_alg;
    const char *cipher_name;        /* expected header fields */
    const char *cipher_mode_spec;
    const char *hash_spec;
    uint64_t payload_offset;        /* bytes, per 7.2's layout table */
} RoundTripCase;

/*
 * Header names and payload offsets are those qemu-img 7.2 writes for the
 * same options (checked with `qemu-img create -f luks` and a hex dump).
 */
static const RoundTripCase round_trip_cases[] = {
    { "aes-256-xts-plain64", DFLT, DFLT, DFLT, DFLT, DFLT,
      "aes", "xts-plain64", "sha256", 2068480 },
    { "aes-128-cbc-essiv", QCRYPTO_CIPHER_ALGO_AES_128,
      QCRYPTO_CIPHER_MODE_CBC, QCRYPTO_IVGEN_ALGO_ESSIV, DFLT, DFLT,
      "aes", "cbc-essiv:sha256", "sha256", 528384 },
    { "serpent-256-xts", QCRYPTO_CIPHER_ALGO_SERPENT_256,
      QCRYPTO_CIPHER_MODE_XTS, DFLT, DFLT, DFLT,
      "serpent", "xts-plain64", "sha256", 2068480 },
    { "twofish-128-cbc-plain", QCRYPTO_CIPHER_ALGO_TWOFISH_128,
      QCRYPTO_CIPHER_MODE_CBC, QCRYPTO_IVGEN_ALGO_PLAIN, DFLT, DFLT,
      "twofish", "cbc-plain", "sha256", 528384 },
    { "cast5-128-cbc-plain64", QCRYPTO_CIPHER_ALGO_CAST5_128,
      QCRYPTO_CIPHER_MODE_CBC, QCRYPTO_IVGEN_ALGO_PLAIN64, DFLT,
      QCRYPTO_HASH_ALGO_SHA1, "cast5", "cbc-plain64", "sha1", 528384 },
    { "aes-256-ctr", QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_CTR,
      DFLT, DFLT, DFLT, "aes", "ctr-plain64", "sha256", 1052672 },
    { "aes-256-ecb", QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_ECB,
      DFLT, DFLT, QCRYPTO_HASH_ALGO_SHA512, "aes", "ecb-plain64", "sha512",
      1052672 },
    { "aes-128-ctr-plain-sha1", QCRYPTO_CIPHER_ALGO_AES_128,
      QCRYPTO_CIPHER_MODE_CTR, QCRYPTO_IVGEN_ALGO_PLAIN,
      QCRYPTO_HASH_ALGO_SHA1, DFLT, "aes", "ctr-plain:sha1", "sha256",
      528384 },
    { "twofish-256-xts-essiv", QCRYPTO_CIPHER_ALGO_TWOFISH_256,
      QCRYPTO_CIPHER_MODE_XTS, QCRYPTO_IVGEN_ALGO_ESSIV, DFLT, DFLT,
      "twofish", "xts-essiv:sha256", "sha256", 2068480 },
};

/* Set the algorithms @c names in @opts. */
static void round_trip_opts(const RoundTripCase *c,
                            QCryptoBlockCreateOptions *opts)
{
    luks_set_algs(opts, c->cipher_alg, c->cipher_mode, c->ivgen_alg,
                  c->ivgen_hash_alg, c->hash_alg);
}

/* Check the header names written for @c. */
static void round_trip_check_header(const RoundTripCase *c,
                                    const TestDisk *disk)
{
    const char *hdr = (const char *)disk->data->data;

    g_assert_cmpuint(disk->data->len, ==, c->payload_offset);
    g_assert_cmpstr(hdr + HDR_CIPHER_NAME, ==, c->cipher_name);
    g_assert_cmpstr(hdr + HDR_CIPHER_MODE, ==, c->cipher_mode_spec);
    g_assert_cmpstr(hdr + HDR_HASH_SPEC, ==, c->hash_spec);
}

/*
 * Encrypt with the created block and decrypt with an opened one: small
 * and large (parallel) buffers, at an offset that is not zero.
 */
static void round_trip_data(QCryptoBlock *created, QCryptoBlock *opened)
{
    static const size_t lens[] = { 512, 4096, 1024 * 1024 + 1536 };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(lens); i++) {
        g_autofree uint8_t *plain = test_plaintext(lens[i]);
        g_autofree uint8_t *buf = g_memdup2(plain, lens[i]);

        qcrypto_block_encrypt(created, 0x10000, buf, lens[i]);
        g_assert_true(memcmp(buf, plain, lens[i]) != 0);
        qcrypto_block_decrypt(opened, 0x10000, buf, lens[i]);
        g_assert_cmpmem(buf, lens[i], plain, lens[i]);
    }
}

static void test_round_trip(gconstpointer opaque)
{
    const RoundTripCase *c = opaque;
    QCryptoBlockCreateOptions opts = luks_create_opts("sec0", 10);
    g_autoptr(TestDisk) disk = test_disk_new();
    g_autoptr(QCryptoBlock) created = NULL;
    g_autoptr(QCryptoBlock) opened = NULL;

    round_trip_opts(c, &opts);
    created = luks_create(&opts, disk, &error_abort);
    round_trip_check_header(c, disk);
    g_assert_cmpuint(qcrypto_block_get_payload_offset(created), ==,
                     c->payload_offset);
    g_assert_cmpuint(qcrypto_block_get_sector_size(created), ==, 512);
    g_assert_cmpint(qcrypto_block_get_format(created), ==,
                    QCRYPTO_BLOCK_FORMAT_LUKS);

    opened = luks_open(disk, "sec0", 0, &error_abort);
    g_assert_cmpuint(qcrypto_block_get_payload_offset(opened), ==,
                     c->payload_offset);
    round_trip_data(created, opened);
}

/* ------------------------------------------------------------------ */
/* Sector encryption: splitting, IV numbering, concurrency             */
/* ------------------------------------------------------------------ */

static QCryptoBlock *shared_block;

/* Returns: an aes-256-xts block (iter-time 0, so 1000 iterations). */
static QCryptoBlock *test_block_xts(void)
{
    QCryptoBlockCreateOptions opts = luks_create_opts("sec0", 0);
    g_autoptr(TestDisk) disk = test_disk_new();

    return luks_create(&opts, disk, &error_abort);
}

/* One large call (split over workers) equals one call per sector. */
static void test_encrypt_split(void)
{
    size_t len = 3 * 1024 * 1024 + 512;
    g_autofree uint8_t *whole = test_plaintext(len);
    g_autofree uint8_t *parts = g_memdup2(whole, len);
    size_t off;

    qcrypto_block_encrypt(shared_block, 512 * 77, whole, len);
    for (off = 0; off < len; off += 512) {
        qcrypto_block_encrypt(shared_block, 512 * 77 + off, parts + off, 512);
    }
    g_assert_cmpmem(whole, len, parts, len);
}

/* Encrypting into another buffer equals encrypting in place, small and
 * large (split over workers), and leaves the input alone. */
static void test_encrypt_into(void)
{
    static const size_t lens[] = { 512, 64 * 1024, 3 * 1024 * 1024 + 512 };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(lens); i++) {
        size_t len = lens[i];
        g_autofree uint8_t *plain = test_plaintext(len);
        g_autofree uint8_t *in = g_memdup2(plain, len);
        g_autofree uint8_t *expected = g_memdup2(plain, len);
        g_autofree uint8_t *out = g_malloc0(len);

        qcrypto_block_encrypt(shared_block, 512 * 5, expected, len);
        qcrypto_block_encrypt_into(shared_block, 512 * 5, in, out, len);
        g_assert_cmpmem(out, len, expected, len);
        g_assert_cmpmem(in, len, plain, len);
    }
}

/* Decrypting on the calling thread only gives the same bytes. */
static void test_decrypt_serial(void)
{
    size_t len = 2 * 1024 * 1024 + 512;
    g_autofree uint8_t *plain = test_plaintext(len);
    g_autofree uint8_t *a = g_memdup2(plain, len);
    g_autofree uint8_t *b = NULL;

    qcrypto_block_encrypt(shared_block, 512 * 3, a, len);
    b = g_memdup2(a, len);
    qcrypto_block_decrypt(shared_block, 512 * 3, a, len);
    qcrypto_block_decrypt_serial(shared_block, 512 * 3, b, len);
    g_assert_cmpmem(a, len, plain, len);
    g_assert_cmpmem(b, len, plain, len);
    qcrypto_block_decrypt_serial(shared_block, 0, b, 0);
}

/* The IV depends on the sector number: moving a sector breaks it. */
static void test_encrypt_iv_numbering(void)
{
    g_autofree uint8_t *plain = test_plaintext(1024);
    g_autofree uint8_t *buf = g_memdup2(plain, 1024);

    memset(plain, 0x11, 1024);
    memcpy(buf, plain, 1024);
    qcrypto_block_encrypt(shared_block, 0, buf, 1024);
    /* Same plaintext in sectors 0 and 1, different ciphertext. */
    g_assert_true(memcmp(buf, buf + 512, 512) != 0);
    qcrypto_block_decrypt(shared_block, 512, buf, 512);
    g_assert_true(memcmp(buf, plain, 512) != 0);
}

typedef struct ConcurrentJob {
    const uint8_t *plain;
    const uint8_t *expected;        /* @plain encrypted at offset 0 */
    size_t len;
    size_t piece;                   /* bytes per call */
} ConcurrentJob;

static gpointer concurrent_worker(gpointer opaque)
{
    const ConcurrentJob *job = opaque;
    g_autofree uint8_t *buf = g_malloc(job->len);
    int round;
    size_t off;

    for (round = 0; round < 8; round++) {
        memcpy(buf, job->plain, job->len);
        for (off = 0; off < job->len; off += job->piece) {
            qcrypto_block_encrypt(shared_block, off, buf + off, job->piece);
        }
        g_assert_cmpmem(buf, job->len, job->expected, job->len);
        qcrypto_block_decrypt(shared_block, 0, buf, job->len);
        g_assert_cmpmem(buf, job->len, job->plain, job->len);
    }
    return NULL;
}

/* Callers on several threads, with small and large (pooled) requests. */
static void test_encrypt_concurrent(void)
{
    size_t len = 1024 * 1024;
    g_autofree uint8_t *plain = test_plaintext(len);
    g_autofree uint8_t *expected = g_memdup2(plain, len);
    ConcurrentJob jobs[4];
    GThread *threads[4];
    size_t i;

    qcrypto_block_encrypt(shared_block, 0, expected, len);
    for (i = 0; i < G_N_ELEMENTS(jobs); i++) {
        jobs[i] = (ConcurrentJob) {
            .plain = plain, .expected = expected, .len = len,
            .piece = i % 2 ? 4096 : len / 2,
        };
        threads[i] = g_thread_new("test", concurrent_worker, &jobs[i]);
    }
    for (i = 0; i < G_N_ELEMENTS(threads); i++) {
        g_thread_join(threads[i]);
    }
}

/*
 * Batches give the same bytes as one call, whichever thread does which
 * piece: pieces waited for in order (the writer's pattern), or only
 * freed (the reader's: the caller takes pieces from the back), of
 * uneven sizes, encrypting into another buffer or decrypting in place.
 */
static void batch_check(size_t len, size_t piece, bool wait_each)
{
    g_autofree uint8_t *plain = test_plaintext(len);
    g_autofree uint8_t *expected = g_memdup2(plain, len);
    g_autofree uint8_t *out = g_malloc0(len);
    QCryptoBlockBatch *batch;
    unsigned int n = 0, idx;
    size_t off, step;

    qcrypto_block_encrypt(shared_block, 512 * 9, expected, len);
    batch = qcrypto_block_batch_new(shared_block, true,
                                    DIV_ROUND_UP(len, 512));
    for (off = 0; off < len; off += step, n++) {
        /* Uneven pieces: every third one is a single sector. */
        step = MIN(n % 3 == 2 ? 512 : piece, len - off);
        idx = qcrypto_block_batch_add(batch, 512 * 9 + off, plain + off,
                                      out + off, step);
        g_assert_cmpuint(idx, ==, n);
    }
    if (wait_each) {
        for (idx = 0, off = 0; idx < n; idx++) {
            step = MIN(idx % 3 == 2 ? 512 : piece, len - off);
            g_assert_cmpuint(qcrypto_block_batch_wait(batch, idx), ==, step);
            off += step;
        }
    }
    qcrypto_block_batch_free(batch);
    g_assert_cmpmem(out, len, expected, len);

    /* Decrypt in place, pieces added while earlier ones run. */
    batch = qcrypto_block_batch_new(shared_block, false,
                                    DIV_ROUND_UP(len, piece));
    for (off = 0; off < len; off += piece) {
        step = MIN(piece, len - off);
        qcrypto_block_batch_add(batch, 512 * 9 + off, out + off, out + off,
                                step);
    }
    qcrypto_block_batch_free(batch);
    g_assert_cmpmem(out, len, plain, len);
}

static void test_batch(void)
{
    qcrypto_block_batch_free(NULL);
    batch_check(512, 512, true);
    batch_check(64 * 1024, 4096, true);
    batch_check(2 * 1024 * 1024 + 1536, 128 * 1024, true);
    batch_check(2 * 1024 * 1024 + 1536, 128 * 1024, false);
    batch_check(3 * 1024 * 1024, 512 * 1024, false);
}

static gpointer batch_worker(gpointer opaque)
{
    for (int round = 0; round < 4; round++) {
        batch_check(1024 * 1024, 64 * 1024, round % 2);
    }
    return NULL;
}

/* Batches from several threads share the workers. */
static void test_batch_concurrent(void)
{
    GThread *threads[3];

    for (size_t i = 0; i < G_N_ELEMENTS(threads); i++) {
        threads[i] = g_thread_new("test", batch_worker, NULL);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(threads); i++) {
        g_thread_join(threads[i]);
    }
}

/* ------------------------------------------------------------------ */
/* Create errors and layouts                                           */
/* ------------------------------------------------------------------ */

typedef struct CreateErrorCase {
    const char *path;
    const char *secret;
    int cipher_alg;
    int cipher_mode;
    int ivgen_alg;
    int ivgen_hash_alg;
    const char *message;
} CreateErrorCase;

/* Messages from `qemu-img create -f luks` 7.2 with the same options. */
static const CreateErrorCase create_error_cases[] = {
    { "no-secret", NULL, DFLT, DFLT, DFLT, DFLT,
      "Parameter 'key-secret' is required for cipher" },
    { "no-secret-before-cipher", NULL, QCRYPTO_CIPHER_ALGO_DES, DFLT, DFLT,
      DFLT, "Parameter 'key-secret' is required for cipher" },
    { "unknown-secret", "nosuch", DFLT, DFLT, DFLT, DFLT,
      "No secret with id 'nosuch'" },
    { "des", "sec0", QCRYPTO_CIPHER_ALGO_DES, DFLT, DFLT, DFLT,
      "Algorithm 'des' not supported" },
    { "3des-cbc", "sec0", QCRYPTO_CIPHER_ALGO_3DES, QCRYPTO_CIPHER_MODE_CBC,
      DFLT, DFLT, "Algorithm '3des' not supported" },
    { "cast5-xts", "sec0", QCRYPTO_CIPHER_ALGO_CAST5_128, DFLT, DFLT, DFLT,
      "Unsupported cipher mode xts" },
    { "essiv-sha1", "sec0", DFLT, DFLT, QCRYPTO_IVGEN_ALGO_ESSIV,
      QCRYPTO_HASH_ALGO_SHA1, "No AES cipher with key size 20 available" },
    { "essiv-cast5", "sec0", QCRYPTO_CIPHER_ALGO_CAST5_128,
      QCRYPTO_CIPHER_MODE_CBC, QCRYPTO_IVGEN_ALGO_ESSIV, DFLT,
      "Cipher cast5-128 not supported with essiv" },
    /* 7.2 aborts on these (key material of 96000 bytes); we refuse. */
    { "aes-192-cbc", "sec0", QCRYPTO_CIPHER_ALGO_AES_192,
      QCRYPTO_CIPHER_MODE_CBC, DFLT, DFLT,
      "Cipher aes-192 in mode cbc is not supported: its 96000 bytes of key "
      "material are not a multiple of the 512-byte sector size" },
    { "twofish-192-ecb", "sec0", QCRYPTO_CIPHER_ALGO_TWOFISH_192,
      QCRYPTO_CIPHER_MODE_ECB, DFLT, DFLT,
      "Cipher twofish-192 in mode ecb is not supported: its 96000 bytes of "
      "key material are not a multiple of the 512-byte sector size" },
};

static void create_error_opts(const CreateErrorCase *c,
                              QCryptoBlockCreateOptions *opts)
{
    *opts = luks_create_opts(c->secret, 10);
    luks_set_algs(opts, c->cipher_alg, c->cipher_mode, c->ivgen_alg,
                  c->ivgen_hash_alg, DFLT);
}

/* Both create and the payload calculation (measure) fail the same way. */
static void test_create_error(gconstpointer opaque)
{
    const CreateErrorCase *c = opaque;
    QCryptoBlockCreateOptions opts;
    g_autoptr(TestDisk) disk = test_disk_new();
    Error *err = NULL;
    uint64_t len = 12345;

    create_error_opts(c, &opts);
    g_assert_null(luks_create(&opts, disk, &err));
    assert_error(err, c->message);
    err = NULL;
    g_assert_false(qcrypto_block_calculate_payload_offset(&opts, "", &len,
                                                          &err));
    assert_error(err, c->message);
    g_assert_cmpuint(len, ==, 12345);
}

/* The option prefix appears in the key-secret message (qcow2's case). */
static void test_create_error_prefix(void)
{
    QCryptoBlockCreateOptions opts = luks_create_opts(NULL, 10);
    g_autoptr(TestDisk) disk = test_disk_new();
    Error *err = NULL;

    g_assert_null(qcrypto_block_create(&opts, "encrypt.", test_disk_init,
                                       test_disk_write, disk, &err));
    assert_error(err, "Parameter 'encrypt.key-secret' is required for cipher");
}

/*
 * 7.2's PBKDF overflow messages carry a measured count, so only their
 * shape is fixed: iter-time=-1 overflows the scaling, a huge iter-time
 * the 32-bit field (qemu-img 7.2 output for both, e.g. "PBKDF iterations
 * 8880216 too large to scale: Numerical result out of range").
 */
static void test_create_iter_overflow(void)
{
    QCryptoBlockCreateOptions opts = luks_create_opts("sec0", UINT64_MAX);
    g_autoptr(TestDisk) disk = test_disk_new();
    Error *err = NULL;
    const char *msg;

    g_assert_null(luks_create(&opts, disk, &err));
    msg = error_get_pretty(err);
    g_assert_true(g_str_has_prefix(msg, "PBKDF iterations "));
    g_assert_true(g_str_has_suffix(msg, " too large to scale: Numerical "
                                   "result out of range"));
    g_clear_pointer(&err, error_free);

    opts.iter_time = 100000000000ULL;
    g_assert_null(luks_create(&opts, disk, &err));
    msg = error_get_pretty(err);
    g_assert_true(g_str_has_prefix(msg, "PBKDF iterations "));
    g_assert_true(g_str_has_suffix(msg, " larger than 4294967295: Numerical "
                                   "result out of range"));
    error_free(err);
}

/* iter-time=0 gives the 1000-iteration floors, as 7.2 does. */
static void test_create_iter_zero(void)
{
    g_autoptr(QCryptoBlock) block = test_block_xts();
    g_autofree char *json = block_info_json(block);

    g_assert_nonnull(strstr(json, "\"master-key-iters\": 1000"));
    g_assert_nonnull(strstr(json, "{\"active\": true, \"iters\": 1000, "));
}

typedef struct LayoutCase {
    int cipher_alg;
    int cipher_mode;
    uint64_t payload_offset;
} LayoutCase;

/* qemu-img 7.2's payload offsets per key size (measure and create). */
static const LayoutCase layout_cases[] = {
    { QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_XTS, 4040 * 512 },
    { QCRYPTO_CIPHER_ALGO_AES_192, QCRYPTO_CIPHER_MODE_XTS, 3016 * 512 },
    { QCRYPTO_CIPHER_ALGO_SERPENT_192, QCRYPTO_CIPHER_MODE_XTS, 3016 * 512 },
    { QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_CIPHER_MODE_XTS, 2056 * 512 },
    { QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_CBC, 2056 * 512 },
    { QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_CIPHER_MODE_CBC, 1032 * 512 },
    { QCRYPTO_CIPHER_ALGO_CAST5_128, QCRYPTO_CIPHER_MODE_CBC, 1032 * 512 },
    { QCRYPTO_CIPHER_ALGO_TWOFISH_128, QCRYPTO_CIPHER_MODE_ECB, 1032 * 512 },
};

static void test_payload_offsets(void)
{
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(layout_cases); i++) {
        QCryptoBlockCreateOptions opts = luks_create_opts("sec0", 10);
        uint64_t len = 0;

        opts.has_cipher_alg = opts.has_cipher_mode = true;
        opts.cipher_alg = layout_cases[i].cipher_alg;
        opts.cipher_mode = layout_cases[i].cipher_mode;
        g_assert_true(qcrypto_block_calculate_payload_offset(&opts, "", &len,
                                                             &error_abort));
        g_assert_cmpuint(len, ==, layout_cases[i].payload_offset);
    }
}

/* ------------------------------------------------------------------ */
/* Header checks on open                                               */
/* ------------------------------------------------------------------ */

typedef enum { EDIT_END, EDIT_U16, EDIT_U32, EDIT_STR, EDIT_FILL } EditKind;

typedef struct HeaderEdit {
    EditKind kind;
    size_t offset;
    uint32_t num;                   /* EDIT_U16/U32 value, EDIT_FILL byte */
    const char *str;                /* EDIT_STR: NUL-padded to 32 bytes */
} HeaderEdit;

#define U16(off, v) { EDIT_U16, (off), (v), NULL }
#define U32(off, v) { EDIT_U32, (off), (v), NULL }
#define STR(off, s) { EDIT_STR, (off), 0, (s) }
#define FILL(off, c) { EDIT_FILL, (off), (c), NULL }

typedef struct HeaderCase {
    const char *path;
    HeaderEdit edits[4];
    const char *message;            /* NULL: must open */
} HeaderCase;

/*
 * Corruptions of the reference aes-256-xts-plain64 header (key-bytes 64,
 * slots every 504 sectors from 8, payload at 4040), each with the message
 * `qemu-img info -f luks` 7.2 printed for the same change.
 */
static const HeaderCase header_cases[] = {
    { "magic", { STR(0, "LUKS\xba\xaf") }, "Volume is not in LUKS format" },
    { "version-2", { U16(HDR_VERSION, 2) },
      "LUKS version 2 is not supported" },
    { "version-0", { U16(HDR_VERSION, 0) },
      "LUKS version 0 is not supported" },
    { "name-unterminated", { FILL(HDR_CIPHER_NAME, 'a') },
      "LUKS header cipher name is not NUL terminated" },
    { "mode-unterminated", { FILL(HDR_CIPHER_MODE, 'a') },
      "LUKS header cipher mode is not NUL terminated" },
    { "hash-unterminated", { FILL(HDR_HASH_SPEC, 'a') },
      "LUKS header hash spec is not NUL terminated" },
    { "payload-in-header", { U32(HDR_PAYLOAD, 7) },
      "LUKS payload is overlapping with the header" },
    { "payload-over-slot-0", { U32(HDR_PAYLOAD, 8) },
      "Keyslot 0 is overlapping with the encrypted payload" },
    { "payload-over-slot-7", { U32(HDR_PAYLOAD, 4039) },
      "Keyslot 7 is overlapping with the encrypted payload" },
    { "mk-iters-zero", { U32(HDR_MK_ITERS, 0) },
      "LUKS key iteration count is zero" },
    { "stripes-0", { U32(SLOT(0, SLOT_STRIPES), 3999) },
      "Keyslot 0 is corrupted (stripes 3999 != 4000)" },
    { "stripes-1", { U32(SLOT(1, SLOT_STRIPES), 3999) },
      "Keyslot 1 is corrupted (stripes 3999 != 4000)" },
    { "stripes-before-state", { U32(SLOT(0, SLOT_ACTIVE), 0x12),
                                U32(SLOT(0, SLOT_STRIPES), 1) },
      "Keyslot 0 is corrupted (stripes 1 != 4000)" },
    { "state-1", { U32(SLOT(1, SLOT_ACTIVE), 0x1234) },
      "Keyslot 1 state (active/disable) is corrupted" },
    { "state-0", { U32(SLOT(0, SLOT_ACTIVE), 0) },
      "Keyslot 0 state (active/disable) is corrupted" },
    { "iters-zero-inactive-enabled", { U32(SLOT(1, SLOT_ACTIVE),
                                           SLOT_ENABLED) },
      "Keyslot 1 iteration count is zero" },
    { "iters-zero", { U32(SLOT(0, SLOT_ITERS), 0) },
      "Keyslot 0 iteration count is zero" },
    { "slot-0-in-header", { U32(SLOT(0, SLOT_OFFSET), 7) },
      "Keyslot 0 is overlapping with the LUKS header" },
    { "slot-0-at-zero", { U32(SLOT(0, SLOT_OFFSET), 0) },
      "Keyslot 0 is overlapping with the LUKS header" },
    { "slot-0-at-two", { U32(SLOT(0, SLOT_OFFSET), 2) },
      "Keyslot 0 is overlapping with the LUKS header" },
    { "slot-1-over-0", { U32(SLOT(1, SLOT_OFFSET), 9) },
      "Keyslots 0 and 1 are overlapping in the header" },
    { "slot-1-in-header", { U32(SLOT(1, SLOT_OFFSET), 1) },
      "Keyslots 0 and 1 are overlapping in the header" },
    { "slot-3-over-0", { U32(SLOT(3, SLOT_OFFSET), 9) },
      "Keyslots 0 and 3 are overlapping in the header" },
    { "slot-7-in-header", { U32(SLOT(7, SLOT_OFFSET), 1) },
      "Keyslots 0 and 7 are overlapping in the header" },
    { "slot-7-over-payload", { U32(SLOT(7, SLOT_OFFSET), 3537) },
      "Keyslot 7 is overlapping with the encrypted payload" },
    { "mode-no-dash", { STR(HDR_CIPHER_MODE, "xtsplain64") },
      "Unexpected cipher mode string format 'xtsplain64'" },
    { "mode-bare", { STR(HDR_CIPHER_MODE, "ecb") },
      "Unexpected cipher mode string format 'ecb'" },
    { "ivhash-unknown", { STR(HDR_CIPHER_MODE, "xts-plain64:sha999") },
      "Hash algorithm 'sha999' not supported" },
    { "ivhash-before-mode", { STR(HDR_CIPHER_MODE, "xyz-plain99:sha999") },
      "Hash algorithm 'sha999' not supported" },
    { "ivhash-empty", { STR(HDR_CIPHER_MODE, "xts-plain64:") },
      "Hash algorithm '' not supported" },
    { "ivhash-two", { STR(HDR_CIPHER_MODE, "xts-plain:md5:sha1") },
      "Hash algorithm 'md5:sha1' not supported" },
    { "mode-unknown", { STR(HDR_CIPHER_MODE, "xyz-plain64") },
      "Cipher mode 'xyz' not supported" },
    { "mode-empty", { STR(HDR_CIPHER_MODE, "-plain") },
      "Cipher mode '' not supported" },
    { "ivgen-unknown", { STR(HDR_CIPHER_MODE, "xts-plain99") },
      "IV generator 'plain99' not supported" },
    { "ivgen-dash", { STR(HDR_CIPHER_MODE, "xts-plain-x") },
      "IV generator 'plain-x' not supported" },
    { "ivgen-empty", { STR(HDR_CIPHER_MODE, "ecb-"), U32(HDR_KEY_BYTES, 32) },
      "IV generator '' not supported" },
    { "cipher-before-ivgen", { STR(HDR_CIPHER_MODE, "ecb-") },
      "Algorithm 'aes' with key size 64 bytes not supported" },
    { "hash-before-ivgen", { STR(HDR_CIPHER_MODE, "ecb-plain9"),
                             STR(HDR_HASH_SPEC, "sha999"),
                             U32(HDR_KEY_BYTES, 32) },
      "Hash algorithm 'sha999' not supported" },
    { "essiv-no-hash", { STR(HDR_CIPHER_MODE, "xts-essiv") },
      "Missing IV generator hash specification" },
    { "essiv-sha1", { STR(HDR_CIPHER_MODE, "xts-essiv:sha1") },
      "No AES cipher with key size 20 available" },
    { "essiv-sha512", { STR(HDR_CIPHER_MODE, "xts-essiv:sha512") },
      "No AES cipher with key size 64 available" },
    { "essiv-cast5", { STR(HDR_CIPHER_MODE, "cbc-essiv:sha256"),
                       STR(HDR_CIPHER_NAME, "cast5"),
                       U32(HDR_KEY_BYTES, 16) },
      "Cipher cast5-128 not supported with essiv" },
    { "essiv-twofish-sha1", { STR(HDR_CIPHER_MODE, "cbc-essiv:sha1"),
                              STR(HDR_CIPHER_NAME, "twofish"),
                              U32(HDR_KEY_BYTES, 16) },
      "No Twofish cipher with key size 20 available" },
    { "essiv-serpent-sha1", { STR(HDR_CIPHER_MODE, "cbc-essiv:sha1"),
                              STR(HDR_CIPHER_NAME, "serpent"),
                              U32(HDR_KEY_BYTES, 16) },
      "No Serpent cipher with key size 20 available" },
    { "key-size-xts-halved", { U32(HDR_KEY_BYTES, 40) },
      "Algorithm 'aes' with key size 20 bytes not supported" },
    { "key-size-zero", { STR(HDR_CIPHER_MODE, "cbc-plain"),
                         U32(HDR_KEY_BYTES, 0) },
      "Algorithm 'aes' with key size 0 bytes not supported" },
    { "des", { STR(HDR_CIPHER_NAME, "des"), U32(HDR_KEY_BYTES, 16) },
      "Algorithm 'des' with key size 8 bytes not supported" },
    { "sm4", { STR(HDR_CIPHER_NAME, "sm4"), U32(HDR_KEY_BYTES, 16),
               STR(HDR_CIPHER_MODE, "cbc-plain") },
      "Algorithm 'sm4' with key size 16 bytes not supported" },
    { "name-upper", { STR(HDR_CIPHER_NAME, "AES") },
      "Algorithm 'AES' with key size 32 bytes not supported" },
    { "name-empty", { STR(HDR_CIPHER_NAME, "") },
      "Algorithm '' with key size 32 bytes not supported" },
    { "hash-unknown", { STR(HDR_HASH_SPEC, "sha999") },
      "Hash algorithm 'sha999' not supported" },
    { "hash-upper", { STR(HDR_HASH_SPEC, "SHA256") },
      "Hash algorithm 'SHA256' not supported" },
    { "hash-empty", { STR(HDR_HASH_SPEC, "") },
      "Hash algorithm '' not supported" },
    /* Accepted by 7.2 too. */
    { "ok/plain64-with-hash", { STR(HDR_CIPHER_MODE, "xts-plain64:sha1") } },
    { "ok/essiv-md5", { STR(HDR_CIPHER_MODE, "xts-essiv:md5") } },
    { "ok/cast5-essiv-md5", { STR(HDR_CIPHER_MODE, "cbc-essiv:md5"),
                              STR(HDR_CIPHER_NAME, "cast5"),
                              U32(HDR_KEY_BYTES, 16) } },
    { "ok/serpent-192-essiv", { STR(HDR_CIPHER_MODE, "cbc-essiv:sha256"),
                                STR(HDR_CIPHER_NAME, "serpent"),
                                U32(HDR_KEY_BYTES, 24) } },
    { "ok/aes-192-xts", { U32(HDR_KEY_BYTES, 48) } },
    { "ok/hash-md5", { STR(HDR_HASH_SPEC, "md5") } },
    { "ok/hash-ripemd160", { STR(HDR_HASH_SPEC, "ripemd160") } },
};

static TestDisk *reference_xts;     /* the default qemu-img image */

/* Apply @edits to @disk's header. */
static void header_apply(TestDisk *disk, const HeaderEdit *edits,
                         size_t n)
{
    size_t i;

    for (i = 0; i < n && edits[i].kind != EDIT_END; i++) {
        uint8_t *p = disk->data->data + edits[i].offset;

        switch (edits[i].kind) {
        case EDIT_U16:
            stw_be_p(p, edits[i].num);
            break;
        case EDIT_U32:
            stl_be_p(p, edits[i].num);
            break;
        case EDIT_STR:
            memset(p, 0, 32);
            memcpy(p, edits[i].str, strlen(edits[i].str));
            break;
        case EDIT_FILL:
            memset(p, edits[i].num, 32);
            break;
        default:
            g_assert_not_reached();
        }
    }
}

static void test_header_check(gconstpointer opaque)
{
    const HeaderCase *c = opaque;
    g_autoptr(TestDisk) disk = test_disk_copy(reference_xts);
    g_autoptr(QCryptoBlock) block = NULL;
    Error *err = NULL;

    header_apply(disk, c->edits, G_N_ELEMENTS(c->edits));
    block = luks_open(disk, NULL, QCRYPTO_BLOCK_OPEN_NO_IO, &err);
    if (c->message) {
        g_assert_null(block);
        assert_error(err, c->message);
    } else {
        g_assert_nonnull(block);
        g_assert_null(err);
    }
}

/* Values 7.2's info shows for headers it accepts with odd names. */
static void test_header_info_odd_names(void)
{
    static const struct {
        HeaderEdit edits[3];
        const char *cipher_alg, *cipher_mode, *ivgen_alg, *ivgen_hash_alg;
    } cases[] = {
        { { STR(HDR_CIPHER_MODE, "xts-plain64:sha1") },
          "aes-256", "xts", "plain64", NULL },
        { { STR(HDR_CIPHER_MODE, "cbc-essiv:sha256"),
            STR(HDR_CIPHER_NAME, "serpent"), U32(HDR_KEY_BYTES, 24) },
          "serpent-192", "cbc", "essiv", "sha256" },
        { { STR(HDR_CIPHER_MODE, "xts-plain"),
            STR(HDR_CIPHER_NAME, "twofish"), U32(HDR_KEY_BYTES, 32) },
          "twofish-128", "xts", "plain", NULL },
        { { STR(HDR_CIPHER_MODE, "cbc-essiv:md5"),
            STR(HDR_CIPHER_NAME, "cast5"), U32(HDR_KEY_BYTES, 16) },
          "cast5-128", "cbc", "essiv", "md5" },
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(TestDisk) disk = test_disk_copy(reference_xts);
        g_autoptr(QCryptoBlock) block = NULL;
        g_autoptr(QObject) info = NULL;

        header_apply(disk, cases[i].edits, G_N_ELEMENTS(cases[i].edits));
        block = luks_open(disk, NULL, QCRYPTO_BLOCK_OPEN_NO_IO, &error_abort);
        info = qcrypto_block_get_info(block);
        g_assert_cmpstr(qdict_get_str(info, "cipher-alg"), ==,
                        cases[i].cipher_alg);
        g_assert_cmpstr(qdict_get_str(info, "cipher-mode"), ==,
                        cases[i].cipher_mode);
        g_assert_cmpstr(qdict_get_str(info, "ivgen-alg"), ==,
                        cases[i].ivgen_alg);
        g_assert_cmpstr(qdict_get_str(info, "ivgen-hash-alg"), ==,
                        cases[i].ivgen_hash_alg);
    }
}

/* ------------------------------------------------------------------ */
/* Open errors                                                         */
/* ------------------------------------------------------------------ */

static void test_open_wrong_password(void)
{
    Error *err = NULL;

    g_assert_null(luks_open(reference_xts, "sec2", 0, &err));
    assert_error(err, "Invalid password, cannot unlock any keyslot");
}

/* As in 7.2, the key secret is demanded before the header is read. */
static void test_open_no_secret(void)
{
    g_autoptr(TestDisk) disk = test_disk_copy(reference_xts);
    QCryptoBlockOpenOptions opts = { .format = QCRYPTO_BLOCK_FORMAT_LUKS };
    Error *err = NULL;

    disk->data->data[0] = 'X';
    g_assert_null(luks_open(disk, NULL, 0, &err));
    assert_error(err, "Parameter 'key-secret' is required for cipher");
    err = NULL;
    g_assert_null(qcrypto_block_open(&opts, "encrypt.", test_disk_read, disk,
                                     0, &err));
    assert_error(err, "Parameter 'encrypt.key-secret' is required for cipher");
    err = NULL;
    g_assert_null(luks_open(disk, "nosuch", 0, &err));
    assert_error(err, "No secret with id 'nosuch'");
    err = NULL;
    g_assert_null(luks_open(disk, "badutf8", 0, &err));
    assert_error(err, "Data from secret badutf8 is not valid UTF-8");
    err = NULL;
    g_assert_null(luks_open(disk, "sec0", 0, &err));
    assert_error(err, "Volume is not in LUKS format");
}

/* Read errors of the callback are passed on unchanged. */
static void test_open_short_read(void)
{
    g_autoptr(TestDisk) disk = test_disk_copy(reference_xts);
    Error *err = NULL;

    g_byte_array_set_size(disk->data, 500);
    g_assert_null(luks_open(disk, NULL, QCRYPTO_BLOCK_OPEN_NO_IO, &err));
    assert_error(err, "Read of 592 bytes at 0 is past the end");
}

static void test_has_format(void)
{
    const uint8_t *hdr = reference_xts->data->data;
    g_autofree uint8_t *v2 = g_memdup2(hdr, 592);

    g_assert_true(qcrypto_block_has_format(QCRYPTO_BLOCK_FORMAT_LUKS, hdr,
                                           592));
    g_assert_true(qcrypto_block_has_format(QCRYPTO_BLOCK_FORMAT_LUKS, hdr,
                                           8));
    g_assert_false(qcrypto_block_has_format(QCRYPTO_BLOCK_FORMAT_LUKS, hdr,
                                            7));
    g_assert_false(qcrypto_block_has_format(QCRYPTO_BLOCK_FORMAT_QCOW, hdr,
                                            592));
    /* 7.2 probes a LUKS version 2 volume as raw. */
    v2[7] = 2;
    g_assert_false(qcrypto_block_has_format(QCRYPTO_BLOCK_FORMAT_LUKS, v2,
                                            592));
}

/* ------------------------------------------------------------------ */
/* Amend                                                               */
/* ------------------------------------------------------------------ */

typedef struct AmendCase {
    const char *path;
    QCryptoBlockAmendOptions opts;
    bool force;
    const char *message;
} AmendCase;

/*
 * Against the reference aes-256-xts image (slot 0 active with "123456");
 * messages from `qemu-img amend` 7.2 with the same -o options.
 */
static const AmendCase amend_cases[] = {
    { "no-state", { NEW("sec1") }, false, "Parameter 'state' is missing" },
    { "add/no-new", { ACTIVE }, false,
      "'new-secret' is required to activate a keyslot" },
    { "add/old-given", { ACTIVE, NEW("sec1"), OLD("sec0") }, false,
      "'old-secret' must not be given when activating keyslots" },
    { "add/slot-8", { ACTIVE, NEW("sec1"), KEYSLOT(8) }, false,
      "Invalid keyslot 8 specified, must be between 0 and 7" },
    { "add/slot-minus-1", { ACTIVE, NEW("sec1"), KEYSLOT(UINT64_MAX) },
      false, "Invalid keyslot 4294967295 specified, must be between 0 and 7" },
    { "add/slot-active", { ACTIVE, NEW("sec1"), KEYSLOT(0) }, false,
      "Refusing to overwrite active keyslot 0 - please erase it first" },
    { "add/slot-2^32", { ACTIVE, NEW("sec1"), KEYSLOT(1ULL << 32) }, false,
      "Refusing to overwrite active keyslot 0 - please erase it first" },
    { "add/unknown-secret", { ACTIVE, NEW("nosuch"), ITER(10) }, false,
      "No secret with id 'nosuch'" },
    { "erase/nothing", { INACTIVE }, false,
      "To erase keyslot(s), either explicit keyslot index or the password "
      "currently contained in them must be given" },
    { "erase/new-given", { INACTIVE, NEW("sec1") }, false,
      "'new-secret' must not be given when erasing keyslots" },
    { "erase/iter-given", { INACTIVE, ITER(10) }, false,
      "'iter-time' must not be given when erasing keyslots" },
    { "erase/slot-9", { INACTIVE, KEYSLOT(9) }, false,
      "Invalid keyslot 9 specified, must be between 0 and 7" },
    { "erase/slot-minus-1", { INACTIVE, KEYSLOT(UINT64_MAX) }, false,
      "Invalid keyslot -1 specified, must be between 0 and 7" },
    { "erase/slot-minus-1-old", { INACTIVE, KEYSLOT(UINT64_MAX),
                                  OLD("sec0") }, false,
      "Invalid keyslot -1 specified, must be between 0 and 7" },
    { "erase/inactive", { INACTIVE, KEYSLOT(2) }, false,
      "Given keyslot 2 is already erased (inactive) " },
    { "erase/inactive-wrong-old", { INACTIVE, KEYSLOT(2), OLD("sec1") },
      false, "Given keyslot 2 doesn't contain the given old password for "
      "erase operation" },
    { "erase/wrong-old", { INACTIVE, KEYSLOT(0), OLD("sec1") }, false,
      "Given keyslot 0 doesn't contain the given old password for erase "
      "operation" },
    { "erase/no-match", { INACTIVE, OLD("sec2") }, false,
      "No keyslots match given (old) password for erase operation" },
    { "erase/unknown-old", { INACTIVE, OLD("nosuch") }, false,
      "No secret with id 'nosuch'" },
    { "erase/only-slot", { INACTIVE, KEYSLOT(0) }, false,
      "Attempt to erase the only active keyslot 0 which will erase all the "
      "data in the image irreversibly - refusing operation" },
    { "erase/all-match", { INACTIVE, OLD("sec0") }, false,
      "All the active keyslots match the (old) password that was given and "
      "erasing them will erase all the data in the image irreversibly - "
      "refusing operation" },
};

/* Rejected changes leave the volume exactly as it was. */
static void test_amend_error(gconstpointer opaque)
{
    const AmendCase *c = opaque;
    g_autoptr(TestDisk) disk = test_disk_copy(reference_xts);
    g_autoptr(QCryptoBlock) block = luks_open(disk, "sec0", 0, &error_abort);
    Error *err = NULL;

    g_assert_cmpint(amend(block, disk, &c->opts, c->force, &err), ==, -1);
    assert_error(err, c->message);
    g_assert_cmpmem(disk->data->data, disk->data->len,
                    reference_xts->data->data, reference_xts->data->len);
}

/* Returns: whether @secret unlocks @disk. */
static bool unlocks(TestDisk *disk, const char *secret)
{
    Error *err = NULL;
    g_autoptr(QCryptoBlock) block = luks_open(disk, secret, 0, &err);

    if (!block) {
        assert_error(err, "Invalid password, cannot unlock any keyslot");
    }
    return block != NULL;
}

/* Add to a chosen slot and the first free one; erase by slot. */
static void test_amend_add_erase(void)
{
    g_autoptr(TestDisk) disk = test_disk_copy(reference_xts);
    g_autoptr(QCryptoBlock) block = luks_open(disk, "sec0", 0, &error_abort);
    QCryptoBlockAmendOptions add3 = { ACTIVE, NEW("sec1"), KEYSLOT(3),
                                      ITER(0) };
    QCryptoBlockAmendOptions add = { ACTIVE, NEW("sec2"), ITER(0) };
    QCryptoBlockAmendOptions erase3 = { INACTIVE, KEYSLOT(3) };
    g_autofree uint8_t *material = NULL;
    static const uint8_t zero_salt[32];
    size_t slot3 = 778240, len = 64 * 4000;

    g_assert_cmpint(amend(block, disk, &add3, false, &error_abort), ==, 0);
    g_assert_cmpuint(hdr_get32(disk, SLOT(3, SLOT_ACTIVE)), ==,
                     SLOT_ENABLED);
    g_assert_cmpuint(hdr_get32(disk, SLOT(3, SLOT_ITERS)), ==, 1000);
    g_assert_true(unlocks(disk, "sec1"));
    check_pattern(block, disk, 0, 512, 0xa5);

    /* Without a keyslot, the first inactive one is used. */
    g_assert_cmpint(amend(block, disk, &add, false, &error_abort), ==, 0);
    g_assert_cmpuint(hdr_get32(disk, SLOT(1, SLOT_ACTIVE)), ==,
                     SLOT_ENABLED);
    g_assert_true(unlocks(disk, "sec2"));

    material = g_memdup2(disk->data->data + slot3, len);
    g_assert_cmpint(amend(block, disk, &erase3, false, &error_abort), ==, 0);
    g_assert_cmpuint(hdr_get32(disk, SLOT(3, SLOT_ACTIVE)), ==, 0xDEAD);
    g_assert_cmpuint(hdr_get32(disk, SLOT(3, SLOT_ITERS)), ==, 0);
    g_assert_cmpmem(disk->data->data + SLOT(3, SLOT_SALT), 32,
                    zero_salt, 32);
    /* The key material was overwritten with something else. */
    g_assert_true(memcmp(material, disk->data->data + slot3, len) != 0);
    g_assert_false(unlocks(disk, "sec1"));
    g_assert_true(unlocks(disk, "sec0"));
}

/* Erase by password removes every matching slot and no other. */
static void test_amend_erase_by_password(void)
{
    g_autoptr(TestDisk) disk = test_disk_copy(reference_xts);
    g_autoptr(QCryptoBlock) block = luks_open(disk, "sec0", 0, &error_abort);
    QCryptoBlockAmendOptions add5 = { ACTIVE, NEW("sec1"), KEYSLOT(5),
                                      ITER(0) };
    QCryptoBlockAmendOptions add6 = { ACTIVE, NEW("sec1"), KEYSLOT(6),
                                      ITER(0) };
    QCryptoBlockAmendOptions erase = { INACTIVE, OLD("sec1") };

    g_assert_cmpint(amend(block, disk, &add5, false, &error_abort), ==, 0);
    g_assert_cmpint(amend(block, disk, &add6, false, &error_abort), ==, 0);
    g_assert_cmpint(amend(block, disk, &erase, false, &error_abort), ==, 0);
    g_assert_cmpuint(hdr_get32(disk, SLOT(5, SLOT_ACTIVE)), ==, 0xDEAD);
    g_assert_cmpuint(hdr_get32(disk, SLOT(6, SLOT_ACTIVE)), ==, 0xDEAD);
    g_assert_cmpuint(hdr_get32(disk, SLOT(0, SLOT_ACTIVE)), ==,
                     SLOT_ENABLED);
    g_assert_true(unlocks(disk, "sec0"));
}

/* --force overwrites an active slot, erases inactive and last slots. */
static void test_amend_force(void)
{
    g_autoptr(TestDisk) disk = test_disk_copy(reference_xts);
    g_autoptr(QCryptoBlock) block = luks_open(disk, "sec0", 0, &error_abort);
    QCryptoBlockAmendOptions replace0 = { ACTIVE, NEW("sec1"), KEYSLOT(0),
                                          ITER(0) };
    QCryptoBlockAmendOptions erase2 = { INACTIVE, KEYSLOT(2) };
    QCryptoBlockAmendOptions erase0 = { INACTIVE, KEYSLOT(0) };

    g_assert_cmpint(amend(block, disk, &replace0, true, &error_abort), ==, 0);
    g_assert_false(unlocks(disk, "sec0"));
    g_assert_true(unlocks(disk, "sec1"));
    g_assert_cmpint(amend(block, disk, &erase2, true, &error_abort), ==, 0);
    g_assert_cmpint(amend(block, disk, &erase0, true, &error_abort), ==, 0);
    g_assert_false(unlocks(disk, "sec1"));
}

static void test_amend_all_slots_used(void)
{
    g_autoptr(TestDisk) disk = test_disk_copy(reference_xts);
    g_autoptr(QCryptoBlock) block = luks_open(disk, "sec0", 0, &error_abort);
    QCryptoBlockAmendOptions add = { ACTIVE, NEW("sec1"), ITER(0) };
    Error *err = NULL;
    int i;

    for (i = 1; i < 8; i++) {
        g_assert_cmpint(amend(block, disk, &add, false, &error_abort), ==, 0);
    }
    g_assert_cmpint(amend(block, disk, &add, false, &err), ==, -1);
    assert_error(err, "Can't add a keyslot - all keyslots are in use");
}

/* What was written is read back and checked before success is reported. */
static void test_amend_verify(void)
{
    g_autoptr(TestDisk) disk = test_disk_copy(reference_xts);
    g_autoptr(QCryptoBlock) block = luks_open(disk, "sec0", 0, &error_abort);
    QCryptoBlockAmendOptions add = { ACTIVE, NEW("sec1"), ITER(0) };
    Error *err = NULL;

    disk->drop_header_writes = true;
    g_assert_cmpint(amend(block, disk, &add, false, &err), ==, -1);
    assert_error(err, "LUKS header read back differs from the header "
                 "written");
    disk->drop_header_writes = false;
    g_assert_cmpuint(hdr_get32(disk, SLOT(1, SLOT_ACTIVE)), ==, 0xDEAD);

    err = NULL;
    disk->corrupt_material = true;
    g_assert_cmpint(amend(block, disk, &add, false, &err), ==, -1);
    assert_error(err, "Keyslot 1 does not hold the master key after "
                 "writing it");
    /* The header was never changed to point at the bad material. */
    g_assert_cmpuint(hdr_get32(disk, SLOT(1, SLOT_ACTIVE)), ==, 0xDEAD);
}

/* A slot cannot be added where 7.2 would abort (24-byte keys). */
static void test_amend_unaligned_material(void)
{
    g_autoptr(TestDisk) disk =
        test_disk_load("luks-cryptsetup-aes-192-cbc-essiv");
    g_autoptr(QCryptoBlock) block = luks_open(disk, "sec0", 0, &error_abort);
    QCryptoBlockAmendOptions add = { ACTIVE, NEW("sec1"), ITER(0) };
    Error *err = NULL;

    g_assert_cmpint(amend(block, disk, &add, false, &err), ==, -1);
    assert_error(err, "Cipher aes-192 in mode cbc is not supported: its "
                 "96000 bytes of key material are not a multiple of the "
                 "512-byte sector size");
}

/* ------------------------------------------------------------------ */
/* Info of created volumes                                             */
/* ------------------------------------------------------------------ */

/* Structure as 7.2: inactive slots carry only active and key-offset. */
static void test_info_created(void)
{
    g_autoptr(QCryptoBlock) block = test_block_xts();
    g_autoptr(QObject) info = qcrypto_block_get_info(block);
    QObject *slots = qdict_get(info, "slots");
    size_t i;

    g_assert_cmpuint(qdict_size(info), ==, 8);
    g_assert_false(qdict_haskey(info, "ivgen-hash-alg"));
    g_assert_cmpstr(qdict_get_str(info, "cipher-alg"), ==, "aes-256");
    g_assert_cmpstr(qdict_get_str(info, "cipher-mode"), ==, "xts");
    g_assert_cmpstr(qdict_get_str(info, "ivgen-alg"), ==, "plain64");
    g_assert_cmpstr(qdict_get_str(info, "hash-alg"), ==, "sha256");
    g_assert_cmpint(strlen(qdict_get_str(info, "uuid")), ==, 36);
    g_assert_cmpint(qdict_get_str(info, "uuid")[14], ==, '4');
    g_assert_cmpuint(qobject_get_uint(qdict_get(info, "payload-offset")), ==,
                     2068480);
    g_assert_cmpuint(qlist_size(slots), ==, 8);
    for (i = 0; i < 8; i++) {
        QObject *slot = qlist_get(slots, i);

        g_assert_cmpuint(qdict_size(slot), ==, i ? 2 : 4);
        g_assert_cmpuint(qobject_get_uint(qdict_get(slot, "key-offset")), ==,
                         4096 + i * 258048);
    }
}

/* ------------------------------------------------------------------ */
/* Option tables                                                       */
/* ------------------------------------------------------------------ */

/* The lines of `qemu-img create -f luks -o help` 7.2, without "size". */
static const char luks_create_help[] =
    "  cipher-alg=<str>       - Name of encryption cipher algorithm\n"
    "  cipher-mode=<str>      - Name of encryption cipher mode\n"
    "  hash-alg=<str>         - Name of encryption hash algorithm\n"
    "  iter-time=<num>        - Time to spend in PBKDF in milliseconds\n"
    "  ivgen-alg=<str>        - Name of IV generator algorithm\n"
    "  ivgen-hash-alg=<str>   - Name of IV generator hash algorithm\n"
    "  key-secret=<str>       - ID of the secret that provides the keyslot "
    "passphrase\n";

/* The lines of `qemu-img amend -f luks -o help` 7.2. */
static const char luks_amend_help[] =
    "  iter-time=<num>        - Time to spend in PBKDF in milliseconds\n"
    "  keyslot=<num>          - Select a single keyslot to modify "
    "explicitly\n"
    "  new-secret=<str>       - New secret to set in the matching keyslots. "
    "Empty string to erase\n"
    "  old-secret=<str>       - Select all keyslots that match this "
    "password\n"
    "  state=<str>            - Select new state of affected keyslots "
    "(active/inactive)\n";

static void test_options_help(void)
{
    g_autoptr(GString) create = g_string_new("");
    g_autoptr(GString) amend_help = g_string_new("");

    qopts_print_help(create, qcrypto_block_create_opts_luks);
    g_assert_cmpstr(create->str, ==, luks_create_help);
    qopts_print_help(amend_help, qcrypto_block_amend_opts_luks);
    g_assert_cmpstr(amend_help->str, ==, luks_amend_help);
}

/* The tables fill every field of the option structs. */
static void test_options_parse(void)
{
    g_autoptr(QObject) dict = keyval_parse(
        "key-secret=sec0,cipher-alg=twofish-128,cipher-mode=cbc,"
        "ivgen-alg=essiv,ivgen-hash-alg=sha1,hash-alg=sha512,iter-time=10",
        NULL, &error_abort);
    g_autoptr(QObject) adict = keyval_parse(
        "state=inactive,keyslot=3,old-secret=a,new-secret=b,iter-time=7",
        NULL, &error_abort);
    QCryptoBlockCreateOptions c = { .format = QCRYPTO_BLOCK_FORMAT_LUKS };
    QCryptoBlockAmendOptions a = { .has_state = false };

    g_assert_true(qopts_validate(qcrypto_block_create_opts_luks, dict,
                                 &error_abort));
    g_assert_true(qopts_to_struct(qcrypto_block_create_opts_luks, dict, "",
                                  &c, &error_abort));
    g_assert_cmpstr(c.key_secret, ==, "sec0");
    g_assert_true(c.has_cipher_alg && c.has_cipher_mode && c.has_ivgen_alg &&
                  c.has_ivgen_hash_alg && c.has_hash_alg && c.has_iter_time);
    g_assert_cmpint(c.cipher_alg, ==, QCRYPTO_CIPHER_ALGO_TWOFISH_128);
    g_assert_cmpint(c.cipher_mode, ==, QCRYPTO_CIPHER_MODE_CBC);
    g_assert_cmpint(c.ivgen_alg, ==, QCRYPTO_IVGEN_ALGO_ESSIV);
    g_assert_cmpint(c.ivgen_hash_alg, ==, QCRYPTO_HASH_ALGO_SHA1);
    g_assert_cmpint(c.hash_alg, ==, QCRYPTO_HASH_ALGO_SHA512);
    g_assert_cmpuint(c.iter_time, ==, 10);
    qopts_free_struct(qcrypto_block_create_opts_luks, &c);

    g_assert_true(qopts_validate(qcrypto_block_amend_opts_luks, adict,
                                 &error_abort));
    g_assert_true(qopts_to_struct(qcrypto_block_amend_opts_luks, adict, "",
                                  &a, &error_abort));
    g_assert_true(a.has_state && a.has_keyslot && a.has_old_secret &&
                  a.has_new_secret && a.has_iter_time);
    g_assert_cmpint(a.state, ==, QCRYPTO_BLOCK_LUKS_KEYSLOT_STATE_INACTIVE);
    g_assert_cmpuint(a.keyslot, ==, 3);
    g_assert_cmpstr(a.old_secret, ==, "a");
    g_assert_cmpstr(a.new_secret, ==, "b");
    g_assert_cmpuint(a.iter_time, ==, 7);
    qopts_free_struct(qcrypto_block_amend_opts_luks, &a);
}

/* Bad enum values are reported as qemu-img 7.2 reports them. */
static void test_options_bad_enum(void)
{
    static const struct {
        const QOptDesc *table;
        const char *opts;
        const char *message;
    } cases[] = {
        { qcrypto_block_create_opts_luks, "cipher-alg=aes-999",
          "Parameter 'cipher-alg' does not accept value 'aes-999'" },
        { qcrypto_block_create_opts_luks, "cipher-mode=ofb",
          "Parameter 'cipher-mode' does not accept value 'ofb'" },
        { qcrypto_block_create_opts_luks, "ivgen-alg=foo",
          "Parameter 'ivgen-alg' does not accept value 'foo'" },
        { qcrypto_block_create_opts_luks, "hash-alg=foo",
          "Parameter 'hash-alg' does not accept value 'foo'" },
        { qcrypto_block_amend_opts_luks, "state=foo",
          "Parameter 'state' does not accept value 'foo'" },
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(QObject) dict = keyval_parse(cases[i].opts, NULL,
                                               &error_abort);
        QCryptoBlockCreateOptions c = { .format = QCRYPTO_BLOCK_FORMAT_LUKS };
        QCryptoBlockAmendOptions a = { .has_state = false };
        void *out = cases[i].table == qcrypto_block_amend_opts_luks ?
                    (void *)&a : (void *)&c;
        Error *err = NULL;

        g_assert_false(qopts_to_struct(cases[i].table, dict, "", out, &err));
        assert_error(err, cases[i].message);
    }
}

/* ------------------------------------------------------------------ */
/* Legacy qcow AES                                                     */
/* ------------------------------------------------------------------ */

static QCryptoBlock *qcow_open(const char *secret, unsigned int flags,
                               Error **errp)
{
    QCryptoBlockOpenOptions opts = {
        .format = QCRYPTO_BLOCK_FORMAT_QCOW,
        .key_secret = (char *)secret,
    };

    return qcrypto_block_open(&opts, "encrypt.", NULL, NULL, flags, errp);
}

/*
 * tests/images/qcow-aes-0x10000.bin.gz: guest offset 0x10000 of a legacy
 * AES qcow2 made by qemu-img 7.2 with password "123456".
 */
static void test_qcow_reference(void)
{
    g_autoptr(TestDisk) data = test_disk_load_file("qcow-aes-0x10000.bin.gz");
    g_autoptr(QCryptoBlock) block = qcow_open("sec0", 0, &error_abort);
    uint8_t expected[2048];

    g_assert_cmpuint(data->data->len, ==, 2048);
    memset(expected, 0x5a, 1024);
    memset(expected + 1024, 0, 1024);
    qcrypto_block_decrypt(block, 0x10000, data->data->data, 2048);
    g_assert_cmpmem(data->data->data, 2048, expected, 2048);
    g_assert_cmpuint(qcrypto_block_get_payload_offset(block), ==, 0);
}

/* The key is the password cut at 16 bytes or zero-padded to 16. */
static void test_qcow_key(void)
{
    g_autoptr(QCryptoBlock) full = qcow_open("pw16", 0, &error_abort);
    g_autoptr(QCryptoBlock) longer = qcow_open("pw19", 0, &error_abort);
    g_autoptr(QCryptoBlock) shorter = qcow_open("sec0", 0, &error_abort);
    uint8_t a[512], b[512], c[512];

    memset(a, 0x42, sizeof(a));
    memcpy(b, a, sizeof(a));
    memcpy(c, a, sizeof(a));
    qcrypto_block_encrypt(full, 512, a, sizeof(a));
    qcrypto_block_encrypt(longer, 512, b, sizeof(b));
    qcrypto_block_encrypt(shorter, 512, c, sizeof(c));
    g_assert_cmpmem(a, sizeof(a), b, sizeof(b));
    g_assert_true(memcmp(a, c, sizeof(a)) != 0);
}

static void test_qcow_errors(void)
{
    g_autoptr(QCryptoBlock) noio = qcow_open(NULL, QCRYPTO_BLOCK_OPEN_NO_IO,
                                             &error_abort);
    g_autoptr(QObject) info = qcrypto_block_get_info(noio);
    QCryptoBlockCreateOptions create = {
        .format = QCRYPTO_BLOCK_FORMAT_QCOW,
    };
    Error *err = NULL;

    g_assert_cmpuint(qdict_size(info), ==, 0);
    g_assert_null(qcow_open(NULL, 0, &err));
    assert_error(err, "Parameter 'encrypt.key-secret' is required for cipher");
    err = NULL;
    g_assert_null(qcow_open("nosuch", 0, &err));
    assert_error(err, "No secret with id 'nosuch'");
    err = NULL;
    g_assert_null(qcrypto_block_create(&create, "encrypt.", NULL, NULL, NULL,
                                       &err));
    assert_error(err, "Parameter 'encrypt.key-secret' is required for cipher");
}

static void test_qcow_amend(void)
{
    g_autoptr(QCryptoBlock) block = qcow_open("sec0", 0, &error_abort);
    QCryptoBlockAmendOptions opts = { ACTIVE, NEW("sec1") };
    Error *err = NULL;

    g_assert_cmpint(qcrypto_block_amend_options(block, NULL, NULL, NULL,
                                                &opts, false, &err), ==, -1);
    assert_error(err, "Crypto format qcow doesn't support format options");
}

/* ------------------------------------------------------------------ */

/* Register the create, open and header tests. */
static void add_create_open_tests(void)
{
    add_cases("/crypto/block/luks/round-trip",
              CASES(round_trip_cases), test_round_trip);
    add_cases("/crypto/block/luks/create-error",
              CASES(create_error_cases), test_create_error);
    g_test_add_func("/crypto/block/luks/create-error/prefix",
                    test_create_error_prefix);
    g_test_add_func("/crypto/block/luks/create/iter-overflow",
                    test_create_iter_overflow);
    g_test_add_func("/crypto/block/luks/create/iter-zero",
                    test_create_iter_zero);
    g_test_add_func("/crypto/block/luks/payload-offsets",
                    test_payload_offsets);
    add_cases("/crypto/block/luks/header",
              CASES(header_cases), test_header_check);
    g_test_add_func("/crypto/block/luks/header/odd-names-info",
                    test_header_info_odd_names);
    g_test_add_func("/crypto/block/luks/open/wrong-password",
                    test_open_wrong_password);
    g_test_add_func("/crypto/block/luks/open/no-secret", test_open_no_secret);
    g_test_add_func("/crypto/block/luks/open/short-read",
                    test_open_short_read);
    g_test_add_func("/crypto/block/luks/has-format", test_has_format);
    g_test_add_func("/crypto/block/luks/info/created", test_info_created);
}

/* Register the amend tests. */
static void add_amend_tests(void)
{
    add_cases("/crypto/block/luks/amend-error",
              CASES(amend_cases), test_amend_error);
    g_test_add_func("/crypto/block/luks/amend/add-erase",
                    test_amend_add_erase);
    g_test_add_func("/crypto/block/luks/amend/erase-by-password",
                    test_amend_erase_by_password);
    g_test_add_func("/crypto/block/luks/amend/force", test_amend_force);
    g_test_add_func("/crypto/block/luks/amend/all-slots-used",
                    test_amend_all_slots_used);
    g_test_add_func("/crypto/block/luks/amend/verify", test_amend_verify);
    g_test_add_func("/crypto/block/luks/amend/unaligned-material",
                    test_amend_unaligned_material);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    add_secrets();
    reference_xts = test_disk_load("luks-qemu-aes-256-xts-plain64");
    shared_block = test_block_xts();

    add_create_open_tests();
    add_amend_tests();
    g_test_add_func("/crypto/block/encrypt/split", test_encrypt_split);
    g_test_add_func("/crypto/block/encrypt/into", test_encrypt_into);
    g_test_add_func("/crypto/block/encrypt/iv-numbering",
                    test_encrypt_iv_numbering);
    g_test_add_func("/crypto/block/encrypt/concurrent",
                    test_encrypt_concurrent);
    g_test_add_func("/crypto/block/encrypt/batch", test_batch);
    g_test_add_func("/crypto/block/encrypt/decrypt-serial",
                    test_decrypt_serial);
    g_test_add_func("/crypto/block/encrypt/batch-concurrent",
                    test_batch_concurrent);
    g_test_add_func("/crypto/block/luks/options/help", test_options_help);
    g_test_add_func("/crypto/block/luks/options/parse", test_options_parse);
    g_test_add_func("/crypto/block/luks/options/bad-enum",
                    test_options_bad_enum);
    g_test_add_func("/crypto/block/qcow/reference", test_qcow_reference);
    g_test_add_func("/crypto/block/qcow/key", test_qcow_key);
    g_test_add_func("/crypto/block/qcow/errors", test_qcow_errors);
    g_test_add_func("/crypto/block/qcow/amend", test_qcow_amend);

    ret = g_test_run();
    qcrypto_block_free(shared_block);
    test_disk_free(reference_xts);
    qcrypto_secret_registry_clear();
    return ret;
}
