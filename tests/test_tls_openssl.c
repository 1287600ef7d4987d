/*
 * The companion's TLS 1.3 handshake authority against OpenSSL's server,
 * in one process: libssl on memory BIOs is the server, the host record
 * layer (host/record.c) carries records, the companion (on the RAM
 * platform, over raw bus frames) decides everything. OpenSSL is a test
 * peer here, never product code.
 *
 *   test_tls_openssl PKI_DIR    (made by scripts/dev-pki.sh PKI_DIR)
 *
 * Covers every suite and group with client authentication, a
 * HelloRetryRequest, no CertificateRequest, tickets, a server KeyUpdate,
 * bulk data, three intermediates out of order, and refusals: host name,
 * unknown root, expired, not yet valid, self-signed, missing
 * intermediate, RSA-only server, tampered CertificateVerify and
 * Finished, suites and groups outside policy; and 150 handshakes with one
 * byte changed somewhere in the server's messages, all refused.
 *
 * TLS 1.2 (issue 5): each of the four suites with each group, server
 * keys on P-256 and P-384, device keys on both, client authentication,
 * 1 MB each way; refusals of servers that offer only CBC, RSA key
 * transport, ECDHE_RSA, CCM_8, 3DES, NULL, RC4 (where this OpenSSL can
 * still offer them) or only TLS 1.0 and 1.1, no extended master secret,
 * a HelloRequest, a tampered ServerKeyExchange signature and Finished,
 * a downgrade by a middlebox (the sentinel), and 100 changed bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "memplat.h"
#include "pki_openssl.h"
#include "rawbus.h"
#include "record.h"
#include "verify.h"
#include "wc_companion.h"
#include "warden.h"
#include "wd_boot.h"

static const char *pki;
static struct wt_memplat mp;
static struct wc_companion comp;
static struct wc_channel ch;
static uint8_t resp[WD_MAX_MESSAGE];
static size_t resp_len;

/* ---- companion set-up ---- */

/* A self-signed CA that has nothing to do with the server's chain. */
static X509 *
stranger_root(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();

    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)"Stranger Root", -1,
                               -1, 0);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_set_issuer_name(x, name);
    X509_set_subject_name(x, name);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400);
    X509_set_pubkey(x, key);
    wt_pki_add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
    wt_pki_add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
    wt_pki_add_ext(x, x, NID_subject_key_identifier, "hash");
    X509_sign(x, key, EVP_sha256());
    X509_NAME_free(name);
    EVP_PKEY_free(key);
    return x;
}

static enum wd_status
call(uint8_t cmd, const void *req, size_t len)
{
    return wt_call(&comp, &ch, cmd, req, len, resp, &resp_len);
}

/* A companion with a device key, its certificate chain and root_file. */
static void
provision(const char *root_file, uint8_t curve)
{
    static uint8_t req[4096];
    uint8_t name[] = {0x30, 0x11, 0x31, 0x0f, 0x30, 0x0d, 0x06, 0x03, 0x55,
                      0x04, 0x03, 0x0c, 0x06, 'd',  'e',  'v',  '-',  '0', '1'};
    X509 *x;
    size_t n;

    wt_memplat_init(&mp, 11);
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_OK);
    wc_channel_init(&ch);
    req[0] = WD_KEY_DEVICE;
    req[1] = curve;
    CHECK(call(WD_CMD_KEY_GENERATE, req, 2) == WD_STATUS_OK);
    req[0] = WD_KEY_DEVICE;
    memcpy(req + 1, name, sizeof(name));
    CHECK(call(WD_CMD_CSR_CREATE, req, 1 + sizeof(name)) == WD_STATUS_OK);
    n = wt_pki_sign_csr(pki, resp, resp_len, 4242, req + 2);
    req[0] = WD_CERT_DEVICE;
    req[1] = 0;
    CHECK(call(WD_CMD_CERT_INSTALL, req, 2 + n) == WD_STATUS_OK);
    x = wt_pki_load_cert(pki, "intermediate.pem");
    n = wt_pki_der(x, req + 2);
    X509_free(x);
    req[1] = 1;
    CHECK(call(WD_CMD_CERT_INSTALL, req, 2 + n) == WD_STATUS_OK);
    x = root_file ? wt_pki_load_cert(pki, root_file) : stranger_root();
    n = wt_pki_der(x, req);
    X509_free(x);
    CHECK(call(WD_CMD_ROOT_ADD, req, n) == WD_STATUS_OK);
}

/* ---- the server ---- */

/* A server chain made in the test: leaf, then intermediates. */
struct made_chain {
    X509 *cert[5];
    int count;
    EVP_PKEY *leaf_key;
};

struct server_opts {
    const char *suites; /* OpenSSL names, NULL for its defaults */
    const char *groups;
    int request_cert;
    const struct made_chain *chain; /* NULL: the dev PKI's server */
    /* TLS 1.2 (issue 5): below. Zero: a TLS 1.3-only server. */
    int versions;        /* a SERVER_* value */
    const char *ciphers; /* TLS 1.2 cipher list, NULL for the default */
    int no_ems;          /* no extended master secret (RFC 7627) */
};

/* Which versions a server speaks. */
#define SERVER_TLS13 0
#define SERVER_TLS12 1      /* TLS 1.2 only */
#define SERVER_TLS12_13 2   /* both: it marks a downgrade in its random */
#define SERVER_TLS10_11 3   /* TLS 1.0 and 1.1 only */

/* Options for a made certificate. */
struct made_opts {
    const char *cn;
    int is_ca;
    const char *san;    /* e.g. "DNS:localhost", NULL for none */
    long from, to;      /* validity, seconds from now */
    int rsa;            /* RSA-2048 key instead of EC P-256 */
    int p384;           /* EC P-384 key instead of P-256 */
};

/* Issues a certificate; issuer NULL makes it self-signed. */
static X509 *
make_cert(const struct made_opts *o, X509 *issuer, EVP_PKEY *issuer_key,
          EVP_PKEY **key_out)
{
    EVP_PKEY *key = o->rsa    ? EVP_RSA_gen(2048)
                    : o->p384 ? EVP_EC_gen("P-384")
                              : EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    static long serial = 100;

    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)o->cn, -1, -1, 0);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509_gmtime_adj(X509_getm_notBefore(x), o->from);
    X509_gmtime_adj(X509_getm_notAfter(x), o->to);
    X509_set_pubkey(x, key);
    if (o->is_ca) {
        wt_pki_add_ext(x, issuer ? issuer : x, NID_basic_constraints,
                "critical,CA:TRUE");
        wt_pki_add_ext(x, issuer ? issuer : x, NID_key_usage,
                "critical,keyCertSign,cRLSign");
    } else {
        wt_pki_add_ext(x, issuer ? issuer : x, NID_basic_constraints,
                "critical,CA:FALSE");
        wt_pki_add_ext(x, issuer ? issuer : x, NID_key_usage,
                "critical,digitalSignature");
        wt_pki_add_ext(x, issuer ? issuer : x, NID_ext_key_usage, "serverAuth");
    }
    if (o->san) {
        wt_pki_add_ext(x, issuer ? issuer : x, NID_subject_alt_name, o->san);
    }
    wt_pki_add_ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash");
    /* As openssl req -x509 does, self-signed ones name their own key. */
    wt_pki_add_ext(x, issuer ? issuer : x, NID_authority_key_identifier,
            "keyid:always");
    X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256());
    X509_NAME_free(name);
    *key_out = key;
    return x;
}

static void
free_chain(struct made_chain *c)
{
    int i;

    for (i = 0; i < c->count; i++) {
        X509_free(c->cert[i]);
    }
    EVP_PKEY_free(c->leaf_key);
    memset(c, 0, sizeof(*c));
}

static SSL *
server_new(const struct server_opts *o, BIO **to_server, BIO **from_server)
{
    char chain[1024], key[1024], root[1024];
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL *ssl;

    snprintf(chain, sizeof(chain), "%s/server-chain.pem", pki);
    snprintf(key, sizeof(key), "%s/server.key", pki);
    snprintf(root, sizeof(root), "%s/root.pem", pki);
    switch (o->versions) {
    case SERVER_TLS12:
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
        break;
    case SERVER_TLS12_13:
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        break;
    case SERVER_TLS10_11:
        /* Debian's OpenSSL allows them below security level 1 only. */
        SSL_CTX_set_security_level(ctx, 0);
        SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
        SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
        break;
    default:
        SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
        break;
    }
    if (o->ciphers) {
        SSL_CTX_set_security_level(ctx, 0);
        CHECK(SSL_CTX_set_cipher_list(ctx, o->ciphers) == 1);
    }
    if (o->no_ems) {
        SSL_CTX_set_options(ctx, SSL_OP_NO_EXTENDED_MASTER_SECRET);
    }
    /*
     * In TLS 1.2, OpenSSL accepts a client's ECDSA certificate only on a
     * curve in its own group list: the group under test goes first and
     * wins, the others are there for the certificates.
     */
    if (o->versions != SERVER_TLS13) {
        SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    }
    if (o->chain == NULL) {
        CHECK(SSL_CTX_use_certificate_chain_file(ctx, chain) == 1);
        CHECK(SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1);
    } else {
        int i;

        CHECK(SSL_CTX_use_certificate(ctx, o->chain->cert[0]) == 1);
        CHECK(SSL_CTX_use_PrivateKey(ctx, o->chain->leaf_key) == 1);
        for (i = 1; i < o->chain->count; i++) {
            X509_up_ref(o->chain->cert[i]);
            SSL_CTX_add_extra_chain_cert(ctx, o->chain->cert[i]);
        }
    }
    if (o->suites) {
        CHECK(SSL_CTX_set_ciphersuites(ctx, o->suites) == 1);
    }
    if (o->groups) {
        CHECK(SSL_CTX_set1_groups_list(ctx, o->groups) == 1);
    }
    if (o->request_cert) {
        /* 1: a certificate is required; 2: asked for, but optional. */
        SSL_CTX_load_verify_locations(ctx, root, NULL);
        SSL_CTX_set_verify(ctx,
                           o->request_cert == 1
                               ? SSL_VERIFY_PEER |
                                     SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                               : SSL_VERIFY_PEER,
                           NULL);
    }
    ssl = SSL_new(ctx);
    SSL_CTX_free(ctx);
    *to_server = BIO_new(BIO_s_mem());
    *from_server = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl, *to_server, *from_server);
    SSL_set_accept_state(ssl);
    return ssl;
}

