/*
 * qcow2 size measurement (qemu-img measure -O qcow2): the file size a new
 * image needs, computed as QEMU 7.2 computes it from the qcow2 layout.
 */
#include "qemu/osdep.h"

#include "block/qcow2.h"

/* The create options 7.2's measure looks at, parsed in its order. */
typedef struct Qcow2MeasureParams {
    bool extended_l2;
    uint64_t cluster_size;
    int version;
    uint64_t refcount_bits;
    PreallocMode prealloc;
    bool has_backing_file;
    uint64_t luks_size;         /* LUKS header area, whole clusters */
    uint64_t size;              /* virtual size, whole clusters */
} Qcow2MeasureParams;

/* 7.2's measure accepts only the spellings of its old "compat" option. */
static int measure_parse_version(const QObject *opts, int *version,
                                 Error **errp)
{
    const char *compat = qdict_get_str(opts, "compat");

    if (!compat || 0 == strcmp(compat, "1.1")) {
        *version = 3;
    } else if (0 == strcmp(compat, "0.10")) {
        *version = 2;
    } else {
        error_setg(errp, "Invalid compatibility level: '%s'", compat);
        return -EINVAL;
    }
    return 0;
}

static int measure_parse_geometry(const QObject *opts, Qcow2MeasureParams *p,
                                  Error **errp)
{
    uint64_t min_extl2 = 1u << QCOW2_EXTL2_MIN_CLUSTER_BITS;

    p->extended_l2 = qopts_get_bool(opts, "extended_l2", false);
    p->cluster_size = qopts_get_number(opts, "cluster_size",
                                       QCOW2_DEFAULT_CLUSTER_SIZE);
    if (!QEMU_IS_POWER_OF_2(p->cluster_size) ||
        p->cluster_size < (1u << QCOW2_MIN_CLUSTER_BITS) ||
        p->cluster_size > (1u << QCOW2_MAX_CLUSTER_BITS)) {
        error_setg(errp, "Cluster size must be a power of two between %d "
                   "and %dk", 1 << QCOW2_MIN_CLUSTER_BITS,
                   1 << (QCOW2_MAX_CLUSTER_BITS - 10));
        return -EINVAL;
    }
    /* Unlike create, 7.2's measure lets extended_l2 pass with compat=0.10. */
    if (p->extended_l2 && p->cluster_size < min_extl2) {
        error_setg(errp, "Extended L2 entries are only supported with "
                   "cluster sizes of at least %" PRIu64 " bytes", min_extl2);
        return -EINVAL;
    }
    return 0;
}

static int measure_parse_refcounts(const QObject *opts,
                                   Qcow2MeasureParams *p, Error **errp)
{
    p->refcount_bits = qopts_get_number(opts, "refcount_bits", 16);
    if (p->refcount_bits > 64 || !QEMU_IS_POWER_OF_2(p->refcount_bits)) {
        error_setg(errp, "Refcount width must be a power of two and may not "
                   "exceed 64 bits");
        return -EINVAL;
    }
    /* 7.2's measure names the option "compat" here, create "version". */
    if (p->version < 3 && 16 != p->refcount_bits) {
        error_setg(errp, "Different refcount widths than 16 bits require "
                   "compatibility level 1.1 or above (use compat=1.1 or "
                   "greater)");
        return -EINVAL;
    }
    return 0;
}

static int measure_parse_prealloc(const QObject *opts, Qcow2MeasureParams *p,
                                  Error **errp)
{
    const char *str = qdict_get_str(opts, "preallocation");
    int mode = PREALLOC_MODE_OFF;

    if (str) {
        mode = qapi_enum_parse(&PreallocMode_lookup, "preallocation", str,
                               -1, NULL);
    }
    if (mode < 0) {
        error_setg(errp, "invalid parameter value: %s", str);
        return -EINVAL;
    }
    p->prealloc = mode;
    return 0;
}

/* The LUKS header area, from a dry run of LUKS creation, in clusters. */
static int measure_luks_size(const QObject *opts, Qcow2MeasureParams *p,
                             Error **errp)
{
    QCryptoBlockCreateOptions luks = { .format = QCRYPTO_BLOCK_FORMAT_LUKS };
    const char *format = qdict_get_str(opts, "encrypt.format");
    uint64_t len = 0;
    bool ok;

    /* 7.2 reserves nothing for AES (or "encryption=on"): no header area. */
    if (!format || strcmp(format, "luks")) {
        return 0;
    }
    ok = qopts_to_struct(qcrypto_block_create_opts_luks, opts, "encrypt.",
                         &luks, errp) &&
         qcrypto_block_calculate_payload_offset(&luks, "encrypt.", &len,
                                                errp);
    qopts_free_struct(qcrypto_block_create_opts_luks, &luks);
    if (!ok) {
        return -EINVAL;
    }
    p->luks_size = ROUND_UP(len, p->cluster_size);
    return 0;
}

