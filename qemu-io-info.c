/*
 * qemu-io's commands about the image as a whole: info, length, map, alloc,
 * truncate and flush.
 */
#include "qemu/osdep.h"

#include "qapi/util.h"
#include "qemu-io.h"

/*
 * 7.2 prints "format name" once for the format and once more for a
 * protocol; a node with no file child is a protocol node ("file").
 */
static bool qemuio_is_protocol(BlockDriverState *bs)
{
    return !bdrv_get_file(bs);
}

int qemuio_info_f(QemuIOState *s, int argc, char **argv)
{
    BlockDriverState *bs = s->blk->bs;
    g_autoptr(QObject) spec = NULL;
    g_autoptr(GString) out = NULL;
    BlockDriverInfo bdi = { 0 };
    Error *err = NULL;
    char s1[64], s2[64];
    int ret;

    printf("format name: %s\n", bdrv_get_format_name(bs));
    if (qemuio_is_protocol(bs)) {
        printf("format name: %s\n", bdrv_get_format_name(bs));
    }
    ret = bdrv_get_info(bs, &bdi);
    /* 7.2's file driver answers with an empty BlockDriverInfo. */
    if (ret == -ENOTSUP && qemuio_is_protocol(bs)) {
        ret = 0;
    }
    if (ret) {
        return ret;
    }
    qemuio_cvtstr(bdi.cluster_size, s1, sizeof(s1));
    qemuio_cvtstr(bdi.vm_state_offset, s2, sizeof(s2));
    printf("cluster size: %s\n", s1);
    printf("vm state offset: %s\n", s2);
    spec = bdrv_get_specific_info(bs, &err);
    if (err) {
        /* A failure without data is signalled by @err alone here. */
        error_report_err(err);
        return -EIO;
    }
    if (spec && qdict_get(spec, "data")) {
        out = g_string_new("Format specific information:\n");
        qobject_dump_human(out, qdict_get(spec, "data"), 1);
        fputs(out->str, stdout);
    }
    return 0;
}

int qemuio_length_f(QemuIOState *s, int argc, char **argv)
{
    int64_t size = bdrv_getlength(s->blk->bs);
    char s1[64];

    if (size < 0) {
        printf("getlength: %s\n", strerror((int)-size));
        return (int)size;
    }
    qemuio_cvtstr(size, s1, sizeof(s1));
    printf("%s\n", s1);
    return 0;
}

/*
 * Whether [@offset, @offset + @bytes) is allocated in @bs itself (not its
 * backing chain), as 7.2's bdrv_is_allocated(): @pnum gets the length of
 * the first run with the same answer, 0 at or past the end of the image.
 * Returns: 1, 0 or -errno.
 */
static int qemuio_is_allocated(BlockDriverState *bs, int64_t offset,
                               int64_t bytes, int64_t *pnum)
{
    int64_t len = bdrv_getlength(bs);
    BlockDriverState *file;
    int64_t map;
    int ret;

    if (len < 0) {
        return (int)len;
    }
    if (offset >= len || bytes == 0) {
        *pnum = 0;
        return 0;
    }
    ret = bdrv_block_status(bs, offset, MIN(bytes, len - offset), pnum,
                            &map, &file);
    if (ret < 0) {
        return ret;
    }
    /*
     * 7.2 counts data or zeros a node reports itself as allocated there;
     * a protocol node has no backing file, so whatever it reports is.
     */
    if (qemuio_is_protocol(bs)) {
        return !!(ret & (BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_DATA |
                         BDRV_BLOCK_ZERO));
    }
    return !!(ret & BDRV_BLOCK_ALLOCATED);
}

/*
 * The status of the longest run from @offset sharing the first answer.
 * Returns: 1 allocated, 0 not, -errno; @pnum gets the run's length.
 */
static int qemuio_map_run(BlockDriverState *bs, int64_t offset,
                          int64_t bytes, int64_t *pnum)
{
    int64_t num;
    int first, ret;

    first = ret = qemuio_is_allocated(bs, offset, bytes, &num);
    if (ret < 0) {
        return ret;
    }
    *pnum = num;
    while (bytes > 0 && ret == first && num > 0) {
        offset += num;
        bytes -= num;
        ret = qemuio_is_allocated(bs, offset, bytes, &num);
        if (ret != first || !num) {
            break;
        }
        *pnum += num;
    }
    return first;
}

