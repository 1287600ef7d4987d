/*
 * Chains for the differential test; see chaingen.h.
 *
 * A case is a chain root -> intermediates -> leaf described as one
 * cert_spec per certificate, made well-formed by make_baseline() and then
 * changed by the function of its mutation class (the table at the end).
 * Each class changes one property validators judge, so that a verdict
 * that differs between two validators points at that property.
 */
#include "chaingen.h"

#include <stdio.h>
#include <string.h>

#include <bearssl.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#define DAY 86400

/* ---- Deterministic randomness: splitmix64, one stream per case. ---- */

struct rng {
    uint64_t s;
};

static uint64_t
next(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A number in [0, n). */
static unsigned
pick(struct rng *r, unsigned n)
{
    return (unsigned)(next(r) % n);
}

/* ---- The key pool: made once per run from the seed. ---- */

enum key_kind { K_P256, K_P384, K_RSA2048, K_RSA1024, K_KINDS };

static const unsigned pool_slots[K_KINDS] = {4, 4, 3, 1};

struct pool_key {
    enum key_kind kind;
    br_ec_private_key ec;
    uint8_t ec_buf[BR_EC_KBUF_PRIV_MAX_SIZE];
    br_rsa_private_key rsa;
    uint8_t rsa_buf[BR_RSA_KBUF_PRIV_SIZE(2048)];
    EVP_PKEY *pub;
};

#define POOL_MAX 12

static struct pool_key pool[POOL_MAX];
static unsigned pool_count;
/* Keys OpenSSL signs with only to write the algorithm fields. */
static EVP_PKEY *alg_key_ec, *alg_key_rsa;

/*
 * Certificates already made, by a digest of everything that decides
 * their bytes: most cases share their CAs, and signing (RSA and P-384
 * above all) is most of the run time.
 */
struct made_cert {
    uint8_t digest[32];
    struct wt_gen_cert cert;
};

static struct made_cert made[256];

/* DER tag, length and value into out; returns the bytes written. */
static size_t
tlv(uint8_t *out, uint8_t tag, const uint8_t *val, size_t len)
{
    size_t n = 0;

    out[n++] = tag;
    if (len < 0x80) {
        out[n++] = (uint8_t)len;
    } else if (len < 0x100) {
        out[n++] = 0x81;
        out[n++] = (uint8_t)len;
    } else {
        out[n++] = 0x82;
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    }
    memmove(out + n, val, len);
    return n + len;
}

/* A positive INTEGER from unsigned big-endian bytes. */
static size_t
der_uint(uint8_t *out, const uint8_t *v, size_t len)
{
    uint8_t tmp[520];
    size_t n = 0;

    while (len > 1 && v[0] == 0) {
        v++;
        len--;
    }
    if (v[0] & 0x80) {
        tmp[n++] = 0;
    }
    memcpy(tmp + n, v, len);
    return tlv(out, 0x02, tmp, n + len);
}

static EVP_PKEY *
pubkey_from_spki(const uint8_t *spki, size_t len)
{
    const unsigned char *p = spki;

    return d2i_PUBKEY(NULL, &p, (long)len);
}

static int
make_ec_key(struct pool_key *k, const br_prng_class **rng, int curve)
{
    static const uint8_t p256_alg[] = {
        0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
        0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    static const uint8_t p384_alg[] = {
        0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
        0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
    const br_ec_impl *impl = br_ec_get_default();
    uint8_t point[BR_EC_KBUF_PUB_MAX_SIZE + 1], body[512], spki[512];
    br_ec_public_key pk;
    size_t n = 0, plen;

    if (br_ec_keygen(rng, impl, &k->ec, k->ec_buf, curve) == 0) {
        return -1;
    }
    plen = br_ec_compute_pub(impl, &pk, point + 1, &k->ec);
    if (plen == 0 || plen > 97) {
        return -1;
    }
    point[0] = 0; /* BIT STRING: no unused bits */
    if (curve == BR_EC_secp256r1) {
        memcpy(body, p256_alg, sizeof(p256_alg));
        n = sizeof(p256_alg);
    } else {
        memcpy(body, p384_alg, sizeof(p384_alg));
        n = sizeof(p384_alg);
    }
    n += tlv(body + n, 0x03, point, plen + 1);
    n = tlv(spki, 0x30, body, n);
    k->pub = pubkey_from_spki(spki, n);
    return k->pub ? 0 : -1;
}

static int
make_rsa_key(struct pool_key *k, const br_prng_class **rng, unsigned bits)
{
    static const uint8_t rsa_alg[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86,
                                      0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
                                      0x01, 0x05, 0x00};
    uint8_t pub_buf[BR_RSA_KBUF_PUB_SIZE(2048)];
    uint8_t ints[600], seq[600], bitstr[600], body[700], spki[700];
    br_rsa_public_key pk;
    size_t n;

    if (br_rsa_i31_keygen(rng, &k->rsa, k->rsa_buf, &pk, pub_buf, bits,
                          65537) != 1) {
        return -1;
    }
    n = der_uint(ints, pk.n, pk.nlen);
    n += der_uint(ints + n, pk.e, pk.elen);
    n = tlv(seq, 0x30, ints, n);
    bitstr[0] = 0;
    memcpy(bitstr + 1, seq, n);
    memcpy(body, rsa_alg, sizeof(rsa_alg));
    n = sizeof(rsa_alg) + tlv(body + sizeof(rsa_alg), 0x03, bitstr, n + 1);
    n = tlv(spki, 0x30, body, n);
    k->pub = pubkey_from_spki(spki, n);
    return k->pub ? 0 : -1;
}

int
wt_gen_init(uint64_t seed)
{
    br_hmac_drbg_context drbg;
    uint8_t seed_bytes[8];
    unsigned kind, slot, i;
    int r = 0;

    for (i = 0; i < 8; i++) {
        seed_bytes[i] = (uint8_t)(seed >> (8 * i));
    }
    br_hmac_drbg_init(&drbg, &br_sha256_vtable, seed_bytes, 8);
    pool_count = 0;
    for (kind = 0; kind < K_KINDS; kind++) {
        for (slot = 0; slot < pool_slots[kind] && r == 0; slot++) {
            struct pool_key *k = &pool[pool_count++];

            k->kind = (enum key_kind)kind;
            if (kind == K_P256 || kind == K_P384) {
                r = make_ec_key(k, &drbg.vtable,
                                kind == K_P256 ? BR_EC_secp256r1
                                               : BR_EC_secp384r1);
            } else {
                r = make_rsa_key(k, &drbg.vtable,
                                 kind == K_RSA2048 ? 2048 : 1024);
            }
        }
    }
    alg_key_ec = EVP_EC_gen("P-256");
    alg_key_rsa = EVP_RSA_gen(1024);
    return r == 0 && alg_key_ec && alg_key_rsa ? 0 : -1;
}

void
wt_gen_free(void)
{
    unsigned i;

    for (i = 0; i < pool_count; i++) {
        EVP_PKEY_free(pool[i].pub);
    }
    EVP_PKEY_free(alg_key_ec);
    EVP_PKEY_free(alg_key_rsa);
    for (i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
        X509_free(made[i].cert.x);
    }
    memset(made, 0, sizeof(made));
    memset(pool, 0, sizeof(pool));
    pool_count = 0;
}

/* The pool index of slot (wrapping) of a kind. */
static int
key_of(enum key_kind kind, unsigned slot)
{
    int base = 0;
    unsigned k;

    for (k = 0; k < (unsigned)kind; k++) {
        base += (int)pool_slots[k];
    }
    return base + (int)(slot % pool_slots[kind]);
}

/* ---- What one certificate should be. ---- */

enum hash_id { H_SHA1, H_SHA256, H_SHA384, H_SHA512 };
enum bc_form { BC_ABSENT, BC_CA, BC_END_ENTITY };
enum ext_extra { EXTRA_NONE, EXTRA_UNKNOWN, EXTRA_UNKNOWN_CRITICAL };

struct cert_spec {
    int issuer;   /* spec index, -1 for self-signed */
    int key;      /* pool index of its own key */
    int sign_key; /* pool index that signs it, -1: the issuer's key */
    enum hash_id hash;
    int version; /* 1 or 3 */
    int64_t not_before, not_after;
    enum bc_form bc;
    int bc_critical;
    int path_len; /* -1: absent */
    char ku[64];  /* openssl.cnf syntax, "" for none */
    char eku[64];
    char san[160];
    char nc[160];
    enum ext_extra extra;
    int ski, aki;
    int aki_wrong;   /* the AKI names another key */
    int cn_bad_utf8; /* the CN's '~' becomes a byte that is not UTF-8 */
    int san_broken;  /* the SAN entry BROKEN_SAN: 1 length too long,
                        2 a tag no GeneralName has */
    int ber_true;    /* the last BOOLEAN TRUE is 0x01, BER but not DER */
    char cn[64];
};

/* A chain being planned: specs[0] is the root, specs[depth] the leaf. */
struct plan {
    struct cert_spec s[WT_GEN_CERTS_MAX];
    unsigned count; /* specs, extras included */
    unsigned leaf;  /* == number of intermediates + 1 */
    int flip_cert;  /* spec whose DER is mutated, -1: none */
    int resign;     /* mutate the TBS and sign again, else raw bytes */
    uint64_t flip_seed;
};

static void
spec_ca(struct cert_spec *s, int issuer, int key, const char *cn)
{
    memset(s, 0, sizeof(*s));
    s->issuer = issuer;
    s->key = key;
    s->sign_key = -1;
    s->hash = H_SHA256;
    s->version = 3;
    s->not_before = WT_GEN_NOW - 400 * DAY;
    s->not_after = WT_GEN_NOW + 3650 * DAY;
    s->bc = BC_CA;
    s->bc_critical = 1;
    s->path_len = -1;
    strcpy(s->ku, "critical,keyCertSign,cRLSign");
    s->ski = 1;
    s->aki = issuer >= 0;
    snprintf(s->cn, sizeof(s->cn), "%s", cn);
}

static const char *const dns_words[] = {"www", "api", "mail", "edge",
                                        "node7", "a-b", "x"};
static const char *const dns_zones[] = {"example.com", "example.org",
                                        "test.example.net", "warden.test"};

/* A peer name and a SAN naming it. */
static void
pick_peer(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    struct cert_spec *leaf = &p->s[p->leaf];
    unsigned form = pick(r, 10);

    if (form < 6) {
        const char *zone = dns_zones[pick(r, 4)];

        snprintf(c->peer, sizeof(c->peer), "%s.%s", dns_words[pick(r, 7)],
                 zone);
        if (form == 0) {
            snprintf(leaf->san, sizeof(leaf->san), "DNS:*.%s", zone);
        } else {
            snprintf(leaf->san, sizeof(leaf->san), "DNS:%s", c->peer);
        }
    } else if (form < 8) {
        snprintf(c->peer, sizeof(c->peer), "192.0.2.%u", 1 + pick(r, 250));
        snprintf(leaf->san, sizeof(leaf->san), "IP:%s", c->peer);
    } else {
        snprintf(c->peer, sizeof(c->peer), "2001:db8::%x", 1 + pick(r, 4000));
        snprintf(leaf->san, sizeof(leaf->san), "IP:%s", c->peer);
    }
    /* Another name or two around it, which must not matter. */
    if (pick(r, 2)) {
        size_t n = strlen(leaf->san);

        snprintf(leaf->san + n, sizeof(leaf->san) - n,
                 pick(r, 2) ? ",DNS:other.example.net"
                            : ",IP:198.51.100.7");
    }
}

static enum key_kind
ca_kind(struct rng *r)
{
    /* P-384 sparingly: BearSSL's generic curve code is the slow part. */
    static const enum key_kind kinds[] = {K_P256, K_P256,    K_P256, K_P256,
                                          K_P384, K_RSA2048, K_RSA2048};

    return kinds[pick(r, sizeof(kinds) / sizeof(kinds[0]))];
}

/* A well-formed chain with 0-2 intermediates for a random peer name. */
static void
make_baseline(struct plan *p, struct wt_gen_case *c, struct rng *r,
              unsigned intermediates)
{
    unsigned i;
    char cn[48];
    struct cert_spec *leaf;

    memset(p, 0, sizeof(*p));
    p->flip_cert = -1;
    p->leaf = intermediates + 1;
    p->count = p->leaf + 1;
    spec_ca(&p->s[0], -1, key_of(ca_kind(r), 0), "Differential Root");
    for (i = 1; i < p->leaf; i++) {
        snprintf(cn, sizeof(cn), "Differential CA %u", i);
        spec_ca(&p->s[i], (int)i - 1, key_of(ca_kind(r), i), cn);
        p->s[i].not_after = WT_GEN_NOW + 1800 * DAY;
    }
    leaf = &p->s[p->leaf];
    memset(leaf, 0, sizeof(*leaf));
    leaf->issuer = (int)p->leaf - 1;
    leaf->key = key_of(pick(r, 5) ? K_P256 : K_P384, p->leaf);
    leaf->sign_key = -1;
    leaf->version = 3;
    leaf->not_before = WT_GEN_NOW - (int64_t)(1 + pick(r, 90)) * DAY;
    leaf->not_after = WT_GEN_NOW + (int64_t)(1 + pick(r, 300)) * DAY;
    leaf->bc = pick(r, 3) ? BC_END_ENTITY : BC_ABSENT;
    leaf->bc_critical = pick(r, 2);
    leaf->path_len = -1;
    strcpy(leaf->ku, "critical,digitalSignature");
    strcpy(leaf->eku, pick(r, 4) ? "serverAuth" : "serverAuth,clientAuth");
    leaf->ski = pick(r, 2);
    leaf->aki = 1;
    strcpy(leaf->cn, "Differential server");
    for (i = 0; i < p->count; i++) {
        p->s[i].hash = pick(r, 4) ? H_SHA256 : H_SHA384;
    }
    pick_peer(p, c, r);

    c->now = WT_GEN_NOW;
    c->anchor[0] = 0;
    c->anchor_count = 1;
    c->chain_count = 0;
    c->chain[c->chain_count++] = p->leaf;
    for (i = p->leaf - 1; i >= 1; i--) {
        c->chain[c->chain_count++] = i;
    }
}

/* ---- Building the DER. ---- */

static const EVP_MD *
hash_md(enum hash_id h)
{
    switch (h) {
    case H_SHA1:
        return EVP_sha1();
    case H_SHA384:
        return EVP_sha384();
    case H_SHA512:
        return EVP_sha512();
    default:
        return EVP_sha256();
    }
}

static const br_hash_class *
hash_class(enum hash_id h, const unsigned char **oid)
{
    switch (h) {
    case H_SHA1:
        *oid = BR_HASH_OID_SHA1;
        return &br_sha1_vtable;
    case H_SHA384:
        *oid = BR_HASH_OID_SHA384;
        return &br_sha384_vtable;
    case H_SHA512:
        *oid = BR_HASH_OID_SHA512;
        return &br_sha512_vtable;
    default:
        *oid = BR_HASH_OID_SHA256;
        return &br_sha256_vtable;
    }
}

/* Signs data with a pool key: RFC 6979 ECDSA or PKCS#1 v1.5. */
static size_t
sign_with(const struct pool_key *k, enum hash_id h, const uint8_t *data,
          size_t len, uint8_t *sig)
{
    const unsigned char *oid;
    const br_hash_class *hc = hash_class(h, &oid);
    br_hash_compat_context ctx;
    uint8_t digest[64];
    size_t digest_len = (hc->desc >> BR_HASHDESC_OUT_OFF) &
                        BR_HASHDESC_OUT_MASK;

    hc->init(&ctx.vtable);
    hc->update(&ctx.vtable, data, len);
    hc->out(&ctx.vtable, digest);
    if (k->kind == K_P256 || k->kind == K_P384) {
        return br_ecdsa_i31_sign_asn1(br_ec_get_default(), hc, digest, &k->ec,
                                      sig);
    }
    if (br_rsa_pkcs1_sign_get_default()(oid, digest, digest_len, &k->rsa,
                                        sig) != 1) {
        return 0;
    }
    return (k->rsa.n_bitlen + 7) / 8;
}

static int
add_conf_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *e;
    int ok;

    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (e == NULL) {
        return -1;
    }
    ok = X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok ? 0 : -1;
}

/* An extension no validator knows, its value a DER NULL. */
static int
add_unknown_ext(X509 *x, int critical)
{
    static const unsigned char null_der[] = {0x05, 0x00};
    ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.4.1.55738.99.1", 1);
    ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();
    X509_EXTENSION *e = NULL;
    int ok = 0;

    if (oid && val && ASN1_OCTET_STRING_set(val, null_der, 2)) {
        e = X509_EXTENSION_create_by_OBJ(NULL, oid, critical, val);
        ok = e && X509_add_ext(x, e, -1);
    }
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(val);
    ASN1_OBJECT_free(oid);
    return ok ? 0 : -1;
}

/*
 * AuthorityKeyIdentifier with the issuer's key id made the way "hash"
 * SKIs are (SHA-1 of the key bits), so that it exists even when the
 * issuer has no SKI for OpenSSL to copy.
 */
static int
add_aki(X509 *x, X509 *issuer, int wrong)
{
    const unsigned char *bits;
    unsigned char id[EVP_MAX_MD_SIZE];
    unsigned id_len, i;
    int bits_len;
    char v[120];
    size_t n;

    if (!X509_PUBKEY_get0_param(NULL, &bits, &bits_len, NULL,
                                X509_get_X509_PUBKEY(issuer)) ||
        !EVP_Digest(bits, (size_t)bits_len, id, &id_len, EVP_sha1(), NULL) ||
        id_len != 20) {
        return -1;
    }
    if (wrong) {
        id[19] ^= 0x5a;
    }
    n = (size_t)snprintf(v, sizeof(v), "DER:30:16:80:14");
    for (i = 0; i < id_len; i++) {
        n += (size_t)snprintf(v + n, sizeof(v) - n, ":%02X", id[i]);
    }
    return add_conf_ext(x, issuer, NID_authority_key_identifier, v);
}

static int
add_extensions(X509 *x, X509 *issuer, const struct cert_spec *s)
{
    char v[200];
    int r = 0;

    if (s->bc != BC_ABSENT) {
        snprintf(v, sizeof(v), "%sCA:%s", s->bc_critical ? "critical," : "",
                 s->bc == BC_CA ? "TRUE" : "FALSE");
        if (s->path_len >= 0) {
            size_t n = strlen(v);

            snprintf(v + n, sizeof(v) - n, ",pathlen:%d", s->path_len);
        }
        r |= add_conf_ext(x, issuer, NID_basic_constraints, v);
    }
    if (s->ku[0]) {
        r |= add_conf_ext(x, issuer, NID_key_usage, s->ku);
    }
    if (s->eku[0]) {
        r |= add_conf_ext(x, issuer, NID_ext_key_usage, s->eku);
    }
    if (s->ski) {
        r |= add_conf_ext(x, issuer, NID_subject_key_identifier, "hash");
    }
    if (s->aki) {
        r |= add_aki(x, issuer, s->aki_wrong);
    }
    if (s->san[0]) {
        r |= add_conf_ext(x, issuer, NID_subject_alt_name, s->san);
    }
    if (s->nc[0]) {
        r |= add_conf_ext(x, issuer, NID_name_constraints, s->nc);
    }
    if (s->extra != EXTRA_NONE) {
        r |= add_unknown_ext(x, s->extra == EXTRA_UNKNOWN_CRITICAL);
    }
    return r;
}

/*
 * The character that break_utf8() replaces in a TBS: OpenSSL will not
 * encode a Name holding bad UTF-8, so the bytes are changed afterwards.
 */
#define BAD_UTF8_MARK '~'

static void
break_utf8(uint8_t *tbs, size_t len)
{
    uint8_t *mark = memchr(tbs, BAD_UTF8_MARK, len);

    if (mark != NULL) {
        *mark = 0xf2; /* a lead byte with no continuation bytes */
    }
}

/* A SAN dNSName that break_san() spoils. */
#define BROKEN_SAN "broken.example.net"

static void
break_san(uint8_t *tbs, size_t len, int how)
{
    size_t n = strlen(BROKEN_SAN), i;

    for (i = 2; i + n <= len; i++) {
        if (memcmp(tbs + i, BROKEN_SAN, n) == 0 && tbs[i - 1] == n) {
            if (how == 1) {
                tbs[i - 1] = 0x7f;
            } else {
                tbs[i - 2] = 0xba; /* [26], constructed */
            }
            return;
        }
    }
}

/*
 * The last BOOLEAN TRUE of a TBS (a critical flag or cA, in the
 * extensions) as 0x01: BER reads it as TRUE, DER allows only 0xff
 * (X.690 11.1).
 */
static void
make_ber_true(uint8_t *tbs, size_t len)
{
    size_t i;

    for (i = len - 3; i > 0; i--) {
        if (tbs[i] == 0x01 && tbs[i + 1] == 0x01 && tbs[i + 2] == 0xff) {
            tbs[i + 2] = 0x01;
            return;
        }
    }
}

/* O=Warden tests, CN=cn as UTF8Strings. */
static X509_NAME *
make_name(const char *cn)
{
    X509_NAME *n = X509_NAME_new();

    if (n == NULL ||
        !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
                                    (const unsigned char *)"Warden tests",
                                    -1, -1, 0) ||
        !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
                                    (const unsigned char *)cn, -1, -1, 0)) {
        X509_NAME_free(n);
        return NULL;
    }
    return n;
}

