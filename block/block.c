/*
 * Block node life cycle: driver lookup, format probing, opening a format
 * over its protocol, the name shown for a node, creation and amendment.
 */
#include "qemu/osdep.h"

#include "block/block_int.h"
#include "qapi/keyval.h"

#define BLOCK_PROBE_BUF_SIZE 2048

static const char *const prealloc_mode_names[] = {
    "off", "metadata", "falloc", "full",
};

const QEnumLookup PreallocMode_lookup = {
    .array = prealloc_mode_names,
    .size = PREALLOC_MODE__MAX,
};

/* Every driver, formats in probing order, then protocols. */
static const BlockDriver *const block_drivers[] = {
    &bdrv_qcow2,
    &bdrv_crypto_luks,
    &bdrv_raw,
    &bdrv_file,
    &bdrv_blkdebug,
};

static gint bdrv_compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *bdrv_format_list(void)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();

    for (size_t i = 0; i < G_N_ELEMENTS(block_drivers); i++) {
        g_ptr_array_add(names, (gpointer)block_drivers[i]->format_name);
    }
    g_ptr_array_sort(names, bdrv_compare_names);
    g_ptr_array_add(names, NULL);
    return g_strjoinv(" ", (char **)names->pdata);
}

const BlockDriver *bdrv_find_format(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(block_drivers); i++) {
        if (0 == strcmp(block_drivers[i]->format_name, name)) {
            return block_drivers[i];
        }
    }
    return NULL;
}

const char *bdrv_get_driver_name(const BlockDriver *drv)
{
    return drv->format_name;
}

static BlockDriverState *bdrv_new_node(const BlockDriver *drv, int flags)
{
    BlockDriverState *bs = g_new0(BlockDriverState, 1);

    bs->drv = drv;
    bs->opaque = g_malloc0(drv->instance_size);
    bs->open_flags = flags;
    bs->read_only = !(flags & BDRV_O_RDWR);
    bs->refcnt = 1;
    bs->request_alignment = 1;
    return bs;
}

static void bdrv_child_free(BdrvChild *child)
{
    if (child) {
        bdrv_unref(child->bs);
        g_free(child->name);
        g_free(child);
    }
}

static BdrvChild *bdrv_child_new(BlockDriverState *bs, const char *name)
{
    BdrvChild *child = g_new0(BdrvChild, 1);

    child->bs = bs;
    child->name = g_strdup(name);
    return child;
}

void bdrv_unref(BlockDriverState *bs)
{
    if (!bs || --bs->refcnt > 0) {
        return;
    }
    if (!bs->read_only && !(bs->open_flags & BDRV_O_NO_IO)) {
        bdrv_flush(bs);
    }
    if (bs->drv->bdrv_close) {
        bs->drv->bdrv_close(bs);
    }
    bdrv_child_free(bs->backing);
    bdrv_child_free(bs->file);
    qobject_free(bs->full_options);
    g_free(bs->filename);
    g_free(bs->exact_filename);
    g_free(bs->backing_file);
    g_free(bs->backing_format);
    g_free(bs->opaque);
    g_free(bs);
}

int bdrv_inactivate(BlockDriverState *bs, GPtrArray *errors)
{
    if (!bs || bs->read_only || (bs->open_flags & BDRV_O_NO_IO) ||
        !bs->drv->bdrv_inactivate) {
        return 0;
    }
    return bs->drv->bdrv_inactivate(bs, errors);
}

BdrvChild *bdrv_root_attach(BlockDriverState *bs)
{
    return bdrv_child_new(bs, "root");
}

void bdrv_root_detach(BdrvChild *child)
{
    bdrv_child_free(child);
}

/* Report the first option no driver consumed. */
static bool bdrv_check_leftovers(BlockDriverState *bs, QObject *options,
                                 Error **errp)
{
    const QDictEntry *e = qdict_first(options);

    if (!e) {
        return true;
    }
    /* 7.2 words it differently for protocols and formats. */
    error_setg(errp, "Block %s '%s' %s support the option '%s'",
               bs->drv->is_protocol ? "protocol" : "format",
               bs->drv->format_name,
               bs->drv->is_protocol ? "doesn't" : "does not",
               qdict_entry_key(e));
    return false;
}

