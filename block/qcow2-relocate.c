/*
 * qcow2: empty a range of host clusters by moving what lives there (any
 * metadata, and data) elsewhere, for the inline LUKS header area
 * (docs/specs/qcow2.txt 3.2).
 *
 * Every cluster of the range ends with refcount 1 and no reference: the
 * free ones are claimed first (so that nothing moved lands there), and a
 * moved structure leaves its old clusters at refcount 1.  Each move
 * writes and flushes the new copy, with its refcounts, before the one
 * pointer that switches to it, so a crash at any point leaves leaks at
 * worst, never a corrupt image.
 */
#include "qemu/osdep.h"

#include "block/qcow2.h"

typedef struct Relocation {
    BlockDriverState *bs;
    BDRVQcow2State *s;
    uint64_t start;                     /* bytes, cluster aligned */
    uint64_t end;
    bool moved;                         /* this pass moved something */
    Error **errp;
} Relocation;

static bool in_range(const Relocation *r, uint64_t offset, uint64_t bytes)
{
    return bytes && offset < r->end && offset + bytes > r->start;
}

static int fail(Relocation *r, int ret, const char *what)
{
    error_setg_errno(r->errp, -ret, "Could not move the %s out of the way "
                     "of the inline LUKS header", what);
    return ret;
}

/* Claim every free cluster of the range (refcount 0 -> 1). */
static int reserve_range(Relocation *r)
{
    BDRVQcow2State *s = r->s;
    uint64_t refcount;
    int ret;

    for (uint64_t off = r->start; off < r->end; off += s->cluster_size) {
        do {
            ret = qcow2_get_refcount(r->bs, off >> s->cluster_bits,
                                     &refcount);
            if (ret >= 0 && 0 == refcount) {
                ret = qcow2_update_refcount(r->bs, off, 1, 1, false,
                                            QCOW2_DISCARD_NEVER);
            }
        } while (-EAGAIN == ret);
        if (ret < 0) {
            return fail(r, ret, "free clusters");
        }
    }
    return 0;
}

/*
 * A structure of refcount-1 clusters moved away from [@offset, +@bytes):
 * its clusters inside the range stay claimed, the others are freed.
 */
static void release_old(Relocation *r, uint64_t offset, uint64_t bytes)
{
    BDRVQcow2State *s = r->s;
    uint64_t first = qcow2_start_of_cluster(s, offset);

    for (uint64_t off = first; off < offset + bytes; off += s->cluster_size) {
        if (!in_range(r, off, 1)) {
            qcow2_free_clusters(r->bs, off, s->cluster_size,
                                QCOW2_DISCARD_NEVER);
        }
    }
}

/*
 * Copy @bytes at @offset into new clusters, flushed (refcounts first).
 * Returns: the new offset, or -errno.
 */
static int64_t copy_out(Relocation *r, uint64_t offset, uint64_t bytes)
{
    g_autofree uint8_t *buf = g_try_malloc(bytes);
    int64_t new_offset;
    int ret;

    if (!buf) {
        return -ENOMEM;
    }
    ret = bdrv_pread(r->bs->file, offset, bytes, buf, 0);
    if (ret < 0) {
        return ret;
    }
    new_offset = qcow2_alloc_clusters(r->bs, bytes);
    if (new_offset < 0) {
        return new_offset;
    }
    ret = bdrv_pwrite(r->bs->file, new_offset, bytes, buf, 0);
    if (ret >= 0) {
        ret = qcow2_write_caches(r->bs);
    }
    if (ret >= 0) {
        ret = qcow2_file_flush(r->bs);
    }
    if (ret < 0) {
        qcow2_free_clusters(r->bs, new_offset, bytes, QCOW2_DISCARD_NEVER);
        return ret;
    }
    return new_offset;
}

/* Write the header (new pointers) and flush it. */
static int switch_header(Relocation *r)
{
    int ret = qcow2_update_header(r->bs);

    return ret < 0 ? ret : qcow2_file_flush(r->bs);
}

