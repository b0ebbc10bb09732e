/*
 * The "blkdebug" filter protocol: fault injection for tests, with the
 * option names, config file and event semantics of QEMU 7.2's blkdebug,
 * plus our x-crash-after-writes extension (docs/tools/qemu-io.rst).
 */
#include "qemu/osdep.h"

#include "block/block_int.h"
#include "qapi/keyval.h"
#include "qemu/cutils.h"

#define BLKDEBUG_PREFIX "blkdebug:"

static const char *const blkdebug_event_names[] = {
    "l1_update", "l1_grow_alloc_table", "l1_grow_write_table",
    "l1_grow_activate_table", "l2_load", "l2_update", "l2_update_compressed",
    "l2_alloc_cow_read", "l2_alloc_write", "read_aio", "read_backing_aio",
    "read_compressed", "write_aio", "write_compressed", "vmstate_load",
    "vmstate_save", "cow_read", "cow_write", "reftable_load",
    "reftable_grow", "reftable_update", "refblock_load", "refblock_update",
    "refblock_update_part", "refblock_alloc", "refblock_alloc_hookup",
    "refblock_alloc_write", "refblock_alloc_write_blocks",
    "refblock_alloc_write_table", "refblock_alloc_switch_table",
    "cluster_alloc", "cluster_alloc_bytes", "cluster_free", "flush_to_os",
    "flush_to_disk", "pwritev_rmw_head", "pwritev_rmw_after_head",
    "pwritev_rmw_tail", "pwritev_rmw_after_tail", "pwritev", "pwritev_zero",
    "pwritev_done", "empty_image_prepare", "l1_shrink_write_table",
    "l1_shrink_free_l2_clusters", "cor_write", "cluster_alloc_space", "none",
};

_Static_assert(G_N_ELEMENTS(blkdebug_event_names) == BLKDBG__MAX,
               "one name per blkdebug event");

const QEnumLookup BlkdebugEvent_lookup = {
    .array = blkdebug_event_names,
    .size = BLKDBG__MAX,
};

/* Request kinds an inject-error rule applies to ("iotype"). */
typedef enum BlkdebugIOType {
    BLKDEBUG_IO_TYPE_READ,
    BLKDEBUG_IO_TYPE_WRITE,
    BLKDEBUG_IO_TYPE_WRITE_ZEROES,
    BLKDEBUG_IO_TYPE_DISCARD,
    BLKDEBUG_IO_TYPE_FLUSH,
    BLKDEBUG_IO_TYPE_BLOCK_STATUS,
    BLKDEBUG_IO_TYPE__MAX,
} BlkdebugIOType;

static const char *const blkdebug_iotype_names[] = {
    "read", "write", "write-zeroes", "discard", "flush", "block-status",
};

static const QEnumLookup BlkdebugIOType_lookup = {
    .array = blkdebug_iotype_names,
    .size = BLKDEBUG_IO_TYPE__MAX,
};

/*
 * Without "iotype" a rule fails reads, writes, zero writes, discards and
 * (as observed with 7.2: its close reports the failed cache flush)
 * flushes.
 */
#define BLKDEBUG_IOTYPE_DEFAULT_MASK \
    ((1u << BLKDEBUG_IO_TYPE_READ) | (1u << BLKDEBUG_IO_TYPE_WRITE) | \
     (1u << BLKDEBUG_IO_TYPE_WRITE_ZEROES) | \
     (1u << BLKDEBUG_IO_TYPE_DISCARD) | (1u << BLKDEBUG_IO_TYPE_FLUSH))

typedef enum BlkdebugRuleKind {
    BLKDEBUG_RULE_INJECT_ERROR,
    BLKDEBUG_RULE_SET_STATE,
} BlkdebugRuleKind;

/* The option names of each kind of rule, as sections and list names. */
static const char *const blkdebug_rule_names[] = {
    "inject-error", "set-state",
};

typedef struct BlkdebugRule {
    BlkdebugRuleKind kind;
    BlkdebugEvent event;
    uint64_t state;             /* only in this state; 0: any */
    /* inject-error */
    int error;                  /* errno; 0 injects nothing */
    unsigned iotype_mask;       /* 1 << BlkdebugIOType */
    int64_t offset;             /* the request must cover it; -1: any */
    bool once;                  /* forget the rule after one failure */
    /* set-state */
    uint64_t new_state;
} BlkdebugRule;

