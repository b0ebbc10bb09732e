/*
 * Private interface of the qemu-io tool: its state, its command table and
 * the helpers the command files share.
 */
#ifndef QEMU_IO_H
#define QEMU_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <glib.h>

#include "block/block.h"
#include "qapi/qobject.h"

/* Largest read or write one command may issue, as in QEMU 7.2. */
#define QEMUIO_MAX_REQUEST  ((int64_t)2147483136)

/* Everything qemu-io knows; passed to every command handler. */
typedef struct QemuIOState {
    BdrvChild *blk;             /* the open image, or NULL */
    char *filename;             /* how it was opened, for reopen */
    QObject *options;           /* ditto: flat options (owned), or NULL */
    int flags;                  /* ditto: BDRV_O_* */
    char *overlay;              /* -s: the (deleted) overlay's name */
    bool write_perm;            /* holds write access, as 7.2's blk does */
    bool writethrough;          /* cache=writethrough: writes are FUA */
    bool no_flush;              /* cache=unsafe: flushes are dropped */
    bool image_opts;            /* --image-opts: "open" takes an opts string */
    bool misalign;              /* -m: buffers start 512 bytes off alignment */
    bool quit;                  /* "quit" ran: stop reading commands */
    GQueue *pending;            /* QemuIOAioResult not yet shown */
} QemuIOState;

typedef int (*QemuIOCmdFunc)(QemuIOState *s, int argc, char **argv);

/* The command may run without an open image. */
#define QEMUIO_CMD_NOFILE_OK    0x1
/* The command needs a writable image ("Block node is read-only"). */
#define QEMUIO_CMD_WRITE        0x2

/* One entry of the command table. */
typedef struct QemuIOCmd {
    const char *name;
    const char *alias;          /* a second name, or NULL */
    int argmin;                 /* fewest arguments after the name */
    int argmax;                 /* most arguments, or -1 for no limit */
    const char *args;           /* the synopsis shown by help */
    const char *oneline;        /* what the command does, in one line */
    const char *help;           /* extended help for "help NAME", or NULL */
    unsigned flags;             /* QEMUIO_CMD_* */
    QemuIOCmdFunc handler;
} QemuIOCmd;

/* Open-time settings shared by the command line and the open command. */
typedef struct QemuIOOpenConf {
    int flags;                  /* BDRV_O_* */
    bool writethrough;
    bool no_flush;
    bool force_share;
    bool native_aio;            /* aio=native: needs cache.direct (-n) */
    bool snapshot;              /* -s: writes go to a temporary overlay */
} QemuIOOpenConf;

/* qemu-io-cmds.c: the table, dispatch and the tool's own commands */

/* Run one command line; Returns: < 0 if the command failed. */
int qemuio_command(QemuIOState *s, const char *cmdline);
/* Print "NAME ARGS -- ONELINE" for command @name (on usage errors). */
void qemuio_command_usage(const char *name);

/* qemu-io-open.c: opening, closing and reopening the image */

/* Open an image as the current one, printing errors; Returns: 0 or < 0. */
int qemuio_open(QemuIOState *s, const char *name, QObject *opts,
                const QemuIOOpenConf *conf);
/* Close the current image, showing pending aio output first. */
void qemuio_close(QemuIOState *s);
/* Apply -n/-k/-U/-i/-t/-d to @conf; Returns: 1, 0 (not one), -1 (printed). */
int qemuio_open_conf_opt(int c, const char *arg, QemuIOOpenConf *conf);
/* Parse a cache mode (none, writeback...) into @conf; Returns: success. */
bool qemuio_parse_cache_mode(const char *mode, QemuIOOpenConf *conf);
/* Parse a discard mode (ignore/off, unmap/on); Returns: success. */
bool qemuio_parse_discard_mode(const char *mode, int *flags);
/* Check an aio mode name (threads, native, io_uring); Returns: success. */
bool qemuio_parse_aio_mode(const char *mode, bool *native);
/* Parse a -o / --image-opts string into @dict as 7.2 reads it. */
bool qemuio_opts_parse(QObject *dict, const char *optstr, Error **errp);
int qemuio_open_f(QemuIOState *s, int argc, char **argv);
int qemuio_close_f(QemuIOState *s, int argc, char **argv);
int qemuio_reopen_f(QemuIOState *s, int argc, char **argv);

