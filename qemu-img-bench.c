/*
 * qemu-img bench: time a run of read or write requests (and optional
 * flushes) against an image, with 7.2's options and output lines.
 */
#include "qemu/osdep.h"

#include <getopt.h>

#include "qemu-img-common.h"

enum {
    OPTION_PATTERN = IMG_OPTION_PRIVATE_BASE,
    OPTION_FLUSH_INTERVAL,
    OPTION_NO_DRAIN,
};

/* Most worker threads a run uses, whatever the queue depth. */
#define IMG_BENCH_MAX_THREADS 64

/* Buffer alignment that suits O_DIRECT (-t none). */
#define IMG_BENCH_BUF_ALIGN 4096

typedef struct ImgBench {
    ImgCommonOpts o;
    const char *cache;
    bool quiet;
    bool is_write;
    bool native_aio;
    bool drain_on_flush;
    int count;
    int depth;
    int pattern;
    int flush_interval;
    int64_t offset;
    int64_t bufsize;
    int64_t step;
} ImgBench;

/*
 * State of one run, shared by its workers under @lock.  Requests are
 * handed out in order; with a flush interval, only requests before
 * @batch_end may start, so the worker that completes a batch flushes a
 * drained queue and opens the next batch.
 */
typedef struct BenchState {
    const ImgBench *b;
    BdrvChild *child;
    int64_t image_size;
    int64_t next_offset;
    int issued;
    int completed;
    int batch_end;
    int error;                  /* first failure, -errno */
    GMutex lock;
    GCond cond;
} BenchState;

typedef struct BenchWorker {
    BenchState *s;
    uint8_t *buf;               /* bufsize bytes of the pattern */
    GThread *thread;
} BenchWorker;

/* Called with the lock held: the offset of the next request. */
static int64_t bench_take_offset(BenchState *s)
{
    int64_t offset = s->next_offset;

    s->issued++;
    s->next_offset += s->b->step;
    /* 7.2 wraps at the end of the image (and divides by zero for an
     * empty one; then every request fails instead). */
    if (s->image_size > 0) {
        s->next_offset %= s->image_size;
    }
    return offset;
}

/* Called with the lock held after a request completed. */
static void bench_complete(BenchState *s)
{
    const ImgBench *b = s->b;
    int ret;

    s->completed++;
    if (s->completed != s->batch_end) {
        return;
    }
    if (b->flush_interval) {
        /* The queue is drained: every other worker is waiting. */
        ret = bdrv_flush(s->child->bs);
        if (ret < 0 && !s->error) {
            s->error = ret;
        }
        s->batch_end = MIN(b->count, s->batch_end + b->flush_interval);
    }
    g_cond_broadcast(&s->cond);
}

static gpointer bench_worker(gpointer opaque)
{
    BenchWorker *w = opaque;
    BenchState *s = w->s;
    int64_t offset;
    int ret;

    g_mutex_lock(&s->lock);
    for (;;) {
        while (!s->error && s->issued >= s->batch_end &&
               s->issued < s->b->count) {
            g_cond_wait(&s->cond, &s->lock);
        }
        if (s->error || s->issued >= s->b->count) {
            break;
        }
        offset = bench_take_offset(s);
        g_mutex_unlock(&s->lock);
        ret = s->b->is_write ?
              bdrv_pwrite(s->child, offset, s->b->bufsize, w->buf, 0) :
              bdrv_pread(s->child, offset, s->b->bufsize, w->buf, 0);
        g_mutex_lock(&s->lock);
        if (ret < 0) {
            s->error = s->error ? s->error : ret;
            g_cond_broadcast(&s->cond);
            break;
        }
        bench_complete(s);
    }
    g_mutex_unlock(&s->lock);
    return NULL;
}

/*
 * Our block layer is synchronous, and drivers keep per-node state (the
 * luks bounce buffer, qcow2's caches and allocation), so concurrent
 * requests on one node are not safe in general.  The exception is raw
 * (or nothing) over the file protocol: each request is a positioned
 * pread/pwrite on the fd.  Writes that are not aligned go through a
 * read-modify-write that could interleave, so those stay serial too.
 * Everywhere else, requests are issued one at a time, whatever -d says.
 */
