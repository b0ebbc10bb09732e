/*
 * qemu-img map: the allocation map of an image (and its backing chain) as
 * merged runs, in 7.2's human table or JSON list.
 */
#include "qemu/osdep.h"

#include <getopt.h>

#include "qemu-img-common.h"

enum {
    OPTION_START_OFFSET = IMG_OPTION_PRIVATE_BASE,
    OPTION_MAX_LENGTH,
};

/* How much one block status query asks about at most. */
#define IMG_MAP_PROBE_BYTES (1LL << 30)

typedef struct MapEntry {
    int64_t start;
    int64_t length;
    int64_t offset;             /* host offset, valid if has_offset */
    int depth;                  /* 0: the image itself, 1: its backing... */
    bool data;
    bool zero;
    bool present;
    bool has_offset;
    const char *filename;       /* node holding the data, or NULL */
} MapEntry;

/*
 * Query one node, narrowing *@bytes to the run that shares its status.
 * As 7.2 does for formats with backing files, an unallocated range reads
 * as zeros when there is no backing node or it ends before @offset (only
 * such formats report ranges as neither data nor zero).
 */
static int img_map_node_status(BlockDriverState *bs, int64_t offset,
                               int64_t *bytes, int64_t *map,
                               BlockDriverState **file, bool *descend)
{
    BlockDriverState *backing = bdrv_get_backing(bs);
    int ret = bdrv_block_status(bs, offset, *bytes, bytes, map, file);

    *descend = false;
    if (ret < 0) {
        return ret;
    }
    assert(*bytes > 0);
    if (bdrv_is_encrypted(bs)) {
        /* Host offsets of ciphertext mean nothing to a reader: 7.2's
         * encrypted formats never report them. */
        ret &= ~BDRV_BLOCK_OFFSET_VALID;
    }
    if (ret & (BDRV_BLOCK_DATA | BDRV_BLOCK_ZERO)) {
        return ret;
    }
    if (backing && offset < bdrv_getlength(backing)) {
        *descend = true;
        return ret;
    }
    return ret | BDRV_BLOCK_ZERO;
}

/* Fill @e with the status of [@offset, @offset + @bytes) down the chain. */
static int img_map_get_status(BlockDriverState *bs, int64_t offset,
                              int64_t bytes, MapEntry *e)
{
    BlockDriverState *file = NULL;
    int64_t map = 0;
    int depth = 0;
    bool descend;
    int ret;

    for (;;) {
        ret = img_map_node_status(bs, offset, &bytes, &map, &file, &descend);
        if (ret < 0) {
            return ret;
        }
        if (!descend) {
            break;
        }
        bs = bdrv_get_backing(bs);
        depth++;
    }
    *e = (MapEntry) {
        .start = offset,
        .length = bytes,
        .offset = map,
        .depth = depth,
        .data = !!(ret & BDRV_BLOCK_DATA),
        .zero = !!(ret & BDRV_BLOCK_ZERO),
        .present = !!(ret & BDRV_BLOCK_ALLOCATED),
        .has_offset = !!(ret & BDRV_BLOCK_OFFSET_VALID),
    };
    if (e->has_offset && file) {
        e->filename = bdrv_get_filename(file);
    }
    return 0;
}

/* Whether @next continues @curr as one run. */
static bool img_map_mergeable(const MapEntry *curr, const MapEntry *next)
{
    if (0 == curr->length || curr->zero != next->zero ||
        curr->data != next->data || curr->depth != next->depth ||
        curr->present != next->present ||
        !curr->filename != !next->filename ||
        curr->has_offset != next->has_offset) {
        return false;
    }
    if (curr->filename && strcmp(curr->filename, next->filename)) {
        return false;
    }
    return !curr->has_offset || curr->offset + curr->length == next->offset;
}

static const char *img_bool_str(bool b)
{
    return b ? "true" : "false";
}

/*
 * Print one run.  The human table only lists data with a host offset and
 * fails on data without one; like 7.2 it then folds "zero" and "no data"
 * together in @next so that such runs merge.
 */
