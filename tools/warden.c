/*
 * warden: talk to a Warden companion from the shell.
 *
 *   warden [--companion ADDR] COMMAND [ARGS]
 *
 * Exit status: 0 success, 1 the companion, the bus or a file failed,
 * 2 the command line was wrong.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "wd_proto.h"

#define RANDOM_MAX 1048576UL
/* Bytes per warden_random() call: the buffer the tool wipes. */
#define RANDOM_BLOCK 4096

static const struct command *find_command(const char *name);

static void
usage_main(FILE *out)
{
    fprintf(out, "usage: warden [--companion ADDR] COMMAND [ARGS]\n"
                 "\n"
                 "Talks to a Warden secure companion.\n"
                 "\n"
                 "commands:\n"
                 "  status        show what the companion says about itself\n"
                 "  random N      read N random bytes from the companion\n"
                 "  connect HOST PORT   TLS 1.3/1.2 to a server: stdin to it, its\n"
                 "                      data to stdout\n"
                 "  attest CA [CA...]   prove the companion is genuine\n"
                 "  sign-firmware KEY VERSION BINARY [CONFIG]\n"
                 "                      sign a host firmware for secure boot\n"
                 "  help [CMD]    show help for warden or for one command\n"
                 "\n"
                 "provisioning (what changes the companion works only\n"
                 "before 'lock'):\n"
                 "  provision CONFIG    run a whole factory flow from a file\n"
                 "  keygen              generate a key pair inside\n"
                 "  pubkey              read a public key\n"
                 "  csr                 make a certificate request, signed "
                 "inside\n"
                 "  install-cert FILE.. install the device chain\n"
                 "  add-root FILE...    add root certificates\n"
                 "  install-key FILE    install the admin or firmware key\n"
                 "  set-serial SERIAL   set the serial number\n"
                 "  lock                end provisioning for good\n"
                 "  get-cert            read an installed certificate\n"
                 "\n"
                 "in the field (operational):\n"
                 "  admin OP ...        make an update signed with the admin "
                 "key,\n"
                 "                      apply one, or show the update counter\n"
                 "\n"
                 "options:\n"
                 "  -c, --companion ADDR  companion address (unix:PATH)\n"
                 "  -h, --help            show this help\n"
                 "\n"
                 "The address is, in order: --companion, $WARDEN_COMPANION,\n"
                 "unix:$WARDEN_HOME/wardend.sock, and\n"
                 "unix:$HOME/.local/state/warden/wardend.sock.\n"
                 "\n"
                 "Exit status: 0 success, 1 companion, bus or file error, 2 "
                 "usage error.\n");
}

static void
usage_random(FILE *out)
{
    fprintf(out,
            "usage: warden [--companion ADDR] random N [--hex | --raw]\n"
            "\n"
            "Reads N random bytes (1 to %lu) from the companion's DRBG.\n"
            "\n"
            "options:\n"
            "  --hex   print lowercase hex on one line (the default)\n"
            "  --raw   write the bytes as they are\n",
            RANDOM_MAX);
}

static void
usage_help(FILE *out)
{
    fprintf(out, "usage: warden help [COMMAND]\n"
                 "\n"
                 "Shows help for warden, or for one command.\n");
}

int
tool_usage_error(const char *command, const char *what, const char *arg)
{
    fprintf(stderr, "warden: %s%s%s", command != NULL ? command : "",
            command != NULL ? ": " : "", what);
    if (arg != NULL) {
        fprintf(stderr, " '%s'", arg);
    }
    fprintf(stderr, "\nTry 'warden %s%s--help'.\n",
            command != NULL ? command : "", command != NULL ? " " : "");
    return EXIT_USAGE;
}

static int
bad_count(const char *arg)
{
    fprintf(stderr,
            "warden: random: bad byte count '%s': expected a whole number "
            "from 1 to %lu\n"
            "Try 'warden random --help'.\n",
            arg, RANDOM_MAX);
    return EXIT_USAGE;
}

/*
 * Where the companion is when no --companion is given: a string from
 * malloc(), or NULL when no variable says (or memory ran out).
 */