typedef struct BDRVBlkdebugState {
    GPtrArray *rules;           /* BlkdebugRule, owned, in definition order */
    GPtrArray *active;          /* armed inject-error rules, borrowed */
    uint64_t state;             /* starts at 1 */
    char *config_file;          /* for the node's name, or NULL */
    /* x-crash-after-writes: writes allowed before the "crash" */
    bool has_crash_limit;
    uint64_t crash_limit;
    uint64_t writes;            /* write-type requests seen */
    bool crashed;               /* a write was refused: nothing passes */
    bool written;               /* a write came since the last flush */
} BDRVBlkdebugState;

/* ------------------------------------------------------------------ */
/* Rules from options and config files                                 */
/* ------------------------------------------------------------------ */

/* The value of an option as text (JSON options may be numbers, bools). */
static char *blkdebug_opt_text(const QObject *value)
{
    switch (qobject_type(value)) {
    case QTYPE_QSTRING:
        return g_strdup(qobject_get_str(value));
    case QTYPE_QBOOL:
        return g_strdup(qobject_get_bool(value) ? "on" : "off");
    case QTYPE_QNUM:
        return qobject_num_to_str(value);
    default:
        return NULL;
    }
}

static bool blkdebug_parse_number(const char *name, const char *text,
                                  uint64_t *out, Error **errp)
{
    if (!text || qemu_strtou64(text, out) < 0) {
        error_setg(errp, "Parameter '%s' expects a number", name);
        return false;
    }
    return true;
}

/* Apply one key of an inject-error rule. */
static bool blkdebug_inject_key(BlkdebugRule *rule, const char *key,
                                const char *text, Error **errp)
{
    uint64_t num;
    bool flag;
    int val;

    if (0 == strcmp(key, "errno")) {
        if (!blkdebug_parse_number(key, text, &num, errp)) {
            return false;
        }
        rule->error = (int)MIN(num, (uint64_t)INT_MAX);
    } else if (0 == strcmp(key, "sector")) {
        if (!blkdebug_parse_number(key, text, &num, errp)) {
            return false;
        }
        rule->offset = num > (uint64_t)INT64_MAX / BDRV_SECTOR_SIZE
                       ? INT64_MAX : (int64_t)num * BDRV_SECTOR_SIZE;
    } else if (0 == strcmp(key, "once") || 0 == strcmp(key, "immediately")) {
        /* "immediately" only changes when 7.2 completes the request. */
        if (!keyval_parse_bool(key, text, &flag, errp)) {
            return false;
        }
        if ('o' == key[0]) {
            rule->once = flag;
        }
    } else if (0 == strcmp(key, "iotype")) {
        val = qapi_enum_parse(&BlkdebugIOType_lookup, key, text, 0, NULL);
        if (val < 0) {
            error_setg(errp, "invalid parameter value: %s", text);
            return false;
        }
        rule->iotype_mask = 1u << val;
    } else {
        return false;
    }
    return true;
}

/*
 * Apply one key of a rule.  Returns: true, or false with @errp set (an
 * unknown key leaves @errp NULL for the caller's own wording).
 */
static bool blkdebug_rule_key(BlkdebugRule *rule, const char *key,
                              const char *text, Error **errp)
{
    uint64_t num;
    int val;

    if (0 == strcmp(key, "event")) {
        val = qapi_enum_parse(&BlkdebugEvent_lookup, key, text, 0, NULL);
        if (val < 0) {
            error_setg(errp, "invalid parameter value: %s", text);
            return false;
        }
        rule->event = val;
        return true;
    }
    if (0 == strcmp(key, "state")) {
        if (!blkdebug_parse_number(key, text, &num, errp)) {
            return false;
        }
        rule->state = num;
        return true;
    }
    if (BLKDEBUG_RULE_SET_STATE == rule->kind) {
        if (0 == strcmp(key, "new_state")) {
            if (!blkdebug_parse_number(key, text, &num, errp)) {
                return false;
            }
            rule->new_state = num;
            return true;
        }
        return false;
    }
    return blkdebug_inject_key(rule, key, text, errp);
}

/*
 * Build a rule of @kind from @dict (keys without prefix).  @from_config
 * picks 7.2's wording for unknown keys of config files.
 * Returns: the rule, or NULL with @errp set.
 */
