/*
 * The companion's DER reader and X.509 parser (companion/der.c, x509.c):
 * DER's rules one by one, times, certificates made by the test CA, and
 * every truncation and byte flip of a good certificate handled without a
 * crash (run under the sanitizers in CI).
 */
#include <stdio.h>
#include <string.h>

#include "certgen.h"
#include "check.h"
#include "der.h"
#include "wd_proto.h"
#include "x509.h"

static int
parse_one(const uint8_t *p, size_t len, struct wc_der_elem *e)
{
    struct wc_der d;

    wc_der_init(&d, p, len);
    if (wc_der_next(&d, e) != 0) {
        return -1;
    }
    return wc_der_finish(&d);
}

static void
test_lengths(void)
{
    struct wc_der_elem e;
    static uint8_t big[300];

    CHECK(parse_one((const uint8_t *)"\x04\x02\xaa\xbb", 4, &e) == 0);
    CHECK(e.tag == 0x04 && e.len == 2 && e.val[1] == 0xbb);
    /* Indefinite length, non-minimal long forms, past the end. */
    CHECK(parse_one((const uint8_t *)"\x30\x80\x00\x00", 4, &e) != 0);
    CHECK(parse_one((const uint8_t *)"\x04\x81\x02\xaa\xbb", 5, &e) != 0);
    CHECK(parse_one((const uint8_t *)"\x04\x82\x00\x02\xaa\xbb", 6, &e) !=
          0);
    CHECK(parse_one((const uint8_t *)"\x04\x03\xaa\xbb", 4, &e) != 0);
    CHECK(parse_one((const uint8_t *)"\x04", 1, &e) != 0);
    /* Trailing bytes after the element. */
    CHECK(parse_one((const uint8_t *)"\x05\x00\x00", 3, &e) != 0);
    /* High tag numbers. */
    CHECK(parse_one((const uint8_t *)"\x1f\x20\x00", 3, &e) != 0);
    /* Long form done right. */
    big[0] = 0x04;
    big[1] = 0x81;
    big[2] = 0x80;
    CHECK(parse_one(big, 3 + 0x80, &e) == 0 && e.len == 0x80);
    big[1] = 0x82;
    big[2] = 0x01;
    big[3] = 0x00;
    CHECK(parse_one(big, 4 + 0x100, &e) == 0 && e.len == 0x100);
    /* Five length bytes: more than any certificate needs. */
    CHECK(parse_one((const uint8_t *)"\x04\x85\x01\x00\x00\x00\x00", 7,
                    &e) != 0);
}

static void
test_integers(void)
{
    struct wc_der_elem e;
    uint32_t v;
    int neg;

    CHECK(parse_one((const uint8_t *)"\x02\x01\x05", 3, &e) == 0);
    CHECK(wc_der_small_uint(&e, &v) == 0 && v == 5);
    CHECK(parse_one((const uint8_t *)"\x02\x02\x00\x80", 4, &e) == 0);
    CHECK(wc_der_integer_ok(&e, &neg) == 0 && !neg);
    /* Redundant leading bytes. */
    CHECK(parse_one((const uint8_t *)"\x02\x02\x00\x05", 4, &e) == 0);
    CHECK(wc_der_integer_ok(&e, &neg) != 0);
    CHECK(parse_one((const uint8_t *)"\x02\x02\xff\x85", 4, &e) == 0);
    CHECK(wc_der_integer_ok(&e, &neg) != 0);
    CHECK(parse_one((const uint8_t *)"\x02\x00", 2, &e) == 0);
    CHECK(wc_der_integer_ok(&e, &neg) != 0);
    CHECK(parse_one((const uint8_t *)"\x02\x01\x85", 3, &e) == 0);
    CHECK(wc_der_integer_ok(&e, &neg) == 0 && neg);
    CHECK(wc_der_small_uint(&e, &v) != 0);
}

