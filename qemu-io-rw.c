/*
 * qemu-io's data commands: read, readv, write, writev, their aio_ forms,
 * aio_flush and discard, with the request checks of 7.2's BlockBackend.
 */
#include "qemu/osdep.h"

#include <time.h>

#include "qemu-io.h"

/* read's -P default and the fill of buffers that are read into. */
#define QEMUIO_READ_FILL    0xab
/* The data write and writev use without -P. */
#define QEMUIO_WRITE_FILL   0xcd

/* The options of the data commands; each command accepts a subset. */
typedef struct QemuIORWOpts {
    bool bflag;                 /* -b: VM state */
    bool cflag;                 /* -c: compressed */
    bool Cflag;                 /* -C: one-line statistics */
    bool qflag;                 /* -q: no statistics */
    bool vflag;                 /* -v: hexdump */
    bool zflag;                 /* -z: zero write */
    bool Pflag;
    int pattern;                /* -P value, or the default fill */
    bool sflag;
    const char *source;         /* write -s: file with the data */
    int64_t pattern_offset;     /* read -s */
    bool lflag;
    int64_t pattern_count;      /* read -l */
    BdrvRequestFlags flags;     /* -f FUA, -n NO_FALLBACK, -u MAY_UNMAP */
} QemuIORWOpts;

/* A timed request: what the report lines need. */
typedef struct QemuIOTiming {
    struct timespec t1, t2;
} QemuIOTiming;

/* Check a size option's value; Returns: 0, or the error (printed). */
static int qemuio_rw_size_opt(int64_t value, const char *arg)
{
    if (value < 0) {
        qemuio_print_cvtnum_err(value, arg);
        return (int)value;
    }
    return 0;
}

/*
 * Apply one option letter @c to @o.  's' is read's pattern offset or
 * write's source file, as @s_is_file says.
 * Returns: 0, -EINVAL / cvtnum error after printing, or 1 for -i.
 */
static int qemuio_rw_opt(int c, const char *arg, bool s_is_file,
                         QemuIORWOpts *o)
{
    switch (c) {
    case 'b':
        o->bflag = true;
        return 0;
    case 'c':
        o->cflag = true;
        return 0;
    case 'C':
        o->Cflag = true;
        return 0;
    case 'q':
        o->qflag = true;
        return 0;
    case 'v':
        o->vflag = true;
        return 0;
    case 'z':
        o->zflag = true;
        return 0;
    case 'f':
    case 'n':
    case 'u':
        o->flags |= c == 'f' ? BDRV_REQ_FUA
                  : c == 'n' ? BDRV_REQ_NO_FALLBACK : BDRV_REQ_MAY_UNMAP;
        return 0;
    case 'p':
        return 0;   /* ignored, as in 7.2, for old scripts */
    case 'i':
        return 1;
    case 'P':
        o->Pflag = true;
        o->pattern = qemuio_parse_pattern(arg);
        return o->pattern < 0 ? -EINVAL : 0;
    case 's':
        o->sflag = true;
        if (s_is_file) {
            o->source = arg;
            return 0;
        }
        o->pattern_offset = qemuio_cvtnum(arg);
        return qemuio_rw_size_opt(o->pattern_offset, arg);
    case 'l':
        o->lflag = true;
        o->pattern_count = qemuio_cvtnum(arg);
        return qemuio_rw_size_opt(o->pattern_count, arg);
    default:
        return -EINVAL;
    }
}

/*
 * Run getopt() over a data command's options.  Usage errors print the
 * command's synopsis.  Returns: as qemuio_rw_opt().
 */
static int qemuio_rw_getopt(int argc, char **argv, const char *optstring,
                            bool s_is_file, QemuIORWOpts *o)
{
    int c, ret;

    while ((c = getopt(argc, argv, optstring)) != -1) {
        if (c == '?') {
            qemuio_command_usage(argv[0]);
            return -EINVAL;
        }
        ret = qemuio_rw_opt(c, optarg, s_is_file, o);
        if (ret) {
            return ret;
        }
    }
    return 0;
}

