/*
 * warden connect: a TLS 1.3 or 1.2 connection made through the companion,
 * with stdin sent to the server and the server's data written to stdout, in
 * the manner of `openssl s_client -quiet`. What the companion decided
 * (suite, group, retry, chains, ALPN) goes to stderr first.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tool.h"

#define RELAY_BUF 16384

void
usage_connect(FILE *out)
{
    fprintf(out,
            "usage: warden [--companion ADDR] connect HOST PORT [--alpn LIST]\n"
            "              [--suite LIST] [--group LIST] [--name NAME]\n"
            "              [--quiet]\n"
            "\n"
            "Connects to HOST on TCP port PORT with TLS 1.3 or, if the\n"
            "server speaks only that, TLS 1.2 (ECDHE-ECDSA). The companion\n"
            "writes the handshake, checks the server's certificate chain\n"
            "against its roots and the server name (HOST, or NAME with\n"
            "--name: a DNS name or an IP address), and answers a\n"
            "certificate request with the device certificate.\n"
            "Nothing turns that check off.\n"
            "\n"
            "Tells on stderr what the companion decided, then sends stdin\n"
            "to the server and writes what the server sends to stdout. At\n"
            "the end of stdin it sends close_notify and waits for the server\n"
            "to finish; it stops when the server does.\n"
            "\n"
            "options:\n"
            "  --alpn LIST   ALPN protocols to offer, comma-separated\n"
            "                (h2,http/1.1)\n"
            "  --suite LIST  cipher suites to offer, comma-separated:\n"
            "                TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,\n"
            "                TLS_AES_128_CCM_SHA256 (TLS 1.3);\n"
            "                TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,\n"
            "                TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,\n"
            "                TLS_ECDHE_ECDSA_WITH_AES_128_CCM,\n"
            "                TLS_ECDHE_ECDSA_WITH_AES_256_CCM (TLS 1.2).\n"
            "                Suites of one version offer only that version\n"
            "  --group LIST  key exchange groups to offer, comma-separated:\n"
            "                x25519, secp256r1 (p256), secp384r1 (p384)\n"
            "  --name NAME   the server name to send and to check the\n"
            "                certificate against, when HOST is an address\n"
            "                or another name for the server\n"
            "  --quiet       do not tell what the companion decided\n"
            "\n"
            "Suites and groups narrow the companion's policy; they cannot\n"
            "widen it.\n"
            "\n"
            "Secure boot: before connecting, warden reports the signature\n"
            "file next to its own executable (EXE.wsig, written by\n"
            "`warden sign-firmware`); the companion measures the program\n"
            "itself and unlocks the device key only if the signature\n"
            "matches. Without that the server is still authenticated, but\n"
            "no client certificate is sent.\n");
}


/* A name's number from list (suites or groups), 0 if none. */
static unsigned
tls_number(const char *name, size_t len, int groups)
{
    static const unsigned suites[] = {
        WARDEN_TLS_AES_128_GCM_SHA256,
        WARDEN_TLS_AES_256_GCM_SHA384,
        WARDEN_TLS_AES_128_CCM_SHA256,
        WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        WARDEN_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_CCM,
        WARDEN_TLS_ECDHE_ECDSA_WITH_AES_256_CCM};
    static const struct {
        const char *alias;
        unsigned group;
    } aliases[] = {
        {"x25519", WARDEN_TLS_GROUP_X25519},
        {"secp256r1", WARDEN_TLS_GROUP_SECP256R1},
        {"p256", WARDEN_TLS_GROUP_SECP256R1},
        {"p-256", WARDEN_TLS_GROUP_SECP256R1},
        {"secp384r1", WARDEN_TLS_GROUP_SECP384R1},
        {"p384", WARDEN_TLS_GROUP_SECP384R1},
        {"p-384", WARDEN_TLS_GROUP_SECP384R1},
    };
    const char *full;
    size_t i;

    if (groups) {
        for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
            if (strlen(aliases[i].alias) == len &&
                strncasecmp(aliases[i].alias, name, len) == 0) {
                return aliases[i].group;
            }
        }
        return 0;
    }
    for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        full = warden_tls_suite_name(suites[i]);
        if (strlen(full) == len && strncasecmp(full, name, len) == 0) {
            return suites[i];
        }
    }
    return 0;
}

/*
 * Parses a comma-separated list of suite or group names into out (at
 * most WARDEN_TLS_LIST_MAX). Returns 0, or the usage error's status.
 */
