/*
 * The companion's TLS 1.2 handshake authority, client side: RFC 5246
 * with ECDHE_ECDSA (RFC 8422), the AES-GCM and AES-CCM suites (RFC 5289,
 * RFC 7251), the extended master secret (RFC 7627) and the renegotiation
 * indication (RFC 5746). tls13_client.c writes the ClientHello, which
 * offers both versions, and hands over a ServerHello without
 * supported_versions.
 *
 * The rules of TLS 1.3 hold: every message the client sends is written
 * here over the companion's own transcript; the server's chain goes
 * through the same validator; its ServerKeyExchange signature is checked
 * with the certified leaf key; the premaster and master secrets never
 * leave. The host gets the AEAD write keys and implicit IVs of the key
 * block, nothing else.
 *
 * Why those keys go out before the server's Finished is checked: in a
 * TLS 1.2 full handshake the client's Finished goes first, under the
 * new keys, and the server's comes back under its own. The server is
 * authenticated by then (chain validated, signature over both randoms
 * and its ECDHE key checked); its Finished proves the rest of the
 * transcript, and the host may neither send nor accept application data
 * before the companion has checked it (event TLS12_DONE).
 */
#include <string.h>

#include "boot.h"
#include "keys.h"
#include "records.h"
#include "test_hook.h"
#include "tls_common.h"
#include "wc_companion.h"
#include "wc_wipe.h"

/* Handshake messages (RFC 5246 7.4). */
#define HS_SERVER_KEY_EXCHANGE 12
#define HS_SERVER_HELLO_DONE 14
#define HS_CLIENT_KEY_EXCHANGE 16

/* ServerHello extensions this client offered (or may be acknowledged). */
#define EXT_SERVER_NAME 0
#define EXT_EC_POINT_FORMATS 11
#define EXT_ALPN 16
#define EXT_EXTENDED_MASTER_SECRET 23
#define EXT_RENEGOTIATION_INFO 0xff01

#define CURVE_TYPE_NAMED 3      /* RFC 8422 5.4 */
#define POINT_UNCOMPRESSED 0    /* RFC 8422 5.1.2 */
#define CERT_TYPE_ECDSA_SIGN 64 /* RFC 8422 5.5 */
#define VERIFY_DATA_LEN 12      /* RFC 5246 7.4.9 */
#define RANDOM_LEN 32

/*
 * RFC 8446 4.1.3: a TLS 1.3 server that negotiates TLS 1.2 ends its
 * random with "DOWNGRD" and 01. Seeing it while offering TLS 1.3 means
 * something between us removed TLS 1.3 from the ClientHello.
 */
static const uint8_t downgrade_tls12[8] = {0x44, 0x4f, 0x57, 0x4e,
                                           0x47, 0x52, 0x44, 0x01};

int
wc_tls12_suite(unsigned suite)
{
    switch (suite) {
    case WC_TLS12_ECDHE_ECDSA_AES_128_GCM_SHA256:
    case WC_TLS12_ECDHE_ECDSA_AES_256_GCM_SHA384:
    case WC_TLS12_ECDHE_ECDSA_AES_128_CCM:
    case WC_TLS12_ECDHE_ECDSA_AES_256_CCM:
        return 1;
    }
    return 0;
}

static size_t
key_len(const struct wc_tls_session *s)
{
    return s->suite == WC_TLS12_ECDHE_ECDSA_AES_128_GCM_SHA256 ||
                   s->suite == WC_TLS12_ECDHE_ECDSA_AES_128_CCM
               ? 16
               : 32;
}

/* The PRF hash (RFC 5246 5; RFC 7251 2: SHA-256 for the CCM suites). */
static size_t
prf_hash_len(const struct wc_tls_session *s)
{
    return s->suite == WC_TLS12_ECDHE_ECDSA_AES_256_GCM_SHA384 ? 48 : 32;
}

/* PRF(secret, label, seed1 + seed2) with the suite's hash, BearSSL's. */
static void
prf(const struct wc_tls_session *s, uint8_t *out, size_t len,
    const uint8_t *secret, size_t secret_len, const char *label,
    const uint8_t *seed1, size_t seed1_len, const uint8_t *seed2,
    size_t seed2_len)
{
    br_tls_prf_seed_chunk seed[2];

    seed[0].data = seed1;
    seed[0].len = seed1_len;
    seed[1].data = seed2;
    seed[1].len = seed2_len;
    if (prf_hash_len(s) == 48) {
        br_tls12_sha384_prf(out, len, secret, secret_len, label,
                            seed2 != NULL ? 2 : 1, seed);
    } else {
        br_tls12_sha256_prf(out, len, secret, secret_len, label,
                            seed2 != NULL ? 2 : 1, seed);
    }
}

