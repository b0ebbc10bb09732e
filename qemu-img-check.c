/*
 * qemu-img check: the format's consistency check and repair, with 7.2's
 * human and JSON reports and exit codes.
 */
#include "qemu/osdep.h"

#include <getopt.h>

#include "qapi/qobject.h"
#include "qemu-img-common.h"

/* Exit codes of qemu-img check (7.2). */
#define IMG_CHECK_CLEAN 0
#define IMG_CHECK_FAILED 1
#define IMG_CHECK_CORRUPT 2
#define IMG_CHECK_LEAKS 3
#define IMG_CHECK_UNSUPPORTED 63

static void img_check_put(QObject *dict, const char *key, int64_t value)
{
    if (value) {
        qdict_put_int(dict, key, value);
    }
}

/*
 * The report as 7.2's ImageCheck: the optional members only when not 0
 * (the dict prints in QEMU's member order by itself).
 */
static QObject *img_check_to_qobject(const BdrvCheckResult *r,
                                     const char *filename, const char *fmt)
{
    QObject *d = qobject_new_dict();

    qdict_put_str(d, "filename", filename);
    qdict_put_str(d, "format", fmt);
    qdict_put_int(d, "check-errors", r->check_errors);
    img_check_put(d, "image-end-offset", r->image_end_offset);
    img_check_put(d, "corruptions", r->corruptions);
    img_check_put(d, "leaks", r->leaks);
    img_check_put(d, "corruptions-fixed", r->corruptions_fixed);
    img_check_put(d, "leaks-fixed", r->leaks_fixed);
    img_check_put(d, "total-clusters", r->total_clusters);
    img_check_put(d, "allocated-clusters", r->allocated_clusters);
    img_check_put(d, "fragmented-clusters", r->fragmented_clusters);
    img_check_put(d, "compressed-clusters", r->compressed_clusters);
    return d;
}

static void img_check_print_human(const BdrvCheckResult *r)
{
    if (!(r->corruptions || r->leaks || r->check_errors)) {
        printf("No errors were found on the image.\n");
    }
    if (r->corruptions) {
        printf("\n%d errors were found on the image.\n"
               "Data may be corrupted, or further writes to the image may "
               "corrupt it.\n", r->corruptions);
    }
    if (r->leaks) {
        printf("\n%d leaked clusters were found on the image.\n"
               "This means waste of disk space, but no harm to data.\n",
               r->leaks);
    }
    if (r->check_errors) {
        printf("\n%d internal errors have occurred during the check.\n",
               r->check_errors);
    }
    if (r->total_clusters && r->allocated_clusters) {
        printf("%" PRId64 "/%" PRId64 " = %0.2f%% allocated, %0.2f%% "
               "fragmented, %0.2f%% compressed clusters\n",
               r->allocated_clusters, r->total_clusters,
               r->allocated_clusters * 100.0 / r->total_clusters,
               r->fragmented_clusters * 100.0 / r->allocated_clusters,
               r->compressed_clusters * 100.0 / r->allocated_clusters);
    }
    if (r->image_end_offset) {
        printf("Image end offset: %" PRId64 "\n", r->image_end_offset);
    }
}

static void img_check_print(const BdrvCheckResult *r, int ofmt,
                            const char *filename, const char *fmt)
{
    g_autoptr(QObject) obj = NULL;
    g_autofree char *json = NULL;

    if (IMG_OUTPUT_HUMAN == ofmt) {
        img_check_print_human(r);
        return;
    }
    obj = img_check_to_qobject(r, filename, fmt);
    json = qobject_to_json(obj, true);
    printf("%s\n", json);
}

/*
 * Check (and repair) @bs.  After a repair 7.2 checks again and reports
 * the second result with the first one's repair counts.
 */
