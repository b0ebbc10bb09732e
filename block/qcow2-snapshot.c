/*
 * qcow2 internal snapshots: the snapshot table, creating, applying,
 * deleting and listing snapshots (qcow2.txt "Snapshots").
 */
#include "qemu/osdep.h"

#include "block/qcow2.h"
#include "qemu/cutils.h"

/* QEMU 7.2's limits on what it reads from a snapshot table. */
#define QCOW2_MAX_SNAPSHOT_EXTRA_DATA 1024
#define QCOW2_MAX_SNAPSHOTS_SIZE (1024 * QCOW2_MAX_SNAPSHOTS)

/* ------------------------------------------------------------------ */
/* Snapshot table: decode and encode                                   */
/* ------------------------------------------------------------------ */

static void snapshot_clear(Qcow2Snapshot *sn)
{
    g_free(sn->id_str);
    g_free(sn->name);
    g_free(sn->unknown_extra);
    memset(sn, 0, sizeof(*sn));
}

void qcow2_snapshots_free(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    for (uint32_t i = 0; s->snapshots && i < s->nb_snapshots; i++) {
        snapshot_clear(&s->snapshots[i]);
    }
    g_clear_pointer(&s->snapshots, g_free);
}

static void snapshot_header_from_disk(const Qcow2SnapshotHeaderDisk *d,
                                      Qcow2Snapshot *sn, uint16_t *id_len,
                                      uint16_t *name_len)
{
    sn->l1_table_offset = be64_to_cpu(d->l1_table_offset);
    sn->l1_size = be32_to_cpu(d->l1_size);
    *id_len = be16_to_cpu(d->id_str_size);
    *name_len = be16_to_cpu(d->name_size);
    sn->date_sec = be32_to_cpu(d->date_sec);
    sn->date_nsec = be32_to_cpu(d->date_nsec);
    sn->vm_clock_nsec = be64_to_cpu(d->vm_clock_nsec);
    sn->vm_state_size = be32_to_cpu(d->vm_state_size);
    sn->extra_data_size = be32_to_cpu(d->extra_data_size);
}

/*
 * Decode the extra data (@len bytes of @buf) as 7.2 does: fields it does
 * not cover take their defaults (the current disk size, no icount), and
 * bytes past the known 24 are kept for rewrites.
 */
static void snapshot_extra_from_disk(BDRVQcow2State *s, const uint8_t *buf,
                                     uint32_t len, Qcow2Snapshot *sn)
{
    Qcow2SnapshotExtraDisk extra = { 0 };

    memcpy(&extra, buf, MIN(len, sizeof(extra)));
    if (len >= offsetof(Qcow2SnapshotExtraDisk, disk_size)) {
        sn->vm_state_size = be64_to_cpu(extra.vm_state_size_large);
    }
    sn->disk_size = len >= offsetof(Qcow2SnapshotExtraDisk, icount)
                    ? be64_to_cpu(extra.disk_size) : s->size;
    sn->icount = len >= sizeof(extra) ? be64_to_cpu(extra.icount)
                                      : UINT64_MAX;
    if (len > sizeof(extra)) {
        sn->unknown_extra = g_memdup2(buf + sizeof(extra),
                                      len - sizeof(extra));
    }
}

