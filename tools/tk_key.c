/*
 * EC public keys as DER SubjectPublicKeyInfo (RFC 5480), and the text
 * forms status shows: curve names, times, fingerprints.
 */
#include <bearssl.h>
#include <stdio.h>
#include <string.h>

#include "toolkit.h"

/* id-ecPublicKey, then the curves' OIDs (RFC 5480 section 2.1.1.1). */
static const uint8_t oid_ec[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t oid_p256[] = {0x2a, 0x86, 0x48, 0xce,
                                   0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
/* Keys people may try, named so the refusal says what they gave. */
static const uint8_t oid_p521[] = {0x2b, 0x81, 0x04, 0x00, 0x23};
static const uint8_t oid_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                  0x0d, 0x01, 0x01, 0x01};
static const uint8_t oid_ed25519[] = {0x2b, 0x65, 0x70};

#define IS(t, oid)                                                             \
    ((t).len == sizeof(oid) && !memcmp((t).val, oid, sizeof(oid)))

unsigned
tk_curve_parse(const char *name)
{
    static const char *const p256[] = {"p256", "P-256", "prime256v1",
                                       "secp256r1"};
    static const char *const p384[] = {"p384", "P-384", "secp384r1"};
    size_t i;

    for (i = 0; i < sizeof(p256) / sizeof(p256[0]); i++) {
        if (strcmp(name, p256[i]) == 0) {
            return TK_CURVE_P256;
        }
    }
    for (i = 0; i < sizeof(p384) / sizeof(p384[0]); i++) {
        if (strcmp(name, p384[i]) == 0) {
            return TK_CURVE_P384;
        }
    }
    return 0;
}

const char *
tk_curve_name(unsigned curve)
{
    switch (curve) {
    case TK_CURVE_P256:
        return "P-256";
    case TK_CURVE_P384:
        return "P-384";
    }
    return NULL;
}

static size_t
point_len(unsigned curve)
{
    return curve == TK_CURVE_P256 ? 65 : curve == TK_CURVE_P384 ? 97 : 0;
}

/* 1 if point is an uncompressed point on curve. */
static int
on_curve(unsigned curve, const uint8_t *point, size_t len)
{
    static const unsigned char one[1] = {1};
    uint8_t tmp[97];

    if (len != point_len(curve) || point[0] != 0x04) {
        return 0;
    }
    memcpy(tmp, point, len);
    return br_ec_get_default()->mul(tmp, len, one, 1, (int)curve) == 1;
}

int
tk_spki_from_point(unsigned curve, const uint8_t *point, size_t len,
                   uint8_t *out, size_t cap, size_t *out_len, struct tk_err *e)
{
    const uint8_t *coid = curve == TK_CURVE_P256 ? oid_p256 : oid_p384;
    size_t coid_len =
        curve == TK_CURVE_P256 ? sizeof(oid_p256) : sizeof(oid_p384);
    size_t alg = 2 + sizeof(oid_ec) + 2 + coid_len;
    size_t bits = 1 + len;
    size_t body = 2 + alg + tk_der_header(NULL, 0x03, bits) + bits;
    size_t n;

    if (!on_curve(curve, point, len)) {
        return tk_fail(e, "not a point on %s",
                       tk_curve_name(curve) != NULL ? tk_curve_name(curve)
                                                    : "a known curve");
    }
    if (tk_der_header(NULL, 0x30, body) + body > cap) {
        return tk_fail(e, "no room for the public key");
    }
    n = tk_der_header(out, 0x30, body);
    n += tk_der_header(out + n, 0x30, alg);
    n += tk_der_header(out + n, 0x06, sizeof(oid_ec));
    memcpy(out + n, oid_ec, sizeof(oid_ec));
    n += sizeof(oid_ec);
    n += tk_der_header(out + n, 0x06, coid_len);
    memcpy(out + n, coid, coid_len);
    n += coid_len;
    n += tk_der_header(out + n, 0x03, bits);
    out[n++] = 0; /* no unused bits */
    memcpy(out + n, point, len);
    *out_len = n + len;
    return 0;
}

int
tk_spki_check(const uint8_t *der, size_t len, unsigned *curve, struct tk_err *e)
{
    const uint8_t *p = der;
    const uint8_t *end;
    struct tk_tlv spki;
    struct tk_tlv alg;
    struct tk_tlv oid;
    struct tk_tlv params;
    struct tk_tlv bits;
    struct tk_err why;
    unsigned c;

    if (tk_der_whole(der, len, &why) != 0) {
        return tk_fail(e, "not a public key: %s", why.msg);
    }
    (void)tk_der_read(&p, der + len, &spki, NULL);
    p = spki.val;
    end = spki.val + spki.len;
    if (tk_der_read(&p, end, &alg, NULL) != 0 || alg.tag != 0x30 ||
        tk_der_read(&p, end, &bits, NULL) != 0 || bits.tag != 0x03 ||
        p != end) {
        return tk_fail(e, "not a SubjectPublicKeyInfo");
    }
    p = alg.val;
    end = alg.val + alg.len;
    if (tk_der_read(&p, end, &oid, NULL) != 0 || oid.tag != 0x06) {
        return tk_fail(e, "not a SubjectPublicKeyInfo");
    }
    if (IS(oid, oid_rsa)) {
        return tk_fail(e, "an RSA key: EC P-256 or P-384 keys only");
    }
    if (IS(oid, oid_ed25519)) {
        return tk_fail(e, "an Ed25519 key: EC P-256 or P-384 keys only");
    }
    if (!IS(oid, oid_ec)) {
        return tk_fail(e, "not an EC key: EC P-256 or P-384 keys only");
    }
    if (tk_der_read(&p, end, &params, NULL) != 0 || params.tag != 0x06 ||
        p != end) {
        return tk_fail(e, "EC key without a named curve");
    }
    if (IS(params, oid_p256)) {
        c = TK_CURVE_P256;
    } else if (IS(params, oid_p384)) {
        c = TK_CURVE_P384;
    } else if (IS(params, oid_p521)) {
        return tk_fail(e, "a P-521 key: EC P-256 or P-384 keys only");
    } else {
        return tk_fail(e, "EC key on an unsupported curve: P-256 or P-384 "
                          "only");
    }
    if (bits.len < 1 || bits.val[0] != 0 ||
        !on_curve(c, bits.val + 1, bits.len - 1)) {
        return tk_fail(e,
                       "%s key whose point is not an uncompressed point "
                       "on the curve",
                       tk_curve_name(c));
    }
    if (curve != NULL) {
        *curve = c;
    }
    return 0;
}

/*
 * Days since 1970-01-01 to a civil date, for any day count (proleptic
 * Gregorian calendar, eras of 400 years).
 */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    int64_t doe;
    int64_t yoe;
    int64_t doy;
    int64_t mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

void
tk_format_time(int64_t t, char out[TK_TIME_MAX])
{
    /* 0000-01-01 and 9999-12-31T23:59:59, as seconds since 1970. */
    static const int64_t lo = -62167219200LL;
    static const int64_t hi = 253402300799LL;
    int64_t days;
    int64_t secs;
    int64_t y;
    unsigned m;
    unsigned d;

    if (t < lo || t > hi) {
        snprintf(out, TK_TIME_MAX, "%lld seconds", (long long)t);
        return;
    }
    days = t / 86400;
    secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    snprintf(out, TK_TIME_MAX, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m, d,
             (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

void
tk_format_fingerprint(const uint8_t *h, size_t len, char *out)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t i;

    for (i = 0; i < len; i++) {
        out[3 * i] = digits[h[i] >> 4];
        out[3 * i + 1] = digits[h[i] & 15];
        out[3 * i + 2] = i + 1 < len ? ':' : '\0';
    }
}
