/*
 * String-to-number parsing (sizes with suffixes, integers) and qemu-img's
 * human-readable size format.
 */
#include "qemu/osdep.h"

#include <ctype.h>
#include <math.h>

#include "qemu/cutils.h"

/*
 * Run strtoull() over the whole of @nptr in @base.  Leading white space and
 * a sign are accepted as strtoull() accepts them (a '-' negates modulo
 * 2^64).  @end receives the first unparsed character.
 */
static int strtou64_prefix(const char *nptr, int base, const char **end,
                           uint64_t *result)
{
    char *ep;
    unsigned long long val;

    if (!nptr) {
        *end = NULL;
        return -EINVAL;
    }
    errno = 0;
    val = strtoull(nptr, &ep, base);
    *end = ep;
    if (ep == nptr) {
        return -EINVAL;
    }
    if (ERANGE == errno) {
        return -ERANGE;
    }
    *result = val;
    return 0;
}

int qemu_strtou64_base(const char *nptr, int base, uint64_t *result)
{
    const char *end;
    uint64_t val;
    int ret;

    ret = strtou64_prefix(nptr, base, &end, &val);
    if (ret < 0) {
        return ret;
    }
    if ('\0' != *end) {
        return -EINVAL;
    }
    *result = val;
    return 0;
}

/* The base of a "0x"-prefixed hex or plain decimal number, after a sign. */
static int decimal_or_hex_base(const char *nptr)
{
    while (isspace((unsigned char)*nptr)) {
        nptr++;
    }
    if ('+' == *nptr || '-' == *nptr) {
        nptr++;
    }
    if ('0' == nptr[0] && ('x' == nptr[1] || 'X' == nptr[1])) {
        return 16;
    }
    return 10;
}

int qemu_strtou64(const char *nptr, uint64_t *result)
{
    if (!nptr || strchr(nptr, '-')) {
        return -EINVAL;
    }
    return qemu_strtou64_base(nptr, decimal_or_hex_base(nptr), result);
}

int qemu_strtoi64(const char *nptr, int64_t *result)
{
    char *ep;
    long long val;

    if (!nptr) {
        return -EINVAL;
    }
    errno = 0;
    val = strtoll(nptr, &ep, decimal_or_hex_base(nptr));
    if (ep == nptr || '\0' != *ep) {
        return -EINVAL;
    }
    if (ERANGE == errno) {
        return -ERANGE;
    }
    *result = val;
    return 0;
}

/* The multiplier of a size suffix letter, or 0 if @c is not one. */
static uint64_t size_suffix_mul(char c)
{
    switch (c) {
    case 'b': case 'B':
        return 1;
    case 'k': case 'K':
        return 1ULL << 10;
    case 'm': case 'M':
        return 1ULL << 20;
    case 'g': case 'G':
        return 1ULL << 30;
    case 't': case 'T':
        return 1ULL << 40;
    case 'p': case 'P':
        return 1ULL << 50;
    case 'e': case 'E':
        return 1ULL << 60;
    default:
        return 0;
    }
}

/*
 * Parse the fraction that starts at the '.' in @p, digits only, into a
 * 0.64 fixed-point value.  qemu 7.2 reads it with strtod() but rejects the
 * whole size when that would take an exponent ("1.5e3"), while "1.5e" is
 * 1.5 EiB and "1." is 1.  A fraction that strtod() rounds up to 1.0 ends
 * up as 0 in 7.2 (so "0.99999999999999999999k" is 0); we keep that.
 * @end receives the character after the digits.  Returns: 0 or -EINVAL.
 */