static BlkdebugRule *blkdebug_rule_new(BlkdebugRuleKind kind,
                                       const QObject *dict, bool from_config,
                                       Error **errp)
{
    g_autofree BlkdebugRule *rule = g_new0(BlkdebugRule, 1);
    bool has_event = false;
    const QDictEntry *e;

    rule->kind = kind;
    rule->error = EIO;
    rule->offset = -1;
    rule->iotype_mask = BLKDEBUG_IOTYPE_DEFAULT_MASK;
    for (e = qdict_first(dict); e; e = qdict_next(dict, e)) {
        g_autofree char *text = blkdebug_opt_text(qdict_entry_value(e));
        const char *key = qdict_entry_key(e);
        Error *local_err = NULL;

        if (blkdebug_rule_key(rule, key, text, &local_err)) {
            has_event |= 0 == strcmp(key, "event");
            continue;
        }
        if (local_err) {
            error_propagate(errp, local_err);
        } else if (from_config) {
            error_setg(errp, "Invalid parameter '%s'", key);
        } else {
            error_setg(errp, "[%s] section doesn't support the option '%s'",
                       blkdebug_rule_names[kind], key);
        }
        return NULL;
    }
    if (!has_event) {
        error_setg(errp, "Missing event name for rule");
        return NULL;
    }
    return g_steal_pointer(&rule);
}

/* Take the "inject-error.N." / "set-state.N." rules out of @options. */
static bool blkdebug_take_option_rules(BDRVBlkdebugState *s,
                                       QObject *options, Error **errp)
{
    for (int kind = 0; kind < (int)G_N_ELEMENTS(blkdebug_rule_names);
         kind++) {
        g_autofree char *prefix = g_strdup_printf("%s.",
                                                  blkdebug_rule_names[kind]);
        g_autoptr(QObject) list = qdict_extract_subqdict(options, prefix);

        for (int i = 0; qdict_size(list) > 0; i++) {
            g_autofree char *index = g_strdup_printf("%d.", i);
            g_autoptr(QObject) dict = qdict_extract_subqdict(list, index);
            BlkdebugRule *rule;

            if (0 == qdict_size(dict)) {
                error_setg(errp, "Unused option '%s' for [%s]",
                           qdict_entry_key(qdict_first(list)),
                           blkdebug_rule_names[kind]);
                return false;
            }
            rule = blkdebug_rule_new(kind, dict, false, errp);
            if (!rule) {
                return false;
            }
            g_ptr_array_add(s->rules, rule);
        }
    }
    return true;
}

/* Add the rule of the config file section @group (NULL: none yet). */
static bool blkdebug_config_section(BDRVBlkdebugState *s, const char *group,
                                    const QObject *dict, Error **errp)
{
    BlkdebugRule *rule;
    int kind;

    if (!group) {
        return true;
    }
    for (kind = 0; kind < (int)G_N_ELEMENTS(blkdebug_rule_names); kind++) {
        if (0 == strcmp(group, blkdebug_rule_names[kind])) {
            break;
        }
    }
    if (kind == (int)G_N_ELEMENTS(blkdebug_rule_names)) {
        error_setg(errp, "There is no option group '%s'", group);
        return false;
    }
    rule = blkdebug_rule_new(kind, dict, true, errp);
    if (!rule) {
        return false;
    }
    g_ptr_array_add(s->rules, rule);
    return true;
}

/*
 * Parse a 'key = "value"' line into @dict.  Like 7.2, a line of another
 * shape names a parameter by its first word, with an empty value.
 */
static void blkdebug_config_value(const char *line, QObject *dict)
{
    size_t klen = strcspn(line, " \t=");
    const char *rest = line + klen + strspn(line + klen, " \t");
    g_autofree char *key = g_strndup(line, klen);
    g_autofree char *value = NULL;
    const char *close = NULL;

    if ('=' == *rest) {
        rest += 1 + strspn(rest + 1, " \t");
        close = '"' == *rest ? strchr(rest + 1, '"') : NULL;
    }
    if (!close || 0 == klen) {
        g_free(key);
        key = g_strndup(line, strcspn(line, " \t"));
        qdict_put_str(dict, key, "");
        return;
    }
    value = g_strndup(rest + 1, close - rest - 1);
    qdict_put_str(dict, key, value);
}

/*
 * Read 7.2's config file format: "[inject-error]" or "[set-state]"
 * sections of 'key = "value"' lines; '#' starts a comment line.
 */
