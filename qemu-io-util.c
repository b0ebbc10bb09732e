/*
 * qemu-io helpers: size parsing and printing, the I/O report lines, the -v
 * hexdump, and the data buffers of the read and write commands.
 */
#include "qemu/osdep.h"

#include <ctype.h>

#include "qemu-io.h"
#include "qemu/cutils.h"

/* -m offsets buffers by this much from their natural alignment. */
#define QEMUIO_MISALIGN_OFFSET 512
/* Buffers are aligned for O_DIRECT (cache=none). */
#define QEMUIO_BUF_ALIGN 4096

int64_t qemuio_cvtnum(const char *s)
{
    uint64_t value;
    int ret;

    ret = qemu_strtosz(s, NULL, &value);
    if (ret < 0) {
        return ret;
    }
    if (value > INT64_MAX) {
        return -ERANGE;
    }
    return (int64_t)value;
}

void qemuio_print_cvtnum_err(int64_t rc, const char *arg)
{
    switch (rc) {
    case -EINVAL:
        printf("Parsing error: non-numeric argument,"
               " or extraneous/unrecognized suffix -- %s\n", arg);
        break;
    case -ERANGE:
        printf("Parsing error: argument too large -- %s\n", arg);
        break;
    default:
        printf("Parsing error: %s\n", arg);
        break;
    }
}

/*
 * As 7.2 does: three decimals from KiB up, six for plain bytes, and the
 * fraction dropped whenever its first three digits are zero.
 */
void qemuio_cvtstr(double value, char *buf, size_t size)
{
    static const char *const units[] = {
        " EiB", " PiB", " TiB", " GiB", " MiB", " KiB",
    };
    const char *suffix = " bytes";
    char *trim;
    int i;

    for (i = 0; i < (int)G_N_ELEMENTS(units); i++) {
        double unit = (double)(1ULL << (10 * (6 - i)));

        if (value >= unit) {
            suffix = units[i];
            value /= unit;
            break;
        }
    }
    snprintf(buf, size, i < (int)G_N_ELEMENTS(units) ? "%.3f" : "%f", value);
    trim = strstr(buf, ".000");
    if (trim) {
        *trim = '\0';
    }
    g_strlcat(buf, suffix, size);
}

int qemuio_parse_pattern(const char *arg)
{
    char *end;
    long pattern;

    pattern = strtol(arg, &end, 0);
    if (pattern < 0 || pattern > UCHAR_MAX || *end != '\0') {
        printf("%s is not a valid pattern byte\n", arg);
        return -1;
    }
    return (int)pattern;
}

void qemuio_dump_buffer(GString *out, const void *buf, int64_t offset,
                        int64_t len)
{
    const uint8_t *p = buf;
    int64_t i;
    int j;

    for (i = 0; i < len; i += 16) {
        int n = (int)MIN(16, len - i);

        g_string_append_printf(out, "%08" PRIx64 ":  ",
                               (uint64_t)(offset + i));
        for (j = 0; j < n; j++) {
            g_string_append_printf(out, "%02x ", p[i + j]);
        }
        g_string_append_c(out, ' ');
        /* 7.2 shows only letters and digits, everything else as '.'. */
        for (j = 0; j < n; j++) {
            g_string_append_c(out, isalnum(p[i + j]) ? p[i + j] : '.');
        }
        g_string_append_c(out, '\n');
    }
}

struct timespec qemuio_tsub(struct timespec end, struct timespec start)
{
    struct timespec t;

    t.tv_sec = end.tv_sec - start.tv_sec;
    t.tv_nsec = end.tv_nsec - start.tv_nsec;
    if (t.tv_nsec < 0) {
        t.tv_sec--;
        t.tv_nsec += 1000000000;
    }
    return t;
}

/* @value per second of @t. */
static double qemuio_tdiv(double value, const struct timespec *t)
{
    return value / ((double)t->tv_sec + (double)t->tv_nsec / 1e9);
}

/*
 * The elapsed time: "00.12 sec" under a second, "H:MM:SS.ss" from then
 * on, and always the latter in -C mode.
 */
static void qemuio_timestr(const struct timespec *t, bool fixed, char *buf,
                           size_t size)
{
    double frac = (double)t->tv_nsec / 1e9;
    unsigned secs = (unsigned)t->tv_sec;

    if (fixed || secs) {
        snprintf(buf, size, "%u:%02u:%05.2f", secs / 3600, secs / 60 % 60,
                 (double)(secs % 60) + frac);
    } else {
        snprintf(buf, size, "%05.2f sec", frac);
    }
}

void qemuio_print_report(GString *out, const char *op,
                         const struct timespec *t, int64_t offset,
                         int64_t count, int64_t total, int cnt, bool cflag)
{
    char ts[64], s1[64], s2[64];

    qemuio_timestr(t, cflag, ts, sizeof(ts));
    if (cflag) {
        /* bytes,ops,time,bytes/sec,ops/sec */
        g_string_append_printf(out, "%" PRId64 ",%d,%s,%.3f,%.3f\n",
                               total, cnt, ts,
                               qemuio_tdiv((double)total, t),
                               qemuio_tdiv((double)cnt, t));
        return;
    }
    qemuio_cvtstr((double)total, s1, sizeof(s1));
    qemuio_cvtstr(qemuio_tdiv((double)total, t), s2, sizeof(s2));
    g_string_append_printf(out, "%s %" PRId64 "/%" PRId64
                           " bytes at offset %" PRId64 "\n",
                           op, total, count, offset);
    g_string_append_printf(out, "%s, %d ops; %s (%s/sec and %.4f ops/sec)\n",
                           s1, cnt, ts, s2, qemuio_tdiv((double)cnt, t));
}