/*
 * Whether @bs's backing node was opened with options of its own (it has
 * a json:{...} name): 7.2 then describes it inside @bs's name.
 */
static bool bdrv_backing_overridden(const BlockDriverState *bs)
{
    return bs->backing && bs->backing->bs->filename &&
           g_str_has_prefix(bs->backing->bs->filename, "json:");
}

/* The compact JSON description of a node, as in "json:{...}" names. */
static QObject *bdrv_describe(const BlockDriverState *bs)
{
    QObject *dict = qobject_new_dict();
    const QDictEntry *e;

    qdict_put_str(dict, "driver", bs->drv->format_name);
    if (bs->drv->is_protocol) {
        qdict_put_str(dict, "filename", bs->exact_filename);
        return dict;
    }
    for (e = qdict_first(bs->full_options); e;
         e = qdict_next(bs->full_options, e)) {
        qdict_put(dict, qdict_entry_key(e),
                  qobject_copy(qdict_entry_value(e)));
    }
    if (bs->file) {
        qdict_put(dict, "file", bdrv_describe(bs->file->bs));
    }
    if (bdrv_backing_overridden(bs)) {
        qdict_put(dict, "backing", bdrv_describe(bs->backing->bs));
    }
    return dict;
}

/*
 * A format node whose only options are its driver and a plain file shows
 * the file's name; anything else shows as json:{...}, as 7.2 does.
 */
static void bdrv_refresh_filename(BlockDriverState *bs)
{
    g_autoptr(QObject) desc = NULL;
    g_autofree char *json = NULL;

    g_free(bs->filename);
    if (bs->drv->is_protocol) {
        bs->filename = g_strdup(bs->exact_filename);
        return;
    }
    if (0 == qdict_size(bs->full_options) && bs->file &&
        bs->file->bs->exact_filename && !bdrv_backing_overridden(bs)) {
        g_free(bs->exact_filename);
        bs->exact_filename = g_strdup(bs->file->bs->exact_filename);
        bs->filename = g_strdup(bs->exact_filename);
        return;
    }
    desc = bdrv_describe(bs);
    json = qobject_to_json(desc, false);
    bs->filename = g_strdup_printf("json:%s", json);
}

void bdrv_debug_event(BdrvChild *child, BlkdebugEvent event)
{
    BlockDriverState *bs = child ? child->bs : NULL;

    while (bs && !bs->drv->bdrv_debug_event) {
        bs = bs->file ? bs->file->bs : NULL;
    }
    if (bs) {
        bs->drv->bdrv_debug_event(bs, event);
    }
}

/* The protocol driver whose "name:" prefix @filename carries, or NULL. */
static const BlockDriver *bdrv_find_protocol_prefix(const char *filename)
{
    for (size_t i = 0; filename && i < G_N_ELEMENTS(block_drivers); i++) {
        const char *name = block_drivers[i]->protocol_name;
        size_t len = name ? strlen(name) : 0;

        if (len && 0 == strncmp(filename, name, len) &&
            ':' == filename[len]) {
            return block_drivers[i];
        }
    }
    return NULL;
}

BlockDriverState *bdrv_open_protocol(QObject *options, int flags,
                                     Error **errp)
{
    g_autofree char *drvname = NULL;
    const BlockDriver *drv = &bdrv_file;
    const char *filename = qdict_get_str(options, "filename");
    BlockDriverState *bs;
    int ret;

    if (qdict_get_str(options, "driver")) {
        drvname = g_strdup(qdict_get_str(options, "driver"));
        qdict_del(options, "driver");
        drv = bdrv_find_format(drvname);
        if (!drv || !drv->is_protocol) {
            error_setg(errp, "Unknown protocol '%s'", drvname);
            return NULL;
        }
    } else if (bdrv_find_protocol_prefix(filename)) {
        drv = bdrv_find_protocol_prefix(filename);
    }
    if (drv->bdrv_parse_filename && filename) {
        g_autofree char *name = g_strdup(filename);

        qdict_del(options, "filename");
        if (drv->bdrv_parse_filename(name, options, errp) < 0) {
            return NULL;
        }
    }
    bs = bdrv_new_node(drv, flags);
    ret = drv->bdrv_open(bs, options, flags, errp);
    if (ret < 0) {
        bdrv_unref(bs);
        return NULL;
    }
    if (!bdrv_check_leftovers(bs, options, errp)) {
        bdrv_unref(bs);
        return NULL;
    }
    bdrv_refresh_filename(bs);
    return bs;
}

