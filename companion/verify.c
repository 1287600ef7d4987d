/* Certificate path validation; see verify.h. */
#include "verify.h"

#include <string.h>

#include <bearssl.h>

#include "der.h"
#include "names.h"
#include "wc_wipe.h"

const char *
wc_verify_message(int result)
{
    switch (result) {
#define WC_X(name, code, message)                                            \
    case code:                                                               \
        return message;
        WC_VERIFY_LIST(WC_X)
#undef WC_X
    }
    return "unknown verdict";
}

/* Smallest RSA modulus allowed on certificates (CA/B Forum 6.1.5). */
#define RSA_MIN_BITS 2048
/* Largest BearSSL's RSA code handles (bearssl_rsa.h). */
#define RSA_MAX_BITS 4096

static const br_hash_class *
sig_hash(enum wc_sig_alg alg, const unsigned char **rsa_oid)
{
    switch (alg) {
    case WC_SIG_ECDSA_SHA256:
    case WC_SIG_RSA_SHA256:
        *rsa_oid = BR_HASH_OID_SHA256;
        return &br_sha256_vtable;
    case WC_SIG_ECDSA_SHA384:
    case WC_SIG_RSA_SHA384:
        *rsa_oid = BR_HASH_OID_SHA384;
        return &br_sha384_vtable;
    case WC_SIG_ECDSA_SHA512:
    case WC_SIG_RSA_SHA512:
        *rsa_oid = BR_HASH_OID_SHA512;
        return &br_sha512_vtable;
    default:
        /* SHA-1 and anything unknown. */
        *rsa_oid = NULL;
        return NULL;
    }
}

static int
is_ecdsa(enum wc_sig_alg alg)
{
    return alg == WC_SIG_ECDSA_SHA256 || alg == WC_SIG_ECDSA_SHA384 ||
           alg == WC_SIG_ECDSA_SHA512;
}

/*
 * ECDSA-Sig-Value in strict DER to r||s of the curve's size: BearSSL's
 * own conversion tolerates encodings DER forbids.
 */
static int
ecdsa_der_to_raw(const uint8_t *sig, size_t len, size_t half, uint8_t *raw)
{
    struct wc_der d, seq;
    struct wc_der_elem part[2];
    int i, negative;

    wc_der_init(&d, sig, len);
    wc_der_enter(&d, WC_DER_SEQUENCE, &seq);
    wc_der_expect(&seq, WC_DER_INTEGER, &part[0]);
    wc_der_expect(&seq, WC_DER_INTEGER, &part[1]);
    if (wc_der_finish(&seq) != 0 || wc_der_finish(&d) != 0) {
        return -1;
    }
    memset(raw, 0, 2 * half);
    for (i = 0; i < 2; i++) {
        const uint8_t *v = part[i].val;
        size_t n = part[i].len;

        if (wc_der_integer_ok(&part[i], &negative) != 0 || negative) {
            return -1;
        }
        if (n > 1 && v[0] == 0) {
            v++;
            n--;
        }
        if (n > half) {
            return -1;
        }
        memcpy(raw + i * half + (half - n), v, n);
    }
    return 0;
}

