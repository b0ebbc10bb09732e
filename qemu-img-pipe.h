/*
 * The read-ahead of qemu-img's copy engine (convert, compare): a producer
 * thread fills a ring of reusable buffers that the caller consumes in order.
 */
#ifndef QEMU_IMG_PIPE_H
#define QEMU_IMG_PIPE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"

/* One piece of the stream. */
typedef struct ImgPipeItem {
    int64_t offset;     /* where the piece belongs, set by the fill function */
    int64_t bytes;      /* its length */
    bool zero;          /* the piece reads as zeros and @buf holds nothing */
    bool skip;          /* the piece needs nothing done; @buf holds nothing */
    bool unread;        /* data left unread, @buf holds nothing: the
                         * consumer copies it from source @src_index at
                         * @src_offset itself (copy offloading) */
    unsigned src_index;
    int64_t src_offset;
    uint8_t *buf;       /* the slot's buffer (owned by the pipe, reused) */
} ImgPipeItem;

/*
 * Fill @item (whose @buf holds the pipe's buffer size) with the next piece.
 * Runs on the producer thread, which alone touches the nodes it reads; it
 * prints nothing, so that errors are reported in the order of the data.
 * Returns: 1 for a piece, 0 at the end, or -errno.
 */
typedef int (*ImgPipeFillFunc)(void *opaque, ImgPipeItem *item);

typedef struct ImgPipe ImgPipe;

/*
 * img_pipe_reader_flags:
 * @depth: the depth the pipe will have
 *
 * Returns: the flags for the reads of a fill function whose consumer
 * writes: BDRV_REQ_SERIAL_CRYPTO when a reader thread and the writer
 * would otherwise share at most two CPUs with crypto workers.
 */
BdrvRequestFlags img_pipe_reader_flags(unsigned depth);

/*
 * img_pipe_new:
 * @depth: how many pieces may be in flight (1: no thread, each get fills)
 * @buf_size: the size of each slot's buffer
 * @fill: produces the pieces, in order
 * @opaque: passed to @fill
 *
 * Start reading ahead.  Nothing the fill function uses may be touched by
 * the caller until img_pipe_free() returns.
 * Returns: the pipe; free it with img_pipe_free().
 */
ImgPipe *img_pipe_new(unsigned depth, size_t buf_size, ImgPipeFillFunc fill,
                      void *opaque);

/*
 * img_pipe_get:
 * @pipe: the pipe
 *
 * Wait for the next piece.  It stays valid until img_pipe_put().
 * Returns: the piece, or NULL at the end or once every piece filled
 * before a fill error was returned (img_pipe_free() tells which).
 */
ImgPipeItem *img_pipe_get(ImgPipe *pipe);

/*
 * img_pipe_put:
 * @pipe: the pipe
 * @item: the piece img_pipe_get() returned
 *
 * Give the piece's slot back for reading ahead.
 */
void img_pipe_put(ImgPipe *pipe, ImgPipeItem *item);

/*
 * img_pipe_free:
 * @pipe: the pipe, or NULL
 *
 * Stop the producer (it finishes the piece it is filling), wait for it
 * and free the buffers.
 * Returns: 0, or the fill function's error.
 */
int img_pipe_free(ImgPipe *pipe);

#endif
