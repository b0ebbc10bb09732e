/*
 * qemu-img commit: copy the data an image and the images below it hold
 * over a base image of its backing chain into that base, then empty it.
 */
#include "qemu/osdep.h"

#include <getopt.h>

#include "qemu-img-common.h"
#include "qemu/cutils.h"

/* Bytes copied per request (7.2's commit buffer). */
#define COMMIT_CHUNK (512 * 1024)

typedef struct ImgCommit {
    ImgCommonOpts o;
    const char *cache;          /* -t */
    const char *base;           /* -b; NULL: the immediate backing file */
    int64_t rate_limit;         /* -r, bytes per second; 0: unlimited */
    bool drop;                  /* -d (implied by -b) */
    bool progress;              /* -p */
    bool quiet;                 /* -q */
} ImgCommit;

/* The copy in progress. */
typedef struct CommitJob {
    const ImgCommit *c;
    BdrvChild *top;
    BdrvChild *base;
    int64_t len;                /* the top image's size */
    int64_t granularity;        /* dirty tracking unit, as 7.2's mirror */
    int64_t copied;             /* bytes written, for the rate limit */
    int64_t start_time;         /* g_get_monotonic_time() at the start */
    uint8_t *buf;
    ImgProgress *prog;
} CommitJob;

static void img_commit_parse(ImgCommit *c, int argc, char **argv)
{
    static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "object", required_argument, NULL, IMG_OPTION_OBJECT },
        { "image-opts", no_argument, NULL, IMG_OPTION_IMAGE_OPTS },
        { NULL, 0, NULL, 0 }
    };
    int opt;

    while ((opt = getopt_long(argc, argv, ":f:ht:b:dpqr:", long_options,
                              NULL)) != -1) {
        if (img_common_option(&c->o, opt, argv)) {
            continue;
        }
        switch (opt) {
        case 't': c->cache = optarg; break;
        case 'b':
            /* 7.2: the images in between become invalid, so -b keeps
             * the top image (which still reads correctly) as it is. */
            c->base = optarg;
            c->drop = true;
            break;
        case 'd': c->drop = true; break;
        case 'p': c->progress = true; break;
        case 'q': c->quiet = true; break;
        case 'r':
            c->rate_limit = img_cvtnum("rate limit", optarg);
            if (c->rate_limit < 0) {
                exit(EXIT_FAILURE);
            }
            break;
        default: break;
        }
    }
}

/* Depth of @node below @top (1: the immediate backing file). */
static int img_commit_depth(BlockDriverState *top, BlockDriverState *node)
{
    int depth = 0;

    for (; top && top != node; top = bdrv_get_backing(top)) {
        depth++;
    }
    return depth;
}

/*
 * Open the top image with the base, @depth levels below, writable (the
 * "read-only" option of that backing level).  Returns: the node, or NULL
 * after printing.
 */
static BlockDriverState *img_commit_open(const ImgCommit *c,
                                         const char *filename, int flags,
                                         int depth)
{
    g_autoptr(QObject) extra = qobject_new_dict();
    g_autoptr(GString) key = g_string_new(NULL);

    for (int i = 0; i < depth; i++) {
        g_string_append(key, "backing.");
    }
    g_string_append(key, "read-only");
    qdict_put_str(extra, key->str, "off");
    return img_open_opts(c->o.image_opts, filename, c->o.fmt, extra, flags,
                         c->cache, c->quiet, false);
}

/*
 * Whether a data range of @bs, mapped at @map in @file, is a hole there:
 * 7.2 looks through to the file and copies holes as zeros.  *@bytes
 * shrinks to the run sharing the answer.  Returns: 1, 0, or -errno.
 */
static int img_commit_file_zero(BlockDriverState *file, int64_t map,
                                int64_t *bytes)
{
    int64_t n = 0;
    int ret = bdrv_block_status(file, map, *bytes, &n, NULL, NULL);

    if (ret < 0) {
        return ret;
    }
    if (0 == n) {
        return 0;
    }
    *bytes = MIN(*bytes, n);
    return (ret & BDRV_BLOCK_ZERO) && !(ret & BDRV_BLOCK_DATA);
}