/* XORs one byte of buf (len > 0) at a position the seed picks. */
static void
flip_byte(uint8_t *buf, size_t len, uint64_t seed)
{
    struct rng r;

    r.s = seed;
    buf[pick(&r, (unsigned)len)] ^= (uint8_t)(1 + pick(&r, 255));
}

/* Certificate ::= SEQUENCE { tbs, algorithm, BIT STRING signature } */
static int
assemble(struct wt_gen_cert *out, const uint8_t *tbs, size_t tbs_len,
         const uint8_t *alg, size_t alg_len, const uint8_t *sig,
         size_t sig_len)
{
    static uint8_t body[WT_GEN_DER_MAX];
    size_t n = 0;

    if (tbs_len + alg_len + sig_len + 16 > sizeof(body)) {
        return -1;
    }
    memcpy(body, tbs, tbs_len);
    n = tbs_len;
    memcpy(body + n, alg, alg_len);
    n += alg_len;
    body[n] = 0x03;
    if (sig_len + 1 < 0x80) {
        body[n + 1] = (uint8_t)(sig_len + 1);
        n += 2;
    } else if (sig_len + 1 < 0x100) {
        body[n + 1] = 0x81;
        body[n + 2] = (uint8_t)(sig_len + 1);
        n += 3;
    } else {
        body[n + 1] = 0x82;
        body[n + 2] = (uint8_t)((sig_len + 1) >> 8);
        body[n + 3] = (uint8_t)(sig_len + 1);
        n += 4;
    }
    body[n++] = 0;
    memcpy(body + n, sig, sig_len);
    n += sig_len;
    out->len = tlv(out->der, 0x30, body, n);
    return 0;
}

