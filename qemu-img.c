/*
 * qemu-img: create, inspect, convert and modify disk images.  Command
 * line, output text and exit codes follow qemu-img 7.2.
 */
#include "qemu/osdep.h"

#include <getopt.h>

#include "crypto/secret.h"
#include "qapi/keyval.h"
#include "qapi/opts.h"
#include "qemu-img-common.h"
#include "qemu/cutils.h"

typedef struct ImgCmd {
    const char *name;
    int (*handler)(int argc, char **argv);
} ImgCmd;

static const ImgCmd img_cmds[] = {
    { "amend", img_amend },
    { "bench", img_bench },
    { "bitmap", img_bitmap },
    { "check", img_check },
    { "commit", img_commit },
    { "compare", img_compare },
    { "convert", img_convert },
    { "create", img_create },
    { "dd", img_dd },
    { "info", img_info },
    { "map", img_map },
    { "measure", img_measure },
    { "rebase", img_rebase },
    { "resize", img_resize },
    { "snapshot", img_snapshot },
};

void img_usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "qemu-img: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'qemu-img --help' for more information\n");
    exit(EXIT_FAILURE);
}

void img_add_object(const char *optarg)
{
    Error *err = NULL;

    if (!qcrypto_object_add_from_str(optarg, &err)) {
        error_report_err(err);
        exit(EXIT_FAILURE);
    }
}

int img_parse_cache_mode(const char *mode, int *flags)
{
    if (0 == strcmp(mode, "none") || 0 == strcmp(mode, "off") ||
        0 == strcmp(mode, "directsync")) {
        *flags = BDRV_O_NOCACHE;
    } else if (0 == strcmp(mode, "writeback") ||
               0 == strcmp(mode, "writethrough") ||
               0 == strcmp(mode, "unsafe")) {
        *flags = 0;
    } else {
        return -1;
    }
    return 0;
}

static void img_warn_probed_raw(BlockDriverState *bs, const char *filename)
{
    fprintf(stderr,
            "WARNING: Image format was not specified for '%s' and probing "
            "guessed raw.\n"
            "         Automatically detecting the format is dangerous for "
            "raw images, write operations on block 0 will be restricted.\n"
            "         Specify the 'raw' format explicitly to remove the "
            "restrictions.\n", filename);
}

BlockDriverState *img_open_opts(bool image_opts, const char *filename,
                                const char *fmt, const QObject *extra,
                                int flags, const char *cache, bool quiet,
                                bool force_share)
{
    g_autoptr(QObject) options = NULL;
    Error *err = NULL;
    BlockDriverState *bs;
    int cache_flags = 0;

    if (cache && img_parse_cache_mode(cache, &cache_flags) < 0) {
        error_report("Invalid cache option: %s", cache);
        return NULL;
    }
    flags |= cache_flags | (force_share ? BDRV_O_FORCE_SHARE : 0);
    if (image_opts) {
        options = keyval_parse(filename, NULL, &err);
        if (!options) {
            error_report_err(err);
            return NULL;
        }
    } else {
        options = qobject_new_dict();
        if (fmt) {
            qdict_put_str(options, "driver", fmt);
        }
    }
    for (const QDictEntry *e = extra ? qdict_first(extra) : NULL; e;
         e = qdict_next(extra, e)) {
        qdict_put(options, qdict_entry_key(e),
                  qobject_copy(qdict_entry_value(e)));
    }
    bs = bdrv_open(image_opts ? NULL : filename, g_steal_pointer(&options),
                   flags, &err);
    if (!bs) {
        error_prepend(&err, "Could not open '%s': ", filename);
        error_report_err(err);
        return NULL;
    }
    if ((flags & BDRV_O_RDWR) && bdrv_format_was_probed(bs) &&
        0 == strcmp(bdrv_get_format_name(bs), "raw")) {
        img_warn_probed_raw(bs, filename);
    }
    return bs;
}

BlockDriverState *img_open(bool image_opts, const char *filename,
                           const char *fmt, int flags, const char *cache,
                           bool quiet, bool force_share)
{
    return img_open_opts(image_opts, filename, fmt, NULL, flags, cache,
                         quiet, force_share);
}