/* ---- the host's part, as the real driver does it ---- */

enum tamper {
    NONE,
    TAMPER_CV,
    TAMPER_FINISHED,
    TAMPER_ANY,
    TAMPER_SKE,       /* the TLS 1.2 ServerKeyExchange signature */
    TAMPER_DOWNGRADE, /* a middlebox takes TLS 1.3 out of the ClientHello */
};

/* TAMPER_ANY: which server handshake message, which byte, which bits. */
static unsigned tamper_msg, tamper_at;
static uint8_t tamper_bits;
static unsigned msg_count;

struct link {
    SSL *ssl;
    BIO *to_server, *from_server;
    struct warden_rec rec;
    uint8_t rbuf[WARDEN_REC_READ_BUF];
    uint8_t in[1 << 17];
    size_t in_len;
    uint8_t hs[WD_TLS_MESSAGE_MAX];
    size_t hs_len;
    uint8_t session;
    unsigned suite;
    int connected;
    enum wd_status failure; /* the companion's refusal, or OK */
    int peer_alert;         /* an alert the server sent, or -1 */
    enum tamper tamper;
    int record_failed;
    int tls12;           /* the companion said the server chose TLS 1.2 */
    size_t peer_key_len; /* TLS 1.2: the server's keys, until its CCS */
    uint8_t peer_key[WARDEN_REC_KEY_MAX + WARDEN_REC_SALT_LEN];
    uint8_t app[1 << 16];
    size_t app_len;
    uint8_t hello[2048]; /* the first ClientHello */
    size_t hello_len;
};

static struct link L;

static void
send_records(unsigned type, const uint8_t *data, size_t len)
{
    static uint8_t out[WARDEN_REC_WRITE_BUF];
    size_t off = 0, used, n;

    do {
        int r = warden_rec_write(&L.rec, type, data + off, len - off, &used,
                                 out, sizeof(out), &n);

        if (r != WARDEN_REC_OK) {
            fprintf(stderr, "record write: %s\n", warden_rec_strerror(r));
            CHECK(!"record write failed");
            return;
        }
        BIO_write(L.to_server, out, (int)n);
        off += used;
    } while (off < len);
}

static void
set_keys(int dir, unsigned epoch, size_t key_len, const uint8_t *key)
{
    CHECK(warden_rec_set_keys(&L.rec, dir, epoch, L.suite, key, key_len,
                              key + key_len) == WARDEN_REC_OK);
}

/* Hands one message to the companion and does what its answer says. */
static void
deliver(uint8_t *msg, size_t len)
{
    static uint8_t req[4096], flight[16384];
    size_t off = 0, n, flight_len, got;
    uint8_t ev[256];
    size_t ev_len;
    enum wd_status st = WD_STATUS_OK;

    if (L.tamper == TAMPER_ANY && !L.connected &&
        msg_count++ == tamper_msg) {
        msg[tamper_at % len] ^= tamper_bits;
    }
    if (L.tamper == TAMPER_CV && msg[0] == 15) {
        msg[len - 1] ^= 0x01;
    }
    if (L.tamper == TAMPER_SKE && msg[0] == 12) {
        msg[len - 1] ^= 0x01;
    }
    if (L.tamper == TAMPER_FINISHED && msg[0] == 20 && !L.connected) {
        msg[len - 1] ^= 0x01;
    }
    /* Long messages go over in parts of at most 4000 bytes. */
    do {
        n = len - off > 4000 ? 4000 : len - off;
        req[0] = L.session;
        req[1] = off + n < len ? WD_TLS_MORE : 0;
        memcpy(req + 2, msg + off, n);
        st = call(WD_CMD_TLS_RECEIVE, req, 2 + n);
        off += n;
    } while (st == WD_STATUS_OK && off < len);
    if (st != WD_STATUS_OK) {
        L.failure = st;
        return;
    }
    memcpy(ev, resp, resp_len < sizeof(ev) ? resp_len : sizeof(ev));
    ev_len = resp_len;
    switch (ev[0]) {
    case WD_TLS_EV_CONTINUE:
        break;
    case WD_TLS_EV_CLIENT_HELLO:
        send_records(WARDEN_CT_HANDSHAKE, resp + 1, resp_len - 1);
        break;
    case WD_TLS_EV_HANDSHAKE_KEYS:
        /* suite, key length, client key and IV, server key and IV */
        L.suite = (unsigned)(ev[1] << 8 | ev[2]);
        set_keys(WARDEN_REC_DIR_WRITE, WARDEN_REC_EPOCH_HANDSHAKE, ev[3],
                 ev + 4);
        set_keys(WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_HANDSHAKE, ev[3],
                 ev + 4 + ev[3] + 12);
        break;
    case WD_TLS_EV_CONNECTED:
        flight_len = (size_t)(ev[ev_len - 2] << 8 | ev[ev_len - 1]);
        for (got = 0; got < flight_len; got += resp_len) {
            req[0] = L.session;
            req[1] = (uint8_t)(got >> 8);
            req[2] = (uint8_t)got;
            CHECK(call(WD_CMD_TLS_FLIGHT, req, 3) == WD_STATUS_OK);
            memcpy(flight + got, resp, resp_len);
            if (resp_len == 0) {
                break;
            }
        }
        CHECK(got == flight_len);
        {
            uint8_t ccs[16];
            size_t ccs_len;

            CHECK(warden_rec_write_ccs(&L.rec, ccs, sizeof(ccs), &ccs_len) ==
                  WARDEN_REC_OK);
            BIO_write(L.to_server, ccs, (int)ccs_len);
        }
        send_records(WARDEN_CT_HANDSHAKE, flight, flight_len);
        set_keys(WARDEN_REC_DIR_WRITE, WARDEN_REC_EPOCH_APPLICATION, ev[1],
                 ev + 2);
        set_keys(WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_APPLICATION, ev[1],
                 ev + 2 + ev[1] + 12);
        L.connected = 1;
        break;
    case WD_TLS_EV_TLS12:
        /* The server chose TLS 1.2: u16 suite. */
        CHECK(ev_len == 3);
        L.suite = (unsigned)(ev[1] << 8 | ev[2]);
        CHECK(warden_rec_set_version(&L.rec, WARDEN_TLS_1_2) ==
              WARDEN_REC_OK);
        L.tls12 = 1;
        break;
    case WD_TLS_EV_TLS12_KEYS: {
        /* key length, client key, salt, server key, salt, flight and
         * Finished lengths */
        size_t kl = ev[1], fin_len;

        CHECK(ev_len == 2 + 2 * (kl + WARDEN_REC_SALT_LEN) + 4);
        flight_len = (size_t)(ev[ev_len - 4] << 8 | ev[ev_len - 3]);
        fin_len = (size_t)(ev[ev_len - 2] << 8 | ev[ev_len - 1]);
        for (got = 0; got < flight_len; got += resp_len) {
            req[0] = L.session;
            req[1] = (uint8_t)(got >> 8);
            req[2] = (uint8_t)got;
            CHECK(call(WD_CMD_TLS_FLIGHT, req, 3) == WD_STATUS_OK);
            memcpy(flight + got, resp, resp_len);
            if (resp_len == 0) {
                break;
            }
        }
        CHECK(got == flight_len && fin_len == 16 && flight_len > fin_len);
        send_records(WARDEN_CT_HANDSHAKE, flight, flight_len - fin_len);
        {
            uint8_t ccs[16];
            size_t ccs_len;

            CHECK(warden_rec_write_ccs(&L.rec, ccs, sizeof(ccs), &ccs_len) ==
                  WARDEN_REC_OK);
            BIO_write(L.to_server, ccs, (int)ccs_len);
        }
        set_keys(WARDEN_REC_DIR_WRITE, WARDEN_REC_EPOCH_APPLICATION, kl,
                 ev + 2);
        send_records(WARDEN_CT_HANDSHAKE, flight + flight_len - fin_len,
                     fin_len);
        L.peer_key_len = kl;
        memcpy(L.peer_key, ev + 2 + kl + WARDEN_REC_SALT_LEN,
               kl + WARDEN_REC_SALT_LEN);
        break;
    }
    case WD_TLS_EV_TLS12_DONE:
        CHECK(ev_len == 1);
        L.connected = 1;
        break;
    case WD_TLS_EV_KEY_UPDATE:
        set_keys(WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_APPLICATION, ev[1],
                 ev + 2);
        if (ev[ev_len - 1]) {
            req[0] = L.session;
            req[1] = WD_TLS_CLIENT_WRITE;
            CHECK(call(WD_CMD_TLS_KEY_UPDATE, req, 2) == WD_STATUS_OK);
            send_records(WARDEN_CT_HANDSHAKE,
                         resp + 1 + resp[0] + WARDEN_REC_IV_LEN, 5);
            set_keys(WARDEN_REC_DIR_WRITE, WARDEN_REC_EPOCH_APPLICATION,
                     resp[0], resp + 1);
        }
        break;
    default:
        CHECK(!"unknown event");
    }
}

