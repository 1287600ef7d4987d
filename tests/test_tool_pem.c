/*
 * The warden tool's file formats: PEM in and out (several blocks, other
 * labels skipped, CRLF, a missing last newline, raw DER), with the
 * refusals named in its messages (bad base64, no END line, empty block,
 * not DER, wrong label); the strict DER reader; EC public keys as
 * SubjectPublicKeyInfo; and the provisioning config file.
 */
#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "toolkit.h"

/* DER 30 03 02 01 05, and 30 06 02 01 01 02 01 02. */
#define B64_A "MAMCAQU="
#define B64_B "MAYCAQECAQI="
#define PEM(label, b64)                                                        \
    "-----BEGIN " label "-----\n" b64 "\n-----END " label "-----\n"

static const uint8_t der_a[] = {0x30, 0x03, 0x02, 0x01, 0x05};
static const uint8_t der_b[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02};

static int
decode(const char *text, const char *label, struct tk_blobs *out,
       struct tk_err *e)
{
    e->msg[0] = '\0';
    return tk_pem_decode((const uint8_t *)text, strlen(text), label, "in.pem",
                         out, e);
}

static void
refused(const char *text, const char *label, const char *want)
{
    struct tk_blobs out;
    struct tk_err e;

    CHECK(decode(text, label, &out, &e) == -1);
    CHECK(out.count == 0);
    CHECK(strstr(e.msg, want) != NULL);
    if (strstr(e.msg, want) == NULL) {
        fprintf(stderr, "  message '%s' lacks '%s'\n", e.msg, want);
    }
}

static void
test_pem_good(void)
{
    struct tk_blobs out;
    struct tk_err e;

    CHECK(decode(PEM("CERTIFICATE", B64_A), "CERTIFICATE", &out, &e) == 0);
    CHECK(out.count == 1);
    CHECK(out.item[0].len == sizeof(der_a));
    CHECK_MEM(out.item[0].data, der_a, sizeof(der_a));
    CHECK(out.item[0].line == 1);
    tk_blobs_free(&out);
    CHECK(out.count == 0);

    /* Two certificates around a key that is never decoded, with text. */
    CHECK(decode("leaf follows\n" PEM("CERTIFICATE", B64_A) PEM(
                     "EC PRIVATE KEY", "c2VjcmV0") PEM("CERTIFICATE", B64_B),
                 "CERTIFICATE", &out, &e) == 0);
    CHECK(out.count == 2);
    CHECK(out.item[0].line == 2);
    CHECK(out.item[1].line == 8);
    CHECK(out.item[1].len == sizeof(der_b));
    CHECK_MEM(out.item[1].data, der_b, sizeof(der_b));
    tk_blobs_free(&out);

    /* CRLF, and no newline after the last line. */
    CHECK(decode("-----BEGIN PUBLIC KEY-----\r\n" B64_A
                 "\r\n-----END PUBLIC KEY-----",
                 "PUBLIC KEY", &out, &e) == 0);
    CHECK(out.count == 1);
    tk_blobs_free(&out);

    /* Raw DER. */
    CHECK(tk_pem_decode(der_b, sizeof(der_b), "CERTIFICATE", "in.der", &out,
                        &e) == 0);
    CHECK(out.count == 1);
    CHECK(out.item[0].line == 0);
    CHECK_MEM(out.item[0].data, der_b, sizeof(der_b));
    tk_blobs_free(&out);
}

