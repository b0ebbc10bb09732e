/*
 * qemu-img convert and compare: copying and comparing guest data between
 * images, skipping and detecting zeros.
 */
#include "qemu/osdep.h"

#include <getopt.h>

#include "qapi/keyval.h"
#include "qapi/opts.h"
#include "qemu-img-common.h"
#include "qemu-img-pipe.h"
#include "qemu/cutils.h"

enum {
    OPTION_OBJECT = 256,
    OPTION_IMAGE_OPTS,
    OPTION_TARGET_IMAGE_OPTS,
    OPTION_TARGET_IS_ZERO,
    OPTION_SALVAGE,
    OPTION_BITMAPS,
    OPTION_SKIP_BROKEN,
};

/* Bytes copied or compared per step. */
#define IMG_COPY_CHUNK (2 * 1024 * 1024)

/* Chunks compare reads ahead in the first image. */
#define IMG_COMPARE_DEPTH 4

/* -m: parallel requests, as 7.2 bounds its coroutines. */
#define IMG_MAX_REQUESTS 16
#define IMG_DEFAULT_REQUESTS 8

typedef struct ImgConvert {
    const char *src_fmt;
    const char *out_fmt;
    const char *src_cache;
    const char *cache;
    char *options;
    bool image_opts;
    bool target_image_opts;
    bool no_create;
    bool progress;
    bool quiet;
    bool compress;
    bool force_share;
    bool target_is_zero;
    int64_t sparse_size;        /* 0: write every zero as data */
    BdrvChild **src;
    int64_t *src_len;
    int nsrc;
    int64_t total;
    const char *backing_file;   /* -B */
    const char *backing_fmt;    /* -F */
    bool target_has_backing;    /* what the source's top lacks is left */
    int num_requests;           /* -m: pieces in flight */
    bool copy_range;            /* -C: copy offloading, while it works */
    bool explicit_sparse;       /* -S was given */
    BdrvRequestFlags read_flags;    /* of the reads of the sources */
    bool out_of_order;          /* -W: in-order writes are allowed too */
    /* The reader's position: source index, offset in it, its base. */
    int rd_src;
    int64_t rd_offset;
    int64_t rd_base;
    int64_t rd_error_offset;    /* where the reader failed */
    BdrvChild *target;
    QObject *target_opts;       /* options to open the created target */
    bool target_zeroed;         /* unwritten target areas read as zero */
    int64_t cluster_size;       /* -c: the target's compression unit */
    bool bitmaps;               /* --bitmaps (qemu-img-bitmap.c) */
    bool skip_broken_bitmaps;   /* --skip-broken-bitmaps */
    const char *snapshot;       /* -l: an internal snapshot of the source */
    bool salvage;               /* --salvage: unreadable sectors as zeros */
    int64_t rate_limit;         /* -r, bytes per second; 0: unlimited */
} ImgConvert;

static void img_progress(const ImgConvert *c, double percent)
{
    if (c->progress && !c->quiet) {
        printf("    (%.2f/100%%)\r", percent);
        fflush(stdout);
    }
}

static int img_convert_open_sources(ImgConvert *c, char **names, int n)
{
    c->src = g_new0(BdrvChild *, n);
    c->src_len = g_new0(int64_t, n);
    for (int i = 0; i < n; i++) {
        BlockDriverState *bs = img_open(c->image_opts, names[i], c->src_fmt,
                                        0, c->src_cache, c->quiet,
                                        c->force_share);
        int64_t len;

        if (!bs) {
            return -1;
        }
        c->src[i] = bdrv_root_attach(bs);
        c->nsrc++;
        len = bdrv_getlength(bs);
        if (len < 0) {
            error_report("Could not get size of %s: %s", names[i],
                         g_strerror((int)-len));
            return -1;
        }
        c->src_len[i] = len;
        c->total += len;
    }
    return 0;
}

/*
 * -B and -F name the new image's backing file and format, over any -o
 * backing_file and backing_fmt (as 7.2 adds them last).
 */
static int img_convert_add_backing(const ImgConvert *c, const QOptDesc *all,
                                   QObject *opts)
{
    if (c->backing_file) {
        if (!qopts_find(all, "backing_file")) {
            error_report("Backing file not supported for file format '%s'",
                         c->out_fmt);
            return -1;
        }
        qdict_put_str(opts, "backing_file", c->backing_file);
    }
    if (c->backing_fmt) {
        if (!qopts_find(all, "backing_fmt")) {
            error_report("Backing file format not supported for file "
                         "format '%s'", c->out_fmt);
            return -1;
        }
        qdict_put_str(opts, "backing_fmt", c->backing_fmt);
    }
    return 0;
}

