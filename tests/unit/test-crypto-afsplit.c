/*
 * Unit tests for crypto/afsplit.c: known merges, split/merge round trips
 * and the randomness of the split.
 */
#include "qemu/osdep.h"

#include "crypto/afsplit.h"

#include "crypto-test-util.h"

typedef struct AFSplitVector {
    const char *path;           /* below /crypto/afsplit/ */
    QCryptoHashAlgo hash;
    size_t blocklen;
    uint32_t stripes;
    const char *key;            /* merge of the pattern below */
} AFSplitVector;

/*
 * Split material: byte i is (7 * i + 3) mod 256.  The keys were computed
 * with an independent Python 3 transcription of LUKS1 §2.4 (hashlib for
 * the hashes), which in turn recovers the master key of a keyslot made by
 * cryptsetup 2.6 (luksFormat --type luks1 --master-key-file).  The cases
 * cover a digest longer than, equal to and shorter than the block, a last
 * piece shorter than a digest (64 = 3 * 20 + 4, 45 = 2 * 20 + 5), and a
 * single stripe (the key itself).
 */
static const AFSplitVector afsplit_vectors[] = {
    { "sha256/32x4000", QCRYPTO_HASH_ALGO_SHA256, 32, 4000,
      "ce6768ee2587f811e98989a9aa6cda9aeec8055d1d2827672d5b5a7931aac999" },
    { "sha1/64x4000", QCRYPTO_HASH_ALGO_SHA1, 64, 4000,
      "2bb39c5b7eb8df3155afbfec3f2c729e20b934638a6f4688ca22cead74bb1db5"
      "717c0470ac5f2bec69b49c872e80c8914cba83bd9a606bd58feb30d38a877e68" },
    { "sha512/16x3", QCRYPTO_HASH_ALGO_SHA512, 16, 3,
      "18b63a702646eebdf806ed948aaadb10" },
    { "sha1/20x1", QCRYPTO_HASH_ALGO_SHA1, 20, 1,
      "030a11181f262d343b424950575e656c737a8188" },
    { "ripemd160/45x2", QCRYPTO_HASH_ALGO_RIPEMD160, 45, 2,
      "78c2e1b0a1ecfd226372467f7c656cdbc8bd166fcd1e8cfa99cfb1c80beb7cb9"
      "8b5369c6685681c6e14029fb8d" },
};

/* Returns: the test pattern, @len bytes; caller frees. */
static uint8_t *afsplit_pattern(size_t len)
{
    uint8_t *buf = g_malloc(len);
    size_t i;

    for (i = 0; i < len; i++) {
        buf[i] = (uint8_t)(7 * i + 3);
    }
    return buf;
}

static void test_afsplit_decode(const void *opaque)
{
    const AFSplitVector *v = opaque;
    g_autofree uint8_t *material = afsplit_pattern(v->blocklen * v->stripes);
    g_autofree uint8_t *key = g_malloc(v->blocklen);
    g_autofree char *hex = NULL;

    qcrypto_afsplit_decode(v->hash, v->blocklen, v->stripes, material, key);
    hex = test_hex(key, v->blocklen);
    g_assert_cmpstr(hex, ==, v->key);
}

/* Split then merge gives the key back; two splits differ. */
static void test_afsplit_roundtrip(const void *opaque)
{
    const AFSplitVector *v = opaque;
    size_t total = v->blocklen * v->stripes;
    g_autofree uint8_t *key = afsplit_pattern(v->blocklen);
    g_autofree uint8_t *split1 = g_malloc(total);
    g_autofree uint8_t *split2 = g_malloc(total);
    g_autofree uint8_t *back = g_malloc(v->blocklen);

    g_assert_cmpint(qcrypto_afsplit_encode(v->hash, v->blocklen, v->stripes,
                                           key, split1, &error_abort),
                    ==, 0);
    g_assert_cmpint(qcrypto_afsplit_encode(v->hash, v->blocklen, v->stripes,
                                           key, split2, &error_abort),
                    ==, 0);
    qcrypto_afsplit_decode(v->hash, v->blocklen, v->stripes, split1, back);
    g_assert_cmpmem(back, v->blocklen, key, v->blocklen);
    qcrypto_afsplit_decode(v->hash, v->blocklen, v->stripes, split2, back);
    g_assert_cmpmem(back, v->blocklen, key, v->blocklen);
    if (v->stripes > 1) {
        g_assert_true(memcmp(split1, split2, total) != 0);
    }
}

/* Changing any one stripe changes the merged key. */
static void test_afsplit_every_stripe_matters(void)
{
    size_t blocklen = 32;
    uint32_t stripes = 40, i;
    g_autofree uint8_t *material = afsplit_pattern(blocklen * stripes);
    uint8_t ref[32], key[32];

    qcrypto_afsplit_decode(QCRYPTO_HASH_ALGO_SHA256, blocklen, stripes,
                           material, ref);
    for (i = 0; i < stripes; i++) {
        material[i * blocklen + i % blocklen] ^= 0x80;
        qcrypto_afsplit_decode(QCRYPTO_HASH_ALGO_SHA256, blocklen, stripes,
                               material, key);
        g_assert_true(memcmp(key, ref, blocklen) != 0);
        material[i * blocklen + i % blocklen] ^= 0x80;
    }
}

int main(int argc, char **argv)
{
    size_t i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(afsplit_vectors); i++) {
        g_autofree char *dpath = g_strdup_printf("/crypto/afsplit/%s/decode",
                                                 afsplit_vectors[i].path);
        g_autofree char *rpath =
            g_strdup_printf("/crypto/afsplit/%s/roundtrip",
                            afsplit_vectors[i].path);

        g_test_add_data_func(dpath, &afsplit_vectors[i], test_afsplit_decode);
        g_test_add_data_func(rpath, &afsplit_vectors[i],
                             test_afsplit_roundtrip);
    }
    g_test_add_func("/crypto/afsplit/every-stripe-matters",
                    test_afsplit_every_stripe_matters);
    return g_test_run();
}
