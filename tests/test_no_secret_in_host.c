/*
 * No secret in the host (design §1 "Session keys leak", §8): after a
 * completed TLS 1.3 handshake with client authentication and some data,
 * the host process reads its own whole memory and finds none of the
 * secrets the companion holds. The traffic keys, which host record mode
 * hands out, are expected there while the connection is up, and the two
 * in use must be found: that proves the scan looks where the keys are.
 * After warden_tls_close() no traffic key may be left either: not in
 * the connection, not on the stack, not in a register file someone
 * saved.
 *
 *   test_no_secret_in_host PKI_DIR [SUITE]
 *
 * PKI_DIR is made by scripts/dev-pki.sh; SUITE is the suite the server
 * insists on, TLS_AES_128_GCM_SHA256 by default. A TLS 1.2 suite
 * (TLS_ECDHE_ECDSA_WITH_..., issue 5) makes the server speak TLS 1.2
 * only: the secrets are then the ECDHE keys, the premaster secret (the
 * ECDHE shared secret), the master secret and the device key; the two
 * write keys of the key block are the positive control.
 *
 * Three processes, so that no secret can sit in the host's memory for a
 * reason that has nothing to do with libwarden:
 *
 *   companion  a child on the RAM platform, linked with the test-only
 *              firmware (WARDEN_TEST_SECRETS), serving bus frames on a
 *              socketpair. Its secret hook writes every secret it makes
 *              or uses to a pipe, masked (each byte XOR MASK), so that
 *              the plain value never enters the host's memory.
 *   server     a child running OpenSSL's server on another socketpair,
 *              requiring a client certificate; libssl's own copies of
 *              the session secrets stay in its process.
 *   host       this process: libwarden's public API only, over a
 *              transport on the first socketpair, TLS over the second.
 *
 * The scan reads every readable mapping of /proc/self/maps through
 * /proc/self/mem (heap, stacks, bss, data, libraries) and looks for each
 * secret: any 16-byte window of it, compared against the masked copy a
 * byte at a time so that the comparison never rebuilds the secret in
 * memory. Mappings larger than SCAN_REGION_MAX (AddressSanitizer's
 * shadow) are skipped and listed; pages that cannot be read are skipped.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "inproc.h"
#include "memplat.h"
#include "pki_openssl.h"
#include "rawbus.h"
#include "test_hook.h"
#include "tls13_schedule.h"
#include "warden.h"
#include "wc_companion.h"

#ifndef WARDEN_TEST_SECRETS
#error "needs the test-only firmware (WARDEN_TEST_SECRETS)"
#endif

#define MASK 0xa5u
#define WINDOW 16
#define SECRET_MAX 64
#define SECRETS_MAX 128
#define SCAN_REGION_MAX ((uint64_t)4 << 30)
#define SCAN_CHUNK (1u << 20)

static const char *pki;
static int tls12; /* the server speaks TLS 1.2 only */

/* ---- secrets, as the companion reports them ---- */

enum secret_kind {
    FORBIDDEN = 0, /* must never be in the host */
    EXPECTED = 1,  /* a traffic key in use: the positive control */
    OLD_KEY = 2,   /* a replaced traffic key: no claim until close */
};

struct secret {
    char label[64];
    uint8_t kind;
    uint8_t len;
    uint8_t masked[SECRET_MAX]; /* each byte XOR MASK */
    size_t hits;                /* windows found in the host */
    size_t full_hits;           /* whole value found */
};

static struct secret secrets[SECRETS_MAX];
static size_t n_secrets;

/* What a forbidden secret found is called: "planted" in the control. */
static const char *leak_word = "LEAK";
/* What a traffic key found is called: allowed only before close. */
static const char *key_word = "found";

/* ---- the companion's process ---- */

static int secret_pipe = -1;

static void
emit(uint8_t kind, const char *label, const uint8_t *bytes, size_t len)
{
    uint8_t rec[2 + 64 + 1 + SECRET_MAX];
    size_t n = strlen(label), off = 0, i;
    ssize_t w;

    if (n > 63 || len == 0 || len > SECRET_MAX) {
        fprintf(stderr, "companion: cannot report %s (%zu bytes)\n", label,
                len);
        _exit(3);
    }
    rec[off++] = kind;
    rec[off++] = (uint8_t)n;
    memcpy(rec + off, label, n);
    off += n;
    rec[off++] = (uint8_t)len;
    for (i = 0; i < len; i++) {
        rec[off++] = (uint8_t)(bytes[i] ^ MASK);
    }
    /* Under PIPE_BUF: one atomic write. */
    do {
        w = write(secret_pipe, rec, off);
    } while (w < 0 && errno == EINTR);
    if (w != (ssize_t)off) {
        _exit(3);
    }
}

