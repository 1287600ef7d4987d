/*
 * warden: talk to a Warden companion from the shell.
 *
 *   warden [--companion ADDR] COMMAND [ARGS]
 *
 * Exit status: 0 success, 1 the companion or the bus failed, 2 the
 * command line was wrong.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden.h"
#include "wd_proto.h"

#define EXIT_USAGE 2
#define RANDOM_MAX 1048576UL
/* Bytes per warden_random() call: the buffer the tool wipes. */
#define RANDOM_BLOCK 4096

/* A subcommand; every one takes --companion and --help. */
struct command {
    const char *name;
    int (*run)(const char *address, int argc, char **argv, int raw);
    void (*help)(FILE *out);
    int takes_count; /* a byte count, --hex and --raw */
    int needs_address;
};

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
                 "  help [CMD]    show help for warden or for one command\n"
                 "\n"
                 "options:\n"
                 "  -c, --companion ADDR  companion address (unix:PATH)\n"
                 "  -h, --help            show this help\n"
                 "\n"
                 "The address is, in order: --companion, $WARDEN_COMPANION,\n"
                 "unix:$WARDEN_HOME/wardend.sock, and\n"
                 "unix:$HOME/.local/state/warden/wardend.sock.\n"
                 "\n"
                 "Exit status: 0 success, 1 companion or bus error, 2 usage "
                 "error.\n");
}

