/*
 * Helpers shared by the libFuzzer targets in tests/fuzz.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qapi/error.h"

/* The secret every target registers: the password of tests/images. */
#define FUZZ_SECRET_ID "fz0"
#define FUZZ_SECRET_PASSWORD "123456"

/*
 * PBKDF2 work the targets accept for one unlock attempt.  The iteration
 * counts come from the input, and 7.2 (like cryptsetup) honours any
 * 32-bit count, so a valid header can ask for hours of work; the targets
 * skip the unlock of such inputs rather than time out on them.
 */
#define FUZZ_MAX_ITERS_PER_PBKDF2 10000
#define FUZZ_MAX_ITERS_PER_UNLOCK 40000

/*
 * LLVMFuzzerInitialize helper: register the secret FUZZ_SECRET_ID and
 * make glib's g_critical()/g_warning() abort, so that the fuzzer sees them.
 */
void fuzz_init_secret(void);

/*
 * fuzz_check_error:
 * @err: the error of a call that failed (ownership moves here)
 *
 * Abort unless the failure came with a message (the tools print it after
 * "qemu-img: ").  Newlines are not checked: 7.2 quotes header strings,
 * newlines included, in its messages.
 */
void fuzz_check_error(Error *err);

/*
 * fuzz_strndup:
 * @data, @size: the fuzz input
 * Returns: the input as a NUL-terminated string (it stops at the first NUL
 * byte); caller frees with g_free().
 */
char *fuzz_strndup(const uint8_t *data, size_t size);

/*
 * fuzz_luks_unlock_is_slow:
 * @hdr: a LUKS1 phdr candidate (magic already matched or not)
 * @len: bytes available at @hdr; fields beyond it count as zero, as the
 *       targets' readers return zeros past the end of the input
 *
 * Unlocking runs PBKDF2 once per active keyslot with its iterations, then
 * once more with the master key digest iterations.
 * Returns: whether that exceeds FUZZ_MAX_ITERS_PER_PBKDF2 for one call or
 * FUZZ_MAX_ITERS_PER_UNLOCK in total.
 */
bool fuzz_luks_unlock_is_slow(const uint8_t *hdr, size_t len);

/*
 * fuzz_any_luks_unlock_is_slow:
 * @data, @size: a whole image
 *
 * Look for LUKS1 headers at every 512-byte boundary (a raw LUKS volume has
 * its header at 0; qcow2 puts it at a cluster boundary).
 * Returns: whether any of them is slow to unlock (see above).
 */
bool fuzz_any_luks_unlock_is_slow(const uint8_t *data, size_t size);

#endif /* FUZZ_UTIL_H */
