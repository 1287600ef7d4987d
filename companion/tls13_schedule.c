/*
 * The TLS 1.3 key schedule; see tls13_schedule.h.
 *
 * BearSSL's br_hkdf runs Extract and Expand as one pass and keeps the
 * pseudorandom key to itself, while TLS 1.3 expands many times from
 * secrets held between steps. So HKDF-Extract and HKDF-Expand (RFC 5869
 * 2.2 and 2.3) are written here as the few HMAC calls they are, over
 * BearSSL's HMAC; every hash and MAC is BearSSL's. HKDF-Expand-Label is
 * HKDF-Expand with a structured info, run by the same loop, so that
 * tests/wycheproof.c checks that loop with arbitrary info too.
 */
#include "tls13_schedule.h"

#include <string.h>

#include "test_hook.h"
#include "wc_wipe.h"

#define LABEL_PREFIX "tls13 "
#define LABEL_PREFIX_LEN 6

/* wc_tls13_schedule.flags */
#define KS_SERVER_FINISHED 0x01
#define KS_CLIENT_FINISHED 0x02

/* RFC 8446 4.4.1: the type of the synthetic message after an HRR. */
#define MESSAGE_HASH 254

const char *
wc_tls13_strerror(int err)
{
    switch (err) {
#define WC_TLS13_X(name, code, message)                                        \
    case code:                                                                 \
        return message;
        WC_TLS13_ERROR_LIST(WC_TLS13_X)
#undef WC_TLS13_X
    }
    return "unknown error";
}

const br_hash_class *
wc_tls13_suite_hash(uint16_t suite)
{
    switch (suite) {
    case WC_TLS13_AES_128_GCM_SHA256:
    case WC_TLS13_AES_128_CCM_SHA256:
        return &br_sha256_vtable;
    case WC_TLS13_AES_256_GCM_SHA384:
        return &br_sha384_vtable;
    }
    return NULL;
}

/* AEAD key length of a suite (RFC 8446 B.4), 0 if not allowed. */
static size_t
suite_key_len(uint16_t suite)
{
    switch (suite) {
    case WC_TLS13_AES_128_GCM_SHA256:
    case WC_TLS13_AES_128_CCM_SHA256:
        return 16;
    case WC_TLS13_AES_256_GCM_SHA384:
        return 32;
    }
    return 0;
}

/* Output length of h if it is one the schedule uses, else 0. */
static size_t
hash_len_of(const br_hash_class *h)
{
    if (h == &br_sha256_vtable) {
        return br_sha256_SIZE;
    }
    if (h == &br_sha384_vtable) {
        return br_sha384_SIZE;
    }
    return 0;
}

static const br_hash_class *
hash_of_len(size_t hash_len)
{
    return hash_len == br_sha384_SIZE ? &br_sha384_vtable : &br_sha256_vtable;
}

/* Hash("") for Derive-Secret(., "derived", "") (RFC 8446 7.1). */
static void
empty_hash(const br_hash_class *h, uint8_t *out)
{
    br_hash_compat_context hc;

    h->init(&hc.vtable);
    h->out(&hc.vtable, out);
}

/* HMAC-Hash(key, msg) (RFC 2104), one hash length into out. */
static void
hmac(const br_hash_class *h, const uint8_t *key, size_t key_len,
     const uint8_t *msg, size_t msg_len, uint8_t *out)
{
    br_hmac_key_context kc;
    br_hmac_context hc;

    br_hmac_key_init(&kc, h, key, key_len);
    br_hmac_init(&hc, &kc, 0);
    br_hmac_update(&hc, msg, msg_len);
    br_hmac_out(&hc, out);
    wc_wipe(&kc, sizeof(kc));
    wc_wipe(&hc, sizeof(hc));
}

/* HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM) (RFC 5869 2.2). */
static void
hkdf_extract(const br_hash_class *h, const uint8_t *salt, size_t salt_len,
             const uint8_t *ikm, size_t ikm_len, uint8_t *prk)
{
    hmac(h, salt, salt_len, ikm, ikm_len, prk);
}

/*
 * One piece of HKDF-Expand's info. HkdfLabel is never built in one
 * buffer: its parts go to HMAC as they are.
 */
struct info_part {
    const void *data;
    size_t len;
};