static void
made_digest(const struct wt_gen_case *c, const struct plan *p, unsigned i,
            uint8_t digest[32])
{
    const struct cert_spec *s = &p->s[i];
    br_sha256_context h;
    uint32_t n = i;

    br_sha256_init(&h);
    br_sha256_update(&h, &n, sizeof(n));
    br_sha256_update(&h, s, sizeof(*s));
    if (s->issuer >= 0) {
        br_sha256_update(&h, c->cert[s->issuer].der, c->cert[s->issuer].len);
    }
    if (p->flip_cert == (int)i) {
        br_sha256_update(&h, &p->resign, sizeof(p->resign));
        br_sha256_update(&h, &p->flip_seed, sizeof(p->flip_seed));
    }
    br_sha256_out(&h, digest);
}

static int build_cert_now(struct wt_gen_case *c, const struct plan *p,
                          unsigned i);

/* Makes certificate i of the plan, or copies it when made before. */
static int
build_cert(struct wt_gen_case *c, const struct plan *p, unsigned i)
{
    uint8_t digest[32];
    struct made_cert *m;

    made_digest(c, p, i, digest);
    m = &made[digest[0]];
    if (m->cert.x != NULL && memcmp(m->digest, digest, 32) == 0) {
        memcpy(c->cert[i].der, m->cert.der, m->cert.len);
        c->cert[i].len = m->cert.len;
        c->cert[i].x = m->cert.x;
        X509_up_ref(m->cert.x);
        return 0;
    }
    if (build_cert_now(c, p, i) != 0) {
        return -1;
    }
    X509_free(m->cert.x);
    memcpy(m->digest, digest, 32);
    memcpy(m->cert.der, c->cert[i].der, c->cert[i].len);
    m->cert.len = c->cert[i].len;
    m->cert.x = c->cert[i].x;
    X509_up_ref(m->cert.x);
    return 0;
}

