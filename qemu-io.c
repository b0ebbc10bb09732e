/*
 * qemu-io: exercise an image with read/write/inspect commands, given with
 * -c or typed at a prompt; compatible with QEMU 7.2's qemu-io.
 */
#include "qemu/osdep.h"

#include <getopt.h>
#include <signal.h>

#include "crypto/key.h"
#include "crypto/secret.h"
#include "qapi/keyval.h"
#include "qemu-io.h"

#define QEMUIO_VERSION "7.2.22"

enum {
    QEMUIO_OPT_OBJECT = 256,
    QEMUIO_OPT_IMAGE_OPTS,
};

/* What the command line asked for. */
typedef struct QemuIOArgs {
    GPtrArray *cmds;            /* -c strings (borrowed from argv) */
    const char *format;         /* -f, or NULL */
    bool image_opts;            /* --image-opts */
    bool readonly;              /* -r */
    QemuIOOpenConf conf;
} QemuIOArgs;

static void qemuio_usage(const char *name)
{
    printf(
"Usage: %s [OPTIONS]... [-c STRING]... [file]\n"
"Runs disk I/O commands against an image: those given with -c, in order,\n"
"or else those read from standard input.\n"
"\n"
"  --object OBJECTDEF   create an object, e.g. a 'secret' holding the\n"
"                       password of an encrypted image\n"
"  --image-opts         the file argument is a key=value option string\n"
"  -c, --cmd STRING     run this command (may be repeated)\n"
"  -f, --format FMT     the image format (default: detect it)\n"
"  -r, --read-only      open the image read-only\n"
"  -s, --snapshot       send writes to a temporary overlay (discarded)\n"
"  -n, --nocache        bypass the host page cache (-t none)\n"
"  -C, --copy-on-read   copy data from backing files as it is read\n"
"  -m, --misalign       use buffers that are not page aligned\n"
"  -k, --native-aio     ask for Linux native AIO (same as -i native)\n"
"  -i, --aio=MODE       AIO mode: threads, native or io_uring\n"
"  -t, --cache=MODE     cache mode: none, writeback, writethrough,\n"
"                       directsync or unsafe\n"
"  -d, --discard=MODE   discard requests: ignore (off) or unmap (on)\n"
"  -T, --trace [[enable=]<pattern>][,events=<file>][,file=<file>]\n"
"                       tracing options (accepted, no trace events exist)\n"
"  -U, --force-share    do not lock other users out (read-only only)\n"
"  -h, --help           show this help and exit\n"
"  -V, --version        show the version and exit\n"
"\n"
"Run '%s -c help' to list the commands.\n",
        name, name);
}

static void qemuio_version(const char *name)
{
    printf("%s version " QEMUIO_VERSION " (qcrypt-img)\n"
           "Compatible reimplementation of the QEMU disk exerciser\n", name);
}

/*
 * --object help / --object secret,help: 7.2 lists the object types (or a
 * type's properties) and exits.  Only "secret" exists here.
 */
static void qemuio_object_help(const char *arg)
{
    g_autofree char *type = g_strndup(arg, strcspn(arg, ","));

    if (g_str_has_prefix(type, "qom-type=")) {
        memmove(type, type + strlen("qom-type="),
                strlen(type) - strlen("qom-type=") + 1);
    }
    if (!strcmp(type, "secret")) {
        printf("secret options:\n"
               "  data=<string>\n"
               "  file=<string>\n"
               "  format=<QCryptoSecretFormat>\n"
               "  iv=<string>\n"
               "  keyid=<string>\n");
    } else {
        printf("List of user creatable objects:\n"
               "  secret\n");
    }
}

/*
 * Handle one command-line option; exits on errors and on -h/-V, as only
 * main-level code may.
 */
static void qemuio_parse_opt(int c, const char *arg, const char *progname,
                             QemuIOArgs *a, QemuIOState *s)
{
    Error *err = NULL;

    switch (c) {
    case 'c':
        g_ptr_array_add(a->cmds, (gpointer)arg);
        break;
    case 'f':
        a->format = arg;
        break;
    case 'r':
        a->readonly = true;
        break;
    case 's':
        a->conf.snapshot = true;
        break;
    case 'C':
    case 'T':
        /* Copy-on-read needs backing files to matter; no trace events. */
        break;
    case 'm':
        s->misalign = true;
        break;
    case 'V':
        qemuio_version(progname);
        exit(0);
    case 'h':
        qemuio_usage(progname);
        exit(0);
    case QEMUIO_OPT_OBJECT:
        if (keyval_is_help(arg)) {
            qemuio_object_help(arg);
            exit(0);
        }
        if (!qcrypto_object_add_from_str(arg, &err)) {
            error_report_err(err);
            exit(1);
        }
        break;
    case QEMUIO_OPT_IMAGE_OPTS:
        a->image_opts = true;
        break;
    default:
        switch (qemuio_open_conf_opt(c, arg, &a->conf)) {
        case 1:
            break;
        case 0:
            qemuio_usage(progname);
            exit(1);
        default:
            exit(1);
        }
    }
}