/* The ServerHello's extensions: only answers to what was offered. */
static enum wd_status
hello_extensions(struct wc_tls_session *s, struct wc_tls_reader *exts)
{
    uint64_t seen = 0;
    int ems = 0, reneg = 0;

    while (exts->len > 0 && !exts->err) {
        unsigned type = wc_tlsr_u16(exts);
        struct wc_tls_reader data, list;

        wc_tlsr_vector(exts, 2, &data);
        /* RFC 5246 7.4.1.4: one extension of each type at most. */
        if (type == EXT_RENEGOTIATION_INFO ? reneg
                                           : wc_tls_repeated(&seen, type)) {
            return wc_tls_fail(s, WC_ALERT_DECODE_ERROR, 0);
        }
        switch (type) {
        case EXT_RENEGOTIATION_INFO:
            /* RFC 5746 3.4: an empty renegotiated_connection. */
            wc_tlsr_vector(&data, 1, &list);
            if (list.err || list.len != 0) {
                return wc_tls_fail(s, WC_ALERT_HANDSHAKE_FAILURE,
                                   WD_TLS_REASON_NO_RENEG_INFO);
            }
            reneg = 1;
            break;
        case EXT_EXTENDED_MASTER_SECRET:
            ems = 1;
            break;
        case EXT_EC_POINT_FORMATS: {
            int uncompressed = 0;

            /* RFC 8422 5.2: the server's list holds uncompressed. */
            wc_tlsr_vector(&data, 1, &list);
            while (list.len > 0 && !list.err) {
                if (wc_tlsr_u8(&list) == POINT_UNCOMPRESSED) {
                    uncompressed = 1;
                }
            }
            if (!uncompressed) {
                return wc_tls_fail(s, WC_ALERT_ILLEGAL_PARAMETER, 0);
            }
            break;
        }
        case EXT_SERVER_NAME:
            /* RFC 6066 3: an empty acknowledgement. */
            break;
        case EXT_ALPN:
            if (wc_tls_alpn_answer(s, &data) != WD_STATUS_OK) {
                return WD_STATUS_TLS_FAILED;
            }
            break;
        default:
            /* RFC 5246 7.4.1.4: nothing that was not offered. */
            return wc_tls_fail(s, WC_ALERT_UNSUPPORTED_EXTENSION, 0);
        }
        if (wc_tlsr_done(&data) != 0) {
            return wc_tls_fail(s, WC_ALERT_DECODE_ERROR, 0);
        }
    }
    if (exts->err) {
        return wc_tls_fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    /*
     * RFC 7627 5.3: a full handshake without the extended master secret
     * is refused; RFC 5746 3.4 lets a client refuse a server that does
     * not know secure renegotiation, which this policy does.
     */
    if (!ems) {
        return wc_tls_fail(s, WC_ALERT_HANDSHAKE_FAILURE, WD_TLS_REASON_NO_EMS);
    }
    if (!reneg) {
        return wc_tls_fail(s, WC_ALERT_HANDSHAKE_FAILURE,
                           WD_TLS_REASON_NO_RENEG_INFO);
    }
    return WD_STATUS_OK;
}

enum wd_status
wc_tls12_server_hello(struct wc_tls_session *s, const uint8_t *msg, size_t len,
                      unsigned version, const uint8_t *random,
                      const uint8_t *sid, size_t sid_len, unsigned suite,
                      unsigned compression, struct wc_tls_reader *exts,
                      uint8_t *out, size_t *out_len)
{
    /* TLS 1.2 and nothing older, and only when it was offered. */
    if (version != WC_TLS12 || !wc_tls_offers(s, 1)) {
        return wc_tls_fail(s, WC_ALERT_PROTOCOL_VERSION,
                           version < WC_TLS12 ? WD_TLS_REASON_OLD_VERSION : 0);
    }
    /* RFC 8446 4.1.4: after a HelloRetryRequest, TLS 1.3 or nothing. */
    if (s->flags & WD_TLSS_F_HRR) {
        return wc_tls_fail(s, WC_ALERT_ILLEGAL_PARAMETER, 0);
    }
    /* RFC 8446 4.1.3: the downgrade sentinel of a TLS 1.3 server. */
    if (wc_tls_offers(s, 0) &&
        memcmp(random + RANDOM_LEN - sizeof(downgrade_tls12), downgrade_tls12,
               sizeof(downgrade_tls12)) == 0) {
        return wc_tls_fail(s, WC_ALERT_ILLEGAL_PARAMETER,
                           WD_TLS_REASON_DOWNGRADE);
    }
    /*
     * An offered TLS 1.2 suite, no compression, and no resumption: the
     * session id sent is random, so a server that echoes it claims a
     * session that never existed.
     */
    if (compression != 0 || !wc_tls12_suite(suite) ||
        !wc_tls_listed(s->suites, s->n_suites, suite) || sid_len > 32 ||
        (sid_len == 32 && memcmp(sid, s->legacy_session_id, 32) == 0)) {
        return wc_tls_fail(s, WC_ALERT_ILLEGAL_PARAMETER, 0);
    }
    if (hello_extensions(s, exts) != WD_STATUS_OK) {
        return WD_STATUS_TLS_FAILED;
    }
    if (wc_tls13_transcript_update(&s->transcript, msg, len) != WC_TLS13_OK) {
        return wc_tls_fail(s, WC_ALERT_INTERNAL_ERROR, 0);
    }
    s->version = WC_TLS12;
    s->suite = (uint16_t)suite;
    memcpy(s->server_random, random, RANDOM_LEN);
    s->state = WC_TLS12_WAIT_CERTIFICATE;
    out[0] = WD_TLS_EV_TLS12;
    out[1] = (uint8_t)(suite >> 8);
    out[2] = (uint8_t)suite;
    *out_len = 3;
    return WD_STATUS_OK;
}

/* RFC 5246 7.4.2: the chain, leaf first, through the common validator. */
static enum wd_status
certificate(struct wc_companion *c, struct wc_tls_session *s,
            struct wc_tls_reader *body)
{
    struct wc_der_cert chain[WC_VERIFY_POOL_MAX];
    struct wc_tls_reader list;
    unsigned n = 0;

    wc_tlsr_vector(body, 3, &list);
    if (wc_tlsr_done(body) != 0 || list.err) {
        return wc_tls_fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    while (list.len > 0 && !list.err) {
        struct wc_tls_reader der;
        const uint8_t *p;

        wc_tlsr_vector(&list, 3, &der);
        if (der.err || der.len == 0) {
            return wc_tls_fail(s, WC_ALERT_DECODE_ERROR, 0);
        }
        if (n == WC_VERIFY_POOL_MAX) {
            return wc_tls_fail(s, WC_ALERT_BAD_CERTIFICATE,
                               WC_VERIFY_TOO_COMPLEX);
        }
        chain[n].len = wc_tlsr_rest(&der, &p);
        chain[n].der = p;
        n++;
    }
    /* ECDHE_ECDSA: the server must send its certificate. */
    if (list.err || n == 0) {
        return wc_tls_fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    if (wc_tls_check_chain(c, s, chain, n) != WD_STATUS_OK) {
        return WD_STATUS_TLS_FAILED;
    }
    s->state = WC_TLS12_WAIT_KEY_EXCHANGE;
    return WD_STATUS_OK;
}

/*
 * Puts our key for group in share[0]: the ClientHello's share when it
 * has one for that group (it was never used), else one from the pool of
 * shares made while idle, or a new one.
 */
static int
take_share(struct wc_companion *c, struct wc_tls_session *s, unsigned group)
{
    struct wc_ecdhe_key *mine = wc_tls_share_for(s, group);

    if (mine == &s->share[1]) {
        wc_ecdhe_wipe(&s->share[0]);
        s->share[0] = s->share[1];
    } else if (mine == NULL) {
        wc_ecdhe_wipe(&s->share[0]);
        if (wc_ecdhe_take(&c->ecdhe_pool, &s->share[0], (uint16_t)group,
                          &c->rng) != WC_OK) {
            return -1;
        }
    }
    wc_ecdhe_wipe(&s->share[1]);
    s->n_shares = 1;
    return 0;
}

/*
 * RFC 8422 5.4: the server's ECDHE key on a named curve we offered,
 * signed with its certified key over
 *   client_random + server_random + ServerECDHParams.
 * The premaster secret is computed at once; our private key goes.
 */
static enum wd_status
server_key_exchange(struct wc_companion *c, struct wc_tls_session *s,
                    struct wc_tls_reader *body)
{
    uint8_t content[2 * RANDOM_LEN + 4 + 255];
    struct wc_tls_reader point, sig;
    const uint8_t *params = body->p, *peer, *sig_bytes;
    size_t params_len, peer_len, sig_len;
    unsigned curve_type, group, scheme;

    curve_type = wc_tlsr_u8(body);
    group = wc_tlsr_u16(body);
    wc_tlsr_vector(body, 1, &point);
    params_len = (size_t)(body->p - params);
    scheme = wc_tlsr_u16(body);
    wc_tlsr_vector(body, 2, &sig);
    if (wc_tlsr_done(body) != 0 || point.err || sig.err) {
        return wc_tls_fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    if (curve_type != CURVE_TYPE_NAMED ||
        !wc_tls_listed(s->groups, s->n_groups, group)) {
        return wc_tls_fail(s, WC_ALERT_ILLEGAL_PARAMETER, 0);
    }

    memcpy(content, s->client_random, RANDOM_LEN);
    memcpy(content + RANDOM_LEN, s->server_random, RANDOM_LEN);
    memcpy(content + 2 * RANDOM_LEN, params, params_len);
    sig_len = wc_tlsr_rest(&sig, &sig_bytes);
    if (wc_tls_check_server_signature(s, scheme, content,
                                      2 * RANDOM_LEN + params_len, sig_bytes,
                                      sig_len) != WD_STATUS_OK) {
        return WD_STATUS_TLS_FAILED;
    }

    if (take_share(c, s, group) != 0) {
        return wc_tls_fail(s, WC_ALERT_INTERNAL_ERROR, 0);
    }
    peer_len = wc_tlsr_rest(&point, &peer);
    /* Uncompressed NIST points of the curve's size, checked on the curve. */
    if (wc_ecdhe_shared(&s->share[0], peer, peer_len, s->premaster,
                        &s->premaster_len) != 0) {
        return wc_tls_fail(s, WC_ALERT_ILLEGAL_PARAMETER, 0);
    }
    /* Only the public half is left to send, in ClientKeyExchange. */
    wc_wipe(s->share[0].priv, sizeof(s->share[0].priv));
    s->share[0].priv_len = 0;
    s->group = (uint16_t)group;
    s->state = WC_TLS12_WAIT_REQUEST_OR_DONE;
    return WD_STATUS_OK;
}

/*
 * RFC 5246 7.4.4: our key may answer if the server takes ECDSA
 * certificates and the scheme the device key signs with.
 */
static enum wd_status
certificate_request(struct wc_companion *c, struct wc_tls_session *s,
                    struct wc_tls_reader *body)
{
    struct wc_tls_reader types, algs, authorities;
    unsigned want = wc_tls_device_scheme(c);
    int ecdsa = 0, scheme = 0;

    wc_tlsr_vector(body, 1, &types);
    wc_tlsr_vector(body, 2, &algs);
    wc_tlsr_vector(body, 2, &authorities);
    if (wc_tlsr_done(body) != 0 || types.err || algs.err || authorities.err ||
        types.len == 0 || algs.len == 0 || algs.len % 2 != 0) {
        return wc_tls_fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    while (types.len > 0) {
        if (wc_tlsr_u8(&types) == CERT_TYPE_ECDSA_SIGN) {
            ecdsa = 1;
        }
    }
    while (algs.len > 0) {
        if (wc_tlsr_u16(&algs) == want && want != 0) {
            scheme = 1;
        }
    }
    /* certificate_authorities do not bind us: the server checks. */
    s->can_sign = ecdsa && scheme;
    s->flags |= WD_TLSS_F_CERT_REQUESTED;
    s->state = WC_TLS12_WAIT_HELLO_DONE;
    return WD_STATUS_OK;
}

/* Appends one written message to the transcript. */
static int
add_to_flight(struct wc_tls_session *s, struct wc_tls_writer *w, size_t start)
{
    return w->err == 0 &&
                   wc_tls13_transcript_update(&s->transcript, w->p + start,
                                              w->len - start) == WC_TLS13_OK
               ? 0
               : -1;
}

/*
 * RFC 5246 7.4.6: the stored device chain when our key may answer,
 * else an empty list (the server decides whether that is enough).
 */
static int
client_certificate(struct wc_companion *c, struct wc_tls_session *s,
                   struct wc_tls_writer *w)
{
    size_t start = w->len, body, list, i, len;
    int send_chain = s->can_sign;
    const uint8_t *der;

    /* Server authentication still works; the device stays anonymous. */
    if (send_chain && !wc_boot_key_unlocked(c)) {
        send_chain = 0;
        s->flags |= WD_TLSS_F_KEY_LOCKED;
    }
    if (wc_store_get(&c->store, WC_REC_DEVICE_CERT(0), &der, &len) != WC_OK) {
        send_chain = 0;
    }
    wc_tlsw_u8(w, WC_HS_CERTIFICATE);
    body = wc_tlsw_open(w, 3);
    list = wc_tlsw_open(w, 3);
    for (i = 0; send_chain && i < WD_DEVICE_CHAIN_MAX; i++) {
        if (wc_store_get(&c->store, WC_REC_DEVICE_CERT(i), &der, &len) !=
            WC_OK) {
            break;
        }
        wc_tlsw_u24(w, (uint32_t)len);
        wc_tlsw_bytes(w, der, len);
    }
    wc_tlsw_close(w, list, 3);
    wc_tlsw_close(w, body, 3);
    if (send_chain) {
        s->flags |= WD_TLSS_F_CLIENT_CERT;
    }
    return add_to_flight(s, w, start);
}

/*
 * RFC 5246 7.4.8: the device key signs the hash of every handshake
 * message so far, with the hash that goes with its curve.
 */
static int
certificate_verify(struct wc_companion *c, struct wc_tls_session *s,
                   struct wc_tls_writer *w)
{
    uint8_t hash[WC_TLS13_HASH_MAX], sig[WC_SIG_DER_MAX];
    unsigned scheme = wc_tls_device_scheme(c);
    size_t hash_len = scheme == WC_SIG_ECDSA_P384_SHA384 ? 48 : 32;
    size_t start = w->len, body, sig_len;
    int rc = -1;

    if (wc_tls13_transcript_hash_as(&s->transcript, hash_len, hash) ==
            WC_TLS13_OK &&
        wc_key_sign_digest(c, WD_KEY_DEVICE, hash, hash_len, sig, &sig_len) ==
            WD_STATUS_OK) {
        wc_tlsw_u8(w, WC_HS_CERTIFICATE_VERIFY);
        body = wc_tlsw_open(w, 3);
        wc_tlsw_u16(w, scheme);
        wc_tlsw_u16(w, (unsigned)sig_len);
        wc_tlsw_bytes(w, sig, sig_len);
        wc_tlsw_close(w, body, 3);
        rc = add_to_flight(s, w, start);
    }
    wc_wipe(hash, sizeof(hash));
    return rc;
}

/* verify_data = PRF(master, label, Hash(handshake messages))[0..11]. */
static int
finished_data(struct wc_tls_session *s, const char *label,
              uint8_t vd[VERIFY_DATA_LEN])
{
    uint8_t hash[WC_TLS13_HASH_MAX];
    size_t hash_len = prf_hash_len(s);
    int rc = -1;

    if (wc_tls13_transcript_hash_as(&s->transcript, hash_len, hash) ==
        WC_TLS13_OK) {
        prf(s, vd, VERIFY_DATA_LEN, s->master, sizeof(s->master), label, hash,
            hash_len, NULL, 0);
        rc = 0;
    }
    wc_wipe(hash, sizeof(hash));
    return rc;
}

/*
 * RFC 7627 4: master_secret = PRF(premaster, "extended master secret",
 * session_hash), the session hash ending with ClientKeyExchange. The
 * premaster secret is wiped.
 */
static int
master_secret(struct wc_tls_session *s)
{
    uint8_t hash[WC_TLS13_HASH_MAX];
    size_t hash_len = prf_hash_len(s);
    int rc = -1;

    if (s->premaster_len > 0 &&
        wc_tls13_transcript_hash_as(&s->transcript, hash_len, hash) ==
            WC_TLS13_OK) {
        prf(s, s->master, sizeof(s->master), s->premaster, s->premaster_len,
            "extended master secret", hash, hash_len, NULL, 0);
        WC_TEST_SECRET("TLS 1.2 master secret", s->master, sizeof(s->master));
        rc = 0;
    }
    wc_wipe(s->premaster, sizeof(s->premaster));
    s->premaster_len = 0;
    wc_wipe(hash, sizeof(hash));
    return rc;
}

/*
 * The TLS12_KEYS event: u8 key length, client write key, client IV,
 * server write key, server IV (4-byte implicit IVs), u16 flight length,
 * u16 length of the Finished that ends it. RFC 5246 6.3: the key block
 * of an AEAD suite is client key, server key, client IV, server IV.
 */
static int
put_keys(struct wc_tls_session *s, uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t block[2 * 32 + 2 * WD_TLS12_SALT_LEN];
    size_t kl = key_len(s), n = 2 * kl + 2 * WD_TLS12_SALT_LEN;
    size_t off = 0;

    if (cap < 2 + n + 4) {
        return -1;
    }
    prf(s, block, n, s->master, sizeof(s->master), "key expansion",
        s->server_random, RANDOM_LEN, s->client_random, RANDOM_LEN);
    /* Not secrets from the host, which gets them: the test's control. */
    WC_TEST_SECRET("client write key (TLS 1.2)", block, kl);
    WC_TEST_SECRET("server write key (TLS 1.2)", block + kl, kl);
    out[off++] = WD_TLS_EV_TLS12_KEYS;
    out[off++] = (uint8_t)kl;
    memcpy(out + off, block, kl);
    memcpy(out + off + kl, block + 2 * kl, WD_TLS12_SALT_LEN);
    off += kl + WD_TLS12_SALT_LEN;
    memcpy(out + off, block + kl, kl);
    memcpy(out + off + kl, block + 2 * kl + WD_TLS12_SALT_LEN,
           WD_TLS12_SALT_LEN);
    off += kl + WD_TLS12_SALT_LEN;
    wd_put16(out + off, (uint16_t)s->flight_len);
    wd_put16(out + off + 2, 4 + VERIFY_DATA_LEN);
    *out_len = off + 4;
    wc_wipe(block, sizeof(block));
    return 0;
}

/*
 * RFC 5246 7.4.5: the server is done. The client's flight is written:
 * [Certificate], ClientKeyExchange, [CertificateVerify], Finished.
 */
static enum wd_status
hello_done(struct wc_companion *c, struct wc_tls_session *s, const uint8_t *msg,
           size_t len, struct wc_tls_reader *body, uint8_t *out, size_t cap,
           size_t *out_len, uint8_t *flight, size_t flight_cap)
{
    uint8_t vd[VERIFY_DATA_LEN];
    struct wc_tls_writer w;
    size_t start, inner;
    int err = 0;

    if (body->len != 0) {
        return wc_tls_fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    if (wc_tls13_transcript_update(&s->transcript, msg, len) != WC_TLS13_OK) {
        return wc_tls_fail(s, WC_ALERT_INTERNAL_ERROR, 0);
    }
    wc_tlsw_init(&w, flight, flight_cap);
    if (s->flags & WD_TLSS_F_CERT_REQUESTED) {
        err |= client_certificate(c, s, &w);
    }

    /* RFC 8422 5.7: our ECDHE public key. */
    start = w.len;
    wc_tlsw_u8(&w, HS_CLIENT_KEY_EXCHANGE);
    inner = wc_tlsw_open(&w, 3);
    wc_tlsw_u8(&w, (unsigned)s->share[0].pub_len);
    wc_tlsw_bytes(&w, s->share[0].pub, s->share[0].pub_len);
    wc_tlsw_close(&w, inner, 3);
    err |= add_to_flight(s, &w, start);
    wc_ecdhe_wipe(&s->share[0]);
    s->n_shares = 0;

    err |= master_secret(s);
    if (err == 0 && (s->flags & WD_TLSS_F_CLIENT_CERT)) {
        err |= certificate_verify(c, s, &w);
    }
    if (err == 0) {
        err |= finished_data(s, "client finished", vd);
        start = w.len;
        wc_tlsw_u8(&w, WC_HS_FINISHED);
        wc_tlsw_u24(&w, VERIFY_DATA_LEN);
        wc_tlsw_bytes(&w, vd, VERIFY_DATA_LEN);
        err |= add_to_flight(s, &w, start);
        wc_wipe(vd, sizeof(vd));
    }
    s->flight_len = w.len;
    if (err != 0 || put_keys(s, out, cap, out_len) != 0) {
        *out_len = 0;
        return wc_tls_fail(s, WC_ALERT_INTERNAL_ERROR, 0);
    }
    s->state = WC_TLS12_WAIT_FINISHED;
    return WD_STATUS_OK;
}

/*
 * RFC 5246 7.4.9: the server's Finished covers the whole handshake, the
 * client's Finished included; compared in constant time. Afterwards the
 * companion keeps nothing of the handshake.
 */
static enum wd_status
server_finished(struct wc_tls_session *s, struct wc_tls_reader *body,
                uint8_t *out, size_t *out_len)
{
    uint8_t expected[VERIFY_DATA_LEN];
    const uint8_t *p;
    size_t n = wc_tlsr_rest(body, &p);
    int differ;

    if (n != VERIFY_DATA_LEN) {
        return wc_tls_fail(s, WC_ALERT_DECODE_ERROR, 0);
    }
    if (finished_data(s, "server finished", expected) != 0) {
        return wc_tls_fail(s, WC_ALERT_INTERNAL_ERROR, 0);
    }
    /* 0 when equal, -1 otherwise. */
    differ = wc_memeq_ct(expected, p, VERIFY_DATA_LEN);
    wc_wipe(expected, sizeof(expected));
    if (differ != 0) {
        return wc_tls_fail(s, WC_ALERT_DECRYPT_ERROR, 0);
    }
    wc_wipe(s->master, sizeof(s->master));
    wc_tls13_transcript_wipe(&s->transcript);
    s->state = WC_TLS_CONNECTED;
    out[0] = WD_TLS_EV_TLS12_DONE;
    *out_len = 1;
    return WD_STATUS_OK;
}

enum wd_status
wc_tls12_receive(struct wc_companion *c, struct wc_tls_session *s,
                 unsigned type, const uint8_t *msg, size_t len,
                 struct wc_tls_reader *body, uint8_t *out, size_t cap,
                 size_t *out_len, uint8_t *flight, size_t flight_cap)
{
    enum wd_status status;

    /*
     * RFC 5246 7.4.1.1, RFC 5746 4.2: a HelloRequest asks for a new
     * handshake. This client never renegotiates, at any time.
     */
    if (type == WC_HS_HELLO_REQUEST) {
        return wc_tls_fail(s, WC_ALERT_NO_RENEGOTIATION,
                           WD_TLS_REASON_RENEGOTIATION);
    }
    switch (s->state) {
    case WC_TLS12_WAIT_CERTIFICATE:
        status = type == WC_HS_CERTIFICATE
                     ? certificate(c, s, body)
                     : wc_tls_fail(s, WC_ALERT_UNEXPECTED_MESSAGE, 0);
        break;
    case WC_TLS12_WAIT_KEY_EXCHANGE:
        status = type == HS_SERVER_KEY_EXCHANGE
                     ? server_key_exchange(c, s, body)
                     : wc_tls_fail(s, WC_ALERT_UNEXPECTED_MESSAGE, 0);
        break;
    case WC_TLS12_WAIT_REQUEST_OR_DONE:
        if (type == WC_HS_CERTIFICATE_REQUEST) {
            status = certificate_request(c, s, body);
            break;
        }
        /* fall through */
    case WC_TLS12_WAIT_HELLO_DONE:
        if (type != HS_SERVER_HELLO_DONE) {
            return wc_tls_fail(s, WC_ALERT_UNEXPECTED_MESSAGE, 0);
        }
        return hello_done(c, s, msg, len, body, out, cap, out_len, flight,
                          flight_cap);
    case WC_TLS12_WAIT_FINISHED:
        if (type != WC_HS_FINISHED) {
            return wc_tls_fail(s, WC_ALERT_UNEXPECTED_MESSAGE, 0);
        }
        return server_finished(s, body, out, out_len);
    default:
        /* Connected: no handshake message but a HelloRequest exists. */
        return wc_tls_fail(s, WC_ALERT_UNEXPECTED_MESSAGE, 0);
    }
    if (status != WD_STATUS_OK) {
        return status;
    }
    if (wc_tls13_transcript_update(&s->transcript, msg, len) != WC_TLS13_OK) {
        return wc_tls_fail(s, WC_ALERT_INTERNAL_ERROR, 0);
    }
    out[0] = WD_TLS_EV_CONTINUE;
    *out_len = 1;
    return WD_STATUS_OK;
}
