/*
 * qemu-img create, amend and resize.
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
    OPTION_FORCE,
    OPTION_SHRINK,
    OPTION_PREALLOCATION,
    OPTION_OUTPUT,
};

void img_append_options(char **options, const char *arg)
{
    char *joined;

    if (!*options) {
        *options = g_strdup(arg);
        return;
    }
    joined = g_strdup_printf("%s,%s", *options, arg);
    g_free(*options);
    *options = joined;
}

int img_print_create_help(const BlockDriver *drv, const char *filename)
{
    g_autofree QOptDesc *all = bdrv_get_create_opts(drv);
    g_autoptr(GString) out = g_string_new(NULL);

    if (!all) {
        error_report("Format driver '%s' does not support image creation",
                     bdrv_get_driver_name(drv));
        return 1;
    }
    if (filename) {
        g_string_append(out, "Supported options:\n");
        qopts_print_help(out, all);
    } else {
        g_string_append_printf(out, "Supported %s options:\n",
                               bdrv_get_driver_name(drv));
        qopts_print_help(out, bdrv_get_format_create_opts(drv));
        g_string_append(out, "\nThe protocol level may support further "
                        "options.\nSpecify the target filename to include "
                        "those options.\n");
    }
    fputs(out->str, stdout);
    return 0;
}

/* Parse the size argument of create; exits on error. */
static uint64_t img_parse_create_size(const char *arg)
{
    int64_t size = img_cvtnum("image size", arg);

    if (size < 0) {
        exit(EXIT_FAILURE);
    }
    return size;
}

void img_warn_weak_encryption(const char *fmt, const QObject *opts)
{
    const char *format = qdict_get_str(opts, "encrypt.format");

    /* 7.2 prints nothing; we do not want anyone to pick it by accident. */
    if (0 == strcmp(fmt, "qcow2") &&
        (qopts_get_bool(opts, "encryption", false) ||
         0 == g_strcmp0(format, "aes"))) {
        warn_report("The qcow2 'aes' encryption format is insecure (the "
                    "passphrase is the key, with predictable IVs); use "
                    "encrypt.format=luks for new images");
    }
}

/*
 * As 7.2: unless -u, the backing file must open (read-only, shared, no
 * key needed) with the backing format, which must be given, and lends its
 * size when none was given.  Its name is relative to the new image.
 */
static int img_create_check_backing(const char *filename, QObject *opts,
                                    bool unsafe, Error **errp)
{
    const char *backing = qdict_get_str(opts, "backing_file");
    const char *backing_fmt = qdict_get_str(opts, "backing_fmt");
    g_autofree char *full = NULL;
    g_autofree char *size = NULL;
    QObject *bopts;
    BlockDriverState *bs;
    int64_t len;

    if (!backing) {
        return 0;
    }
    if (unsafe) {
        if (!backing_fmt) {
            error_setg(errp, "Backing file specified without backing "
                       "format");
            return -EINVAL;
        }
        return 0;
    }
    full = bdrv_path_combine(filename, backing);
    bopts = qobject_new_dict();
    if (backing_fmt) {
        qdict_put_str(bopts, "driver", backing_fmt);
    }
    bs = bdrv_open(full, bopts, BDRV_O_NO_IO | BDRV_O_FORCE_SHARE, errp);
    if (!bs) {
        error_append_hint(errp, "Could not open backing image.\n");
        return -EIO;
    }
    if (!backing_fmt) {
        error_setg(errp, "Backing file specified without backing format");
        /* 7.2 ends this hint without a newline. */
        error_append_hint(errp, "Detected format of %s.",
                          bdrv_get_format_name(bs));
        bdrv_unref(bs);
        return -EINVAL;
    }
    len = bdrv_getlength(bs);
    bdrv_unref(bs);
    if (len < 0) {
        error_setg_errno(errp, (int)-len, "Could not get size of '%s'",
                         full);
        return (int)len;
    }
    if (!qdict_haskey(opts, "size")) {
        size = g_strdup_printf("%" PRId64, len);
        qdict_put_str(opts, "size", size);
    }
    return 0;
}