/* Parse and check the options, each step as 7.2 orders its errors. */
static int measure_parse(const QObject *opts, Qcow2MeasureParams *p,
                         Error **errp)
{
    uint64_t l2e_size;
    uint64_t l2_tables;
    int ret;

    ret = measure_parse_geometry(opts, p, errp);
    if (ret >= 0) {
        ret = measure_parse_version(opts, &p->version, errp);
    }
    if (ret >= 0) {
        ret = measure_parse_refcounts(opts, p, errp);
    }
    if (ret >= 0) {
        ret = measure_parse_prealloc(opts, p, errp);
    }
    if (ret < 0) {
        return ret;
    }
    p->has_backing_file = NULL != qdict_get_str(opts, "backing_file");
    ret = measure_luks_size(opts, p, errp);
    if (ret < 0) {
        return ret;
    }
    l2e_size = p->extended_l2 ? 16 : 8;
    p->size = ROUND_UP(qopts_get_number(opts, "size", 0), p->cluster_size);
    l2_tables = DIV_ROUND_UP(p->size / p->cluster_size,
                             p->cluster_size / l2e_size);
    if (l2_tables * sizeof(uint64_t) > QCOW2_MAX_L1_SIZE) {
        error_setg(errp, "The image size is too large (try using a larger "
                   "cluster size)");
        return -EINVAL;
    }
    return 0;
}

/*
 * Whether @bs looks metadata-preallocated, as 7.2 decides it: at least
 * a ninth more clusters have a refcount than the file really holds.
 * Returns: 1 yes, 0 no, -errno.
 */
static int measure_detect_prealloc(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t file_length = bdrv_getlength(bs->file->bs);
    int64_t real = bdrv_get_allocated_file_size(bs->file->bs);
    int64_t end, real_clusters, threshold, count = 0;

    if (file_length < 0 || real < 0) {
        return (int)(file_length < 0 ? file_length : real);
    }
    real_clusters = real / s->cluster_size;
    threshold = MAX(real_clusters * 10 / 9, real_clusters + 2);
    end = DIV_ROUND_UP(file_length, s->cluster_size);
    for (int64_t i = 0; i < end && count < threshold; i++) {
        uint64_t refcount = 0;
        int ret = qcow2_get_refcount(bs, i, &refcount);

        if (ret < 0) {
            return ret;
        }
        count += 0 != refcount;
    }
    return count >= threshold;
}

/*
 * One node's status.  As 7.2, data of a metadata-preallocated qcow2
 * image that its file stores as a hole (or beyond its end) reads as zeroes.
 */
static int measure_node_status(BlockDriverState *bs, int64_t offset,
                               int64_t bytes, int64_t *pnum)
{
    BlockDriverState *file = NULL;
    int64_t map = 0, file_pnum = 0;
    int ret = bdrv_block_status(bs, offset, bytes, pnum, &map, &file);
    int ret2;

    if (ret < 0 || bs->drv != &bdrv_qcow2 || !file || file == bs ||
        (ret & BDRV_BLOCK_ZERO) || !(ret & BDRV_BLOCK_DATA) ||
        !(ret & BDRV_BLOCK_OFFSET_VALID) || measure_detect_prealloc(bs) != 1) {
        return ret;
    }
    ret2 = bdrv_block_status(file, map, *pnum, &file_pnum, NULL, NULL);
    if (ret2 < 0) {
        return ret;     /* only extra information, as 7.2 */
    }
    if ((ret2 & BDRV_BLOCK_EOF) &&
        (0 == file_pnum || (ret2 & BDRV_BLOCK_ZERO))) {
        return ret | BDRV_BLOCK_ZERO;
    }
    *pnum = file_pnum;
    return ret | (ret2 & BDRV_BLOCK_ZERO);
}

/*
 * The guest data of @bs down its backing chain, as 7.2's
 * bdrv_block_status_above(): the first node reporting data or zeroes
 * decides; unallocated all the way down reads as zeroes.
 * Returns: BDRV_BLOCK_DATA, BDRV_BLOCK_ZERO or 0, or -errno.
 */