/* The LUKS area of the pointer layout (moved bytes, key not needed). */
static int move_luks_area(Relocation *r)
{
    BDRVQcow2State *s = r->s;
    Qcow2CryptoExt old = s->crypto_header;
    uint64_t bytes = ROUND_UP(old.length, s->cluster_size);
    int64_t offset;
    int ret;

    if (!old.offset || !in_range(r, old.offset, bytes)) {
        return 0;
    }
    offset = copy_out(r, old.offset, bytes);
    if (offset < 0) {
        return fail(r, (int)offset, "LUKS header");
    }
    s->crypto_header.offset = offset;
    ret = switch_header(r);
    if (ret < 0) {
        s->crypto_header = old;
        return fail(r, ret, "LUKS header");
    }
    release_old(r, old.offset, bytes);
    r->moved = true;
    return 0;
}

/* The active L1 table. */
static int move_l1(Relocation *r)
{
    BDRVQcow2State *s = r->s;
    uint64_t old = s->l1_table_offset;
    uint64_t bytes = (uint64_t)s->l1_size * sizeof(uint64_t);
    int64_t offset;
    int ret;

    if (!in_range(r, old, bytes)) {
        return 0;
    }
    offset = copy_out(r, old, bytes);
    if (offset < 0) {
        return fail(r, (int)offset, "L1 table");
    }
    s->l1_table_offset = offset;
    ret = switch_header(r);
    if (ret < 0) {
        s->l1_table_offset = old;
        return fail(r, ret, "L1 table");
    }
    release_old(r, old, bytes);
    r->moved = true;
    return 0;
}

/* The refcount table (allocating may itself move it: then look again). */
static int move_reftable(Relocation *r)
{
    BDRVQcow2State *s = r->s;
    uint64_t old = s->refcount_table_offset;
    uint64_t bytes = (uint64_t)s->refcount_table_size * sizeof(uint64_t);
    g_autofree uint64_t *disk = NULL;
    int64_t offset;
    int ret;

    if (!in_range(r, old, bytes)) {
        return 0;
    }
    offset = qcow2_alloc_clusters(r->bs, bytes);
    if (offset < 0) {
        return fail(r, (int)offset, "refcount table");
    }
    if (s->refcount_table_offset != old) {
        /* The allocation grew the table elsewhere; the next pass sees. */
        qcow2_free_clusters(r->bs, offset, bytes, QCOW2_DISCARD_NEVER);
        r->moved = true;
        return 0;
    }
    disk = g_new0(uint64_t, s->refcount_table_size);
    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        disk[i] = cpu_to_be64(s->refcount_table[i]);
    }
    ret = bdrv_pwrite(r->bs->file, offset, bytes, disk, 0);
    if (ret >= 0) {
        ret = qcow2_write_caches(r->bs);
    }
    if (ret >= 0) {
        ret = qcow2_file_flush(r->bs);
    }
    if (ret >= 0) {
        s->refcount_table_offset = offset;
        ret = switch_header(r);
    }
    if (ret < 0) {
        s->refcount_table_offset = old;
        return fail(r, ret, "refcount table");
    }
    release_old(r, old, bytes);
    r->moved = true;
    return 0;
}

/*
 * One refcount block: the copy is taken after the allocation of its new
 * cluster is on disk, so that it counts that cluster too.
 */
static int move_refblock(Relocation *r, uint32_t index)
{
    BDRVQcow2State *s = r->s;
    uint64_t old = s->refcount_table[index] & QCOW2_REFT_OFFSET_MASK;
    uint64_t entry;
    int64_t offset;
    int ret;

    ret = qcow2_cache_flush(r->bs, s->refcount_block_cache);
    if (ret < 0) {
        return fail(r, ret, "refcount block");
    }
    offset = copy_out(r, old, s->cluster_size);
    if (offset < 0) {
        return fail(r, (int)offset, "refcount block");
    }
    /* copy_out() allocated after reading: copy again, now complete. */
    ret = qcow2_cache_flush(r->bs, s->refcount_block_cache);
    if (ret >= 0) {
        g_autofree uint8_t *buf = g_malloc(s->cluster_size);

        ret = bdrv_pread(r->bs->file, old, s->cluster_size, buf, 0);
        if (ret >= 0) {
            ret = qcow2_pwrite_sync(r->bs, offset, s->cluster_size, buf);
        }
    }
    if (ret >= 0) {
        entry = cpu_to_be64(offset);
        ret = qcow2_pwrite_sync(r->bs, s->refcount_table_offset +
                                (uint64_t)index * sizeof(uint64_t),
                                sizeof(entry), &entry);
    }
    if (ret < 0) {
        return fail(r, ret, "refcount block");
    }
    /* From here on the old cluster is not a refcount block any more. */
    qcow2_cache_discard_offset(s->refcount_block_cache, old);
    s->refcount_table[index] = offset;
    r->moved = true;
    return 0;
}