/*
 * Each traffic secret also gives the key the host gets (RFC 8446 7.3).
 * The suite follows from the secret's length: the test's suites use
 * AES-128 with SHA-256 and AES-256 with SHA-384. "client handshake
 * traffic secret (updated)" gives "client handshake traffic key
 * (updated)". Application keys are in use until the next one of their
 * direction; handshake keys are replaced by the time of the scan.
 */
static void
emit_traffic_key(const char *label, const uint8_t *secret, size_t len)
{
    const br_hash_class *h = len == 48 ? &br_sha384_vtable : &br_sha256_vtable;
    size_t key_len = len == 48 ? 32 : 16;
    const char *word = strstr(label, "secret");
    char key_label[64];
    uint8_t key[32];

    snprintf(key_label, sizeof(key_label), "%.*skey%s", (int)(word - label),
             label, word + strlen("secret"));
    if (wc_tls13_expand_label(h, secret, len, "key", NULL, 0, key, key_len) !=
        WC_TLS13_OK) {
        _exit(3);
    }
    emit(strstr(label, "application") != NULL ? EXPECTED : OLD_KEY, key_label,
         key, key_len);
}

static void
hook(const char *label, const uint8_t *bytes, size_t len)
{
    /* TLS 1.2: the key block's write keys, which the host holds. */
    if (strstr(label, "write key (TLS 1.2)") != NULL) {
        emit(EXPECTED, label, bytes, len);
        return;
    }
    emit(FORBIDDEN, label, bytes, len);
    if (strstr(label, "traffic secret") != NULL) {
        emit_traffic_key(label, bytes, len);
    }
}

static struct wt_memplat mp;
static struct wc_companion comp;
static struct wt_inproc ip;

/* A device key, its chain (leaf, dev intermediate) and the dev root. */
static int
provision(void)
{
    static uint8_t req[4096], resp[WD_MAX_MESSAGE];
    uint8_t name[] = {0x30, 0x11, 0x31, 0x0f, 0x30, 0x0d, 0x06,
                      0x03, 0x55, 0x04, 0x03, 0x0c, 0x06, 'd',
                      'e',  'v',  '-',  '4',  '2'};
    struct wc_channel ch;
    size_t resp_len, n;
    X509 *x;

    wt_memplat_init(&mp, 0);
    mp.source = WT_ENTROPY_OS;
    if (wc_companion_init(&comp, &mp.plat) != WC_OK) {
        return -1;
    }
    wc_channel_init(&ch);
    req[0] = WD_KEY_DEVICE;
    req[1] = WD_CURVE_P256;
    if (wt_call(&comp, &ch, WD_CMD_KEY_GENERATE, req, 2, resp, &resp_len) !=
        WD_STATUS_OK) {
        return -1;
    }
    req[0] = WD_KEY_DEVICE;
    memcpy(req + 1, name, sizeof(name));
    if (wt_call(&comp, &ch, WD_CMD_CSR_CREATE, req, 1 + sizeof(name), resp,
                &resp_len) != WD_STATUS_OK) {
        return -1;
    }
    n = wt_pki_sign_csr(pki, resp, resp_len, 4343, req + 2);
    req[0] = WD_CERT_DEVICE;
    req[1] = 0;
    if (wt_call(&comp, &ch, WD_CMD_CERT_INSTALL, req, 2 + n, resp, &resp_len) !=
        WD_STATUS_OK) {
        return -1;
    }
    x = wt_pki_load_cert(pki, "intermediate.pem");
    n = wt_pki_der(x, req + 2);
    X509_free(x);
    req[1] = 1;
    if (wt_call(&comp, &ch, WD_CMD_CERT_INSTALL, req, 2 + n, resp, &resp_len) !=
        WD_STATUS_OK) {
        return -1;
    }
    x = wt_pki_load_cert(pki, "root.pem");
    n = wt_pki_der(x, req);
    X509_free(x);
    if (wt_call(&comp, &ch, WD_CMD_ROOT_ADD, req, n, resp, &resp_len) !=
        WD_STATUS_OK) {
        return -1;
    }
    wc_companion_release(&comp, &ch);
    return 0;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* wardend's loop on one connection, over the in-process stream. */
static void
companion_main(int fd)
{
    uint8_t buf[4096];

    if (provision() != 0) {
        fprintf(stderr, "companion: provisioning failed\n");
        _exit(1);
    }
    /* A power cycle, then the host's connection. */
    if (wt_inproc_start(&ip, &comp, &mp, 0) != WC_OK) {
        _exit(1);
    }
    wc_test_secret_hook = hook;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        wt_inproc_transport.send(&ip, buf, (size_t)n);
        if (write_all(fd, ip.out + ip.out_pos, ip.out_len - ip.out_pos) != 0) {
            break;
        }
        ip.out_pos = ip.out_len;
        if (ip.closed) {
            break;
        }
    }
    wt_inproc_transport.close(&ip);
    wt_inproc_stop(&ip);
    _exit(0);
}