static int size_parse_fraction(const char *p, const char **end,
                               uint64_t *frac)
{
    const char *q = p + 1;
    g_autofree char *digits = NULL;
    double f;

    while (g_ascii_isdigit(*q)) {
        q++;
    }
    if (('e' == *q || 'E' == *q) &&
        (g_ascii_isdigit(q[1]) ||
         (('+' == q[1] || '-' == q[1]) && g_ascii_isdigit(q[2])))) {
        return -EINVAL;
    }
    digits = g_strndup(p, q - p);
    f = q - p > 1 ? g_ascii_strtod(digits, NULL) : 0.0;
    *frac = f < 1.0 ? (uint64_t)ldexp(f, 64) : 0;
    *end = q;
    return 0;
}

/*
 * The number part of a size: decimal, or "0x" hex without a fraction, and
 * never negative (7.2 rejects any '-' in the digits it parsed).
 */
static int size_parse_number(const char *nptr, const char **end,
                             uint64_t *val, uint64_t *frac)
{
    const char *p;
    int ret;

    *frac = 0;
    ret = strtou64_prefix(nptr, 10, &p, val);
    *end = p;
    if (ret < 0) {
        return ret;
    }
    if (memchr(nptr, '-', p - nptr)) {
        return -EINVAL;
    }
    if (0 == *val && ('x' == *p || 'X' == *p)) {
        ret = strtou64_prefix(nptr, 16, &p, val);
        *end = p;
        if (ret < 0) {
            return ret;
        }
        if ('.' == *p) {
            return -EINVAL;
        }
    } else if ('.' == *p) {
        ret = size_parse_fraction(p, &p, frac);
        if (ret < 0) {
            return ret;
        }
    }
    *end = p;
    return 0;
}

/* qemu_strtosz() without the @end bookkeeping; @p gets the parse end. */
static int size_parse(const char *nptr, bool whole, const char **p,
                      uint64_t *result)
{
    uint64_t val;
    uint64_t mul;
    uint64_t frac;
    unsigned __int128 total;
    unsigned __int128 frac_prod;
    int ret;

    ret = size_parse_number(nptr, p, &val, &frac);
    if (-ERANGE == ret && whole && '\0' != **p) {
        /* 7.2 reports trailing text before a too-large number. */
        return -EINVAL;
    }
    if (ret < 0) {
        return ret;
    }
    mul = size_suffix_mul(**p);
    if (mul) {
        (*p)++;
    } else {
        mul = 1;
    }
    /* A fraction of a byte is an error, not a rounding: "1.5" and "1.5b". */
    if (1 == mul && frac) {
        return -EINVAL;
    }
    if (whole && '\0' != **p) {
        return -EINVAL;
    }
    /*
     * 7.2 computes value * multiplier exactly, with the fraction in 64.64
     * fixed point, and rounds half a byte up: "1.1k" is 1126 bytes and
     * "1.9999999999999999k" (a double just below 2) is 2048.
     */
    frac_prod = (unsigned __int128)frac * mul;
    total = (unsigned __int128)val * mul + (uint64_t)(frac_prod >> 64) +
            (((uint64_t)frac_prod) >> 63);
    if (total > UINT64_MAX) {
        return -ERANGE;
    }
    *result = (uint64_t)total;
    return 0;
}

int qemu_strtosz(const char *nptr, const char **end, uint64_t *result)
{
    const char *p = nptr;
    int ret;

    ret = size_parse(nptr, !end, &p, result);
    if (end) {
        *end = ret < 0 ? nptr : p;
    }
    return ret;
}

char *size_to_str(uint64_t val)
{
    static const char *const units[] = {
        "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
    };
    double scaled = (double)val / (1000.0 / 1024.0);
    int i = 0;

    /*
     * Like qemu-img, move to the next unit once the number would reach
     * 1000 in the current one (so 1000 B is "0.977 KiB"), and print three
     * significant digits with %g, which gives "1e+03 KiB" for 1023488.
     */
    while (i < 6 && scaled >= ldexp(1.0, 10 * (i + 1))) {
        i++;
    }
    return g_strdup_printf("%0.3g %s", ldexp((double)val, -10 * i),
                           units[i]);
}
