/*
 * Random bytes from the kernel's generator (getrandom(2), falling back to
 * /dev/urandom where the system call is unavailable).
 */
#include "qemu/osdep.h"

#include <sys/random.h>

#include "crypto/random.h"

/* Fill @buf from /dev/urandom; for kernels or sandboxes without getrandom. */
static int random_bytes_urandom(uint8_t *buf, size_t buflen, Error **errp)
{
    size_t done = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        error_setg_errno(errp, errno, "Unable to open /dev/urandom");
        return -1;
    }
    while (done < buflen) {
        ssize_t got = read(fd, buf + done, buflen - done);

        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            error_setg_errno(errp, got < 0 ? errno : EIO,
                             "Unable to read random bytes from /dev/urandom");
            close(fd);
            return -1;
        }
        done += got;
    }
    close(fd);
    return 0;
}

int qcrypto_random_bytes(void *buf, size_t buflen, Error **errp)
{
    uint8_t *p = buf;
    size_t done = 0;

    while (done < buflen) {
        /* Requests above 32 MiB may return short; loop until complete. */
        ssize_t got = getrandom(p + done, buflen - done, 0);

        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0 && errno == ENOSYS) {
            return random_bytes_urandom(p + done, buflen - done, errp);
        }
        if (got <= 0) {
            error_setg_errno(errp, got < 0 ? errno : EIO,
                             "Unable to read random bytes");
            return -1;
        }
        done += got;
    }
    return 0;
}