/* Create the target image (unless -n). */
static int img_convert_create(ImgConvert *c, const char *out)
{
    const BlockDriver *drv = bdrv_find_format(c->out_fmt);
    g_autofree QOptDesc *all = NULL;
    g_autoptr(QObject) opts = qobject_new_dict();
    g_autofree char *size = NULL;
    Error *err = NULL;

    if (!drv || !(all = bdrv_get_create_opts(drv))) {
        error_report("Unknown file format '%s'", c->out_fmt);
        return -1;
    }
    if (c->options && !keyval_parse_into(opts, c->options, NULL, &err)) {
        error_report_err(err);
        return -1;
    }
    if (img_convert_add_backing(c, all, opts) < 0) {
        return -1;
    }
    if (!qopts_validate(all, opts, &err)) {
        error_report_err(err);
        return -1;
    }
    if (qdict_haskey(opts, "backing_file") &&
        !qdict_haskey(opts, "backing_fmt")) {
        error_report("Use of backing file requires explicit backing format");
        return -1;
    }
    c->target_has_backing = qdict_haskey(opts, "backing_file");
    if (c->compress && !bdrv_driver_supports_compressed_writes(drv)) {
        error_report("Compression not supported for this file format");
        return -1;
    }
    if (c->compress && (qopts_get_bool(opts, "encryption", false) ||
                        qdict_haskey(opts, "encrypt.format"))) {
        error_report("Compression and encryption not supported at the same "
                     "time");
        return -1;
    }
    size = g_strdup_printf("%" PRId64, c->total);
    qdict_put_str(opts, "size", size);
    /* The new image is opened with the key it was created with. */
    c->target_opts = qobject_new_dict();
    for (const QDictEntry *e = qdict_first(opts); e;
         e = qdict_next(opts, e)) {
        if (g_str_has_suffix(qdict_entry_key(e), "key-secret")) {
            qdict_put(c->target_opts, qdict_entry_key(e),
                      qobject_copy(qdict_entry_value(e)));
        }
    }
    if (bdrv_create(c->out_fmt, out, opts, &err) < 0) {
        error_prepend(&err, "%s: error while converting %s: ", out,
                      c->out_fmt);
        error_report_err(err);
        return -1;
    }
    img_warn_weak_encryption(c->out_fmt, opts);
    return 0;
}

/* -c: the target must compress, in units of its clusters (as 7.2). */
static int img_convert_check_compress(ImgConvert *c, BlockDriverState *bs)
{
    BlockDriverInfo bdi;

    if (!bdrv_driver_supports_compressed_writes(bdrv_get_driver(bs))) {
        error_report("Compression not supported for this file format");
        return -1;
    }
    if (bdrv_get_info(bs, &bdi) < 0) {
        error_report("could not get block driver info");
        return -1;
    }
    if (bdi.cluster_size <= 0 || bdi.cluster_size > IMG_COPY_CHUNK) {
        error_report("invalid cluster size");
        return -1;
    }
    c->cluster_size = bdi.cluster_size;
    return 0;
}

static int img_convert_open_target(ImgConvert *c, const char *out)
{
    BlockDriverState *bs;
    int64_t len;

    bs = img_open_opts(c->target_image_opts, out,
                       c->target_image_opts ? NULL : c->out_fmt,
                       c->target_opts, BDRV_O_RDWR, c->cache, c->quiet,
                       false);
    if (!bs) {
        return -1;
    }
    c->target = bdrv_root_attach(bs);
    len = bdrv_getlength(bs);
    if (len < c->total) {
        error_report("output file is smaller than input file");
        return -1;
    }
    c->target_zeroed = (!c->no_create && bdrv_has_zero_init(bs)) ||
                       c->target_is_zero;
    return c->compress ? img_convert_check_compress(c, bs) : 0;
}

/*
 * Write @bytes of @buf at @offset of the target, turning runs of
 * sparse_size zero blocks into zero writes (or nothing, when the target
 * already reads as zero there).
 */