static int
time_of(const char *s, uint8_t tag, int64_t *t)
{
    struct wc_der_elem e;

    memset(&e, 0, sizeof(e));
    e.tag = tag;
    e.val = (const uint8_t *)s;
    e.len = strlen(s);
    return wc_der_time(&e, t);
}

static void
test_times(void)
{
    int64_t t;

    CHECK(time_of("700101000000Z", WC_DER_UTC_TIME, &t) == 0 && t == 0);
    CHECK(time_of("491231235959Z", WC_DER_UTC_TIME, &t) == 0 &&
          t == 2524607999);
    CHECK(time_of("500101000000Z", WC_DER_UTC_TIME, &t) == 0 &&
          t == -631152000);
    CHECK(time_of("20000229120000Z", WC_DER_GENERALIZED_TIME, &t) == 0 &&
          t == 951825600);
    CHECK(time_of("99991231235959Z", WC_DER_GENERALIZED_TIME, &t) == 0 &&
          t == 253402300799);
    /* Not a leap year, no such month, no zone, fractions, leap second. */
    CHECK(time_of("21000229000000Z", WC_DER_GENERALIZED_TIME, &t) != 0);
    CHECK(time_of("251301000000Z", WC_DER_UTC_TIME, &t) != 0);
    CHECK(time_of("250101000000", WC_DER_UTC_TIME, &t) != 0);
    CHECK(time_of("20250101000000.5Z", WC_DER_GENERALIZED_TIME, &t) != 0);
    CHECK(time_of("250101235960Z", WC_DER_UTC_TIME, &t) != 0);
    CHECK(time_of("2501010000Z", WC_DER_UTC_TIME, &t) != 0);
    CHECK(time_of("25010100000+Z", WC_DER_UTC_TIME, &t) != 0);
    CHECK(time_of("250101000000Z", WC_DER_GENERALIZED_TIME, &t) != 0);
}

static struct wt_ca ca;
static uint8_t cert[4096], copy[4096];

static void
test_certificates(void)
{
    struct wt_cert_opts o;
    struct wc_x509 c;
    struct wc_pubkey k;
    uint8_t spki[128];
    size_t n, i, m;
    unsigned accepted = 0;

    wt_ca_init(&ca, "X509 Test CA", 77);
    n = wt_ca_cert(&ca, cert, sizeof(cert));
    CHECK(wc_x509_parse(&c, cert, n) == 0);
    CHECK(c.version == 3 && c.is_ca && c.path_len == -1);
    CHECK(c.sig_alg == WC_SIG_ECDSA_SHA256);
    CHECK(c.key.type == WC_KEY_EC_P256 && c.key.bits == 256);
    CHECK(c.key.point_len == 65 && memcmp(c.key.point, ca.pub, 65) == 0);
    CHECK(c.not_before == 1735689600 && c.not_after == 2524607999);
    CHECK(c.extensions == WC_EXT_BASIC_CONSTRAINTS);
    CHECK(c.issuer_len == c.subject_len &&
          memcmp(c.issuer, c.subject, c.subject_len) == 0);
    CHECK(wc_x509_name_check(c.subject, c.subject_len) == 0);
    CHECK(c.tbs > cert && c.tbs + c.tbs_len < cert + n);

    m = wt_ca_spki(&ca, spki, sizeof(spki));
    CHECK(wc_x509_parse_spki(&k, spki, m) == 0 && k.type == WC_KEY_EC_P256);
    CHECK(wc_x509_key_valid(&k));
    spki[m - 1] ^= 1;
    CHECK(wc_x509_parse_spki(&k, spki, m) != 0);

    /* In a certificate an off-curve point parses; using it is refused. */
    {
        static uint8_t bad[4096];
        struct wt_cert_opts bo;
        uint8_t point[65];
        size_t bn;

        memcpy(point, ca.pub, 65);
        point[64] ^= 1;
        memset(&bo, 0, sizeof(bo));
        bo.cn = "bad key";
        bo.curve = WD_CURVE_P256;
        bo.point = point;
        bo.point_len = 65;
        bn = wt_cert_make(&ca, &bo, bad, sizeof(bad));
        CHECK(wc_x509_parse(&c, bad, bn) == 0);
        CHECK(!wc_x509_key_valid(&c.key));
    }

    memset(&o, 0, sizeof(o));
    o.cn = "leaf";
    o.curve = WD_CURVE_P256;
    o.point = ca.pub;
    o.point_len = ca.pub_len;
    n = wt_cert_make(&ca, &o, cert, sizeof(cert));
    CHECK(wc_x509_parse(&c, cert, n) == 0 && !c.is_ca);

    /* Every proper prefix is refused. */
    for (i = 0; i < n; i++) {
        CHECK(wc_x509_parse(&c, cert, i) != 0);
    }
    /*
     * Every byte flipped: no crash, and a flip in the structure (not in
     * names, key point or signature bytes, which the parser does not
     * judge) is refused. Count what still parses to see the check is not
     * vacuous.
     */
    for (i = 0; i < n; i++) {
        memcpy(copy, cert, n);
        copy[i] ^= 0x80;
        if (wc_x509_parse(&c, copy, n) == 0) {
            accepted++;
        }
    }
    CHECK(accepted < n * 2 / 3);
    CHECK(copy[0] == cert[0]);
    printf("x509: %zu byte flips, %u still parse (content bytes)\n", n,
           accepted);

    /* A private non-critical extension is read past, not a problem. */
    o.pad = 10;
    n = wt_cert_make(&ca, &o, cert, sizeof(cert));
    CHECK(wc_x509_parse(&c, cert, n) == 0 && !c.unknown_critical);
}