/* Takes whole handshake messages out of the reassembly buffer. */
static void
drain_messages(void)
{
    size_t len;

    while (L.failure == WD_STATUS_OK && L.hs_len >= 4) {
        len = 4 + ((size_t)L.hs[1] << 16 | (size_t)L.hs[2] << 8 | L.hs[3]);
        if (L.hs_len < len) {
            return;
        }
        deliver(L.hs, len);
        memmove(L.hs, L.hs + len, L.hs_len - len);
        L.hs_len -= len;
    }
}

/* Reads what the server wrote, record by record. */
static void
pump(void)
{
    struct warden_rec_msg m;
    size_t used;
    int n, r;

    while ((n = BIO_read(L.from_server, L.in + L.in_len,
                         (int)(sizeof(L.in) - L.in_len))) > 0) {
        L.in_len += (size_t)n;
    }
    while (L.in_len > 0 && L.failure == WD_STATUS_OK) {
        r = warden_rec_read(&L.rec, L.in, L.in_len, &used, &m);
        memmove(L.in, L.in + used, L.in_len - used);
        L.in_len -= used;
        if (r == WARDEN_REC_WANT_READ) {
            return;
        }
        if (r == WARDEN_REC_PEER_ALERT) {
            L.peer_alert = (int)m.alert_desc;
            return;
        }
        if (r != WARDEN_REC_OK) {
            /* Expected only when a test changed what the keys came from. */
            CHECK(L.tamper == TAMPER_ANY);
            L.record_failed = 1;
            return;
        }
        if (m.type == WARDEN_CT_CHANGE_CIPHER_SPEC) {
            /* TLS 1.2: the server's keys from the next record on. */
            CHECK(L.peer_key_len != 0 && L.hs_len == 0);
            set_keys(WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_APPLICATION,
                     L.peer_key_len, L.peer_key);
            L.peer_key_len = 0;
        } else if (m.type == WARDEN_CT_HANDSHAKE) {
            memcpy(L.hs + L.hs_len, m.data, m.len);
            L.hs_len += m.len;
            drain_messages();
        } else if (m.type == WARDEN_CT_APPLICATION_DATA) {
            if (L.app_len + m.len <= sizeof(L.app)) {
                memcpy(L.app + L.app_len, m.data, m.len);
            }
            L.app_len += m.len;
        }
    }
}

/*
 * What a downgrading middlebox does: TLS 1.3 in the ClientHello's
 * supported_versions becomes an unknown (GREASE, RFC 8701) version,
 * which the server ignores, so it answers with TLS 1.2.
 */
static void
strip_tls13(uint8_t *hello, size_t len)
{
    size_t off = 4 + 2 + 32, end, i;
    int found = 0;

    off += 1 + hello[off];                                 /* session id */
    off += 2 + ((size_t)hello[off] << 8 | hello[off + 1]);    /* suites */
    off += 1 + hello[off];                                 /* compression */
    off += 2;                                           /* extensions */
    while (off + 4 <= len) {
        unsigned type = (unsigned)(hello[off] << 8 | hello[off + 1]);
        size_t n = (size_t)hello[off + 2] << 8 | hello[off + 3];

        if (type == 43) {
            end = off + 4 + n;
            for (i = off + 5; i + 1 < end; i += 2) {
                if (hello[i] == 0x03 && hello[i + 1] == 0x04) {
                    hello[i] = 0x0a;
                    hello[i + 1] = 0x0a;
                    found = 1;
                }
            }
        }
        off += 4 + n;
    }
    CHECK(found);
}

/* Runs a handshake as far as it goes; 1 if both ends are connected. */
static int
handshake(const struct server_opts *o, const char *peer_name,
          enum tamper tamper)
{
    static uint8_t req[512];
    size_t n = 0, i;
    int done = 0;

    memset(&L, 0, sizeof(L));
    L.peer_alert = -1;
    L.tamper = tamper;
    msg_count = 0;
    L.ssl = server_new(o, &L.to_server, &L.from_server);
    CHECK(warden_rec_init(&L.rec, WARDEN_TLS_1_3, L.rbuf, sizeof(L.rbuf)) ==
          WARDEN_REC_OK);

    /* The host's clock: now. */
    {
        uint64_t now = (uint64_t)time(NULL);

        for (i = 0; i < 8; i++) {
            req[i] = (uint8_t)(now >> (56 - 8 * i));
        }
    }
    n = 8;
    req[n++] = (uint8_t)strlen(peer_name);
    memcpy(req + n, peer_name, strlen(peer_name));
    n += strlen(peer_name);
    req[n++] = 0; /* no ALPN */
    req[n++] = 0; /* the policy's suites */
    req[n++] = 0; /* and groups */
    if (call(WD_CMD_TLS_OPEN, req, n) != WD_STATUS_OK) {
        return 0;
    }
    L.session = resp[0];
    L.hello_len = resp_len - 1 < sizeof(L.hello) ? resp_len - 1 : 0;
    memcpy(L.hello, resp + 1, L.hello_len);
    if (tamper == TAMPER_DOWNGRADE) {
        strip_tls13(resp + 1, resp_len - 1);
    }
    send_records(WARDEN_CT_HANDSHAKE, resp + 1, resp_len - 1);

    for (i = 0; i < 20 && L.failure == WD_STATUS_OK && L.peer_alert < 0;
         i++) {
        int r = SSL_do_handshake(L.ssl);

        if (r == 1) {
            done = 1;
        }
        pump();
        if (done && L.connected) {
            break;
        }
    }
    /* The server only finishes once it has read the client's flight. */
    if (L.connected && !done) {
        done = SSL_do_handshake(L.ssl) == 1;
    }
    if (!(done && L.connected && L.failure == WD_STATUS_OK) &&
        getenv("WT_VERBOSE")) {
        unsigned long e = ERR_peek_last_error();

        fprintf(stderr,
                "handshake with %s stopped: companion %s, server alert %d, "
                "connected %d, server done %d, openssl: %s\n",
                peer_name, wd_status_name(L.failure), L.peer_alert,
                L.connected, done, e ? ERR_error_string(e, NULL) : "-");
        CHECK(call(WD_CMD_TLS_STATUS, &L.session, 1) == WD_STATUS_OK);
        fprintf(stderr, "  session state %u alert %u reason %u\n", resp[0],
                resp[1], resp[2]);
    }
    return done && L.connected && L.failure == WD_STATUS_OK &&
           !L.record_failed;
}

static void
tls_status(uint8_t *st)
{
    CHECK(call(WD_CMD_TLS_STATUS, &L.session, 1) == WD_STATUS_OK);
    memcpy(st, resp, resp_len);
}

static void
finish(void)
{
    CHECK(call(WD_CMD_TLS_CLOSE, &L.session, 1) == WD_STATUS_OK);
    warden_rec_wipe(&L.rec);
    SSL_free(L.ssl);
}

/* Data both ways, len bytes each, over the established connection. */
static void
exchange(size_t len)
{
    static uint8_t out[1 << 16], got[1 << 16];
    size_t i, have = 0;
    int n;

    for (i = 0; i < len; i++) {
        out[i] = (uint8_t)(i * 13 + 5);
    }
    send_records(WARDEN_CT_APPLICATION_DATA, out, len);
    while (have < len && (n = SSL_read(L.ssl, got + have,
                                       (int)(len - have))) > 0) {
        have += (size_t)n;
    }
    CHECK(have == len && memcmp(got, out, len) == 0);
    L.app_len = 0;
    CHECK(SSL_write(L.ssl, out, (int)len) == (int)len);
    pump();
    CHECK(L.app_len == len && memcmp(L.app, out, len) == 0);
}

static int
contains(const uint8_t *hay, size_t hay_len, const uint8_t *needle,
         size_t len)
{
    size_t i;

    for (i = 0; i + len <= hay_len; i++) {
        if (memcmp(hay + i, needle, len) == 0) {
            return 1;
        }
    }
    return 0;
}

/*
 * Key shares made ahead while idle (wc_companion_idle) go into the next
 * ClientHello, once: the handshake completes with them for either group
 * the server picks, and the next ClientHello has fresh ones.
 */
static void
test_pooled_shares(void)
{
    static const char *const groups[] = {"X25519", "P-256"};
    struct server_opts o = {NULL, NULL, 1, NULL, 0, NULL, 0};
    uint8_t x25519[32], p256[65], st[64];
    unsigned j;

    for (j = 0; j < 2; j++) {
        CHECK(wc_companion_idle(&comp) == 1); /* one made, one to go */
        CHECK(wc_companion_idle(&comp) == 0);
        CHECK(wc_companion_idle(&comp) == 0); /* nothing left to do */
        memcpy(x25519, comp.ecdhe_pool.key[0].pub, sizeof(x25519));
        memcpy(p256, comp.ecdhe_pool.key[1].pub, sizeof(p256));
        o.groups = groups[j];
        CHECK(handshake(&o, "localhost", NONE));
        CHECK(contains(L.hello, L.hello_len, x25519, sizeof(x25519)));
        CHECK(contains(L.hello, L.hello_len, p256, sizeof(p256)));
        CHECK(!comp.ecdhe_pool.ready[0] && !comp.ecdhe_pool.ready[1]);
        tls_status(st);
        CHECK(st[WD_TLSS_STATE] == 2);
        exchange(100);
        finish();
        /* Not refilled: this ClientHello's shares are made on demand. */
        CHECK(handshake(&o, "localhost", NONE));
        CHECK(!contains(L.hello, L.hello_len, x25519, sizeof(x25519)));
        CHECK(!contains(L.hello, L.hello_len, p256, sizeof(p256)));
        finish();
    }
}