int
wc_verify_signature(const struct wc_pubkey *key, enum wc_sig_alg alg,
                    const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                    size_t sig_len)
{
    const unsigned char *rsa_oid;
    const br_hash_class *hash = sig_hash(alg, &rsa_oid);
    br_hash_compat_context hc;
    uint8_t digest[64], recovered[64], raw[96];
    size_t digest_len, half;

    if (hash == NULL) {
        return WC_VERIFY_WEAK_ALGORITHM;
    }
    digest_len = (hash->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK;
    hash->init(&hc.vtable);
    hash->update(&hc.vtable, msg, msg_len);
    hash->out(&hc.vtable, digest);

    if (is_ecdsa(alg)) {
        br_ec_public_key pk;

        if (key->type != WC_KEY_EC_P256 && key->type != WC_KEY_EC_P384) {
            return WC_VERIFY_BAD_SIGNATURE;
        }
        half = key->type == WC_KEY_EC_P256 ? 32 : 48;
        if (ecdsa_der_to_raw(sig, sig_len, half, raw) != 0) {
            return WC_VERIFY_BAD_SIGNATURE;
        }
        pk.curve = key->type == WC_KEY_EC_P256 ? BR_EC_secp256r1
                                               : BR_EC_secp384r1;
        pk.q = (unsigned char *)(uintptr_t)key->point;
        pk.qlen = key->point_len;
        return br_ecdsa_i31_vrfy_raw(br_ec_get_default(), digest, digest_len,
                                     &pk, raw, 2 * half) == 1
                   ? WC_VERIFY_OK
                   : WC_VERIFY_BAD_SIGNATURE;
    }

    /* RSA PKCS#1 v1.5, on certificates only. */
    {
        br_rsa_public_key pk;

        if (key->type != WC_KEY_RSA) {
            return WC_VERIFY_BAD_SIGNATURE;
        }
        if (key->bits < RSA_MIN_BITS || key->bits > RSA_MAX_BITS) {
            return WC_VERIFY_WEAK_KEY;
        }
        pk.n = (unsigned char *)(uintptr_t)key->n;
        pk.nlen = key->n_len;
        pk.e = (unsigned char *)(uintptr_t)key->e;
        pk.elen = key->e_len;
        if (br_rsa_i31_pkcs1_vrfy(sig, sig_len, rsa_oid, digest_len, &pk,
                                  recovered) != 1 ||
            wc_memeq_ct(recovered, digest, digest_len) != 0) {
            return WC_VERIFY_BAD_SIGNATURE;
        }
        return WC_VERIFY_OK;
    }
}

static int
same_name(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

/* CA/B Forum 6.1.5: RSA moduli of 2048 bits or more, whole bytes. */
static int
key_allowed(const struct wc_pubkey *k)
{
    return k->type == WC_KEY_EC_P256 || k->type == WC_KEY_EC_P384 ||
           (k->type == WC_KEY_RSA && k->bits >= RSA_MIN_BITS &&
            k->bits <= RSA_MAX_BITS && k->bits % 8 == 0);
}

static int
check_time(const struct wc_x509 *c, int64_t now)
{
    if (now < c->not_before) {
        return WC_VERIFY_NOT_YET_VALID;
    }
    if (now > c->not_after) {
        return WC_VERIFY_EXPIRED;
    }
    return WC_VERIFY_OK;
}

/* What every certificate on the path, anchor included, must satisfy. */
static int
check_cert(const struct wc_x509 *c, int64_t now)
{
    if (c->unknown_critical) {
        return WC_VERIFY_CRITICAL_EXTENSION;
    }
    /* RFC 5280 4.2.1.1 and 4.2.1.2: these two are never critical. */
    if (c->critical & (WC_EXT_AUTHORITY_KEY_ID | WC_EXT_SUBJECT_KEY_ID)) {
        return WC_VERIFY_MALFORMED;
    }
    /* CA/B Forum 7.1.2: an AKI names the issuer's key, and only that. */
    if ((c->extensions & WC_EXT_AUTHORITY_KEY_ID) &&
        (!c->aki_has_key_id || c->aki_has_issuer)) {
        return WC_VERIFY_MALFORMED;
    }
    if (!key_allowed(&c->key)) {
        return WC_VERIFY_WEAK_KEY;
    }
    return check_time(c, now);
}

/* An issuer (intermediate or anchor) as a CA for server certificates. */
static int
check_issuer(const struct wc_x509 *ca)
{
    /* RFC 5280 4.1.2.6 and 4.2.1.2: a CA has a name and a key id. */
    if (!ca->is_ca || ca->subject_len <= 2) {
        return WC_VERIFY_NOT_CA;
    }
    if (!(ca->extensions & WC_EXT_SUBJECT_KEY_ID)) {
        return WC_VERIFY_MALFORMED;
    }
    if ((ca->extensions & WC_EXT_KEY_USAGE) &&
        !(ca->key_usage & WC_KU_KEY_CERT_SIGN)) {
        return WC_VERIFY_KEY_USAGE;
    }
    /* An EKU on a CA limits what it may issue for. */
    if ((ca->extensions & WC_EXT_EXT_KEY_USAGE) &&
        !(ca->ext_key_usage & (WC_EKU_SERVER_AUTH | WC_EKU_ANY))) {
        return WC_VERIFY_EKU;
    }
    return WC_VERIFY_OK;
}

/* Certificates that some CA issued (all but the anchor). */
static int
check_issued(const struct wc_x509 *c)
{
    /* RFC 5280 4.2.1.1: conforming CAs always include the AKI. */
    if (!(c->extensions & WC_EXT_AUTHORITY_KEY_ID)) {
        return WC_VERIFY_MALFORMED;
    }
    return WC_VERIFY_OK;
}

static int
check_leaf(const struct wc_x509 *leaf, const struct wc_verify_input *in)
{
    struct wc_peer_name pn;
    int r = check_cert(leaf, in->now);

    /*
     * Issuers' keys prove themselves by verifying signatures; the leaf's
     * is only used later, so its point is checked here, once.
     */
    if (r == WC_VERIFY_OK && !wc_x509_key_valid(&leaf->key)) {
        r = WC_VERIFY_WEAK_KEY;
    }
    if (r == WC_VERIFY_OK) {
        r = check_issued(leaf);
        /*
         * A self-signed server certificate may leave out the AKI (RFC
         * 5280 4.2.1.1). It is refused all the same, for what is really
         * wrong with it: nothing the companion trusts issued it.
         */
        if (r == WC_VERIFY_MALFORMED &&
            same_name(leaf->subject, leaf->subject_len, leaf->issuer,
                      leaf->issuer_len)) {
            r = WC_VERIFY_NO_ISSUER;
        }
    }
    if (r != WC_VERIFY_OK) {
        return r;
    }
    /* CA/B Forum 7.1.2.7: a server certificate is not a CA. */
    if (leaf->is_ca || (leaf->extensions & WC_EXT_NAME_CONSTRAINTS)) {
        return WC_VERIFY_LEAF_IS_CA;
    }
    if ((leaf->extensions & WC_EXT_KEY_USAGE) &&
        (!(leaf->key_usage & WC_KU_DIGITAL_SIGNATURE) ||
         (leaf->key_usage & (WC_KU_KEY_CERT_SIGN | WC_KU_CRL_SIGN)))) {
        return WC_VERIFY_KEY_USAGE;
    }
    /* CA/B Forum 7.1.2.7.10: serverAuth, and never anyExtendedKeyUsage. */
    if ((leaf->extensions & WC_EXT_EXT_KEY_USAGE) &&
        (!(leaf->ext_key_usage & WC_EKU_SERVER_AUTH) ||
         (leaf->ext_key_usage & WC_EKU_ANY))) {
        return WC_VERIFY_EKU;
    }
    if (wc_peer_name_parse(&pn, in->peer_name, in->peer_name_len) != 0) {
        return WC_VERIFY_BAD_PEER_NAME;
    }
    /* No CN fallback: without a SAN there is nothing to match. */
    if (!(leaf->extensions & WC_EXT_SUBJECT_ALT_NAME) ||
        !wc_san_matches(leaf->san, leaf->san_len, &pn)) {
        return WC_VERIFY_NAME_MISMATCH;
    }
    /* RFC 5280 4.2.1.6: critical only when the subject is empty. */
    if ((leaf->critical & WC_EXT_SUBJECT_ALT_NAME) && leaf->subject_len > 2) {
        return WC_VERIFY_MALFORMED;
    }
    /*
     * The subject CN is not looked at, not even to check that it copies
     * a SAN entry (CA/B Forum 7.1.4.3): that rule is for issuers, gives
     * no security to a client that never matches the CN, and the
     * BetterTLS cases x509-limbo expects to pass break it.
     */
    return WC_VERIFY_OK;
}

static int
self_issued(const struct wc_x509 *c)
{
    return same_name(c->subject, c->subject_len, c->issuer, c->issuer_len);
}

/*
 * Checks what depends on the whole path, once it reaches an anchor:
 * path lengths and name constraints. w->cert[0..depth] is the path (leaf
 * first); w->top is the anchor that issued w->cert[depth].
 */
static int
check_path(const struct wc_verify_work *w, unsigned depth)
{
    unsigned i, j, below;

    for (i = 1; i <= depth + 1; i++) {
        const struct wc_x509 *ca = i <= depth ? &w->cert[i] : &w->top;

        /*
         * RFC 5280 4.2.1.9 and 6.1.4 (l): intermediates below this CA,
         * the leaf and self-issued ones not counted.
         */
        below = 0;
        for (j = 1; j < i; j++) {
            below += !self_issued(&w->cert[j]);
        }
        if (ca->path_len >= 0 && (int)below > ca->path_len) {
            return WC_VERIFY_PATH_LENGTH;
        }
        if (!(ca->extensions & WC_EXT_NAME_CONSTRAINTS)) {
            continue;
        }
        for (j = 0; j < i; j++) {
            const struct wc_x509 *c = &w->cert[j];

            /* RFC 5280 4.2.1.10: self-issued intermediates are exempt. */
            if (j > 0 && self_issued(c)) {
                continue;
            }
            if (!(c->extensions & WC_EXT_SUBJECT_ALT_NAME)) {
                continue;
            }
            if (!wc_name_constraints_allow(ca->name_constraints,
                                           ca->name_constraints_len, c->san,
                                           c->san_len)) {
                return WC_VERIFY_NAME_CONSTRAINTS;
            }
        }
    }
    return WC_VERIFY_OK;
}

/* Records a failure if it says more than the ones seen so far. */
static void
note(struct wc_verify_work *w, int r)
{
    if (r != WC_VERIFY_OK && w->best == WC_VERIFY_NO_ISSUER) {
        w->best = r;
    }
}

static void
hash_field(br_sha256_context *h, const uint8_t *p, size_t len)
{
    uint8_t n[4];

    n[0] = (uint8_t)(len >> 24);
    n[1] = (uint8_t)(len >> 16);
    n[2] = (uint8_t)(len >> 8);
    n[3] = (uint8_t)len;
    br_sha256_update(h, n, sizeof(n));
    br_sha256_update(h, p, len);
}

/* The cache's name for "issuer signed subject" (length-prefixed fields). */
static void
signature_id(const struct wc_x509 *subject, const struct wc_x509 *issuer,
             uint8_t id[32])
{
    br_sha256_context h;
    uint8_t alg = (uint8_t)subject->sig_alg;

    br_sha256_init(&h);
    hash_field(&h, issuer->spki, issuer->spki_len);
    hash_field(&h, &alg, 1);
    hash_field(&h, subject->tbs, subject->tbs_len);
    hash_field(&h, subject->sig, subject->sig_len);
    br_sha256_out(&h, id);
}

static int
cache_has(const struct wc_sig_cache *cache, const uint8_t id[32])
{
    unsigned i;

    for (i = 0; i < WC_SIG_CACHE_ENTRIES; i++) {
        if (cache->used[i] && memcmp(cache->id[i], id, 32) == 0) {
            return 1;
        }
    }
    return 0;
}

static void
cache_add(struct wc_sig_cache *cache, const uint8_t id[32])
{
    unsigned i = cache->next % WC_SIG_CACHE_ENTRIES;

    memcpy(cache->id[i], id, 32);
    cache->used[i] = 1;
    cache->next = (i + 1) % WC_SIG_CACHE_ENTRIES;
}

/*
 * Did issuer sign subject? Spends from the signature budget, remembered
 * or not, so that path building takes the same course either way.
 */
static int
signed_by(struct wc_verify_work *w, const struct wc_verify_input *in,
          const struct wc_x509 *subject, const struct wc_x509 *issuer)
{
    uint8_t id[32];
    int r;

    if (w->budget == 0) {
        return WC_VERIFY_TOO_COMPLEX;
    }
    w->budget--;
    if (in->sig_cache != NULL) {
        signature_id(subject, issuer, id);
        if (cache_has(in->sig_cache, id)) {
            return WC_VERIFY_OK;
        }
    }
    r = wc_verify_signature(&issuer->key, subject->sig_alg, subject->tbs,
                            subject->tbs_len, subject->sig,
                            subject->sig_len);
    if (r == WC_VERIFY_OK && in->sig_cache != NULL) {
        cache_add(in->sig_cache, id);
    }
    return r;
}

static int
in_path(const struct wc_verify_work *w, unsigned depth, unsigned idx)
{
    unsigned i;

    for (i = 0; i <= depth; i++) {
        if (w->path[i] == idx) {
            return 1;
        }
    }
    return 0;
}

/* Tries the anchors as issuers of w->cert[depth]. */
static int
try_anchors(struct wc_verify_work *w, const struct wc_verify_input *in,
            unsigned depth)
{
    const struct wc_x509 *cert = &w->cert[depth];
    unsigned i;
    int r;

    for (i = 0; i < in->anchor_count; i++) {
        const struct wc_verify_entry *a = &w->anchor[i];

        if (!a->ok || !same_name(a->subject, a->subject_len, cert->issuer,
                                 cert->issuer_len)) {
            continue;
        }
        if (wc_x509_parse(&w->top, a->der, a->len) != 0) {
            continue;
        }
        r = check_cert(&w->top, in->now);
        if (r == WC_VERIFY_OK) {
            r = check_issuer(&w->top);
        }
        if (r == WC_VERIFY_OK) {
            r = signed_by(w, in, cert, &w->top);
        }
        if (r == WC_VERIFY_OK) {
            r = check_path(w, depth);
        }
        if (r == WC_VERIFY_OK || r == WC_VERIFY_TOO_COMPLEX) {
            return r;
        }
        note(w, r);
    }
    return WC_VERIFY_NO_ISSUER;
}

/* Depth-first search for a path from w->cert[depth] up to an anchor. */
static int
build(struct wc_verify_work *w, const struct wc_verify_input *in,
      unsigned depth)
{
    unsigned i;
    int r;

    r = try_anchors(w, in, depth);
    if (r != WC_VERIFY_NO_ISSUER || depth == WC_VERIFY_DEPTH_MAX) {
        return r;
    }
    for (i = 1; i < in->chain_count; i++) {
        const struct wc_verify_entry *e = &w->pool[i];
        struct wc_x509 *ca = &w->cert[depth + 1];

        if (!e->ok || in_path(w, depth, i) ||
            !same_name(e->subject, e->subject_len, w->cert[depth].issuer,
                       w->cert[depth].issuer_len)) {
            continue;
        }
        if (wc_x509_parse(ca, e->der, e->len) != 0) {
            continue;
        }
        r = check_cert(ca, in->now);
        if (r == WC_VERIFY_OK) {
            r = check_issued(ca);
        }
        if (r == WC_VERIFY_OK) {
            r = check_issuer(ca);
        }
        if (r == WC_VERIFY_OK) {
            r = signed_by(w, in, &w->cert[depth], ca);
        }
        if (r == WC_VERIFY_OK) {
            w->path[depth + 1] = i;
            r = build(w, in, depth + 1);
        }
        if (r == WC_VERIFY_OK || r == WC_VERIFY_TOO_COMPLEX) {
            return r;
        }
        note(w, r);
    }
    return WC_VERIFY_NO_ISSUER;
}

/* Parses a certificate far enough to index it by subject. */
static void
index_entry(struct wc_verify_entry *e, struct wc_x509 *scratch,
            const struct wc_der_cert *c)
{
    e->der = c->der;
    e->len = c->len;
    e->ok = wc_x509_parse(scratch, c->der, c->len) == 0;
    if (e->ok) {
        e->subject = scratch->subject;
        e->subject_len = scratch->subject_len;
    }
}

int
wc_verify_chain(struct wc_verify_work *w, const struct wc_verify_input *in)
{
    unsigned i;
    int r;

    memset(w, 0, sizeof(*w));
    w->budget = WC_VERIFY_SIG_BUDGET;
    w->best = WC_VERIFY_NO_ISSUER;
    if (in->chain_count == 0 || in->chain_count > WC_VERIFY_POOL_MAX ||
        in->anchor_count > WC_VERIFY_ANCHORS_MAX) {
        return WC_VERIFY_TOO_COMPLEX;
    }
    /* A leaf that does not parse ends it; a bad extra is just unusable. */
    if (wc_x509_parse(&w->cert[0], in->chain[0].der, in->chain[0].len) !=
        0) {
        return WC_VERIFY_MALFORMED;
    }
    for (i = 1; i < in->chain_count; i++) {
        index_entry(&w->pool[i], &w->top, &in->chain[i]);
    }
    for (i = 0; i < in->anchor_count; i++) {
        index_entry(&w->anchor[i], &w->top, &in->anchors[i]);
    }

    r = check_leaf(&w->cert[0], in);
    if (r != WC_VERIFY_OK) {
        return r;
    }
    w->path[0] = 0;
    r = build(w, in, 0);
    if (r == WC_VERIFY_OK || r == WC_VERIFY_TOO_COMPLEX) {
        return r;
    }
    return w->best;
}
