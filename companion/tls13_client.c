/* TLS 1.3 client handshake authority; see tls13_client.h. */
#include "tls13_client.h"

#include <string.h>

#include "admin.h"
#include "boot.h"
#include "commands.h"
#include "keys.h"
#include "names.h"
#include "records.h"
#include "tls_codec.h"
#include "tls_common.h"
#include "wc_companion.h"
#include "wc_wipe.h"
#include "x509.h"

/* Handshake message types (RFC 8446 4). */
#define HS_CLIENT_HELLO 1
#define HS_SERVER_HELLO 2
#define HS_NEW_SESSION_TICKET 4
#define HS_ENCRYPTED_EXTENSIONS 8
#define HS_CERTIFICATE 11
#define HS_CERTIFICATE_REQUEST 13
#define HS_CERTIFICATE_VERIFY 15
#define HS_FINISHED 20
#define HS_KEY_UPDATE 24
#define HS_MESSAGE_HASH 254

/* Extensions (RFC 8446 4.2). */
#define EXT_SERVER_NAME 0
#define EXT_SUPPORTED_GROUPS 10
#define EXT_SIGNATURE_ALGORITHMS 13
#define EXT_ALPN 16
#define EXT_SUPPORTED_VERSIONS 43
#define EXT_COOKIE 44
#define EXT_PSK_MODES 45
#define EXT_SIGNATURE_ALGORITHMS_CERT 50
#define EXT_KEY_SHARE 51

/* TLS 1.2 extensions (RFC 8422 5.1.2, RFC 7627 5.1, RFC 5746 3.2). */
#define EXT_EC_POINT_FORMATS 11
#define EXT_EXTENDED_MASTER_SECRET 23
#define EXT_RENEGOTIATION_INFO 0xff01

#define TLS13 WC_TLS13
#define SIG_ECDSA_P256_SHA256 WC_SIG_ECDSA_P256_SHA256
#define SIG_ECDSA_P384_SHA384 WC_SIG_ECDSA_P384_SHA384

/* Policy: what the companion offers when the host narrows nothing. */
static const uint16_t policy_suites[] = {
    WC_TLS13_AES_128_GCM_SHA256,
    WC_TLS13_AES_256_GCM_SHA384,
    WC_TLS13_AES_128_CCM_SHA256,
    /* TLS 1.2: ECDHE with ECDSA, AEAD only (design §1). */
    WC_TLS12_ECDHE_ECDSA_AES_128_GCM_SHA256,
    WC_TLS12_ECDHE_ECDSA_AES_256_GCM_SHA384,
    WC_TLS12_ECDHE_ECDSA_AES_128_CCM,
    WC_TLS12_ECDHE_ECDSA_AES_256_CCM,
};
static const uint16_t policy_groups[] = {
    WC_GROUP_X25519,
    WC_GROUP_SECP256R1,
    WC_GROUP_SECP384R1,
};
/* Server CertificateVerify: ECDSA only (design §1). */
static const uint16_t policy_sigalgs[] = {
    SIG_ECDSA_P256_SHA256,
    SIG_ECDSA_P384_SHA384,
};
/* Signatures on certificates: ECDSA, and RSA PKCS#1 v1.5 >= 2048. */
static const uint16_t policy_sigalgs_cert[] = {
    SIG_ECDSA_P256_SHA256, SIG_ECDSA_P384_SHA384, 0x0603, 0x0401, 0x0501,
    0x0601,
};

/* RFC 8446 4.1.3: the random of a HelloRetryRequest. */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
    0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
    0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int
wc_tls_listed(const uint16_t *list, size_t n, unsigned v)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (list[i] == v) {
            return 1;
        }
    }
    return 0;
}

static int
listed(const uint16_t *list, size_t n, unsigned v)
{
    return wc_tls_listed(list, n, v);
}

/* Ends a session: what to send the server, and why (for TLS_STATUS). */
enum wd_status
wc_tls_fail(struct wc_tls_session *s, uint8_t alert, uint8_t reason)
{
    s->state = WC_TLS_FAILED;
    s->alert = alert;
    s->reason = reason;
    wc_tls13_wipe(&s->ks);
    wc_tls13_transcript_wipe(&s->transcript);
    wc_ecdhe_wipe(&s->share[0]);
    wc_ecdhe_wipe(&s->share[1]);
    s->n_shares = 0;
    wc_wipe(s->premaster, sizeof(s->premaster));
    s->premaster_len = 0;
    wc_wipe(s->master, sizeof(s->master));
    return WD_STATUS_TLS_FAILED;
}

static enum wd_status
fail(struct wc_tls_session *s, uint8_t alert, uint8_t reason)
{
    return wc_tls_fail(s, alert, reason);
}

int
wc_tls_offers(const struct wc_tls_session *s, int tls12)
{
    unsigned i;

    for (i = 0; i < s->n_suites; i++) {
        if (wc_tls12_suite(s->suites[i]) == tls12) {
            return 1;
        }
    }
    return 0;
}

/*
 * Reads a narrowing list from TLS_OPEN: every entry must be in policy,
 * none twice. An empty list means the whole policy.
 */
static int
narrow(struct wc_tls_reader *r, const uint16_t *policy, size_t n_policy,
       uint16_t *out, unsigned *n_out)
{
    unsigned n = wc_tlsr_u8(r), i;

    if (n == 0) {
        memcpy(out, policy, n_policy * sizeof(*policy));
        *n_out = (unsigned)n_policy;
        return 0;
    }
    if (n > n_policy) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        unsigned v = wc_tlsr_u16(r);

        if (!listed(policy, n_policy, v) || listed(out, i, v)) {
            return -1;
        }
        out[i] = (uint16_t)v;
    }
    *n_out = n;
    return r->err;
}

static int
is_dns_name(const struct wc_tls_session *s)
{
    struct wc_peer_name pn;

    return wc_peer_name_parse(&pn, s->name, s->name_len) == 0 &&
           pn.ip_len == 0;
}

static void
put_u16_list(struct wc_tls_writer *w, const uint16_t *list, size_t n)
{
    size_t mark = wc_tlsw_open(w, 2), i;

    for (i = 0; i < n; i++) {
        wc_tlsw_u16(w, list[i]);
    }
    wc_tlsw_close(w, mark, 2);
}