/* Read entry @i at *@offset; advance *@offset past it. */
static int snapshot_read_one(BlockDriverState *bs, uint32_t i,
                             uint64_t *offset, Qcow2Snapshot *sn,
                             Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2SnapshotHeaderDisk h;
    g_autofree uint8_t *extra = NULL;
    uint16_t id_len, name_len;
    int ret;

    *offset = ROUND_UP(*offset, 8);
    ret = bdrv_pread(bs->file, *offset, sizeof(h), &h, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to read snapshot table");
        return ret;
    }
    *offset += sizeof(h);
    snapshot_header_from_disk(&h, sn, &id_len, &name_len);
    if (sn->extra_data_size > QCOW2_MAX_SNAPSHOT_EXTRA_DATA) {
        error_setg(errp, "Too much extra metadata in snapshot table entry "
                   "%" PRIu32, i);
        error_append_hint(errp, "You can force-remove this extra metadata "
                          "with qemu-img check -r all\n");
        return -EFBIG;
    }
    extra = g_malloc0(sn->extra_data_size + 1);
    sn->id_str = g_malloc0((size_t)id_len + 1);
    sn->name = g_malloc0((size_t)name_len + 1);
    ret = bdrv_pread(bs->file, *offset, sn->extra_data_size, extra, 0);
    if (ret >= 0) {
        ret = bdrv_pread(bs->file, *offset + sn->extra_data_size, id_len,
                         sn->id_str, 0);
    }
    if (ret >= 0) {
        ret = bdrv_pread(bs->file, *offset + sn->extra_data_size + id_len,
                         name_len, sn->name, 0);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to read snapshot table");
        return ret;
    }
    snapshot_extra_from_disk(s, extra, sn->extra_data_size, sn);
    *offset += sn->extra_data_size + id_len + name_len;
    if (*offset - s->snapshots_offset > QCOW2_MAX_SNAPSHOTS_SIZE) {
        error_setg(errp, "Snapshot table is too big");
        return -EFBIG;
    }
    return 0;
}

int qcow2_snapshots_read(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t offset = s->snapshots_offset;
    int ret;

    s->snapshots = g_new0(Qcow2Snapshot, MAX(s->nb_snapshots, 1));
    s->snapshots_size = 0;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        ret = snapshot_read_one(bs, i, &offset, &s->snapshots[i], errp);
        if (ret < 0) {
            return ret;
        }
    }
    s->snapshots_size = offset - s->snapshots_offset;
    return 0;
}

/* Bytes of entry @sn as 7.2 writes it (extra data at least 24 bytes). */
static size_t snapshot_entry_len(const Qcow2Snapshot *sn)
{
    uint32_t extra = MAX(sn->extra_data_size,
                         (uint32_t)sizeof(Qcow2SnapshotExtraDisk));

    return sizeof(Qcow2SnapshotHeaderDisk) + extra + strlen(sn->id_str) +
           strlen(sn->name);
}

/* The same, padded to 8 bytes: where the next entry starts. */
static size_t snapshot_entry_size(const Qcow2Snapshot *sn)
{
    return ROUND_UP(snapshot_entry_len(sn), 8);
}

/* Encode @sn at @buf (zeroed, snapshot_entry_size() bytes). */
static void snapshot_to_disk(const Qcow2Snapshot *sn, uint8_t *buf)
{
    uint32_t extra_len = MAX(sn->extra_data_size,
                             (uint32_t)sizeof(Qcow2SnapshotExtraDisk));
    size_t id_len = strlen(sn->id_str), name_len = strlen(sn->name);
    Qcow2SnapshotHeaderDisk h = {
        .l1_table_offset = cpu_to_be64(sn->l1_table_offset),
        .l1_size = cpu_to_be32(sn->l1_size),
        .id_str_size = cpu_to_be16(id_len),
        .name_size = cpu_to_be16(name_len),
        .date_sec = cpu_to_be32(sn->date_sec),
        .date_nsec = cpu_to_be32(sn->date_nsec),
        .vm_clock_nsec = cpu_to_be64(sn->vm_clock_nsec),
        /* 7.2 keeps the 32-bit field 0 when the size does not fit. */
        .vm_state_size = cpu_to_be32(sn->vm_state_size > UINT32_MAX ? 0 :
                                     sn->vm_state_size),
        .extra_data_size = cpu_to_be32(extra_len),
    };
    Qcow2SnapshotExtraDisk extra = {
        .vm_state_size_large = cpu_to_be64(sn->vm_state_size),
        .disk_size = cpu_to_be64(sn->disk_size),
        .icount = cpu_to_be64(sn->icount),
    };

    memcpy(buf, &h, sizeof(h));
    buf += sizeof(h);
    memcpy(buf, &extra, sizeof(extra));
    if (sn->unknown_extra) {
        memcpy(buf + sizeof(extra), sn->unknown_extra,
               extra_len - sizeof(extra));
    }
    buf += extra_len;
    memcpy(buf, sn->id_str, id_len);
    memcpy(buf + id_len, sn->name, name_len);
}