static void
test_pem_bad(void)
{
    refused(PEM("CERTIFICATE", "MAM!AQU="), "CERTIFICATE",
            "in.pem:2: bad base64 in the CERTIFICATE block");
    /* A damaged block is a damaged file, whatever its label. */
    refused(PEM("CERTIFICATE", B64_A) PEM("EC PRIVATE KEY", "c2V!"),
            "CERTIFICATE", "in.pem:5: bad base64 in the EC PRIVATE KEY");
    refused("-----BEGIN CERTIFICATE-----\n" B64_A "\n", "CERTIFICATE",
            "in.pem:1: CERTIFICATE block has no END line");
    refused("\n\n" PEM("CERTIFICATE", ""), "CERTIFICATE",
            "in.pem:3: empty CERTIFICATE block");
    /* 30 05 02 01: the length says more than there is. */
    refused(PEM("CERTIFICATE", "MAUCAQ=="), "CERTIFICATE",
            "CERTIFICATE block is not valid DER: truncated");
    /* 30 03 02 01 05 00: a byte after the end. */
    refused(PEM("CERTIFICATE", "MAMCAQUA"), "CERTIFICATE",
            "1 bytes after the end");
    /* 02 01 05: not a SEQUENCE. */
    refused(PEM("CERTIFICATE", "AgEF"), "CERTIFICATE", "not a SEQUENCE");
    refused(PEM("PUBLIC KEY", B64_A), "CERTIFICATE",
            "in.pem: no CERTIFICATE block (found PUBLIC KEY)");
    refused("hello, world\n", "CERTIFICATE",
            "in.pem: no CERTIFICATE block: not a PEM file");
    refused("", "CERTIFICATE", "in.pem: empty file");
    refused("\x30\x05\x02\x01", "CERTIFICATE",
            "in.pem: not PEM, and not valid DER: truncated");
}

static void
test_pem_files(void)
{
    struct tk_blobs out;
    struct tk_err e;

    CHECK(tk_pem_read_file("/nonexistent/leaf.pem", "CERTIFICATE", &out, &e) ==
          -1);
    CHECK(strstr(e.msg, "/nonexistent/leaf.pem: cannot open") != NULL);
    CHECK(out.count == 0);
}

static void
test_pem_encode(void)
{
    static uint8_t big[300];
    struct tk_blobs out;
    struct tk_err e;
    char *text;
    char *p;
    size_t len;
    size_t i;

    big[0] = 0x30;
    big[1] = 0x82;
    big[2] = 0x01;
    big[3] = 0x28; /* 296 bytes follow */
    for (i = 4; i < sizeof(big); i++) {
        big[i] = (uint8_t)i;
    }
    text = tk_pem_encode("CERTIFICATE REQUEST", big, sizeof(big), &len);
    CHECK(text != NULL);
    if (text == NULL) {
        return;
    }
    CHECK(strlen(text) == len);
    CHECK(strncmp(text, "-----BEGIN CERTIFICATE REQUEST-----\n", 36) == 0);
    /* Lines of 64, as OpenSSL writes them. */
    p = strchr(text, '\n') + 1;
    CHECK(strchr(p, '\n') - p == 64);
    CHECK(decode(text, "CERTIFICATE REQUEST", &out, &e) == 0);
    CHECK(out.count == 1 && out.item[0].len == sizeof(big));
    if (out.count == 1 && out.item[0].len == sizeof(big)) {
        CHECK_MEM(out.item[0].data, big, sizeof(big));
    }
    tk_blobs_free(&out);
    free(text);
}

static int
der_ok(const uint8_t *p, size_t len)
{
    const uint8_t *q = p;
    struct tk_tlv t;

    return tk_der_read(&q, p + len, &t, NULL) == 0 && q == p + len;
}

