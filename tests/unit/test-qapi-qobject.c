/*
 * Unit tests for qapi/qobject*.c: dict order, JSON output against real
 * qemu-img 7.2 output, the human dump, and the JSON reader.
 */
#include "qemu/osdep.h"

#include "qapi/qobject.h"

/*
 * Goldens: the real output of the command named above each, with the
 * test images made by:
 *   qemu-img create -f luks --object secret,id=sec0,data=123456 \
 *       -o key-secret=sec0,iter-time=10 x.luks 1M
 *   qemu-img create -f qcow2 x.qcow2 1M
 *   qemu-img create -f qcow2 b.qcow2 1M
 *   qemu-img bitmap --add --disable b.qcow2 b0
 *   qemu-img bitmap --add b.qcow2 b1; qemu-img snapshot -c snap1 b.qcow2
 *   qemu-img create -f raw base.raw 1M
 *   qemu-img create -f qcow2 -b base.raw -F raw top.qcow2
 *   qemu-img create -f qcow2 --object secret,id=sec0,data=123456 -o \
 *       encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=10,\
 *       encrypt.cipher-alg=aes-128,encrypt.cipher-mode=cbc,\
 *       encrypt.ivgen-alg=essiv,encrypt.ivgen-hash-alg=sha256,\
 *       encrypt.hash-alg=sha1 e.qcow2 1M
 * The human goldens are the lines after "Format specific information:".
 */

/* `qemu-img info --output=json x.luks` (qemu-img 7.2) */
static const char golden_luks_json[] =
    "{\n"
    "    \"virtual-size\": 1048576,\n"
    "    \"filename\": \"x.luks\",\n"
    "    \"format\": \"luks\",\n"
    "    \"actual-size\": 262144,\n"
    "    \"format-specific\": {\n"
    "        \"type\": \"luks\",\n"
    "        \"data\": {\n"
    "            \"ivgen-alg\": \"plain64\",\n"
    "            \"hash-alg\": \"sha256\",\n"
    "            \"cipher-alg\": \"aes-256\",\n"
    "            \"uuid\": \"5a6ed351-64cb-4129-8792-c5f8fdee206c\",\n"
    "            \"cipher-mode\": \"xts\",\n"
    "            \"slots\": [\n"
    "                {\n"
    "                    \"active\": true,\n"
    "                    \"iters\": 43632,\n"
    "                    \"key-offset\": 4096,\n"
    "                    \"stripes\": 4000\n"
    "                },\n"
    "                {\n"
    "                    \"active\": false,\n"
    "                    \"key-offset\": 262144\n"
    "                },\n"
    "                {\n"
    "                    \"active\": false,\n"
    "                    \"key-offset\": 520192\n"
    "                },\n"
    "                {\n"
    "                    \"active\": false,\n"
    "                    \"key-offset\": 778240\n"
    "                },\n"
    "                {\n"
    "                    \"active\": false,\n"
    "                    \"key-offset\": 1036288\n"
    "                },\n"
    "                {\n"
    "                    \"active\": false,\n"
    "                    \"key-offset\": 1294336\n"
    "                },\n"
    "                {\n"
    "                    \"active\": false,\n"
    "                    \"key-offset\": 1552384\n"
    "                },\n"
    "                {\n"
    "                    \"active\": false,\n"
    "                    \"key-offset\": 1810432\n"
    "                }\n"
    "            ],\n"
    "            \"payload-offset\": 2068480,\n"
    "            \"master-key-iters\": 11044\n"
    "        }\n"
    "    },\n"
    "    \"encrypted\": true,\n"
    "    \"dirty-flag\": false\n"
    "}\n";

/* `qemu-img info x.luks | sed -n '/^Format specific/,$p' | tail -n +2` (qemu-img 7.2) */
static const char golden_luks_human[] =
    "    ivgen alg: plain64\n"
    "    hash alg: sha256\n"
    "    cipher alg: aes-256\n"
    "    uuid: 5a6ed351-64cb-4129-8792-c5f8fdee206c\n"
    "    cipher mode: xts\n"
    "    slots:\n"
    "        [0]:\n"
    "            active: true\n"
    "            iters: 43632\n"
    "            key offset: 4096\n"
    "            stripes: 4000\n"
    "        [1]:\n"
    "            active: false\n"
    "            key offset: 262144\n"
    "        [2]:\n"
    "            active: false\n"
    "            key offset: 520192\n"
    "        [3]:\n"
    "            active: false\n"
    "            key offset: 778240\n"
    "        [4]:\n"
    "            active: false\n"
    "            key offset: 1036288\n"
    "        [5]:\n"
    "            active: false\n"
    "            key offset: 1294336\n"
    "        [6]:\n"
    "            active: false\n"
    "            key offset: 1552384\n"
    "        [7]:\n"
    "            active: false\n"
    "            key offset: 1810432\n"
    "    payload offset: 2068480\n"
    "    master key iters: 11044\n";

/* `qemu-img info --output=json b.qcow2` (qemu-img 7.2) */
static const char golden_bitmaps_json[] =
    "{\n"
    "    \"snapshots\": [\n"
    "        {\n"
    "            \"icount\": 0,\n"
    "            \"vm-clock-nsec\": 0,\n"
    "            \"name\": \"snap1\",\n"
    "            \"date-sec\": 1795673573,\n"
    "            \"date-nsec\": 598492000,\n"
    "            \"vm-clock-sec\": 0,\n"
    "            \"id\": \"1\",\n"
    "            \"vm-state-size\": 0\n"
    "        }\n"
    "    ],\n"
    "    \"virtual-size\": 1048576,\n"
    "    \"filename\": \"b.qcow2\",\n"
    "    \"cluster-size\": 65536,\n"
    "    \"format\": \"qcow2\",\n"
    "    \"actual-size\": 237568,\n"
    "    \"format-specific\": {\n"
    "        \"type\": \"qcow2\",\n"
    "        \"data\": {\n"
    "            \"compat\": \"1.1\",\n"
    "            \"compression-type\": \"zlib\",\n"
    "            \"lazy-refcounts\": false,\n"
    "            \"bitmaps\": [\n"
    "                {\n"
    "                    \"flags\": [\n"
    "                    ],\n"
    "                    \"name\": \"b0\",\n"
    "                    \"granularity\": 65536\n"
    "                },\n"
    "                {\n"
    "                    \"flags\": [\n"
    "                        \"auto\"\n"
    "                    ],\n"
    "                    \"name\": \"b1\",\n"
    "                    \"granularity\": 65536\n"
    "                }\n"
    "            ],\n"
    "            \"refcount-bits\": 16,\n"
    "            \"corrupt\": false,\n"
    "            \"extended-l2\": false\n"
    "        }\n"
    "    },\n"
    "    \"dirty-flag\": false\n"
    "}\n";

