/*
 * qemu-img measure: the file size a new image would need, for a given
 * virtual size or for converting an existing image, as 7.2 reports it.
 */
#include "qemu/osdep.h"

#include <getopt.h>

#include "qapi/keyval.h"
#include "qapi/opts.h"
#include "qemu-img-common.h"

enum {
    OPTION_SIZE = IMG_OPTION_PRIVATE_BASE,
};

typedef struct ImgMeasure {
    ImgCommonOpts o;
    int ofmt;
    const char *out_fmt;
    char *options;              /* -o arguments joined by commas */
    const char *snapshot;       /* -l, or NULL */
    int64_t size;               /* --size, or -1 */
} ImgMeasure;

/* Append one -o argument; Returns: false after printing 7.2's error. */
static bool img_measure_add_options(ImgMeasure *m, const char *arg)
{
    char *joined;

    if (!keyval_is_valid_option_list(arg)) {
        error_report("Invalid option list: %s", arg);
        return false;
    }
    joined = m->options ? g_strdup_printf("%s,%s", m->options, arg)
                        : g_strdup(arg);
    g_free(m->options);
    m->options = joined;
    return true;
}

/* Handle one option of measure's own; Returns: false to exit with 1. */
static bool img_measure_option(ImgMeasure *m, int c, char **argv)
{
    switch (c) {
    case 'O':
        m->out_fmt = optarg;
        return true;
    case 'o':
        return img_measure_add_options(m, optarg);
    case 'l':
        m->snapshot = optarg;
        return img_check_snapshot_param(optarg);
    case IMG_OPTION_OUTPUT:
        /* Checked at once: its error comes before later options'. */
        m->ofmt = img_parse_output_format(optarg);
        return m->ofmt >= 0;
    case OPTION_SIZE:
        m->size = img_cvtnum("image size", optarg);
        return m->size >= 0;
    case '?':
        /* Unlike other commands, getopt reports the error itself here. */
        img_help();
        exit(EXIT_SUCCESS);
    default:
        return img_common_option(&m->o, c, argv);
    }
}

static bool img_measure_parse(ImgMeasure *m, int argc, char **argv)
{
    static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "image-opts", no_argument, NULL, IMG_OPTION_IMAGE_OPTS },
        { "object", required_argument, NULL, IMG_OPTION_OBJECT },
        { "output", required_argument, NULL, IMG_OPTION_OUTPUT },
        { "size", required_argument, NULL, OPTION_SIZE },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 }
    };
    int c;

    while ((c = getopt_long(argc, argv, "hf:o:O:l:U", long_options,
                            NULL)) != -1) {
        if (!img_measure_option(m, c, argv)) {
            return false;
        }
    }
    return true;
}

/* The argument checks 7.2 makes before opening anything. */
static bool img_measure_check_args(const ImgMeasure *m, const char *filename,
                                   int nargs)
{
    if (nargs > 1) {
        error_report("At most one filename argument is allowed.");
    } else if (!filename && (m->o.image_opts || m->o.fmt || m->snapshot)) {
        error_report("--image-opts, -f, and -l require a filename argument.");
    } else if (filename && m->size >= 0) {
        error_report("--size N cannot be used together with a filename.");
    } else if (!filename && m->size < 0) {
        error_report("Either --size N or one filename must be specified.");
    } else {
        return true;
    }
    return false;
}

/* Open the source image; Returns: the node or NULL after the error. */
static BlockDriverState *img_measure_open(const ImgMeasure *m,
                                          const char *filename)
{
    BlockDriverState *bs;

    if (!img_check_image_opts_fmt(&m->o)) {
        return NULL;
    }
    bs = img_open(m->o.image_opts, filename, m->o.fmt, 0, NULL, false,
                  m->o.force_share);
    if (bs && m->snapshot && !img_load_snapshot_param(bs, m->snapshot)) {
        bdrv_unref(bs);
        return NULL;
    }
    return bs;
}

/* Build the validated create options; Returns: NULL after the error. */
static QObject *img_measure_create_opts(const ImgMeasure *m,
                                        const BlockDriver *drv)
{
    g_autofree QOptDesc *all = bdrv_get_create_opts(drv);
    g_autoptr(QObject) opts = qobject_new_dict();
    Error *err = NULL;

    if (!all) {
        error_report("Format driver '%s' does not support image creation",
                     m->out_fmt);
        return NULL;
    }
    if (m->options && (!keyval_parse_into(opts, m->options, NULL, &err) ||
                       !qopts_validate(all, opts, &err))) {
        error_report_err(err);
        error_report("Invalid options for file format '%s'", m->out_fmt);
        return NULL;
    }
    if (m->size >= 0) {
        g_autofree char *size = g_strdup_printf("%" PRId64, m->size);
        qdict_put_str(opts, "size", size);
    }
    return g_steal_pointer(&opts);
}

static void img_measure_print(int ofmt, const BlockMeasureInfo *info)
{
    g_autoptr(QObject) dict = NULL;
    g_autofree char *json = NULL;

    if (IMG_OUTPUT_HUMAN == ofmt) {
        printf("required size: %" PRIu64 "\n", info->required);
        printf("fully allocated size: %" PRIu64 "\n",
               info->fully_allocated);
        if (info->has_bitmaps) {
            printf("bitmaps size: %" PRIu64 "\n", info->bitmaps);
        }
        return;
    }
    /* 7.2's JSON has signed integers: sizes above INT64_MAX wrap. */
    dict = qobject_new_dict();
    qdict_put_int(dict, "required", (int64_t)info->required);
    qdict_put_int(dict, "fully-allocated", (int64_t)info->fully_allocated);
    if (info->has_bitmaps) {
        qdict_put_int(dict, "bitmaps", (int64_t)info->bitmaps);
    }
    json = qobject_to_json(dict, true);
    printf("%s\n", json);
}

static int img_measure_run(const ImgMeasure *m, const char *filename)
{
    g_autoptr(QObject) opts = NULL;
    BlockDriverState *in_bs = NULL;
    BlockMeasureInfo info = { 0 };
    const BlockDriver *drv;
    Error *err = NULL;
    int ret = 1;

    if (filename && !(in_bs = img_measure_open(m, filename))) {
        return 1;
    }
    drv = bdrv_find_format(m->out_fmt);
    if (!drv) {
        error_report("Unknown file format '%s'", m->out_fmt);
    } else if ((opts = img_measure_create_opts(m, drv))) {
        if (bdrv_measure(drv, opts, in_bs, &info, &err) < 0) {
            error_report_err(err);
        } else {
            img_measure_print(m->ofmt, &info);
            ret = 0;
        }
    }
    bdrv_unref(in_bs);
    return ret;
}

int img_measure(int argc, char **argv)
{
    ImgMeasure m = { .out_fmt = "raw", .size = -1 };
    const char *filename;
    int ret = 1;

    if (img_measure_parse(&m, argc, argv)) {
        filename = optind < argc ? argv[argc - 1] : NULL;
        if (img_measure_check_args(&m, filename, argc - optind)) {
            ret = img_measure_run(&m, filename);
        }
    }
    g_free(m.options);
    return ret;
}
