/*
 * qemu-io's image management: opening (command line and "open"), option
 * strings, cache and discard modes, close and reopen.
 */
#include "qemu/osdep.h"

#include "qapi/keyval.h"
#include "qemu-io.h"

bool qemuio_parse_cache_mode(const char *mode, QemuIOOpenConf *conf)
{
    int flags = conf->flags & ~BDRV_O_NOCACHE;
    bool writethrough = false;
    bool no_flush = false;

    if (!strcmp(mode, "none") || !strcmp(mode, "off")) {
        flags |= BDRV_O_NOCACHE;
    } else if (!strcmp(mode, "directsync")) {
        flags |= BDRV_O_NOCACHE;
        writethrough = true;
    } else if (!strcmp(mode, "writethrough")) {
        writethrough = true;
    } else if (!strcmp(mode, "unsafe")) {
        no_flush = true;
    } else if (strcmp(mode, "writeback")) {
        return false;
    }
    conf->flags = flags;
    conf->writethrough = writethrough;
    conf->no_flush = no_flush;
    return true;
}

bool qemuio_parse_discard_mode(const char *mode, int *flags)
{
    if (!strcmp(mode, "off") || !strcmp(mode, "ignore")) {
        *flags &= ~BDRV_O_UNMAP;
    } else if (!strcmp(mode, "on") || !strcmp(mode, "unmap")) {
        *flags |= BDRV_O_UNMAP;
    } else {
        return false;
    }
    return true;
}

bool qemuio_parse_aio_mode(const char *mode, bool *native)
{
    if (!strcmp(mode, "native")) {
        *native = true;
    } else if (!strcmp(mode, "threads") || !strcmp(mode, "io_uring")) {
        *native = false;
    } else {
        return false;
    }
    return true;
}

/* Append @text to @out with commas doubled, as keyval strings quote them. */
static void qemuio_append_escaped(GString *out, const char *text)
{
    for (; *text; text++) {
        if (*text == ',') {
            g_string_append_c(out, ',');
        }
        g_string_append_c(out, *text);
    }
}

/*
 * Split off the next element of a -o style string at @*p (",," is a
 * literal comma) and advance @*p past it.  Returns: the element, unquoted.
 */
static GString *qemuio_next_element(const char **p)
{
    GString *elem = g_string_new(NULL);
    const char *q = *p;

    for (; *q; q++) {
        if (*q == ',' && q[1] == ',') {
            g_string_append_c(elem, ',');
            q++;
        } else if (*q == ',') {
            q++;
            break;
        } else {
            g_string_append_c(elem, *q);
        }
    }
    *p = q;
    return elem;
}

/*
 * 7.2 parses -o and --image-opts strings with QemuOpts, which still takes
 * a bare "name" as name=on and "noname" as name=off, with a warning.
 * Rewrite such elements explicitly, then parse with keyval.
 */
bool qemuio_opts_parse(QObject *dict, const char *optstr, Error **errp)
{
    g_autoptr(GString) norm = g_string_new(NULL);
    const char *p = optstr;

    while (*p) {
        g_autoptr(GString) elem = qemuio_next_element(&p);
        const char *eq = strchr(elem->str, '=');

        if (norm->len) {
            g_string_append_c(norm, ',');
        }
        if (eq) {
            qemuio_append_escaped(norm, elem->str);
            continue;
        }
        if (!strcmp(elem->str, "help") || !strcmp(elem->str, "?")) {
            qemuio_append_escaped(norm, elem->str);
            continue;
        }
        warn_report("short-form boolean option '%s' deprecated", elem->str);
        if (g_str_has_prefix(elem->str, "no")) {
            fprintf(stderr, "Please use %s=off instead\n", elem->str + 2);
            qemuio_append_escaped(norm, elem->str + 2);
            g_string_append(norm, "=off");
        } else {
            fprintf(stderr, "Please use %s=on instead\n", elem->str);
            qemuio_append_escaped(norm, elem->str);
            g_string_append(norm, "=on");
        }
    }
    return keyval_parse_into(dict, norm->str, NULL, errp);
}