static int
parse_list(const char *text, int groups, unsigned *out, size_t *n)
{
    const char *what = groups ? "unknown group" : "unknown cipher suite";
    const char *p = text;
    char bad[64];
    size_t len;

    *n = 0;
    for (;;) {
        len = strcspn(p, ",");
        if (*n == WARDEN_TLS_LIST_MAX) {
            return tool_usage_error("connect", "too many names in", text);
        }
        out[*n] = tls_number(p, len, groups);
        if (out[*n] == 0) {
            snprintf(bad, sizeof(bad), "%.*s", (int)(len < 60 ? len : 60), p);
            return tool_usage_error("connect", what, bad);
        }
        (*n)++;
        if (p[len] == '\0') {
            return 0;
        }
        p += len + 1;
    }
}

/* What the companion decided, on stderr. */
static void
tell(struct warden_tls *tls, struct warden_dev *dev, const char *host,
     const char *port, const char *boot)
{
    struct warden_tls_info info;
    struct warden_inventory inv;
    const char *suite, *group, *client;

    if (warden_tls_info(tls, &info) != WARDEN_ERR_OK) {
        fprintf(stderr, "warden: connect: %s\n", warden_tls_error(tls));
        return;
    }
    suite = warden_tls_suite_name(info.suite);
    group = warden_tls_group_name(info.group);
    if (!info.cert_requested) {
        client = "not requested";
    } else if (info.client_cert) {
        client = "sent";
    } else if (info.key_locked) {
        client = "requested, withheld: device key locked (host firmware "
                 "not verified)";
    } else if (warden_inventory(dev, &inv) == WARDEN_ERR_OK &&
               inv.device_chain == 0) {
        client = "requested, not sent: no device certificate installed";
    } else {
        /* The companion sends its chain whenever its key can answer. */
        client = "requested, not sent: the server accepts no signature "
                 "scheme of the device key";
    }
    fprintf(stderr, "connected to %s port %s\n", host, port);
    fprintf(stderr, "  version             TLS %u.%u\n",
            (info.version >> 8) - 2, (info.version & 0xff) - 1);
    fprintf(stderr, "  cipher suite        %s\n",
            suite != NULL ? suite : "(unknown)");
    fprintf(stderr, "  group               %s\n",
            group != NULL ? group : "(unknown)");
    fprintf(stderr, "  hello retry         %s\n",
            info.hello_retry ? "yes" : "no");
    fprintf(stderr, "  server chain        %u certificate%s\n", info.chain_len,
            info.chain_len == 1 ? "" : "s");
    fprintf(stderr, "  secure boot         %s\n", boot);
    fprintf(stderr, "  client certificate  %s\n", client);
    fprintf(stderr, "  ALPN                %s\n",
            info.alpn[0] != '\0' ? info.alpn : "(none)");
}

