/*
 * The read-ahead of qemu-img's copy engine: one producer thread and a ring
 * of reusable buffers, so reading (and decrypting) overlaps writing.
 */
#include "qemu/osdep.h"

#include "qemu-img-pipe.h"

struct ImgPipe {
    ImgPipeFillFunc fill;
    void *opaque;
    unsigned depth;
    ImgPipeItem *items;         /* the ring */
    /*
     * items[head .. head + count) (mod depth) are filled, the consumer
     * holding at most the one at head; the producer fills the slot at
     * head + count while count < depth.  Guarded by @lock.
     */
    unsigned head;
    unsigned count;
    bool done;                  /* the producer has stopped */
    bool stopping;              /* the consumer wants no more pieces */
    int ret;                    /* the fill function's error */
    GThread *thread;
    GMutex lock;
    GCond cond;
};

/* The producer: fill free slots in order until the end or an error. */
static gpointer img_pipe_producer(gpointer opaque)
{
    ImgPipe *pipe = opaque;
    ImgPipeItem *item;
    int ret;

    g_mutex_lock(&pipe->lock);
    for (;;) {
        while (!pipe->stopping && pipe->count == pipe->depth) {
            g_cond_wait(&pipe->cond, &pipe->lock);
        }
        if (pipe->stopping) {
            break;
        }
        item = &pipe->items[(pipe->head + pipe->count) % pipe->depth];
        g_mutex_unlock(&pipe->lock);

        ret = pipe->fill(pipe->opaque, item);

        g_mutex_lock(&pipe->lock);
        if (ret <= 0) {
            pipe->ret = ret;
            break;
        }
        pipe->count++;
        g_cond_broadcast(&pipe->cond);
    }
    pipe->done = true;
    g_cond_broadcast(&pipe->cond);
    g_mutex_unlock(&pipe->lock);
    return NULL;
}

BdrvRequestFlags img_pipe_reader_flags(unsigned depth)
{
    /*
     * The writer keeps one CPU busy: on a machine of two, a reader thread
     * decrypts on its own rather than queueing pieces for a crypto worker
     * that only competes with both for the other CPU (LUKS qcow2 -> raw
     * of 512 MiB: 0.28 -> 0.25 s).
     */
    return depth > 1 && g_get_num_processors() <= 2 ? BDRV_REQ_SERIAL_CRYPTO
                                                     : 0;
}

ImgPipe *img_pipe_new(unsigned depth, size_t buf_size, ImgPipeFillFunc fill,
                      void *opaque)
{
    ImgPipe *pipe = g_new0(ImgPipe, 1);

    assert(depth >= 1);
    pipe->fill = fill;
    pipe->opaque = opaque;
    pipe->depth = depth;
    pipe->items = g_new0(ImgPipeItem, depth);
    /* Untouched pages cost nothing: the ring grows into its buffers. */
    for (unsigned i = 0; i < depth; i++) {
        pipe->items[i].buf = g_malloc(buf_size);
    }
    g_mutex_init(&pipe->lock);
    g_cond_init(&pipe->cond);
    if (depth > 1) {
        pipe->thread = g_thread_try_new("qemu-img-read", img_pipe_producer,
                                        pipe, NULL);
    }
    /* Without a thread every get fills its piece itself. */
    return pipe;
}

/* Synchronous mode: fill the only slot on the caller's thread. */
static ImgPipeItem *img_pipe_get_sync(ImgPipe *pipe)
{
    int ret;

    if (pipe->done) {
        return NULL;
    }
    ret = pipe->fill(pipe->opaque, &pipe->items[pipe->head]);
    if (ret <= 0) {
        pipe->ret = ret;
        pipe->done = true;
        return NULL;
    }
    pipe->count = 1;
    return &pipe->items[pipe->head];
}

ImgPipeItem *img_pipe_get(ImgPipe *pipe)
{
    ImgPipeItem *item = NULL;

    if (!pipe->thread) {
        return img_pipe_get_sync(pipe);
    }
    g_mutex_lock(&pipe->lock);
    while (!pipe->count && !pipe->done) {
        g_cond_wait(&pipe->cond, &pipe->lock);
    }
    /* The pieces read before an error come first, as they were read. */
    if (pipe->count) {
        item = &pipe->items[pipe->head];
    }
    g_mutex_unlock(&pipe->lock);
    return item;
}

void img_pipe_put(ImgPipe *pipe, ImgPipeItem *item)
{
    assert(item == &pipe->items[pipe->head]);
    if (!pipe->thread) {
        pipe->count = 0;
        return;
    }
    g_mutex_lock(&pipe->lock);
    assert(pipe->count);
    pipe->head = (pipe->head + 1) % pipe->depth;
    pipe->count--;
    g_cond_broadcast(&pipe->cond);
    g_mutex_unlock(&pipe->lock);
}

int img_pipe_free(ImgPipe *pipe)
{
    int ret;

    if (!pipe) {
        return 0;
    }
    if (pipe->thread) {
        g_mutex_lock(&pipe->lock);
        pipe->stopping = true;
        g_cond_broadcast(&pipe->cond);
        g_mutex_unlock(&pipe->lock);
        g_thread_join(pipe->thread);
    }
    ret = pipe->ret;
    for (unsigned i = 0; i < pipe->depth; i++) {
        g_free(pipe->items[i].buf);
    }
    g_free(pipe->items);
    g_mutex_clear(&pipe->lock);
    g_cond_clear(&pipe->cond);
    g_free(pipe);
    return ret;
}