static int
build_cert_now(struct wt_gen_case *c, const struct plan *p, unsigned i)
{
    const struct cert_spec *s = &p->s[i];
    struct wt_gen_cert *out = &c->cert[i];
    const struct pool_key *signer;
    X509 *x = X509_new(), *issuer;
    X509_NAME *name = make_name(s->cn);
    unsigned char *tbs = NULL, *alg = NULL;
    uint8_t sig[600];
    int tbs_len, alg_len, r = -1;
    size_t sig_len;

    if (x == NULL || name == NULL) {
        goto done;
    }
    issuer = s->issuer < 0 ? x : c->cert[s->issuer].x;
    signer = &pool[s->sign_key >= 0 ? s->sign_key
                   : s->issuer < 0  ? s->key
                                    : p->s[s->issuer].key];
    X509_set_version(x, s->version - 1);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1000 + (long)i);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, s->issuer < 0 ? name
                                          : X509_get_subject_name(issuer));
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)s->not_before);
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)s->not_after);
    X509_set_pubkey(x, pool[s->key].pub);
    if (s->version == 3 && add_extensions(x, issuer, s) != 0) {
        fprintf(stderr, "chaingen: extension refused in cert %u (%s)\n", i,
                s->cn);
        goto done;
    }
    /* Writes the algorithm fields for the real signer's key type. */
    if (!X509_sign(x, signer->kind == K_P256 || signer->kind == K_P384
                          ? alg_key_ec
                          : alg_key_rsa,
                   hash_md(s->hash))) {
        goto done;
    }
    tbs_len = i2d_re_X509_tbs(x, &tbs);
    alg_len = i2d_X509_ALGOR(X509_get0_tbs_sigalg(x), &alg);
    if (tbs_len <= 0 || alg_len <= 0) {
        goto done;
    }
    if (s->cn_bad_utf8) {
        break_utf8(tbs, (size_t)tbs_len);
    }
    if (s->san_broken) {
        break_san(tbs, (size_t)tbs_len, s->san_broken);
    }
    if (s->ber_true) {
        make_ber_true(tbs, (size_t)tbs_len);
    }
    if (p->flip_cert == (int)i && p->resign) {
        flip_byte(tbs, (size_t)tbs_len, p->flip_seed);
    }
    sig_len = sign_with(signer, s->hash, tbs, (size_t)tbs_len, sig);
    if (sig_len == 0 || assemble(out, tbs, (size_t)tbs_len, alg,
                                 (size_t)alg_len, sig, sig_len) != 0) {
        goto done;
    }
    if (p->flip_cert == (int)i && !p->resign) {
        flip_byte(out->der, out->len, p->flip_seed);
    }
    out->x = x;
    x = NULL;
    r = 0;
done:
    OPENSSL_free(tbs);
    OPENSSL_free(alg);
    X509_NAME_free(name);
    X509_free(x);
    return r;
}

/* ---- Mutation classes. ---- */

/* A random CA of the chain (root or intermediate). */
static unsigned
any_ca(const struct plan *p, struct rng *r)
{
    return pick(r, p->leaf);
}

/* A random intermediate; the chain must have one. */
static unsigned
an_intermediate(const struct plan *p, struct rng *r)
{
    return 1 + pick(r, p->leaf - 1);
}