static bool blkdebug_read_config(BDRVBlkdebugState *s, const char *filename,
                                 Error **errp)
{
    g_autofree char *text = NULL;
    g_autofree char *group = NULL;
    g_autoptr(QObject) dict = qobject_new_dict();
    g_auto(GStrv) lines = NULL;
    GError *gerr = NULL;

    if (!g_file_get_contents(filename, &text, NULL, &gerr)) {
        int err = G_FILE_ERROR_NOENT == gerr->code ? ENOENT
                  : G_FILE_ERROR_ACCES == gerr->code ? EACCES : EIO;

        g_error_free(gerr);
        error_setg_errno(errp, err, "Could not read blkdebug config file");
        return false;
    }
    lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        const char *line = g_strstrip(lines[i]);
        size_t len = strlen(line);

        if (0 == len || '#' == line[0]) {
            continue;
        }
        if ('[' == line[0] && ']' == line[len - 1]) {
            if (!blkdebug_config_section(s, group, dict, errp)) {
                return false;
            }
            g_free(group);
            group = g_strndup(line + 1, len - 2);
            qobject_free(dict);
            dict = qobject_new_dict();
            continue;
        }
        if (!group) {
            error_setg(errp, "no group defined");
            return false;
        }
        blkdebug_config_value(line, dict);
    }
    return blkdebug_config_section(s, group, dict, errp);
}

/* ------------------------------------------------------------------ */
/* Events and requests                                                 */
/* ------------------------------------------------------------------ */

/*
 * As 7.2: the inject-error rules of an event that match the current state
 * replace the armed set; set-state rules all see the state before the
 * event and the last one that matches wins.
 */
static void blkdebug_debug_event(BlockDriverState *bs, BlkdebugEvent event)
{
    BDRVBlkdebugState *s = bs->opaque;
    uint64_t new_state = s->state;
    bool armed = false;

    for (guint i = 0; i < s->rules->len; i++) {
        BlkdebugRule *rule = g_ptr_array_index(s->rules, i);

        if (rule->event != event || (rule->state && rule->state != s->state)) {
            continue;
        }
        if (BLKDEBUG_RULE_SET_STATE == rule->kind) {
            new_state = rule->new_state;
            continue;
        }
        if (!armed) {
            g_ptr_array_set_size(s->active, 0);
            armed = true;
        }
        g_ptr_array_add(s->active, rule);
    }
    s->state = new_state;
}

/* Forget a once rule after it fired. */
static void blkdebug_rule_remove(BDRVBlkdebugState *s, BlkdebugRule *rule)
{
    g_ptr_array_remove(s->active, rule);
    g_ptr_array_remove(s->rules, rule);     /* frees it */
}

/*
 * The error the first armed rule covering the request injects.
 * Returns: 0 to let the request through, or -errno.
 */
static int blkdebug_rule_check(BlockDriverState *bs, int64_t offset,
                               int64_t bytes, BlkdebugIOType iotype)
{
    BDRVBlkdebugState *s = bs->opaque;

    for (guint i = 0; i < s->active->len; i++) {
        BlkdebugRule *rule = g_ptr_array_index(s->active, i);
        int error = rule->error;

        if (!(rule->iotype_mask & (1u << iotype)) ||
            (rule->offset >= 0 &&
             (0 == bytes || rule->offset < offset ||
              rule->offset - offset >= bytes))) {
            continue;
        }
        if (rule->once) {
            blkdebug_rule_remove(s, rule);
        }
        return -error;
    }
    return 0;
}

/*
 * x-crash-after-writes: count a request that would change the file; once
 * the limit is used up, refuse it and everything after (flushes too), as
 * if the host had died right after the last write that passed.
 * Returns: 0 to let it through, or -EIO.
 */
static int blkdebug_crash_check(BlockDriverState *bs, bool modifies)
{
    BDRVBlkdebugState *s = bs->opaque;

    if (!s->has_crash_limit) {
        return 0;
    }
    if (!s->crashed && modifies && s->writes >= s->crash_limit) {
        s->crashed = true;
    }
    if (s->crashed) {
        return -EIO;
    }
    s->writes += modifies;
    return 0;
}

static int blkdebug_check(BlockDriverState *bs, int64_t offset,
                          int64_t bytes, BlkdebugIOType iotype)
{
    BDRVBlkdebugState *s = bs->opaque;
    bool modifies = BLKDEBUG_IO_TYPE_READ != iotype &&
                    BLKDEBUG_IO_TYPE_FLUSH != iotype &&
                    BLKDEBUG_IO_TYPE_BLOCK_STATUS != iotype;
    int ret;

    s->written |= modifies;
    ret = blkdebug_rule_check(bs, offset, bytes, iotype);
    if (0 == ret && (modifies || BLKDEBUG_IO_TYPE_FLUSH == iotype)) {
        ret = blkdebug_crash_check(bs, modifies);
    }
    return ret;
}

