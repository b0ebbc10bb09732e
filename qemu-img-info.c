/*
 * qemu-img info: human and JSON descriptions of an image (and its backing
 * chain), in 7.2's layout and key order.
 */
#include "qemu/osdep.h"

#include <getopt.h>

#include "qapi/qobject.h"
#include "qemu-img-common.h"
#include "qemu/cutils.h"

enum {
    OPTION_OBJECT = 256,
    OPTION_IMAGE_OPTS,
    OPTION_OUTPUT,
    OPTION_BACKING_CHAIN,
};

/* The "snapshots" member of 7.2's ImageInfo (absent: none). */
static void img_collect_snapshots(BlockDriverState *bs, QObject *info)
{
    g_autofree QEMUSnapshotInfo *tab = NULL;
    int nb = bdrv_snapshot_list(bs, &tab);
    QObject *list;

    if (nb <= 0) {
        return;
    }
    list = qobject_new_list();
    for (int i = 0; i < nb; i++) {
        QObject *sn = qobject_new_dict();

        qdict_put_str(sn, "id", tab[i].id_str);
        qdict_put_str(sn, "name", tab[i].name);
        qdict_put_int(sn, "vm-state-size", tab[i].vm_state_size);
        qdict_put_int(sn, "date-sec", tab[i].date_sec);
        qdict_put_int(sn, "date-nsec", tab[i].date_nsec);
        qdict_put_int(sn, "vm-clock-sec", tab[i].vm_clock_nsec / 1000000000);
        qdict_put_int(sn, "vm-clock-nsec", tab[i].vm_clock_nsec % 1000000000);
        if (tab[i].icount != UINT64_MAX) {
            qdict_put_int(sn, "icount", tab[i].icount);
        }
        qlist_append(list, sn);
    }
    qdict_put(info, "snapshots", list);
}

/* Print the "snapshots" member as qemu-img snapshot -l does. */
static void img_print_snapshots(const QObject *list)
{
    size_t nb = qlist_size(list);
    g_autofree QEMUSnapshotInfo *tab = g_new0(QEMUSnapshotInfo, nb);

    for (size_t i = 0; i < nb; i++) {
        const QObject *sn = qlist_get(list, i);
        const QObject *icount = qdict_get(sn, "icount");

        g_strlcpy(tab[i].id_str, qdict_get_str(sn, "id"),
                  sizeof(tab[i].id_str));
        g_strlcpy(tab[i].name, qdict_get_str(sn, "name"),
                  sizeof(tab[i].name));
        tab[i].vm_state_size = qobject_get_int(qdict_get(sn,
                                                         "vm-state-size"));
        tab[i].date_sec = qobject_get_int(qdict_get(sn, "date-sec"));
        tab[i].date_nsec = qobject_get_int(qdict_get(sn, "date-nsec"));
        tab[i].vm_clock_nsec =
            qobject_get_int(qdict_get(sn, "vm-clock-sec")) * 1000000000ULL +
            qobject_get_int(qdict_get(sn, "vm-clock-nsec"));
        tab[i].icount = icount ? (uint64_t)qobject_get_int(icount)
                               : UINT64_MAX;
    }
    img_snapshot_dump_list(tab, nb);
}

/* Collect what 7.2's ImageInfo holds for one node. */
static QObject *img_collect_info(BlockDriverState *bs, Error **errp)
{
    QObject *info = qobject_new_dict();
    BlockDriverInfo bdi;
    QObject *specific;
    int64_t size = bdrv_getlength(bs);
    int64_t actual = bdrv_get_allocated_file_size(bs);

    if (size < 0) {
        error_setg_errno(errp, (int)-size, "Can't get image size '%s'",
                         bdrv_get_filename(bs));
        qobject_free(info);
        return NULL;
    }
    qdict_put_int(info, "virtual-size", size);
    qdict_put_str(info, "filename", bdrv_get_filename(bs));
    qdict_put_str(info, "format", bdrv_get_format_name(bs));
    if (actual >= 0) {
        qdict_put_int(info, "actual-size", actual);
    }
    if (bdrv_is_encrypted(bs)) {
        qdict_put_bool(info, "encrypted", true);
    }
    if (0 == bdrv_get_info(bs, &bdi)) {
        if (bdi.cluster_size) {
            qdict_put_int(info, "cluster-size", bdi.cluster_size);
        }
        qdict_put_bool(info, "dirty-flag", bdi.is_dirty);
    }
    img_collect_snapshots(bs, info);
    specific = bdrv_get_specific_info(bs, errp);
    if (specific) {
        qdict_put(info, "format-specific", specific);
    }
    if (bdrv_get_backing_filename(bs)) {
        g_autofree char *full = bdrv_get_full_backing_filename(bs);
        qdict_put_str(info, "backing-filename",
                      bdrv_get_backing_filename(bs));
        qdict_put_str(info, "full-backing-filename", full);
        if (bdrv_get_backing_format(bs)) {
            qdict_put_str(info, "backing-filename-format",
                          bdrv_get_backing_format(bs));
        }
    }
    return info;
}

