/*
 * libFuzzer target: the input is an image file, opened with format probing
 * (every format driver of block.c, qcow2 included) for info, then with I/O
 * for block status and reads, then for a read-only check.
 */
#include "qemu/osdep.h"

#include <sys/mman.h>

#include "block/block.h"
#include "fuzz-util.h"

/* Bytes read per request; the image itself is at most -max_len. */
#define FUZZ_READ_MAX (64 * 1024)
/* Block status calls per image, to bound the walk over many extents. */
#define FUZZ_STATUS_STEPS 64

/* The memfd holding the current input, reused across inputs. */
static int fuzz_fd = -1;
static char fuzz_filename[64];

/* What qemu-img info asks of a node. */
static void fuzz_info(BlockDriverState *bs)
{
    g_autoptr(QObject) info = NULL;
    BlockDriverInfo bdi;
    Error *err = NULL;

    (void)bdrv_getlength(bs);
    (void)bdrv_get_allocated_file_size(bs);
    (void)bdrv_get_info(bs, &bdi);
    (void)bdrv_get_backing_filename(bs);
    (void)bdrv_get_backing_format(bs);
    g_free(bdrv_get_full_backing_filename(bs));
    info = bdrv_get_specific_info(bs, &err);
    if (info) {
        g_autoptr(GString) human = g_string_new(NULL);
        QObject *data = qdict_get(info, "data");

        g_free(qobject_to_json(info, true));
        if (data) {
            qobject_dump_human(human, data, 1);
        }
    } else if (err) {
        fuzz_check_error(err);
    }
}

/* Walk the block status of the whole image, a bounded number of steps. */
static void fuzz_block_status(BlockDriverState *bs, int64_t len)
{
    int64_t offset = 0, pnum = 0, map = 0;
    BlockDriverState *file = NULL;
    int i;

    for (i = 0; i < FUZZ_STATUS_STEPS && offset < len; i++) {
        int ret = bdrv_block_status(bs, offset, len - offset, &pnum, &map,
                                    &file);
        if (ret < 0) {
            return;
        }
        assert(pnum > 0 && pnum <= len - offset);
        offset += pnum;
    }
    (void)bdrv_is_allocated_above(bs, NULL, 0, len, &pnum);
}

/* Reads at the start, the end, an odd place, and past the end. */
static void fuzz_reads(BdrvChild *child, int64_t len)
{
    g_autofree uint8_t *buf = g_malloc(FUZZ_READ_MAX + 1);
    int64_t n = MIN(len, FUZZ_READ_MAX);

    (void)bdrv_pread(child, 0, n, buf, 0);
    (void)bdrv_pread(child, len - n, n, buf, 0);
    if (len > 3) {
        (void)bdrv_pread(child, len / 3 | 1, MIN(len - (len / 3 | 1), 1025),
                         buf, 0);
    }
    (void)bdrv_pread(child, len, 1, buf, 0);
    (void)bdrv_pread(child, len - n, n + 1, buf, 0);
}

/*
 * Open with I/O, read-only, with the secret given under the name the
 * format takes it ("key-secret" for luks, "encrypt.key-secret" for qcow2).
 * Returns: the node, or NULL.
 */
static BlockDriverState *fuzz_open_io(const char *format, bool encrypted,
                                      int flags)
{
    QObject *options = qobject_new_dict();
    BlockDriverState *bs;
    Error *err = NULL;

    if (encrypted) {
        qdict_put_str(options, g_str_equal(format, "luks") ? "key-secret" :
                      "encrypt.key-secret", FUZZ_SECRET_ID);
    }
    bs = bdrv_open(fuzz_filename, options, flags | BDRV_O_NO_BACKING, &err);
    if (!bs) {
        fuzz_check_error(err);
    }
    return bs;
}

/* qemu-img check without -r (its findings go to stderr, as in 7.2). */
static void fuzz_check(const char *format, bool encrypted)
{
    BlockDriverState *bs = fuzz_open_io(format, encrypted, BDRV_O_CHECK);
    BdrvCheckResult res;

    if (bs) {
        (void)bdrv_check(bs, &res, 0);
        bdrv_unref(bs);
    }
}

/* qemu-io and convert: length, block status and reads. */
static void fuzz_io(const char *format, bool encrypted)
{
    BlockDriverState *bs = fuzz_open_io(format, encrypted, 0);
    BdrvChild *child;
    int64_t len;

    if (!bs) {
        return;
    }
    child = bdrv_root_attach(bs);
    fuzz_info(bs);
    len = bdrv_getlength(bs);
    if (len >= 0) {
        fuzz_block_status(bs, len);
        fuzz_reads(child, len);
    }
    bdrv_root_detach(child);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init_secret();
    fuzz_fd = memfd_create("fuzz-open", 0);
    if (fuzz_fd < 0) {
        perror("memfd_create");
        abort();
    }
    snprintf(fuzz_filename, sizeof(fuzz_filename), "/proc/self/fd/%d",
             fuzz_fd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *format = NULL;
    BlockDriverState *bs;
    bool encrypted = false;
    Error *err = NULL;

    if (ftruncate(fuzz_fd, 0) < 0 ||
        pwrite(fuzz_fd, data, size, 0) != (ssize_t)size) {
        perror("fuzz-open: writing the memfd");
        abort();
    }
    /* qemu-img info: no key, no I/O, no backing chain (the name could be
     * any host file). */
    bs = bdrv_open(fuzz_filename, NULL, BDRV_O_NO_IO | BDRV_O_NO_BACKING,
                   &err);
    if (!bs) {
        fuzz_check_error(err);
        return 0;
    }
    fuzz_info(bs);
    format = g_strdup(bdrv_get_format_name(bs));
    encrypted = bdrv_is_encrypted(bs);
    bdrv_unref(bs);
    if (!fuzz_any_luks_unlock_is_slow(data, size)) {
        fuzz_io(format, encrypted);
        fuzz_check(format, encrypted);
    }
    return 0;
}
