/*
 * Scatter/gather I/O vectors for vectored block requests.
 */
#ifndef QEMU_IOV_H
#define QEMU_IOV_H

#include <stddef.h>
#include <sys/uio.h>

typedef struct QEMUIOVector {
    struct iovec *iov;
    int niov;
    int nalloc;         /* 0 when @iov is borrowed (init_buf) */
    size_t size;        /* total bytes */
} QEMUIOVector;

/* qemu_iovec_init: empty vector with room for @hint pieces. */
void qemu_iovec_init(QEMUIOVector *qiov, int hint);

/* qemu_iovec_init_buf: a one-piece vector over @buf (destroy it after
 * use: the piece array is allocated). */
void qemu_iovec_init_buf(QEMUIOVector *qiov, void *buf, size_t len);

/* qemu_iovec_add: append a piece (the vector must own its array). */
void qemu_iovec_add(QEMUIOVector *qiov, void *base, size_t len);

/*
 * qemu_iovec_concat:
 * Append the bytes [@soffset, @soffset + @bytes) of @src to @dst as pieces
 * pointing into @src's buffers.
 */
void qemu_iovec_concat(QEMUIOVector *dst, const QEMUIOVector *src,
                       size_t soffset, size_t bytes);

/* qemu_iovec_destroy: free the piece array (not the buffers). */
void qemu_iovec_destroy(QEMUIOVector *qiov);

/* qemu_iovec_reset: drop all pieces, keeping the array. */
void qemu_iovec_reset(QEMUIOVector *qiov);

/* Copy between a vector (from byte @offset) and a flat buffer.
 * Returns: bytes copied. */
size_t qemu_iovec_to_buf(const QEMUIOVector *qiov, size_t offset,
                         void *buf, size_t bytes);
size_t qemu_iovec_from_buf(QEMUIOVector *qiov, size_t offset,
                           const void *buf, size_t bytes);
size_t qemu_iovec_memset(QEMUIOVector *qiov, size_t offset, int c,
                         size_t bytes);

/* qemu_iovec_is_zero: Returns: whether the bytes are all zero. */
bool qemu_iovec_is_zero(const QEMUIOVector *qiov, size_t offset, size_t bytes);

/* buffer_is_zero: Returns: whether @len bytes at @buf are all zero. */
bool buffer_is_zero(const void *buf, size_t len);

#endif /* QEMU_IOV_H */