static void
test_suites_and_groups(void)
{
    static const char *const suites[] = {
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
        "TLS_AES_128_CCM_SHA256"};
    static const char *const groups[] = {"X25519", "P-256", "P-384"};
    static const unsigned suite_ids[] = {0x1301, 0x1302, 0x1304};
    static const unsigned group_ids[] = {29, 23, 24};
    struct server_opts o = {NULL, NULL, 1, NULL, 0, NULL, 0};
    uint8_t st[64];
    unsigned i, j;

    for (i = 0; i < 3; i++) {
        for (j = 0; j < 3; j++) {
            o.suites = suites[i];
            o.groups = groups[j];
            CHECK(handshake(&o, "localhost", NONE));
            tls_status(st);
            CHECK(st[WD_TLSS_STATE] == 2);
            CHECK(wd_get16(st + WD_TLSS_SUITE) == suite_ids[i]);
            CHECK(wd_get16(st + WD_TLSS_GROUP) == group_ids[j]);
            /* P-384 gets no share in the first ClientHello. */
            CHECK(!!(st[WD_TLSS_FLAGS] & WD_TLSS_F_HRR) == (j == 2));
            CHECK(st[WD_TLSS_FLAGS] & WD_TLSS_F_CLIENT_CERT);
            CHECK(st[WD_TLSS_CHAIN_LEN] == 2);
            /* OpenSSL verified the device chain. */
            CHECK(SSL_get_verify_result(L.ssl) == X509_V_OK);
            {
                X509 *peer = SSL_get1_peer_certificate(L.ssl);

                CHECK(peer != NULL);
                X509_free(peer);
            }
            exchange(3000);
            finish();
        }
    }
}

static void
test_no_request_tickets_key_update_bulk(void)
{
    struct server_opts o = {NULL, NULL, 0, NULL, 0, NULL, 0};
    uint8_t st[64];
    size_t total;

    CHECK(handshake(&o, "127.0.0.1", NONE));
    tls_status(st);
    CHECK(!(st[WD_TLSS_FLAGS] & WD_TLSS_F_CLIENT_CERT));
    CHECK(!(st[WD_TLSS_FLAGS] & WD_TLSS_F_CERT_REQUESTED));
    /* Tickets arrive with the first data and are dropped. */
    exchange(100);
    CHECK(SSL_key_update(L.ssl, SSL_KEY_UPDATE_REQUESTED) == 1);
    exchange(5000);
    exchange(200);
    for (total = 0; total < 256 * 1024; total += 65536) {
        exchange(65536);
    }
    finish();
}

static void
expect_refusal(const struct server_opts *o, const char *name,
               enum tamper t, uint8_t alert, uint8_t reason)
{
    uint8_t st[64];

    CHECK(!handshake(o, name, t));
    tls_status(st);
    if (st[WD_TLSS_STATE] != 3 || st[WD_TLSS_ALERT] != alert ||
        st[WD_TLSS_REASON] != reason) {
        fprintf(stderr, "refusal for %s: state %u alert %u reason %u\n", name,
                st[0], st[1], st[2]);
    }
    CHECK(st[WD_TLSS_STATE] == 3);
    CHECK(st[WD_TLSS_ALERT] == alert);
    CHECK(st[WD_TLSS_REASON] == reason);
    finish();
}

/*
 * Chains made for each classic mistake, under the dev root (its key is
 * in the PKI folder) unless the mistake is the root itself.
 */
static void
test_made_chains(void)
{
    static const struct made_opts ica_opts = {"Made ICA", 1, NULL, -3600,
                                              86400, 0, 0};
    struct made_opts leaf = {"localhost", 0, "DNS:localhost", -3600, 86400,
                             0, 0};
    X509 *root = wt_pki_load_cert(pki, "root.pem");
    EVP_PKEY *root_key = wt_pki_load_key(pki, "root.key");
    EVP_PKEY *k[4];
    struct made_chain c;
    struct server_opts o = {NULL, NULL, 0, &c, 0, NULL, 0};
    uint8_t st[64];
    int i;

    /* Three intermediates, sent out of order: path building copes. */
    {
        struct made_opts i1 = ica_opts, i2 = ica_opts, i3 = ica_opts;

        i1.cn = "Made ICA 1";
        i2.cn = "Made ICA 2";
        i3.cn = "Made ICA 3";
        memset(&c, 0, sizeof(c));
        c.cert[3] = make_cert(&i1, root, root_key, &k[0]);
        c.cert[1] = make_cert(&i2, c.cert[3], k[0], &k[1]);
        c.cert[2] = make_cert(&i3, c.cert[1], k[1], &k[2]);
        c.cert[0] = make_cert(&leaf, c.cert[2], k[2], &c.leaf_key);
        c.count = 4;
        CHECK(handshake(&o, "localhost", NONE));
        tls_status(st);
        CHECK(st[WD_TLSS_CHAIN_LEN] == 4);
        exchange(100);
        finish();
    }
    free_chain(&c);
    for (i = 0; i < 3; i++) {
        EVP_PKEY_free(k[i]);
    }

    /* Expired, and not yet valid. */
    leaf.from = -2 * 86400;
    leaf.to = -86400;
    memset(&c, 0, sizeof(c));
    c.cert[0] = make_cert(&leaf, root, root_key, &c.leaf_key);
    c.count = 1;
    expect_refusal(&o, "localhost", NONE, 45, WC_VERIFY_EXPIRED);
    free_chain(&c);
    leaf.from = 86400;
    leaf.to = 2 * 86400;
    c.cert[0] = make_cert(&leaf, root, root_key, &c.leaf_key);
    c.count = 1;
    expect_refusal(&o, "localhost", NONE, 45, WC_VERIFY_NOT_YET_VALID);
    free_chain(&c);
    leaf.from = -3600;
    leaf.to = 86400;

    /* Self-signed leaf. */
    c.cert[0] = make_cert(&leaf, NULL, NULL, &c.leaf_key);
    c.count = 1;
    expect_refusal(&o, "localhost", NONE, 48, WC_VERIFY_NO_ISSUER);
    free_chain(&c);

    /* Missing intermediate: the server sends only its leaf. */
    {
        X509 *ica = make_cert(&ica_opts, root, root_key, &k[0]);

        c.cert[0] = make_cert(&leaf, ica, k[0], &c.leaf_key);
        c.count = 1;
        expect_refusal(&o, "localhost", NONE, 48, WC_VERIFY_NO_ISSUER);
        free_chain(&c);
        X509_free(ica);
        EVP_PKEY_free(k[0]);
    }

    /* An RSA-only server cannot sign what the companion accepts. */
    leaf.rsa = 1;
    c.cert[0] = make_cert(&leaf, root, root_key, &c.leaf_key);
    c.count = 1;
    CHECK(!handshake(&o, "localhost", NONE));
    tls_status(st);
    /* OpenSSL refuses first: no signature scheme it can use. */
    CHECK(L.peer_alert == 40 ||
          (st[WD_TLSS_STATE] == 3 && st[WD_TLSS_ALERT] == 43));
    finish();
    free_chain(&c);

    X509_free(root);
    EVP_PKEY_free(root_key);
}

static void
test_refusals(void)
{
    struct server_opts o = {NULL, NULL, 1, NULL, 0, NULL, 0};

    expect_refusal(&o, "example.com", NONE, 46, WC_VERIFY_NAME_MISMATCH);
    expect_refusal(&o, "127.0.0.2", NONE, 46, WC_VERIFY_NAME_MISMATCH);

    /* A root the server's chain does not lead to. */
    provision(NULL, WD_CURVE_P256);
    expect_refusal(&o, "localhost", NONE, 48, WC_VERIFY_NO_ISSUER);
    provision("root.pem", WD_CURVE_P256);
}

/* A flipped bit in the server's signature or Finished: decrypt_error. */
static void
test_tampering(void)
{
    struct server_opts o = {NULL, NULL, 0, NULL, 0, NULL, 0};

    expect_refusal(&o, "localhost", TAMPER_CV, 51, 0);
    expect_refusal(&o, "localhost", TAMPER_FINISHED, 51, 0);
}

/*
 * Every byte of every server handshake message is under the transcript:
 * one changed byte anywhere must end the handshake (in the companion, or
 * in the host's record layer when the keys no longer agree), never
 * connect, never crash (sanitizer builds), and leave the companion
 * serving the next handshake.
 */
static void
any_changed_byte_refused(unsigned version, unsigned rounds, uint64_t x)
{
    struct server_opts o = {NULL, NULL, 1, NULL, version, NULL, 0};
    unsigned i, refused = 0;

    for (i = 0; i < rounds; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* 1.3: SH, EE, CR, Cert, CV, Fin; 1.2: SH, Cert, SKE, CR, SHD, Fin */
        tamper_msg = (unsigned)(x % 6);
        tamper_at = (unsigned)(x >> 8);
        tamper_bits = (uint8_t)((x >> 40) | 1);
        if (!handshake(&o, "localhost", TAMPER_ANY)) {
            refused++;
        }
        CHECK(!L.connected);
        finish();
    }
    CHECK(refused == rounds);
    /* And the companion still connects afterwards. */
    CHECK(handshake(&o, "localhost", NONE));
    exchange(10);
    finish();
}