static unsigned
any_cert(const struct plan *p, struct rng *r)
{
    return pick(r, p->leaf + 1);
}

/* The variant picked, in words: what, then an optional suffix. */
static void
detail(struct wt_gen_case *c, const char *what, const char *suffix)
{
    snprintf(c->detail, sizeof(c->detail), "%s%s", what, suffix);
}

static const char *
role(const struct plan *p, unsigned i)
{
    return i == 0 ? "root" : i == p->leaf ? "leaf" : "intermediate";
}

typedef void mutate_fn(struct plan *, struct wt_gen_case *, struct rng *);

static void
m_valid(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    (void)r;
    snprintf(c->detail, sizeof(c->detail), "%u intermediates",
             p->leaf - 1);
}

static void
m_expired(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = any_cert(p, r);

    p->s[i].not_after = WT_GEN_NOW - 1 - (int64_t)pick(r, 400 * DAY);
    if (p->s[i].not_before > p->s[i].not_after) {
        p->s[i].not_before = p->s[i].not_after - 30 * DAY;
    }
    detail(c, role(p, i), "");
}

static void
m_not_yet_valid(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = any_cert(p, r);

    p->s[i].not_before = WT_GEN_NOW + 1 + (int64_t)pick(r, 400 * DAY);
    if (p->s[i].not_after < p->s[i].not_before) {
        p->s[i].not_after = p->s[i].not_before + 30 * DAY;
    }
    detail(c, role(p, i), "");
}

static void
m_end_at_now(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = any_cert(p, r);

    p->s[i].not_after = WT_GEN_NOW;
    detail(c, role(p, i), " notAfter == now");
}

static void
m_end_before_now(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = any_cert(p, r);

    p->s[i].not_after = WT_GEN_NOW - 1;
    detail(c, role(p, i), " notAfter == now - 1");
}

static void
m_start_at_now(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = any_cert(p, r);

    p->s[i].not_before = WT_GEN_NOW;
    detail(c, role(p, i), " notBefore == now");
}

static void
m_start_after_now(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = any_cert(p, r);

    p->s[i].not_before = WT_GEN_NOW + 1;
    detail(c, role(p, i), " notBefore == now + 1");
}

static void
m_ca_no_bc(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = an_intermediate(p, r);

    p->s[i].bc = BC_ABSENT;
    detail(c, role(p, i), "");
}

static void
m_ca_bc_false(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = an_intermediate(p, r);

    p->s[i].bc = BC_END_ENTITY;
    detail(c, role(p, i), "");
}

static void
m_ca_bc_not_critical(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = an_intermediate(p, r);

    p->s[i].bc_critical = 0;
    detail(c, role(p, i), "");
}

/*
 * pathlen on a CA: the number of intermediates below it, plus delta
 * (a CA with none below when delta is -1 would get no pathlen at all).
 */
static void
set_path_len(struct plan *p, struct wt_gen_case *c, struct rng *r, int delta)
{
    unsigned i = delta < 0 ? pick(r, p->leaf - 1) : any_ca(p, r);
    int below = (int)p->leaf - (int)i - 1;

    p->s[i].path_len = below + delta;
    snprintf(c->detail, sizeof(c->detail), "%s pathlen %d, %d below",
             role(p, i), below + delta, below);
}

static void
m_pathlen_exceeded(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    set_path_len(p, c, r, -1);
}

static void
m_pathlen_exact(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    set_path_len(p, c, r, 0);
}

static void
m_leaf_pathlen(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    (void)r;
    p->s[p->leaf].bc = BC_END_ENTITY;
    p->s[p->leaf].path_len = 0;
    detail(c, "CA:FALSE,pathlen:0", "");
}

static void
m_leaf_is_ca(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    p->s[p->leaf].bc = BC_CA;
    p->s[p->leaf].bc_critical = 1;
    /* Strict RFC 5280 wants a CA's SKI: only the CA bit is wrong. */
    p->s[p->leaf].ski = 1;
    if (pick(r, 2)) {
        strcpy(p->s[p->leaf].ku, "critical,digitalSignature,keyCertSign");
    }
    detail(c, "KU ", p->s[p->leaf].ku);
}

static void
m_ca_ku_no_certsign(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = any_ca(p, r);

    strcpy(p->s[i].ku, pick(r, 2) ? "critical,digitalSignature"
                                  : "critical,cRLSign");
    detail(c, role(p, i), "");
}

static void
m_ca_no_ku(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = an_intermediate(p, r);

    p->s[i].ku[0] = 0;
    detail(c, role(p, i), "");
}

static void
m_leaf_ku_encipherment(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    (void)r;
    strcpy(p->s[p->leaf].ku, "critical,keyEncipherment");
    detail(c, p->s[p->leaf].ku, "");
}

static void
m_leaf_no_ku(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    (void)r;
    p->s[p->leaf].ku[0] = 0;
    detail(c, "-", "");
}

static void
m_leaf_ku_certsign(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    (void)r;
    strcpy(p->s[p->leaf].ku, "critical,digitalSignature,keyCertSign");
    detail(c, p->s[p->leaf].ku, "");
}

static void
m_leaf_ku_crlsign(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    (void)r;
    strcpy(p->s[p->leaf].ku, "critical,digitalSignature,cRLSign");
    detail(c, p->s[p->leaf].ku, "");
}

static void
m_leaf_eku_client(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    strcpy(p->s[p->leaf].eku, pick(r, 2) ? "clientAuth" : "codeSigning");
    detail(c, p->s[p->leaf].eku, "");
}

static void
m_leaf_no_eku(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    (void)r;
    p->s[p->leaf].eku[0] = 0;
    detail(c, "-", "");
}

static void
m_leaf_eku_any(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    (void)r;
    strcpy(p->s[p->leaf].eku, "anyExtendedKeyUsage");
    detail(c, p->s[p->leaf].eku, "");
}

static void
m_leaf_eku_server_any(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    (void)r;
    strcpy(p->s[p->leaf].eku, "serverAuth,anyExtendedKeyUsage");
    detail(c, p->s[p->leaf].eku, "");
}

static void
m_ca_eku_client(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = an_intermediate(p, r);

    strcpy(p->s[i].eku, "clientAuth");
    detail(c, role(p, i), "");
}

static void
m_ca_eku_server(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = an_intermediate(p, r);

    strcpy(p->s[i].eku, pick(r, 2) ? "serverAuth" : "serverAuth,clientAuth");
    detail(c, p->s[i].eku, "");
}

static void
m_ca_eku_any(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = an_intermediate(p, r);

    strcpy(p->s[i].eku, "anyExtendedKeyUsage");
    detail(c, role(p, i), "");
}

/* The leaf's SAN is set, and the peer name, for a name-matching case. */
static void
set_names(struct plan *p, struct wt_gen_case *c, const char *san,
          const char *peer)
{
    snprintf(p->s[p->leaf].san, sizeof(p->s[p->leaf].san), "%s", san);
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    snprintf(c->detail, sizeof(c->detail), "%s for %s", san, peer);
}