static int img_create_image(const char *fmt, const char *filename,
                            const char *optstr, const char *size_arg,
                            bool unsafe, bool quiet)
{
    const BlockDriver *drv = bdrv_find_format(fmt);
    g_autofree QOptDesc *all = NULL;
    g_autoptr(QObject) opts = qobject_new_dict();
    g_autoptr(GString) line = NULL;
    g_autofree char *size_str = NULL;
    Error *err = NULL;
    uint64_t size;

    if (!drv || !(all = bdrv_get_create_opts(drv))) {
        error_report("%s: Unknown file format '%s'", filename, fmt);
        return 1;
    }
    if (optstr && !keyval_parse_into(opts, optstr, NULL, &err)) {
        goto fail;
    }
    if (!qopts_validate(all, opts, &err)) {
        goto fail;
    }
    if (size_arg) {
        if (qdict_haskey(opts, "size")) {
            error_setg(&err, "The image size must be specified only once");
            goto fail;
        }
        size = img_parse_create_size(size_arg);
        size_str = g_strdup_printf("%" PRIu64, size);
        qdict_put_str(opts, "size", size_str);
    }
    if (img_create_check_backing(filename, opts, unsafe, &err) < 0) {
        goto fail;
    }
    if (!qdict_haskey(opts, "size")) {
        error_setg(&err, "Image creation needs a size parameter");
        goto fail;
    }
    if (!quiet) {
        line = g_string_new(NULL);
        g_string_append_printf(line, "Formatting '%s', fmt=%s", filename,
                               fmt);
        qopts_format_line(line, all, opts);
        printf("%s\n", line->str);
        fflush(stdout);
    }
    if (bdrv_create(fmt, filename, opts, &err) < 0) {
        goto fail;
    }
    img_warn_weak_encryption(fmt, opts);
    return 0;

fail:
    error_prepend(&err, "%s: ", filename);
    error_report_err(err);
    return 1;
}

int img_create(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "object", required_argument, NULL, OPTION_OBJECT },
        { NULL, 0, NULL, 0 }
    };
    g_autofree char *options = NULL;
    const char *fmt = "raw", *filename, *size_arg = NULL;
    bool quiet = false, unsafe = false;
    int c;

    while ((c = getopt_long(argc, argv, ":F:b:f:ho:qu", long_options,
                            NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'o':
            if (!keyval_is_valid_option_list(optarg)) {
                error_report("Invalid option list: %s", optarg);
                return 1;
            }
            img_append_options(&options, optarg);
            break;
        case 'q':
            quiet = true;
            break;
        case 'b':
        case 'F': {
            g_autofree char *opt = g_strdup_printf(
                "%s=%s", 'b' == c ? "backing_file" : "backing_fmt", optarg);
            img_append_options(&options, opt);
            break;
        }
        case 'u':
            unsafe = true;
            break;
        case OPTION_OBJECT:
            img_add_object(optarg);
            break;
        default:
            img_unhandled_option(c, argv);
        }
    }
    if (options && keyval_is_help(options)) {
        const BlockDriver *drv = bdrv_find_format(fmt);
        if (!drv) {
            error_report("Unknown file format '%s'", fmt);
            return 1;
        }
        return img_print_create_help(drv, optind < argc ? argv[optind]
                                                         : NULL);
    }
    if (optind >= argc) {
        img_usage_error("Expecting image file name");
    }
    filename = argv[optind++];
    if (optind < argc) {
        size_arg = argv[optind++];
    }
    if (optind != argc) {
        img_usage_error("Unexpected argument: %s", argv[optind]);
    }
    return img_create_image(fmt, filename, options, size_arg, unsafe, quiet);
}