static int img_convert_write(ImgConvert *c, int64_t offset, int64_t bytes,
                             const uint8_t *buf)
{
    int64_t done = 0;

    while (done < bytes) {
        int64_t step = c->sparse_size ? MIN(c->sparse_size, bytes - done)
                                      : bytes - done;
        bool zero = c->sparse_size && buffer_is_zero(buf + done, step);
        int64_t run = step;
        int ret;

        /* Extend the run while it stays of the same kind. */
        while (done + run < bytes) {
            int64_t next = MIN(step, bytes - done - run);
            if (!c->sparse_size ||
                buffer_is_zero(buf + done + run, next) != zero) {
                break;
            }
            run += next;
        }
        if (!zero) {
            ret = bdrv_pwrite(c->target, offset + done, run, buf + done, 0);
        } else if (!c->target_zeroed) {
            ret = bdrv_pwrite_zeroes(c->target, offset + done, run,
                                     BDRV_REQ_MAY_UNMAP);
        } else {
            ret = 0;
        }
        if (ret < 0) {
            error_report("error while writing at byte %" PRId64 ": %s",
                         offset + done, g_strerror(-ret));
            return ret;
        }
        done += run;
    }
    return 0;
}

/*
 * -c: compressed clusters are written whole, one per request, like 7.2:
 * a data range shorter than a cluster is widened to the whole cluster,
 * longer ones are cut to one cluster; zero ranges are cut to whole
 * clusters.  Returns: the bytes of the next request from @offset.
 */
static int64_t img_convert_compressed_len(const ImgConvert *c, int64_t len,
                                          int64_t offset, int64_t pnum,
                                          bool *zero)
{
    int64_t cs = c->cluster_size;

    if (pnum < cs) {
        *zero = false;
        return MIN(cs, len - offset);
    }
    return *zero ? ROUND_DOWN(pnum, cs) : cs;
}

/* -c: write one cluster compressed unless it is all zeros. */
static int img_convert_write_compressed(ImgConvert *c, int64_t offset,
                                        int64_t bytes, uint8_t *buf)
{
    QEMUIOVector qiov;
    int ret;

    if (c->sparse_size && buffer_is_zero(buf, bytes)) {
        ret = c->target_zeroed ? 0 :
              bdrv_pwrite_zeroes(c->target, offset, bytes,
                                 BDRV_REQ_MAY_UNMAP);
    } else {
        qemu_iovec_init_buf(&qiov, buf, bytes);
        ret = bdrv_pwritev_compressed(c->target, offset, bytes, &qiov);
        qemu_iovec_destroy(&qiov);
    }
    if (ret < 0) {
        error_report("error while writing at byte %" PRId64 ": %s", offset,
                     g_strerror(-ret));
    }
    return ret;
}

/*
 * With a backing file on the target, what the source's top layer does
 * not allocate is left to the backing file, unwritten (as 7.2 does, which
 * does not compare it with the backing file).  Compressed targets skip
 * whole clusters only.
 */
static bool img_convert_is_backing(const ImgConvert *c, int status,
                                   int64_t *pnum)
{
    if (!c->target_has_backing || status < 0 ||
        (status & (BDRV_BLOCK_DATA | BDRV_BLOCK_ZERO))) {
        return false;
    }
    if (c->compress) {
        if (*pnum < c->cluster_size) {
            return false;
        }
        *pnum = ROUND_DOWN(*pnum, c->cluster_size);
    }
    return true;
}

/*
 * --salvage: read [@offset, +@n) again sector by sector, zeros where a
 * sector cannot be read, with 7.2's warning for each.  The warnings come
 * from the reader thread, in data order.
 */
static void img_convert_salvage(BdrvChild *src, int64_t offset, int64_t n,
                                uint8_t *buf)
{
    for (int64_t done = 0; done < n; done += BDRV_SECTOR_SIZE) {
        int64_t len = MIN((int64_t)BDRV_SECTOR_SIZE, n - done);
        int ret = bdrv_pread(src, offset + done, len, buf + done, 0);

        if (ret < 0) {
            warn_report("error while reading offset %" PRId64 ": %s",
                        offset + done, g_strerror(-ret));
            memset(buf + done, 0, len);
        }
    }
}

/*
 * The read side of the copy (the pipe's producer thread): the next piece
 * of the sources, by block status a zero range or data read into
 * @item->buf.  Only this touches the sources while the copy runs.
 */