/* The warning 7.2's raw driver prints when it was only guessed. */
static void qemuio_warn_probed_raw(BlockDriverState *bs)
{
    BlockDriverState *file = bdrv_get_file(bs);

    fprintf(stderr,
            "WARNING: Image format was not specified for '%s' and probing "
            "guessed raw.\n"
            "         Automatically detecting the format is dangerous for "
            "raw images, write operations on block 0 will be restricted.\n"
            "         Specify the 'raw' format explicitly to remove the "
            "restrictions.\n",
            bdrv_get_filename(file ? file : bs));
}

/*
 * Work out whether to share the image with writers: -U, or the
 * "force-share" option, which in 7.2 belongs to the tool's BlockBackend
 * rather than to a driver (so it is taken out of @opts here).
 * Returns: 1 to share, 0 not to, -1 on a conflict (printed).
 */
static int qemuio_force_share(QObject *opts, const QemuIOOpenConf *conf)
{
    g_autoptr(QObject) fs = qdict_take(opts, "force-share");
    bool share = conf->force_share;

    if (fs && qobject_type(fs) == QTYPE_QSTRING) {
        if (!strcmp(qobject_get_str(fs), "on")) {
            share = true;
        } else if (conf->force_share) {
            error_report("-U conflicts with image options");
            return -1;
        }
    }
    return share;
}

/*
 * The create options of -s's overlay: backed by @base, under the name this
 * block layer gives it (a path made absolute, as the overlay lives in
 * another directory, or a json:{...} description with all its options).
 */
static QObject *qemuio_overlay_opts(BlockDriverState *base, int64_t len)
{
    QObject *create = qobject_new_dict();
    const char *name = bdrv_get_filename(base);
    g_autofree char *size = g_strdup_printf("%" PRId64, len);
    g_autofree char *backing = NULL;

    if (g_str_has_prefix(name, "json:") || g_path_is_absolute(name)) {
        backing = g_strdup(name);
    } else {
        backing = g_canonicalize_filename(name, NULL);
    }
    qdict_put_str(create, "backing_file", backing);
    qdict_put_str(create, "backing_fmt", bdrv_get_format_name(base));
    qdict_put_str(create, "size", size);
    return create;
}

/*
 * -s, as in 7.2: put a temporary qcow2 overlay (in $TMPDIR or /var/tmp)
 * over the image, opened read-only, so that writes vanish on close.  The
 * overlay leaves the directory as soon as it is open; its name is kept in
 * @s->overlay.
 * Returns: the overlay's node, or NULL with @errp set.
 */
static BlockDriverState *qemuio_open_snapshot(QemuIOState *s,
                                              const char *name,
                                              QObject *opts, int flags,
                                              Error **errp)
{
    const char *tmpdir = g_getenv("TMPDIR");
    g_autofree char *tmp = g_build_filename(tmpdir ? tmpdir : "/var/tmp",
                                            "vl.XXXXXX", NULL);
    g_autoptr(QObject) create = NULL;
    BlockDriverState *base, *bs;
    int64_t len;
    int fd;

    base = bdrv_open(name, opts, flags & ~BDRV_O_RDWR, errp);
    if (!base) {
        return NULL;
    }
    len = bdrv_getlength(base);
    create = len < 0 ? NULL : qemuio_overlay_opts(base, len);
    bdrv_unref(base);
    if (len < 0) {
        error_setg_errno(errp, (int)-len, "Could not get image size");
        return NULL;
    }
    fd = g_mkstemp(tmp);
    if (fd < 0) {
        error_setg_errno(errp, errno, "Could not open temporary file '%s'",
                         tmp);
        return NULL;
    }
    close(fd);
    if (bdrv_create("qcow2", tmp, create, errp) < 0) {
        unlink(tmp);
        return NULL;
    }
    opts = qobject_new_dict();
    qdict_put_str(opts, "driver", "qcow2");
    bs = bdrv_open(tmp, opts, flags, errp);
    unlink(tmp);
    if (bs) {
        g_free(s->overlay);
        s->overlay = g_steal_pointer(&tmp);
    }
    return bs;
}