/*
 * HKDF-Expand(PRK, info, L) (RFC 5869 2.3), info being the concatenation
 * of parts:
 *   T(0) = empty, T(i) = HMAC(PRK, T(i-1) | info | i),
 *   OKM = the first L bytes of T(1) | T(2) | ...
 * Arguments are checked by the caller: L is at most 255 hash lengths.
 */
static void
hkdf_expand(const br_hash_class *h, const uint8_t *prk, size_t prk_len,
            const struct info_part *parts, size_t part_count, uint8_t *out,
            size_t out_len)
{
    br_hmac_key_context kc;
    br_hmac_context hc;
    uint8_t t[WC_TLS13_HASH_MAX];
    uint8_t i;
    size_t t_len, n, k;

    br_hmac_key_init(&kc, h, prk, prk_len);
    t_len = 0;
    i = 0;
    while (out_len > 0) {
        i++;
        br_hmac_init(&hc, &kc, 0);
        br_hmac_update(&hc, t, t_len);
        for (k = 0; k < part_count; k++) {
            br_hmac_update(&hc, parts[k].data, parts[k].len);
        }
        br_hmac_update(&hc, &i, 1);
        t_len = br_hmac_out(&hc, t);

        n = out_len < t_len ? out_len : t_len;
        memcpy(out, t, n);
        out += n;
        out_len -= n;
    }
    wc_wipe(&kc, sizeof(kc));
    wc_wipe(&hc, sizeof(hc));
    wc_wipe(t, sizeof(t));
}

/* HKDF-Expand(PRK, HkdfLabel, L) (RFC 8446 7.1), arguments checked. */
static void
expand_label(const br_hash_class *h, const uint8_t *prk, size_t prk_len,
             const char *label, size_t label_len, const uint8_t *context,
             size_t context_len, uint8_t *out, size_t out_len)
{
    uint8_t head[3], ctx_len;
    struct info_part parts[5];

    /* struct { uint16 length; opaque label<7..255>; ... } HkdfLabel */
    head[0] = (uint8_t)(out_len >> 8);
    head[1] = (uint8_t)out_len;
    head[2] = (uint8_t)(LABEL_PREFIX_LEN + label_len);
    ctx_len = (uint8_t)context_len;

    parts[0].data = head;
    parts[0].len = sizeof(head);
    parts[1].data = LABEL_PREFIX;
    parts[1].len = LABEL_PREFIX_LEN;
    parts[2].data = label;
    parts[2].len = label_len;
    /* opaque context<0..255> */
    parts[3].data = &ctx_len;
    parts[3].len = 1;
    parts[4].data = context;
    parts[4].len = context_len;
    hkdf_expand(h, prk, prk_len, parts, 5, out, out_len);
}

int
wc_tls13_hmac(const br_hash_class *h, const uint8_t *key, size_t key_len,
              const uint8_t *msg, size_t msg_len,
              uint8_t out[WC_TLS13_HASH_MAX])
{
    if (out == NULL) {
        return WC_TLS13_ARGUMENT;
    }
    if (hash_len_of(h) == 0 || (key == NULL && key_len > 0) ||
        (msg == NULL && msg_len > 0)) {
        memset(out, 0, WC_TLS13_HASH_MAX);
        return WC_TLS13_ARGUMENT;
    }
    hmac(h, key, key_len, msg, msg_len, out);
    return WC_TLS13_OK;
}

int
wc_tls13_hkdf_extract(const br_hash_class *h, const uint8_t *salt,
                      size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                      uint8_t prk[WC_TLS13_HASH_MAX])
{
    return wc_tls13_hmac(h, salt, salt_len, ikm, ikm_len, prk);
}

int
wc_tls13_hkdf_expand(const br_hash_class *h, const uint8_t *prk, size_t prk_len,
                     const uint8_t *info, size_t info_len, uint8_t *out,
                     size_t out_len)
{
    size_t hash_len = hash_len_of(h);
    struct info_part part;

    if (out == NULL) {
        return WC_TLS13_ARGUMENT;
    }
    if (hash_len == 0 || prk == NULL || (info == NULL && info_len > 0) ||
        out_len == 0 || out_len > 255 * hash_len) {
        memset(out, 0, out_len);
        return WC_TLS13_ARGUMENT;
    }
    part.data = info;
    part.len = info_len;
    hkdf_expand(h, prk, prk_len, &part, 1, out, out_len);
    return WC_TLS13_OK;
}