static int img_convert_fill(void *opaque, ImgPipeItem *item)
{
    ImgConvert *c = opaque;
    BdrvChild *src;
    int64_t len, offset, n, pnum;
    bool zero;
    int ret;

    while (c->rd_src < c->nsrc &&
           c->rd_offset >= c->src_len[c->rd_src]) {
        c->rd_base += c->src_len[c->rd_src++];
        c->rd_offset = 0;
    }
    if (c->rd_src == c->nsrc) {
        return 0;
    }
    src = c->src[c->rd_src];
    len = c->src_len[c->rd_src];
    offset = c->rd_offset;
    n = MIN(IMG_COPY_CHUNK, len - offset);
    pnum = n;
    ret = bdrv_block_status(src->bs, offset, n, &pnum, NULL, NULL);
    zero = ret >= 0 && (ret & BDRV_BLOCK_ZERO) && c->sparse_size;
    item->skip = img_convert_is_backing(c, ret, &pnum);
    if (item->skip) {
        item->offset = c->rd_base + offset;
        item->bytes = pnum;
        c->rd_offset = offset + pnum;
        return 1;
    }
    if (c->compress) {
        n = img_convert_compressed_len(c, len, offset, ret >= 0 ? pnum : 0,
                                       &zero);
        pnum = n;
    }
    n = zero || ret >= 0 ? pnum : n;
    item->offset = c->rd_base + offset;
    item->bytes = n;
    item->zero = zero;
    item->unread = !zero && c->copy_range && !c->salvage;
    if (item->unread) {
        item->src_index = c->rd_src;
        item->src_offset = offset;
    } else if (!zero) {
        ret = bdrv_pread(src, offset, n, item->buf, c->read_flags);
        if (ret < 0 && c->salvage) {
            img_convert_salvage(src, offset, n, item->buf);
        } else if (ret < 0) {
            c->rd_error_offset = offset;
            return ret;
        }
    }
    c->rd_offset = offset + n;
    return 1;
}

/*
 * -C: copy a piece the reader left unread from the source to the target
 * without reading it here; where these nodes cannot, read and write it,
 * and everything after it, the usual way.  Runs without a reader thread.
 */
static int img_convert_copy_range(ImgConvert *c, ImgPipeItem *item)
{
    BdrvChild *src = c->src[item->src_index];
    int ret = c->copy_range
              ? bdrv_copy_range(src, item->src_offset, c->target,
                                item->offset, item->bytes)
              : -ENOTSUP;

    if (ret != -ENOTSUP) {
        if (ret < 0) {
            error_report("error while writing at byte %" PRId64 ": %s",
                         item->offset, g_strerror(-ret));
        }
        return ret;
    }
    c->copy_range = false;
    ret = bdrv_pread(src, item->src_offset, item->bytes, item->buf, 0);
    if (ret < 0) {
        error_report("error while reading at byte %" PRId64 ": %s",
                     item->src_offset, g_strerror(-ret));
        return ret;
    }
    return img_convert_write(c, item->offset, item->bytes, item->buf);
}

/* The write side of the copy: put one piece into the target. */
static int img_convert_put(ImgConvert *c, ImgPipeItem *item)
{
    if (item->skip) {
        return 0;
    }
    if (item->unread) {
        return img_convert_copy_range(c, item);
    }
    if (item->zero) {
        return c->target_zeroed ? 0 :
               bdrv_pwrite_zeroes(c->target, item->offset, item->bytes,
                                  BDRV_REQ_MAY_UNMAP);
    }
    return c->compress
           ? img_convert_write_compressed(c, item->offset, item->bytes,
                                          item->buf)
           : img_convert_write(c, item->offset, item->bytes, item->buf);
}

/*
 * Copy every source into the target.  With -m N above 1 a thread reads
 * up to N pieces ahead while this one writes them, in order (which -W
 * allows as well), so reading and decrypting overlap encrypting and
 * writing; the buffers are reused throughout.
 */
/*
 * -r: before each piece, wait until the bytes written so far fit the rate,
 * after a first second's worth that goes at once (7.2's throttling lets
 * such a burst through too).
 */
static void img_convert_throttle(const ImgConvert *c, int64_t start,
                                 int64_t copied)
{
    int64_t due, now;

    if (!c->rate_limit || copied <= c->rate_limit) {
        return;
    }
    due = start + (int64_t)((double)(copied - c->rate_limit) /
                            c->rate_limit * G_USEC_PER_SEC);
    now = g_get_monotonic_time();
    if (due > now) {
        g_usleep(due - now);
    }
}

