/*
 * Unit tests for crypto/ivgen.c: plain, plain64 and essiv known answers,
 * the ESSIV cipher choice, errors, and concurrent use of one generator.
 */
#include "qemu/osdep.h"

#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/ivgen.h"

#include "crypto-test-util.h"

#define KEY16 "000102030405060708090a0b0c0d0e0f"
#define KEY32 KEY16 "101112131415161718191a1b1c1d1e1f"

typedef struct IVGenVector {
    const char *path;           /* below /crypto/ivgen/ */
    QCryptoIVGenAlgo alg;
    QCryptoCipherAlgo cipheralg;
    QCryptoHashAlgo hash;
    const char *key;            /* master key, NULL for plain/plain64 */
    uint64_t sector;
    const char *iv;             /* its length is the IV length asked for */
} IVGenVector;

/*
 * plain and plain64 follow from their definition (little-endian sector,
 * zero padded; plain keeps only the low 32 bits).
 *
 * The essiv answers were computed independently with OpenSSL 3.0's
 * command line tools, e.g. for aes-128 with sha256 and sector 1:
 *   salt=$(printf KEY16 | xxd -r -p | openssl dgst -sha256 -binary |
 *          xxd -p -c 256)
 *   python3 -c "import struct,sys; sys.stdout.buffer.write(
 *               struct.pack('<Q', 1) + bytes(8))" |
 *     openssl enc -aes-256-ecb -K $salt -nopad | xxd -p
 * (cast5: -cast5-ecb with "-provider legacy -provider default" and no
 * padding bytes, its block being 8 bytes), and spot-checked with Python's
 * cryptography package.
 */
static const IVGenVector ivgen_vectors[] = {
    { "plain/aes-128/sector-0", QCRYPTO_IVGEN_ALGO_PLAIN,
      QCRYPTO_CIPHER_ALGO_AES_128, 0, NULL, 0,
      "00000000000000000000000000000000" },
    { "plain/aes-128/sector-123456789", QCRYPTO_IVGEN_ALGO_PLAIN,
      QCRYPTO_CIPHER_ALGO_AES_128, 0, NULL, 0x123456789ULL,
      "89674523000000000000000000000000" },
    { "plain/aes-128/sector-2^32", QCRYPTO_IVGEN_ALGO_PLAIN,
      QCRYPTO_CIPHER_ALGO_AES_128, 0, NULL, 0x100000000ULL,
      "00000000000000000000000000000000" },
    { "plain/cast5-128/sector-ffffffff", QCRYPTO_IVGEN_ALGO_PLAIN,
      QCRYPTO_CIPHER_ALGO_CAST5_128, 0, NULL, 0xffffffffULL,
      "ffffffff00000000" },
    { "plain64/aes-128/sector-123456789", QCRYPTO_IVGEN_ALGO_PLAIN64,
      QCRYPTO_CIPHER_ALGO_AES_128, 0, NULL, 0x123456789ULL,
      "89674523010000000000000000000000" },
    { "plain64/aes-256/sector-max", QCRYPTO_IVGEN_ALGO_PLAIN64,
      QCRYPTO_CIPHER_ALGO_AES_256, 0, NULL, UINT64_MAX,
      "ffffffffffffffff0000000000000000" },
    { "plain64/cast5-128/sector-0102030405060708", QCRYPTO_IVGEN_ALGO_PLAIN64,
      QCRYPTO_CIPHER_ALGO_CAST5_128, 0, NULL, 0x0102030405060708ULL,
      "0807060504030201" },
    /* aes-128 data cipher, sha256 digest: the IV cipher is AES-256 */
    { "essiv/aes-128/sha256/sector-0", QCRYPTO_IVGEN_ALGO_ESSIV,
      QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_HASH_ALGO_SHA256, KEY16, 0,
      "ae0e4eeac063684505721b0643b24ae3" },
    { "essiv/aes-128/sha256/sector-1", QCRYPTO_IVGEN_ALGO_ESSIV,
      QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_HASH_ALGO_SHA256, KEY16, 1,
      "c10509c8cf7d6eee55d7205db7845a6f" },
    { "essiv/aes-128/sha256/sector-123456789abcdef0",
      QCRYPTO_IVGEN_ALGO_ESSIV, QCRYPTO_CIPHER_ALGO_AES_128,
      QCRYPTO_HASH_ALGO_SHA256, KEY16, 0x123456789abcdef0ULL,
      "73f10776ea55e1f3fa95f7825f7b50d7" },
    { "essiv/aes-256/sha256/sector-0", QCRYPTO_IVGEN_ALGO_ESSIV,
      QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_HASH_ALGO_SHA256, KEY32, 0,
      "a73d5fb0e4041090ca6dc1b820cdaf51" },
    /* all 64 bits of the sector count, unlike plain */
    { "essiv/aes-256/sha256/sector-2^32+5", QCRYPTO_IVGEN_ALGO_ESSIV,
      QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_HASH_ALGO_SHA256, KEY32,
      0x100000005ULL, "5f0d0e299824d17c0cf543b68c2d3ea0" },
    /* md5's 16-byte digest picks AES-128 */
    { "essiv/aes-256/md5/sector-7", QCRYPTO_IVGEN_ALGO_ESSIV,
      QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_HASH_ALGO_MD5, KEY16, 7,
      "ab1cccd9af9e9f1f029c3744deec963a" },
    { "essiv/aes-128/md5/sector-0", QCRYPTO_IVGEN_ALGO_ESSIV,
      QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_HASH_ALGO_MD5, KEY16, 0,
      "8e72f1aa55c23664498c6db87c9a4e45" },
    /* an 8-byte block */
    { "essiv/cast5-128/md5/sector-0", QCRYPTO_IVGEN_ALGO_ESSIV,
      QCRYPTO_CIPHER_ALGO_CAST5_128, QCRYPTO_HASH_ALGO_MD5, KEY16, 0,
      "65f19cc83c8ceb58" },
    { "essiv/cast5-128/md5/sector-7", QCRYPTO_IVGEN_ALGO_ESSIV,
      QCRYPTO_CIPHER_ALGO_CAST5_128, QCRYPTO_HASH_ALGO_MD5, KEY16, 7,
      "633a188a1db3c997" },
};