/* Parse an offset or length argument; Returns: it, or < 0 (printed). */
static int64_t qemuio_parse_num(const char *arg)
{
    int64_t n = qemuio_cvtnum(arg);

    if (n < 0) {
        qemuio_print_cvtnum_err(n, arg);
    }
    return n;
}

/* -b and -c work in whole sectors; Returns: whether both values are. */
static bool qemuio_check_sectors(int64_t offset, int64_t count)
{
    if (!QEMU_IS_ALIGNED(offset, BDRV_SECTOR_SIZE)) {
        printf("%" PRId64 " is not a sector-aligned value for 'offset'\n",
               offset);
        return false;
    }
    if (!QEMU_IS_ALIGNED(count, BDRV_SECTOR_SIZE)) {
        printf("%" PRId64 " is not a sector-aligned value for 'count'\n",
               count);
        return false;
    }
    return true;
}

/*
 * The checks 7.2's BlockBackend makes before a request reaches the image:
 * the range must lie inside the image.
 */
static int qemuio_check_request(QemuIOState *s, int64_t offset,
                                int64_t bytes)
{
    int64_t len;

    if (offset < 0 || bytes < 0) {
        return -EIO;
    }
    len = bdrv_getlength(s->blk->bs);
    if (len < 0) {
        return (int)len;
    }
    if (offset > len || len - offset < bytes) {
        return -EIO;
    }
    return 0;
}

/*
 * The synchronous requests.  Waiting for them lets earlier aio results
 * show (see qemuio_poll()).
 */
static int qemuio_do_preadv(QemuIOState *s, int64_t offset,
                            QEMUIOVector *qiov)
{
    int ret;

    qemuio_poll(s, false);
    ret = qemuio_check_request(s, offset, (int64_t)qiov->size);
    if (ret < 0) {
        return ret;
    }
    return bdrv_preadv(s->blk, offset, (int64_t)qiov->size, qiov, 0);
}

static int qemuio_do_pwritev(QemuIOState *s, int64_t offset,
                             QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    int ret;

    qemuio_poll(s, false);
    ret = qemuio_check_request(s, offset, (int64_t)qiov->size);
    if (ret < 0) {
        return ret;
    }
    if (s->writethrough) {
        flags |= BDRV_REQ_FUA;
    }
    return bdrv_pwritev(s->blk, offset, (int64_t)qiov->size, qiov, flags);
}

