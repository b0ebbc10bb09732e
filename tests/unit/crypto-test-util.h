/*
 * Hex conversion helpers shared by the crypto unit tests.
 */
#ifndef CRYPTO_TEST_UTIL_H
#define CRYPTO_TEST_UTIL_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Decode @hex (even length, no separators) into a new buffer whose length
 * goes to @len; caller frees with g_free(). */
static inline uint8_t *test_unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex);
    uint8_t *buf = g_malloc0(n / 2 + 1);
    size_t i;

    g_assert_cmpuint(n % 2, ==, 0);
    for (i = 0; i < n / 2; i++) {
        int hi = g_ascii_xdigit_value(hex[2 * i]);
        int lo = g_ascii_xdigit_value(hex[2 * i + 1]);

        g_assert_cmpint(hi, >=, 0);
        g_assert_cmpint(lo, >=, 0);
        buf[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return buf;
}

/* Encode @len bytes at @buf as lower-case hex; caller frees with g_free(). */
static inline char *test_hex(const void *buf, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = buf;
    char *hex = g_malloc(2 * len + 1);
    size_t i;

    for (i = 0; i < len; i++) {
        hex[2 * i] = digits[p[i] >> 4];
        hex[2 * i + 1] = digits[p[i] & 0xf];
    }
    hex[2 * len] = '\0';
    return hex;
}

#endif /* CRYPTO_TEST_UTIL_H */
