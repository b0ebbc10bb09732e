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
 * img_parse_cache_mode:
 * @mode: "none", "writeback", "writethrough", "directsync", "unsafe"
 * @flags: receives BDRV_O_NOCACHE or 0
 * Returns: 0, or -1 for an unknown mode.
 */
int img_parse_cache_mode(const char *mode, int *flags);

/* Sub-commands, each returning the exit status. */
int img_create(int argc, char **argv);
int img_info(int argc, char **argv);
int img_amend(int argc, char **argv);
int img_resize(int argc, char **argv);
int img_check(int argc, char **argv);
int img_convert(int argc, char **argv);
int img_compare(int argc, char **argv);

#endif /* QEMU_IMG_COMMON_H */