static int blkdebug_preadv(BlockDriverState *bs, int64_t offset,
                           int64_t bytes, QEMUIOVector *qiov,
                           BdrvRequestFlags flags)
{
    int ret = blkdebug_check(bs, offset, bytes, BLKDEBUG_IO_TYPE_READ);

    return ret < 0 ? ret : bdrv_preadv(bs->file, offset, bytes, qiov, flags);
}

static int blkdebug_pwritev(BlockDriverState *bs, int64_t offset,
                            int64_t bytes, QEMUIOVector *qiov,
                            BdrvRequestFlags flags)
{
    int ret = blkdebug_check(bs, offset, bytes, BLKDEBUG_IO_TYPE_WRITE);

    return ret < 0 ? ret : bdrv_pwritev(bs->file, offset, bytes, qiov, flags);
}

static int blkdebug_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                                  int64_t bytes, BdrvRequestFlags flags)
{
    int ret = blkdebug_check(bs, offset, bytes,
                             BLKDEBUG_IO_TYPE_WRITE_ZEROES);

    return ret < 0 ? ret : bdrv_pwrite_zeroes(bs->file, offset, bytes, flags);
}

static int blkdebug_pdiscard(BlockDriverState *bs, int64_t offset,
                             int64_t bytes)
{
    int ret = blkdebug_check(bs, offset, bytes, BLKDEBUG_IO_TYPE_DISCARD);

    return ret < 0 ? ret : bdrv_pdiscard(bs->file, offset, bytes);
}

/*
 * The block layer flushes bs->file after this succeeds.  7.2 skips the
 * flush of a node nothing was written to (even unsuccessfully) since its
 * last successful flush, so rules never see such a flush.
 */
static int blkdebug_flush(BlockDriverState *bs)
{
    BDRVBlkdebugState *s = bs->opaque;
    int ret;

    if (!s->written) {
        return 0;
    }
    ret = blkdebug_check(bs, 0, 0, BLKDEBUG_IO_TYPE_FLUSH);
    if (0 == ret) {
        s->written = false;
    }
    return ret;
}

static int blkdebug_block_status(BlockDriverState *bs, int64_t offset,
                                 int64_t bytes, int64_t *pnum, int64_t *map,
                                 BlockDriverState **file)
{
    int ret = blkdebug_check(bs, offset, bytes,
                             BLKDEBUG_IO_TYPE_BLOCK_STATUS);

    if (ret < 0) {
        return ret;
    }
    ret = bdrv_block_status(bs->file->bs, offset, bytes, pnum, map, file);
    return ret < 0 ? ret : ret & ~BDRV_BLOCK_EOF;
}

static int blkdebug_truncate(BlockDriverState *bs, int64_t offset,
                             bool exact, PreallocMode prealloc, Error **errp)
{
    int ret = blkdebug_crash_check(bs, true);

    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not resize image");
        return ret;
    }
    return bdrv_truncate(bs->file, offset, exact, prealloc, errp);
}

/* 7.2 shows "disk size: unavailable" for blkdebug nodes. */
static int64_t blkdebug_get_allocated_file_size(BlockDriverState *bs)
{
    return -ENOTSUP;
}

static bool blkdebug_has_zero_init(BlockDriverState *bs)
{
    return bdrv_has_zero_init(bs->file->bs);
}

/* ------------------------------------------------------------------ */
/* Open and close                                                      */
/* ------------------------------------------------------------------ */

/* "blkdebug:[CONFIG]:IMAGE" into "config" and "x-image". */
static int blkdebug_parse_filename(const char *filename, QObject *options,
                                   Error **errp)
{
    const char *rest, *colon;

    if (!g_str_has_prefix(filename, BLKDEBUG_PREFIX)) {
        /* As 7.2: a plain name is the image itself. */
        qdict_put_str(options, "x-image", filename);
        return 0;
    }
    rest = filename + strlen(BLKDEBUG_PREFIX);
    colon = strchr(rest, ':');
    if (!colon) {
        error_setg(errp, "blkdebug requires both config file and image path");
        return -EINVAL;
    }
    if (colon > rest) {
        g_autofree char *config = g_strndup(rest, colon - rest);

        qdict_put_str(options, "config", config);
    }
    qdict_put_str(options, "x-image", colon + 1);
    return 0;
}

