/*
 * qemu-img snapshot: list, create, apply and delete internal snapshots,
 * and the snapshot table layout qemu-img info shares, as 7.2 prints them.
 */
#include "qemu/osdep.h"

#include <getopt.h>

#include "qemu-img-common.h"
#include "qemu/cutils.h"

typedef enum ImgSnapshotAction {
    SNAPSHOT_NONE,
    SNAPSHOT_LIST,
    SNAPSHOT_APPLY,
    SNAPSHOT_CREATE,
    SNAPSHOT_DELETE,
} ImgSnapshotAction;

void img_snapshot_dump(const QEMUSnapshotInfo *sn)
{
    g_autoptr(GDateTime) date = NULL;
    g_autofree char *date_buf = NULL;
    g_autofree char *size_buf = NULL;
    char clock_buf[64], icount_buf[32] = "";
    uint64_t secs;

    if (!sn) {
        printf("%-10s%-17s%8s%20s%13s%11s", "ID", "TAG", "VM SIZE", "DATE",
               "VM CLOCK", "ICOUNT");
        return;
    }
    date = g_date_time_new_from_unix_local(sn->date_sec);
    date_buf = g_date_time_format(date, "%Y-%m-%d %H:%M:%S");
    secs = sn->vm_clock_nsec / 1000000000;
    snprintf(clock_buf, sizeof(clock_buf), "%02d:%02d:%02d.%03d",
             (int)(secs / 3600), (int)((secs / 60) % 60), (int)(secs % 60),
             (int)((sn->vm_clock_nsec / 1000000) % 1000));
    size_buf = size_to_str(sn->vm_state_size);
    /* 7.2 leaves the column empty when no icount was recorded. */
    if (sn->icount != UINT64_MAX) {
        snprintf(icount_buf, sizeof(icount_buf), "%" PRId64,
                 (int64_t)sn->icount);
    }
    printf("%-9s %-16s %8s%20s%13s%11s", sn->id_str, sn->name, size_buf,
           date_buf ? date_buf : "", clock_buf, icount_buf);
}

void img_snapshot_dump_list(const QEMUSnapshotInfo *tab, int nb)
{
    printf("Snapshot list:\n");
    img_snapshot_dump(NULL);
    printf("\n");
    for (int i = 0; i < nb; i++) {
        img_snapshot_dump(&tab[i]);
        printf("\n");
    }
}

static void img_snapshot_list(BlockDriverState *bs)
{
    g_autofree QEMUSnapshotInfo *tab = NULL;
    int nb = bdrv_snapshot_list(bs, &tab);

    if (nb > 0) {
        img_snapshot_dump_list(tab, nb);
    }
}

static int img_snapshot_create(BlockDriverState *bs, const char *name)
{
    QEMUSnapshotInfo sn;
    int64_t now = g_get_real_time();
    int ret;

    memset(&sn, 0, sizeof(sn));
    g_strlcpy(sn.name, name, sizeof(sn.name));
    sn.date_sec = now / G_USEC_PER_SEC;
    sn.date_nsec = (now % G_USEC_PER_SEC) * 1000;
    ret = bdrv_snapshot_create(bs, &sn);
    if (ret < 0) {
        error_report("Could not create snapshot '%s': %d (%s)", name, ret,
                     strerror(-ret));
        return 1;
    }
    return 0;
}

static int img_snapshot_apply(BlockDriverState *bs, const char *name)
{
    Error *err = NULL;
    const char *msg, *nl;

    if (bdrv_snapshot_goto(bs, name, &err) >= 0) {
        return 0;
    }
    /* A reason 7.2 reports on a line of its own comes first. */
    msg = error_get_pretty(err);
    nl = strrchr(msg, '\n');
    if (nl) {
        error_report("%.*s", (int)(nl - msg), msg);
        msg = nl + 1;
    }
    error_report("Could not apply snapshot '%s': %s", name, msg);
    error_free(err);
    return 1;
}

static int img_snapshot_delete(BlockDriverState *bs, const char *name)
{
    QEMUSnapshotInfo sn;
    Error *err = NULL;

    if (bdrv_snapshot_find(bs, &sn, name) < 0) {
        error_report("Could not delete snapshot '%s': snapshot not found",
                     name);
        return 1;
    }
    if (bdrv_snapshot_delete(bs, sn.id_str, sn.name, &err) < 0) {
        error_prepend(&err, "Could not delete snapshot '%s': ", name);
        error_report_err(err);
        return 1;
    }
    return 0;
}

static int img_snapshot_run(const ImgCommonOpts *o, ImgSnapshotAction action,
                            const char *name, const char *filename,
                            bool quiet)
{
    int flags = SNAPSHOT_LIST == action ? 0 : BDRV_O_RDWR;
    BlockDriverState *bs;
    int ret = 0;

    bs = img_open(o->image_opts, filename, NULL, flags, NULL, quiet,
                  o->force_share);
    if (!bs) {
        return 1;
    }
    switch (action) {
    case SNAPSHOT_LIST:
        img_snapshot_list(bs);
        break;
    case SNAPSHOT_CREATE:
        ret = img_snapshot_create(bs, name);
        break;
    case SNAPSHOT_APPLY:
        ret = img_snapshot_apply(bs, name);
        break;
    case SNAPSHOT_DELETE:
        ret = img_snapshot_delete(bs, name);
        break;
    default:
        break;
    }
    bdrv_unref(bs);
    return ret;
}

/* Record one of -l/-a/-c/-d; 7.2 accepts only one of them, once. */
static void img_snapshot_set_action(ImgSnapshotAction *action,
                                    ImgSnapshotAction want)
{
    if (*action != SNAPSHOT_NONE) {
        img_usage_error("Cannot mix '-l', '-a', '-c', '-d'");
    }
    *action = want;
}

int img_snapshot(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "object", required_argument, NULL, IMG_OPTION_OBJECT },
        { "image-opts", no_argument, NULL, IMG_OPTION_IMAGE_OPTS },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 }
    };
    ImgCommonOpts o = { .fmt = NULL };
    ImgSnapshotAction action = SNAPSHOT_NONE;
    const char *name = NULL;
    bool quiet = false;
    int c;

    while ((c = getopt_long(argc, argv, ":la:c:d:hqU", long_options,
                            NULL)) != -1) {
        if ('q' == c) {
            quiet = true;
        } else if ('l' == c) {
            img_snapshot_set_action(&action, SNAPSHOT_LIST);
        } else if ('a' == c || 'c' == c || 'd' == c) {
            img_snapshot_set_action(&action, 'a' == c ? SNAPSHOT_APPLY
                                             : 'c' == c ? SNAPSHOT_CREATE
                                                        : SNAPSHOT_DELETE);
            name = optarg;
        } else {
            img_common_option(&o, c, argv);
        }
    }
    if (optind != argc - 1) {
        img_usage_error("Expecting one image file name");
    }
    return img_snapshot_run(&o, action, name, argv[optind], quiet);
}
