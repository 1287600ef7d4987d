/*
 * Handshake benchmark (issue 4): TLS 1.3 mutual-auth handshakes through
 * the companion (libwarden + wardend) against plain software clients on
 * the same machine, same server, same run. Printed, never asserted.
 *
 * The latency target is against "the software client using the same
 * crypto library": the companion's is BearSSL, and BearSSL (0.6) has no
 * TLS 1.3 client, so the bearssl client does the same mutual-auth
 * handshake in TLS 1.2, against a second s_server (--port12) pinned to
 * ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 and x25519. warden12 is warden's
 * own TLS 1.2 (issue 5) against that server: the like-for-like row.
 *
 * Built twice from this file, because libwolfssl exports OpenSSL names
 * (ERR_*, ...) and cannot share a process with libssl:
 *
 *   hs_bench      warden and libssl clients; prints the table, and with
 *                 --wolfssl PATH runs PATH (below) for the wolfSSL row
 *   hs_wolfssl    the wolfSSL client alone (-DHS_WOLFSSL), --raw output
 *
 *   hs_bench --companion unix:PATH --port PORT [--port12 PORT] --pki DIR
 *            [--key FILE --chain FILE] [-n N] [--warmup W]
 *            [--client warden|warden12|openssl|bearssl|wolfssl|all]
 *            [--wolfssl PATH] [--raw]
 *
 * Every connection: TCP connect to 127.0.0.1:PORT (TCP_NODELAY), a TLS
 * 1.3 handshake with server name "localhost" checked against the dev
 * root, x25519, TLS_AES_128_GCM_SHA256, the client certificate sent on
 * request; then one line written and its reversal read back (the server
 * is `openssl s_server -rev`), close_notify, close. The handshake time
 * runs from connect() to the end of the handshake.
 *
 * Software clients need a private key on the host: the companion's
 * device key never leaves it, so run.sh makes a software device key
 * and certificate from the same dev intermediate (--key, --chain: leaf
 * then intermediate).
 *
 * hs_measured() holds exactly the measured handshakes, so that
 * `valgrind --tool=callgrind --toggle-collect=hs_measured` counts the
 * host instructions of the handshakes and nothing else.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifdef HS_WOLFSSL
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#else
#include "warden.h"
#include <bearssl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

#define HS_MAX_RUNS 10000
#define HS_LINE "sensor=dev-0001 temperature=21.5C humidity=40%\n"

struct opts {
    const char *companion;
    const char *port;
    const char *port12; /* the TLS 1.2 server, for the BearSSL client */
    const char *pki;
    const char *key;
    const char *chain;
    const char *client;
    const char *wolfssl;
    int n;
    int warmup;
    int raw;
};

static struct opts O;

static void
die(const char *what, const char *arg)
{
    fprintf(stderr, "hs_bench: %s: %s\n", what, arg);
    exit(1);
}

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
tcp_connect_to(const char *port)
{
    struct sockaddr_in sa;
    int fd, one = 1;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        die("socket", strerror(errno));
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        die("connect 127.0.0.1", strerror(errno));
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static int
tcp_connect(void)
{
    return tcp_connect_to(O.port);
}

/* ---- heap accounting (software clients' own allocator hooks) ---------- */

static size_t heap_live, heap_peak;

#define HDR 16

static void *
count_malloc(size_t n)
{
    unsigned char *p = malloc(n + HDR);

    if (p == NULL) {
        return NULL;
    }
    memcpy(p, &n, sizeof(n));
    heap_live += n;
    if (heap_live > heap_peak) {
        heap_peak = heap_live;
    }
    return p + HDR;
}

static void
count_free(void *q)
{
    unsigned char *p;
    size_t n;

    if (q == NULL) {
        return;
    }
    p = (unsigned char *)q - HDR;
    memcpy(&n, p, sizeof(n));
    heap_live -= n;
    free(p);
}

static void *
count_realloc(void *q, size_t n)
{
    unsigned char *p;
    size_t old;

    if (q == NULL) {
        return count_malloc(n);
    }
    p = (unsigned char *)q - HDR;
    memcpy(&old, p, sizeof(old));
    p = realloc(p, n + HDR);
    if (p == NULL) {
        return NULL;
    }
    memcpy(p, &n, sizeof(n));
    heap_live = heap_live - old + n;
    if (heap_live > heap_peak) {
        heap_peak = heap_live;
    }
    return p + HDR;
}

/* ---- one client = a handshake, an exchange, a close -------------------- */

struct client {
    const char *name;
    void (*setup)(void);
    void (*handshake)(void); /* connect + handshake */
    void (*exchange)(void);  /* one line each way, close */
    size_t heap_hs_peak;     /* bytes above the baseline, largest seen */
    size_t heap_held;        /* held by a connected connection */
    /* bus, warden only */
    uint64_t bus_tx, bus_rx, bus_req;
    uint64_t bus_hs_tx, bus_hs_rx, bus_hs_req;
};

static void
check_reply(const char *got, size_t len)
{
    size_t i, n = strlen(HS_LINE) - 1;

    if (len != n + 1 || got[n] != '\n') {
        die("server reply", "wrong length");
    }
    for (i = 0; i < n; i++) {
        if (got[i] != HS_LINE[n - 1 - i]) {
            die("server reply", "not the line reversed");
        }
    }
}

#ifndef HS_WOLFSSL

/* ---- warden: the companion over a counting UNIX-socket transport ------- */

struct bus {
    int fd;
    uint64_t tx, rx, req;
};

static int
bus_send(void *ctx, const uint8_t *buf, size_t len)
{
    struct bus *b = ctx;
    ssize_t w;

    b->req++;
    b->tx += len;
    while (len > 0) {
        w = write(b->fd, buf, len);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return WARDEN_ERR_IO;
        }
        buf += w;
        len -= (size_t)w;
    }
    return WARDEN_ERR_OK;
}