/* ---- the server's process ---- */

static const char ping1[] = "GET /one HTTP/1.0\r\n\r\n";
static const char ping2[] = "GET /two, after a KeyUpdate\r\n\r\n";

static int
echo_once(SSL *ssl, size_t want)
{
    char buf[256];
    size_t got = 0;

    while (got < want) {
        int n = SSL_read(ssl, buf + got, (int)(want - got));

        if (n <= 0) {
            return -1;
        }
        got += (size_t)n;
    }
    return SSL_write(ssl, buf, (int)got) == (int)got ? 0 : -1;
}

static const char *server_suite = "TLS_AES_128_GCM_SHA256";

/* OpenSSL's name of a TLS 1.2 suite, or NULL. */
static const char *
openssl_name(const char *suite)
{
    static const char *const names[][2] = {
        {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
         "ECDHE-ECDSA-AES128-GCM-SHA256"},
        {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
         "ECDHE-ECDSA-AES256-GCM-SHA384"},
        {"TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "ECDHE-ECDSA-AES128-CCM"},
        {"TLS_ECDHE_ECDSA_WITH_AES_256_CCM", "ECDHE-ECDSA-AES256-CCM"},
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(names[i][0], suite) == 0) {
            return names[i][1];
        }
    }
    return NULL;
}

static void
server_main(int fd)
{
    char chain[1024], key[1024], root[1024], buf[64];
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL *ssl;
    X509 *peer;
    int ok;

    snprintf(chain, sizeof(chain), "%s/server-chain.pem", pki);
    snprintf(key, sizeof(key), "%s/server.key", pki);
    snprintf(root, sizeof(root), "%s/root.pem", pki);
    SSL_CTX_set_min_proto_version(ctx, tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
    if (tls12) {
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    }
    if ((tls12 ? SSL_CTX_set_cipher_list(ctx, openssl_name(server_suite))
               : SSL_CTX_set_ciphersuites(ctx, server_suite)) != 1 ||
        SSL_CTX_use_certificate_chain_file(ctx, chain) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_load_verify_locations(ctx, root, NULL) != 1) {
        ERR_print_errors_fp(stderr);
        _exit(1);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       NULL);
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {
        fprintf(stderr, "server: handshake failed\n");
        ERR_print_errors_fp(stderr);
        _exit(1);
    }
    peer = SSL_get1_peer_certificate(ssl);
    ok = peer != NULL && SSL_get_verify_result(ssl) == X509_V_OK;
    X509_free(peer);
    if (!ok) {
        fprintf(stderr, "server: no verified client certificate\n");
        _exit(1);
    }
    /*
     * Echo, a KeyUpdate that asks for one back (TLS 1.3 only), echo
     * again.
     */
    if (echo_once(ssl, sizeof(ping1) - 1) != 0 ||
        (!tls12 && SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED) != 1) ||
        SSL_write(ssl, "+", 1) != 1 || echo_once(ssl, sizeof(ping2) - 1) != 0) {
        fprintf(stderr, "server: data exchange failed\n");
        ERR_print_errors_fp(stderr);
        _exit(1);
    }
    /* The client's close_notify, then ours. */
    while (SSL_read(ssl, buf, sizeof(buf)) > 0) {
    }
    SSL_shutdown(ssl);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    _exit(0);
}

/* ---- the host: a transport on the socketpair ---- */