static void
test_der(void)
{
    static const uint8_t long_form[] = {0x04, 0x81, 0x80};
    static uint8_t buf[3 + 0x80];
    uint8_t hdr[8];
    struct tk_err e;

    CHECK(der_ok((const uint8_t *)"\x05\x00", 2));
    CHECK(!der_ok((const uint8_t *)"\x04\x81\x05xxxxx", 8)); /* not minimal */
    CHECK(!der_ok((const uint8_t *)"\x30\x80\x00\x00", 4));  /* indefinite */
    CHECK(!der_ok((const uint8_t *)"\x1f\x01\x00", 3));      /* high tag */
    CHECK(!der_ok((const uint8_t *)"\x04\x82\x00\x80", 4));  /* leading 0 */
    CHECK(!der_ok((const uint8_t *)"\x04\x85\x01\x00\x00\x00\x00", 7));
    CHECK(!der_ok((const uint8_t *)"\x04", 1));
    memcpy(buf, long_form, sizeof(long_form));
    CHECK(der_ok(buf, sizeof(buf)));
    CHECK(!der_ok(buf, sizeof(buf) - 1));

    CHECK(tk_der_header(hdr, 0x30, 5) == 2 && hdr[1] == 5);
    CHECK(tk_der_header(NULL, 0x30, 0x80) == 3);
    CHECK(tk_der_header(hdr, 0x30, 0x1234) == 4 && hdr[1] == 0x82 &&
          hdr[2] == 0x12 && hdr[3] == 0x34);

    /* A certificate's outline: SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING }. */
    CHECK(tk_cert_outline((const uint8_t *)"\x30\x07\x30\x00\x30\x00\x03\x01"
                                           "\x00",
                          9, &e) == 0);
    CHECK(tk_cert_outline(der_b, sizeof(der_b), &e) == -1);
    CHECK(strstr(e.msg, "not a certificate") != NULL);
    CHECK(tk_cert_outline((const uint8_t *)"\x30\x09\x30\x00\x30\x00\x03\x01"
                                           "\x00\x05\x00",
                          11, &e) == -1);
}

static void
test_spki(void)
{
    /* The RFC 5480 prefix of a P-256 key. */
    static const uint8_t p256_prefix[] = {
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
        0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
        0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};
    uint8_t spki[TK_SPKI_MAX];
    uint8_t bad[TK_SPKI_MAX];
    const unsigned char *g;
    struct tk_err e;
    unsigned curve = 0;
    size_t glen;
    size_t len;

    g = br_ec_get_default()->generator(BR_EC_secp256r1, &glen);
    CHECK(tk_spki_from_point(TK_CURVE_P256, g, glen, spki, sizeof(spki), &len,
                             &e) == 0);
    CHECK(len == 91);
    CHECK_MEM(spki, p256_prefix, sizeof(p256_prefix));
    CHECK(tk_spki_check(spki, len, &curve, &e) == 0);
    CHECK(curve == TK_CURVE_P256);

    g = br_ec_get_default()->generator(BR_EC_secp384r1, &glen);
    CHECK(tk_spki_from_point(TK_CURVE_P384, g, glen, spki, sizeof(spki), &len,
                             &e) == 0);
    CHECK(len == 120);
    CHECK(tk_spki_check(spki, len, &curve, &e) == 0);
    CHECK(curve == TK_CURVE_P384);

    /* A point off the curve. */
    memcpy(bad, spki, len);
    bad[len - 1] ^= 1;
    CHECK(tk_spki_check(bad, len, NULL, &e) == -1);
    CHECK(strstr(e.msg, "not an uncompressed point") != NULL);
    CHECK(tk_spki_from_point(TK_CURVE_P384, bad + 23, 97, spki, sizeof(spki),
                             &len, &e) == -1);

    /* Another curve (secp521r1), another algorithm (rsaEncryption). */
    g = br_ec_get_default()->generator(BR_EC_secp256r1, &glen);
    CHECK(tk_spki_from_point(TK_CURVE_P256, g, glen, spki, sizeof(spki), &len,
                             &e) == 0);
    memcpy(bad, spki, len);
    memcpy(bad + 15, "\x2b\x81\x04\x00\x23\x00\x00\x00", 8);
    bad[14] = 5;
    bad[3] = 0x10;
    CHECK(tk_spki_check(bad, len, NULL, &e) == -1);
    memcpy(bad, spki, len);
    memcpy(bad + 6, "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01", 9);
    bad[5] = 9;
    CHECK(tk_spki_check(bad, len, NULL, &e) == -1);
    CHECK(strstr(e.msg, "an RSA key") != NULL);
    CHECK(tk_spki_check(spki, len - 1, NULL, &e) == -1);
    CHECK(strstr(e.msg, "not a public key") != NULL);

    CHECK(tk_curve_parse("p256") == TK_CURVE_P256);
    CHECK(tk_curve_parse("prime256v1") == TK_CURVE_P256);
    CHECK(tk_curve_parse("P-384") == TK_CURVE_P384);
    CHECK(tk_curve_parse("p521") == 0);
    CHECK(tk_curve_parse("") == 0);
}

