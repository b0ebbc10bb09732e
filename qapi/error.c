/*
 * Error objects carried up through Error **errp, and the tools' reporting
 * of them ("progname: message" on stderr).
 */
#include "qemu/osdep.h"

#include "qapi/error.h"

struct Error {
    char *msg;          /* the one-sentence message */
    GString *hint;      /* free text printed after the message, or NULL */
    const char *src;    /* where the error was created, for error_abort */
    const char *func;
    int line;
};

Error *error_abort;
Error *error_fatal;

/* Set once by the tool's main(); the registry-free way to name the tool. */
static const char *error_progname;

void error_set_progname(const char *name)
{
    error_progname = name;
}

/* The prefix for messages: the registered name, else GLib's program name. */
static const char *error_get_progname(void)
{
    if (error_progname) {
        return error_progname;
    }
    return g_get_prgname();
}

/*
 * Print @msg with its control characters escaped (\n, \r, \t, else \xNN).
 * Messages quote strings from image files (LUKS cipher names, backing
 * file names); 7.2 prints them raw, so a crafted image could add lines to
 * the one-line error, or send terminal escape sequences.
 */
static void error_print_escaped(const char *msg)
{
    const unsigned char *p;

    for (p = (const unsigned char *)msg; *p; p++) {
        if (*p >= 0x20 && 0x7f != *p) {
            fputc(*p, stderr);
        } else if ('\n' == *p) {
            fputs("\\n", stderr);
        } else if ('\r' == *p) {
            fputs("\\r", stderr);
        } else if ('\t' == *p) {
            fputs("\\t", stderr);
        } else {
            fprintf(stderr, "\\x%02x", *p);
        }
    }
}

/* Print "progname: " (when a name is known) and the formatted text. */
static void error_vprint(const char *prefix, const char *fmt, va_list ap)
{
    const char *name = error_get_progname();
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);

    if (name) {
        fprintf(stderr, "%s: ", name);
    }
    if (prefix) {
        fputs(prefix, stderr);
    }
    error_print_escaped(msg);
    fputc('\n', stderr);
}

void error_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_vprint(NULL, fmt, ap);
    va_end(ap);
}

void warn_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_vprint("warning: ", fmt, ap);
    va_end(ap);
}

void error_report_err(Error *err)
{
    if (!err) {
        return;
    }
    error_report("%s", err->msg);
    if (err->hint) {
        fputs(err->hint->str, stderr);
    }
    error_free(err);
}

/*
 * Deliver a new or propagated error: to error_abort (report and abort),
 * error_fatal (report and exit(1)), nowhere (NULL) or into *errp.
 */
static void error_deliver(Error **errp, Error *err)
{
    if (&error_abort == errp) {
        fprintf(stderr, "Unexpected error in %s() at %s:%d:\n",
                err->func ? err->func : "?", err->src ? err->src : "?",
                err->line);
        error_report_err(err);
        abort();
    }
    if (&error_fatal == errp) {
        error_report_err(err);
        exit(1);
    }
    if (!errp) {
        error_free(err);
        return;
    }
    assert(NULL == *errp);
    *errp = err;
}

/* Build an error from a format and an optional errno suffix. */
static void error_setv(Error **errp, const char *src, int line,
                       const char *func, int os_errno, bool with_errno,
                       const char *fmt, va_list ap)
{
    Error *err;
    char *msg;

    if (!errp) {
        return;
    }
    msg = g_strdup_vprintf(fmt, ap);
    if (with_errno) {
        char *full = g_strdup_printf("%s: %s", msg,
                                     g_strerror(ABS(os_errno)));
        g_free(msg);
        msg = full;
    }
    err = g_new0(Error, 1);
    err->msg = msg;
    err->src = src;
    err->line = line;
    err->func = func;
    error_deliver(errp, err);
}

void error_setg_internal(Error **errp, const char *src, int line,
                         const char *func, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_setv(errp, src, line, func, 0, false, fmt, ap);
    va_end(ap);
}

void error_setg_errno_internal(Error **errp, const char *src, int line,
                               const char *func, int os_errno,
                               const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_setv(errp, src, line, func, os_errno, true, fmt, ap);
    va_end(ap);
}

void error_prepend(Error **errp, const char *fmt, ...)
{
    va_list ap;
    char *prefix;
    char *msg;

    if (!errp || !*errp) {
        return;
    }
    va_start(ap, fmt);
    prefix = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    msg = g_strconcat(prefix, (*errp)->msg, NULL);
    g_free(prefix);
    g_free((*errp)->msg);
    (*errp)->msg = msg;
}

void error_append_hint(Error **errp, const char *fmt, ...)
{
    va_list ap;

    /* error_abort and error_fatal never hold an error, so no hint either. */
    if (!errp || !*errp) {
        return;
    }
    if (!(*errp)->hint) {
        (*errp)->hint = g_string_new(NULL);
    }
    va_start(ap, fmt);
    g_string_append_vprintf((*errp)->hint, fmt, ap);
    va_end(ap);
}

void error_propagate(Error **dst_errp, Error *local_err)
{
    if (!local_err) {
        return;
    }
    /* As QEMU does, the first error wins if the caller already has one. */
    if (dst_errp && &error_abort != dst_errp && &error_fatal != dst_errp &&
        *dst_errp) {
        error_free(local_err);
        return;
    }
    error_deliver(dst_errp, local_err);
}

const char *error_get_pretty(const Error *err)
{
    return err->msg;
}

void error_free(Error *err)
{
    if (!err) {
        return;
    }
    g_free(err->msg);
    if (err->hint) {
        g_string_free(err->hint, TRUE);
    }
    g_free(err);
}