static void
test_any_changed_byte_refused(void)
{
    any_changed_byte_refused(0, 150, 0x9e3779b97f4a7c15ull);
}

/*
 * RFC 8446 4.2: a ServerHello that repeats an extension is malformed
 * (decode_error), even where the copies agree. Without the repeat the
 * same ServerHello fails later, on its missing key_share
 * (illegal_parameter), so the alert shows which check fired.
 */
static void
test_repeated_extension(void)
{
    static const uint8_t open_req[] = {0, 0, 0, 0, 0x6a, 0, 0, 0, 9,  'l',
                                       'o', 'c', 'a', 'l', 'h', 'o', 's', 't',
                                       0, 0, 0};
    uint8_t sh[128], req[130], st[64];
    size_t n = 0;
    int twice;

    for (twice = 0; twice <= 1; twice++) {
        CHECK(call(WD_CMD_TLS_OPEN, open_req, sizeof(open_req)) ==
              WD_STATUS_OK);
        L.session = resp[0];
        n = 0;
        sh[n++] = 2;
        n += 3; /* length, below */
        sh[n++] = 3;
        sh[n++] = 3;
        memset(sh + n, 0x42, 32);
        n += 32;
        sh[n++] = 32;
        /* Echo the session id: ClientHello type 1, header 4, version 2,
         * random 32, then the id's length byte. */
        memcpy(sh + n, resp + 1 + 4 + 2 + 32 + 1, 32);
        n += 32;
        sh[n++] = 0x13;
        sh[n++] = 0x01;
        sh[n++] = 0;
        sh[n++] = 0;
        sh[n++] = (uint8_t)(twice ? 12 : 6);
        memcpy(sh + n, "\x00\x2b\x00\x02\x03\x04", 6);
        n += 6;
        if (twice) {
            memcpy(sh + n, "\x00\x2b\x00\x02\x03\x04", 6);
            n += 6;
        }
        sh[1] = 0;
        sh[2] = 0;
        sh[3] = (uint8_t)(n - 4);
        req[0] = L.session;
        req[1] = 0;
        memcpy(req + 2, sh, n);
        CHECK(call(WD_CMD_TLS_RECEIVE, req, 2 + n) == WD_STATUS_TLS_FAILED);
        tls_status(st);
        CHECK(st[WD_TLSS_ALERT] == (twice ? 50 : 47));
        CHECK(call(WD_CMD_TLS_CLOSE, &L.session, 1) == WD_STATUS_OK);
    }
}

static void
test_outside_policy(void)
{
    struct server_opts o = {"TLS_CHACHA20_POLY1305_SHA256", NULL, 0, NULL, 0, NULL, 0};

    /* The server finds nothing it shares with the companion's offer. */
    CHECK(!handshake(&o, "localhost", NONE));
    CHECK(L.peer_alert == 40);
    finish();
    o.suites = NULL;
    o.groups = "X448:ffdhe2048";
    CHECK(!handshake(&o, "localhost", NONE));
    CHECK(L.peer_alert == 40);
    finish();
}

/* ---- TLS 1.2 (issue 5) ---- */

/* A chain for localhost under the dev root, its leaf on P-384. */
static void
p384_chain(struct made_chain *c)
{
    struct made_opts leaf = {"localhost", 0, "DNS:localhost", -3600, 86400,
                             0, 1};
    X509 *root = wt_pki_load_cert(pki, "root.pem");
    EVP_PKEY *root_key = wt_pki_load_key(pki, "root.key");

    memset(c, 0, sizeof(*c));
    c->cert[0] = make_cert(&leaf, root, root_key, &c->leaf_key);
    c->count = 1;
    X509_free(root);
    EVP_PKEY_free(root_key);
}

/*
 * Each TLS 1.2 suite with each group, server keys on P-256 and P-384,
 * client authentication; a 1.2-only server, so the sentinel is absent.
 */
