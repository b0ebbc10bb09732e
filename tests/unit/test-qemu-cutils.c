/*
 * Unit tests for include/qemu/cutils.h: size and integer parsing and the
 * human-readable size format.
 */
#include "qemu/osdep.h"

#include "qemu/cutils.h"

typedef struct StrtoszCase {
    const char *name;
    const char *input;
    int ret;
    uint64_t value;
} StrtoszCase;

/*
 * Accepted values and rejections as `qemu-img create -f raw F SIZE`
 * (qemu-utils 7.2) showed them: "fmt=raw size=N" for accepted sizes,
 * "Invalid image size specified. You may use k, M, G..." for -EINVAL and
 * "Must be between 0 and 9223372036854775807" for -ERANGE (or values
 * above INT64_MAX, which qemu-img rejects after parsing).
 */
static const StrtoszCase strtosz_cases[] = {
    { "plain", "512", 0, 512 },
    { "k", "1k", 0, 1024 },
    { "K", "1K", 0, 1024 },
    { "b", "1b", 0, 1 },
    { "B", "1B", 0, 1 },
    { "m", "1m", 0, 1048576 },
    { "g", "1g", 0, 1073741824 },
    { "t", "1t", 0, 1099511627776ULL },
    { "p", "1p", 0, 1125899906842624ULL },
    { "e", "1e", 0, 1152921504606846976ULL },
    { "E", "1E", 0, 1152921504606846976ULL },
    { "fraction-G", "1.5G", 0, 1610612736 },
    { "fraction-half-k", "0.5k", 0, 512 },
    { "fraction-truncates", "1.1k", 0, 1126 },
    { "fraction-tiny", "0.001k", 0, 1 },
    { "fraction-long", "1.0000001k", 0, 1024 },
    { "fraction-rounds-up", "1.9999999999999999k", 0, 2048 },
    { "fraction-no-digits", "1.k", 0, 1024 },
    { "fraction-half-byte-up", "0.00048828125k", 0, 1 },
    { "fraction-below-half", "1.0004882812499999k", 0, 1024 },
    { "fraction-half-exact", "1.00048828125k", 0, 1025 },
    { "fraction-rounds-to-one", "1.99999999999999999999k", 0, 1024 },
    { "fraction-rounds-to-one-zero", "0.99999999999999999999k", 0, 0 },
    { "fraction-E-below-2^64", "15.99999999999999E", 0,
      18446744073709540096ULL },
    { "dot-no-suffix", "5.", 0, 5 },
    { "fraction-E", "7.99E", 0, 9211842821808707328ULL },
    { "fraction-e-suffix", "1.5e", 0, 1729382256910270464ULL },
    { "hex", "0x10", 0, 16 },
    { "hex-suffix", "0x1k", 0, 1024 },
    { "leading-zero-decimal", "010", 0, 10 },
    { "leading-space", " 5", 0, 5 },
    { "plus", "+5", 0, 5 },
    { "int64-max", "9223372036854775807", 0, 9223372036854775807ULL },
    { "above-int64", "9223372036854775808", 0, 9223372036854775808ULL },
    { "uint64-max", "18446744073709551615", 0, UINT64_MAX },
    { "7E", "7E", 0, 8070450532247928832ULL },
    { "8E", "8E", 0, 9223372036854775808ULL },
    { "16E", "16E", -ERANGE, 0 },
    { "17E", "17E", -ERANGE, 0 },
    { "uint64-max-plus-1", "18446744073709551616", -ERANGE, 0 },
    { "too-large-hex", "0x99999999999999999", -ERANGE, 0 },
    { "too-large-then-suffix", "99999999999999999999k", -EINVAL, 0 },
    { "too-large-hex-then-suffix", "0x99999999999999999k", -EINVAL, 0 },
    { "overflow-then-text", "16Ex", -EINVAL, 0 },
    { "exponent", "1e3", -EINVAL, 0 },
    { "fraction-exponent", "1.5e3", -EINVAL, 0 },
    { "fraction-no-suffix", "1.5", -EINVAL, 0 },
    { "fraction-bytes", "1.5b", -EINVAL, 0 },
    { "fraction-bytes-small", "1.4b", -EINVAL, 0 },
    { "trailing-space", "5 ", -EINVAL, 0 },
    { "space-before-suffix", "1 k", -EINVAL, 0 },
    { "kB", "1kB", -EINVAL, 0 },
    { "KiB", "1KiB", -EINVAL, 0 },
    { "empty", "", -EINVAL, 0 },
    { "suffix-only", "k", -EINVAL, 0 },
    { "leading-dot", ".5k", -EINVAL, 0 },
    { "hex-fraction", "0x1.8k", -EINVAL, 0 },
    { "hex-no-digits", "0x", -EINVAL, 0 },
    { "double-suffix", "1kk", -EINVAL, 0 },
    { "negative", "-1", -EINVAL, 0 },
    { "negative-zero", "-0", -EINVAL, 0 },
    { "inf", "inf", -EINVAL, 0 },
    { "nan", "nan", -EINVAL, 0 },
};