static int qemuio_do_pread(QemuIOState *s, int64_t offset, int64_t bytes,
                           void *buf)
{
    int ret;

    qemuio_poll(s, false);
    ret = qemuio_check_request(s, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    return bdrv_pread(s->blk, offset, bytes, buf, 0);
}

/* -b: the VM state area, which has no guest-size bound. */
static int qemuio_do_vmstate(QemuIOState *s, int64_t offset, int64_t bytes,
                             void *buf, bool write)
{
    QEMUIOVector qiov;
    int ret;

    qemuio_poll(s, false);
    qemu_iovec_init_buf(&qiov, buf, (size_t)bytes);
    ret = write ? bdrv_save_vmstate(s->blk, &qiov, offset)
                : bdrv_load_vmstate(s->blk, &qiov, offset);
    qemu_iovec_destroy(&qiov);
    return ret;
}

static int qemuio_do_pwrite(QemuIOState *s, int64_t offset, int64_t bytes,
                            const void *buf, BdrvRequestFlags flags)
{
    int ret;

    qemuio_poll(s, false);
    ret = qemuio_check_request(s, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (s->writethrough) {
        flags |= BDRV_REQ_FUA;
    }
    return bdrv_pwrite(s->blk, offset, bytes, buf, flags);
}

static int qemuio_do_pwrite_compressed(QemuIOState *s, int64_t offset,
                                       int64_t bytes, void *buf)
{
    QEMUIOVector qiov;
    int ret;

    qemuio_poll(s, false);
    ret = qemuio_check_request(s, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    qemu_iovec_init_buf(&qiov, buf, bytes);
    ret = bdrv_pwritev_compressed(s->blk, offset, bytes, &qiov);
    qemu_iovec_destroy(&qiov);
    return ret;
}

static int qemuio_do_pwrite_zeroes(QemuIOState *s, int64_t offset,
                                   int64_t bytes, BdrvRequestFlags flags)
{
    int ret;

    qemuio_poll(s, false);
    ret = qemuio_check_request(s, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (s->writethrough) {
        flags |= BDRV_REQ_FUA;
    }
    return bdrv_pwrite_zeroes(s->blk, offset, bytes, flags);
}

/* Returns: whether @len bytes at @buf all equal @pattern. */
static bool qemuio_verify(const void *buf, int64_t len, int pattern)
{
    const uint8_t *p = buf;
    int64_t i;

    for (i = 0; i < len; i++) {
        if (p[i] != pattern) {
            return false;
        }
    }
    return true;
}

/* Print the dump (-v) and the report lines (unless -q) of a command. */
static void qemuio_finish(GString *out, const QemuIORWOpts *o,
                          const char *op, const QemuIOTiming *tm,
                          const void *buf, int64_t offset, int64_t count)
{
    struct timespec t = qemuio_tsub(tm->t2, tm->t1);

    if (o->qflag) {
        return;
    }
    if (o->vflag) {
        qemuio_dump_buffer(out, buf, offset, count);
    }
    qemuio_print_report(out, op, &t, offset, count, count, 1, o->Cflag);
}

/* qemuio_finish() straight to stdout, for the synchronous commands. */
static void qemuio_finish_print(const QemuIORWOpts *o, const char *op,
                                const QemuIOTiming *tm, const void *buf,
                                int64_t offset, int64_t count)
{
    g_autoptr(GString) out = g_string_new(NULL);

    qemuio_finish(out, o, op, tm, buf, offset, count);
    fputs(out->str, stdout);
}

/* Parse read's offset and length; Returns: 0 or < 0 (printed). */
static int qemuio_read_args(char **argv, QemuIORWOpts *o, int64_t *offset,
                            int64_t *count)
{
    *offset = qemuio_parse_num(argv[0]);
    if (*offset < 0) {
        return (int)*offset;
    }
    *count = qemuio_parse_num(argv[1]);
    if (*count < 0) {
        return (int)*count;
    }
    if (*count > QEMUIO_MAX_REQUEST) {
        printf("length cannot exceed %" PRId64 ", given %s\n",
               QEMUIO_MAX_REQUEST, argv[1]);
        return -EINVAL;
    }
    if (!o->Pflag && (o->lflag || o->sflag)) {
        qemuio_command_usage("read");
        return -EINVAL;
    }
    if (!o->lflag) {
        o->pattern_count = *count - o->pattern_offset;
    }
    if (o->pattern_count < 0 ||
        o->pattern_count + o->pattern_offset > *count) {
        printf("pattern verification range exceeds end of read data\n");
        return -EINVAL;
    }
    if (o->bflag && !qemuio_check_sectors(*offset, *count)) {
        return -EINVAL;
    }
    return 0;
}

int qemuio_read_f(QemuIOState *s, int argc, char **argv)
{
    QemuIORWOpts o = { .pattern = 0 };
    QemuIOTiming tm;
    int64_t offset = 0, count = 0;
    char *buf;
    int ret;

    ret = qemuio_rw_getopt(argc, argv, "bCl:pP:qs:v", false, &o);
    if (ret < 0) {
        return ret;
    }
    if (optind != argc - 2) {
        qemuio_command_usage("read");
        return -EINVAL;
    }
    ret = qemuio_read_args(&argv[optind], &o, &offset, &count);
    if (ret < 0) {
        return ret;
    }
    buf = qemuio_alloc(s, count, QEMUIO_READ_FILL);
    clock_gettime(CLOCK_MONOTONIC, &tm.t1);
    /* No VM state area in this block layer (7.2: raw and luks alike). */
    ret = o.bflag ? qemuio_do_vmstate(s, offset, count, buf, false)
                  : qemuio_do_pread(s, offset, count, buf);
    clock_gettime(CLOCK_MONOTONIC, &tm.t2);
    if (ret < 0) {
        printf("read failed: %s\n", strerror(-ret));
    } else {
        ret = 0;
        if (o.Pflag && !qemuio_verify(buf + o.pattern_offset,
                                      o.pattern_count, o.pattern)) {
            printf("Pattern verification failed at offset %" PRId64 ", %"
                   PRId64 " bytes\n", offset + o.pattern_offset,
                   o.pattern_count);
            ret = -EINVAL;
        }
        qemuio_finish_print(&o, "read", &tm, buf, offset, count);
    }
    qemuio_free(s, buf);
    return ret;
}

/*
 * The OFFSET LEN [LEN...] arguments that follow the options of readv,
 * writev, aio_read and aio_write: the offset, and @qiov over a buffer
 * filled with @fill.  @cmd names the command whose usage is shown when
 * an argument is missing.
 * Returns: the buffer (free with qemuio_free()), or NULL with *@err set
 * after printing the reason.
 */
static char *qemuio_vector_args(QemuIOState *s, int argc, char **argv,
                                const char *cmd, int fill, int64_t *offset,
                                QEMUIOVector *qiov, int *err)
{
    char *buf;

    if (optind > argc - 2) {
        qemuio_command_usage(cmd);
        *err = -EINVAL;
        return NULL;
    }
    *offset = qemuio_parse_num(argv[optind]);
    if (*offset < 0) {
        *err = (int)*offset;
        return NULL;
    }
    optind++;
    buf = qemuio_create_iovec(s, qiov, &argv[optind], argc - optind, fill);
    if (!buf) {
        *err = -EINVAL;
    }
    return buf;
}

int qemuio_readv_f(QemuIOState *s, int argc, char **argv)
{
    QemuIORWOpts o = { .pattern = 0 };
    QemuIOTiming tm;
    QEMUIOVector qiov;
    int64_t offset;
    char *buf;
    int ret;

    ret = qemuio_rw_getopt(argc, argv, "CP:qv", false, &o);
    if (ret < 0) {
        return ret;
    }
    buf = qemuio_vector_args(s, argc, argv, "readv", QEMUIO_READ_FILL, &offset,
                             &qiov, &ret);
    if (!buf) {
        return ret;
    }
    clock_gettime(CLOCK_MONOTONIC, &tm.t1);
    ret = qemuio_do_preadv(s, offset, &qiov);
    clock_gettime(CLOCK_MONOTONIC, &tm.t2);
    if (ret < 0) {
        printf("readv failed: %s\n", strerror(-ret));
    } else {
        ret = 0;
        if (o.Pflag && !qemuio_verify(buf, qiov.size, o.pattern)) {
            printf("Pattern verification failed at offset %" PRId64
                   ", %zu bytes\n", offset, qiov.size);
            ret = -EINVAL;
        }
        qemuio_finish_print(&o, "read", &tm, buf, offset, qiov.size);
    }
    qemu_iovec_destroy(&qiov);
    qemuio_free(s, buf);
    return ret;
}

/* write's checks on option combinations, in 7.2's order. */
static bool qemuio_write_check_opts(const QemuIORWOpts *o)
{
    if (o->bflag && o->zflag) {
        printf("-b and -z cannot be specified at the same time\n");
        return false;
    }
    if ((o->flags & BDRV_REQ_FUA) && (o->bflag || o->cflag)) {
        printf("-f and -b or -c cannot be specified at the same time\n");
        return false;
    }
    if ((o->flags & BDRV_REQ_NO_FALLBACK) && !o->zflag) {
        printf("-n requires -z to be specified\n");
        return false;
    }
    if ((o->flags & BDRV_REQ_MAY_UNMAP) && !o->zflag) {
        printf("-u requires -z to be specified\n");
        return false;
    }
    if (o->zflag + o->Pflag + o->sflag > 1) {
        printf("Only one of -z, -P, and -s can be specified at the same "
               "time\n");
        return false;
    }
    return true;
}

/* Parse write's offset and length; Returns: 0 or < 0 (printed). */
static int qemuio_write_args(char **argv, const QemuIORWOpts *o,
                             int64_t *offset, int64_t *count)
{
    *offset = qemuio_parse_num(argv[0]);
    if (*offset < 0) {
        return (int)*offset;
    }
    *count = qemuio_parse_num(argv[1]);
    if (*count < 0) {
        return (int)*count;
    }
    /* Only zero writes that may not fall back to data can be larger. */
    if (*count > QEMUIO_MAX_REQUEST &&
        !(o->flags & BDRV_REQ_NO_FALLBACK)) {
        printf("length cannot exceed %" PRId64 " without -n, given %s\n",
               QEMUIO_MAX_REQUEST, argv[1]);
        return -EINVAL;
    }
    if ((o->bflag || o->cflag) && !qemuio_check_sectors(*offset, *count)) {
        return -EINVAL;
    }
    return 0;
}

/* Issue write's request; Returns: 0 or -errno. */
static int qemuio_write_do(QemuIOState *s, const QemuIORWOpts *o,
                           int64_t offset, int64_t count, char *buf)
{
    if (o->bflag) {
        return qemuio_do_vmstate(s, offset, count, buf, true);
    }
    if (o->zflag) {
        return qemuio_do_pwrite_zeroes(s, offset, count, o->flags);
    }
    if (o->cflag) {
        return qemuio_do_pwrite_compressed(s, offset, count, buf);
    }
    return qemuio_do_pwrite(s, offset, count, buf, o->flags);
}

int qemuio_write_f(QemuIOState *s, int argc, char **argv)
{
    QemuIORWOpts o = { .pattern = QEMUIO_WRITE_FILL };
    QemuIOTiming tm;
    int64_t offset = 0, count = 0;
    char *buf = NULL;
    int ret;

    ret = qemuio_rw_getopt(argc, argv, "bcCfnpP:qs:uz", true, &o);
    if (ret < 0) {
        return ret;
    }
    if (optind != argc - 2) {
        qemuio_command_usage("write");
        return -EINVAL;
    }
    if (!qemuio_write_check_opts(&o)) {
        return -EINVAL;
    }
    ret = qemuio_write_args(&argv[optind], &o, &offset, &count);
    if (ret < 0) {
        return ret;
    }
    if (!o.zflag) {
        buf = o.sflag ? qemuio_alloc_from_file(s, count, o.source)
                      : qemuio_alloc(s, count, o.pattern);
        if (!buf) {
            return -EINVAL;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &tm.t1);
    ret = qemuio_write_do(s, &o, offset, count, buf);
    clock_gettime(CLOCK_MONOTONIC, &tm.t2);
    if (ret < 0) {
        printf("write failed: %s\n", strerror(-ret));
    } else {
        ret = 0;
        qemuio_finish_print(&o, "wrote", &tm, buf, offset, count);
    }
    qemuio_free(s, buf);
    return ret;
}

int qemuio_writev_f(QemuIOState *s, int argc, char **argv)
{
    QemuIORWOpts o = { .pattern = QEMUIO_WRITE_FILL };
    QemuIOTiming tm;
    QEMUIOVector qiov;
    int64_t offset;
    char *buf;
    int ret;

    ret = qemuio_rw_getopt(argc, argv, "CfqP:", false, &o);
    if (ret < 0) {
        return ret;
    }
    buf = qemuio_vector_args(s, argc, argv, "writev", o.pattern, &offset,
                             &qiov, &ret);
    if (!buf) {
        return ret;
    }
    clock_gettime(CLOCK_MONOTONIC, &tm.t1);
    ret = qemuio_do_pwritev(s, offset, &qiov, o.flags);
    clock_gettime(CLOCK_MONOTONIC, &tm.t2);
    if (ret < 0) {
        printf("writev failed: %s\n", strerror(-ret));
    } else {
        ret = 0;
        qemuio_finish_print(&o, "wrote", &tm, buf, offset, qiov.size);
    }
    qemu_iovec_destroy(&qiov);
    qemuio_free(s, buf);
    return ret;
}

/*
 * The aio commands: the request runs now (this block layer is
 * synchronous), but what 7.2's completion callback prints is queued in
 * s->pending and shown when 7.2 would show it.  Their failures never
 * make the command fail, as in 7.2.
 */
int qemuio_aio_read_f(QemuIOState *s, int argc, char **argv)
{
    QemuIORWOpts o = { .pattern = 0 };
    GString *out;
    QemuIOTiming tm;
    QEMUIOVector qiov;
    int64_t offset;
    char *buf;
    int ret;

    ret = qemuio_rw_getopt(argc, argv, "CP:qvi", false, &o);
    if (ret == 1) {
        printf("injecting invalid read request\n");
        return 0;
    }
    if (ret < 0) {
        return ret;
    }
    buf = qemuio_vector_args(s, argc, argv, "aio_read", QEMUIO_READ_FILL, &offset,
                             &qiov, &ret);
    if (!buf) {
        return ret;
    }
    clock_gettime(CLOCK_MONOTONIC, &tm.t1);
    ret = qemuio_check_request(s, offset, qiov.size);
    if (ret >= 0) {
        ret = bdrv_preadv(s->blk, offset, qiov.size, &qiov, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &tm.t2);
    out = qemuio_aio_result(s, false);
    if (ret < 0) {
        g_string_append_printf(out, "readv failed: %s\n", strerror(-ret));
    } else {
        if (o.Pflag && !qemuio_verify(buf, qiov.size, o.pattern)) {
            g_string_append_printf(out, "Pattern verification failed at "
                                   "offset %" PRId64 ", %zu bytes\n",
                                   offset, qiov.size);
        }
        qemuio_finish(out, &o, "read", &tm, buf, offset, qiov.size);
    }
    qemu_iovec_destroy(&qiov);
    qemuio_free(s, buf);
    return 0;
}

/* aio_write's checks after the options; Returns: 0 or < 0 (printed). */
static int qemuio_aio_write_check(int argc, const QemuIORWOpts *o)
{
    if (optind > argc - 2) {
        qemuio_command_usage("aio_write");
        return -EINVAL;
    }
    if (o->zflag && optind != argc - 2) {
        printf("-z supports only a single length parameter\n");
        return -EINVAL;
    }
    if ((o->flags & BDRV_REQ_MAY_UNMAP) && !o->zflag) {
        printf("-u requires -z to be specified\n");
        return -EINVAL;
    }
    return 0;
}

/*
 * aio_write -z.  7.2 never starts the clock for zero writes, so its report
 * shows the time since boot (the monotonic clock's value); so does ours.
 */
static int qemuio_aio_write_zeroes(QemuIOState *s, const QemuIORWOpts *o,
                                   int64_t offset, const char *len_arg)
{
    QemuIOTiming tm = { .t1 = { 0, 0 } };
    int64_t count = qemuio_parse_num(len_arg);
    GString *out;
    int ret;

    if (count < 0) {
        return (int)count;
    }
    ret = qemuio_check_request(s, offset, count);
    if (ret >= 0) {
        ret = bdrv_pwrite_zeroes(s->blk, offset, count, o->flags |
                                 (s->writethrough ? BDRV_REQ_FUA : 0));
    }
    clock_gettime(CLOCK_MONOTONIC, &tm.t2);
    out = qemuio_aio_result(s, true);
    if (ret < 0) {
        g_string_append_printf(out, "aio_write failed: %s\n",
                               strerror(-ret));
    } else {
        qemuio_finish(out, o, "wrote", &tm, NULL, offset, count);
    }
    return 0;
}

int qemuio_aio_write_f(QemuIOState *s, int argc, char **argv)
{
    QemuIORWOpts o = { .pattern = QEMUIO_WRITE_FILL };
    GString *out;
    QemuIOTiming tm;
    QEMUIOVector qiov;
    int64_t offset;
    char *buf;
    int ret;

    ret = qemuio_rw_getopt(argc, argv, "CfiqP:uz", false, &o);
    if (ret == 1) {
        printf("injecting invalid write request\n");
        return 0;
    }
    if (ret < 0 || (ret = qemuio_aio_write_check(argc, &o)) < 0) {
        return ret;
    }
    if (o.zflag) {
        offset = qemuio_parse_num(argv[optind]);
        if (offset < 0) {
            return (int)offset;
        }
        return qemuio_aio_write_zeroes(s, &o, offset, argv[optind + 1]);
    }
    buf = qemuio_vector_args(s, argc, argv, "aio_write", o.pattern, &offset,
                             &qiov, &ret);
    if (!buf) {
        return ret;
    }
    clock_gettime(CLOCK_MONOTONIC, &tm.t1);
    ret = qemuio_check_request(s, offset, qiov.size);
    if (ret >= 0) {
        ret = bdrv_pwritev(s->blk, offset, qiov.size, &qiov, o.flags |
                           (s->writethrough ? BDRV_REQ_FUA : 0));
    }
    clock_gettime(CLOCK_MONOTONIC, &tm.t2);
    out = qemuio_aio_result(s, true);
    if (ret < 0) {
        g_string_append_printf(out, "aio_write failed: %s\n",
                               strerror(-ret));
    } else {
        qemuio_finish(out, &o, "wrote", &tm, NULL, offset, qiov.size);
    }
    qemu_iovec_destroy(&qiov);
    qemuio_free(s, buf);
    return 0;
}

int qemuio_aio_flush_f(QemuIOState *s, int argc, char **argv)
{
    qemuio_drain(s);
    return 0;
}

int qemuio_discard_f(QemuIOState *s, int argc, char **argv)
{
    QemuIORWOpts o = { .pattern = 0 };
    QemuIOTiming tm;
    int64_t offset, bytes;
    int ret;

    ret = qemuio_rw_getopt(argc, argv, "Cq", false, &o);
    if (ret < 0) {
        return ret;
    }
    if (optind != argc - 2) {
        qemuio_command_usage("discard");
        return -EINVAL;
    }
    offset = qemuio_parse_num(argv[optind]);
    if (offset < 0) {
        return (int)offset;
    }
    bytes = qemuio_parse_num(argv[optind + 1]);
    if (bytes < 0) {
        return (int)bytes;
    }
    if (bytes > QEMUIO_MAX_REQUEST) {
        printf("length cannot exceed %" PRId64 ", given %s\n",
               QEMUIO_MAX_REQUEST, argv[optind + 1]);
        return -EINVAL;
    }
    qemuio_poll(s, false);
    clock_gettime(CLOCK_MONOTONIC, &tm.t1);
    ret = qemuio_check_request(s, offset, bytes);
    if (ret >= 0) {
        ret = bdrv_pdiscard(s->blk, offset, bytes);
    }
    clock_gettime(CLOCK_MONOTONIC, &tm.t2);
    if (ret < 0) {
        printf("discard failed: %s\n", strerror(-ret));
        return ret;
    }
    qemuio_finish_print(&o, "discard", &tm, NULL, offset, bytes);
    return 0;
}
