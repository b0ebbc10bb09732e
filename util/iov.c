/*
 * Scatter/gather I/O vectors (see include/qemu/iov.h).
 */
#include "qemu/osdep.h"

#include "qemu/iov.h"

void qemu_iovec_init(QEMUIOVector *qiov, int hint)
{
    qiov->nalloc = hint > 0 ? hint : 1;
    qiov->iov = g_new(struct iovec, qiov->nalloc);
    qiov->niov = 0;
    qiov->size = 0;
}

void qemu_iovec_init_buf(QEMUIOVector *qiov, void *buf, size_t len)
{
    /* A borrowed one-piece array would need storage: keep it owned. */
    qemu_iovec_init(qiov, 1);
    qemu_iovec_add(qiov, buf, len);
}

void qemu_iovec_add(QEMUIOVector *qiov, void *base, size_t len)
{
    assert(qiov->nalloc > 0);
    if (0 == len) {
        return;
    }
    if (qiov->niov > 0) {
        struct iovec *last = &qiov->iov[qiov->niov - 1];
        if ((uint8_t *)last->iov_base + last->iov_len == (uint8_t *)base) {
            last->iov_len += len;
            qiov->size += len;
            return;
        }
    }
    if (qiov->niov == qiov->nalloc) {
        qiov->nalloc *= 2;
        qiov->iov = g_renew(struct iovec, qiov->iov, qiov->nalloc);
    }
    qiov->iov[qiov->niov].iov_base = base;
    qiov->iov[qiov->niov].iov_len = len;
    qiov->niov++;
    qiov->size += len;
}

void qemu_iovec_concat(QEMUIOVector *dst, const QEMUIOVector *src,
                       size_t soffset, size_t bytes)
{
    int i;

    for (i = 0; i < src->niov && bytes > 0; i++) {
        size_t len = src->iov[i].iov_len;
        if (soffset >= len) {
            soffset -= len;
            continue;
        }
        len = MIN(len - soffset, bytes);
        qemu_iovec_add(dst, (uint8_t *)src->iov[i].iov_base + soffset, len);
        bytes -= len;
        soffset = 0;
    }
    assert(0 == bytes);
}

void qemu_iovec_destroy(QEMUIOVector *qiov)
{
    g_free(qiov->iov);
    qiov->iov = NULL;
    qiov->niov = qiov->nalloc = 0;
    qiov->size = 0;
}

void qemu_iovec_reset(QEMUIOVector *qiov)
{
    qiov->niov = 0;
    qiov->size = 0;
}

/* Walk the bytes [@offset, @offset + @bytes) piece by piece. */
typedef void (*IovecVisitFunc)(void *piece, size_t len, size_t done,
                               void *opaque);

static size_t iovec_visit(const QEMUIOVector *qiov, size_t offset,
                          size_t bytes, IovecVisitFunc fn, void *opaque)
{
    size_t done = 0;
    int i;

    for (i = 0; i < qiov->niov && done < bytes; i++) {
        size_t len = qiov->iov[i].iov_len;
        if (offset >= len) {
            offset -= len;
            continue;
        }
        len = MIN(len - offset, bytes - done);
        fn((uint8_t *)qiov->iov[i].iov_base + offset, len, done, opaque);
        done += len;
        offset = 0;
    }
    return done;
}

static void visit_to_buf(void *piece, size_t len, size_t done, void *opaque)
{
    memcpy((uint8_t *)opaque + done, piece, len);
}

static void visit_from_buf(void *piece, size_t len, size_t done, void *opaque)
{
    memcpy(piece, (const uint8_t *)opaque + done, len);
}

static void visit_memset(void *piece, size_t len, size_t done, void *opaque)
{
    memset(piece, *(int *)opaque, len);
}

static void visit_is_zero(void *piece, size_t len, size_t done, void *opaque)
{
    bool *zero = opaque;

    if (*zero && !buffer_is_zero(piece, len)) {
        *zero = false;
    }
}

size_t qemu_iovec_to_buf(const QEMUIOVector *qiov, size_t offset,
                         void *buf, size_t bytes)
{
    return iovec_visit(qiov, offset, bytes, visit_to_buf, buf);
}

size_t qemu_iovec_from_buf(QEMUIOVector *qiov, size_t offset,
                           const void *buf, size_t bytes)
{
    return iovec_visit(qiov, offset, bytes, visit_from_buf, (void *)buf);
}

size_t qemu_iovec_memset(QEMUIOVector *qiov, size_t offset, int c,
                         size_t bytes)
{
    return iovec_visit(qiov, offset, bytes, visit_memset, &c);
}

bool qemu_iovec_is_zero(const QEMUIOVector *qiov, size_t offset, size_t bytes)
{
    bool zero = true;

    iovec_visit(qiov, offset, bytes, visit_is_zero, &zero);
    return zero;
}

bool buffer_is_zero(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    size_t head;

    /* Check a short head byte-wise, then compare the rest with itself
     * shifted by 16 bytes: memcmp is vectorised by libc. */
    head = MIN(len, 16);
    for (size_t i = 0; i < head; i++) {
        if (p[i]) {
            return false;
        }
    }
    return len <= 16 || 0 == memcmp(p, p + 16, len - 16);
}