static char *
default_address(void)
{
    static const char name[] = "/wardend.sock";
    static const char state[] = "/.local/state/warden";
    const char *env = getenv("WARDEN_COMPANION");
    const char *dir;
    const char *sub = "";
    char *addr;
    size_t len;

    if (env != NULL && env[0] != '\0') {
        len = strlen(env) + 1;
        addr = malloc(len);
        if (addr != NULL) {
            memcpy(addr, env, len);
        }
        return addr;
    }
    dir = getenv("WARDEN_HOME");
    if (dir == NULL || dir[0] == '\0') {
        dir = getenv("HOME");
        sub = state;
        if (dir == NULL || dir[0] == '\0') {
            return NULL;
        }
    }
    len = strlen("unix:") + strlen(dir) + strlen(sub) + strlen(name) + 1;
    addr = malloc(len);
    if (addr != NULL) {
        snprintf(addr, len, "unix:%s%s%s", dir, sub, name);
    }
    return addr;
}

int
tool_open(struct warden_dev *dev, const char *address)
{
    int rc = warden_open(dev, address);

    if (rc == WARDEN_ERR_OK) {
        return 0;
    }
    fprintf(stderr, "warden: %s\n", warden_error(dev));
    /* A malformed address is the user's input, like a bad argument. */
    return rc == WARDEN_ERR_ADDRESS ? EXIT_USAGE : EXIT_FAILURE;
}

int
tool_fail(const char *command, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "warden: %s: ", command);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_FAILURE;
}

unsigned
tool_status(const struct warden_dev *dev)
{
    unsigned status;

    if (warden_last_error(dev, &status) != WARDEN_ERR_COMPANION) {
        return 0;
    }
    return status;
}

/* Says why a companion in this lifecycle state refused. */
static const char *
closed_reason(struct warden_dev *dev)
{
    struct warden_info info;

    if (warden_get_info(dev, &info) == WARDEN_ERR_OK) {
        if (info.lifecycle == WD_LIFECYCLE_OPERATIONAL) {
            return "the companion is locked (operational): provisioning is "
                   "closed";
        }
        if (info.lifecycle == WD_LIFECYCLE_DECOMMISSIONED) {
            return "the companion is decommissioned: only status answers";
        }
    }
    return "not allowed in the companion's lifecycle state";
}

int
tool_report(struct warden_dev *dev, const char *command, const char *what)
{
    unsigned status = tool_status(dev);
    const char *why;

    switch (status) {
    case 0:
        /* The library's message says which call and what broke. */
        return tool_fail(command, "%s", warden_error(dev));
    case WD_STATUS_NOT_ALLOWED:
        return tool_fail(command, "%s", closed_reason(dev));
    case WD_STATUS_BAD_CERTIFICATE:
        why = "the companion cannot read this certificate: malformed or "
              "unsupported";
        break;
    case WD_STATUS_KEY_MISMATCH:
        why = "the certificate's public key is not the companion's key";
        break;
    case WD_STATUS_NOT_ISSUER:
        why = "it is not the issuer of the certificate before it in the "
              "chain";
        break;
    case WD_STATUS_FULL:
        why = "no room left in the companion (its storage, or all 8 root "
              "slots)";
        break;
    case WD_STATUS_RECORD_TOO_LARGE:
        why = "too large for the companion's record (at most 2048 bytes of "
              "DER)";
        break;
    case WD_STATUS_BAD_KEY:
        why = "not an EC P-256 or P-384 public key";
        break;
    default:
        why = wd_status_message(status);
        break;
    }
    if (what != NULL) {
        return tool_fail(command, "%s: %s (%s)", what, why,
                         wd_status_name(status));
    }
    return tool_fail(command, "%s (%s)", why, wd_status_name(status));
}

int
tool_write_pem(const char *command, const char *path, const char *label,
               const uint8_t *der, size_t len)
{
    struct tk_err e;
    size_t n;
    char *text = tk_pem_encode(label, der, len, &n);
    int ret = 0;

    if (text == NULL) {
        return tool_fail(command, "out of memory");
    }
    if (tk_write_file(path != NULL ? path : "-", text, n, &e) != 0) {
        ret = tool_fail(command, "%s", e.msg);
    }
    free(text);
    return ret;
}

/*
 * Names the option getopt_long() stopped at: long options always move
 * optind past themselves, a short one in a cluster may not.
 */
