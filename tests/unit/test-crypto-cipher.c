/*
 * Unit tests for crypto/cipher*.c: published known answers, agreement of
 * the libcrypto and nettle backends, mode plumbing and error paths.
 */
#include "qemu/osdep.h"

#include "crypto/cipher.h"
#include "crypto/cipherpriv.h"
#include "crypto/random.h"
#include "qemu/bswap.h"

#include "crypto-test-util.h"

/* NIST SP 800-38A Appendix F: the plaintext of all the AES examples. */
#define SP800_38A_PT \
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51" \
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"

/* IEEE 1619-2007 Annex B: the 512-byte data unit 00 01 .. ff 00 01 .. ff. */
#define IEEE1619_PT_256 \
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" \
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f" \
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f" \
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f" \
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f" \
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf" \
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf" \
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
#define IEEE1619_PT_512 IEEE1619_PT_256 IEEE1619_PT_256

typedef struct CipherVector {
    const char *path;           /* below /crypto/cipher/ */
    QCryptoCipherAlgo alg;
    QCryptoCipherMode mode;
    const char *key;            /* XTS: data key then tweak key */
    const char *iv;             /* NULL for ECB; XTS: the tweak */
    const char *plaintext;
    const char *ciphertext;
} CipherVector;

static const CipherVector cipher_vectors[] = {
    {
        /* NIST SP 800-38A, F.1.1 */
        "aes-128-ecb/sp800-38a",
        QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_CIPHER_MODE_ECB,
        "2b7e151628aed2a6abf7158809cf4f3c",
        NULL,
        SP800_38A_PT,
        "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
        "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4",
    },
    {
        /* NIST SP 800-38A, F.1.3 */
        "aes-192-ecb/sp800-38a",
        QCRYPTO_CIPHER_ALGO_AES_192, QCRYPTO_CIPHER_MODE_ECB,
        "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
        NULL,
        SP800_38A_PT,
        "bd334f1d6e45f25ff712a214571fa5cc974104846d0ad3ad7734ecb3ecee4eef"
        "ef7afd2270e2e60adce0ba2face6444e9a4b41ba738d6c72fb16691603c18e0e",
    },
    {
        /* NIST SP 800-38A, F.1.5 */
        "aes-256-ecb/sp800-38a",
        QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_ECB,
        "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
        NULL,
        SP800_38A_PT,
        "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870"
        "b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7",
    },
    {
        /* NIST SP 800-38A, F.2.1 */
        "aes-128-cbc/sp800-38a",
        QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_CIPHER_MODE_CBC,
        "2b7e151628aed2a6abf7158809cf4f3c",
        "000102030405060708090a0b0c0d0e0f",
        SP800_38A_PT,
        "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
        "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
    },
    {
        /* NIST SP 800-38A, F.2.3 */
        "aes-192-cbc/sp800-38a",
        QCRYPTO_CIPHER_ALGO_AES_192, QCRYPTO_CIPHER_MODE_CBC,
        "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
        "000102030405060708090a0b0c0d0e0f",
        SP800_38A_PT,
        "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
        "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd",
    },
    {
        /* NIST SP 800-38A, F.2.5 */
        "aes-256-cbc/sp800-38a",
        QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_CBC,
        "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
        "000102030405060708090a0b0c0d0e0f",
        SP800_38A_PT,
        "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
        "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b",
    },
    {
        /* NIST SP 800-38A, F.5.1 */
        "aes-128-ctr/sp800-38a",
        QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_CIPHER_MODE_CTR,
        "2b7e151628aed2a6abf7158809cf4f3c",
        "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
        SP800_38A_PT,
        "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
        "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
    },
    {
        /* NIST SP 800-38A, F.5.3 */
        "aes-192-ctr/sp800-38a",
        QCRYPTO_CIPHER_ALGO_AES_192, QCRYPTO_CIPHER_MODE_CTR,
        "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
        "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
        SP800_38A_PT,
        "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e94"
        "1e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050",
    },
    {
        /* NIST SP 800-38A, F.5.5 */
        "aes-256-ctr/sp800-38a",
        QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_CTR,
        "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
        "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
        SP800_38A_PT,
        "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
        "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6",
    },
    {
        /* IEEE 1619-2007 Annex B, vector 1 */
        "aes-128-xts/ieee1619-vec1",
        QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_CIPHER_MODE_XTS,
        "0000000000000000000000000000000000000000000000000000000000000000",
        "00000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "917cf69ebd68b2ec9b9fe9a3eadda692cd43d2f59598ed858c02c2652fbf922e",
    },
    {
        /* IEEE 1619-2007 Annex B, vector 2 */
        "aes-128-xts/ieee1619-vec2",
        QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_CIPHER_MODE_XTS,
        "1111111111111111111111111111111122222222222222222222222222222222",
        "33333333330000000000000000000000",
        "4444444444444444444444444444444444444444444444444444444444444444",
        "c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0",
    },
    {
        /* IEEE 1619-2007 Annex B, vector 3 */
        "aes-128-xts/ieee1619-vec3",
        QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_CIPHER_MODE_XTS,
        "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f022222222222222222222222222222222",
        "33333333330000000000000000000000",
        "4444444444444444444444444444444444444444444444444444444444444444",
        "af85336b597afc1a900b2eb21ec949d292df4c047e0b21532186a5971a227a89",
    },
    {
        /* IEEE 1619-2007 Annex B, vector 4 */
        "aes-128-xts/ieee1619-vec4",
        QCRYPTO_CIPHER_ALGO_AES_128, QCRYPTO_CIPHER_MODE_XTS,
        "2718281828459045235360287471352631415926535897932384626433832795",
        "00000000000000000000000000000000",
        IEEE1619_PT_512,
        "27a7479befa1d476489f308cd4cfa6e2a96e4bbe3208ff25287dd3819616e89c"
        "c78cf7f5e543445f8333d8fa7f56000005279fa5d8b5e4ad40e736ddb4d35412"
        "328063fd2aab53e5ea1e0a9f332500a5df9487d07a5c92cc512c8866c7e860ce"
        "93fdf166a24912b422976146ae20ce846bb7dc9ba94a767aaef20c0d61ad0265"
        "5ea92dc4c4e41a8952c651d33174be51a10c421110e6d81588ede82103a252d8"
        "a750e8768defffed9122810aaeb99f9172af82b604dc4b8e51bcb08235a6f434"
        "1332e4ca60482a4ba1a03b3e65008fc5da76b70bf1690db4eae29c5f1badd03c"
        "5ccf2a55d705ddcd86d449511ceb7ec30bf12b1fa35b913f9f747a8afd1b130e"
        "94bff94effd01a91735ca1726acd0b197c4e5b03393697e126826fb6bbde8ecc"
        "1e08298516e2c9ed03ff3c1b7860f6de76d4cecd94c8119855ef5297ca67e9f3"
        "e7ff72b1e99785ca0a7e7720c5b36dc6d72cac9574c8cbbc2f801e23e56fd344"
        "b07f22154beba0f08ce8891e643ed995c94d9a69c9f1b5f499027a78572aeebd"
        "74d20cc39881c213ee770b1010e4bea718846977ae119f7a023ab58cca0ad752"
        "afe656bb3c17256a9f6e9bf19fdd5a38fc82bbe872c5539edb609ef4f79c203e"
        "bb140f2e583cb2ad15b4aa5b655016a8449277dbd477ef2c8d6c017db738b18d"
        "eb4a427d1923ce3ff262735779a418f20a282df920147beabe421ee5319d0568",
    },
    {
        /* IEEE 1619-2007 Annex B, vector 10 */
        "aes-256-xts/ieee1619-vec10",
        QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_XTS,
        "2718281828459045235360287471352662497757247093699959574966967627"
        "3141592653589793238462643383279502884197169399375105820974944592",
        "ff000000000000000000000000000000",
        IEEE1619_PT_512,
        "1c3b3a102f770386e4836c99e370cf9bea00803f5e482357a4ae12d414a3e63b"
        "5d31e276f8fe4a8d66b317f9ac683f44680a86ac35adfc3345befecb4bb188fd"
        "5776926c49a3095eb108fd1098baec70aaa66999a72a82f27d848b21d4a741b0"
        "c5cd4d5fff9dac89aeba122961d03a757123e9870f8acf1000020887891429ca"
        "2a3e7a7d7df7b10355165c8b9a6d0a7de8b062c4500dc4cd120c0f7418dae3d0"
        "b5781c34803fa75421c790dfe1de1834f280d7667b327f6c8cd7557e12ac3a0f"
        "93ec05c52e0493ef31a12d3d9260f79a289d6a379bc70c50841473d1a8cc81ec"
        "583e9645e07b8d9670655ba5bbcfecc6dc3966380ad8fecb17b6ba02469a020a"
        "84e18e8f84252070c13e9f1f289be54fbc481457778f616015e1327a02b140f1"
        "505eb309326d68378f8374595c849d84f4c333ec4423885143cb47bd71c5edae"
        "9be69a2ffeceb1bec9de244fbe15992b11b77c040f12bd8f6a975a44a0f90c29"
        "a9abc3d4d893927284c58754cce294529f8614dcd2aba991925fedc4ae74ffac"
        "6e333b93eb4aff0479da9a410e4450e0dd7ae4c6e2910900575da401fc07059f"
        "645e8b7e9bfdef33943054ff84011493c27b3429eaedb4ed5376441a77ed4385"
        "1ad77f16f541dfd269d50d6a5f14fb0aab1cbb4c1550be97f7ab4066193c4caa"
        "773dad38014bd2092fa755c824bb5e54c4f36ffda9fcea70b9c6e693e148c151",
    },
    {
        /* IEEE 1619-2007 Annex B, vector 11 */
        "aes-256-xts/ieee1619-vec11",
        QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_XTS,
        "2718281828459045235360287471352662497757247093699959574966967627"
        "3141592653589793238462643383279502884197169399375105820974944592",
        "ffff0000000000000000000000000000",
        IEEE1619_PT_512,
        "77a31251618a15e6b92d1d66dffe7b50b50bad552305ba0217a610688eff7e11"
        "e1d0225438e093242d6db274fde801d4cae06f2092c728b2478559df58e837c2"
        "469ee4a4fa794e4bbc7f39bc026e3cb72c33b0888f25b4acf56a2a9804f1ce6d"
        "3d6e1dc6ca181d4b546179d55544aa7760c40d06741539c7e3cd9d2f6650b201"
        "3fd0eeb8c2b8e3d8d240ccae2d4c98320a7442e1c8d75a42d6e6cfa4c2eca179"
        "8d158c7aecdf82490f24bb9b38e108bcda12c3faf9a21141c3613b58367f922a"
        "aa26cd22f23d708dae699ad7cb40a8ad0b6e2784973dcb605684c08b8d6998c6"
        "9aac049921871ebb65301a4619ca80ecb485a31d744223ce8ddc2394828d6a80"
        "470c092f5ba413c3378fa6054255c6f9df4495862bbb3287681f931b687c888a"
        "bf844dfc8fc28331e579928cd12bd2390ae123cf03818d14dedde5c0c24c8ab0"
        "18bfca75ca096f2d531f3d1619e785f1ada437cab92e980558b3dce1474afb75"
        "bfedbf8ff54cb2618e0244c9ac0d3c66fb51598cd2db11f9be39791abe447c63"
        "094f7c453b7ff87cb5bb36b7c79efb0872d17058b83b15ab0866ad8a58656c5a"
        "7e20dbdf308b2461d97c0ec0024a2715055249cf3b478ddd4740de654f75ca68"
        "6e0d7345c69ed50cdc2a8b332b1f8824108ac937eb050585608ee734097fc090"
        "54fbff89eeaeea791f4a7ab1f9868294a4f9e27b42af8100cb9d59cef9645803",
    },
    {
        /* IEEE 1619-2007 Annex B, vector 12 */
        "aes-256-xts/ieee1619-vec12",
        QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_XTS,
        "2718281828459045235360287471352662497757247093699959574966967627"
        "3141592653589793238462643383279502884197169399375105820974944592",
        "ffffff00000000000000000000000000",
        IEEE1619_PT_512,
        "e387aaa58ba483afa7e8eb469778317ecf4cf573aa9d4eac23f2cdf914e4e200"
        "a8b490e42ee646802dc6ee2b471b278195d60918ececb44bf79966f83faba049"
        "9298ebc699c0c8634715a320bb4f075d622e74c8c932004f25b41e361025b5a8"
        "7815391f6108fc4afa6a05d9303c6ba68a128a55705d415985832fdeaae6c8e1"
        "9110e84d1b1f199a2692119edc96132658f09da7c623efcec712537a3d94c0bf"
        "5d7e352ec94ae5797fdb377dc1551150721adf15bd26a8efc2fcaad56881fa9e"
        "62462c28f30ae1ceaca93c345cf243b73f542e2074a705bd2643bb9f7cc79bb6"
        "e7091ea6e232df0f9ad0d6cf502327876d82207abf2115cdacf6d5a48f6c1879"
        "a65b115f0f8b3cb3c59d15dd8c769bc014795a1837f3901b5845eb491adfefe0"
        "97b1fa30a12fc1f65ba22905031539971a10f2f36c321bb51331cdefb39e3964"
        "c7ef079994f5b69b2edd83a71ef549971ee93f44eac3938fcdd61d01fa71799d"
        "a3a8091c4c48aa9ed263ff0749df95d44fef6a0bb578ec69456aa5408ae32c7a"
        "f08ad7ba8921287e3bbee31b767be06a0e705c864a769137df28292283ea81a2"
        "480241b44d9921cdbec1bc28dc1fda114bd8e5217ac9d8ebafa720e9da4f9ace"
        "231cc949e5b96fe76ffc21063fddc83a6b8679c00d35e09576a875305bed5f36"
        "ed242c8900dd1fa965bc950dfce09b132263a1eef52dd6888c309f5a7d712826",
    },
    {
        /* NESSIE Serpent-128-128 verified test vectors, Set 1, vector#0 */
        "serpent-128-ecb/nessie-set1-vec0",
        QCRYPTO_CIPHER_ALGO_SERPENT_128, QCRYPTO_CIPHER_MODE_ECB,
        "80000000000000000000000000000000",
        NULL,
        "00000000000000000000000000000000",
        "264e5481eff42a4606abda06c0bfda3d",
    },
    {
        /* NESSIE Serpent-192-128 verified test vectors, Set 1, vector#0 */
        "serpent-192-ecb/nessie-set1-vec0",
        QCRYPTO_CIPHER_ALGO_SERPENT_192, QCRYPTO_CIPHER_MODE_ECB,
        "800000000000000000000000000000000000000000000000",
        NULL,
        "00000000000000000000000000000000",
        "9e274ead9b737bb21efcfca548602689",
    },
    {
        /* NESSIE Serpent-256-128 verified test vectors, Set 3, vector#1 */
        "serpent-256-ecb/nessie-set3-vec1",
        QCRYPTO_CIPHER_ALGO_SERPENT_256, QCRYPTO_CIPHER_MODE_ECB,
        "0101010101010101010101010101010101010101010101010101010101010101",
        NULL,
        "01010101010101010101010101010101",
        "ec9723b15b2a6489f84c4524fffc2748",
    },
    {
        /* Linux crypto/testmgr.h serpent ECB vectors: the byte order that
         * dm-crypt, and so cryptsetup's LUKS images, use */
        "serpent-128-ecb/linux-testmgr",
        QCRYPTO_CIPHER_ALGO_SERPENT_128, QCRYPTO_CIPHER_MODE_ECB,
        "000102030405060708090a0b0c0d0e0f",
        NULL,
        "000102030405060708090a0b0c0d0e0f",
        "4c7d8a328072a22c823e4a1f3acda16d",
    },
    {
        /* Linux crypto/testmgr.h serpent ECB vectors */
        "serpent-256-ecb/linux-testmgr",
        QCRYPTO_CIPHER_ALGO_SERPENT_256, QCRYPTO_CIPHER_MODE_ECB,
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        NULL,
        "000102030405060708090a0b0c0d0e0f",
        "de269ff833e432b85b2e88d2701ce75c",
    },
    {
        /* Twofish submission package, ecb_ival.txt, 128-bit key */
        "twofish-128-ecb/ecb-ival",
        QCRYPTO_CIPHER_ALGO_TWOFISH_128, QCRYPTO_CIPHER_MODE_ECB,
        "00000000000000000000000000000000",
        NULL,
        "00000000000000000000000000000000",
        "9f589f5cf6122c32b6bfec2f2ae8c35a",
    },
    {
        /* Twofish submission package, ecb_ival.txt, 192-bit key */
        "twofish-192-ecb/ecb-ival",
        QCRYPTO_CIPHER_ALGO_TWOFISH_192, QCRYPTO_CIPHER_MODE_ECB,
        "0123456789abcdeffedcba98765432100011223344556677",
        NULL,
        "00000000000000000000000000000000",
        "cfd1d2e5a9be9cdf501f13b892bd2248",
    },
    {
        /* Twofish submission package, ecb_ival.txt, 256-bit key */
        "twofish-256-ecb/ecb-ival",
        QCRYPTO_CIPHER_ALGO_TWOFISH_256, QCRYPTO_CIPHER_MODE_ECB,
        "0123456789abcdeffedcba987654321000112233445566778899aabbccddeeff",
        NULL,
        "00000000000000000000000000000000",
        "37527be0052334b89f0cfccae87cfa20",
    },
    {
        /* RFC 2144 Appendix B.1, 128-bit key */
        "cast5-128-ecb/rfc2144-b1",
        QCRYPTO_CIPHER_ALGO_CAST5_128, QCRYPTO_CIPHER_MODE_ECB,
        "0123456712345678234567893456789a",
        NULL,
        "0123456789abcdef",
        "238b4fe5847e44b2",
    },
    {
        /* NIST SP 800-17 Table 1 (variable plaintext known answer test),
         * round 1 */
        "des-ecb/sp800-17-vp1",
        QCRYPTO_CIPHER_ALGO_DES, QCRYPTO_CIPHER_MODE_ECB,
        "0101010101010101",
        NULL,
        "8000000000000000",
        "95f8a5e5dd31d900",
    },
    {
        /* NIST SP 800-67 Rev. 1 Appendix B, first block ("The qufc") */
        "3des-ecb/sp800-67-b1",
        QCRYPTO_CIPHER_ALGO_3DES, QCRYPTO_CIPHER_MODE_ECB,
        "0123456789abcdef23456789abcdef01456789abcdef0123",
        NULL,
        "5468652071756663",
        "a826fd8ce53b855f",
    },
};

