/*
 * qemu-img bitmap: add, remove, clear, enable, disable and merge the
 * persistent dirty bitmaps of an image, with 7.2's options and messages.
 */
#include "qemu/osdep.h"

#include <getopt.h>

#include "qemu-img-common.h"
#include "qemu/cutils.h"

enum {
    OPTION_ADD = IMG_OPTION_PRIVATE_BASE,
    OPTION_REMOVE,
    OPTION_CLEAR,
    OPTION_ENABLE,
    OPTION_DISABLE,
    OPTION_MERGE,
};

/* The actions in command line order, as 7.2 runs them. */
typedef struct ImgBitmapArgs {
    GArray *actions;            /* BdrvBitmapAction */
    GPtrArray *merge_src;       /* source bitmap names of the merges */
    const char *src_filename;   /* -b */
    const char *src_fmt;        /* -F */
    int64_t granularity;        /* -g, 0 if not given */
    bool add;
    bool merge;
} ImgBitmapArgs;

static const char *const action_names[] = {
    [BDRV_BITMAP_ADD] = "add",
    [BDRV_BITMAP_REMOVE] = "remove",
    [BDRV_BITMAP_CLEAR] = "clear",
    [BDRV_BITMAP_ENABLE] = "enable",
    [BDRV_BITMAP_DISABLE] = "disable",
    [BDRV_BITMAP_MERGE] = "merge",
};

static void add_action(ImgBitmapArgs *a, BdrvBitmapAction action)
{
    g_array_append_val(a->actions, action);
}

/* Parse the options.  Returns: 0, or 1 after printing an error. */
static int bitmap_parse(ImgCommonOpts *o, ImgBitmapArgs *a, int argc,
                        char **argv)
{
    static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "object", required_argument, NULL, IMG_OPTION_OBJECT },
        { "image-opts", no_argument, NULL, IMG_OPTION_IMAGE_OPTS },
        { "add", no_argument, NULL, OPTION_ADD },
        { "remove", no_argument, NULL, OPTION_REMOVE },
        { "clear", no_argument, NULL, OPTION_CLEAR },
        { "enable", no_argument, NULL, OPTION_ENABLE },
        { "disable", no_argument, NULL, OPTION_DISABLE },
        { "merge", required_argument, NULL, OPTION_MERGE },
        { "granularity", required_argument, NULL, 'g' },
        { "source-file", required_argument, NULL, 'b' },
        { "source-format", required_argument, NULL, 'F' },
        { NULL, 0, NULL, 0 }
    };
    int c;

    while ((c = getopt_long(argc, argv, ":b:f:F:g:h", long_options,
                            NULL)) != -1) {
        if (img_common_option(o, c, argv)) {
            continue;
        }
        switch (c) {
        case 'b':
            a->src_filename = optarg;
            break;
        case 'F':
            a->src_fmt = optarg;
            break;
        case 'g':
            a->granularity = img_cvtnum("granularity", optarg);
            if (a->granularity < 0) {
                return 1;
            }
            break;
        case OPTION_ADD:
            add_action(a, BDRV_BITMAP_ADD);
            a->add = true;
            break;
        case OPTION_REMOVE:
            add_action(a, BDRV_BITMAP_REMOVE);
            break;
        case OPTION_CLEAR:
            add_action(a, BDRV_BITMAP_CLEAR);
            break;
        case OPTION_ENABLE:
            add_action(a, BDRV_BITMAP_ENABLE);
            break;
        case OPTION_DISABLE:
            add_action(a, BDRV_BITMAP_DISABLE);
            break;
        case OPTION_MERGE:
            add_action(a, BDRV_BITMAP_MERGE);
            g_ptr_array_add(a->merge_src, optarg);
            a->merge = true;
            break;
        default:
            img_unhandled_option(c, argv);
        }
    }
    return 0;
}

/* The checks 7.2 makes before opening anything.  Returns: 0 or 1. */
static int bitmap_check_args(const ImgBitmapArgs *a, int argc)
{
    if (0 == a->actions->len) {
        error_report("Need at least one of --add, --remove, --clear, "
                     "--enable, --disable, or --merge");
        return 1;
    }
    if (a->granularity && !a->add) {
        error_report("granularity only supported with --add");
        return 1;
    }
    if (a->src_fmt && !a->src_filename) {
        error_report("-F only supported with -b");
        return 1;
    }
    if (a->src_filename && !a->merge) {
        error_report("Merge bitmap source file only supported with "
                     "--merge");
        return 1;
    }
    if (optind != argc - 2) {
        error_report("Expecting filename and bitmap name");
        return 1;
    }
    return 0;
}

/* Run the actions in order; stop at the first failure.  Returns: 0, 1. */
static int bitmap_run(BlockDriverState *bs, BlockDriverState *src,
                      const ImgBitmapArgs *a, const char *name)
{
    guint merges = 0;

    for (guint i = 0; i < a->actions->len; i++) {
        BdrvBitmapChange c = {
            .action = g_array_index(a->actions, BdrvBitmapAction, i),
            .name = name,
            /*
             * 7.2 passes -g as a 32-bit granularity that counts as given
             * when the 64-bit value is non-zero: 4G becomes an invalid 0.
             */
            .granularity = (uint32_t)a->granularity ? (uint32_t)a->granularity
                           : (a->granularity ? 1 : 0),
            .src_bs = src,
        };
        Error *err = NULL;

        if (BDRV_BITMAP_MERGE == c.action) {
            c.src_name = g_ptr_array_index(a->merge_src, merges++);
        }
        if (bdrv_bitmap_change(bs, &c, &err) < 0) {
            error_prepend(&err, "Operation %s on bitmap %s failed: ",
                          action_names[c.action], name);
            error_report_err(err);
            return 1;
        }
    }
    return 0;
}

