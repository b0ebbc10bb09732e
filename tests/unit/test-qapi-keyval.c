/*
 * Unit tests for qapi/keyval.c: QemuOpts-style and strict key=value
 * parsing, help detection, booleans and the -o list check.
 */
#include "qemu/osdep.h"

#include "qapi/keyval.h"

typedef struct KeyvalCase {
    const char *name;
    const char *params;
    const char *implied;
    const char *pairs[9];       /* key, value, ..., NULL */
} KeyvalCase;

/*
 * QemuOpts rules as qemu-img 7.2 applied them to -o and --image-opts:
 * "-o nolazy_refcounts" printed lazy_refcounts=off, "-o nocow" failed with
 * "Invalid parameter 'cow'", "-o no" with "Invalid parameter ''", "-o =4k"
 * likewise, "-o 'cluster_size =4k'" with "Invalid parameter
 * 'cluster_size '", "-o cluster_size=4k,,,lazy_refcounts" read the size
 * "4k,", "-o cluster_size=4k,cluster_size=8k" printed cluster_size=8192,
 * "-o compat=" printed "compat=", and "--image-opts ...,,x" opened
 * 'k.q,x'.
 */
static const KeyvalCase parse_cases[] = {
    { "escaped-comma", "secret,id=a,data=x,,y", "qom-type",
      { "qom-type", "secret", "id", "a", "data", "x,y", NULL } },
    { "flag-on", "lazy_refcounts", NULL, { "lazy_refcounts", "on", NULL } },
    { "flag-no-prefix", "nolazy_refcounts", NULL,
      { "lazy_refcounts", "off", NULL } },
    { "flag-nocow", "nocow", NULL, { "cow", "off", NULL } },
    { "flag-no-only", "no", NULL, { "", "off", NULL } },
    { "flag-help", "help", NULL, { "help", "on", NULL } },
    { "later-overrides", "cluster_size=4k,cluster_size=8k", NULL,
      { "cluster_size", "8k", NULL } },
    { "flag-overrides", "lazy_refcounts=on,nolazy_refcounts", NULL,
      { "lazy_refcounts", "off", NULL } },
    { "empty-value", "compat=", NULL, { "compat", "", NULL } },
    { "escaped-comma-at-end", "cluster_size=4k,,", NULL,
      { "cluster_size", "4k,", NULL } },
    { "escaped-comma-then-next", "cluster_size=4k,,,lazy_refcounts", NULL,
      { "cluster_size", "4k,", "lazy_refcounts", "on", NULL } },
    { "empty-name", "=4k", NULL, { "", "4k", NULL } },
    { "space-in-name", "cluster_size =4k", NULL,
      { "cluster_size ", "4k", NULL } },
    { "space-in-value", "cluster_size= 4k", NULL,
      { "cluster_size", " 4k", NULL } },
    { "equals-in-value", "backing_file=a=b", NULL,
      { "backing_file", "a=b", NULL } },
    { "dotted-keys-flat", "encrypt.format=luks,encrypt.key-secret=s", NULL,
      { "encrypt.format", "luks", "encrypt.key-secret", "s", NULL } },
    { "trailing-comma", "driver=qcow2,file.filename=k.q,", NULL,
      { "driver", "qcow2", "file.filename", "k.q", NULL } },
    { "image-opts-escaped", "driver=qcow2,file.filename=k.q,,x", NULL,
      { "driver", "qcow2", "file.filename", "k.q,x", NULL } },
    { "implied", "qcow2,file.filename=k.q", "driver",
      { "driver", "qcow2", "file.filename", "k.q", NULL } },
    { "implied-escaped", "a,,b,x=1", "driver",
      { "driver", "a,b", "x", "1", NULL } },
    { "implied-first-only", "a=1,b", "k", { "a", "1", "b", "on", NULL } },
    { "empty", "", NULL, { NULL } },
};

static void check_pairs(const QObject *dict, const char *const *pairs)
{
    size_t n = 0;

    for (; pairs[0]; pairs += 2, n++) {
        g_assert_cmpstr(qdict_get_str(dict, pairs[0]), ==, pairs[1]);
    }
    g_assert_cmpuint(qdict_size(dict), ==, n);
}

static void test_parse(gconstpointer opaque)
{
    const KeyvalCase *c = opaque;
    g_autoptr(QObject) dict = keyval_parse(c->params, c->implied,
                                           &error_abort);

    check_pairs(dict, c->pairs);
}