/* Print why opening failed, naming the image as 7.2 does. */
static void qemuio_report_open_err(const char *name, Error *err)
{
    if (name) {
        error_prepend(&err, "can't open device %s: ", name);
    } else {
        error_prepend(&err, "can't open: ");
    }
    error_report_err(err);
}

int qemuio_open(QemuIOState *s, const char *name, QObject *opts,
                const QemuIOOpenConf *conf)
{
    g_autoptr(QObject) options = opts ? opts : qobject_new_dict();
    g_autoptr(QObject) saved = NULL;
    Error *err = NULL;
    BlockDriverState *bs;
    int flags = conf->flags;
    int share;

    if (s->blk) {
        error_report("file open already, try 'help close'");
        return -EBUSY;
    }
    share = qemuio_force_share(options, conf);
    if (share < 0) {
        return -EINVAL;
    }
    flags |= share ? BDRV_O_FORCE_SHARE : 0;
    if (conf->native_aio && !(flags & BDRV_O_NOCACHE)) {
        error_setg(&err, "aio=native was specified, but it requires "
                   "cache.direct=on, which was not specified.");
        qemuio_report_open_err(name, err);
        return -EINVAL;
    }
    saved = qobject_copy(options);
    bs = conf->snapshot
         ? qemuio_open_snapshot(s, name, g_steal_pointer(&options), flags,
                                &err)
         : bdrv_open(name, g_steal_pointer(&options), flags, &err);
    if (!bs) {
        qemuio_report_open_err(name, err);
        return -EINVAL;
    }
    if (!conf->snapshot && bdrv_format_was_probed(bs) &&
        (flags & BDRV_O_RDWR) && !strcmp(bdrv_get_format_name(bs), "raw")) {
        qemuio_warn_probed_raw(bs);
    }
    s->blk = bdrv_root_attach(bs);
    s->filename = g_strdup(name);
    s->options = g_steal_pointer(&saved);
    s->flags = flags;
    s->write_perm = !!(flags & BDRV_O_RDWR);
    s->writethrough = conf->writethrough;
    s->no_flush = conf->no_flush;
    return 0;
}

void qemuio_close(QemuIOState *s)
{
    g_autoptr(GPtrArray) errors = g_ptr_array_new();

    qemuio_drain(s);
    /* As 7.2: metadata that cannot be written back is reported. */
    bdrv_inactivate(s->blk->bs, errors);
    for (guint i = 0; i < errors->len; i++) {
        error_report_err(g_ptr_array_index(errors, i));
    }
    bdrv_root_detach(s->blk);
    s->blk = NULL;
    g_clear_pointer(&s->filename, g_free);
    g_clear_pointer(&s->options, qobject_free);
    g_clear_pointer(&s->overlay, g_free);
}

int qemuio_close_f(QemuIOState *s, int argc, char **argv)
{
    qemuio_close(s);
    return 0;
}

/* What the open command's options set, before the image is named. */
typedef struct QemuIOOpenArgs {
    QemuIOOpenConf conf;
    QObject *opts;              /* -o options (owned), or NULL */
    bool readonly;
} QemuIOOpenArgs;

int qemuio_open_conf_opt(int c, const char *arg, QemuIOOpenConf *conf)
{
    switch (c) {
    case 'n':
        conf->flags |= BDRV_O_NOCACHE;
        conf->writethrough = false;
        return 1;
    case 'k':
        conf->native_aio = true;
        return 1;
    case 'U':
        conf->force_share = true;
        return 1;
    case 'i':
        if (!qemuio_parse_aio_mode(arg, &conf->native_aio)) {
            error_report("Invalid aio option: %s", arg);
            return -1;
        }
        return 1;
    case 't':
        if (!qemuio_parse_cache_mode(arg, conf)) {
            error_report("Invalid cache option: %s", arg);
            return -1;
        }
        return 1;
    case 'd':
        if (!qemuio_parse_discard_mode(arg, &conf->flags)) {
            error_report("Invalid discard option: %s", arg);
            return -1;
        }
        return 1;
    default:
        return 0;
    }
}