static void test_strtosz(gconstpointer opaque)
{
    const StrtoszCase *c = opaque;
    uint64_t value = 0xdeadbeef;
    int ret = qemu_strtosz(c->input, NULL, &value);

    g_assert_cmpint(ret, ==, c->ret);
    if (0 == c->ret) {
        g_assert_cmpuint(value, ==, c->value);
    } else {
        /* The result is written only on success. */
        g_assert_cmpuint(value, ==, 0xdeadbeef);
    }
}

static void test_strtosz_end(void)
{
    const char *end = NULL;
    const char *in = "64k,rest";
    const char *bad = "x1k";
    uint64_t value = 0;

    g_assert_cmpint(qemu_strtosz(in, &end, &value), ==, 0);
    g_assert_cmpuint(value, ==, 65536);
    g_assert(end == in + 3);
    /* With @end, trailing text is fine; on failure @end is the start. */
    g_assert_cmpint(qemu_strtosz("12 ", &end, &value), ==, 0);
    g_assert_cmpuint(value, ==, 12);
    g_assert_cmpint(qemu_strtosz(bad, &end, &value), ==, -EINVAL);
    g_assert(end == bad);
}

typedef struct IntCase {
    const char *name;
    const char *input;
    int ret;
    uint64_t value;
} IntCase;

/* qemu_strtou64(): decimal or 0x hex, no sign. */
static const IntCase u64_cases[] = {
    { "zero", "0", 0, 0 },
    { "decimal", "123", 0, 123 },
    { "leading-zero", "010", 0, 10 },
    { "hex", "0x1F", 0, 31 },
    { "max", "18446744073709551615", 0, UINT64_MAX },
    { "overflow", "18446744073709551616", -ERANGE, 0 },
    { "negative", "-1", -EINVAL, 0 },
    { "empty", "", -EINVAL, 0 },
    { "trailing", "12x", -EINVAL, 0 },
    { "suffix", "1k", -EINVAL, 0 },
};

static void test_strtou64(gconstpointer opaque)
{
    const IntCase *c = opaque;
    uint64_t value = 0;

    g_assert_cmpint(qemu_strtou64(c->input, &value), ==, c->ret);
    if (0 == c->ret) {
        g_assert_cmpuint(value, ==, c->value);
    }
}

/*
 * qemu_strtou64_base(.., 0, ..): the rules of 7.2's NUMBER options, seen
 * with `qemu-img create -f qcow2 -o refcount_bits=V` (7.2): "010" gave
 * refcount bits 8, "0x10" 16, "-1" wrapped (then the driver refused it),
 * " 8" was 8, "8 " and "" "expects a number", and 99999999999999999999
 * "is too large".
 */
static const IntCase base0_cases[] = {
    { "octal", "010", 0, 8 },
    { "hex", "0x10", 0, 16 },
    { "decimal", "16", 0, 16 },
    { "negative-wraps", "-1", 0, UINT64_MAX },
    { "leading-space", " 8", 0, 8 },
    { "trailing-space", "8 ", -EINVAL, 0 },
    { "empty", "", -EINVAL, 0 },
    { "word", "abc", -EINVAL, 0 },
    { "too-large", "99999999999999999999", -ERANGE, 0 },
};

static void test_strtou64_base0(gconstpointer opaque)
{
    const IntCase *c = opaque;
    uint64_t value = 0;

    g_assert_cmpint(qemu_strtou64_base(c->input, 0, &value), ==, c->ret);
    if (0 == c->ret) {
        g_assert_cmpuint(value, ==, c->value);
    }
}