static int
sock_send(void *ctx, const uint8_t *buf, size_t len)
{
    return write_all(*(int *)ctx, buf, len) == 0 ? WARDEN_ERR_OK
                                                 : WARDEN_ERR_IO;
}

static int
sock_recv(void *ctx, uint8_t *buf, size_t len)
{
    int fd = *(int *)ctx;

    while (len > 0) {
        struct pollfd pfd;
        ssize_t n;
        int r;

        pfd.fd = fd;
        pfd.events = POLLIN;
        r = poll(&pfd, 1, 20000);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r == 0) {
            return WARDEN_ERR_TIMEOUT;
        }
        n = read(fd, buf, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return WARDEN_ERR_IO;
        }
        if (n == 0) {
            return WARDEN_ERR_CLOSED;
        }
        buf += n;
        len -= (size_t)n;
    }
    return WARDEN_ERR_OK;
}

static const struct warden_transport sock_transport = {
    sock_send,
    sock_recv,
    NULL,
};

/* Reads what the companion reported so far (non-blocking pipe). */
static void
collect_secrets(int fd)
{
    static uint8_t buf[1 << 16];
    static size_t have;
    size_t off = 0, i;

    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof(buf) - have);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        have += (size_t)n;
    }
    while (have - off >= 2) {
        size_t label_len = buf[off + 1], len;
        struct secret *s;

        if (have - off < 2 + label_len + 1) {
            break;
        }
        len = buf[off + 2 + label_len];
        if (have - off < 2 + label_len + 1 + len) {
            break;
        }
        CHECK(n_secrets < SECRETS_MAX);
        if (n_secrets == SECRETS_MAX) {
            break;
        }
        s = &secrets[n_secrets++];
        memset(s, 0, sizeof(*s));
        s->kind = buf[off];
        memcpy(s->label, buf + off + 2, label_len);
        s->len = (uint8_t)len;
        memcpy(s->masked, buf + off + 3 + label_len, len);
        if (s->kind == EXPECTED) {
            /* Only the newest key of each direction is still in use. */
            for (i = 0; i + 1 < n_secrets; i++) {
                if (secrets[i].kind == EXPECTED &&
                    strncmp(secrets[i].label, s->label, 7) == 0) {
                    secrets[i].kind = OLD_KEY;
                }
            }
        }
        off += 3 + label_len + len;
    }
    memmove(buf, buf + off, have - off);
    have -= off;
}

/* ---- the scan ---- */

/*
 * Every 16-byte window of every secret, indexed by its first four bytes
 * (masked, as the secrets are): a bitmap for a quick no, then a table.
 */
#define FILTER_BITS 20
#define TABLE_SIZE 8192

struct window {
    uint32_t key; /* masked first four bytes */
    uint16_t secret;
    uint8_t off;
    uint8_t used;
};

static uint8_t filter[1u << (FILTER_BITS - 3)];
static struct window table[TABLE_SIZE];

static uint32_t
load32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint32_t
hash32(uint32_t x)
{
    return (x * 2654435761u) >> (32 - FILTER_BITS);
}

static void
index_windows(void)
{
    size_t k, i;

    memset(filter, 0, sizeof(filter));
    memset(table, 0, sizeof(table));
    for (k = 0; k < n_secrets; k++) {
        for (i = 0; i + WINDOW <= secrets[k].len; i++) {
            uint32_t key = load32(secrets[k].masked + i), h = hash32(key);
            size_t slot = h % TABLE_SIZE;

            filter[h >> 3] |= (uint8_t)(1u << (h & 7));
            while (table[slot].used) {
                slot = (slot + 1) % TABLE_SIZE;
            }
            table[slot].key = key;
            table[slot].secret = (uint16_t)k;
            table[slot].off = (uint8_t)i;
            table[slot].used = 1;
        }
    }
}

/* mem[0..n) against the masked secret bytes, one at a time. */
static int
matches(const uint8_t *mem, const uint8_t *masked, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if ((uint8_t)(mem[i] ^ MASK) != masked[i]) {
            return 0;
        }
    }
    return 1;
}

struct scan_stats {
    uint64_t bytes;
    unsigned regions;
    unsigned skipped_large;
    uint64_t unreadable_pages;
};