static void test_parse_into(void)
{
    g_autoptr(QObject) dict = qobject_new_dict();

    g_assert_true(keyval_parse_into(dict, "a=1,b=2", NULL, &error_abort));
    g_assert_true(keyval_parse_into(dict, "b=3,c", NULL, &error_abort));
    g_assert_cmpstr(qdict_get_str(dict, "a"), ==, "1");
    g_assert_cmpstr(qdict_get_str(dict, "b"), ==, "3");
    g_assert_cmpstr(qdict_get_str(dict, "c"), ==, "on");
}

typedef struct StrictCase {
    const char *name;
    const char *params;
    const char *error;          /* NULL on success */
    const char *pairs[9];
} StrictCase;

/*
 * 7.2's keyval grammar, as `qemu-img create --object OPTS ...` and
 * `qemu-img info --object OPTS` (7.2) showed it.  Errors that came from
 * the secret object rather than the parser ("Parameter 'foo' is
 * unexpected") are successes here.
 */
static const StrictCase strict_cases[] = {
    { "escaped-comma", "secret,id=a,data=x,,y", NULL,
      { "qom-type", "secret", "id", "a", "data", "x,y", NULL } },
    { "trailing-comma", "secret,id=a,data=x,", NULL,
      { "qom-type", "secret", "id", "a", "data", "x", NULL } },
    { "empty-value", "secret,id=a,data=", NULL,
      { "qom-type", "secret", "id", "a", "data", "", NULL } },
    { "escaped-comma-at-end", "secret,id=a,data=1,,", NULL,
      { "qom-type", "secret", "id", "a", "data", "1,", NULL } },
    { "escaped-then-trailing", "secret,id=a,data=1,,,", NULL,
      { "qom-type", "secret", "id", "a", "data", "1,", NULL } },
    { "later-overrides", "secret,id=a,data=1,id=b", NULL,
      { "qom-type", "secret", "id", "b", "data", "1", NULL } },
    { "no-implied", "id=a,qom-type=secret,data=1", NULL,
      { "qom-type", "secret", "id", "a", "data", "1", NULL } },
    { "help-skipped", "secret,help", NULL, { "qom-type", "secret", NULL } },
    { "dotted", "secret,foo.bar=2", NULL,
      { "qom-type", "secret", "foo.bar", "2", NULL } },
    { "index-fragment", "secret,a.0=2", NULL,
      { "qom-type", "secret", "a.0", "2", NULL } },
    { "name-chars", "secret,x_y-z=1", NULL,
      { "qom-type", "secret", "x_y-z", "1", NULL } },
    { "empty", "", NULL, { NULL } },
    { "implied-no-escape", "secret,,id=a,data=1", "Invalid parameter ''",
      { NULL } },
    { "leading-comma", ",secret,id=a,data=1", "Invalid parameter ''",
      { NULL } },
    { "empty-key", "secret,=a", "Invalid parameter ''", { NULL } },
    { "bare-name", "secret,id=a,data",
      "Expected '=' after parameter 'data'", { NULL } },
    { "no-flags", "secret,id=a,data=1,loaded",
      "Expected '=' after parameter 'loaded'", { NULL } },
    { "no-no-prefix", "secret,id=a,data=1,noloaded",
      "Expected '=' after parameter 'noloaded'", { NULL } },
    { "bare-after-escape", "secret,id=a,data=1,,,x",
      "Expected '=' after parameter 'x'", { NULL } },
    { "digit-first", "secret,id=a,data=1,1x=2", "Invalid parameter '1x'",
      { NULL } },
    { "index-first", "secret,0=1", "Invalid parameter '0'", { NULL } },
    { "bad-index", "secret,a.1x=2", "Invalid parameter 'a.1x'", { NULL } },
    { "underscore-first", "secret,_x=1", "Invalid parameter '_x'",
      { NULL } },
    { "double-dot", "secret,a..b=2", "Invalid parameter 'a..b'", { NULL } },
    { "trailing-dot", "secret,a.=2", "Invalid parameter 'a.'", { NULL } },
    { "prefix-then-value", "secret,a.b=2,a=3",
      "Parameters 'a.*' used inconsistently", { NULL } },
    { "value-then-prefix", "secret,a=3,a.b=2",
      "Parameters 'a.*' used inconsistently", { NULL } },
    { "nested-inconsistent", "secret,a.b.c=1,a.b=2",
      "Parameters 'a.b.*' used inconsistently", { NULL } },
    { "too-long", "secret,"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1",
      "Parameter '"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "' is too long", { NULL } },
};

static void test_strict(gconstpointer opaque)
{
    const StrictCase *c = opaque;
    Error *err = NULL;
    g_autoptr(QObject) dict = keyval_parse_strict(c->params, "qom-type",
                                                  &err);

    if (c->error) {
        g_assert_null(dict);
        g_assert_nonnull(err);
        g_assert_cmpstr(error_get_pretty(err), ==, c->error);
        error_free(err);
        return;
    }
    g_assert_null(err);
    check_pairs(dict, c->pairs);
}