/* Derive-Secret with checked arguments (RFC 8446 7.1). */
static void
derive(const br_hash_class *h, size_t hash_len, const uint8_t *secret,
       const char *label, const uint8_t *transcript_hash, uint8_t *out)
{
    expand_label(h, secret, hash_len, label, strlen(label), transcript_hash,
                 hash_len, out, hash_len);
}

int
wc_tls13_expand_label(const br_hash_class *h, const uint8_t *secret,
                      size_t secret_len, const char *label,
                      const uint8_t *context, size_t context_len, uint8_t *out,
                      size_t out_len)
{
    size_t hash_len = hash_len_of(h);
    size_t label_len;

    if (out == NULL) {
        return WC_TLS13_ARGUMENT;
    }
    if (hash_len == 0 || secret == NULL || label == NULL ||
        (context == NULL && context_len > 0) || context_len > 255 ||
        out_len == 0 || out_len > 255 * hash_len) {
        memset(out, 0, out_len);
        return WC_TLS13_ARGUMENT;
    }
    label_len = strlen(label);
    if (label_len == 0 || label_len > WC_TLS13_LABEL_MAX) {
        memset(out, 0, out_len);
        return WC_TLS13_ARGUMENT;
    }
    expand_label(h, secret, secret_len, label, label_len, context, context_len,
                 out, out_len);
    return WC_TLS13_OK;
}

int
wc_tls13_derive_secret(const br_hash_class *h, const uint8_t *secret,
                       const char *label, const uint8_t *transcript_hash,
                       uint8_t *out)
{
    size_t hash_len = hash_len_of(h);

    if (transcript_hash == NULL) {
        if (out != NULL && hash_len > 0) {
            memset(out, 0, hash_len);
        }
        return WC_TLS13_ARGUMENT;
    }
    return wc_tls13_expand_label(h, secret, hash_len, label, transcript_hash,
                                 hash_len, out, hash_len);
}

/* ---- Transcript ---- */

static int
transcript_fail(struct wc_tls13_transcript *t, int err)
{
    wc_wipe(t, sizeof(*t));
    t->state = WC_TLS13_TRANSCRIPT_FAILED;
    t->err = err;
    return err;
}

void
wc_tls13_transcript_init(struct wc_tls13_transcript *t)
{
    wc_wipe(t, sizeof(*t));
    br_sha256_init(&t->sha256);
    br_sha384_init(&t->sha384);
    t->state = WC_TLS13_TRANSCRIPT_BOTH;
}

int
wc_tls13_transcript_update(struct wc_tls13_transcript *t, const void *data,
                           size_t len)
{
    if (t == NULL) {
        return WC_TLS13_ARGUMENT;
    }
    switch (t->state) {
    case WC_TLS13_TRANSCRIPT_BOTH:
    case WC_TLS13_TRANSCRIPT_RETRY:
    case WC_TLS13_TRANSCRIPT_SELECTED:
        break;
    case WC_TLS13_TRANSCRIPT_FAILED:
        return t->err;
    default:
        return transcript_fail(t, WC_TLS13_ORDER);
    }
    if (data == NULL && len > 0) {
        return transcript_fail(t, WC_TLS13_ARGUMENT);
    }
    if (t->hash_len != br_sha384_SIZE) {
        br_sha256_update(&t->sha256, data, len);
    }
    if (t->hash_len != br_sha256_SIZE) {
        br_sha384_update(&t->sha384, data, len);
    }
    return WC_TLS13_OK;
}

/* Keeps the hash of suite only; the other context is cleared. */
static int
transcript_keep(struct wc_tls13_transcript *t, uint16_t suite)
{
    const br_hash_class *h = wc_tls13_suite_hash(suite);

    if (h == NULL) {
        return WC_TLS13_SUITE;
    }
    t->suite = suite;
    t->hash_len = (uint8_t)hash_len_of(h);
    if (h == &br_sha256_vtable) {
        wc_wipe(&t->sha384, sizeof(t->sha384));
    } else {
        wc_wipe(&t->sha256, sizeof(t->sha256));
    }
    return WC_TLS13_OK;
}