static void
m_san_mismatch(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    static const char *const v[][2] = {
        {"DNS:www.example.com", "www.example.org"},
        {"DNS:www.example.com", "ww.example.com"},
        {"DNS:example.com", "www.example.com"},
        {"DNS:www.example.com,DNS:api.example.com", "mail.example.com"},
        {"IP:192.0.2.1", "192.0.2.2"},
        {"IP:2001:db8::1", "2001:db8::2"},
        {"IP:192.0.2.1", "::ffff:192.0.2.1"},
    };
    unsigned k = pick(r, sizeof(v) / sizeof(v[0]));

    set_names(p, c, v[k][0], v[k][1]);
}

static void
m_san_wildcard_match(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    static const char *const v[][2] = {
        {"DNS:*.example.com", "www.example.com"},
        {"DNS:*.example.com", "A-B.EXAMPLE.COM"},
        {"DNS:*.test.example.net", "x.test.example.net"},
        {"DNS:www.example.org,DNS:*.example.com", "api.example.com"},
    };
    unsigned k = pick(r, sizeof(v) / sizeof(v[0]));

    set_names(p, c, v[k][0], v[k][1]);
}

static void
m_san_wildcard_bad(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    static const char *const v[][2] = {
        {"DNS:*.example.com", "a.b.example.com"},
        {"DNS:*.example.com", "example.com"},
        {"DNS:f*.example.com", "foo.example.com"},
        {"DNS:*o.example.com", "foo.example.com"},
        {"DNS:w*w.example.com", "www.example.com"},
        {"DNS:*.com", "example.com"},
        {"DNS:www.*.com", "www.example.com"},
        {"DNS:*.*.example.com", "a.b.example.com"},
    };
    unsigned k = pick(r, sizeof(v) / sizeof(v[0]));

    set_names(p, c, v[k][0], v[k][1]);
}

static void
m_san_ip_forms(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    static const char *const v[][2] = {
        {"IP:192.0.2.10", "192.0.2.10"},
        {"IP:2001:db8:0:0:0:0:0:1", "2001:db8::1"},
        {"IP:2001:db8::a", "2001:DB8::A"},
        {"IP:2001:db8::1", "2001:0db8:0000::0001"},
        {"DNS:www.example.com,IP:198.51.100.1", "198.51.100.1"},
    };
    unsigned k = pick(r, sizeof(v) / sizeof(v[0]));

    set_names(p, c, v[k][0], v[k][1]);
}

static void
m_san_ip_in_dns(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    static const char *const v[][2] = {
        {"DNS:192.0.2.10", "192.0.2.10"},
        {"DNS:www.example.com", "192.0.2.10"},
        {"IP:192.0.2.10", "www.example.com"},
    };
    unsigned k = pick(r, sizeof(v) / sizeof(v[0]));

    set_names(p, c, v[k][0], v[k][1]);
}

static void
m_san_absent(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    (void)r;
    p->s[p->leaf].san[0] = 0;
    snprintf(p->s[p->leaf].cn, sizeof(p->s[p->leaf].cn), "%s", c->peer);
    detail(c, "CN only: ", c->peer);
}

static void
m_san_case(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    static const char *const v[][2] = {
        {"DNS:WWW.Example.COM", "www.example.com"},
        {"DNS:www.example.com", "WWW.EXAMPLE.COM"},
    };
    unsigned k = pick(r, 2);

    set_names(p, c, v[k][0], v[k][1]);
}

/* Name constraints on a random CA of the chain. */
static void
set_nc(struct plan *p, struct wt_gen_case *c, struct rng *r, const char *nc,
       const char *san, const char *peer)
{
    unsigned i = any_ca(p, r);

    snprintf(p->s[i].nc, sizeof(p->s[i].nc), "critical,%s", nc);
    set_names(p, c, san, peer);
    snprintf(c->detail, sizeof(c->detail), "%s on %s, %s", nc, role(p, i),
             san);
}

#define PICK_NC(v)                                                           \
    k = pick(r, sizeof(v) / sizeof(v[0]));                                   \
    set_nc(p, c, r, v[k][0], v[k][1], v[k][2])

static void
m_nc_permitted_ok(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    static const char *const v[][3] = {
        {"permitted;DNS:example.com", "DNS:www.example.com",
         "www.example.com"},
        {"permitted;DNS:example.com", "DNS:example.com", "example.com"},
        {"permitted;DNS:example.com", "DNS:*.example.com", "a.example.com"},
        {"permitted;DNS:example.com,permitted;DNS:example.org",
         "DNS:api.example.org", "api.example.org"},
        {"permitted;IP:192.0.2.0/255.255.255.0", "IP:192.0.2.77",
         "192.0.2.77"},
        {"permitted;IP:2001:db8::/ffff:ffff::", "IP:2001:db8::5",
         "2001:db8::5"},
        {"permitted;DNS:example.com", "IP:192.0.2.5", "192.0.2.5"},
    };
    unsigned k;

    PICK_NC(v);
}

static void
m_nc_permitted_violated(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    static const char *const v[][3] = {
        {"permitted;DNS:example.org", "DNS:www.example.com",
         "www.example.com"},
        {"permitted;DNS:ample.com", "DNS:www.example.com",
         "www.example.com"},
        {"permitted;DNS:www.example.com", "DNS:example.com", "example.com"},
        {"permitted;DNS:example.com", "DNS:www.example.com,DNS:evil.org",
         "www.example.com"},
        {"permitted;IP:192.0.2.0/255.255.255.0", "IP:198.51.100.1",
         "198.51.100.1"},
        {"permitted;IP:192.0.2.0/255.255.255.0",
         "IP:192.0.2.1,IP:198.51.100.1", "192.0.2.1"},
        {"permitted;IP:2001:db8::/ffff:ffff::", "IP:2001:db9::1",
         "2001:db9::1"},
    };
    unsigned k;

    PICK_NC(v);
}

static void
m_nc_excluded(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    static const char *const v[][3] = {
        {"excluded;DNS:example.com", "DNS:www.example.com",
         "www.example.com"},
        {"excluded;DNS:www.example.com", "DNS:www.example.com",
         "www.example.com"},
        {"excluded;DNS:evil.org", "DNS:www.example.com,DNS:x.evil.org",
         "www.example.com"},
        {"excluded;IP:192.0.2.0/255.255.255.128", "IP:192.0.2.5",
         "192.0.2.5"},
        {"excluded;IP:2001:db8::/ffff:ffff::", "IP:2001:db8::9",
         "2001:db8::9"},
    };
    unsigned k;

    PICK_NC(v);
}

static void
m_nc_excluded_other(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    static const char *const v[][3] = {
        {"excluded;DNS:example.org", "DNS:www.example.com",
         "www.example.com"},
        {"excluded;DNS:ample.com", "DNS:www.example.com",
         "www.example.com"},
        {"excluded;IP:192.0.2.0/255.255.255.128", "IP:192.0.2.200",
         "192.0.2.200"},
        {"permitted;DNS:example.com,excluded;DNS:bad.example.com",
         "DNS:good.example.com", "good.example.com"},
    };
    unsigned k;

    PICK_NC(v);
}

