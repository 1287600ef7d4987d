/* X.509 parsing (RFC 5280 section 4); see x509.h. */
#include "x509.h"

#include <string.h>

#include <bearssl.h>

#include "der.h"

/* OID values (the bytes after the OID tag and length). */
static const uint8_t oid_ec_public_key[] = {0x2a, 0x86, 0x48, 0xce,
                                            0x3d, 0x02, 0x01};
static const uint8_t oid_p256[] = {0x2a, 0x86, 0x48, 0xce,
                                   0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t oid_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                  0x0d, 0x01, 0x01, 0x01};
static const uint8_t oid_eku_server[] = {0x2b, 0x06, 0x01, 0x05,
                                         0x05, 0x07, 0x03, 0x01};
static const uint8_t oid_eku_client[] = {0x2b, 0x06, 0x01, 0x05,
                                         0x05, 0x07, 0x03, 0x02};
static const uint8_t oid_eku_any[] = {0x55, 0x1d, 0x25, 0x00};
static const uint8_t oid_aia[] = {0x2b, 0x06, 0x01, 0x05,
                                  0x05, 0x07, 0x01, 0x01};

struct sig_oid {
    uint8_t len;
    uint8_t oid[9];
    enum wc_sig_alg alg;
    int rsa; /* RSA: parameters are NULL; ECDSA: absent */
};

static const struct sig_oid sig_oids[] = {
    {8, {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02},
     WC_SIG_ECDSA_SHA256, 0},
    {8, {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03},
     WC_SIG_ECDSA_SHA384, 0},
    {8, {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04},
     WC_SIG_ECDSA_SHA512, 0},
    {7, {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01}, WC_SIG_ECDSA_SHA1, 0},
    {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b},
     WC_SIG_RSA_SHA256, 1},
    {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c},
     WC_SIG_RSA_SHA384, 1},
    {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d},
     WC_SIG_RSA_SHA512, 1},
    {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05},
     WC_SIG_RSA_SHA1, 1},
};

/* Extension ids under 2.5.29 (id-ce), by their last arc. */
#define CE_SUBJECT_KEY_ID 14
#define CE_KEY_USAGE 15
#define CE_SUBJECT_ALT_NAME 17
#define CE_BASIC_CONSTRAINTS 19
#define CE_NAME_CONSTRAINTS 30
#define CE_AUTHORITY_KEY_ID 35
#define CE_EXT_KEY_USAGE 37

/*
 * AlgorithmIdentifier of a signature. An algorithm we do not know is not
 * an error here (the certificate may still be read); it is WC_SIG_UNKNOWN.
 */
static int
parse_sig_alg(struct wc_der *d, enum wc_sig_alg *alg, struct wc_der_elem *raw)
{
    struct wc_der seq;
    struct wc_der_elem oid, params;
    size_t i;

    *alg = WC_SIG_UNKNOWN;
    wc_der_expect(d, WC_DER_SEQUENCE, raw);
    wc_der_init(&seq, raw->val, raw->len);
    wc_der_expect(&seq, WC_DER_OID, &oid);
    if (d->err || seq.err) {
        return wc_der_fail(d);
    }
    for (i = 0; i < sizeof(sig_oids) / sizeof(sig_oids[0]); i++) {
        if (!wc_der_oid_is(&oid, sig_oids[i].oid, sig_oids[i].len)) {
            continue;
        }
        /* RFC 5758 3.2: no parameters; RFC 4055 5: NULL parameters. */
        if (sig_oids[i].rsa) {
            if (wc_der_expect(&seq, WC_DER_NULL, &params) != 0 ||
                params.len != 0) {
                return wc_der_fail(d);
            }
        }
        if (wc_der_finish(&seq) != 0) {
            return wc_der_fail(d);
        }
        *alg = sig_oids[i].alg;
        return 0;
    }
    return 0;
}

/* Strips the sign byte of a positive INTEGER. */
static int
unsigned_integer(const struct wc_der_elem *e, const uint8_t **p, size_t *len)
{
    int negative;

    if (wc_der_integer_ok(e, &negative) != 0 || negative) {
        return -1;
    }
    *p = e->val;
    *len = e->len;
    if (*len > 1 && (*p)[0] == 0) {
        (*p)++;
        (*len)--;
    }
    return 0;
}

