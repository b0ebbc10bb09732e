/*
 * PBKDF2 iteration calibration: iterations per second of this thread's CPU
 * time, from which LUKS1 derives keyslot and digest iteration counts.
 */
#include "qemu/osdep.h"

#include <time.h>

#include "crypto/key.h"
#include "crypto/pbkdf.h"
#include "qemu/cutils.h"

#define PBKDF_NS_PER_SEC 1000000000ULL

/*
 * QEMU 7.2 times one long round (until it exceeds 500 ms) with getrusage(),
 * whose tick resolution makes short rounds read 0 ms.  A nanosecond CPU
 * clock lets us extrapolate from a 0.25 ms probe and then time a few
 * short rounds within a CPU-time budget: 2 ms rounds (16 ms by default),
 * or for a small budget at least three rounds of 0.5 to 2 ms.  We keep
 * the fastest of them: interruptions, a busy sibling vCPU, cache misses
 * and clock ramp-up only ever slow a round down, so the best round is the
 * closest to what the machine sustains, and more rounds over a longer
 * window give more chances of a clean one.  LUKS grants each of a
 * create's two calibrations iter-time / 40, so calibrating costs about 5%
 * of iter-time (plus the probe, under 1 ms), where 7.2 spends over 1 s
 * whatever the iter-time (tests/bench/bench-crypto pbkdf measures both).
 *
 * The result must never be below what 7.2 reports on the same machine,
 * but 7.2's reading errs upwards by up to about 1% (it truncates to whole
 * milliseconds and splits user from system time by 4 ms ticks), and in
 * paired runs on an idle machine its long round came within 0.5% of our
 * best short one (under load ours is the higher).
 * PBKDF_MARGIN_SHIFT (1/32, about 3%) covers both; a few percent more
 * iterations cost a few percent more unlock time and weaken nothing.
 */
#define PBKDF_PROBE_START_ITERS 1024
#define PBKDF_PROBE_NS (250 * 1000ULL)
#define PBKDF_PROBE_GROWTH 4
#define PBKDF_ROUND_NS (2 * 1000 * 1000ULL)
#define PBKDF_MIN_ROUND_NS (500 * 1000ULL)
#define PBKDF_MIN_ROUNDS 3
#define PBKDF_DEFAULT_BUDGET_MS 16
#define PBKDF_MAX_BUDGET_MS 1000
#define PBKDF_MARGIN_SHIFT 5

/* What one calibration derives, over and over. */
typedef struct PbkdfBench {
    QCryptoHashAlgo hash;
    const uint8_t *key;
    size_t nkey;
    const uint8_t *salt;
    size_t nsalt;
    QCryptoKey *out;
} PbkdfBench;

/* Read this thread's CPU time (user and system) in nanoseconds. */
static int pbkdf_cpu_ns(uint64_t *ns, Error **errp)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) {
        error_setg_errno(errp, errno, "Unable to read the thread CPU time");
        return -1;
    }
    *ns = (uint64_t)ts.tv_sec * PBKDF_NS_PER_SEC + (uint64_t)ts.tv_nsec;
    return 0;
}

/* Derive with @iterations and store the CPU time it took in @ns. */
static int pbkdf_bench_round(const PbkdfBench *b, uint64_t iterations,
                             uint64_t *ns, Error **errp)
{
    uint64_t start, end;

    if (pbkdf_cpu_ns(&start, errp) < 0 ||
        qcrypto_pbkdf2(b->hash, b->key, b->nkey, b->salt, b->nsalt,
                       iterations, b->out->data, b->out->len, errp) < 0 ||
        pbkdf_cpu_ns(&end, errp) < 0) {
        return -1;
    }
    *ns = end > start ? end - start : 0;
    return 0;
}

/* Returns: @a * @b / @c (@c > 0), saturating at UINT64_MAX. */
static uint64_t pbkdf_muldiv(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t prod;

    if (!qemu_mul_overflow_u64(a, b, &prod)) {
        return prod / c;
    }
    /* Too big for 64 bits: divide first, losing only low-order digits. */
    if (qemu_mul_overflow_u64(a / c, b, &prod)) {
        return UINT64_MAX;
    }
    return prod;
}

/* Returns: the iteration count of a round that takes about @round_ns,
 * given that @iterations took @ns (> 0). */
static uint64_t pbkdf_round_iters(uint64_t iterations, uint64_t ns,
                                  uint64_t round_ns)
{
    uint64_t n = pbkdf_muldiv(iterations, round_ns, ns);

    return MAX(1, MIN(n, UINT_MAX));
}

/* Split @budget_ms into @rounds rounds of @round_ns: rounds of 2 ms, or
 * at least three shorter ones (down to 0.5 ms) for a small budget. */
static void pbkdf_plan(uint64_t budget_ms, uint64_t *round_ns,
                       uint64_t *rounds)
{
    uint64_t budget_ns = MIN(budget_ms, PBKDF_MAX_BUDGET_MS) * 1000000;

    *round_ns = MIN(MAX(budget_ns / PBKDF_MIN_ROUNDS, PBKDF_MIN_ROUND_NS),
                    PBKDF_ROUND_NS);
    *rounds = MAX(budget_ns / *round_ns, PBKDF_MIN_ROUNDS);
}

uint64_t qcrypto_pbkdf2_count_iters(QCryptoHashAlgo hash,
                                    const uint8_t *key, size_t nkey,
                                    const uint8_t *salt, size_t nsalt,
                                    size_t nout, Error **errp)
{
    return qcrypto_pbkdf2_count_iters_within(hash, key, nkey, salt, nsalt,
                                             nout, PBKDF_DEFAULT_BUDGET_MS,
                                             errp);
}

uint64_t qcrypto_pbkdf2_count_iters_within(QCryptoHashAlgo hash,
                                           const uint8_t *key, size_t nkey,
                                           const uint8_t *salt, size_t nsalt,
                                           size_t nout, uint64_t budget_ms,
                                           Error **errp)
{
    g_autoptr(QCryptoKey) out = qcrypto_key_new(nout);
    PbkdfBench b = {
        .hash = hash, .key = key, .nkey = nkey,
        .salt = salt, .nsalt = nsalt, .out = out,
    };
    uint64_t iterations = PBKDF_PROBE_START_ITERS;
    uint64_t best, ns, rounds, round_ns;
    uint64_t i;

    assert(nout > 0);
    /* Probe: grow the count until a round is long enough to scale. */
    for (;;) {
        if (pbkdf_bench_round(&b, iterations, &ns, errp) < 0) {
            return 0;
        }
        if (ns >= PBKDF_PROBE_NS ||
            iterations > UINT_MAX / PBKDF_PROBE_GROWTH) {
            break;
        }
        iterations *= PBKDF_PROBE_GROWTH;
    }
    if (ns == 0) {
        error_setg(errp, "Unable to get accurate CPU usage");
        return 0;
    }
    best = pbkdf_muldiv(iterations, PBKDF_NS_PER_SEC, ns);

    pbkdf_plan(budget_ms, &round_ns, &rounds);
    iterations = pbkdf_round_iters(iterations, ns, round_ns);
    for (i = 0; i < rounds; i++) {
        if (pbkdf_bench_round(&b, iterations, &ns, errp) < 0) {
            return 0;
        }
        best = MAX(best, pbkdf_muldiv(iterations, PBKDF_NS_PER_SEC,
                                      MAX(ns, 1)));
    }
    if (best > UINT64_MAX - (best >> PBKDF_MARGIN_SHIFT)) {
        return UINT64_MAX;
    }
    return best + (best >> PBKDF_MARGIN_SHIFT);
}