int
wc_tls13_transcript_select(struct wc_tls13_transcript *t, uint16_t suite)
{
    int err;

    if (t == NULL) {
        return WC_TLS13_ARGUMENT;
    }
    switch (t->state) {
    case WC_TLS13_TRANSCRIPT_BOTH:
        err = transcript_keep(t, suite);
        if (err != WC_TLS13_OK) {
            return transcript_fail(t, err);
        }
        break;
    case WC_TLS13_TRANSCRIPT_RETRY:
        /* 4.1.4: the ServerHello's suite must be the HRR's. */
        if (suite != t->suite) {
            return transcript_fail(t, WC_TLS13_SUITE);
        }
        break;
    case WC_TLS13_TRANSCRIPT_FAILED:
        return t->err;
    default:
        return transcript_fail(t, WC_TLS13_ORDER);
    }
    t->state = WC_TLS13_TRANSCRIPT_SELECTED;
    return WC_TLS13_OK;
}

int
wc_tls13_transcript_hello_retry(struct wc_tls13_transcript *t, uint16_t suite)
{
    uint8_t msg[4 + WC_TLS13_HASH_MAX];
    int err;

    if (t == NULL) {
        return WC_TLS13_ARGUMENT;
    }
    if (t->state == WC_TLS13_TRANSCRIPT_FAILED) {
        return t->err;
    }
    /* 4.1.4: a second HelloRetryRequest, or one after a choice, aborts. */
    if (t->state != WC_TLS13_TRANSCRIPT_BOTH) {
        return transcript_fail(t, WC_TLS13_ORDER);
    }
    err = transcript_keep(t, suite);
    if (err != WC_TLS13_OK) {
        return transcript_fail(t, err);
    }

    /*
     * 4.4.1: ClientHello1 gives way to
     *   message_hash(254) | 00 00 Hash.length | Hash(ClientHello1)
     * and the HelloRetryRequest and later messages follow it.
     */
    msg[0] = MESSAGE_HASH;
    msg[1] = 0;
    msg[2] = 0;
    msg[3] = t->hash_len;
    if (t->hash_len == br_sha256_SIZE) {
        br_sha256_out(&t->sha256, msg + 4);
        br_sha256_init(&t->sha256);
        br_sha256_update(&t->sha256, msg, 4 + (size_t)t->hash_len);
    } else {
        br_sha384_out(&t->sha384, msg + 4);
        br_sha384_init(&t->sha384);
        br_sha384_update(&t->sha384, msg, 4 + (size_t)t->hash_len);
    }
    t->state = WC_TLS13_TRANSCRIPT_RETRY;
    return WC_TLS13_OK;
}

int
wc_tls13_transcript_hash(const struct wc_tls13_transcript *t,
                         uint8_t out[WC_TLS13_HASH_MAX], size_t *len)
{
    if (t == NULL || out == NULL || len == NULL) {
        return WC_TLS13_ARGUMENT;
    }
    *len = 0;
    switch (t->state) {
    case WC_TLS13_TRANSCRIPT_RETRY:
    case WC_TLS13_TRANSCRIPT_SELECTED:
        break;
    case WC_TLS13_TRANSCRIPT_FAILED:
        return t->err;
    default:
        return WC_TLS13_ORDER;
    }
    /* BearSSL's *_out leave the running context as it was. */
    if (t->hash_len == br_sha256_SIZE) {
        br_sha256_out(&t->sha256, out);
    } else {
        br_sha384_out(&t->sha384, out);
    }
    *len = t->hash_len;
    return WC_TLS13_OK;
}

int
wc_tls13_transcript_hash_as(const struct wc_tls13_transcript *t,
                            size_t hash_len, uint8_t out[WC_TLS13_HASH_MAX])
{
    if (t == NULL || out == NULL ||
        (hash_len != br_sha256_SIZE && hash_len != br_sha384_SIZE)) {
        return WC_TLS13_ARGUMENT;
    }
    if (t->state == WC_TLS13_TRANSCRIPT_FAILED) {
        return t->err;
    }
    if (t->state == WC_TLS13_TRANSCRIPT_NONE ||
        (t->hash_len != 0 && t->hash_len != hash_len)) {
        return WC_TLS13_ARGUMENT;
    }
    if (hash_len == br_sha256_SIZE) {
        br_sha256_out(&t->sha256, out);
    } else {
        br_sha384_out(&t->sha384, out);
    }
    return WC_TLS13_OK;
}

void
wc_tls13_transcript_wipe(struct wc_tls13_transcript *t)
{
    if (t != NULL) {
        wc_wipe(t, sizeof(*t));
    }
}

/* ---- Schedule ---- */

