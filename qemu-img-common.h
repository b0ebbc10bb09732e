/*
 * Shared state and helpers of the qemu-img sub-commands.
 */
#ifndef QEMU_IMG_COMMON_H
#define QEMU_IMG_COMMON_H

#include "block/block.h"
#include "qapi/error.h"

/* Exit status of usage errors and failures. */
#define IMG_EXIT_FAILURE 1

/*
 * img_usage_error:
 * Print "qemu-img: <msg>" and the "Try 'qemu-img --help'" line, then
 * exit(1).
 */
void G_GNUC_PRINTF(1, 2) G_NORETURN img_usage_error(const char *fmt, ...);

/* img_add_object: handle one --object argument; exits on error. */
void img_add_object(const char *optarg);

/*
 * img_open:
 * @image_opts: @filename is a key=value option string (--image-opts)
 * @filename: the image
 * @fmt: the format (-f), or NULL to probe
 * @flags: BDRV_O_*
 * @cache: a -t/-T cache mode ("none", "writeback"...), or NULL
 * @quiet: -q
 * @force_share: -U
 *
 * Open an image and print errors as qemu-img does ("Could not open
 * '%s': ...").
 * Returns: the node, or NULL after printing the error.
 */
BlockDriverState *img_open(bool image_opts, const char *filename,
                           const char *fmt, int flags, const char *cache,
                           bool quiet, bool force_share);

/*
 * img_open_opts:
 * As img_open(), adding the entries of @extra (a flat dict, or NULL) to
 * the image's options, e.g. the key secret of a target convert created.
 */
BlockDriverState *img_open_opts(bool image_opts, const char *filename,
                                const char *fmt, const QObject *extra,
                                int flags, const char *cache, bool quiet,
                                bool force_share);

/*
 * img_parse_cache_mode:
 * @mode: "none", "writeback", "writethrough", "directsync", "unsafe"
 * @flags: receives BDRV_O_NOCACHE or 0
 * Returns: 0, or -1 for an unknown mode.
 */
int img_parse_cache_mode(const char *mode, int *flags);

/* img_help: print qemu-img's help text to stdout. */
void img_help(void);

/* --output values. */
typedef enum ImgOutputFormat {
    IMG_OUTPUT_HUMAN,
    IMG_OUTPUT_JSON,
} ImgOutputFormat;

/*
 * getopt_long() values of the long options img_common_option() handles;
 * a command numbers its own long options from IMG_OPTION_PRIVATE_BASE.
 */
enum {
    IMG_OPTION_OBJECT = 256,
    IMG_OPTION_IMAGE_OPTS,
    IMG_OPTION_OUTPUT,
    IMG_OPTION_PRIVATE_BASE,
};

/* What the options shared by image-opening commands set. */
typedef struct ImgCommonOpts {
    const char *fmt;            /* -f */
    const char *output;         /* --output, unchecked */
    bool image_opts;            /* --image-opts */
    bool force_share;           /* -U */
} ImgCommonOpts;

/*
 * img_common_option:
 * @o: receives -f, -U, --image-opts and --output
 * @c: what getopt_long() returned (with a ':'-prefixed option string)
 * @argv: the command's argv, for messages
 *
 * Handle an option every command treats alike: -f, -U, --object,
 * --image-opts, --output; -h prints the help and exits 0; ':' and '?'
 * print 7.2's "missing argument for option '%s'" or "unrecognized option
 * '%s'" usage errors and exit 1.
 * Returns: true if @c was handled, false if it is the caller's.
 */
bool img_common_option(ImgCommonOpts *o, int c, char **argv);

/*
 * img_unhandled_option:
 * @c: what getopt_long() returned that the command does not handle itself
 * @argv: the command's argv, for messages
 *
 * -h prints the help and exits 0; a missing argument or an unknown option
 * prints 7.2's usage error and exits 1.
 */
void G_NORETURN img_unhandled_option(int c, char **argv);

/*
 * img_parse_output_format:
 * @output: the --output argument, or NULL
 * Returns: IMG_OUTPUT_HUMAN (also for NULL) or IMG_OUTPUT_JSON, or -1
 * after printing "--output must be used with human or json as argument.".
 */
int img_parse_output_format(const char *output);

/*
 * img_check_image_opts_fmt:
 * Returns: false after printing "--image-opts and --format are mutually
 * exclusive" when @o has both, else true.
 */
bool img_check_image_opts_fmt(const ImgCommonOpts *o);

/*
 * img_cvtnum_full:
 * @name: what the number is, for messages ("start offset")
 * @value: a size with an optional k/M/G/T/P/E suffix
 * @min, @max: the accepted range
 *
 * Parse as 7.2's cvtnum_full(), printing its "Invalid %s specified. You
 * may use k, M, G, ..." or "... Must be between %min and %max." errors.
 * Returns: the value, or a negative errno after printing the error.
 */