/* `qemu-img info b.qcow2 | sed -n '/^Format specific/,$p' | tail -n +2` (qemu-img 7.2) */
static const char golden_bitmaps_human[] =
    "    compat: 1.1\n"
    "    compression type: zlib\n"
    "    lazy refcounts: false\n"
    "    bitmaps:\n"
    "        [0]:\n"
    "            flags:\n"
    "            name: b0\n"
    "            granularity: 65536\n"
    "        [1]:\n"
    "            flags:\n"
    "                [0]: auto\n"
    "            name: b1\n"
    "            granularity: 65536\n"
    "    refcount bits: 16\n"
    "    corrupt: false\n"
    "    extended l2: false\n";

/* `qemu-img check --output=json x.qcow2` (qemu-img 7.2) */
static const char golden_check_json[] =
    "{\n"
    "    \"image-end-offset\": 262144,\n"
    "    \"total-clusters\": 16,\n"
    "    \"check-errors\": 0,\n"
    "    \"filename\": \"x.qcow2\",\n"
    "    \"format\": \"qcow2\"\n"
    "}\n";

/* `qemu-img measure --output=json --size 1G -O qcow2` (qemu-img 7.2) */
static const char golden_measure_json[] =
    "{\n"
    "    \"required\": 393216,\n"
    "    \"fully-allocated\": 1074135040\n"
    "}\n";

/* `qemu-img info --backing-chain --output=json top.qcow2` (qemu-img 7.2) */
static const char golden_chain_json[] =
    "[\n"
    "    {\n"
    "        \"backing-filename-format\": \"raw\",\n"
    "        \"virtual-size\": 1048576,\n"
    "        \"filename\": \"top.qcow2\",\n"
    "        \"cluster-size\": 65536,\n"
    "        \"format\": \"qcow2\",\n"
    "        \"actual-size\": 200704,\n"
    "        \"format-specific\": {\n"
    "            \"type\": \"qcow2\",\n"
    "            \"data\": {\n"
    "                \"compat\": \"1.1\",\n"
    "                \"compression-type\": \"zlib\",\n"
    "                \"lazy-refcounts\": false,\n"
    "                \"refcount-bits\": 16,\n"
    "                \"corrupt\": false,\n"
    "                \"extended-l2\": false\n"
    "            }\n"
    "        },\n"
    "        \"full-backing-filename\": \"base.raw\",\n"
    "        \"backing-filename\": \"base.raw\",\n"
    "        \"dirty-flag\": false\n"
    "    },\n"
    "    {\n"
    "        \"virtual-size\": 1048576,\n"
    "        \"filename\": \"base.raw\",\n"
    "        \"format\": \"raw\",\n"
    "        \"actual-size\": 4096,\n"
    "        \"dirty-flag\": false\n"
    "    }\n"
    "]\n";

/* `qemu-img info e.qcow2 | sed -n '/^Format specific/,$p' | tail -n +2` (qemu-img 7.2) */
static const char golden_essiv_human[] =
    "    compat: 1.1\n"
    "    compression type: zlib\n"
    "    lazy refcounts: false\n"
    "    refcount bits: 16\n"
    "    encrypt:\n"
    "        ivgen alg: essiv\n"
    "        hash alg: sha1\n"
    "        cipher alg: aes-128\n"
    "        uuid: 517ba8be-a5f6-4653-9a7d-bdef4384ecb2\n"
    "        ivgen hash alg: sha256\n"
    "        format: luks\n"
    "        cipher mode: cbc\n"
    "        slots:\n"
    "            [0]:\n"
    "                active: true\n"
    "                iters: 94729\n"
    "                key offset: 4096\n"
    "                stripes: 4000\n"
    "            [1]:\n"
    "                active: false\n"
    "                key offset: 69632\n"
    "            [2]:\n"
    "                active: false\n"
    "                key offset: 135168\n"
    "            [3]:\n"
    "                active: false\n"
    "                key offset: 200704\n"
    "            [4]:\n"
    "                active: false\n"
    "                key offset: 266240\n"
    "            [5]:\n"
    "                active: false\n"
    "                key offset: 331776\n"
    "            [6]:\n"
    "                active: false\n"
    "                key offset: 397312\n"
    "            [7]:\n"
    "                active: false\n"
    "                key offset: 462848\n"
    "        payload offset: 528384\n"
    "        master key iters: 11440\n"
    "    corrupt: false\n"
    "    extended l2: false\n";

/* `qemu-img info --output=json e.qcow2` (qemu-img 7.2) */
static const char golden_essiv_json[] =
    "{\n"
    "    \"virtual-size\": 1048576,\n"
    "    \"filename\": \"e.qcow2\",\n"
    "    \"cluster-size\": 65536,\n"
    "    \"format\": \"qcow2\",\n"
    "    \"actual-size\": 790528,\n"
    "    \"format-specific\": {\n"
    "        \"type\": \"qcow2\",\n"
    "        \"data\": {\n"
    "            \"compat\": \"1.1\",\n"
    "            \"compression-type\": \"zlib\",\n"
    "            \"lazy-refcounts\": false,\n"
    "            \"refcount-bits\": 16,\n"
    "            \"encrypt\": {\n"
    "                \"ivgen-alg\": \"essiv\",\n"
    "                \"hash-alg\": \"sha1\",\n"
    "                \"cipher-alg\": \"aes-128\",\n"
    "                \"uuid\": \"517ba8be-a5f6-4653-9a7d-bdef4384ecb2\",\n"
    "                \"ivgen-hash-alg\": \"sha256\",\n"
    "                \"format\": \"luks\",\n"
    "                \"cipher-mode\": \"cbc\",\n"
    "                \"slots\": [\n"
    "                    {\n"
    "                        \"active\": true,\n"
    "                        \"iters\": 94729,\n"
    "                        \"key-offset\": 4096,\n"
    "                        \"stripes\": 4000\n"
    "                    },\n"
    "                    {\n"
    "                        \"active\": false,\n"
    "                        \"key-offset\": 69632\n"
    "                    },\n"
    "                    {\n"
    "                        \"active\": false,\n"
    "                        \"key-offset\": 135168\n"
    "                    },\n"
    "                    {\n"
    "                        \"active\": false,\n"
    "                        \"key-offset\": 200704\n"
    "                    },\n"
    "                    {\n"
    "                        \"active\": false,\n"
    "                        \"key-offset\": 266240\n"
    "                    },\n"
    "                    {\n"
    "                        \"active\": false,\n"
    "                        \"key-offset\": 331776\n"
    "                    },\n"
    "                    {\n"
    "                        \"active\": false,\n"
    "                        \"key-offset\": 397312\n"
    "                    },\n"
    "                    {\n"
    "                        \"active\": false,\n"
    "                        \"key-offset\": 462848\n"
    "                    }\n"
    "                ],\n"
    "                \"payload-offset\": 528384,\n"
    "                \"master-key-iters\": 11440\n"
    "            },\n"
    "            \"corrupt\": false,\n"
    "            \"extended-l2\": false\n"
    "        }\n"
    "    },\n"
    "    \"encrypted\": true,\n"
    "    \"dirty-flag\": false\n"
    "}\n";