const BlockDriver *bdrv_probe_buf(const uint8_t *buf, int len,
                                  const char *filename)
{
    const BlockDriver *best = &bdrv_raw;
    int best_score = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(block_drivers); i++) {
        const BlockDriver *drv = block_drivers[i];
        int score;

        if (!drv->bdrv_probe) {
            continue;
        }
        score = drv->bdrv_probe(buf, len, filename);
        if (score > best_score) {
            best_score = score;
            best = drv;
        }
    }
    return best;
}

/* Guess the format from the first bytes of @file; raw when nothing fits. */
static const BlockDriver *bdrv_probe_format(BlockDriverState *file,
                                            const char *filename,
                                            Error **errp)
{
    uint8_t buf[BLOCK_PROBE_BUF_SIZE] = { 0 };
    BdrvChild tmp = { .bs = file, .name = (char *)"probe" };
    int64_t len = bdrv_getlength(file);
    int ret;

    if (len < 0) {
        error_setg_errno(errp, (int)-len, "Could not determine image size");
        return NULL;
    }
    ret = bdrv_pread(&tmp, 0, MIN(len, (int64_t)sizeof(buf)), buf, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read image for determining "
                         "its format");
        return NULL;
    }
    return bdrv_probe_buf(buf, MIN(len, (int64_t)sizeof(buf)), filename);
}

/* Merge a "json:{...}" file name into @options (explicit options win). */
static bool bdrv_parse_json_filename(const char *filename, QObject *options,
                                     Error **errp)
{
    g_autoptr(QObject) parsed = qobject_from_json(filename + 5, errp);
    const QDictEntry *e;

    if (!parsed) {
        error_prepend(errp, "Could not parse the JSON options: ");
        return false;
    }
    if (QTYPE_QDICT != qobject_type(parsed)) {
        error_setg(errp, "Invalid JSON object given");
        return false;
    }
    qdict_flatten(parsed);
    for (e = qdict_first(parsed); e; e = qdict_next(parsed, e)) {
        if (!qdict_haskey(options, qdict_entry_key(e))) {
            qdict_put(options, qdict_entry_key(e),
                      qobject_copy(qdict_entry_value(e)));
        }
    }
    return true;
}

static BlockDriverState *bdrv_open_file_child(const char *filename,
                                              QObject *options, int flags,
                                              Error **errp)
{
    g_autoptr(QObject) file_opts = qdict_extract_subqdict(options, "file.");

    if (!qdict_haskey(file_opts, "filename") &&
        (filename || !qdict_haskey(file_opts, "driver"))) {
        if (!filename) {
            error_setg(errp, "A block device must be specified for "
                       "\"file\"");
            return NULL;
        }
        qdict_put_str(file_opts, "filename", filename);
    }
    return bdrv_open_protocol(file_opts, flags, errp);
}

char *bdrv_path_combine(const char *base, const char *name)
{
    const char *slash;

    /* Absolute names and URLs stand alone; others are relative to the
     * directory of the image that names them. */
    if (!base || '/' == name[0] || strstr(name, "://") ||
        g_str_has_prefix(base, "json:")) {
        return g_strdup(name);
    }
    slash = strrchr(base, '/');
    if (!slash) {
        return g_strdup(name);
    }
    return g_strdup_printf("%.*s%s", (int)(slash - base + 1), base, name);
}

char *bdrv_get_full_backing_filename(const BlockDriverState *bs)
{
    if (!bs->backing_file) {
        return NULL;
    }
    return bdrv_path_combine(bs->exact_filename ? bs->exact_filename :
                             (bs->file ? bs->file->bs->exact_filename :
                              NULL), bs->backing_file);
}

/* As QEMU's path_has_protocol(): a ':' before any '/' ("nbd:", "json:"). */
static bool bdrv_path_has_protocol(const char *name)
{
    const char *colon = strchr(name, ':');
    const char *slash = strchr(name, '/');

    return colon && (!slash || colon < slash);
}

/* The name relative backing file names of @bs are resolved against. */
static const char *bdrv_dir_base(const BlockDriverState *bs)
{
    if (bs->exact_filename) {
        return bs->exact_filename;
    }
    return bs->file ? bs->file->bs->exact_filename : NULL;
}

