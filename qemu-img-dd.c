/*
 * qemu-img dd: copy the guest data of an image, dd(1) style, into a new
 * image, with 7.2's operands, sizes and messages.
 */
#include "qemu/osdep.h"

#include <getopt.h>

#include "qapi/opts.h"
#include "qemu-img-common.h"
#include "qemu-img-pipe.h"

/* Which operands were given. */
enum {
    IMG_DD_BS = 1 << 0,
    IMG_DD_COUNT = 1 << 1,
    IMG_DD_IF = 1 << 2,
    IMG_DD_OF = 1 << 3,
    IMG_DD_SKIP = 1 << 4,
};

/* Bytes moved per request when blocks are small. */
#define IMG_DD_CHUNK (2 << 20)

/*
 * Requests read ahead while the previous ones are written, when they are
 * at most IMG_DD_PIPE_MAX bytes each (larger blocks are copied one at a
 * time, as before, to keep memory to one block).
 */
#define IMG_DD_DEPTH 4
#define IMG_DD_PIPE_MAX (8 << 20)

typedef struct ImgDd {
    ImgCommonOpts o;
    const char *out_fmt;
    const char *in_name;
    const char *out_name;
    int64_t bsz;                /* bs=, bytes per block */
    int64_t count;              /* count=, in blocks */
    int64_t skip;               /* skip=, in blocks */
    unsigned flags;             /* IMG_DD_* seen */
} ImgDd;

/* Operand parsers; Returns: false after printing the error. */
static bool img_dd_bs(ImgDd *dd, const char *arg)
{
    dd->bsz = img_cvtnum_full("bs", arg, 1, INT_MAX);
    return dd->bsz > 0;
}

static bool img_dd_count(ImgDd *dd, const char *arg)
{
    dd->count = img_cvtnum("count", arg);
    return dd->count >= 0;
}

static bool img_dd_if(ImgDd *dd, const char *arg)
{
    dd->in_name = arg;
    return true;
}

static bool img_dd_of(ImgDd *dd, const char *arg)
{
    dd->out_name = arg;
    return true;
}

static bool img_dd_skip(ImgDd *dd, const char *arg)
{
    dd->skip = img_cvtnum("skip", arg);
    return dd->skip >= 0;
}

typedef struct ImgDdOperand {
    const char *name;
    bool (*parse)(ImgDd *dd, const char *arg);
    unsigned flag;
} ImgDdOperand;

static const ImgDdOperand img_dd_operands[] = {
    { "bs", img_dd_bs, IMG_DD_BS },
    { "count", img_dd_count, IMG_DD_COUNT },
    { "if", img_dd_if, IMG_DD_IF },
    { "of", img_dd_of, IMG_DD_OF },
    { "skip", img_dd_skip, IMG_DD_SKIP },
};

/* Parse one "name=value" operand; Returns: false after the error. */
static bool img_dd_operand(ImgDd *dd, const char *arg)
{
    const char *eq = strchr(arg, '=');

    for (size_t i = 0; eq && i < G_N_ELEMENTS(img_dd_operands); i++) {
        const ImgDdOperand *op = &img_dd_operands[i];

        if (strlen(op->name) == (size_t)(eq - arg) &&
            0 == strncmp(arg, op->name, eq - arg)) {
            dd->flags |= op->flag;
            return op->parse(dd, eq + 1);
        }
    }
    error_report("unrecognized operand %.*s",
                 eq ? (int)(eq - arg) : (int)strlen(arg), arg);
    return false;
}

/*
 * The input bytes copied: [@start, @end).  7.2 applies count before skip
 * (count=2 skip=1 copies one block) and, when skip goes past the end,
 * warns and creates an empty image.  Returns: whether skip went past.
 */
static bool img_dd_range(const ImgDd *dd, int64_t size, int64_t *start,
                         int64_t *end)
{
    if ((dd->flags & IMG_DD_COUNT) && dd->count <= INT64_MAX / dd->bsz &&
        size > dd->count * dd->bsz) {
        size = dd->count * dd->bsz;
    }
    *end = size;
    *start = 0;
    if (!(dd->flags & IMG_DD_SKIP)) {
        return false;
    }
    if (dd->skip > INT64_MAX / dd->bsz || size < dd->skip * dd->bsz) {
        *start = size;
        return true;
    }
    *start = dd->skip * dd->bsz;
    return false;
}

/* Create the output image of @bytes (rounded up to sectors, as create). */
static bool img_dd_create(const ImgDd *dd, int64_t bytes)
{
    g_autoptr(QObject) opts = qobject_new_dict();
    g_autofree char *size = NULL;
    Error *err = NULL;

    size = g_strdup_printf("%" PRIu64,
                           (uint64_t)ROUND_UP((uint64_t)bytes,
                                              BDRV_SECTOR_SIZE));
    qdict_put_str(opts, "size", size);
    if (bdrv_create(dd->out_fmt, dd->out_name, opts, &err) < 0) {
        error_prepend(&err, "%s: error while creating output image: ",
                      dd->out_name);
        error_report_err(err);
        return false;
    }
    return true;
}

/* The read side of the copy (the pipe's thread, if any). */
typedef struct ImgDdReader {
    BdrvChild *in;
    int64_t pos;
    int64_t end;
    int64_t chunk;
    int64_t bsz;
    BdrvRequestFlags flags;
    int error;                  /* a read error to return next */
} ImgDdReader;

/*
 * A merged read failed: read its blocks one by one, as 7.2 reads them,
 * so that the blocks before the failing one are still copied.
 * Returns: the bytes read before the first failing block; @error is set.
 */
