/*
 * Unit tests for qapi/error.c and qapi/util.c: error creation, context,
 * reporting format, error_fatal/error_abort, and enum lookup.
 */
#include "qemu/osdep.h"

#include "qapi/error.h"
#include "qapi/util.h"

static void test_setg(void)
{
    Error *err = NULL;

    error_setg(&err, "Unsupported cipher mode '%s'", "foo");
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Unsupported cipher mode 'foo'");
    error_prepend(&err, "Could not open '%s': ", "x.qcow2");
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Could not open 'x.qcow2': Unsupported cipher mode 'foo'");
    error_free(err);
    /* A NULL errp discards the error; prepend and hint then do nothing. */
    error_setg(NULL, "ignored");
    error_prepend(NULL, "x");
    error_append_hint(NULL, "x\n");
    error_free(NULL);
}

static void test_setg_errno(void)
{
    Error *err = NULL;
    Error *neg = NULL;

    error_setg_errno(&err, ENOENT, "Could not open '%s'", "a");
    error_setg_errno(&neg, -ENOENT, "Could not open '%s'", "a");
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Could not open 'a': No such file or directory");
    g_assert_cmpstr(error_get_pretty(neg), ==, error_get_pretty(err));
    error_free(err);
    error_free(neg);
}

static void test_propagate(void)
{
    Error *dst = NULL;
    Error *first = NULL;
    Error *second = NULL;

    error_setg(&first, "first");
    error_setg(&second, "second");
    error_propagate(&dst, first);
    /* As in QEMU, an error already in @dst wins. */
    error_propagate(&dst, second);
    g_assert_cmpstr(error_get_pretty(dst), ==, "first");
    error_propagate(&dst, NULL);
    error_free(dst);
    first = NULL;
    error_setg(&first, "dropped");
    error_propagate(NULL, first);
}

static void test_report(void)
{
    Error *err = NULL;

    if (g_test_subprocess()) {
        error_set_progname("qemu-img");
        error_setg(&err, "Invalid parameter 'x'");
        error_append_hint(&err, "This option is only supported for %s\n",
                          "image creation");
        error_report_err(err);
        error_report("plain %d", 1);
        warn_report("careful");
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("qemu-img: Invalid parameter 'x'\n"
                              "This option is only supported for image "
                              "creation\n"
                              "qemu-img: plain 1\n"
                              "qemu-img: warning: careful\n");
}

/* Control characters from image files must not break the one line. */
static void test_report_escapes(void)
{
    if (g_test_subprocess()) {
        error_set_progname("qemu-img");
        error_report("Algorithm '%s' not supported", "a\nb\r\t\033[1m\x7f");
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("qemu-img: Algorithm 'a\\nb\\r\\t\\x1b[1m\\x7f' "
                              "not supported\n");
}

static void test_fatal(void)
{
    Error *err = NULL;

    if (g_test_subprocess()) {
        error_set_progname("qemu-img");
        error_setg(&err, "Unknown file format '%s'", "foo");
        error_propagate(&error_fatal, err);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("qemu-img: Unknown file format 'foo'\n");
}

static void test_abort(void)
{
    if (g_test_subprocess()) {
        error_set_progname("test");
        error_setg(&error_abort, "Impossible %d", 42);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*test: Impossible 42\n");
}

static const char *const test_format_names[] = { "qcow", "luks" };
static const QEnumLookup test_format_lookup = { test_format_names, 2 };

/* "Parameter 'format' does not accept value 'foo'" as qemu-img 7.2 said
 * for `-o encrypt.format=foo`. */
static void test_enum(void)
{
    Error *err = NULL;

    g_assert_cmpstr(qapi_enum_lookup(&test_format_lookup, 1), ==, "luks");
    g_assert_cmpint(qapi_enum_parse(&test_format_lookup, "format", "luks",
                                    -1, &error_abort), ==, 1);
    g_assert_cmpint(qapi_enum_parse(&test_format_lookup, "format", NULL, 0,
                                    &error_abort), ==, 0);
    g_assert_cmpint(qapi_enum_parse(&test_format_lookup, "format", "foo", 0,
                                    &err), ==, -1);
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Parameter 'format' does not accept value 'foo'");
    error_free(err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qapi/error/setg", test_setg);
    g_test_add_func("/qapi/error/setg-errno", test_setg_errno);
    g_test_add_func("/qapi/error/propagate", test_propagate);
    g_test_add_func("/qapi/error/report", test_report);
    g_test_add_func("/qapi/error/report-escapes", test_report_escapes);
    g_test_add_func("/qapi/error/fatal", test_fatal);
    g_test_add_func("/qapi/error/abort", test_abort);
    g_test_add_func("/qapi/util/enum", test_enum);
    return g_test_run();
}