/*
 * Whether @name, relative to @bs's directory, is the same file as the
 * backing file @bs names (both canonicalised).
 */
static bool bdrv_backing_is_file(const BlockDriverState *bs,
                                 const char *name)
{
    g_autofree char *combined = bdrv_path_combine(bdrv_dir_base(bs), name);
    g_autofree char *backing = bdrv_get_full_backing_filename(bs);
    g_autofree char *real_name = NULL;
    g_autofree char *real_backing = NULL;

    if (!backing) {
        return false;
    }
    real_name = realpath(combined, NULL);
    real_backing = realpath(backing, NULL);
    return real_name && real_backing && 0 == strcmp(real_name, real_backing);
}

BlockDriverState *bdrv_find_backing_image(BlockDriverState *bs,
                                          const char *name)
{
    for (; bs->backing; bs = bs->backing->bs) {
        BlockDriverState *below = bs->backing->bs;
        g_autofree char *full = NULL;

        /*
         * As 7.2: a backing node opened with options of its own (a json:
         * name) only matches its exact name; protocol names compare as
         * strings; plain paths as canonical file names.
         */
        if (g_str_has_prefix(below->filename, "json:")) {
            if (0 == strcmp(name, below->filename)) {
                return below;
            }
            continue;
        }
        if (bdrv_path_has_protocol(name) ||
            (bs->backing_file && bdrv_path_has_protocol(bs->backing_file))) {
            full = bdrv_get_full_backing_filename(bs);
            if ((bs->backing_file && 0 == strcmp(name, bs->backing_file)) ||
                (full && 0 == strcmp(name, full))) {
                return below;
            }
            continue;
        }
        if (bdrv_backing_is_file(bs, name)) {
            return below;
        }
    }
    return NULL;
}

/* Open the backing file the image names, read-only, with "backing.*". */
static int bdrv_open_backing(BlockDriverState *bs, QObject *backing_opts,
                             int flags, Error **errp)
{
    g_autofree char *name = bdrv_get_full_backing_filename(bs);
    BlockDriverState *backing;

    if (!name || (flags & BDRV_O_NO_BACKING)) {
        return 0;
    }
    if (bs->backing_format && !qdict_haskey(backing_opts, "driver")) {
        qdict_put_str(backing_opts, "driver", bs->backing_format);
    }
    backing = bdrv_open(name, qobject_copy(backing_opts),
                        flags & ~(BDRV_O_RDWR | BDRV_O_RESIZE), errp);
    if (!backing) {
        error_prepend(errp, "Could not open backing file: ");
        return -EIO;
    }
    bs->backing = bdrv_child_new(backing, "backing");
    return 0;
}

static int bdrv_open_format(BlockDriverState *bs, QObject *options,
                            int flags, Error **errp)
{
    g_autoptr(QObject) backing_opts = qdict_extract_subqdict(options,
                                                             "backing.");
    int64_t len;
    int ret;

    bs->full_options = qobject_copy(options);
    ret = bs->drv->bdrv_open(bs, options, flags, errp);
    if (ret < 0) {
        return ret;
    }
    /* A driver that cannot size its disk (a LUKS payload past EOF). */
    len = bdrv_getlength(bs);
    if (len < 0) {
        error_setg_errno(errp, (int)-len,
                         "Could not refresh total sector count");
        return (int)len;
    }
    if (!bdrv_check_leftovers(bs, options, errp)) {
        return -EINVAL;
    }
    bdrv_refresh_filename(bs);
    ret = bdrv_open_backing(bs, backing_opts, flags, errp);
    if (0 == ret && bdrv_backing_overridden(bs)) {
        bdrv_refresh_filename(bs);
    }
    return ret;
}

/*
 * The generic "read-only" option ("on"/"off", or a JSON bool) overrides
 * BDRV_O_RDWR in @flags; qemu-img commit uses "backing.read-only=off" to
 * open its base writable.
 */