static int64_t img_dd_read_blocks(ImgDdReader *r, ImgPipeItem *item,
                                  int error)
{
    int64_t done = 0;

    r->error = error;
    while (done < item->bytes) {
        int64_t n = MIN(r->bsz, item->bytes - done);
        int ret = bdrv_pread(r->in, item->offset + done, n, item->buf + done,
                             r->flags);
        if (ret < 0) {
            r->error = ret;
            break;
        }
        done += n;
    }
    return done;
}

static int img_dd_fill(void *opaque, ImgPipeItem *item)
{
    ImgDdReader *r = opaque;
    int ret;

    if (r->error) {
        return r->error;
    }
    if (r->pos >= r->end) {
        return 0;
    }
    item->offset = r->pos;
    item->bytes = MIN(r->chunk, r->end - r->pos);
    item->zero = item->skip = false;
    ret = bdrv_pread(r->in, item->offset, item->bytes, item->buf, r->flags);
    if (ret < 0) {
        item->bytes = img_dd_read_blocks(r, item, ret);
        if (!item->bytes) {
            return r->error;
        }
    }
    r->pos += item->bytes;
    return 1;
}

/*
 * Copy input [@start, @end) to the output from offset 0, in order; the
 * pieces read before a read error are written first, as 7.2 does.
 */
static int img_dd_copy(const ImgDd *dd, BdrvChild *in, BdrvChild *out,
                       int64_t start, int64_t end)
{
    /* Whole blocks are merged into larger requests: same bytes, fewer
     * system calls. */
    int64_t chunk = dd->bsz * MAX(1, IMG_DD_CHUNK / dd->bsz);
    unsigned depth = chunk <= IMG_DD_PIPE_MAX ? IMG_DD_DEPTH : 1;
    ImgDdReader reader = {
        .in = in, .pos = start, .end = end, .chunk = chunk, .bsz = dd->bsz,
        .flags = img_pipe_reader_flags(depth),
    };
    ImgPipe *pipe = img_pipe_new(depth, chunk, img_dd_fill, &reader);
    ImgPipeItem *item;
    int ret = 0;

    while ((item = img_pipe_get(pipe))) {
        ret = bdrv_pwrite(out, item->offset - start, item->bytes, item->buf,
                          0);
        img_pipe_put(pipe, item);
        if (ret < 0) {
            img_pipe_free(pipe);
            error_report("error while writing to output image file: %s",
                         g_strerror(-ret));
            return ret;
        }
    }
    ret = img_pipe_free(pipe);
    if (ret < 0) {
        error_report("error while reading from input image file: %s",
                     g_strerror(-ret));
    }
    return ret;
}

/* Create and open the output; Returns: its child, or NULL. */
static BdrvChild *img_dd_open_output(const ImgDd *dd, int64_t start,
                                     int64_t end)
{
    const BlockDriver *drv = bdrv_find_format(dd->out_fmt);
    g_autofree QOptDesc *create_opts = drv ? bdrv_get_create_opts(drv)
                                           : NULL;
    BlockDriverState *bs;

    if (!drv) {
        error_report("Unknown file format");
        return NULL;
    }
    if (!create_opts) {
        error_report("Format driver '%s' does not support image creation",
                     dd->out_fmt);
        return NULL;
    }
    if (!img_dd_create(dd, end - start)) {
        return NULL;
    }
    bs = img_open(false, dd->out_name, dd->out_fmt, BDRV_O_RDWR, NULL,
                  false, false);
    return bs ? bdrv_root_attach(bs) : NULL;
}

static int img_dd_run(const ImgDd *dd)
{
    BdrvChild *in, *out = NULL;
    BlockDriverState *bs;
    int64_t size, start, end;
    bool skip_past_end;
    int ret = -1;

    bs = img_open(dd->o.image_opts, dd->in_name, dd->o.fmt, 0, NULL, false,
                  dd->o.force_share);
    if (!bs) {
        return 1;
    }
    in = bdrv_root_attach(bs);
    size = bdrv_getlength(bs);
    if (size < 0) {
        error_report("Failed to get size for '%s'", dd->in_name);
        goto out;
    }
    skip_past_end = img_dd_range(dd, size, &start, &end);
    out = img_dd_open_output(dd, start, end);
    if (out) {
        if (skip_past_end) {
            error_report("%s: cannot skip to specified offset",
                         dd->in_name);
        }
        ret = img_dd_copy(dd, in, out, start, end);
    }
out:
    if (out) {
        bdrv_root_detach(out);
    }
    bdrv_root_detach(in);
    return ret < 0 ? 1 : 0;
}

int img_dd(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "object", required_argument, NULL, IMG_OPTION_OBJECT },
        { "image-opts", no_argument, NULL, IMG_OPTION_IMAGE_OPTS },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 }
    };
    ImgDd dd = { .out_fmt = "raw", .bsz = 512 };
    int c;

    while ((c = getopt_long(argc, argv, ":hf:O:U", long_options,
                            NULL)) != -1) {
        if (!img_common_option(&dd.o, c, argv) && 'O' == c) {
            dd.out_fmt = optarg;
        }
    }
    for (int i = optind; i < argc; i++) {
        if (!img_dd_operand(&dd, argv[i])) {
            return 1;
        }
    }
    if (!(dd.flags & IMG_DD_IF) || !(dd.flags & IMG_DD_OF)) {
        error_report("Must specify both input and output files");
        return 1;
    }
    if (!img_check_image_opts_fmt(&dd.o)) {
        return 1;
    }
    return img_dd_run(&dd);
}
