/*
 * Error objects passed up through Error **errp, and their reporting by tools.
 */
#ifndef QAPI_ERROR_H
#define QAPI_ERROR_H

#include <glib.h>
#include <stdbool.h>

typedef struct Error Error;

/*
 * Pass &error_abort to abort on any error (tests), &error_fatal to report
 * the error and exit(1) (tool start-up only).  Their values are never read.
 */
extern Error *error_abort;
extern Error *error_fatal;

/*
 * error_setg:
 * @errp: where to store the new error; may be NULL to ignore it
 * @fmt: printf format of the message (one sentence, no trailing period)
 *
 * Create an error with a formatted message and store it in @errp, which
 * must not already hold one.
 */
#define error_setg(errp, ...) \
    error_setg_internal((errp), __FILE__, __LINE__, __func__, __VA_ARGS__)

/*
 * error_setg_errno:
 * @errp: where to store the new error
 * @os_errno: an errno value (positive or negative)
 * @fmt: printf format of the message
 *
 * Like error_setg(), appending ": " and strerror(@os_errno) to the message.
 */
#define error_setg_errno(errp, os_errno, ...) \
    error_setg_errno_internal((errp), __FILE__, __LINE__, __func__, \
                              (os_errno), __VA_ARGS__)

void error_setg_internal(Error **errp, const char *src, int line,
                         const char *func, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);
void error_setg_errno_internal(Error **errp, const char *src, int line,
                               const char *func, int os_errno,
                               const char *fmt, ...)
    G_GNUC_PRINTF(6, 7);

/*
 * error_prepend:
 * @errp: holds an error, or NULL (then nothing happens)
 * @fmt: printf format of the text to put before the existing message
 */
void error_prepend(Error **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/*
 * error_append_hint:
 * @errp: holds an error, or NULL
 * @fmt: printf format of a hint printed on the lines after the message
 *
 * The hint is free text and should end with a newline.
 */
void error_append_hint(Error **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/*
 * error_propagate:
 * @dst_errp: where the caller wants the error (may be NULL, &error_abort...)
 * @local_err: an error to pass on, or NULL; ownership moves to @dst_errp
 */
void error_propagate(Error **dst_errp, Error *local_err);

/*
 * error_get_pretty:
 * @err: an error
 *
 * Returns: the message, owned by @err.
 */
const char *error_get_pretty(const Error *err);

/*
 * error_free:
 * @err: an error, or NULL
 */
void error_free(Error *err);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Error, error_free)

/*
 * error_set_progname:
 * @name: program name printed before messages ("qemu-img"); borrowed, must
 *        outlive all reporting
 */
void error_set_progname(const char *name);

/*
 * error_report:
 * @fmt: printf format
 *
 * Print "progname: message\n" on stderr.  Only tools may call this.
 */
void error_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/*
 * warn_report:
 * @fmt: printf format
 *
 * Print "progname: warning: message\n" on stderr.  Only tools may call this.
 */
void warn_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/*
 * error_report_err:
 * @err: the error to print and free
 *
 * Print the message as error_report() does, then its hint, then free @err.
 */
void error_report_err(Error *err);

#endif /* QAPI_ERROR_H */