static void
wipe_secrets(struct wc_tls13_schedule *ks)
{
    wc_wipe(ks->secret, sizeof(ks->secret));
    wc_wipe(ks->client_hs, sizeof(ks->client_hs));
    wc_wipe(ks->server_hs, sizeof(ks->server_hs));
    wc_wipe(ks->client_ap, sizeof(ks->client_ap));
    wc_wipe(ks->server_ap, sizeof(ks->server_ap));
    wc_wipe(ks->exporter, sizeof(ks->exporter));
    wc_wipe(ks->resumption, sizeof(ks->resumption));
}

/* Poisons the schedule: secrets gone, err returned from now on. */
static int
fail(struct wc_tls13_schedule *ks, int err)
{
    wipe_secrets(ks);
    ks->stage = WC_TLS13_FAILED;
    ks->flags = 0;
    ks->err = err;
    return err;
}

/* WC_TLS13_OK when ks is at stage; otherwise the error, ks poisoned. */
static int
expect_stage(struct wc_tls13_schedule *ks, unsigned stage)
{
    if (ks->stage == WC_TLS13_FAILED) {
        return ks->err;
    }
    if (ks->stage != stage) {
        return fail(ks, WC_TLS13_ORDER);
    }
    return WC_TLS13_OK;
}

/* The hash of t, which must run the schedule's suite. */
static int
schedule_hash(const struct wc_tls13_schedule *ks,
              const struct wc_tls13_transcript *t,
              uint8_t out[WC_TLS13_HASH_MAX])
{
    size_t len;
    int err;

    if (t == NULL || t->state != WC_TLS13_TRANSCRIPT_SELECTED ||
        t->suite != ks->suite) {
        return WC_TLS13_ARGUMENT;
    }
    err = wc_tls13_transcript_hash(t, out, &len);
    if (err == WC_TLS13_OK && len != ks->hash_len) {
        err = WC_TLS13_ARGUMENT;
    }
    return err;
}

/*
 * Finished verify_data (RFC 8446 4.4.4):
 *   finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length)
 *   verify_data = HMAC(finished_key, Transcript-Hash(...))
 */
static void
finished(const struct wc_tls13_schedule *ks, const uint8_t *base_key,
         const uint8_t *transcript_hash, uint8_t *out)
{
    const br_hash_class *h = hash_of_len(ks->hash_len);
    uint8_t key[WC_TLS13_HASH_MAX];

    expand_label(h, base_key, ks->hash_len, "finished", 8, NULL, 0, key,
                 ks->hash_len);
    WC_TEST_SECRET("finished key", key, ks->hash_len);
    hmac(h, key, ks->hash_len, transcript_hash, ks->hash_len, out);
    wc_wipe(key, sizeof(key));
}

int
wc_tls13_init(struct wc_tls13_schedule *ks, uint16_t suite)
{
    const br_hash_class *h = wc_tls13_suite_hash(suite);

    if (ks == NULL) {
        return WC_TLS13_ARGUMENT;
    }
    wc_wipe(ks, sizeof(*ks));
    if (h == NULL) {
        return fail(ks, WC_TLS13_SUITE);
    }
    ks->suite = suite;
    ks->hash_len = (uint8_t)hash_len_of(h);
    ks->key_len = (uint8_t)suite_key_len(suite);
    ks->stage = WC_TLS13_INIT;
    return WC_TLS13_OK;
}

int
wc_tls13_early(struct wc_tls13_schedule *ks)
{
    uint8_t zero[WC_TLS13_HASH_MAX];
    int err;

    if (ks == NULL) {
        return WC_TLS13_ARGUMENT;
    }
    err = expect_stage(ks, WC_TLS13_INIT);
    if (err != WC_TLS13_OK) {
        return err;
    }

    /*
     * 7.1: Early Secret = HKDF-Extract(salt 0, PSK); with no PSK the
     * input is a string of Hash.length zeros, and so is the salt.
     */
    memset(zero, 0, sizeof(zero));
    hkdf_extract(hash_of_len(ks->hash_len), zero, ks->hash_len, zero,
                 ks->hash_len, ks->secret);
    WC_TEST_SECRET("early secret", ks->secret, ks->hash_len);
    ks->stage = WC_TLS13_EARLY;
    return WC_TLS13_OK;
}