static void qemuio_parse_args(int argc, char **argv, const char *progname,
                              QemuIOArgs *a, QemuIOState *s)
{
    static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "cmd", required_argument, NULL, 'c' },
        { "format", required_argument, NULL, 'f' },
        { "read-only", no_argument, NULL, 'r' },
        { "snapshot", no_argument, NULL, 's' },
        { "nocache", no_argument, NULL, 'n' },
        { "copy-on-read", no_argument, NULL, 'C' },
        { "misalign", no_argument, NULL, 'm' },
        { "native-aio", no_argument, NULL, 'k' },
        { "aio", required_argument, NULL, 'i' },
        { "discard", required_argument, NULL, 'd' },
        { "cache", required_argument, NULL, 't' },
        { "trace", required_argument, NULL, 'T' },
        { "object", required_argument, NULL, QEMUIO_OPT_OBJECT },
        { "image-opts", no_argument, NULL, QEMUIO_OPT_IMAGE_OPTS },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 }
    };
    int c;

    while ((c = getopt_long(argc, argv, "hVc:d:f:rsnCmki:t:T:U",
                            long_options, NULL)) != -1) {
        qemuio_parse_opt(c, optarg, progname, a, s);
    }
    if (argc - optind > 1) {
        qemuio_usage(progname);
        exit(1);
    }
    if (a->format && a->image_opts) {
        error_report("--image-opts and -f are mutually exclusive");
        exit(1);
    }
}

/* Open the image named on the command line; Returns: 0 or < 0. */
static int qemuio_open_arg(QemuIOState *s, const QemuIOArgs *a,
                           const char *arg)
{
    QObject *opts = NULL;
    Error *err = NULL;

    if (a->image_opts) {
        opts = qobject_new_dict();
        if (!qemuio_opts_parse(opts, arg, &err)) {
            error_report_err(err);
            qobject_free(opts);
            return -EINVAL;
        }
        return qemuio_open(s, NULL, opts, &a->conf);
    }
    if (a->format) {
        opts = qobject_new_dict();
        qdict_put_str(opts, "driver", a->format);
    }
    return qemuio_open(s, arg, opts, &a->conf);
}

/* Run the -c commands until one is quit.  Returns: < 0 if any failed. */
static int qemuio_run_batch(QemuIOState *s, GPtrArray *cmds)
{
    int ret, last_error = 0;
    guint i;

    for (i = 0; i < cmds->len && !s->quit; i++) {
        ret = qemuio_command(s, g_ptr_array_index(cmds, i));
        if (ret < 0) {
            last_error = ret;
        }
    }
    return last_error;
}

/*
 * Prompt for commands on stdin until quit or end of input.
 * Returns: < 0 if any command failed.
 */
static int qemuio_run_interactive(QemuIOState *s)
{
    g_autofree char *line = NULL;
    size_t size = 0;
    ssize_t len;
    int ret, last_error = 0;

    while (!s->quit) {
        printf("qemu-io> ");
        fflush(stdout);
        len = getline(&line, &size, stdin);
        if (len < 0) {
            break;
        }
        if (len > 0 && line[len - 1] == '\n') {
            line[len - 1] = '\0';
        }
        ret = qemuio_command(s, line);
        if (ret < 0) {
            last_error = ret;
        }
    }
    return last_error;
}

/*
 * Signal dispositions of 7.2's qemu-io, which "sigraise" shows: SIGPIPE
 * is ignored, and the signals QEMU's main loop takes over stay blocked.
 */
static void qemuio_setup_signals(void)
{
    sigset_t set;

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGALRM);
    sigaddset(&set, SIGIO);
    sigaddset(&set, SIGBUS);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

int main(int argc, char **argv)
{
    g_autofree char *progname = g_path_get_basename(argv[0]);
    g_autoptr(GPtrArray) cmds = g_ptr_array_new();
    QemuIOArgs a = { .cmds = cmds, .conf.flags = BDRV_O_UNMAP,
                     .conf.writethrough = true };   /* 7.2's default */
    QemuIOState s = { .pending = g_queue_new() };
    int ret;

    error_set_progname(progname);
    /* No core dump or ptrace of a process that may hold keys. */
    qcrypto_secrets_protect_process();
    /* Wipe the secrets on every way out, exit(1) on errors included. */
    atexit(qcrypto_secret_registry_clear);
    qemuio_setup_signals();
    qemuio_parse_args(argc, argv, progname, &a, &s);
    s.image_opts = a.image_opts;
    if (!a.readonly) {
        a.conf.flags |= BDRV_O_RDWR;
    }
    if (optind == argc - 1 && qemuio_open_arg(&s, &a, argv[optind]) < 0) {
        exit(1);
    }
    ret = cmds->len ? qemuio_run_batch(&s, cmds)
                    : qemuio_run_interactive(&s);
    qemuio_drain(&s);
    if (s.blk) {
        qemuio_close(&s);
    }
    g_queue_free(s.pending);
    return ret < 0 ? 1 : 0;
}
