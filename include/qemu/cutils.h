/*
 * String-to-number parsing, human-readable sizes and overflow-checked
 * arithmetic for values that come from disk or users.
 */
#ifndef QEMU_CUTILS_H
#define QEMU_CUTILS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * qemu_strtosz:
 * @nptr: text such as "64k", "1.5G", "512"
 * @end: if non-NULL, receives the first unparsed character; if NULL the
 *       whole string must be consumed
 * @result: written on success
 *
 * Suffixes b, k/K, M, G, T, P, E are binary multiples; no suffix = bytes.
 * Fractions are allowed with a suffix.
 * Returns: 0, -EINVAL for syntax errors, -ERANGE above 2^64-1.
 */
int qemu_strtosz(const char *nptr, const char **end, uint64_t *result);

/*
 * qemu_strtou64 / qemu_strtoi64:
 * Parse a whole decimal (or 0x hex) integer.
 * Returns: 0, -EINVAL or -ERANGE; @result written only on success.
 */
int qemu_strtou64(const char *nptr, uint64_t *result);
int qemu_strtoi64(const char *nptr, int64_t *result);

/*
 * qemu_strtou64_base:
 * @nptr: the text
 * @base: as for strtoull(): 0 accepts "0x" hex and leading-zero octal
 * @result: written on success
 *
 * Parse the whole string with strtoull() rules, as 7.2 parses NUMBER
 * options ("010" is 8): leading white space is skipped and a '-' negates
 * modulo 2^64 ("-1" is UINT64_MAX).
 * Returns: 0, -EINVAL (empty, no digits, trailing characters) or -ERANGE.
 */
int qemu_strtou64_base(const char *nptr, int base, uint64_t *result);

/*
 * size_to_str:
 * @val: a byte count
 *
 * Format as qemu-img does: "512 B", "1 MiB", "2.19 MiB", "1.5 GiB"
 * (three significant digits).
 * Returns: a new string, caller frees with g_free().
 */
char *size_to_str(uint64_t val);

/*
 * Overflow-checked arithmetic.  Returns: true if the result overflowed
 * (then *res is unspecified).
 */
static inline bool qemu_mul_overflow_u64(uint64_t a, uint64_t b, uint64_t *res)
{
    return __builtin_mul_overflow(a, b, res);
}

static inline bool qemu_add_overflow_u64(uint64_t a, uint64_t b, uint64_t *res)
{
    return __builtin_add_overflow(a, b, res);
}

static inline bool qemu_mul_overflow_size(size_t a, size_t b, size_t *res)
{
    return __builtin_mul_overflow(a, b, res);
}

#endif /* QEMU_CUTILS_H */