static void
test_names(void)
{
    uint8_t name[64];
    size_t n = wt_name("abc", name, sizeof(name));

    CHECK(wc_x509_name_check(name, n) == 0);
    CHECK(wc_x509_name_check(name, n - 1) != 0);
    CHECK(wc_x509_name_check((const uint8_t *)"\x30\x00", 2) == 0);
    /* An empty RDN. */
    CHECK(wc_x509_name_check((const uint8_t *)"\x30\x02\x31\x00", 4) != 0);
    /* A SET holding something other than an attribute. */
    CHECK(wc_x509_name_check((const uint8_t *)"\x30\x04\x31\x02\x05\x00",
                             6) != 0);
}

/* CN=value as a UTF8String: 1 if the Name is accepted. */
static int
utf8_name_ok(const char *value, size_t len)
{
    uint8_t name[64];
    size_t n = 0;

    name[n++] = 0x30;
    name[n++] = (uint8_t)(len + 11);
    name[n++] = 0x31;
    name[n++] = (uint8_t)(len + 9);
    name[n++] = 0x30;
    name[n++] = (uint8_t)(len + 7);
    memcpy(name + n, "\x06\x03\x55\x04\x03\x0c", 6);
    n += 6;
    name[n++] = (uint8_t)len;
    memcpy(name + n, value, len);
    return wc_x509_name_check(name, n + len) == 0;
}

/* A Name of one attribute: type OID bytes, then the value element. */
static int
attribute_ok(const uint8_t *oid, size_t oid_len, const uint8_t *value,
             size_t value_len)
{
    uint8_t name[64];
    size_t atv = 2 + oid_len + value_len;

    name[0] = 0x30;
    name[1] = (uint8_t)(atv + 4);
    name[2] = 0x31;
    name[3] = (uint8_t)(atv + 2);
    name[4] = 0x30;
    name[5] = (uint8_t)atv;
    name[6] = 0x06;
    name[7] = (uint8_t)oid_len;
    memcpy(name + 8, oid, oid_len);
    memcpy(name + 8 + oid_len, value, value_len);
    return wc_x509_name_check(name, 8 + oid_len + value_len) == 0;
}

/*
 * Found by the differential test: OpenSSL refuses these names when it
 * reads the certificate, and the companion took them.
 */