static int
config(const char *text, struct tk_config *c, struct tk_err *e)
{
    e->msg[0] = '\0';
    return tk_config_parse(text, strlen(text), "/etc/w/x.conf", c, e);
}

static void
config_refused(const char *text, const char *want)
{
    struct tk_config c;
    struct tk_err e;

    CHECK(config(text, &c, &e) == -1);
    CHECK(c.path == NULL && c.serial == NULL);
    CHECK(strstr(e.msg, want) != NULL);
    if (strstr(e.msg, want) == NULL) {
        fprintf(stderr, "  message '%s' lacks '%s'\n", e.msg, want);
    }
}

static void
test_config(void)
{
    struct tk_config c;
    struct tk_err e;

    CHECK(config("# factory line 3\n"
                 "\n"
                 "serial = dev-0001\r\n"
                 "  curve=p384  \n"
                 "subject = /O=Acme/CN=dev-0001 # not a comment\n"
                 "sign_command = ./sign.sh \"$1\" \"$2\"\n"
                 "chain = ca/int1.pem\n"
                 "chain = /abs/int2.pem\n"
                 "roots = root a.pem\n"
                 "admin_key = admin.pub.pem\n"
                 "lock = yes\n",
                 &c, &e) == 0);
    CHECK(strcmp(c.dir, "/etc/w") == 0);
    CHECK(strcmp(c.serial, "dev-0001") == 0);
    CHECK(c.curve == TK_CURVE_P384);
    CHECK(c.attestation_curve == TK_CURVE_P256);
    CHECK(strcmp(c.subject, "/O=Acme/CN=dev-0001 # not a comment") == 0);
    CHECK(strcmp(c.sign_command, "./sign.sh \"$1\" \"$2\"") == 0);
    CHECK(c.chain_count == 2);
    CHECK(strcmp(c.chain[0], "/etc/w/ca/int1.pem") == 0);
    CHECK(strcmp(c.chain[1], "/abs/int2.pem") == 0);
    CHECK(c.roots_count == 1 && strcmp(c.roots[0], "/etc/w/root a.pem") == 0);
    CHECK(strcmp(c.admin_key, "/etc/w/admin.pub.pem") == 0);
    CHECK(c.firmware_key == NULL);
    CHECK(strcmp(c.output_dir, "/etc/w") == 0);
    CHECK(c.lock == 1);
    CHECK(c.line[TK_CONF_SERIAL] == 3 && c.line[TK_CONF_CHAIN] == 7);
    CHECK(c.line[TK_CONF_FIRMWARE_KEY] == 0);
    tk_config_free(&c);
    CHECK(c.serial == NULL);

    /* A file name alone: the current folder. */
    CHECK(tk_config_parse("output_dir = out\nlock = no\n", 27, "p.conf", &c,
                          &e) == 0);
    CHECK(strcmp(c.dir, ".") == 0 && strcmp(c.output_dir, "./out") == 0);
    CHECK(c.lock == 0);
    tk_config_free(&c);

    config_refused("serial = a\n\nsreial = b\n",
                   "/etc/w/x.conf:3: unknown key 'sreial'");
    config_refused("serial = a\nserial = b\n",
                   "x.conf:2: 'serial' given twice (first on line 1)");
    config_refused("serial\n", "x.conf:1: expected 'key = value'");
    config_refused("= x\n", "x.conf:1: no key before '='");
    config_refused("serial =   \n", "x.conf:1: empty value for 'serial'");
    config_refused("curve = p521\n", "x.conf:1: unknown curve 'p521'");
    config_refused("lock = maybe\n", "x.conf:1: lock must be yes or no");
    config_refused("Serial = a\n", "unknown key 'Serial'");
    CHECK(tk_config_parse("serial = a\0b\n", 13, "n.conf", &c, &e) == -1);
    CHECK(strstr(e.msg, "NUL byte") != NULL);
}

int
main(void)
{
    test_pem_good();
    test_pem_bad();
    test_pem_files();
    test_pem_encode();
    test_der();
    test_spki();
    test_config();
    return wt_finish("tool_pem");
}