static int measure_status_above(BlockDriverState *bs, int64_t offset,
                                int64_t bytes, int64_t *pnum)
{
    BlockDriverState *p;

    for (p = bs; p; p = bdrv_get_backing(p)) {
        int64_t n = 0;
        int ret = measure_node_status(p, offset, bytes, &n);

        if (ret < 0) {
            return ret;
        }
        if (0 == n) {
            /* Past the end of a shorter backing file: zeroes. */
            break;
        }
        if (ret & BDRV_BLOCK_ZERO) {
            *pnum = n;
            return BDRV_BLOCK_ZERO;
        }
        if (ret & (BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED)) {
            *pnum = n;
            return ret & BDRV_BLOCK_DATA;
        }
        bytes = n;
    }
    *pnum = bytes;
    return BDRV_BLOCK_ZERO;
}

/*
 * The data clusters converting @in_bs needs.  As 7.2: every cluster with
 * a new backing file (it may share nothing), else the clusters touched by
 * data; zero and unallocated ranges are free.
 */
static int64_t measure_source(BlockDriverState *in_bs,
                              const Qcow2MeasureParams *p, Error **errp)
{
    int64_t ssize = bdrv_getlength(in_bs);
    int64_t offset, pnum = 0;
    int64_t required = 0;

    if (ssize < 0) {
        error_setg_errno(errp, (int)-ssize,
                         "Unable to get image virtual_size");
        return ssize;
    }
    if (p->has_backing_file) {
        return ROUND_UP(ssize, p->cluster_size);
    }
    for (offset = 0; offset < ssize; offset += pnum) {
        int ret = measure_status_above(in_bs, offset, ssize - offset, &pnum);

        if (ret < 0) {
            error_setg_errno(errp, -ret, "Unable to get block status");
            return ret;
        }
        if (ret & BDRV_BLOCK_DATA) {
            /* Count whole clusters; the next query starts past them. */
            pnum = ROUND_UP(offset + pnum, p->cluster_size) - offset;
            required += offset % p->cluster_size + pnum;
        }
    }
    return required;
}

/* 7.2's qcow2_calc_prealloc_size(): every cluster plus its metadata. */
static uint64_t measure_prealloc_size(const Qcow2MeasureParams *p)
{
    uint64_t cs = p->cluster_size;
    uint64_t l2e_size = p->extended_l2 ? 16 : 8;
    uint64_t meta = cs;         /* the header cluster */
    uint64_t nl1e, nl2e;

    nl2e = ROUND_UP(p->size / cs, cs / l2e_size);
    meta += nl2e * l2e_size;
    nl1e = ROUND_UP(nl2e * l2e_size / cs, cs / sizeof(uint64_t));
    meta += nl1e * sizeof(uint64_t);
    meta += qcow2_refcount_metadata_size((meta + p->size) / cs, cs,
                                         __builtin_ctzll(p->refcount_bits),
                                         false, NULL);
    return meta + p->size;
}

/* 7.2 shows "bitmaps" when the source could hold persistent bitmaps. */
static bool measure_has_bitmaps(const BlockDriverState *in_bs)
{
    const BDRVQcow2State *s;

    if (!in_bs || in_bs->drv != &bdrv_qcow2) {
        return false;
    }
    s = in_bs->opaque;
    return s->qcow_version >= 3;
}

int qcow2_measure(const QObject *opts, BlockDriverState *in_bs,
                  BlockMeasureInfo *info, Error **errp)
{
    Qcow2MeasureParams p = { 0 };
    int64_t required = 0;
    int ret;

    ret = measure_parse(opts, &p, errp);
    if (ret < 0) {
        return ret;
    }
    if (in_bs) {
        required = measure_source(in_bs, &p, errp);
        if (required < 0) {
            return (int)required;
        }
        p.size = ROUND_UP(bdrv_getlength(in_bs), p.cluster_size);
    }
    /* Metadata preallocation is always counted; full and falloc add data. */
    if (PREALLOC_MODE_FULL == p.prealloc ||
        PREALLOC_MODE_FALLOC == p.prealloc) {
        required = p.size;
    }
    info->fully_allocated = p.luks_size + measure_prealloc_size(&p);
    /* Metadata for unneeded clusters stays counted, as in 7.2. */
    info->required = info->fully_allocated - p.size + required;
    info->has_bitmaps = p.version >= 3 && measure_has_bitmaps(in_bs);
    info->bitmaps = info->has_bitmaps
                    ? qcow2_bitmaps_measure(in_bs, p.cluster_size) : 0;
    return 0;
}
