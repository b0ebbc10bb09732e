/*
 * Internal snapshots, generic layer: dispatch to the format driver and
 * look snapshots up by id or name, as QEMU 7.2's block/snapshot.c does.
 */
#include "qemu/osdep.h"

#include "block/block_int.h"

int bdrv_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *sn_info)
{
    if (!bs->drv->bdrv_snapshot_create) {
        return -ENOTSUP;
    }
    if (bs->read_only) {
        return -EPERM;
    }
    return bs->drv->bdrv_snapshot_create(bs, sn_info);
}

int bdrv_snapshot_goto(BlockDriverState *bs, const char *snapshot_id,
                       Error **errp)
{
    GArray *bitmaps = bdrv_bitmap_list(bs);
    bool busy = bitmaps && bitmaps->len;

    /* 7.2 refuses while any dirty bitmap (persistent ones included) is
     * loaded, before asking the driver. */
    bdrv_bitmap_list_free(bitmaps);
    if (busy) {
        error_setg(errp, "Device has active dirty bitmaps");
        return -EBUSY;
    }
    if (!bs->drv->bdrv_snapshot_goto) {
        error_setg(errp, "Block driver does not support snapshots");
        return -ENOTSUP;
    }
    return bs->drv->bdrv_snapshot_goto(bs, snapshot_id, errp);
}

int bdrv_snapshot_delete(BlockDriverState *bs, const char *snapshot_id,
                         const char *name, Error **errp)
{
    if (!bs->drv->bdrv_snapshot_delete) {
        error_setg(errp, "Block format '%s' used by device '' does not "
                   "support internal snapshot deletion", bs->drv->format_name);
        return -ENOTSUP;
    }
    return bs->drv->bdrv_snapshot_delete(bs, snapshot_id, name, errp);
}

int bdrv_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn_info)
{
    *psn_info = NULL;
    if (!bs->drv->bdrv_snapshot_list) {
        return -ENOTSUP;
    }
    return bs->drv->bdrv_snapshot_list(bs, psn_info);
}

int bdrv_snapshot_find(BlockDriverState *bs, QEMUSnapshotInfo *sn_info,
                       const char *name)
{
    g_autofree QEMUSnapshotInfo *tab = NULL;
    int nb = bdrv_snapshot_list(bs, &tab);

    if (nb < 0) {
        return nb;
    }
    /* 7.2 looks for a matching id first, then for a matching name. */
    for (int i = 0; i < nb; i++) {
        if (0 == strcmp(tab[i].id_str, name)) {
            *sn_info = tab[i];
            return 0;
        }
    }
    for (int i = 0; i < nb; i++) {
        if (0 == strcmp(tab[i].name, name)) {
            *sn_info = tab[i];
            return 0;
        }
    }
    return -ENOENT;
}

int bdrv_snapshot_load_tmp(BlockDriverState *bs, const char *snapshot_id,
                           const char *name, Error **errp)
{
    if (!snapshot_id && !name) {
        error_setg(errp, "snapshot_id and name are both NULL");
        return -EINVAL;
    }
    if (!bs->read_only) {
        error_setg(errp, "Device is not readonly");
        return -EINVAL;
    }
    if (!bs->drv->bdrv_snapshot_load_tmp) {
        error_setg(errp, "Block format '%s' used by device '' does not "
                   "support temporarily loading internal snapshots",
                   bs->drv->format_name);
        return -ENOTSUP;
    }
    return bs->drv->bdrv_snapshot_load_tmp(bs, snapshot_id, name, errp);
}

int bdrv_snapshot_load_tmp_by_id_or_name(BlockDriverState *bs,
                                         const char *id_or_name,
                                         Error **errp)
{
    Error *err = NULL;
    int ret = bdrv_snapshot_load_tmp(bs, id_or_name, NULL, &err);

    /* 7.2: an id that matches nothing is tried as a name. */
    if (-ENOENT == ret || -EINVAL == ret) {
        error_free(err);
        return bdrv_snapshot_load_tmp(bs, NULL, id_or_name, errp);
    }
    error_propagate(errp, err);
    return ret;
}
