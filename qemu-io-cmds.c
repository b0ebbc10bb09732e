/*
 * qemu-io's command table and dispatcher, with the commands that manage the
 * tool itself: help, quit, sleep, signals and breakpoints.
 */
#include "qemu/osdep.h"

#include <signal.h>

#include "qemu-io.h"

static int qemuio_help_f(QemuIOState *s, int argc, char **argv);
static int qemuio_quit_f(QemuIOState *s, int argc, char **argv);
static int qemuio_sleep_f(QemuIOState *s, int argc, char **argv);
static int qemuio_sigraise_f(QemuIOState *s, int argc, char **argv);
static int qemuio_abort_f(QemuIOState *s, int argc, char **argv);
static int qemuio_break_f(QemuIOState *s, int argc, char **argv);
static int qemuio_remove_break_f(QemuIOState *s, int argc, char **argv);
static int qemuio_resume_f(QemuIOState *s, int argc, char **argv);
static int qemuio_wait_break_f(QemuIOState *s, int argc, char **argv);

static const char qemuio_read_help[] =
"\n"
" Reads bytes from the image at the given offset.\n"
"\n"
" Example:\n"
" 'read -v 1k 512' - reads 512 bytes at offset 1 KiB and shows them in hex\n"
"\n"
" With -P, the data read is compared against a byte pattern; -s and -l\n"
" narrow that comparison to part of the buffer.\n"
" -b, -- access the VM state area instead of the guest-visible disk\n"
" -C, -- print the statistics as one comma-separated line\n"
" -l, -- number of bytes to compare with the pattern (needs -P)\n"
" -p, -- accepted and ignored, for old scripts\n"
" -P, -- fail unless every byte read equals this value\n"
" -q, -- print no statistics\n"
" -s, -- offset in the buffer where the comparison starts (needs -P)\n"
" -v, -- show the data read as a hexdump\n"
"\n";

static const char qemuio_readv_help[] =
"\n"
" Reads bytes from the image at the given offset into several buffers,\n"
" one for each length given; together they cover one contiguous range.\n"
"\n"
" Example:\n"
" 'readv -v 1k 512 512' - reads 1 KiB at offset 1 KiB in two pieces\n"
"\n"
" -C, -- print the statistics as one comma-separated line\n"
" -P, -- fail unless every byte read equals this value\n"
" -v, -- show the data read as a hexdump\n"
" -q, -- print no statistics\n"
"\n";

static const char qemuio_write_help[] =
"\n"
" Writes bytes to the image at the given offset.  The data is the byte\n"
" 0xcd repeated, unless -P, -s or -z says otherwise.\n"
"\n"
" Example:\n"
" 'write -P 0x5a 1k 512' - fills 512 bytes at offset 1 KiB with 0x5a\n"
"\n"
" -b, -- write to the VM state area instead of the guest-visible disk\n"
" -c, -- write the data compressed\n"
" -f, -- ask for Force Unit Access (data on stable storage on return)\n"
" -n, -- with -z: fail rather than write explicit zero bytes\n"
" -p, -- accepted and ignored, for old scripts\n"
" -P, -- fill the data with this byte value\n"
" -s, -- take the data from this file, repeated as needed\n"
" -C, -- print the statistics as one comma-separated line\n"
" -q, -- print no statistics\n"
" -u, -- with -z: let the image deallocate the range\n"
" -z, -- write zeroes with a zero-write request instead of data\n"
"\n";

static const char qemuio_writev_help[] =
"\n"
" Writes bytes to the image at the given offset from several buffers,\n"
" one for each length given; the data is the byte 0xcd unless -P is used.\n"
"\n"
" Example:\n"
" 'writev 1k 512 512' - writes 1 KiB at offset 1 KiB in two pieces\n"
"\n"
" -P, -- fill the data with this byte value\n"
" -C, -- print the statistics as one comma-separated line\n"
" -f, -- ask for Force Unit Access (data on stable storage on return)\n"
" -q, -- print no statistics\n"
"\n";

