/*
 * Cipher throughput on one thread: MB/s per algorithm, mode and backend,
 * one call per 512-byte sector and one call per 64 KiB buffer.
 */
#include "qemu/osdep.h"

#include <time.h>

#include "crypto/cipher.h"
#include "crypto/cipherpriv.h"
#include "crypto/random.h"
#include "qemu/bswap.h"

#define BENCH_BUF_SIZE (1024 * 1024)
#define BENCH_SECTOR 512
#define BENCH_LARGE (64 * 1024)

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

static double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Returns: MB/s (10^6 bytes) of @cipher over @buf in @chunk-sized calls,
 * each with the plain64 IV of its 512-byte sector, for about @seconds. */
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

/* Print one line for @c on @driver. */
static void bench_case(const BenchCase *c, const QCryptoCipherDriver *driver,
                       uint8_t *buf, double seconds)
{
    size_t nkey = qcrypto_cipher_get_key_len(c->alg);
    uint8_t key[64];
    g_autoptr(QCryptoCipher) cipher = NULL;
    g_autofree char *name = NULL;
    double enc_sector, dec_sector;

    if (c->mode == QCRYPTO_CIPHER_MODE_XTS) {
        nkey *= 2;
    }
    qcrypto_random_bytes(key, nkey, &error_abort);
    cipher = qcrypto_cipher_new_with_driver(driver, c->alg, c->mode,
                                            key, nkey, &error_abort);
    name = g_strdup_printf("%s-%s",
                           qapi_enum_lookup(&QCryptoCipherAlgo_lookup, c->alg),
                           qapi_enum_lookup(&QCryptoCipherMode_lookup,
                                            c->mode));
    enc_sector = bench_run(cipher, true, buf, BENCH_SECTOR, seconds);
    dec_sector = bench_run(cipher, false, buf, BENCH_SECTOR, seconds);
    /* Sectors per second follow from MB/s on 512-byte sectors. */
    printf("%-18s %-8s %10.1f %10.1f %10.1f %10.1f %12.0f\n", name,
           driver->name, enc_sector, dec_sector,
           bench_run(cipher, true, buf, BENCH_LARGE, seconds),
           bench_run(cipher, false, buf, BENCH_LARGE, seconds),
           enc_sector * 1e6 / BENCH_SECTOR);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? g_ascii_strtod(argv[1], NULL) : 0.25;
    g_autofree uint8_t *buf = g_malloc(BENCH_BUF_SIZE);
    size_t i, j;

    if (argc > 2 || seconds <= 0) {
        fprintf(stderr, "usage: %s [SECONDS-PER-MEASUREMENT]\n", argv[0]);
        return 1;
    }
    qcrypto_random_bytes(buf, BENCH_BUF_SIZE, &error_abort);
    printf("MB/s on one thread (10^6 bytes/s)\n");
    printf("%-18s %-8s %10s %10s %10s %10s %12s\n", "cipher", "backend",
           "enc 512B", "dec 512B", "enc 64KiB", "dec 64KiB", "enc sect/s");
    for (i = 0; i < G_N_ELEMENTS(bench_cases); i++) {
        for (j = 0; j < G_N_ELEMENTS(bench_drivers); j++) {
            if (bench_drivers[j]->supports(bench_cases[i].alg,
                                           bench_cases[i].mode)) {
                bench_case(&bench_cases[i], bench_drivers[j], buf, seconds);
            }
        }
    }
    return 0;
}