static const QCryptoCipherDriver *const cipher_test_drivers[] = {
    &qcrypto_cipher_driver_openssl,
    &qcrypto_cipher_driver_nettle,
};

/* Assert that @len bytes at @buf are @hex. */
static void cipher_assert_hex(const uint8_t *buf, size_t len, const char *hex)
{
    g_autofree char *got = test_hex(buf, len);

    g_assert_cmpstr(got, ==, hex);
}

/* Run one known answer through @cipher: both ways, out of place and in
 * place, twice to show that nothing carries over between calls. */
static void cipher_check_answer(QCryptoCipher *cipher, const uint8_t *iv,
                                const CipherVector *v)
{
    size_t len, ctlen;
    g_autofree uint8_t *pt = test_unhex(v->plaintext, &len);
    g_autofree uint8_t *ct = test_unhex(v->ciphertext, &ctlen);
    g_autofree uint8_t *buf = g_malloc(len);
    int round;

    g_assert_cmpuint(len, ==, ctlen);
    for (round = 0; round < 2; round++) {
        qcrypto_cipher_encrypt(cipher, iv, pt, buf, len);
        cipher_assert_hex(buf, len, v->ciphertext);
        qcrypto_cipher_decrypt(cipher, iv, ct, buf, len);
        cipher_assert_hex(buf, len, v->plaintext);

        memcpy(buf, pt, len);
        qcrypto_cipher_encrypt(cipher, iv, buf, buf, len);
        cipher_assert_hex(buf, len, v->ciphertext);
        qcrypto_cipher_decrypt(cipher, iv, buf, buf, len);
        cipher_assert_hex(buf, len, v->plaintext);
    }
}