static const char qemuio_aio_read_help[] =
"\n"
" Starts a read of one or more buffers at the given offset and returns\n"
" before it is known to have finished.  Its result is printed when it is\n"
" reaped: by aio_flush, by the next command that does I/O, or at exit.\n"
" The command itself counts as successful once the request is issued,\n"
" whatever the read or the pattern check turns out to be.\n"
"\n"
" Example:\n"
" 'aio_read -v 1k 512 512' - reads 1 KiB at offset 1 KiB in two pieces\n"
"\n"
" -C, -- print the statistics as one comma-separated line\n"
" -P, -- complain unless every byte read equals this value\n"
" -i, -- only account an invalid request; nothing is read\n"
" -v, -- show the data read as a hexdump\n"
" -q, -- print no statistics\n"
"\n";

static const char qemuio_aio_write_help[] =
"\n"
" Starts a write of one or more buffers at the given offset and returns\n"
" before it is known to have finished.  Its result is printed when it is\n"
" reaped: by aio_flush, by the next command that does I/O, or at exit.\n"
" The command itself counts as successful once the request is issued.\n"
"\n"
" Example:\n"
" 'aio_write -P 0x5a 1k 512 512' - writes 1 KiB of 0x5a at offset 1 KiB\n"
"\n"
" -P, -- fill the data with this byte value (default 0xcd)\n"
" -C, -- print the statistics as one comma-separated line\n"
" -f, -- ask for Force Unit Access (data on stable storage on return)\n"
" -i, -- only account an invalid request; nothing is written\n"
" -q, -- print no statistics\n"
" -u, -- with -z: let the image deallocate the range\n"
" -z, -- write zeroes with a zero-write request (one length only)\n"
"\n";

static const char qemuio_discard_help[] =
"\n"
" Tells the image that a range of bytes is no longer in use.\n"
"\n"
" Example:\n"
" 'discard 1M 64k' - discards 64 KiB at offset 1 MiB\n"
"\n"
" -C, -- print the statistics as one comma-separated line\n"
" -q, -- print no statistics\n"
"\n";

static const char qemuio_open_help[] =
"\n"
" Opens an image; the other commands then work on it.\n"
"\n"
" Example:\n"
" 'open -r -o driver=qcow2 disk.qcow2' - opens a qcow2 image read-only\n"
"\n"
" -r, -- do not allow writes\n"
" -s, -- send writes to a temporary overlay (not supported here)\n"
" -C, -- copy data from backing files when it is read\n"
" -n, -- bypass the host page cache (same as -t none)\n"
" -U, -- do not lock other users out of the image\n"
" -k, -- ask for native Linux AIO (needs -n or -t none)\n"
" -i, -- choose the AIO mode: threads, native or io_uring\n"
" -t, -- choose the cache mode: none, writeback, writethrough,\n"
"        directsync or unsafe\n"
" -d, -- choose what discard requests do: ignore (off) or unmap (on)\n"
" -o, -- block driver options as key=value pairs separated by commas\n";

static const char qemuio_reopen_help[] =
"\n"
" Applies new options to the open image.\n"
"\n"
" Example:\n"
" 'reopen -r' - makes the image read-only from now on\n"
"\n"
" -r, -- make the image read-only\n"
" -w, -- make the image writable\n"
" -c, -- switch to another cache mode (see 'help open')\n"
" -o, -- change block driver options given as key=value pairs\n"
"\n";

static const char qemuio_sigraise_help[] =
"\n"
" Sends a signal to this process.\n"
"\n"
" Example:\n"
" 'sigraise 2' - raises SIGINT\n"
"\n"
" The one argument is the signal number, passed to raise(3).\n"
"\n";