/*
 * Apply one option of the open command to @oa.
 * Returns: 0, -EINVAL after printing why, or -1 for a usage error.
 */
static int qemuio_open_opt(QemuIOState *s, int c, const char *arg,
                           QemuIOOpenArgs *oa)
{
    Error *err = NULL;
    int ret;

    switch (c) {
    case 'r':
        oa->readonly = true;
        return 0;
    case 's':
        oa->conf.snapshot = true;
        return 0;
    case 'C':
        /* Copy-on-read only matters with backing files; nothing to do. */
        return 0;
    case 'o':
        if (s->image_opts) {
            printf("--image-opts and 'open -o' are mutually exclusive\n");
            return -EINVAL;
        }
        if (!oa->opts) {
            oa->opts = qobject_new_dict();
        }
        if (!qemuio_opts_parse(oa->opts, arg, &err)) {
            error_report_err(err);
            return -EINVAL;
        }
        return 0;
    default:
        ret = qemuio_open_conf_opt(c, arg, &oa->conf);
        return ret > 0 ? 0 : ret < 0 ? -EINVAL : -1;
    }
}

int qemuio_open_f(QemuIOState *s, int argc, char **argv)
{
    /* As 7.2, writethrough unless -n or -t says otherwise. */
    QemuIOOpenArgs oa = { .conf.flags = BDRV_O_UNMAP,
                          .conf.writethrough = true };
    g_autoptr(QObject) opts = NULL;
    Error *err = NULL;
    int c, ret = 0;

    while (!ret && (c = getopt(argc, argv, "snCro:ki:t:d:U")) != -1) {
        ret = qemuio_open_opt(s, c, optarg, &oa);
    }
    opts = oa.opts;
    if (ret == -1) {
        qemuio_command_usage("open");
        return -EINVAL;
    }
    if (ret < 0) {
        return ret;
    }
    if (!oa.readonly) {
        oa.conf.flags |= BDRV_O_RDWR;
    }
    /* With --image-opts, the argument is an option string, not a path. */
    if (s->image_opts && optind == argc - 1) {
        opts = qobject_new_dict();
        if (!qemuio_opts_parse(opts, argv[optind], &err)) {
            error_report_err(err);
            return -EINVAL;
        }
        optind++;
    }
    if (optind < argc - 1) {
        qemuio_command_usage("open");
        return -EINVAL;
    }
    return qemuio_open(s, optind == argc - 1 ? argv[optind] : NULL,
                       g_steal_pointer(&opts), &oa.conf);
}

/* What reopen is asked to change. */
typedef struct QemuIOReopenArgs {
    QemuIOOpenConf conf;
    bool has_rw;                /* -r or -w given */
    bool has_cache;             /* -c given */
    QObject *extra;             /* driver options to change */
} QemuIOReopenArgs;

/* Parse a boolean -o option; Returns: success, or prints why not. */
static bool qemuio_reopen_bool(const char *key, const char *value, bool *on)
{
    Error *err = NULL;

    if (!keyval_parse_bool(key, value, on, &err)) {
        error_report_err(err);
        return false;
    }
    return true;
}

/*
 * Whether option @key already has @value.  The driver and the file can
 * never change on reopen; other driver options may (see qemuio_reopen_f).
 */
static bool qemuio_reopen_keeps(QemuIOState *s, const char *key,
                                const char *value)
{
    BlockDriverState *bs = s->blk->bs;
    BlockDriverState *file = bdrv_get_file(bs);
    const char *old;

    if (!strcmp(key, "driver")) {
        return !strcmp(value, bdrv_get_format_name(bs));
    }
    if (!strcmp(key, "file.driver") && file) {
        return !strcmp(value, bdrv_get_format_name(file));
    }
    if (!strcmp(key, "file.filename") && file) {
        return !strcmp(value, bdrv_get_filename(file));
    }
    old = s->options ? qdict_get_str(s->options, key) : NULL;
    return old && !strcmp(old, value);
}