static unsigned
bit_length(const uint8_t *p, size_t len)
{
    unsigned bits;
    unsigned top;

    if (len == 0) {
        return 0;
    }
    bits = (unsigned)(len - 1) * 8;
    for (top = p[0]; top != 0; top >>= 1) {
        bits++;
    }
    return bits;
}

/* An EC point is on its curve: BearSSL decodes and checks it in mul(). */
static int
ec_point_valid(const uint8_t *point, size_t len, int curve)
{
    static const uint8_t one[1] = {1};
    uint8_t copy[BR_EC_KBUF_PUB_MAX_SIZE];

    if (len > sizeof(copy) || len == 0 || point[0] != 0x04) {
        return 0;
    }
    memcpy(copy, point, len);
    return br_ec_get_default()->mul(copy, len, one, 1, curve) == 1;
}

/*
 * check_point: test that an EC point is on its curve, which costs a
 * scalar multiplication. Certificates skip it: a CA's key is checked by
 * every signature it verifies, and the validator checks the leaf's once.
 */
static int
parse_spki_into(struct wc_der *d, struct wc_pubkey *k, int check_point)
{
    struct wc_der spki, alg, rsa;
    struct wc_der_elem oid, curve, bits, n, e;
    const uint8_t *key;
    size_t key_len;

    memset(k, 0, sizeof(*k));
    wc_der_enter(d, WC_DER_SEQUENCE, &spki);
    wc_der_enter(&spki, WC_DER_SEQUENCE, &alg);
    wc_der_expect(&alg, WC_DER_OID, &oid);
    if (alg.err) {
        return wc_der_fail(d);
    }

    if (wc_der_oid_is(&oid, oid_ec_public_key, sizeof(oid_ec_public_key))) {
        /* RFC 5480 2.1.1: namedCurve only. */
        wc_der_expect(&alg, WC_DER_OID, &curve);
        wc_der_expect(&spki, WC_DER_BIT_STRING, &bits);
        if (wc_der_finish(&alg) != 0 || wc_der_finish(&spki) != 0 ||
            wc_der_bit_string_bytes(&bits, &key, &key_len) != 0) {
            return wc_der_fail(d);
        }
        if (wc_der_oid_is(&curve, oid_p256, sizeof(oid_p256)) &&
            key_len == 65 && key[0] == 0x04 &&
            (!check_point ||
             ec_point_valid(key, key_len, BR_EC_secp256r1))) {
            k->type = WC_KEY_EC_P256;
            k->bits = 256;
        } else if (wc_der_oid_is(&curve, oid_p384, sizeof(oid_p384)) &&
                   key_len == 97 && key[0] == 0x04 &&
                   (!check_point ||
                    ec_point_valid(key, key_len, BR_EC_secp384r1))) {
            k->type = WC_KEY_EC_P384;
            k->bits = 384;
        } else {
            return wc_der_fail(d);
        }
        k->point = key;
        k->point_len = key_len;
        return 0;
    }

    if (wc_der_oid_is(&oid, oid_rsa, sizeof(oid_rsa))) {
        struct wc_der_elem null;

        wc_der_expect(&alg, WC_DER_NULL, &null);
        wc_der_expect(&spki, WC_DER_BIT_STRING, &bits);
        if (wc_der_finish(&alg) != 0 || null.len != 0 ||
            wc_der_finish(&spki) != 0 ||
            wc_der_bit_string_bytes(&bits, &key, &key_len) != 0) {
            return wc_der_fail(d);
        }
        wc_der_init(&rsa, key, key_len);
        {
            struct wc_der body;

            wc_der_enter(&rsa, WC_DER_SEQUENCE, &body);
            wc_der_expect(&body, WC_DER_INTEGER, &n);
            wc_der_expect(&body, WC_DER_INTEGER, &e);
            if (wc_der_finish(&body) != 0 || wc_der_finish(&rsa) != 0 ||
                unsigned_integer(&n, &k->n, &k->n_len) != 0 ||
                unsigned_integer(&e, &k->e, &k->e_len) != 0) {
                return wc_der_fail(d);
            }
        }
        k->type = WC_KEY_RSA;
        k->bits = bit_length(k->n, k->n_len);
        return 0;
    }
    /* Another algorithm: readable, but no key we can use. */
    k->type = WC_KEY_NONE;
    return 0;
}