/* Point the header at the table (just the two fields, as 7.2 does). */
static int snapshots_write_header(BlockDriverState *bs, uint32_t nb,
                                  uint64_t offset)
{
    uint8_t hdr[12];

    stl_be_p(hdr, nb);
    stq_be_p(hdr + 4, offset);
    return qcow2_pwrite_sync(bs, offsetof(Qcow2HeaderDisk, nb_snapshots),
                             sizeof(hdr), hdr);
}

/*
 * Write @tab (@nb entries) as the new snapshot table: into new clusters,
 * made stable before the header points to them; then free the old
 * table.  On success s->snapshots takes @tab over (the old array is
 * freed, not its entries: the caller decides who owns which).
 */
static int snapshots_write(BlockDriverState *bs, Qcow2Snapshot *tab,
                           uint32_t nb)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t size = 0, pos = 0, old_offset = s->snapshots_offset;
    uint64_t old_size = s->snapshots_size;
    g_autofree uint8_t *buf = NULL;
    int64_t offset = 0;
    int ret;

    for (uint32_t i = 0; i < nb; i++) {
        size += snapshot_entry_size(&tab[i]);
    }
    if (size > QCOW2_MAX_SNAPSHOTS_SIZE) {
        return -EFBIG;
    }
    buf = g_malloc0(MAX(size, 1));
    for (uint32_t i = 0; i < nb; i++) {
        snapshot_to_disk(&tab[i], buf + pos);
        pos += snapshot_entry_size(&tab[i]);
    }
    /* Like 7.2, the table ends where the last entry does, unpadded. */
    if (nb) {
        size = size - snapshot_entry_size(&tab[nb - 1]) +
               snapshot_entry_len(&tab[nb - 1]);
    }
    if (size) {
        offset = qcow2_alloc_clusters(bs, size);
        if (offset < 0) {
            return offset;
        }
        ret = bdrv_pwrite(bs->file, offset, size, buf, 0);
        if (ret >= 0) {
            ret = qcow2_write_caches(bs);
        }
        if (ret >= 0) {
            ret = qcow2_file_flush(bs);
        }
        if (ret < 0) {
            qcow2_free_clusters(bs, offset, size, QCOW2_DISCARD_NEVER);
            return ret;
        }
    }
    ret = snapshots_write_header(bs, nb, offset);
    if (ret < 0) {
        if (size) {
            qcow2_free_clusters(bs, offset, size, QCOW2_DISCARD_NEVER);
        }
        return ret;
    }
    g_free(s->snapshots);
    s->snapshots = tab;
    s->nb_snapshots = nb;
    s->snapshots_offset = offset;
    s->snapshots_size = size;
    if (old_size) {
        qcow2_free_clusters(bs, old_offset, old_size, QCOW2_DISCARD_SNAPSHOT);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Refcounts of a whole L1 table                                       */
/* ------------------------------------------------------------------ */

/*
 * Change the refcount of what one L2 entry points to by @addend (0: none)
 * and set COPIED exactly when the refcount ends up 1.
 * Returns: the new entry, or -errno via @ret.
 */
static uint64_t l2_entry_adjust(BlockDriverState *bs, uint64_t entry,
                                int addend, int *ret)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2ClusterType type = qcow2_get_cluster_type(s, entry);
    uint64_t host = entry & QCOW2_L2E_OFFSET_MASK, refcount;

    *ret = 0;
    if (QCOW2_CLUSTER_COMPRESSED == type) {
        uint64_t coffset, csize;

        if (addend) {
            qcow2_parse_compressed_entry(s, entry, &coffset, &csize);
            *ret = qcow2_update_refcount(bs, coffset, csize, abs(addend),
                                         addend < 0, QCOW2_DISCARD_SNAPSHOT);
        }
        return entry;
    }
    if (!host || (QCOW2_CLUSTER_NORMAL != type &&
                  QCOW2_CLUSTER_ZERO_ALLOC != type)) {
        return entry;
    }
    if (addend) {
        *ret = qcow2_update_refcount(bs, host, 1, abs(addend), addend < 0,
                                     QCOW2_DISCARD_SNAPSHOT);
    }
    if (*ret >= 0) {
        *ret = qcow2_get_refcount(bs, host >> s->cluster_bits, &refcount);
    }
    if (*ret < 0) {
        return entry;
    }
    return 1 == refcount ? entry | QCOW2_OFLAG_COPIED
                         : entry & ~QCOW2_OFLAG_COPIED;
}