/* Whether @driver would take @key for @alg in @mode. */
static bool cipher_driver_fits(const QCryptoCipherDriver *driver,
                               QCryptoCipherAlgo alg, QCryptoCipherMode mode,
                               const uint8_t *key, size_t nkey)
{
    return driver->supports(alg, mode) &&
           (!driver->accepts_key ||
            driver->accepts_key(alg, mode, key, nkey));
}

/* A published vector, through the default choice and every backend. */
static void test_cipher_vector(const void *opaque)
{
    const CipherVector *v = opaque;
    size_t nkey, niv = 0, i;
    g_autofree uint8_t *key = test_unhex(v->key, &nkey);
    g_autofree uint8_t *iv = v->iv ? test_unhex(v->iv, &niv) : NULL;
    g_autoptr(QCryptoCipher) cipher = NULL;

    g_assert_cmpuint(niv, ==, qcrypto_cipher_get_iv_len(v->alg, v->mode));
    cipher = qcrypto_cipher_new(v->alg, v->mode, key, nkey, &error_abort);
    cipher_check_answer(cipher, iv, v);

    for (i = 0; i < G_N_ELEMENTS(cipher_test_drivers); i++) {
        const QCryptoCipherDriver *driver = cipher_test_drivers[i];
        g_autoptr(QCryptoCipher) one = NULL;

        if (!cipher_driver_fits(driver, v->alg, v->mode, key, nkey)) {
            continue;
        }
        one = qcrypto_cipher_new_with_driver(driver, v->alg, v->mode,
                                             key, nkey, &error_abort);
        cipher_check_answer(one, iv, v);
    }
}