/* Every command, sorted by name as "help" lists them. */
static const QemuIOCmd qemuio_cmds[] = {
    {
        .name = "abort", .argmin = 0, .argmax = 0,
        .oneline = "simulate a program crash using abort(3)",
        .flags = QEMUIO_CMD_NOFILE_OK, .handler = qemuio_abort_f,
    }, {
        .name = "aio_flush", .argmin = 0, .argmax = 0,
        .oneline = "completes all outstanding aio requests",
        .handler = qemuio_aio_flush_f,
    }, {
        .name = "aio_read", .argmin = 2, .argmax = -1,
        .args = "[-Ciqv] [-P pattern] off len [len..]",
        .oneline = "asynchronously reads a number of bytes",
        .help = qemuio_aio_read_help, .handler = qemuio_aio_read_f,
    }, {
        .name = "aio_write", .argmin = 2, .argmax = -1,
        .args = "[-Cfiquz] [-P pattern] off len [len..]",
        .oneline = "asynchronously writes a number of bytes",
        .help = qemuio_aio_write_help, .flags = QEMUIO_CMD_WRITE,
        .handler = qemuio_aio_write_f,
    }, {
        .name = "alloc", .alias = "a", .argmin = 1, .argmax = 2,
        .args = "offset [count]",
        .oneline = "checks if offset is allocated in the file",
        .handler = qemuio_alloc_f,
    }, {
        .name = "break", .argmin = 2, .argmax = 2,
        .args = "event tag",
        .oneline = "sets a breakpoint on event and tags the stopped "
                   "request as tag",
        .handler = qemuio_break_f,
    }, {
        .name = "close", .alias = "c", .argmin = 0, .argmax = 0,
        .oneline = "close the current open file",
        .handler = qemuio_close_f,
    }, {
        .name = "discard", .alias = "d", .argmin = 2, .argmax = -1,
        .args = "[-Cq] off len",
        .oneline = "discards a number of bytes at a specified offset",
        .help = qemuio_discard_help, .flags = QEMUIO_CMD_WRITE,
        .handler = qemuio_discard_f,
    }, {
        .name = "flush", .alias = "f", .argmin = 0, .argmax = 0,
        .oneline = "flush all in-core file state to disk",
        .handler = qemuio_flush_f,
    }, {
        .name = "help", .alias = "?", .argmin = 0, .argmax = 1,
        .args = "[command]",
        .oneline = "help for one or all commands",
        .flags = QEMUIO_CMD_NOFILE_OK, .handler = qemuio_help_f,
    }, {
        .name = "info", .alias = "i", .argmin = 0, .argmax = 0,
        .oneline = "prints information about the current file",
        .handler = qemuio_info_f,
    }, {
        .name = "length", .alias = "l", .argmin = 0, .argmax = 0,
        .oneline = "gets the length of the current file",
        .handler = qemuio_length_f,
    }, {
        .name = "map", .argmin = 0, .argmax = 0,
        .args = "",
        .oneline = "prints the allocated areas of a file",
        .handler = qemuio_map_f,
    }, {
        .name = "open", .alias = "o", .argmin = 1, .argmax = -1,
        .args = "[-rsCnkU] [-t cache] [-d discard] [-o options] [path]",
        .oneline = "open the file specified by path",
        .help = qemuio_open_help, .flags = QEMUIO_CMD_NOFILE_OK,
        .handler = qemuio_open_f,
    }, {
        .name = "quit", .alias = "q", .argmin = 0, .argmax = -1,
        .oneline = "exit the program",
        .flags = QEMUIO_CMD_NOFILE_OK, .handler = qemuio_quit_f,
    }, {
        .name = "read", .alias = "r", .argmin = 2, .argmax = -1,
        .args = "[-abCqv] [-P pattern [-s off] [-l len]] off len",
        .oneline = "reads a number of bytes at a specified offset",
        .help = qemuio_read_help, .handler = qemuio_read_f,
    }, {
        .name = "readv", .argmin = 2, .argmax = -1,
        .args = "[-Cqv] [-P pattern] off len [len..]",
        .oneline = "reads a number of bytes at a specified offset",
        .help = qemuio_readv_help, .handler = qemuio_readv_f,
    }, {
        .name = "remove_break", .argmin = 1, .argmax = 1,
        .args = "tag",
        .oneline = "remove a breakpoint by tag",
        .handler = qemuio_remove_break_f,
    }, {
        .name = "reopen", .argmin = 0, .argmax = -1,
        .args = "[(-r|-w)] [-c cache] [-o options]",
        .oneline = "reopens an image with new options",
        .help = qemuio_reopen_help, .handler = qemuio_reopen_f,
    }, {
        .name = "resume", .argmin = 1, .argmax = 1,
        .args = "tag",
        .oneline = "resumes the request tagged as tag",
        .handler = qemuio_resume_f,
    }, {
        .name = "sigraise", .argmin = 1, .argmax = 1,
        .args = "signal",
        .oneline = "raises a signal",
        .help = qemuio_sigraise_help, .flags = QEMUIO_CMD_NOFILE_OK,
        .handler = qemuio_sigraise_f,
    }, {
        .name = "sleep", .argmin = 1, .argmax = 1,
        .oneline = "waits for the given value in milliseconds",
        .flags = QEMUIO_CMD_NOFILE_OK, .handler = qemuio_sleep_f,
    }, {
        .name = "truncate", .alias = "t", .argmin = 1, .argmax = 3,
        .args = "[-m prealloc_mode] off",
        .oneline = "truncates the current file at the given offset",
        .flags = QEMUIO_CMD_WRITE, .handler = qemuio_truncate_f,
    }, {
        .name = "wait_break", .argmin = 1, .argmax = 1,
        .args = "tag",
        .oneline = "waits for the suspension of a request",
        .handler = qemuio_wait_break_f,
    }, {
        .name = "write", .alias = "w", .argmin = 2, .argmax = -1,
        .args = "[-bcCfnquz] [-P pattern | -s source_file] off len",
        .oneline = "writes a number of bytes at a specified offset",
        .help = qemuio_write_help, .flags = QEMUIO_CMD_WRITE,
        .handler = qemuio_write_f,
    }, {
        .name = "writev", .argmin = 2, .argmax = -1,
        .args = "[-Cfq] [-P pattern] off len [len..]",
        .oneline = "writes a number of bytes at a specified offset",
        .help = qemuio_writev_help, .flags = QEMUIO_CMD_WRITE,
        .handler = qemuio_writev_f,
    },
};