void *qemuio_alloc(const QemuIOState *s, size_t len, int pattern)
{
    size_t extra = s->misalign ? QEMUIO_MISALIGN_OFFSET : 0;
    void *buf;

    /* Like g_malloc(), give up on the process when memory runs out. */
    if (posix_memalign(&buf, QEMUIO_BUF_ALIGN, MAX(len + extra, 1))) {
        error_report("Failed to allocate %zu bytes", len + extra);
        abort();
    }
    memset((char *)buf + extra, pattern, len);
    return (char *)buf + extra;
}

void qemuio_free(const QemuIOState *s, void *buf)
{
    if (buf) {
        free((char *)buf - (s->misalign ? QEMUIO_MISALIGN_OFFSET : 0));
    }
}

/* Repeat the first @filled bytes of @buf until it holds @len bytes. */
static void qemuio_repeat_fill(char *buf, size_t filled, size_t len)
{
    while (filled < len) {
        size_t n = MIN(filled, len - filled);

        memcpy(buf + filled, buf, n);
        filled += n;
    }
}

/* Messages as perror(): the file name, then the system's reason. */
void *qemuio_alloc_from_file(const QemuIOState *s, size_t len,
                             const char *name)
{
    char *buf;
    size_t got;
    FILE *f;

    f = fopen(name, "r");
    if (!f) {
        fprintf(stderr, "%s: %s\n", name, strerror(errno));
        return NULL;
    }
    buf = qemuio_alloc(s, len, 0);
    got = fread(buf, 1, len, f);
    if (ferror(f)) {
        fprintf(stderr, "%s: %s\n", name, strerror(errno));
        goto fail;
    }
    if (got == 0 && len > 0) {
        fprintf(stderr, "%s: file is empty\n", name);
        goto fail;
    }
    fclose(f);
    qemuio_repeat_fill(buf, got, len);
    return buf;

fail:
    fclose(f);
    qemuio_free(s, buf);
    return NULL;
}

void *qemuio_create_iovec(const QemuIOState *s, QEMUIOVector *qiov,
                          char **argv, int nr_iov, int pattern)
{
    g_autofree int64_t *sizes = g_new0(int64_t, nr_iov);
    int64_t count = 0;
    char *buf, *p;
    int i;

    for (i = 0; i < nr_iov; i++) {
        int64_t len = qemuio_cvtnum(argv[i]);

        if (len < 0) {
            qemuio_print_cvtnum_err(len, argv[i]);
            return NULL;
        }
        if (len > QEMUIO_MAX_REQUEST) {
            printf("Argument '%s' exceeds maximum size %" PRId64 "\n",
                   argv[i], QEMUIO_MAX_REQUEST);
            return NULL;
        }
        if (count > QEMUIO_MAX_REQUEST - len) {
            printf("The total number of bytes exceed the maximum size %"
                   PRId64 "\n", QEMUIO_MAX_REQUEST);
            return NULL;
        }
        sizes[i] = len;
        count += len;
    }
    qemu_iovec_init(qiov, nr_iov);
    buf = p = qemuio_alloc(s, count, pattern);
    for (i = 0; i < nr_iov; i++) {
        qemu_iovec_add(qiov, p, sizes[i]);
        p += sizes[i];
    }
    return buf;
}

/* The output of one aio request, waiting to be shown. */
typedef struct QemuIOAioResult {
    GString *out;
    bool is_write;
} QemuIOAioResult;

GString *qemuio_aio_result(QemuIOState *s, bool is_write)
{
    QemuIOAioResult *r = g_new0(QemuIOAioResult, 1);

    r->out = g_string_new(NULL);
    r->is_write = is_write;
    g_queue_push_tail(s->pending, r);
    return r->out;
}

/*
 * Print the results (@all, or the reads among them).  Newest first: 7.2
 * runs the completions that are ready together in that order.
 */
static void qemuio_show_results(QemuIOState *s, bool all)
{
    GList *l = s->pending->tail;

    while (l) {
        GList *next = l->prev;
        QemuIOAioResult *r = l->data;

        if (all || !r->is_write) {
            fputs(r->out->str, stdout);
            g_string_free(r->out, true);
            g_free(r);
            g_queue_delete_link(s->pending, l);
        }
        l = next;
    }
}

void qemuio_drain(QemuIOState *s)
{
    qemuio_show_results(s, true);
}

/*
 * In 7.2, aio requests complete in the background and print when the main
 * loop next runs their callbacks, which depends on timing.  As observed
 * most often: a finished read shows while the next command that waits for
 * I/O runs (before that command's own output), a write only during a slow
 * wait (flush, truncate) or when draining (aio_flush, sleep, close, exit).
 */
void qemuio_poll(QemuIOState *s, bool slow)
{
    qemuio_show_results(s, slow);
}