static int img_convert_copy_all(ImgConvert *c)
{
    ImgPipe *pipe;

    /*
     * -C: the kernel copies, so no reader thread (which would also have
     * to take over reading if offloading fails part way).
     */
    unsigned depth = c->copy_range ? 1 : c->num_requests;

    c->read_flags = img_pipe_reader_flags(depth);
    pipe = img_pipe_new(depth, IMG_COPY_CHUNK, img_convert_fill, c);
    ImgPipeItem *item;
    int64_t copied = 0, start = g_get_monotonic_time();
    int ret = 0;

    while ((item = img_pipe_get(pipe))) {
        img_convert_throttle(c, start, copied);
        ret = img_convert_put(c, item);
        copied += item->bytes;
        img_pipe_put(pipe, item);
        if (ret < 0) {
            break;
        }
        img_progress(c, c->total ? 100.0 * copied / c->total : 100.0);
    }
    if (ret >= 0) {
        ret = img_pipe_free(pipe);
        if (ret < 0) {
            error_report("error while reading at byte %" PRId64 ": %s",
                         c->rd_error_offset, g_strerror(-ret));
        }
    } else {
        img_pipe_free(pipe);
    }
    return ret;
}

static int img_convert_copy(ImgConvert *c)
{
    int ret;

    img_progress(c, 0.0);
    ret = img_convert_copy_all(c);
    if (ret < 0) {
        return ret;
    }
    if (c->compress) {
        /* Mark the end of the compressed output, as 7.2 does. */
        ret = bdrv_pwritev_compressed(c->target, 0, 0, NULL);
        if (ret < 0) {
            error_report("error while writing: %s", g_strerror(-ret));
            return ret;
        }
    }
    ret = bdrv_flush(c->target->bs);
    if (ret < 0) {
        error_report("error while flushing: %s", g_strerror(-ret));
        return ret;
    }
    img_progress(c, 100.0);
    return 0;
}

static void img_convert_cleanup(ImgConvert *c)
{
    for (int i = 0; i < c->nsrc; i++) {
        bdrv_root_detach(c->src[i]);
    }
    g_free(c->src);
    g_free(c->src_len);
    if (c->target) {
        bdrv_root_detach(c->target);
    }
    g_free(c->options);
    qobject_free(c->target_opts);
}

static int img_convert_run(ImgConvert *c, char **names, int n,
                           const char *out)
{
    if (img_convert_open_sources(c, names, n) < 0) {
        return 1;
    }
    if (c->snapshot) {
        if (c->nsrc > 1) {
            error_report("No support for concatenating multiple snapshot");
            return 1;
        }
        if (!img_load_snapshot_param(c->src[0]->bs, c->snapshot)) {
            return 1;
        }
    }
    if (c->bitmaps && c->nsrc > 1) {
        error_report("Copying bitmaps only possible with single source");
        return 1;
    }
    if (c->bitmaps &&
        img_convert_check_bitmaps(c->src[0]->bs, c->skip_broken_bitmaps)) {
        return 1;
    }
    if (!c->no_create && img_convert_create(c, out) < 0) {
        return 1;
    }
    if (img_convert_open_target(c, out) < 0) {
        return 1;
    }
    if (c->bitmaps && img_convert_check_target_bitmaps(c->target->bs)) {
        return 1;
    }
    if (img_convert_copy(c) < 0) {
        return 1;
    }
    if (c->bitmaps && img_convert_copy_bitmaps(c->src[0]->bs, c->target->bs,
                                               c->skip_broken_bitmaps)) {
        return 1;
    }
    if (c->progress && !c->quiet) {
        printf("\n");
    }
    return 0;
}

/* -m: a number 7.2 accepts (strtol, any base); exits otherwise. */
static int img_parse_num_requests(const char *arg)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(arg, &end, 0);
    if (errno || end == arg || *end || n < 1 || n > IMG_MAX_REQUESTS) {
        error_report("Invalid number of coroutines. Allowed number of "
                     "coroutines is between 1 and %d", IMG_MAX_REQUESTS);
        exit(EXIT_FAILURE);
    }
    return n;
}

