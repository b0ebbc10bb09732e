/*
 * qemu-img convert and compare: copying and comparing guest data between
 * images, skipping and detecting zeros.
 */
#include "qemu/osdep.h"

#include <getopt.h>

#include "qapi/keyval.h"
#include "qapi/opts.h"
#include "qemu-img-common.h"
#include "qemu/cutils.h"

enum {
    OPTION_OBJECT = 256,
    OPTION_IMAGE_OPTS,
    OPTION_TARGET_IMAGE_OPTS,
    OPTION_TARGET_IS_ZERO,
    OPTION_SALVAGE,
    OPTION_BITMAPS,
};

/* Bytes copied or compared per step. */
#define IMG_COPY_CHUNK (2 * 1024 * 1024)

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
    int nsrc;
    int64_t total;
    BdrvChild *target;
    QObject *target_opts;       /* options to open the created target */
    bool target_zeroed;         /* unwritten target areas read as zero */
    int64_t cluster_size;       /* -c: the target's compression unit */
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
        c->total += len;
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
    if (!qopts_validate(all, opts, &err)) {
        error_report_err(err);
        return -1;
    }
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

/* Copy one source into the target at @base. */
static int img_convert_copy_source(ImgConvert *c, BdrvChild *src,
                                   int64_t base, int64_t *copied,
                                   uint8_t *buf)
{
    int64_t len = bdrv_getlength(src->bs);
    int64_t offset = 0;

    while (offset < len) {
        int64_t n = MIN(IMG_COPY_CHUNK, len - offset);
        int64_t pnum = n;
        int ret = bdrv_block_status(src->bs, offset, n, &pnum, NULL, NULL);
        bool zero = ret >= 0 && (ret & BDRV_BLOCK_ZERO) && c->sparse_size;

        if (c->compress) {
            n = img_convert_compressed_len(c, len, offset,
                                           ret >= 0 ? pnum : 0, &zero);
            pnum = n;
        }
        if (zero) {
            n = pnum;
            ret = c->target_zeroed ? 0 :
                  bdrv_pwrite_zeroes(c->target, base + offset, n,
                                     BDRV_REQ_MAY_UNMAP);
        } else {
            n = ret >= 0 ? pnum : n;
            ret = bdrv_pread(src, offset, n, buf, 0);
            if (ret < 0) {
                error_report("error while reading at byte %" PRId64 ": %s",
                             offset, g_strerror(-ret));
                return ret;
            }
            ret = c->compress
                  ? img_convert_write_compressed(c, base + offset, n, buf)
                  : img_convert_write(c, base + offset, n, buf);
        }
        if (ret < 0) {
            return ret;
        }
        offset += n;
        *copied += n;
        img_progress(c, c->total ? 100.0 * *copied / c->total : 100.0);
    }
    return 0;
}