static int
bus_recv(void *ctx, uint8_t *buf, size_t len)
{
    struct bus *b = ctx;
    ssize_t r;

    b->rx += len;
    while (len > 0) {
        r = read(b->fd, buf, len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r == 0) {
            return WARDEN_ERR_CLOSED;
        }
        if (r < 0) {
            return WARDEN_ERR_IO;
        }
        buf += r;
        len -= (size_t)r;
    }
    return WARDEN_ERR_OK;
}

static void
bus_close(void *ctx)
{
    struct bus *b = ctx;

    close(b->fd);
    b->fd = -1;
}

static const struct warden_transport bus_transport = {bus_send, bus_recv,
                                                      bus_close};
static struct bus W_bus;
static struct warden_dev W_dev;
static struct warden_tls W_tls;
static int W_fd;
static int W_opened;

/*
 * Secure boot, as any host firmware does first: the signature run.sh
 * wrote next to this binary (EXE.wsig). Under valgrind the companion
 * measures valgrind, which also preloads code, so the key stays locked;
 * run.sh then points the warden client at a server that asks for a
 * client certificate without requiring one.
 */
static void
w_secure_boot(void)
{
    static char exe[4096], path[4096 + 8];
    struct warden_firmware_sig sig;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

    if (n <= 0) {
        fprintf(stderr, "hs_bench: secure boot: no executable path\n");
        return;
    }
    exe[n] = '\0';
    snprintf(path, sizeof(path), "%s.wsig", exe);
    if (warden_firmware_sig_read(&W_dev, path, &sig) != WARDEN_ERR_OK ||
        warden_boot(&W_dev, &sig, NULL, NULL) != WARDEN_ERR_OK) {
        fprintf(stderr,
                "hs_bench: secure boot not verified (%s): the device key "
                "is locked, no client certificate is sent\n",
                warden_error(&W_dev));
    }
}

static void
w_setup(void)
{
    struct sockaddr_un sa;
    const char *path;

    if (O.companion == NULL || strncmp(O.companion, "unix:", 5) != 0) {
        die("warden client", "needs --companion unix:PATH");
    }
    path = O.companion + 5;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        die("socket path too long", path);
    }
    strcpy(sa.sun_path, path);
    W_bus.fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (W_bus.fd < 0 ||
        connect(W_bus.fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        die("cannot reach the companion at", path);
    }
    if (warden_open_transport(&W_dev, &bus_transport, &W_bus) !=
        WARDEN_ERR_OK) {
        die("warden_open_transport", warden_error(&W_dev));
    }
    W_opened = 1;
    w_secure_boot();
}

static void
w_handshake(void)
{
    static const unsigned suites[] = {WARDEN_TLS_AES_128_GCM_SHA256};
    static const unsigned groups[] = {WARDEN_TLS_GROUP_X25519};
    struct warden_tls_options o;

    memset(&o, 0, sizeof(o));
    o.suites = suites;
    o.n_suites = 1;
    o.groups = groups;
    o.n_groups = 1;
    W_fd = tcp_connect();
    if (warden_tls_connect_socket(&W_tls, &W_dev, W_fd, "localhost", &o) !=
        WARDEN_ERR_OK) {
        die("warden handshake", warden_tls_error(&W_tls));
    }
}

/*
 * TLS 1.2 to the --port12 server, ECDHE_ECDSA_WITH_AES_128_GCM_SHA256.
 * The groups also name the curves an ECDSA certificate may be on in TLS
 * 1.2 (RFC 8422 5.1.1): P-256, the server's, goes with x25519, which the
 * server prefers for the key exchange.
 */
static void
w12_handshake(void)
{
    static const unsigned suites[] = {
        WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256};
    static const unsigned groups[] = {WARDEN_TLS_GROUP_X25519,
                                      WARDEN_TLS_GROUP_SECP256R1};
    struct warden_tls_options o;

    memset(&o, 0, sizeof(o));
    o.suites = suites;
    o.n_suites = 1;
    o.groups = groups;
    o.n_groups = 2;
    W_fd = tcp_connect_to(O.port12);
    if (warden_tls_connect_socket(&W_tls, &W_dev, W_fd, "localhost", &o) !=
        WARDEN_ERR_OK) {
        die("warden TLS 1.2 handshake", warden_tls_error(&W_tls));
    }
}