/* Common option loop state of amend, resize and check. */
typedef struct ImgOpenArgs {
    const char *fmt;
    const char *cache;
    bool image_opts;
    bool quiet;
    bool force_share;
} ImgOpenArgs;

static int img_print_amend_help(const char *fmt, const QOptDesc *desc)
{
    g_autoptr(GString) out = g_string_new(NULL);

    g_string_append_printf(out, "Amend options for '%s':\n", fmt);
    qopts_print_help(out, desc);
    fputs(out->str, stdout);
    return 0;
}

/* Validate amend options; name create-only options as 7.2 does. */
static bool img_amend_validate(const BlockDriver *drv, const QOptDesc *desc,
                               QObject *opts, Error **errp)
{
    g_autofree QOptDesc *create = bdrv_get_create_opts(drv);

    for (const QDictEntry *e = qdict_first(opts); e;
         e = qdict_next(opts, e)) {
        const char *key = qdict_entry_key(e);

        if (!qopts_find(desc, key) && create && qopts_find(create, key)) {
            error_setg(errp, "Invalid parameter '%s'", key);
            error_append_hint(errp, "This option is only supported for "
                              "image creation\n");
            return false;
        }
    }
    return qopts_validate(desc, opts, errp);
}

/*
 * [qcrypt-img] qcow2's encrypt.header-layout alone moves the LUKS header
 * without the key, so it opens the image without data I/O, unless the
 * image options name a key (which lets encrypted data clusters in the
 * way of the inline header move with it).
 */
static int img_amend_open_flags(const ImgOpenArgs *a, const char *filename,
                                const char *optstr)
{
    g_autoptr(QObject) opts = qobject_new_dict();
    g_autoptr(QObject) img = NULL;

    if (keyval_is_help(optstr) ||
        !keyval_parse_into(opts, optstr, NULL, NULL) ||
        !qdict_get_str(opts, "encrypt.header-layout") ||
        1 != qdict_size(opts)) {
        return BDRV_O_RDWR;
    }
    img = a->image_opts ? keyval_parse(filename, "file", NULL) : NULL;
    if (img && qdict_haskey(img, "encrypt.key-secret")) {
        return BDRV_O_RDWR;
    }
    return BDRV_O_RDWR | BDRV_O_NO_IO;
}

/* Amend @opts on @bs; -p shows 7.2's meter: 0% before and 100% after
 * the driver's work, whether it succeeded or not. */
static int img_amend_apply(BlockDriverState *bs, QObject *opts, bool force,
                           ImgProgress *meter, Error **errp)
{
    int ret;

    img_progress_print(meter, 0.f, 0);
    ret = bdrv_amend_options(bs, opts, force, errp);
    img_progress_print(meter, 100.f, 0);
    return ret;
}

static int img_amend_run(ImgOpenArgs *a, const char *filename,
                         const char *optstr, bool force, ImgProgress *meter)
{
    g_autoptr(QObject) opts = qobject_new_dict();
    const QOptDesc *desc;
    BlockDriverState *bs;
    Error *err = NULL;
    int flags = img_amend_open_flags(a, filename, optstr);
    bool ok;
    int ret;

    bs = img_open(a->image_opts, filename, a->fmt, flags, a->cache,
                  a->quiet, false);
    if (!bs) {
        return 1;
    }
    desc = bdrv_get_amend_opts(bdrv_get_driver(bs));
    if (!desc) {
        error_report("Format driver '%s' does not support option amendment",
                     bdrv_get_format_name(bs));
        bdrv_unref(bs);
        return 1;
    }
    if (keyval_is_help(optstr)) {
        ret = img_print_amend_help(bdrv_get_format_name(bs), desc);
        bdrv_unref(bs);
        return ret;
    }
    ok = keyval_parse_into(opts, optstr, NULL, &err);
    ok = ok && img_amend_validate(bdrv_get_driver(bs), desc, opts, &err);
    ret = 0;
    if (!ok || img_amend_apply(bs, opts, force, meter, &err) < 0) {
        error_report_err(err);
        ret = 1;
    }
    bdrv_unref(bs);
    return ret;
}