/* The values a LUKS info dict needs (from the images above). */
typedef struct LuksInfo {
    const char *cipher_alg;
    const char *cipher_mode;
    const char *ivgen_alg;
    const char *ivgen_hash_alg;     /* NULL when absent */
    const char *hash_alg;
    const char *uuid;
    const char *format;             /* qcow2's "format": "luks", or NULL */
    int64_t iters;
    int64_t key_offsets[8];
    int64_t payload_offset;
    int64_t master_key_iters;
} LuksInfo;

static const LuksInfo x_luks = {
    "aes-256", "xts", "plain64", NULL, "sha256",
    "5a6ed351-64cb-4129-8792-c5f8fdee206c", NULL, 43632,
    { 4096, 262144, 520192, 778240, 1036288, 1294336, 1552384, 1810432 },
    2068480, 11044,
};

static const LuksInfo e_qcow2 = {
    "aes-128", "cbc", "essiv", "sha256", "sha1",
    "517ba8be-a5f6-4653-9a7d-bdef4384ecb2", "luks", 94729,
    { 4096, 69632, 135168, 200704, 266240, 331776, 397312, 462848 },
    528384, 11440,
};

/*
 * Build the dicts in QAPI schema member order, the order in which 7.2's
 * output visitor inserts them.
 */
static QObject *build_luks(const LuksInfo *l)
{
    QObject *d = qobject_new_dict();
    QObject *slots = qobject_new_list();
    QObject *slot;
    int i;

    if (l->format) {
        qdict_put_str(d, "format", l->format);
    }
    qdict_put_str(d, "cipher-alg", l->cipher_alg);
    qdict_put_str(d, "cipher-mode", l->cipher_mode);
    qdict_put_str(d, "ivgen-alg", l->ivgen_alg);
    if (l->ivgen_hash_alg) {
        qdict_put_str(d, "ivgen-hash-alg", l->ivgen_hash_alg);
    }
    qdict_put_str(d, "hash-alg", l->hash_alg);
    qdict_put_int(d, "payload-offset", l->payload_offset);
    qdict_put_int(d, "master-key-iters", l->master_key_iters);
    qdict_put_str(d, "uuid", l->uuid);
    for (i = 0; i < 8; i++) {
        slot = qobject_new_dict();
        qdict_put_bool(slot, "active", 0 == i);
        if (0 == i) {
            qdict_put_int(slot, "iters", l->iters);
            qdict_put_int(slot, "stripes", 4000);
        }
        qdict_put_int(slot, "key-offset", l->key_offsets[i]);
        qlist_append(slots, slot);
    }
    qdict_put(d, "slots", slots);
    return d;
}

static QObject *build_specific(const char *type, QObject *data)
{
    QObject *spec = qobject_new_dict();

    qdict_put_str(spec, "type", type);
    qdict_put(spec, "data", data);
    return spec;
}

/* ImageInfo members in schema order; NULL / -1 members are left out. */
static QObject *build_image_info(const char *filename, const char *format,
                                 int64_t actual, int64_t cluster,
                                 int encrypted, QObject *spec)
{
    QObject *d = qobject_new_dict();

    qdict_put_str(d, "filename", filename);
    qdict_put_str(d, "format", format);
    qdict_put_bool(d, "dirty-flag", false);
    qdict_put_int(d, "actual-size", actual);
    qdict_put_int(d, "virtual-size", 1048576);
    if (cluster >= 0) {
        qdict_put_int(d, "cluster-size", cluster);
    }
    if (encrypted >= 0) {
        qdict_put_bool(d, "encrypted", encrypted);
    }
    if (spec) {
        qdict_put(d, "format-specific", spec);
    }
    return d;
}

/* ImageInfoSpecificQCow2 (v3) members in schema order. */
static QObject *build_qcow2_data(QObject *encrypt, QObject *bitmaps)
{
    QObject *d = qobject_new_dict();

    qdict_put_str(d, "compat", "1.1");
    qdict_put_bool(d, "extended-l2", false);
    qdict_put_bool(d, "lazy-refcounts", false);
    qdict_put_bool(d, "corrupt", false);
    qdict_put_int(d, "refcount-bits", 16);
    if (encrypt) {
        qdict_put(d, "encrypt", encrypt);
    }
    if (bitmaps) {
        qdict_put(d, "bitmaps", bitmaps);
    }
    qdict_put_str(d, "compression-type", "zlib");
    return d;
}

static QObject *build_bitmap(const char *name, const char *flag)
{
    QObject *b = qobject_new_dict();
    QObject *flags = qobject_new_list();

    if (flag) {
        qlist_append(flags, qobject_new_str(flag));
    }
    qdict_put_str(b, "name", name);
    qdict_put_int(b, "granularity", 65536);
    qdict_put(b, "flags", flags);
    return b;
}

static QObject *build_bitmaps_info(void)
{
    QObject *bitmaps = qobject_new_list();
    QObject *snaps = qobject_new_list();
    QObject *snap = qobject_new_dict();
    QObject *info;

    qlist_append(bitmaps, build_bitmap("b0", NULL));
    qlist_append(bitmaps, build_bitmap("b1", "auto"));
    qdict_put_str(snap, "id", "1");
    qdict_put_str(snap, "name", "snap1");
    qdict_put_int(snap, "vm-state-size", 0);
    qdict_put_int(snap, "date-sec", 1795673573);
    qdict_put_int(snap, "date-nsec", 598492000);
    qdict_put_int(snap, "vm-clock-sec", 0);
    qdict_put_int(snap, "vm-clock-nsec", 0);
    qdict_put_int(snap, "icount", 0);
    qlist_append(snaps, snap);
    info = build_image_info("b.qcow2", "qcow2", 237568, 65536, -1,
                            build_specific("qcow2",
                                           build_qcow2_data(NULL, bitmaps)));
    qdict_put(info, "snapshots", snaps);
    return info;
}

static QObject *build_x_luks(void)
{
    return build_image_info("x.luks", "luks", 262144, -1, true,
                            build_specific("luks", build_luks(&x_luks)));
}

static QObject *build_e_qcow2(void)
{
    return build_image_info("e.qcow2", "qcow2", 790528, 65536, true,
                            build_specific("qcow2", build_qcow2_data(
                                build_luks(&e_qcow2), NULL)));
}