static int img_map_dump(int ofmt, const MapEntry *e, MapEntry *next)
{
    if (IMG_OUTPUT_JSON == ofmt) {
        printf("{ \"start\": %" PRId64 ", \"length\": %" PRId64 ", "
               "\"depth\": %d, \"present\": %s, \"zero\": %s, "
               "\"data\": %s", e->start, e->length, e->depth,
               img_bool_str(e->present), img_bool_str(e->zero),
               img_bool_str(e->data));
        if (e->has_offset) {
            printf(", \"offset\": %" PRId64, e->offset);
        }
        printf("}");
        if (next) {
            printf(",\n");
        }
        return 0;
    }
    if (e->data && !e->has_offset) {
        error_report("File contains external, encrypted or compressed "
                     "clusters.");
        return -1;
    }
    if (e->data && !e->zero) {
        printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n",
               (uint64_t)e->start, (uint64_t)e->length,
               (uint64_t)(e->has_offset ? e->offset : 0),
               e->filename ? e->filename : "");
    }
    if (next && (!next->data || next->zero)) {
        next->data = false;
        next->zero = true;
    }
    return 0;
}

/* Walk [@start, @end) and print the merged runs. */
static int img_map_walk(BlockDriverState *bs, int ofmt, int64_t start,
                        int64_t end)
{
    MapEntry curr = { .start = start }, next;
    int ret;

    while (curr.start + curr.length < end) {
        int64_t offset = curr.start + curr.length;

        ret = img_map_get_status(bs, offset,
                                 MIN(IMG_MAP_PROBE_BYTES, end - offset),
                                 &next);
        if (ret < 0) {
            error_report("Could not read file metadata: %s",
                         g_strerror(-ret));
            return ret;
        }
        if (img_map_mergeable(&curr, &next)) {
            curr.length += next.length;
            continue;
        }
        if (curr.length > 0 && img_map_dump(ofmt, &curr, &next) < 0) {
            return -1;
        }
        curr = next;
    }
    return img_map_dump(ofmt, &curr, NULL);
}

static int img_map_run(const ImgCommonOpts *o, int ofmt, const char *filename,
                       int64_t start, int64_t max_length)
{
    BlockDriverState *bs;
    int64_t length;
    int ret;

    bs = img_open(o->image_opts, filename, o->fmt, 0, NULL, false,
                  o->force_share);
    if (!bs) {
        return 1;
    }
    if (IMG_OUTPUT_HUMAN == ofmt) {
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to",
               "File");
    } else {
        printf("[");
    }
    length = bdrv_getlength(bs);
    if (length < 0) {
        error_report("Failed to get size for '%s'", filename);
        bdrv_unref(bs);
        return 1;
    }
    if (max_length >= 0) {
        /* 7.2 adds with wrap-around: a huge sum maps nothing. */
        length = MIN((int64_t)((uint64_t)start + (uint64_t)max_length),
                     length);
    }
    ret = img_map_walk(bs, ofmt, start, length);
    if (ret >= 0 && IMG_OUTPUT_JSON == ofmt) {
        printf("]\n");
    }
    bdrv_unref(bs);
    return ret < 0 ? 1 : 0;
}

int img_map(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, IMG_OPTION_OUTPUT },
        { "object", required_argument, NULL, IMG_OPTION_OBJECT },
        { "image-opts", no_argument, NULL, IMG_OPTION_IMAGE_OPTS },
        { "force-share", no_argument, NULL, 'U' },
        { "start-offset", required_argument, NULL, OPTION_START_OFFSET },
        { "max-length", required_argument, NULL, OPTION_MAX_LENGTH },
        { NULL, 0, NULL, 0 }
    };
    ImgCommonOpts o = { .fmt = NULL };
    int64_t start = 0, max_length = -1;
    int c, ofmt;

    while ((c = getopt_long(argc, argv, ":f:hU", long_options, NULL)) != -1) {
        if (img_common_option(&o, c, argv)) {
            continue;
        }
        if (OPTION_START_OFFSET == c) {
            start = img_cvtnum("start offset", optarg);
            if (start < 0) {
                return 1;
            }
        } else if (OPTION_MAX_LENGTH == c) {
            max_length = img_cvtnum("max length", optarg);
            if (max_length < 0) {
                return 1;
            }
        }
    }
    if (optind != argc - 1) {
        img_usage_error("Expecting one image file name");
    }
    ofmt = img_parse_output_format(o.output);
    if (ofmt < 0 || !img_check_image_opts_fmt(&o)) {
        return 1;
    }
    return img_map_run(&o, ofmt, argv[optind], start, max_length);
}