static void
report_hit(const struct secret *s, uint64_t addr, size_t off, const char *where,
           int full)
{
    if (s->hits <= 3) {
        fprintf(stdout,
                "%s: %s (%u bytes): bytes %zu..%zu at %#" PRIx64 "%s in %s\n",
                s->kind == FORBIDDEN ? leak_word : key_word, s->label, s->len,
                off, off + WINDOW - 1, addr,
                full ? " (whole value present)" : "", where);
    }
}

/* Scans buf, the bytes of [addr, addr + n); the window may not cross. */
static void
scan_buffer(const uint8_t *buf, size_t n, uint64_t addr, const char *where)
{
    size_t p;

    if (n < WINDOW) {
        return;
    }
    for (p = 0; p + WINDOW <= n; p++) {
        uint32_t key = load32(buf + p) ^ (MASK * 0x01010101u);
        uint32_t h = hash32(key);
        size_t slot;

        if (!(filter[h >> 3] & (1u << (h & 7)))) {
            continue;
        }
        for (slot = h % TABLE_SIZE; table[slot].used;
             slot = (slot + 1) % TABLE_SIZE) {
            struct secret *s = &secrets[table[slot].secret];
            size_t off = table[slot].off;
            int full;

            if (table[slot].key != key ||
                !matches(buf + p, s->masked + off, WINDOW)) {
                continue;
            }
            /* The whole value, if it lies in this buffer too. */
            full = p >= off && p - off + s->len <= n &&
                   matches(buf + p - off, s->masked, s->len);
            s->hits++;
            if (full && off == 0) {
                s->full_hits++;
            }
            report_hit(s, addr + p, off, where, full);
        }
    }
}

static uint8_t *chunk;

static void
scan_region(int mem, uint64_t start, uint64_t end, const char *where,
            struct scan_stats *st)
{
    uint64_t at = start;

    /*
     * Chunks overlap by WINDOW - 1 bytes so that no window is missed; a
     * window cannot cross an unreadable page, which is skipped whole.
     */
    while (at < end) {
        size_t want = end - at > SCAN_CHUNK ? SCAN_CHUNK : (size_t)(end - at);
        ssize_t n = pread(mem, chunk, want, (off_t)at);

        if (n <= 0) {
            /* Unreadable: skip a page. */
            st->unreadable_pages++;
            at = (at & ~(uint64_t)4095) + 4096;
            continue;
        }
        st->bytes += (uint64_t)n;
        scan_buffer(chunk, (size_t)n, at, where);
        if ((uint64_t)n < want || at + (uint64_t)n >= end) {
            at += (uint64_t)n;
            continue;
        }
        at += (uint64_t)n - (WINDOW - 1);
    }
}

/* The whole process, every readable mapping. */
static void
scan_self(struct scan_stats *st)
{
    char line[4096];
    FILE *maps = fopen("/proc/self/maps", "r");
    int mem = open("/proc/self/mem", O_RDONLY);
    size_t k;

    memset(st, 0, sizeof(*st));
    for (k = 0; k < n_secrets; k++) {
        secrets[k].hits = 0;
        secrets[k].full_hits = 0;
    }
    CHECK(maps != NULL && mem >= 0);
    if (maps == NULL || mem < 0) {
        return;
    }
    index_windows();
    while (fgets(line, sizeof(line), maps) != NULL) {
        uint64_t start, end;
        char perms[8], where[4096];
        int name_at = 0;

        where[0] = '\0';
        if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %*s %*s %*s %n", &start,
                   &end, perms, &name_at) < 3) {
            continue;
        }
        if (name_at > 0) {
            snprintf(where, sizeof(where), "%s", line + name_at);
            where[strcspn(where, "\n")] = '\0';
        }
        if (where[0] == '\0') {
            snprintf(where, sizeof(where), "[anonymous %#" PRIx64 "]", start);
        }
        if (perms[0] != 'r' || strcmp(where, "[vvar]") == 0 ||
            strcmp(where, "[vvar_vclock]") == 0) {
            continue;
        }
        if (end - start > SCAN_REGION_MAX) {
            /* AddressSanitizer's shadow: reserved, nearly all unmapped. */
            printf("skipped %s, %" PRIu64 " MiB\n", where, (end - start) >> 20);
            st->skipped_large++;
            continue;
        }
        st->regions++;
        scan_region(mem, start, end, where, st);
    }
    close(mem);
    fclose(maps);
}

/* ---- the test ---- */