static QObject *build_check(void)
{
    QObject *d = qobject_new_dict();

    qdict_put_str(d, "filename", "x.qcow2");
    qdict_put_str(d, "format", "qcow2");
    qdict_put_int(d, "check-errors", 0);
    qdict_put_int(d, "image-end-offset", 262144);
    qdict_put_int(d, "total-clusters", 16);
    return d;
}

static QObject *build_measure(void)
{
    QObject *d = qobject_new_dict();

    qdict_put_int(d, "required", 393216);
    qdict_put_int(d, "fully-allocated", 1074135040);
    return d;
}

static QObject *build_chain(void)
{
    QObject *list = qobject_new_list();
    QObject *top = build_image_info("top.qcow2", "qcow2", 200704, 65536, -1,
                                    build_specific("qcow2",
                                        build_qcow2_data(NULL, NULL)));

    qdict_put_str(top, "backing-filename", "base.raw");
    qdict_put_str(top, "full-backing-filename", "base.raw");
    qdict_put_str(top, "backing-filename-format", "raw");
    qlist_append(list, top);
    qlist_append(list, build_image_info("base.raw", "raw", 4096, -1, -1,
                                        NULL));
    return list;
}

typedef struct JsonGoldenCase {
    const char *name;
    QObject *(*build)(void);
    const char *golden;
} JsonGoldenCase;

static const JsonGoldenCase json_golden_cases[] = {
    { "info-luks", build_x_luks, golden_luks_json },
    { "info-qcow2-luks-essiv", build_e_qcow2, golden_essiv_json },
    { "info-qcow2-bitmaps-empty-list", build_bitmaps_info,
      golden_bitmaps_json },
    { "check", build_check, golden_check_json },
    { "measure", build_measure, golden_measure_json },
    { "backing-chain-list", build_chain, golden_chain_json },
};

/* qemu-img prints the pretty JSON followed by a newline. */
static void test_json_golden(gconstpointer opaque)
{
    const JsonGoldenCase *c = opaque;
    g_autoptr(QObject) obj = c->build();
    g_autofree char *json = qobject_to_json(obj, true);
    g_autofree char *line = g_strconcat(json, "\n", NULL);

    g_assert_cmpstr(line, ==, c->golden);
}

typedef struct DumpGoldenCase {
    const char *name;
    QObject *(*build)(void);
    const char *golden;
} DumpGoldenCase;

static const DumpGoldenCase dump_golden_cases[] = {
    { "luks", build_x_luks, golden_luks_human },
    { "qcow2-luks-essiv", build_e_qcow2, golden_essiv_human },
    { "qcow2-bitmaps", build_bitmaps_info, golden_bitmaps_human },
};

/* qemu-img dumps format-specific "data" at indentation level 1. */
static void test_dump_golden(gconstpointer opaque)
{
    const DumpGoldenCase *c = opaque;
    g_autoptr(QObject) obj = c->build();
    g_autoptr(GString) out = g_string_new(NULL);
    const QObject *spec = qdict_get(obj, "format-specific");

    qobject_dump_human(out, qdict_get(spec, "data"), 1);
    g_assert_cmpstr(out->str, ==, c->golden);
}

typedef struct StrEscapeCase {
    const char *name;
    const char *input;
    const char *json;
} StrEscapeCase;

/*
 * The "filename" member of `qemu-img info -f raw --output=json F` (7.2)
 * for files with these names.
 */
static const StrEscapeCase str_escape_cases[] = {
    { "quote-backslash-tab", "q\"b\\c\td", "\"q\\\"b\\\\c\\td\"" },
    { "controls", "ctl\x01\x1f\x7f\x08\x0c\r\n",
      "\"ctl\\u0001\\u001F\\u007F\\b\\f\\r\\n\"" },
    { "non-ascii", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
      "\"\\u00E9\\u20AC\\uD83D\\uDE00\"" },
    { "slash", "a/b", "\"a/b\"" },
    { "invalid-bytes", "bad\xff\xfe", "\"bad\\uFFFD\\uFFFD\"" },
    { "truncated-at-end", "trunc\xc3", "\"trunc\\uFFFD\"" },
    { "modified-utf8-nul", "over\xc0\x80x", "\"over\\u0000x\"" },
    { "overlong-2", "over2\xc1\xbfx", "\"over2\\uFFFDx\"" },
    { "overlong-3", "over3\xe0\x80\xafx", "\"over3\\uFFFDx\"" },
    { "overlong-4", "ovr4\xf0\x80\x80\x80x", "\"ovr4\\uFFFDx\"" },
    { "surrogate", "sur\xed\xa0\x80x", "\"sur\\uFFFDx\"" },
    { "low-surrogate", "lowsur\xed\xb0\x80x", "\"lowsur\\uFFFDx\"" },
    { "below-surrogates", "ed\xed\x9f\xbfx", "\"ed\\uD7FFx\"" },
    { "above-max", "big\xf4\x90\x80\x80x", "\"big\\uFFFDx\"" },
    { "max-is-nonchar", "max\xf4\x8f\xbf\xbfx", "\"max\\uFFFDx\"" },
    { "nonchars", "nonch\xef\xbf\xbe\xef\xbf\xbfx",
      "\"nonch\\uFFFD\\uFFFDx\"" },
    { "nonchar-fdd0", "fdd0\xef\xb7\x90x", "\"fdd0\\uFFFDx\"" },
    { "nonchar-plane1", "pl1\xf0\x9f\xbf\xbex", "\"pl1\\uFFFDx\"" },
    { "five-byte", "five\xf8\x88\x80\x80\x80x", "\"five\\uFFFDx\"" },
    { "six-byte-plus-one", "sixlong\xfd\xbf\xbf\xbf\xbf\xbf\xbfx",
      "\"sixlong\\uFFFD\\uFFFDx\"" },
    { "stray-continuations", "cont\x80\x80x", "\"cont\\uFFFD\\uFFFDx\"" },
    { "cut-short", "mix\xe2\x82x", "\"mix\\uFFFDx\"" },
    { "cut-short-4", "tr4\xf0\x9f\x98x", "\"tr4\\uFFFDx\"" },
    { "u0080", "c2\xc2\x80x", "\"c2\\u0080x\"" },
    { "u0800", "e0\xe0\xa0\x80x", "\"e0\\u0800x\"" },
};

static void test_json_str_escape(gconstpointer opaque)
{
    const StrEscapeCase *c = opaque;
    g_autoptr(QObject) s = qobject_new_str(c->input);
    g_autofree char *json = qobject_to_json(s, true);

    g_assert_cmpstr(json, ==, c->json);
}

/*
 * The compact form, as in qemu-img info's "image: json:{...}" line:
 * `qemu-img info --image-opts driver=raw,file.driver=file,\
 *  file.filename=/tmp/base.raw,offset=512` (7.2) printed
 * image: json:{"offset": "512", "driver": "raw", "file": {"driver":
 * "file", "filename": "/tmp/base.raw"}}
 */