static bool bdrv_take_read_only(QObject *options, int *flags, Error **errp)
{
    g_autoptr(QObject) value = qdict_take(options, "read-only");
    bool read_only;

    if (!value) {
        return true;
    }
    if (QTYPE_QBOOL == qobject_type(value)) {
        read_only = qobject_get_bool(value);
    } else if (QTYPE_QSTRING == qobject_type(value) &&
               (0 == strcmp(qobject_get_str(value), "on") ||
                0 == strcmp(qobject_get_str(value), "off"))) {
        read_only = 0 == strcmp(qobject_get_str(value), "on");
    } else {
        error_setg(errp, "Parameter 'read-only' expects 'on' or 'off'");
        return false;
    }
    *flags = read_only ? *flags & ~(BDRV_O_RDWR | BDRV_O_RESIZE)
                       : *flags | BDRV_O_RDWR;
    return true;
}

BlockDriverState *bdrv_open(const char *filename, QObject *options_in,
                            int flags, Error **errp)
{
    g_autoptr(QObject) options = options_in ? options_in : qobject_new_dict();
    g_autofree char *drvname = NULL;
    const BlockDriver *drv = NULL;
    BlockDriverState *file, *bs;

    if (filename && g_str_has_prefix(filename, "json:")) {
        if (!bdrv_parse_json_filename(filename, options, errp)) {
            return NULL;
        }
        filename = NULL;
    }
    if (!bdrv_take_read_only(options, &flags, errp)) {
        return NULL;
    }
    if (!filename && !qdict_haskey(options, "driver") &&
        !qdict_haskey(options, "file.filename") &&
        !qdict_haskey(options, "file.driver")) {
        error_setg(errp, "Must specify either driver or file");
        return NULL;
    }
    if (qdict_get_str(options, "driver")) {
        drvname = g_strdup(qdict_get_str(options, "driver"));
        drv = bdrv_find_format(drvname);
        if (!drv) {
            error_setg(errp, "Unknown driver '%s'", drvname);
            return NULL;
        }
        if (drv->is_protocol) {
            if (filename && !qdict_haskey(options, "filename")) {
                qdict_put_str(options, "filename", filename);
            }
            return bdrv_open_protocol(options, flags, errp);
        }
        qdict_del(options, "driver");
    }
    /* Locks are taken once the format (and so its needs) is known. */
    file = bdrv_open_file_child(filename, options,
                                flags | BDRV_O_DEFER_LOCKS, errp);
    if (!file) {
        return NULL;
    }
    if (!drv) {
        drv = bdrv_probe_format(file, file->filename, errp);
        if (!drv) {
            bdrv_unref(file);
            return NULL;
        }
    }
    if (file->drv->bdrv_lock &&
        file->drv->bdrv_lock(file, drv->protects_metadata ?
                             flags | BDRV_O_PROTECT_METADATA : flags,
                             errp) < 0) {
        bdrv_unref(file);
        return NULL;
    }
    bs = bdrv_new_node(drv, flags);
    bs->probed = !drvname;
    bs->file = bdrv_child_new(file, "file");
    if (bdrv_open_format(bs, options, flags, errp) < 0) {
        bdrv_unref(bs);
        return NULL;
    }
    return bs;
}

BdrvChild *bdrv_file_open_child(const char *filename, int flags,
                                Error **errp)
{
    g_autoptr(QObject) options = qobject_new_dict();
    BlockDriverState *bs;

    qdict_put_str(options, "filename", filename);
    bs = bdrv_open_protocol(options, flags, errp);
    return bs ? bdrv_root_attach(bs) : NULL;
}

int bdrv_create(const char *drv_name, const char *filename, QObject *opts,
                Error **errp)
{
    const BlockDriver *drv = bdrv_find_format(drv_name);

    if (!drv) {
        error_setg(errp, "Unknown file format '%s'", drv_name);
        return -ENOENT;
    }
    if (!drv->bdrv_create) {
        error_setg(errp, "Format driver '%s' does not support image "
                   "creation", drv_name);
        return -ENOTSUP;
    }
    return drv->bdrv_create(filename, opts, errp);
}

int bdrv_measure(const BlockDriver *drv, const QObject *opts,
                 BlockDriverState *in_bs, BlockMeasureInfo *info,
                 Error **errp)
{
    memset(info, 0, sizeof(*info));
    if (!drv->bdrv_measure) {
        error_setg(errp, "Block driver '%s' does not support size "
                   "measurement", drv->format_name);
        return -ENOTSUP;
    }
    return drv->bdrv_measure(opts, in_bs, info, errp);
}