/* One algorithm in one mode. */
typedef struct CipherCase {
    QCryptoCipherAlgo alg;
    QCryptoCipherMode mode;
} CipherCase;

#define AGREE_SECTORS 64
#define AGREE_SECTOR_SIZE 512

/* Returns: a random key for @c that libcrypto accepts. */
static uint8_t *cipher_random_key(const CipherCase *c, size_t *nkey)
{
    size_t n = qcrypto_cipher_get_key_len(c->alg);
    uint8_t *key;

    if (c->mode == QCRYPTO_CIPHER_MODE_XTS) {
        n *= 2;
    }
    key = g_malloc(n);
    qcrypto_random_bytes(key, n, &error_abort);
    if (c->mode == QCRYPTO_CIPHER_MODE_XTS) {
        /* Make the halves differ even in the unlikely equal case. */
        key[n / 2] = ~key[0];
    }
    *nkey = n;
    return key;
}

/* Encrypt with both and compare, then decrypt with both. */
static void cipher_agree_once(QCryptoCipher *a, QCryptoCipher *b,
                              const uint8_t *iv, const uint8_t *in,
                              size_t len)
{
    g_autofree uint8_t *outa = g_malloc(len + 1);
    g_autofree uint8_t *outb = g_malloc(len + 1);

    qcrypto_cipher_encrypt(a, iv, in, outa, len);
    qcrypto_cipher_encrypt(b, iv, in, outb, len);
    g_assert_cmpmem(outa, len, outb, len);
    qcrypto_cipher_decrypt(a, iv, outb, outb, len);
    qcrypto_cipher_decrypt(b, iv, outa, outa, len);
    g_assert_cmpmem(outa, len, in, len);
    g_assert_cmpmem(outb, len, in, len);
}