int img_bitmap(int argc, char **argv)
{
    g_autoptr(GArray) actions = g_array_new(FALSE, FALSE,
                                            sizeof(BdrvBitmapAction));
    g_autoptr(GPtrArray) merge_src = g_ptr_array_new();
    ImgBitmapArgs a = { .actions = actions, .merge_src = merge_src };
    ImgCommonOpts o = { 0 };
    BlockDriverState *bs, *src = NULL;
    int ret;

    if (bitmap_parse(&o, &a, argc, argv) || bitmap_check_args(&a, argc) ||
        !img_check_image_opts_fmt(&o)) {
        return 1;
    }
    /* Only this image's bitmaps change: no backing chain is needed. */
    bs = img_open(o.image_opts, argv[optind], o.fmt,
                  BDRV_O_RDWR | BDRV_O_NO_BACKING, NULL, false, false);
    if (!bs) {
        return 1;
    }
    if (a.src_filename) {
        src = img_open(false, a.src_filename, a.src_fmt, BDRV_O_NO_BACKING,
                       NULL, false, false);
        if (!src) {
            bdrv_unref(bs);
            return 1;
        }
    }
    ret = bitmap_run(bs, src, &a, argv[optind + 1]);
    bdrv_unref(src);
    bdrv_unref(bs);
    return ret;
}

/* ------------------------------------------------------------------ */
/* qemu-img convert --bitmaps                                          */
/* ------------------------------------------------------------------ */

int img_convert_check_bitmaps(BlockDriverState *src, bool skip_broken)
{
    GArray *list = bdrv_bitmap_list(src);
    int ret = 0;

    if (!list) {
        error_report("Source lacks bitmap support");
        return 1;
    }
    for (guint i = 0; i < list->len && !skip_broken; i++) {
        const BdrvBitmapInfo *bm = &g_array_index(list, BdrvBitmapInfo, i);

        if (bm->inconsistent) {
            error_report("Cannot copy inconsistent bitmap '%s'", bm->name);
            fprintf(stderr, "Try --skip-broken-bitmaps, or use 'qemu-img "
                    "bitmap --remove' to delete it\n");
            ret = 1;
            break;
        }
    }
    bdrv_bitmap_list_free(list);
    return ret;
}

int img_convert_check_target_bitmaps(BlockDriverState *dst)
{
    GArray *list = bdrv_bitmap_list(dst);

    if (!list) {
        error_report("Format driver '%s' does not support bitmaps",
                     bdrv_get_format_name(dst));
        return 1;
    }
    bdrv_bitmap_list_free(list);
    return 0;
}

/* Add one bitmap like @bm to @dst and merge @bm's bits into it. */
static int copy_one_bitmap(BlockDriverState *src, BlockDriverState *dst,
                           const BdrvBitmapInfo *bm)
{
    BdrvBitmapChange add = {
        .action = BDRV_BITMAP_ADD, .name = bm->name,
        .granularity = bm->granularity,
    };
    BdrvBitmapChange merge = {
        .action = BDRV_BITMAP_MERGE, .name = bm->name, .src_bs = src,
        .src_name = bm->name,
    };
    BdrvBitmapChange disable = {
        .action = BDRV_BITMAP_DISABLE, .name = bm->name,
    };
    Error *err = NULL;

    if (bdrv_bitmap_change(dst, &add, &err) < 0 ||
        (!bm->enabled && bdrv_bitmap_change(dst, &disable, &err) < 0)) {
        error_prepend(&err, "Failed to create bitmap %s: ", bm->name);
        error_report_err(err);
        return 1;
    }
    if (bdrv_bitmap_change(dst, &merge, &err) < 0) {
        BdrvBitmapChange remove = {
            .action = BDRV_BITMAP_REMOVE, .name = bm->name,
        };

        error_prepend(&err, "Failed to populate bitmap %s: ", bm->name);
        error_report_err(err);
        (void)bdrv_bitmap_change(dst, &remove, NULL);
        return 1;
    }
    return 0;
}

int img_convert_copy_bitmaps(BlockDriverState *src, BlockDriverState *dst,
                             bool skip_broken)
{
    GArray *list = bdrv_bitmap_list(src);
    int ret = 0;

    /* 7.2 walks the source's bitmaps newest first. */
    for (guint i = 0; list && i < list->len && !ret; i++) {
        const BdrvBitmapInfo *bm = &g_array_index(list, BdrvBitmapInfo, i);

        if (skip_broken && bm->inconsistent) {
            warn_report("Skipping inconsistent bitmap '%s'", bm->name);
            continue;
        }
        ret = copy_one_bitmap(src, dst, bm);
    }
    bdrv_bitmap_list_free(list);
    return ret;
}