/* Writes all n bytes to stdout; 0 or -1. */
static int
put_out(const uint8_t *p, size_t n)
{
    ssize_t w;

    while (n > 0) {
        w = write(STDOUT_FILENO, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/*
 * The server's data to stdout until the socket has nothing more for
 * now. Returns 1 to go on, 0 at the end of the server's data, -1 after
 * saying what failed.
 */
static int
from_server(struct warden_tls *tls, uint8_t *buf)
{
    size_t got;
    int rc;

    for (;;) {
        rc = warden_tls_read(tls, buf, RELAY_BUF, &got);
        if (rc == WARDEN_ERR_WANT_READ) {
            return 1;
        }
        if (rc != WARDEN_ERR_OK) {
            fprintf(stderr, "warden: connect: %s\n", warden_tls_error(tls));
            return -1;
        }
        if (got == 0) {
            return 0;
        }
        if (put_out(buf, got) != 0) {
            fprintf(stderr, "warden: connect: cannot write to stdout: %s\n",
                    strerror(errno));
            return -1;
        }
    }
}

/*
 * stdin to the server, the server to stdout, over the socket made
 * O_NONBLOCK. Returns the exit status.
 */
static int
relay(struct warden_tls *tls)
{
    static uint8_t buf[RELAY_BUF];
    struct pollfd fds[2];
    int sock = warden_tls_socket(tls);
    int stdin_open = 1;
    int flags, rc;
    ssize_t n;

    flags = fcntl(sock, F_GETFL);
    if (flags < 0 || fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0) {
        return tool_fail("connect", "fcntl: %s", strerror(errno));
    }
    for (;;) {
        /* All the engine and the socket hold first: poll() cannot see it. */
        rc = from_server(tls, buf);
        if (rc <= 0) {
            return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        }
        fds[0].fd = sock;
        fds[0].events = POLLIN;
        fds[1].fd = STDIN_FILENO;
        fds[1].events = POLLIN;
        if (poll(fds, stdin_open ? 2 : 1, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return tool_fail("connect", "poll: %s", strerror(errno));
        }
        if (!stdin_open || fds[1].revents == 0) {
            continue;
        }
        n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return tool_fail("connect", "cannot read stdin: %s",
                             strerror(errno));
        }
        if (n == 0) {
            /* RFC 8446 6.1: our side is done; the server's may not be. */
            stdin_open = 0;
            rc = warden_tls_shutdown(tls);
        } else {
            rc = warden_tls_write(tls, buf, (size_t)n);
        }
        if (rc != WARDEN_ERR_OK) {
            return tool_fail("connect", "%s", warden_tls_error(tls));
        }
    }
}

/*
 * --name is a host name (LDH labels of 1 to 63 bytes, 253 in all, RFC
 * 1123) or an IP address. The companion refuses anything else, but only
 * as a malformed request; the tool says what is wrong before that.
 */
static int
name_ok(const char *name)
{
    unsigned char addr[16];
    size_t len = strlen(name), label = 0, i;

    if (inet_pton(AF_INET, name, addr) == 1 ||
        inet_pton(AF_INET6, name, addr) == 1) {
        return 1;
    }
    if (len == 0 || len > 253) {
        return 0;
    }
    for (i = 0; i <= len; i++) {
        int c = (unsigned char)name[i];

        if (c == '.' || c == '\0') {
            if (label == 0 || name[i - 1] == '-') {
                return 0;
            }
            label = 0;
        } else if (!isalnum(c) && c != '-') {
            return 0;
        } else if ((c == '-' && label == 0) || ++label > 63) {
            return 0;
        }
    }
    return 1;
}

/*
 * --name: the tool opens the TCP connection to host itself, so that the
 * companion checks the certificate for another name. Returns the socket
 * (TCP_NODELAY, as the library sets it), or -1 after saying why.
 */
static int
tcp_open(const char *host, const char *port)
{
    struct addrinfo hints, *list, *ai;
    int fd = -1, err = 0, gai, one = 1;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    gai = getaddrinfo(host, port, &hints, &list);
    if (gai != 0) {
        tool_fail("connect", "cannot resolve %s port %s: %s", host, port,
                  gai_strerror(gai));
        return -1;
    }
    for (ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            err = errno;
            close(fd);
            fd = -1;
        } else if (fd < 0) {
            err = errno;
        }
    }
    freeaddrinfo(list);
    if (fd < 0) {
        tool_fail("connect", "cannot connect to %s port %s: %s", host, port,
                  strerror(err));
        return -1;
    }
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
        tool_fail("connect", "cannot set TCP_NODELAY: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int
run_connect(const struct tool_opts *o, int argc, char **argv)
{
    static struct warden_tls tls; /* about 40 KB: not on the stack */
    unsigned suites[WARDEN_TLS_LIST_MAX], groups[WARDEN_TLS_LIST_MAX];
    struct warden_tls_options opts;
    struct warden_dev dev;
    char boot[WARDEN_ERRMSG_MAX + 64];
    int ret, rc, booted, fd = -1;

    if (argc < 2) {
        return tool_usage_error("connect", "missing HOST and PORT", NULL);
    }
    if (argc > 2) {
        return tool_usage_error("connect", "unexpected argument", argv[2]);
    }
    memset(&opts, 0, sizeof(opts));
    opts.alpn = o->alpn;
    if (o->suites != NULL) {
        ret = parse_list(o->suites, 0, suites, &opts.n_suites);
        if (ret != 0) {
            return ret;
        }
        opts.suites = suites;
    }
    if (o->groups != NULL) {
        ret = parse_list(o->groups, 1, groups, &opts.n_groups);
        if (ret != 0) {
            return ret;
        }
        opts.groups = groups;
    }

    if (o->servername != NULL && !name_ok(o->servername)) {
        return tool_usage_error("connect", "not a host name or IP address",
                                o->servername);
    }

    ret = tool_open(&dev, o->address);
    if (ret != 0) {
        return ret;
    }
    booted = tool_secure_boot(&dev, "", boot, sizeof(boot));
    if (o->servername != NULL) {
        fd = tcp_open(argv[0], argv[1]);
        if (fd < 0) {
            warden_close(&dev);
            return EXIT_FAILURE;
        }
        rc = warden_tls_connect_socket(&tls, &dev, fd, o->servername, &opts);
    } else {
        rc = warden_tls_connect(&tls, &dev, argv[0], argv[1], &opts);
    }
    if (rc != WARDEN_ERR_OK) {
        ret = tool_fail("connect", "%s", warden_tls_error(&tls));
        if (!booted) {
            fprintf(stderr, "warden: connect: (no client certificate could "
                            "be sent: secure boot %s)\n", boot);
        }
        if (warden_tls_last_error(&tls, NULL) == WARDEN_ERR_ARGUMENT) {
            ret = EXIT_USAGE;
        }
    } else {
        if (!o->quiet) {
            tell(&tls, &dev, argv[0], argv[1], boot);
        }
        ret = relay(&tls);
    }
    warden_tls_close(&tls);
    if (fd >= 0) {
        close(fd);
    }
    warden_close(&dev);
    return ret;
}