/*
 * libcrypto and nettle give the same output for random data: sector by
 * sector with plain64-style IVs near 2^32 and 2^64, one whole buffer, and
 * (CTR) messages of every length up to three blocks.
 */
static void test_cipher_backends_agree(const void *opaque)
{
    const CipherCase *c = opaque;
    size_t nkey, niv = qcrypto_cipher_get_iv_len(c->alg, c->mode);
    size_t total = AGREE_SECTORS * AGREE_SECTOR_SIZE, len;
    g_autofree uint8_t *key = cipher_random_key(c, &nkey);
    g_autofree uint8_t *data = g_malloc(total);
    g_autoptr(QCryptoCipher) ossl = NULL;
    g_autoptr(QCryptoCipher) ntl = NULL;
    uint8_t iv[16] = { 0 };
    uint64_t sector;

    qcrypto_random_bytes(data, total, &error_abort);
    ossl = qcrypto_cipher_new_with_driver(&qcrypto_cipher_driver_openssl,
                                          c->alg, c->mode, key, nkey,
                                          &error_abort);
    ntl = qcrypto_cipher_new_with_driver(&qcrypto_cipher_driver_nettle,
                                         c->alg, c->mode, key, nkey,
                                         &error_abort);
    for (sector = 0; sector < AGREE_SECTORS; sector++) {
        uint64_t base = sector % 2 ? UINT32_MAX - 8 : UINT64_MAX - 64;

        stq_le_p(iv, base + sector);
        cipher_agree_once(ossl, ntl, niv ? iv : NULL,
                          data + sector * AGREE_SECTOR_SIZE,
                          AGREE_SECTOR_SIZE);
    }
    memset(iv, 0xff, sizeof(iv));
    cipher_agree_once(ossl, ntl, niv ? iv : NULL, data, total);
    if (c->mode == QCRYPTO_CIPHER_MODE_CTR) {
        for (len = 1; len <= 48; len++) {
            cipher_agree_once(ossl, ntl, iv, data, len);
        }
    }
}