static void test_ivgen_vector(const void *opaque)
{
    const IVGenVector *v = opaque;
    size_t nkey = 0, niv = strlen(v->iv) / 2;
    g_autofree uint8_t *key = v->key ? test_unhex(v->key, &nkey) : NULL;
    g_autofree uint8_t *iv = g_malloc(niv);
    g_autofree char *hex = NULL;
    g_autoptr(QCryptoIVGen) ivgen = NULL;

    ivgen = qcrypto_ivgen_new(v->alg, v->cipheralg, v->hash, key, nkey,
                              &error_abort);
    memset(iv, 0xaa, niv);
    qcrypto_ivgen_calculate(ivgen, v->sector, iv, niv);
    hex = test_hex(iv, niv);
    g_assert_cmpstr(hex, ==, v->iv);
}

/*
 * ESSIV for families no command line tool offers: the IV equals the
 * encryption of le64(sector), padded, by the family member keyed with
 * the whole digest (twofish-128 with sha256 uses twofish-256).
 */
static void test_ivgen_essiv_by_hand(void)
{
    uint8_t key[16] = { 0x5a, 0x01 }, salt[32], want[16], got[16];
    g_autoptr(QCryptoIVGen) ivgen = NULL;
    g_autoptr(QCryptoCipher) cipher = NULL;

    ivgen = qcrypto_ivgen_new(QCRYPTO_IVGEN_ALGO_ESSIV,
                              QCRYPTO_CIPHER_ALGO_TWOFISH_128,
                              QCRYPTO_HASH_ALGO_SHA256, key, sizeof(key),
                              &error_abort);
    qcrypto_hash_bytes(QCRYPTO_HASH_ALGO_SHA256, key, sizeof(key), salt);
    cipher = qcrypto_cipher_new(QCRYPTO_CIPHER_ALGO_TWOFISH_256,
                                QCRYPTO_CIPHER_MODE_ECB, salt, sizeof(salt),
                                &error_abort);
    memset(want, 0, sizeof(want));
    want[0] = 0x34;
    want[1] = 0x12;
    want[4] = 0x01;
    qcrypto_cipher_encrypt(cipher, NULL, want, want, sizeof(want));
    qcrypto_ivgen_calculate(ivgen, 0x100001234ULL, got, sizeof(got));
    g_assert_cmpmem(got, sizeof(got), want, sizeof(want));
}

typedef struct IVGenErrorCase {
    const char *path;
    QCryptoCipherAlgo cipheralg;
    QCryptoHashAlgo hash;
    const char *message;
} IVGenErrorCase;

static const IVGenErrorCase ivgen_errors[] = {
    { "error/aes-sha1", QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_HASH_ALGO_SHA1,
      "Cipher algorithm aes-256 has no variant with a 20-byte key for "
      "ESSIV" },
    { "error/cast5-sha256", QCRYPTO_CIPHER_ALGO_CAST5_128,
      QCRYPTO_HASH_ALGO_SHA256,
      "Cipher algorithm cast5-128 has no variant with a 32-byte key for "
      "ESSIV" },
    { "error/serpent-sha512", QCRYPTO_CIPHER_ALGO_SERPENT_128,
      QCRYPTO_HASH_ALGO_SHA512,
      "Cipher algorithm serpent-128 has no variant with a 64-byte key for "
      "ESSIV" },
};