/* RFC 8446 4.1.2, with the extensions of 4.2 the policy calls for. */
static int
write_client_hello(struct wc_tls_session *s, uint8_t *out, size_t cap,
                   size_t *out_len)
{
    struct wc_tls_writer w;
    size_t body, exts, ext, inner, i;
    int tls13 = wc_tls_offers(s, 0), tls12 = wc_tls_offers(s, 1);

    wc_tlsw_init(&w, out, cap);
    wc_tlsw_u8(&w, HS_CLIENT_HELLO);
    body = wc_tlsw_open(&w, 3);
    wc_tlsw_u16(&w, 0x0303);
    wc_tlsw_bytes(&w, s->client_random, 32);
    /* D.4: a non-empty session id keeps middleboxes quiet. */
    wc_tlsw_u8(&w, 32);
    wc_tlsw_bytes(&w, s->legacy_session_id, 32);
    put_u16_list(&w, s->suites, s->n_suites);
    wc_tlsw_u8(&w, 1);
    wc_tlsw_u8(&w, 0);

    exts = wc_tlsw_open(&w, 2);
    /* RFC 6066 3: host names only, never address literals. */
    if (is_dns_name(s)) {
        wc_tlsw_u16(&w, EXT_SERVER_NAME);
        ext = wc_tlsw_open(&w, 2);
        inner = wc_tlsw_open(&w, 2);
        wc_tlsw_u8(&w, 0);
        wc_tlsw_u16(&w, (unsigned)s->name_len);
        wc_tlsw_bytes(&w, s->name, s->name_len);
        wc_tlsw_close(&w, inner, 2);
        wc_tlsw_close(&w, ext, 2);
    }
    /* 4.2.1: the versions the offered suites belong to, newest first. */
    wc_tlsw_u16(&w, EXT_SUPPORTED_VERSIONS);
    ext = wc_tlsw_open(&w, 2);
    inner = wc_tlsw_open(&w, 1);
    if (tls13) {
        wc_tlsw_u16(&w, TLS13);
    }
    if (tls12) {
        wc_tlsw_u16(&w, WC_TLS12);
    }
    wc_tlsw_close(&w, inner, 1);
    wc_tlsw_close(&w, ext, 2);

    wc_tlsw_u16(&w, EXT_SUPPORTED_GROUPS);
    ext = wc_tlsw_open(&w, 2);
    put_u16_list(&w, s->groups, s->n_groups);
    wc_tlsw_close(&w, ext, 2);

    wc_tlsw_u16(&w, EXT_SIGNATURE_ALGORITHMS);
    ext = wc_tlsw_open(&w, 2);
    put_u16_list(&w, policy_sigalgs, COUNT(policy_sigalgs));
    wc_tlsw_close(&w, ext, 2);

    wc_tlsw_u16(&w, EXT_SIGNATURE_ALGORITHMS_CERT);
    ext = wc_tlsw_open(&w, 2);
    put_u16_list(&w, policy_sigalgs_cert, COUNT(policy_sigalgs_cert));
    wc_tlsw_close(&w, ext, 2);

    if (tls13) {
        wc_tlsw_u16(&w, EXT_KEY_SHARE);
        ext = wc_tlsw_open(&w, 2);
        inner = wc_tlsw_open(&w, 2);
        for (i = 0; i < s->n_shares; i++) {
            wc_tlsw_u16(&w, s->share[i].group);
            wc_tlsw_u16(&w, (unsigned)s->share[i].pub_len);
            wc_tlsw_bytes(&w, s->share[i].pub, s->share[i].pub_len);
        }
        wc_tlsw_close(&w, inner, 2);
        wc_tlsw_close(&w, ext, 2);

        /*
         * 4.2.9: psk_dhe_ke, so that servers send the NewSessionTickets
         * they would send any client; the companion reads and drops them.
         */
        wc_tlsw_u16(&w, EXT_PSK_MODES);
        ext = wc_tlsw_open(&w, 2);
        wc_tlsw_u8(&w, 1);
        wc_tlsw_u8(&w, 1);
        wc_tlsw_close(&w, ext, 2);
    }

    if (tls12) {
        /* RFC 8422 5.1.2: uncompressed points only. */
        wc_tlsw_u16(&w, EXT_EC_POINT_FORMATS);
        ext = wc_tlsw_open(&w, 2);
        wc_tlsw_u8(&w, 1);
        wc_tlsw_u8(&w, 0);
        wc_tlsw_close(&w, ext, 2);
        /* RFC 7627 5.1: the master secret binds the whole handshake. */
        wc_tlsw_u16(&w, EXT_EXTENDED_MASTER_SECRET);
        wc_tlsw_u16(&w, 0);
        /*
         * RFC 5746 3.4: an empty renegotiated_connection says that this
         * client knows secure renegotiation; it never renegotiates.
         */
        wc_tlsw_u16(&w, EXT_RENEGOTIATION_INFO);
        wc_tlsw_u16(&w, 1);
        wc_tlsw_u8(&w, 0);
    }

    if (s->alpn_len > 0) {
        wc_tlsw_u16(&w, EXT_ALPN);
        ext = wc_tlsw_open(&w, 2);
        inner = wc_tlsw_open(&w, 2);
        wc_tlsw_bytes(&w, s->alpn, s->alpn_len);
        wc_tlsw_close(&w, inner, 2);
        wc_tlsw_close(&w, ext, 2);
    }
    if (s->cookie_len > 0) {
        wc_tlsw_u16(&w, EXT_COOKIE);
        ext = wc_tlsw_open(&w, 2);
        inner = wc_tlsw_open(&w, 2);
        wc_tlsw_bytes(&w, s->cookie, s->cookie_len);
        wc_tlsw_close(&w, inner, 2);
        wc_tlsw_close(&w, ext, 2);
    }
    wc_tlsw_close(&w, exts, 2);
    wc_tlsw_close(&w, body, 3);
    if (w.err) {
        return -1;
    }
    *out_len = w.len;
    return wc_tls13_transcript_update(&s->transcript, out, w.len) ==
                   WC_TLS13_OK
               ? 0
               : -1;
}

/* A ProtocolNameList: names of 1..255 bytes, back to back. */
static int
valid_alpn(const uint8_t *p, size_t len)
{
    size_t off = 0;

    while (off < len) {
        if (p[off] == 0 || p[off] > len - off - 1) {
            return 0;
        }
        off += 1 + (size_t)p[off];
    }
    return 1;
}