/* Parse convert's command line into @c; exits on usage errors. */
static void img_convert_parse(ImgConvert *c, int argc, char **argv)
{
    static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "object", required_argument, NULL, OPTION_OBJECT },
        { "image-opts", no_argument, NULL, OPTION_IMAGE_OPTS },
        { "force-share", no_argument, NULL, 'U' },
        { "target-image-opts", no_argument, NULL, OPTION_TARGET_IMAGE_OPTS },
        { "target-is-zero", no_argument, NULL, OPTION_TARGET_IS_ZERO },
        { "salvage", no_argument, NULL, OPTION_SALVAGE },
        { "bitmaps", no_argument, NULL, OPTION_BITMAPS },
        { "skip-broken-bitmaps", no_argument, NULL, OPTION_SKIP_BROKEN },
        { NULL, 0, NULL, 0 }
    };
    uint64_t sval;
    int opt;

    while ((opt = getopt_long(argc, argv, ":hf:O:B:F:Cco:l:S:pt:T:qnm:Wr:U",
                              long_options, NULL)) != -1) {
        switch (opt) {
        case 'f': c->src_fmt = optarg; break;
        case 'O': c->out_fmt = optarg; break;
        case 'c': c->compress = true; break;
        case 'n': c->no_create = true; break;
        case 'p': c->progress = true; break;
        case 'q': c->quiet = true; break;
        case 't': c->cache = optarg; break;
        case 'T': c->src_cache = optarg; break;
        case 'U': c->force_share = true; break;
        case 'm':
            c->num_requests = img_parse_num_requests(optarg);
            break;
        case 'W': c->out_of_order = true; break;
        case 'B':
            c->backing_file = optarg;
            c->target_has_backing = true;
            break;
        case 'F': c->backing_fmt = optarg; break;
        case 'l':
            c->snapshot = optarg;
            if (!img_check_snapshot_param(optarg)) {
                exit(EXIT_FAILURE);
            }
            break;
        case 'r':
            c->rate_limit = img_cvtnum("rate limit", optarg);
            if (c->rate_limit < 0) {
                exit(EXIT_FAILURE);
            }
            break;
        case 'C':
            c->copy_range = true;
            break;
        case 'o':
            img_append_options(&c->options, optarg);
            break;
        case 'S':
            if (qemu_strtosz(optarg, NULL, &sval) < 0 ||
                sval > INT64_MAX / 2 || sval % BDRV_SECTOR_SIZE) {
                error_report("Invalid buffer size for sparse output "
                             "specified. Valid sizes are multiples of 512.");
                exit(EXIT_FAILURE);
            }
            c->sparse_size = sval;
            c->explicit_sparse = true;
            break;
        case OPTION_OBJECT: img_add_object(optarg); break;
        case OPTION_IMAGE_OPTS: c->image_opts = true; break;
        case OPTION_TARGET_IMAGE_OPTS: c->target_image_opts = true; break;
        case OPTION_TARGET_IS_ZERO: c->target_is_zero = true; break;
        case OPTION_SALVAGE: c->salvage = true; break;
        case OPTION_BITMAPS: c->bitmaps = true; break;
        case OPTION_SKIP_BROKEN: c->skip_broken_bitmaps = true; break;
        default:
            img_unhandled_option(opt, argv);
        }
    }
}

/*
 * The checks of the command line before anything is opened, in 7.2's
 * order.  Returns: false after printing the error.
 */
static bool img_convert_check_args(const ImgConvert *c)
{
    /* Copy offloading copies bytes as they are: nothing to look into. */
    if (c->copy_range && c->compress) {
        error_report("Cannot enable copy offloading when -c is used");
        return false;
    }
    if (c->copy_range && c->explicit_sparse) {
        error_report("Cannot enable copy offloading when -S is used");
        return false;
    }
    return true;
}

/* -o help: the target format's creation options.  Returns: exit code. */
static int img_convert_help(const ImgConvert *c)
{
    const BlockDriver *drv = bdrv_find_format(c->out_fmt);

    if (!drv || !bdrv_get_format_create_opts(drv)) {
        error_report("Unknown file format '%s'", c->out_fmt);
        return 1;
    }
    return img_print_create_help(drv, NULL);
}

/* The checks after -o help.  Returns: false after printing the error. */
static bool img_convert_check_files(const ImgConvert *c, int nargs)
{
    if (c->skip_broken_bitmaps && !c->bitmaps) {
        error_report("Use of --skip-broken-bitmaps requires --bitmaps");
        return false;
    }
    if (nargs < 2) {
        img_usage_error("Must specify image file name");
    }
    if (c->image_opts && c->src_fmt) {
        error_report("--image-opts and --format are mutually exclusive");
        return false;
    }
    if (c->no_create && c->options) {
        error_report("-o has no effect when skipping image creation");
        return false;
    }
    if (c->target_image_opts && !c->no_create) {
        error_report("--target-image-opts requires use of -n flag");
        return false;
    }
    return true;
}