int
wc_tls13_handshake(struct wc_tls13_schedule *ks, const uint8_t *shared,
                   size_t shared_len, const struct wc_tls13_transcript *t)
{
    const br_hash_class *h;
    uint8_t empty[WC_TLS13_HASH_MAX], derived[WC_TLS13_HASH_MAX];
    uint8_t th[WC_TLS13_HASH_MAX];
    int ret;

    if (ks == NULL) {
        return WC_TLS13_ARGUMENT;
    }
    ret = expect_stage(ks, WC_TLS13_EARLY);
    if (ret != WC_TLS13_OK) {
        return ret;
    }
    h = hash_of_len(ks->hash_len);
    memset(derived, 0, sizeof(derived));

    ret = WC_TLS13_ARGUMENT;
    if (shared == NULL || shared_len == 0 || shared_len > WC_TLS13_SHARED_MAX) {
        goto cleanup;
    }
    ret = schedule_hash(ks, t, th);
    if (ret != WC_TLS13_OK) {
        goto cleanup;
    }

    /*
     * 7.1: derived = Derive-Secret(Early Secret, "derived", ""), then
     * Handshake Secret = HKDF-Extract(derived, (EC)DHE). Without a PSK
     * nothing else needs the Early Secret: it is overwritten here.
     */
    empty_hash(h, empty);
    derive(h, ks->hash_len, ks->secret, "derived", empty, derived);
    hkdf_extract(h, derived, ks->hash_len, shared, shared_len, ks->secret);
    WC_TEST_SECRET("handshake secret", ks->secret, ks->hash_len);

    /* Over ClientHello...ServerHello. */
    derive(h, ks->hash_len, ks->secret, "c hs traffic", th, ks->client_hs);
    derive(h, ks->hash_len, ks->secret, "s hs traffic", th, ks->server_hs);
    WC_TEST_SECRET("client handshake traffic secret", ks->client_hs,
                   ks->hash_len);
    WC_TEST_SECRET("server handshake traffic secret", ks->server_hs,
                   ks->hash_len);
    ks->stage = WC_TLS13_HANDSHAKE;
    ret = WC_TLS13_OK;

cleanup:
    wc_wipe(derived, sizeof(derived));
    if (ret != WC_TLS13_OK) {
        ret = fail(ks, ret);
    }
    return ret;
}

int
wc_tls13_server_finished(struct wc_tls13_schedule *ks,
                         const struct wc_tls13_transcript *t,
                         const uint8_t *verify_data, size_t len)
{
    uint8_t th[WC_TLS13_HASH_MAX], want[WC_TLS13_HASH_MAX];
    int ret;

    if (ks == NULL) {
        return WC_TLS13_ARGUMENT;
    }
    ret = expect_stage(ks, WC_TLS13_HANDSHAKE);
    if (ret != WC_TLS13_OK) {
        return ret;
    }
    memset(want, 0, sizeof(want));

    ret = WC_TLS13_ORDER;
    if (ks->flags & KS_SERVER_FINISHED) {
        goto cleanup;
    }
    ret = WC_TLS13_ARGUMENT;
    if (verify_data == NULL) {
        goto cleanup;
    }
    ret = schedule_hash(ks, t, th);
    if (ret != WC_TLS13_OK) {
        goto cleanup;
    }

    /* Over ClientHello...CertificateVerify, keyed by the server's side. */
    finished(ks, ks->server_hs, th, want);

    /*
     * 4.4.4: the whole verify_data must match. Its length is public; its
     * bytes are compared in constant time.
     */
    ret = WC_TLS13_FINISHED;
    if (len != ks->hash_len) {
        goto cleanup;
    }
    if (wc_memeq_ct(want, verify_data, len) != 0) {
        goto cleanup;
    }
    ks->flags |= KS_SERVER_FINISHED;
    ret = WC_TLS13_OK;

cleanup:
    wc_wipe(want, sizeof(want));
    if (ret != WC_TLS13_OK) {
        ret = fail(ks, ret);
    }
    return ret;
}