int64_t img_cvtnum_full(const char *name, const char *value, int64_t min,
                        int64_t max);

/* img_cvtnum: img_cvtnum_full() over [0, INT64_MAX]. */
int64_t img_cvtnum(const char *name, const char *value);

/*
 * img_parse_uint:
 * @value: a number with strtoul()'s rules (0x, leading '-' wraps)
 * @max: the largest accepted value
 * @res: receives the value on success
 * Returns: 0, or -1 (nothing printed) if invalid or above @max.
 */
int img_parse_uint(const char *value, unsigned long max, unsigned long *res);

/* 7.2's simple progress meter (-p): "    (%3.2f/100%)\r" lines on stdout. */
typedef struct ImgProgress {
    bool enabled;
    float current;              /* percent done */
    float last_print;           /* percent last printed */
    float min_skip;             /* print when moved by more than this */
} ImgProgress;

/* img_progress_init: start a meter (nothing printed; disabled: no-op). */
void img_progress_init(ImgProgress *p, bool enabled, float min_skip);

/*
 * img_progress_print:
 * @delta: with @max 0, the new percentage; else @delta percent of @max
 *         percent is added
 * Print the percentage if it moved by more than min_skip or is 0 or 100.
 */
void img_progress_print(ImgProgress *p, float delta, int max);

/* img_progress_end: end the meter's line ("\n") if it is enabled. */
void img_progress_end(ImgProgress *p);

/*
 * img_check_snapshot_param: validate the -l argument of convert and
 * measure ("snapshot.id=ID,snapshot.name=NAME", or an id or name) as 7.2
 * does while parsing options.  Returns: false after printing the error.
 */
bool img_check_snapshot_param(const char *arg);

/*
 * img_load_snapshot_param: make reads of the read-only node @bs see the
 * internal snapshot the -l argument @arg names.  Returns: false after
 * printing "Failed to load snapshot: ...".
 */
bool img_load_snapshot_param(BlockDriverState *bs, const char *arg);

/* Sub-commands, each returning the exit status. */
/* img_warn_weak_encryption: warn on stderr when @opts (validated create
 * options of format @fmt) ask for qcow2's legacy AES encryption. */
void img_warn_weak_encryption(const char *fmt, const QObject *opts);

int img_bitmap(int argc, char **argv);

/*
 * qemu-img convert --bitmaps (qemu-img-bitmap.c), 7.2's checks and copy:
 * img_convert_check_bitmaps() before the target is created ("Source
 * lacks bitmap support", inconsistent bitmaps unless @skip_broken),
 * img_convert_check_target_bitmaps() once it is open, and
 * img_convert_copy_bitmaps() after the data is copied (the bitmaps reach
 * the target when it is closed).  Each returns 0, or 1 after printing
 * the error.
 */
int img_convert_check_bitmaps(BlockDriverState *src, bool skip_broken);
int img_convert_check_target_bitmaps(BlockDriverState *dst);
int img_convert_copy_bitmaps(BlockDriverState *src, BlockDriverState *dst,
                             bool skip_broken);
int img_create(int argc, char **argv);
int img_info(int argc, char **argv);
int img_amend(int argc, char **argv);
int img_resize(int argc, char **argv);
int img_check(int argc, char **argv);
int img_convert(int argc, char **argv);
int img_compare(int argc, char **argv);
int img_map(int argc, char **argv);
int img_measure(int argc, char **argv);
int img_snapshot(int argc, char **argv);
int img_rebase(int argc, char **argv);
int img_commit(int argc, char **argv);

/*
 * img_snapshot_dump:
 * @sn: a snapshot, or NULL for the column headings
 * Print one line of 7.2's snapshot table, without the newline.
 */
void img_snapshot_dump(const QEMUSnapshotInfo *sn);

/* img_snapshot_dump_list: print "Snapshot list:", the headings and the
 * @nb snapshots of @tab, as qemu-img snapshot -l and info do. */
void img_snapshot_dump_list(const QEMUSnapshotInfo *tab, int nb);
/*
 * img_append_options:
 * Append an "-o" argument to *@options (NULL at first): repeated options
 * are joined with commas.
 */
void img_append_options(char **options, const char *arg);

/*
 * img_print_create_help:
 * Print "-o help" for @drv; with a file name the protocol's options too.
 * Returns: the exit code.
 */
int img_print_create_help(const BlockDriver *drv, const char *filename);

int img_dd(int argc, char **argv);
int img_bench(int argc, char **argv);

#endif /* QEMU_IMG_COMMON_H */