static bool blkdebug_take_crash_limit(BDRVBlkdebugState *s,
                                      QObject *options, Error **errp)
{
    g_autoptr(QObject) value = qdict_take(options, "x-crash-after-writes");
    g_autofree char *text = value ? blkdebug_opt_text(value) : NULL;

    if (!value) {
        return true;
    }
    if (!blkdebug_parse_number("x-crash-after-writes", text, &s->crash_limit,
                               errp)) {
        return false;
    }
    s->has_crash_limit = true;
    return true;
}

/* Open the "image" child (or the one "x-image" names) with @flags. */
static int blkdebug_open_image(BlockDriverState *bs, QObject *options,
                               int flags, Error **errp)
{
    g_autoptr(QObject) image = qdict_extract_subqdict(options, "image.");
    g_autoptr(QObject) x_image = qdict_take(options, "x-image");
    BlockDriverState *child;

    if (!qdict_haskey(image, "filename") && x_image &&
        QTYPE_QSTRING == qobject_type(x_image)) {
        qdict_put_str(image, "filename", qobject_get_str(x_image));
    }
    if (0 == qdict_size(image)) {
        error_setg(errp, "A block device must be specified for \"image\"");
        return -EINVAL;
    }
    child = bdrv_open_protocol(image, flags, errp);
    if (!child) {
        return -EINVAL;
    }
    bs->file = g_new0(BdrvChild, 1);
    bs->file->bs = child;
    bs->file->name = g_strdup("image");
    bs->request_alignment = child->request_alignment;
    return 0;
}

static int blkdebug_open(BlockDriverState *bs, QObject *options, int flags,
                         Error **errp)
{
    BDRVBlkdebugState *s = bs->opaque;
    g_autoptr(QObject) config = qdict_take(options, "config");
    int ret;

    s->rules = g_ptr_array_new_with_free_func(g_free);
    s->active = g_ptr_array_new();
    s->state = 1;
    if (config && QTYPE_QSTRING == qobject_type(config)) {
        s->config_file = g_strdup(qobject_get_str(config));
        if (!blkdebug_read_config(s, s->config_file, errp)) {
            return -EINVAL;
        }
    }
    if (!blkdebug_take_option_rules(s, options, errp) ||
        !blkdebug_take_crash_limit(s, options, errp)) {
        return -EINVAL;
    }
    ret = blkdebug_open_image(bs, options, flags, errp);
    if (ret < 0) {
        return ret;
    }
    bs->exact_filename = g_strdup_printf(BLKDEBUG_PREFIX "%s:%s",
                                         s->config_file ? s->config_file : "",
                                         bs->file->bs->filename);
    return 0;
}

static void blkdebug_close(BlockDriverState *bs)
{
    BDRVBlkdebugState *s = bs->opaque;

    if (s->active) {
        g_ptr_array_free(s->active, TRUE);
    }
    if (s->rules) {
        g_ptr_array_free(s->rules, TRUE);
    }
    g_free(s->config_file);
}

/* Locks belong to the file below. */
static int blkdebug_lock(BlockDriverState *bs, int flags, Error **errp)
{
    BlockDriverState *image = bs->file->bs;

    return image->drv->bdrv_lock ? image->drv->bdrv_lock(image, flags, errp)
                                 : 0;
}

const BlockDriver bdrv_blkdebug = {
    .format_name = "blkdebug",
    .protocol_name = "blkdebug",
    .instance_size = sizeof(BDRVBlkdebugState),
    .is_protocol = true,
    .bdrv_parse_filename = blkdebug_parse_filename,
    .bdrv_open = blkdebug_open,
    .bdrv_close = blkdebug_close,
    .bdrv_lock = blkdebug_lock,
    .bdrv_debug_event = blkdebug_debug_event,
    .bdrv_preadv = blkdebug_preadv,
    .bdrv_pwritev = blkdebug_pwritev,
    .bdrv_pwrite_zeroes = blkdebug_pwrite_zeroes,
    .bdrv_pdiscard = blkdebug_pdiscard,
    .bdrv_flush = blkdebug_flush,
    .bdrv_block_status = blkdebug_block_status,
    .bdrv_truncate = blkdebug_truncate,
    .bdrv_get_allocated_file_size = blkdebug_get_allocated_file_size,
    .bdrv_has_zero_init = blkdebug_has_zero_init,
};