static void
test_tls12_suites_and_groups(void)
{
    static const char *const ciphers[] = {
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-AES256-CCM"};
    static const unsigned suite_ids[] = {0xc02b, 0xc02c, 0xc0ac, 0xc0ad};
    static const char *const groups[] = {"X25519:P-256:P-384",
                                         "P-256:X25519:P-384",
                                         "P-384:P-256:X25519"};
    static const unsigned group_ids[] = {29, 23, 24};
    struct made_chain c384;
    struct server_opts o = {NULL, NULL, 1, NULL, SERVER_TLS12, NULL, 0};
    uint8_t st[64];
    unsigned i, j, k;

    p384_chain(&c384);
    for (k = 0; k < 2; k++) {
        o.chain = k == 0 ? NULL : &c384;
        for (i = 0; i < 4; i++) {
            for (j = 0; j < 3; j++) {
                o.ciphers = ciphers[i];
                o.groups = groups[j];
                CHECK(handshake(&o, "localhost", NONE));
                tls_status(st);
                CHECK(st[WD_TLSS_STATE] == 2);
                CHECK(wd_get16(st + WD_TLSS_VERSION) == 0x0303);
                CHECK(wd_get16(st + WD_TLSS_SUITE) == suite_ids[i]);
                CHECK(wd_get16(st + WD_TLSS_GROUP) == group_ids[j]);
                CHECK(st[WD_TLSS_FLAGS] & WD_TLSS_F_CLIENT_CERT);
                CHECK(SSL_version(L.ssl) == TLS1_2_VERSION);
                CHECK(SSL_get_verify_result(L.ssl) == X509_V_OK);
                CHECK(SSL_get_extms_support(L.ssl) == 1);
                exchange(3000);
                finish();
            }
        }
    }
    free_chain(&c384);
}

/* No CertificateRequest, then 1 MB each way. */
static void
test_tls12_no_request_bulk(void)
{
    struct server_opts o = {NULL, NULL, 0, NULL, SERVER_TLS12, NULL, 0};
    uint8_t st[64];
    size_t total;

    CHECK(handshake(&o, "localhost", NONE));
    tls_status(st);
    CHECK(wd_get16(st + WD_TLSS_VERSION) == 0x0303);
    CHECK(!(st[WD_TLSS_FLAGS] & WD_TLSS_F_CERT_REQUESTED));
    CHECK(!(st[WD_TLSS_FLAGS] & WD_TLSS_F_CLIENT_CERT));
    for (total = 0; total < 1024 * 1024; total += 65536) {
        exchange(65536);
    }
    finish();
}

/*
 * A server that shares nothing with the companion's offer: it answers
 * the ClientHello with an alert (handshake_failure, or protocol_version
 * for old versions). Where Debian 12's OpenSSL cannot be set up to
 * offer a suite at all (RC4 is not built), the case says so.
 */
static void
expect_server_refusal(const char *ciphers, int versions, int alert)
{
    struct server_opts o = {NULL, NULL, 0, NULL, versions, ciphers, 0};

    CHECK(!handshake(&o, "localhost", NONE));
    if (L.peer_alert != alert) {
        fprintf(stderr, "server with %s: alert %d, wanted %d\n",
                ciphers ? ciphers : "(default)", L.peer_alert, alert);
    }
    CHECK(L.peer_alert == alert);
    CHECK(!L.tls12 && !L.connected);
    finish();
}

static int
cipher_list_exists(const char *ciphers)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    int ok;

    SSL_CTX_set_security_level(ctx, 0);
    ok = SSL_CTX_set_cipher_list(ctx, ciphers) == 1;
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

static void
test_tls12_weak_servers(void)
{
    static const char *const weak[] = {
        /* CBC with ECDHE_ECDSA, SHA-256 and SHA-1 MACs */
        "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA",
        /* RSA key transport, even with AES-GCM */
        "AES128-GCM-SHA256:AES256-SHA",
        /* ECDHE_RSA: a signature the companion does not accept */
        "ECDHE-RSA-AES128-GCM-SHA256",
        /* CCM_8: an 8-byte tag */
        "ECDHE-ECDSA-AES128-CCM8",
        "DES-CBC3-SHA",
        "NULL-SHA256:ECDHE-ECDSA-NULL-SHA",
        "RC4-SHA:ECDHE-ECDSA-RC4-SHA",
    };
    size_t i;

    for (i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
        if (!cipher_list_exists(weak[i])) {
            printf("  skipped: this OpenSSL cannot offer %s\n", weak[i]);
            continue;
        }
        expect_server_refusal(weak[i], SERVER_TLS12, 40);
    }
    /* TLS 1.0 and 1.1 only: the ClientHello offers neither. */
    expect_server_refusal(NULL, SERVER_TLS10_11, 70);
}

/* RFC 7627 5.3: no extended master secret, handshake_failure. */
static void
test_tls12_no_ems(void)
{
    struct server_opts o = {NULL, NULL, 0, NULL, SERVER_TLS12, NULL, 1};

    expect_refusal(&o, "localhost", NONE, 40, WD_TLS_REASON_NO_EMS);
    CHECK(L.tls12 == 0);
}

/* A HelloRequest after the handshake: refused with no_renegotiation. */
static void
test_tls12_renegotiation(void)
{
    struct server_opts o = {NULL, NULL, 0, NULL, SERVER_TLS12, NULL, 0};
    uint8_t st[64];

    CHECK(handshake(&o, "localhost", NONE));
    exchange(100);
    CHECK(SSL_renegotiate(L.ssl) == 1);
    SSL_do_handshake(L.ssl);
    pump();
    CHECK(L.failure == WD_STATUS_TLS_FAILED);
    tls_status(st);
    CHECK(st[WD_TLSS_STATE] == 3);
    CHECK(st[WD_TLSS_ALERT] == 100);
    CHECK(st[WD_TLSS_REASON] == WD_TLS_REASON_RENEGOTIATION);
    finish();
}

/* Tampered ServerKeyExchange signature and server Finished. */
static void
test_tls12_tampering(void)
{
    struct server_opts o = {NULL, NULL, 1, NULL, SERVER_TLS12, NULL, 0};

    expect_refusal(&o, "localhost", TAMPER_SKE, 51, 0);
    o.request_cert = 0;
    expect_refusal(&o, "localhost", TAMPER_FINISHED, 51, 0);
    /* The host had the keys: the Finished came under them, and failed. */
    CHECK(L.tls12);
}

/*
 * RFC 8446 4.1.3: a middlebox takes TLS 1.3 out of the ClientHello. A
 * server that speaks TLS 1.3 answers TLS 1.2 and marks its random; the
 * companion refuses the ServerHello (illegal_parameter) before anything
 * else. The same middlebox in front of a TLS 1.2-only server (no mark)
 * gets past the ServerHello: what stops it there is the server, which
 * cannot open our Finished record (bad_record_mac) since the extended
 * master secret, and so the keys, cover the altered ClientHello. So the
 * first refusal is the sentinel's.
 */
static void
test_tls12_downgrade_sentinel(void)
{
    struct server_opts o = {NULL, NULL, 0, NULL, SERVER_TLS12_13, NULL, 0};

    expect_refusal(&o, "localhost", TAMPER_DOWNGRADE, 47,
                   WD_TLS_REASON_DOWNGRADE);
    CHECK(!L.tls12);
    o.versions = SERVER_TLS12;
    CHECK(!handshake(&o, "localhost", TAMPER_DOWNGRADE));
    CHECK(L.tls12);
    CHECK(L.peer_alert == 20);
    finish();

    /* Without the middlebox, the same server speaks TLS 1.3. */
    o.versions = SERVER_TLS12_13;
    CHECK(handshake(&o, "localhost", NONE));
    CHECK(!L.tls12 && SSL_version(L.ssl) == TLS1_3_VERSION);
    exchange(10);
    finish();
}

/*
 * A TLS 1.2 ServerHello made here with version, suite, random tail (8
 * bytes, or NULL), our session id echoed or a fresh one, and extension
 * bytes; the companion's verdict in alert and reason.
 */
static void
tls12_hello(unsigned version, unsigned suite, const char *tail, int echo,
            const uint8_t *exts, size_t exts_len, uint8_t alert,
            uint8_t reason)
{
    static const uint8_t open_req[] = {0, 0, 0, 0, 0x6a, 0, 0, 0, 9,  'l',
                                       'o', 'c', 'a', 'l', 'h', 'o', 's', 't',
                                       0, 0, 0};
    uint8_t sh[256], req[260], st[64];
    size_t n = 0;

    CHECK(call(WD_CMD_TLS_OPEN, open_req, sizeof(open_req)) == WD_STATUS_OK);
    L.session = resp[0];
    sh[n++] = 2;
    n += 3;
    sh[n++] = (uint8_t)(version >> 8);
    sh[n++] = (uint8_t)version;
    memset(sh + n, 0x42, 32);
    if (tail != NULL) {
        memcpy(sh + n + 24, tail, 8);
    }
    n += 32;
    sh[n++] = 32;
    if (echo) {
        memcpy(sh + n, resp + 1 + 4 + 2 + 32 + 1, 32);
    } else {
        memset(sh + n, 0x17, 32);
    }
    n += 32;
    sh[n++] = (uint8_t)(suite >> 8);
    sh[n++] = (uint8_t)suite;
    sh[n++] = 0;
    sh[n++] = (uint8_t)(exts_len >> 8);
    sh[n++] = (uint8_t)exts_len;
    memcpy(sh + n, exts, exts_len);
    n += exts_len;
    sh[1] = 0;
    sh[2] = 0;
    sh[3] = (uint8_t)(n - 4);
    req[0] = L.session;
    req[1] = 0;
    memcpy(req + 2, sh, n);
    if (alert == 0) {
        CHECK(call(WD_CMD_TLS_RECEIVE, req, 2 + n) == WD_STATUS_OK);
        CHECK(resp_len == 3 && resp[0] == WD_TLS_EV_TLS12);
    } else {
        CHECK(call(WD_CMD_TLS_RECEIVE, req, 2 + n) == WD_STATUS_TLS_FAILED);
        tls_status(st);
        if (st[WD_TLSS_ALERT] != alert || st[WD_TLSS_REASON] != reason) {
            fprintf(stderr, "ServerHello 1.2: alert %u reason %u, wanted "
                    "%u %u\n", st[WD_TLSS_ALERT], st[WD_TLSS_REASON], alert,
                    reason);
        }
        CHECK(st[WD_TLSS_ALERT] == alert && st[WD_TLSS_REASON] == reason);
    }
    CHECK(call(WD_CMD_TLS_CLOSE, &L.session, 1) == WD_STATUS_OK);
}

/*
 * The companion's own ServerHello checks, where no real server can be
 * made to break them: each hello differs from an accepted one in one
 * thing.
 */
static void
test_tls12_server_hello_checks(void)
{
    /* renegotiation_info (empty) and extended_master_secret */
    static const uint8_t good[] = {0xff, 0x01, 0, 1, 0, 0, 23, 0, 0};
    static const uint8_t no_reneg[] = {0, 23, 0, 0};
    static const uint8_t no_ems[] = {0xff, 0x01, 0, 1, 0};
    static const uint8_t reneg_data[] = {0xff, 0x01, 0, 2, 1, 7, 0, 23, 0, 0};
    static const uint8_t ems_twice[] = {0xff, 0x01, 0, 1, 0, 0, 23, 0, 0,
                                        0, 23, 0, 0};
    static const uint8_t compressed_only[] = {0xff, 0x01, 0, 1, 0, 0, 23,
                                              0,    0,    0, 11, 0, 2,
                                              1,    1};
    static const uint8_t ticket[] = {0xff, 0x01, 0, 1, 0, 0, 23,
                                     0,    0,    0, 35, 0, 0};

    tls12_hello(0x0303, 0xc02b, NULL, 0, good, sizeof(good), 0, 0);
    tls12_hello(0x0303, 0xc0ad, NULL, 0, good, sizeof(good), 0, 0);
    /* Older versions; the TLS 1.3 server's sentinel. */
    tls12_hello(0x0302, 0xc02b, NULL, 0, good, sizeof(good), 70,
                WD_TLS_REASON_OLD_VERSION);
    tls12_hello(0x0301, 0xc02b, NULL, 0, good, sizeof(good), 70,
                WD_TLS_REASON_OLD_VERSION);
    tls12_hello(0x0303, 0xc02b, "DOWNGRD\001", 0, good, sizeof(good), 47,
                WD_TLS_REASON_DOWNGRADE);
    /* Suites outside policy: CBC, RSA key transport, CCM_8, TLS 1.3. */
    tls12_hello(0x0303, 0xc023, NULL, 0, good, sizeof(good), 47, 0);
    tls12_hello(0x0303, 0x009c, NULL, 0, good, sizeof(good), 47, 0);
    tls12_hello(0x0303, 0xc0ae, NULL, 0, good, sizeof(good), 47, 0);
    tls12_hello(0x0303, 0x1301, NULL, 0, good, sizeof(good), 47, 0);
    /* Resumption of a session that never was. */
    tls12_hello(0x0303, 0xc02b, NULL, 1, good, sizeof(good), 47, 0);
    /* RFC 7627, RFC 5746, RFC 8422 5.2, extensions not offered. */
    tls12_hello(0x0303, 0xc02b, NULL, 0, no_ems, sizeof(no_ems), 40,
                WD_TLS_REASON_NO_EMS);
    tls12_hello(0x0303, 0xc02b, NULL, 0, no_reneg, sizeof(no_reneg), 40,
                WD_TLS_REASON_NO_RENEG_INFO);
    tls12_hello(0x0303, 0xc02b, NULL, 0, reneg_data, sizeof(reneg_data), 40,
                WD_TLS_REASON_NO_RENEG_INFO);
    tls12_hello(0x0303, 0xc02b, NULL, 0, ems_twice, sizeof(ems_twice), 50,
                0);
    tls12_hello(0x0303, 0xc02b, NULL, 0, compressed_only,
                sizeof(compressed_only), 47, 0);
    tls12_hello(0x0303, 0xc02b, NULL, 0, ticket, sizeof(ticket), 110, 0);
}

/*
 * Every byte of the server's TLS 1.2 messages is under a check: one
 * changed byte must end the handshake and never connect.
 */
static void
test_tls12_any_changed_byte_refused(void)
{
    any_changed_byte_refused(SERVER_TLS12, 100, 0x2545f4914f6cdd1dull);
}

/* ---- secure boot and attestation (issue 6) ---- */

static size_t
spki_of(EVP_PKEY *key, uint8_t *out)
{
    unsigned char *p = out;
    int n = i2d_PUBKEY(key, &p);

    CHECK(n > 0);
    return n > 0 ? (size_t)n : 0;
}

/* The companion's remaining identity, a firmware-signing key, and LOCK. */
static void
lock_with_firmware_key(EVP_PKEY *firmware)
{
    static uint8_t req[4096];
    uint8_t name[] = {0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55,
                      0x04, 0x03, 0x0c, 0x04, 'a',  't',  's',  't'};
    EVP_PKEY *admin = EVP_EC_gen("P-256");
    size_t n;

    req[0] = WD_KEY_ATTESTATION;
    req[1] = WD_CURVE_P256;
    CHECK(call(WD_CMD_KEY_GENERATE, req, 2) == WD_STATUS_OK);
    req[0] = WD_KEY_ATTESTATION;
    memcpy(req + 1, name, sizeof(name));
    CHECK(call(WD_CMD_CSR_CREATE, req, 1 + sizeof(name)) == WD_STATUS_OK);
    n = wt_pki_sign_csr(pki, resp, resp_len, 4343, req + 2);
    req[0] = WD_CERT_ATTESTATION;
    req[1] = 0;
    CHECK(call(WD_CMD_CERT_INSTALL, req, 2 + n) == WD_STATUS_OK);
    req[0] = WD_PUBKEY_ADMIN;
    n = spki_of(admin, req + 1);
    CHECK(call(WD_CMD_PUBKEY_INSTALL, req, 1 + n) == WD_STATUS_OK);
    req[0] = WD_PUBKEY_FIRMWARE;
    n = spki_of(firmware, req + 1);
    CHECK(call(WD_CMD_PUBKEY_INSTALL, req, 1 + n) == WD_STATUS_OK);
    CHECK(call(WD_CMD_SERIAL_SET, "boot-0001", 9) == WD_STATUS_OK);
    CHECK(call(WD_CMD_LOCK, NULL, 0) == WD_STATUS_OK);
    EVP_PKEY_free(admin);
}

/* A BOOT request: version, key's signature over (measurement, signed). */
static size_t
boot_request(EVP_PKEY *key, const uint8_t m[32], uint32_t signed_version,
             uint32_t sent_version, const char *config, uint8_t *req)
{
    uint8_t form[WD_BOOT_SIGNED_LEN];
    size_t sig_len = 128, n;
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    wd_boot_signed_form(m, signed_version, form);
    wd_put32(req, sent_version);
    CHECK(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1);
    CHECK(EVP_DigestSign(md, req + 5, &sig_len, form, sizeof(form)) == 1);
    EVP_MD_CTX_free(md);
    req[4] = (uint8_t)sig_len;
    n = 5 + sig_len;
    req[n++] = (uint8_t)strlen(config);
    memcpy(req + n, config, strlen(config));
    return n + strlen(config);
}

static int
client_cert_sent(void)
{
    uint8_t st[64];

    tls_status(st);
    return (st[WD_TLSS_FLAGS] & WD_TLSS_F_CLIENT_CERT) != 0;
}

/* Checks the attestation signature with the attestation certificate. */
static int
attestation_verifies(const uint8_t *st, size_t st_len, const uint8_t *sig,
                     size_t sig_len, const uint8_t *cert_der, size_t cert_len)
{
    const unsigned char *p = cert_der;
    X509 *cert = d2i_X509(NULL, &p, (long)cert_len);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok;

    ok = cert != NULL &&
         EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
                              X509_get0_pubkey(cert)) == 1 &&
         EVP_DigestVerify(md, sig, sig_len, st, st_len) == 1;
    EVP_MD_CTX_free(md);
    X509_free(cert);
    return ok;
}