static int move_refblocks(Relocation *r)
{
    BDRVQcow2State *s = r->s;
    int ret;

    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        uint64_t off = s->refcount_table[i] & QCOW2_REFT_OFFSET_MASK;

        if (in_range(r, off, s->cluster_size)) {
            ret = move_refblock(r, i);
            if (ret < 0) {
                return ret;
            }
        }
    }
    return 0;
}

/* Every L1 table in host order: [0] the active one, then snapshots'. */
typedef struct L1Set {
    uint32_t n;
    uint64_t **tables;
    uint32_t *sizes;
} L1Set;

static void l1set_free(L1Set *set)
{
    for (uint32_t i = 0; i < set->n; i++) {
        g_free(set->tables[i]);
    }
    g_free(set->tables);
    g_free(set->sizes);
}

static int l1set_read(Relocation *r, L1Set *set)
{
    BDRVQcow2State *s = r->s;
    int ret;

    set->n = 1 + s->nb_snapshots;
    set->tables = g_new0(uint64_t *, set->n);
    set->sizes = g_new0(uint32_t, set->n);
    set->tables[0] = g_memdup2(s->l1_table, MAX(s->l1_size, 1) * 8);
    set->sizes[0] = s->l1_size;
    for (uint32_t i = 1; i < set->n; i++) {
        const Qcow2Snapshot *sn = &s->snapshots[i - 1];
        uint64_t *l1 = g_new0(uint64_t, MAX(sn->l1_size, 1));

        set->tables[i] = l1;
        set->sizes[i] = sn->l1_size;
        ret = bdrv_pread(r->bs->file, sn->l1_table_offset,
                         (uint64_t)sn->l1_size * 8, l1, 0);
        if (ret < 0) {
            return ret;
        }
        for (uint32_t j = 0; j < sn->l1_size; j++) {
            l1[j] = be64_to_cpu(l1[j]);
        }
    }
    return 0;
}

/* Write L1 table @i of @set back where it lives (flushed). */
static int l1set_write(Relocation *r, const L1Set *set, uint32_t i)
{
    BDRVQcow2State *s = r->s;
    g_autofree uint64_t *disk = g_new0(uint64_t, MAX(set->sizes[i], 1));
    uint64_t offset = i ? s->snapshots[i - 1].l1_table_offset
                        : s->l1_table_offset;

    for (uint32_t j = 0; j < set->sizes[i]; j++) {
        disk[j] = cpu_to_be64(set->tables[i][j]);
    }
    if (0 == i) {
        memcpy(s->l1_table, set->tables[0], (uint64_t)s->l1_size * 8);
    }
    return qcow2_pwrite_sync(r->bs, offset, (uint64_t)set->sizes[i] * 8,
                             disk);
}

/* Snapshot L1 tables, then the snapshot table (it names them). */
static int move_snapshot_tables(Relocation *r)
{
    BDRVQcow2State *s = r->s;
    g_autofree uint64_t *olds = g_new0(uint64_t, MAX(s->nb_snapshots, 1));
    bool any = in_range(r, s->snapshots_offset, s->snapshots_size);
    int ret;

    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        uint64_t bytes = (uint64_t)sn->l1_size * 8;
        int64_t offset;

        if (!in_range(r, sn->l1_table_offset, bytes)) {
            continue;
        }
        offset = copy_out(r, sn->l1_table_offset, bytes);
        if (offset < 0) {
            return fail(r, (int)offset, "snapshot L1 table");
        }
        olds[i] = sn->l1_table_offset;
        sn->l1_table_offset = offset;
        any = true;
    }
    if (!any) {
        return 0;
    }
    /* Writes a new table, switches the header, frees the old table. */
    ret = qcow2_snapshots_rewrite(r->bs);
    if (ret < 0) {
        return fail(r, ret, "snapshot table");
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (olds[i]) {
            release_old(r, olds[i], (uint64_t)s->snapshots[i].l1_size * 8);
        }
    }
    r->moved = true;
    return reserve_range(r);
}