static pid_t
spawn(void (*fn)(int), int fd, int close_in_child[], size_t n_close)
{
    pid_t pid = fork();
    size_t i;

    if (pid == 0) {
        for (i = 0; i < n_close; i++) {
            if (close_in_child[i] >= 0) {
                close(close_in_child[i]);
            }
        }
        fn(fd);
        _exit(0);
    }
    return pid;
}

static int
wait_ok(pid_t pid, const char *who)
{
    int status;

    if (waitpid(pid, &status, 0) != pid) {
        return 0;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s: exit status %d\n", who, status);
        return 0;
    }
    return 1;
}

/* Whether the companion reported a secret by that label. */
static int
reported(const char *label)
{
    size_t k;

    for (k = 0; k < n_secrets; k++) {
        if (strcmp(secrets[k].label, label) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
read_exactly(struct warden_tls *tls, char *buf, size_t want)
{
    size_t got = 0, n;

    while (got < want) {
        if (warden_tls_read(tls, buf + got, want - got, &n) != WARDEN_ERR_OK ||
            n == 0) {
            fprintf(stderr, "read: %s\n", warden_tls_error(tls));
            return -1;
        }
        got += n;
    }
    return 0;
}

static struct warden_dev dev;
static struct warden_tls tls;

int
main(int argc, char **argv)
{
    int comp_sv[2], srv_sv[2], pipe_fd[2];
    int comp_fd;
    pid_t server, companion;
    struct scan_stats st;
    struct warden_tls_info info;
    char buf[256];
    size_t k, forbidden = 0, leaked = 0, expected_found = 0, expected = 0;
    size_t traffic = 0, kept = 0;
    int rc;

    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: test_no_secret_in_host PKI_DIR [SUITE]\n");
        return 2;
    }
    pki = argv[1];
    if (argc == 3) {
        server_suite = argv[2];
    }
    tls12 = strncmp(server_suite, "TLS_ECDHE_", 10) == 0;
    if (tls12 && openssl_name(server_suite) == NULL) {
        fprintf(stderr, "test_no_secret_in_host: unknown suite %s\n",
                server_suite);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    chunk = malloc(SCAN_CHUNK);
    CHECK(chunk != NULL);

    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, srv_sv) == 0);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, comp_sv) == 0);
    CHECK(pipe(pipe_fd) == 0);
    {
        int in_server[] = {srv_sv[0], comp_sv[0], comp_sv[1], pipe_fd[0],
                           pipe_fd[1]};
        int in_companion[] = {srv_sv[0], srv_sv[1], comp_sv[0], pipe_fd[0]};

        fflush(NULL);
        server = spawn(server_main, srv_sv[1], in_server, 5);
        secret_pipe = pipe_fd[1];
        companion = spawn(companion_main, comp_sv[1], in_companion, 4);
        secret_pipe = -1;
    }
    CHECK(server > 0 && companion > 0);
    close(srv_sv[1]);
    close(comp_sv[1]);
    close(pipe_fd[1]);
    CHECK(fcntl(pipe_fd[0], F_SETFL, O_NONBLOCK) == 0);
    comp_fd = comp_sv[0];

    /* The host: libwarden's public API and nothing else. */
    CHECK(warden_open_transport(&dev, &sock_transport, &comp_fd) ==
          WARDEN_ERR_OK);
    rc = warden_tls_connect_socket(&tls, &dev, srv_sv[0], "localhost", NULL);
    if (rc != WARDEN_ERR_OK) {
        fprintf(stderr, "handshake: %s\n", warden_tls_error(&tls));
    }
    CHECK(rc == WARDEN_ERR_OK);
    CHECK(warden_tls_info(&tls, &info) == WARDEN_ERR_OK);
    CHECK(info.client_cert && info.cert_requested);
    CHECK(info.version == (tls12 ? 0x0303u : 0x0304u));
    printf("connected: %s, %s, client certificate %s\n",
           warden_tls_suite_name(info.suite), warden_tls_group_name(info.group),
           info.client_cert ? "sent" : "not sent");
    CHECK(strcmp(warden_tls_suite_name(info.suite), server_suite) == 0);
    CHECK(warden_tls_write(&tls, ping1, sizeof(ping1) - 1) == WARDEN_ERR_OK);
    CHECK(read_exactly(&tls, buf, sizeof(ping1) - 1) == 0);
    CHECK(memcmp(buf, ping1, sizeof(ping1) - 1) == 0);
    CHECK(read_exactly(&tls, buf, 1) == 0 && buf[0] == '+');
    CHECK(warden_tls_write(&tls, ping2, sizeof(ping2) - 1) == WARDEN_ERR_OK);
    CHECK(read_exactly(&tls, buf, sizeof(ping2) - 1) == 0);
    CHECK(memcmp(buf, ping2, sizeof(ping2) - 1) == 0);

    /* Every hook call came before the response that let the host on. */
    collect_secrets(pipe_fd[0]);

    /* Scan 1: connection up, traffic keys in use. */
    scan_self(&st);
    printf("scan with the connection up: %u regions, %" PRIu64
           " MiB, %u huge regions skipped, %" PRIu64 " unreadable pages\n",
           st.regions, st.bytes >> 20, st.skipped_large, st.unreadable_pages);
    for (k = 0; k < n_secrets; k++) {
        const struct secret *s = &secrets[k];

        printf("  %-48s %2u bytes  %s  %zu windows found\n", s->label, s->len,
               s->kind == FORBIDDEN  ? "must be absent "
               : s->kind == EXPECTED ? "must be present"
                                     : "replaced key   ",
               s->hits);
        if (s->kind == FORBIDDEN) {
            forbidden++;
            leaked += s->hits > 0;
        } else if (s->kind == EXPECTED) {
            expected++;
            expected_found += s->full_hits > 0;
        }
    }
    printf("%zu secrets checked, %zu found; positive control: %zu of %zu "
           "traffic keys found\n",
           forbidden, leaked, expected_found, expected);
    /* What the companion must have reported, at the least. */
    CHECK(forbidden >= (tls12 ? 5u : 14u));
    CHECK(reported("device private key") && reported("ECDHE private key") &&
          reported("ECDHE shared secret"));
    CHECK(reported(tls12 ? "TLS 1.2 master secret" : "master secret"));
    CHECK(leaked == 0);
    /*
     * Both application keys in use (TLS 1.3: updated once by the
     * KeyUpdates; TLS 1.2: the key block's write keys).
     */
    CHECK(expected == 2 && expected_found == 2);

    /* Scan 2: everything closed; still no secret. */
    CHECK(warden_tls_close(&tls) == WARDEN_ERR_OK);
    warden_close(&dev);
    close(srv_sv[0]);
    close(comp_fd);
    CHECK(wait_ok(server, "server"));
    CHECK(wait_ok(companion, "companion"));
    collect_secrets(pipe_fd[0]);
    close(pipe_fd[0]);
    key_word = "LEFT AFTER CLOSE";
    scan_self(&st);
    leaked = 0;
    for (k = 0; k < n_secrets; k++) {
        if (secrets[k].kind == FORBIDDEN) {
            leaked += secrets[k].hits > 0;
        } else {
            /* The connection is gone: so must its keys be, all of them. */
            traffic++;
            kept += secrets[k].hits > 0;
        }
    }
    printf("scan after close: %zu MiB, %zu secrets found, %zu of %zu "
           "traffic keys left\n",
           (size_t)(st.bytes >> 20), leaked, kept, traffic);
    CHECK(leaked == 0);
    /*
     * TLS 1.3: handshake and application keys, both ways, and the two
     * updated. TLS 1.2: the two write keys.
     */
    CHECK(traffic == (tls12 ? 2u : 6u));
    CHECK(kept == 0);

    /*
     * Negative control: a secret planted in the heap, unmasked, must be
     * found where it is. Last, since it puts one in the host on purpose.
     */
    for (k = 0; k < n_secrets && secrets[k].kind != FORBIDDEN; k++) {
    }
    CHECK(k < n_secrets);
    if (k < n_secrets) {
        volatile uint8_t *plant = malloc(SECRET_MAX);
        size_t i;

        CHECK(plant != NULL);
        for (i = 0; plant != NULL && i < secrets[k].len; i++) {
            plant[i] = (uint8_t)(secrets[k].masked[i] ^ MASK);
        }
        printf("negative control: %s planted in the heap at %p\n",
               secrets[k].label, (void *)(uintptr_t)plant);
        leak_word = "planted";
        key_word = "found";
        scan_self(&st);
        CHECK(secrets[k].full_hits >= 1);
        for (i = 0; plant != NULL && i < secrets[k].len; i++) {
            plant[i] = 0;
        }
        free((void *)(uintptr_t)plant);
    }
    free(chunk);
    return wt_finish("test_no_secret_in_host");
}