static void
m_nc_wildcard_excluded(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    static const char *const v[][3] = {
        {"excluded;DNS:bad.example.com", "DNS:*.example.com",
         "good.example.com"},
    };
    unsigned k;

    PICK_NC(v);
}

static void
m_nc_other_form(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    static const char *const v[][3] = {
        {"permitted;email:example.com", "DNS:www.example.com",
         "www.example.com"},
        {"excluded;URI:.example.org", "DNS:www.example.com",
         "www.example.com"},
    };
    unsigned k;

    PICK_NC(v);
}

static void
m_missing_intermediate(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned drop = 1 + pick(r, c->chain_count - 1), i;

    for (i = drop; i + 1 < c->chain_count; i++) {
        c->chain[i] = c->chain[i + 1];
    }
    c->chain_count--;
    (void)p;
    detail(c, "one dropped", "");
}

static void
m_shuffled(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i;

    /* The root too, sometimes: servers do send it. */
    if (pick(r, 2)) {
        c->chain[c->chain_count++] = 0;
    }
    for (i = c->chain_count - 1; i > 1; i--) {
        unsigned j = 1 + pick(r, i);
        unsigned t = c->chain[i];

        c->chain[i] = c->chain[j];
        c->chain[j] = t;
    }
    detail(c, c->chain_count > p->leaf ? "with root" : "without root", "");
}

/* Extra certificates: a duplicate, and a CA of another root. */
static void
m_extra(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned other_root = p->count, other_ca = p->count + 1;

    spec_ca(&p->s[other_root], -1, key_of(K_P384, 3), "Unrelated Root");
    spec_ca(&p->s[other_ca], (int)other_root, key_of(K_P256, 3),
            pick(r, 2) ? "Unrelated CA" : "Differential CA 1");
    p->count += 2;
    c->chain[c->chain_count++] = other_ca;
    if (c->chain_count > 2) {
        c->chain[c->chain_count++] = c->chain[1];
    }
    detail(c, p->s[other_ca].cn, "");
}

static void
m_wrong_issuer(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = 1 + pick(r, p->leaf);

    /* Same names, another key: the signature cannot verify. */
    p->s[i].sign_key = key_of(K_P256, 3);
    if (p->s[p->s[i].issuer].key == p->s[i].sign_key) {
        p->s[i].sign_key = key_of(K_P384, 3);
    }
    detail(c, role(p, i), "");
}

static void
m_untrusted_root(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned other = p->count++;

    spec_ca(&p->s[other], -1, key_of(K_P384, 3),
            pick(r, 2) ? "Unrelated Root" : "Differential Root");
    c->anchor[0] = other;
    detail(c, p->s[other].cn, "");
}

static void
m_sig_sha1(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = 1 + pick(r, p->leaf);

    p->s[i].hash = H_SHA1;
    detail(c, role(p, i), "");
}

static void
m_sig_sha1_root(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    (void)r;
    p->s[0].hash = H_SHA1;
    detail(c, "root's self-signature", "");
}

static void
m_sig_sha512(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = any_cert(p, r);

    p->s[i].hash = H_SHA512;
    detail(c, role(p, i), "");
}

static void
m_ca_rsa1024(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = any_ca(p, r);

    p->s[i].key = key_of(K_RSA1024, 0);
    detail(c, role(p, i), "");
}

static void
m_ca_rsa2048(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = any_ca(p, r);

    p->s[i].key = key_of(K_RSA2048, i);
    detail(c, role(p, i), "");
}

static void
m_ca_p384(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = any_ca(p, r);

    p->s[i].key = key_of(K_P384, i);
    detail(c, role(p, i), "");
}

static void
m_leaf_rsa2048(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    (void)r;
    p->s[p->leaf].key = key_of(K_RSA2048, 2);
    detail(c, "RSA-2048 leaf", "");
}

static void
m_leaf_rsa1024(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    (void)r;
    p->s[p->leaf].key = key_of(K_RSA1024, 0);
    detail(c, "RSA-1024 leaf", "");
}

static void
m_self_signed_leaf(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    struct cert_spec *leaf = &p->s[p->leaf];

    leaf->issuer = -1;
    leaf->aki = pick(r, 2);
    c->chain_count = 1 + pick(r, 2) * (c->chain_count - 1);
    detail(c, leaf->aki ? "with AKI" : "without AKI", "");
}

static void
m_self_signed_leaf_trusted(struct plan *p, struct wt_gen_case *c,
                           struct rng *r)
{
    m_self_signed_leaf(p, c, r);
    c->anchor[c->anchor_count++] = p->leaf;
}

static void
m_unknown_critical(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = 1 + pick(r, p->leaf);

    p->s[i].extra = EXTRA_UNKNOWN_CRITICAL;
    detail(c, role(p, i), "");
}

static void
m_unknown_noncritical(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = any_cert(p, r);

    p->s[i].extra = EXTRA_UNKNOWN;
    detail(c, role(p, i), "");
}

static void
m_v1(struct plan *p, struct wt_gen_case *c, unsigned i)
{
    p->s[i].version = 1;
    detail(c, role(p, i), "");
}

static void
m_v1_leaf(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    (void)r;
    m_v1(p, c, p->leaf);
}

static void
m_v1_intermediate(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    m_v1(p, c, an_intermediate(p, r));
}

static void
m_v1_root(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    (void)r;
    m_v1(p, c, 0);
}

static void
m_ca_no_ski(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = an_intermediate(p, r);

    p->s[i].ski = 0;
    detail(c, role(p, i), "");
}

static void
m_no_aki(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = 1 + pick(r, p->leaf);

    p->s[i].aki = 0;
    detail(c, role(p, i), "");
}

static void
m_aki_mismatch(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = 1 + pick(r, p->leaf);

    p->s[i].aki_wrong = 1;
    detail(c, role(p, i), "");
}

/* A SAN whose first entry names the peer and whose last is broken. */
static void
m_san_malformed(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    struct cert_spec *leaf = &p->s[p->leaf];
    size_t n = strlen(leaf->san);

    snprintf(leaf->san + n, sizeof(leaf->san) - n, ",DNS:%s", BROKEN_SAN);
    leaf->san_broken = 1 + (int)pick(r, 2);
    detail(c, leaf->san, leaf->san_broken == 1 ? ", length" : ", tag");
}

/* The leaf's only: a CA's children would copy its name unbroken. */
static void
m_name_bad_utf8(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    (void)r;
    p->s[p->leaf].cn_bad_utf8 = 1;
    strcpy(p->s[p->leaf].cn, "Differential ~server");
    detail(c, "leaf subject CN", "");
}

static void
m_ber_boolean(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    unsigned i = 1 + pick(r, p->leaf);

    p->s[i].ber_true = 1;
    detail(c, role(p, i), "");
}

static void
m_der_flip(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    p->flip_cert = (int)(1 + pick(r, p->leaf));
    p->resign = 0;
    p->flip_seed = next(r);
    detail(c, role(p, (unsigned)p->flip_cert), "");
}

static void
m_der_flip_resigned(struct plan *p, struct wt_gen_case *c, struct rng *r)
{
    m_der_flip(p, c, r);
    p->resign = 1;
}

