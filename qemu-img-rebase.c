/*
 * qemu-img rebase: point an image at a new backing file, copying into it
 * (safe mode) whatever would read differently from the new backing file.
 */
#include "qemu/osdep.h"

#include <getopt.h>

#include "qemu-img-common.h"
#include "qemu/cutils.h"

/* Bytes compared per step, as 7.2's IO_BUF_SIZE (also its progress unit). */
#define REBASE_BUF_SIZE (2 * 1024 * 1024)

typedef struct ImgRebase {
    ImgCommonOpts o;
    const char *cache;          /* -t */
    const char *src_cache;      /* -T */
    const char *out_baseimg;    /* -b; "" removes the backing file */
    const char *out_basefmt;    /* -F */
    bool unsafe;                /* -u */
    bool progress;              /* -p */
    bool quiet;                 /* -q */
} ImgRebase;

/* The backing files safe mode reads; each node may be NULL (all zeros). */
typedef struct RebaseSides {
    BdrvChild *top;
    BdrvChild old;              /* borrowed: the image's own backing node */
    BdrvChild new;              /* borrowed from the chain, or owned */
    bool new_owned;             /* new.bs was opened here */
    BlockDriverState *prefix;   /* new.bs when it is in the old chain */
    int64_t size, old_size, new_size;
    uint8_t *buf_old;
    uint8_t *buf_new;
} RebaseSides;

static void img_rebase_parse(ImgRebase *r, int argc, char **argv)
{
    static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "object", required_argument, NULL, IMG_OPTION_OBJECT },
        { "image-opts", no_argument, NULL, IMG_OPTION_IMAGE_OPTS },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 }
    };
    int c;

    while ((c = getopt_long(argc, argv, ":hf:F:b:upt:T:qU", long_options,
                            NULL)) != -1) {
        if (img_common_option(&r->o, c, argv)) {
            continue;
        }
        switch (c) {
        case 'b': r->out_baseimg = optarg; break;
        case 'F': r->out_basefmt = optarg; break;
        case 'u': r->unsafe = true; break;
        case 'p': r->progress = true; break;
        case 't': r->cache = optarg; break;
        case 'T': r->src_cache = optarg; break;
        case 'q': r->quiet = true; break;
        default: break;
        }
    }
}

/*
 * The new backing file's name as the image's directory resolves it;
 * 7.2 cannot resolve relative names for images named by json:{...}.
 */
static char *img_rebase_resolve(BlockDriverState *bs, const char *name)
{
    const char *overlay = bdrv_get_filename(bs);
    const char *colon = strchr(name, ':');
    const char *slash = strchr(name, '/');

    if ('/' == name[0] || (colon && (!slash || colon < slash))) {
        return g_strdup(name);
    }
    if (g_str_has_prefix(overlay, "json:")) {
        error_report("Could not resolve backing filename: Cannot use "
                     "relative backing file names for '%s'", overlay);
        return NULL;
    }
    return bdrv_path_combine(overlay, name);
}

/* Find or open the new backing file of safe mode.  Returns: 0, or -1. */
static int img_rebase_open_new(const ImgRebase *r, BlockDriverState *bs,
                               int src_flags, RebaseSides *sd)
{
    g_autofree char *path = img_rebase_resolve(bs, r->out_baseimg);
    QObject *options;
    Error *err = NULL;

    if (!path) {
        return -1;
    }
    /* Rebasing onto an image of the current chain reuses its node. */
    sd->prefix = bdrv_find_backing_image(bs, path);
    if (sd->prefix) {
        sd->new.bs = sd->prefix;
        return 0;
    }
    options = qobject_new_dict();
    if (r->out_basefmt) {
        qdict_put_str(options, "driver", r->out_basefmt);
    }
    sd->new.bs = bdrv_open(path, options, src_flags |
                           (r->o.force_share ? BDRV_O_FORCE_SHARE : 0),
                           &err);
    if (!sd->new.bs) {
        error_prepend(&err, "Could not open new backing file '%s': ",
                      r->out_baseimg);
        error_report_err(err);
        return -1;
    }
    sd->new_owned = true;
    return 0;
}

