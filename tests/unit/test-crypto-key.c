/*
 * Unit tests for crypto/key.c and crypto/random.c: secret buffers, the
 * wiping and constant-time comparison helpers, process protection and
 * random bytes.
 */
#include "qemu/osdep.h"

#include <sys/prctl.h>

#include "crypto/key.h"
#include "crypto/random.h"

/* A new key is zero filled, NUL terminated and writable throughout. */
static void test_key_new(void)
{
    static const size_t lens[] = { 0, 1, 32, 4095, 4096, 4097, 256000 };
    size_t i, j;

    for (i = 0; i < G_N_ELEMENTS(lens); i++) {
        g_autoptr(QCryptoKey) key = qcrypto_key_new(lens[i]);

        g_assert_cmpuint(key->len, ==, lens[i]);
        for (j = 0; j <= lens[i]; j++) {
            g_assert_cmpuint(key->data[j], ==, 0);
        }
        memset(key->data, 0xa5, key->len);
        g_assert_cmpuint(key->data[key->len], ==, 0);
    }
}

static void test_key_new_from_data(void)
{
    const char pw[] = "correct horse";
    g_autoptr(QCryptoKey) key = qcrypto_key_new_from_data(pw, strlen(pw));
    g_autoptr(QCryptoKey) empty = qcrypto_key_new_from_data(NULL, 0);

    g_assert_cmpuint(key->len, ==, strlen(pw));
    /* The NUL makes passwords usable as strings. */
    g_assert_cmpstr((const char *)key->data, ==, pw);
    g_assert_cmpuint(empty->len, ==, 0);
    g_assert_cmpstr((const char *)empty->data, ==, "");
}

/* Freeing works after a caller shortened len, and NULL is accepted. */
static void test_key_free(void)
{
    QCryptoKey *key = qcrypto_key_new_from_data("password\0junk", 13);

    key->len = strlen((const char *)key->data);
    qcrypto_key_free(key);
    qcrypto_key_free(NULL);
}

/* Bytes past the NUL are not ours: the page after them is a guard. */
static void test_key_guard_page(void)
{
    if (g_test_subprocess()) {
        g_autoptr(QCryptoKey) key = qcrypto_key_new(100);
        volatile uint8_t *p = key->data;

        p[key->len + 1] = 1;
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
}

static void test_key_memzero(void)
{
    uint8_t buf[64];

    memset(buf, 0xff, sizeof(buf));
    qcrypto_memzero(buf + 1, 62);
    g_assert_cmpuint(buf[0], ==, 0xff);
    g_assert_cmpuint(buf[1], ==, 0);
    g_assert_cmpuint(buf[62], ==, 0);
    g_assert_cmpuint(buf[63], ==, 0xff);
    qcrypto_memzero(NULL, 0);
}

static void test_key_mem_equal(void)
{
    uint8_t a[48], b[48];
    size_t i;

    for (i = 0; i < sizeof(a); i++) {
        a[i] = b[i] = (uint8_t)(i * 13);
    }
    g_assert_true(qcrypto_mem_equal(a, b, sizeof(a)));
    g_assert_true(qcrypto_mem_equal(a, b, 0));
    for (i = 0; i < sizeof(a); i++) {
        b[i] ^= 0x01;
        g_assert_false(qcrypto_mem_equal(a, b, sizeof(a)));
        g_assert_true(qcrypto_mem_equal(a, b, i));
        b[i] ^= 0x01;
    }
}

/* Run in a child: the change cannot be undone in this process. */
static void test_key_protect_process(void)
{
    if (g_test_subprocess()) {
        qcrypto_secrets_protect_process();
        qcrypto_secrets_protect_process();
        g_assert_cmpint(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), ==, 0);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
}

/* Every length is filled, including one above getrandom()'s 32 MiB
 * single-call limit; bytes outside the request are left alone. */
static void test_random_bytes(void)
{
    static const size_t lens[] = { 0, 1, 16, 4096, 33 * 1024 * 1024 + 7 };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(lens); i++) {
        size_t len = lens[i];
        g_autofree uint8_t *a = g_malloc0(len + 1);
        g_autofree uint8_t *b = g_malloc0(len + 1);

        a[len] = b[len] = 0x5a;
        g_assert_cmpint(qcrypto_random_bytes(a, len, &error_abort), ==, 0);
        g_assert_cmpint(qcrypto_random_bytes(b, len, &error_abort), ==, 0);
        g_assert_cmpuint(a[len], ==, 0x5a);
        g_assert_cmpuint(b[len], ==, 0x5a);
        if (len >= 16) {
            g_assert_true(memcmp(a, b, len) != 0);
            g_assert_true(memcmp(a + len - 16, b, 16) != 0);
        }
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/crypto/key/new", test_key_new);
    g_test_add_func("/crypto/key/new-from-data", test_key_new_from_data);
    g_test_add_func("/crypto/key/free", test_key_free);
    g_test_add_func("/crypto/key/guard-page", test_key_guard_page);
    g_test_add_func("/crypto/key/memzero", test_key_memzero);
    g_test_add_func("/crypto/key/mem-equal", test_key_mem_equal);
    g_test_add_func("/crypto/key/protect-process", test_key_protect_process);
    g_test_add_func("/crypto/random/bytes", test_random_bytes);
    return g_test_run();
}