/*
 * Whether the chain from @bs reads [@offset, + *@bytes) as zeros: the
 * first image that has the range allocated decides, and nothing
 * allocated anywhere reads as zeros.  *@bytes shrinks to the bytes
 * sharing the answer.  Returns: 1 zero, 0 data, -errno.
 */
static int img_commit_chain_zero(BlockDriverState *bs, int64_t offset,
                                 int64_t *bytes)
{
    for (; bs; bs = bdrv_get_backing(bs)) {
        BlockDriverState *file = NULL;
        int64_t n = 0, map = 0;
        int ret = bdrv_block_status(bs, offset, *bytes, &n, &map, &file);

        if (ret < 0) {
            return ret;
        }
        if (ret & BDRV_BLOCK_EOF && 0 == n) {
            continue;
        }
        *bytes = MIN(*bytes, n);
        if (ret & BDRV_BLOCK_ZERO) {
            return 1;
        }
        if ((ret & BDRV_BLOCK_DATA) && (ret & BDRV_BLOCK_OFFSET_VALID) &&
            file) {
            return img_commit_file_zero(file, map, bytes);
        }
        if (ret & (BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_DATA)) {
            return 0;
        }
    }
    return 1;
}

/* Sleep as long as the copy is ahead of -r. */
static void img_commit_throttle(const CommitJob *j)
{
    int64_t due, now;

    if (!j->c->rate_limit) {
        return;
    }
    due = j->start_time + (int64_t)((double)j->copied / j->c->rate_limit *
                                    G_USEC_PER_SEC);
    now = g_get_monotonic_time();
    if (due > now) {
        g_usleep(due - now);
    }
}

/* Copy [@offset, @end) of the top's view into the base.  Returns: 0, or
 * -errno. */
static int img_commit_copy_range(CommitJob *j, int64_t offset, int64_t end)
{
    while (offset < end) {
        int64_t n = MIN(COMMIT_CHUNK, end - offset);
        int ret = img_commit_chain_zero(j->top->bs, offset, &n);

        if (ret > 0) {
            /* As 7.2's mirror: zeros stay zeros, unmapped if possible. */
            ret = bdrv_pwrite_zeroes(j->base, offset, n, BDRV_REQ_MAY_UNMAP);
        } else if (0 == ret) {
            ret = bdrv_pread(j->top, offset, n, j->buf, 0);
            if (ret >= 0) {
                ret = bdrv_pwrite(j->base, offset, n, j->buf, 0);
            }
            j->copied += n;
        }
        if (ret < 0) {
            return ret;
        }
        offset += n;
        img_progress_print(j->prog, 100.0f * offset / j->len, 0);
        img_commit_throttle(j);
    }
    return 0;
}

/*
 * Copy every range allocated above the base, widened to whole units of
 * the granularity as 7.2's mirror tracks them.  Returns: 0, or -errno.
 */
static int img_commit_copy(CommitJob *j)
{
    BlockDriverState *base = j->base->bs;
    int64_t offset = 0;

    while (offset < j->len) {
        int64_t pnum = 0, start, end;
        int ret = bdrv_is_allocated_above(j->top->bs, base, offset,
                                          j->len - offset, &pnum);

        if (ret < 0) {
            return ret;
        }
        if (0 == ret) {
            offset += MAX(pnum, 1);
            continue;
        }
        start = ROUND_DOWN(offset, j->granularity);
        end = MIN(ROUND_UP(offset + pnum, j->granularity), j->len);
        ret = img_commit_copy_range(j, start, end);
        if (ret < 0) {
            return ret;
        }
        offset = end;
    }
    return bdrv_flush(base);
}

/* 7.2's mirror granularity: the base's cluster size within 4K..64K. */
static int64_t img_commit_granularity(BlockDriverState *base)
{
    BlockDriverInfo bdi;

    if (bdrv_get_info(base, &bdi) >= 0 && bdi.cluster_size > 0) {
        return MIN(MAX(4096, bdi.cluster_size), 65536);
    }
    return 65536;
}

/* Grow the base to the top's size and copy.  Returns: 0, or -1 with
 * @errp set. */
