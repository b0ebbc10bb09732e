/*
 * libFuzzer target: the input is a LUKS1 header area, opened through
 * qcrypto_block_open() header-only and then unlocked with a password.
 */
#include "qemu/osdep.h"

#include "crypto/block.h"
#include "fuzz-util.h"

/* The fuzz input, read as the encryption header area. */
typedef struct FuzzArea {
    const uint8_t *data;
    size_t size;
} FuzzArea;

/*
 * Like the file protocol, bytes past the end of the input read as zeros.
 * The LUKS code only asks for the phdr and one keyslot's material, so a
 * huge request means a length was not validated: fail it loudly.
 */
static int fuzz_read(QCryptoBlock *block, size_t offset, uint8_t *buf,
                     size_t buflen, void *opaque, Error **errp)
{
    const FuzzArea *area = opaque;
    size_t n = 0;

    assert(buflen <= 64 * 1024 * 1024);
    if (offset < area->size) {
        n = MIN(buflen, area->size - offset);
        memcpy(buf, area->data + offset, n);
    }
    memset(buf + n, 0, buflen - n);
    return 0;
}

/* Exercise what qemu-img info does with an open block. */
static void fuzz_info(QCryptoBlock *block)
{
    g_autoptr(QObject) info = qcrypto_block_get_info(block);
    g_autoptr(GString) human = g_string_new(NULL);

    g_free(qobject_to_json(info, true));
    qobject_dump_human(human, info, 1);
    assert(qcrypto_block_get_sector_size(block) > 0);
    (void)qcrypto_block_get_payload_offset(block);
}

/* Unlock with the registered password and decrypt two sectors. */
static void fuzz_unlock(const FuzzArea *area)
{
    QCryptoBlockOpenOptions opts = {
        .format = QCRYPTO_BLOCK_FORMAT_LUKS,
        .key_secret = (char *)FUZZ_SECRET_ID,
    };
    g_autoptr(QCryptoBlock) block = NULL;
    uint8_t sectors[1024] = { 0 };
    Error *err = NULL;

    block = qcrypto_block_open(&opts, "", fuzz_read, (void *)area, 0, &err);
    if (!block) {
        fuzz_check_error(err);
        return;
    }
    fuzz_info(block);
    qcrypto_block_decrypt(block, 0, sectors, sizeof(sectors));
    qcrypto_block_encrypt(block, 512, sectors, sizeof(sectors));
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init_secret();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzArea area = { .data = data, .size = size };
    QCryptoBlockOpenOptions opts = { .format = QCRYPTO_BLOCK_FORMAT_LUKS };
    g_autoptr(QCryptoBlock) block = NULL;
    Error *err = NULL;

    (void)qcrypto_block_has_format(QCRYPTO_BLOCK_FORMAT_LUKS, data, size);
    block = qcrypto_block_open(&opts, "", fuzz_read, &area,
                               QCRYPTO_BLOCK_OPEN_NO_IO, &err);
    if (!block) {
        fuzz_check_error(err);
        return 0;
    }
    fuzz_info(block);
    if (!fuzz_luks_unlock_is_slow(data, size)) {
        fuzz_unlock(&area);
    }
    return 0;
}
