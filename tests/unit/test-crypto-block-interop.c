/*
 * Interoperability tests for crypto/block*.c: reference images made by
 * qemu-img 7.2 and cryptsetup must unlock and decrypt, and volumes we
 * create or amend must open in the real qemu-io/qemu-img and cryptsetup.
 */
#include "qemu/osdep.h"

#include "crypto-block-test-util.h"

/* ------------------------------------------------------------------ */
/* Our volumes in the real qemu-io, qemu-img 7.2 and cryptsetup        */
/* ------------------------------------------------------------------ */

typedef struct InteropCase {
    const char *path;
    int cipher_alg;                 /* DFLT: 7.2's default */
    int cipher_mode;
    int ivgen_alg;
    int ivgen_hash_alg;
    int hash_alg;
    bool cryptsetup;                /* cryptsetup can unlock it here */
} InteropCase;

static const InteropCase interop_cases[] = {
    { "aes-256-xts-plain64", DFLT, DFLT, DFLT, DFLT, DFLT, true },
    { "aes-128-cbc-essiv", QCRYPTO_CIPHER_ALGO_AES_128,
      QCRYPTO_CIPHER_MODE_CBC, QCRYPTO_IVGEN_ALGO_ESSIV, DFLT, DFLT, true },
    { "serpent-256-xts", QCRYPTO_CIPHER_ALGO_SERPENT_256,
      QCRYPTO_CIPHER_MODE_XTS, DFLT, DFLT, DFLT, false },
    { "twofish-128-cbc-plain", QCRYPTO_CIPHER_ALGO_TWOFISH_128,
      QCRYPTO_CIPHER_MODE_CBC, QCRYPTO_IVGEN_ALGO_PLAIN, DFLT, DFLT, false },
    { "cast5-128-cbc-plain64-sha1", QCRYPTO_CIPHER_ALGO_CAST5_128,
      QCRYPTO_CIPHER_MODE_CBC, QCRYPTO_IVGEN_ALGO_PLAIN64, DFLT,
      QCRYPTO_HASH_ALGO_SHA1, false },
    { "aes-256-ctr", QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_CTR,
      DFLT, DFLT, DFLT, true },
    { "aes-256-ecb-sha512", QCRYPTO_CIPHER_ALGO_AES_256,
      QCRYPTO_CIPHER_MODE_ECB, DFLT, DFLT, QCRYPTO_HASH_ALGO_SHA512, false },
    { "aes-128-ctr-plain-sha1", QCRYPTO_CIPHER_ALGO_AES_128,
      QCRYPTO_CIPHER_MODE_CTR, QCRYPTO_IVGEN_ALGO_PLAIN,
      QCRYPTO_HASH_ALGO_SHA1, DFLT, false },
    { "twofish-256-xts-essiv", QCRYPTO_CIPHER_ALGO_TWOFISH_256,
      QCRYPTO_CIPHER_MODE_XTS, QCRYPTO_IVGEN_ALGO_ESSIV, DFLT, DFLT, false },
    { "aes-192-xts-ripemd160", QCRYPTO_CIPHER_ALGO_AES_192,
      QCRYPTO_CIPHER_MODE_XTS, DFLT, DFLT, QCRYPTO_HASH_ALGO_RIPEMD160,
      false },
};

/* qemu-img info's format-specific data must equal our info exactly. */
static void interop_check_info(const char *path, QCryptoBlock *block)
{
    const char *argv[] = { QEMU_IMG, "info", "-f", "luks", "--output=json",
                           path, NULL };
    g_autofree char *out = run_tool(argv);
    g_autoptr(QObject) info = qobject_from_json(out, &error_abort);
    QObject *data = qdict_get(qdict_get(info, "format-specific"), "data");
    g_autofree char *theirs = qobject_to_json(data, false);
    g_autofree char *ours = block_info_json(block);

    g_assert_cmpstr(theirs, ==, ours);
}

/* qemu-io must unlock our volume and read back our data. */
static void interop_check_data(const char *path)
{
    g_autofree char *opts =
        g_strdup_printf("driver=luks,file.filename=%s,key-secret=sec0", path);
    const char *argv[] = { QEMU_IO, "--object", "secret,id=sec0,data=123456",
                           "--image-opts", opts,
                           "-c", "read -P 0xa5 0 512",
                           "-c", "read -P 0x5a 4096 4096", NULL };
    g_autofree char *out = run_tool(argv);

    g_assert_null(strstr(out, "Pattern verification failed"));
    g_assert_nonnull(strstr(out, "read 512/512 bytes at offset 0"));
    g_assert_nonnull(strstr(out, "read 4096/4096 bytes at offset 4096"));
}

/*
 * cryptsetup must unlock our keyslot.  Without device-mapper it decrypts
 * keyslots with the kernel's AF_ALG ciphers, so only the cases marked
 * for it are tried: AES, and no ECB or plain IV hash, which it would
 * hand to device-mapper.
 */
static void interop_check_cryptsetup(const char *path)
{
    g_autofree char *keyfile = NULL;
    int fd = g_file_open_tmp("test-crypto-block-XXXXXX.key", &keyfile, NULL);
    const char *argv[] = { CRYPTSETUP, "luksOpen", "--test-passphrase",
                           "--key-file", NULL, path, NULL };

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, "123456", 6), ==, 6);
    close(fd);
    argv[4] = keyfile;
    g_free(run_tool(argv));
    unlink(keyfile);
}