static void
usage_status(FILE *out)
{
    fprintf(out,
            "usage: warden [--companion ADDR] status\n"
            "\n"
            "Shows the companion's address, firmware and protocol version,\n"
            "lifecycle state, serial number, random generator health and\n"
            "storage use.\n");
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

/*
 * Reports a usage error, "what 'arg'" (arg may be NULL), with a hint,
 * and returns EXIT_USAGE.
 */
static int
usage_error(const char *command, const char *what, const char *arg)
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

/* Returns 0, or the exit status after saying why the open failed. */
static int
open_companion(struct warden_dev *dev, const char *address)
{
    int rc = warden_open(dev, address);

    if (rc == WARDEN_ERR_OK) {
        return 0;
    }
    fprintf(stderr, "warden: %s\n", warden_error(dev));
    /* A malformed address is the user's input, like a bad argument. */
    return rc == WARDEN_ERR_ADDRESS ? EXIT_USAGE : EXIT_FAILURE;
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

/*
 * Parses a command's options: --companion and --help for all, --hex and
 * --raw for those that print bytes. Returns -1 to go on, or the exit
 * status (after --help, or on a usage error).
 */
static int
parse_options(const struct command *cmd, int argc, char **argv,
              const char **address, int *raw)
{
    static const struct option opts[] = {
        {"companion", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"hex", no_argument, NULL, 'x'},
        {"raw", no_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    char name[3];
    int i;
    int c;

    /*
     * "-1" is a bad count, not an unknown option "-1": report it as the
     * value it was meant to be.
     */
    for (i = 1; cmd->takes_count && i < argc; i++) {
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
    while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            *address = optarg;
            break;
        case 'h':
            cmd->help(stdout);
            return EXIT_SUCCESS;
        case 'x':
        case 'r':
            if (!cmd->takes_count) {
                return usage_error(cmd->name, "unknown option",
                                   argv[optind - 1]);
            }
            *raw = c == 'r';
            break;
        case ':':
            return usage_error(cmd->name, "missing value for option",
                               argv[optind - 1]);
        default:
            return usage_error(cmd->name, "unknown option",
                               bad_option(argv, name, sizeof(name)));
        }
    }
    return -1;
}

static int
run_status(const char *address, int argc, char **argv, int raw)
{
    struct warden_dev dev;
    struct warden_info info;
    int ret;

    (void)raw;
    if (argc > 0) {
        return usage_error("status", "unexpected argument", argv[0]);
    }
    ret = open_companion(&dev, address);
    if (ret != 0) {
        return ret;
    }
    ret = EXIT_FAILURE;
    if (warden_get_info(&dev, &info) != WARDEN_ERR_OK) {
        fprintf(stderr, "warden: %s\n", warden_error(&dev));
        goto cleanup;
    }

    printf("companion   %s\n", address);
    printf("firmware    %u.%u.%u (protocol %u)\n", info.fw_major, info.fw_minor,
           info.fw_patch, info.protocol_version);
    printf("lifecycle   %s\n", info.storage_failed
                                     ? "unknown (storage failed)"
                                     : wd_lifecycle_label(info.lifecycle));
    printf("serial      %s\n",
           info.serial_len > 0 ? info.serial : "(not provisioned)");
    printf("random      %s\n",
           info.rng_failed ? "FAILED (health test; restart the companion)"
                           : "healthy");
    if (info.storage_failed) {
        printf("storage     FAILED (unreadable after a write; restart the "
               "companion)\n");
    }
    printf("storage     %lu of %lu bytes used, %u of %u records\n",
           (unsigned long)info.storage_used,
           (unsigned long)info.storage_capacity, info.records,
           info.records_max);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "warden: status: cannot write the output: %s\n",
                strerror(errno));
        goto cleanup;
    }
    ret = EXIT_SUCCESS;

cleanup:
    warden_close(&dev);
    return ret;
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
run_random(const char *address, int argc, char **argv, int raw)
{
    static unsigned char buf[RANDOM_BLOCK];
    struct warden_dev dev;
    unsigned long count;
    size_t done;
    size_t n;
    int opened = 0;
    int ret = EXIT_FAILURE;

    if (argc < 1) {
        return usage_error("random", "missing the byte count", NULL);
    }
    if (argc > 1) {
        return usage_error("random", "unexpected argument", argv[1]);
    }
    if (parse_count(argv[0], RANDOM_MAX, &count) != 0) {
        return bad_count(argv[0]);
    }

    ret = open_companion(&dev, address);
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
run_help(const char *address, int argc, char **argv, int raw)
{
    const struct command *cmd;

    (void)address;
    (void)raw;
    if (argc == 0) {
        usage_main(stdout);
        return EXIT_SUCCESS;
    }
    if (argc > 1) {
        return usage_error("help", "unexpected argument", argv[1]);
    }
    cmd = find_command(argv[0]);
    if (cmd == NULL) {
        return usage_error(NULL, "unknown command", argv[0]);
    }
    cmd->help(stdout);
    return EXIT_SUCCESS;
}

static const struct command commands[] = {
    {"status", run_status, usage_status, 0, 1},
    {"random", run_random, usage_random, 1, 1},
    {"help", run_help, usage_help, 0, 0},
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
    const char *address = NULL;
    char *fallback = NULL;
    char name[3];
    int raw = 0;
    int ret;
    int c;

    /* "+": stop at the command name; what follows is the command's. */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            address = optarg;
            break;
        case 'h':
            usage_main(stdout);
            return EXIT_SUCCESS;
        case ':':
            return usage_error(NULL, "missing value for option",
                               argv[optind - 1]);
        default:
            return usage_error(NULL, "unknown option",
                               bad_option(argv, name, sizeof(name)));
        }
    }
    if (optind >= argc) {
        return usage_error(NULL, "no command given", NULL);
    }
    cmd = find_command(argv[optind]);
    if (cmd == NULL) {
        return usage_error(NULL, "unknown command", argv[optind]);
    }

    /* The command sees its own name as argv[0], like a program. */
    argc -= optind;
    argv += optind;
    ret = parse_options(cmd, argc, argv, &address, &raw);
    if (ret >= 0) {
        return ret;
    }
    argc -= optind;
    argv += optind;

    if (cmd->needs_address && address == NULL) {
        fallback = default_address();
        if (fallback == NULL) {
            fprintf(stderr, "warden: no companion address: use --companion "
                            "or set WARDEN_COMPANION\n");
            return EXIT_FAILURE;
        }
        address = fallback;
    }
    ret = cmd->run(address, argc, argv, raw);
    free(fallback);
    return ret;
}