static const char *
bad_option(char **argv, char *buf, size_t cap)
{
    if (optopt != 0) {
        snprintf(buf, cap, "-%c", optopt);
        return buf;
    }
    return argv[optind - 1];
}

/* Strict decimal index for --index and --root: 0 to 255. */
static int
parse_index(const char *s, unsigned *out)
{
    unsigned v = 0;

    if (*s == '\0') {
        return -1;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > 25) {
            return -1;
        }
        v = v * 10 + (unsigned)(*s - '0');
    }
    if (v > 255) {
        return -1;
    }
    *out = v;
    return 0;
}

/* The option's bit in struct command's mask, 0 for the common ones. */
static unsigned
option_bit(int c)
{
    switch (c) {
    case 'x':
    case 'r':
        return OPT_BYTES;
    case 'a':
        return OPT_ATTESTATION;
    case 'C':
        return OPT_CURVE;
    case 'o':
        return OPT_OUT;
    case 's':
        return OPT_SUBJECT;
    case 'A':
    case 'F':
        return OPT_TARGET;
    case 'k':
        return OPT_CHECK;
    case 'i':
    case 'R':
        return OPT_CERT_REF;
    case 'L':
    case 'S':
    case 'G':
    case 'N':
    case 'q':
        return OPT_TLS;
    case 'K':
    case 'E':
    case 'U':
        return OPT_ADMIN;
    }
    return 0;
}

/* Takes the value of one of the command-specific options. */
static int
take_option(const struct command *cmd, int c, struct tool_opts *o)
{
    switch (c) {
    case 'x':
    case 'r':
        o->raw = c == 'r';
        break;
    case 'a':
        o->attestation = 1;
        break;
    case 'C':
        o->curve = tk_curve_parse(optarg);
        if (o->curve == 0) {
            return tool_usage_error(cmd->name, "unknown curve (p256 or p384)",
                                    optarg);
        }
        break;
    case 'o':
        o->out = optarg;
        break;
    case 's':
        o->subject = optarg;
        break;
    case 'A':
    case 'F':
        if (o->target != 0) {
            return tool_usage_error(cmd->name,
                                    "give one of --admin and --firmware", NULL);
        }
        o->target = c == 'A' ? WARDEN_PUBKEY_ADMIN : WARDEN_PUBKEY_FIRMWARE;
        break;
    case 'k':
        o->check = 1;
        break;
    case 'i':
    case 'R':
        if (o->index_given) {
            return tool_usage_error(cmd->name, "give one of --index and --root",
                                    NULL);
        }
        if (parse_index(optarg, &o->index) != 0) {
            return tool_usage_error(cmd->name, "bad index", optarg);
        }
        o->index_given = 1;
        o->root = c == 'R';
        break;
    case 'L':
        o->alpn = optarg;
        break;
    case 'S':
        o->suites = optarg;
        break;
    case 'G':
        o->groups = optarg;
        break;
    case 'N':
        o->servername = optarg;
        break;
    case 'q':
        o->quiet = 1;
        break;
    case 'K':
        o->key = optarg;
        break;
    case 'E':
        o->serial = optarg;
        break;
    case 'U':
        o->counter = optarg;
        break;
    }
    return -1;
}

/*
 * Parses a command's options: --companion and --help for all, and those
 * of its mask. Returns -1 to go on, or the exit status (after --help, or
 * on a usage error).
 */
static int
parse_options(const struct command *cmd, int argc, char **argv,
              struct tool_opts *o)
{
    static const struct option opts[] = {
        {"companion", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"hex", no_argument, NULL, 'x'},
        {"raw", no_argument, NULL, 'r'},
        {"attestation", no_argument, NULL, 'a'},
        {"curve", required_argument, NULL, 'C'},
        {"out", required_argument, NULL, 'o'},
        {"subject", required_argument, NULL, 's'},
        {"admin", no_argument, NULL, 'A'},
        {"firmware", no_argument, NULL, 'F'},
        {"check", no_argument, NULL, 'k'},
        {"index", required_argument, NULL, 'i'},
        {"root", required_argument, NULL, 'R'},
        {"alpn", required_argument, NULL, 'L'},
        {"suite", required_argument, NULL, 'S'},
        {"group", required_argument, NULL, 'G'},
        {"name", required_argument, NULL, 'N'},
        {"quiet", no_argument, NULL, 'q'},
        {"key", required_argument, NULL, 'K'},
        {"serial", required_argument, NULL, 'E'},
        {"counter", required_argument, NULL, 'U'},
        {NULL, 0, NULL, 0},
    };
    char name[48];
    int longindex;
    int ret;
    int i;
    int c;