/*
 * Secure boot gating: once locked, the device key signs only on a
 * channel whose host firmware the companion measured (the platform's
 * measurement, never the host's) and the firmware key vouched for.
 */
static void
test_secure_boot(void)
{
    static uint8_t req[512], cert[2048], st[256], sig[128];
    struct server_opts required = {NULL, NULL, 1, NULL, 0, NULL, 0};
    struct server_opts optional = {NULL, NULL, 2, NULL, 0, NULL, 0};
    EVP_PKEY *firmware = EVP_EC_gen("P-256");
    EVP_PKEY *stranger = EVP_EC_gen("P-256");
    struct warden_attestation a;
    struct wc_channel other;
    uint8_t m[32], challenge[32];
    size_t n, cert_len, st_len, sig_len;
    unsigned i;

    memset(mp.host_image_hash, 0x5a, sizeof(mp.host_image_hash));
    lock_with_firmware_key(firmware);
    wt_memplat_measurement(&mp, "app.conf", m);
    /* The measurement as docs/secure-boot.md defines it, by libcrypto. */
    {
        uint8_t in[16 + 64], want[32];
        unsigned int want_len = 0;

        memcpy(in, "WARDEN-MEASURE-1", 16);
        memcpy(in + 16, mp.host_image_hash, 32);
        CHECK(EVP_Digest("app.conf", 8, in + 48, NULL, EVP_sha256(), NULL));
        CHECK(EVP_Digest(in, sizeof(in), want, &want_len, EVP_sha256(),
                         NULL) &&
              want_len == 32);
        CHECK_MEM(m, want, 32);
    }

    /* No boot report: server authentication works, the key stays locked. */
    CHECK(handshake(&optional, "localhost", NONE));
    CHECK(!client_cert_sent());
    {
        uint8_t stt[64];

        tls_status(stt);
        CHECK(stt[WD_TLSS_FLAGS] & WD_TLSS_F_KEY_LOCKED);
    }
    finish();
    CHECK(!handshake(&required, "localhost", NONE));
    finish();
    /* The same in TLS 1.2: an empty Certificate, no CertificateVerify. */
    optional.versions = SERVER_TLS12;
    required.versions = SERVER_TLS12;
    CHECK(handshake(&optional, "localhost", NONE));
    CHECK(L.tls12 && !client_cert_sent());
    {
        uint8_t stt[64];

        tls_status(stt);
        CHECK(stt[WD_TLSS_FLAGS] & WD_TLSS_F_KEY_LOCKED);
        CHECK(!(stt[WD_TLSS_FLAGS] & WD_TLSS_F_CLIENT_CERT));
    }
    finish();
    CHECK(!handshake(&required, "localhost", NONE));
    finish();
    optional.versions = SERVER_TLS13;
    required.versions = SERVER_TLS13;

    /* Refused: another key, another version, another configuration. */
    n = boot_request(stranger, m, 1, 1, "app.conf", req);
    CHECK(call(WD_CMD_BOOT, req, n) == WD_STATUS_BOOT_REFUSED);
    n = boot_request(firmware, m, 1, 2, "app.conf", req);
    CHECK(call(WD_CMD_BOOT, req, n) == WD_STATUS_BOOT_REFUSED);
    n = boot_request(firmware, m, 1, 1, "other.conf", req);
    CHECK(call(WD_CMD_BOOT, req, n) == WD_STATUS_BOOT_REFUSED);
    CHECK(!handshake(&required, "localhost", NONE));
    finish();
    /* The host's image changed: the old signature no longer fits. */
    mp.host_image_hash[0] ^= 1;
    n = boot_request(firmware, m, 1, 1, "app.conf", req);
    CHECK(call(WD_CMD_BOOT, req, n) == WD_STATUS_BOOT_REFUSED);
    mp.host_image_hash[0] ^= 1;
    mp.fail_measure = 1;
    CHECK(call(WD_CMD_BOOT, req, n) == WD_STATUS_NOT_MEASURED);
    mp.fail_measure = 0;

    /* Malformed reports. */
    CHECK(call(WD_CMD_BOOT, req, 4) == WD_STATUS_BAD_PAYLOAD);
    CHECK(call(WD_CMD_BOOT, req, n - 1) == WD_STATUS_BAD_PAYLOAD);
    CHECK(call(WD_CMD_BOOT, req, n + 1) == WD_STATUS_BAD_PAYLOAD);
    req[4] = 0;
    CHECK(call(WD_CMD_BOOT, req, n) == WD_STATUS_BAD_PAYLOAD);
    n = boot_request(firmware, m, 1, 1, "app.conf", req);
    req[n - 2] = 0; /* a NUL inside the configuration's name */
    CHECK(call(WD_CMD_BOOT, req, n) == WD_STATUS_BAD_PAYLOAD);

    /* The good report unlocks the key, on this channel only. */
    n = boot_request(firmware, m, 7, 7, "app.conf", req);
    CHECK(call(WD_CMD_BOOT, req, n) == WD_STATUS_OK);
    CHECK(resp_len == 33 && resp[0] == WD_BOOT_VERIFIED);
    CHECK_MEM(resp + 1, m, 32);
    CHECK(handshake(&required, "localhost", NONE));
    CHECK(client_cert_sent());
    CHECK(SSL_get_verify_result(L.ssl) == X509_V_OK);
    exchange(100);
    finish();
    required.versions = SERVER_TLS12;
    CHECK(handshake(&required, "localhost", NONE));
    CHECK(L.tls12 && client_cert_sent());
    CHECK(SSL_get_verify_result(L.ssl) == X509_V_OK);
    exchange(100);
    finish();
    required.versions = SERVER_TLS13;
    /* Another connection (here: the same memory, fresh) is locked. */
    {
        struct wc_channel saved = ch;

        wc_channel_init(&ch);
        CHECK(!handshake(&required, "localhost", NONE));
        finish();
        ch = saved;
    }
    wc_channel_init(&other);

    /* Attestation: the statement tells the boot result and answers. */
    for (i = 0; i < sizeof(challenge); i++) {
        challenge[i] = (uint8_t)(i * 7 + 1);
    }
    CHECK(call(WD_CMD_ATTEST, challenge, 15) == WD_STATUS_BAD_PAYLOAD);
    {
        uint8_t too_long[65] = {0};

        CHECK(call(WD_CMD_ATTEST, too_long, sizeof(too_long)) ==
              WD_STATUS_BAD_PAYLOAD);
    }
    CHECK(call(WD_CMD_ATTEST, challenge, sizeof(challenge)) == WD_STATUS_OK);
    st_len = wd_get16(resp);
    CHECK(st_len + 2 < resp_len && st_len <= sizeof(st));
    memcpy(st, resp + 2, st_len);
    sig_len = resp_len - 2 - st_len;
    memcpy(sig, resp + 2 + st_len, sig_len);
    memset(&a, 0, sizeof(a));
    CHECK(warden_attestation_parse(st, st_len, &a) == 0);
    CHECK(a.challenge_len == 32 && memcmp(a.challenge, challenge, 32) == 0);
    CHECK(strcmp(a.serial, "boot-0001") == 0);
    CHECK(a.lifecycle == WD_LIFECYCLE_OPERATIONAL);
    CHECK(a.boot_result == WARDEN_BOOT_VERIFIED && a.host_version == 7);
    CHECK_MEM(a.measurement, m, 32);
    CHECK(call(WD_CMD_CERT_READ, "\x02\x00", 2) == WD_STATUS_OK);
    cert_len = resp_len;
    memcpy(cert, resp, cert_len);
    CHECK(attestation_verifies(st, st_len, sig, sig_len, cert, cert_len));
    /* A changed challenge (or any byte) does not verify. */
    st[16] ^= 1;
    CHECK(!attestation_verifies(st, st_len, sig, sig_len, cert, cert_len));
    st[16] ^= 1;
    /* Another channel's statement: no boot report there. */
    CHECK(wt_call(&comp, &other, WD_CMD_ATTEST, challenge, 16, resp,
                  &resp_len) == WD_STATUS_OK);
    CHECK(warden_attestation_parse(resp + 2, wd_get16(resp), &a) == 0);
    CHECK(a.boot_result == WARDEN_BOOT_NONE && a.host_version == 0);

    /* RESET: sessions end, the key locks again. */
    CHECK(handshake(&required, "localhost", NONE));
    CHECK(call(WD_CMD_RESET, "x", 1) == WD_STATUS_BAD_PAYLOAD);
    CHECK(call(WD_CMD_RESET, NULL, 0) == WD_STATUS_OK);
    CHECK(call(WD_CMD_TLS_STATUS, &L.session, 1) == WD_STATUS_NO_SESSION);
    warden_rec_wipe(&L.rec);
    SSL_free(L.ssl);
    CHECK(!handshake(&required, "localhost", NONE));
    finish();
    CHECK(call(WD_CMD_ATTEST, challenge, 16) == WD_STATUS_OK);
    CHECK(warden_attestation_parse(resp + 2, wd_get16(resp), &a) == 0);
    CHECK(a.boot_result == WARDEN_BOOT_NONE);
    /* A failed report after a good one locks too. */
    n = boot_request(firmware, m, 7, 7, "app.conf", req);
    CHECK(call(WD_CMD_BOOT, req, n) == WD_STATUS_OK);
    n = boot_request(stranger, m, 7, 7, "app.conf", req);
    CHECK(call(WD_CMD_BOOT, req, n) == WD_STATUS_BOOT_REFUSED);
    CHECK(!handshake(&required, "localhost", NONE));
    finish();

    /*
     * Two programs on two channels. A good report on the other channel
     * unlocks nothing on this one, even with a session begun before it.
     */
    n = boot_request(firmware, m, 7, 7, "app.conf", req);
    CHECK(wt_call(&comp, &other, WD_CMD_BOOT, req, n, resp, &resp_len) ==
          WD_STATUS_OK);
    CHECK(!handshake(&required, "localhost", NONE));
    finish();
    CHECK(handshake(&optional, "localhost", NONE));
    CHECK(!client_cert_sent());
    finish();

    /*
     * RESET from the other channel while this channel's handshake is in
     * flight (ClientHello sent, no server flight yet): the session is
     * gone for its owner too, this channel's report is forgotten, and
     * the companion answers both channels as before.
     */
    CHECK(call(WD_CMD_BOOT, req, n) == WD_STATUS_OK);
    {
        uint8_t open[24] = {0};
        uint8_t session;

        open[8] = 9;
        memcpy(open + 9, "localhost", 9);
        CHECK(call(WD_CMD_TLS_OPEN, open, 8 + 1 + 9 + 3) == WD_STATUS_OK);
        session = resp[0];
        CHECK(wt_call(&comp, &other, WD_CMD_RESET, NULL, 0, resp, &resp_len) ==
              WD_STATUS_OK);
        CHECK(call(WD_CMD_TLS_STATUS, &session, 1) == WD_STATUS_NO_SESSION);
        CHECK(call(WD_CMD_TLS_CLOSE, &session, 1) == WD_STATUS_NO_SESSION);
    }
    CHECK(call(WD_CMD_ATTEST, challenge, 16) == WD_STATUS_OK);
    CHECK(warden_attestation_parse(resp + 2, wd_get16(resp), &a) == 0);
    CHECK(a.boot_result == WARDEN_BOOT_NONE);
    CHECK(wt_call(&comp, &other, WD_CMD_ATTEST, challenge, 16, resp,
                  &resp_len) == WD_STATUS_OK);
    CHECK(warden_attestation_parse(resp + 2, wd_get16(resp), &a) == 0);
    CHECK(a.boot_result == WARDEN_BOOT_NONE);
    CHECK(!handshake(&required, "localhost", NONE));
    finish();
    CHECK(call(WD_CMD_BOOT, req, n) == WD_STATUS_OK);
    CHECK(handshake(&required, "localhost", NONE));
    CHECK(client_cert_sent());
    finish();

    /*
     * However many RESETs come (a program can send them in a loop), a
     * report they voided stays void: the count must not come round to
     * the report's again. Moved on here by 2^32 - 1 resets at once.
     */
    comp.boot_epoch += 0xffffffffu;
    CHECK(call(WD_CMD_RESET, NULL, 0) == WD_STATUS_OK);
    CHECK(call(WD_CMD_ATTEST, challenge, 16) == WD_STATUS_OK);
    CHECK(warden_attestation_parse(resp + 2, wd_get16(resp), &a) == 0);
    CHECK(a.boot_result == WARDEN_BOOT_NONE);
    CHECK(!handshake(&required, "localhost", NONE));
    finish();

    EVP_PKEY_free(firmware);
    EVP_PKEY_free(stranger);
}