/* "Cannot change the option 'KEY'", naming a child's option as 7.2 does. */
static void qemuio_report_cannot_change(const char *key)
{
    const char *dot = strrchr(key, '.');

    error_report("Cannot change the option '%s'", dot ? dot + 1 : key);
}

/*
 * A stand-in for the generated node name 7.2 puts in some messages
 * ("#block" and three digits or more, which iotests filter out).
 */
static unsigned qemuio_node_id(const QemuIOState *s)
{
    return 100 + (unsigned)(uintptr_t)s->blk % 900;
}

/* Check and apply one -o option of reopen; Returns: success, or prints. */
static bool qemuio_reopen_opt(QemuIOState *s, QemuIOReopenArgs *ra,
                              const char *key, const char *value)
{
    bool on;

    if (!strcmp(key, "read-only")) {
        if (ra->has_rw) {
            error_report("Cannot set both -r/-w and 'read-only'");
            return false;
        }
        if (!qemuio_reopen_bool(key, value, &on)) {
            return false;
        }
        /*
         * Unlike -r, the option does not drop the tool's own write access,
         * so 7.2 refuses it while the tool holds that.
         */
        if (on && s->write_perm) {
            error_report("Read-only block node '#block%03u' cannot support "
                         "read-write users", qemuio_node_id(s));
            return false;
        }
        ra->conf.flags = on ? ra->conf.flags & ~BDRV_O_RDWR
                            : ra->conf.flags | BDRV_O_RDWR;
        return true;
    }
    if (!strcmp(key, "cache.direct") || !strcmp(key, "cache.no-flush")) {
        if (ra->has_cache) {
            error_report("Cannot set both -c and the cache options");
            return false;
        }
        if (!qemuio_reopen_bool(key, value, &on)) {
            return false;
        }
        if (!strcmp(key, "cache.no-flush")) {
            ra->conf.no_flush = on;
        } else {
            ra->conf.flags = on ? ra->conf.flags | BDRV_O_NOCACHE
                                : ra->conf.flags & ~BDRV_O_NOCACHE;
        }
        return true;
    }
    if (!strcmp(key, "discard")) {
        if (!qemuio_parse_discard_mode(value, &ra->conf.flags)) {
            error_report("Invalid discard option: %s", value);
            return false;
        }
        return true;
    }
    if (qemuio_reopen_keeps(s, key, value)) {
        return true;
    }
    if (!strcmp(key, "driver") || g_str_has_prefix(key, "file.")) {
        qemuio_report_cannot_change(key);
        return false;
    }
    qdict_put_str(ra->extra, key, value);
    return true;
}

/*
 * Print why reopening failed.  A driver option the driver does not take
 * at all is one 7.2 "cannot change".
 */
static void qemuio_report_reopen_err(Error *err, const QObject *extra)
{
    const QDictEntry *e;

    for (e = qdict_first(extra); e; e = qdict_next(extra, e)) {
        g_autofree char *unknown = g_strdup_printf(
            "does not support the option '%s'", qdict_entry_key(e));

        if (g_str_has_suffix(error_get_pretty(err), unknown)) {
            qemuio_report_cannot_change(qdict_entry_key(e));
            error_free(err);
            return;
        }
    }
    error_report_err(err);
}

/*
 * Close the image and open it again with @flags and the options changed
 * by @extra.  If that fails, restore the old state so the image stays
 * open, as 7.2's reopen does.  Returns: 0 or -EINVAL (printed).
 */