/* Apply l2_entry_adjust() to every entry of the L2 table at @l2_offset. */
static int l2_table_adjust(BlockDriverState *bs, uint64_t l2_offset,
                           int addend)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t *l2;
    int ret;

    ret = qcow2_cache_get(bs, s->l2_table_cache, l2_offset, (void **)&l2);
    if (ret < 0) {
        return ret;
    }
    for (uint32_t j = 0; j < s->l2_size && ret >= 0; j++) {
        uint64_t old = qcow2_l2_get_entry(s, l2, j);
        uint64_t entry = l2_entry_adjust(bs, old, addend, &ret);

        if (ret >= 0 && entry != old) {
            qcow2_l2_set_entry(s, l2, j, entry);
            qcow2_cache_entry_mark_dirty(s->l2_table_cache, l2);
        }
    }
    qcow2_cache_put(s->l2_table_cache, (void **)&l2);
    return ret;
}

/*
 * Add @addend (-1, 0 or 1) to the refcount of every L2 table and data
 * cluster @l1 (host order, @l1_size entries) references, and bring the
 * COPIED flags of its L2 and L1 entries (in memory) in line with the
 * new refcounts.  Tables whose refcount drops to zero are freed and not
 * looked at again.
 * Returns: 0, or -errno.
 */
static int l1_refcount_adjust(BlockDriverState *bs, uint64_t *l1,
                              uint32_t l1_size, int addend)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t refcount;
    int ret;

    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2_offset = l1[i] & QCOW2_L1E_OFFSET_MASK;

        if (!l2_offset) {
            continue;
        }
        if (qcow2_offset_into_cluster(s, l2_offset)) {
            return qcow2_signal_corruption(bs, "L2 table offset %#" PRIx64
                                           " unaligned (L1 index: %#"
                                           PRIx32 ")", l2_offset, i);
        }
        ret = l2_table_adjust(bs, l2_offset, addend);
        if (ret >= 0 && addend) {
            ret = qcow2_update_refcount(bs, l2_offset, 1, abs(addend),
                                        addend < 0, QCOW2_DISCARD_SNAPSHOT);
        }
        if (ret >= 0) {
            ret = qcow2_get_refcount(bs, l2_offset >> s->cluster_bits,
                                     &refcount);
        }
        if (ret < 0) {
            return ret;
        }
        l1[i] = 1 == refcount ? l1[i] | QCOW2_OFLAG_COPIED
                              : l1[i] & ~QCOW2_OFLAG_COPIED;
    }
    return 0;
}

/* Write @l1 (host order) at @offset. */
static int l1_write(BlockDriverState *bs, uint64_t offset, const uint64_t *l1,
                    uint32_t l1_size, uint32_t disk_size)
{
    g_autofree uint64_t *disk = g_new0(uint64_t, MAX(disk_size, 1));

    for (uint32_t i = 0; i < l1_size; i++) {
        disk[i] = cpu_to_be64(l1[i]);
    }
    return qcow2_pwrite_sync(bs, offset, (uint64_t)disk_size *
                             sizeof(uint64_t), disk);
}