/* A volume we create and write is read by qemu-img/qemu-io 7.2. */
static void test_interop(gconstpointer opaque)
{
    const InteropCase *c = opaque;
    QCryptoBlockCreateOptions opts = luks_create_opts("sec0", 10);
    g_autoptr(TestDisk) disk = test_disk_new();
    g_autoptr(QCryptoBlock) block = NULL;
    g_autofree char *path = NULL;

    if (!have_reference_tool(QEMU_IO) || !have_reference_tool(QEMU_IMG)) {
        return;
    }
    luks_set_algs(&opts, c->cipher_alg, c->cipher_mode, c->ivgen_alg,
                  c->ivgen_hash_alg, c->hash_alg);
    block = luks_create(&opts, disk, &error_abort);
    test_disk_put(disk, block, 0, 512, 0xa5);
    test_disk_put(disk, block, 4096, 4096, 0x5a);
    path = test_disk_save(disk);
    interop_check_info(path, block);
    interop_check_data(path);
    if (c->cryptsetup && have_reference_tool(CRYPTSETUP)) {
        interop_check_cryptsetup(path);
    }
    unlink(path);
}

/* ------------------------------------------------------------------ */
/* Reference images                                                    */
/* ------------------------------------------------------------------ */

typedef struct ReferenceImage {
    const char *name;
    const char *secrets[2];         /* passwords that unlock it */
    bool has_data;
} ReferenceImage;

/* See tests/images/README (qemu-img 7.2.22, cryptsetup 2.6.1). */
static const ReferenceImage reference_images[] = {
    { "luks-qemu-aes-256-xts-plain64", { "sec0" }, true },
    { "luks-qemu-aes-128-cbc-essiv", { "sec0" }, true },
    { "luks-qemu-serpent-128-xts-plain64", { "sec0" }, true },
    { "luks-qemu-twofish-128-cbc-plain", { "sec0" }, true },
    { "luks-qemu-aes-128-ctr-plain64", { "sec0" }, true },
    { "luks-qemu-cast5-128-cbc-plain64-2slots", { "sec0", "sec1" }, true },
    { "luks-cryptsetup-aes-xts-plain64", { "sec0" }, true },
    { "luks-cryptsetup-aes-cbc-plain", { "sec0", "sec1" }, true },
    { "luks-cryptsetup-aes-192-cbc-essiv", { "sec0" }, false },
};

/* NO_IO info must equal what qemu-img info printed, key order included. */
static void check_reference_info(const ReferenceImage *img, TestDisk *disk)
{
    g_autofree char *path = g_strdup_printf(IMAGES_DIR "%s.info.json",
                                            img->name);
    g_autofree char *expected = NULL;
    g_autoptr(QCryptoBlock) block = NULL;
    g_autofree char *json = NULL;

    g_assert_true(g_file_get_contents(path, &expected, NULL, NULL));
    g_strchomp(expected);
    block = luks_open(disk, NULL, QCRYPTO_BLOCK_OPEN_NO_IO, &error_abort);
    json = block_info_json(block);
    g_assert_cmpstr(json, ==, expected);
}

static void test_reference_image(gconstpointer opaque)
{
    const ReferenceImage *img = opaque;
    g_autoptr(TestDisk) disk = test_disk_load(img->name);
    size_t i;

    check_reference_info(img, disk);
    for (i = 0; i < G_N_ELEMENTS(img->secrets) && img->secrets[i]; i++) {
        g_autoptr(QCryptoBlock) block = luks_open(disk, img->secrets[i], 0,
                                                  &error_abort);

        if (img->has_data) {
            check_pattern(block, disk, 0, 512, 0xa5);
            check_pattern(block, disk, 4096, 4096, 0x5a);
            check_pattern(block, disk, 65024, 1024, 0x3c);
        }
    }
}

/*
 * After we add "second" to slot 4 and erase slot 0 of a qemu-img volume,
 * qemu-io 7.2 unlocks it with "second" and qemu-img shows our header.
 */
static void test_interop_amend(void)
{
    g_autoptr(TestDisk) disk = test_disk_load("luks-qemu-aes-256-xts-plain64");
    g_autoptr(QCryptoBlock) block = luks_open(disk, "sec0", 0, &error_abort);
    g_autoptr(QCryptoBlock) reopened = NULL;
    QCryptoBlockAmendOptions add4 = { ACTIVE, NEW("sec1"), KEYSLOT(4),
                                      ITER(0) };
    QCryptoBlockAmendOptions erase0 = { INACTIVE, KEYSLOT(0) };
    g_autofree char *path = NULL;
    g_autofree char *opts = NULL;
    g_autofree char *out = NULL;

    if (!have_reference_tool(QEMU_IO) || !have_reference_tool(QEMU_IMG)) {
        return;
    }
    g_assert_cmpint(amend(block, disk, &add4, false, &error_abort), ==, 0);
    g_assert_cmpint(amend(block, disk, &erase0, false, &error_abort), ==, 0);
    path = test_disk_save(disk);
    reopened = luks_open(disk, NULL, QCRYPTO_BLOCK_OPEN_NO_IO, &error_abort);
    interop_check_info(path, reopened);

    opts = g_strdup_printf("driver=luks,file.filename=%s,key-secret=s",
                           path);
    out = run_tool((const char *[]) {
        QEMU_IO, "--object", "secret,id=s,data=second", "--image-opts",
        opts, "-c", "read -P 0x5a 4096 4096", NULL });
    g_assert_nonnull(strstr(out, "read 4096/4096 bytes at offset 4096"));
    g_assert_null(strstr(out, "Pattern verification failed"));
    unlink(path);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    add_secrets();
    add_cases("/crypto/block/interop/create", CASES(interop_cases),
              test_interop);
    g_test_add_func("/crypto/block/interop/amend", test_interop_amend);
    add_cases("/crypto/block/reference", CASES(reference_images),
              test_reference_image);
    ret = g_test_run();
    qcrypto_secret_registry_clear();
    return ret;
}