static void test_json_compact(void)
{
    g_autoptr(QObject) d = qobject_new_dict();
    g_autoptr(QObject) l = qobject_new_list();
    QObject *file = qobject_new_dict();
    g_autofree char *json = NULL;
    g_autofree char *json2 = NULL;

    qdict_put_str(file, "driver", "file");
    qdict_put_str(file, "filename", "/tmp/base.raw");
    qdict_put_str(d, "driver", "raw");
    qdict_put_str(d, "offset", "512");
    qdict_put(d, "file", file);
    json = qobject_to_json(d, false);
    g_assert_cmpstr(json, ==, "{\"offset\": \"512\", \"driver\": \"raw\", "
                    "\"file\": {\"driver\": \"file\", \"filename\": "
                    "\"/tmp/base.raw\"}}");
    qlist_append(l, qobject_new_int(2));
    qlist_append(l, qobject_new_list());
    qlist_append(l, qobject_new_dict());
    qlist_append(l, qobject_new_null());
    json2 = qobject_to_json(l, false);
    g_assert_cmpstr(json2, ==, "[2, [], {}, null]");
}

static void test_json_empty_pretty(void)
{
    g_autoptr(QObject) d = qobject_new_dict();
    g_autoptr(QObject) l = qobject_new_list();
    g_autofree char *jd = qobject_to_json(d, true);
    g_autofree char *jl = qobject_to_json(l, true);

    /* As "flags": [ ... ] in the bitmaps golden: a newline, then close. */
    g_assert_cmpstr(jd, ==, "{\n}");
    g_assert_cmpstr(jl, ==, "[\n]");
}

typedef struct NumCase {
    const char *name;
    QObject *(*make)(void);
    const char *text;
} NumCase;

static QObject *num_neg(void) { return qobject_new_int(-42); }
static QObject *num_int_min(void) { return qobject_new_int(INT64_MIN); }
static QObject *num_uint_max(void) { return qobject_new_uint(UINT64_MAX); }
static QObject *num_half(void) { return qobject_new_double(1.5); }
static QObject *num_tenth(void) { return qobject_new_double(0.1); }
static QObject *num_big(void) { return qobject_new_double(1e300); }

/*
 * Integers in decimal.  Doubles use "%.17g" (7.2's qnum_to_string());
 * no qemu-img output has a double to check this against.
 */
static const NumCase num_cases[] = {
    { "negative", num_neg, "-42" },
    { "int64-min", num_int_min, "-9223372036854775808" },
    { "uint64-max", num_uint_max, "18446744073709551615" },
    { "double-exact", num_half, "1.5" },
    { "double-17-digits", num_tenth, "0.10000000000000001" },
    { "double-exponent", num_big, "1.0000000000000001e+300" },
};

static void test_json_number(gconstpointer opaque)
{
    const NumCase *c = opaque;
    g_autoptr(QObject) n = c->make();
    g_autofree char *json = qobject_to_json(n, false);

    g_assert_cmpstr(json, ==, c->text);
}

/* Keys in iteration order, joined by spaces. */
static char *dict_order(const QObject *d)
{
    GString *s = g_string_new(NULL);
    const QDictEntry *e;

    for (e = qdict_first(d); e; e = qdict_next(d, e)) {
        g_string_append_printf(s, "%s%s", s->len ? " " : "",
                               qdict_entry_key(e));
    }
    return g_string_free(s, FALSE);
}

static void test_dict_order(void)
{
    g_autoptr(QObject) luks = build_luks(&e_qcow2);
    g_autofree char *order = dict_order(luks);
    g_autofree char *slot = dict_order(qlist_get(qdict_get(luks, "slots"),
                                                 0));

    g_assert_cmpstr(order, ==, "ivgen-alg hash-alg cipher-alg uuid "
                    "ivgen-hash-alg format cipher-mode slots payload-offset "
                    "master-key-iters");
    g_assert_cmpstr(slot, ==, "active iters key-offset stripes");
}

static void test_dict_replace_keeps_place(void)
{
    g_autoptr(QObject) d = build_luks(&x_luks);
    g_autofree char *before = dict_order(d);
    g_autofree char *after = NULL;

    qdict_put_str(d, "ivgen-alg", "essiv");
    qdict_put_int(d, "uuid", 7);
    after = dict_order(d);
    g_assert_cmpstr(before, ==, after);
    g_assert_cmpstr(qdict_get_str(d, "ivgen-alg"), ==, "essiv");
    g_assert_null(qdict_get_str(d, "uuid"));
    g_assert_cmpint(qobject_get_int(qdict_get(d, "uuid")), ==, 7);
}

/*
 * "k10".."k19" share a bucket under the 7.2 hash (the third byte is
 * shifted by 10 bits, past the 9 bits the bucket keeps), so they iterate
 * newest first, and a copy keeps that order.
 */
static void test_dict_bucket_newest_first(void)
{
    g_autoptr(QObject) d = qobject_new_dict();
    g_autoptr(QObject) c = NULL;
    g_autofree char *order = NULL;
    g_autofree char *copy_order = NULL;
    g_autofree const char **keys = NULL;

    qdict_put_int(d, "k11", 1);
    qdict_put_int(d, "k10", 2);
    qdict_put_int(d, "k12", 3);
    qdict_put_int(d, "k11", 4);
    order = dict_order(d);
    g_assert_cmpstr(order, ==, "k12 k10 k11");
    c = qobject_copy(d);
    copy_order = dict_order(c);
    g_assert_cmpstr(copy_order, ==, order);
    keys = qdict_keys_in_insertion_order(d);
    g_assert_cmpstr(keys[0], ==, "k11");
    g_assert_cmpstr(keys[1], ==, "k10");
    g_assert_cmpstr(keys[2], ==, "k12");
    g_assert_null(keys[3]);
    qdict_del(d, "k10");
    g_clear_pointer(&order, g_free);
    order = dict_order(d);
    g_assert_cmpstr(order, ==, "k12 k11");
    g_assert_cmpuint(qdict_size(d), ==, 2);
}