/* Increment a big-endian counter of @len bytes (CTR's counter block). */
static void cipher_counter_inc(uint8_t *ctr, size_t len)
{
    while (len > 0 && ++ctr[len - 1] == 0) {
        len--;
    }
}

/*
 * CBC and CTR built by hand from ECB of the same algorithm and key, for
 * every algorithm and backend: C[i] = E(P[i] ^ C[i-1]) with C[-1] = IV,
 * and C[i] = P[i] ^ E(IV + i) with a counter that carries across 64 bits.
 */
static void test_cipher_modes_from_ecb(const void *opaque)
{
    const CipherCase *c = opaque;
    size_t bs = qcrypto_cipher_get_block_len(c->alg);
    size_t len = 4 * bs, nkey, i, j;
    CipherCase ecbcase = { c->alg, QCRYPTO_CIPHER_MODE_ECB };
    g_autofree uint8_t *key = cipher_random_key(&ecbcase, &nkey);
    g_autofree uint8_t *pt = g_malloc(len);
    g_autofree uint8_t *want = g_malloc(len);
    g_autofree uint8_t *got = g_malloc(len);
    g_autoptr(QCryptoCipher) ecb = NULL;
    g_autoptr(QCryptoCipher) cipher = NULL;
    uint8_t iv[16], block[16];

    qcrypto_random_bytes(pt, len, &error_abort);
    memset(iv, 0xff, bs);
    iv[0] = 0x42;
    iv[bs - 1] = 0xfe;
    ecb = qcrypto_cipher_new(c->alg, QCRYPTO_CIPHER_MODE_ECB, key, nkey,
                             &error_abort);
    cipher = qcrypto_cipher_new(c->alg, c->mode, key, nkey, &error_abort);

    memcpy(block, iv, bs);
    for (i = 0; i < len; i += bs) {
        if (c->mode == QCRYPTO_CIPHER_MODE_CBC) {
            for (j = 0; j < bs; j++) {
                block[j] ^= pt[i + j];
            }
            qcrypto_cipher_encrypt(ecb, NULL, block, block, bs);
            memcpy(want + i, block, bs);
        } else {
            qcrypto_cipher_encrypt(ecb, NULL, block, want + i, bs);
            for (j = 0; j < bs; j++) {
                want[i + j] ^= pt[i + j];
            }
            cipher_counter_inc(block, bs);
        }
    }
    qcrypto_cipher_encrypt(cipher, iv, pt, got, len);
    g_assert_cmpmem(got, len, want, len);
    qcrypto_cipher_decrypt(cipher, iv, want, got, len);
    g_assert_cmpmem(got, len, pt, len);
}

/* Random data survives encryption and decryption, in place, with every
 * algorithm, mode and backend. */
static void test_cipher_roundtrip(const void *opaque)
{
    const CipherCase *c = opaque;
    size_t len = 4096, nkey, i;
    g_autofree uint8_t *key = cipher_random_key(c, &nkey);
    g_autofree uint8_t *data = g_malloc(len);
    g_autofree uint8_t *buf = g_malloc(len);
    uint8_t iv[16] = { 0x01, 0x02, 0x03 };

    qcrypto_random_bytes(data, len, &error_abort);
    for (i = 0; i < G_N_ELEMENTS(cipher_test_drivers); i++) {
        g_autoptr(QCryptoCipher) cipher = NULL;

        if (!cipher_test_drivers[i]->supports(c->alg, c->mode)) {
            continue;
        }
        cipher = qcrypto_cipher_new_with_driver(cipher_test_drivers[i],
                                                c->alg, c->mode, key, nkey,
                                                &error_abort);
        memcpy(buf, data, len);
        qcrypto_cipher_encrypt(cipher, iv, buf, buf, len);
        g_assert_true(memcmp(buf, data, len) != 0);
        qcrypto_cipher_decrypt(cipher, iv, buf, buf, len);
        g_assert_cmpmem(buf, len, data, len);
    }
}