enum wd_status
wc_tls_open(struct wc_companion *c, struct wc_tls_session *s,
            const uint8_t *req, size_t req_len, uint8_t *out, size_t cap,
            size_t *out_len)
{
    struct wc_tls_reader r;
    const uint8_t *p;
    struct wc_peer_name pn;
    uint32_t hi, lo;
    int64_t host_time;
    unsigned i;

    memset(s, 0, sizeof(*s));
    wc_tlsr_init(&r, req, req_len);
    hi = wc_tlsr_u32(&r);
    lo = wc_tlsr_u32(&r);
    host_time = (int64_t)(((uint64_t)hi << 32) | lo);
    /* Design §5: the host's clock counts only at or above the floor. */
    s->now = host_time > wc_time_floor(c) ? host_time : wc_time_floor(c);

    s->name_len = wc_tlsr_u8(&r);
    wc_tlsr_bytes(&r, &p, s->name_len);
    if (r.err || s->name_len == 0 || s->name_len > WD_TLS_NAME_MAX) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    memcpy(s->name, p, s->name_len);
    if (wc_peer_name_parse(&pn, s->name, s->name_len) != 0) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    s->alpn_len = wc_tlsr_u8(&r);
    wc_tlsr_bytes(&r, &p, s->alpn_len);
    if (r.err || s->alpn_len > WD_TLS_ALPN_MAX ||
        !valid_alpn(p, s->alpn_len)) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    if (s->alpn_len > 0) {
        memcpy(s->alpn, p, s->alpn_len);
    }
    if (narrow(&r, policy_suites, COUNT(policy_suites), s->suites,
               &s->n_suites) != 0 ||
        narrow(&r, policy_groups, COUNT(policy_groups), s->groups,
               &s->n_groups) != 0) {
        return r.err ? WD_STATUS_BAD_PAYLOAD : WD_STATUS_POLICY;
    }
    /* An admin-signed policy may leave out more (admin.h). */
    if (wc_policy_apply(c, s->suites, &s->n_suites, s->groups,
                        &s->n_groups) != 0) {
        return WD_STATUS_POLICY;
    }
    if (wc_tlsr_done(&r) != 0) {
        return WD_STATUS_BAD_PAYLOAD;
    }

    if (wc_rng_generate(&c->rng, s->client_random, 32) != WC_OK ||
        wc_rng_generate(&c->rng, s->legacy_session_id, 32) != WC_OK) {
        return WD_STATUS_RNG_FAILURE;
    }
    /* Shares for X25519 and P-256 when offered; else the first group. */
    for (i = 0; i < s->n_groups && s->n_shares < 2; i++) {
        if (s->groups[i] == WC_GROUP_X25519 ||
            s->groups[i] == WC_GROUP_SECP256R1) {
            if (wc_ecdhe_take(&c->ecdhe_pool, &s->share[s->n_shares++],
                              s->groups[i], &c->rng) != WC_OK) {
                wc_tls_wipe(s);
                return WD_STATUS_RNG_FAILURE;
            }
        }
    }
    if (s->n_shares == 0 &&
        wc_ecdhe_take(&c->ecdhe_pool, &s->share[s->n_shares++],
                      s->groups[0], &c->rng) != WC_OK) {
        wc_tls_wipe(s);
        return WD_STATUS_RNG_FAILURE;
    }

    wc_tls13_transcript_init(&s->transcript);
    if (write_client_hello(s, out, cap, out_len) != 0) {
        wc_tls_wipe(s);
        return WD_STATUS_INTERNAL;
    }
    s->state = WC_TLS_WAIT_SERVER_HELLO;
    return WD_STATUS_OK;
}

/*
 * RFC 8446 4.2: an extension appears at most once per message. Every type
 * this client reads is below 64; others are refused or ignored by the
 * caller.
 */
int
wc_tls_repeated(uint64_t *seen, unsigned type)
{
    uint64_t bit;

    if (type >= 64) {
        return 0;
    }
    bit = (uint64_t)1 << type;
    if (*seen & bit) {
        return 1;
    }
    *seen |= bit;
    return 0;
}

/* Whether a well-formed extension block holds type (a look ahead). */
static int
has_extension(struct wc_tls_reader exts, unsigned type)
{
    while (exts.len > 0 && !exts.err) {
        unsigned t = wc_tlsr_u16(&exts);
        struct wc_tls_reader data;

        wc_tlsr_vector(&exts, 2, &data);
        if (!exts.err && t == type) {
            return 1;
        }
    }
    return 0;
}

/* Splits a handshake message into type and body; checks its length. */
static int
split_message(const uint8_t *msg, size_t len, unsigned *type,
              struct wc_tls_reader *body)
{
    struct wc_tls_reader r;

    wc_tlsr_init(&r, msg, len);
    *type = wc_tlsr_u8(&r);
    wc_tlsr_vector(&r, 3, body);
    return wc_tlsr_done(&r);
}

static int
repeated(uint64_t *seen, unsigned type)
{
    return wc_tls_repeated(seen, type);
}

struct wc_ecdhe_key *
wc_tls_share_for(struct wc_tls_session *s, unsigned group)
{
    unsigned i;

    for (i = 0; i < s->n_shares; i++) {
        if (s->share[i].group == group) {
            return &s->share[i];
        }
    }
    return NULL;
}

/*
 * RFC 8446 4.1.4: the server asks for another share. One retry at most,
 * for a group we offered but sent no share for.
 */