/* Returns: the command called @name (or by that alias), or NULL. */
static const QemuIOCmd *qemuio_find_command(const char *name)
{
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(qemuio_cmds); i++) {
        const QemuIOCmd *ct = &qemuio_cmds[i];

        if (!strcmp(ct->name, name) ||
            (ct->alias && !strcmp(ct->alias, name))) {
            return ct;
        }
    }
    return NULL;
}

/* "NAME ARGS -- ONELINE", with @name as the user typed it. */
static void qemuio_help_oneline(const char *name, const QemuIOCmd *ct)
{
    if (ct->args) {
        printf("%s %s -- %s\n", name, ct->args, ct->oneline);
    } else {
        printf("%s -- %s\n", name, ct->oneline);
    }
}

void qemuio_command_usage(const char *name)
{
    const QemuIOCmd *ct = qemuio_find_command(name);

    assert(ct);
    qemuio_help_oneline(ct->name, ct);
}

/* Whether @argc - 1 arguments suit @ct; complains as 7.2 does if not. */
static bool qemuio_check_argc(const QemuIOCmd *ct, int argc,
                              const char *name)
{
    int n = argc - 1;

    if (n >= ct->argmin && (ct->argmax == -1 || n <= ct->argmax)) {
        return true;
    }
    if (ct->argmax == -1) {
        fprintf(stderr, "bad argument count %d to %s, expected at least %d "
                "arguments\n", n, name, ct->argmin);
    } else if (ct->argmin == ct->argmax) {
        fprintf(stderr, "bad argument count %d to %s, expected %d "
                "arguments\n", n, name, ct->argmin);
    } else {
        fprintf(stderr, "bad argument count %d to %s, expected between %d "
                "and %d arguments\n", n, name, ct->argmin, ct->argmax);
    }
    return false;
}

/* The checks every command goes through, then its handler. */
static int qemuio_run(QemuIOState *s, const QemuIOCmd *ct, int argc,
                      char **argv)
{
    if (!(ct->flags & QEMUIO_CMD_NOFILE_OK) && !s->blk) {
        fprintf(stderr, "no file open, try 'help open'\n");
        return -EINVAL;
    }
    if (!qemuio_check_argc(ct, argc, argv[0])) {
        return -EINVAL;
    }
    if (ct->flags & QEMUIO_CMD_WRITE) {
        if (bdrv_is_read_only(s->blk->bs)) {
            error_report("Block node is read-only");
            return -EPERM;
        }
        /* Like 7.2, take write access when a command first needs it. */
        s->write_perm = true;
    }
    /* glibc: 0 restarts getopt() from scratch for the new argv. */
    optind = 0;
    return ct->handler(s, argc, argv);
}