/* Names, sizes and the support matrix. */
static void test_cipher_tables(void)
{
    static const char *const algos[] = {
        "aes-128", "aes-192", "aes-256", "des", "3des", "cast5-128",
        "serpent-128", "serpent-192", "serpent-256",
        "twofish-128", "twofish-192", "twofish-256",
    };
    static const char *const modes[] = { "ecb", "cbc", "xts", "ctr" };
    int i;

    g_assert_cmpint(QCryptoCipherAlgo_lookup.size, ==, G_N_ELEMENTS(algos));
    for (i = 0; i < QCRYPTO_CIPHER_ALGO__MAX; i++) {
        g_assert_cmpstr(qapi_enum_lookup(&QCryptoCipherAlgo_lookup, i), ==,
                        algos[i]);
    }
    g_assert_cmpint(QCryptoCipherMode_lookup.size, ==, G_N_ELEMENTS(modes));
    for (i = 0; i < QCRYPTO_CIPHER_MODE__MAX; i++) {
        g_assert_cmpstr(qapi_enum_lookup(&QCryptoCipherMode_lookup, i), ==,
                        modes[i]);
    }
    g_assert_cmpuint(qcrypto_cipher_get_key_len(QCRYPTO_CIPHER_ALGO_AES_192),
                     ==, 24);
    g_assert_cmpuint(qcrypto_cipher_get_key_len(QCRYPTO_CIPHER_ALGO_3DES),
                     ==, 24);
    g_assert_cmpuint(qcrypto_cipher_get_block_len(
                         QCRYPTO_CIPHER_ALGO_CAST5_128), ==, 8);
    g_assert_cmpuint(qcrypto_cipher_get_block_len(
                         QCRYPTO_CIPHER_ALGO_TWOFISH_256), ==, 16);
    g_assert_cmpuint(qcrypto_cipher_get_iv_len(QCRYPTO_CIPHER_ALGO_AES_256,
                                               QCRYPTO_CIPHER_MODE_ECB),
                     ==, 0);
    g_assert_cmpuint(qcrypto_cipher_get_iv_len(QCRYPTO_CIPHER_ALGO_CAST5_128,
                                               QCRYPTO_CIPHER_MODE_CBC),
                     ==, 8);
    g_assert_true(qcrypto_cipher_supports(QCRYPTO_CIPHER_ALGO_AES_192,
                                          QCRYPTO_CIPHER_MODE_XTS));
    g_assert_false(qcrypto_cipher_supports(QCRYPTO_CIPHER_ALGO_CAST5_128,
                                           QCRYPTO_CIPHER_MODE_XTS));
    g_assert_false(qcrypto_cipher_supports(QCRYPTO_CIPHER_ALGO_DES,
                                           QCRYPTO_CIPHER_MODE_XTS));
    g_assert_false(qcrypto_cipher_supports(QCRYPTO_CIPHER_ALGO__MAX,
                                           QCRYPTO_CIPHER_MODE_ECB));
}

/* libcrypto refuses XTS keys with equal halves; nettle takes them. */
static void test_cipher_xts_equal_halves(void)
{
    uint8_t key[64] = { 0 };
    g_autoptr(QCryptoCipher) cipher = NULL;
    g_autoptr(Error) err = NULL;

    cipher = qcrypto_cipher_new(QCRYPTO_CIPHER_ALGO_AES_256,
                                QCRYPTO_CIPHER_MODE_XTS, key, sizeof(key),
                                &error_abort);
    g_assert_true(cipher->driver == &qcrypto_cipher_driver_nettle);
    g_assert_null(qcrypto_cipher_new_with_driver(
                      &qcrypto_cipher_driver_openssl,
                      QCRYPTO_CIPHER_ALGO_AES_256, QCRYPTO_CIPHER_MODE_XTS,
                      key, sizeof(key), &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Cipher backend openssl cannot use aes-256 in xts mode "
                    "with this key");
}

/* AES goes to libcrypto whenever it can. */
static void test_cipher_prefers_openssl(void)
{
    uint8_t key[64];
    g_autoptr(QCryptoCipher) cipher = NULL;

    memset(key, 0x11, 32);
    memset(key + 32, 0x22, 32);
    cipher = qcrypto_cipher_new(QCRYPTO_CIPHER_ALGO_AES_256,
                                QCRYPTO_CIPHER_MODE_XTS, key, sizeof(key),
                                &error_abort);
    g_assert_true(cipher->driver == &qcrypto_cipher_driver_openssl);
}

/*
 * The modes that reset an IV per call go straight to libcrypto's provider
 * (a third faster per 512-byte sector than through EVP); ECB uses EVP.
 * A libcrypto that stopped offering it would fall back silently.
 */
static void test_cipher_openssl_direct(void)
{
    static const QCryptoCipherMode modes[] = {
        QCRYPTO_CIPHER_MODE_XTS, QCRYPTO_CIPHER_MODE_CBC,
        QCRYPTO_CIPHER_MODE_CTR, QCRYPTO_CIPHER_MODE_ECB,
    };
    uint8_t key[64];

    for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
        size_t nkey = modes[i] == QCRYPTO_CIPHER_MODE_XTS ? 64 : 32;
        g_autoptr(QCryptoCipher) cipher = NULL;

        memset(key, 0x11, 32);
        memset(key + 32, 0x22, 32);
        cipher = qcrypto_cipher_new_with_driver(
            &qcrypto_cipher_driver_openssl, QCRYPTO_CIPHER_ALGO_AES_256,
            modes[i], key, nkey, &error_abort);
        g_assert_cmpint(qcrypto_cipher_openssl_is_direct(cipher), ==,
                        modes[i] != QCRYPTO_CIPHER_MODE_ECB);
    }
}