static void test_dict_ops(void)
{
    g_autoptr(QObject) d = qobject_new_dict();
    g_autoptr(QObject) sub = NULL;
    g_autoptr(QObject) taken = NULL;

    qdict_put_str(d, "driver", "qcow2");
    qdict_put_str(d, "file.filename", "a.qcow2");
    qdict_put_str(d, "file.driver", "file");
    qdict_put_str(d, "encrypt.key-secret", "sec0");
    g_assert_true(qdict_haskey(d, "driver"));
    g_assert_false(qdict_haskey(d, "file"));
    g_assert_null(qdict_get(d, "nosuch"));
    sub = qdict_extract_subqdict(d, "file.");
    g_assert_cmpuint(qdict_size(sub), ==, 2);
    g_assert_cmpstr(qdict_get_str(sub, "filename"), ==, "a.qcow2");
    g_assert_cmpstr(qdict_get_str(sub, "driver"), ==, "file");
    g_assert_cmpuint(qdict_size(d), ==, 2);
    taken = qdict_take(d, "driver");
    g_assert_cmpstr(qobject_get_str(taken), ==, "qcow2");
    g_assert_null(qdict_take(d, "driver"));
    qdict_del(d, "nosuch");
    g_assert_cmpuint(qdict_size(d), ==, 1);
}

static void test_dict_flatten(void)
{
    g_autoptr(QObject) d = NULL;

    d = qobject_from_json("{\"driver\": \"qcow2\", \"encrypt\": "
                          "{\"key-secret\": \"s\"}, \"file\": {\"driver\":"
                          " \"file\", \"filename\": \"a\"}, \"x\": [1, "
                          "{\"b\": 2}, [3]], \"e\": {}, \"l\": []}",
                          &error_abort);
    qdict_flatten(d);
    g_assert_cmpuint(qdict_size(d), ==, 9);
    g_assert_cmpstr(qdict_get_str(d, "encrypt.key-secret"), ==, "s");
    g_assert_cmpstr(qdict_get_str(d, "file.filename"), ==, "a");
    g_assert_cmpint(qobject_get_int(qdict_get(d, "x.0")), ==, 1);
    g_assert_cmpint(qobject_get_int(qdict_get(d, "x.1.b")), ==, 2);
    g_assert_cmpint(qobject_get_int(qdict_get(d, "x.2.0")), ==, 3);
    /* Empty containers are kept, as 7.2 does ("doesn't support 'x'"). */
    g_assert_cmpint(qobject_type(qdict_get(d, "e")), ==, QTYPE_QDICT);
    g_assert_cmpint(qobject_type(qdict_get(d, "l")), ==, QTYPE_QLIST);
    g_assert_false(qdict_haskey(d, "file"));
}

static void test_scalars(void)
{
    g_autoptr(QObject) i = qobject_new_int(-3);
    g_autoptr(QObject) u = qobject_new_uint(7);
    g_autoptr(QObject) big = qobject_new_uint(UINT64_MAX);
    g_autoptr(QObject) b = qobject_new_bool(true);
    g_autoptr(QObject) s = qobject_new_str("x");
    g_autoptr(QObject) n = qobject_new_null();
    g_autoptr(QObject) l = qobject_new_list();
    g_autoptr(QObject) lc = NULL;

    g_assert_cmpint(qobject_get_int(i), ==, -3);
    g_assert_cmpint(qobject_get_int(u), ==, 7);
    g_assert_cmpuint(qobject_get_uint(u), ==, 7);
    g_assert_cmpuint(qobject_get_uint(big), ==, UINT64_MAX);
    g_assert_cmpfloat(qobject_get_double(i), ==, -3.0);
    g_assert_true(qobject_get_bool(b));
    g_assert_cmpstr(qobject_get_str(s), ==, "x");
    g_assert_cmpint(qobject_type(n), ==, QTYPE_QNULL);
    qlist_append(l, qobject_new_str("a"));
    qlist_append(l, qobject_new_int(1));
    lc = qobject_copy(l);
    g_assert_cmpuint(qlist_size(lc), ==, 2);
    g_assert_cmpstr(qobject_get_str(qlist_get(lc, 0)), ==, "a");
    g_assert_true(qlist_get(lc, 0) != qlist_get(l, 0));
}

typedef struct ParseCase {
    const char *name;
    const char *text;
    const char *result;     /* compact JSON, or NULL if an error */
    const char *error;      /* exact message, or NULL if not promised */
} ParseCase;

/* The prefix of every syntax error whose wording is Jansson's. */
#define JSON_ERR "JSON parse error, "

/*
 * Accepted texts were accepted by `qemu-img info 'json:TEXT'` (7.2) with
 * the same value.  Exact messages are 7.2's (after "Could not parse the
 * JSON options: ") where qobject_from_json() still promises them; other
 * syntax errors only promise one line starting with JSON_ERR.  Cases
 * marked "7.2:" behaved differently there (see qobject-json.c).
 */