static enum wd_status
hello_retry(struct wc_companion *c, struct wc_tls_session *s,
            const uint8_t *msg, size_t len, unsigned suite,
            struct wc_tls_reader *exts, uint8_t *out, size_t cap,
            size_t *out_len)
{
    unsigned group = 0, version = 0;
    int have_group = 0;
    uint64_t seen = 0;
    size_t ch_len;

    while (exts->len > 0 && !exts->err) {
        unsigned type = wc_tlsr_u16(exts);
        struct wc_tls_reader data;

        wc_tlsr_vector(exts, 2, &data);
        if (repeated(&seen, type)) {
            return fail(s, WC_ALERT_DECODE_ERROR, 0);
        }
        switch (type) {
        case EXT_SUPPORTED_VERSIONS:
            version = wc_tlsr_u16(&data);
            break;
        case EXT_KEY_SHARE:
            group = wc_tlsr_u16(&data);
            have_group = 1;
            break;
        case EXT_COOKIE: {
            struct wc_tls_reader cookie;
            const uint8_t *p;

            wc_tlsr_vector(&data, 2, &cookie);
            if (cookie.len == 0 || cookie.len > WC_TLS_COOKIE_MAX) {
                return fail(s, WC_ALERT_ILLEGAL_PARAMETER, 0);
            }
            s->cookie_len = wc_tlsr_rest(&cookie, &p);
            memcpy(s->cookie, p, s->cookie_len);
            break;
        }
        default:
            return fail(s, WC_ALERT_UNSUPPORTED_EXTENSION, 0);
        }
        if (wc_tlsr_done(&data) != 0) {
            return fail(s, WC_ALERT_DECODE_ERROR, 0);
        }
    }
    if (exts->err) {
        return fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    if (version != TLS13) {
        return fail(s, WC_ALERT_PROTOCOL_VERSION, 0);
    }
    if (!have_group || !listed(s->groups, s->n_groups, group) ||
        wc_tls_share_for(s, group) != NULL) {
        return fail(s, WC_ALERT_ILLEGAL_PARAMETER, 0);
    }
    if (wc_tls13_transcript_hello_retry(&s->transcript, (uint16_t)suite) !=
            WC_TLS13_OK ||
        wc_tls13_transcript_update(&s->transcript, msg, len) != WC_TLS13_OK) {
        return fail(s, WC_ALERT_ILLEGAL_PARAMETER, 0);
    }
    wc_ecdhe_wipe(&s->share[0]);
    wc_ecdhe_wipe(&s->share[1]);
    s->n_shares = 1;
    if (wc_ecdhe_take(&c->ecdhe_pool, &s->share[0], (uint16_t)group,
                      &c->rng) != WC_OK) {
        return fail(s, WC_ALERT_INTERNAL_ERROR, 0);
    }
    s->flags |= WD_TLSS_F_HRR;
    s->suite = (uint16_t)suite;
    out[0] = WD_TLS_EV_CLIENT_HELLO;
    if (write_client_hello(s, out + 1, cap - 1, &ch_len) != 0) {
        return fail(s, WC_ALERT_INTERNAL_ERROR, 0);
    }
    *out_len = 1 + ch_len;
    return WD_STATUS_OK;
}

/* The handshake traffic keys in the TLS_RECEIVE response layout. */
static int
put_keys(struct wc_tls_session *s, enum wc_tls13_traffic client,
         enum wc_tls13_traffic server, uint8_t *out, size_t *off)
{
    uint8_t key[WC_TLS13_KEY_MAX], iv[WC_TLS13_IV_LEN];
    size_t key_len;
    int err;

    err = wc_tls13_traffic_keys(&s->ks, client, key, &key_len, iv);
    if (err == WC_TLS13_OK) {
        out[(*off)++] = (uint8_t)key_len;
        memcpy(out + *off, key, key_len);
        memcpy(out + *off + key_len, iv, WC_TLS13_IV_LEN);
        *off += key_len + WC_TLS13_IV_LEN;
        err = wc_tls13_traffic_keys(&s->ks, server, key, &key_len, iv);
    }
    if (err == WC_TLS13_OK) {
        memcpy(out + *off, key, key_len);
        memcpy(out + *off + key_len, iv, WC_TLS13_IV_LEN);
        *off += key_len + WC_TLS13_IV_LEN;
    }
    wc_wipe(key, sizeof(key));
    wc_wipe(iv, sizeof(iv));
    return err == WC_TLS13_OK ? 0 : -1;
}

static enum wd_status
server_hello(struct wc_companion *c, struct wc_tls_session *s,
             const uint8_t *msg, size_t len, struct wc_tls_reader *body,
             uint8_t *out, size_t cap, size_t *out_len)
{
    const uint8_t *random, *sid;
    size_t sid_len;
    struct wc_tls_reader sid_r, exts;
    unsigned version, suite, compression, group = 0, sv = 0;
    const uint8_t *peer = NULL;
    size_t peer_len = 0, off;
    struct wc_ecdhe_key *mine;
    uint64_t seen = 0;
    uint8_t secret[WC_ECDHE_SECRET_MAX];
    size_t secret_len;
    int err;

    version = wc_tlsr_u16(body);
    wc_tlsr_bytes(body, &random, 32);
    wc_tlsr_vector(body, 1, &sid_r);
    suite = wc_tlsr_u16(body);
    compression = wc_tlsr_u8(body);
    wc_tlsr_vector(body, 2, &exts);
    if (wc_tlsr_done(body) != 0 || sid_r.err || exts.err) {
        return fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    sid_len = sid_r.len;
    wc_tlsr_bytes(&sid_r, &sid, sid_len);
    /* 4.2.1: without supported_versions, the server speaks 1.2 or older. */
    if (!has_extension(exts, EXT_SUPPORTED_VERSIONS)) {
        return wc_tls12_server_hello(s, msg, len, version, random, sid,
                                     sid_len, suite, compression, &exts, out,
                                     out_len);
    }
    /* 4.1.3: echo of our session id, offered suite, no compression. */
    if (version != 0x0303 || compression != 0 || sid_len != 32 ||
        memcmp(sid, s->legacy_session_id, 32) != 0 ||
        !listed(s->suites, s->n_suites, suite) || wc_tls12_suite(suite)) {
        return fail(s, WC_ALERT_ILLEGAL_PARAMETER, 0);
    }
    if (memcmp(random, hrr_random, 32) == 0) {
        if (s->flags & WD_TLSS_F_HRR) {
            return fail(s, WC_ALERT_UNEXPECTED_MESSAGE, 0);
        }
        return hello_retry(c, s, msg, len, suite, &exts, out, cap, out_len);
    }
    if ((s->flags & WD_TLSS_F_HRR) && suite != s->suite) {
        return fail(s, WC_ALERT_ILLEGAL_PARAMETER, 0);
    }

    while (exts.len > 0 && !exts.err) {
        unsigned type = wc_tlsr_u16(&exts);
        struct wc_tls_reader data;

        wc_tlsr_vector(&exts, 2, &data);
        if (repeated(&seen, type)) {
            return fail(s, WC_ALERT_DECODE_ERROR, 0);
        }
        switch (type) {
        case EXT_SUPPORTED_VERSIONS:
            sv = wc_tlsr_u16(&data);
            break;
        case EXT_KEY_SHARE: {
            struct wc_tls_reader key;

            group = wc_tlsr_u16(&data);
            wc_tlsr_vector(&data, 2, &key);
            peer_len = wc_tlsr_rest(&key, &peer);
            break;
        }
        default:
            /* 4.2: nothing else was offered for a ServerHello. */
            return fail(s, WC_ALERT_UNSUPPORTED_EXTENSION, 0);
        }
        if (wc_tlsr_done(&data) != 0) {
            return fail(s, WC_ALERT_DECODE_ERROR, 0);
        }
    }
    if (exts.err) {
        return fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    /* 4.2.1: a supported_versions that names anything but TLS 1.3. */
    if (sv != TLS13) {
        return fail(s, WC_ALERT_PROTOCOL_VERSION, 0);
    }
    mine = wc_tls_share_for(s, group);
    if (peer == NULL || mine == NULL) {
        return fail(s, WC_ALERT_ILLEGAL_PARAMETER, 0);
    }
    if (wc_ecdhe_shared(mine, peer, peer_len, secret, &secret_len) != 0) {
        return fail(s, WC_ALERT_ILLEGAL_PARAMETER, 0);
    }
    s->version = TLS13;
    s->suite = (uint16_t)suite;
    s->group = (uint16_t)group;

    err = wc_tls13_transcript_update(&s->transcript, msg, len);
    if (err == WC_TLS13_OK) {
        err = wc_tls13_init(&s->ks, s->suite);
    }
    if (err == WC_TLS13_OK) {
        err = wc_tls13_transcript_select(&s->transcript, s->suite);
    }
    if (err == WC_TLS13_OK) {
        err = wc_tls13_early(&s->ks);
    }
    if (err == WC_TLS13_OK) {
        err = wc_tls13_handshake(&s->ks, secret, secret_len, &s->transcript);
    }
    wc_wipe(secret, sizeof(secret));
    wc_ecdhe_wipe(&s->share[0]);
    wc_ecdhe_wipe(&s->share[1]);
    s->n_shares = 0;
    if (err != WC_TLS13_OK) {
        return fail(s, WC_ALERT_ILLEGAL_PARAMETER, 0);
    }

    out[0] = WD_TLS_EV_HANDSHAKE_KEYS;
    out[1] = (uint8_t)(s->suite >> 8);
    out[2] = (uint8_t)s->suite;
    off = 3;
    if (cap < 3 + 1 + 2 * (WC_TLS13_KEY_MAX + WC_TLS13_IV_LEN) ||
        put_keys(s, WC_TLS13_CLIENT_HANDSHAKE, WC_TLS13_SERVER_HANDSHAKE, out,
                 &off) != 0) {
        wc_wipe(out, cap < 128 ? cap : 128);
        return fail(s, WC_ALERT_INTERNAL_ERROR, 0);
    }
    *out_len = off;
    s->state = WC_TLS_WAIT_ENCRYPTED_EXTENSIONS;
    return WD_STATUS_OK;
}

enum wd_status
wc_tls_alpn_answer(struct wc_tls_session *s, struct wc_tls_reader *data)
{
    struct wc_tls_reader list, name;
    const uint8_t *p;
    size_t off, name_len;
    int offered = 0;

    wc_tlsr_vector(data, 2, &list);
    wc_tlsr_vector(&list, 1, &name);
    if (wc_tlsr_done(&list) != 0 || name.len == 0 || s->alpn_len == 0 ||
        s->alpn_selected_len != 0) {
        return fail(s,
                    s->alpn_len == 0 ? WC_ALERT_UNSUPPORTED_EXTENSION
                                     : WC_ALERT_DECODE_ERROR,
                    0);
    }
    name_len = wc_tlsr_rest(&name, &p);
    for (off = 0; off < s->alpn_len; off += 1 + s->alpn[off]) {
        if (s->alpn[off] == name_len &&
            memcmp(s->alpn + off + 1, p, name_len) == 0) {
            offered = 1;
        }
    }
    if (!offered) {
        return fail(s, WC_ALERT_ILLEGAL_PARAMETER, 0);
    }
    memcpy(s->alpn_selected, p, name_len);
    s->alpn_selected_len = name_len;
    return WD_STATUS_OK;
}

/* RFC 8446 4.3.1, with RFC 7301's ALPN answer. */
static enum wd_status
encrypted_extensions(struct wc_tls_session *s, struct wc_tls_reader *body)
{
    struct wc_tls_reader exts;
    uint64_t seen = 0;

    wc_tlsr_vector(body, 2, &exts);
    if (wc_tlsr_done(body) != 0 || exts.err) {
        return fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    while (exts.len > 0 && !exts.err) {
        unsigned type = wc_tlsr_u16(&exts);
        struct wc_tls_reader data;

        wc_tlsr_vector(&exts, 2, &data);
        if (repeated(&seen, type)) {
            return fail(s, WC_ALERT_DECODE_ERROR, 0);
        }
        switch (type) {
        case EXT_SERVER_NAME:
            /* RFC 6066 3: an empty acknowledgement. */
            if (data.len != 0) {
                return fail(s, WC_ALERT_DECODE_ERROR, 0);
            }
            break;
        case EXT_SUPPORTED_GROUPS:
            /* The server's preferences: informative (4.2.7). */
            data.len = 0;
            break;
        case EXT_ALPN:
            if (wc_tls_alpn_answer(s, &data) != WD_STATUS_OK) {
                return WD_STATUS_TLS_FAILED;
            }
            break;
        default:
            return fail(s, WC_ALERT_UNSUPPORTED_EXTENSION, 0);
        }
        if (wc_tlsr_done(&data) != 0) {
            return fail(s, WC_ALERT_DECODE_ERROR, 0);
        }
    }
    if (exts.err) {
        return fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    s->state = WC_TLS_WAIT_CERT_OR_REQUEST;
    return WD_STATUS_OK;
}

unsigned
wc_tls_device_scheme(const struct wc_companion *c)
{
    const uint8_t *point;
    size_t len;
    unsigned curve;

    if (wc_key_public(c, WD_KEY_DEVICE, &curve, &point, &len) !=
        WD_STATUS_OK) {
        return 0;
    }
    return curve == WD_CURVE_P384 ? SIG_ECDSA_P384_SHA384
                                  : SIG_ECDSA_P256_SHA256;
}

/* RFC 8446 4.3.2. */
static enum wd_status
certificate_request(const struct wc_companion *c, struct wc_tls_session *s,
                    struct wc_tls_reader *body)
{
    struct wc_tls_reader context, exts;
    unsigned want = wc_tls_device_scheme(c);
    uint64_t seen = 0;
    int have_sigalgs = 0;

    wc_tlsr_vector(body, 1, &context);
    wc_tlsr_vector(body, 2, &exts);
    if (wc_tlsr_done(body) != 0 || context.err || exts.err) {
        return fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    /* 4.3.2: empty in the main handshake. */
    if (context.len != 0) {
        return fail(s, WC_ALERT_ILLEGAL_PARAMETER, 0);
    }
    s->request_context_len = 0;
    s->can_sign = 0;
    while (exts.len > 0 && !exts.err) {
        unsigned type = wc_tlsr_u16(&exts);
        struct wc_tls_reader data, list;

        wc_tlsr_vector(&exts, 2, &data);
        if (repeated(&seen, type)) {
            return fail(s, WC_ALERT_DECODE_ERROR, 0);
        }
        if (type == EXT_SIGNATURE_ALGORITHMS) {
            wc_tlsr_vector(&data, 2, &list);
            if (wc_tlsr_done(&data) != 0 || list.len == 0 ||
                list.len % 2 != 0) {
                return fail(s, WC_ALERT_DECODE_ERROR, 0);
            }
            while (list.len > 0) {
                if (wc_tlsr_u16(&list) == want && want != 0) {
                    s->can_sign = 1;
                }
            }
            have_sigalgs = 1;
        }
        /* Other extensions (certificate_authorities...) do not bind us. */
    }
    if (exts.err) {
        return fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    if (!have_sigalgs) {
        return fail(s, WC_ALERT_MISSING_EXTENSION, 0);
    }
    s->flags |= WD_TLSS_F_CERT_REQUESTED;
    s->state = WC_TLS_WAIT_CERTIFICATE;
    return WD_STATUS_OK;
}

/* What a chain verdict means on the wire (RFC 8446 6.2). */
static uint8_t
alert_for_verdict(int verdict)
{
    switch (verdict) {
    case WC_VERIFY_NO_ISSUER:
        return WC_ALERT_UNKNOWN_CA;
    case WC_VERIFY_EXPIRED:
    case WC_VERIFY_NOT_YET_VALID:
        return WC_ALERT_CERTIFICATE_EXPIRED;
    case WC_VERIFY_WEAK_ALGORITHM:
    case WC_VERIFY_WEAK_KEY:
        return WC_ALERT_UNSUPPORTED_CERTIFICATE;
    case WC_VERIFY_NAME_MISMATCH:
    case WC_VERIFY_EKU:
    case WC_VERIFY_KEY_USAGE:
    case WC_VERIFY_NAME_CONSTRAINTS:
        return WC_ALERT_CERTIFICATE_UNKNOWN;
    default:
        return WC_ALERT_BAD_CERTIFICATE;
    }
}

/*
 * RFC 8446 4.4.2: the server's chain, validated here against the stored
 * roots (verify.c); only the leaf's key is kept.
 */
static enum wd_status
certificate(struct wc_companion *c, struct wc_tls_session *s,
            struct wc_tls_reader *body)
{
    struct wc_der_cert chain[WC_VERIFY_POOL_MAX];
    struct wc_tls_reader context, list;
    unsigned n = 0;

    wc_tlsr_vector(body, 1, &context);
    wc_tlsr_vector(body, 3, &list);
    if (wc_tlsr_done(body) != 0 || list.err || context.len != 0) {
        return fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    while (list.len > 0 && !list.err) {
        struct wc_tls_reader der, exts;
        const uint8_t *p;

        wc_tlsr_vector(&list, 3, &der);
        wc_tlsr_vector(&list, 2, &exts);
        if (der.err || exts.err || der.len == 0) {
            return fail(s, WC_ALERT_DECODE_ERROR, 0);
        }
        if (n == WC_VERIFY_POOL_MAX) {
            return fail(s, WC_ALERT_BAD_CERTIFICATE, WC_VERIFY_TOO_COMPLEX);
        }
        chain[n].len = wc_tlsr_rest(&der, &p);
        chain[n].der = p;
        n++;
    }
    /* 4.4.2.4: a server always sends a certificate. */
    if (list.err || n == 0) {
        return fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    if (wc_tls_check_chain(c, s, chain, n) != WD_STATUS_OK) {
        return WD_STATUS_TLS_FAILED;
    }
    s->state = WC_TLS_WAIT_CERTIFICATE_VERIFY;
    return WD_STATUS_OK;
}

enum wd_status
wc_tls_check_chain(struct wc_companion *c, struct wc_tls_session *s,
                   const struct wc_der_cert *chain, unsigned n)
{
    struct wc_der_cert anchors[WC_VERIFY_ANCHORS_MAX];
    struct wc_verify_input in;
    struct wc_x509 leaf;
    unsigned i;
    int verdict;

    s->chain_len = (uint8_t)n;
    memset(&in, 0, sizeof(in));
    for (i = 0; i < WD_ROOTS_MAX; i++) {
        const uint8_t *der;
        size_t len;

        if (wc_store_get(&c->store, WC_REC_ROOT(i), &der, &len) == WC_OK) {
            anchors[in.anchor_count].der = der;
            anchors[in.anchor_count].len = len;
            in.anchor_count++;
        }
    }
    in.anchors = anchors;
    in.chain = chain;
    in.chain_count = n;
    in.now = s->now;
    in.peer_name = s->name;
    in.peer_name_len = s->name_len;
    in.sig_cache = &c->sig_cache;
    verdict = wc_verify_chain(&c->verify_work, &in);
    if (verdict != WC_VERIFY_OK) {
        return fail(s, alert_for_verdict(verdict), (uint8_t)verdict);
    }
    /* CertificateVerify comes as ECDSA only: an RSA leaf cannot sign it. */
    if (wc_x509_parse(&leaf, chain[0].der, chain[0].len) != 0 ||
        (leaf.key.type != WC_KEY_EC_P256 && leaf.key.type != WC_KEY_EC_P384)) {
        return fail(s, WC_ALERT_UNSUPPORTED_CERTIFICATE, WC_VERIFY_WEAK_KEY);
    }
    s->server_key_type = leaf.key.type;
    memcpy(s->server_key, leaf.key.point, leaf.key.point_len);
    s->server_key_len = leaf.key.point_len;
    return WD_STATUS_OK;
}

/* 4.4.3: 64 spaces, the context string, a zero, the transcript hash. */
static size_t
verify_content(const struct wc_tls_session *s, const char *context,
               uint8_t *out)
{
    size_t n = strlen(context), hash_len;

    memset(out, 0x20, 64);
    memcpy(out + 64, context, n + 1);
    wc_tls13_transcript_hash(&s->transcript, out + 64 + n + 1, &hash_len);
    return 64 + n + 1 + hash_len;
}

static const char server_context[] = "TLS 1.3, server CertificateVerify";
static const char client_context[] = "TLS 1.3, client CertificateVerify";

static enum wd_status
certificate_verify(struct wc_tls_session *s, struct wc_tls_reader *body)
{
    uint8_t content[64 + sizeof(server_context) + WC_TLS13_HASH_MAX];
    struct wc_tls_reader sig;
    const uint8_t *p;
    unsigned scheme;
    size_t n, sig_len;

    scheme = wc_tlsr_u16(body);
    wc_tlsr_vector(body, 2, &sig);
    if (wc_tlsr_done(body) != 0 || sig.err) {
        return fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    n = verify_content(s, server_context, content);
    sig_len = wc_tlsr_rest(&sig, &p);
    if (wc_tls_check_server_signature(s, scheme, content, n, p, sig_len) !=
        WD_STATUS_OK) {
        return WD_STATUS_TLS_FAILED;
    }
    s->state = WC_TLS_WAIT_FINISHED;
    return WD_STATUS_OK;
}

enum wd_status
wc_tls_check_server_signature(struct wc_tls_session *s, unsigned scheme,
                              const uint8_t *msg, size_t msg_len,
                              const uint8_t *sig, size_t sig_len)
{
    struct wc_pubkey key;
    enum wc_sig_alg alg;

    /*
     * 4.4.3: an offered scheme, and the one that fits the leaf's key. In
     * TLS 1.2 the same code points name a hash and ECDSA only (RFC 5246
     * 7.4.1.4.1): either hash with either curve is within policy.
     */
    if (scheme == SIG_ECDSA_P256_SHA256 &&
        (s->server_key_type == WC_KEY_EC_P256 || s->version == WC_TLS12)) {
        alg = WC_SIG_ECDSA_SHA256;
    } else if (scheme == SIG_ECDSA_P384_SHA384 &&
               (s->server_key_type == WC_KEY_EC_P384 ||
                s->version == WC_TLS12)) {
        alg = WC_SIG_ECDSA_SHA384;
    } else {
        return fail(s, WC_ALERT_ILLEGAL_PARAMETER, 0);
    }
    memset(&key, 0, sizeof(key));
    key.type = s->server_key_type;
    key.point = s->server_key;
    key.point_len = s->server_key_len;
    if (wc_verify_signature(&key, alg, msg, msg_len, sig, sig_len) !=
        WC_VERIFY_OK) {
        return fail(s, WC_ALERT_DECRYPT_ERROR, 0);
    }
    return WD_STATUS_OK;
}

/* Appends one message to the flight and to the transcript. */
static int
add_to_flight(struct wc_tls_session *s, struct wc_tls_writer *w,
              size_t start)
{
    return w->err == 0 &&
                   wc_tls13_transcript_update(&s->transcript, w->p + start,
                                              w->len - start) == WC_TLS13_OK
               ? 0
               : -1;
}

/* 4.4.2 and 4.4.3 for the client: the stored device chain, signed for. */
static int
client_certificate(struct wc_companion *c, struct wc_tls_session *s,
                   struct wc_tls_writer *w)
{
    uint8_t content[64 + sizeof(client_context) + WC_TLS13_HASH_MAX];
    uint8_t sig[WC_SIG_DER_MAX];
    size_t start = w->len, body, list, sig_len, n, i;
    int send_chain = s->can_sign;
    const uint8_t *der;
    size_t len;

    /* Server authentication still works; the device stays anonymous. */
    if (send_chain && !wc_boot_key_unlocked(c)) {
        send_chain = 0;
        s->flags |= WD_TLSS_F_KEY_LOCKED;
    }

    if (wc_store_get(&c->store, WC_REC_DEVICE_CERT(0), &der, &len) !=
        WC_OK) {
        send_chain = 0;
    }
    wc_tlsw_u8(w, HS_CERTIFICATE);
    body = wc_tlsw_open(w, 3);
    wc_tlsw_u8(w, (unsigned)s->request_context_len);
    wc_tlsw_bytes(w, s->request_context, s->request_context_len);
    list = wc_tlsw_open(w, 3);
    for (i = 0; send_chain && i < WD_DEVICE_CHAIN_MAX; i++) {
        if (wc_store_get(&c->store, WC_REC_DEVICE_CERT(i), &der, &len) !=
            WC_OK) {
            break;
        }
        wc_tlsw_u24(w, (uint32_t)len);
        wc_tlsw_bytes(w, der, len);
        wc_tlsw_u16(w, 0);
    }
    wc_tlsw_close(w, list, 3);
    wc_tlsw_close(w, body, 3);
    if (add_to_flight(s, w, start) != 0) {
        return -1;
    }
    if (!send_chain) {
        /* 4.4.2: an empty certificate list, and no CertificateVerify. */
        return 0;
    }

    n = verify_content(s, client_context, content);
    if (wc_key_sign(c, WD_KEY_DEVICE, content, n, sig, &sig_len) !=
        WD_STATUS_OK) {
        return -1;
    }
    start = w->len;
    wc_tlsw_u8(w, HS_CERTIFICATE_VERIFY);
    body = wc_tlsw_open(w, 3);
    wc_tlsw_u16(w, wc_tls_device_scheme(c));
    wc_tlsw_u16(w, (unsigned)sig_len);
    wc_tlsw_bytes(w, sig, sig_len);
    wc_tlsw_close(w, body, 3);
    s->flags |= WD_TLSS_F_CLIENT_CERT;
    return add_to_flight(s, w, start);
}

/*
 * 4.4.4: the server's Finished proves the whole transcript. Only now
 * does the client answer, and only now do application keys exist.
 */
static enum wd_status
finished(struct wc_companion *c, struct wc_tls_session *s,
         const uint8_t *msg, size_t len, struct wc_tls_reader *body,
         uint8_t *out, size_t cap, size_t *out_len, uint8_t *flight,
         size_t flight_cap)
{
    uint8_t vd[WC_TLS13_HASH_MAX];
    struct wc_tls_writer w;
    const uint8_t *p;
    size_t vd_len, start, off;
    size_t body_len = wc_tlsr_rest(body, &p);

    if (wc_tls13_server_finished(&s->ks, &s->transcript, p, body_len) !=
        WC_TLS13_OK) {
        return fail(s, WC_ALERT_DECRYPT_ERROR, 0);
    }
    if (wc_tls13_transcript_update(&s->transcript, msg, len) != WC_TLS13_OK ||
        wc_tls13_master(&s->ks, &s->transcript) != WC_TLS13_OK) {
        return fail(s, WC_ALERT_INTERNAL_ERROR, 0);
    }

    wc_tlsw_init(&w, flight, flight_cap);
    if ((s->flags & WD_TLSS_F_CERT_REQUESTED) &&
        client_certificate(c, s, &w) != 0) {
        return fail(s, WC_ALERT_INTERNAL_ERROR, 0);
    }
    if (wc_tls13_client_finished(&s->ks, &s->transcript, vd, &vd_len) !=
        WC_TLS13_OK) {
        return fail(s, WC_ALERT_INTERNAL_ERROR, 0);
    }
    start = w.len;
    wc_tlsw_u8(&w, HS_FINISHED);
    wc_tlsw_u24(&w, (uint32_t)vd_len);
    wc_tlsw_bytes(&w, vd, vd_len);
    if (add_to_flight(s, &w, start) != 0 ||
        wc_tls13_done(&s->ks, &s->transcript) != WC_TLS13_OK) {
        return fail(s, WC_ALERT_INTERNAL_ERROR, 0);
    }
    s->flight_len = w.len;

    out[0] = WD_TLS_EV_CONNECTED;
    off = 1;
    if (cap < 1 + 1 + 2 * (WC_TLS13_KEY_MAX + WC_TLS13_IV_LEN) + 2 ||
        put_keys(s, WC_TLS13_CLIENT_APPLICATION, WC_TLS13_SERVER_APPLICATION,
                 out, &off) != 0) {
        return fail(s, WC_ALERT_INTERNAL_ERROR, 0);
    }
    out[off++] = (uint8_t)(s->flight_len >> 8);
    out[off++] = (uint8_t)s->flight_len;
    *out_len = off;
    /* The handshake transcript is done with. */
    wc_tls13_transcript_wipe(&s->transcript);
    s->state = WC_TLS_CONNECTED;
    return WD_STATUS_OK;
}

/* 4.6: tickets are read and dropped; KeyUpdate moves the read keys. */
static enum wd_status
post_handshake(struct wc_tls_session *s, unsigned type,
               struct wc_tls_reader *body, uint8_t *out, size_t cap,
               size_t *out_len)
{
    uint8_t key[WC_TLS13_KEY_MAX], iv[WC_TLS13_IV_LEN];
    struct wc_tls_reader nonce, ticket, exts;
    size_t key_len;
    unsigned request;

    if (type == HS_NEW_SESSION_TICKET) {
        (void)wc_tlsr_u32(body);
        (void)wc_tlsr_u32(body);
        wc_tlsr_vector(body, 1, &nonce);
        wc_tlsr_vector(body, 2, &ticket);
        wc_tlsr_vector(body, 2, &exts);
        if (wc_tlsr_done(body) != 0 || ticket.len == 0) {
            return fail(s, WC_ALERT_DECODE_ERROR, 0);
        }
        out[0] = WD_TLS_EV_CONTINUE;
        *out_len = 1;
        return WD_STATUS_OK;
    }
    if (type != HS_KEY_UPDATE) {
        return fail(s, WC_ALERT_UNEXPECTED_MESSAGE, 0);
    }
    request = wc_tlsr_u8(body);
    if (wc_tlsr_done(body) != 0 || request > 1) {
        return fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    if (cap < 2 + WC_TLS13_KEY_MAX + WC_TLS13_IV_LEN + 1 ||
        wc_tls13_key_update(&s->ks, WC_TLS13_SERVER_APPLICATION, key,
                            &key_len, iv) != WC_TLS13_OK) {
        return fail(s, WC_ALERT_INTERNAL_ERROR, 0);
    }
    out[0] = WD_TLS_EV_KEY_UPDATE;
    out[1] = (uint8_t)key_len;
    memcpy(out + 2, key, key_len);
    memcpy(out + 2 + key_len, iv, WC_TLS13_IV_LEN);
    out[2 + key_len + WC_TLS13_IV_LEN] = (uint8_t)request;
    *out_len = 3 + key_len + WC_TLS13_IV_LEN;
    wc_wipe(key, sizeof(key));
    wc_wipe(iv, sizeof(iv));
    return WD_STATUS_OK;
}

enum wd_status
wc_tls_receive(struct wc_companion *c, struct wc_tls_session *s,
               const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
               size_t *out_len, uint8_t *flight, size_t flight_cap)
{
    struct wc_tls_reader body;
    unsigned type;
    enum wd_status status;

    *out_len = 0;
    if (s->state == WC_TLS_FAILED) {
        return WD_STATUS_TLS_FAILED;
    }
    if (split_message(msg, len, &type, &body) != 0) {
        return fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    if (s->version == WC_TLS12) {
        return wc_tls12_receive(c, s, type, msg, len, &body, out, cap,
                                out_len, flight, flight_cap);
    }
    if (s->state == WC_TLS_CONNECTED) {
        return post_handshake(s, type, &body, out, cap, out_len);
    }
    if (s->state == WC_TLS_WAIT_SERVER_HELLO) {
        if (type != HS_SERVER_HELLO) {
            return fail(s, WC_ALERT_UNEXPECTED_MESSAGE, 0);
        }
        return server_hello(c, s, msg, len, &body, out, cap, out_len);
    }

    /* The encrypted flight: 4.3.1, [4.3.2], 4.4.2, 4.4.3, 4.4.4. */
    switch (s->state) {
    case WC_TLS_WAIT_ENCRYPTED_EXTENSIONS:
        status = type == HS_ENCRYPTED_EXTENSIONS
                     ? encrypted_extensions(s, &body)
                     : fail(s, WC_ALERT_UNEXPECTED_MESSAGE, 0);
        break;
    case WC_TLS_WAIT_CERT_OR_REQUEST:
        if (type == HS_CERTIFICATE_REQUEST) {
            status = certificate_request(c, s, &body);
            break;
        }
        /* fall through */
    case WC_TLS_WAIT_CERTIFICATE:
        status = type == HS_CERTIFICATE
                     ? certificate(c, s, &body)
                     : fail(s, WC_ALERT_UNEXPECTED_MESSAGE, 0);
        break;
    case WC_TLS_WAIT_CERTIFICATE_VERIFY:
        status = type == HS_CERTIFICATE_VERIFY
                     ? certificate_verify(s, &body)
                     : fail(s, WC_ALERT_UNEXPECTED_MESSAGE, 0);
        break;
    case WC_TLS_WAIT_FINISHED:
        if (type != HS_FINISHED) {
            return fail(s, WC_ALERT_UNEXPECTED_MESSAGE, 0);
        }
        return finished(c, s, msg, len, &body, out, cap, out_len, flight,
                        flight_cap);
    default:
        return fail(s, WC_ALERT_UNEXPECTED_MESSAGE, 0);
    }
    if (status != WD_STATUS_OK) {
        return status;
    }
    if (wc_tls13_transcript_update(&s->transcript, msg, len) !=
        WC_TLS13_OK) {
        return fail(s, WC_ALERT_INTERNAL_ERROR, 0);
    }
    out[0] = WD_TLS_EV_CONTINUE;
    *out_len = 1;
    return WD_STATUS_OK;
}

enum wd_status
wc_tls_key_update(struct wc_tls_session *s, uint8_t *out, size_t cap,
                  size_t *out_len)
{
    static const uint8_t message[5] = {HS_KEY_UPDATE, 0, 0, 1, 0};
    uint8_t key[WC_TLS13_KEY_MAX], iv[WC_TLS13_IV_LEN];
    size_t key_len;

    *out_len = 0;
    if (s->state != WC_TLS_CONNECTED) {
        return s->state == WC_TLS_FAILED ? WD_STATUS_TLS_FAILED
                                         : WD_STATUS_NOT_ALLOWED;
    }
    /* TLS 1.2 has no KeyUpdate; its keys last the connection. */
    if (s->version != TLS13) {
        return WD_STATUS_NOT_ALLOWED;
    }
    if (cap < 1 + WC_TLS13_KEY_MAX + WC_TLS13_IV_LEN + sizeof(message) ||
        wc_tls13_key_update(&s->ks, WC_TLS13_CLIENT_APPLICATION, key,
                            &key_len, iv) != WC_TLS13_OK) {
        fail(s, WC_ALERT_INTERNAL_ERROR, 0);
        return WD_STATUS_TLS_FAILED;
    }
    out[0] = (uint8_t)key_len;
    memcpy(out + 1, key, key_len);
    memcpy(out + 1 + key_len, iv, WC_TLS13_IV_LEN);
    memcpy(out + 1 + key_len + WC_TLS13_IV_LEN, message, sizeof(message));
    *out_len = 1 + key_len + WC_TLS13_IV_LEN + sizeof(message);
    wc_wipe(key, sizeof(key));
    wc_wipe(iv, sizeof(iv));
    return WD_STATUS_OK;
}

size_t
wc_tls_status(const struct wc_tls_session *s, uint8_t *out)
{
    uint8_t state;

    switch (s->state) {
    case WC_TLS_FREE:
        state = 0;
        break;
    case WC_TLS_CONNECTED:
        state = 2;
        break;
    case WC_TLS_FAILED:
        state = 3;
        break;
    default:
        state = 1;
        break;
    }
    out[WD_TLSS_STATE] = state;
    out[WD_TLSS_ALERT] = s->alert;
    out[WD_TLSS_REASON] = s->reason;
    wd_put16(out + WD_TLSS_VERSION, s->version);
    wd_put16(out + WD_TLSS_SUITE, s->suite);
    wd_put16(out + WD_TLSS_GROUP, s->group);
    out[WD_TLSS_FLAGS] = s->flags;
    out[WD_TLSS_CHAIN_LEN] = s->chain_len;
    out[WD_TLSS_ALPN_LEN] = (uint8_t)s->alpn_selected_len;
    memcpy(out + WD_TLSS_FIXED_LEN, s->alpn_selected, s->alpn_selected_len);
    return WD_TLSS_FIXED_LEN + s->alpn_selected_len;
}

enum wd_status
wc_tls_abort(struct wc_tls_session *s, uint8_t alert)
{
    return fail(s, alert, 0);
}

void
wc_tls_wipe(struct wc_tls_session *s)
{
    wc_tls13_wipe(&s->ks);
    wc_tls13_transcript_wipe(&s->transcript);
    wc_wipe(s, sizeof(*s));
}