int qemuio_map_f(QemuIOState *s, int argc, char **argv)
{
    BlockDriverState *bs = s->blk->bs;
    int64_t offset = 0, bytes, num;
    char s1[64], s2[64];
    int ret;

    qemuio_poll(s, false);
    bytes = bdrv_getlength(bs);
    if (bytes < 0) {
        error_report("Failed to query image length: %s",
                     strerror((int)-bytes));
        return (int)bytes;
    }
    while (bytes) {
        ret = qemuio_map_run(bs, offset, bytes, &num);
        if (ret < 0) {
            error_report("Failed to get allocation status: %s",
                         strerror(-ret));
            return ret;
        }
        if (!num) {
            error_report("Unexpected end of image");
            return -EIO;
        }
        qemuio_cvtstr(num, s1, sizeof(s1));
        qemuio_cvtstr(offset, s2, sizeof(s2));
        printf("%s (0x%" PRIx64 ") bytes %s at offset %s (0x%" PRIx64 ")\n",
               s1, (uint64_t)num, ret ? "    allocated" : "not allocated",
               s2, (uint64_t)offset);
        offset += num;
        bytes -= num;
    }
    return 0;
}

int qemuio_alloc_f(QemuIOState *s, int argc, char **argv)
{
    BlockDriverState *bs = s->blk->bs;
    int64_t offset, start, count, remaining, num, sum_alloc = 0;
    char s1[64];
    int ret;

    start = offset = qemuio_cvtnum(argv[1]);
    if (offset < 0) {
        qemuio_print_cvtnum_err(offset, argv[1]);
        return (int)offset;
    }
    count = BDRV_SECTOR_SIZE;
    if (argc == 3) {
        count = qemuio_cvtnum(argv[2]);
        if (count < 0) {
            qemuio_print_cvtnum_err(count, argv[2]);
            return (int)count;
        }
    }
    qemuio_poll(s, false);
    remaining = count;
    while (remaining) {
        ret = qemuio_is_allocated(bs, offset, remaining, &num);
        if (ret < 0) {
            printf("is_allocated failed: %s\n", strerror(-ret));
            return ret;
        }
        offset += num;
        remaining -= num;
        sum_alloc += ret ? num : 0;
        if (num == 0) {
            /* The image ended: report only the part that exists. */
            count -= remaining;
            remaining = 0;
        }
    }
    qemuio_cvtstr(start, s1, sizeof(s1));
    printf("%" PRId64 "/%" PRId64 " bytes allocated at offset %s\n",
           sum_alloc, count, s1);
    return 0;
}

int qemuio_truncate_f(QemuIOState *s, int argc, char **argv)
{
    PreallocMode prealloc = PREALLOC_MODE_OFF;
    Error *err = NULL;
    int64_t offset;
    int c, ret;

    while ((c = getopt(argc, argv, "m:")) != -1) {
        if (c != 'm') {
            qemuio_command_usage("truncate");
            return -EINVAL;
        }
        ret = qapi_enum_parse(&PreallocMode_lookup, "prealloc", optarg,
                              PREALLOC_MODE_OFF, NULL);
        if (ret < 0) {
            error_report("Invalid preallocation mode '%s'", optarg);
            return -EINVAL;
        }
        prealloc = ret;
    }
    /* Extra arguments are ignored, as in 7.2. */
    if (optind >= argc) {
        qemuio_command_usage("truncate");
        return -EINVAL;
    }
    offset = qemuio_cvtnum(argv[optind]);
    if (offset < 0) {
        qemuio_print_cvtnum_err(offset, argv[optind]);
        return (int)offset;
    }
    qemuio_poll(s, true);
    /* Like 7.2's qemu-io: not exact, so a file may end up larger. */
    ret = bdrv_truncate(s->blk, offset, false, prealloc, &err);
    if (ret < 0) {
        error_report_err(err);
        return ret;
    }
    return 0;
}

int qemuio_flush_f(QemuIOState *s, int argc, char **argv)
{
    qemuio_poll(s, true);
    if (s->no_flush) {
        return 0;       /* cache=unsafe */
    }
    return bdrv_flush(s->blk->bs);
}