static const ParseCase parse_cases[] = {
    { "escapes", "[\"\\\"\\/\\b\\f\\n\\r\\t\\\\\"]",
      "[\"\\\"/\\b\\f\\n\\r\\t\\\\\"]", NULL },
    { "u0000", "[\"\\u0000\"]", "[\"\\u0000\"]", NULL },
    { "u0000-inside", "[\"a\\u0000b\"]", "[\"a\\u0000b\"]", NULL },
    { "u-escape-bmp", "[\"\\u00e9\\u20AC\\uFFFD\"]",
      "[\"\\u00E9\\u20AC\\uFFFD\"]", NULL },
    { "surrogate-pair", "[\"\\ud83d\\ude00\"]", "[\"\\uD83D\\uDE00\"]",
      NULL },
    { "raw-utf8", "[\"\xc3\xa9\"]", "[\"\\u00E9\"]", NULL },
    { "raw-utf8-4byte", "[\"\xf0\x9f\x98\x80\"]", "[\"\\uD83D\\uDE00\"]",
      NULL },
    { "raw-del", "[\"\x7f\"]", "[\"\\u007F\"]", NULL },
    { "numbers", "[1, -0, 1E5, 1.5, -9223372036854775808, "
      "9223372036854775807, 1e300, -1.5e-3]",
      "[1, 0, 100000, 1.5, -9223372036854775808, 9223372036854775807, "
      "1.0000000000000001e+300, -0.0015]", NULL },
    { "keywords", "[true,false,null]", "[true, false, null]", NULL },
    { "blanks", " \t\r\n{\"driver\":\"raw\"}  ", "{\"driver\": \"raw\"}",
      NULL },
    { "empty-containers", "{\"a\":{},\"b\":[]}", "{\"a\": {}, \"b\": []}",
      NULL },
    /* Printed in QEMU's dict order, as 7.2 prints it. */
    { "nested", "{\"a\":[1,{\"b\":[true,{\"c\":null}]}],\"d\":\"e\"}",
      "{\"d\": \"e\", \"a\": [1, {\"b\": [true, {\"c\": null}]}]}", NULL },
    { "scalar", "42", "42", NULL },
    { "scalar-string", "\"x\"", "\"x\"", NULL },
    { "empty", "", NULL, "Expecting a JSON value" },
    { "blank", "   ", NULL, "Expecting a JSON value" },
    { "unclosed", "{", NULL, "JSON parse error, premature EOI" },
    { "unclosed-list", "{\"a\":[1,2", NULL,
      "JSON parse error, premature EOI" },
    { "unclosed-after-key", "{\"a\"", NULL,
      "JSON parse error, premature EOI" },
    { "duplicate-key", "{\"a\":1,\"a\":2}", NULL,
      "JSON parse error, duplicate key" },
    { "duplicate-key-before-eoi", "{\"a\":1,\"a\":2", NULL,
      "JSON parse error, duplicate key" },
    { "duplicate-key-nested", "{\"a\":{\"b\":1,\"b\":1}}", NULL,
      "JSON parse error, duplicate key" },
    /* 7.2: "expecting value" (it checks the value first). */
    { "duplicate-key-no-value", "{\"a\":1,\"a\":}", NULL,
      "JSON parse error, duplicate key" },
    { "two-values", "{} {}", NULL, "Expecting at most one JSON value" },
    { "extra-close", "[1]]", NULL, "Expecting at most one JSON value" },
    { "extra-brace", "{\"a\":1}}", NULL, "Expecting at most one JSON value" },
    { "trailing-word", "{\"a\":1}x", NULL,
      "Expecting at most one JSON value" },
    { "trailing-open", "{\"a\":1}[", NULL,
      "Expecting at most one JSON value" },
    { "trailing-stray", "{\"a\":1} %", NULL,
      "Expecting at most one JSON value" },
    { "number-then-word", "1x", NULL, "Expecting at most one JSON value" },
    /* 7.2 rejects noncharacters, escaped or raw. */
    { "u-ffff", "{\"a\":\"\\uFFFF\"}", NULL,
      "JSON parse error, invalid Unicode character in string" },
    { "u-fdd0", "{\"a\":\"\\uFDD0\"}", NULL,
      "JSON parse error, invalid Unicode character in string" },
    { "raw-fffe", "{\"a\":\"\xef\xbf\xbe\"}", NULL,
      "JSON parse error, invalid Unicode character in string" },
    { "key-fdef", "{\"\\uFDEF\":1}", NULL,
      "JSON parse error, invalid Unicode character in string" },
    /* 7.2: QEMU's single-quote extension was accepted. */
    { "single-quotes", "{'a':'b'}", NULL, NULL },
    { "single-quote-escape", "{\"a\":\"b\\'c\"}", NULL, NULL },
    /* 7.2: accepted as modified UTF-8 for U+0000. */
    { "raw-mod-utf8-nul", "[\"\xc0\x80\"]", NULL, NULL },
    /* 7.2: accepted (as "\xC0\x80"). */
    { "key-u0000", "{\"a\\u0000\":1}", NULL, NULL },
    /* 7.2: uint64 18446744073709551615, then doubles. */
    { "above-int64", "[9223372036854775808]", NULL, NULL },
    { "uint64-max", "{\"size\":18446744073709551615}", NULL, NULL },
    { "below-int64", "[-9223372036854775809]", NULL, NULL },
    /* 7.2: inf. */
    { "real-overflow", "[1e400]", NULL, NULL },
    { "trailing-comma-dict", "{\"a\":1,}", NULL, NULL },
    { "trailing-comma-list", "[1,]", NULL, NULL },
    { "double-comma", "{\"a\":1,,\"b\":2}", NULL, NULL },
    { "comma-only", "{,}", NULL, NULL },
    { "colon-key", "{:1}", NULL, NULL },
    { "close-only", "}", NULL, NULL },
    { "open-list-in-dict", "{\"a\":[}", NULL, NULL },
    { "missing-colon", "{\"a\" 1}", NULL, NULL },
    { "missing-colon-close", "{\"a\"}", NULL, NULL },
    { "number-key", "{1:2}", NULL, NULL },
    { "list-key", "{[1]:2}", NULL, NULL },
    { "missing-comma-dict", "{\"a\":1 \"b\":2}", NULL, NULL },
    { "keyword-then-number", "{\"a\":null1}", NULL, NULL },
    { "missing-comma-list", "[1 2]", NULL, NULL },
    { "colon-in-list", "[\"a\":1]", NULL, NULL },
    { "unterminated-string", "\"abc", NULL, NULL },
    { "unterminated-in-dict", "{\"a\":\"x", NULL, NULL },
    { "unterminated-escape", "{\"a\":\"x\\", NULL, NULL },
    { "raw-tab", "{\"a\":\"\tb\"}", NULL, NULL },
    { "raw-newline", "[\"a\nb\"]", NULL, NULL },
    { "escaped-newline", "[\"a\\\nb\"]", NULL, NULL },
    { "raw-ff", "{\"a\":\"\xff\"}", NULL, NULL },
    { "raw-surrogate", "{\"a\":\"\xed\xa0\x80\"}", NULL, NULL },
    { "raw-overlong", "[\"\xc1\x81\"]", NULL, NULL },
    { "leading-zero", "01", NULL, NULL },
    { "double-zero", "{\"a\":00}", NULL, NULL },
    { "negative-leading-zero", "{\"a\":-01}", NULL, NULL },
    { "minus", "-", NULL, NULL },
    { "minus-brace", "{\"a\":-}", NULL, NULL },
    { "dot-at-end", "1.", NULL, NULL },
    { "dot-letter", "{\"a\":1.x}", NULL, NULL },
    { "exponent-brace", "{\"a\":1e}", NULL, NULL },
    { "exponent-sign-brace", "{\"a\":1e+}", NULL, NULL },
    { "second-dot", "{\"a\":1.5.5}", NULL, NULL },
    { "leading-dot", ".5", NULL, NULL },
    { "plus", "+1", NULL, NULL },
    { "comment", "/*c*/{}", NULL, NULL },
    { "line-comment", "{} // c", NULL, "Expecting at most one JSON value" },
    { "hash", "# c", NULL, NULL },
    { "percent", "%", NULL, NULL },
    { "stray-before-separator", "{\"a\":[1 2 %]}", NULL, NULL },
    { "upper-keyword", "{\"a\":TRUE}", NULL, NULL },
    { "short-keyword", "nul", NULL, NULL },
    { "long-keyword", "{\"a\":truex}", NULL, NULL },
    { "nan", "[NaN]", NULL, NULL },
    { "bad-escape", "\"\\x\"", NULL, NULL },
    { "bad-escape-q", "{\"a\":\"\\q\"}", NULL, NULL },
    { "lone-high-surrogate", "{\"a\":\"\\ud800\"}", NULL, NULL },
    { "upper-surrogate", "{\"a\":\"\\uD800\"}", NULL, NULL },
    { "high-then-ascii", "{\"a\":\"\\ud83d\\u0041\"}", NULL, NULL },
    { "high-then-char", "{\"a\":\"\\ud83dx\"}", NULL, NULL },
    { "lone-low-surrogate", "{\"a\":\"\\ude00\"}", NULL, NULL },
    { "short-u", "{\"a\":\"\\u12\"}", NULL, NULL },
    { "empty-u", "{\"a\":\"\\u\"}", NULL, NULL },
    { "non-hex-u", "{\"a\":\"\\u12g4\"}", NULL, NULL },
};