/* Sizes of the three images.  Returns: 0, or -1 after printing. */
static int img_rebase_sizes(const ImgRebase *r, const char *filename,
                            RebaseSides *sd)
{
    sd->size = bdrv_getlength(sd->top->bs);
    if (sd->size < 0) {
        error_report("Could not get size of '%s': %s", filename,
                     g_strerror((int)-sd->size));
        return -1;
    }
    if (sd->old.bs) {
        sd->old_size = bdrv_getlength(sd->old.bs);
        if (sd->old_size < 0) {
            error_report("Could not get size of '%s': %s",
                         bdrv_get_backing_filename(sd->top->bs),
                         g_strerror((int)-sd->old_size));
            return -1;
        }
    }
    if (sd->new.bs) {
        sd->new_size = bdrv_getlength(sd->new.bs);
        if (sd->new_size < 0) {
            error_report("Could not get size of '%s': %s", r->out_baseimg,
                         g_strerror((int)-sd->new_size));
            return -1;
        }
    }
    return 0;
}

/*
 * Whether the first sector of @a and @b differs; @pnum receives how many
 * bytes from the start (whole 512-byte sectors, the last may be short)
 * share that answer.
 */
static bool img_rebase_compare(const uint8_t *a, const uint8_t *b,
                               int64_t bytes, int64_t *pnum)
{
    int64_t done = MIN(bytes, (int64_t)BDRV_SECTOR_SIZE);
    bool differs = 0 != memcmp(a, b, done);

    while (done < bytes) {
        int64_t len = MIN(bytes - done, (int64_t)BDRV_SECTOR_SIZE);

        if ((0 != memcmp(a + done, b + done, len)) != differs) {
            break;
        }
        done += len;
    }
    *pnum = done;
    return differs;
}

/*
 * Narrow @n to the bytes from @offset that share an answer.
 * Returns: 1 if they need comparing, 0 if the top image or the part of
 * the old chain above the new backing file decides them anyway, -1
 * after printing.
 */
static int img_rebase_needs_copy(const RebaseSides *sd, int64_t offset,
                                 int64_t *n)
{
    int ret = bdrv_is_allocated_above(sd->top->bs, sd->old.bs, offset, *n,
                                      n);

    if (ret > 0) {
        return 0;
    }
    if (0 == ret && sd->prefix) {
        ret = bdrv_is_allocated_above(sd->old.bs, sd->prefix, offset, *n,
                                      n);
    } else if (0 == ret) {
        ret = 1;
    }
    if (ret < 0) {
        error_report("error while reading image metadata: %s",
                     g_strerror(-ret));
        return -1;
    }
    return ret;
}

/*
 * Read [@offset, @offset + *@n) of @child (a node of @len bytes, or
 * NULL) into @buf: zeros past its end.  *@n shrinks to stop at the end.
 * Returns: 1 if @buf is all zeros for that reason, 0, or -errno.
 */
static int img_rebase_read(BdrvChild *child, int64_t len, int64_t offset,
                           int64_t *n, uint8_t *buf)
{
    if (!child->bs || offset >= len) {
        memset(buf, 0, *n);
        return 1;
    }
    *n = MIN(*n, len - offset);
    return bdrv_pread(child, offset, *n, buf, 0);
}

/* Write where old and new differ: old data, or zeros past its end. */
static int img_rebase_write_diffs(RebaseSides *sd, int64_t offset, int64_t n,
                                  bool old_is_zero)
{
    int64_t done = 0, pnum;
    int ret = 0;

    while (done < n && ret >= 0) {
        if (img_rebase_compare(sd->buf_old + done, sd->buf_new + done,
                               n - done, &pnum)) {
            ret = old_is_zero ?
                  bdrv_pwrite_zeroes(sd->top, offset + done, pnum, 0) :
                  bdrv_pwrite(sd->top, offset + done, pnum,
                              sd->buf_old + done, 0);
        }
        done += pnum;
    }
    if (ret < 0) {
        error_report("Error while writing to COW image: %s",
                     g_strerror(-ret));
    }
    return ret;
}

/* Copy what would change into the top image.  Returns: 0, or -1. */
static int img_rebase_copy(RebaseSides *sd, ImgProgress *prog)
{
    float step = 0;
    int64_t n;

    if (sd->size) {
        /* 7.2's unit: a share of 100 per whole buffer the image holds. */
        step = 100.0f / (sd->size / MIN(sd->size, REBASE_BUF_SIZE));
    }
    for (int64_t offset = 0; offset < sd->size; offset += n) {
        int ret, old_zero;

        n = MIN(REBASE_BUF_SIZE, sd->size - offset);
        ret = img_rebase_needs_copy(sd, offset, &n);
        if (ret <= 0) {
            if (ret < 0) {
                return -1;
            }
            continue;
        }
        old_zero = img_rebase_read(&sd->old, sd->old_size, offset, &n,
                                   sd->buf_old);
        if (old_zero < 0) {
            error_report("error while reading from old backing file");
            return -1;
        }
        if (img_rebase_read(&sd->new, sd->new_size, offset, &n,
                            sd->buf_new) < 0) {
            error_report("error while reading from new backing file");
            return -1;
        }
        if (img_rebase_write_diffs(sd, offset, n, 1 == old_zero) < 0) {
            return -1;
        }
        img_progress_print(prog, step, 100);
    }
    return 0;
}