/* Read the L1 table of @sn in host order. */
static uint64_t *l1_read(BlockDriverState *bs, const Qcow2Snapshot *sn,
                         int *ret)
{
    g_autofree uint64_t *l1 = g_try_new0(uint64_t, MAX(sn->l1_size, 1));

    if (!l1) {
        *ret = -ENOMEM;
        return NULL;
    }
    *ret = bdrv_pread(bs->file, sn->l1_table_offset,
                      (uint64_t)sn->l1_size * sizeof(uint64_t), l1, 0);
    if (*ret < 0) {
        return NULL;
    }
    for (uint32_t i = 0; i < sn->l1_size; i++) {
        l1[i] = be64_to_cpu(l1[i]);
    }
    return g_steal_pointer(&l1);
}

/* Recompute the COPIED flags of the active tables and write the L1. */
static int active_l1_fix_flags(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = l1_refcount_adjust(bs, s->l1_table, s->l1_size, 0);

    if (ret >= 0) {
        ret = l1_write(bs, s->l1_table_offset, s->l1_table, s->l1_size,
                       s->l1_size);
    }
    return ret;
}

/* ------------------------------------------------------------------ */
/* Lookup                                                              */
/* ------------------------------------------------------------------ */

static int find_by_id(BDRVQcow2State *s, const char *id)
{
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (0 == strcmp(s->snapshots[i].id_str, id)) {
            return i;
        }
    }
    return -1;
}

/* 7.2: by id first, then by name. */
static int find_by_id_or_name(BDRVQcow2State *s, const char *key)
{
    int i = find_by_id(s, key);

    for (uint32_t j = 0; i < 0 && j < s->nb_snapshots; j++) {
        if (0 == strcmp(s->snapshots[j].name, key)) {
            i = j;
        }
    }
    return i;
}

/* Both given parts must match (NULL matches anything). */
static int find_by_id_and_name(BDRVQcow2State *s, const char *id,
                               const char *name)
{
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if ((!id || 0 == strcmp(s->snapshots[i].id_str, id)) &&
            (!name || 0 == strcmp(s->snapshots[i].name, name))) {
            return i;
        }
    }
    return -1;
}

/* The snapshot's L1 table must be usable: as 7.2's checks on apply and
 * delete ("Snapshot L1 table offset invalid", "... too large"). */
static int check_snapshot_l1(BDRVQcow2State *s, const Qcow2Snapshot *sn,
                             Error **errp)
{
    if (sn->l1_size > QCOW2_MAX_L1_SIZE / sizeof(uint64_t)) {
        error_setg(errp, "Snapshot L1 table too large");
        return -EFBIG;
    }
    if (INT64_MAX - (uint64_t)sn->l1_size * sizeof(uint64_t) <
        sn->l1_table_offset ||
        qcow2_offset_into_cluster(s, sn->l1_table_offset)) {
        error_setg(errp, "Snapshot L1 table offset invalid");
        return -EINVAL;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Create                                                              */
/* ------------------------------------------------------------------ */

/* The next free numeric id, as 7.2 picks it: one above the highest. */
static char *snapshot_new_id(BDRVQcow2State *s)
{
    unsigned long max = 0;

    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        unsigned long id = strtoul(s->snapshots[i].id_str, NULL, 10);

        max = MAX(max, id);
    }
    return g_strdup_printf("%lu", max + 1);
}

/* A copy of the active L1 table in new clusters, as the snapshot's. */
static int64_t snapshot_copy_l1(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bytes = (uint64_t)s->l1_size * sizeof(uint64_t);
    int64_t offset;
    int ret;

    if (0 == bytes) {
        return 0;
    }
    offset = qcow2_alloc_clusters(bs, bytes);
    if (offset < 0) {
        return offset;
    }
    /* Like 7.2, the copy keeps the COPIED flags the active table had. */
    ret = l1_write(bs, offset, s->l1_table, s->l1_size, s->l1_size);
    if (ret < 0) {
        qcow2_free_clusters(bs, offset, bytes, QCOW2_DISCARD_NEVER);
        return ret;
    }
    return offset;
}

/* Append @sn to the table; on failure the table is unchanged. */
static int snapshots_append(BlockDriverState *bs, Qcow2Snapshot *sn)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Snapshot *tab = g_new0(Qcow2Snapshot, s->nb_snapshots + 1);
    int ret;

    if (s->nb_snapshots) {
        memcpy(tab, s->snapshots, s->nb_snapshots * sizeof(*tab));
    }
    tab[s->nb_snapshots] = *sn;
    ret = snapshots_write(bs, tab, s->nb_snapshots + 1);
    if (ret < 0) {
        g_free(tab);
    }
    return ret;
}