/*
 * Move the cluster @old (an L2 table or data, @refcount references)
 * to a new cluster holding the same refcount, so that the references
 * can switch one by one.  @crypt: re-encrypt data for its new host
 * offset (LUKS IVs are host sectors).  Returns: new offset, or -errno.
 */
static int64_t move_shared_cluster(Relocation *r, uint64_t old, bool crypt)
{
    BDRVQcow2State *s = r->s;
    g_autofree uint8_t *buf = g_malloc(s->cluster_size);
    uint64_t refcount;
    int64_t offset;
    int ret;

    ret = qcow2_get_refcount(r->bs, old >> s->cluster_bits, &refcount);
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_pread(r->bs->file, old, s->cluster_size, buf, 0);
    if (ret < 0) {
        return ret;
    }
    offset = qcow2_alloc_clusters(r->bs, s->cluster_size);
    if (offset < 0) {
        return offset;
    }
    if (refcount > 1) {
        ret = qcow2_update_refcount(r->bs, offset, 1, refcount - 1, false,
                                    QCOW2_DISCARD_NEVER);
        if (ret < 0) {
            qcow2_free_clusters(r->bs, offset, 1, QCOW2_DISCARD_NEVER);
            return ret;
        }
    }
    if (crypt) {
        qcrypto_block_decrypt(s->crypto, old, buf, s->cluster_size);
        qcrypto_block_encrypt(s->crypto, offset, buf, s->cluster_size);
    }
    ret = bdrv_pwrite(r->bs->file, offset, s->cluster_size, buf, 0);
    return ret < 0 ? ret : offset;
}

/* Refcount of @old down to 1 once nothing references it any more. */
static int unshare_old(Relocation *r, uint64_t old)
{
    uint64_t refcount;
    int ret = qcow2_get_refcount(r->bs, old >> r->s->cluster_bits,
                                 &refcount);

    if (ret >= 0 && refcount > 1) {
        ret = qcow2_update_refcount(r->bs, old, 1, refcount - 1, true,
                                    QCOW2_DISCARD_NEVER);
    }
    return ret;
}

/* The new location of host cluster @old in @map, moving it first. */
static int64_t remap(Relocation *r, GHashTable *map, uint64_t old,
                     bool crypt)
{
    gpointer v = g_hash_table_lookup(map, GUINT_TO_POINTER(old));
    int64_t offset;

    if (v) {
        return (int64_t)GPOINTER_TO_SIZE(v);
    }
    offset = move_shared_cluster(r, old, crypt);
    if (offset >= 0) {
        g_hash_table_insert(map, GSIZE_TO_POINTER(old),
                            GSIZE_TO_POINTER(offset));
    }
    return offset;
}

/* After switching: every old cluster of @map back to refcount 1. */
static int unshare_all(Relocation *r, GHashTable *map)
{
    GHashTableIter it;
    gpointer key;
    int ret = 0;

    g_hash_table_iter_init(&it, map);
    while (ret >= 0 && g_hash_table_iter_next(&it, &key, NULL)) {
        ret = unshare_old(r, GPOINTER_TO_SIZE(key));
    }
    if (ret >= 0) {
        ret = qcow2_write_caches(r->bs);
    }
    if (g_hash_table_size(map)) {
        r->moved = true;
    }
    return ret;
}

/* L2 tables referenced by any L1 table. */
static int move_l2_tables(Relocation *r, L1Set *set)
{
    BDRVQcow2State *s = r->s;
    g_autoptr(GHashTable) map = g_hash_table_new(NULL, NULL);
    int ret = 0;

    for (uint32_t i = 0; i < set->n && ret >= 0; i++) {
        bool changed = false;

        for (uint32_t j = 0; j < set->sizes[i] && ret >= 0; j++) {
            uint64_t l2 = set->tables[i][j] & QCOW2_L1E_OFFSET_MASK;
            int64_t offset;

            if (!in_range(r, l2, s->cluster_size)) {
                continue;
            }
            offset = remap(r, map, l2, false);
            if (offset < 0) {
                ret = (int)offset;
                break;
            }
            /* Copies and refcounts are stable before the switch. */
            ret = qcow2_write_caches(r->bs);
            ret = ret < 0 ? ret : qcow2_file_flush(r->bs);
            set->tables[i][j] = (set->tables[i][j] & ~QCOW2_L1E_OFFSET_MASK)
                                | (uint64_t)offset;
            changed = true;
        }
        if (ret >= 0 && changed) {
            ret = l1set_write(r, set, i);
        }
    }
    ret = ret < 0 ? ret : unshare_all(r, map);
    return ret < 0 ? fail(r, ret, "L2 tables") : 0;
}