static int img_commit_job(CommitJob *j, Error **errp)
{
    int64_t base_len = bdrv_getlength(j->base->bs);
    int ret = base_len < 0 ? (int)base_len : 0;

    j->len = bdrv_getlength(j->top->bs);
    if (j->len < 0) {
        ret = (int)j->len;
    }
    if (0 == ret && j->len > base_len) {
        ret = bdrv_truncate(j->base, j->len, false, PREALLOC_MODE_OFF, NULL);
    }
    if (0 == ret) {
        j->granularity = img_commit_granularity(j->base->bs);
        j->buf = g_malloc(COMMIT_CHUNK);
        j->start_time = g_get_monotonic_time();
        ret = img_commit_copy(j);
        g_free(j->buf);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Block job failed");
        return -1;
    }
    img_progress_print(j->prog, 100, 0);
    return 0;
}

/* Empty the top image unless -d (formats that cannot are left as they
 * are, as 7.2 does).  Returns: 0, or -1 with @errp set. */
static int img_commit_empty_top(const ImgCommit *c, BlockDriverState *bs,
                                Error **errp)
{
    Error *err = NULL;
    int ret;

    if (c->drop) {
        return 0;
    }
    ret = bdrv_make_empty(bs, &err);
    if (-ENOTSUP == ret) {
        error_free(err);
        return 0;
    }
    if (ret < 0) {
        error_propagate(errp, err);
        return -1;
    }
    return 0;
}

/*
 * Find the base in the chain of @bs (closed here), open the image again
 * with the base writable, commit and empty the top.
 * Returns: 0, or -1 with @errp set (or already printed when NULL).
 */
static int img_commit_run(const ImgCommit *c, const char *filename,
                          BlockDriverState *bs, int flags, ImgProgress *prog,
                          Error **errp)
{
    BlockDriverState *base = c->base ? bdrv_find_backing_image(bs, c->base)
                                     : bdrv_get_backing(bs);
    BdrvChild base_child = { .name = (char *)"base" };
    CommitJob j = { .c = c, .prog = prog };
    int depth = img_commit_depth(bs, base);
    int ret;

    if (!base) {
        if (c->base) {
            error_setg(errp, "Did not find '%s' in the backing chain of "
                       "'%s'", c->base, filename);
        } else {
            error_setg(errp, "Image does not have a backing file");
        }
        bdrv_unref(bs);
        return -1;
    }
    bdrv_unref(bs);
    bs = img_commit_open(c, filename, flags, depth);
    if (!bs) {
        return -1;
    }
    j.top = bdrv_root_attach(bs);
    base = bs;
    for (int i = 0; i < depth && base; i++) {
        base = bdrv_get_backing(base);
    }
    if (!base || bdrv_is_read_only(base)) {
        error_setg(errp, "Could not reopen the base image read-write");
        ret = -1;
    } else {
        base_child.bs = base;
        j.base = &base_child;
        ret = img_commit_job(&j, errp);
    }
    if (0 == ret) {
        ret = img_commit_empty_top(c, bs, errp);
    }
    bdrv_root_detach(j.top);
    return ret;
}

int img_commit(int argc, char **argv)
{
    ImgCommit c = { .o = { .fmt = NULL } };
    int flags = BDRV_O_RDWR | BDRV_O_UNMAP, cache_flags = 0;
    BlockDriverState *bs;
    ImgProgress prog;
    Error *err = NULL;
    int ret;

    img_commit_parse(&c, argc, argv);
    if (c.quiet) {
        c.progress = false;
    }
    if (optind != argc - 1) {
        img_usage_error("Expecting one image file name");
    }
    if (c.cache && img_parse_cache_mode(c.cache, &cache_flags) < 0) {
        error_report("Invalid cache option: %s", c.cache);
        return 1;
    }
    if (!img_check_image_opts_fmt(&c.o)) {
        return 1;
    }
    /* Only to find the base: the image is opened again to commit. */
    bs = img_open(c.o.image_opts, argv[optind], c.o.fmt,
                  flags | BDRV_O_INACTIVE, c.cache,
                  c.quiet, false);
    if (!bs) {
        return 1;
    }
    img_progress_init(&prog, c.progress, 1.0f);
    img_progress_print(&prog, 0, 100);
    ret = img_commit_run(&c, argv[optind], bs, flags, &prog, &err);
    img_progress_end(&prog);
    if (ret < 0) {
        if (err) {
            error_report_err(err);
        }
        return 1;
    }
    if (!c.quiet) {
        printf("Image committed.\n");
    }
    return 0;
}