static void test_json_parse(gconstpointer opaque)
{
    const ParseCase *c = opaque;
    Error *err = NULL;
    g_autoptr(QObject) obj = qobject_from_json(c->text, &err);
    g_autofree char *json = NULL;
    const char *msg;

    if (c->result) {
        g_assert_null(err);
        g_assert_nonnull(obj);
        json = qobject_to_json(obj, false);
        g_assert_cmpstr(json, ==, c->result);
        return;
    }
    g_assert_null(obj);
    g_assert_nonnull(err);
    msg = error_get_pretty(err);
    if (c->error) {
        g_assert_cmpstr(msg, ==, c->error);
    } else {
        g_assert_true(g_str_has_prefix(msg, JSON_ERR));
        g_assert_cmpuint(strlen(msg), >, strlen(JSON_ERR));
    }
    g_assert_null(strchr(msg, '\n'));
    error_free(err);
}

/* Numbers keep their type and every bit of an int64. */
static void test_json_parse_types(void)
{
    g_autoptr(QObject) l = qobject_from_json(
        "[9223372036854775807, -1, 2.5, -9223372036854775808, 7]",
        &error_abort);

    g_assert_cmpuint(qlist_size(l), ==, 5);
    g_assert_cmpint(qobject_get_int(qlist_get(l, 0)), ==, INT64_MAX);
    g_assert_cmpint(qobject_get_int(qlist_get(l, 1)), ==, -1);
    g_assert_cmpfloat(qobject_get_double(qlist_get(l, 2)), ==, 2.5);
    g_assert_cmpint(qobject_get_int(qlist_get(l, 3)), ==, INT64_MIN);
    g_assert_cmpuint(qobject_get_uint(qlist_get(l, 4)), ==, 7);
}

/* Members are inserted in the order they are written, as 7.2 does. */
static void test_json_parse_order(void)
{
    g_autoptr(QObject) d = qobject_from_json(
        "{\"z\": 1, \"a\": {\"y\": 2, \"b\": 3}, \"m\": [], \"b\": null}",
        &error_abort);
    g_autofree const char **keys = qdict_keys_in_insertion_order(d);
    g_autofree const char **sub = NULL;

    g_assert_cmpuint(g_strv_length((char **)keys), ==, 4);
    g_assert_cmpstr(keys[0], ==, "z");
    g_assert_cmpstr(keys[1], ==, "a");
    g_assert_cmpstr(keys[2], ==, "m");
    g_assert_cmpstr(keys[3], ==, "b");
    sub = qdict_keys_in_insertion_order(qdict_get(d, "a"));
    g_assert_cmpstr(sub[0], ==, "y");
    g_assert_cmpstr(sub[1], ==, "b");
    g_assert_null(sub[2]);
}

/* A parsed "\u0000" is stored as 7.2 stores it, in modified UTF-8. */
static void test_json_parse_nul(void)
{
    g_autoptr(QObject) s = qobject_from_json("\"a\\u0000b\"", &error_abort);

    g_assert_cmpmem(qobject_get_str(s), 5, "a\xC0\x80" "b", 5);
}

/* Assert that 0 inside @n pairs of @open, @close fails on the depth limit. */
static void check_too_deep(const char *open, const char *close, int n)
{
    g_autoptr(GString) text = g_string_new("0");
    Error *err = NULL;
    int i;

    for (i = 0; i < n; i++) {
        g_string_prepend(text, open);
        g_string_append(text, close);
    }
    g_assert_null(qobject_from_json(text->str, &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "JSON nesting depth limit exceeded");
    error_free(err);
}

/*
 * 7.2 accepts 1024 nested brackets and refuses 1025; Jansson alone would
 * go to 2048, and beyond that fails on its own limit.
 */
static void test_json_parse_nesting(void)
{
    g_autoptr(GString) ok = g_string_new("0");
    g_autoptr(QObject) obj = NULL;
    int i;

    for (i = 0; i < 1024; i++) {
        g_string_prepend(ok, i % 2 ? "[" : "{\"k\":");
        g_string_append_c(ok, i % 2 ? ']' : '}');
    }
    obj = qobject_from_json(ok->str, &error_abort);
    g_assert_nonnull(obj);
    check_too_deep("[", "]", 1025);
    check_too_deep("{\"k\":", "}", 1025);
    check_too_deep("[", "]", 2049);
    check_too_deep("[", "]", 5000);
}

/* Register the cases of @table, each @size bytes, named by their first
 * member, under @prefix. */
static void add_cases(const char *prefix, const void *table, size_t n,
                      size_t size, GTestDataFunc func)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const void *c = (const char *)table + i * size;
        g_autofree char *path = g_strdup_printf("%s/%s", prefix,
                                                *(const char *const *)c);

        g_test_add_data_func(path, c, func);
    }
}

#define ADD_CASES(prefix, table, func) \
    add_cases(prefix, table, G_N_ELEMENTS(table), sizeof(table[0]), func)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qapi/qobject/dict/order-luks", test_dict_order);
    g_test_add_func("/qapi/qobject/dict/replace-keeps-place",
                    test_dict_replace_keeps_place);
    g_test_add_func("/qapi/qobject/dict/bucket-newest-first",
                    test_dict_bucket_newest_first);
    g_test_add_func("/qapi/qobject/dict/ops", test_dict_ops);
    g_test_add_func("/qapi/qobject/dict/flatten", test_dict_flatten);
    g_test_add_func("/qapi/qobject/scalars", test_scalars);
    ADD_CASES("/qapi/qobject/json/golden", json_golden_cases,
              test_json_golden);
    ADD_CASES("/qapi/qobject/json/string", str_escape_cases,
              test_json_str_escape);
    ADD_CASES("/qapi/qobject/json/number", num_cases, test_json_number);
    g_test_add_func("/qapi/qobject/json/compact", test_json_compact);
    g_test_add_func("/qapi/qobject/json/empty-pretty",
                    test_json_empty_pretty);
    ADD_CASES("/qapi/qobject/dump/golden", dump_golden_cases,
              test_dump_golden);
    ADD_CASES("/qapi/qobject/json/parse", parse_cases, test_json_parse);
    g_test_add_func("/qapi/qobject/json/parse-types", test_json_parse_types);
    g_test_add_func("/qapi/qobject/json/parse-order", test_json_parse_order);
    g_test_add_func("/qapi/qobject/json/parse-nul", test_json_parse_nul);
    g_test_add_func("/qapi/qobject/json/parse-nesting",
                    test_json_parse_nesting);
    return g_test_run();
}