/*
 * Whether the entry @entry maps a host cluster in the range; compressed
 * data there cannot be moved (it is not an encrypted image's).
 */
static int data_in_range(Relocation *r, uint64_t entry)
{
    BDRVQcow2State *s = r->s;
    Qcow2ClusterType type = qcow2_get_cluster_type(s, entry);
    uint64_t coffset, csize;

    if (QCOW2_CLUSTER_COMPRESSED == type) {
        qcow2_parse_compressed_entry(s, entry, &coffset, &csize);
        return in_range(r, coffset, csize) ? -ENOTSUP : 0;
    }
    return in_range(r, entry & QCOW2_L2E_OFFSET_MASK, 1);
}

/* Move the data clusters one L2 table maps; *@changed if it did. */
static int move_data_in_l2(Relocation *r, GHashTable *map, uint64_t *l2,
                           bool *changed)
{
    BDRVQcow2State *s = r->s;
    bool luks = QCOW2_CRYPT_LUKS == s->crypt_method_header;

    for (uint32_t k = 0; k < s->l2_size; k++) {
        uint64_t entry = qcow2_l2_get_entry(s, l2, k);
        int in = data_in_range(r, entry);
        uint64_t host = entry & QCOW2_L2E_OFFSET_MASK;
        int64_t offset;

        if (in <= 0) {
            /* check_data_movable() refused compressed data already. */
            assert(0 == in);
            continue;
        }
        /* Zero clusters keep their host cluster but not its contents. */
        offset = remap(r, map, host, luks && !(entry & QCOW2_OFLAG_ZERO));
        if (offset < 0) {
            return fail(r, (int)offset, "data clusters");
        }
        qcow2_l2_set_entry(s, l2, k, (entry & ~QCOW2_L2E_OFFSET_MASK) |
                                     (uint64_t)offset);
        *changed = true;
    }
    return 0;
}

/* The distinct L2 table offsets of @set, in a stable order. */
static GArray *l2_offsets(const L1Set *set)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
    GArray *out = g_array_new(FALSE, FALSE, sizeof(uint64_t));

    for (uint32_t i = 0; i < set->n; i++) {
        for (uint32_t j = 0; j < set->sizes[i]; j++) {
            uint64_t l2 = set->tables[i][j] & QCOW2_L1E_OFFSET_MASK;

            if (l2 && g_hash_table_add(seen, GSIZE_TO_POINTER(l2))) {
                g_array_append_val(out, l2);
            }
        }
    }
    return out;
}

/*
 * Before changing anything: fail if data in the range cannot move, i.e.
 * compressed data, or data the LUKS key encrypts (moving it means
 * re-encrypting it for its new host offset) when opened without the key.
 */
static int check_data_movable(Relocation *r)
{
    BDRVQcow2State *s = r->s;
    bool no_key = QCOW2_CRYPT_LUKS == s->crypt_method_header &&
                  (s->flags & BDRV_O_NO_IO);
    g_autofree uint64_t *l2 = g_malloc(s->cluster_size);
    g_autoptr(GArray) l2s = NULL;
    L1Set set = { 0 };
    int ret = l1set_read(r, &set);

    if (ret < 0) {
        l1set_free(&set);
        return fail(r, ret, "L1 tables");
    }
    l2s = l2_offsets(&set);
    l1set_free(&set);
    for (guint i = 0; i < l2s->len; i++) {
        ret = bdrv_pread(r->bs->file, g_array_index(l2s, uint64_t, i),
                         s->cluster_size, l2, 0);
        if (ret < 0) {
            return fail(r, ret, "data clusters");
        }
        for (uint32_t k = 0; k < s->l2_size; k++) {
            uint64_t entry = qcow2_l2_get_entry(s, l2, k);
            int in = data_in_range(r, entry);

            if (in < 0) {
                error_setg(r->errp, "Cannot move the LUKS header inline: "
                           "compressed data is in the way");
                return in;
            }
            if (in && no_key && !(entry & QCOW2_OFLAG_ZERO)) {
                error_setg(r->errp, "Cannot move the LUKS header inline "
                           "without the key: encrypted data clusters are in "
                           "the way (open the image with --image-opts and "
                           "encrypt.key-secret to re-encrypt them)");
                return -EINVAL;
            }
        }
    }
    return 0;
}