/* The companion connection, once for both warden rows. */
static void
w12_setup(void)
{
    if (!W_opened) {
        w_setup();
    }
}

static void
w_exchange(void)
{
    char buf[256];
    size_t got, have = 0;

    if (warden_tls_write(&W_tls, HS_LINE, strlen(HS_LINE)) != WARDEN_ERR_OK) {
        die("warden write", warden_tls_error(&W_tls));
    }
    while (have == 0 || buf[have - 1] != '\n') {
        if (warden_tls_read(&W_tls, buf + have, sizeof(buf) - have, &got) !=
                WARDEN_ERR_OK ||
            got == 0) {
            die("warden read", warden_tls_error(&W_tls));
        }
        have += got;
    }
    check_reply(buf, have);
    warden_tls_close(&W_tls);
    close(W_fd);
}

/* ---- libssl ------------------------------------------------------------- */

static SSL_CTX *S_ctx;
static SSL *S_ssl;
static int S_fd;

static void *
ossl_malloc(size_t n, const char *f, int l)
{
    (void)f;
    (void)l;
    return count_malloc(n);
}

static void *
ossl_realloc(void *p, size_t n, const char *f, int l)
{
    (void)f;
    (void)l;
    return count_realloc(p, n);
}

static void
ossl_free(void *p, const char *f, int l)
{
    (void)f;
    (void)l;
    count_free(p);
}

static void
s_setup(void)
{
    char root[4096];

    snprintf(root, sizeof(root), "%s/root.pem", O.pki);
    S_ctx = SSL_CTX_new(TLS_client_method());
    if (S_ctx == NULL || !SSL_CTX_set_min_proto_version(S_ctx, TLS1_3_VERSION) ||
        !SSL_CTX_set_ciphersuites(S_ctx, "TLS_AES_128_GCM_SHA256") ||
        !SSL_CTX_set1_groups_list(S_ctx, "X25519") ||
        SSL_CTX_load_verify_locations(S_ctx, root, NULL) != 1 ||
        SSL_CTX_use_certificate_chain_file(S_ctx, O.chain) != 1 ||
        SSL_CTX_use_PrivateKey_file(S_ctx, O.key, SSL_FILETYPE_PEM) != 1) {
        ERR_print_errors_fp(stderr);
        die("libssl client setup", "failed");
    }
    SSL_CTX_set_verify(S_ctx, SSL_VERIFY_PEER, NULL);
}

static void
s_handshake(void)
{
    S_fd = tcp_connect();
    S_ssl = SSL_new(S_ctx);
    if (S_ssl == NULL || !SSL_set_fd(S_ssl, S_fd) ||
        !SSL_set_tlsext_host_name(S_ssl, "localhost") ||
        !SSL_set1_host(S_ssl, "localhost") || SSL_connect(S_ssl) != 1) {
        ERR_print_errors_fp(stderr);
        die("libssl handshake", "failed");
    }
}

static void
s_exchange(void)
{
    char buf[256];
    size_t have = 0;
    int r;

    if (SSL_write(S_ssl, HS_LINE, (int)strlen(HS_LINE)) <= 0) {
        die("libssl write", "failed");
    }
    while (have == 0 || buf[have - 1] != '\n') {
        r = SSL_read(S_ssl, buf + have, (int)(sizeof(buf) - have));
        if (r <= 0) {
            die("libssl read", "failed");
        }
        have += (size_t)r;
    }
    check_reply(buf, have);
    SSL_shutdown(S_ssl);
    SSL_free(S_ssl);
    close(S_fd);
}

/* ---- BearSSL: TLS 1.2, the companion's crypto library ------------------ */

/*
 * BearSSL reads no files: the dev root becomes a trust anchor, the
 * software device chain a certificate list and its key an EC private
 * key, decoded once in setup (like the SSL_CTX of the others).
 */
#define B_FILE_MAX 16384
#define B_CERTS_MAX 4

static br_ssl_client_context B_cc;
static br_x509_minimal_context B_xc;
static unsigned char B_iobuf[BR_SSL_BUFSIZE_BIDI];
static br_sslio_context B_io;
static int B_fd = -1;

static br_x509_trust_anchor B_ta;
static unsigned char B_ta_dn[1024], B_ta_q[BR_EC_KBUF_PUB_MAX_SIZE];
static br_x509_certificate B_chain[B_CERTS_MAX];
static size_t B_chain_len;
static br_ec_private_key B_key;
static unsigned char B_key_x[BR_EC_KBUF_PRIV_MAX_SIZE];

/* A growing byte buffer, the destination of BearSSL's decoders. */
struct bytes {
    unsigned char *p;
    size_t len, cap;
};