int
wc_tls13_master(struct wc_tls13_schedule *ks,
                const struct wc_tls13_transcript *t)
{
    const br_hash_class *h;
    uint8_t empty[WC_TLS13_HASH_MAX], derived[WC_TLS13_HASH_MAX];
    uint8_t zero[WC_TLS13_HASH_MAX], th[WC_TLS13_HASH_MAX];
    int ret;

    if (ks == NULL) {
        return WC_TLS13_ARGUMENT;
    }
    ret = expect_stage(ks, WC_TLS13_HANDSHAKE);
    if (ret != WC_TLS13_OK) {
        return ret;
    }
    h = hash_of_len(ks->hash_len);
    memset(derived, 0, sizeof(derived));

    /* No application secret before the server has proved its key. */
    ret = WC_TLS13_ORDER;
    if (!(ks->flags & KS_SERVER_FINISHED)) {
        goto cleanup;
    }
    ret = schedule_hash(ks, t, th);
    if (ret != WC_TLS13_OK) {
        goto cleanup;
    }

    /*
     * 7.1: derived = Derive-Secret(Handshake Secret, "derived", ""), then
     * Master Secret = HKDF-Extract(derived, 0), over the Handshake
     * Secret, which is no longer needed.
     */
    empty_hash(h, empty);
    memset(zero, 0, sizeof(zero));
    derive(h, ks->hash_len, ks->secret, "derived", empty, derived);
    hkdf_extract(h, derived, ks->hash_len, zero, ks->hash_len, ks->secret);
    WC_TEST_SECRET("master secret", ks->secret, ks->hash_len);

    /* Over ClientHello...server Finished. */
    derive(h, ks->hash_len, ks->secret, "c ap traffic", th, ks->client_ap);
    derive(h, ks->hash_len, ks->secret, "s ap traffic", th, ks->server_ap);
    derive(h, ks->hash_len, ks->secret, "exp master", th, ks->exporter);
    WC_TEST_SECRET("client application traffic secret", ks->client_ap,
                   ks->hash_len);
    WC_TEST_SECRET("server application traffic secret", ks->server_ap,
                   ks->hash_len);
    WC_TEST_SECRET("exporter master secret", ks->exporter, ks->hash_len);
    ks->stage = WC_TLS13_MASTER;
    ret = WC_TLS13_OK;

cleanup:
    wc_wipe(derived, sizeof(derived));
    if (ret != WC_TLS13_OK) {
        ret = fail(ks, ret);
    }
    return ret;
}

int
wc_tls13_client_finished(struct wc_tls13_schedule *ks,
                         const struct wc_tls13_transcript *t,
                         uint8_t verify_data[WC_TLS13_HASH_MAX], size_t *len)
{
    uint8_t th[WC_TLS13_HASH_MAX];
    int ret;

    if (ks == NULL) {
        return WC_TLS13_ARGUMENT;
    }
    if (len != NULL) {
        *len = 0;
    }
    ret = expect_stage(ks, WC_TLS13_MASTER);
    if (ret != WC_TLS13_OK) {
        return ret;
    }
    if (ks->flags & KS_CLIENT_FINISHED) {
        return fail(ks, WC_TLS13_ORDER);
    }
    if (verify_data == NULL || len == NULL) {
        return fail(ks, WC_TLS13_ARGUMENT);
    }
    ret = schedule_hash(ks, t, th);
    if (ret != WC_TLS13_OK) {
        return fail(ks, ret);
    }

    /* 4.4.4: keyed by the client's handshake traffic secret. */
    finished(ks, ks->client_hs, th, verify_data);
    *len = ks->hash_len;
    ks->flags |= KS_CLIENT_FINISHED;
    return WC_TLS13_OK;
}

int
wc_tls13_done(struct wc_tls13_schedule *ks, const struct wc_tls13_transcript *t)
{
    uint8_t th[WC_TLS13_HASH_MAX];
    int ret;

    if (ks == NULL) {
        return WC_TLS13_ARGUMENT;
    }
    ret = expect_stage(ks, WC_TLS13_MASTER);
    if (ret != WC_TLS13_OK) {
        return ret;
    }
    if (!(ks->flags & KS_CLIENT_FINISHED)) {
        return fail(ks, WC_TLS13_ORDER);
    }
    ret = schedule_hash(ks, t, th);
    if (ret != WC_TLS13_OK) {
        return fail(ks, ret);
    }

    /* 7.1: over ClientHello...client Finished. */
    derive(hash_of_len(ks->hash_len), ks->hash_len, ks->secret, "res master",
           th, ks->resumption);
    WC_TEST_SECRET("resumption master secret", ks->resumption, ks->hash_len);

    /* The handshake is over: its secrets and the Master Secret go. */
    wc_wipe(ks->secret, sizeof(ks->secret));
    wc_wipe(ks->client_hs, sizeof(ks->client_hs));
    wc_wipe(ks->server_hs, sizeof(ks->server_hs));
    ks->stage = WC_TLS13_DONE;
    return WC_TLS13_OK;
}