static int img_convert_copy(ImgConvert *c)
{
    g_autofree uint8_t *buf = g_malloc(IMG_COPY_CHUNK);
    int64_t copied = 0, base = 0;
    int ret;

    img_progress(c, 0.0);
    for (int i = 0; i < c->nsrc; i++) {
        ret = img_convert_copy_source(c, c->src[i], base, &copied, buf);
        if (ret < 0) {
            return ret;
        }
        base += bdrv_getlength(c->src[i]->bs);
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
    if (!c->no_create && img_convert_create(c, out) < 0) {
        return 1;
    }
    if (img_convert_open_target(c, out) < 0) {
        return 1;
    }
    if (img_convert_copy(c) < 0) {
        return 1;
    }
    if (c->progress && !c->quiet) {
        printf("\n");
    }
    return 0;
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
        { NULL, 0, NULL, 0 }
    };
    uint64_t sval;
    int opt;

    while ((opt = getopt_long(argc, argv, ":hf:O:B:Cco:l:S:pt:T:qnm:WrU",
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
        case 'B': case 'C': case 'l': case 'm': case 'W': case 'r':
            break;
        case 'o': {
            char *joined = c->options ?
                g_strdup_printf("%s,%s", c->options, optarg) :
                g_strdup(optarg);
            g_free(c->options);
            c->options = joined;
            break;
        }
        case 'S':
            if (qemu_strtosz(optarg, NULL, &sval) < 0 ||
                sval > INT64_MAX / 2 || sval % BDRV_SECTOR_SIZE) {
                error_report("Invalid buffer size for sparse output "
                             "specified. Valid sizes are multiples of 512.");
                exit(EXIT_FAILURE);
            }
            c->sparse_size = sval;
            break;
        case OPTION_OBJECT: img_add_object(optarg); break;
        case OPTION_IMAGE_OPTS: c->image_opts = true; break;
        case OPTION_TARGET_IMAGE_OPTS: c->target_image_opts = true; break;
        case OPTION_TARGET_IS_ZERO: c->target_is_zero = true; break;
        case OPTION_SALVAGE: case OPTION_BITMAPS: break;
        default:
            img_unhandled_option(opt, argv);
        }
    }
}

int img_convert(int argc, char **argv)
{
    ImgConvert c = { .out_fmt = "raw", .sparse_size = 4096 };
    int ret;

    img_convert_parse(&c, argc, argv);
    if (c.options && keyval_is_help(c.options)) {
        const BlockDriver *drv = bdrv_find_format(c.out_fmt);
        g_autoptr(GString) out = g_string_new(NULL);
        if (!drv || !bdrv_get_format_create_opts(drv)) {
            error_report("Unknown file format '%s'", c.out_fmt);
            return 1;
        }
        g_string_append_printf(out, "Supported %s options:\n", c.out_fmt);
        qopts_print_help(out, bdrv_get_format_create_opts(drv));
        g_string_append(out, "\nThe protocol level may support further "
                        "options.\nSpecify the target filename to include "
                        "those options.\n");
        fputs(out->str, stdout);
        g_free(c.options);
        return 0;
    }
    if (argc - optind < 2) {
        img_usage_error("Must specify image file name");
    }
    if (c.image_opts && c.src_fmt) {
        error_report("--image-opts and --format are mutually exclusive");
        return 1;
    }
    if (c.no_create && c.options) {
        error_report("-o has no effect when skipping image creation");
        g_free(c.options);
        return 1;
    }
    if (c.target_image_opts && !c.no_create) {
        error_report("--target-image-opts requires use of -n flag");
        return 1;
    }
    ret = img_convert_run(&c, argv + optind, argc - optind - 1,
                          argv[argc - 1]);
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
} ImgCompare;

/* Returns: offset of the first differing byte, or -1 if equal. */
static int64_t img_first_difference(const uint8_t *a, const uint8_t *b,
                                    int64_t n)
{
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
    for (int64_t i = 0; i < n; i++) {
        if (a[i]) {
            return i;
        }
    }
    return -1;
}

/* Compare [0, @len) of both; Returns: 0 equal, 1 differ, 2 error. */
static int img_compare_common(const ImgCompare *p, BdrvChild *c1,
                              BdrvChild *c2, int64_t len, int64_t total,
                              uint8_t *b1, uint8_t *b2)
{
    for (int64_t off = 0; off < len; off += IMG_COPY_CHUNK) {
        int64_t n = MIN(IMG_COPY_CHUNK, len - off), diff;
        int ret = bdrv_pread(c1, off, n, b1, 0);

        if (ret >= 0) {
            ret = bdrv_pread(c2, off, n, b2, 0);
        }
        if (ret < 0) {
            error_report("Error while reading offset %" PRId64 ": %s", off,
                         g_strerror(-ret));
            return 2;
        }
        diff = img_first_difference(b1, b2, n);
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
    }
    return 0;
}

/* Check that the tail [@from, end) of the longer image reads as zeros. */
static int img_compare_tail(const ImgCompare *p, BdrvChild *c, int64_t from,
                            uint8_t *buf)
{
    int64_t len = bdrv_getlength(c->bs);

    for (int64_t off = from; off < len; off += IMG_COPY_CHUNK) {
        int64_t n = MIN(IMG_COPY_CHUNK, len - off), nz;
        int ret = bdrv_pread(c, off, n, buf, 0);

        if (ret < 0) {
            error_report("Error while reading offset %" PRId64 ": %s", off,
                         g_strerror(-ret));
            return 2;
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
                             b1, b2);
    if (0 == ret && len1 != len2) {
        ret = img_compare_tail(p, len1 > len2 ? c1 : c2, MIN(len1, len2),
                               b1);
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