int img_convert(int argc, char **argv)
{
    ImgConvert c = {
        .out_fmt = "raw",
        .sparse_size = 4096,
        .num_requests = IMG_DEFAULT_REQUESTS,
    };
    int ret = 1;

    img_convert_parse(&c, argc, argv);
    if (img_convert_check_args(&c)) {
        if (c.options && keyval_is_help(c.options)) {
            ret = img_convert_help(&c);
        } else if (img_convert_check_files(&c, argc - optind)) {
            ret = img_convert_run(&c, argv + optind, argc - optind - 1,
                                  argv[argc - 1]);
        }
    }
    img_convert_cleanup(&c);
    return ret;
}

typedef struct ImgCompare {
    const char *fmt1;
    const char *fmt2;
    const char *cache;
    bool image_opts;
    bool strict;
    bool progress;
    bool quiet;
    bool force_share;
    const char *name1;          /* the images as named on the command line */
    const char *name2;
} ImgCompare;

/* compare's exit status for read errors, as 7.2's. */
#define IMG_COMPARE_READ_ERROR 4

static void img_compare_read_error(const char *name, int64_t offset, int ret)
{
    error_report("Error while reading offset %" PRId64 " of %s: %s", offset,
                 name, g_strerror(-ret));
}

/* Returns: offset of the first differing byte, or -1 if equal. */
static int64_t img_first_difference(const uint8_t *a, const uint8_t *b,
                                    int64_t n)
{
    /* memcmp() is vectorised; the byte loop only runs to name the place. */
    if (0 == memcmp(a, b, n)) {
        return -1;
    }
    for (int64_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return i;
        }
    }
    return -1;
}

/* Returns: offset of the first non-zero byte, or -1. */
static int64_t img_first_nonzero(const uint8_t *a, int64_t n)
{
    if (buffer_is_zero(a, n)) {
        return -1;
    }
    for (int64_t i = 0; i < n; i++) {
        if (a[i]) {
            return i;
        }
    }
    return -1;
}

/* The read-ahead over the first image of compare. */
typedef struct ImgCompareReader {
    BdrvChild *child;
    int64_t offset;
    int64_t len;
} ImgCompareReader;

/* Read the first image's next chunk (on the pipe's thread). */
static int img_compare_fill(void *opaque, ImgPipeItem *item)
{
    ImgCompareReader *r = opaque;
    int ret;

    if (r->offset >= r->len) {
        return 0;
    }
    item->offset = r->offset;
    item->bytes = MIN(IMG_COPY_CHUNK, r->len - r->offset);
    item->zero = item->skip = false;
    ret = bdrv_pread(r->child, item->offset, item->bytes, item->buf, 0);
    if (ret < 0) {
        return ret;
    }
    r->offset += item->bytes;
    return 1;
}

/* Compare one chunk of the first image with the second image. */
static int img_compare_chunk(const ImgCompare *p, BdrvChild *c2,
                             const ImgPipeItem *item, int64_t total,
                             uint8_t *b2)
{
    int64_t off = item->offset, n = item->bytes, diff;
    int ret = bdrv_pread(c2, off, n, b2, 0);

    if (ret < 0) {
        img_compare_read_error(p->name2, off, ret);
        return IMG_COMPARE_READ_ERROR;
    }
    diff = img_first_difference(item->buf, b2, n);
    if (diff >= 0) {
        if (!p->quiet) {
            /* 7.2 compares sector by sector and names the sector. */
            printf("Content mismatch at offset %" PRId64 "!\n",
                   (int64_t)ROUND_DOWN(off + diff, BDRV_SECTOR_SIZE));
        }
        return 1;
    }
    if (p->progress && !p->quiet) {
        printf("    (%.2f/100%%)\r", 100.0 * (off + n) / total);
    }
    return 0;
}

/*
 * Compare [0, @len) of both: a thread reads (and decrypts) the first
 * image ahead while this one reads the second and compares.
 * Returns: 0 equal, 1 differ, 2 error.
 */
static int img_compare_common(const ImgCompare *p, BdrvChild *c1,
                              BdrvChild *c2, int64_t len, int64_t total,
                              uint8_t *b2)
{
    ImgCompareReader reader = { .child = c1, .len = len };
    ImgPipe *pipe = img_pipe_new(IMG_COMPARE_DEPTH, IMG_COPY_CHUNK,
                                 img_compare_fill, &reader);
    ImgPipeItem *item;
    int ret = 0;

    while (0 == ret && (item = img_pipe_get(pipe))) {
        ret = img_compare_chunk(p, c2, item, total, b2);
        img_pipe_put(pipe, item);
    }
    if (0 == ret) {
        ret = img_pipe_free(pipe);
        if (ret < 0) {
            img_compare_read_error(p->name1, reader.offset, ret);
            return IMG_COMPARE_READ_ERROR;
        }
    } else {
        img_pipe_free(pipe);
    }
    return ret;
}