/* The traffic secret which names, if the stage holds it; else NULL. */
static const uint8_t *
traffic_secret(const struct wc_tls13_schedule *ks, enum wc_tls13_traffic which)
{
    int hs = ks->stage == WC_TLS13_HANDSHAKE || ks->stage == WC_TLS13_MASTER;
    int ap = ks->stage == WC_TLS13_MASTER || ks->stage == WC_TLS13_DONE;

    switch (which) {
    case WC_TLS13_CLIENT_HANDSHAKE:
        return hs ? ks->client_hs : NULL;
    case WC_TLS13_SERVER_HANDSHAKE:
        return hs ? ks->server_hs : NULL;
    case WC_TLS13_CLIENT_APPLICATION:
        return ap ? ks->client_ap : NULL;
    case WC_TLS13_SERVER_APPLICATION:
        return ap ? ks->server_ap : NULL;
    }
    return NULL;
}

/*
 * 7.3: [sender]_write_key = HKDF-Expand-Label(Secret, "key", "",
 * key_length) and [sender]_write_iv = HKDF-Expand-Label(Secret, "iv", "",
 * iv_length).
 */
static void
write_keys(const struct wc_tls13_schedule *ks, const uint8_t *secret,
           uint8_t *key, size_t *key_len, uint8_t *iv)
{
    const br_hash_class *h = hash_of_len(ks->hash_len);

    expand_label(h, secret, ks->hash_len, "key", 3, NULL, 0, key, ks->key_len);
    expand_label(h, secret, ks->hash_len, "iv", 2, NULL, 0, iv,
                 WC_TLS13_IV_LEN);
    *key_len = ks->key_len;
}

int
wc_tls13_traffic_keys(struct wc_tls13_schedule *ks, enum wc_tls13_traffic which,
                      uint8_t key[WC_TLS13_KEY_MAX], size_t *key_len,
                      uint8_t iv[WC_TLS13_IV_LEN])
{
    const uint8_t *secret;

    if (ks == NULL) {
        return WC_TLS13_ARGUMENT;
    }
    if (key_len != NULL) {
        *key_len = 0;
    }
    if (ks->stage == WC_TLS13_FAILED) {
        return ks->err;
    }
    secret = traffic_secret(ks, which);
    if (secret == NULL) {
        return fail(ks, WC_TLS13_ORDER);
    }
    if (key == NULL || key_len == NULL || iv == NULL) {
        return fail(ks, WC_TLS13_ARGUMENT);
    }
    write_keys(ks, secret, key, key_len, iv);
    return WC_TLS13_OK;
}

int
wc_tls13_key_update(struct wc_tls13_schedule *ks, enum wc_tls13_traffic which,
                    uint8_t key[WC_TLS13_KEY_MAX], size_t *key_len,
                    uint8_t iv[WC_TLS13_IV_LEN])
{
    uint8_t next[WC_TLS13_HASH_MAX];
    uint8_t *secret;
    int ret;

    if (ks == NULL) {
        return WC_TLS13_ARGUMENT;
    }
    if (key_len != NULL) {
        *key_len = 0;
    }
    ret = expect_stage(ks, WC_TLS13_DONE);
    if (ret != WC_TLS13_OK) {
        return ret;
    }
    if (which == WC_TLS13_CLIENT_APPLICATION) {
        secret = ks->client_ap;
    } else if (which == WC_TLS13_SERVER_APPLICATION) {
        secret = ks->server_ap;
    } else {
        return fail(ks, WC_TLS13_ARGUMENT);
    }
    if (key == NULL || key_len == NULL || iv == NULL) {
        return fail(ks, WC_TLS13_ARGUMENT);
    }

    /*
     * 7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(
     * application_traffic_secret_N, "traffic upd", "", Hash.length).
     * Generation N is overwritten at once.
     */
    expand_label(hash_of_len(ks->hash_len), secret, ks->hash_len, "traffic upd",
                 11, NULL, 0, next, ks->hash_len);
    memcpy(secret, next, ks->hash_len);
    wc_wipe(next, sizeof(next));
    WC_TEST_SECRET(which == WC_TLS13_CLIENT_APPLICATION
                       ? "client application traffic secret (updated)"
                       : "server application traffic secret (updated)",
                   secret, ks->hash_len);

    write_keys(ks, secret, key, key_len, iv);
    return WC_TLS13_OK;
}

void
wc_tls13_wipe(struct wc_tls13_schedule *ks)
{
    if (ks != NULL) {
        wc_wipe(ks, sizeof(*ks));
    }
}
