/*
 * Unit tests for crypto/hash*.c: published digests of every algorithm,
 * scattered input, names and digest sizes.
 */
#include "qemu/osdep.h"

#include "crypto/hash.h"

#include "crypto-test-util.h"

/* FIPS 180-2 and RFC 1321 example messages. */
#define MSG_ABC "abc"
#define MSG_448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define MSG_896 \
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn" \
    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"

typedef struct HashVector {
    const char *path;           /* below /crypto/hash/ */
    QCryptoHashAlgo alg;
    const char *message;
    const char *digest;
} HashVector;

static const HashVector hash_vectors[] = {
    /* RFC 1321 Appendix A.5 */
    { "md5/rfc1321-empty", QCRYPTO_HASH_ALGO_MD5, "",
      "d41d8cd98f00b204e9800998ecf8427e" },
    { "md5/rfc1321-abc", QCRYPTO_HASH_ALGO_MD5, MSG_ABC,
      "900150983cd24fb0d6963f7d28e17f72" },
    /* FIPS 180-2 Appendix A.1 and A.2 */
    { "sha1/fips180-abc", QCRYPTO_HASH_ALGO_SHA1, MSG_ABC,
      "a9993e364706816aba3e25717850c26c9cd0d89d" },
    { "sha1/fips180-448", QCRYPTO_HASH_ALGO_SHA1, MSG_448,
      "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
    /* FIPS 180-2 Change Notice 1, SHA-224 examples */
    { "sha224/fips180-abc", QCRYPTO_HASH_ALGO_SHA224, MSG_ABC,
      "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7" },
    { "sha224/fips180-448", QCRYPTO_HASH_ALGO_SHA224, MSG_448,
      "75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525" },
    /* FIPS 180-2 Appendix B.1 and B.2 */
    { "sha256/fips180-abc", QCRYPTO_HASH_ALGO_SHA256, MSG_ABC,
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
    { "sha256/fips180-448", QCRYPTO_HASH_ALGO_SHA256, MSG_448,
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
    /* FIPS 180-2 Appendix D.1 and D.2 */
    { "sha384/fips180-abc", QCRYPTO_HASH_ALGO_SHA384, MSG_ABC,
      "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
      "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7" },
    { "sha384/fips180-896", QCRYPTO_HASH_ALGO_SHA384, MSG_896,
      "09330c33f71147e83d192fc782cd1b4753111b173b3b05d2"
      "2fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039" },
    /* FIPS 180-2 Appendix C.1 and C.2 */
    { "sha512/fips180-abc", QCRYPTO_HASH_ALGO_SHA512, MSG_ABC,
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f" },
    { "sha512/fips180-896", QCRYPTO_HASH_ALGO_SHA512, MSG_896,
      "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
      "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909" },
    /* RIPEMD-160 specification (Dobbertin, Bosselaers, Preneel),
     * test vectors */
    { "ripemd160/spec-empty", QCRYPTO_HASH_ALGO_RIPEMD160, "",
      "9c1185a5c5e9fc54612808977ee8f548b2258d31" },
    { "ripemd160/spec-abc", QCRYPTO_HASH_ALGO_RIPEMD160, MSG_ABC,
      "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc" },
    { "ripemd160/spec-448", QCRYPTO_HASH_ALGO_RIPEMD160, MSG_448,
      "12a053384a9c0c88e405a06c27dcf49ada62eb2b" },
};

/* A published digest, from one buffer. */
static void test_hash_vector(const void *opaque)
{
    const HashVector *v = opaque;
    uint8_t out[QCRYPTO_HASH_MAX_DIGEST_LEN];
    size_t len = qcrypto_hash_digest_len(v->alg);
    g_autofree char *hex = NULL;

    g_assert_true(qcrypto_hash_supports(v->alg));
    g_assert_cmpuint(2 * len, ==, strlen(v->digest));
    qcrypto_hash_bytes(v->alg, v->message, strlen(v->message), out);
    hex = test_hex(out, len);
    g_assert_cmpstr(hex, ==, v->digest);
}

/* The same digest from the message cut into pieces, empty ones
 * included. */
static void test_hash_vector_scattered(const void *opaque)
{
    const HashVector *v = opaque;
    const char *msg = v->message;
    size_t len = strlen(msg), a = len / 3, b = 2 * len / 3;
    uint8_t out[QCRYPTO_HASH_MAX_DIGEST_LEN];
    struct iovec iov[4] = {
        { .iov_base = (char *)msg, .iov_len = a },
        { .iov_base = (char *)msg + a, .iov_len = 0 },
        { .iov_base = (char *)msg + a, .iov_len = b - a },
        { .iov_base = (char *)msg + b, .iov_len = len - b },
    };
    g_autofree char *hex = NULL;

    qcrypto_hash_bytesv(v->alg, iov, G_N_ELEMENTS(iov), out);
    hex = test_hex(out, qcrypto_hash_digest_len(v->alg));
    g_assert_cmpstr(hex, ==, v->digest);
}

/* Names as QEMU spells them, and digest sizes. */
static void test_hash_tables(void)
{
    static const struct {
        const char *name;
        size_t len;
    } algos[] = {
        { "md5", 16 }, { "sha1", 20 }, { "sha224", 28 }, { "sha256", 32 },
        { "sha384", 48 }, { "sha512", 64 }, { "ripemd160", 20 },
    };
    int i;

    g_assert_cmpint(QCryptoHashAlgo_lookup.size, ==, G_N_ELEMENTS(algos));
    for (i = 0; i < QCRYPTO_HASH_ALGO__MAX; i++) {
        g_assert_cmpstr(qapi_enum_lookup(&QCryptoHashAlgo_lookup, i), ==,
                        algos[i].name);
        g_assert_cmpuint(qcrypto_hash_digest_len(i), ==, algos[i].len);
        g_assert_cmpuint(qcrypto_hash_digest_len(i), <=,
                         QCRYPTO_HASH_MAX_DIGEST_LEN);
        g_assert_true(qcrypto_hash_supports(i));
    }
    g_assert_false(qcrypto_hash_supports(QCRYPTO_HASH_ALGO__MAX));
}

int main(int argc, char **argv)
{
    size_t i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(hash_vectors); i++) {
        g_autofree char *path = g_strdup_printf("/crypto/hash/%s",
                                                hash_vectors[i].path);
        g_autofree char *spath = g_strdup_printf("/crypto/hash/%s/scattered",
                                                 hash_vectors[i].path);

        g_test_add_data_func(path, &hash_vectors[i], test_hash_vector);
        g_test_add_data_func(spath, &hash_vectors[i],
                             test_hash_vector_scattered);
    }
    g_test_add_func("/crypto/hash/tables", test_hash_tables);
    return g_test_run();
}