/* Fill @sn (id set) for a new snapshot of the active state. */
static void snapshot_from_info(const BDRVQcow2State *s,
                               const QEMUSnapshotInfo *sn_info,
                               Qcow2Snapshot *sn)
{
    sn->name = g_strdup(sn_info->name);
    sn->disk_size = s->size;
    sn->vm_state_size = sn_info->vm_state_size;
    sn->date_sec = sn_info->date_sec;
    sn->date_nsec = sn_info->date_nsec;
    sn->vm_clock_nsec = sn_info->vm_clock_nsec;
    sn->icount = sn_info->icount;
    sn->extra_data_size = sizeof(Qcow2SnapshotExtraDisk);
    sn->l1_size = s->l1_size;
}

int qcow2_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *sn_info)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Snapshot sn = { 0 };
    int64_t l1_offset;
    int ret;

    if (qcow2_has_data_file(s)) {
        return -ENOTSUP;
    }
    if (s->nb_snapshots >= QCOW2_MAX_SNAPSHOTS) {
        return -EFBIG;
    }
    sn.id_str = sn_info->id_str[0] ? g_strdup(sn_info->id_str)
                                   : snapshot_new_id(s);
    if (find_by_id(s, sn.id_str) >= 0) {
        g_free(sn.id_str);
        return -EEXIST;
    }
    snapshot_from_info(s, sn_info, &sn);
    l1_offset = snapshot_copy_l1(bs);
    ret = l1_offset < 0 ? (int)l1_offset : 0;
    sn.l1_table_offset = MAX(l1_offset, 0);
    if (ret >= 0) {
        /* Every cluster is now shared: refcounts first, then the table. */
        ret = l1_refcount_adjust(bs, s->l1_table, s->l1_size, 1);
        if (ret >= 0) {
            ret = l1_write(bs, s->l1_table_offset, s->l1_table, s->l1_size,
                           s->l1_size);
        }
        if (ret >= 0) {
            ret = qcow2_write_caches(bs);
        }
        if (ret >= 0) {
            ret = snapshots_append(bs, &sn);
        }
        if (ret < 0) {
            /* Undoing may fail too; that only leaks clusters. */
            (void)l1_refcount_adjust(bs, s->l1_table, s->l1_size, -1);
            (void)active_l1_fix_flags(bs);
            qcow2_free_clusters(bs, sn.l1_table_offset,
                                (uint64_t)sn.l1_size * sizeof(uint64_t),
                                QCOW2_DISCARD_NEVER);
        }
    }
    if (ret < 0) {
        snapshot_clear(&sn);
        return ret;
    }
    s->cluster_cache_offset = UINT64_MAX;
    ret = qcow2_flush(bs);
    qcow2_process_discards(bs, ret);
    return ret;
}