int bdrv_amend_options(BlockDriverState *bs, QObject *opts, bool force,
                       Error **errp)
{
    if (!bs->drv->bdrv_amend_options) {
        error_setg(errp, "Format driver '%s' does not support option "
                   "amendment", bs->drv->format_name);
        return -ENOTSUP;
    }
    return bs->drv->bdrv_amend_options(bs, opts, force, errp);
}

/*
 * 7.2 names an unnamed node by an automatic node name, "#block" with a
 * counter (1 for the image qemu-img opens first) and two random digits.
 */
static char *bdrv_auto_node_name(void)
{
    return g_strdup_printf("#block1%02d", g_random_int_range(0, 100));
}

int bdrv_bitmap_change(BlockDriverState *bs, const BdrvBitmapChange *change,
                       Error **errp)
{
    g_autofree char *node_name = bdrv_auto_node_name();
    uint32_t g = change->granularity;

    /* The checks of 7.2's block-dirty-bitmap-add before the driver's. */
    if (BDRV_BITMAP_ADD == change->action) {
        if (!change->name[0]) {
            error_setg(errp, "Bitmap name cannot be empty");
            return -EINVAL;
        }
        if (g && (g < 512 || (g & (g - 1)))) {
            error_setg(errp, "Granularity must be power of 2 and at least "
                       "512");
            return -EINVAL;
        }
    }
    if (bs->drv->bdrv_bitmap_change) {
        return bs->drv->bdrv_bitmap_change(bs, change, node_name, errp);
    }
    if (BDRV_BITMAP_ADD == change->action) {
        error_setg_errno(errp, ENOTSUP, "Can't store persistent bitmaps to "
                         "%s", node_name);
        return -ENOTSUP;
    }
    error_setg(errp, "Dirty bitmap '%s' not found", change->name);
    return -ENOENT;
}

GArray *bdrv_bitmap_list(BlockDriverState *bs)
{
    return bs->drv->bdrv_bitmap_list ? bs->drv->bdrv_bitmap_list(bs) : NULL;
}

void bdrv_bitmap_list_free(GArray *list)
{
    for (guint i = 0; list && i < list->len; i++) {
        g_free(g_array_index(list, BdrvBitmapInfo, i).name);
    }
    if (list) {
        g_array_free(list, TRUE);
    }
}

int bdrv_change_backing_file(BlockDriverState *bs, const char *backing_file,
                             const char *backing_fmt, Error **errp)
{
    if (backing_fmt && !backing_file) {
        /* A format without a file means nothing (7.2: -EINVAL). */
        error_setg(errp, "%s", g_strerror(EINVAL));
        return -EINVAL;
    }
    if (!bs->drv->bdrv_change_backing_file) {
        error_setg(errp, "%s", g_strerror(ENOTSUP));
        return -ENOTSUP;
    }
    if (bs->read_only) {
        error_setg(errp, "%s", g_strerror(EACCES));
        return -EACCES;
    }
    return bs->drv->bdrv_change_backing_file(bs, backing_file, backing_fmt,
                                             errp);
}

int bdrv_make_empty(BlockDriverState *bs, Error **errp)
{
    if (!bs->drv->bdrv_make_empty) {
        error_setg(errp, "Image format '%s' cannot be emptied",
                   bs->drv->format_name);
        return -ENOTSUP;
    }
    if (bs->read_only) {
        error_setg(errp, "Image is read-only");
        return -EACCES;
    }
    return bs->drv->bdrv_make_empty(bs, errp);
}

QOptDesc *bdrv_get_create_opts(const BlockDriver *drv)
{
    const QOptDesc *fmt = drv->create_opts;
    const QOptDesc *proto = bdrv_file_create_opts;
    GArray *all;

    if (!drv->bdrv_create) {
        return NULL;
    }
    all = g_array_new(TRUE, TRUE, sizeof(QOptDesc));
    for (const QOptDesc *d = fmt; d && d->name; d++) {
        g_array_append_val(all, *d);
    }
    for (const QOptDesc *d = proto; d->name && fmt != proto; d++) {
        if (!qopts_find(fmt, d->name)) {
            QOptDesc copy = *d;
            /* The protocol's values are read by name, not by struct. */
            copy.has_field = false;
            g_array_append_val(all, copy);
        }
    }
    return (QOptDesc *)g_array_free(all, FALSE);
}