static bool bench_can_use_threads(const ImgBench *b, BlockDriverState *bs)
{
    BlockDriverState *file = bdrv_get_file(bs);
    uint32_t align;

    if (0 == strcmp(bdrv_get_format_name(bs), "raw") && file &&
        !bdrv_get_backing(bs)) {
        bs = file;
    }
    if (strcmp(bdrv_get_format_name(bs), "file")) {
        return false;
    }
    align = bdrv_get_request_alignment(bs);
    return !b->is_write ||
           (QEMU_IS_ALIGNED(b->offset, align) &&
            QEMU_IS_ALIGNED(b->bufsize, align) &&
            QEMU_IS_ALIGNED(b->step, align));
}

static uint8_t *bench_alloc_buf(const ImgBench *b)
{
    void *buf = NULL;

    if (posix_memalign(&buf, IMG_BENCH_BUF_ALIGN,
                       MAX(b->bufsize, IMG_BENCH_BUF_ALIGN))) {
        g_error("Out of memory for a %" PRId64 "-byte buffer", b->bufsize);
    }
    memset(buf, b->pattern, b->bufsize);
    return buf;
}

/* Issue all requests with @nthreads workers (1: in this thread). */
static int bench_run(BenchState *s, int nthreads)
{
    BenchWorker *w = g_new0(BenchWorker, nthreads);
    int i;

    for (i = 0; i < nthreads; i++) {
        w[i].s = s;
        w[i].buf = bench_alloc_buf(s->b);
    }
    if (1 == nthreads) {
        bench_worker(&w[0]);
    } else {
        for (i = 0; i < nthreads; i++) {
            w[i].thread = g_thread_new("bench", bench_worker, &w[i]);
        }
        for (i = 0; i < nthreads; i++) {
            g_thread_join(w[i].thread);
        }
    }
    for (i = 0; i < nthreads; i++) {
        free(w[i].buf);
    }
    g_free(w);
    return s->error;
}

static int bench_execute(const ImgBench *b, BdrvChild *child)
{
    BenchState s = {
        .b = b,
        .child = child,
        .next_offset = b->offset,
        .batch_end = b->flush_interval ? MIN(b->count, b->flush_interval)
                                       : b->count,
    };
    int nthreads = 1;
    int64_t t0;
    int ret;

    s.image_size = bdrv_getlength(child->bs);
    if (s.image_size < 0) {
        return 1;
    }
    printf("Sending %d %s requests, %" PRId64 " bytes each, %d in parallel "
           "(starting at offset %" PRId64 ", step size %" PRId64 ")\n",
           b->count, b->is_write ? "write" : "read", b->bufsize, b->depth,
           b->offset, b->step);
    if (b->flush_interval) {
        printf("Sending flush every %d requests\n", b->flush_interval);
    }
    if (bench_can_use_threads(b, child->bs)) {
        nthreads = MAX(1, MIN(MIN(b->depth, b->count),
                              IMG_BENCH_MAX_THREADS));
    }
    g_mutex_init(&s.lock);
    g_cond_init(&s.cond);
    t0 = g_get_monotonic_time();
    ret = bench_run(&s, nthreads);
    g_mutex_clear(&s.lock);
    g_cond_clear(&s.cond);
    if (ret < 0) {
        error_report("Failed request: %s", g_strerror(-ret));
        return 1;
    }
    printf("Run completed in %3.3f seconds.\n",
           (g_get_monotonic_time() - t0) / 1e6);
    return 0;
}

static int img_bench_run(const ImgBench *b, const char *filename)
{
    int flags = b->is_write ? BDRV_O_RDWR : 0;
    int cache_flags = 0;
    BlockDriverState *bs;
    BdrvChild *child;
    int ret;

    bs = img_open(b->o.image_opts, filename, b->o.fmt, flags, b->cache,
                  b->quiet, b->o.force_share);
    if (!bs) {
        return 1;
    }
    if (b->cache) {
        img_parse_cache_mode(b->cache, &cache_flags);
    }
    if (b->native_aio && !(cache_flags & BDRV_O_NOCACHE)) {
        /* 7.2's file protocol refuses Linux AIO on the page cache. */
        error_report("Could not open '%s': aio=native was specified, but it "
                     "requires cache.direct=on, which was not specified.",
                     filename);
        bdrv_unref(bs);
        return 1;
    }
    child = bdrv_root_attach(bs);
    ret = bench_execute(b, child);
    bdrv_root_detach(child);
    return ret;
}