/* ------------------------------------------------------------------ */
/* Apply                                                               */
/* ------------------------------------------------------------------ */

/*
 * Make @sn_l1 (host order, @sn_l1_size entries) the active L1 table: the
 * snapshot's clusters gain a reference before the table is written, the
 * old active clusters lose theirs afterwards, and the COPIED flags are
 * recomputed last.
 */
static int snapshot_switch_l1(BlockDriverState *bs, uint64_t *sn_l1,
                              uint32_t sn_l1_size)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *new_l1 = g_new0(uint64_t, MAX(s->l1_size, 1));
    g_autofree uint64_t *old_l1 = NULL;
    int ret;

    ret = l1_refcount_adjust(bs, sn_l1, sn_l1_size, 1);
    if (ret >= 0) {
        ret = qcow2_write_caches(bs);
    }
    if (ret < 0) {
        return ret;
    }
    memcpy(new_l1, sn_l1, (size_t)sn_l1_size * sizeof(uint64_t));
    ret = l1_write(bs, s->l1_table_offset, new_l1, s->l1_size, s->l1_size);
    if (ret < 0) {
        return ret;
    }
    old_l1 = s->l1_table;
    s->l1_table = g_steal_pointer(&new_l1);
    s->cluster_cache_offset = UINT64_MAX;
    /* Errors from here on leak clusters but keep the image consistent. */
    ret = l1_refcount_adjust(bs, old_l1, s->l1_size, -1);
    if (ret >= 0) {
        ret = active_l1_fix_flags(bs);
    }
    return ret;
}

int qcow2_snapshot_goto(BlockDriverState *bs, const char *snapshot_id,
                        Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *sn_l1 = NULL;
    Qcow2Snapshot *sn;
    Error *local_err = NULL;
    int i, ret;

    i = find_by_id_or_name(s, snapshot_id);
    if (i < 0) {
        error_setg_errno(errp, ENOENT, "Failed to load snapshot");
        return -ENOENT;
    }
    sn = &s->snapshots[i];
    /*
     * 7.2 prints the reason on a line of its own before the failure: the
     * message carries both, separated by a newline (see block_int.h).
     */
    ret = check_snapshot_l1(s, sn, &local_err);
    if (ret >= 0 && sn->disk_size != s->size) {
        ret = qcow2_truncate(bs, sn->disk_size, false, PREALLOC_MODE_OFF,
                             &local_err);
    }
    if (ret < 0) {
        error_setg(errp, "%s\nFailed to load snapshot: %s",
                   error_get_pretty(local_err), strerror(-ret));
        error_free(local_err);
        return ret;
    }
    ret = qcow2_grow_l1_table(bs, sn->l1_size, true);
    if (ret >= 0) {
        sn_l1 = l1_read(bs, sn, &ret);
    }
    if (ret >= 0) {
        ret = snapshot_switch_l1(bs, sn_l1, sn->l1_size);
    }
    if (ret >= 0) {
        ret = qcow2_flush(bs);
    }
    qcow2_process_discards(bs, ret);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to load snapshot");
    }
    return ret;
}

/* ------------------------------------------------------------------ */
/* Delete and list                                                     */
/* ------------------------------------------------------------------ */

/* Write the table without entry @i; s->snapshots then lacks it. */
static int snapshots_remove(BlockDriverState *bs, int i)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Snapshot *tab = g_new0(Qcow2Snapshot, MAX(s->nb_snapshots, 1));
    Qcow2Snapshot removed = s->snapshots[i];
    int ret;

    memcpy(tab, s->snapshots, i * sizeof(*tab));
    memcpy(tab + i, s->snapshots + i + 1,
           (s->nb_snapshots - i - 1) * sizeof(*tab));
    ret = snapshots_write(bs, tab, s->nb_snapshots - 1);
    if (ret < 0) {
        g_free(tab);
        return ret;
    }
    snapshot_clear(&removed);
    return 0;
}