    /*
     * "-1" is a bad count, not an unknown option "-1": report it as the
     * value it was meant to be.
     */
    for (i = 1; (cmd->options & OPT_BYTES) && i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            break;
        }
        if (argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9') {
            return bad_count(argv[i]);
        }
    }

    /* glibc starts getopt afresh at 0; other C libraries at 1. */
#ifdef __GLIBC__
    optind = 0;
#else
    optind = 1;
#endif
    opterr = 0;
    for (;;) {
        longindex = -1;
        c = getopt_long(argc, argv, ":c:ho:s:", opts, &longindex);
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'c':
            o->address = optarg;
            break;
        case 'h':
            cmd->help(stdout);
            return EXIT_SUCCESS;
        case ':':
            return tool_usage_error(cmd->name, "missing value for option",
                                    argv[optind - 1]);
        case '?':
            return tool_usage_error(cmd->name, "unknown option",
                                    bad_option(argv, name, sizeof(name)));
        default:
            /* Known to warden, not to this command: name it as written. */
            if (!(cmd->options & option_bit(c))) {
                if (longindex >= 0) {
                    snprintf(name, sizeof(name), "--%s", opts[longindex].name);
                } else {
                    snprintf(name, sizeof(name), "-%c", c);
                }
                return tool_usage_error(cmd->name, "unknown option", name);
            }
            ret = take_option(cmd, c, o);
            if (ret >= 0) {
                return ret;
            }
            break;
        }
    }
    return -1;
}

/*
 * Strict decimal: digits only, no sign, no spaces, no suffix, and in
 * range. Returns 0 and *n, or -1.
 */
static int
parse_count(const char *s, unsigned long max, unsigned long *n)
{
    unsigned long v = 0;
    const char *p;

    if (s[0] == '\0') {
        return -1;
    }
    for (p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }
        if (v > (max - (unsigned long)(*p - '0')) / 10) {
            return -1;
        }
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v == 0) {
        return -1;
    }
    *n = v;
    return 0;
}

static int
write_hex(const unsigned char *buf, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    /* Static, so that the wipe below cannot be optimised away. */
    static char line[2 * 256];
    size_t i;
    size_t j;
    size_t n;
    int ret = 0;

    for (i = 0; i < len && ret == 0; i += n) {
        n = len - i < 256 ? len - i : 256;
        for (j = 0; j < n; j++) {
            line[2 * j] = digits[buf[i + j] >> 4];
            line[2 * j + 1] = digits[buf[i + j] & 0x0f];
        }
        if (fwrite(line, 1, 2 * n, stdout) != 2 * n) {
            ret = -1;
        }
    }
    memset(line, 0, sizeof(line));
    return ret;
}

static int
run_random(const struct tool_opts *o, int argc, char **argv)
{
    int raw = o->raw;
    static unsigned char buf[RANDOM_BLOCK];
    struct warden_dev dev;
    unsigned long count;
    size_t done;
    size_t n;
    int opened = 0;
    int ret = EXIT_FAILURE;

    if (argc < 1) {
        return tool_usage_error("random", "missing the byte count", NULL);
    }
    if (argc > 1) {
        return tool_usage_error("random", "unexpected argument", argv[1]);
    }
    if (parse_count(argv[0], RANDOM_MAX, &count) != 0) {
        return bad_count(argv[0]);
    }

    ret = tool_open(&dev, o->address);
    if (ret != 0) {
        goto cleanup;
    }
    ret = EXIT_FAILURE;
    opened = 1;
    for (done = 0; done < count; done += n) {
        n = count - done < RANDOM_BLOCK ? count - done : RANDOM_BLOCK;
        if (warden_random(&dev, buf, n) != WARDEN_ERR_OK) {
            fprintf(stderr, "warden: %s\n", warden_error(&dev));
            goto cleanup;
        }
        if (raw ? fwrite(buf, 1, n, stdout) != n : write_hex(buf, n) != 0) {
            break;
        }
    }
    if (!raw) {
        putchar('\n');
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "warden: random: cannot write the output: %s\n",
                strerror(errno));
        goto cleanup;
    }
    ret = EXIT_SUCCESS;

