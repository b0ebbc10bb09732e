/*
 * Secret byte buffers (locked, kept out of core dumps, wiped on free) and
 * the wiping and constant-time comparison helpers that go with them.
 */
#include "qemu/osdep.h"

#include <sys/mman.h>
#include <sys/prctl.h>

#include "crypto/key.h"

/*
 * Each key gets its own anonymous mapping.  Sharing pages with other heap
 * data would make mlock() pointless (munlock() is not reference counted,
 * so freeing one key would unlock its neighbours) and would keep
 * MADV_DONTDUMP from applying.  The bytes sit at the very end of the
 * writable pages, followed by an inaccessible guard page, so that running
 * past the terminating NUL faults at once.
 */
typedef struct QCryptoKeyMapping {
    QCryptoKey key;     /* first member: qcrypto_key_free() casts back */
    uint8_t *base;      /* start of the mapping */
    size_t size;        /* writable bytes, excluding the guard page */
} QCryptoKeyMapping;

static size_t key_page_size(void)
{
    long page = sysconf(_SC_PAGESIZE);

    return page > 0 ? (size_t)page : 4096;
}

QCryptoKey *qcrypto_key_new(size_t len)
{
    QCryptoKeyMapping *m = g_new0(QCryptoKeyMapping, 1);
    size_t page = key_page_size();
    void *base;

    /* Room for the bytes and their NUL, in whole pages, plus the guard. */
    assert(len < SIZE_MAX - 2 * page);
    m->size = ROUND_UP(len + 1, page);
    base = mmap(NULL, m->size + page, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        /* Out of memory: fail the way g_malloc() does. */
        abort();
    }
    m->base = base;
    if (mprotect(m->base + m->size, page, PROT_NONE) != 0) {
        abort();
    }
    /* Both are best effort: RLIMIT_MEMLOCK may be small, and a kernel
     * without MADV_DONTDUMP still gets PR_SET_DUMPABLE from
     * qcrypto_secrets_protect_process(). */
    (void)mlock(m->base, m->size);
    (void)madvise(m->base, m->size, MADV_DONTDUMP);

    m->key.len = len;
    m->key.data = m->base + m->size - (len + 1);
    return &m->key;
}

QCryptoKey *qcrypto_key_new_from_data(const void *data, size_t len)
{
    QCryptoKey *key = qcrypto_key_new(len);

    assert(data || len == 0);
    if (len) {
        memcpy(key->data, data, len);
    }
    return key;
}

void qcrypto_key_free(QCryptoKey *key)
{
    QCryptoKeyMapping *m = (QCryptoKeyMapping *)key;

    if (!key) {
        return;
    }
    /* Wipe every writable byte, not just key->len of them: callers may
     * have shortened len (say, to the string length of a password). */
    qcrypto_memzero(m->base, m->size);
    munmap(m->base, m->size + key_page_size());
    g_free(m);
}

void qcrypto_memzero(void *p, size_t n)
{
    if (n) {
        explicit_bzero(p, n);
    }
}

bool qcrypto_mem_equal(const void *a, const void *b, size_t n)
{
    /* Volatile reads keep the compiler from stopping at the first
     * difference; every byte is always read. */
    const volatile uint8_t *pa = a;
    const volatile uint8_t *pb = b;
    uint8_t diff = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        diff |= pa[i] ^ pb[i];
    }
    return diff == 0;
}

void qcrypto_secrets_protect_process(void)
{
    /* Also makes /proc/PID/mem and ptrace unavailable to other processes
     * of the same user.  Failure leaves nothing useful to do. */
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
