/*
 * Command-line helpers shared by qemu-img's sub-commands: the common
 * options, getopt errors, numbers and --output, reported as 7.2 does.
 */
#include "qemu/osdep.h"

#include <getopt.h>

#include "qemu-img-common.h"
#include "qemu/cutils.h"

bool img_common_option(ImgCommonOpts *o, int c, char **argv)
{
    switch (c) {
    case 'f':
        o->fmt = optarg;
        return true;
    case 'U':
        o->force_share = true;
        return true;
    case 'h':
        img_help();
        exit(EXIT_SUCCESS);
    case IMG_OPTION_OBJECT:
        img_add_object(optarg);
        return true;
    case IMG_OPTION_IMAGE_OPTS:
        o->image_opts = true;
        return true;
    case IMG_OPTION_OUTPUT:
        o->output = optarg;
        return true;
    case ':':
        img_usage_error("missing argument for option '%s'", argv[optind - 1]);
    case '?':
        img_usage_error("unrecognized option '%s'", argv[optind - 1]);
    default:
        return false;
    }
}

void img_unhandled_option(int c, char **argv)
{
    if ('h' == c) {
        img_help();
        exit(EXIT_SUCCESS);
    }
    if (':' == c) {
        img_usage_error("missing argument for option '%s'", argv[optind - 1]);
    }
    img_usage_error("unrecognized option '%s'", argv[optind - 1]);
}

int img_parse_output_format(const char *output)
{
    if (!output || 0 == strcmp(output, "human")) {
        return IMG_OUTPUT_HUMAN;
    }
    if (0 == strcmp(output, "json")) {
        return IMG_OUTPUT_JSON;
    }
    error_report("--output must be used with human or json as argument.");
    return -1;
}

bool img_check_image_opts_fmt(const ImgCommonOpts *o)
{
    if (o->image_opts && o->fmt) {
        error_report("--image-opts and --format are mutually exclusive");
        return false;
    }
    return true;
}

int64_t img_cvtnum_full(const char *name, const char *value, int64_t min,
                        int64_t max)
{
    uint64_t res;
    int err = qemu_strtosz(value, NULL, &res);

    if (err < 0 && -ERANGE != err) {
        error_report("Invalid %s specified. You may use k, M, G, T, P or E "
                     "suffixes for", name);
        error_report("kilobytes, megabytes, gigabytes, terabytes, petabytes "
                     "and exabytes.");
        return err;
    }
    if (-ERANGE == err || res > (uint64_t)max || (int64_t)res < min) {
        error_report("Invalid %s specified. Must be between %" PRId64
                     " and %" PRId64 ".", name, min, max);
        return -ERANGE;
    }
    return (int64_t)res;
}

int64_t img_cvtnum(const char *name, const char *value)
{
    return img_cvtnum_full(name, value, 0, INT64_MAX);
}

int img_parse_uint(const char *value, unsigned long max, unsigned long *res)
{
    uint64_t val;

    /* As strtoul: base prefixes, and "-1" wraps to a huge value. */
    if (qemu_strtou64_base(value, 0, &val) < 0 || val > max) {
        return -1;
    }
    *res = val;
    return 0;
}

void img_progress_init(ImgProgress *p, bool enabled, float min_skip)
{
    *p = (ImgProgress) { .enabled = enabled, .min_skip = min_skip };
}

void img_progress_print(ImgProgress *p, float delta, int max)
{
    float current = max ? p->current + delta / 100 * max : delta;

    if (!p->enabled) {
        return;
    }
    p->current = MIN(current, 100.0f);
    /* As 7.2: small steps are skipped, but 0 and 100 always show. */
    if (p->current > p->last_print + p->min_skip ||
        p->current < p->last_print - p->min_skip ||
        0 == p->current || 100 == p->current) {
        p->last_print = p->current;
        printf("    (%3.2f/100%%)\r", p->current);
        fflush(stdout);
    }
}

void img_progress_end(ImgProgress *p)
{
    if (p->enabled) {
        printf("\n");
    }
}

/*
 * Split "snapshot.id=ID,snapshot.name=NAME" as 7.2's option parser does:
 * ",," is a literal comma, a later key overrides an earlier one, a bare
 * key means "on".  Returns: false after printing 7.2's two error lines.
 */
static bool img_split_snapshot_opts(const char *arg, char **id, char **name)
{
    const char *p = arg;

    while (*p) {
        g_autoptr(GString) key = g_string_new(NULL);
        g_autoptr(GString) value = g_string_new(NULL);
        GString *cur = key;

        for (; *p; p++) {
            if (',' == *p && ',' == p[1]) {
                g_string_append_c(cur, ',');
                p++;
            } else if (',' == *p) {
                p++;
                break;
            } else if ('=' == *p && cur == key) {
                cur = value;
            } else {
                g_string_append_c(cur, *p);
            }
        }
        if (cur == key) {
            g_string_assign(value, "on");
        }
        if (0 == strcmp(key->str, "snapshot.id")) {
            g_free(*id);
            *id = g_strdup(value->str);
        } else if (0 == strcmp(key->str, "snapshot.name")) {
            g_free(*name);
            *name = g_strdup(value->str);
        } else {
            error_report("Invalid parameter '%s'", key->str);
            error_report("Failed in parsing snapshot param '%s'", arg);
            g_clear_pointer(id, g_free);
            g_clear_pointer(name, g_free);
            return false;
        }
    }
    return true;
}

bool img_check_snapshot_param(const char *arg)
{
    g_autofree char *id = NULL;
    g_autofree char *name = NULL;

    return !g_str_has_prefix(arg, "snapshot.") ||
           img_split_snapshot_opts(arg, &id, &name);
}

bool img_load_snapshot_param(BlockDriverState *bs, const char *arg)
{
    g_autofree char *id = NULL;
    g_autofree char *name = NULL;
    Error *err = NULL;
    int ret;

    if (g_str_has_prefix(arg, "snapshot.")) {
        if (!img_split_snapshot_opts(arg, &id, &name)) {
            return false;
        }
        ret = bdrv_snapshot_load_tmp(bs, id, name, &err);
    } else {
        ret = bdrv_snapshot_load_tmp_by_id_or_name(bs, arg, &err);
    }
    if (ret < 0) {
        error_prepend(&err, "Failed to load snapshot: ");
        error_report_err(err);
        return false;
    }
    return true;
}