static int img_check_run(BlockDriverState *bs, const char *filename,
                         int ofmt, BdrvCheckMode fix, bool quiet)
{
    BdrvCheckResult r;
    int ret = bdrv_check(bs, &r, fix);

    if (-ENOTSUP == ret) {
        error_report("This image format does not support checks");
        return IMG_CHECK_UNSUPPORTED;
    }
    if (ret >= 0 && (r.corruptions_fixed || r.leaks_fixed)) {
        int corruptions_fixed = r.corruptions_fixed;
        int leaks_fixed = r.leaks_fixed;

        if (IMG_OUTPUT_HUMAN == ofmt && !quiet) {
            printf("The following inconsistencies were found and repaired:"
                   "\n\n    %d leaked clusters\n    %d corruptions\n\n"
                   "Double checking the fixed image now...\n", leaks_fixed,
                   corruptions_fixed);
        }
        ret = bdrv_check(bs, &r, 0);
        r.corruptions_fixed = corruptions_fixed;
        r.leaks_fixed = leaks_fixed;
    }
    if (ret >= 0 && !quiet) {
        img_check_print(&r, ofmt, filename, bdrv_get_format_name(bs));
    }
    if (ret < 0 || r.check_errors) {
        if (ret < 0) {
            error_report("Check failed: %s", g_strerror(-ret));
        } else {
            error_report("Check failed");
        }
        return IMG_CHECK_FAILED;
    }
    if (r.corruptions) {
        return IMG_CHECK_CORRUPT;
    }
    return r.leaks ? IMG_CHECK_LEAKS : IMG_CHECK_CLEAN;
}

/* -r: Returns: what to repair; exits on an unknown value. */
static BdrvCheckMode img_check_parse_fix(const char *arg)
{
    if (0 == strcmp(arg, "leaks")) {
        return BDRV_FIX_LEAKS;
    }
    if (0 == strcmp(arg, "all")) {
        return BDRV_FIX_LEAKS | BDRV_FIX_ERRORS;
    }
    img_usage_error("Unknown option value for -r (expecting 'leaks' or "
                    "'all'): %s", arg);
}

int img_check(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "format", required_argument, NULL, 'f' },
        { "repair", required_argument, NULL, 'r' },
        { "output", required_argument, NULL, IMG_OPTION_OUTPUT },
        { "object", required_argument, NULL, IMG_OPTION_OBJECT },
        { "image-opts", no_argument, NULL, IMG_OPTION_IMAGE_OPTS },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 }
    };
    ImgCommonOpts o = { .fmt = NULL };
    const char *cache = "writeback";
    BdrvCheckMode fix = 0;
    BlockDriverState *bs;
    bool quiet = false;
    int c, ofmt, cache_flags, ret;

    while ((c = getopt_long(argc, argv, ":hf:r:T:qU", long_options,
                            NULL)) != -1) {
        if (img_common_option(&o, c, argv)) {
            continue;
        }
        if ('r' == c) {
            fix = img_check_parse_fix(optarg);
        } else if ('T' == c) {
            cache = optarg;
        } else if ('q' == c) {
            quiet = true;
        }
    }
    if (optind != argc - 1) {
        img_usage_error("Expecting one image file name");
    }
    ofmt = img_parse_output_format(o.output);
    if (ofmt < 0) {
        return IMG_CHECK_FAILED;
    }
    if (img_parse_cache_mode(cache, &cache_flags) < 0) {
        error_report("Invalid source cache option: %s", cache);
        return IMG_CHECK_FAILED;
    }
    if (!img_check_image_opts_fmt(&o)) {
        return IMG_CHECK_FAILED;
    }
    bs = img_open(o.image_opts, argv[optind], o.fmt,
                  BDRV_O_CHECK | (fix ? BDRV_O_RDWR : 0), cache, quiet,
                  o.force_share);
    if (!bs) {
        return IMG_CHECK_FAILED;
    }
    ret = img_check_run(bs, argv[optind], ofmt, fix, quiet);
    bdrv_unref(bs);
    return ret;
}