/* Safe mode: open the sides and copy.  Returns: 0, or -1. */
static int img_rebase_safe(const ImgRebase *r, const char *filename,
                           BdrvChild *top, int src_flags, ImgProgress *prog)
{
    RebaseSides sd = {
        .top = top,
        .old = { .bs = bdrv_get_backing(top->bs), .name = (char *)"old" },
        .new = { .name = (char *)"new" },
    };
    int ret = 0;

    if (r->out_baseimg[0]) {
        ret = img_rebase_open_new(r, top->bs, src_flags, &sd);
    }
    if (0 == ret) {
        ret = img_rebase_sizes(r, filename, &sd);
    }
    if (0 == ret) {
        sd.buf_old = g_malloc(REBASE_BUF_SIZE);
        sd.buf_new = g_malloc(REBASE_BUF_SIZE);
        ret = img_rebase_copy(&sd, prog);
    }
    g_free(sd.buf_old);
    g_free(sd.buf_new);
    if (sd.new_owned) {
        bdrv_unref(sd.new.bs);
    }
    return ret;
}

/* Record the new backing file.  Returns: 0, or -1 after printing. */
static int img_rebase_change(const ImgRebase *r, BlockDriverState *bs)
{
    const char *name = r->out_baseimg && r->out_baseimg[0] ?
                       r->out_baseimg : NULL;
    Error *err = NULL;

    if (name && !r->out_basefmt) {
        /* 7.2 requires the format only now, after safe mode's copy. */
        error_report("Could not change the backing file to '%s': backing "
                     "format must be specified", name);
        return -1;
    }
    if (bdrv_change_backing_file(bs, name, name ? r->out_basefmt : NULL,
                                 &err) < 0) {
        error_prepend(&err, "Could not change the backing file to '%s': ",
                      r->out_baseimg ? r->out_baseimg : "(null)");
        error_report_err(err);
        return -1;
    }
    return 0;
}

/* Everything after the progress meter started.  Returns: 0, or -1. */
static int img_rebase_run(const ImgRebase *r, const char *filename,
                          ImgProgress *prog)
{
    int flags = BDRV_O_RDWR | (r->unsafe ? BDRV_O_NO_BACKING : 0);
    int cache_flags = 0, src_flags = 0;
    BlockDriverState *bs;
    BdrvChild *top;
    int ret;

    if (r->cache && img_parse_cache_mode(r->cache, &cache_flags) < 0) {
        error_report("Invalid cache option: %s", r->cache);
        return -1;
    }
    if (r->src_cache && img_parse_cache_mode(r->src_cache, &src_flags) < 0) {
        error_report("Invalid source cache option: %s", r->src_cache);
        return -1;
    }
    if (!img_check_image_opts_fmt(&r->o)) {
        return -1;
    }
    bs = img_open(r->o.image_opts, filename, r->o.fmt, flags | cache_flags,
                  NULL, r->quiet, false);
    if (!bs) {
        return -1;
    }
    top = bdrv_root_attach(bs);
    ret = 0;
    if (r->out_basefmt && !bdrv_find_format(r->out_basefmt)) {
        error_report("Invalid format name: '%s'", r->out_basefmt);
        ret = -1;
    }
    if (0 == ret && !r->unsafe) {
        ret = img_rebase_safe(r, filename, top, src_flags, prog);
    }
    if (0 == ret) {
        ret = img_rebase_change(r, bs);
        img_progress_print(prog, 100, 0);
    }
    bdrv_root_detach(top);
    return ret;
}

int img_rebase(int argc, char **argv)
{
    ImgRebase r = { .o = { .fmt = NULL } };
    ImgProgress prog;
    int ret;

    img_rebase_parse(&r, argc, argv);
    if (r.quiet) {
        r.progress = false;
    }
    if (optind != argc - 1) {
        img_usage_error("Expecting one image file name");
    }
    if (!r.unsafe && !r.out_baseimg) {
        img_usage_error("Must specify backing file (-b) or use unsafe mode "
                        "(-u)");
    }
    img_progress_init(&prog, r.progress, 2.0f);
    img_progress_print(&prog, 0, 100);
    ret = img_rebase_run(&r, argv[optind], &prog);
    img_progress_end(&prog);
    return ret < 0 ? 1 : 0;
}