int qcow2_snapshot_delete(BlockDriverState *bs, const char *snapshot_id,
                          const char *name, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *l1 = NULL;
    Qcow2Snapshot sn;
    int i, ret;

    i = find_by_id_and_name(s, snapshot_id, name);
    if (i < 0) {
        error_setg(errp, "Can't find the snapshot");
        return -ENOENT;
    }
    ret = check_snapshot_l1(s, &s->snapshots[i], errp);
    if (ret < 0) {
        return ret;
    }
    sn = s->snapshots[i];
    l1 = l1_read(bs, &sn, &ret);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to read the snapshot's L1 "
                         "table");
        return ret;
    }
    /* Remove the entry first: a crash then leaks, never corrupts. */
    sn.l1_table_offset = s->snapshots[i].l1_table_offset;
    ret = snapshots_remove(bs, i);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to remove snapshot from "
                         "snapshot list");
        return ret;
    }
    ret = l1_refcount_adjust(bs, l1, sn.l1_size, -1);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to free the cluster and L1 "
                         "table");
        return ret;
    }
    qcow2_free_clusters(bs, sn.l1_table_offset,
                        (uint64_t)sn.l1_size * sizeof(uint64_t),
                        QCOW2_DISCARD_SNAPSHOT);
    ret = active_l1_fix_flags(bs);
    if (ret >= 0) {
        ret = qcow2_flush(bs);
    }
    qcow2_process_discards(bs, ret);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to update snapshot status in "
                         "disk");
    }
    return ret;
}

/*
 * Read-only view of a snapshot: the active L1 table is replaced in memory
 * by the snapshot's, nothing is written, and the node is closed
 * afterwards.  The L2 cache stays valid, as it is keyed by host offset.
 */
int qcow2_snapshot_load_tmp(BlockDriverState *bs, const char *snapshot_id,
                            const char *name, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    const Qcow2Snapshot *sn;
    uint64_t *l1;
    int i, ret;

    assert(bs->read_only);
    i = find_by_id_and_name(s, snapshot_id, name);
    if (i < 0) {
        error_setg(errp, "Can't find snapshot");
        return -ENOENT;
    }
    sn = &s->snapshots[i];
    ret = check_snapshot_l1(s, sn, errp);
    if (ret < 0) {
        return ret;
    }
    l1 = l1_read(bs, sn, &ret);
    if (!l1) {
        error_setg_errno(errp, -ret, "Failed to load snapshot L1 table");
        return ret;
    }
    g_free(s->l1_table);
    s->l1_table = l1;
    s->l1_size = sn->l1_size;
    s->l1_table_offset = sn->l1_table_offset;
    return 0;
}

int qcow2_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn_tab)
{
    BDRVQcow2State *s = bs->opaque;
    QEMUSnapshotInfo *tab;

    if (0 == s->nb_snapshots) {
        *psn_tab = NULL;
        return 0;
    }
    tab = g_new0(QEMUSnapshotInfo, s->nb_snapshots);
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        const Qcow2Snapshot *sn = &s->snapshots[i];

        g_strlcpy(tab[i].id_str, sn->id_str, sizeof(tab[i].id_str));
        g_strlcpy(tab[i].name, sn->name, sizeof(tab[i].name));
        tab[i].vm_state_size = sn->vm_state_size;
        tab[i].date_sec = sn->date_sec;
        tab[i].date_nsec = sn->date_nsec;
        tab[i].vm_clock_nsec = sn->vm_clock_nsec;
        tab[i].icount = sn->icount;
    }
    *psn_tab = tab;
    return s->nb_snapshots;
}

int qcow2_snapshots_rewrite(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Snapshot *tab = g_memdup2(s->snapshots, MAX(s->nb_snapshots, 1) *
                                                 sizeof(*tab));
    int ret = snapshots_write(bs, tab, s->nb_snapshots);

    if (ret < 0) {
        g_free(tab);
    }
    return ret;
}