/* 7.2 reports a missing or extra image name without the usage hint. */
static int img_amend_no_image(void)
{
    error_report("Expecting one image file name");
    return 1;
}

/* Help for -f @fmt, with or without an image (7.2 does not open it). */
static int img_amend_help(const char *fmt)
{
    const BlockDriver *drv = bdrv_find_format(fmt);

    if (!drv) {
        error_report("Unknown file format '%s'", fmt);
        return 1;
    }
    if (!bdrv_get_amend_opts(drv)) {
        error_report("Format driver '%s' does not support option amendment",
                     fmt);
        return 1;
    }
    return img_print_amend_help(fmt, bdrv_get_amend_opts(drv));
}

/*
 * The rest of img_amend once the options are known, in 7.2's order.  From
 * here on -p (unless -q) ends every path with the meter's newline, even
 * errors and help.  @filename: the one image argument, or NULL.
 */
static int img_amend_main(ImgOpenArgs *a, const char *options, bool force,
                          bool progress, const char *filename)
{
    ImgProgress meter;
    int ret;

    img_progress_init(&meter, progress && !a->quiet, 1.0);
    if (a->image_opts && a->fmt) {
        error_report("--image-opts and --format are mutually exclusive");
        ret = 1;
    } else if (keyval_is_help(options) && a->fmt) {
        /* Without -f, 7.2 opens the image to learn its format. */
        ret = img_amend_help(a->fmt);
    } else if (!filename) {
        ret = img_amend_no_image();
    } else {
        ret = img_amend_run(a, filename, options, force, &meter);
    }
    img_progress_end(&meter);
    return ret;
}

int img_amend(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "object", required_argument, NULL, OPTION_OBJECT },
        { "image-opts", no_argument, NULL, OPTION_IMAGE_OPTS },
        { "force", no_argument, NULL, OPTION_FORCE },
        { NULL, 0, NULL, 0 }
    };
    ImgOpenArgs a = { .cache = NULL };
    g_autofree char *options = NULL;
    bool force = false, progress = false;
    int c;

    while ((c = getopt_long(argc, argv, ":ho:f:t:pq", long_options,
                            NULL)) != -1) {
        switch (c) {
        case 'o':
            if (!keyval_is_valid_option_list(optarg)) {
                error_report("Invalid option list: %s", optarg);
                return 1;
            }
            img_append_options(&options, optarg);
            break;
        case 'f':
            a.fmt = optarg;
            break;
        case 't':
            a.cache = optarg;
            break;
        case 'p':
            progress = true;
            break;
        case 'q':
            a.quiet = true;
            break;
        case OPTION_OBJECT:
            img_add_object(optarg);
            break;
        case OPTION_IMAGE_OPTS:
            a.image_opts = true;
            break;
        case OPTION_FORCE:
            force = true;
            break;
        default:
            img_unhandled_option(c, argv);
        }
    }
    if (!options) {
        img_usage_error("Must specify options (-o)");
    }
    return img_amend_main(&a, options, force, progress,
                          optind == argc - 1 ? argv[optind] : NULL);
}

/* Parse "[+|-]size" relative to @cur; exits on error. */
static int64_t img_parse_resize_size(const char *arg, int64_t cur)
{
    int sign = 0;
    uint64_t n;

    if ('+' == arg[0] || '-' == arg[0]) {
        sign = '+' == arg[0] ? 1 : -1;
        arg++;
    }
    if (qemu_strtosz(arg, NULL, &n) < 0 || n > INT64_MAX) {
        error_report("Parameter 'size' expects a non-negative number below "
                     "2^64");
        fprintf(stderr, "Optional suffix k, M, G, T, P or E means kilo-, "
                "mega-, giga-, tera-, peta-\nand exabytes, respectively.\n");
        exit(EXIT_FAILURE);
    }
    if (sign > 0) {
        return n > (uint64_t)(INT64_MAX - cur) ? -1 : cur + (int64_t)n;
    }
    if (sign < 0) {
        return (int64_t)n > cur ? -1 : cur - (int64_t)n;
    }
    return n;
}

