/*
 * Unit tests for crypto/pbkdf*.c: RFC 6070 and RFC 7914 derivations, the
 * other hashes, error paths and the iteration calibration.
 */
#include "qemu/osdep.h"

#include <time.h>

#include "crypto/pbkdf.h"

#include "crypto-test-util.h"

typedef struct PbkdfVector {
    const char *path;           /* below /crypto/pbkdf2/ */
    QCryptoHashAlgo hash;
    const char *password;
    size_t npassword;           /* may include NULs */
    const char *salt;
    size_t nsalt;
    uint64_t iterations;
    const char *out;
    bool slow;                  /* only with -m slow */
} PbkdfVector;

#define STR(s) s, sizeof(s) - 1

static const PbkdfVector pbkdf_vectors[] = {
    /* RFC 6070 §2, PBKDF2-HMAC-SHA1 */
    { "sha1/rfc6070-1", QCRYPTO_HASH_ALGO_SHA1, STR("password"),
      STR("salt"), 1, "0c60c80f961f0e71f3a9b524af6012062fe037a6" },
    { "sha1/rfc6070-2", QCRYPTO_HASH_ALGO_SHA1, STR("password"),
      STR("salt"), 2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957" },
    { "sha1/rfc6070-3", QCRYPTO_HASH_ALGO_SHA1, STR("password"),
      STR("salt"), 4096, "4b007901b765489abead49d926f721d065a429c1" },
    { "sha1/rfc6070-4", QCRYPTO_HASH_ALGO_SHA1, STR("password"),
      STR("salt"), 16777216, "eefe3d61cd4da4e4e9945b3d6ba2158c2634e984",
      true },
    { "sha1/rfc6070-5", QCRYPTO_HASH_ALGO_SHA1,
      STR("passwordPASSWORDpassword"),
      STR("saltSALTsaltSALTsaltSALTsaltSALTsalt"), 4096,
      "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038" },
    { "sha1/rfc6070-6", QCRYPTO_HASH_ALGO_SHA1, STR("pass\0word"),
      STR("sa\0lt"), 4096, "56fa6aa75548099dcc37d7f03425e0c3" },
    /*
     * PBKDF2-HMAC-MD5 (Debian's qemu-img 7.2 accepts hash-alg=md5); from
     * Python 3's hashlib.pbkdf2_hmac("md5", b"password", b"salt", n, len).
     */
    { "md5/hashlib-1", QCRYPTO_HASH_ALGO_MD5, STR("password"),
      STR("salt"), 1, "f31afb6d931392daa5e3130f47f9a9b6" },
    { "md5/hashlib-4096", QCRYPTO_HASH_ALGO_MD5, STR("password"),
      STR("salt"), 4096, "15001f89b9c29ee6998c520d1a0629e893cc3f99" },
    /* RFC 7914 §11, PBKDF2-HMAC-SHA256 */
    { "sha256/rfc7914-1", QCRYPTO_HASH_ALGO_SHA256, STR("passwd"),
      STR("salt"), 1,
      "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
      "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783" },
    { "sha256/rfc7914-2", QCRYPTO_HASH_ALGO_SHA256, STR("Password"),
      STR("NaCl"), 80000,
      "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
      "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d" },
    /*
     * No RFC covers these; computed with Python 3's
     * hashlib.pbkdf2_hmac(hash, b"password", b"salt", 4096, 64), which
     * uses OpenSSL 3.0's implementation.  64 bytes span several output
     * blocks for every hash.
     */
    { "sha224/hashlib", QCRYPTO_HASH_ALGO_SHA224, STR("password"),
      STR("salt"), 4096,
      "218c453bf90635bd0a21a75d172703ff6108ef603f65bb821aedade1d6961683"
      "ba8f67877d2a3f738cd98905b2cabdb82efaa223b3b438ed1d3a2e9758aa92b9" },
    { "sha384/hashlib", QCRYPTO_HASH_ALGO_SHA384, STR("password"),
      STR("salt"), 4096,
      "559726be38db125bc85ed7895f6e3cf574c7a01c080c3447db1e8a76764deb3c"
      "307b94853fbe424f6488c5f4f12896261d1eb430353c769ee2a77a26fd0a2347" },
    { "sha512/hashlib", QCRYPTO_HASH_ALGO_SHA512, STR("password"),
      STR("salt"), 4096,
      "d197b1b33db0143e018b12f3d1d1479e6cdebdcc97c5c0f87f6902e072f457b5"
      "143f30602641b3d55cd335988cb36b84376060ecd532e039b742a239434af2d5" },
    { "ripemd160/hashlib", QCRYPTO_HASH_ALGO_RIPEMD160, STR("password"),
      STR("salt"), 4096,
      "99a40d3fe4ee95869791d9faa24864562782762171480b620ca8bed3dafbbcac"
      "85d6a7c5b52f2f99882786b0805295ae340cba8e0701914243f3052e147f7fd9" },
};

static void test_pbkdf_vector(const void *opaque)
{
    const PbkdfVector *v = opaque;
    size_t nout = strlen(v->out) / 2;
    g_autofree uint8_t *out = g_malloc(nout);
    g_autofree char *hex = NULL;

    if (v->slow && !g_test_slow()) {
        g_test_skip("16M iterations: run with -m slow");
        return;
    }
    g_assert_true(qcrypto_pbkdf2_supports(v->hash));
    g_assert_cmpint(qcrypto_pbkdf2(v->hash,
                                   (const uint8_t *)v->password, v->npassword,
                                   (const uint8_t *)v->salt, v->nsalt,
                                   v->iterations, out, nout, &error_abort),
                    ==, 0);
    hex = test_hex(out, nout);
    g_assert_cmpstr(hex, ==, v->out);
}


/* Counts beyond what the library takes are an error, not a wrap. */
static void test_pbkdf_too_many_iterations(void)
{
    uint8_t out[32];
    g_autoptr(Error) err = NULL;

    g_assert_cmpint(qcrypto_pbkdf2(QCRYPTO_HASH_ALGO_SHA256,
                                   (const uint8_t *)"pw", 2,
                                   (const uint8_t *)"salt", 4,
                                   (uint64_t)UINT_MAX + 1,
                                   out, sizeof(out), &err), ==, -1);
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "PBKDF iterations 4294967296 must be at most 4294967295");
}