static void test_strtoi64(void)
{
    int64_t v = 0;

    g_assert_cmpint(qemu_strtoi64("-5", &v), ==, 0);
    g_assert_cmpint(v, ==, -5);
    g_assert_cmpint(qemu_strtoi64("0x10", &v), ==, 0);
    g_assert_cmpint(v, ==, 16);
    g_assert_cmpint(qemu_strtoi64("-0x10", &v), ==, 0);
    g_assert_cmpint(v, ==, -16);
    g_assert_cmpint(qemu_strtoi64("-9223372036854775808", &v), ==, 0);
    g_assert_cmpint(v, ==, INT64_MIN);
    g_assert_cmpint(qemu_strtoi64("9223372036854775808", &v), ==, -ERANGE);
    g_assert_cmpint(qemu_strtoi64("1 ", &v), ==, -EINVAL);
    g_assert_cmpint(qemu_strtoi64("", &v), ==, -EINVAL);
    g_assert_cmpint(qemu_strtoi64(NULL, &v), ==, -EINVAL);
}

typedef struct SizeStrCase {
    uint64_t value;
    const char *text;
} SizeStrCase;

/*
 * The "virtual size:" line of `qemu-img info -f raw F` (7.2) for files
 * truncated to each size (raw rounds up to 512), plus 16 EiB.
 */
static const SizeStrCase size_str_cases[] = {
    { 0, "0 B" },
    { 512, "512 B" },
    { 999, "999 B" },
    { 1000, "0.977 KiB" },
    { 1024, "1 KiB" },
    { 1536, "1.5 KiB" },
    { 1023488, "1e+03 KiB" },
    { 1047552, "0.999 MiB" },
    { 1048064, "1 MiB" },
    { 1048576, "1 MiB" },
    { 2293760, "2.19 MiB" },
    { 123457024, "118 MiB" },
    { 1073741824, "1 GiB" },
    { 1610612736, "1.5 GiB" },
    { 1125899906842624ULL, "1 PiB" },
    { UINT64_MAX, "16 EiB" },
};

static void test_size_to_str(gconstpointer opaque)
{
    const SizeStrCase *c = opaque;
    g_autofree char *s = size_to_str(c->value);

    g_assert_cmpstr(s, ==, c->text);
}

static void test_overflow(void)
{
    uint64_t r;
    size_t z;

    g_assert_false(qemu_mul_overflow_u64(1ULL << 31, 1ULL << 32, &r));
    g_assert_cmpuint(r, ==, 1ULL << 63);
    g_assert_true(qemu_mul_overflow_u64(1ULL << 32, 1ULL << 32, &r));
    g_assert_true(qemu_add_overflow_u64(UINT64_MAX, 1, &r));
    g_assert_false(qemu_mul_overflow_size(3, 5, &z));
    g_assert_cmpuint(z, ==, 15);
}

int main(int argc, char **argv)
{
    size_t i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(strtosz_cases); i++) {
        g_autofree char *path = g_strdup_printf("/qemu/cutils/strtosz/%s",
                                                strtosz_cases[i].name);

        g_test_add_data_func(path, &strtosz_cases[i], test_strtosz);
    }
    g_test_add_func("/qemu/cutils/strtosz/end-pointer", test_strtosz_end);
    for (i = 0; i < G_N_ELEMENTS(u64_cases); i++) {
        g_autofree char *path = g_strdup_printf("/qemu/cutils/strtou64/%s",
                                                u64_cases[i].name);

        g_test_add_data_func(path, &u64_cases[i], test_strtou64);
    }
    for (i = 0; i < G_N_ELEMENTS(base0_cases); i++) {
        g_autofree char *path = g_strdup_printf(
            "/qemu/cutils/strtou64-base0/%s", base0_cases[i].name);

        g_test_add_data_func(path, &base0_cases[i], test_strtou64_base0);
    }
    g_test_add_func("/qemu/cutils/strtoi64", test_strtoi64);
    for (i = 0; i < G_N_ELEMENTS(size_str_cases); i++) {
        g_autofree char *path = g_strdup_printf(
            "/qemu/cutils/size-to-str/%" PRIu64, size_str_cases[i].value);

        g_test_add_data_func(path, &size_str_cases[i], test_size_to_str);
    }
    g_test_add_func("/qemu/cutils/overflow", test_overflow);
    return g_test_run();
}