/*
 * Attestation tells one companion from another: a statement of this
 * companion does not verify with a second one's attestation certificate.
 */
static void
test_attestation_other_device(void)
{
    static uint8_t st[256], sig[128], cert_b[2048];
    EVP_PKEY *firmware = EVP_EC_gen("P-256");
    uint8_t challenge[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                             15, 16};
    size_t st_len, sig_len, cert_b_len;

    /* Device A (seed 11, from provision()), then device B (seed 12). */
    provision("root.pem", WD_CURVE_P256);
    lock_with_firmware_key(firmware);
    CHECK(call(WD_CMD_ATTEST, challenge, sizeof(challenge)) == WD_STATUS_OK);
    st_len = wd_get16(resp);
    memcpy(st, resp + 2, st_len);
    sig_len = resp_len - 2 - st_len;
    memcpy(sig, resp + 2 + st_len, sig_len);
    CHECK(call(WD_CMD_CERT_READ, "\x02\x00", 2) == WD_STATUS_OK);
    CHECK(attestation_verifies(st, st_len, sig, sig_len, resp, resp_len));

    wc_companion_wipe(&comp);
    wt_memplat_init(&mp, 12);
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_OK);
    wc_channel_init(&ch);
    {
        uint8_t req[2] = {WD_KEY_ATTESTATION, WD_CURVE_P256};
        uint8_t name[] = {0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03,
                          0x55, 0x04, 0x03, 0x0c, 0x02, 'b',  'b'};
        static uint8_t creq[4096];
        size_t n;

        CHECK(call(WD_CMD_KEY_GENERATE, req, 2) == WD_STATUS_OK);
        creq[0] = WD_KEY_ATTESTATION;
        memcpy(creq + 1, name, sizeof(name));
        CHECK(call(WD_CMD_CSR_CREATE, creq, 1 + sizeof(name)) ==
              WD_STATUS_OK);
        n = wt_pki_sign_csr(pki, resp, resp_len, 4444, creq + 2);
        creq[0] = WD_CERT_ATTESTATION;
        creq[1] = 0;
        CHECK(call(WD_CMD_CERT_INSTALL, creq, 2 + n) == WD_STATUS_OK);
        CHECK(call(WD_CMD_CERT_READ, "\x02\x00", 2) == WD_STATUS_OK);
        cert_b_len = resp_len;
        memcpy(cert_b, resp, cert_b_len);
    }
    CHECK(!attestation_verifies(st, st_len, sig, sig_len, cert_b,
                                cert_b_len));
    EVP_PKEY_free(firmware);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_tls_openssl PKI_DIR\n");
        return 2;
    }
    pki = argv[1];
    provision("root.pem", WD_CURVE_P256);
    test_suites_and_groups();
    test_pooled_shares();
    test_no_request_tickets_key_update_bulk();
    test_refusals();
    test_made_chains();
    test_tampering();
    test_any_changed_byte_refused();
    test_repeated_extension();
    test_outside_policy();
    test_tls12_suites_and_groups();
    test_tls12_no_request_bulk();
    test_tls12_weak_servers();
    test_tls12_no_ems();
    test_tls12_server_hello_checks();
    test_tls12_renegotiation();
    test_tls12_tampering();
    test_tls12_downgrade_sentinel();
    test_tls12_any_changed_byte_refused();
    provision("root.pem", WD_CURVE_P384);
    test_suites_and_groups();
    test_tls12_suites_and_groups();
    provision("root.pem", WD_CURVE_P256);
    test_secure_boot();
    test_attestation_other_device();
    wc_companion_wipe(&comp);
    return wt_finish("test_tls_openssl");
}