/* Data clusters: copies first, then each L2 table, then refcounts. */
static int move_data(Relocation *r, const L1Set *set)
{
    BDRVQcow2State *s = r->s;
    g_autoptr(GHashTable) map = g_hash_table_new(NULL, NULL);
    g_autoptr(GArray) l2s = l2_offsets(set);
    g_autofree uint64_t *l2 = g_malloc(s->cluster_size);
    int ret = 0;

    for (guint i = 0; i < l2s->len; i++) {
        uint64_t l2_offset = g_array_index(l2s, uint64_t, i);
        bool changed = false;

        ret = bdrv_pread(r->bs->file, l2_offset, s->cluster_size, l2, 0);
        if (ret < 0) {
            return fail(r, ret, "data clusters");
        }
        ret = move_data_in_l2(r, map, l2, &changed);
        if (ret < 0 || !changed) {
            if (ret < 0) {
                return ret;
            }
            continue;
        }
        ret = qcow2_write_caches(r->bs);
        ret = ret < 0 ? ret : qcow2_file_flush(r->bs);
        ret = ret < 0 ? ret : qcow2_pwrite_sync(r->bs, l2_offset,
                                                s->cluster_size, l2);
        if (ret < 0) {
            return fail(r, ret, "data clusters");
        }
    }
    ret = unshare_all(r, map);
    return ret < 0 ? fail(r, ret, "data clusters") : 0;
}

/* One pass over every kind of structure, in dependency order. */
static int relocate_pass(Relocation *r)
{
    L1Set set = { 0 };
    int ret;

    ret = move_luks_area(r);
    ret = ret < 0 ? ret : move_snapshot_tables(r);
    ret = ret < 0 ? ret : move_l1(r);
    ret = ret < 0 ? ret : move_reftable(r);
    ret = ret < 0 ? ret : move_refblocks(r);
    if (ret < 0) {
        return ret;
    }
    ret = l1set_read(r, &set);
    if (ret < 0) {
        ret = fail(r, ret, "L1 tables");
    }
    ret = ret < 0 ? ret : move_l2_tables(r, &set);
    ret = ret < 0 ? ret : move_data(r, &set);
    l1set_free(&set);
    return ret < 0 ? ret : reserve_range(r);
}

int qcow2_relocate_range(BlockDriverState *bs, uint64_t start,
                         uint64_t end, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Relocation r = {
        .bs = bs, .s = s, .errp = errp,
        .start = start << s->cluster_bits, .end = end << s->cluster_bits,
    };
    int ret;

    if (start >= end) {
        return 0;
    }
    if (s->has_bitmaps_ext) {
        error_setg(errp, "Cannot move the LUKS header inline: the image "
                   "has persistent bitmaps");
        return -ENOTSUP;
    }
    ret = check_data_movable(&r);
    if (ret < 0) {
        return ret;
    }
    /* L2 tables are rewritten on disk, past the cache. */
    ret = qcow2_write_caches(bs);
    ret = ret < 0 ? ret : qcow2_cache_empty(bs, s->l2_table_cache);
    if (ret < 0) {
        return fail(&r, ret, "caches");
    }
    ret = reserve_range(&r);
    /* Moving may grow the refcount structures into nothing new: a few
     * passes settle it; each pass after the first moves little. */
    for (int pass = 0; ret >= 0 && pass < 8; pass++) {
        r.moved = false;
        ret = relocate_pass(&r);
        if (ret >= 0 && !r.moved) {
            break;
        }
    }
    if (ret >= 0 && r.moved) {
        error_setg(errp, "Cannot move the LUKS header inline: the clusters "
                   "it needs do not settle");
        ret = -EIO;
    }
    if (ret >= 0) {
        ret = qcow2_write_caches(bs);
        ret = ret < 0 ? ret : qcow2_file_flush(bs);
        if (ret < 0) {
            fail(&r, ret, "refcounts");
        }
    }
    return ret;
}
