/*
 * Crypto benchmarks: cipher MB/s per algorithm, mode and backend on one
 * thread and on every core, a thread-count sweep, and PBKDF2 calibration.
 */
#include "qemu/osdep.h"

#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

#include "crypto/cipher.h"
#include "crypto/cipherpriv.h"
#include "crypto/pbkdf.h"
#include "crypto/random.h"
#include "qemu/bswap.h"

#define BENCH_BUF_SIZE (1024 * 1024)
#define BENCH_SECTOR 512
#define BENCH_LARGE (64 * 1024)
#define BENCH_MAX_THREADS 64

typedef struct BenchCase {
    QCryptoCipherAlgo alg;
    QCryptoCipherMode mode;
} BenchCase;

static const BenchCase bench_cases[] = {
    { QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_XTS },
    { QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_CIPHER_MODE_XTS },
    { QCRYPTO_CIPHER_ALGO_AES_192, QCRYPTO_CIPHER_MODE_XTS },
    { QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_CBC },
    { QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_CIPHER_MODE_CBC },
    { QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_CTR },
    { QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_ECB },
    { QCRYPTO_CIPHER_ALGO_SERPENT_256, QCRYPTO_CIPHER_MODE_XTS },
    { QCRYPTO_CIPHER_ALGO_TWOFISH_256, QCRYPTO_CIPHER_MODE_XTS },
    { QCRYPTO_CIPHER_ALGO_CAST5_128, QCRYPTO_CIPHER_MODE_CBC },
};

static const QCryptoCipherDriver *const bench_drivers[] = {
    &qcrypto_cipher_driver_openssl,
    &qcrypto_cipher_driver_nettle,
};

/* One timed cipher run, possibly one of several threads started together. */
typedef struct BenchJob {
    const BenchCase *c;
    const QCryptoCipherDriver *driver;
    bool encrypt;
    size_t chunk;
    double seconds;
    pthread_barrier_t *barrier;
    double mbps;
} BenchJob;