typedef struct BoolCase {
    const char *name;
    const char *params;
    bool result;
} BoolCase;

/*
 * qemu-img 7.2's help test: any comma-separated element (",," escaped)
 * that is exactly "help" or "?"; "-o cluster_size=help" was a size error
 * and "-o help=1" "Invalid parameter 'help'".
 */
static const BoolCase help_cases[] = {
    { "help", "help", true },
    { "question-mark", "?", true },
    { "help-first", "help,cluster_size=4k", true },
    { "help-last", "cluster_size=4k,?", true },
    { "value-help", "cluster_size=help", false },
    { "help-with-value", "help=1", false },
    { "escaped", "a=1,,help", false },
    { "empty", "", false },
    { "other", "helpme", false },
};

static void test_is_help(gconstpointer opaque)
{
    const BoolCase *c = opaque;

    g_assert_cmpint(keyval_is_help(c->params), ==, c->result);
}

/*
 * qemu-img 7.2's "Invalid option list" check on -o: "-o ''", "-o ,a=1"
 * and "-o a=1," were refused; "a=1,," is an escaped comma.
 */
static const BoolCase list_cases[] = {
    { "normal", "cluster_size=4k", true },
    { "empty", "", false },
    { "leading-comma", ",cluster_size=4k", false },
    { "trailing-comma", "lazy_refcounts,cluster_size=4k,", false },
    { "escaped-trailing", "a=1,,", true },
    { "three-trailing", "a=1,,,", false },
};

static void test_is_valid_list(gconstpointer opaque)
{
    const BoolCase *c = opaque;

    g_assert_cmpint(keyval_is_valid_option_list(c->params), ==, c->result);
}

typedef struct ParseBoolCase {
    const char *name;
    const char *value;
    int result;                 /* 0, 1, or -1 for an error */
} ParseBoolCase;

/*
 * `qemu-img create -f qcow2 -o lazy_refcounts=V` (7.2): y, yes, true, n
 * were accepted; ON and maybe gave "expects 'on' or 'off'".
 */
static const ParseBoolCase parse_bool_cases[] = {
    { "on", "on", 1 }, { "yes", "yes", 1 }, { "true", "true", 1 },
    { "y", "y", 1 }, { "off", "off", 0 }, { "no", "no", 0 },
    { "false", "false", 0 }, { "n", "n", 0 }, { "upper", "ON", -1 },
    { "maybe", "maybe", -1 }, { "empty", "", -1 },
};

static void test_parse_bool(gconstpointer opaque)
{
    const ParseBoolCase *c = opaque;
    Error *err = NULL;
    bool out = c->result != 1;
    bool ok = keyval_parse_bool("lazy_refcounts", c->value, &out, &err);

    if (c->result < 0) {
        g_assert_false(ok);
        g_assert_cmpstr(error_get_pretty(err), ==,
                        "Parameter 'lazy_refcounts' expects 'on' or 'off'");
        error_free(err);
        return;
    }
    g_assert_true(ok);
    g_assert_cmpint(out, ==, c->result);
}

/*
 * --image-opts flags warn in 7.2 ("short-form boolean option
 * 'nolazy-refcounts' deprecated"), except "help".
 */
static void test_short_bools(void)
{
    g_auto(GStrv) flags = keyval_list_short_bools(
        "driver=qcow2,lazy-refcounts,file.filename=a,,b,nolazy-refcounts,"
        "help,?", NULL);
    g_auto(GStrv) implied = keyval_list_short_bools("qcow2,x,y=1", "driver");

    g_assert_cmpuint(g_strv_length(flags), ==, 2);
    g_assert_cmpstr(flags[0], ==, "lazy-refcounts");
    g_assert_cmpstr(flags[1], ==, "nolazy-refcounts");
    g_assert_cmpuint(g_strv_length(implied), ==, 1);
    g_assert_cmpstr(implied[0], ==, "x");
}

/* Register @n cases of @size bytes, named by their first member. */
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
    ADD_CASES("/qapi/keyval/parse", parse_cases, test_parse);
    g_test_add_func("/qapi/keyval/parse-into", test_parse_into);
    ADD_CASES("/qapi/keyval/strict", strict_cases, test_strict);
    ADD_CASES("/qapi/keyval/is-help", help_cases, test_is_help);
    ADD_CASES("/qapi/keyval/valid-list", list_cases, test_is_valid_list);
    ADD_CASES("/qapi/keyval/bool", parse_bool_cases, test_parse_bool);
    g_test_add_func("/qapi/keyval/short-bools", test_short_bools);
    return g_test_run();
}