int
wc_x509_parse_spki(struct wc_pubkey *k, const uint8_t *der, size_t len)
{
    struct wc_der d;

    wc_der_init(&d, der, len);
    if (parse_spki_into(&d, k, 1) != 0 || wc_der_finish(&d) != 0 ||
        k->type == WC_KEY_NONE) {
        memset(k, 0, sizeof(*k));
        return -1;
    }
    return 0;
}

/* Contents of a constructed element are DER elements, end to end. */
static int
elements_ok(const uint8_t *p, size_t len)
{
    struct wc_der d;
    struct wc_der_elem e;

    wc_der_init(&d, p, len);
    while (wc_der_more(&d)) {
        wc_der_next(&d, &e);
    }
    return d.err == 0;
}

/*
 * RFC 3629 section 4: well-formed UTF-8, so no overlong forms, no
 * surrogates and nothing past U+10FFFF. A Name is only compared byte
 * for byte here, but a string that is not what its tag says is a
 * malformed certificate, and other readers refuse it.
 */
static int
utf8_valid(const uint8_t *p, size_t len)
{
    size_t i = 0, n, k;
    uint32_t cp, min;

    while (i < len) {
        uint8_t b = p[i];

        if (b < 0x80) {
            i++;
            continue;
        }
        if ((b & 0xe0) == 0xc0) {
            n = 1;
            cp = b & 0x1f;
            min = 0x80;
        } else if ((b & 0xf0) == 0xe0) {
            n = 2;
            cp = b & 0x0f;
            min = 0x800;
        } else if ((b & 0xf8) == 0xf0) {
            n = 3;
            cp = b & 0x07;
            min = 0x10000;
        } else {
            return 0;
        }
        if (len - i <= n) {
            return 0;
        }
        for (k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
        i += n + 1;
    }
    return 1;
}

/*
 * An attribute value: one of the character string types (X.520's
 * DirectoryString and its kin: IA5String, NumericString...), or a
 * SEQUENCE of well-formed elements, the set OpenSSL also reads. A
 * UTF8String is UTF-8.
 */
static int
attribute_value_ok(const struct wc_der_elem *v)
{
    switch (v->tag) {
    case WC_DER_UTF8_STRING:
        return utf8_valid(v->val, v->len);
    case 0x12: /* NumericString */
    case WC_DER_PRINTABLE_STRING:
    case 0x14: /* TeletexString */
    case 0x15: /* VideotexString */
    case WC_DER_IA5_STRING:
    case 0x19: /* GraphicString */
    case 0x1a: /* VisibleString */
    case 0x1b: /* GeneralString */
    case 0x1c: /* UniversalString */
    case 0x1e: /* BMPString */
        return 1;
    case WC_DER_SEQUENCE:
        return elements_ok(v->val, v->len);
    default:
        return 0;
    }
}

static int
check_name(struct wc_der *d, struct wc_der_elem *name)
{
    struct wc_der rdns, set, atv;
    struct wc_der_elem oid, value;

    if (wc_der_expect(d, WC_DER_SEQUENCE, name) != 0) {
        return -1;
    }
    wc_der_init(&rdns, name->val, name->len);
    while (wc_der_more(&rdns)) {
        wc_der_enter(&rdns, WC_DER_SET, &set);
        /* X.501: a RelativeDistinguishedName has at least one member. */
        if (!wc_der_more(&set)) {
            return wc_der_fail(d);
        }
        while (wc_der_more(&set)) {
            wc_der_enter(&set, WC_DER_SEQUENCE, &atv);
            wc_der_expect(&atv, WC_DER_OID, &oid);
            wc_der_next(&atv, &value);
            if (wc_der_finish(&atv) != 0 || wc_der_oid_ok(&oid) != 0 ||
                !attribute_value_ok(&value)) {
                return wc_der_fail(d);
            }
        }
        if (set.err) {
            return wc_der_fail(d);
        }
    }
    return rdns.err ? wc_der_fail(d) : 0;
}

int
wc_x509_name_check(const uint8_t *der, size_t len)
{
    struct wc_der d;
    struct wc_der_elem name;

    wc_der_init(&d, der, len);
    if (check_name(&d, &name) != 0) {
        return -1;
    }
    return wc_der_finish(&d);
}

static int
parse_basic_constraints(struct wc_x509 *c, const struct wc_der_elem *v)
{
    struct wc_der d, seq;
    struct wc_der_elem ca, len;
    uint32_t n;

    wc_der_init(&d, v->val, v->len);
    wc_der_enter(&d, WC_DER_SEQUENCE, &seq);
    c->is_ca = 0;
    c->path_len = -1;
    if (wc_der_optional(&seq, WC_DER_BOOLEAN, &ca)) {
        if (ca.len != 1 || (ca.val[0] != 0 && ca.val[0] != 0xff)) {
            return -1;
        }
        c->is_ca = ca.val[0] != 0;
    }
    if (wc_der_optional(&seq, WC_DER_INTEGER, &len)) {
        if (wc_der_small_uint(&len, &n) != 0 || n > 255) {
            return -1;
        }
        c->path_len = (int)n;
    }
    if (wc_der_finish(&seq) != 0 || wc_der_finish(&d) != 0) {
        return -1;
    }
    return 0;
}

static int
parse_key_usage(struct wc_x509 *c, const struct wc_der_elem *v)
{
    struct wc_der d;
    struct wc_der_elem bits;
    unsigned unused, i;

    wc_der_init(&d, v->val, v->len);
    wc_der_expect(&d, WC_DER_BIT_STRING, &bits);
    if (wc_der_finish(&d) != 0 || bits.len < 2 || bits.len > 3 ||
        bits.val[0] > 7) {
        return -1;
    }
    unused = bits.val[0];
    /* DER: the unused bits are zero. */
    if (bits.val[bits.len - 1] & ((1u << unused) - 1)) {
        return -1;
    }
    c->key_usage = 0;
    for (i = 0; i < (bits.len - 1) * 8; i++) {
        if (bits.val[1 + i / 8] & (0x80u >> (i % 8))) {
            c->key_usage |= 1u << i;
        }
    }
    return 0;
}

static int
parse_ext_key_usage(struct wc_x509 *c, const struct wc_der_elem *v)
{
    struct wc_der d, seq;
    struct wc_der_elem oid;

    wc_der_init(&d, v->val, v->len);
    wc_der_enter(&d, WC_DER_SEQUENCE, &seq);
    c->ext_key_usage = 0;
    /* RFC 5280 4.2.1.12: at least one purpose. */
    if (!wc_der_more(&seq)) {
        return -1;
    }
    while (wc_der_more(&seq)) {
        if (wc_der_expect(&seq, WC_DER_OID, &oid) != 0 ||
            wc_der_oid_ok(&oid) != 0) {
            return -1;
        }
        if (wc_der_oid_is(&oid, oid_eku_server, sizeof(oid_eku_server))) {
            c->ext_key_usage |= WC_EKU_SERVER_AUTH;
        } else if (wc_der_oid_is(&oid, oid_eku_client,
                                 sizeof(oid_eku_client))) {
            c->ext_key_usage |= WC_EKU_CLIENT_AUTH;
        } else if (wc_der_oid_is(&oid, oid_eku_any, sizeof(oid_eku_any))) {
            c->ext_key_usage |= WC_EKU_ANY;
        } else {
            c->ext_key_usage |= WC_EKU_OTHER;
        }
    }
    return wc_der_finish(&d);
}

/* A SEQUENCE wrapping the value; keeps its contents. */
static int
sequence_contents(const struct wc_der_elem *v, const uint8_t **p, size_t *len,
                  int allow_empty)
{
    struct wc_der d;
    struct wc_der_elem seq;

    wc_der_init(&d, v->val, v->len);
    wc_der_expect(&d, WC_DER_SEQUENCE, &seq);
    if (wc_der_finish(&d) != 0 || (!allow_empty && seq.len == 0)) {
        return -1;
    }
    *p = seq.val;
    *len = seq.len;
    return 0;
}

/*
 * GeneralNames (RFC 5280 4.2.1.6): each GeneralName one of its nine
 * choices, well-formed, those never matched included. Matching stops at
 * the first name that fits, so without this a broken entry after it
 * would go unseen.
 */
static int
check_general_names(const uint8_t *p, size_t len)
{
    /* [0] otherName ... [8] registeredID, constructed or not. */
    static const uint8_t tags[9] = {0xa0, 0x81, 0x82, 0x83 | 0x20, 0xa4,
                                    0xa5, 0x86, 0x87, 0x88};
    struct wc_der d;
    struct wc_der_elem e;

    wc_der_init(&d, p, len);
    while (wc_der_more(&d)) {
        if (wc_der_next(&d, &e) != 0 || (e.tag & 0xc0) != 0x80 ||
            (e.tag & 0x1f) > 8 || e.tag != tags[e.tag & 0x1f] ||
            ((e.tag & 0x20) && !elements_ok(e.val, e.len))) {
            return -1;
        }
    }
    return d.err ? -1 : 0;
}

/* AuthorityKeyIdentifier: keeps keyIdentifier [0] if present. */
static int
parse_authority_key_id(struct wc_x509 *c, const struct wc_der_elem *v)
{
    struct wc_der d, seq;
    struct wc_der_elem id;

    wc_der_init(&d, v->val, v->len);
    wc_der_enter(&d, WC_DER_SEQUENCE, &seq);
    if (wc_der_optional(&seq, WC_DER_CONTEXT(0), &id)) {
        c->authority_key_id = id.val;
        c->authority_key_id_len = id.len;
        c->aki_has_key_id = 1;
    }
    /* authorityCertIssuer [1] and serial [2]: the profile decides. */
    if (wc_der_optional(&seq, WC_DER_CONTEXT_CONS(1), &id)) {
        c->aki_has_issuer = 1;
    }
    if (wc_der_optional(&seq, WC_DER_CONTEXT(2), &id)) {
        c->aki_has_issuer = 1;
    }
    return wc_der_finish(&seq) != 0 || wc_der_finish(&d) != 0 ? -1 : 0;
}

/*
 * AuthorityInfoAccessSyntax (RFC 5280 4.2.2.1): one or more
 * (OID, GeneralName) pairs. Not used, but malformed is malformed.
 */
static int
check_aia(const struct wc_der_elem *v)
{
    struct wc_der d, seq, desc;
    struct wc_der_elem e;

    wc_der_init(&d, v->val, v->len);
    wc_der_enter(&d, WC_DER_SEQUENCE, &seq);
    if (wc_der_finish(&d) != 0 || !wc_der_more(&seq)) {
        return -1;
    }
    while (wc_der_more(&seq)) {
        wc_der_enter(&seq, WC_DER_SEQUENCE, &desc);
        wc_der_expect(&desc, WC_DER_OID, &e);
        wc_der_next(&desc, &e);
        if (wc_der_finish(&desc) != 0) {
            return -1;
        }
    }
    return seq.err;
}

static int
parse_extension(struct wc_x509 *c, const struct wc_der_elem *oid,
                int critical, const struct wc_der_elem *value)
{
    unsigned bit;
    int err = 0;
    struct wc_der d;
    struct wc_der_elem id;

    if (wc_der_oid_is(oid, oid_aia, sizeof(oid_aia))) {
        c->unknown_critical |= critical;
        return check_aia(value);
    }
    /* Other extensions outside id-ce (2.5.29) are not ours to judge. */
    if (oid->len != 3 || oid->val[0] != 0x55 || oid->val[1] != 0x1d) {
        c->unknown_critical |= critical;
        return 0;
    }
    switch (oid->val[2]) {
    case CE_BASIC_CONSTRAINTS:
        bit = WC_EXT_BASIC_CONSTRAINTS;
        err = parse_basic_constraints(c, value);
        break;
    case CE_KEY_USAGE:
        bit = WC_EXT_KEY_USAGE;
        err = parse_key_usage(c, value);
        break;
    case CE_EXT_KEY_USAGE:
        bit = WC_EXT_EXT_KEY_USAGE;
        err = parse_ext_key_usage(c, value);
        break;
    case CE_SUBJECT_ALT_NAME:
        bit = WC_EXT_SUBJECT_ALT_NAME;
        err = sequence_contents(value, &c->san, &c->san_len, 0);
        if (err == 0) {
            err = check_general_names(c->san, c->san_len);
        }
        break;
    case CE_NAME_CONSTRAINTS:
        bit = WC_EXT_NAME_CONSTRAINTS;
        err = sequence_contents(value, &c->name_constraints,
                                &c->name_constraints_len, 1);
        break;
    case CE_SUBJECT_KEY_ID:
        bit = WC_EXT_SUBJECT_KEY_ID;
        wc_der_init(&d, value->val, value->len);
        wc_der_expect(&d, WC_DER_OCTET_STRING, &id);
        err = wc_der_finish(&d);
        c->subject_key_id = id.val;
        c->subject_key_id_len = id.len;
        break;
    case CE_AUTHORITY_KEY_ID:
        bit = WC_EXT_AUTHORITY_KEY_ID;
        err = parse_authority_key_id(c, value);
        break;
    default:
        c->unknown_critical |= critical;
        return 0;
    }
    if (err != 0 || (c->extensions & bit)) {
        return -1;
    }
    c->extensions |= bit;
    if (critical) {
        c->critical |= bit;
    }
    return 0;
}

/* Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension */
static int
parse_extensions(struct wc_x509 *c, const struct wc_der_elem *wrapper)
{
    struct wc_der outer, list, ext;
    struct wc_der_elem oid, crit, value;
    const uint8_t *seen[32];
    size_t seen_len[32];
    unsigned count = 0, i;

    wc_der_init(&outer, wrapper->val, wrapper->len);
    wc_der_enter(&outer, WC_DER_SEQUENCE, &list);
    if (wc_der_finish(&outer) != 0 || !wc_der_more(&list)) {
        return -1;
    }
    while (wc_der_more(&list)) {
        int critical = 0;

        wc_der_enter(&list, WC_DER_SEQUENCE, &ext);
        wc_der_expect(&ext, WC_DER_OID, &oid);
        if (wc_der_optional(&ext, WC_DER_BOOLEAN, &crit)) {
            if (crit.len != 1 || (crit.val[0] != 0 && crit.val[0] != 0xff)) {
                return -1;
            }
            critical = crit.val[0] != 0;
        }
        wc_der_expect(&ext, WC_DER_OCTET_STRING, &value);
        if (wc_der_finish(&ext) != 0 || wc_der_oid_ok(&oid) != 0) {
            return -1;
        }
        /* RFC 5280 4.2: at most one instance of each extension. */
        for (i = 0; i < count; i++) {
            if (seen_len[i] == oid.len &&
                memcmp(seen[i], oid.val, oid.len) == 0) {
                return -1;
            }
        }
        if (count == sizeof(seen) / sizeof(seen[0])) {
            return -1;
        }
        seen[count] = oid.val;
        seen_len[count] = oid.len;
        count++;
        if (parse_extension(c, &oid, critical, &value) != 0) {
            return -1;
        }
    }
    return list.err;
}

static int
parse_validity(struct wc_x509 *c, struct wc_der *d)
{
    struct wc_der v;
    struct wc_der_elem nb, na;

    wc_der_enter(d, WC_DER_SEQUENCE, &v);
    wc_der_next(&v, &nb);
    wc_der_next(&v, &na);
    if (wc_der_finish(&v) != 0 || wc_der_time(&nb, &c->not_before) != 0 ||
        wc_der_time(&na, &c->not_after) != 0) {
        return wc_der_fail(d);
    }
    return 0;
}

static int
parse_tbs(struct wc_x509 *c, const struct wc_der_elem *tbs_elem,
          struct wc_der_elem *inner_raw)
{
    struct wc_der tbs, ver;
    struct wc_der_elem e, name;
    const uint8_t *spki_start;
    enum wc_sig_alg inner;
    uint32_t v;
    int negative;

    wc_der_init(&tbs, tbs_elem->val, tbs_elem->len);

    /* version [0] EXPLICIT, absent for v1 (DER omits the default). */
    c->version = 1;
    if (wc_der_peek(&tbs) == WC_DER_CONTEXT_CONS(0)) {
        wc_der_enter(&tbs, WC_DER_CONTEXT_CONS(0), &ver);
        wc_der_expect(&ver, WC_DER_INTEGER, &e);
        if (wc_der_finish(&ver) != 0 || wc_der_small_uint(&e, &v) != 0 ||
            v < 1 || v > 2) {
            return -1;
        }
        c->version = v + 1;
    }

    wc_der_expect(&tbs, WC_DER_INTEGER, &e);
    if (tbs.err || wc_der_integer_ok(&e, &negative) != 0) {
        return -1;
    }
    c->serial = e.val;
    c->serial_len = e.len;

    if (parse_sig_alg(&tbs, &inner, inner_raw) != 0) {
        return -1;
    }
    if (check_name(&tbs, &name) != 0) {
        return -1;
    }
    c->issuer = name.raw;
    c->issuer_len = name.raw_len;
    if (parse_validity(c, &tbs) != 0 || check_name(&tbs, &name) != 0) {
        return -1;
    }
    c->subject = name.raw;
    c->subject_len = name.raw_len;

    spki_start = tbs.p;
    if (parse_spki_into(&tbs, &c->key, 0) != 0) {
        return -1;
    }
    c->spki = spki_start;
    c->spki_len = (size_t)(tbs.p - spki_start);

    /* issuerUniqueID [1], subjectUniqueID [2] (BIT STRINGs): v2 and v3. */
    if (wc_der_optional(&tbs, WC_DER_CONTEXT(1), &e) && c->version < 2) {
        return -1;
    }
    if (wc_der_optional(&tbs, WC_DER_CONTEXT(2), &e) && c->version < 2) {
        return -1;
    }
    if (wc_der_optional(&tbs, WC_DER_CONTEXT_CONS(3), &e)) {
        if (c->version != 3 || parse_extensions(c, &e) != 0) {
            return -1;
        }
    }
    if (wc_der_finish(&tbs) != 0) {
        return -1;
    }
    c->sig_alg = inner;
    return 0;
}

int
wc_x509_parse(struct wc_x509 *c, const uint8_t *der, size_t len)
{
    struct wc_der d, cert;
    struct wc_der_elem tbs, sig, inner_alg, outer_alg;
    enum wc_sig_alg outer;

    memset(c, 0, sizeof(*c));
    c->path_len = -1;
    wc_der_init(&d, der, len);
    wc_der_enter(&d, WC_DER_SEQUENCE, &cert);
    if (wc_der_finish(&d) != 0) {
        goto bad;
    }
    wc_der_expect(&cert, WC_DER_SEQUENCE, &tbs);
    if (cert.err || parse_tbs(c, &tbs, &inner_alg) != 0) {
        goto bad;
    }
    /* RFC 5280 4.1.1.2: the outer algorithm is the inner one, exactly. */
    if (parse_sig_alg(&cert, &outer, &outer_alg) != 0 ||
        outer_alg.raw_len != inner_alg.raw_len ||
        memcmp(outer_alg.raw, inner_alg.raw, inner_alg.raw_len) != 0) {
        goto bad;
    }
    wc_der_expect(&cert, WC_DER_BIT_STRING, &sig);
    if (wc_der_finish(&cert) != 0 ||
        wc_der_bit_string_bytes(&sig, &c->sig, &c->sig_len) != 0) {
        goto bad;
    }
    c->der = der;
    c->der_len = len;
    c->tbs = tbs.raw;
    c->tbs_len = tbs.raw_len;
    return 0;
bad:
    memset(c, 0, sizeof(*c));
    return -1;
}

int
wc_x509_key_valid(const struct wc_pubkey *k)
{
    switch (k->type) {
    case WC_KEY_EC_P256:
        return ec_point_valid(k->point, k->point_len, BR_EC_secp256r1);
    case WC_KEY_EC_P384:
        return ec_point_valid(k->point, k->point_len, BR_EC_secp384r1);
    case WC_KEY_RSA:
        return 1;
    default:
        return 0;
    }
}

int
wc_x509_serial_ok(const struct wc_x509 *c)
{
    const uint8_t *v = c->serial;
    size_t i, len = c->serial_len;
    unsigned any = 0;

    if (len == 0 || (v[0] & 0x80)) {
        return 0;
    }
    if (len > 1 && v[0] == 0x00) {
        v++;
        len--;
    }
    for (i = 0; i < len; i++) {
        any |= v[i];
    }
    return any != 0 && len <= 20;
}