static int img_resize_run(ImgOpenArgs *a, const char *filename,
                          const char *size_arg, bool shrink,
                          PreallocMode prealloc)
{
    BlockDriverState *bs;
    BdrvChild *root;
    Error *err = NULL;
    int64_t cur, size;
    int ret;

    bs = img_open(a->image_opts, filename, a->fmt,
                  BDRV_O_RDWR | BDRV_O_RESIZE, NULL, a->quiet, false);
    if (!bs) {
        return 1;
    }
    root = bdrv_root_attach(bs);
    cur = bdrv_getlength(bs);
    size = img_parse_resize_size(size_arg, cur);
    if (size < 0) {
        error_report("New image size must be positive");
        bdrv_root_detach(root);
        return 1;
    }
    if (size < cur && !shrink) {
        error_report("Use the --shrink option to perform a shrink "
                     "operation.");
        warn_report("Shrinking an image will delete all data beyond the "
                    "shrunken image's end. Before performing such an "
                    "operation, make sure there is no important data "
                    "there.");
        bdrv_root_detach(root);
        return 1;
    }
    ret = bdrv_truncate(root, size, false, prealloc, &err);
    if (ret < 0) {
        error_report_err(err);
    } else if (!a->quiet) {
        printf("Image resized.\n");
    }
    bdrv_root_detach(root);
    return ret < 0 ? 1 : 0;
}

int img_resize(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "object", required_argument, NULL, OPTION_OBJECT },
        { "image-opts", no_argument, NULL, OPTION_IMAGE_OPTS },
        { "preallocation", required_argument, NULL, OPTION_PREALLOCATION },
        { "shrink", no_argument, NULL, OPTION_SHRINK },
        { NULL, 0, NULL, 0 }
    };
    ImgOpenArgs a = { .cache = NULL };
    PreallocMode prealloc = PREALLOC_MODE_OFF;
    bool shrink = false;
    int c, val;

    /* A negative size ("-1G") must not be taken for an option. */
    for (int i = 1; i < argc; i++) {
        if ('-' == argv[i][0] && g_ascii_isdigit(argv[i][1])) {
            argv[i][0] = '\x1f';
        }
    }
    while ((c = getopt_long(argc, argv, ":f:hq", long_options,
                            NULL)) != -1) {
        switch (c) {
        case 'f':
            a.fmt = optarg;
            break;
        case 'q':
            a.quiet = true;
            break;
        case OPTION_OBJECT:
            img_add_object(optarg);
            break;
        case OPTION_IMAGE_OPTS:
            a.image_opts = true;
            break;
        case OPTION_SHRINK:
            shrink = true;
            break;
        case OPTION_PREALLOCATION:
            val = qapi_enum_parse(&PreallocMode_lookup, "preallocation",
                                  optarg, PREALLOC_MODE__MAX, NULL);
            if (val < 0) {
                error_report("Invalid preallocation mode '%s'", optarg);
                return 1;
            }
            prealloc = val;
            break;
        default:
            img_unhandled_option(c, argv);
        }
    }
    if (optind != argc - 2) {
        img_usage_error("Expecting image file name and size");
    }
    if ('\x1f' == argv[optind + 1][0]) {
        argv[optind + 1][0] = '-';
    }
    if (a.image_opts && a.fmt) {
        error_report("--image-opts and --format are mutually exclusive");
        return 1;
    }
    return img_resize_run(&a, argv[optind], argv[optind + 1], shrink,
                          prealloc);
}