static void test_ivgen_error(const void *opaque)
{
    const IVGenErrorCase *c = opaque;
    uint8_t key[32] = { 0 };
    g_autoptr(Error) err = NULL;

    g_assert_null(qcrypto_ivgen_new(QCRYPTO_IVGEN_ALGO_ESSIV, c->cipheralg,
                                    c->hash, key, sizeof(key), &err));
    g_assert_cmpstr(error_get_pretty(err), ==, c->message);
}

static void test_ivgen_tables(void)
{
    g_assert_cmpint(QCryptoIVGenAlgo_lookup.size, ==, 3);
    g_assert_cmpstr(qapi_enum_lookup(&QCryptoIVGenAlgo_lookup,
                                     QCRYPTO_IVGEN_ALGO_PLAIN), ==, "plain");
    g_assert_cmpstr(qapi_enum_lookup(&QCryptoIVGenAlgo_lookup,
                                     QCRYPTO_IVGEN_ALGO_PLAIN64), ==,
                    "plain64");
    g_assert_cmpstr(qapi_enum_lookup(&QCryptoIVGenAlgo_lookup,
                                     QCRYPTO_IVGEN_ALGO_ESSIV), ==, "essiv");
}

#define IVGEN_THREADS 4
#define IVGEN_SECTORS 20000

typedef struct IVGenThread {
    QCryptoIVGen *ivgen;
    const uint8_t *want;        /* IVGEN_SECTORS expected IVs */
    bool ok;
} IVGenThread;

static gpointer ivgen_thread(gpointer opaque)
{
    IVGenThread *t = opaque;
    uint8_t iv[16];
    uint64_t sector;

    t->ok = true;
    for (sector = 0; sector < IVGEN_SECTORS; sector++) {
        qcrypto_ivgen_calculate(t->ivgen, sector, iv, sizeof(iv));
        t->ok &= memcmp(iv, t->want + sector * 16, 16) == 0;
    }
    return NULL;
}

/* One ESSIV generator serves several threads at once. */
static void test_ivgen_essiv_threads(void)
{
    uint8_t key[32] = { 0x11, 0x22 };
    g_autoptr(QCryptoIVGen) ivgen = NULL;
    g_autofree uint8_t *want = g_malloc(IVGEN_SECTORS * 16);
    IVGenThread t[IVGEN_THREADS];
    GThread *th[IVGEN_THREADS];
    uint64_t sector;
    int i;

    ivgen = qcrypto_ivgen_new(QCRYPTO_IVGEN_ALGO_ESSIV,
                              QCRYPTO_CIPHER_ALGO_AES_256,
                              QCRYPTO_HASH_ALGO_SHA256, key, sizeof(key),
                              &error_abort);
    for (sector = 0; sector < IVGEN_SECTORS; sector++) {
        qcrypto_ivgen_calculate(ivgen, sector, want + sector * 16, 16);
    }
    for (i = 0; i < IVGEN_THREADS; i++) {
        t[i] = (IVGenThread) { .ivgen = ivgen, .want = want };
        th[i] = g_thread_new("ivgen", ivgen_thread, &t[i]);
    }
    for (i = 0; i < IVGEN_THREADS; i++) {
        g_thread_join(th[i]);
        g_assert_true(t[i].ok);
    }
}

int main(int argc, char **argv)
{
    size_t i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(ivgen_vectors); i++) {
        g_autofree char *path = g_strdup_printf("/crypto/ivgen/%s",
                                                ivgen_vectors[i].path);

        g_test_add_data_func(path, &ivgen_vectors[i], test_ivgen_vector);
    }
    for (i = 0; i < G_N_ELEMENTS(ivgen_errors); i++) {
        g_autofree char *path = g_strdup_printf("/crypto/ivgen/%s",
                                                ivgen_errors[i].path);

        g_test_add_data_func(path, &ivgen_errors[i], test_ivgen_error);
    }
    g_test_add_func("/crypto/ivgen/essiv/twofish-128/sha256/by-hand",
                    test_ivgen_essiv_by_hand);
    g_test_add_func("/crypto/ivgen/essiv/threads", test_ivgen_essiv_threads);
    g_test_add_func("/crypto/ivgen/tables", test_ivgen_tables);
    return g_test_run();
}
