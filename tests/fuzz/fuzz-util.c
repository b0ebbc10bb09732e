/*
 * Helpers shared by the libFuzzer targets: the test secret, input as a
 * string, and the PBKDF2 cost of a LUKS1 header (spec 1.2.3, section 2.4).
 */
#include "qemu/osdep.h"

#include "crypto/secret.h"
#include "fuzz-util.h"
#include "qemu/bswap.h"

/* Offsets in the LUKS1 phdr (spec 2.4); the target reads them itself. */
#define LUKS_PHDR_LEN 592
#define LUKS_MK_ITERS_OFFSET 164
#define LUKS_SLOTS_OFFSET 208
#define LUKS_SLOT_LEN 48
#define LUKS_NUM_SLOTS 8
#define LUKS_SLOT_ENABLED 0x00AC71F3
#define LUKS_SECTOR 512

static const uint8_t luks_magic[6] = { 'L', 'U', 'K', 'S', 0xBA, 0xBE };

void fuzz_init_secret(void)
{
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    qcrypto_object_add_from_str("secret,id=" FUZZ_SECRET_ID
                                ",data=" FUZZ_SECRET_PASSWORD, &error_abort);
}

void fuzz_check_error(Error *err)
{
    const char *msg;

    assert(err);
    msg = error_get_pretty(err);
    assert(msg && msg[0]);
    error_free(err);
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
    return g_strndup((const char *)data, size);
}

/* Returns: the big-endian u32 at @offset, or 0 past @len. */
static uint32_t be32_or_zero(const uint8_t *buf, size_t len, size_t offset)
{
    uint8_t field[4] = { 0 };

    if (offset < len) {
        memcpy(field, buf + offset, MIN(sizeof(field), len - offset));
    }
    return ldl_be_p(field);
}

bool fuzz_luks_unlock_is_slow(const uint8_t *hdr, size_t len)
{
    uint64_t mk_iters = be32_or_zero(hdr, len, LUKS_MK_ITERS_OFFSET);
    uint64_t total = 0;
    size_t i;

    for (i = 0; i < LUKS_NUM_SLOTS; i++) {
        size_t base = LUKS_SLOTS_OFFSET + i * LUKS_SLOT_LEN;
        uint64_t iters = be32_or_zero(hdr, len, base + 4);

        if (be32_or_zero(hdr, len, base) != LUKS_SLOT_ENABLED) {
            continue;
        }
        if (iters > FUZZ_MAX_ITERS_PER_PBKDF2 ||
            mk_iters > FUZZ_MAX_ITERS_PER_PBKDF2) {
            return true;
        }
        total += iters + mk_iters;
    }
    return total > FUZZ_MAX_ITERS_PER_UNLOCK;
}

bool fuzz_any_luks_unlock_is_slow(const uint8_t *data, size_t size)
{
    size_t offset;

    for (offset = 0; offset + sizeof(luks_magic) <= size;
         offset += LUKS_SECTOR) {
        if (0 == memcmp(data + offset, luks_magic, sizeof(luks_magic)) &&
            fuzz_luks_unlock_is_slow(data + offset,
                                     MIN(size - offset, LUKS_PHDR_LEN))) {
            return true;
        }
    }
    return false;
}