/* qemu-io-rw.c: read, write and discard commands */

int qemuio_read_f(QemuIOState *s, int argc, char **argv);
int qemuio_readv_f(QemuIOState *s, int argc, char **argv);
int qemuio_write_f(QemuIOState *s, int argc, char **argv);
int qemuio_writev_f(QemuIOState *s, int argc, char **argv);
int qemuio_aio_read_f(QemuIOState *s, int argc, char **argv);
int qemuio_aio_write_f(QemuIOState *s, int argc, char **argv);
int qemuio_aio_flush_f(QemuIOState *s, int argc, char **argv);
int qemuio_discard_f(QemuIOState *s, int argc, char **argv);

/* qemu-io-info.c: commands that inspect or resize the image */

int qemuio_info_f(QemuIOState *s, int argc, char **argv);
int qemuio_length_f(QemuIOState *s, int argc, char **argv);
int qemuio_map_f(QemuIOState *s, int argc, char **argv);
int qemuio_alloc_f(QemuIOState *s, int argc, char **argv);
int qemuio_truncate_f(QemuIOState *s, int argc, char **argv);
int qemuio_flush_f(QemuIOState *s, int argc, char **argv);

/* qemu-io-util.c: number parsing, reports, buffers */

/* Parse a size with suffix; Returns: it, or -EINVAL / -ERANGE. */
int64_t qemuio_cvtnum(const char *s);
/* Print the parse error qemuio_cvtnum() returned for @arg. */
void qemuio_print_cvtnum_err(int64_t rc, const char *arg);
/* Format @value as "1.500 KiB" / "512 bytes" into @buf (64 bytes). */
void qemuio_cvtstr(double value, char *buf, size_t size);
/* Parse a -P byte; Returns: 0..255, or -1 after printing the error. */
int qemuio_parse_pattern(const char *arg);
/* Append the hexdump of -v for @len bytes read at @offset. */
void qemuio_dump_buffer(GString *out, const void *buf, int64_t offset,
                        int64_t len);
/* Append the two report lines (or the -C line) of an I/O command. */
void qemuio_print_report(GString *out, const char *op,
                         const struct timespec *t, int64_t offset,
                         int64_t count, int64_t total, int cnt, bool cflag);
/* Returns: @end - @start. */
struct timespec qemuio_tsub(struct timespec end, struct timespec start);
/* Returns: a buffer of @len bytes of @pattern; free with qemuio_free(). */
void *qemuio_alloc(const QemuIOState *s, size_t len, int pattern);
/* Free a buffer from qemuio_alloc() or qemuio_alloc_from_file(). */
void qemuio_free(const QemuIOState *s, void *buf);
/* Returns: @len bytes of @name repeated, or NULL after printing why. */
void *qemuio_alloc_from_file(const QemuIOState *s, size_t len,
                             const char *name);
/* Build one buffer split by the sizes in @argv; Returns: it, or NULL. */
void *qemuio_create_iovec(const QemuIOState *s, QEMUIOVector *qiov,
                          char **argv, int nr_iov, int pattern);
/* Returns: where to put an aio request's output; shown by poll/drain. */
GString *qemuio_aio_result(QemuIOState *s, bool is_write);
/* Print and forget the output of all finished aio requests. */
void qemuio_drain(QemuIOState *s);
/* A command waits for I/O: show the aio results 7.2 would reap there. */
void qemuio_poll(QemuIOState *s, bool slow);

#endif /* QEMU_IO_H */