/*
 * The classes: name, least number of intermediates, mutation, and a
 * weight (cases per round). The test's rules refer to these names.
 * Byte flips weigh more: each case tries one byte of thousands.
 */
struct mutation_class {
    const char *name;
    unsigned min_intermediates;
    mutate_fn *fn;
    unsigned weight;
};

static const struct mutation_class classes[] = {
    {"valid", 0, m_valid, 1},
    {"expired", 0, m_expired, 1},
    {"not-yet-valid", 0, m_not_yet_valid, 1},
    {"validity-end-at-now", 0, m_end_at_now, 1},
    {"validity-end-before-now", 0, m_end_before_now, 1},
    {"validity-start-at-now", 0, m_start_at_now, 1},
    {"validity-start-after-now", 0, m_start_after_now, 1},
    {"ca-no-basic-constraints", 1, m_ca_no_bc, 1},
    {"ca-bc-ca-false", 1, m_ca_bc_false, 1},
    {"ca-bc-not-critical", 1, m_ca_bc_not_critical, 1},
    {"pathlen-exceeded", 1, m_pathlen_exceeded, 1},
    {"pathlen-exact", 0, m_pathlen_exact, 1},
    {"leaf-bc-pathlen", 0, m_leaf_pathlen, 1},
    {"leaf-is-ca", 0, m_leaf_is_ca, 1},
    {"ca-ku-no-certsign", 0, m_ca_ku_no_certsign, 1},
    {"ca-no-ku", 1, m_ca_no_ku, 1},
    {"leaf-ku-encipherment-only", 0, m_leaf_ku_encipherment, 1},
    {"leaf-no-ku", 0, m_leaf_no_ku, 1},
    {"leaf-ku-certsign", 0, m_leaf_ku_certsign, 1},
    {"leaf-ku-crlsign", 0, m_leaf_ku_crlsign, 1},
    {"leaf-eku-not-server", 0, m_leaf_eku_client, 1},
    {"leaf-no-eku", 0, m_leaf_no_eku, 1},
    {"leaf-eku-any-only", 0, m_leaf_eku_any, 1},
    {"leaf-eku-server-and-any", 0, m_leaf_eku_server_any, 1},
    {"ca-eku-not-server", 1, m_ca_eku_client, 1},
    {"ca-eku-server", 1, m_ca_eku_server, 1},
    {"ca-eku-any", 1, m_ca_eku_any, 1},
    {"san-mismatch", 0, m_san_mismatch, 1},
    {"san-wildcard-match", 0, m_san_wildcard_match, 1},
    {"san-wildcard-misuse", 0, m_san_wildcard_bad, 1},
    {"san-ip-forms", 0, m_san_ip_forms, 1},
    {"san-ip-vs-dns", 0, m_san_ip_in_dns, 1},
    {"san-absent-cn-only", 0, m_san_absent, 1},
    {"san-case", 0, m_san_case, 1},
    {"nc-permitted-ok", 0, m_nc_permitted_ok, 1},
    {"nc-permitted-violated", 0, m_nc_permitted_violated, 1},
    {"nc-excluded-hit", 0, m_nc_excluded, 1},
    {"nc-excluded-miss", 0, m_nc_excluded_other, 1},
    {"nc-excluded-wildcard", 0, m_nc_wildcard_excluded, 1},
    {"nc-other-form", 0, m_nc_other_form, 1},
    {"chain-missing-intermediate", 1, m_missing_intermediate, 1},
    {"chain-out-of-order", 1, m_shuffled, 1},
    {"chain-extra-certs", 0, m_extra, 1},
    {"wrong-issuer-key", 0, m_wrong_issuer, 1},
    {"untrusted-root", 0, m_untrusted_root, 1},
    {"sig-sha1", 0, m_sig_sha1, 1},
    {"sig-sha1-root-self", 0, m_sig_sha1_root, 1},
    {"sig-sha512", 0, m_sig_sha512, 1},
    {"key-ca-rsa1024", 0, m_ca_rsa1024, 1},
    {"key-ca-rsa2048", 0, m_ca_rsa2048, 1},
    {"key-ca-p384", 0, m_ca_p384, 1},
    {"key-leaf-rsa2048", 0, m_leaf_rsa2048, 1},
    {"key-leaf-rsa1024", 0, m_leaf_rsa1024, 1},
    {"self-signed-leaf", 0, m_self_signed_leaf, 1},
    {"self-signed-leaf-trusted", 0, m_self_signed_leaf_trusted, 1},
    {"unknown-ext-critical", 0, m_unknown_critical, 1},
    {"unknown-ext-noncritical", 0, m_unknown_noncritical, 1},
    {"v1-leaf", 0, m_v1_leaf, 1},
    {"v1-intermediate", 1, m_v1_intermediate, 1},
    {"v1-root", 0, m_v1_root, 1},
    {"ca-no-ski", 1, m_ca_no_ski, 1},
    {"missing-aki", 0, m_no_aki, 1},
    {"aki-mismatch", 0, m_aki_mismatch, 1},
    {"name-bad-utf8", 0, m_name_bad_utf8, 1},
    {"san-malformed-entry", 0, m_san_malformed, 1},
    {"ber-boolean-true", 0, m_ber_boolean, 1},
    {"der-byte-flip", 0, m_der_flip, 4},
    {"der-byte-flip-resigned", 0, m_der_flip_resigned, 4},
};

#define CLASS_COUNT (sizeof(classes) / sizeof(classes[0]))

unsigned
wt_gen_class_count(void)
{
    return (unsigned)CLASS_COUNT;
}

const char *
wt_gen_class_name(unsigned i)
{
    return i < CLASS_COUNT ? classes[i].name : "?";
}

/* The class of case index: round robin, each class weight times. */
static const struct mutation_class *
class_of(unsigned long index)
{
    unsigned long total = 0, slot;
    unsigned i;

    for (i = 0; i < CLASS_COUNT; i++) {
        total += classes[i].weight;
    }
    slot = index % total;
    for (i = 0; slot >= classes[i].weight; i++) {
        slot -= classes[i].weight;
    }
    return &classes[i];
}

int
wt_gen_case(struct wt_gen_case *c, uint64_t seed, unsigned long index)
{
    static struct plan p;
    const struct mutation_class *mc = class_of(index);
    struct rng r;
    unsigned i, inter;

    memset(c, 0, sizeof(*c));
    r.s = seed ^ (0xd1b54a32d192ed03ULL * (uint64_t)(index + 1));
    inter = mc->min_intermediates + pick(&r, 3 - mc->min_intermediates);
    make_baseline(&p, c, &r, inter);
    c->klass = mc->name;
    mc->fn(&p, c, &r);
    c->cert_count = p.count;
    c->flipped = p.flip_cert;
    for (i = 0; i < p.count; i++) {
        if (build_cert(c, &p, i) != 0) {
            wt_gen_case_free(c);
            return -1;
        }
    }
    return 0;
}

void
wt_gen_case_free(struct wt_gen_case *c)
{
    unsigned i;

    for (i = 0; i < c->cert_count; i++) {
        X509_free(c->cert[i].x);
        c->cert[i].x = NULL;
    }
}