/* Check that the tail [@from, end) of the longer image reads as zeros. */
static int img_compare_tail(const ImgCompare *p, BdrvChild *c,
                            const char *name, int64_t from, uint8_t *buf)
{
    int64_t len = bdrv_getlength(c->bs);

    for (int64_t off = from; off < len; off += IMG_COPY_CHUNK) {
        int64_t n = MIN(IMG_COPY_CHUNK, len - off), nz;
        int ret = bdrv_pread(c, off, n, buf, 0);

        if (ret < 0) {
            img_compare_read_error(name, off, ret);
            return IMG_COMPARE_READ_ERROR;
        }
        nz = img_first_nonzero(buf, n);
        if (nz >= 0) {
            if (!p->quiet) {
                printf("Content mismatch at offset %" PRId64 "!\n",
                       (int64_t)ROUND_DOWN(off + nz, BDRV_SECTOR_SIZE));
            }
            return 1;
        }
    }
    return 0;
}

static int img_compare_run(const ImgCompare *p, BdrvChild *c1,
                           BdrvChild *c2)
{
    int64_t len1 = bdrv_getlength(c1->bs), len2 = bdrv_getlength(c2->bs);
    g_autofree uint8_t *b1 = g_malloc(IMG_COPY_CHUNK);
    g_autofree uint8_t *b2 = g_malloc(IMG_COPY_CHUNK);
    int ret;

    if (len1 != len2) {
        if (p->strict) {
            if (!p->quiet) {
                printf("Strict mode: Image size mismatch!\n");
            }
            return 1;
        }
        if (!p->quiet) {
            printf("Warning: Image size mismatch!\n");
        }
    }
    ret = img_compare_common(p, c1, c2, MIN(len1, len2), MAX(len1, len2),
                             b2);
    if (0 == ret && len1 != len2) {
        ret = img_compare_tail(p, len1 > len2 ? c1 : c2,
                               len1 > len2 ? p->name1 : p->name2,
                               MIN(len1, len2), b1);
    }
    if (0 == ret && !p->quiet) {
        if (p->progress) {
            printf("    (100.00/100%%)\r\n");
        }
        printf("Images are identical.\n");
    }
    return ret;
}

int img_compare(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "object", required_argument, NULL, OPTION_OBJECT },
        { "image-opts", no_argument, NULL, OPTION_IMAGE_OPTS },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 }
    };
    ImgCompare p = { .fmt1 = NULL };
    BlockDriverState *bs1, *bs2;
    BdrvChild *c1, *c2;
    int opt, ret;

    while ((opt = getopt_long(argc, argv, ":hf:F:T:pqsU", long_options,
                              NULL)) != -1) {
        switch (opt) {
        case 'f': p.fmt1 = optarg; break;
        case 'F': p.fmt2 = optarg; break;
        case 'T': p.cache = optarg; break;
        case 'p': p.progress = true; break;
        case 'q': p.quiet = true; break;
        case 's': p.strict = true; break;
        case 'U': p.force_share = true; break;
        case OPTION_OBJECT: img_add_object(optarg); break;
        case OPTION_IMAGE_OPTS: p.image_opts = true; break;
        default:
            img_unhandled_option(opt, argv);
        }
    }
    if (optind != argc - 2) {
        img_usage_error("Expecting two image file names");
    }
    if (p.image_opts && (p.fmt1 || p.fmt2)) {
        error_report("--image-opts and --format are mutually exclusive");
        return 2;
    }
    p.name1 = argv[optind];
    p.name2 = argv[optind + 1];
    bs1 = img_open(p.image_opts, argv[optind], p.fmt1, 0, p.cache, p.quiet,
                   p.force_share);
    if (!bs1) {
        return 2;
    }
    bs2 = img_open(p.image_opts, argv[optind + 1], p.fmt2 ? p.fmt2 : p.fmt1,
                   0, p.cache, p.quiet, p.force_share);
    if (!bs2) {
        bdrv_unref(bs1);
        return 2;
    }
    c1 = bdrv_root_attach(bs1);
    c2 = bdrv_root_attach(bs2);
    ret = img_compare_run(&p, c1, c2);
    bdrv_root_detach(c1);
    bdrv_root_detach(c2);
    return ret;
}