static int qemuio_reopen_image(QemuIOState *s, int flags,
                               const QObject *extra)
{
    g_autofree char *name = g_strdup(s->filename);
    QObject *opts = s->options ? qobject_copy(s->options)
                               : qobject_new_dict();
    const QDictEntry *e;
    Error *err = NULL;
    BlockDriverState *bs;

    /*
     * 7.2 reopens a -s overlay's file by its name, which is gone by then;
     * this block layer cannot change driver options without that either.
     */
    if (s->overlay) {
        e = qdict_first(extra);
        if (e) {
            qemuio_report_cannot_change(qdict_entry_key(e));
        } else {
            error_report("Could not open '%s': %s", s->overlay,
                         strerror(ENOENT));
        }
        qobject_free(opts);
        return -EINVAL;
    }
    for (e = qdict_first(extra); e; e = qdict_next(extra, e)) {
        qdict_put(opts, qdict_entry_key(e),
                  qobject_copy(qdict_entry_value(e)));
    }
    qemuio_drain(s);
    bdrv_root_detach(s->blk);
    s->blk = NULL;
    bs = bdrv_open(name, qobject_copy(opts), flags, &err);
    if (bs) {
        s->blk = bdrv_root_attach(bs);
        s->flags = flags;
        qobject_free(s->options);
        s->options = opts;
        return 0;
    }
    qobject_free(opts);
    qemuio_report_reopen_err(err, extra);
    err = NULL;
    bs = bdrv_open(name, s->options ? qobject_copy(s->options) : NULL,
                   s->flags, &err);
    if (!bs) {
        qemuio_report_open_err(name, err);
        g_clear_pointer(&s->filename, g_free);
        g_clear_pointer(&s->options, qobject_free);
        return -EINVAL;
    }
    s->blk = bdrv_root_attach(bs);
    return -EINVAL;
}

/* Parse reopen's command line into @ra; Returns: 0, or < 0 (printed). */
static int qemuio_reopen_parse(QemuIOState *s, int argc, char **argv,
                               QemuIOReopenArgs *ra, QObject *opts)
{
    Error *err = NULL;
    int c;

    while ((c = getopt(argc, argv, "c:o:rw")) != -1) {
        if (c == 'r' || c == 'w') {
            if (ra->has_rw) {
                error_report("Only one -r/-w option may be given");
                return -EINVAL;
            }
            ra->has_rw = true;
            ra->conf.flags = c == 'w' ? ra->conf.flags | BDRV_O_RDWR
                                      : ra->conf.flags & ~BDRV_O_RDWR;
        } else if (c == 'c') {
            if (!qemuio_parse_cache_mode(optarg, &ra->conf)) {
                error_report("Invalid cache option: %s", optarg);
                return -EINVAL;
            }
            ra->has_cache = true;
        } else if (c == 'o') {
            if (!qemuio_opts_parse(opts, optarg, &err)) {
                error_report_err(err);
                return -EINVAL;
            }
        } else {
            qemuio_command_usage("reopen");
            return -EINVAL;
        }
    }
    if (optind != argc) {
        qemuio_command_usage("reopen");
        return -EINVAL;
    }
    return 0;
}

int qemuio_reopen_f(QemuIOState *s, int argc, char **argv)
{
    g_autoptr(QObject) opts = qobject_new_dict();
    g_autoptr(QObject) extra = qobject_new_dict();
    QemuIOReopenArgs ra = {
        .extra = extra,
        .conf = {
            .flags = s->flags,
            .writethrough = s->writethrough,
            .no_flush = s->no_flush,
        },
    };
    const QDictEntry *e;
    int ret;

    ret = qemuio_reopen_parse(s, argc, argv, &ra, opts);
    if (ret < 0) {
        return ret;
    }
    /* 7.2 gives up write access first, even if the reopen then fails. */
    if (!(ra.conf.flags & BDRV_O_RDWR)) {
        s->write_perm = false;
    }
    for (e = qdict_first(opts); e; e = qdict_next(opts, e)) {
        QObject *value = qdict_entry_value(e);

        if (qobject_type(value) == QTYPE_QSTRING &&
            !qemuio_reopen_opt(s, &ra, qdict_entry_key(e),
                               qobject_get_str(value))) {
            return -EINVAL;
        }
    }
    /* 7.2 lets -U images become writable: sharing no longer applies. */
    if (ra.conf.flags & BDRV_O_RDWR) {
        ra.conf.flags &= ~BDRV_O_FORCE_SHARE;
    }
    if (ra.conf.flags != s->flags || qdict_size(extra)) {
        ret = qemuio_reopen_image(s, ra.conf.flags, extra);
        if (ret < 0) {
            return ret;
        }
    }
    s->writethrough = ra.conf.writethrough;
    s->no_flush = ra.conf.no_flush;
    return 0;
}