static void img_print_human(const QObject *info)
{
    const QObject *specific = qdict_get(info, "format-specific");
    const QObject *v;
    g_autofree char *vsize = size_to_str(
        qobject_get_int(qdict_get(info, "virtual-size")));

    printf("image: %s\n", qdict_get_str(info, "filename"));
    printf("file format: %s\n", qdict_get_str(info, "format"));
    printf("virtual size: %s (%" PRId64 " bytes)\n", vsize,
           qobject_get_int(qdict_get(info, "virtual-size")));
    v = qdict_get(info, "actual-size");
    if (v) {
        g_autofree char *dsize = size_to_str(qobject_get_int(v));
        printf("disk size: %s\n", dsize);
    } else {
        printf("disk size: unavailable\n");
    }
    if (qdict_get(info, "encrypted")) {
        printf("encrypted: yes\n");
    }
    v = qdict_get(info, "cluster-size");
    if (v) {
        printf("cluster_size: %" PRId64 "\n", qobject_get_int(v));
    }
    v = qdict_get(info, "dirty-flag");
    if (v && qobject_get_bool(v)) {
        printf("cleanly shut down: no\n");
    }
    if (qdict_get_str(info, "backing-filename")) {
        const char *name = qdict_get_str(info, "backing-filename");
        const char *full = qdict_get_str(info, "full-backing-filename");

        if (full && strcmp(full, name)) {
            printf("backing file: %s (actual path: %s)\n", name, full);
        } else {
            printf("backing file: %s\n", name);
        }
        if (qdict_get_str(info, "backing-filename-format")) {
            printf("backing file format: %s\n",
                   qdict_get_str(info, "backing-filename-format"));
        }
    }
    if (qdict_get(info, "snapshots")) {
        img_print_snapshots(qdict_get(info, "snapshots"));
    }
    if (specific) {
        g_autoptr(GString) out = g_string_new(NULL);
        printf("Format specific information:\n");
        qobject_dump_human(out, qdict_get(specific, "data"), 1);
        fputs(out->str, stdout);
    }
}

/* Open one image of the chain and collect its info; NULL after errors. */
static QObject *img_info_one(bool image_opts, const char *filename,
                             const char *fmt, bool force_share)
{
    BlockDriverState *bs;
    Error *err = NULL;
    QObject *info;

    bs = img_open(image_opts, filename, fmt,
                  BDRV_O_NO_IO | BDRV_O_NO_BACKING, NULL, false,
                  force_share);
    if (!bs) {
        return NULL;
    }
    info = img_collect_info(bs, &err);
    bdrv_unref(bs);
    if (!info) {
        error_report_err(err);
    }
    return info;
}

/*
 * The info of @filename and, with @chain, of each backing file down the
 * chain, as a list.  Like 7.2, each image is opened on its own (by its
 * full backing file name and recorded format, without the key or the
 * --image-opts of the top image): so a missing backing file is reported
 * as "Could not open '<backing>'" and a cycle is detected by name rather
 * than recursing.  Nothing is printed unless the whole chain opens.
 */
static QObject *img_info_collect_chain(bool image_opts, const char *filename,
                                       const char *fmt, bool chain,
                                       bool force_share)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
                                                       g_str_equal,
                                                       g_free, NULL);
    g_autoptr(QObject) list = qobject_new_list();
    g_autofree char *name = g_strdup(filename);
    g_autofree char *format = g_strdup(fmt);

    while (name) {
        QObject *info;
        const char *backing;

        if (g_hash_table_contains(seen, name)) {
            error_report("Backing file '%s' creates an infinite loop.",
                         name);
            return NULL;
        }
        g_hash_table_add(seen, g_strdup(name));
        info = img_info_one(image_opts, name, format, force_share);
        if (!info) {
            return NULL;
        }
        qlist_append(list, info);
        image_opts = false;
        backing = qdict_get_str(info, "backing-filename");
        g_free(name);
        g_free(format);
        name = chain ? g_strdup(qdict_get_str(info, "full-backing-filename"))
                     : NULL;
        format = chain ? g_strdup(qdict_get_str(info,
                                                "backing-filename-format"))
                       : NULL;
        if (chain && !name && backing) {
            error_report("Could not determine absolute backing filename, "
                         "but backing filename '%s' present", backing);
            return NULL;
        }
    }
    return g_steal_pointer(&list);
}

static int img_info_run(bool image_opts, const char *filename,
                        const char *fmt, bool json, bool chain,
                        bool force_share)
{
    g_autoptr(QObject) list = img_info_collect_chain(image_opts, filename,
                                                     fmt, chain,
                                                     force_share);
    g_autofree char *text = NULL;

    if (!list) {
        return 1;
    }
    if (json) {
        /* A chain is shown as a list even when it has one image. */
        text = qobject_to_json(chain ? list : qlist_get(list, 0), true);
        printf("%s\n", text);
        return 0;
    }
    for (size_t i = 0; i < qlist_size(list); i++) {
        if (i > 0) {
            printf("\n");
        }
        img_print_human(qlist_get(list, i));
    }
    return 0;
}

int img_info(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, OPTION_OUTPUT },
        { "backing-chain", no_argument, NULL, OPTION_BACKING_CHAIN },
        { "object", required_argument, NULL, OPTION_OBJECT },
        { "image-opts", no_argument, NULL, OPTION_IMAGE_OPTS },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 }
    };
    const char *fmt = NULL, *output = NULL;
    bool image_opts = false, force_share = false, chain = false;
    int c;

    while ((c = getopt_long(argc, argv, ":f:hU", long_options,
                            NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'U':
            force_share = true;
            break;
        case OPTION_OUTPUT:
            output = optarg;
            break;
        case OPTION_BACKING_CHAIN:
            chain = true;
            break;
        case OPTION_OBJECT:
            img_add_object(optarg);
            break;
        case OPTION_IMAGE_OPTS:
            image_opts = true;
            break;
        default:
            img_unhandled_option(c, argv);
        }
    }
    if (optind != argc - 1) {
        img_usage_error("Expecting one image file name");
    }
    if (output && strcmp(output, "json") && strcmp(output, "human")) {
        error_report("--output must be used with human or json as "
                     "argument.");
        return 1;
    }
    if (image_opts && fmt) {
        error_report("--image-opts and --format are mutually exclusive");
        return 1;
    }
    return img_info_run(image_opts, argv[optind], fmt,
                        output && 0 == strcmp(output, "json"), chain,
                        force_share);
}