static double bench_clock(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double bench_now(void)
{
    return bench_clock(CLOCK_MONOTONIC);
}

/* Returns: a new cipher for @c on @driver with a random key. */
static QCryptoCipher *bench_cipher_new(const BenchCase *c,
                                       const QCryptoCipherDriver *driver)
{
    size_t nkey = qcrypto_cipher_get_key_len(c->alg);
    uint8_t key[64];

    if (c->mode == QCRYPTO_CIPHER_MODE_XTS) {
        nkey *= 2;
    }
    qcrypto_random_bytes(key, nkey, &error_abort);
    return qcrypto_cipher_new_with_driver(driver, c->alg, c->mode,
                                          key, nkey, &error_abort);
}

/* Returns: MB/s (10^6 bytes) of @cipher over @buf in @chunk-sized calls,
 * each with the plain64 IV of its first 512-byte sector, for @seconds. */
static double bench_run(QCryptoCipher *cipher, bool encrypt, uint8_t *buf,
                        size_t chunk, double seconds)
{
    uint8_t iv[16] = { 0 };
    bool use_iv = qcrypto_cipher_get_iv_len(cipher->alg, cipher->mode) > 0;
    double start = bench_now(), elapsed;
    uint64_t bytes = 0;
    size_t offset;

    do {
        for (offset = 0; offset < BENCH_BUF_SIZE; offset += chunk) {
            stq_le_p(iv, offset / BENCH_SECTOR);
            if (encrypt) {
                qcrypto_cipher_encrypt(cipher, use_iv ? iv : NULL,
                                       buf + offset, buf + offset, chunk);
            } else {
                qcrypto_cipher_decrypt(cipher, use_iv ? iv : NULL,
                                       buf + offset, buf + offset, chunk);
            }
        }
        bytes += BENCH_BUF_SIZE;
        elapsed = bench_now() - start;
    } while (elapsed < seconds);
    return bytes / elapsed / 1e6;
}

/* Thread body: own cipher and buffer, start with the others, time. */
static void *bench_job_run(void *opaque)
{
    BenchJob *job = opaque;
    g_autoptr(QCryptoCipher) cipher = bench_cipher_new(job->c, job->driver);
    g_autofree uint8_t *buf = g_malloc(BENCH_BUF_SIZE);

    qcrypto_random_bytes(buf, BENCH_BUF_SIZE, &error_abort);
    pthread_barrier_wait(job->barrier);
    job->mbps = bench_run(cipher, job->encrypt, buf, job->chunk,
                          job->seconds);
    return NULL;
}

/* Returns: the summed MB/s of @nthreads threads running @c at once. */
static double bench_threads(const BenchCase *c,
                            const QCryptoCipherDriver *driver, bool encrypt,
                            size_t chunk, unsigned int nthreads,
                            double seconds)
{
    BenchJob jobs[BENCH_MAX_THREADS];
    pthread_t tids[BENCH_MAX_THREADS];
    pthread_barrier_t barrier;
    double total = 0;
    unsigned int i;

    assert(nthreads > 0 && nthreads <= BENCH_MAX_THREADS);
    pthread_barrier_init(&barrier, NULL, nthreads);
    for (i = 0; i < nthreads; i++) {
        jobs[i] = (BenchJob) {
            .c = c, .driver = driver, .encrypt = encrypt, .chunk = chunk,
            .seconds = seconds, .barrier = &barrier,
        };
        if (pthread_create(&tids[i], NULL, bench_job_run, &jobs[i]) != 0) {
            g_error("pthread_create failed");
        }
    }
    for (i = 0; i < nthreads; i++) {
        pthread_join(tids[i], NULL);
        total += jobs[i].mbps;
    }
    pthread_barrier_destroy(&barrier);
    return total;
}

/* Print one markdown row for @c on @driver. */
static void bench_case(const BenchCase *c, const QCryptoCipherDriver *driver,
                       unsigned int ncpus, double seconds)
{
    g_autofree char *name = NULL;
    double enc, dec;

    name = g_strdup_printf("%s-%s",
                           qapi_enum_lookup(&QCryptoCipherAlgo_lookup, c->alg),
                           qapi_enum_lookup(&QCryptoCipherMode_lookup,
                                            c->mode));
    enc = bench_threads(c, driver, true, BENCH_SECTOR, 1, seconds);
    dec = bench_threads(c, driver, false, BENCH_SECTOR, 1, seconds);
    printf("| %s | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f |\n",
           name, driver->name, enc, dec,
           bench_threads(c, driver, true, BENCH_LARGE, 1, seconds),
           bench_threads(c, driver, false, BENCH_LARGE, 1, seconds),
           bench_threads(c, driver, true, BENCH_SECTOR, ncpus, seconds),
           bench_threads(c, driver, false, BENCH_SECTOR, ncpus, seconds),
           enc * 1e6 / BENCH_SECTOR);
    fflush(stdout);
}

/* The per-cipher table, as markdown. */
static void bench_table(unsigned int ncpus, double seconds)
{
    size_t i, j;

    printf("MB/s (10^6 bytes/s); 512 B = one call per LUKS sector; "
           "x%u = %u threads at once, summed\n\n", ncpus, ncpus);
    printf("| cipher | backend | enc 512B | dec 512B | enc 64KiB "
           "| dec 64KiB | enc 512B x%u | dec 512B x%u | enc sect/s |\n",
           ncpus, ncpus);
    printf("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (i = 0; i < G_N_ELEMENTS(bench_cases); i++) {
        for (j = 0; j < G_N_ELEMENTS(bench_drivers); j++) {
            if (bench_drivers[j]->supports(bench_cases[i].alg,
                                           bench_cases[i].mode)) {
                bench_case(&bench_cases[i], bench_drivers[j], ncpus,
                           seconds);
            }
        }
    }
}

/*
 * aes-256-xts MB/s against the thread count, for 512-byte and 4 KiB
 * calls, on each backend: "backend unit threads enc-MB/s dec-MB/s".
 */
static void bench_sweep(unsigned int max_threads, double seconds)
{
    static const size_t units[] = { BENCH_SECTOR, 4096 };
    unsigned int n;
    size_t i, j;

    printf("# backend unit threads enc_mbps dec_mbps\n");
    for (j = 0; j < G_N_ELEMENTS(bench_drivers); j++) {
        for (i = 0; i < G_N_ELEMENTS(units); i++) {
            for (n = 1; n <= max_threads; n++) {
                printf("%s %zu %u %.1f %.1f\n", bench_drivers[j]->name,
                       units[i], n,
                       bench_threads(&bench_cases[0], bench_drivers[j],
                                     true, units[i], n, seconds),
                       bench_threads(&bench_cases[0], bench_drivers[j],
                                     false, units[i], n, seconds));
                fflush(stdout);
            }
        }
    }
}

/* Returns: this thread's user+system CPU time in ms, at tick resolution,
 * the clock QEMU 7.2 calibrates PBKDF2 with. */
static uint64_t bench_rusage_ms(void)
{
    struct rusage ru;

    getrusage(RUSAGE_THREAD, &ru);
    return (uint64_t)ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 +
           (uint64_t)ru.ru_stime.tv_sec * 1000 + ru.ru_stime.tv_usec / 1000;
}

/*
 * Returns: PBKDF2 iterations per second measured the way 7.2 describes
 * its method: double the count until one derivation takes over 500 ms of
 * thread CPU time by getrusage(), then scale that round to one second.
 */
static uint64_t bench_pbkdf_ref_rate(QCryptoHashAlgo hash, size_t nout)
{
    uint8_t key[32] = { 0 }, salt[32] = { 0 };
    g_autofree uint8_t *out = g_malloc(nout);
    uint64_t iterations = 1 << 15, start, ms;

    for (;;) {
        start = bench_rusage_ms();
        qcrypto_pbkdf2(hash, key, sizeof(key), salt, sizeof(salt),
                       iterations, out, nout, &error_abort);
        ms = bench_rusage_ms() - start;
        if (ms > 500) {
            return iterations * 1000 / ms;
        }
        iterations *= 2;
    }
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* One row: our calibration with @budget_ms (cost and spread over @runs)
 * against 7.2's. */
static void bench_pbkdf_case(QCryptoHashAlgo hash, size_t nout,
                             unsigned int budget_ms, int runs)
{
    uint8_t key[32] = { 0 }, salt[32] = { 0 };
    double cost[64], wall[64], rate[64], ref;
    int i;

    assert(runs > 0 && runs <= 64);
    ref = bench_pbkdf_ref_rate(hash, nout);
    for (i = 0; i < runs; i++) {
        double t0 = bench_now();
        double c0 = bench_clock(CLOCK_THREAD_CPUTIME_ID);

        rate[i] = qcrypto_pbkdf2_count_iters_within(hash, key, sizeof(key),
                                                    salt, sizeof(salt), nout,
                                                    budget_ms, &error_abort);
        cost[i] = (bench_clock(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e3;
        wall[i] = (bench_now() - t0) * 1e3;
    }
    qsort(cost, runs, sizeof(double), bench_cmp_double);
    qsort(wall, runs, sizeof(double), bench_cmp_double);
    qsort(rate, runs, sizeof(double), bench_cmp_double);
    printf("| %s | %zu | %u | %.1f | %.1f | %.1f | %.0f | %.0f | %.0f "
           "| %.3f |\n",
           qapi_enum_lookup(&QCryptoHashAlgo_lookup, hash), nout, budget_ms,
           cost[runs / 2], cost[runs - 1], wall[runs / 2], rate[0],
           rate[runs / 2], ref, rate[0] / ref);
    fflush(stdout);
}

/* PBKDF2 calibration: what ours costs and reports, against 7.2's way. */
static void bench_pbkdf(int runs)
{
    printf("PBKDF2 calibration (qcrypto_pbkdf2_count_iters_within, %d calls "
           "a row) against one\n7.2-style >500 ms getrusage round; "
           "LUKS grants a budget of iter-time / 40\n(16 ms is the "
           "default); rates in iterations/s\n\n", runs);
    printf("| hash | out bytes | budget ms | CPU ms (median) | CPU ms (max) "
           "| wall ms (median) | rate (min) | rate (median) "
           "| 7.2-style rate | min / 7.2 |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    bench_pbkdf_case(QCRYPTO_HASH_ALGO_SHA256, 32, 16, runs);
    bench_pbkdf_case(QCRYPTO_HASH_ALGO_SHA256, 64, 0, runs);
    bench_pbkdf_case(QCRYPTO_HASH_ALGO_SHA256, 64, 2, runs);
    bench_pbkdf_case(QCRYPTO_HASH_ALGO_SHA256, 64, 16, runs);
    bench_pbkdf_case(QCRYPTO_HASH_ALGO_SHA256, 64, 50, runs);
    bench_pbkdf_case(QCRYPTO_HASH_ALGO_SHA1, 64, 16, runs);
    bench_pbkdf_case(QCRYPTO_HASH_ALGO_SHA512, 64, 16, runs);
}

static void bench_usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [table [SECONDS] | sweep [SECONDS [MAX-THREADS]] | "
            "pbkdf [RUNS]]\n"
            "  table  cipher MB/s, one thread and all cores (markdown)\n"
            "  sweep  aes-256-xts MB/s against threads (columns)\n"
            "  pbkdf  PBKDF2 calibration cost and accuracy (markdown)\n"
            "  SECONDS per measurement (default 0.25)\n", argv0);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "table";
    double seconds = argc > 2 ? g_ascii_strtod(argv[2], NULL) : 0.25;
    unsigned int ncpus = MIN(g_get_num_processors(), BENCH_MAX_THREADS);

    if (argc > 4 || seconds <= 0) {
        bench_usage(argv[0]);
        return 1;
    }
    if (!strcmp(mode, "table") && argc <= 3) {
        bench_table(ncpus, seconds);
    } else if (!strcmp(mode, "sweep")) {
        int max = argc > 3 ? atoi(argv[3]) : (int)(2 * ncpus);

        bench_sweep(CLAMP(max, 1, BENCH_MAX_THREADS), seconds);
    } else if (!strcmp(mode, "pbkdf") && argc <= 3) {
        bench_pbkdf(argc > 2 ? CLAMP(atoi(argv[2]), 1, 64) : 9);
    } else {
        bench_usage(argv[0]);
        return 1;
    }
    return 0;
}