cleanup:
    /* The bytes may become someone's key: leave no copy behind. */
    memset(buf, 0, sizeof(buf));
    if (opened) {
        warden_close(&dev);
    }
    return ret;
}

static int
run_help(const struct tool_opts *o, int argc, char **argv)
{
    const struct command *cmd;

    (void)o;
    if (argc == 0) {
        usage_main(stdout);
        return EXIT_SUCCESS;
    }
    if (argc > 1) {
        return tool_usage_error("help", "unexpected argument", argv[1]);
    }
    cmd = find_command(argv[0]);
    if (cmd == NULL) {
        return tool_usage_error(NULL, "unknown command", argv[0]);
    }
    cmd->help(stdout);
    return EXIT_SUCCESS;
}

static const struct command commands[] = {
    {"status", run_status, usage_status, 0, 1},
    {"sign-firmware", run_sign_firmware, usage_sign_firmware, OPT_OUT, 0},
    {"attest", run_attest, usage_attest, 0, 1},
    {"random", run_random, usage_random, OPT_BYTES, 1},
    {"help", run_help, usage_help, 0, 0},
    {"provision", run_provision, usage_provision, OPT_CHECK, 1},
    {"keygen", run_keygen, usage_keygen, OPT_ATTESTATION | OPT_CURVE | OPT_OUT,
     1},
    {"pubkey", run_pubkey, usage_pubkey, OPT_ATTESTATION | OPT_OUT, 1},
    {"csr", run_csr, usage_csr, OPT_ATTESTATION | OPT_SUBJECT | OPT_OUT, 1},
    {"install-cert", run_install_cert, usage_install_cert, OPT_ATTESTATION, 1},
    {"add-root", run_add_root, usage_add_root, 0, 1},
    {"install-key", run_install_key, usage_install_key, OPT_TARGET, 1},
    {"set-serial", run_set_serial, usage_set_serial, 0, 1},
    {"lock", run_lock, usage_lock, 0, 1},
    {"get-cert", run_get_cert, usage_get_cert,
     OPT_ATTESTATION | OPT_CERT_REF | OPT_OUT, 1},
    {"connect", run_connect, usage_connect, OPT_TLS, 1},
    {"admin", run_admin, usage_admin,
     OPT_ADMIN | OPT_OUT | OPT_CURVE | OPT_SUBJECT | OPT_CERT_REF | OPT_TLS,
     1},
};

static const struct command *
find_command(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"companion", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const struct command *cmd;
    struct tool_opts o;
    char *fallback = NULL;
    char name[3];
    int ret;
    int c;

    memset(&o, 0, sizeof(o));
    /* "+": stop at the command name; what follows is the command's. */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o.address = optarg;
            break;
        case 'h':
            usage_main(stdout);
            return EXIT_SUCCESS;
        case ':':
            return tool_usage_error(NULL, "missing value for option",
                                    argv[optind - 1]);
        default:
            return tool_usage_error(NULL, "unknown option",
                                    bad_option(argv, name, sizeof(name)));
        }
    }
    if (optind >= argc) {
        return tool_usage_error(NULL, "no command given", NULL);
    }
    cmd = find_command(argv[optind]);
    if (cmd == NULL) {
        return tool_usage_error(NULL, "unknown command", argv[optind]);
    }

    /* The command sees its own name as argv[0], like a program. */
    argc -= optind;
    argv += optind;
    ret = parse_options(cmd, argc, argv, &o);
    if (ret >= 0) {
        return ret;
    }
    argc -= optind;
    argv += optind;

    if (cmd->needs_address && o.address == NULL) {
        fallback = default_address();
        if (fallback == NULL) {
            fprintf(stderr, "warden: no companion address: use --companion "
                            "or set WARDEN_COMPANION\n");
            return EXIT_FAILURE;
        }
        o.address = fallback;
    }
    ret = cmd->run(&o, argc, argv);
    free(fallback);
    return ret;
}