static uint64_t pbkdf_test_cpu_ns(void)
{
    struct timespec ts;

    g_assert_cmpint(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts), ==, 0);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

typedef struct PbkdfCalibration {
    const char *path;
    QCryptoHashAlgo hash;
    size_t nout;
} PbkdfCalibration;

static const PbkdfCalibration pbkdf_calibrations[] = {
    /* a LUKS keyslot key (aes-256-xts: 64 bytes, two sha256 blocks) */
    { "count-iters/sha256-64", QCRYPTO_HASH_ALGO_SHA256, 64 },
    /* the LUKS master key digest */
    { "count-iters/sha256-20", QCRYPTO_HASH_ALGO_SHA256, 20 },
    { "count-iters/sha1-64", QCRYPTO_HASH_ALGO_SHA1, 64 },
    { "count-iters/sha512-32", QCRYPTO_HASH_ALGO_SHA512, 32 },
};

/*
 * The calibration succeeds, gives a plausible rate, stays cheap (well
 * under 10% of the default 2 s iter-time), and its rate is about right:
 * a derivation sized to take 40 ms by it does not take much longer.
 */
static void test_pbkdf_count_iters(const void *opaque)
{
    const PbkdfCalibration *c = opaque;
    const uint8_t pw[] = "passphrase";
    const uint8_t salt[32] = { 1, 2, 3 };
    g_autofree uint8_t *out = g_malloc(c->nout);
    uint64_t start, spent, rate, iters;

    start = pbkdf_test_cpu_ns();
    rate = qcrypto_pbkdf2_count_iters(c->hash, pw, sizeof(pw) - 1,
                                      salt, sizeof(salt), c->nout,
                                      &error_abort);
    spent = pbkdf_test_cpu_ns() - start;
    g_test_message("%" PRIu64 " iterations/s, measured in %" PRIu64 " ms",
                   rate, spent / 1000000);
    g_assert_cmpuint(rate, >=, 10000);
    g_assert_cmpuint(spent, <, 150 * 1000000ULL);

    iters = rate / 25;
    start = pbkdf_test_cpu_ns();
    g_assert_cmpint(qcrypto_pbkdf2(c->hash, pw, sizeof(pw) - 1,
                                   salt, sizeof(salt), iters,
                                   out, c->nout, &error_abort), ==, 0);
    spent = pbkdf_test_cpu_ns() - start;
    g_assert_cmpuint(spent, <, 200 * 1000000ULL);
}

/*
 * A bigger budget only adds measurement rounds: the rate agrees with the
 * default calibration's (within a factor of two, which no timing noise on
 * a CPU clock reaches).
 */
static void test_pbkdf_count_iters_within(void)
{
    const uint8_t pw[] = "passphrase";
    const uint8_t salt[32] = { 4, 5, 6 };
    uint64_t rate, within;

    rate = qcrypto_pbkdf2_count_iters(QCRYPTO_HASH_ALGO_SHA256, pw,
                                      sizeof(pw) - 1, salt, sizeof(salt),
                                      64, &error_abort);
    within = qcrypto_pbkdf2_count_iters_within(QCRYPTO_HASH_ALGO_SHA256, pw,
                                               sizeof(pw) - 1, salt,
                                               sizeof(salt), 64, 40,
                                               &error_abort);
    g_test_message("%" PRIu64 " iterations/s by default, %" PRIu64
                   " with a 40 ms budget", rate, within);
    g_assert_cmpuint(within, >=, rate / 2);
    g_assert_cmpuint(within, <=, rate * 2);
}

int main(int argc, char **argv)
{
    size_t i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(pbkdf_vectors); i++) {
        g_autofree char *path = g_strdup_printf("/crypto/pbkdf2/%s",
                                                pbkdf_vectors[i].path);

        g_test_add_data_func(path, &pbkdf_vectors[i], test_pbkdf_vector);
    }
    for (i = 0; i < G_N_ELEMENTS(pbkdf_calibrations); i++) {
        g_autofree char *path = g_strdup_printf("/crypto/pbkdf2/%s",
                                                pbkdf_calibrations[i].path);

        g_test_add_data_func(path, &pbkdf_calibrations[i],
                             test_pbkdf_count_iters);
    }
    g_test_add_func("/crypto/pbkdf2/count-iters/within",
                    test_pbkdf_count_iters_within);
    g_test_add_func("/crypto/pbkdf2/error/too-many-iterations",
                    test_pbkdf_too_many_iterations);
    return g_test_run();
}