/* Parse a strtoul-style count in [@min, @max]; exits 1 with @msg. */
static int bench_parse_int(const char *arg, unsigned long min,
                           unsigned long max, const char *msg)
{
    unsigned long res;

    if (img_parse_uint(arg, max, &res) < 0 || res < min) {
        error_report("%s", msg);
        exit(EXIT_FAILURE);
    }
    return (int)res;
}

/* Parse a size option in [0, @max]; exits 1 after cvtnum's error. */
static int64_t bench_parse_size(const char *name, const char *arg,
                                int64_t max)
{
    int64_t val = img_cvtnum_full(name, arg, 0, max);

    if (val < 0) {
        exit(EXIT_FAILURE);
    }
    return val;
}

/* -i: our I/O is synchronous whatever the mode; "native" is checked. */
static void bench_parse_aio(ImgBench *b, const char *mode)
{
    if (0 == strcmp(mode, "native")) {
        b->native_aio = true;
    } else if (strcmp(mode, "threads") && strcmp(mode, "io_uring")) {
        error_report("Invalid aio option: %s", mode);
        exit(EXIT_FAILURE);
    }
}

/* Handle one of bench's own options (exits on bad values). */
static void img_bench_option(ImgBench *b, int c)
{
    int unused;

    switch (c) {
    case 'c':
        b->count = bench_parse_int(optarg, 0, INT_MAX,
                                   "Invalid request count specified");
        break;
    case 'd':
        /* 7.2 accepts 0 and then never issues a request. */
        b->depth = bench_parse_int(optarg, 1, INT_MAX,
                                   "Invalid queue depth specified");
        break;
    case 'n':
        b->native_aio = true;
        break;
    case 'i':
        bench_parse_aio(b, optarg);
        break;
    case 'o':
        b->offset = bench_parse_size("offset", optarg, INT64_MAX);
        break;
    case 'q':
        b->quiet = true;
        break;
    case 's':
        b->bufsize = bench_parse_size("buffer size", optarg, INT_MAX);
        break;
    case 'S':
        b->step = bench_parse_size("step_size", optarg, INT_MAX);
        break;
    case 't':
        if (img_parse_cache_mode(optarg, &unused) < 0) {
            error_report("Invalid cache mode");
            exit(EXIT_FAILURE);
        }
        b->cache = optarg;
        break;
    case 'w':
        b->is_write = true;
        break;
    case OPTION_PATTERN:
        b->pattern = bench_parse_int(optarg, 0, 0xff,
                                     "Invalid pattern byte specified");
        break;
    case OPTION_FLUSH_INTERVAL:
        b->flush_interval = bench_parse_int(optarg, 0, INT_MAX,
                                            "Invalid flush interval "
                                            "specified");
        break;
    case OPTION_NO_DRAIN:
        b->drain_on_flush = false;
        break;
    }
}

int img_bench(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "flush-interval", required_argument, NULL, OPTION_FLUSH_INTERVAL },
        { "image-opts", no_argument, NULL, IMG_OPTION_IMAGE_OPTS },
        { "pattern", required_argument, NULL, OPTION_PATTERN },
        { "no-drain", no_argument, NULL, OPTION_NO_DRAIN },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 }
    };
    ImgBench b = {
        .count = 75000, .depth = 64, .bufsize = 4096, .drain_on_flush = true,
    };
    int c;

    while ((c = getopt_long(argc, argv, ":hc:d:f:ni:o:qs:S:t:wU",
                            long_options, NULL)) != -1) {
        if (!img_common_option(&b.o, c, argv)) {
            img_bench_option(&b, c);
        }
    }
    if (optind != argc - 1) {
        img_usage_error("Expecting one image file name");
    }
    if (!b.step) {
        b.step = b.bufsize;
    }
    if (!b.is_write && b.flush_interval) {
        error_report("--flush-interval is only available in write tests");
        return 1;
    }
    if (b.flush_interval && b.flush_interval < b.depth) {
        error_report("Flush interval can't be smaller than depth");
        return 1;
    }
    if (!img_check_image_opts_fmt(&b.o)) {
        return 1;
    }
    return img_bench_run(&b, argv[optind]);
}