typedef struct CipherErrorCase {
    const char *path;
    QCryptoCipherAlgo alg;
    QCryptoCipherMode mode;
    size_t nkey;
    const char *message;
} CipherErrorCase;

static const CipherErrorCase cipher_errors[] = {
    { "error/key-length", QCRYPTO_CIPHER_ALGO_AES_128,
      QCRYPTO_CIPHER_MODE_CBC, 15, "Cipher key length 15 should be 16" },
    { "error/xts-key-length", QCRYPTO_CIPHER_ALGO_AES_256,
      QCRYPTO_CIPHER_MODE_XTS, 32, "Cipher key length 32 should be 64" },
    /* qemu-io 7.2 on a LUKS header with aes xts and key-bytes 33 */
    { "error/xts-key-length-odd", QCRYPTO_CIPHER_ALGO_AES_128,
      QCRYPTO_CIPHER_MODE_XTS, 33,
      "XTS cipher key length should be a multiple of 2" },
    { "error/cast5-xts", QCRYPTO_CIPHER_ALGO_CAST5_128,
      QCRYPTO_CIPHER_MODE_XTS, 32, "Unsupported cipher mode xts" },
    { "error/3des-xts", QCRYPTO_CIPHER_ALGO_3DES,
      QCRYPTO_CIPHER_MODE_XTS, 48, "Unsupported cipher mode xts" },
};

static void test_cipher_error(const void *opaque)
{
    const CipherErrorCase *c = opaque;
    uint8_t key[64] = { 0 };
    g_autoptr(Error) err = NULL;

    g_assert_null(qcrypto_cipher_new(c->alg, c->mode, key, c->nkey, &err));
    g_assert_nonnull(err);
    g_assert_cmpstr(error_get_pretty(err), ==, c->message);
}

/* Register one test per supported algorithm and mode under @prefix. */
static void cipher_add_per_case(const char *prefix, bool openssl_only,
                                GTestDataFunc fn)
{
    int alg, mode;

    for (alg = 0; alg < QCRYPTO_CIPHER_ALGO__MAX; alg++) {
        for (mode = 0; mode < QCRYPTO_CIPHER_MODE__MAX; mode++) {
            const QCryptoCipherDriver *ossl = &qcrypto_cipher_driver_openssl;
            CipherCase *c;
            g_autofree char *path = NULL;

            if (!qcrypto_cipher_supports(alg, mode) ||
                (openssl_only && !ossl->supports(alg, mode))) {
                continue;
            }
            c = g_new0(CipherCase, 1);
            c->alg = alg;
            c->mode = mode;
            path = g_strdup_printf("/crypto/cipher/%s/%s-%s", prefix,
                qapi_enum_lookup(&QCryptoCipherAlgo_lookup, alg),
                qapi_enum_lookup(&QCryptoCipherMode_lookup, mode));
            g_test_add_data_func_full(path, c, fn, g_free);
        }
    }
}

/* Register a CBC and a CTR test for every algorithm. */
static void cipher_add_modes_from_ecb(void)
{
    static const QCryptoCipherMode modes[] = {
        QCRYPTO_CIPHER_MODE_CBC, QCRYPTO_CIPHER_MODE_CTR,
    };
    int alg;
    size_t i;

    for (alg = 0; alg < QCRYPTO_CIPHER_ALGO__MAX; alg++) {
        for (i = 0; i < G_N_ELEMENTS(modes); i++) {
            CipherCase *c = g_new0(CipherCase, 1);
            g_autofree char *path = NULL;

            c->alg = alg;
            c->mode = modes[i];
            path = g_strdup_printf("/crypto/cipher/%s/%s-from-ecb",
                qapi_enum_lookup(&QCryptoCipherAlgo_lookup, alg),
                qapi_enum_lookup(&QCryptoCipherMode_lookup, modes[i]));
            g_test_add_data_func_full(path, c, test_cipher_modes_from_ecb,
                                      g_free);
        }
    }
}

int main(int argc, char **argv)
{
    size_t i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(cipher_vectors); i++) {
        g_autofree char *path = g_strdup_printf("/crypto/cipher/%s",
                                                cipher_vectors[i].path);

        g_test_add_data_func(path, &cipher_vectors[i], test_cipher_vector);
    }
    cipher_add_per_case("backends-agree", true, test_cipher_backends_agree);
    cipher_add_per_case("roundtrip", false, test_cipher_roundtrip);
    cipher_add_modes_from_ecb();
    for (i = 0; i < G_N_ELEMENTS(cipher_errors); i++) {
        g_autofree char *path = g_strdup_printf("/crypto/cipher/%s",
                                                cipher_errors[i].path);

        g_test_add_data_func(path, &cipher_errors[i], test_cipher_error);
    }
    g_test_add_func("/crypto/cipher/tables", test_cipher_tables);
    g_test_add_func("/crypto/cipher/xts-equal-halves",
                    test_cipher_xts_equal_halves);
    g_test_add_func("/crypto/cipher/openssl-direct",
                    test_cipher_openssl_direct);
    g_test_add_func("/crypto/cipher/prefers-openssl",
                    test_cipher_prefers_openssl);
    return g_test_run();
}