void img_help(void)
{
    g_autofree char *formats = bdrv_format_list();

    printf("qemu-img version " QCRYPT_VERSION "\n"
           "usage: qemu-img [standard options] command [command options]\n"
           "QEMU disk image utility (qcrypt-img implementation)\n"
           "\n"
           "    '-h', '--help'       display this help and exit\n"
           "    '-V', '--version'    output version information and exit\n"
           "    '-T', '--trace'      [[enable=]<pattern>][,events=<file>]"
           "[,file=<file>]\n"
           "                         (accepted and ignored)\n"
           "\n"
           "Command syntax:\n"
           "  amend [--object objectdef] [--image-opts] [-p] [-q] "
           "[-f fmt] [-t cache] [--force] -o options filename\n"
           "  bench [-c count] [-d depth] [-f fmt] "
           "[--flush-interval=flush_interval] [-i aio] [-n] [--no-drain] "
           "[-o offset] [--pattern=pattern] [-q] [-s buffer_size] "
           "[-S step_size] [-t cache] [-w] [-U] filename\n"
           "  bitmap (--merge SOURCE | --add | --remove | --clear | "
           "--enable | --disable)... [-b source_file [-F source_fmt]] "
           "[-g granularity] [--object objectdef] [--image-opts | -f fmt] "
           "filename bitmap\n"
           "  check [--object objectdef] [--image-opts] [-q] [-f fmt] "
           "[--output=ofmt] [-r [leaks | all]] [-T src_cache] "
           "[-U] filename\n"
           "  commit [--object objectdef] [--image-opts] [-q] [-f fmt] "
           "[-t cache] [-b base] [-r rate_limit] [-d] [-p] filename\n"
           "  compare [--object objectdef] [--image-opts] [-f fmt] "
           "[-F fmt] [-T src_cache] [-p] [-q] [-s] [-U] filename1 "
           "filename2\n"
           "  convert [--object objectdef] [--image-opts] "
           "[--target-image-opts] [--target-is-zero] [--bitmaps] [-U] "
           "[-C] [-c] [-p] [-q] [-n] "
           "[-f fmt] [-t cache] [-T src_cache] [-O output_fmt] "
           "[-B backing_file [-F backing_fmt]] "
           "[-o options] [-l snapshot_param] [-S sparse_size] "
           "[-r rate_limit] [-m num_coroutines] [-W] [--salvage] "
           "filename [filename2 [...]] output_filename\n"
           "  create [--object objectdef] [-q] [-f fmt] "
           "[-b backing_file [-F backing_fmt]] [-u] [-o options] "
           "filename [size]\n"
           "  dd [--image-opts] [-U] [-f fmt] [-O output_fmt] "
           "[bs=block_size] [count=blocks] [skip=blocks] if=input "
           "of=output\n"
           "  info [--object objectdef] [--image-opts] [-f fmt] "
           "[--output=ofmt] [--backing-chain] [-U] filename\n"
           "  map [--object objectdef] [--image-opts] [-f fmt] "
           "[--start-offset=offset] [--max-length=len] [--output=ofmt] "
           "[-U] filename\n"
           "  measure [--output=ofmt] [-O output_fmt] [-o options] "
           "[--size N | [--object objectdef] [--image-opts] [-f fmt] "
           "[-l snapshot_param] filename]\n"
           "  snapshot [--object objectdef] [--image-opts] [-U] [-q] "
           "[-l | -a snapshot | -c snapshot | -d snapshot] filename\n"
           "  rebase [--object objectdef] [--image-opts] [-U] [-q] "
           "[-f fmt] [-t cache] [-T src_cache] [-p] [-u] -b backing_file "
           "[-F backing_fmt] filename\n"
           "  resize [--object objectdef] [--image-opts] [-f fmt] "
           "[--preallocation=prealloc] [-q] [--shrink] filename "
           "[+ | -]size\n"
           "\n");
    printf("Supported formats: %s\n", formats);
}

int main(int argc, char **argv)
{
    const char *cmdname;

    error_set_progname("qemu-img");
    qcrypto_secrets_protect_process();
    if (argc < 2) {
        img_usage_error("Not enough arguments");
    }
    cmdname = argv[1];
    if (0 == strcmp(cmdname, "-h") || 0 == strcmp(cmdname, "--help")) {
        img_help();
        return 0;
    }
    if (0 == strcmp(cmdname, "-V") || 0 == strcmp(cmdname, "--version")) {
        printf("qemu-img version " QCRYPT_VERSION "\n");
        return 0;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(img_cmds); i++) {
        if (0 == strcmp(cmdname, img_cmds[i].name)) {
            int ret = img_cmds[i].handler(argc - 1, argv + 1);
            qcrypto_secret_registry_clear();
            return ret;
        }
    }
    img_usage_error("Command not found: %s", cmdname);
}