const QOptDesc *bdrv_get_format_create_opts(const BlockDriver *drv)
{
    return drv->create_opts;
}

const QOptDesc *bdrv_get_amend_opts(const BlockDriver *drv)
{
    return drv->amend_opts;
}

int64_t bdrv_getlength(BlockDriverState *bs)
{
    int64_t len;

    if (!bs->drv->bdrv_getlength) {
        return bs->file ? bdrv_getlength(bs->file->bs) : -ENOMEDIUM;
    }
    len = bs->drv->bdrv_getlength(bs);
    /* 7.2 counts every node in whole sectors: a 100-byte file is 512. */
    if (len > 0 && len <= INT64_MAX - (int64_t)BDRV_SECTOR_SIZE) {
        len = ROUND_UP(len, (int64_t)BDRV_SECTOR_SIZE);
    }
    return len;
}

int64_t bdrv_get_allocated_file_size(BlockDriverState *bs)
{
    if (bs->drv->bdrv_get_allocated_file_size) {
        return bs->drv->bdrv_get_allocated_file_size(bs);
    }
    if (bs->file) {
        return bdrv_get_allocated_file_size(bs->file->bs);
    }
    return -ENOTSUP;
}

int bdrv_truncate(BdrvChild *child, int64_t offset, bool exact,
                  PreallocMode prealloc, Error **errp)
{
    BlockDriverState *bs = child->bs;

    if (offset < 0) {
        error_setg(errp, "Image size cannot be negative");
        return -EINVAL;
    }
    if (bs->read_only) {
        error_setg(errp, "Image is read-only");
        return -EACCES;
    }
    if (!bs->drv->bdrv_truncate) {
        error_setg(errp, "Image format driver does not support resize");
        return -ENOTSUP;
    }
    return bs->drv->bdrv_truncate(bs, offset, exact, prealloc, errp);
}

const char *bdrv_get_format_name(const BlockDriverState *bs)
{
    return bs->drv->format_name;
}

const BlockDriver *bdrv_get_driver(const BlockDriverState *bs)
{
    return bs->drv;
}

const char *bdrv_get_filename(const BlockDriverState *bs)
{
    return bs->filename;
}

BlockDriverState *bdrv_get_file(const BlockDriverState *bs)
{
    return bs->file ? bs->file->bs : NULL;
}

BlockDriverState *bdrv_get_backing(const BlockDriverState *bs)
{
    return bs->backing ? bs->backing->bs : NULL;
}

const char *bdrv_get_backing_filename(const BlockDriverState *bs)
{
    return bs->backing_file;
}

const char *bdrv_get_backing_format(const BlockDriverState *bs)
{
    return bs->backing_format;
}

bool bdrv_is_encrypted(const BlockDriverState *bs)
{
    return bs->encrypted;
}

bool bdrv_format_was_probed(const BlockDriverState *bs)
{
    return bs->probed;
}

bool bdrv_is_read_only(const BlockDriverState *bs)
{
    return bs->read_only;
}

int bdrv_get_flags(const BlockDriverState *bs)
{
    return bs->open_flags;
}

int bdrv_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    memset(bdi, 0, sizeof(*bdi));
    if (!bs->drv->bdrv_get_info) {
        return -ENOTSUP;
    }
    return bs->drv->bdrv_get_info(bs, bdi);
}

int bdrv_check(BlockDriverState *bs, BdrvCheckResult *res,
               BdrvCheckMode fix)
{
    memset(res, 0, sizeof(*res));
    if (!bs->drv->bdrv_check) {
        return -ENOTSUP;
    }
    return bs->drv->bdrv_check(bs, res, fix);
}

QObject *bdrv_get_specific_info(BlockDriverState *bs, Error **errp)
{
    if (!bs->drv->bdrv_get_specific_info) {
        return NULL;
    }
    return bs->drv->bdrv_get_specific_info(bs, errp);
}

bool bdrv_has_zero_init(BlockDriverState *bs)
{
    if (bs->drv->bdrv_has_zero_init) {
        return bs->drv->bdrv_has_zero_init(bs);
    }
    return bs->drv->is_protocol;
}

uint32_t bdrv_get_request_alignment(const BlockDriverState *bs)
{
    return bs->request_alignment;
}