static void
bytes_append(void *ctx, const void *data, size_t len)
{
    struct bytes *b = ctx;

    if (len > b->cap - b->len) {
        die("BearSSL client setup", "decoded object too large");
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

static size_t
read_whole(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL) {
        die("cannot open", path);
    }
    n = fread(buf, 1, cap, f);
    if (n == cap) {
        die("file too large", path);
    }
    fclose(f);
    return n;
}

/*
 * Calls take(name, der, len) for each PEM object of the file at path.
 * Returns the number of objects.
 */
static size_t
pem_each(const char *path,
         void (*take)(const char *name, const unsigned char *der, size_t len))
{
    static unsigned char text[B_FILE_MAX], der[B_FILE_MAX];
    br_pem_decoder_context pc;
    struct bytes obj;
    char name[128];
    size_t len = read_whole(path, text, sizeof(text)), off = 0, count = 0;

    obj.p = der;
    obj.cap = sizeof(der);
    obj.len = 0;
    name[0] = '\0';
    br_pem_decoder_init(&pc);
    while (off < len) {
        off += br_pem_decoder_push(&pc, text + off, len - off);
        switch (br_pem_decoder_event(&pc)) {
        case BR_PEM_BEGIN_OBJ:
            snprintf(name, sizeof(name), "%s", br_pem_decoder_name(&pc));
            obj.len = 0;
            br_pem_decoder_setdest(&pc, bytes_append, &obj);
            break;
        case BR_PEM_END_OBJ:
            take(name, der, obj.len);
            count++;
            break;
        case BR_PEM_ERROR:
            die("bad PEM in", path);
            break;
        default:
            break;
        }
    }
    return count;
}

/* The dev root: its subject name and EC public key. */
static void
take_root(const char *name, const unsigned char *der, size_t len)
{
    static struct bytes dn = {B_ta_dn, 0, sizeof(B_ta_dn)};
    br_x509_decoder_context dc;
    const br_x509_pkey *pk;

    if (strcmp(name, "CERTIFICATE") != 0) {
        return;
    }
    dn.len = 0;
    br_x509_decoder_init(&dc, bytes_append, &dn);
    br_x509_decoder_push(&dc, der, len);
    pk = br_x509_decoder_get_pkey(&dc);
    if (pk == NULL || br_x509_decoder_last_error(&dc) != 0 ||
        pk->key_type != BR_KEYTYPE_EC || pk->key.ec.qlen > sizeof(B_ta_q)) {
        die("BearSSL client setup", "root.pem is not an EC certificate");
    }
    memcpy(B_ta_q, pk->key.ec.q, pk->key.ec.qlen);
    B_ta.dn.data = B_ta_dn;
    B_ta.dn.len = dn.len;
    B_ta.flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
    B_ta.pkey.key_type = BR_KEYTYPE_EC;
    B_ta.pkey.key.ec.curve = pk->key.ec.curve;
    B_ta.pkey.key.ec.q = B_ta_q;
    B_ta.pkey.key.ec.qlen = pk->key.ec.qlen;
}

/* The software device chain, leaf first. */
static void
take_chain(const char *name, const unsigned char *der, size_t len)
{
    unsigned char *copy;

    if (strcmp(name, "CERTIFICATE") != 0) {
        return;
    }
    if (B_chain_len == B_CERTS_MAX || (copy = malloc(len)) == NULL) {
        die("BearSSL client setup", "chain too long");
    }
    memcpy(copy, der, len);
    B_chain[B_chain_len].data = copy;
    B_chain[B_chain_len].data_len = len;
    B_chain_len++;
}

/* The software device key: "PRIVATE KEY" (PKCS#8) or "EC PRIVATE KEY". */
static void
take_key(const char *name, const unsigned char *der, size_t len)
{
    br_skey_decoder_context kc;
    const br_ec_private_key *k;

    (void)name;
    br_skey_decoder_init(&kc);
    br_skey_decoder_push(&kc, der, len);
    k = br_skey_decoder_get_ec(&kc);
    if (br_skey_decoder_last_error(&kc) != 0 || k == NULL ||
        k->xlen > sizeof(B_key_x)) {
        die("BearSSL client setup", "the device key is not an EC key");
    }
    memcpy(B_key_x, k->x, k->xlen);
    B_key.curve = k->curve;
    B_key.x = B_key_x;
    B_key.xlen = k->xlen;
}

static int
b_sock_read(void *ctx, unsigned char *buf, size_t len)
{
    ssize_t r;

    do {
        r = read(*(int *)ctx, buf, len);
    } while (r < 0 && errno == EINTR);
    return r <= 0 ? -1 : (int)r;
}

static int
b_sock_write(void *ctx, const unsigned char *buf, size_t len)
{
    ssize_t w;

    do {
        w = write(*(int *)ctx, buf, len);
    } while (w < 0 && errno == EINTR);
    return w <= 0 ? -1 : (int)w;
}

static void
b_setup(void)
{
    static const uint16_t suites[] = {
        BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256};
    char root[4096];

    if (O.port12 == NULL) {
        die("BearSSL client", "needs --port12 (a TLS 1.2 server)");
    }
    snprintf(root, sizeof(root), "%s/root.pem", O.pki);
    if (pem_each(root, take_root) != 1 || pem_each(O.key, take_key) != 1 ||
        pem_each(O.chain, take_chain) < 2) {
        die("BearSSL client setup", "root, key or chain missing");
    }
    /*
     * The full client profile, then narrowed to what the others use:
     * TLS 1.2 (its newest), one suite. It offers all its curves; the
     * server picks x25519 (b_handshake() checks), and must see P-256
     * offered, which a TLS 1.2 server requires of the curve of a client
     * certificate it accepts.
     */
    br_ssl_client_init_full(&B_cc, &B_xc, &B_ta, 1);
    br_ssl_engine_set_versions(&B_cc.eng, BR_TLS12, BR_TLS12);
    br_ssl_engine_set_suites(&B_cc.eng, suites, 1);
    br_ssl_client_set_single_ec(
        &B_cc, B_chain, B_chain_len, &B_key, BR_KEYTYPE_SIGN, BR_KEYTYPE_EC,
        br_ec_get_default(), br_ecdsa_sign_asn1_get_default());
    br_ssl_engine_set_buffer(&B_cc.eng, B_iobuf, sizeof(B_iobuf), 1);
}

static void
b_fail(const char *what)
{
    char msg[64];

    snprintf(msg, sizeof(msg), "BearSSL error %d",
             br_ssl_engine_last_error(&B_cc.eng));
    die(what, msg);
}

static void
b_handshake(void)
{
    B_fd = tcp_connect_to(O.port12);
    if (!br_ssl_client_reset(&B_cc, "localhost", 0)) {
        b_fail("BearSSL reset");
    }
    br_sslio_init(&B_io, &B_cc.eng, b_sock_read, &B_fd, b_sock_write, &B_fd);
    /* Returns once application data can go: the handshake is over. */
    if (br_sslio_flush(&B_io) != 0) {
        b_fail("BearSSL handshake");
    }
    /* The server's choice, checked: the same handshake as the others. */
    if (br_ssl_engine_get_version(&B_cc.eng) != BR_TLS12 ||
        br_ssl_engine_get_ecdhe_curve(&B_cc.eng) != BR_EC_curve25519 ||
        B_cc.eng.session.cipher_suite !=
            BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) {
        die("BearSSL handshake", "not TLS 1.2, x25519, ECDHE-ECDSA-AES128-GCM");
    }
}

static void
b_exchange(void)
{
    char buf[256];
    size_t have = 0;
    unsigned char *rec;
    size_t n;
    int r;

    if (br_sslio_write_all(&B_io, HS_LINE, strlen(HS_LINE)) != 0 ||
        br_sslio_flush(&B_io) != 0) {
        b_fail("BearSSL write");
    }
    while (have == 0 || buf[have - 1] != '\n') {
        r = br_sslio_read(&B_io, buf + have, sizeof(buf) - have);
        if (r <= 0) {
            b_fail("BearSSL read");
        }
        have += (size_t)r;
    }
    check_reply(buf, have);
    /* close_notify out, without waiting for the server's: as the others. */
    br_ssl_engine_close(&B_cc.eng);
    while (br_ssl_engine_current_state(&B_cc.eng) & BR_SSL_SENDREC) {
        rec = br_ssl_engine_sendrec_buf(&B_cc.eng, &n);
        r = b_sock_write(&B_fd, rec, n);
        if (r < 0) {
            break;
        }
        br_ssl_engine_sendrec_ack(&B_cc.eng, (size_t)r);
    }
    close(B_fd);
}

#else /* HS_WOLFSSL */

static WOLFSSL_CTX *F_ctx;
static WOLFSSL *F_ssl;
static int F_fd;

static void
f_setup(void)
{
    char root[4096];

    snprintf(root, sizeof(root), "%s/root.pem", O.pki);
    F_ctx = wolfSSL_CTX_new(wolfTLSv1_3_client_method());
    if (F_ctx == NULL ||
        wolfSSL_CTX_set_cipher_list(F_ctx, "TLS13-AES128-GCM-SHA256") !=
            WOLFSSL_SUCCESS ||
        wolfSSL_CTX_load_verify_locations(F_ctx, root, NULL) !=
            WOLFSSL_SUCCESS ||
        wolfSSL_CTX_use_certificate_chain_file(F_ctx, O.chain) !=
            WOLFSSL_SUCCESS ||
        wolfSSL_CTX_use_PrivateKey_file(F_ctx, O.key, WOLFSSL_FILETYPE_PEM) !=
            WOLFSSL_SUCCESS) {
        die("wolfSSL client setup", "failed");
    }
    wolfSSL_CTX_set_verify(F_ctx, WOLFSSL_VERIFY_PEER, NULL);
}

static void
f_handshake(void)
{
    int groups[1] = {WOLFSSL_ECC_X25519};

    F_fd = tcp_connect();
    F_ssl = wolfSSL_new(F_ctx);
    if (F_ssl == NULL || wolfSSL_set_fd(F_ssl, F_fd) != WOLFSSL_SUCCESS ||
        wolfSSL_UseSNI(F_ssl, WOLFSSL_SNI_HOST_NAME, "localhost", 9) !=
            WOLFSSL_SUCCESS ||
        wolfSSL_check_domain_name(F_ssl, "localhost") != WOLFSSL_SUCCESS ||
        wolfSSL_set_groups(F_ssl, groups, 1) != WOLFSSL_SUCCESS ||
        wolfSSL_UseKeyShare(F_ssl, WOLFSSL_ECC_X25519) != WOLFSSL_SUCCESS) {
        die("wolfSSL connection setup", "failed");
    }
    if (wolfSSL_connect(F_ssl) != WOLFSSL_SUCCESS) {
        char msg[WOLFSSL_MAX_ERROR_SZ];
        wolfSSL_ERR_error_string_n(
            (unsigned long)wolfSSL_get_error(F_ssl, 0), msg, sizeof(msg));
        die("wolfSSL handshake failed", msg);
    }
}

static void
f_exchange(void)
{
    char buf[256];
    size_t have = 0;
    int r;

    if (wolfSSL_write(F_ssl, HS_LINE, (int)strlen(HS_LINE)) <= 0) {
        die("wolfSSL write", "failed");
    }
    while (have == 0 || buf[have - 1] != '\n') {
        r = wolfSSL_read(F_ssl, buf + have, (int)(sizeof(buf) - have));
        if (r <= 0) {
            die("wolfSSL read", "failed");
        }
        have += (size_t)r;
    }
    check_reply(buf, have);
    wolfSSL_shutdown(F_ssl);
    wolfSSL_free(F_ssl);
    close(F_fd);
}

#endif

/* ---- measurement ------------------------------------------------------- */

struct result {
    const char *name;
    const char *proto; /* "TLS1.3" or "TLS1.2" */
    int n;
    double hs_median, hs_p90, hs_min, conn_median; /* microseconds */
    double hs_first; /* the first warm-up handshake, 0 without one */
    size_t heap_peak, heap_held;
    double bus_hs_tx, bus_hs_rx, bus_hs_req; /* per handshake */
    double bus_tx, bus_rx, bus_req;          /* per whole connection */
    int has_bus;
};

/* Exactly the measured handshakes: callgrind --toggle-collect=hs_measured. */
__attribute__((noinline, noclone)) void hs_measured(void (*handshake)(void));
__attribute__((noinline, noclone)) void
hs_measured(void (*handshake)(void))
{
    handshake();
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double
pct(double *v, int n, double p)
{
    int i = (int)(p * (n - 1) + 0.5);

    return v[i];
}

static void
run(const char *name, void (*setup)(void), void (*handshake)(void),
    void (*exchange)(void), struct result *res)
{
    static double hs[HS_MAX_RUNS], conn[HS_MAX_RUNS];
    size_t base;
    uint64_t t0, t1, t2;
    int i;
#ifndef HS_WOLFSSL
    uint64_t tx0 = 0, rx0 = 0, rq0 = 0, tx1 = 0, rx1 = 0, rq1 = 0;
#endif

    memset(res, 0, sizeof(*res));
    res->name = name;
    res->proto = "TLS1.3";
    res->n = O.n;
    setup();
    for (i = 0; i < O.warmup; i++) {
        t0 = now_ns();
        handshake();
        t1 = now_ns();
        if (i == 0) {
            res->hs_first = (double)(t1 - t0) / 1000.0;
        }
        exchange();
    }
    for (i = 0; i < O.n; i++) {
        base = heap_live;
        heap_peak = heap_live;
#ifndef HS_WOLFSSL
        tx0 = W_bus.tx;
        rx0 = W_bus.rx;
        rq0 = W_bus.req;
#endif
        t0 = now_ns();
        hs_measured(handshake);
        t1 = now_ns();
#ifndef HS_WOLFSSL
        tx1 = W_bus.tx;
        rx1 = W_bus.rx;
        rq1 = W_bus.req;
#endif
        if (heap_live - base > res->heap_held) {
            res->heap_held = heap_live - base;
        }
        exchange();
        t2 = now_ns();
        if (heap_peak - base > res->heap_peak) {
            res->heap_peak = heap_peak - base;
        }
        hs[i] = (double)(t1 - t0) / 1000.0;
        conn[i] = (double)(t2 - t0) / 1000.0;
#ifndef HS_WOLFSSL
        res->bus_hs_tx += (double)(tx1 - tx0);
        res->bus_hs_rx += (double)(rx1 - rx0);
        res->bus_hs_req += (double)(rq1 - rq0);
        res->bus_tx += (double)(W_bus.tx - tx0);
        res->bus_rx += (double)(W_bus.rx - rx0);
        res->bus_req += (double)(W_bus.req - rq0);
#endif
    }
    if (O.n > 0) {
        res->bus_hs_tx /= O.n;
        res->bus_hs_rx /= O.n;
        res->bus_hs_req /= O.n;
        res->bus_tx /= O.n;
        res->bus_rx /= O.n;
        res->bus_req /= O.n;
        qsort(hs, (size_t)O.n, sizeof(double), cmp_double);
        qsort(conn, (size_t)O.n, sizeof(double), cmp_double);
        res->hs_median = pct(hs, O.n, 0.5);
        res->hs_p90 = pct(hs, O.n, 0.9);
        res->hs_min = hs[0];
        res->conn_median = pct(conn, O.n, 0.5);
    }
}

static void
print_raw(const struct result *r)
{
    printf("raw %s n=%d hs_median_us=%.1f hs_p90_us=%.1f hs_min_us=%.1f "
           "conn_median_us=%.1f heap_peak=%zu heap_held=%zu "
           "bus_hs_tx=%.1f bus_hs_rx=%.1f bus_hs_req=%.1f "
           "bus_tx=%.1f bus_rx=%.1f bus_req=%.1f\n",
           r->name, r->n, r->hs_median, r->hs_p90, r->hs_min, r->conn_median,
           r->heap_peak, r->heap_held, r->bus_hs_tx, r->bus_hs_rx,
           r->bus_hs_req, r->bus_tx, r->bus_rx, r->bus_req);
}

#ifndef HS_WOLFSSL
/* Runs the wolfSSL binary with our options and reads its raw line. */
static int
run_wolfssl(struct result *r)
{
    static char name[] = "wolfssl";
    char cmd[8192], line[1024];
    FILE *p;
    int ok = 0;

    snprintf(cmd, sizeof(cmd),
             "'%s' --client wolfssl --raw --port '%s' --pki '%s' "
             "--key '%s' --chain '%s' -n %d --warmup %d",
             O.wolfssl, O.port, O.pki, O.key, O.chain, O.n, O.warmup);
    fflush(stdout);
    p = popen(cmd, "r");
    if (p == NULL) {
        return 0;
    }
    memset(r, 0, sizeof(*r));
    r->name = name;
    r->proto = "TLS1.3";
    while (fgets(line, sizeof(line), p) != NULL) {
        if (sscanf(line,
                   "raw wolfssl n=%d hs_median_us=%lf hs_p90_us=%lf "
                   "hs_min_us=%lf conn_median_us=%lf heap_peak=%zu "
                   "heap_held=%zu",
                   &r->n, &r->hs_median, &r->hs_p90, &r->hs_min,
                   &r->conn_median, &r->heap_peak, &r->heap_held) == 7) {
            ok = 1;
        }
    }
    return pclose(p) == 0 && ok;
}
#endif

static void
usage(void)
{
    fprintf(stderr,
            "usage: hs_bench --companion unix:PATH --port PORT "
            "[--port12 PORT] --pki DIR\n"
            "                --key FILE --chain FILE [-n N] [--warmup W]\n"
            "                [--client "
            "warden|warden12|openssl|bearssl|wolfssl|all]\n"
            "                [--wolfssl PATH] [--raw]\n");
    exit(2);
}

int
main(int argc, char **argv)
{
    int i, nres = 0;
    /* warden, warden12, openssl, bearssl, wolfssl */
    struct result res[5];

    O.n = 50;
    O.warmup = 2;
    O.client = "all";
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--raw") == 0) {
            O.raw = 1;
            continue;
        }
        if (v == NULL) {
            usage();
        }
        if (strcmp(a, "--companion") == 0) {
            O.companion = v;
        } else if (strcmp(a, "--port") == 0) {
            O.port = v;
        } else if (strcmp(a, "--port12") == 0) {
            O.port12 = v;
        } else if (strcmp(a, "--pki") == 0) {
            O.pki = v;
        } else if (strcmp(a, "--key") == 0) {
            O.key = v;
        } else if (strcmp(a, "--chain") == 0) {
            O.chain = v;
        } else if (strcmp(a, "--client") == 0) {
            O.client = v;
        } else if (strcmp(a, "--wolfssl") == 0) {
            O.wolfssl = v;
        } else if (strcmp(a, "-n") == 0) {
            O.n = atoi(v);
        } else if (strcmp(a, "--warmup") == 0) {
            O.warmup = atoi(v);
        } else {
            usage();
        }
        i++;
    }
    if (O.port == NULL || O.pki == NULL || O.n < 0 || O.n > HS_MAX_RUNS) {
        usage();
    }
#define WANT(c) (strcmp(O.client, "all") == 0 || strcmp(O.client, c) == 0)

#ifdef HS_WOLFSSL
    if (O.key == NULL || O.chain == NULL) {
        usage();
    }
    wolfSSL_SetAllocators(count_malloc, count_free, count_realloc);
    wolfSSL_Init();
    run("wolfssl", f_setup, f_handshake, f_exchange, &res[nres++]);
    print_raw(&res[0]);
    return 0;
#else
    const struct result *same_lib = NULL, *warden12 = NULL;

    CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free);
    if (WANT("warden")) {
        run("warden", w_setup, w_handshake, w_exchange, &res[nres]);
        res[nres].has_bus = 1;
        nres++;
    }
    if (WANT("openssl")) {
        if (O.key == NULL || O.chain == NULL) {
            usage();
        }
        run("openssl", s_setup, s_handshake, s_exchange, &res[nres++]);
    }
    /* Against the bearssl row: the like-for-like ratio the target means. */
    if (O.port12 != NULL && WANT("warden12")) {
        run("warden12", w12_setup, w12_handshake, w_exchange, &res[nres]);
        res[nres].proto = "TLS1.2";
        res[nres].has_bus = 1;
        warden12 = &res[nres];
        nres++;
    }
    if (O.port12 != NULL && WANT("bearssl")) {
        if (O.key == NULL || O.chain == NULL) {
            usage();
        }
        run("bearssl", b_setup, b_handshake, b_exchange, &res[nres]);
        res[nres].proto = "TLS1.2";
        same_lib = &res[nres];
        nres++;
    }
    if (O.wolfssl != NULL && WANT("wolfssl")) {
        if (run_wolfssl(&res[nres])) {
            nres++;
        } else {
            fprintf(stderr, "hs_bench: the wolfSSL client failed\n");
        }
    }
    if (O.raw) {
        for (i = 0; i < nres; i++) {
            print_raw(&res[i]);
        }
        return 0;
    }

    printf("Mutual-auth handshakes to openssl s_server on 127.0.0.1, "
           "x25519, ECDSA P-256\nboth ways; %d measured after %d warm-up.\n"
           "TLS1.3: port %s, TLS_AES_128_GCM_SHA256.\n",
           O.n, O.warmup, O.port);
    if (O.port12 != NULL) {
        printf("TLS1.2: port %s, ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 "
               "(BearSSL has no TLS 1.3 client).\n",
               O.port12);
    }
    printf("\n%-9s %-6s %12s %12s %12s %14s %11s %11s\n", "client", "proto",
           "hs median", "hs p90", "hs min", "conn median", "heap peak",
           "heap held");
    for (i = 0; i < nres; i++) {
        printf("%-9s %-6s %9.0f us %9.0f us %9.0f us %11.0f us %9zu B "
               "%9zu B\n",
               res[i].name, res[i].proto, res[i].hs_median, res[i].hs_p90,
               res[i].hs_min, res[i].conn_median, res[i].heap_peak,
               res[i].heap_held);
    }
    /*
     * warden runs first, on a companion that has verified no chain yet:
     * its first handshake is the cold one (the key shares were made
     * while idle, the certificate signatures not yet remembered).
     */
    if (nres > 0 && res[0].hs_first > 0) {
        printf("\nfirst handshake, before any warm-up (warden: no "
               "certificate signature remembered yet):\n");
        for (i = 0; i < nres; i++) {
            if (res[i].hs_first > 0) {
                printf("  %-9s %9.0f us\n", res[i].name, res[i].hs_first);
            }
        }
    }
    if (same_lib != NULL) {
        printf("\n(bearssl allocates nothing: its connection is the "
               "caller's br_ssl_client_context\n%zu B + "
               "br_x509_minimal_context %zu B + I/O buffer %zu B = %zu B.)\n",
               sizeof(B_cc), sizeof(B_xc), sizeof(B_iobuf),
               sizeof(B_cc) + sizeof(B_xc) + sizeof(B_iobuf));
    }
    printf("\n(heap: the software libraries' own allocations per connection, "
           "counted\nthrough their allocator hooks; libwarden never "
           "allocates, its connection\nis the caller's struct warden_tls of "
           "%zu bytes, plus struct warden_dev of\n%zu bytes per companion.)"
           "\n\n",
           sizeof(struct warden_tls), sizeof(struct warden_dev));
    for (i = 0; i < nres; i++) {
        if (res[i].has_bus) {
            printf("%s, %s\n", res[i].name, res[i].proto);
            printf("bus per handshake:  %.0f requests, %.0f bytes "
                   "(%.0f to the companion, %.0f back)\n",
                   res[i].bus_hs_req, res[i].bus_hs_tx + res[i].bus_hs_rx,
                   res[i].bus_hs_tx, res[i].bus_hs_rx);
            printf("bus per connection: %.0f requests, %.0f bytes "
                   "(handshake + one line each way + close)\n\n",
                   res[i].bus_req, res[i].bus_tx + res[i].bus_rx);
        }
    }
    if (nres > 1 && res[0].has_bus) {
        printf("latency ratios (warden TLS1.3 / software, median "
               "handshake):\n");
        for (i = 1; i < nres; i++) {
            if (&res[i] == warden12) {
                continue;
            }
            printf("  warden / %-8s %.2fx  %s\n", res[i].name,
                   res[0].hs_median / res[i].hs_median,
                   &res[i] == same_lib
                       ? "same crypto library (BearSSL), TLS 1.2 since "
                         "BearSSL has no 1.3"
                       : "other library, TLS 1.3");
        }
    }
    if (warden12 != NULL && same_lib != NULL) {
        printf("like for like (both TLS 1.2, both on BearSSL's crypto):\n"
               "  warden12 / bearssl %.2fx\n",
               warden12->hs_median / same_lib->hs_median);
    }
    for (i = 0; i < nres; i++) {
        print_raw(&res[i]);
    }
    if (W_opened) {
        warden_close(&W_dev);
    }
    if (S_ctx != NULL) {
        SSL_CTX_free(S_ctx);
    }
    for (i = 0; i < (int)B_chain_len; i++) {
        free((void *)B_chain[i].data);
    }
    return 0;
#endif
}