int qemuio_command(QemuIOState *s, const char *cmdline)
{
    g_autofree char *input = g_strdup(cmdline);
    g_autoptr(GPtrArray) words = g_ptr_array_new();
    const QemuIOCmd *ct;
    char *p = input;
    char *word;

    /* Words are separated by spaces only (tabs are part of a word). */
    while ((word = strsep(&p, " ")) != NULL) {
        if (*word) {
            g_ptr_array_add(words, word);
        }
    }
    if (!words->len) {
        return 0;
    }
    g_ptr_array_add(words, NULL);
    ct = qemuio_find_command(g_ptr_array_index(words, 0));
    if (!ct) {
        fprintf(stderr, "command \"%s\" not found\n",
                (char *)g_ptr_array_index(words, 0));
        return -EINVAL;
    }
    return qemuio_run(s, ct, (int)words->len - 1, (char **)words->pdata);
}

static int qemuio_help_f(QemuIOState *s, int argc, char **argv)
{
    const QemuIOCmd *ct;
    size_t i;

    if (argc == 1) {
        for (i = 0; i < G_N_ELEMENTS(qemuio_cmds); i++) {
            qemuio_help_oneline(qemuio_cmds[i].name, &qemuio_cmds[i]);
        }
        printf("\nUse 'help commandname' for extended help.\n");
        return 0;
    }
    ct = qemuio_find_command(argv[1]);
    if (!ct) {
        printf("command %s not found\n", argv[1]);
        return -EINVAL;
    }
    qemuio_help_oneline(argv[1], ct);
    if (ct->help) {
        fputs(ct->help, stdout);
    }
    return 0;
}

static int qemuio_quit_f(QemuIOState *s, int argc, char **argv)
{
    s->quit = true;
    return 0;
}

static int qemuio_sleep_f(QemuIOState *s, int argc, char **argv)
{
    char *end;
    long ms;

    ms = strtol(argv[1], &end, 0);
    if (ms < 0 || *end != '\0') {
        printf("%s is not a valid number\n", argv[1]);
        return -EINVAL;
    }
    /* Requests finish while 7.2 sleeps in its main loop. */
    qemuio_drain(s);
    g_usleep((gulong)ms * 1000);
    return 0;
}

static int qemuio_sigraise_f(QemuIOState *s, int argc, char **argv)
{
    int64_t sig = qemuio_cvtnum(argv[1]);

    if (sig < 0) {
        qemuio_print_cvtnum_err(sig, argv[1]);
        return (int)sig;
    }
    if (sig > NSIG) {
        printf("signal argument '%s' is too large to be a valid signal\n",
               argv[1]);
        return -EINVAL;
    }
    /* The signal may end the process: let what was printed out first. */
    fflush(stdout);
    fflush(stderr);
    raise((int)sig);
    return 0;
}

static int qemuio_abort_f(QemuIOState *s, int argc, char **argv)
{
    /* Like 7.2, without flushing: buffered output is lost on purpose. */
    abort();
}

/*
 * Breakpoints suspend requests at blkdebug events, but requests here are
 * synchronous and cannot be suspended; 7.2 answers like this for any
 * image without blkdebug.
 */
static int qemuio_break_f(QemuIOState *s, int argc, char **argv)
{
    printf("Could not set breakpoint: %s\n", strerror(ENOTSUP));
    return -ENOTSUP;
}

static int qemuio_remove_break_f(QemuIOState *s, int argc, char **argv)
{
    printf("Could not remove breakpoint %s: %s\n", argv[1],
           strerror(ENOTSUP));
    return -ENOTSUP;
}

static int qemuio_resume_f(QemuIOState *s, int argc, char **argv)
{
    printf("Could not resume request: %s\n", strerror(ENOTSUP));
    return -ENOTSUP;
}

/*
 * No request is ever suspended (see qemuio_break_f), so like 7.2 without
 * blkdebug, wait forever (until a signal ends the process).
 */
static int qemuio_wait_break_f(QemuIOState *s, int argc, char **argv)
{
    qemuio_drain(s);
    fflush(stdout);
    for (;;) {
        pause();
    }
    return 0;
}