static void
test_name_attributes(void)
{
    static const uint8_t cn[] = {0x55, 0x04, 0x03};
    static const uint8_t bad_end[] = {0x55, 0x04, 0xfe};
    static const uint8_t padded[] = {0x55, 0x80, 0x04, 0x03};
    static const uint8_t long_arc[] = {0x2b, 0x06, 0x01, 0x04, 0x01,
                                       0x82, 0x37, 0x3c};
    static const uint8_t utf8[] = {0x0c, 0x01, 'a'};
    static const uint8_t printable[] = {0x13, 0x01, 'a'};
    static const uint8_t context[] = {0x8c, 0x01, 'a'};
    static const uint8_t cons_context[] = {0xbc, 0x01, 'a'};
    static const uint8_t cons_good[] = {0x30, 0x03, 0x0c, 0x01, 'a'};
    static const uint8_t cons_bad[] = {0x30, 0x03, 0x0c, 0x05, 'a'};
    static const uint8_t set[] = {0x31, 0x03, 0x0c, 0x01, 'a'};
    static const uint8_t enumerated[] = {0x0a, 0x01, 0x01};
    static const uint8_t ia5[] = {0x16, 0x01, 'a'};

    CHECK(attribute_ok(cn, sizeof(cn), utf8, sizeof(utf8)));
    CHECK(attribute_ok(cn, sizeof(cn), printable, sizeof(printable)));
    CHECK(attribute_ok(long_arc, sizeof(long_arc), utf8, sizeof(utf8)));
    /* OIDs: a last subidentifier cut short, a padded one. */
    CHECK(!attribute_ok(bad_end, sizeof(bad_end), utf8, sizeof(utf8)));
    CHECK(!attribute_ok(padded, sizeof(padded), utf8, sizeof(utf8)));
    /* Values: context tags, constructed contents that do not parse. */
    CHECK(!attribute_ok(cn, sizeof(cn), context, sizeof(context)));
    CHECK(!attribute_ok(cn, sizeof(cn), cons_context, sizeof(cons_context)));
    CHECK(attribute_ok(cn, sizeof(cn), cons_good, sizeof(cons_good)));
    CHECK(!attribute_ok(cn, sizeof(cn), cons_bad, sizeof(cons_bad)));
    /* Values: string types (and SEQUENCE) only, as OpenSSL reads them. */
    CHECK(attribute_ok(cn, sizeof(cn), ia5, sizeof(ia5)));
    CHECK(!attribute_ok(cn, sizeof(cn), set, sizeof(set)));
    CHECK(!attribute_ok(cn, sizeof(cn), enumerated, sizeof(enumerated)));
}

/* Found by the differential test: OpenSSL refuses a bad UTF8String. */
static void
test_name_utf8(void)
{
    CHECK(utf8_name_ok("server", 6));
    CHECK(utf8_name_ok("caf\xc3\xa9", 5));           /* U+00E9 */
    CHECK(utf8_name_ok("\xe2\x82\xac", 3));           /* U+20AC */
    CHECK(utf8_name_ok("\xf0\x9f\x94\x92", 4));       /* U+1F512 */
    CHECK(!utf8_name_ok("se\xf2ver", 6));            /* stray lead byte */
    CHECK(!utf8_name_ok("\x80", 1));                 /* lone continuation */
    CHECK(!utf8_name_ok("\xc3", 1));                 /* cut short */
    CHECK(!utf8_name_ok("\xc0\xaf", 2));             /* overlong "/" */
    CHECK(!utf8_name_ok("\xe0\x80\xaf", 3));         /* overlong again */
    CHECK(!utf8_name_ok("\xed\xa0\x80", 3));         /* a surrogate */
    CHECK(!utf8_name_ok("\xf4\x90\x80\x80", 4));     /* past U+10FFFF */
    CHECK(!utf8_name_ok("\xff", 1));
}

int
main(void)
{
    test_lengths();
    test_integers();
    test_times();
    test_certificates();
    test_names();
    test_name_utf8();
    test_name_attributes();
    return wt_finish("test_x509");
}
